// Multislice kernel timings (issue 4). Results: docs/performance.md, section "Multislice".
//  - FftPair/n/threads: FFTW forward + inverse of an n² complex array in place (FFTW_MEASURE plans),
//    `threads` FFTW threads — the floor for one slice of one probe position.
//  - SliceStep/n/threads: one multislice slice for one wave (ψ·t, forward FFT, ·P, inverse FFT) with
//    `threads` FFTW threads; time per iteration = time per probe position per slice.
//  - SliceStepPositions/n/2: the same slice for 2 probe positions in parallel (OpenMP over positions, one
//    FFTW thread each); time per iteration / 2 = time per position per slice with threads over positions.
//  - SliceOverFft/n: the two above interleaved (FFT pair, slice step, FFT pair, …, 1 thread) so that the load
//    of a shared machine hits both alike; counter `ratio` = median over iterations of
//    t(slice step)/t(FFT pair), `fft_ms`, `slice_ms` = medians.
//  - SlicePotential/n: building one band-limited transmission function of a 2 Å slice of a 0.08 atoms/Å³
//    C/O/Zn specimen on the window n² × 0.1 Å (the windowed mode's extra cost per slice per position).
//  - ApplyInelastic/join: the inelastic redistribution of one 512² pattern (Δs = 0.011 Å⁻¹) of 60 nm of an
//    O/P glass on 10 nm of carbon, join 0 = continuous (the closure tail over the whole grid, one tail radius of
//    padding), 1 = cutoff (Lorentzian to θ_c, linear background): the per-pattern post-processing cost.
#include <benchmark/benchmark.h>

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <random>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/inelastic.hpp"
#include "sedpdf/simulate/multislice.hpp"

namespace {

using namespace sedpdf;

ComplexField random_field(size_t n, uint64_t seed, bool phase) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  ComplexField f(n * n);
  for (auto& c : f) c = phase ? std::polar(1.0, 0.2 * u(rng)) : Complex(u(rng), u(rng));
  return f;
}

void BM_FftPair(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  auto fft = make_fftw_kernel(n, threads, true);
  ComplexField a = random_field(n, 1, false);
  const double inv = 1.0 / static_cast<double>(n * n);
  for (auto _ : state) {
    fft->forward(a.data());
    fft->inverse(a.data());
    state.PauseTiming();
    for (auto& c : a) c *= inv;  // keep the values bounded
    state.ResumeTiming();
  }
}

void BM_SliceStep(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int threads = static_cast<int>(state.range(1));
  const WaveGrid g{n, 0.1};
  auto fft = make_fftw_kernel(n, threads, true);
  const ComplexField t = random_field(n, 2, true);
  const FresnelPropagator prop(g, electron_wavelength(200e3), 2.0, 1.0 / static_cast<double>(n * n));
  ComplexField psi = random_field(n, 3, false);
  std::vector<const ComplexField*> sl{&t};
  std::vector<std::vector<double>> acc;
  for (auto _ : state) {
    multislice_propagate(psi, sl, prop, *fft, {}, 1.0, acc);
    benchmark::DoNotOptimize(psi.data());
  }
}

void BM_SliceStepPositions(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const int positions = static_cast<int>(state.range(1));
  const WaveGrid g{n, 0.1};
  const ComplexField t = random_field(n, 2, true);
  const FresnelPropagator prop(g, electron_wavelength(200e3), 2.0, 1.0 / static_cast<double>(n * n));
  std::vector<ComplexField> psi;
  std::vector<std::unique_ptr<Fft2Kernel>> ffts;
  for (int p = 0; p < positions; ++p) {
    psi.push_back(random_field(n, 3 + static_cast<uint64_t>(p), false));
    ffts.push_back(make_fftw_kernel(n, 1, true));
  }
  std::vector<const ComplexField*> sl{&t};
  for (auto _ : state) {
#pragma omp parallel for num_threads(positions)
    for (int p = 0; p < positions; ++p) {
      std::vector<std::vector<double>> acc;
      multislice_propagate(psi[static_cast<size_t>(p)], sl, prop, *ffts[static_cast<size_t>(p)], {}, 1.0, acc);
    }
    benchmark::DoNotOptimize(psi[0].data());
  }
}

