// `sedpdf specimen build`: outputs and their layout, ground truth of a configured geometry, bad input
// (clear errors, nothing written).
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fixtures/cli.hpp"
#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/structures/specimen.hpp"

namespace fs = std::filesystem;

namespace {

const std::string kData = SEDPDF_REPO_DATA;
const std::string kZif = kData + "/structures/agZIF-4_RMC_Castel2023.extxyz";

using sedpdf::test_fixtures::CliRun;
using sedpdf::test_fixtures::run;
using sedpdf::test_fixtures::write_file;

fs::path temp_dir(const std::string& name) { return sedpdf::test_fixtures::fresh_temp_dir("sedpdf_test_specimen_" + name); }

// A small periodic Na–P–O random packing standing in for the phosphate glass model.
std::string glass_model(const fs::path& dir) {
  using namespace sedpdf;
  Structure s = rsa_model({{Element::parse("Na"), 120, 0.9}, {Element::parse("P"), 130, 0.8},
                           {Element::parse("O"), 420, 0.75}},
                          22.0, 3);
  s.title = "glass-like RSA";
  const std::string p = (dir / "glass.extxyz").string();
  write_structure(s, p);
  return p;
}

std::string config(const std::string& glass, const std::string& extra = "", const std::string& phases = "") {
  std::ostringstream t;
  t << "seed = 3\nfield_nm = [60.0, 40.0]\n\n"
    << "[[phase]]\nname = \"zif\"\nmodel = \"" << kZif << "\"\n\n"
    << "[[phase]]\nname = \"glass\"\nmodel = \"" << glass << "\"\n\n"
    << "[thickness]\nkind = \"slab\"\nthickness_nm = 5.0\n\n"
    << (phases.empty() ? "[phases]\nkind = \"half_spaces\"\nphases = [\"zif\", \"glass\"]\npoint_nm = [30.0, 20.0]\n"
                         "normal_angle_deg = 0.0\n"
                       : phases)
    << "\n[film]\nthickness_nm = 2.0\n\n"
    << "[scan]\norigin_nm = [5.0, 6.0]\nstep_nm = [6.0, 4.0]\nsize = [8, 8]\nprobe_fwhm_nm = 2.0\n\n"
    << "[maps]\nstep_nm = 1.0\n"
    << extra;
  return t.str();
}

bool dir_has_only(const fs::path& dir, std::vector<std::string> names) {
  for (const auto& e : fs::directory_iterator(dir)) {
    const std::string n = e.path().filename().string();
    if (std::find(names.begin(), names.end(), n) == names.end()) return false;
  }
  return true;
}

}  // namespace

