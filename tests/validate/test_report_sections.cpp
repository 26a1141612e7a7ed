// Ready-made report sections on small synthetic inputs: every table and figure file is produced and the
// returned numbers are consistent with the pieces they come from.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "fixtures/random_packing.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/report_sections.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

namespace {
// References of a small random NaCl packing (fixed seed): a two-element "glass" with distinct X-ray and
// electron weights.
PhaseReference nacl_reference() {
  const Structure g = test_fixtures::random_packing(18.0, {{"Cl", 70, 1.4}, {"Na", 70, 1.0}}, 21);
  ReferenceOptions ro;
  ro.partials.r_max = 8.9;
  ro.xray.r_max = ro.electron.r_max = 8.9;
  ro.xray.ds = ro.electron.ds = 0.002;
  return compute_phase_reference(g, "NaCl glass", ro);
}
}  // namespace

TEST(ReportSections, AllSectionsWriteTheirFiles) {
  const PhaseReference ref = nacl_reference();
  ReportWriter w("sections");
  const ReferenceSectionNumbers rn = add_reference_section(w, ref, {1.5, 8.5}, {2.0, 3.5});
  double share = 0;
  for (const auto& r : rn.explanation.rows) share += r.share;
  EXPECT_NEAR(share, 1.0, 1e-10);
  EXPECT_GT(rn.electron_scale, 0.0);

  // the kinematic ePDF itself as the "measured" curve: identical to the electron reference after scaling
  const EpdfComparisonNumbers en = add_epdf_comparison(w, "area average", ref.electron.r, ref.electron.G, ref, {{1.5, 8.5}}, {2.0, 3.5});
  for (const auto& s : en.vs_electron) EXPECT_NEAR(s.pearson, 1.0, 1e-12);
  EXPECT_NEAR(en.scale, rn.electron_scale, 1e-12);

  UnmixingInput in;
  in.r = ref.electron.r;
  in.phase_names = {"a", "b"};
  in.references = {ref.electron.G, ref.xray.G};
  in.components = {ref.xray.G, ref.electron.G};
  in.truth.nx = 10;
  in.truth.ny = 4;
  in.truth.step = 55;
  std::vector<double> l0, l1;
  for (size_t p = 0; p < 40; ++p) {
    in.truth.labels.push_back(p % 10 < 5 ? 0 : 1);
    l0.push_back(p % 10 < 5 ? 0.1 : 0.9);
    l1.push_back(p % 10 < 5 ? 0.9 : 0.1);
  }
  in.loadings = {l0, l1};
  UnmixingCriteria c;
  const UnmixingVerdict v = evaluate_unmixing(in, c);
  EXPECT_TRUE(v.spectra_ok);
  add_unmixing_section(w, in, v, c, {5, 2, 0.1, 0.1}, 2);

  ZniStudy st;
  st.s = uniform_grid(0.1, 0.4, 0.001);
  for (double s : st.s) st.q.push_back(2 * kPi * s);
  st.references.resize(2);
  st.references[0].name = "A";
  st.references[1].name = "B";
  st.references[0].S = st.references[1].S = st.S_mix = std::vector<double>(st.s.size(), 1.0);
  st.crystal.name = "C";
  st.crystal.S = st.S_mix;
  st.weights = {st.S_mix, st.S_mix};
  st.example_fractions = {0.1};
  st.S_diff = {std::vector<double>(st.s.size(), 0.0)};
  st.detection.reflections.resize(1);
  add_differential_section(w, st);

  const fs::path dir = fs::temp_directory_path() / ("sedpdf_test_sections_" + std::to_string(::getpid()));
  ReportOptions opt;
  opt.draw_figures = false;
  const ReportOutcome o = w.write(dir.string(), opt);
  for (const char* f : {"tables/NaCl_glass_pair_weights.csv", "tables/NaCl_glass_pair_difference.csv",
                        "tables/area_average_scores.csv", "tables/unmixing_verdict.csv",
                        "tables/differential_detection.csv", "figures/NaCl_glass_ref_overlay.csv",
                        "figures/unmixing_maps_panel0.csv", "figures/unmixing_scree.csv", "figures/differential_sdiff.csv",
                        "report.html"})
    EXPECT_TRUE(fs::exists(dir / f)) << f;
  fs::remove_all(dir);
}

