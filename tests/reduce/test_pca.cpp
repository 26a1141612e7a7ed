// PCA (reduce/pca.hpp): the full and randomized solvers against an independent Eigen::JacobiSVD, the
// randomized subspace on 4096 × 1000 rank-3 + noise data, Poisson scaling, the automatic count
// (Marchenko–Pastur + parallel analysis), determinism, thread-count agreement and bad input.
#include <gtest/gtest.h>

#include <Eigen/Dense>
#include <Eigen/SVD>

#include <cmath>
#include <random>
#include <stdexcept>
#include <string>

#include "fixtures/unmix_mixtures.hpp"
#include "sedpdf/reduce/pca.hpp"

using namespace sedpdf;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

MatrixXd gaussian(int rows, int cols, uint64_t seed, double sigma = 1.0) {
  std::mt19937_64 g(seed);
  std::normal_distribution<double> nd(0.0, sigma);
  MatrixXd m(rows, cols);
  for (int j = 0; j < cols; ++j)
    for (int i = 0; i < rows; ++i) m(i, j) = nd(g);
  return m;
}

MatrixXd orthonormal(int rows, int cols, uint64_t seed) {
  Eigen::HouseholderQR<MatrixXd> qr(gaussian(rows, cols, seed));
  return qr.householderQ() * MatrixXd::Identity(rows, cols);
}

/// A matrix with prescribed singular values s (n × p, n >= p >= s.size()).
MatrixXd with_spectrum(int n, int p, const VectorXd& s, uint64_t seed) {
  const int k = static_cast<int>(s.size());
  return orthonormal(n, k, seed) * s.asDiagonal() * orthonormal(p, k, seed + 1).transpose();
}

/// sin of the largest principal angle between the row spaces of A and B (k × p each, orthonormal rows):
/// ||(I − AᵀA) Bᵀ||₂ (Björck & Golub, Math. Comp. 27 (1973) 579).
double max_principal_angle(const MatrixXd& A, const MatrixXd& B) {
  const MatrixXd R = B.transpose() - A.transpose() * (A * B.transpose());
  Eigen::JacobiSVD<MatrixXd> svd(R);
  return std::asin(std::min(1.0, svd.singularValues()(0)));
}

/// Compares a PcaResult with a reference SVD of the preprocessed matrix D (to `tol` relative to s₁).
void expect_matches_reference(const PcaResult& r, const MatrixXd& D, int k, double tol) {
  Eigen::JacobiSVD<MatrixXd> ref(D, Eigen::ComputeThinU | Eigen::ComputeThinV);
  const VectorXd s = ref.singularValues();
  for (int i = 0; i < k; ++i) {
    EXPECT_NEAR(r.singular_values(i), s(i), tol * s(0)) << "singular value " << i;
    // Components equal up to sign; scores = U S.
    const VectorXd v = ref.matrixV().col(i);
    const double sign = r.components.row(i).dot(v) < 0 ? -1 : 1;
    EXPECT_LT((r.components.row(i).transpose() - sign * v).cwiseAbs().maxCoeff(), tol) << "component " << i;
    const VectorXd t = ref.matrixU().col(i) * s(i);
    EXPECT_LT((r.scores.col(i) - sign * t).cwiseAbs().maxCoeff(), tol * s(0)) << "scores " << i;
  }
}

}  // namespace

TEST(Pca, FullSolverMatchesJacobiSvd) {
  // Small data with a decaying spectrum plus noise; uncentred and centred.
  VectorXd s(6);
  s << 40, 20, 9, 4, 2, 1;
  const MatrixXd X = with_spectrum(80, 50, s, 3) + gaussian(80, 50, 4, 0.01);
  for (bool center : {false, true}) {
    PcaOptions o;
    o.n_components = 5;
    o.center = center;
    o.solver = SvdSolver::Full;
    const PcaResult r = pca(X, o);
    EXPECT_EQ(r.solver, "full");
    MatrixXd D = X;
    if (center) D.rowwise() -= X.colwise().mean();
    expect_matches_reference(r, D, 5, 1e-8);
    EXPECT_EQ(r.singular_values.size(), 50);  // the whole spectrum
    const double n_dof = center ? 79.0 : 80.0;
    EXPECT_NEAR(r.explained_variance(0), r.singular_values(0) * r.singular_values(0) / n_dof, 1e-12);
    EXPECT_NEAR(r.explained_variance_ratio.sum(), 1.0, 1e-10);
    // Reconstruction with every component reproduces the data.
    o.n_components = 50;
    const PcaResult all = pca(X, o);
    MatrixXd back = all.scores * all.components;
    back.rowwise() += all.mean.transpose();
    EXPECT_LT((back - X).cwiseAbs().maxCoeff(), 1e-10);
  }
}

