// The command line, driven in-process (run_cli) and, for exit codes, as the real binary.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fixtures/cli.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kData = SEDPDF_REPO_DATA;
const std::string kGlass = kData + "/structures/agZIF-4_RMC_Castel2023.extxyz";
const std::string kZif62 = kData + "/structures/ZIF-62_DFT_Widmer2019.extxyz";

using sedpdf::test_fixtures::CliRun;
using sedpdf::test_fixtures::run;

fs::path temp_dir(const std::string& name) { return sedpdf::test_fixtures::fresh_temp_dir("sedpdf_test_cli_" + name); }

std::vector<std::vector<double>> read_csv(const fs::path& p, std::vector<std::string>& header) {
  std::ifstream in(p);
  std::string line;
  std::vector<std::vector<double>> rows;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    std::stringstream ss(line);
    std::string cell;
    if (header.empty()) {
      while (std::getline(ss, cell, ',')) header.push_back(cell);
      continue;
    }
    std::vector<double> row;
    while (std::getline(ss, cell, ',')) row.push_back(std::stod(cell));
    rows.push_back(row);
  }
  return rows;
}

}  // namespace

TEST(Cli, HelpStatesUnits) {
  const CliRun r = run({"pdf", "--help"});
  EXPECT_EQ(r.code, 0);
  EXPECT_NE(r.out.find("Å⁻¹"), std::string::npos);
  EXPECT_NE(r.out.find("--qmax"), std::string::npos);
  const CliRun top = run({"--help"});
  EXPECT_EQ(top.code, 0);
  EXPECT_NE(top.out.find("s = 2 sinθ/λ"), std::string::npos);
}

TEST(Cli, StructureInfoReportsDensityAndZnNCoordination) {
  const CliRun r = run({"structure", "info", kGlass});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("1.5805 g/cm³"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("C3072 H3072 N2048 Zn512"), std::string::npos);
  EXPECT_NE(r.out.find("N-Zn"), std::string::npos);
  EXPECT_NE(r.out.find("N-Zn-N"), std::string::npos);
}

