// ICA of the references themselves: the stationary-point enumeration against FastICA runs from many seeds
// (a separate code path: the fixed-point iteration), the analytic cap for two uncorrelated outputs, sparse
// independent references recovered, bad input named.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <set>
#include <string>

#include "fixtures/error_message.hpp"
#include "sedpdf/validate/ica_limit.hpp"
#include "sedpdf/validate/matching.hpp"

using namespace sedpdf;
using sedpdf::test_fixtures::invalid_argument_message;

namespace {

std::vector<double> grid() {
  std::vector<double> r;
  for (int i = 0; i <= 280; ++i) r.push_back(1.0 + 0.05 * i);
  return r;
}

/// Gaussian peaks (position Å, height) of width 0.15 Å, minus a slow baseline so the curve oscillates like G(r).
std::vector<double> peaks(const std::vector<double>& r, const std::vector<std::pair<double, double>>& p, double baseline) {
  std::vector<double> y(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) {
    double v = -baseline * std::exp(-r[i] / 6);
    for (const auto& [x0, h] : p) v += h * std::exp(-0.5 * (r[i] - x0) * (r[i] - x0) / (0.15 * 0.15));
    y[i] = v;
  }
  return y;
}

const std::vector<std::pair<double, double>> kA{{1.4, 2.0}, {2.0, 4.9}, {3.0, 3.5}, {4.2, 3.2}, {6.0, 2.4}, {9.5, 1.0}, {12.5, 0.7}};
const std::vector<std::pair<double, double>> kB{{1.55, 1.8}, {2.5, 0.8}, {3.5, 1.0}, {4.9, 0.6}, {6.4, 0.5}, {8.3, 0.4}, {11.0, 0.3}};

/// Contrast G of the settings (ica.hpp), written out again for the test.
double contrast(double u, const FastIcaSettings& s) {
  switch (s.nonlinearity) {
    case IcaNonlinearity::LogCosh: return std::log(std::cosh(s.alpha * u)) / s.alpha;
    case IcaNonlinearity::Exp: return -std::exp(-0.5 * u * u);
    case IcaNonlinearity::Cube: return 0.25 * u * u * u * u;
  }
  return 0;
}

/// Σ (mean G(y) − γ)² over the standardised rows of C (the first `rows` of them).
double negentropy_of(const Eigen::MatrixXd& C, const FastIcaSettings& s, Eigen::Index rows) {
  const double gamma = gaussian_contrast(s);
  double J = 0;
  for (Eigen::Index i = 0; i < rows; ++i) {
    const Eigen::VectorXd y = C.row(i).transpose().array() - C.row(i).mean();
    const double sd = std::sqrt(y.squaredNorm() / static_cast<double>(y.size()));
    double eg = 0;
    for (Eigen::Index j = 0; j < y.size(); ++j) eg += contrast(y(j) / sd, s);
    eg /= static_cast<double>(y.size());
    J += (eg - gamma) * (eg - gamma);
  }
  return J;
}

/// The matched Pearson pair of one FastICA run on the references (the library's fixed-point iteration).
std::vector<double> fastica_pair(const std::vector<double>& r, const std::vector<std::vector<double>>& refs,
                                 FastIcaSettings s, uint64_t seed, Window w, double* negentropy = nullptr) {
  Eigen::MatrixXd X(2, static_cast<Eigen::Index>(r.size()));
  for (std::size_t i = 0; i < 2; ++i)
    for (std::size_t j = 0; j < r.size(); ++j) X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = refs[i][j];
  IcaOptions o;
  o.pca.n_components = 2;
  o.pca.pa_trials = 0;
  o.fastica = s;
  o.fastica.seed = seed;
  const IcaResult res = fastica(X, o);
  EXPECT_TRUE(res.run.converged) << res.run.message;
  if (negentropy) *negentropy = negentropy_of(res.components, s, 2);  // the parallel objective (both outputs)
  return matched_reference_pearson(r, res.components, refs, w);
}

}  // namespace

