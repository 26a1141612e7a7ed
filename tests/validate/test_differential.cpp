// The differential method of 000 and the ZIF-zni detection limit.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "fixtures/random_packing.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/differential.hpp"
#include "sedpdf/validate/peaks.hpp"

using namespace sedpdf;

namespace {
std::string zni_path() { return std::string(SEDPDF_REPO_DATA) + "/structures/ZIF-zni_DFT_Widmer2019.cif"; }
std::vector<double> s_grid_q(double q0, double q1, double dq) { return uniform_grid(q0 / (2 * kPi), q1 / (2 * kPi), dq / (2 * kPi)); }
}  // namespace

TEST(Differential, BraggQFromCell) {
  const Cell cubic = Cell::orthorhombic(5.0, 5.0, 5.0);
  EXPECT_NEAR(bragg_q(cubic, 1, 1, 1), 2 * kPi * std::sqrt(3.0) / 5.0, 1e-12);
  const Cell hex = Cell::from_parameters(3.0, 3.0, 5.0, 90, 90, 120);
  // hexagonal: 1/d² = 4(h² + hk + k²)/(3a²) + l²/c²
  EXPECT_NEAR(bragg_q(hex, 1, 1, 2), 2 * kPi * std::sqrt(4.0 * 3 / (3 * 9.0) + 4 / 25.0), 1e-12);
  EXPECT_THROW(bragg_q(cubic, 0, 0, 0), std::invalid_argument);
  // ZIF-zni (I4₁cd, a = 23.433, c = 12.491 Å): {400} and {112} both near Q = 1.07 Å⁻¹ (15.1° 2θ, Cu Kα)
  const Structure zni = read_structure(zni_path());
  const auto p = zni.cell.parameters();
  EXPECT_NEAR(bragg_q(zni.cell, 4, 0, 0), 2 * kPi * 4 / p[0], 1e-5);
  EXPECT_NEAR(bragg_q(zni.cell, 1, 1, 2), 2 * kPi * std::sqrt(1 / (p[0] * p[0]) + 1 / (p[1] * p[1]) + 4 / (p[2] * p[2])), 1e-5);
  EXPECT_NEAR(bragg_q(zni.cell, 4, 0, 0), 1.0725, 1e-3);
  EXPECT_NEAR(bragg_q(zni.cell, 1, 1, 2), 1.0751, 1e-3);
  EXPECT_NEAR(2 * std::asin(1.5418 * bragg_q(zni.cell, 4, 0, 0) / (4 * kPi)) * 180 / kPi, 15.1, 0.1);
}

TEST(Differential, WeightsAgreeWithMixtureIntensity) {
  // S_mix from the weights against I/N = Σ x_i [<f²>_i + <f>_i²(S_i − 1)] normalised by the mixture's <f>, <f²>.
  const std::vector<double> s = s_grid_q(0.4, 22, 0.1);
  std::vector<MixturePhase> ph(2);
  ph[0].name = "zif";
  ph[0].composition = Composition::parse("Zn1C6.5H6.25N4");
  ph[0].mass_fraction = 0.5;
  ph[1].name = "phosphate";
  ph[1].composition = Composition::parse("Na1.206P1.340Al0.825O4.448F1.485");
  ph[1].mass_fraction = 0.5;
  for (auto& p : ph)
    for (double v : s) p.S.push_back(1 + 0.3 * std::sin(7 * v + static_cast<double>(p.name.size())) * std::exp(-v));
  // atom fractions by hand
  const double M0 = mean_atomic_mass(ph[0].composition), M1 = mean_atomic_mass(ph[1].composition);
  const auto x = atom_fractions(ph);
  EXPECT_NEAR(x[0], (0.5 / M0) / (0.5 / M0 + 0.5 / M1), 1e-14);
  EXPECT_NEAR(M1, 20.515, 0.01);  // BRIEF: phosphate mean mass 20.515 g/mol
  const XrayFactors xf;
  const Composition mix = mixture_composition(ph);
  const auto S = mixture_structure_factor(ph, s, xf);
  for (size_t j = 0; j < s.size(); ++j) {
    double I = 0;
    for (size_t i = 0; i < 2; ++i) {
      const FAverages a = composition_averages(xf, ph[i].composition, s[j]);
      I += x[i] * (a.f2_mean + a.f_mean * a.f_mean * (ph[i].S[j] - 1));
    }
    const FAverages m = composition_averages(xf, mix, s[j]);
    EXPECT_NEAR(S[j], 1 + (I - m.f2_mean) / (m.f_mean * m.f_mean), 1e-12);
  }
  // constant weightings sum to 1; S_diff of the mixture itself is 0
  for (auto w : {DifferentialWeighting::AtomFraction, DifferentialWeighting::MassFraction, DifferentialWeighting::FaberZiman}) {
    const auto d = differential_structure_factor(mixture_structure_factor(ph, s, xf, w), ph, s, xf, w);
    for (double v : d) EXPECT_NEAR(v, 0.0, 1e-14);
  }
  const auto wm = mixture_weights(ph, s, xf, DifferentialWeighting::MassFraction);
  EXPECT_DOUBLE_EQ(wm[0][3] + wm[1][3], 1.0);
  // per atom the H-rich ZIF scatters X-rays less than the phosphate (<Z> 5.8 vs 10.0 e at s = 0), so its
  // Faber–Ziman weight is below its atom fraction: w = x<f>²/(Σ x<f>)² by hand with f = Z
  const auto wf = mixture_weights(ph, s, xf);
  EXPECT_LT(wf[0][0], x[0]);
  const double z0 = (30 + 6.5 * 6 + 6.25 + 4 * 7) / 17.75, z1 = (1.206 * 11 + 1.34 * 15 + 0.825 * 13 + 4.448 * 8 + 1.485 * 9) / 9.304;
  EXPECT_NEAR(wf[0][0], x[0] * z0 * z0 / std::pow(x[0] * z0 + x[1] * z1, 2), 0.02);
  EXPECT_EQ(parse_differential_weighting("Atom"), DifferentialWeighting::AtomFraction);
  EXPECT_THROW(parse_differential_weighting("volume"), std::invalid_argument);
}

