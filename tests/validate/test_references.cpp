// X-ray / electron reference PDFs and their pair-by-pair decomposition.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

#include "fixtures/random_packing.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/peaks.hpp"
#include "sedpdf/validate/references.hpp"

using namespace sedpdf;

namespace {
ReferenceOptions small_options() {
  ReferenceOptions o;
  o.partials.r_max = 10;
  o.partials.dr = 0.01;
  o.partials.allow_images = true;
  o.xray.r_max = 10;
  o.electron.r_max = 10;
  o.xray.ds = o.electron.ds = 0.002;
  return o;
}
double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::abs(x));
  return m;
}
}  // namespace

TEST(References, PairContributionsSumToTotal) {
  const Structure s = test_fixtures::random_packing(22.0, {{"Cl", 120, 1.5}, {"Na", 120, 1.0}}, 42);
  const PhaseReference ref = compute_phase_reference(s, "NaCl-rsa", small_options());
  for (const PdfResult* p : {&ref.xray, &ref.electron}) {
    ASSERT_EQ(p->G_pair.size(), 3u);
    const double scale = max_abs(p->G);
    for (size_t j = 0; j < p->r.size(); ++j) {
      double sum = 0;
      for (const auto& g : p->G_pair) sum += g[j];
      ASSERT_NEAR(sum, p->G[j], 1e-10 * scale) << "r = " << p->r[j];
    }
  }
  const PairDifferenceExplanation e = explain_xray_electron_difference(ref, {1.5, 10.0});
  double share = 0;
  for (const auto& row : e.rows) share += row.share;
  EXPECT_NEAR(share, 1.0, 1e-10);
  const double dscale = max_abs(e.difference);
  for (size_t j = 0; j < e.r.size(); ++j) {
    double sum = 0;
    for (const auto& d : e.pair_difference) sum += d[j];
    ASSERT_NEAR(sum, e.difference[j], 1e-10 * dscale);
  }
}

TEST(References, PairWeightsMatchHandFormulaForTwoElements) {
  const Structure s = test_fixtures::random_packing(18.0, {{"Cl", 60, 1.4}, {"Na", 100, 1.0}}, 5);
  PartialPdfOptions po;
  po.r_max = 6;
  const PartialPdfs p = compute_partial_pdfs(s, po);
  const double cNa = 100.0 / 160.0, cCl = 60.0 / 160.0;
  const XrayFactors xf;
  const LobatoFactors ef;
  for (double sv : {0.0, 0.5, 1.7}) {
    const auto table = pair_weight_table(p, sv);
    ASSERT_EQ(table.size(), 3u);
    for (int rad = 0; rad < 2; ++rad) {
      const ScatteringFactors& sf = rad == 0 ? static_cast<const ScatteringFactors&>(xf) : ef;
      const double fNa = sf.f(Element::parse("Na"), sv), fCl = sf.f(Element::parse("Cl"), sv);
      const double fm = cNa * fNa + cCl * fCl;
      // <f_a f_b>/<f>^2 with the (2 − δ_ab) multiplicity of unordered pairs
      const double wNaNa = cNa * cNa * fNa * fNa / (fm * fm);
      const double wNaCl = 2 * cNa * cCl * fNa * fCl / (fm * fm);
      const double wClCl = cCl * cCl * fCl * fCl / (fm * fm);
      // elements are sorted by Z: Na (11) first, so pairs are Na-Na, Na-Cl, Cl-Cl
      EXPECT_EQ(table[0].pair, "Na-Na");
      EXPECT_EQ(table[1].pair, "Na-Cl");
      EXPECT_EQ(table[2].pair, "Cl-Cl");
      const double w[3] = {wNaNa, wNaCl, wClCl};
      for (int k = 0; k < 3; ++k)
        EXPECT_NEAR(rad == 0 ? table[static_cast<size_t>(k)].xray : table[static_cast<size_t>(k)].electron, w[k], 1e-12);
    }
  }
  // X-ray at s = 0: f ≈ Z (IT92 fits reproduce Z to < 0.5 %)
  const auto t0 = pair_weight_table(p, 0.0);
  const double zm = cNa * 11 + cCl * 17;
  EXPECT_NEAR(t0[1].xray, 2 * cNa * cCl * 11 * 17 / (zm * zm), 5e-3);
}

