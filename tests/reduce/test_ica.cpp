// FastICA (reduce/ica.hpp): known mixtures of 2–4 super- and sub-Gaussian sources in both modes and
// with every nonlinearity; mixtures of real electron PDFs with smooth maps; determinism, thread
// counts, non-convergence reporting and bad input.
#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

#include "fixtures/unmix_mixtures.hpp"
#include "sedpdf/reduce/decompose.hpp"
#include "sedpdf/reduce/ica.hpp"

using namespace sedpdf;
using namespace sedpdf::test_fixtures;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {

/// k sources over m samples: Laplace (super-Gaussian), uniform (sub), sine (sub), sparse spikes (super).
MatrixXd sources(int k, int m, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  std::exponential_distribution<double> ex(1.0);
  std::normal_distribution<double> nd(0.0, 1.0);
  MatrixXd S(k, m);
  for (int j = 0; j < m; ++j) {
    S(0, j) = (u(g) < 0 ? -1 : 1) * ex(g);
    if (k > 1) S(1, j) = u(g);
    if (k > 2) S(2, j) = std::sin(0.037 * j + 0.3);
    if (k > 3) S(3, j) = u(g) > 0.9 ? 5 * nd(g) : 0.1 * nd(g);
  }
  return S;
}

MatrixXd mixing(int n_obs, int k, uint64_t seed) {
  std::mt19937_64 g(seed);
  std::uniform_real_distribution<double> u(0.2, 1.0);
  MatrixXd A(n_obs, k);
  for (int i = 0; i < n_obs; ++i)
    for (int j = 0; j < k; ++j) A(i, j) = u(g) * ((i + j) % 3 == 0 ? -1 : 1);
  return A;
}

double min_of(const std::vector<double>& v) { return *std::min_element(v.begin(), v.end()); }

}  // namespace

TEST(FastIca, KnownMixturesOf2To4SourcesBothModesEveryNonlinearity) {
  for (int k : {2, 3, 4}) {
    const MatrixXd S = sources(k, 10000, 100 + k);
    const MatrixXd A = mixing(8, k, 200 + k);
    const MatrixXd X = A * S;  // 8 observations × 10⁴ samples; the samples are the columns
    for (IcaAlgorithm alg : {IcaAlgorithm::Parallel, IcaAlgorithm::Deflation})
      for (IcaNonlinearity g : {IcaNonlinearity::LogCosh, IcaNonlinearity::Exp, IcaNonlinearity::Cube}) {
        IcaOptions o;
        o.pca.n_components = k;
        o.fastica.algorithm = alg;
        o.fastica.nonlinearity = g;
        o.fastica.seed = 5;
        const IcaResult r = fastica(X, o);
        const std::string tag = "k=" + std::to_string(k) + " " + ica_algorithm_name(alg) + " " + ica_nonlinearity_name(g);
        EXPECT_TRUE(r.run.converged) << tag << ": " << r.run.message;
        const auto cs = matched_correlations(r.components, S, true);
        const auto cl = matched_correlations(r.loadings, A, false);
        EXPECT_GE(min_of(cs), 0.99) << tag;
        EXPECT_GE(min_of(cl), 0.99) << tag;
        // The decomposition reproduces the data exactly (rank k, no noise).
        EXPECT_LT((r.loadings * r.components - X).cwiseAbs().maxCoeff(), 1e-8 * X.cwiseAbs().maxCoeff()) << tag;
        // Convention: max |loading| = 1, order by decreasing contribution.
        for (int i = 0; i < k; ++i) EXPECT_NEAR(r.loadings.col(i).cwiseAbs().maxCoeff(), 1.0, 1e-12);
        for (int i = 1; i < k; ++i) EXPECT_GE(r.contribution_ratio(i - 1), r.contribution_ratio(i));
      }
  }
}

