// Benchmark of the 1-D reduction chain (reduce/chain.hpp): one azimuthal profile of 256 bins
// (s = 0.011·k Å⁻¹, k = 1 … 256, the 003 detector step) → G(r) on 0.5 … 20 Å, step 0.01 Å (1951 points),
// 003 defaults (fit 2.0–2.8 Å⁻¹, Mu2013, exp:0.6, s_min 0.18, s_max 2.5, resampled at 0.001 Å⁻¹).
// Cases: the plan (precomputation, once per scan), one pattern through a plan (the per-pixel cost), the
// same with variance propagation, a one-off reduce_profile, and for the ratio the transform alone:
// the foundation's sine transform of one φ on the 2501-point resampled grid, and the plan's matrix apply;
// and the peak-position error bars of the study (validate/peaks.hpp propagated_peak_sigmas: 2 reductions per
// bin on the study's short plan, 0.8–8.4 Å without σ(G)) against one reduction through that plan.
#include <benchmark/benchmark.h>

#include <cmath>
#include <vector>

#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/validate/peaks.hpp"

using namespace sedpdf;

namespace {

struct Setup {
  std::vector<double> s, I, var;
  ReductionParams p;
  Setup() {
    p.composition = Composition::parse("ZnC6H6N4");  // a_gZIF-4, Zn(Im)₂
    for (int k = 1; k <= 256; ++k) s.push_back(0.011 * k);
    const FactorCurves fc = factor_curves(LobatoFactors(), p.composition, s);
    const double N = 2e4, C = 1.0;
    for (size_t i = 0; i < s.size(); ++i) {
      const double sm1 = 0.5 * std::exp(-0.5 * s[i] * s[i]) * std::sin(2 * kPi * 2.0 * s[i]) / (2 * kPi * s[i]);
      I.push_back(N * fc.f2_mean[i] + N * fc.f_mean[i] * fc.f_mean[i] * sm1 + C);
    }
    var = I;
  }
};

const Setup& setup() {
  static const Setup s;
  return s;
}

void BM_ChainPlanBuild(benchmark::State& state) {
  const Setup& su = setup();
  for (auto _ : state) {
    ChainPlan plan(su.s, su.p);
    benchmark::DoNotOptimize(plan.transform().row(0));
  }
}

void BM_ChainReducePattern(benchmark::State& state) {
  const Setup& su = setup();
  const ChainPlan plan(su.s, su.p);
  for (auto _ : state) {
    ReducedProfile r = plan.reduce(su.I);
    benchmark::DoNotOptimize(r.G.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ChainReducePatternWithSigma(benchmark::State& state) {
  const Setup& su = setup();
  const ChainPlan plan(su.s, su.p);
  for (auto _ : state) {
    ReducedProfile r = plan.reduce(su.I, &su.var);
    benchmark::DoNotOptimize(r.G_sigma.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ReduceProfileOneOff(benchmark::State& state) {
  const Setup& su = setup();
  for (auto _ : state) {
    ReducedProfile r = reduce_profile(su.s, su.I, nullptr, su.p);
    benchmark::DoNotOptimize(r.G.data());
  }
}

void BM_TransformOnlyFoundation(benchmark::State& state) {
  // One φ on the resampled grid (0 … 2.5 step 0.001: 2501 nodes) → 1951 r, the default (recurrence) kernel.
  const Setup& su = setup();
  const PhiTransform tr(su.s, su.p);
  std::vector<double> y(tr.node_count(), 0.01);
  const auto [fs, fv] = tr.resampled(y);
  for (auto _ : state) {
    std::vector<double> G = sine_transform_s_to_r(fs, fv, tr.r(), su.p.damping, su.p.s_max);
    benchmark::DoNotOptimize(G.data());
  }
}

void BM_TransformOnlyMatrix(benchmark::State& state) {
  const Setup& su = setup();
  const PhiTransform tr(su.s, su.p);
  std::vector<double> y(tr.node_count(), 0.01);
  for (auto _ : state) {
    std::vector<double> G = tr.apply(y);
    benchmark::DoNotOptimize(G.data());
  }
}

/// The study's plan for the derivatives of peak positions (validate/src/study.cpp peak_position_sigmas).
ReductionParams short_params() {
  ReductionParams p = setup().p;
  p.propagate_variance = false;
  p.r_min = 0.8;
  p.r_max = 8.4;
  return p;
}

void BM_ChainReduceShortRange(benchmark::State& state) {
  const Setup& su = setup();
  const ChainPlan plan(su.s, short_params());
  for (auto _ : state) {
    ReducedProfile r = plan.reduce(su.I, &su.var);
    benchmark::DoNotOptimize(r.G.data());
  }
}

void BM_PeakSigmaPropagation(benchmark::State& state) {
  // σ of the position of the synthetic profile's 2 Å peak, every bin's variance propagated.
  const Setup& su = setup();
  const ChainPlan plan(su.s, short_params());
  const std::vector<double> r = plan.reduce(su.I, &su.var).r;
  auto reduce = [&](const std::vector<double>& I) { return plan.reduce(I, &su.var).G; };
  for (auto _ : state) {
    std::vector<double> sg = propagated_peak_sigmas(reduce, r, su.I, su.var, {2.0});
    benchmark::DoNotOptimize(sg.data());
  }
}

}  // namespace

// Plural deconvolution (reduce/plural.hpp) on the same model profile, on bins from s = 0 ((k + ½)·0.011 Å⁻¹,
// k = 0 … 255) with an unscattered disc of 0.024 Å⁻¹ (0.6 mrad at 200 kV) holding 60 % of the counts: its plan,
// one apply, and one pattern through the chain with and without it (the ratio is the per-pixel price).
struct PluralSetup {
  std::vector<double> s, I;
  ReductionParams p, p_plural;
  PluralSetup() {
    p.composition = Composition::parse("ZnC6H6N4");
    for (int k = 0; k < 256; ++k) s.push_back(0.011 * (k + 0.5));
    const FactorCurves fc = factor_curves(LobatoFactors(), p.composition, s);
    const double N = 2e4, C = 1.0;
    double scattered = 0;
    for (size_t i = 0; i < s.size(); ++i) {
      const double sm1 = 0.5 * std::exp(-0.5 * s[i] * s[i]) * std::sin(2 * kPi * 2.0 * s[i]) / (2 * kPi * s[i]);
      I.push_back(N * fc.f2_mean[i] + N * fc.f_mean[i] * fc.f_mean[i] * sm1 + C);
      scattered += I.back() * 2 * kPi * s[i] * 0.011;
    }
    const double disc = 1.5 * scattered / (kPi * 0.024 * 0.024);  // per unit area inside the disc
    I[0] += disc;
    I[1] += disc;
    I[2] += disc * (0.024 * 0.024 - 0.022 * 0.022) / (0.033 * 0.033 - 0.022 * 0.022);
    p_plural = p;
    p_plural.plural_deconvolution = true;
    p_plural.plural.s_alpha = 0.024;
  }
};

const PluralSetup& plural_setup() {
  static const PluralSetup s;
  return s;
}

void BM_PluralPlanBuild(benchmark::State& state) {
  const PluralSetup& su = plural_setup();
  for (auto _ : state) {
    PluralPlan plan(su.s, su.p_plural.plural);
    benchmark::DoNotOptimize(plan.s().data());
  }
}

void BM_PluralApply(benchmark::State& state) {
  const PluralSetup& su = plural_setup();
  const PluralPlan plan(su.s, su.p_plural.plural);
  for (auto _ : state) {
    PluralResult r = plan.apply(su.I);
    benchmark::DoNotOptimize(r.I_single.data());
  }
  state.SetItemsProcessed(state.iterations());
}

void BM_ChainReduceFromZero(benchmark::State& state) {
  const PluralSetup& su = plural_setup();
  const ChainPlan plan(su.s, state.range(0) ? su.p_plural : su.p);
  for (auto _ : state) {
    ReducedProfile r = plan.reduce(su.I);
    benchmark::DoNotOptimize(r.G.data());
  }
  state.SetItemsProcessed(state.iterations());
}

BENCHMARK(BM_ChainPlanBuild)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_ChainReducePattern)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ChainReducePatternWithSigma)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ReduceProfileOneOff)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TransformOnlyFoundation)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_TransformOnlyMatrix)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ChainReduceShortRange)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_PeakSigmaPropagation)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PluralPlanBuild)->Unit(benchmark::kMillisecond)->UseRealTime();
BENCHMARK(BM_PluralApply)->Unit(benchmark::kMicrosecond)->UseRealTime();
BENCHMARK(BM_ChainReduceFromZero)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond)->UseRealTime();

BENCHMARK_MAIN();
