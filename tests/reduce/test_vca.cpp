// Vertex component analysis: endmembers of synthetic mixtures with pure pixels, the exact rank-k
// reconstruction, the case ICA cannot unmix (two complementary phases with anti-correlated signals), bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>

#include "sedpdf/reduce/decompose.hpp"
#include "sedpdf/reduce/vca.hpp"

using namespace sedpdf;
using Eigen::MatrixXd;
using Eigen::VectorXd;

namespace {
double pearson(const VectorXd& a, const VectorXd& b) {
  const VectorXd x = a.array() - a.mean(), y = b.array() - b.mean();
  return x.dot(y) / std::sqrt(x.squaredNorm() * y.squaredNorm());
}
/// Best |Pearson| of each true signal with any recovered component, and the minimum over the signals.
double min_best_match(const MatrixXd& truth, const MatrixXd& got) {
  double worst = 1;
  for (Eigen::Index i = 0; i < truth.rows(); ++i) {
    double best = 0;
    for (Eigen::Index j = 0; j < got.rows(); ++j)
      best = std::max(best, std::fabs(pearson(truth.row(i).transpose(), got.row(j).transpose())));
    worst = std::min(worst, best);
  }
  return worst;
}
}  // namespace

TEST(Vca, RecoversEndmembersOfMixturesWithPurePixels) {
  // Three signals over 60 samples; 40 pure pixels of each, 280 Dirichlet mixtures, noise σ = 0.01.
  const int p = 60, n = 400;
  MatrixXd C(3, p);
  for (int j = 0; j < p; ++j) {
    const double x = 0.1 * j;
    C(0, j) = std::exp(-std::pow(x - 1.5, 2) / 0.1) + 0.3 * std::sin(2 * x);
    C(1, j) = std::exp(-std::pow(x - 3.0, 2) / 0.2) - 0.2 * std::cos(3 * x);
    C(2, j) = std::exp(-std::pow(x - 4.5, 2) / 0.05) + 0.1 * x;
  }
  std::mt19937_64 rng(3);
  std::gamma_distribution<double> gam(1.0, 1.0);
  std::normal_distribution<double> noise(0, 0.01);
  MatrixXd L(n, 3);
  for (int i = 0; i < n; ++i) {
    if (i < 120) {
      L.row(i).setZero();
      L(i, i % 3) = 1;
    } else {
      double g[3], s = 0;
      for (double& v : g) s += (v = gam(rng));
      for (int c = 0; c < 3; ++c) L(i, c) = g[c] / s;
    }
  }
  MatrixXd X = L * C;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < p; ++j) X(i, j) += noise(rng);
  for (double frac : {0.0, 0.02}) {
    VcaOptions o;
    o.pca.n_components = 3;
    o.extreme_fraction = frac;
    o.seed = 11;
    const VcaResult r = vca(X, o);
    ASSERT_EQ(r.components.rows(), 3);
    EXPECT_GT(min_best_match(C, r.components), 0.999) << frac;
    // Each recovered endmember is one true signal at its own scale, and the pure pixels load ≈ 1 on it.
    for (Eigen::Index j = 0; j < 3; ++j) {
      Eigen::Index t = 0;
      double best = 0;
      for (Eigen::Index i = 0; i < 3; ++i) {
        const double c = pearson(C.row(i).transpose(), r.components.row(j).transpose());
        if (c > best) {
          best = c;
          t = i;
        }
      }
      EXPECT_NEAR(r.components.row(j).norm() / C.row(t).norm(), 1.0, 0.03) << frac;
      for (int i = 0; i < 120; ++i)
        if (i % 3 == t) {
          EXPECT_NEAR(r.loadings(i, j), 1.0, 0.06) << frac << " pixel " << i;
        }
    }
    // L C is the rank-3 PCA reconstruction exactly.
    const MatrixXd rec = r.pca.scores * r.pca.components;
    EXPECT_LT((r.loadings * r.components - rec).norm(), 1e-10 * rec.norm());
    EXPECT_EQ(r.pixels[0].size(), frac == 0 ? 1u : 8u);
    // Deterministic for a seed.
    const VcaResult again = vca(X, o);
    EXPECT_EQ((again.components - r.components).norm(), 0.0);
  }
}

