// ReportWriter: HTML + CSV always; PNGs when python3 + matplotlib work; notes when they do not; atomic
// replacement of an earlier report.
#include <gtest/gtest.h>

#include <unistd.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "sedpdf/validate/report.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

namespace {
fs::path scratch(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("sedpdf_test_report_" + std::to_string(::getpid())) / name;
  fs::remove_all(p);
  fs::create_directories(p.parent_path());
  return p;
}
std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}
bool have_matplotlib() {
  return std::system("python3 -c 'import matplotlib' >/dev/null 2>&1") == 0 ||
         std::system("/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1") == 0;
}

ReportWriter sample_report() {
  ReportWriter w("sedpdf test report");
  w.section("Phases");
  w.paragraph("ePDF vs X-ray PDF <with> markup & escapes.");
  w.table("peaks", "First-shell peak positions", {"phase", "r_xray_A", "r_e_A"},
          std::vector<std::vector<std::string>>{{"agZIF-62", "1.99", "2.00"}, {"phosphate, glass", "1.53", "1.54"}});
  w.table("numbers", "Numbers", {"a", "b"}, std::vector<std::vector<double>>{{1.0, 2.5}, {3.0, 1e-7}});
  std::vector<Series> series;
  Series a{"X-ray", {}, {}, 0}, b{"electron", {}, {}, 0}, c{"phi", {}, {}, 1};
  for (int i = 0; i < 200; ++i) {
    const double r = 0.5 + 0.1 * i;
    a.x.push_back(r);
    a.y.push_back(std::sin(3 * r) / r);
    b.x.push_back(r);
    b.y.push_back(0.8 * std::sin(3 * r) / r);
    c.x.push_back(0.01 * i);
    c.y.push_back(std::sin(20 * 0.01 * i));
  }
  w.line_figure("overlay", "G(r) and phi(s).", {{"G(r)", "r (Å)", "G (Å⁻²)"}, {"φ(s)", "s (Å⁻¹)", "φ"}}, {a, b, c});
  ImagePanel truth{"truth", 8, 6, {}, 55.0, true, "viridis"}, load{"loading 1", 8, 6, {}, 55.0, false, "magma"};
  for (size_t p = 0; p < 48; ++p) {
    truth.values.push_back(p % 8 < 4 ? 0 : 1);
    load.values.push_back(p % 8 < 4 ? 0.1 : 0.9);
  }
  w.image_figure("maps", "Loading map beside the ground truth.", {truth, load});
  w.scree_figure("scree", "PCA scree.", {10, 5, 0.1, 0.09, 0.08}, 2);
  w.phase_map_figure("sweep", "Unmixing success vs dose and thickness.", "dose (e/Å²)", {1, 10, 100}, true,
                     "thickness (nm)", {10, 50}, false, {0.5, 0.9, 0.95, 0.4, 0.8, 0.92}, "accuracy",
                     {0, 0, 1, 0, 0, 1});
  return w;
}
}  // namespace

TEST(ReportWriter, BuiltinScriptMatchesTheFile) {
  const std::string file = slurp(fs::path(SEDPDF_REPO_DATA) / ".." / "validate" / "report" / "plot_report.py");
  ASSERT_FALSE(file.empty());
  EXPECT_EQ(builtin_plot_script(), file) << "the configure step embeds validate/report/plot_report.py (CMakeLists.txt)";
}

TEST(ReportWriter, WritesHtmlCsvAndPngs) {
  if (!have_matplotlib()) GTEST_SKIP() << "python3 with matplotlib not available";
  const fs::path dir = scratch("full");
  const ReportOutcome o = sample_report().write(dir.string());
  EXPECT_TRUE(o.figures_drawn) << o.figure_note;
  for (const char* f : {"overlay.png", "maps.png", "scree.png", "sweep.png"}) {
    EXPECT_TRUE(fs::exists(dir / "figures" / f)) << f;
    EXPECT_GT(fs::file_size(dir / "figures" / f), 1000u) << f;
  }
  const std::string html = slurp(dir / "report.html");
  EXPECT_NE(html.find("<img src=\"figures/overlay.png\""), std::string::npos);
  EXPECT_NE(html.find("&lt;with&gt; markup &amp; escapes"), std::string::npos);
  EXPECT_EQ(html.find("Figures were not drawn"), std::string::npos);
  EXPECT_EQ(slurp(dir / "tables" / "peaks.csv"), "phase,r_xray_A,r_e_A\nagZIF-62,1.99,2.00\n\"phosphate, glass\",1.53,1.54\n");
  EXPECT_EQ(slurp(dir / "tables" / "numbers.csv"), "a,b\n1,2.5\n3,1e-07\n");
  const std::string ov = slurp(dir / "figures" / "overlay.csv");
  EXPECT_EQ(ov.rfind("panel,series,x,y\n0,0,0.5,", 0), 0u);
  EXPECT_NE(ov.find("\n1,0,"), std::string::npos);  // the φ(s) panel
  EXPECT_EQ(slurp(dir / "figures" / "maps_panel0.csv").substr(0, 16), "0,0,0,0,1,1,1,1\n");
  EXPECT_EQ(o.html, (dir / "report.html").string());
}

