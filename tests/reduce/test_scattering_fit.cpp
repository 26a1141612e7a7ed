// Tests of the background fit N⟨f²⟩ + C and of φ(s) (Laulainen et al., Nanoscale 2022, eqs. 1/4) on
// synthetic profiles built from the Faber–Ziman form I/N = ⟨f²⟩ + ⟨f⟩²[S − 1] with known N, C, S.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>

#include "sedpdf/reduce/scattering_fit.hpp"
#include "fixtures/error_message.hpp"

using namespace sedpdf;
using sedpdf::test_fixtures::invalid_argument_message;

namespace {

constexpr double kTwoPi = 6.283185307179586;

/// Detector-like grid of 003: Δs = 0.011 Å⁻¹ up to s_max ≈ 2.8 Å⁻¹ (s = 0 left out).
std::vector<double> detector_grid() {
  std::vector<double> s;
  for (int i = 1; i <= 255; ++i) s.push_back(0.011 * i);
  return s;
}

/// S(s) − 1 = A exp(−s²/2) sin(2π·2.9 s)/(2π s): a damped oscillation (a "shell" at r = 2.9 Å) with
/// near-zero mean at high s. Then φ = s[S − 1] = A exp(−s²/2) sin(2π·2.9 s)/(2π).
double s_minus_1(double s, double A = 1.0) {
  return A * std::exp(-0.5 * s * s) * std::sin(kTwoPi * 2.9 * s) / (kTwoPi * s);
}

struct Synthetic {
  std::vector<double> s, I;
  FactorCurves fc;
};

Synthetic phosphate_profile(double N, double C, double A = 0.5) {
  Synthetic d;
  d.s = detector_grid();
  d.fc = factor_curves(LobatoFactors(), Composition::parse("Na1.206P1.340Al0.825O4.448F1.485"), d.s);
  for (size_t i = 0; i < d.s.size(); ++i) {
    const double fm = d.fc.f_mean[i];
    d.I.push_back(N * d.fc.f2_mean[i] + C + N * fm * fm * s_minus_1(d.s[i], A));
  }
  return d;
}

/// Standard normal deviates by Box–Muller on mt19937_64 (whose output sequence the standard fixes).
struct Gauss {
  std::mt19937_64 rng;
  explicit Gauss(uint64_t seed) : rng(seed) {}
  double operator()() {
    const double u1 = (static_cast<double>(rng() >> 11) + 1.0) * 0x1.0p-53;  // (0, 1]
    const double u2 = static_cast<double>(rng() >> 11) * 0x1.0p-53;          // [0, 1)
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
  }
};


}  // namespace

TEST(ScatteringFit, RecoversNAndCFromSyntheticPhosphateProfile) {
  // Phosphate glass, Lobato factors, A = 0.5 (|S − 1| ≈ 0.25 at the first maximum), C = 5 (≈ 0.4 of
  // N⟨f²⟩ at s_max, a dark/inelastic level as at low dose), fit on the tail 2.0 ≤ s ≤ 2.8 Å⁻¹.
  // Measured: N −0.06 %, C +0.28 %. The residual oscillation biases the fit linearly in A: with A = 1
  // and the window [1.5, 2.8], C = 2 comes out 4 % high (the reason for step 4, Mu et al. 2013).
  const double N = 1000.0, C = 5.0;
  const Synthetic d = phosphate_profile(N, C);
  const BackgroundFit fit = fit_background(d.s, d.I, d.fc.f2_mean, 2.0, 2.8);
  EXPECT_NEAR(fit.N / N, 1.0, 0.005);
  EXPECT_NEAR(fit.C / C, 1.0, 0.005);
  EXPECT_EQ(fit.n_points, 73u);  // 0.011·182 … 0.011·254 (s = 0.011·255 > 2.8)
  EXPECT_GT(fit.rms_residual, 0.0);
  // Without structure (A = 0) the same window gives the exact values.
  const Synthetic d0 = phosphate_profile(N, C, 0.0);
  const BackgroundFit fit0 = fit_background(d0.s, d0.I, d0.fc.f2_mean, 2.0, 2.8);
  EXPECT_NEAR(fit0.N, N, 1e-9 * N);
  EXPECT_NEAR(fit0.C, C, 1e-9);
}