TEST(References, ElectronWeighsHydrogenPairsMoreThanXray) {
  // 003 (discussion of Fig. 2): Zn–H correlations relatively stronger and Zn–Zn weaker in the ePDF.
  const Structure zif = read_structure(std::string(SEDPDF_REPO_DATA) + "/structures/ZIF-62_DFT_Widmer2019.extxyz");
  PartialPdfOptions po;
  po.r_max = 7;
  const PartialPdfs p = compute_partial_pdfs(zif, po);
  const auto t = pair_weight_table(p, 0.0);
  double zn_h = 0, zn_zn = 0;
  for (const auto& w : t) {
    if (w.pair == "H-Zn") zn_h = w.ratio;
    if (w.pair == "Zn-Zn") zn_zn = w.ratio;
  }
  // measured at s = 0 (Lobato vs IT92): H-Zn 0.93, Zn-Zn 0.36 — relative to Zn–Zn, Zn–H gains 2.6× in the ePDF
  EXPECT_LT(zn_zn, 0.5);
  EXPECT_GT(zn_h / zn_zn, 2.0);
}

TEST(References, Zif62ReferencesPeakAtZnN) {
  const Structure zif = read_structure(std::string(SEDPDF_REPO_DATA) + "/structures/ZIF-62_DFT_Widmer2019.extxyz");
  ReferenceOptions o = small_options();
  o.partials.r_max = 7;
  o.xray.r_max = o.electron.r_max = 7;
  const PhaseReference ref = compute_phase_reference(zif, "ZIF-62", o);
  // Zn–N at 1.98–2.00 Å (BRIEF): a resolved peak of the X-ray PDF within ±0.05 Å
  PeakOptions po;
  po.window = {1.85, 2.15};
  const auto px = find_peaks(ref.xray.r, ref.xray.G, po);
  ASSERT_FALSE(px.empty());
  const auto top = *std::max_element(px.begin(), px.end(), [](auto& a, auto& b) { return a.height < b.height; });
  EXPECT_NEAR(top.position, 1.99, 0.05);
  const PairDifferenceExplanation e = explain_xray_electron_difference(
      ref, {1.5, 7.0}, first_peak_scale(ref.xray.r, ref.electron.G, ref.xray.G, {1.0, 2.3}));
  double share = 0;
  for (const auto& row : e.rows) share += row.share;
  EXPECT_NEAR(share, 1.0, 1e-10);
  EXPECT_GT(e.rms_difference, 0.0);
}

TEST(References, SameResolutionSingleElementXrayEqualsElectron) {
  // one element: every weight is 1 for both radiations, so at the same s range and damping G_X = G_e
  const Structure s = test_fixtures::random_packing(16.0, {{"Si", 150, 1.1}}, 4);
  ReferenceOptions o = small_options();
  o.partials.r_max = 7.9;
  o.xray.r_max = o.electron.r_max = 7.9;
  const PhaseReference ref = compute_phase_reference(s, "Si", o);
  ASSERT_EQ(ref.xray_matched.G.size(), ref.electron.G.size());
  const double scale = max_abs(ref.electron.G);
  for (size_t j = 0; j < ref.electron.G.size(); ++j) ASSERT_NEAR(ref.xray_matched.G[j], ref.electron.G[j], 1e-10 * scale);
  EXPECT_THROW(explain_xray_electron_difference(ref, {1.5, 7.0}, 1.0, true), std::invalid_argument);  // D = 0
  // the full-resolution X-ray PDF differs (s_max 3.5 vs 2.8, Lorch vs exp)
  EXPECT_GT(explain_xray_electron_difference(ref, {1.5, 7.0}).rms_difference, 1e-3 * scale);
}

TEST(References, MismatchedGridsAreRejected) {
  const Structure s = test_fixtures::random_packing(15.0, {{"Na", 40, 1.1}}, 1);
  ReferenceOptions o = small_options();
  o.partials.r_max = 6;
  o.electron.r_max = 6;
  EXPECT_THROW(compute_phase_reference(s, "x", o), std::invalid_argument);
}

