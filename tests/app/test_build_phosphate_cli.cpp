// `sedpdf structure build phosphate`: bad input is a clear error and writes nothing; a small build writes
// the model and its statistics, distributions and PDFs next to it.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fixtures/cli.hpp"
#include "sedpdf/structures/build_phosphate.hpp"
#include "sedpdf/structures/io.hpp"

namespace fs = std::filesystem;

namespace {

using sedpdf::test_fixtures::CliRun;
using sedpdf::test_fixtures::run;

fs::path fresh_dir(const std::string& name) { return sedpdf::test_fixtures::fresh_temp_dir("sedpdf_test_phosphate_" + name); }

}  // namespace

TEST(BuildPhosphateCli, BadInputWritesNothing) {
  const fs::path d = fresh_dir("bad");
  const std::string out = (d / "glass.extxyz").string();
  const std::vector<std::vector<std::string>> bad = {
      {"--composition", "NaPO4"},                                     // not neutral
      {"--composition", "0.67[(Na2O)0.9(P2O5)"},                      // unparsable
      {"--composition", "Na2SiO3"},                                   // not this system
      {"--batch", "NaPO3=66.3lb"},                                    // unknown unit
      {"--density", "0"},                                             // impossible densities
      {"--density", "12"},
      {"--atoms", "60"},                                              // too few for the composition
      {"--composition", "NaPO3", "--batch", "base"},                  // both
  };
  for (const auto& extra : bad) {
    std::vector<std::string> args = {"structure", "build", "phosphate", "-o", out};
    args.insert(args.end(), extra.begin(), extra.end());
    const CliRun r = run(args);
    SCOPED_TRACE(extra[0] + " " + extra[1]);
    EXPECT_NE(r.code, 0);
    EXPECT_FALSE(r.err.empty());
    EXPECT_TRUE(fs::is_empty(d)) << "something was written";
  }
  // The messages name the problem.
  EXPECT_NE(run({"structure", "build", "phosphate", "-o", out, "--composition", "NaPO4"}).err.find("charge neutral"),
            std::string::npos);
  EXPECT_NE(run({"structure", "build", "phosphate", "-o", out, "--density", "12"}).err.find("density"),
            std::string::npos);
  EXPECT_NE(run({"structure", "build", "phosphate", "-o", out, "--atoms", "60"}).err.find("too few"),
            std::string::npos);
  const CliRun ext = run({"structure", "build", "phosphate", "-o", (d / "glass.unknown").string()});
  EXPECT_EQ(ext.code, 1);
  EXPECT_TRUE(fs::is_empty(d));
}

TEST(BuildPhosphateCli, SmallBuildWritesModelStatisticsAndPdfs) {
  const fs::path d = fresh_dir("small");
  const std::string out = (d / "glass.extxyz").string();
  const CliRun r = run({"structure", "build", "phosphate", "--batch", "NaPO3=66.3g,AlF3=13.7g", "--atoms", "400",
                     "--seed", "3", "-o", out});
  ASSERT_EQ(r.code, 0) << r.err;
  for (const char* suffix : {".extxyz", "_stats.txt", "_distributions.csv", "_pdf.csv"})
    EXPECT_TRUE(fs::exists(d / (std::string("glass") + suffix))) << suffix;
  // The model is the batch composition, neutral.
  const sedpdf::Structure s = sedpdf::read_structure(out);
  const sedpdf::PhosphateStats st = sedpdf::phosphate_statistics(s);
  EXPECT_EQ(st.counts.charge(), 0);
  const auto want = sedpdf::round_phosphate_composition(sedpdf::phosphate_composition_from_batch("base"), 400);
  EXPECT_EQ(st.counts.p, want.p);
  EXPECT_EQ(st.counts.al, want.al);
  EXPECT_EQ(st.counts.f, want.f);
  // The report carries the acceptance quantities; the PDF table has X-ray and electron columns.
  for (const char* key : {"P with four O within 1.8", "Qⁿ", "Al with six O+F", "Na–O first peak", "[PDFs]"})
    EXPECT_NE(r.out.find(key), std::string::npos) << key;
  std::ifstream pdf(d / "glass_pdf.csv");
  std::string line;
  std::getline(pdf, line);
  std::getline(pdf, line);
  EXPECT_EQ(line, "r_A,G_xray_A-2,G_electron_A-2");
  int rows = 0;
  while (std::getline(pdf, line)) ++rows;
  EXPECT_GT(rows, 500);
  std::ifstream dist(d / "glass_distributions.csv");
  std::stringstream all;
  all << dist.rdbuf();
  EXPECT_NE(all.str().find("qn,P,"), std::string::npos);
  EXPECT_NE(all.str().find("bond_length_A,O-Al"), std::string::npos);
}