TEST(IcaLimit, EveryFastIcaRunLandsOnAnEnumeratedStationaryPoint) {
  const std::vector<double> r = grid();
  // Interleaved peaks: anti-correlated references, as the two phases of the 2022 study.
  const std::vector<std::vector<double>> refs{peaks(r, kA, 0.5), peaks(r, kB, 0.2)};
  const Window w{1.5, 10.0};
  std::size_t distinct_landings = 0;
  for (IcaAlgorithm alg : {IcaAlgorithm::Parallel, IcaAlgorithm::Deflation})
    for (IcaNonlinearity g : {IcaNonlinearity::LogCosh, IcaNonlinearity::Cube, IcaNonlinearity::Exp}) {
      FastIcaSettings s;
      s.algorithm = alg;
      s.nonlinearity = g;
      s.tol = 1e-12;
      s.max_iter = 20000;
      const ReferenceIcaLimit lim = reference_ica_limit(r, refs, w, s);
      const std::string what = ica_algorithm_name(alg) + "/" + ica_nonlinearity_name(g);
      ASSERT_GE(lim.stationary.size(), 2u) << what;
      // A smooth periodic contrast: stationary points alternate between maxima and minima, an even number.
      EXPECT_EQ(lim.stationary.size() % 2, 0u) << what;
      for (std::size_t i = 0; i < lim.stationary.size(); ++i) {
        const auto& a = lim.stationary[i];
        const auto& b = lim.stationary[(i + 1) % lim.stationary.size()];
        EXPECT_NE(a.maximum, b.maximum) << what << " point " << i;
        if (a.maximum) {
          EXPECT_GT(a.contrast, b.contrast) << what;
        }
      }
      // The scan of the landscape brackets every stationary point: a maximum lies above its scan neighbours,
      // a minimum below.
      const int n = 720;
      const std::vector<IcaStationaryPoint> scan = ica_rotation_scan(r, refs, refs, w, s, n);
      ASSERT_EQ(scan.size(), static_cast<std::size_t>(n));
      const double period = alg == IcaAlgorithm::Parallel ? std::acos(-1.0) / 2 : std::acos(-1.0);
      for (const auto& sp : lim.stationary) {
        const std::size_t i = static_cast<std::size_t>(std::floor(sp.angle_rad / (period / n))) % n;
        const double f0 = scan[i].contrast, f1 = scan[(i + 1) % n].contrast;
        if (sp.maximum) {
          EXPECT_GE(sp.contrast, std::max(f0, f1) - 1e-12) << what;
        } else {
          EXPECT_LE(sp.contrast, std::min(f0, f1) + 1e-12) << what;
        }
      }
      // The seeded run of the limit itself is one of them, and so is every run from 12 other seeds.
      std::set<std::size_t> landed;
      for (uint64_t seed = 0; seed < 13; ++seed) {
        double J = 0;
        const std::vector<double> got = fastica_pair(r, refs, s, seed == 0 ? s.seed : seed, w, &J);
        if (seed == 0) {
          EXPECT_NEAR(got[0], lim.pearson[0], 1e-12);
          EXPECT_NEAR(got[1], lim.pearson[1], 1e-12);
        }
        double best = 1e9;
        std::size_t at = 0;
        for (std::size_t i = 0; i < lim.stationary.size(); ++i) {
          const double d = std::abs(lim.stationary[i].pearson[0] - got[0]) + std::abs(lim.stationary[i].pearson[1] - got[1]);
          if (d < best) {
            best = d;
            at = i;
          }
        }
        landed.insert(at);
        // ICA's objective at the run's outputs, computed here from the components, is the enumerated point's.
        if (alg == IcaAlgorithm::Parallel) {
          EXPECT_NEAR(J, lim.stationary[at].negentropy, 1e-6 * std::max(1.0, J)) << what << " seed " << seed;
        }
        EXPECT_LT(best, 1e-5) << what << " seed " << seed << ": " << got[0] << ", " << got[1];
        EXPECT_LE(std::min(got[0], got[1]), lim.best_smallest + 1e-6) << what;
      }
      distinct_landings = std::max(distinct_landings, landed.size());
      std::printf("%s: %zu stationary points, runs landed on %zu; best smallest %.4f\n", what.c_str(), lim.stationary.size(), landed.size(), lim.best_smallest);
    }
  // The contrast has more than one attractor for some setting, so the enumeration is tested on several.
  EXPECT_GE(distinct_landings, 2u);
}

TEST(IcaLimit, GaussianContrastAgainstMonteCarlo) {
  std::mt19937_64 rng(7);
  std::normal_distribution<double> nd;
  std::vector<double> v(2000000);
  for (double& x : v) x = nd(rng);
  for (IcaNonlinearity g : {IcaNonlinearity::LogCosh, IcaNonlinearity::Exp, IcaNonlinearity::Cube})
    for (double alpha : {1.0, 2.0}) {
      FastIcaSettings s;
      s.nonlinearity = g;
      s.alpha = alpha;
      double m = 0;
      for (double x : v) m += contrast(x, s);
      m /= static_cast<double>(v.size());
      // Monte-Carlo standard error: < 1e-3 for logcosh / exp, ~2e-3 for u⁴/4 (variance 24 / 16 / n)
      EXPECT_NEAR(gaussian_contrast(s), m, g == IcaNonlinearity::Cube ? 6e-3 : 2e-3) << ica_nonlinearity_name(g) << " " << alpha;
    }
  FastIcaSettings s;
  EXPECT_NEAR(gaussian_contrast(s), 0.37456, 1e-4);  // E log cosh ν (tabulated value of the standard normal)
}