TEST(Pca, WideMatrixFullSolverMatchesJacobiSvd) {
  VectorXd s(4);
  s << 30, 12, 5, 2;
  const MatrixXd X = with_spectrum(120, 60, s, 5).transpose() + gaussian(60, 120, 6, 0.01);  // 60 × 120
  PcaOptions o;
  o.n_components = 4;
  o.solver = SvdSolver::Full;
  expect_matches_reference(pca(X, o), X, 4, 1e-8);
}

TEST(Pca, RandomizedMatchesJacobiSvdOnSmallData) {
  VectorXd s(8);
  s << 100, 50, 25, 12, 6, 3, 1.5, 0.75;
  const MatrixXd X = with_spectrum(300, 200, s, 7) + gaussian(300, 200, 8, 1e-4);
  for (bool center : {false, true}) {
    PcaOptions o;
    o.n_components = 5;
    o.center = center;
    o.solver = SvdSolver::Randomized;
    o.power_iterations = 4;
    const PcaResult r = pca(X, o);
    EXPECT_EQ(r.solver, "randomized");
    MatrixXd D = X;
    if (center) D.rowwise() -= X.colwise().mean();
    expect_matches_reference(r, D, 5, 1e-8);
  }
}

TEST(Pca, RandomizedRecoversRank3SubspaceOf4096x1000) {
  const int n = 4096, p = 1000;
  const MatrixXd V = orthonormal(p, 3, 11);  // planted right subspace
  VectorXd s(3);
  s << 900, 600, 300;
  const MatrixXd X = orthonormal(n, 3, 12) * s.asDiagonal() * V.transpose() + gaussian(n, p, 13, 0.005);
  PcaOptions o;
  o.n_components = 3;
  o.solver = SvdSolver::Randomized;
  const PcaResult r = pca(X, o);
  const double angle = max_principal_angle(r.components, V.transpose());
  EXPECT_LT(angle, 1e-3) << "largest principal angle " << angle << " rad";
  // Noise-limited: the perturbation bound σ√p / s₃ ≈ 5e-4 rad; an exact rank-3 matrix gives ~0.
  const MatrixXd exact = orthonormal(n, 3, 12) * s.asDiagonal() * V.transpose();
  EXPECT_LT(max_principal_angle(pca(exact, o).components, V.transpose()), 1e-10);
}

TEST(Pca, PoissonScalingMatchesExplicitKeenanKotula) {
  // Counts from a non-negative two-component model.
  std::mt19937_64 g(21);
  const int n = 200, p = 120;
  MatrixXd lam(n, p);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < p; ++j) {
      const double a = 0.5 + 0.5 * std::sin(0.05 * i), b = 1 - a;
      lam(i, j) = 20 * (a * std::exp(-0.5 * std::pow((j - 40) / 8.0, 2)) + b * std::exp(-0.5 * std::pow((j - 80) / 10.0, 2))) + 2;
    }
  MatrixXd X(n, p);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < p; ++j) X(i, j) = std::poisson_distribution<int>(lam(i, j))(g);
  PcaOptions o;
  o.poisson = true;
  o.solver = SvdSolver::Full;
  const PcaResult r = pca(X, o);
  // Explicit scaling: X̃_ij = X_ij / sqrt(mean_row_i · mean_col_j).
  const VectorXd g_mean = X.rowwise().mean(), h_mean = X.colwise().mean().transpose();
  MatrixXd D(n, p);
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < p; ++j) D(i, j) = X(i, j) / std::sqrt(g_mean(i) * h_mean(j));
  expect_matches_reference(r, D, r.count.n_components, 1e-8);
  EXPECT_EQ(r.count.n_components, 2) << r.count.reason;
  // Scaled Poisson noise has variance E[X]/(ḡh̄) ≈ 1/mean(X) per entry (rank-one approximation).
  EXPECT_NEAR(r.count.noise_sigma, 1 / std::sqrt(X.mean()), 0.15 / std::sqrt(X.mean()));
  EXPECT_EQ(r.row_scale.size(), n);
  EXPECT_NEAR(r.row_scale(3), std::sqrt(g_mean(3)), 1e-12);
}

