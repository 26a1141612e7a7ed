// `sedpdf simulate fast`: an 8 × 8 scan over a two-phase specimen (with a carbon film) through the CLI at
// reduced size — 4D file layout, ground truth, metadata, profile mode — and bad input (missing specimen,
// unknown detector, zero or negative dose) with clear errors.
#include <gtest/gtest.h>

#include <iterator>

#include <filesystem>
#include <fstream>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fixtures/cli.hpp"
#include "fixtures/two_phase_specimen.hpp"
#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/io.hpp"

namespace fs = std::filesystem;

namespace {

using sedpdf::test_fixtures::CliRun;
using sedpdf::test_fixtures::run;
using sedpdf::test_fixtures::write_file;

/// A temp dir with the two phase models, a specimen file and a simulation config (`dose`, `layout` and
/// `specimen` substituted).
fs::path setup(const std::string& name, const std::string& dose = "dose_e_per_A2 = 10.0",
               const std::string& layout = "uniform", const std::string& specimen = "specimen.toml") {
  const fs::path d = sedpdf::test_fixtures::fresh_temp_dir("sedpdf_test_simfast_" + name);
  sedpdf::write_structure(sedpdf::test_fixtures::oxide_model(), (d / "oxide.extxyz").string());
  sedpdf::write_structure(sedpdf::test_fixtures::zinc_model(), (d / "zinc.extxyz").string());
  write_file(d / "specimen.toml",
        "seed = 4\nfield_nm = [20.0, 20.0]\n\n[[phase]]\nname = \"oxide\"\nmodel = \"oxide.extxyz\"\n\n"
        "[[phase]]\nname = \"zinc\"\nmodel = \"zinc.extxyz\"\n\n[thickness]\nkind = \"wedge\"\n"
        "thickness_min_nm = 5.0\nthickness_max_nm = 40.0\nangle_deg = 90.0\n\n"
        "[phases]\nkind = \"half_spaces\"\nphases = [\"oxide\", \"zinc\"]\npoint_nm = [10.0, 10.0]\n\n"
        "[film]\nthickness_nm = 2.0\n");
  std::ostringstream t;
  t << "[specimen]\nfile = \"" << specimen << "\"\n\n"
    << "[probe]\nenergy_keV = 200.0\nalpha_mrad = 0.6\n\n"
    << "[scan]\norigin_nm = [3.0, 3.0]\nstep_nm = 2.0\nsize = [8, 8]\n\n"
    << "[detector]\nlayout = \"" << layout << "\"\nsize = [48, 48]\nds_per_pixel_A-1 = 0.05\n\n"
    << "[dose]\n" << dose << "\n\n"
    << "[inelastic]\nplasmon = true\nincoherent = true\n[[inelastic.phase]]\nname = \"zinc\"\nplasmon_energy_eV = 21.0\n\n"
    << "[output]\nseed = 7\n\n"
    << "[fast]\nds_model_A-1 = 0.005\npdf_r_max_A = 5.9\n\n"
    << "[multislice]\nslice_A = 2.0   # ignored by the fast model\n";
  write_file(d / "sim.toml", t.str());
  return d;
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST(SimulateFastCli, ScanOverTwoPhaseSpecimen) {
  const fs::path d = setup("scan");
  const fs::path out = d / "fast.h5";
  const CliRun r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("λ_el"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("incoherent (hartree_fock)"), std::string::npos) << r.out;
  ASSERT_TRUE(fs::exists(out));
  EXPECT_FALSE(fs::exists(out.string() + ".partial"));
  sedpdf::H5Reader h(out.string());
  EXPECT_EQ(h.shape("/data/counts/data"), (std::vector<size_t>{8, 8, 48, 48}));
  EXPECT_EQ(h.shape("/data/expected/data"), (std::vector<size_t>{8, 8, 48, 48}));
  EXPECT_EQ(h.shape("/data/ground_truth_thickness/data"), (std::vector<size_t>{8, 8, 2}));
  EXPECT_EQ(h.attribute_string("/sedpdf/parameters", "detector.layout"), "uniform");
  EXPECT_EQ(h.attribute_string("/sedpdf/parameters", "model"), "fast");
  EXPECT_NEAR(h.attribute_double("/data/counts", "dose_e_per_A2"), 10.0, 1e-9);
  // Both phases appear in the ground truth, and the total thickness follows the wedge (5 → 40 nm along y).
  const auto th = h.read("/data/ground_truth_thickness/data");
  double oxide = 0, zinc = 0;
  for (size_t k = 0; k < 64; ++k) {
    oxide += th[k * 2];
    zinc += th[k * 2 + 1];
  }
  EXPECT_GT(oxide, 0);
  EXPECT_GT(zinc, 0);
  EXPECT_LT(th[(0 * 8 + 0) * 2] + th[(0 * 8 + 0) * 2 + 1], th[(7 * 8 + 0) * 2] + th[(7 * 8 + 0) * 2 + 1]);
  // Counts: electrons per position = 10 e⁻/Å² × (20 Å)² = 4000, most of them on the 2.4 Å⁻¹ wide detector.
  const auto c = h.read_slab("/data/counts/data", {3, 3, 0, 0}, {1, 1, 48, 48});
  const double total = std::accumulate(c.begin(), c.end(), 0.0);
  EXPECT_GT(total, 3000);
  EXPECT_LT(total, 4400);

  // Profile-only mode of the same configuration.
  const fs::path prof = d / "profiles.h5";
  const CliRun rp = run({"simulate", "fast", (d / "sim.toml").string(), "--profiles", "-o", prof.string()});
  ASSERT_EQ(rp.code, 0) << rp.err;
  sedpdf::H5Reader hp(prof.string());
  const auto shape = hp.shape("/profiles/counts");
  ASSERT_EQ(shape.size(), 2u);
  EXPECT_EQ(shape[0], 64u);
  EXPECT_EQ(shape[1], hp.shape("/profiles/s")[0]);
  EXPECT_TRUE(hp.exists("/ground_truth/thickness_total"));
}

TEST(SimulateFastCli, BadInputGivesClearErrors) {
  {
    const fs::path d = setup("nospec", "dose_e_per_A2 = 10.0", "uniform", "missing_specimen.toml");
    const CliRun r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("missing_specimen.toml"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "x.h5"));
  }
  {
    const fs::path d = setup("baddet", "dose_e_per_A2 = 10.0", "medipix9");
    const CliRun r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("medipix9"), std::string::npos) << r.err;
  }
  for (const std::string dose : {"dose_e_per_A2 = 0.0", "dose_e_per_A2 = -5.0"}) {
    const fs::path d = setup("baddose", dose);
    const CliRun r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("dose"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "x.h5"));
  }
  {
    const fs::path d = setup("badmodel");
    std::string text = read_text(d / "sim.toml");
    const size_t at = text.find("incoherent = true\n");
    ASSERT_NE(at, std::string::npos);
    text.insert(at + 18, "incoherent_model = \"compton\"\n");
    write_file(d / "sim.toml", text);
    const CliRun r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("incoherent_model"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("compton"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "x.h5"));
  }
  {  // an unknown inelastic join: named with the key and the value, nothing written
    const fs::path d = setup("badjoin");
    std::string text = read_text(d / "sim.toml");
    const size_t at = text.find("incoherent = true\n");
    ASSERT_NE(at, std::string::npos);
    text.insert(at + 18, "join = \"smooth\"\n");
    write_file(d / "sim.toml", text);
    const CliRun r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("join"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("smooth"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "x.h5"));
  }
  {  // the column classes (an option): a zero quantum is an error naming the key; a valid one runs
    const fs::path d = setup("classes");
    std::string text = read_text(d / "sim.toml");
    const size_t at = text.find("[fast]\n");
    ASSERT_NE(at, std::string::npos);
    std::string bad = text;
    bad.insert(at + 7, "column_classes = true\ncolumn_class_A = 0.0\n");
    write_file(d / "sim.toml", bad);
    CliRun r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("column_class_A"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "x.h5"));
    std::string good = text;
    good.insert(at + 7, "column_classes = true\ncolumn_class_A = 10.0\n");
    write_file(d / "sim.toml", good);
    r = run({"simulate", "fast", (d / "sim.toml").string(), "-o", (d / "x.h5").string(), "--profiles"});
    EXPECT_EQ(r.code, 0) << r.err;
    EXPECT_TRUE(fs::exists(d / "x.h5"));
  }
  {
    const fs::path d = setup("badkey");
    std::ofstream(d / "sim.toml", std::ios::app) << "\n[extra]\nfoo = 1\n";
    const CliRun r = run({"simulate", "fast", (d / "sim.toml").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("extra"), std::string::npos) << r.err;
  }
}
