// The study over realisations (realisations.hpp): pass counts and the sample statistics on hand-built results,
// checked against the textbook formulas computed here independently; the CSV files.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "sedpdf/validate/realisations.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

namespace {

StudyResult result(double first_shell, bool pass_first, bool pass_ica, double ica, std::size_t peaks_at, std::size_t peaks) {
  StudyResult r;
  r.checks = {{"A: first shell", "x", pass_first}, {"ICA", "y", pass_ica}};
  DatasetStudy d;
  PhaseStudy ph;
  ph.name = "A";
  ph.r = {1.0, 2.0};
  ph.peaks_vs_xray.first_shell_offset = first_shell;
  ph.peaks_vs_xray.n_peaks_at_reference = peaks_at;
  ph.peaks_vs_xray.peaks.resize(peaks);
  ph.first_shell_sigma_A = 0.004;
  d.phases.push_back(ph);
  d.verdict.phase_pearson = {ica};
  d.verdict.subspace_pearson = {0.95};
  d.verdict.classification.accuracy = 1.0;
  d.pca_components = 2;
  r.datasets.push_back(d);
  return r;
}

const RealisationStat& stat(const RealisationSummary& s, const std::string& name) {
  for (const RealisationStat& t : s.stats)
    if (t.name == name) return t;
  static RealisationStat none;
  ADD_FAILURE() << "no number '" << name << "'";
  return none;
}

}  // namespace

TEST(Realisations, PassCountsAndSampleStatistics) {
  const std::vector<double> fs{0.039, 0.046, 0.058, 0.052};
  std::vector<StudyResult> runs;
  for (std::size_t i = 0; i < fs.size(); ++i) runs.push_back(result(fs[i], fs[i] <= 0.05, false, 0.86 + 0.01 * static_cast<double>(i), i % 2 ? 5 : 4, 5));
  const RealisationSummary s = summarise_realisations({1, 2, 3, 4}, runs);
  ASSERT_EQ(s.items.size(), 2u);
  EXPECT_EQ(s.items[0], "A: first shell");
  EXPECT_EQ(s.passes[0], 2u);
  EXPECT_EQ(s.passes[1], 0u);
  EXPECT_EQ(s.pass[0], (std::vector<int>{1, 1, 0, 0}));
  // Sample mean and sd (n − 1), computed here from the definition.
  double m = 0;
  for (double v : fs) m += v;
  m /= 4;
  double ss = 0;
  for (double v : fs) ss += (v - m) * (v - m);
  const RealisationStat& f = stat(s, "A first-shell offset vs X-ray (Å)");
  EXPECT_EQ(f.n, 4u);
  EXPECT_NEAR(f.mean, m, 1e-15);
  EXPECT_NEAR(f.sd, std::sqrt(ss / 3), 1e-15);
  EXPECT_DOUBLE_EQ(f.min, 0.039);
  EXPECT_DOUBLE_EQ(f.max, 0.058);
  EXPECT_NEAR(stat(s, "A ICA component, Pearson").mean, 0.875, 1e-12);
  EXPECT_NEAR(stat(s, "A ePDF peaks to 8 Å at an X-ray peak").mean, 4.5, 1e-12);
  // The jackknife σ was not measured (NaN): no finite values, no statistics.
  const RealisationStat& j = stat(s, "A first-shell σ, jackknife (Å)");
  EXPECT_EQ(j.n, 0u);
  EXPECT_TRUE(std::isnan(j.mean));
  EXPECT_NE(realisations_text(s).find("2/4 pass: A: first shell"), std::string::npos) << realisations_text(s);
  // An item absent from one run is counted over the runs that have it.
  runs[3].checks.pop_back();
  const RealisationSummary s2 = summarise_realisations({1, 2, 3, 4}, runs);
  EXPECT_EQ(s2.pass[1][3], -1);
  EXPECT_NE(realisations_text(s2).find("0/3 pass: ICA"), std::string::npos) << realisations_text(s2);
  EXPECT_THROW(summarise_realisations({1}, {runs[0]}), std::invalid_argument);
  EXPECT_THROW(summarise_realisations({1, 2, 3}, runs), std::invalid_argument);
}

TEST(Realisations, ReportSectionWritesBothTablesAndTheFigureData) {
  const RealisationSummary s = summarise_realisations({7, 8}, {result(0.04, true, false, 0.8, 5, 5), result(0.06, false, false, 0.9, 5, 6)});
  const fs::path d = fs::temp_directory_path() / ("sedpdf_realisations_" + std::to_string(getpid()));
  fs::remove_all(d);
  ReportWriter w("realisations test");
  add_realisations_section(w, s);
  ReportOptions o;
  o.draw_figures = false;
  w.write(d.string(), o);
  std::ifstream a(d / "tables" / "realisations.csv"), b(d / "tables" / "realisations_summary.csv");
  ASSERT_TRUE(a && b);
  std::string head, row1, row2;
  std::getline(a, head);
  std::getline(a, row1);
  std::getline(a, row2);
  EXPECT_EQ(head.rfind("seed,pass: A: first shell,pass: ICA,A first-shell offset vs X-ray (Å)", 0), 0u) << head;
  EXPECT_EQ(row1.rfind("7,1,0,0.04,", 0), 0u) << row1;
  EXPECT_EQ(row2.rfind("8,0,0,0.06,", 0), 0u) << row2;
  std::stringstream all;
  all << b.rdbuf();
  EXPECT_NE(all.str().find("acceptance: A: first shell,2,1,,,,"), std::string::npos) << all.str();
  EXPECT_NE(all.str().find("A first-shell offset vs X-ray (Å),2,,0.05,0.0141421,0.04,0.06"), std::string::npos) << all.str();
  // The figure's data: per seed the offsets with the limit, the ICA Pearson with the threshold.
  std::ifstream f(d / "figures" / "realisations.csv");
  ASSERT_TRUE(f);
  std::stringstream fig;
  fig << f.rdbuf();
  EXPECT_NE(fig.str().find("0,0,7,0.04"), std::string::npos) << fig.str();
  EXPECT_NE(fig.str().find("0,1,8,0.05"), std::string::npos) << fig.str();  // the limit line's end
  EXPECT_NE(fig.str().find("1,0,7,0.8"), std::string::npos) << fig.str();   // ICA of seed 7 (panel 1)
  EXPECT_NE(fig.str().find("1,1,8,0.9"), std::string::npos) << fig.str();   // the threshold line's end
  fs::remove_all(d);
}
