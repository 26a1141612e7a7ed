// `sedpdf run CONFIG.toml` through the CLI: a bad configuration fails with exit 1 naming the key and the file
// and writes nothing; a tiny run (8 × 8 positions, small detector, no figures) writes the report. `sedpdf
// study` rejects a bad sweep file the same way.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <unistd.h>
#include <vector>

#include "commands.hpp"
#include "fixtures/cli.hpp"
#include "run_config.hpp"

namespace fs = std::filesystem;

namespace {

using sedpdf::test_fixtures::CliRun;
using sedpdf::test_fixtures::read_file;
using sedpdf::test_fixtures::run;
using sedpdf::test_fixtures::write_file;

/// A temp dir with a specimen file (the default models, a 44 nm field, abrupt interface) and a study config
/// whose [study] section gets `extra` appended.
fs::path setup(const std::string& name, const std::string& extra) {
  const fs::path d = fs::temp_directory_path() / ("sedpdf_run_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  const std::string data = SEDPDF_REPO_DATA;
  write_file(d / "specimen.toml", "seed = 3\nfield_nm = [44.0, 44.0]\n"
                             "[[phase]]\nname = \"agZIF62\"\nmodel = \"" + data + "/models/agZIF62_default.extxyz\"\n"
                             "[[phase]]\nname = \"phosphate\"\nmodel = \"" + data + "/models/phosphate_default.extxyz\"\n"
                             "[thickness]\nkind = \"slab\"\nthickness_nm = 40.0\n"
                             "[phases]\nkind = \"half_spaces\"\nphases = [\"agZIF62\", \"phosphate\"]\n"
                             "point_nm = [22.0, 22.0]\nnormal_angle_deg = 0.0\n");
  write_file(d / "run.toml", "[specimen]\nfile = \"specimen.toml\"\n"
                        "[scan]\norigin_nm = [2.75, 2.75]\nstep_nm = 5.5\nsize = [8, 8]\ntruth_probe_fwhm_nm = 5.0\n"
                        "[detector]\nlayout = \"uniform\"\nsize = [128, 128]\n\"ds_per_pixel_A-1\" = 0.045\n"
                        "[dose]\ndose_e_per_A2 = 20.0\n"
                        "[study]\noutput_dir = \"" + (d / "report").string() + "\"\ndraw_figures = false\n"
                        "thickness_bands = 1\n" + extra);
  return d;
}

TEST(RunCli, BadConfigNamesKeyAndFileAndWritesNothing) {
  const fs::path d = setup("bad", "bogus_key_nm = 3.0\n");
  const CliRun r = run({"run", (d / "run.toml").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("bogus_key_nm"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("run.toml"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "report"));
  EXPECT_FALSE(fs::exists(d / "report.work"));
  // A bad value of a known key.
  const fs::path d2 = setup("bad2", "binning = 0\n");
  const CliRun r2 = run({"run", (d2 / "run.toml").string()});
  EXPECT_EQ(r2.code, 1);
  EXPECT_NE(r2.err.find("study.binning"), std::string::npos) << r2.err;
  EXPECT_FALSE(fs::exists(d2 / "report"));
  // A missing file.
  const CliRun r3 = run({"run", (d / "missing.toml").string()});
  EXPECT_EQ(r3.code, 1);
  EXPECT_NE(r3.err.find("missing.toml"), std::string::npos) << r3.err;
  fs::remove_all(d);
  fs::remove_all(d2);
}

TEST(RunCli, ParticleMaskKeys) {
  // Unknown mask source; a VADF key with the truth mask.
  const fs::path d = setup("mask_bad", "particle_mask = \"adf\"\n");
  const CliRun r = run({"run", (d / "run.toml").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("study.particle_mask"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("'adf'"), std::string::npos) << r.err;
  const fs::path d2 = setup("mask_bad2", "vadf_threshold = 0.3\n");
  const CliRun r2 = run({"run", (d2 / "run.toml").string()});
  EXPECT_EQ(r2.code, 1);
  EXPECT_NE(r2.err.find("study.vadf_threshold"), std::string::npos) << r2.err;
  // The automatic VADF mask on a field with no bare film (a slab everywhere) refuses to guess, names the
  // key to set, and leaves an earlier report untouched.
  const fs::path d3 = setup("mask_nofilm", "particle_mask = \"vadf\"\n");
  fs::create_directories(d3 / "report");
  write_file(d3 / "report" / "earlier.txt", "kept");
  const CliRun r3 = run({"run", (d3 / "run.toml").string(), "--quiet"});
  EXPECT_EQ(r3.code, 1);
  EXPECT_NE(r3.err.find("particle mask: the lowest VADF level"), std::string::npos) << r3.err;
  EXPECT_NE(r3.err.find("vadf_threshold"), std::string::npos) << r3.err;
  EXPECT_TRUE(fs::exists(d3 / "report" / "earlier.txt"));
  EXPECT_FALSE(fs::exists(d3 / "report" / "report.html"));
  // With the threshold given (every pixel of the slab is above 0) the same run completes.
  write_file(d3 / "run.toml", read_file(d3 / "run.toml") + "vadf_threshold = 0.0\n");
  const CliRun r4 = run({"run", (d3 / "run.toml").string(), "--quiet"});
  ASSERT_EQ(r4.code, 0) << r4.err;
  EXPECT_TRUE(fs::exists(d3 / "report" / "report.html"));
  for (const fs::path& x : {d, d2, d3}) fs::remove_all(x);
}

TEST(RunCli, DamageKeys) {
  // [[damage.phase]] is appended after [study]: an unknown phase, a missing critical dose, a mass loss of 1,
  // the multislice engine, an unknown second_scan_data — each named, before anything is computed.
  const std::string ok = "\n[[damage.phase]]\nname = \"agZIF62\"\ncritical_dose_e_per_A2 = 30.0\n";
  struct Case {
    std::string study, damage, expect;
  };
  const std::vector<Case> cases{
      {"", "\n[[damage.phase]]\nname = \"quartz\"\ncritical_dose_e_per_A2 = 30.0\n", "unknown phase 'quartz'"},
      {"", "\n[[damage.phase]]\nname = \"agZIF62\"\n", "damage.phase.critical_dose_e_per_A2"},
      {"", ok + "mass_loss = 1.0\n", "mass_loss = 1"},
      {"", ok + "colour = 3\n", "colour"},
      {"engine = \"multislice\"\n", ok, "fast model only"},
      {"second_scan_data = \"both\"\n", "", "study.second_scan_data"},
  };
  for (std::size_t i = 0; i < cases.size(); ++i) {
    const fs::path d = setup("damage_bad" + std::to_string(i), cases[i].study + cases[i].damage);
    const CliRun r = run({"run", (d / "run.toml").string()});
    EXPECT_EQ(r.code, 1) << i;
    EXPECT_NE(r.err.find(cases[i].expect), std::string::npos) << i << ": " << r.err;
    EXPECT_NE(r.err.find("run.toml"), std::string::npos) << r.err;
    EXPECT_FALSE(fs::exists(d / "report.work")) << i;
    fs::remove_all(d);
  }
}

TEST(RunCli, TinyRunWritesTheReport) {
  const fs::path d = setup("tiny", "components = 2\n");
  const CliRun r = run({"run", (d / "run.toml").string(), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("acceptance"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(d / "report" / "report.html"));
  EXPECT_TRUE(fs::exists(d / "report" / "study.h5"));
  EXPECT_TRUE(fs::exists(d / "report" / "reduced.h5"));
  EXPECT_TRUE(fs::exists(d / "report" / "tables" / "acceptance.csv"));
  EXPECT_FALSE(fs::exists(d / "report.work"));
  // Another realisation of the same experiment: --seed changes the noise (and so the measured numbers).
  const CliRun r5 = run({"run", (d / "run.toml").string(), "--quiet", "--seed", "5", "-o", (d / "seed5").string()});
  ASSERT_EQ(r5.code, 0) << r5.err << r5.out;
  const std::string a = read_file(d / "report" / "tables" / "acceptance.csv"), b = read_file(d / "seed5" / "tables" / "acceptance.csv");
  EXPECT_FALSE(b.empty());
  EXPECT_NE(a, b);
  const CliRun bad = run({"run", (d / "run.toml").string(), "--quiet", "--seed", "-2", "-o", (d / "seedbad").string()});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("--seed"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(d / "seedbad"));
  fs::remove_all(d);
}

TEST(RunCli, RealisationsSummariseTheAcceptanceOverSeeds) {
  // Two realisations of the tiny run (seeds 4 and 5): one report per seed, the summary tables, an earlier
  // output replaced only at the end; the numbers of seed 5 equal a plain `--seed 5` run's.
  const fs::path d = setup("realisations", "");
  const fs::path out = d / "ens";
  fs::create_directories(out);
  write_file(out / "earlier.txt", "old");
  const CliRun r = run({"run", (d / "run.toml").string(), "--quiet", "--seed", "4", "--realisations", "2", "-o", out.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("over 2 realisations (seeds 4–5)"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(out / "seed_4" / "report.html"));
  EXPECT_TRUE(fs::exists(out / "seed_5" / "tables" / "acceptance.csv"));
  EXPECT_FALSE(fs::exists(out / "seed_5" / "scan.h5"));  // the 4D scan is not kept per realisation
  EXPECT_TRUE(fs::exists(out / "report.html"));
  EXPECT_TRUE(fs::exists(out / "tables" / "realisations.csv"));
  EXPECT_TRUE(fs::exists(out / "tables" / "realisations_summary.csv"));
  EXPECT_FALSE(fs::exists(out / "earlier.txt"));
  EXPECT_FALSE(fs::exists(out.string() + ".realisations.work"));
  const CliRun one = run({"run", (d / "run.toml").string(), "--quiet", "--seed", "5", "-o", (d / "single5").string()});
  ASSERT_EQ(one.code, 0) << one.err;
  EXPECT_FALSE(read_file(out / "seed_5" / "tables" / "acceptance.csv").empty());
  EXPECT_EQ(read_file(out / "seed_5" / "tables" / "acceptance.csv"), read_file(d / "single5" / "tables" / "acceptance.csv"));
  // A failing ensemble (the VADF mask on a field without bare film fails in the first run's study) leaves the
  // earlier output as it was and nothing staged.
  const fs::path f = setup("realisations_fail", "particle_mask = \"vadf\"\n");
  fs::create_directories(f / "report");
  write_file(f / "report" / "earlier.txt", "kept");
  const CliRun rf = run({"run", (f / "run.toml").string(), "--quiet", "--realisations", "2"});
  EXPECT_EQ(rf.code, 1);
  EXPECT_NE(rf.err.find("particle mask"), std::string::npos) << rf.err;
  EXPECT_TRUE(fs::exists(f / "report" / "earlier.txt"));
  EXPECT_FALSE(fs::exists(f / "report" / "report.html"));
  EXPECT_FALSE(fs::exists((f / "report").string() + ".realisations.work"));
  fs::remove_all(f);
  // One realisation is no ensemble.
  const CliRun bad = run({"run", (d / "run.toml").string(), "--quiet", "--realisations", "1", "-o", (d / "bad").string()});
  EXPECT_NE(bad.code, 0);
  EXPECT_NE(bad.err.find("--realisations"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(d / "bad"));
  fs::remove_all(d);
}

TEST(RunCli, VcaWithoutIndependentEndmembersLeavesItsColumnEmpty) {
  // 15 components on a two-phase 8 × 8 scan: VCA (run beside ICA) finds no 15 independent endmembers. That is a
  // result (no pure pixels of some component), not an error: the run completes and reports VCA as n/a. (Until the
  // eleventh session the wrapped error escaped and aborted the whole run.)
  const fs::path d = setup("vca", "components = 15\n");
  const CliRun r = run({"run", (d / "run.toml").string(), "--quiet"});
  ASSERT_EQ(r.code, 0) << r.err << r.out;
  EXPECT_NE(r.out.find("pure-pixel unmixing (VCA) of the same cube: agZIF62 nan, phosphate nan"), std::string::npos) << r.out;
  EXPECT_TRUE(fs::exists(d / "report" / "report.html"));
  fs::remove_all(d);
}

TEST(RunCli, ExampleConfigsLoad) {
  // The shipped study configurations stay valid and say what their comments say (003's two datasets, and the
  // first with a second scan and the damage model).
  // They are run from the repository root (their specimen names data/models/... relative to it).
  const fs::path root = fs::path(SEDPDF_REPO_DATA).parent_path();
  struct Cwd {
    fs::path before = fs::current_path();
    ~Cwd() { fs::current_path(before); }
  } restore;
  fs::current_path(root);
  const std::string ex = (root / "examples").string() + "/";
  const sedpdf::StudyConfig a = sedpdf::cli::load_run_config(ex + "nanoscale2022.toml");
  EXPECT_EQ(a.probe.energy_keV, 200.0);
  EXPECT_EQ(a.detector.layout, "quad_medipix3");
  EXPECT_EQ(a.detector.ds, 0.011);
  EXPECT_EQ(a.detector.dose_e_per_A2, 10.0);
  EXPECT_EQ(a.chain.s_max, 2.5);
  EXPECT_EQ(a.scan.nx, 64u);
  EXPECT_FALSE(a.second_scan);
  const sedpdf::StudyConfig d = sedpdf::cli::load_run_config(ex + "nanoscale2022_damage.toml");
  EXPECT_TRUE(d.second_scan);
  EXPECT_EQ(d.second_scan_data, sedpdf::SecondScanData::Second);
  EXPECT_EQ(d.damage.size(), 2u);
  const sedpdf::StudyConfig k = sedpdf::cli::load_run_config(ex + "nanoscale2022_300kV.toml");
  EXPECT_EQ(k.probe.energy_keV, 300.0);
  EXPECT_EQ(k.detector.layout, "single_256");
  EXPECT_EQ(k.detector.ds, 0.016);
  EXPECT_EQ(k.detector.dose_e_per_A2, 13.0);
  EXPECT_EQ(k.chain.s_max, 2.1);
  EXPECT_EQ(k.chain.fit_s_lo, 1.6);
  EXPECT_EQ(k.chain.fit_s_hi, 2.1);
  EXPECT_EQ(k.probe.alpha_mrad, 0.6);
  EXPECT_FALSE(k.chain.plural_deconvolution);  // 003's chain; the option is a commented line
  // ... which, uncommented, switches the plural deconvolution on (the disc radius is set by run_study)
  std::string text = read_file(ex + "nanoscale2022_300kV.toml");
  const std::string commented = "# plural_deconvolution = true", spec = "file = \"specimen_nanoscale2022.toml\"";
  ASSERT_NE(text.find(commented), std::string::npos);
  ASSERT_NE(text.find(spec), std::string::npos);
  text.replace(text.find(commented), commented.size(), "plural_deconvolution = true");
  text.replace(text.find(spec), spec.size(), "file = \"" + ex + "specimen_nanoscale2022.toml\"");
  const fs::path tmp = fs::temp_directory_path() / ("sedpdf_300kV_plural_" + std::to_string(getpid()) + ".toml");
  std::ofstream(tmp) << text;
  const sedpdf::StudyConfig kp = sedpdf::cli::load_run_config(tmp.string());
  fs::remove(tmp);
  EXPECT_TRUE(kp.chain.plural_deconvolution);
  EXPECT_EQ(kp.detector.layout, "single_256");
}

TEST(StudyCli, BadSweepNamesKeyAndFile) {
  const fs::path d = fs::temp_directory_path() / ("sedpdf_sweep_bad_" + std::to_string(getpid()));
  fs::create_directories(d);
  const std::string data = SEDPDF_REPO_DATA;
  write_file(d / "sweep.toml", "output_dir = \"" + (d / "out").string() + "\"\n"
                          "[[phase]]\nname = \"a\"\nmodel = \"" + data + "/models/agZIF62_default.extxyz\"\n"
                          "[[phase]]\nname = \"b\"\nmodel = \"" + data + "/models/phosphate_default.extxyz\"\n"
                          "[[map]]\nx = \"dose_e_per_A2\"\nx_values = [1.0, 10.0]\ny = \"colour\"\ny_values = [1.0]\n");
  const CliRun r = run({"study", (d / "sweep.toml").string()});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("map.y"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("sweep.toml"), std::string::npos) << r.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  // An unknown incoherent model in [experiment]: named with the key and the file, nothing written.
  write_file(d / "sweep2.toml", "output_dir = \"" + (d / "out").string() + "\"\n"
                          "[[phase]]\nname = \"a\"\nmodel = \"" + data + "/models/agZIF62_default.extxyz\"\n"
                          "[[phase]]\nname = \"b\"\nmodel = \"" + data + "/models/phosphate_default.extxyz\"\n"
                          "[experiment]\nincoherent_model = \"compton\"\n"
                          "[[map]]\nx = \"dose_e_per_A2\"\nx_values = [1.0, 10.0]\ny = \"thickness_nm\"\ny_values = [20.0]\n");
  const CliRun r2 = run({"study", (d / "sweep2.toml").string()});
  EXPECT_EQ(r2.code, 1);
  EXPECT_NE(r2.err.find("incoherent_model"), std::string::npos) << r2.err;
  EXPECT_NE(r2.err.find("compton"), std::string::npos) << r2.err;
  EXPECT_NE(r2.err.find("sweep2.toml"), std::string::npos) << r2.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  // An unknown inelastic join in [experiment]: the same.
  write_file(d / "sweep3.toml", "output_dir = \"" + (d / "out").string() + "\"\n"
                          "[[phase]]\nname = \"a\"\nmodel = \"" + data + "/models/agZIF62_default.extxyz\"\n"
                          "[[phase]]\nname = \"b\"\nmodel = \"" + data + "/models/phosphate_default.extxyz\"\n"
                          "[experiment]\ninelastic_join = \"smooth\"\n"
                          "[[map]]\nx = \"dose_e_per_A2\"\nx_values = [1.0, 10.0]\ny = \"thickness_nm\"\ny_values = [20.0]\n");
  const CliRun r3 = run({"study", (d / "sweep3.toml").string()});
  EXPECT_EQ(r3.code, 1);
  EXPECT_NE(r3.err.find("inelastic_join"), std::string::npos) << r3.err;
  EXPECT_NE(r3.err.find("smooth"), std::string::npos) << r3.err;
  EXPECT_FALSE(fs::exists(d / "out"));
  // Blend fractions (PDF-similarity axis): 0 is allowed there (not on other axes), 1 and above are refused, in a
  // map and in [base]; named with the key and the file, nothing written.
  for (const auto& [tail, key] : std::vector<std::pair<std::string, std::string>>{
           {"[[map]]\nx = \"dose_e_per_A2\"\nx_values = [10.0]\ny = \"blend_fraction\"\ny_values = [0.0, 1.0]\n", "map.y_values"},
           {"[[map]]\nx = \"dose_e_per_A2\"\nx_values = [0.0, 10.0]\ny = \"blend_fraction\"\ny_values = [0.0, 0.5]\n", "map.x_values"},
           {"[base]\nblend_fraction = 1.5\n[[map]]\nx = \"dose_e_per_A2\"\nx_values = [10.0]\ny = \"thickness_nm\"\ny_values = [20.0]\n",
            "base.blend_fraction"}}) {
    write_file(d / "sweep5.toml", "output_dir = \"" + (d / "out").string() + "\"\n"
                            "[[phase]]\nname = \"a\"\nmodel = \"" + data + "/models/agZIF62_default.extxyz\"\n"
                            "[[phase]]\nname = \"b\"\nmodel = \"" + data + "/models/phosphate_default.extxyz\"\n" + tail);
    const CliRun r5 = run({"study", (d / "sweep5.toml").string()});
    EXPECT_EQ(r5.code, 1);
    EXPECT_NE(r5.err.find(key), std::string::npos) << r5.err;
    EXPECT_NE(r5.err.find("sweep5.toml"), std::string::npos) << r5.err;
    EXPECT_FALSE(fs::exists(d / "out"));
  }
  // Damage keys: a damage parameter without a critical dose; a mass loss of 1.
  for (const auto& [extra, key] : std::vector<std::pair<std::string, std::string>>{
           {"pair_sigma_A = 0.3\n", "phase.pair_sigma_A"}, {"critical_dose_e_per_A2 = 30.0\nmass_loss = 1.0\n", "phase.mass_loss"}}) {
    write_file(d / "sweep4.toml", "output_dir = \"" + (d / "out").string() + "\"\n"
                            "[[phase]]\nname = \"a\"\nmodel = \"" + data + "/models/agZIF62_default.extxyz\"\n" + extra +
                            "[[phase]]\nname = \"b\"\nmodel = \"" + data + "/models/phosphate_default.extxyz\"\n"
                            "[[map]]\nx = \"dose_e_per_A2\"\nx_values = [1.0, 10.0]\ny = \"thickness_nm\"\ny_values = [20.0]\n");
    const CliRun r4 = run({"study", (d / "sweep4.toml").string()});
    EXPECT_EQ(r4.code, 1);
    EXPECT_NE(r4.err.find(key), std::string::npos) << r4.err;
    EXPECT_FALSE(fs::exists(d / "out"));
  }
  fs::remove_all(d);
}

}  // namespace