TEST(Cli, PdfCsvWithPairContributionsSumsToTotal) {
  const fs::path d = temp_dir("csv");
  const fs::path out = d / "x.csv";
  const CliRun r = run({"pdf", kGlass, "--radiation", "xray", "--qmax", "22", "--rmax", "12", "--partials", "-o",
                     out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::vector<std::string> header;
  const auto rows = read_csv(out, header);
  ASSERT_EQ(header.size(), 2u + 10u);  // r, G, 10 pairs of H, C, N, Zn
  EXPECT_EQ(header[0], "r_A");
  ASSERT_EQ(rows.size(), 1151u);  // 0.5 .. 12 step 0.01
  double worst = 0;
  for (const auto& row : rows) {
    double sum = 0;
    for (size_t k = 2; k < row.size(); ++k) sum += row[k];
    worst = std::max(worst, std::abs(sum - row[1]));
  }
  EXPECT_LT(worst, 1e-8);
  // The Zn–N pair term peaks at the Zn–N bond, 1.99 ± 0.05 Å.
  size_t col = 0;
  for (size_t k = 0; k < header.size(); ++k)
    if (header[k] == "G_N-Zn_A-2") col = k;
  ASSERT_GT(col, 0u);
  size_t best = 0;
  for (size_t i = 0; i < rows.size(); ++i)
    if (rows[i][0] < 2.6 && rows[i][col] > rows[best][col]) best = i;
  EXPECT_NEAR(rows[best][0], 1.99, 0.05);
}

TEST(Cli, PdfHdf5HoldsGrScatteringAndPartials) {
  const fs::path d = temp_dir("h5");
  const fs::path out = d / "e.h5";
  const CliRun r = run({"pdf", kGlass, "--radiation", "electron", "--smax", "2.5", "--damping", "exp:0.6", "--rmax",
                     "10", "--partials", "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  hid_t f = H5Fopen(out.string().c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  ASSERT_GE(f, 0);
  for (const char* name : {"/pdf/r", "/pdf/G", "/pdf/pairs/N-Zn", "/scattering/s", "/scattering/phi",
                           "/partials/g_N-Zn"}) {
    hid_t ds = H5Dopen2(f, name, H5P_DEFAULT);
    EXPECT_GE(ds, 0) << name;
    if (ds >= 0) H5Dclose(ds);
  }
  hid_t ds = H5Dopen2(f, "/pdf/G", H5P_DEFAULT);
  hid_t sp = H5Dget_space(ds);
  hsize_t n = 0;
  H5Sget_simple_extent_dims(sp, &n, nullptr);
  EXPECT_EQ(n, 951u);
  EXPECT_GT(H5Aexists_by_name(f, "/", "damping", H5P_DEFAULT), 0);
  H5Sclose(sp);
  H5Dclose(ds);
  H5Fclose(f);
}

TEST(Cli, RmaxBeyondPeriodicImagesIsAnErrorAndWritesNothing) {
  const fs::path d = temp_dir("rmax");
  const fs::path out = d / "g.csv";
  const CliRun r = run({"pdf", kZif62, "--rmax", "20", "-o", out.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("ZIF-62_DFT_Widmer2019.extxyz"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("minimum-image radius"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  // A crystal with periodic images is fine.
  const CliRun ok = run({"pdf", kZif62, "--rmax", "20", "--images", "--radiation", "xray", "-o", out.string()});
  EXPECT_EQ(ok.code, 0) << ok.err;
  EXPECT_TRUE(fs::exists(out));
}

TEST(Cli, FailedRunNeverClobbersAnEarlierOutput) {
  const fs::path d = temp_dir("clobber");
  const fs::path out = d / "g.csv";
  { std::ofstream(out) << "earlier result\n"; }
  const fs::path bad = d / "bad.extxyz";
  { std::ofstream(bad) << "2\nLattice=\"10 0 0 0 10 0 0 0 10\" Properties=species:S:1:pos:R:3\nZn 0 0 0\nQq 1 1 1\n"; }
  const CliRun r = run({"pdf", bad.string(), "--rmax", "4", "-o", out.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bad.extxyz:4"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("Qq"), std::string::npos) << r.err;
  std::ifstream in(out);
  std::string content;
  std::getline(in, content);
  EXPECT_EQ(content, "earlier result");
  size_t n = 0;
  for (const auto& e : fs::directory_iterator(d)) { (void)e; ++n; }
  EXPECT_EQ(n, 2u);  // no temporary left behind
}

TEST(Cli, ImpossibleParametersAreNamed) {
  const fs::path d = temp_dir("params");
  const std::string out = (d / "g.csv").string();
  CliRun r = run({"pdf", kGlass, "--dr", "-0.1", "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("--dr"), std::string::npos) << r.err;
  r = run({"pdf", kGlass, "--damping", "gauss", "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("gauss"), std::string::npos) << r.err;
  r = run({"pdf", kGlass, "-o", (d / "g.txt").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("g.txt"), std::string::npos) << r.err;
  r = run({"pdf", kGlass, "--qmax", "20", "--smax", "3", "-o", out});
  EXPECT_EQ(r.code, 2);  // usage error: mutually exclusive options
  r = run({"pdf", (d / "missing.xyz").string(), "-o", out});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("missing.xyz"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
}

TEST(Cli, BinaryExitsNonZeroOnBadInput) {
  const fs::path d = temp_dir("binary");
  const std::string cmd = std::string(SEDPDF_BINARY) + " structure info " + (d / "nope.cif").string() + " 2>" +
                          (d / "err.txt").string();
  const int status = std::system(cmd.c_str());
  EXPECT_NE(status, 0);
  std::ifstream in(d / "err.txt");
  std::string msg((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(msg.find("nope.cif"), std::string::npos) << msg;
}

TEST(Cli, StructureConvertRoundTrip) {
  const fs::path d = temp_dir("convert");
  const CliRun r = run({"structure", "convert", kZif62, (d / "z.data").string(), "--lammps-style", "atomic"});
  ASSERT_EQ(r.code, 0) << r.err;
  const CliRun back = run({"structure", "info", (d / "z.data").string(), "--no-angles"});
  ASSERT_EQ(back.code, 0) << back.err;
  EXPECT_NE(back.out.find("atoms:       296"), std::string::npos) << back.out;
}

// Every bad-input fixture, through the whole command: exit status 1, a message naming the file, the
// line and the field, and no output file.
class CliBadInput : public ::testing::TestWithParam<std::pair<const char*, const char*>> {};

TEST_P(CliBadInput, ExitsWithNamedErrorAndNoOutput) {
  const auto [file, field] = GetParam();
  const fs::path d = temp_dir(std::string("bad_") + file);
  const fs::path out = d / "g.h5";
  const std::string path = std::string(SEDPDF_TEST_DATA) + "/structures/" + file;
  const CliRun r = run({"pdf", path, "--rmax", "4", "-o", out.string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find(std::string(file) + ":"), std::string::npos) << r.err;  // file:line
  EXPECT_NE(r.err.find(std::string("field '") + field + "'"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(out));
  EXPECT_TRUE(fs::is_empty(d));
}

INSTANTIATE_TEST_SUITE_P(
    Fixtures, CliBadInput,
    ::testing::Values(std::make_pair("bad_unknown_element.extxyz", "species"),
                      std::make_pair("bad_lattice_8_numbers.extxyz", "Lattice"),
                      std::make_pair("bad_no_pos.extxyz", "Properties"),
                      std::make_pair("bad_truncated.extxyz", "atoms"),
                      std::make_pair("bad_coplanar_cell.extxyz", "Lattice"),
                      std::make_pair("bad_left_handed_cell.extxyz", "Lattice"),
                      std::make_pair("bad_nan_coordinate.extxyz", "pos"),
                      std::make_pair("bad_no_cell.cif", "_cell_length_a"),
                      std::make_pair("bad_no_masses.data", "Masses")));

TEST(Cli, StructureInfoWritesDistributions) {
  const fs::path d = temp_dir("dist");
  const fs::path out = d / "dist.csv";
  const CliRun r = run({"structure", "info", kGlass, "--distributions", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  std::ifstream in(out);
  std::string line;
  double zn_n_total = 0, znn_weighted = 0;
  size_t n_angle_rows = 0;
  while (std::getline(in, line)) {
    if (line.rfind("bond_length_A,N-Zn,", 0) == 0) {
      std::stringstream ss(line.substr(std::string("bond_length_A,N-Zn,").size()));
      std::string x, count;
      std::getline(ss, x, ',');
      std::getline(ss, count, ',');
      zn_n_total += std::stod(count);
      znn_weighted += std::stod(count) * std::stod(x);
    }
    if (line.rfind("bond_angle_deg,N-Zn-N,", 0) == 0) ++n_angle_rows;
  }
  // Mean of the binned Zn–N lengths equals the mean the table reports (2.038 Å) within a bin width.
  ASSERT_GT(zn_n_total, 1000);
  EXPECT_NEAR(znn_weighted / zn_n_total, 2.038, 0.01);
  EXPECT_GT(n_angle_rows, 20u);
  const CliRun bad = run({"structure", "info", kGlass, "--distributions", (d / "x.txt").string()});
  EXPECT_EQ(bad.code, 1);
}