void BM_SliceOverFft(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const WaveGrid g{n, 0.1};
  auto fft = make_fftw_kernel(n, 1, true);
  const ComplexField t = random_field(n, 2, true);
  const FresnelPropagator prop(g, electron_wavelength(200e3), 2.0, 1.0 / static_cast<double>(n * n));
  ComplexField psi = random_field(n, 3, false), a = random_field(n, 4, false);
  std::vector<const ComplexField*> sl{&t};
  std::vector<std::vector<double>> acc;
  std::vector<double> r, tf, ts;
  const double inv = 1.0 / static_cast<double>(n * n);
  using clk = std::chrono::steady_clock;
  for (auto _ : state) {
    const auto t0 = clk::now();
    fft->forward(a.data());
    fft->inverse(a.data());
    const auto t1 = clk::now();
    multislice_propagate(psi, sl, prop, *fft, {}, 1.0, acc);
    const auto t2 = clk::now();
    for (auto& c : a) c *= inv;
    const double f = std::chrono::duration<double>(t1 - t0).count(), q = std::chrono::duration<double>(t2 - t1).count();
    r.push_back(q / f);
    tf.push_back(f);
    ts.push_back(q);
  }
  auto median = [](std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0.0 : v[v.size() / 2];
  };
  state.counters["ratio"] = median(r);
  state.counters["fft_ms"] = 1e3 * median(tf);
  state.counters["slice_ms"] = 1e3 * median(ts);
}

void BM_SlicePotential(benchmark::State& state) {
  const size_t n = static_cast<size_t>(state.range(0));
  const WaveGrid g{n, 0.1};
  LobatoFactors lf;
  const std::vector<Element> el{Element::parse("C"), Element::parse("O"), Element::parse("Zn")};
  SlicePotentialBuilder b(g, 200e3, lf, el);
  const double L = g.extent_A();
  const size_t atoms = static_cast<size_t>(0.08 * 2.0 * L * L);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(0, L);
  std::vector<Element> e;
  std::vector<double> x, y, o;
  for (size_t i = 0; i < atoms; ++i) {
    e.push_back(el[i % 3]);
    x.push_back(u(rng));
    y.push_back(u(rng));
    o.push_back(1.0);
  }
  RealField v;
  ComplexField t;
  for (auto _ : state) {
    b.projected_potential_xy(e, x, y, o, v);
    b.transmission(v, t);
    benchmark::DoNotOptimize(t.data());
  }
  state.counters["atoms"] = static_cast<double>(atoms);
}

void BM_ApplyInelastic(benchmark::State& state) {
  InelasticParams p;
  p.join = state.range(0) == 0 ? InelasticJoin::Continuous : InelasticJoin::Cutoff;
  InelasticMaterial glass, film;
  glass.name = "glass";
  glass.mass_density_g_cm3 = 2.6;
  glass.number_density = 0.076;
  glass.composition = {{Element::parse("O"), 0.6}, {Element::parse("P"), 0.4}};
  film.name = "carbon_film";
  film.plasmon_energy_eV = 25;
  film.mass_density_g_cm3 = 2.0;
  film.number_density = 0.1;
  film.composition = {{Element::parse("C"), 1.0}};
  p.materials = {glass, film};
  const size_t n = 512;
  const ReciprocalGrid g{n, n, 0.011, 256, 256};
  std::vector<double> base(n * n);
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      const double s = std::hypot(double(i) - 256, double(j) - 256) * 0.011;
      base[i * n + j] = (s < 0.024 ? 1.0 : 0.0) + 1e-3 * std::exp(-std::pow((s - 0.45) / 0.1, 2)) / (1 + 10 * s * s);
    }
  std::vector<double> img;
  for (auto _ : state) {
    img = base;
    apply_inelastic(p, {600.0, 100.0}, g, img);
    benchmark::DoNotOptimize(img.data());
  }
}

}  // namespace

BENCHMARK(BM_ApplyInelastic)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_FftPair)->ArgsProduct({{512, 768, 1024}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SliceStep)->ArgsProduct({{512, 768, 1024}, {1, 2}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SliceStepPositions)->ArgsProduct({{512, 768, 1024}, {2}})->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_SliceOverFft)->Arg(512)->Arg(768)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK(BM_SlicePotential)->Arg(512)->Arg(1024)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
