// `sedpdf decompose CONFIG.toml`, in-process: a synthetic reduced cube of two real PDFs with smooth maps
// is written to HDF5 (docs/formats.md), unmixed, and the output read back; config and input errors name
// the key / file / pixel; non-convergence is surfaced.
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "fixtures/cli.hpp"
#include "fixtures/unmix_mixtures.hpp"
#include "sedpdf/structures/h5.hpp"

namespace fs = std::filesystem;
using namespace sedpdf;
using namespace sedpdf::test_fixtures;

namespace {

using sedpdf::test_fixtures::CliRun;
using sedpdf::test_fixtures::run;

fs::path temp_dir(const std::string& name) { return sedpdf::test_fixtures::fresh_temp_dir("sedpdf_test_decompose_" + name); }

constexpr int kNy = 20, kNx = 28;

/// The two-phase cube (ZIF-zni crystal + Na–P–Al–O–F packing, 5 % noise), shared by the tests.
const Mixture& mixture() {
  static const Mixture m = make_mixture(2, kNy, kNx, 0.05, 901, {1, 2});
  return m;
}

/// Writes /reduced/r and /reduced/G (ny, nx, n_r) as `sedpdf reduce` does, a mask (ny, nx) with three
/// positions off and /reduced/failed; `poison` puts a NaN at pixel (y=2, x=5), r index 10, and marks it
/// failed there.
void write_cube(const fs::path& path, bool poison = false, int vadf_film_rows = -1) {
  const Mixture& m = mixture();
  const PhasePdfs& P = phase_pdfs();
  const size_t n = P.r.size();
  std::vector<double> cube(static_cast<size_t>(kNy * kNx) * n);
  for (int row = 0; row < kNy * kNx; ++row)
    for (size_t j = 0; j < n; ++j) cube[static_cast<size_t>(row) * n + j] = m.X(row, static_cast<Eigen::Index>(j));
  if (poison) cube[static_cast<size_t>(2 * kNx + 5) * n + 10] = std::nan("");
  std::vector<double> mask(static_cast<size_t>(kNy * kNx), 1.0);
  mask[0] = mask[1] = mask[static_cast<size_t>(kNx + 3)] = 0.0;
  std::vector<double> failed(static_cast<size_t>(kNy * kNx), 0.0);
  if (poison) failed[static_cast<size_t>(2 * kNx + 5)] = 1.0;
  H5Writer h(path.string());
  h.group("/reduced");
  h.dataset_nd("/reduced/failed", failed, {static_cast<size_t>(kNy), static_cast<size_t>(kNx)});
  h.dataset("/reduced/r", P.r, "Å");
  h.dataset_nd("/reduced/G", cube, {static_cast<size_t>(kNy), static_cast<size_t>(kNx), n}, "Å⁻²");
  h.dataset_nd("/reduced/mask", mask, {static_cast<size_t>(kNy), static_cast<size_t>(kNx)});
  if (vadf_film_rows >= 0) {
    // A VADF image: the first rows bare film (0.28 ± 0.004), the rest specimen (0.35–0.50).
    std::mt19937_64 rng(5);
    std::normal_distribution<double> film(0.28, 0.004);
    std::uniform_real_distribution<double> specimen(0.35, 0.50);
    std::vector<double> vadf(static_cast<size_t>(kNy * kNx));
    for (int y = 0; y < kNy; ++y)
      for (int x = 0; x < kNx; ++x) vadf[static_cast<size_t>(y * kNx + x)] = y < vadf_film_rows ? film(rng) : specimen(rng);
    h.dataset_nd("/reduced/vadf", vadf, {static_cast<size_t>(kNy), static_cast<size_t>(kNx)});
  }
  h.close();
}

fs::path write_config(const fs::path& dir, const std::string& body) {
  const fs::path p = dir / "decompose.toml";
  std::ofstream(p) << body;
  return p;
}

std::vector<double> map_of(const std::vector<double>& maps, int comp) {
  const size_t npix = static_cast<size_t>(kNy * kNx);
  return std::vector<double>(maps.begin() + static_cast<std::ptrdiff_t>(comp * npix),
                             maps.begin() + static_cast<std::ptrdiff_t>((comp + 1) * npix));
}

}  // namespace