TEST(PcaCount, PureNoiseGivesZeroAndEstimatesSigma) {
  const MatrixXd X = gaussian(500, 200, 31, 0.3);
  PcaOptions o;
  const PcaResult r = pca(X, o);
  EXPECT_EQ(r.count.n_components, 0) << r.count.reason;
  EXPECT_EQ(r.count.mp_count, 0);
  EXPECT_EQ(r.count.pa_count, 0);
  EXPECT_NEAR(r.count.noise_sigma, 0.3, 0.3 * 0.01);
  // The MP edge σ(√n + √p) against the largest noise singular value.
  EXPECT_NEAR(r.singular_values(0) / r.count.mp_edge, 1.0, 0.03);
  EXPECT_GT(r.count.mp_threshold, r.singular_values(0));
}

TEST(PcaCount, PlantedRankAboveNoiseIsCounted) {
  VectorXd s(4);
  s << 60, 40, 25, 15;  // noise edge ≈ 0.1 (√400 + √300) ≈ 3.7
  const MatrixXd X = with_spectrum(400, 300, s, 41) + gaussian(400, 300, 42, 0.1);
  for (bool center : {false, true}) {
    PcaOptions o;
    o.center = center;
    const PcaResult r = pca(X, o);
    EXPECT_EQ(r.count.n_components, 4) << r.count.reason;
    EXPECT_TRUE(r.count.automatic);
    EXPECT_EQ(r.count.criterion, "marchenko-pastur");
    EXPECT_EQ(r.count.pa_count, 4) << r.count.reason;
    EXPECT_TRUE(r.count.criteria_agree);
    EXPECT_NEAR(r.count.noise_sigma, 0.1, 0.002);
    ASSERT_GE(r.count.above_mp.size(), 5u);
    EXPECT_EQ(r.count.above_mp[3], 1);
    EXPECT_EQ(r.count.above_mp[4], 0);
    EXPECT_NE(r.count.reason.find("Marchenko"), std::string::npos);
    EXPECT_EQ(r.components.rows(), 4);
  }
  // The randomized solver (forced) gives the same count and noise estimate.
  PcaOptions o;
  o.solver = SvdSolver::Randomized;
  o.pa_trials = 3;
  const PcaResult r = pca(X, o);
  EXPECT_EQ(r.count.n_components, 4) << r.count.reason;
  EXPECT_NEAR(r.count.noise_sigma, 0.1, 0.002);
}

TEST(PcaCount, MarchenkoPasturOnAGivenSpectrum) {
  // A flat noise spectrum at σ = 1 (n = 1000, p = 400): edge √1000 + √400 = 51.6; two spikes above it.
  VectorXd s = VectorXd::Constant(400, 30.0);
  s(0) = 200;
  s(1) = 100;
  const double frob = s.squaredNorm();
  const ComponentCount c = marchenko_pastur_count(s, frob, 1000, 400, 20);
  EXPECT_EQ(c.mp_count, 2);
  // σ̂² = (Σ s² − 200² − 100²)/((1000 − 2)(400 − 2)) = 398·900 / (998·398)
  EXPECT_NEAR(c.noise_sigma, std::sqrt(398 * 900.0 / (998.0 * 398.0)), 1e-12);
  EXPECT_THROW(marchenko_pastur_count(s, frob, 1, 400, 20), std::invalid_argument);
}

