// Fast statistical forward model (issue 5): full 512² quad-Medipix3 patterns and azimuthal profiles per
// second at 1 and 2 threads, for the project's default agZIF-62 and phosphate models (data/models), a
// mixed column whose thickness changes with the position (no two positions alike); and one
// mean-inner-potential position with and without the column classes. Numbers in docs/performance.md,
// "Fast model".
#include <benchmark/benchmark.h>
#include <omp.h>

#include <filesystem>
#include <memory>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/structures/io.hpp"

using namespace sedpdf;

namespace {

struct Setup {
  std::unique_ptr<DetectorModel> det;
  std::unique_ptr<FastModel> model;
  double setup_s = 0;
};

/// The project's default agZIF-62 and phosphate models as fast-model materials.
std::vector<FastMaterial> materials() {
  FastMaterial a, b;
  a.name = "agZIF62";
  a.model = read_structure(std::string(SEDPDF_REPO_DATA) + "/models/agZIF62_default.extxyz");
  a.inelastic.plasmon_energy_eV = 22;
  b.name = "phosphate";
  b.model = read_structure(std::string(SEDPDF_REPO_DATA) + "/models/phosphate_default.extxyz");
  b.inelastic.plasmon_energy_eV = 24;
  return {a, b};
}

Setup& setup() {
  static Setup s = [] {
    Setup x;
    DetectorSpec d;  // the 003 200 kV data set: quad Medipix3, 0.011 Å⁻¹/pixel, 10 e⁻/Å², 5.5 nm steps
    x.det = std::make_unique<DetectorModel>(d, electron_wavelength(200e3));
    FastModelParams p;
    const double t0 = omp_get_wtime();
    x.model = std::make_unique<FastModel>(materials(), p, *x.det);
    x.setup_s = omp_get_wtime() - t0;
    return x;
  }();
  return s;
}

std::vector<double> column(size_t k) {
  const double t = 200 + 7.0 * static_cast<double>(k % 113);  // 20 … 98 nm
  const double f = static_cast<double>(k % 17) / 16.0;
  return {t * f, t * (1 - f)};
}

void BM_FastModelSetup(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(setup().model.get());
  state.counters["setup_s"] = setup().setup_s;
}
BENCHMARK(BM_FastModelSetup)->Iterations(1)->Unit(benchmark::kMillisecond);

// Building the model with the continuous inelastic join (Arg 0: the closure tail's Hankel transform on its own
// grid) against the cutoff join (Arg 1), same detector and materials (read once).
void BM_FastModelBuild(benchmark::State& state) {
  static const std::vector<FastMaterial> mats = materials();
  const DetectorModel& det = *setup().det;
  FastModelParams p;
  p.inelastic.join = state.range(0) == 0 ? InelasticJoin::Continuous : InelasticJoin::Cutoff;
  for (auto _ : state) {
    FastModel m(mats, p, det);
    benchmark::DoNotOptimize(&m);
  }
}
BENCHMARK(BM_FastModelBuild)->Arg(0)->Arg(1)->Iterations(2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Full patterns: speckled fraction → expected counts → Poisson counts, positions in parallel.
void BM_FastPattern512(benchmark::State& state) {
  const Setup& s = setup();
  const int threads = static_cast<int>(state.range(0));
  const size_t batch = 32;
  size_t base = 0;
  for (auto _ : state) {
#pragma omp parallel num_threads(threads)
    {
      std::vector<double> f;
      std::vector<float> e;
      std::vector<uint32_t> c;
#pragma omp for schedule(dynamic, 1)
      for (long k = 0; k < static_cast<long>(batch); ++k) {
        const size_t pos = base + static_cast<size_t>(k);
        s.model->pattern(column(pos), 1, pos, f);
        s.det->expected(f, e);
        s.det->count(e, 1, pos, c);
        benchmark::DoNotOptimize(c.data());
      }
    }
    base += batch;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_FastPattern512)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// Profile-only mode: expected counts per radial bin (speckle) and Poisson counts, columns in batches of 16
/// (as run_profile_scan does).
void BM_FastProfile(benchmark::State& state) {
  const Setup& s = setup();
  const int threads = static_cast<int>(state.range(0));
  const size_t batch = 256;
  size_t base = 0;
  for (auto _ : state) {
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long g = 0; g < static_cast<long>(batch / 16); ++g) {
      std::vector<std::vector<double>> ts, e;
      std::vector<uint64_t> pos;
      for (size_t k = 0; k < 16; ++k) {
        pos.push_back(base + static_cast<size_t>(g) * 16 + k);
        ts.push_back(column(pos.back()));
      }
      s.model->profile_expected_batch(ts, 1, pos, e);
      std::vector<uint32_t> c;
      for (size_t k = 0; k < 16; ++k) {
        s.model->profile_counts(e[k], 1, pos[k], c);
        benchmark::DoNotOptimize(c.data());
      }
    }
    base += batch;
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * batch));
}
BENCHMARK(BM_FastProfile)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime();

/// One mean-inner-potential position (model item 4: the beam from the map, the domain envelope; argument 1:
/// also the optional column classes, 4c): beam(map) + the speckled 512² fraction, one thread. The map is what
/// FastPatternSource samples at an interface (4 probe diameters, 420² pixels): 60 nm of agZIF-62 beside 90 nm
/// of the glass, the probe 5 Å off the edge-on interface.
void BM_FastMipPosition(benchmark::State& state) {
  const Setup& s = setup();
  static std::unique_ptr<FastModel> with_classes;
  const FastModel* fm = s.model.get();
  if (state.range(0) == 1) {
    if (!with_classes) {
      FastModelParams p;  // as setup(), plus the classes
      p.column_classes = true;
      with_classes = std::make_unique<FastModel>(materials(), p, *s.det);
    }
    fm = with_classes.get();
  }
  ColumnMap map;
  map.n = 420;
  map.pixel_A = 200.0 / 420;
  map.probe_x_A = 105;
  map.probe_y_A = 100;
  map.t.assign(2, std::vector<double>(map.n * map.n, 0.0));
  for (size_t i = 0; i < map.n; ++i)
    for (size_t j = 0; j < map.n; ++j) {
      if ((static_cast<double>(j) + 0.5) * map.pixel_A < 100) map.t[0][i * map.n + j] = 600;
      else map.t[1][i * map.n + j] = 900;
    }
  uint64_t pos = 0;
  std::vector<double> f;
  size_t classes = 0;
  for (auto _ : state) {
    const BeamDistribution b = fm->beam(map);
    fm->pattern(b, 1, pos++, f);
    classes = b.class_weight.size();
    benchmark::DoNotOptimize(f.data());
  }
  state.counters["classes"] = static_cast<double>(classes);
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
}
BENCHMARK(BM_FastMipPosition)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();