TEST(Differential, CrystalliteBraggPeakPositionAndScherrerWidth) {
  // simple cubic, a = 3 Å, one Si per cell: (100) at Q = 2π/3; width ∝ 1/D
  Structure sc;
  sc.cell = Cell::orthorhombic(3, 3, 3);
  Atom si;
  si.element = Element::parse("Si");
  si.pos = Position(0, 0, 0);
  sc.atoms.push_back(si);
  const std::vector<double> s = s_grid_q(1.5, 2.7, 0.002);
  const XrayFactors xf;
  std::vector<double> fwhm;
  for (double D : {30.0, 60.0}) {
    CrystalliteOptions o;
    o.diameter = D;
    o.b_iso = 0.5;
    const auto S = crystallite_structure_factor(sc, xf, s, o);
    std::vector<double> q;
    for (double v : s) q.push_back(2 * kPi * v);
    PeakOptions po;
    po.min_prominence = 1;
    po.baseline = 1;
    const auto peaks = find_peaks(q, S, po);
    ASSERT_EQ(peaks.size(), 1u) << "D = " << D;
    EXPECT_NEAR(peaks[0].position, 2 * kPi / 3, 0.005 * 2 * kPi / 3);
    fwhm.push_back(peaks[0].fwhm);
  }
  EXPECT_NEAR(fwhm[0] / fwhm[1], 2.0, 0.2);
  // Scherrer: FWHM in Q ≈ 2π·K/D with K ≈ 1.1 for a sphere (order-of-magnitude check)
  EXPECT_NEAR(fwhm[1], 2 * kPi * 1.1 / 60.0, 0.05);
}