TEST(SpecimenCli, BuildWritesGroundTruthSummaryAndRegion) {
  const fs::path d = temp_dir("build");
  const std::string glass = glass_model(d);
  write_file(d / "spec.toml", config(glass));
  const fs::path h5 = d / "truth.h5", region = d / "region.extxyz";
  const CliRun r = run({"specimen", "build", (d / "spec.toml").string(), "-o", h5.string(), "--region", "28,32,18,22",
                        "--region-output", region.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("estimated atoms"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("volume fraction"), std::string::npos);
  ASSERT_TRUE(fs::exists(h5));
  ASSERT_TRUE(fs::exists(region));
  ASSERT_TRUE(fs::exists(d / "truth_summary.txt"));

  sedpdf::H5Reader h(h5.string());
  EXPECT_EQ(h.shape("/ground_truth/thickness_total"), (std::vector<size_t>{8, 8}));
  EXPECT_EQ(h.shape("/ground_truth/x"), (std::vector<size_t>{8}));
  EXPECT_EQ(h.shape("/maps/phase_map"), (std::vector<size_t>{40, 60}));
  EXPECT_EQ(h.attribute_string("/ground_truth", "phase_names"), "zif,glass");
  const auto x = h.read("/ground_truth/x");
  const auto t = h.read("/ground_truth/thickness_total");
  const auto fz = h.read("/ground_truth/fraction/zif");
  const auto fg = h.read("/ground_truth/fraction/glass");
  const auto tz = h.read("/ground_truth/thickness/zif");
  const auto pm = h.read("/ground_truth/phase_map");
  const double sigma = 20.0 / 2.354820045;  // probe FWHM 2 nm
  for (size_t k = 0; k < t.size(); ++k) {
    EXPECT_NEAR(t[k], 50.0, 1e-9);  // slab 5 nm (Å in the file)
    EXPECT_NEAR(fz[k] + fg[k], 1.0, 1e-12);
    // interface at x = 30 nm, normal along +x into the glass: ZIF fraction = Φ((300 − x)/σ)
    const double xi = x[k % 8];
    EXPECT_NEAR(fz[k], 0.5 * std::erfc((xi - 300.0) / (sigma * std::sqrt(2.0))), 0.006) << xi;
    EXPECT_NEAR(tz[k], 50.0 * fz[k], 1e-9);
    EXPECT_EQ(pm[k], xi < 300 ? 0.0 : 1.0);
  }
  EXPECT_NEAR(h.attribute_double("/ground_truth", "film_thickness_A"), 20.0, 1e-12);
  const auto vf = h.read("/summary/phase_volume_fraction");
  ASSERT_EQ(vf.size(), 2u);
  EXPECT_NEAR(vf[0], 0.5, 1e-9);  // the interface halves the field
  EXPECT_NE(h.attribute_string("/", "config").find("half_spaces"), std::string::npos);

  // The region: atoms of both phases and the film, inside 4 × 4 nm × (2 + 5) nm, relative to its corner.
  const sedpdf::Structure s = sedpdf::read_structure(region.string());
  ASSERT_GT(s.size(), 1000u);
  int counts[3] = {0, 0, 0};
  for (const auto& a : s.atoms) {
    ASSERT_GE(a.phase, 0);
    ASSERT_LE(a.phase, 2);
    ++counts[a.phase];
    EXPECT_GE(a.pos.x, 0.0);
    EXPECT_LT(a.pos.x, 40.0);
    EXPECT_LT(a.pos.z, 70.0);
    if (a.phase == 2) {
      EXPECT_LT(a.pos.z, 20.0);
    } else {
      EXPECT_GE(a.pos.z, 20.0);
    }
    if (a.phase == 0) {
      EXPECT_LT(a.pos.x, 20.0 + 1e-9);  // zif left of the interface (x = 30 nm)
    }
    if (a.phase == 1) {
      EXPECT_GE(a.pos.x, 20.0 - 1e-9);
    }
  }
  EXPECT_GT(counts[0], 0);
  EXPECT_GT(counts[1], 0);
  EXPECT_GT(counts[2], 0);
}

TEST(SpecimenCli, VoronoiAndInclusionConfigsParse) {
  const fs::path d = temp_dir("voronoi");
  const std::string glass = glass_model(d);
  write_file(d / "v.toml",
        config(glass, "",
               "[phases]\nkind = \"voronoi\"\nphases = [\"zif\", \"glass\"]\nmean_size_nm = 10.0\nfractions = [0.4, 0.6]\n"
               "[[phases.inclusion]]\nphase = \"zif\"\ncentre_nm = [30.0, 20.0]\nradius_nm = 5.0\nshape = \"sphere\"\n"));
  const CliRun r = run({"specimen", "build", (d / "v.toml").string(), "-o", (d / "v.h5").string()});
  ASSERT_EQ(r.code, 0) << r.err;
  sedpdf::H5Reader h((d / "v.h5").string());
  const auto pm = h.read("/maps/phase_map");
  size_t zif = 0;
  for (double v : pm) zif += v == 0.0;
  EXPECT_GT(zif, pm.size() / 5);
  EXPECT_LT(zif, pm.size() * 4 / 5);
}

TEST(SpecimenCli, BadInputsGiveClearErrorsAndWriteNothing) {
  const fs::path d = temp_dir("bad");
  const std::string glass = glass_model(d);
  struct Case {
    std::string name, toml, needle;
    std::vector<std::string> extra_args;
  };
  const std::string good = config(glass);
  std::vector<Case> cases = {
      {"unknown_key", good + "\n[film2]\nx = 1\n", "unknown key 'film2'", {}},
      {"unknown_nested_key", config(glass, "", "[phases]\nkind = \"uniform\"\nphase = \"zif\"\ncolour = \"red\"\n"),
       "unknown key 'colour' in [phases]", {}},
      {"unknown_phase", config(glass, "", "[phases]\nkind = \"uniform\"\nphase = \"zif62\"\n"), "unknown phase 'zif62'", {}},
      {"outside_field",
       config(glass, "",
              "[phases]\nkind = \"uniform\"\nphase = \"zif\"\n[[phases.inclusion]]\nphase = \"glass\"\ncentre_nm = [80.0, "
              "20.0]\nradius_nm = 3.0\n"),
       "outside the field", {}},
      {"negative_thickness", [&] {
         std::string t = good;
         t.replace(t.find("thickness_nm = 5.0"), 18, "thickness_nm = -5.0");
         return t;
       }(),
       "must be positive", {}},
      {"missing_model", [&] {
         std::string t = good;
         t.replace(t.find(glass), glass.size(), (d / "nope.extxyz").string());
         return t;
       }(),
       "nope.extxyz", {}},
      {"scan_outside", [&] {
         std::string t = good;
         t.replace(t.find("size = [8, 8]"), 13, "size = [80, 8]");
         return t;
       }(),
       "leaves the field", {}},
      {"toml_syntax", "seed = \nfield_nm = [1", "bad_toml_syntax.toml", {}},
      {"region_outside", good, "--region", {"--region", "50,70,0,5"}},
      {"region_too_big", good, "choose a smaller region", {"--region", "0,60,0,40", "--max-region-atoms", "1000"}},
  };
  for (Case& c : cases) {
    const fs::path dir = d / c.name;
    fs::create_directories(dir);
    const std::string file = c.name == "toml_syntax" ? "bad_toml_syntax.toml" : "spec.toml";
    write_file(dir / file, c.toml);
    std::vector<std::string> args = {"specimen", "build", (dir / file).string(), "-o", (dir / "out.h5").string()};
    args.insert(args.end(), c.extra_args.begin(), c.extra_args.end());
    const CliRun r = run(args);
    EXPECT_EQ(r.code, 1) << c.name << ": " << r.out;
    EXPECT_NE(r.err.find(c.needle), std::string::npos) << c.name << ": " << r.err;
    if (c.name != "region_outside" && c.name != "region_too_big") {
      EXPECT_NE(r.err.find(file), std::string::npos) << c.name << " (names the file): " << r.err;
    }
    EXPECT_TRUE(dir_has_only(dir, {file})) << c.name << ": something was written";
  }
}

TEST(SpecimenCli, ExampleNanoscale2022BuildsWithTheShippedModels) {
  const std::string zif = kData + "/models/agZIF62_default.extxyz", glass = kData + "/models/phosphate_default.extxyz";
  if (!fs::exists(zif) || !fs::exists(glass)) GTEST_SKIP() << "data/models/*_default.extxyz not built yet";
  const fs::path d = temp_dir("example");
  const fs::path example = fs::path(kData).parent_path() / "examples" / "specimen_nanoscale2022.toml";
  const fs::path cwd = fs::current_path();
  fs::current_path(fs::path(kData).parent_path());  // the example's model paths are relative to the repository
  const CliRun r = run({"specimen", "build", example.string(), "-o", (d / "ex.h5").string(), "--region",
                        "245,248,158,161"});
  fs::current_path(cwd);
  ASSERT_EQ(r.code, 0) << r.err;
  sedpdf::H5Reader h((d / "ex.h5").string());
  EXPECT_EQ(h.shape("/ground_truth/thickness_total"), (std::vector<size_t>{64, 64}));
  // the inclusion (r = 12 nm at (250, 160) nm) is agZIF-62 inside the glass
  const sedpdf::Structure s = sedpdf::read_structure((d / "ex_region.extxyz").string());
  size_t zif_atoms = 0, glass_atoms = 0;
  for (const auto& a : s.atoms) {
    zif_atoms += a.phase == 0;
    glass_atoms += a.phase == 1;
  }
  EXPECT_GT(zif_atoms, 0u);
  EXPECT_EQ(glass_atoms, 0u);
}