TEST(FastIca, WhitenedCoreConvergesAndReportsPerComponent) {
  const MatrixXd S = sources(3, 3000, 7);
  MatrixXd Z = S.colwise() - S.rowwise().mean();
  for (int i = 0; i < 3; ++i) Z.row(i) /= std::sqrt(Z.row(i).squaredNorm() / 3000.0);
  // A rotation of independent unit-variance sources is white.
  Eigen::HouseholderQR<MatrixXd> qr(mixing(3, 3, 8));
  const MatrixXd Q = qr.householderQ();
  FastIcaSettings st;
  st.algorithm = IcaAlgorithm::Deflation;
  const FastIcaRun run = fastica_whitened(Q * Z, st);
  EXPECT_TRUE(run.converged) << run.message;
  EXPECT_EQ(run.component_iterations.size(), 3u);
  EXPECT_LT(run.final_change, st.tol);
  // W Q ≈ a signed permutation.
  const MatrixXd P = run.W * Q;
  for (int i = 0; i < 3; ++i) EXPECT_GT(P.row(i).cwiseAbs().maxCoeff(), 0.99);
  EXPECT_LT((run.W * run.W.transpose() - MatrixXd::Identity(3, 3)).cwiseAbs().maxCoeff(), 1e-10);
}

TEST(FastIca, RealPdfsWithSmoothMapsNearlyUncorrelatedPhases) {
  // ZIF-zni (crystal, DFT) and the Na–P–Al–O–F packing: Pearson correlation of G(r) ≈ 0.01.
  const Mixture m = make_mixture(2, 32, 40, 0.05, 301, {1, 2});
  for (IcaAlgorithm alg : {IcaAlgorithm::Parallel, IcaAlgorithm::Deflation}) {
    DecomposeOptions o;
    o.method = DecompositionMethod::Ica;
    o.fastica.algorithm = alg;
    o.pca.pa_trials = 0;
    const Decomposition d = decompose(m.X, o);
    EXPECT_EQ(d.pca.count.n_components, 2) << d.pca.count.reason;
    EXPECT_TRUE(d.converged) << d.message;
    const auto maps = matched_correlations(d.loadings, m.L, false);
    const auto pdfs = matched_correlations(d.components, m.C, true);
    EXPECT_GE(min_of(maps), 0.99) << ica_algorithm_name(alg) << " maps " << maps[0] << " " << maps[1];
    EXPECT_GE(min_of(pdfs), 0.99) << ica_algorithm_name(alg) << " PDFs " << pdfs[0] << " " << pdfs[1];
    // Convention: loadings positive here (fractions × thickness), so Σ L > 0 and max L = 1.
    for (int i = 0; i < 2; ++i) {
      EXPECT_GT(d.loadings.col(i).sum(), 0);
      EXPECT_NEAR(d.loadings.col(i).maxCoeff(), 1.0, 1e-12);
    }
  }
}

TEST(FastIca, RealPdfsGlassAndPackingBiasFromCorrelatedSources) {
  // a_gZIF-4 (RMC glass) and the packing: G(r) correlation 0.12. ICA forces uncorrelated outputs, so
  // the maps carry a bias of that order (measured: 0.98–0.99; see docs/unmixing.md).
  const Mixture m = make_mixture(2, 32, 40, 0.05, 302, {0, 2});
  const double rho = correlation(m.C.row(0).transpose(), m.C.row(1).transpose());
  EXPECT_NEAR(rho, 0.12, 0.02);
  for (IcaAlgorithm alg : {IcaAlgorithm::Parallel, IcaAlgorithm::Deflation}) {
    DecomposeOptions o;
    o.fastica.algorithm = alg;
    o.fastica.nonlinearity = IcaNonlinearity::Exp;
    o.n_components = 2;
    const Decomposition d = decompose(m.X, o);
    const auto maps = matched_correlations(d.loadings, m.L, false);
    EXPECT_GE(min_of(maps), 0.97) << ica_algorithm_name(alg) << " maps " << maps[0] << " " << maps[1];
    std::printf("[ measured ] glass + packing, %s: map correlations %.4f %.4f\n", ica_algorithm_name(alg).c_str(),
                maps[0], maps[1]);
  }
}

TEST(FastIca, LoadingsDomainRecoversIndependentMaps) {
  // Spatial ICA: independent, non-Gaussian maps (sparse blobs and a uniform field) with correlated
  // signals (the two ZIF PDFs, correlation 0.87) — the case where the signals domain cannot work.
  const PhasePdfs& P = phase_pdfs();
  const int n = 2000, p = static_cast<int>(P.r.size());
  std::mt19937_64 g(401);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  MatrixXd L(n, 2), C(2, p);
  for (int i = 0; i < n; ++i) {
    L(i, 0) = u(g) < 0.1 ? 1.0 + u(g) : 0.05 * u(g);
    L(i, 1) = u(g);
  }
  for (int j = 0; j < p; ++j) {
    C(0, j) = P.G[0][static_cast<size_t>(j)];
    C(1, j) = P.G[1][static_cast<size_t>(j)];
  }
  const MatrixXd X = L * C;
  IcaOptions o;
  o.pca.n_components = 2;
  o.domain = IcaDomain::Loadings;
  const IcaResult r = fastica(X, o);
  EXPECT_TRUE(r.run.converged) << r.run.message;
  EXPECT_GE(min_of(matched_correlations(r.loadings, L, false)), 0.99);
  EXPECT_GE(min_of(matched_correlations(r.components, C, true)), 0.99);
  EXPECT_LT((r.loadings * r.components - X).cwiseAbs().maxCoeff(), 1e-8 * X.cwiseAbs().maxCoeff());
}

