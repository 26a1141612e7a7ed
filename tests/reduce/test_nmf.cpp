// NMF (reduce/nmf.hpp): recovery of non-negative profiles and maps with HALS and multiplicative
// updates, monotone objective, an exact factorisation, automatic count, determinism, thread counts
// and bad input (negative values named).
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "fixtures/unmix_mixtures.hpp"
#include "sedpdf/reduce/nmf.hpp"

using namespace sedpdf;
using namespace sedpdf::test_fixtures;
using Eigen::MatrixXd;

namespace {

/// Two non-negative ring profiles over p points (Gaussian rings at different s, each with a zero
/// region, so that the factorisation is unique: Donoho & Stodden 2004), mixed by the two-phase maps of
/// make_maps (wavy interface × thickness, with pure pixels of each phase), plus Poisson noise at
/// `counts` counts per unit intensity (0 = no noise).
struct CountMixture {
  MatrixXd L, C, X, clean;
};

CountMixture count_mixture(int ny, int nx, int p, double counts, uint64_t seed) {
  CountMixture m;
  m.L = make_maps(2, ny, nx);
  m.C.resize(2, p);
  auto ring = [](double s, double s0, double w) { return std::exp(-0.5 * std::pow((s - s0) / w, 2)); };
  for (int j = 0; j < p; ++j) {
    const double s = 0.02 + 2.0 * j / p;  // Å⁻¹
    m.C(0, j) = 1.0 * ring(s, 0.55, 0.08) + 0.5 * ring(s, 1.10, 0.12) + 0.2 * ring(s, 1.7, 0.1);
    m.C(1, j) = 0.8 * ring(s, 0.80, 0.06) + 0.4 * ring(s, 1.45, 0.10);
  }
  m.clean = m.L * m.C;
  m.X = m.clean;
  if (counts > 0) {
    std::mt19937_64 g(seed + 1);
    for (int i = 0; i < m.X.size(); ++i)
      m.X.data()[i] = static_cast<double>(std::poisson_distribution<long>(counts * m.X.data()[i])(g)) / counts;
  }
  return m;
}

double min_of(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

}  // namespace

TEST(Nmf, RecoversNonNegativeProfilesAndMapsBothSolvers) {
  const CountMixture m = count_mixture(24, 32, 200, 200, 801);
  for (NmfSolver solver : {NmfSolver::Hals, NmfSolver::MultiplicativeUpdate}) {
    NmfOptions o;
    o.n_components = 2;
    o.solver = solver;
    o.max_iter = solver == NmfSolver::Hals ? 500 : 3000;
    const NmfResult r = nmf(m.X, o);
    const std::string tag = nmf_solver_name(solver);
    EXPECT_GE(r.loadings.minCoeff(), 0) << tag;
    EXPECT_GE(r.components.minCoeff(), 0) << tag;
    EXPECT_GE(min_of(matched_correlations(r.loadings, m.L, false)), 0.99) << tag;
    EXPECT_GE(min_of(matched_correlations(r.components, m.C, true)), 0.99) << tag;
    // The objective never increases (Lee & Seung 2001, Theorem 1; HALS: exact block minimisation).
    for (size_t t = 1; t < r.objective.size(); ++t)
      EXPECT_LE(r.objective[t], r.objective[t - 1] * (1 + 1e-12) + 1e-12) << tag << " iteration " << t;
    // The residual is the Poisson noise: E||N||² = Σ X/counts, less the k(n + p) fitted degrees of
    // freedom (a fraction (n + p)k/(np) ≈ 2 % here).
    const double expected = std::sqrt(m.clean.sum() / 200) / m.X.norm();
    EXPECT_NEAR(r.relative_error / expected, 1.0, 0.03) << tag;
    EXPECT_NEAR(r.loadings.col(0).maxCoeff(), 1.0, 1e-12);
  }
}

TEST(Nmf, ExactFactorisationAndAutomaticCount) {
  const CountMixture m = count_mixture(16, 20, 120, 0, 802);
  NmfOptions o;
  o.max_iter = 3000;
  o.tol = 1e-12;
  const NmfResult r = nmf(m.X, o);  // automatic count: rank 2 without noise
  EXPECT_EQ(r.pca.count.n_components, 2) << r.pca.count.reason;
  EXPECT_EQ(r.components.rows(), 2);
  EXPECT_LT(r.relative_error, 1e-3);
  EXPECT_GE(min_of(matched_correlations(r.loadings, m.L, false)), 0.999);
  // With counting noise: Poisson noise is heteroscedastic (variance = intensity, zero where both
  // profiles vanish), which breaks the Marchenko–Pastur assumption of one noise variance — it counts
  // far too many. Parallel analysis keeps each column's distribution and gives 2.
  const CountMixture noisy = count_mixture(24, 32, 200, 50, 803);
  NmfOptions a;
  a.count.criterion = CountCriterion::ParallelAnalysis;
  const NmfResult rn = nmf(noisy.X, a);
  EXPECT_EQ(rn.components.rows(), 2) << rn.pca.count.reason;
  EXPECT_TRUE(rn.pca.count.automatic);
  EXPECT_EQ(rn.pca.count.criterion, "parallel-analysis");
  EXPECT_GT(rn.pca.count.mp_count, 2) << "the documented failure of the MP count on raw counts";
  EXPECT_FALSE(rn.pca.count.criteria_agree);
  EXPECT_NE(rn.pca.count.reason.find("disagree"), std::string::npos);
}

TEST(Nmf, SameSeedIdenticalAndThreadCountsAgree) {
  const CountMixture m = count_mixture(40, 50, 300, 100, 804);
  for (NmfInit init : {NmfInit::Nndsvda, NmfInit::Random}) {
    NmfOptions o;
    o.n_components = 2;
    o.init = init;
    o.seed = 3;
    o.max_iter = 200;
    o.threads = 2;
    const NmfResult a = nmf(m.X, o), b = nmf(m.X, o);
    EXPECT_EQ((a.loadings - b.loadings).cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ((a.components - b.components).cwiseAbs().maxCoeff(), 0.0);
    o.threads = 1;  // bit-identical at any thread count (fixed chunks); required: 1e-12
    const NmfResult c = nmf(m.X, o);
    EXPECT_EQ(a.iterations, c.iterations);
    EXPECT_EQ((a.loadings - c.loadings).cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ((a.components - c.components).cwiseAbs().maxCoeff(), 0.0);
  }
}

TEST(Nmf, NonConvergenceIsReported) {
  const CountMixture m = count_mixture(16, 20, 100, 100, 805);
  NmfOptions o;
  o.n_components = 2;
  o.max_iter = 2;
  o.tol = 1e-15;
  const NmfResult r = nmf(m.X, o);
  EXPECT_FALSE(r.converged);
  EXPECT_EQ(r.iterations, 2);
  EXPECT_NE(r.message.find("did not converge"), std::string::npos) << r.message;
}

TEST(Nmf, BadInputIsNamed) {
  CountMixture m = count_mixture(8, 10, 50, 0, 806);
  const double keep = m.X(7, 12);
  m.X(7, 12) = -0.25;
  try {
    NmfOptions o;
    o.n_components = 2;
    nmf(m.X, o);
    FAIL() << "negative data accepted";
  } catch (const std::invalid_argument& e) {
    const std::string w = e.what();
    EXPECT_NE(w.find("negative value -0.25"), std::string::npos) << w;
    EXPECT_NE(w.find("row 7"), std::string::npos) << w;
    EXPECT_NE(w.find("column 12"), std::string::npos) << w;
  }
  m.X(7, 12) = std::numeric_limits<double>::quiet_NaN();
  EXPECT_THROW(nmf(m.X), std::invalid_argument);
  m.X(7, 12) = keep;
  NmfOptions o;
  o.n_components = 51;
  EXPECT_THROW(nmf(m.X, o), std::invalid_argument);
  o.n_components = 3;  // rank 2 without noise
  try {
    nmf(m.X, o);
    FAIL() << "3 components of rank-2 data accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("numerical rank 2"), std::string::npos) << e.what();
  }
  EXPECT_THROW(nmf(MatrixXd::Zero(5, 5)), std::invalid_argument);
  EXPECT_THROW(parse_nmf_solver("als"), std::invalid_argument);
}
