// Benchmark of the azimuthal integration of 512 × 512 quad-Medipix3 frames (issue 6): the CSR
// integrator on single frames and on batches, uint16 and float frames, 1 and all threads, against the
// plain per-pixel reference loop; and the time to build the CSR matrix.
//
// Frames: Poisson realisations (seeded) of an amorphous-like ring pattern, centre (262.4, 249.7),
// bins of Δs = 0.011 Å⁻¹ from 0 to the farthest pixel (370 bins). items/s = frames per second.
// Run: ./bench_azimuthal --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include "sedpdf/reduce/azimuthal.hpp"

using namespace sedpdf;

namespace {

constexpr size_t kBatch = 64;

struct Fixture {
  IntegrationSetup setup;
  std::vector<uint16_t> u16;  // kBatch frames
  std::vector<float> f32;
  std::unique_ptr<CsrIntegrator> csr;
  std::unique_ptr<ReferenceIntegrator> ref;

  Fixture() {
    setup.geometry = DetectorGeometry::quad_medipix3(0.011);
    setup.centre = {262.4, 249.7};
    setup.axis = default_axis(setup.geometry, {}, setup.centre);
    const DetectorGeometry& g = setup.geometry;
    const size_t np = g.n_pixels();
    std::vector<double> mean(np);
    for (size_t i = 0; i < g.ny(); ++i)
      for (size_t j = 0; j < g.nx(); ++j) {
        const double s = 0.011 * std::hypot(g.col_position(j) - setup.centre.x, g.row_position(i) - setup.centre.y);
        const double d = (s - 0.35) / 0.05;
        mean[i * g.nx() + j] = 1e4 * std::exp(-0.5 * s * s / 2.25e-4) + 100 * std::exp(-s / 0.5) + 2 +
                               25 * std::exp(-0.5 * d * d);
      }
    std::mt19937_64 rng(2022);
    u16.resize(kBatch * np);
    f32.resize(kBatch * np);
    for (size_t f = 0; f < kBatch; ++f)
      for (size_t p = 0; p < np; ++p) {
        std::poisson_distribution<int> pd(mean[p]);
        const int v = pd(rng);
        u16[f * np + p] = static_cast<uint16_t>(std::min(v, 65535));
        f32[f * np + p] = static_cast<float>(v);
      }
    csr = std::make_unique<CsrIntegrator>(setup);
    ref = std::make_unique<ReferenceIntegrator>(setup);
  }
};

Fixture& fixture() {
  static Fixture f;
  return f;
}

template <class T>
const std::vector<T>& frames(const Fixture& f);
template <>
const std::vector<uint16_t>& frames(const Fixture& f) {
  return f.u16;
}
template <>
const std::vector<float>& frames(const Fixture& f) {
  return f.f32;
}

/// Threads: 0 = all (OpenMP default), else the given count.
struct ThreadScope {
  int saved;
  explicit ThreadScope(int n) : saved(omp_get_max_threads()) {
    if (n > 0) omp_set_num_threads(n);
  }
  ~ThreadScope() { omp_set_num_threads(saved); }
};

template <class T>
void BM_CsrSingle(benchmark::State& state) {
  Fixture& f = fixture();
  ThreadScope ts(static_cast<int>(state.range(0)));
  const size_t np = f.setup.geometry.n_pixels();
  std::vector<double> out(f.csr->n_bins());
  size_t k = 0;
  for (auto _ : state) {
    f.csr->sums(FrameBatch::of(frames<T>(f).data() + (k++ % kBatch) * np, 1, np), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  state.counters["threads"] = omp_get_max_threads();
  state.counters["nnz"] = static_cast<double>(f.csr->matrix().nnz());
}

template <class T>
void BM_CsrBatch(benchmark::State& state) {
  Fixture& f = fixture();
  ThreadScope ts(static_cast<int>(state.range(0)));
  const size_t np = f.setup.geometry.n_pixels();
  std::vector<double> out(kBatch * f.csr->n_bins());
  for (auto _ : state) {
    f.csr->sums(FrameBatch::of(frames<T>(f).data(), kBatch, np), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * kBatch));
  state.counters["threads"] = omp_get_max_threads();
}

void BM_Reference(benchmark::State& state) {
  Fixture& f = fixture();
  const size_t np = f.setup.geometry.n_pixels();
  std::vector<double> out(f.ref->n_bins());
  for (auto _ : state) {
    f.ref->sums(FrameBatch::of(f.u16.data(), 1, np), out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}

void BM_CsrBuild(benchmark::State& state) {
  Fixture& f = fixture();
  ThreadScope ts(static_cast<int>(state.range(0)));
  for (auto _ : state) {
    CsrIntegrator c(f.setup);
    benchmark::DoNotOptimize(c.matrix().nnz());
  }
  state.counters["threads"] = omp_get_max_threads();
}

}  // namespace

BENCHMARK_TEMPLATE(BM_CsrSingle, uint16_t)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_CsrSingle, float)->Arg(1)->Arg(0)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_CsrBatch, uint16_t)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_TEMPLATE(BM_CsrBatch, float)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_Reference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_CsrBuild)->Arg(1)->Arg(0)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
