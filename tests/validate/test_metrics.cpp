// Metrics against hand-computed values and analytic curves.
#include <gtest/gtest.h>

#include <cmath>

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