TEST(ScatteringFit, ReducedIntensityIsSTimesSMinusOne) {
  const double N = 1000.0, C = 2.0;
  const Synthetic d = phosphate_profile(N, C, 1.0);
  const std::vector<double> phi = reduced_intensity(d.s, d.I, d.fc.f_mean, d.fc.f2_mean, N, C);
  ASSERT_EQ(phi.size(), d.s.size());
  for (size_t i = 0; i < d.s.size(); ++i) EXPECT_NEAR(phi[i], d.s[i] * s_minus_1(d.s[i]), 1e-12) << i;
}

TEST(ScatteringFit, ExactBackgroundIsRecoveredExactly) {
  // No structure (S = 1): I = N⟨f²⟩ + C exactly, so the fit is exact and its residual and errors vanish.
  const Synthetic d0 = phosphate_profile(1.0, 0.0, 0.0);
  std::vector<double> I;
  for (double f2 : d0.fc.f2_mean) I.push_back(523.0 * f2 + 7.5);
  const BackgroundFit fit = fit_background(d0.s, I, d0.fc.f2_mean, 0.5, 2.8);
  EXPECT_NEAR(fit.N, 523.0, 1e-9);
  EXPECT_NEAR(fit.C, 7.5, 1e-9);
  EXPECT_LT(fit.rms_residual, 1e-10);
  EXPECT_LT(fit.N_err, 1e-8);
}

TEST(ScatteringFit, StandardErrorsMatchMonteCarloScatter) {
  // Gaussian noise σ on an exact background: the spread of the fitted N, C over many noise
  // realisations must match the reported standard errors (fixed seed; 400 trials).
  const Synthetic d0 = phosphate_profile(1.0, 0.0);
  const double N = 800.0, C = 3.0, sigma = 0.2;
  Gauss g(20240611);
  const int trials = 400;
  double sn = 0, sn2 = 0, sc = 0, sc2 = 0, err_n = 0, err_c = 0;
  for (int t = 0; t < trials; ++t) {
    std::vector<double> I;
    for (double f2 : d0.fc.f2_mean) I.push_back(N * f2 + C + sigma * g());
    const BackgroundFit fit = fit_background(d0.s, I, d0.fc.f2_mean, 1.0, 2.8);
    sn += fit.N;
    sn2 += fit.N * fit.N;
    sc += fit.C;
    sc2 += fit.C * fit.C;
    err_n += fit.N_err / trials;
    err_c += fit.C_err / trials;
    EXPECT_NEAR(fit.rms_residual, sigma, 0.3 * sigma);
  }
  const double mn = sn / trials, mc = sc / trials;
  const double sd_n = std::sqrt(sn2 / trials - mn * mn), sd_c = std::sqrt(sc2 / trials - mc * mc);
  EXPECT_NEAR(mn, N, 4 * sd_n / std::sqrt(trials));  // unbiased
  EXPECT_NEAR(mc, C, 4 * sd_c / std::sqrt(trials));
  EXPECT_NEAR(err_n / sd_n, 1.0, 0.15);
  EXPECT_NEAR(err_c / sd_c, 1.0, 0.15);
}