TEST(References, BlendPdfAddsTheIntensitiesPerAtom) {
  // Two random packings of different elements (NaCl and Si) through the same electron options.
  ReferenceOptions o = small_options();
  o.xray_at_electron_resolution = false;
  const PhaseReference a = compute_phase_reference(
      test_fixtures::random_packing(22.0, {{"Cl", 120, 1.5}, {"Na", 120, 1.0}}, 42), "NaCl", o);
  const PhaseReference b = compute_phase_reference(test_fixtures::random_packing(16.0, {{"Si", 150, 1.1}}, 4), "Si", o);
  const double s_min = o.electron.s_min;
  // The limits: all of a, all of b, and a phase blended with itself at any fraction.
  const double scale = max_abs(a.electron.G);
  for (const auto& [x, want] : {std::pair{1.0, &a.electron.G}, std::pair{0.0, &b.electron.G}}) {
    const PdfResult m = blend_pdf(a.electron, b.electron, x, s_min);
    ASSERT_EQ(m.G.size(), want->size());
    for (std::size_t j = 0; j < m.G.size(); ++j) ASSERT_NEAR(m.G[j], (*want)[j], 1e-10 * scale) << "x = " << x;
  }
  const PdfResult self = blend_pdf(a.electron, a.electron, 0.3, s_min);
  for (std::size_t j = 0; j < self.G.size(); ++j) ASSERT_NEAR(self.G[j], a.electron.G[j], 1e-10 * scale);
  // The defining statement, checked on the blend's own fields: per atom, its intensity ⟨f²⟩ + ⟨f⟩²(S − 1) is
  // x·I_a/N_a + (1 − x)·I_b/N_b of the two phases' own factors and S(s); its ⟨f⟩ the atom-weighted mean.
  const double x = 0.35;
  const PdfResult m = blend_pdf(a.electron, b.electron, x, s_min);
  const TotalScattering &A = a.electron.scattering, &B = b.electron.scattering, &M = m.scattering;
  for (std::size_t i = 0; i < M.s.size(); i += 37) {
    const double Ia = A.f2_mean[i] + A.f_mean[i] * A.f_mean[i] * (A.S[i] - 1);
    const double Ib = B.f2_mean[i] + B.f_mean[i] * B.f_mean[i] * (B.S[i] - 1);
    const double Im = M.f2_mean[i] + M.f_mean[i] * M.f_mean[i] * (M.S[i] - 1);
    ASSERT_NEAR(Im, x * Ia + (1 - x) * Ib, 1e-12 * (std::fabs(Ia) + std::fabs(Ib))) << "s = " << M.s[i];
    ASSERT_NEAR(M.f_mean[i], x * A.f_mean[i] + (1 - x) * B.f_mean[i], 1e-14 * A.f_mean[i]);
    if (M.s[i] > 0) {
      ASSERT_NEAR(M.phi[i], M.s[i] * (M.S[i] - 1), 1e-12);
    }
  }
  // G(r) is the transform of that φ with a's s_min ramp and damping: the same as experimental_pdf would give,
  // checked by transforming the blend's φ here.
  std::vector<double> phi = M.phi;
  ramp_below_s_min(M.s, s_min, phi);
  const std::vector<double> G = sine_transform_s_to_r(M.s, phi, m.r, m.damping, m.s_max);
  for (std::size_t j = 0; j < G.size(); ++j) ASSERT_NEAR(m.G[j], G[j], 1e-12 * scale);
  // Not a linear mixture of the G's: the weights x⟨f⟩_a²/⟨f⟩² depend on s (electron f of Na, Cl, Si differ).
  double dev = 0;
  for (std::size_t j = 0; j < G.size(); ++j)
    dev = std::max(dev, std::fabs(m.G[j] - (x * a.electron.G[j] + (1 - x) * b.electron.G[j])));
  EXPECT_GT(dev, 1e-3 * scale);
  // Refusals: a fraction outside [0, 1], other grids or factors.
  EXPECT_THROW(blend_pdf(a.electron, b.electron, 1.2, s_min), std::invalid_argument);
  EXPECT_THROW(blend_pdf(a.electron, b.electron, std::nan(""), s_min), std::invalid_argument);
  EXPECT_THROW(blend_pdf(a.electron, b.xray, 0.5, s_min), std::invalid_argument);
  PdfResult other = b.electron;
  other.damping.b += 0.1;
  EXPECT_THROW(blend_pdf(a.electron, other, 0.5, s_min), std::invalid_argument);
}

TEST(References, BlendOfOneElementIsTheAtomFractionMixture) {
  // Same element in both phases (Si packings of two densities): every weight is the atom fraction, so the blend's
  // G is exactly x·G_a + (1 − x)·G_b — a check of the weights that does not use the blend's formula.
  ReferenceOptions o = small_options();
  o.xray_at_electron_resolution = false;
  o.partials.r_max = 7.9;
  o.xray.r_max = o.electron.r_max = 7.9;
  const PhaseReference a = compute_phase_reference(test_fixtures::random_packing(16.0, {{"Si", 150, 1.1}}, 4), "Si1", o);
  const PhaseReference b = compute_phase_reference(test_fixtures::random_packing(16.0, {{"Si", 110, 1.3}}, 9), "Si2", o);
  const double x = 0.6, scale = max_abs(a.electron.G);
  const PdfResult m = blend_pdf(a.electron, b.electron, x, o.electron.s_min);
  for (std::size_t j = 0; j < m.G.size(); ++j)
    ASSERT_NEAR(m.G[j], x * a.electron.G[j] + (1 - x) * b.electron.G[j], 1e-10 * scale);
}
