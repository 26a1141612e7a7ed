// Metrics against hand-computed values and analytic curves.
#include <gtest/gtest.h>

#include <cmath>

#include "sedpdf/structures/constants.hpp"
#include "sedpdf/validate/metrics.hpp"

using namespace sedpdf;

TEST(Metrics, PearsonOfLinearlyRelatedCurvesIsOne) {
  std::vector<double> x, a, b, c;
  for (int i = 0; i < 200; ++i) {
    x.push_back(i * 0.05);
    a.push_back(std::sin(x.back()));
    b.push_back(3.0 * a.back() - 1.0);
    c.push_back(-a.back());
  }
  EXPECT_NEAR(pearson(x, a, b), 1.0, 1e-12);
  EXPECT_NEAR(pearson(x, a, c), -1.0, 1e-12);
}

TEST(Metrics, HandComputedValues) {
  const std::vector<double> x{0, 1, 2, 3}, o{1, 2, 3, 4}, k{1, 2, 3, 6};
  // differences 0,0,0,-2: rms = sqrt(4/4) = 1; Rw = sqrt(4/30)
  EXPECT_NEAR(rms_difference(x, o, k), 1.0, 1e-14);
  EXPECT_NEAR(rw(x, o, k), std::sqrt(4.0 / 30.0), 1e-14);
  // window [1, 2]: identical
  EXPECT_NEAR(rms_difference(x, o, k, {1, 2}), 0.0, 1e-14);
  // Pearson of (1,2,3,4) with (1,2,3,6): cov = 5.5 (x4 samples), computed by hand:
  // means 2.5, 3; dev (-1.5,-.5,.5,1.5), (-2,-1,0,3): Σ = 3+.5+0+4.5 = 8; Σdev1² = 5, Σdev2² = 14
  EXPECT_NEAR(pearson(x, o, k), 8.0 / std::sqrt(5.0 * 14.0), 1e-14);
}

TEST(Metrics, AmplitudeRatioHandComputedAndExact) {
  // y = (2, 1, 0, 5) on ref (1, 1, 0, 2): Σ y·ref = 2 + 1 + 0 + 10 = 13, Σ ref² = 6
  const std::vector<double> x{0, 1, 2, 3}, y{2, 1, 0, 5}, ref{1, 1, 0, 2};
  EXPECT_NEAR(amplitude_ratio(x, y, ref), 13.0 / 6.0, 1e-14);
  EXPECT_NEAR(amplitude_ratio(x, y, ref, {0.5, 1.5}), 1.0, 1e-14);  // only x = 1
  // an exact multiple of a sine returns its factor; an orthogonal curve (cos over whole periods) 0
  std::vector<double> s, a, b, c;
  for (int i = 0; i < 400; ++i) {
    s.push_back(i * 0.01);
    a.push_back(std::sin(2 * kPi * s.back()));
    b.push_back(-0.37 * a.back());
    c.push_back(std::cos(2 * kPi * s.back()));
  }
  EXPECT_NEAR(amplitude_ratio(s, b, a), -0.37, 1e-13);
  EXPECT_NEAR(amplitude_ratio(s, c, a), 0.0, 1e-12);
  EXPECT_THROW(amplitude_ratio(x, y, {0, 0, 0, 0}), std::invalid_argument);
  EXPECT_THROW(amplitude_ratio(x, y, {1, 2}), std::invalid_argument);
}

TEST(Metrics, PeakOfSampledGaussianRefinedBelowGridSpacing) {
  std::vector<double> x, y;
  for (int i = 0; i < 400; ++i) {
    x.push_back(i * 0.01);
    y.push_back(2.0 * std::exp(-0.5 * std::pow((x.back() - 1.9837) / 0.06, 2)));
  }
  const Peak p = highest_peak(x, y, {1.5, 2.5});
  EXPECT_NEAR(p.position, 1.9837, 0.001);
  EXPECT_NEAR(p.height, 2.0, 0.01);
  EXPECT_THROW(highest_peak(x, y, {1.5, 1.51}), std::invalid_argument);
}

TEST(Metrics, MismatchedLengthsAreRejected) {
  EXPECT_THROW(rms_difference({0, 1}, {1, 2}, {1}), std::invalid_argument);
}

// subspace_pearson: the multiple correlation coefficient, checked exactly where the answer is known (a curve in
// the span, its negative, an orthogonal curve) and against a brute-force search over the mixing angle.
TEST(Metrics, SubspacePearsonExactCases) {
  std::vector<double> x, a, b, y, cs, flat;
  const double kTwoPi = 6.283185307179586;
  for (int i = 0; i < 400; ++i) {
    x.push_back(i * kTwoPi * 3 / 400);  // three full periods
    a.push_back(std::sin(x.back()));
    b.push_back(std::exp(-0.3 * x.back()));
    y.push_back(2 * a.back() - 3 * b.back() + 5);
    cs.push_back(std::cos(x.back()));
    flat.push_back(1.5);
  }
  EXPECT_NEAR(subspace_pearson(x, {a, b}, y), 1.0, 1e-12);
  EXPECT_NEAR(subspace_pearson(x, {a}, cs), 0.0, 1e-12);  // Σ sin·cos = 0 over full periods
  std::vector<double> neg(a.size());
  for (size_t i = 0; i < a.size(); ++i) neg[i] = -a[i];
  EXPECT_NEAR(subspace_pearson(x, {a}, neg), 1.0, 1e-12);  // one curve: |Pearson|
  EXPECT_NEAR(subspace_pearson(x, {b}, y), std::fabs(pearson(x, b, y)), 1e-12);
  // Repeated and constant curves add nothing.
  EXPECT_NEAR(subspace_pearson(x, {b, b, flat}, y), std::fabs(pearson(x, b, y)), 1e-12);
  // Errors: constant target, a window with one point, curves of another length.
  EXPECT_THROW(subspace_pearson(x, {a}, flat), std::invalid_argument);
  EXPECT_THROW(subspace_pearson(x, {a}, y, {0.0, 0.0}), std::invalid_argument);
  EXPECT_THROW(subspace_pearson(x, {std::vector<double>(3, 1.0)}, y), std::invalid_argument);
}

TEST(Metrics, SubspacePearsonAgainstBruteForceAngles) {
  std::vector<double> x, a, b, y;
  for (int i = 0; i < 300; ++i) {
    const double r = 1 + i * 0.03;
    x.push_back(r);
    a.push_back(std::exp(-std::pow((r - 2.0) / 0.1, 2)) + 0.3 * std::sin(3 * r));
    b.push_back(std::exp(-std::pow((r - 2.6) / 0.15, 2)) - 0.2 * std::cos(2 * r));
    y.push_back(0.7 * a.back() - 0.4 * b.back() + 0.25 * std::sin(7.3 * r) + 0.1 * r);  // partly outside the span
  }
  const Window w{1.5, 8.0};
  double best = 0;
  for (int k = 0; k < 200000; ++k) {  // every direction of the plane, 1.6e-5 rad apart
    const double th = 3.141592653589793 * k / 200000;
    std::vector<double> c(a.size());
    for (size_t i = 0; i < a.size(); ++i) c[i] = std::cos(th) * a[i] + std::sin(th) * b[i];
    best = std::max(best, std::fabs(pearson(x, c, y, w)));
  }
  const double r = subspace_pearson(x, {a, b}, y, w);
  EXPECT_NEAR(r, best, 1e-8);
  EXPECT_GT(r, 0.5);
  EXPECT_LT(r, 0.99);
}