TEST(FastIca, SameSeedIdenticalAndThreadCountsAgree) {
  const Mixture m = make_mixture(2, 40, 48, 0.05, 501, {1, 2});
  for (IcaAlgorithm alg : {IcaAlgorithm::Parallel, IcaAlgorithm::Deflation}) {
    DecomposeOptions o;
    o.fastica.algorithm = alg;
    o.seed = 17;
    o.pca.solver = SvdSolver::Randomized;  // exercises the threaded products
    o.pca.pa_trials = 0;
    o.threads = 2;
    const Decomposition a = decompose(m.X, o), b = decompose(m.X, o);
    EXPECT_EQ((a.loadings - b.loadings).cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ((a.components - b.components).cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ(a.iterations, b.iterations);
    o.threads = 1;  // bit-identical at any thread count (fixed chunks); required: 1e-12
    const Decomposition c = decompose(m.X, o);
    EXPECT_EQ((a.loadings - c.loadings).cwiseAbs().maxCoeff(), 0.0);
    EXPECT_EQ((a.components - c.components).cwiseAbs().maxCoeff(), 0.0);
    // Another seed converges to the same separation (not bit-identical).
    o.seed = 18;
    const Decomposition e = decompose(m.X, o);
    EXPECT_LT((a.loadings - e.loadings).cwiseAbs().maxCoeff(), 5e-3);
  }
}

TEST(FastIca, NonConvergenceIsReportedNotHidden) {
  const MatrixXd S = sources(3, 2000, 601);
  const MatrixXd X = mixing(5, 3, 602) * S;
  for (IcaAlgorithm alg : {IcaAlgorithm::Parallel, IcaAlgorithm::Deflation}) {
    IcaOptions o;
    o.pca.n_components = 3;
    o.fastica.algorithm = alg;
    o.fastica.max_iter = 1;
    o.fastica.tol = 1e-14;
    const IcaResult r = fastica(X, o);
    EXPECT_FALSE(r.run.converged);
    EXPECT_NE(r.run.message.find("did not converge"), std::string::npos) << r.run.message;
    EXPECT_EQ(r.run.iterations, 1);
    EXPECT_GT(r.run.final_change, 0);
    EXPECT_EQ(r.components.rows(), 3);  // the result is still returned
  }
}

TEST(FastIca, BadInputIsNamed) {
  const MatrixXd rank2 = mixing(20, 2, 701) * sources(2, 500, 702);
  IcaOptions o;
  o.pca.n_components = 3;
  try {
    fastica(rank2, o);
    FAIL() << "3 components of rank-2 data accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("numerical rank 2"), std::string::npos) << e.what();
  }
  MatrixXd bad = rank2;
  bad(4, 9) = std::numeric_limits<double>::infinity();
  o.pca.n_components = 2;
  EXPECT_THROW(fastica(bad, o), std::invalid_argument);
  o.fastica.alpha = 3;
  EXPECT_THROW(fastica(rank2, o), std::invalid_argument);
  o.fastica.alpha = 1;
  o.fastica.tol = 0;
  EXPECT_THROW(fastica(rank2, o), std::invalid_argument);
  // Automatic count on pure noise: nothing above the floor.
  std::mt19937_64 g(703);
  std::normal_distribution<double> nd(0.0, 1.0);
  MatrixXd noise(200, 100);
  for (int i = 0; i < noise.size(); ++i) noise.data()[i] = nd(g);
  IcaOptions a;
  try {
    fastica(noise, a);
    FAIL() << "noise accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("noise floor"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_ica_nonlinearity("tanh"), std::invalid_argument);
  EXPECT_THROW(parse_ica_algorithm("fast"), std::invalid_argument);
  EXPECT_THROW(parse_ica_domain("pixels"), std::invalid_argument);
}
