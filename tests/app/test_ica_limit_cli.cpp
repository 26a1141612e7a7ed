// `sedpdf ica-limit`: ICA of reference PDF tables themselves. The printed and written numbers are those of
// reference_ica_limit on the same sampled curves; bad input names the file, line and field and writes nothing.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "fixtures/cli.hpp"
#include "sedpdf/validate/ica_limit.hpp"
#include "sedpdf/validate/report_sections.hpp"

namespace fs = std::filesystem;
using sedpdf::test_fixtures::CliRun;
using sedpdf::test_fixtures::run;
using sedpdf::test_fixtures::write_file;

namespace {

/// r and one column of a '#'-commented CSV with a header (test-side reader, independent of the command's).
void read_columns(const std::string& path, const std::string& col, std::vector<double>& r, std::vector<double>& g) {
  std::ifstream in(path);
  std::string line;
  int ic = -1;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> cells;
    std::stringstream s(line);
    for (std::string c; std::getline(s, c, ',');) cells.push_back(c);
    if (ic < 0) {
      for (std::size_t i = 0; i < cells.size(); ++i)
        if (cells[i] == col) ic = static_cast<int>(i);
      ASSERT_GE(ic, 0);
      continue;
    }
    r.push_back(std::stod(cells[0]));
    g.push_back(std::stod(cells[static_cast<std::size_t>(ic)]));
  }
}

}  // namespace

TEST(IcaLimitCli, MatchesTheLibraryOnTheShippedModelPdfs) {
  const fs::path d = fs::temp_directory_path() / ("sedpdf_icalimit_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  const std::string data = SEDPDF_REPO_DATA;
  const std::string a = data + "/models/agZIF62_default_pdf.csv", b = data + "/models/phosphate_default_pdf.csv";
  const CliRun r = run({"ica-limit", a, b, "--column", "G_electron_A-2", "--names", "zif,glass", "-o", (d / "sol.csv").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("references zif and glass correlate"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("ICA's own choice: zif"), std::string::npos) << r.out;
  // The same computation through the library on the same grid (1–15 Å every 0.2 Å; scores 1.5–10 Å).
  std::vector<double> grid;
  for (int i = 0; i <= 70; ++i) grid.push_back(1.0 + 0.2 * i);
  std::vector<std::vector<double>> refs;
  for (const std::string& f : {a, b}) {
    std::vector<double> rr, gg;
    read_columns(f, "G_electron_A-2", rr, gg);
    refs.push_back(sedpdf::interpolate_linear(rr, gg, grid));
  }
  sedpdf::FastIcaSettings fs;
  fs.seed = 1;
  const sedpdf::ReferenceIcaLimit L = sedpdf::reference_ica_limit(grid, refs, {1.5, 10.0}, fs);
  ASSERT_FALSE(L.stationary.empty());
  // The solutions file: one row per stationary rotation, the preferred one flagged, Pearsons as the library's.
  std::vector<double> rr, pz;
  std::ifstream in(d / "sol.csv");
  std::string line;
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line.rfind("solution", 0) == 0) continue;
    std::vector<double> v;
    std::stringstream s(line);
    for (std::string c; std::getline(s, c, ',');) v.push_back(std::stod(c));
    rows.push_back(v);
  }
  ASSERT_EQ(rows.size(), L.stationary.size());
  for (std::size_t i = 0; i < rows.size(); ++i) {
    ASSERT_EQ(rows[i].size(), 7u);
    EXPECT_NEAR(rows[i][1], L.stationary[i].angle_rad * 180 / std::acos(-1.0), 1e-6);
    EXPECT_EQ(rows[i][4] == 1, L.stationary[i].preferred);
    EXPECT_NEAR(rows[i][5], L.stationary[i].pearson[0], 1e-9);
    EXPECT_NEAR(rows[i][6], L.stationary[i].pearson[1], 1e-9);
  }
  std::ostringstream smallest;
  smallest << "(smallest " << std::fixed;
  smallest.precision(3);
  smallest << L.preferred_smallest << ")";
  EXPECT_NE(r.out.find(smallest.str()), std::string::npos) << r.out << " expected " << smallest.str();
  fs::remove_all(d);
}

TEST(IcaLimitCli, BadInputNamesFileLineAndFieldAndWritesNothing) {
  const fs::path d = fs::temp_directory_path() / ("sedpdf_icalimit_bad_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  const std::string data = SEDPDF_REPO_DATA;
  const std::string a = data + "/models/agZIF62_default_pdf.csv", b = data + "/models/phosphate_default_pdf.csv";
  const std::string out = (d / "sol.csv").string();
  auto fails = [&](const std::vector<std::string>& args, const std::vector<std::string>& words) {
    std::vector<std::string> all = {"ica-limit"};
    all.insert(all.end(), args.begin(), args.end());
    all.insert(all.end(), {"-o", out});
    const CliRun r = run(all);
    EXPECT_EQ(r.code, 1) << r.out;
    for (const std::string& w : words) EXPECT_NE(r.err.find(w), std::string::npos) << "missing '" << w << "' in: " << r.err;
    EXPECT_FALSE(fs::exists(out));
  };
  fails({a}, {"files", "at least two"});
  fails({a, (d / "missing.csv").string(), "--column", "G_electron_A-2"}, {"missing.csv", "cannot open"});
  fails({a, b}, {"agZIF62_default_pdf.csv", "several G columns", "G_xray_A-2"});  // which column?
  fails({a, b, "--column", "G_neutron"}, {"--column", "G_neutron"});
  std::ostringstream ok;
  ok << "r_A,G_A-2\n";
  for (int i = 0; i <= 200; ++i) ok << 0.5 + 0.1 * i << "," << std::sin(0.5 + 0.1 * i) << "\n";
  write_file(d / "ok.csv", ok.str());
  write_file(d / "garbled.csv", "# a table\nr_A,G_A-2\n1.0,0.5\n1.1,abc\n");
  fails({(d / "ok.csv").string(), (d / "garbled.csv").string()}, {"garbled.csv:4", "G_A-2", "abc"});
  write_file(d / "short.csv", "r_A,G_A-2\n1.0,0.5\n2.0,0.1\n3.0,-0.2\n");
  fails({(d / "short.csv").string(), (d / "short.csv").string()}, {"short.csv", "--r-range"});
  write_file(d / "decreasing.csv", "r_A,G_A-2\n1.0,0.5\n0.9,0.1\n");
  fails({(d / "decreasing.csv").string(), (d / "ok.csv").string()}, {"decreasing.csv:3", "increase"});
  write_file(d / "nan.csv", "r_A,G_A-2\n1.0,nan\n");
  fails({(d / "nan.csv").string(), (d / "ok.csv").string()}, {"nan.csv:2", "finite"});
  fails({a, b, "--column", "G_electron_A-2", "--contrast", "tanh"}, {"--contrast", "tanh"});
  fails({a, b, "--column", "G_electron_A-2", "--window", "0.5", "10"}, {"--window"});
  fails({a, b, "--column", "G_electron_A-2", "--names", "one"}, {"--names"});
  // The same reference twice cannot be whitened: refused, naming the files argument.
  fails({a, a, "--column", "G_electron_A-2"}, {"files"});
  const CliRun wrong = run({"ica-limit", a, b, "--column", "G_electron_A-2", "-o", (d / "sol.txt").string()});
  EXPECT_EQ(wrong.code, 1);
  EXPECT_NE(wrong.err.find("-o"), std::string::npos) << wrong.err;
  EXPECT_FALSE(fs::exists(d / "sol.txt"));
  fs::remove_all(d);
}
