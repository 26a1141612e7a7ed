// The beam-damage model: the exposure-averaged damaged fraction against numerical integration of the
// first-order kinetics; the pair smearing on an ideal fcc crystal (bonds below r_intact untouched, pair
// counts between shells conserved, a smeared shell's variance = σ² + dr²/12, the pair sum damped by the
// analytic Debye–Waller form exp(−2π²σ²s²)); the fast-model source's phase parts; bad input.
#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "fixtures/fast_model_setup.hpp"
#include "fixtures/lattices.hpp"
#include "fixtures/error_message.hpp"
#include "sedpdf/simulate/damage.hpp"
#include "sedpdf/simulate/electron_optics.hpp"

using namespace sedpdf;
using namespace sedpdf::test_fixtures;

TEST(Damage, ExposureAveragedFractionMatchesQuadrature) {
  DamageModel m;
  m.critical_dose = 37.0;
  for (const auto& [a, b] : std::vector<std::pair<double, double>>{{0, 10}, {10, 20}, {0, 20}, {5, 200}, {0, 1e-3}}) {
    // Simpson's rule on f(D) = 1 − exp(−D/D_c), 2000 intervals.
    const int n = 2000;
    const double h = (b - a) / n;
    double sum = 0;
    for (int i = 0; i <= n; ++i) {
      const double w = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
      sum += w * (1 - std::exp(-(a + i * h) / m.critical_dose));
    }
    const double quad = sum * h / 3 / (b - a);
    EXPECT_NEAR(damaged_fraction(m, a, b), quad, 1e-12 + 1e-10 * quad) << a << " " << b;
  }
  // A zero-length interval: the fraction at that dose; no damage without a critical dose.
  EXPECT_NEAR(damaged_fraction(m, 20, 20), 1 - std::exp(-20 / 37.0), 1e-15);
  EXPECT_EQ(damaged_fraction(DamageModel{}, 0, 1e6), 0.0);
  // The two scans of 003 at D_c = 37: scan 2 sees more damage than scan 1, the cumulative scan in between.
  const double f1 = damaged_fraction(m, 0, 10), f2 = damaged_fraction(m, 10, 20), fc = damaged_fraction(m, 0, 20);
  EXPECT_LT(f1, fc);
  EXPECT_LT(fc, f2);
  EXPECT_NEAR(fc, 0.5 * (f1 + f2), 1e-15);  // the average over [0, 20] is the mean of the two halves
  // The column weights of the two states: intact 1 − f̄, damaged f̄ (1 − mass loss).
  m.mass_loss = 0.25;
  const StateWeights w = state_weights(m, 10, 20);
  EXPECT_DOUBLE_EQ(w.damaged_fraction, f2);
  EXPECT_DOUBLE_EQ(w.intact, 1 - f2);
  EXPECT_DOUBLE_EQ(w.damaged, 0.75 * f2);
  EXPECT_NE(invalid_argument_message([&] { (void)damaged_fraction(m, 10, 5); }).find("[10, 5]"), std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { (void)damaged_fraction(m, -1, 5); }).find("[-1, 5]"), std::string::npos);
}

TEST(Damage, SmearingKeepsBondsAndConservesPairs) {
  // Ideal fcc, a = 3.6 Å: shells at 2.546, 3.600, 4.409, 5.091 Å (12, 6, 24, 12 neighbours).
  const Structure s = fcc(3.6, 4, 0.0, 1);
  PartialPdfOptions o;
  o.r_max = 7.0;
  const PartialPdfs p = compute_partial_pdfs(s, o);
  const double sigma = 0.03, r_intact = 3.0;
  const PartialPdfs q = smear_pairs_beyond(p, sigma, r_intact);
  // Below r_intact (beyond the reach of the smeared shells' tails) nothing changes.
  for (size_t k = 0; k < p.r.size(); ++k)
    if (p.r[k] < r_intact - 0.3) {
      EXPECT_NEAR(q.g[0][k], p.g[0][k], 1e-12 * std::fabs(p.g[0][k])) << p.r[k];
    }
  // Coordination numbers in the gaps between shells are conserved (the tails do not reach the gaps' middles).
  const std::vector<double> n0 = p.running_coordination(0, 0), n1 = q.running_coordination(0, 0);
  for (double r : {3.0, 4.0, 4.75}) {
    const auto k = static_cast<size_t>(r / p.dr);
    EXPECT_NEAR(n1[k], n0[k], 1e-9 * n0[k]) << r;
  }
  EXPECT_NEAR(n0[static_cast<size_t>(4.0 / p.dr)], 18.0, 1e-9);
  // The 3.6 Å shell's variance grows by σ² + dr²/12 (the bin-integrated kernel, Sheppard); the shell itself
  // straddles the bin edge at 3.600 (rounding puts its pairs in both neighbouring bins).
  auto moments = [&](const std::vector<double>& c) {
    double w = 0, m1 = 0, m2 = 0;
    for (size_t k = 0; k < p.r.size(); ++k)
      if (std::fabs(p.r[k] - 3.6) < 0.3) {
        w += c[k];
        m1 += c[k] * p.r[k];
      }
    m1 /= w;
    for (size_t k = 0; k < p.r.size(); ++k)
      if (std::fabs(p.r[k] - 3.6) < 0.3) m2 += c[k] * (p.r[k] - m1) * (p.r[k] - m1);
    return std::array<double, 3>{w, m1, m2 / w};
  };
  const auto before = moments(p.pair_counts[0]), after = moments(q.pair_counts[0]);
  EXPECT_NEAR(after[0], before[0], 1e-9 * before[0]);  // pairs conserved
  EXPECT_NEAR(after[1], before[1], 1e-9);              // mean distance kept
  EXPECT_NEAR(after[2] - before[2], sigma * sigma + p.dr * p.dr / 12, 0.005 * sigma * sigma);
  // σ = 0 is the identity; clusters and bad values are refused.
  EXPECT_EQ(smear_pairs_beyond(p, 0, 1).g, p.g);
  EXPECT_NE(invalid_argument_message([&] { (void)smear_pairs_beyond(p, -0.1, 1); }).find("sigma = -0.1"), std::string::npos);
  PartialPdfs c = p;
  c.periodic = false;
  EXPECT_NE(invalid_argument_message([&] { (void)smear_pairs_beyond(c, 0.1, 1); }).find("periodic models only"), std::string::npos);
}