TEST(IcaLimit, CorrelatedReferencesStayBelowTheUncorrelatedCap) {
  // B = −0.85 A + 0.53 C over the grid: no two uncorrelated outputs can reach both (cos 29.1° = 0.874).
  const std::vector<double> r = grid();
  const std::vector<double> a = peaks(r, kA, 0.5), c = peaks(r, kB, 0.2);
  auto standardise = [](std::vector<double> y) {
    double m = 0, v = 0;
    for (double x : y) m += x;
    m /= static_cast<double>(y.size());
    for (double& x : y) v += (x - m) * (x - m);
    for (double& x : y) x = (x - m) / std::sqrt(v);
    return y;
  };
  const std::vector<double> as = standardise(a), cs0 = standardise(c);
  // C made exactly uncorrelated with A, so ρ(A, B) = −0.85 exactly.
  double ac = 0;
  for (std::size_t i = 0; i < r.size(); ++i) ac += as[i] * cs0[i];
  std::vector<double> cs(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) cs[i] = cs0[i] - ac * as[i];
  cs = standardise(cs);
  std::vector<double> b(r.size());
  for (std::size_t i = 0; i < r.size(); ++i) b[i] = -0.85 * as[i] + std::sqrt(1 - 0.85 * 0.85) * cs[i];
  const Window all{};  // the whole grid: the samples ICA whitens over
  for (IcaAlgorithm alg : {IcaAlgorithm::Parallel, IcaAlgorithm::Deflation}) {
    FastIcaSettings s;
    s.algorithm = alg;
    const ReferenceIcaLimit lim = reference_ica_limit(r, {a, b}, all, s);
    EXPECT_NEAR(lim.reference_correlation, -0.85, 1e-9);
    const double cap = std::cos(0.5 * (std::acos(-0.85) - std::acos(0.0)));
    EXPECT_NEAR(lim.uncorrelated_cap, cap, 1e-12);
    ASSERT_FALSE(lim.stationary.empty());
    for (const auto& sp : lim.stationary) EXPECT_LE(sp.smallest, cap + 1e-9);
    EXPECT_LT(lim.best_smallest, 0.9);
    EXPECT_LE(lim.smallest, cap + 1e-9);
  }
}

TEST(IcaLimit, IndependentSparseReferencesAreReturned) {
  // Peaks of two curves on disjoint positions with no common baseline: sparse, nearly independent sources.
  const std::vector<double> r = grid();
  const std::vector<std::vector<double>> refs{peaks(r, {{2.0, 3.0}, {5.1, 1.0}, {8.7, 2.2}, {12.0, 1.4}}, 0),
                                              peaks(r, {{3.4, 1.5}, {6.6, 2.6}, {10.2, 0.9}, {13.5, 2.0}}, 0)};
  FastIcaSettings s;
  const ReferenceIcaLimit lim = reference_ica_limit(r, refs, Window{1.5, 10.0}, s);
  EXPECT_TRUE(lim.converged);
  EXPECT_GT(lim.smallest, 0.99);
  EXPECT_GT(lim.best_smallest, 0.99);
  // Three references: multi-start limit.
  std::vector<std::vector<double>> three = refs;
  three.push_back(peaks(r, {{2.7, 2.0}, {4.4, 1.2}, {7.6, 2.4}, {11.2, 1.0}}, 0));
  const ReferenceIcaLimit l3 = reference_ica_limit(r, three, Window{1.5, 10.0}, s, 4);
  EXPECT_EQ(l3.starts, 4);
  EXPECT_TRUE(l3.stationary.empty());
  EXPECT_GT(l3.best_smallest, 0.98);
  EXPECT_GT(l3.preferred_smallest, 0.98);
  EXPECT_GE(l3.best_smallest, l3.smallest);
}

TEST(IcaLimit, BadInputIsNamed) {
  const std::vector<double> r = grid();
  const std::vector<double> a = peaks(r, kA, 0.5), b = peaks(r, kB, 0.2);
  FastIcaSettings s;
  EXPECT_NE(invalid_argument_message([&] { reference_ica_limit(r, {a}, {}, s); }).find("1 reference"), std::string::npos);
  std::vector<double> shortb(b.begin(), b.end() - 1);
  EXPECT_NE(invalid_argument_message([&] { reference_ica_limit(r, {a, shortb}, {}, s); }).find("280 points"), std::string::npos);
  std::vector<double> nanb = b;
  nanb[7] = std::nan("");
  EXPECT_NE(invalid_argument_message([&] { reference_ica_limit(r, {a, nanb}, {}, s); }).find("r = 1.35"), std::string::npos);
  std::vector<double> twice = a;
  for (double& x : twice) x = 2 * x + 1;
  EXPECT_NE(invalid_argument_message([&] { reference_ica_limit(r, {a, twice}, {}, s); }).find("linearly dependent"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { reference_ica_limit(r, {a, b}, {}, s, 0); }).find("starts = 0"), std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { ica_stationary_points(r, {a}, {a, b}, {}, s); }).find("span of 1 curves"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { ica_rotation_scan(r, {a, b}, {a, b}, {}, s, 1); }).find("n = 1"), std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { ica_rotation_scan(r, {a, nanb}, {a, b}, {}, s); }).find("r = 1.35"), std::string::npos);
}