TEST(ScatteringFit, WeightsSelectAndScale) {
  const Synthetic d = phosphate_profile(1000.0, 2.0);
  // Uniform weights give the unweighted fit; zero weights drop points exactly like a narrower window.
  const std::vector<double> ones(d.s.size(), 4.0);
  const BackgroundFit a = fit_background(d.s, d.I, d.fc.f2_mean, 1.5, 2.8);
  const BackgroundFit b = fit_background(d.s, d.I, d.fc.f2_mean, 1.5, 2.8, &ones);
  EXPECT_NEAR(b.N, a.N, 1e-9 * a.N);
  EXPECT_NEAR(b.C, a.C, 1e-9);
  EXPECT_NEAR(b.N_err, a.N_err, 1e-9 * a.N_err);
  std::vector<double> w(d.s.size(), 1.0);
  for (size_t i = 0; i < d.s.size(); ++i)
    if (d.s[i] > 2.2) w[i] = 0.0;
  const BackgroundFit c = fit_background(d.s, d.I, d.fc.f2_mean, 1.5, 2.8, &w);
  const BackgroundFit e = fit_background(d.s, d.I, d.fc.f2_mean, 1.5, 2.2);
  EXPECT_EQ(c.n_points, e.n_points);
  EXPECT_NEAR(c.N, e.N, 1e-9 * e.N);
  EXPECT_NEAR(c.C, e.C, 1e-9);
}

TEST(ScatteringFit, BadInputIsNamed) {
  const Synthetic d = phosphate_profile(1000.0, 2.0);
  // Fewer than 3 points: the window is named.
  EXPECT_NE(invalid_argument_message([&] { fit_background(d.s, d.I, d.fc.f2_mean, 2.7, 2.72); }).find("[2.7, 2.72]"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { fit_background(d.s, d.I, d.fc.f2_mean, 2.8, 1.5); }).find("[2.8, 1.5]"),
            std::string::npos);
  // Singular: ⟨f²⟩ constant over the window.
  const std::vector<double> flat(d.s.size(), 0.3);
  EXPECT_NE(invalid_argument_message([&] { fit_background(d.s, d.I, flat, 1.5, 2.8); }).find("singular"), std::string::npos);
  // NaN inside the window names the index; outside the window it is ignored.
  std::vector<double> I = d.I;
  I[200] = std::nan("");
  EXPECT_NE(invalid_argument_message([&] { fit_background(d.s, I, d.fc.f2_mean, 1.5, 2.8); }).find("I[200]"),
            std::string::npos);
  I[200] = d.I[200];
  I[10] = std::nan("");
  EXPECT_NO_THROW(fit_background(d.s, I, d.fc.f2_mean, 1.5, 2.8));
  std::vector<double> s = d.s;
  s[3] = std::nan("");
  EXPECT_NE(invalid_argument_message([&] { fit_background(s, d.I, d.fc.f2_mean, 1.5, 2.8); }).find("s[3]"), std::string::npos);
  std::vector<double> w(d.s.size(), 1.0);
  w[150] = -1;
  EXPECT_NE(invalid_argument_message([&] { fit_background(d.s, d.I, d.fc.f2_mean, 1.5, 2.8, &w); }).find("weights[150]"),
            std::string::npos);
  const std::vector<double> short_I(d.I.begin(), d.I.end() - 1);
  EXPECT_THROW(fit_background(d.s, short_I, d.fc.f2_mean, 1.5, 2.8), std::invalid_argument);
  EXPECT_THROW(reduced_intensity(d.s, d.I, d.fc.f_mean, d.fc.f2_mean, 0.0, 2.0), std::invalid_argument);
  EXPECT_THROW(reduced_intensity(d.s, short_I, d.fc.f_mean, d.fc.f2_mean, 1.0, 2.0), std::invalid_argument);
}

TEST(ScatteringFit, FactorCurvesMatchCompositionAverages) {
  LobatoFactors lo;
  const Composition c = Composition::parse("ZnC12H10N4");
  const std::vector<double> s = {0.0, 0.5, 1.7};
  const FactorCurves fc = factor_curves(lo, c, s);
  for (size_t i = 0; i < s.size(); ++i) {
    const FAverages a = composition_averages(lo, c, s[i]);
    EXPECT_EQ(fc.f_mean[i], a.f_mean);
    EXPECT_EQ(fc.f2_mean[i], a.f2_mean);
  }
}