TEST(ReportWriter, MissingPythonStillWritesReportWithNote) {
  const fs::path dir = scratch("nopython");
  ReportOptions opt;
  opt.python = "/nonexistent/python3";
  const ReportOutcome o = sample_report().write(dir.string(), opt);
  EXPECT_FALSE(o.figures_drawn);
  EXPECT_NE(o.figure_note.find("could not be started"), std::string::npos) << o.figure_note;
  const std::string html = slurp(dir / "report.html");
  EXPECT_NE(html.find("Figures were not drawn"), std::string::npos);
  EXPECT_NE(html.find("figures/overlay.csv"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "tables" / "peaks.csv"));
  EXPECT_TRUE(fs::exists(dir / "figures" / "sweep.csv"));
  EXPECT_TRUE(fs::exists(dir / "figures" / "sweep_success.csv"));
  EXPECT_FALSE(fs::exists(dir / "figures" / "overlay.png"));
}

TEST(ReportWriter, MissingMatplotlibStillWritesReportWithNote) {
  if (std::system("python3 -c 'pass' >/dev/null 2>&1") != 0) GTEST_SKIP() << "no python3";
  // a fake package that shadows matplotlib and fails to import
  const fs::path fake = scratch("fake_site");
  fs::create_directories(fake / "matplotlib");
  std::ofstream(fake / "matplotlib" / "__init__.py") << "raise ImportError('matplotlib hidden by the test')\n";
  const char* old = std::getenv("PYTHONPATH");
  const std::string saved = old ? old : "";
  ::setenv("PYTHONPATH", fake.c_str(), 1);
  const fs::path dir = scratch("nompl");
  ReportOutcome o;
  try {
    o = sample_report().write(dir.string());
  } catch (...) {
    if (old) ::setenv("PYTHONPATH", saved.c_str(), 1); else ::unsetenv("PYTHONPATH");
    throw;
  }
  if (old) ::setenv("PYTHONPATH", saved.c_str(), 1); else ::unsetenv("PYTHONPATH");
  EXPECT_FALSE(o.figures_drawn);
  EXPECT_NE(o.figure_note.find("matplotlib is not installed"), std::string::npos) << o.figure_note;
  EXPECT_NE(slurp(dir / "report.html").find("Figures were not drawn"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "figures" / "overlay.csv"));
}

TEST(ReportWriter, FailedRunLeavesEarlierReportUntouched) {
  const fs::path dir = scratch("atomic");
  ReportOptions opt;
  opt.draw_figures = false;
  ReportWriter first("first");
  first.paragraph("first report");
  first.write(dir.string(), opt);
  const std::string before = slurp(dir / "report.html");
  ASSERT_NE(before.find("first report"), std::string::npos);

  ReportWriter second("second");
  second.paragraph("second report");
  opt.before_commit = [](const std::string& tmp) {
    std::ofstream(fs::path(tmp) / "extra.txt") << "x";
    throw std::runtime_error("simulated failure");
  };
  EXPECT_THROW(second.write(dir.string(), opt), std::runtime_error);
  EXPECT_EQ(slurp(dir / "report.html"), before);
  EXPECT_FALSE(fs::exists(dir / "extra.txt"));
  for (const auto& e : fs::directory_iterator(dir.parent_path()))  // no temporary left behind
    EXPECT_EQ(e.path().filename().string().find(".atomic.tmp"), std::string::npos) << e.path();

  // a successful second run replaces it, with the caller's extra file
  opt.before_commit = [](const std::string& tmp) { std::ofstream(fs::path(tmp) / "extra.txt") << "x"; };
  second.write(dir.string(), opt);
  EXPECT_NE(slurp(dir / "report.html").find("second report"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir / "extra.txt"));
  fs::remove_all(dir.parent_path());
}

TEST(ReportWriter, RejectsBadInput) {
  ReportWriter w("x");
  EXPECT_THROW(w.table("../evil", "", {"a"}, std::vector<std::vector<std::string>>{}), std::invalid_argument);
  EXPECT_THROW(w.table("t", "", {"a", "b"}, std::vector<std::vector<std::string>>{{"1"}}), std::invalid_argument);
  EXPECT_THROW(w.image_figure("m", "", {ImagePanel{"p", 3, 3, {1, 2}, 1, false, "viridis"}}), std::invalid_argument);
  EXPECT_THROW(w.line_figure("l", "", {{"", "", ""}}, {Series{"s", {1}, {1}, 2}}), std::invalid_argument);
  w.scree_figure("s", "", {1.0}, 1);
  EXPECT_THROW(w.scree_figure("s", "", {1.0}, 1), std::invalid_argument);
}