TEST(Vca, UnmixesComplementaryPhasesWithAntiCorrelatedSignalsWhereIcaCannot) {
  // Two phases filling the field between them (every pixel one or the other, its amount varying like a
  // thickness), their signals anti-correlated (−0.45, as the agZIF-62 and glass ePDFs): VCA returns both; FastICA's
  // components are uncorrelated by construction, and two uncorrelated curves cannot both correlate better than
  // cos((arccos ρ − 90°)/2) = 0.973 with two curves correlated ρ = −0.45 (the angles in the centred space).
  const int p = 200, n = 300;
  VectorXd a(p), c(p);
  for (int j = 0; j < p; ++j) {
    const double x = 1 + 0.07 * j;
    a(j) = std::exp(-std::pow(x - 2.0, 2) / 0.02) * 3 + std::sin(2.2 * x) * std::exp(-0.2 * x);
    c(j) = std::exp(-std::pow(x - 1.6, 2) / 0.01) * 4 + std::cos(3.1 * x) * std::exp(-0.25 * x);
  }
  // b = −0.45 a' + √(1 − 0.45²) c' in standardised units: Pearson(a, b) = −0.45 exactly when c' ⟂ a'.
  VectorXd as = (a.array() - a.mean()).matrix(), cs = (c.array() - c.mean()).matrix();
  as /= as.norm();
  cs -= as * as.dot(cs);
  cs /= cs.norm();
  const VectorXd b = (-0.45 * as + std::sqrt(1 - 0.45 * 0.45) * cs) * a.norm() + VectorXd::Constant(p, 0.2);
  ASSERT_NEAR(pearson(a, b), -0.45, 1e-12);
  MatrixXd C(2, p);
  C.row(0) = a.transpose();
  C.row(1) = b.transpose();
  std::mt19937_64 rng(5);
  std::normal_distribution<double> amount(0.8, 0.05), noise(0, 0.02);
  MatrixXd X(n, p);
  for (int i = 0; i < n; ++i) {
    const double t = amount(rng);
    X.row(i) = (i % 2 ? b : a).transpose() * t;
    for (int j = 0; j < p; ++j) X(i, j) += noise(rng);
  }
  DecomposeOptions o;
  o.n_components = 2;
  o.seed = 1;
  o.method = DecompositionMethod::Vca;
  const Decomposition v = decompose(X, o);
  o.method = DecompositionMethod::Ica;
  const Decomposition ica = decompose(X, o);
  const double mv = min_best_match(C, v.components), mi = min_best_match(C, ica.components);
  std::printf("[vca] complementary phases, signals correlated −0.45: VCA min Pearson %.4f, FastICA %.4f\n", mv, mi);
  EXPECT_GT(mv, 0.999);
  const double bound = std::cos(0.5 * (std::acos(-0.45) - 0.5 * std::acos(-1.0)));
  EXPECT_NEAR(bound, 0.9729, 1e-4);
  EXPECT_LE(mi, bound + 1e-9);
  EXPECT_NEAR(pearson(ica.components.row(0).transpose(), ica.components.row(1).transpose()), 0.0, 1e-9);
  EXPECT_EQ(parse_decomposition_method("vca"), DecompositionMethod::Vca);
  EXPECT_EQ(decomposition_method_name(DecompositionMethod::Vca), "vca");
}

TEST(Vca, RejectsBadInput) {
  MatrixXd X = MatrixXd::Random(20, 10).cwiseAbs();
  VcaOptions o;
  o.pca.n_components = 2;
  o.pca.center = true;
  EXPECT_THROW(vca(X, o), std::invalid_argument);
  o.pca.center = false;
  o.pca.poisson = true;
  EXPECT_THROW(vca(X, o), std::invalid_argument);
  o.pca.poisson = false;
  o.extreme_fraction = 0.6;
  EXPECT_THROW(vca(X, o), std::invalid_argument);
  o.extreme_fraction = 0.02;
  o.pca.n_components = 11;  // more than min(n, p)
  EXPECT_THROW(vca(X, o), std::invalid_argument);
}
