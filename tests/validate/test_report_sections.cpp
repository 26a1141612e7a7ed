// Ready-made report sections on small synthetic inputs: every table and figure file is produced and the
// returned numbers are consistent with the pieces they come from.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>

#include "fixtures/random_packing.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/report_sections.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

TEST(ReportSections, AllSectionsWriteTheirFiles) {
  const Structure g = test_fixtures::random_packing(18.0, {{"Cl", 70, 1.4}, {"Na", 70, 1.0}}, 21);
  ReferenceOptions ro;
  ro.partials.r_max = 8.9;
  ro.xray.r_max = ro.electron.r_max = 8.9;
  ro.xray.ds = ro.electron.ds = 0.002;
  const PhaseReference ref = compute_phase_reference(g, "NaCl glass", ro);
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