TEST(Differential, ZniDetectionLimit) {
  const Structure zni = read_structure(zni_path());
  const std::vector<double> s = s_grid_q(0.6, 1.6, 0.01);
  const XrayFactors xf;
  CrystalliteOptions co;
  co.diameter = 50;
  MixturePhase crystal;
  crystal.name = "ZIF-zni";
  crystal.composition = Composition::of(zni);
  crystal.S = crystallite_structure_factor(zni, xf, s, co);
  // {400}/{112} region is a strong Bragg feature of the crystallite
  const double q400 = bragg_q(zni.cell, 4, 0, 0);
  DetectionOptions dopt;
  EXPECT_GT(bragg_amplitude(s, crystal.S, q400, dopt), 0.5);
  // the two glasses: stand-ins with the right compositions (smooth S(Q) from random packings)
  const Structure g1 = test_fixtures::random_packing(20.0, {{"Zn", 20, 1.3}, {"N", 80, 0.7}, {"C", 130, 0.7}, {"H", 125, 0.4}}, 9);
  const Structure g2 = test_fixtures::random_packing(20.0, {{"Na", 60, 1.0}, {"P", 66, 0.8}, {"Al", 41, 0.8}, {"O", 222, 0.65}, {"F", 74, 0.65}}, 10);
  std::vector<MixturePhase> refs(2);
  PartialPdfOptions po;
  po.r_max = 9.9;
  refs[0].name = "agZIF-62 stand-in";
  refs[0].composition = Composition::of(g1);
  refs[0].mass_fraction = 0.5;
  refs[0].S = total_scattering(compute_partial_pdfs(g1, po), xf, s, true).S;
  refs[1].name = "phosphate stand-in";
  refs[1].composition = Composition::of(g2);
  refs[1].mass_fraction = 0.5;
  refs[1].S = total_scattering(compute_partial_pdfs(g2, po), xf, s, true).S;

  const DetectionResult det = crystalline_detection_limit(refs, 0, crystal, zni.cell, s, xf, dopt);
  ASSERT_EQ(det.reflections.size(), 2u);
  EXPECT_GT(det.min_fraction, 0.0);
  EXPECT_LT(det.min_fraction, 0.2);
  const ReflectionSignal& r = det.reflections[0];
  EXPECT_NEAR(r.q, q400, 1e-12);
  // at the limit the amplitude equals k σ (bisection), and the signal is linear in f for small f
  const auto sdiff = [&](double f) {
    return differential_structure_factor(composite_with_crystal(refs, 0, crystal, f, s, xf), refs, s, xf);
  };
  EXPECT_NEAR(bragg_amplitude(s, sdiff(r.min_fraction), r.q, dopt), dopt.k_sigma * r.noise, 1e-3 * dopt.k_sigma * r.noise);
  const double a1 = bragg_amplitude(s, sdiff(0.01), r.q, dopt), a2 = bragg_amplitude(s, sdiff(0.02), r.q, dopt);
  EXPECT_NEAR(a2 / a1, 2.0, 0.05);
  for (double v : sdiff(0.0)) EXPECT_NEAR(v, 0.0, 1e-13);
  // Monte Carlo of the noise model: at 2× the limit nearly always detected, at 0 nearly never
  std::mt19937_64 rng(8);
  std::normal_distribution<double> n(0, dopt.sigma_S);
  int hits_signal = 0, hits_null = 0;
  const int trials = 40;
  for (int t = 0; t < trials; ++t)
    for (double f : {0.0, 2 * r.min_fraction}) {
      auto comp = composite_with_crystal(refs, 0, crystal, f, s, xf);
      auto noisy = refs;
      for (double& v : comp) v += n(rng);
      for (auto& ph : noisy)
        for (double& v : ph.S) v += n(rng);
      const auto d = differential_structure_factor(comp, noisy, s, xf);
      const bool hit = bragg_amplitude(s, d, r.q, dopt) >= dopt.k_sigma * r.noise;
      (f > 0 ? hits_signal : hits_null) += hit;
    }
  EXPECT_GE(hits_signal, trials - 2);
  EXPECT_LE(hits_null, 3);
}

TEST(Differential, StudyFromStructures) {
  const Structure zni = read_structure(zni_path());
  const Structure g1 = test_fixtures::random_packing(16.0, {{"Zn", 10, 1.3}, {"N", 40, 0.7}, {"C", 60, 0.7}, {"H", 60, 0.4}}, 12);
  const Structure g2 = test_fixtures::random_packing(16.0, {{"Na", 30, 1.0}, {"P", 33, 0.8}, {"O", 110, 0.65}}, 13);
  ZniStudyOptions o;
  o.q_min = 0.6;
  o.q_max = 2.0;
  o.glass_partials.r_max = 7.9;
  o.crystallite.diameter = 30;
  const ZniStudy st = run_zni_differential_study(g1, g2, zni, o);
  ASSERT_EQ(st.S_diff.size(), o.example_fractions.size());
  EXPECT_EQ(st.q.size(), st.s.size());
  EXPECT_NEAR(st.q.front(), 0.6, 1e-9);
  const XrayFactors xf;
  const DetectionResult d = crystalline_detection_limit(st.references, 0, st.crystal, zni.cell, st.s, xf, o.detection);
  EXPECT_DOUBLE_EQ(st.detection.min_fraction, d.min_fraction);
  // S_diff grows with the crystalline fraction at the reflection
  const double q = st.detection.reflections[0].q;
  EXPECT_LT(bragg_amplitude(st.s, st.S_diff[0], q, o.detection), bragg_amplitude(st.s, st.S_diff[1], q, o.detection));
  EXPECT_NE(st.notes.find("faber-ziman"), std::string::npos);
  o.q_min = 0;
  EXPECT_THROW(run_zni_differential_study(g1, g2, zni, o), std::invalid_argument);
}