TEST(Damage, SmearingDampsThePairSumLikeADebyeWallerFactor) {
  // Every shell of ideal fcc (a = 3.6 Å) smeared by σ = 0.05 Å: the pair sum T(s) = Σ_k P_k sin(2πs r_k)/(2πs r_k)
  // over the shells to 5.7 Å becomes e^{−2π²σ²s²} T(s), up to terms of order σ²Q/r — the analytic
  // form of a Gaussian smearing (⟨sin Q(r+ε)⟩ = e^{−Q²σ²/2} sin Qr), independent of the bin arithmetic.
  const Structure s = fcc(3.6, 4, 0.0, 1);
  PartialPdfOptions o;
  o.r_max = 7.0;
  const PartialPdfs p = compute_partial_pdfs(s, o);
  const double sigma = 0.05;
  const PartialPdfs q = smear_pairs_beyond(p, sigma, 2.0);
  double worst = 0, effect = 0, scale = 0;
  for (double x = 0.5; x <= 3.0 + 1e-9; x += 0.01) {
    const double Q = 2 * M_PI * x;
    double t0 = 0, t1 = 0;
    for (size_t k = 0; k < p.r.size() && p.r[k] < 5.96; ++k) {  // 5.96: midway to the 6.235 Å shell (5.4 σ)
      const double sinc = std::sin(Q * p.r[k]) / (Q * p.r[k]);
      t0 += p.pair_counts[0][k] * sinc;
      t1 += q.pair_counts[0][k] * sinc;
    }
    const double dw = std::exp(-Q * Q * sigma * sigma / 2);
    worst = std::max(worst, std::fabs(t1 - dw * t0));
    effect = std::max(effect, std::fabs(t1 - t0));
    scale = std::max(scale, std::fabs(t0));
  }
  std::printf("[damage] pair sum vs Debye-Waller form: max |diff| %.4g, the smearing's effect %.4g, max |T| %.4g\n",
              worst, effect, scale);
  EXPECT_LT(worst, 0.01 * scale);
  EXPECT_GT(effect, 10 * worst);  // the smearing's own effect is resolved (e^{-0.44} = 0.64 at 3 Å⁻¹)
}

TEST(Damage, PhasePartsShareTheColumn) {
  // Phase 0 ("oxide") shared 0.7 : 0.2 between materials 0 and 1 (a damaged state that lost mass); phase 1
  // all in material 1.
  const SpecimenSpec spec = two_phase_spec(200, 300);
  const Specimen sp(spec);
  const FastModel fm(fast_test_materials(), fast_test_params(), DetectorModel(fast_test_detector(), electron_wavelength(200e3)));
  ScanSpec scan;
  scan.nx = 4;
  scan.ny = 1;
  scan.x0_A = 25;
  scan.y0_A = 100;
  scan.step_A = 50;  // x = 25, 75 (oxide), 125, 175 (zinc)
  FastPatternSource src(fm, sp, scan, std::vector<FastPatternSource::PhaseParts>{{{0, 0.7}, {1, 0.2}}, {{1, 1.0}}}, -1,
                        5.0, 1);
  EXPECT_NEAR(src.thickness(0, 0)[0], 0.7 * 300, 1e-9);
  EXPECT_NEAR(src.thickness(0, 0)[1], 0.2 * 300, 1e-9);
  EXPECT_NEAR(src.thickness(0, 3)[0], 0.0, 1e-9);
  EXPECT_NEAR(src.thickness(0, 3)[1], 300, 1e-9);
  EXPECT_NE(invalid_argument_message([&] {
              FastPatternSource bad(fm, sp, scan, std::vector<FastPatternSource::PhaseParts>{{{0, -0.1}}, {{1, 1.0}}}, -1,
                                    5.0, 1);
            }).find("weight -0.1"),
            std::string::npos);
  // DamageModel::check names the field.
  DamageModel d;
  d.critical_dose = 0;
  EXPECT_NE(invalid_argument_message([&] { d.check("agZIF62"); }).find("agZIF62: damage critical_dose = 0"), std::string::npos);
  d = DamageModel{};
  d.mass_loss = 1;
  EXPECT_NE(invalid_argument_message([&] { d.check("glass"); }).find("mass_loss = 1"), std::string::npos);
}