namespace {
/// The smaller matched correlation of the two decomposed maps with the mixture's true maps, over the positions
/// the configs leave unmasked (all but 0, 1 and kNx + 3).
double worst_map_correlation(const std::vector<double>& maps) {
  const Mixture& m = mixture();
  std::vector<Eigen::Index> used;
  for (int i = 0; i < kNy * kNx; ++i)
    if (i != 0 && i != 1 && i != kNx + 3) used.push_back(i);
  Eigen::MatrixXd est(static_cast<Eigen::Index>(used.size()), 2), truth(static_cast<Eigen::Index>(used.size()), 2);
  for (size_t i = 0; i < used.size(); ++i)
    for (int comp = 0; comp < 2; ++comp) {
      est(static_cast<Eigen::Index>(i), comp) = maps[static_cast<size_t>(comp * kNy * kNx + used[i])];
      truth(static_cast<Eigen::Index>(i), comp) = m.L(used[i], comp);
    }
  const auto corr = matched_correlations(est, truth, false);
  return std::min(corr[0], corr[1]);
}
}  // namespace

TEST(Decompose, IcaOnACubeRecoversTheMapsAndRecordsEverything) {
  const fs::path d = temp_dir("ica");
  write_cube(d / "cube.h5");
  const fs::path cfg = write_config(d, R"(
# relative paths are relative to this file
input = "cube.h5"
output = "unmix.h5"
dataset = "/reduced/G"
abscissa = "/reduced/r"
mask = "/reduced/mask"
method = "ica"
n_components = "auto"
seed = 3
[ica]
nonlinearity = "logcosh"
algorithm = "deflation"
)");
  const CliRun r = run({"decompose", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("components: 2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("557 of 560 scan positions"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("warning"), std::string::npos) << r.out;

  H5Reader h((d / "unmix.h5").string());
  const std::vector<size_t> cs = h.shape("/decomposition/components");
  ASSERT_EQ(cs.size(), 2u);
  EXPECT_EQ(cs[0], 2u);
  EXPECT_EQ(cs[1], phase_pdfs().r.size());
  EXPECT_EQ(h.shape("/decomposition/loadings"), (std::vector<size_t>{2, kNy, kNx}));
  EXPECT_EQ(h.attribute_string("/decomposition", "method"), "ica");
  EXPECT_EQ(h.attribute_double("/decomposition", "n_components"), 2.0);
  EXPECT_EQ(h.attribute_string("/decomposition", "n_components_requested"), "auto");
  EXPECT_EQ(h.attribute_string("/decomposition", "count_criterion"), "marchenko-pastur");
  EXPECT_NE(h.attribute_string("/decomposition", "count_reason").find("Marchenko"), std::string::npos);
  EXPECT_EQ(h.attribute_string("/decomposition", "converged"), "true");
  EXPECT_EQ(h.attribute_string("/decomposition", "ica_algorithm"), "deflation");
  EXPECT_EQ(h.attribute_string("/decomposition", "seed"), "3");
  EXPECT_EQ(h.attribute_string("/decomposition/abscissa", "units"), "Å");
  EXPECT_EQ(h.attribute_string("/decomposition/components", "units"), "Å⁻²");
  EXPECT_TRUE(h.exists("/decomposition/singular_values"));
  EXPECT_TRUE(h.exists("/decomposition/explained_variance_ratio"));
  EXPECT_TRUE(h.exists("/decomposition/pa_thresholds"));
  EXPECT_GT(h.attribute_double("/decomposition", "noise_sigma"), 0);

  // Masked positions are NaN; the maps match the truth at the others.
  const std::vector<double> maps = h.read("/decomposition/loadings");
  for (int comp = 0; comp < 2; ++comp) {
    const std::vector<double> c = map_of(maps, comp);
    EXPECT_TRUE(std::isnan(c[0]) && std::isnan(c[1]) && std::isnan(c[static_cast<size_t>(kNx + 3)]));
  }
  const double worst = worst_map_correlation(maps);
  EXPECT_GE(worst, 0.99);

  // The same config again gives the identical file content.
  const std::vector<double> first = h.read("/decomposition/components");
  ASSERT_EQ(run({"decompose", cfg.string()}).code, 0);
  H5Reader h2((d / "unmix.h5").string());
  EXPECT_EQ(h2.read("/decomposition/components"), first);
}

TEST(Decompose, VcaOnACubeRecoversTheMaps) {
  // The same synthetic cube by VCA (pure-pixel endmembers): the maps match the truth as ICA's do, and the
  // setting is recorded.
  const fs::path d = temp_dir("vca");
  write_cube(d / "cube.h5");
  const fs::path cfg = write_config(d, "input = \"cube.h5\"\noutput = \"vca.h5\"\nmask = \"/reduced/mask\"\n"
                                       "method = \"vca\"\nn_components = 2\nseed = 3\n[vca]\nextreme_fraction = 0.01\n");
  const CliRun r = run({"decompose", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  H5Reader h((d / "vca.h5").string());
  EXPECT_EQ(h.attribute_string("/decomposition", "method"), "vca");
  EXPECT_EQ(h.attribute_double("/decomposition", "vca_extreme_fraction"), 0.01);
  const std::vector<double> maps = h.read("/decomposition/loadings");
  EXPECT_GE(worst_map_correlation(maps), 0.99);
}

TEST(Decompose, SpecimenMaskFromTheVadf) {
  // The first 3 rows are bare film by their VADF: the automatic mask (reduce/particle_mask.hpp) leaves them
  // out (the configured mask's three positions lie in them too): 560 − 84.
  const fs::path d = temp_dir("vadf");
  write_cube(d / "cube.h5", false, 3);
  const std::string base = "input = \"cube.h5\"\noutput = \"unmix.h5\"\nmask = \"/reduced/mask\"\nmethod = \"ica\"\n"
                           "n_components = 2\nseed = 3\nspecimen_mask = \"vadf\"\n";
  const CliRun r = run({"decompose", write_config(d, base).string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("specimen mask: VADF > 0.2"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(": 476 positions"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("476 of 560 scan positions"), std::string::npos) << r.out;
  H5Reader h((d / "unmix.h5").string());
  EXPECT_EQ(h.attribute_string("/decomposition", "specimen_mask").rfind("VADF > ", 0), 0u)
      << h.attribute_string("/decomposition", "specimen_mask");
  const std::vector<double> maps = h.read("/decomposition/loadings");
  std::vector<Eigen::Index> used;
  for (int i = 0; i < kNy * kNx; ++i) {
    const bool in = i >= 3 * kNx;
    EXPECT_EQ(std::isnan(maps[static_cast<size_t>(i)]), !in) << i;
    if (in) used.push_back(i);
  }
  Eigen::MatrixXd est(static_cast<Eigen::Index>(used.size()), 2), truth(static_cast<Eigen::Index>(used.size()), 2);
  for (size_t i = 0; i < used.size(); ++i)
    for (int comp = 0; comp < 2; ++comp) {
      est(static_cast<Eigen::Index>(i), comp) = maps[static_cast<size_t>(comp * kNy * kNx + used[i])];
      truth(static_cast<Eigen::Index>(i), comp) = mixture().L(used[i], comp);
    }
  const auto corr = matched_correlations(est, truth, false);
  EXPECT_GE(std::min(corr[0], corr[1]), 0.99);
  // A given threshold; no film in the image (refused, naming the key); a VADF key without the mask; a cube
  // without a VADF dataset.
  const CliRun g = run({"decompose", write_config(d, base + "vadf_threshold = 0.3\n").string()});
  ASSERT_EQ(g.code, 0) << g.err;
  EXPECT_NE(g.out.find("VADF > 0.3 (given): 476 positions"), std::string::npos) << g.out;
  write_cube(d / "cube.h5", false, 0);
  const CliRun nf = run({"decompose", write_config(d, base).string()});
  EXPECT_EQ(nf.code, 1);
  EXPECT_NE(nf.err.find("specimen_mask"), std::string::npos) << nf.err;
  EXPECT_NE(nf.err.find("vadf_threshold"), std::string::npos) << nf.err;
  const CliRun k = run({"decompose", write_config(d, "input = \"cube.h5\"\noutput = \"u.h5\"\nvadf_threshold = 0.3\n").string()});
  EXPECT_EQ(k.code, 1);
  EXPECT_NE(k.err.find("vadf_threshold"), std::string::npos) << k.err;
  write_cube(d / "cube.h5");
  const CliRun nv = run({"decompose", write_config(d, base).string()});
  EXPECT_EQ(nv.code, 1);
  EXPECT_NE(nv.err.find("/reduced/vadf"), std::string::npos) << nv.err;
}

TEST(Decompose, PcaAndNmfWindowAndFixedCount) {
  const fs::path d = temp_dir("pca");
  write_cube(d / "cube.h5");
  const fs::path cfg = write_config(d, R"(
input = "cube.h5"
output = "pca.h5"
method = "pca"
n_components = 3
abscissa_min = 2.0   # Å
abscissa_max = 10.0
[pca]
center = true
solver = "full"
)");
  const CliRun r = run({"decompose", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  H5Reader h((d / "pca.h5").string());
  const std::vector<double> ab = h.read("/decomposition/abscissa");
  EXPECT_GE(ab.front(), 2.0 - 1e-12);
  EXPECT_LE(ab.back(), 10.0 + 1e-12);
  EXPECT_EQ(h.shape("/decomposition/components"), (std::vector<size_t>{3, ab.size()}));
  EXPECT_TRUE(h.exists("/decomposition/mean"));
  EXPECT_EQ(h.attribute_string("/decomposition", "count_criterion"), "fixed");
  EXPECT_EQ(h.attribute_string("/decomposition", "pca_center"), "true");
  // NMF needs non-negative data: G(r) is not, and the error names the pixel and r.
  const fs::path bad = write_config(d, "input = \"cube.h5\"\noutput = \"nmf.h5\"\nmethod = \"nmf\"\nn_components = 2\n");
  const CliRun rn = run({"decompose", bad.string()});
  EXPECT_EQ(rn.code, 1);
  EXPECT_NE(rn.err.find("non-negative"), std::string::npos) << rn.err;
  EXPECT_NE(rn.err.find("pixel (y=0, x=0), r = "), std::string::npos) << rn.err;
  EXPECT_FALSE(fs::exists(d / "nmf.h5"));
}

TEST(Decompose, NonConvergenceIsAWarningAndRecorded) {
  const fs::path d = temp_dir("noconv");
  write_cube(d / "cube.h5");
  const fs::path cfg = write_config(d, R"(
input = "cube.h5"
output = "unmix.h5"
n_components = 2
[ica]
max_iter = 1
tol = 1e-14
)");
  const CliRun r = run({"decompose", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("warning: FastICA"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("NOT converged"), std::string::npos) << r.out;
  H5Reader h((d / "unmix.h5").string());
  EXPECT_EQ(h.attribute_string("/decomposition", "converged"), "false");
  EXPECT_NE(h.attribute_string("/decomposition", "convergence_message").find("did not converge"), std::string::npos);
  EXPECT_NE(h.attribute_string("/decomposition", "warnings").find("did not converge"), std::string::npos);
}

TEST(Decompose, ConfigAndInputErrorsNameTheCulprit) {
  const fs::path d = temp_dir("errors");
  write_cube(d / "cube.h5");
  write_cube(d / "nan.h5", true);
  auto expect_error = [&](const std::string& body, const std::vector<std::string>& parts) {
    const fs::path cfg = write_config(d, body);
    const CliRun r = run({"decompose", cfg.string()});
    EXPECT_EQ(r.code, 1) << body;
    for (const std::string& p : parts) EXPECT_NE(r.err.find(p), std::string::npos) << "'" << p << "' not in: " << r.err;
  };
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nmethods = \"ica\"\n",
               {"decompose.toml:3", "field 'methods'", "unknown key"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\n[ica]\nnonlinear = \"exp\"\n", {"ica.nonlinear", "unknown key"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nn_components = \"three\"\n", {"n_components", "auto"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nmethod = \"pls\"\n", {"method", "pls"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\n[ica]\nalgorithm = 3\n", {"ica.algorithm", "string"});
  expect_error("output = \"o.h5\"\n", {"input", "required"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\ndataset = \"/reduced/phi\"\n", {"cube.h5", "/reduced/phi", "no such dataset"});
  expect_error("input = \"nan.h5\"\noutput = \"o.h5\"\n", {"nan.h5", "non-finite", "pixel (y=2, x=5)", "r = "});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nn_components = 600\n", {"n_components", "600"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nabscissa_min = 30.0\n", {"window", "at least 2"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nseed = -1\n", {"seed"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nmethod = \"ica\"\nx = [1,\n", {"TOML"});
  expect_error("input = \"cube.h5\"\noutput = \"o.h5\"\nmethod = \"vca\"\n[vca]\nextreme_fraction = 0.7\n",
               {"vca.extreme_fraction", "[0, 0.5]"});
  EXPECT_FALSE(fs::exists(d / "o.h5"));
  // The failed position left out with `exclude`: the run succeeds and its loadings are NaN.
  const fs::path cfg = write_config(d, "input = \"nan.h5\"\noutput = \"o.h5\"\nexclude = \"/reduced/failed\"\n");
  const CliRun r = run({"decompose", cfg.string()});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("559 of 560"), std::string::npos) << r.out;
  H5Reader h((d / "o.h5").string());
  EXPECT_TRUE(std::isnan(h.read("/decomposition/loadings")[static_cast<size_t>(2 * kNx + 5)]));
  EXPECT_EQ(h.attribute_string("/decomposition", "input_exclude"), "/reduced/failed");
}
