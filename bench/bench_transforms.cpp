// Sine transforms φ(s) → G(r) and the Debye equation.
//  - SineTransform/<kernel>: 11 curves (a total and 10 pair terms, as for a 4-element model), s = 0..2.5 Å⁻¹
//    step 0.001 (2501 nodes), r = 0.5..20 Å step 0.01 (1951 points): RecurrenceSineKernel (default) vs the
//    direct ReferenceSineKernel. items/s = (curve × r) points per second.
//  - Debye/<exact|binned>: I(s) of a 1500-atom cluster cut from a seeded random box (ρ = 0.08 Å⁻³),
//    501 s values 0..2.5 Å⁻¹; binned with 0.001 Å bins. items/s = pairs × s values per second.
// Results: docs/performance.md.
#include <benchmark/benchmark.h>

#include <cmath>
#include <random>

#include "sedpdf/simulate/total_scattering.hpp"

namespace {

using namespace sedpdf;

struct TransformCase {
  std::vector<double> s, r;
  std::vector<std::vector<double>> psi;
};

const TransformCase& transform_case() {
  static const TransformCase c = [] {
    TransformCase t;
    t.s = uniform_grid(0.0, 2.5, 0.001);
    t.r = uniform_grid(0.5, 20.0, 0.01);
    for (int m = 0; m < 11; ++m) {
      std::vector<double> v;
      for (double s : t.s) v.push_back(s * std::exp(-0.3 * s * s) * std::sin(2 * kPi * s * (1.4 + 0.3 * m)));
      t.psi.push_back(v);
    }
    return t;
  }();
  return c;
}

void BM_SineTransform(benchmark::State& state, const SineTransformKernel& kernel) {
  const TransformCase& c = transform_case();
  for (auto _ : state) {
    auto out = kernel.integrate(c.s, c.psi, c.r);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(c.psi.size() * c.r.size()));
}

const Structure& cluster() {
  static const Structure s = [] {
    std::mt19937_64 rng(7);
    const double R = std::cbrt(1500 / 0.08 * 3 / (4 * kPi));
    std::uniform_real_distribution<double> u(-R, R);
    Structure c;
    const int z[3] = {1, 7, 30};
    while (c.atoms.size() < 1500) {
      const Position p(u(rng), u(rng), u(rng));
      if (p.length() > R) continue;
      Atom a;
      a.element = Element::from_z(z[c.atoms.size() % 3]);
      a.pos = p;
      c.atoms.push_back(a);
    }
    return c;
  }();
  return s;
}

void BM_Debye(benchmark::State& state, bool binned) {
  const Structure& c = cluster();
  const auto sf = make_scattering_factors(Radiation::Electron);
  const std::vector<double> s = uniform_grid(0.0, 2.5, 0.005);
  for (auto _ : state) {
    auto I = binned ? debye_intensity_binned(c, *sf, s, 0.001) : debye_intensity(c, *sf, s);
    benchmark::DoNotOptimize(I.data());
  }
  const double pairs = 0.5 * 1500.0 * 1499.0;
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(pairs * static_cast<double>(s.size())));
}

const ReferenceSineKernel kReference;
const RecurrenceSineKernel kRecurrence;

}  // namespace

BENCHMARK_CAPTURE(BM_SineTransform, reference, kReference)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_SineTransform, recurrence, kRecurrence)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Debye, exact, false)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK_CAPTURE(BM_Debye, binned, true)->Unit(benchmark::kMillisecond)->UseRealTime();

BENCHMARK_MAIN();