// The φ(s) comparison of a measured ePDF: a "measurement" a·φ_kin + noise of known σ must return the amplitude a
// within its standard error, Pearson 1 without noise, a mean squared normalised residual near 1 with noise (a χ²
// of m degrees of freedom divided by m: 1 ± √(2/m)), and the X-ray Pearson of a direct computation.
TEST(ReportSections, PhiComparisonRecoversAmplitudeAndNoise) {
  const PhaseReference ref = nacl_reference();
  const std::vector<double>& s = ref.electron.scattering.s;
  const std::vector<double>& pe = ref.electron.scattering.phi;
  const double s_hi = ref.electron.s_max;

  ReportWriter w("phi");
  MeasuredPhi exact{s, pe, {}, 0.3};
  const EpdfComparisonNumbers e = add_epdf_comparison(w, "exact", ref.electron.r, ref.electron.G, ref, {{1.5, 8.5}},
                                                      {2.0, 3.5}, {}, exact);
  ASSERT_EQ(e.phi_vs_electron.size(), 3u);
  for (std::size_t k = 0; k < 3; ++k) {
    EXPECT_NEAR(e.phi_vs_electron[k].pearson, 1.0, 1e-12);
    EXPECT_NEAR(e.phi_amplitude[k], 1.0, 1e-12);
    EXPECT_TRUE(std::isnan(e.phi_chi2[k]));  // no σ given
  }
  EXPECT_NEAR(e.phi_vs_electron[0].window.lo, 0.3, 1e-12);
  EXPECT_NEAR(e.phi_vs_electron[0].window.hi, s_hi, 1e-9);
  EXPECT_NEAR(e.phi_vs_electron[2].window.lo, 1.0, 1e-12);

  // X-ray Pearson over the whole window, computed directly (X-ray φ interpolated by its own bracketing nodes)
  {
    const std::vector<double>& xs = ref.xray.scattering.s;
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
    std::size_t m = 0;
    for (std::size_t i = 0; i < s.size(); ++i) {
      if (s[i] < 0.3 || s[i] > s_hi) continue;
      std::size_t j = 0;
      while (xs[j + 1] < s[i]) ++j;
      const double t = (s[i] - xs[j]) / (xs[j + 1] - xs[j]);
      const double x = (1 - t) * ref.xray.scattering.phi[j] + t * ref.xray.scattering.phi[j + 1], y = pe[i];
      sx += x, sy += y, sxx += x * x, syy += y * y, sxy += x * y, ++m;
    }
    const double mm = static_cast<double>(m);
    const double r = (sxy - sx * sy / mm) / std::sqrt((sxx - sx * sx / mm) * (syy - sy * sy / mm));
    EXPECT_NEAR(e.phi_vs_xray[0].pearson, r, 1e-9);
  }

  // 0.7 φ_kin + Gaussian noise of σ = 0.01 (fixed seed)
  std::mt19937_64 rng(7);
  std::normal_distribution<double> N(0.0, 1.0);
  const double a = 0.7, sigma = 0.01;
  std::vector<double> y(pe.size()), sg(pe.size(), sigma);
  for (std::size_t i = 0; i < y.size(); ++i) y[i] = a * pe[i] + sigma * N(rng);
  y[3] = std::nan("");  // skipped, not fatal
  const EpdfComparisonNumbers n = add_epdf_comparison(w, "noisy", ref.electron.r, ref.electron.G, ref, {{1.5, 8.5}},
                                                      {2.0, 3.5}, {}, MeasuredPhi{s, y, sg, 0.3});
  double sum_k2 = 0;
  std::size_t m = 0;
  for (std::size_t i = 0; i < s.size(); ++i)
    if (s[i] >= 0.3 && s[i] <= s_hi) sum_k2 += pe[i] * pe[i], ++m;
  EXPECT_NEAR(n.phi_amplitude[0], a, 4 * sigma / std::sqrt(sum_k2));
  EXPECT_NEAR(n.phi_chi2[0], 1.0, 4 * std::sqrt(2.0 / static_cast<double>(m)));
  EXPECT_LT(n.phi_vs_electron[0].pearson, 1.0);

  // bad input: σ of another length
  EXPECT_THROW(add_epdf_comparison(w, "bad", ref.electron.r, ref.electron.G, ref, {{1.5, 8.5}}, {2.0, 3.5}, {},
                                   MeasuredPhi{s, y, {0.1, 0.2}, 0.3}),
               std::invalid_argument);

  const fs::path dir = fs::temp_directory_path() / ("sedpdf_test_phi_" + std::to_string(::getpid()));
  ReportOptions opt;
  opt.draw_figures = false;
  w.write(dir.string(), opt);
  EXPECT_TRUE(fs::exists(dir / "tables/noisy_scores_s.csv"));
  EXPECT_TRUE(fs::exists(dir / "figures/noisy_overlay.csv"));
  fs::remove_all(dir);
}
