// `sedpdf simulate multislice`: an 8 × 8 scan over a two-phase specimen (with a carbon film) through the CLI
// at reduced size (8 mrad probe, 0.25 Å pixels, 2–6 nm wedge), with a thickness series of two outputs;
// bad input (window smaller than the probe, s_max beyond the band limit, missing specimen) with clear errors.
#include <gtest/gtest.h>

#include <cmath>
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

fs::path setup(const std::string& name, const std::string& multislice, const std::string& specimen = "specimen.toml") {
  const fs::path d = sedpdf::test_fixtures::fresh_temp_dir("sedpdf_test_simms_" + name);
  sedpdf::write_structure(sedpdf::test_fixtures::oxide_model(), (d / "oxide.extxyz").string());
  sedpdf::write_structure(sedpdf::test_fixtures::zinc_model(), (d / "zinc.extxyz").string());
  write_file(d / "specimen.toml",
        "seed = 4\nfield_nm = [12.0, 12.0]\n\n[[phase]]\nname = \"oxide\"\nmodel = \"oxide.extxyz\"\n\n"
        "[[phase]]\nname = \"zinc\"\nmodel = \"zinc.extxyz\"\n\n[thickness]\nkind = \"wedge\"\n"
        "thickness_min_nm = 2.0\nthickness_max_nm = 6.0\nangle_deg = 90.0\n\n"
        "[phases]\nkind = \"half_spaces\"\nphases = [\"oxide\", \"zinc\"]\npoint_nm = [6.0, 6.0]\n\n"
        "[film]\nthickness_nm = 1.0\n");
  std::ostringstream t;
  t << "[specimen]\nfile = \"" << specimen << "\"\n\n"
    << "[probe]\nenergy_keV = 200.0\nalpha_mrad = 8.0\n\n"
    << "[scan]\norigin_nm = [3.0, 3.0]\nstep_nm = 0.8\nsize = [8, 8]\n\n"
    << "[detector]\nlayout = \"uniform\"\nsize = [40, 40]\nds_per_pixel_A-1 = 0.05\n\n"
    << "[dose]\ndose_e_per_A2 = 1000.0\n\n"
    << "[inelastic]\nplasmon = true\nincoherent = true\n\n"
    << "[output]\nseed = 7\n\n"
    << "[fast]\nds_model_A-1 = 0.005   # ignored by multislice\n\n"
    << "[multislice]\n" << multislice;
  write_file(d / "sim.toml", t.str());
  return d;
}

}  // namespace

TEST(SimulateMultisliceCli, ScanOverTwoPhaseSpecimenWithThicknessSeries) {
  const fs::path d = setup("scan", "pixel_A = 0.25\nslice_thickness_A = 4.0\nthicknesses_nm = [3.0, 7.0]\n");
  const fs::path out = d / "ms.h5";
  const CliRun r = run({"simulate", "multislice", (d / "sim.toml").string(), "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  const fs::path o3 = d / "ms_t3nm.h5", o7 = d / "ms_t7nm.h5";
  ASSERT_TRUE(fs::exists(o3)) << r.out;
  ASSERT_TRUE(fs::exists(o7)) << r.out;
  EXPECT_FALSE(fs::exists(o7.string() + ".partial"));
  sedpdf::H5Reader h(o7.string());
  EXPECT_EQ(h.shape("/data/counts/data"), (std::vector<size_t>{8, 8, 40, 40}));
  EXPECT_EQ(h.shape("/data/ground_truth_thickness/data"), (std::vector<size_t>{8, 8, 2}));
  EXPECT_EQ(h.attribute_string("/sedpdf/parameters", "model"), "multislice");
  EXPECT_EQ(h.attribute_string("/sedpdf/parameters", "multislice.pixel_A"), "0.25");
  EXPECT_EQ(h.attribute_string("/sedpdf/parameters", "multislice.thicknesses_nm"), "3,7");
  // Expected counts: electrons per position = 1000 e⁻/Å² × (8 Å)² = 64000; the 2 × 1 Å⁻¹ detector holds most.
  const auto e = h.read_slab("/data/expected/data", {4, 4, 0, 0}, {1, 1, 40, 40});
  const double total = std::accumulate(e.begin(), e.end(), 0.0);
  EXPECT_GT(total, 0.5 * 64000);
  EXPECT_LT(total, 1.0001 * 64000);
  // The thicker output scatters more outside the probe's bright-field disc (α/λ = 0.32 Å⁻¹).
  sedpdf::H5Reader h3(o3.string());
  const auto e3 = h3.read_slab("/data/expected/data", {4, 4, 0, 0}, {1, 1, 40, 40});
  double dark3 = 0, dark7 = 0;
  for (size_t i = 0; i < 40; ++i)
    for (size_t j = 0; j < 40; ++j)
      if (std::hypot((static_cast<double>(i) - 19.5) * 0.05, (static_cast<double>(j) - 19.5) * 0.05) > 0.45) {
        dark3 += e3[i * 40 + j];
        dark7 += e[i * 40 + j];
      }
  EXPECT_GT(dark7, dark3);
  EXPECT_GT(dark3, 0.0);
}

TEST(SimulateMultisliceCli, BadInputGivesClearErrors) {
  {
    const fs::path d = setup("window", "pixel_A = 0.25\nwindow_A = 5.0\n");
    const CliRun r = run({"simulate", "multislice", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("window_A = 5"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "x.h5"));
  }
  {
    const fs::path d = setup("smax", "pixel_A = 0.25\ns_max_A-1 = 2.0\n");
    const CliRun r = run({"simulate", "multislice", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("s_max = 2"), std::string::npos) << r.err;
    EXPECT_NE(r.err.find("band limit"), std::string::npos) << r.err;
  }
  {
    const fs::path d = setup("nospec", "pixel_A = 0.25\n", "missing_specimen.toml");
    const CliRun r = run({"simulate", "multislice", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("missing_specimen.toml"), std::string::npos) << r.err;
  }
  {
    const fs::path d = setup("key", "pixel_A = 0.25\nslice_A = 2.0\n");
    const CliRun r = run({"simulate", "multislice", (d / "sim.toml").string(), "-o", (d / "x.h5").string()});
    EXPECT_EQ(r.code, 1);
    EXPECT_NE(r.err.find("slice_A"), std::string::npos) << r.err;
  }
}