TEST(PcaCount, TwoAndThreePhaseMixturesOfRealPdfs) {
  using namespace sedpdf::test_fixtures;
  const Mixture two = make_mixture(2, 32, 40, 0.05, 51, {0, 2});
  const Mixture three = make_mixture(3, 32, 40, 0.05, 52);
  PcaOptions o;
  const PcaResult r2 = pca(two.X, o);
  EXPECT_EQ(r2.count.n_components, 2) << r2.count.reason;
  EXPECT_TRUE(r2.count.criteria_agree) << r2.count.reason;
  EXPECT_NEAR(r2.count.noise_sigma / two.noise_sigma, 1.0, 0.02);
  const PcaResult r3 = pca(three.X, o);
  EXPECT_EQ(r3.count.n_components, 3) << r3.count.reason;
  EXPECT_TRUE(r3.count.criteria_agree) << r3.count.reason;
  // Centred: the mean is removed, the phase variations remain (thickness makes the loadings
  // independent of one another, so the count stays 2 and 3).
  o.center = true;
  EXPECT_EQ(pca(two.X, o).count.n_components, 2);
  EXPECT_EQ(pca(three.X, o).count.n_components, 3);
}

TEST(Pca, SameSeedIdenticalAndThreadCountsAgree) {
  VectorXd s(3);
  s << 500, 300, 100;
  const MatrixXd X = with_spectrum(2000, 600, s, 61) + gaussian(2000, 600, 62, 0.05);
  PcaOptions o;
  o.solver = SvdSolver::Randomized;
  o.seed = 99;
  o.pa_trials = 3;  // parallel analysis trials run in parallel too
  o.threads = 2;
  const PcaResult a = pca(X, o), b = pca(X, o);
  EXPECT_EQ((a.components - b.components).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((a.scores - b.scores).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((a.singular_values - b.singular_values).cwiseAbs().maxCoeff(), 0.0);
  // Thread counts: the products run over fixed chunks, so the result is bit-identical (the
  // requirement is agreement to 1e-12).
  o.threads = 1;
  const PcaResult c = pca(X, o);
  ASSERT_EQ(c.components.rows(), a.components.rows());
  o.threads = 3;
  EXPECT_EQ((a.components - pca(X, o).components).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((a.components - c.components).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((a.scores - c.scores).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_EQ((a.singular_values - c.singular_values).cwiseAbs().maxCoeff(), 0.0);
  // The full solver too.
  o.solver = SvdSolver::Full;
  const MatrixXd Y = X.topRows(400);
  o.threads = 2;
  const PcaResult d = pca(Y, o);
  o.threads = 1;
  const PcaResult e = pca(Y, o);
  EXPECT_EQ((d.components - e.components).cwiseAbs().maxCoeff(), 0.0);
}

TEST(Pca, BadInputIsNamed) {
  MatrixXd X = gaussian(50, 30, 71);
  X(3, 5) = std::numeric_limits<double>::quiet_NaN();
  try {
    pca(X);
    FAIL() << "NaN accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("row 3"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("column 5"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nan"), std::string::npos) << e.what();
  }
  X(3, 5) = std::numeric_limits<double>::infinity();
  EXPECT_THROW(pca(X), std::invalid_argument);
  X(3, 5) = 0;
  PcaOptions o;
  o.n_components = 31;  // more than min(n, p)
  EXPECT_THROW(pca(X, o), std::invalid_argument);
  // More components than the rank.
  const MatrixXd rank2 = gaussian(50, 2, 72) * gaussian(2, 30, 73);
  o.n_components = 3;
  try {
    pca(rank2, o);
    FAIL() << "k > rank accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("numerical rank 2"), std::string::npos) << e.what();
  }
  o.n_components = 0;
  o.poisson = true;
  try {
    pca(X, o);
    FAIL() << "negative counts accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("negative value"), std::string::npos) << e.what();
  }
  o.poisson = false;
  o.pa_quantile = 1.5;
  EXPECT_THROW(pca(X, o), std::invalid_argument);
  EXPECT_THROW(pca(MatrixXd(1, 5)), std::invalid_argument);
  EXPECT_THROW(parse_svd_solver("lanczos"), std::invalid_argument);
  EXPECT_THROW(parse_count_criterion("scree"), std::invalid_argument);
}
