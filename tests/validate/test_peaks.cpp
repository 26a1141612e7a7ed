// Peak finding against sampled analytic Gaussians (position, height, σ, FWHM = 2√(2 ln 2) σ).
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "sedpdf/validate/peaks.hpp"

using namespace sedpdf;

namespace {
double gauss(double x, double mu, double sigma, double h) { return h * std::exp(-0.5 * std::pow((x - mu) / sigma, 2)); }
const double kFwhmPerSigma = 2 * std::sqrt(2 * std::log(2.0));
}  // namespace

TEST(Peaks, GaussianRefinementRecoversSampledGaussian) {
  // σ = 0.06 Å sampled every 0.01 Å (a first-shell PDF peak on the default r grid), off-grid centre.
  for (double mu : {1.9837, 2.0, 2.0051, 3.333}) {
    std::vector<double> x, y;
    for (int i = 0; i < 600; ++i) {
      x.push_back(i * 0.01);
      y.push_back(gauss(x.back(), mu, 0.06, 2.0));
    }
    PeakOptions o;
    o.window = {mu - 0.5, mu + 0.5};
    const auto peaks = find_peaks(x, y, o);
    ASSERT_EQ(peaks.size(), 1u);
    EXPECT_NEAR(peaks[0].position, mu, 1e-3);
    EXPECT_NEAR(peaks[0].position, mu, 1e-9);  // exact for a Gaussian (log-parabola)
    EXPECT_NEAR(peaks[0].height, 2.0, 1e-9);
    EXPECT_NEAR(peaks[0].sigma, 0.06, 0.01 * 0.06);
    EXPECT_NEAR(peaks[0].fwhm, kFwhmPerSigma * 0.06, 0.01 * kFwhmPerSigma * 0.06);
    o.refinement = PeakRefinement::Parabolic;
    const auto pp = find_peaks(x, y, o);
    ASSERT_EQ(pp.size(), 1u);
    EXPECT_NEAR(pp[0].position, mu, 1e-3);
    EXPECT_EQ(pp[0].sigma, 0.0);
  }
}

TEST(Peaks, NarrowPeakWidthWithinOnePercent) {
  // σ = 0.03 Å at 0.01 Å sampling: only ~7 samples above half maximum.
  std::vector<double> x, y;
  for (int i = 0; i < 300; ++i) {
    x.push_back(i * 0.01);
    y.push_back(gauss(x.back(), 1.4123, 0.03, 1.0));
  }
  const auto p = find_peaks(x, y, {});
  ASSERT_EQ(p.size(), 1u);
  EXPECT_NEAR(p[0].position, 1.4123, 1e-3);
  EXPECT_NEAR(p[0].fwhm / (kFwhmPerSigma * 0.03), 1.0, 0.01);
  EXPECT_NEAR(p[0].sigma / 0.03, 1.0, 0.01);
}

TEST(Peaks, BaselineAndProminenceFiltering) {
  // Two Gaussians on a constant baseline −0.5 plus a small ripple; the ripple is dropped by prominence.
  std::vector<double> x, y;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(i * 0.01);
    y.push_back(-0.5 + gauss(x.back(), 2.0, 0.08, 1.5) + gauss(x.back(), 4.1, 0.15, 0.8) +
                0.003 * std::sin(x.back() * 40.0));
  }
  PeakOptions o;
  o.min_prominence = 0.05;
  o.baseline = -0.5;
  const auto p = find_peaks(x, y, o);
  ASSERT_EQ(p.size(), 2u);
  EXPECT_NEAR(p[0].position, 2.0, 5e-3);
  EXPECT_NEAR(p[1].position, 4.1, 5e-3);
  EXPECT_NEAR(p[0].fwhm, kFwhmPerSigma * 0.08, 0.03 * kFwhmPerSigma * 0.08);
  EXPECT_GT(p[0].prominence, 1.4);
  o.min_prominence = 0;
  EXPECT_GT(find_peaks(x, y, o).size(), 10u);  // ripple maxima are local maxima too
}

TEST(Peaks, FirstPeakScalingAsIn003) {
  std::vector<double> x, ref, y;
  for (int i = 0; i < 1000; ++i) {
    x.push_back(0.5 + i * 0.01);
    const double r = x.back();
    ref.push_back(0.05 * std::sin(20 * r) * (r < 1.2) + gauss(r, 1.98, 0.07, 3.0) + gauss(r, 3.0, 0.1, 1.0));
    y.push_back(0.4 * (gauss(r, 1.98, 0.07, 3.0) + gauss(r, 3.0, 0.1, 1.0)));
  }
  const Window w{1.0, 2.5};
  const PeakInfo fp = first_peak(x, ref, {0.5, 4.0});  // skips the 0.05 ripples below 1.2 Å
  EXPECT_NEAR(fp.position, 1.98, 1e-3);
  EXPECT_NEAR(first_peak_scale(x, y, ref, w), 2.5, 1e-6);
  const auto scaled = scale_to_first_peak(x, y, ref, w);
  EXPECT_NEAR(highest_peak(x, scaled, w).height, 3.0, 1e-3);
  const auto sc = window_scores(x, ref, scaled, {{1.5, 2.5}, {2.5, 4.0}});
  ASSERT_EQ(sc.size(), 2u);
  EXPECT_GT(sc[0].pearson, 0.999);
  EXPECT_LT(sc[1].rw, 1e-6);
}

TEST(Peaks, PositionOffsetsPairNearestPeaks) {
  std::vector<PeakInfo> a(2), b(3);
  a[0].position = 1.0;
  a[1].position = 2.0;
  b[0].position = 1.03;
  b[1].position = 2.5;
  b[2].position = 1.9;
  const auto d = peak_position_offsets(b, a, 0.2);
  EXPECT_NEAR(d[0], 0.03, 1e-12);
  EXPECT_NEAR(d[1], -0.1, 1e-12);
  EXPECT_TRUE(std::isnan(peak_position_offsets(b, {a[0]}, 0.01)[0]));
  EXPECT_THROW(refine_peak({0, 1, 2}, {0, 1, 0}, 0), std::invalid_argument);
}

TEST(Peaks, ComparePeakPositionsAgainstReference) {
  std::vector<double> x, ref, y;
  for (int i = 0; i < 900; ++i) {
    x.push_back(0.5 + i * 0.01);
    const double r = x.back();
    ref.push_back(gauss(r, 1.5, 0.07, 2.0) + gauss(r, 2.5, 0.1, 1.0) + gauss(r, 4.0, 0.15, 0.8));
    // a stronger extra peak at 1.1 Å comes first in y (as C–N does in the agZIF-62 ePDF), shifts +0.03, +0.08, +0.15
    y.push_back(gauss(r, 1.1, 0.05, 3.0) + gauss(r, 1.53, 0.07, 2.0) + gauss(r, 2.58, 0.1, 1.0) + gauss(r, 4.15, 0.15, 0.8));
  }
  const PeakComparison c = compare_peak_positions(x, y, ref, {1.0, 2.0}, {1.0, 8.0});
  ASSERT_EQ(c.reference_peaks.size(), 3u);
  EXPECT_NEAR(c.first_shell_offset, 0.03, 2e-3);  // the peak nearest to the reference's first, not y's first
  EXPECT_TRUE(c.first_shell_ok);
  EXPECT_NEAR(c.offsets[1], 0.08, 2e-3);
  EXPECT_NEAR(c.offsets[2], 0.15, 2e-3);
  EXPECT_EQ(c.n_matched, 2u);
  EXPECT_FALSE(c.all_ok);
  EXPECT_NEAR(c.max_abs_offset, 0.08, 2e-3);
  EXPECT_NEAR(nearest_peak(x, y, 1.5, {1.0, 2.0}).position, 1.53, 1e-3);
  EXPECT_NEAR(first_peak_scale(x, y, ref, {1.0, 2.0}), 1.0, 1e-3);
  // From y's side: its extra 1.1 Å peak has no reference peak within 0.2 Å; 1.53, 2.58 are within 0.1, 4.15 is not.
  ASSERT_EQ(c.peaks.size(), 4u);
  ASSERT_EQ(c.peak_offsets.size(), 4u);
  EXPECT_TRUE(std::isnan(c.peak_offsets[0]));
  EXPECT_NEAR(c.peak_offsets[1], 0.03, 2e-3);
  EXPECT_NEAR(c.peak_offsets[2], 0.08, 2e-3);
  EXPECT_NEAR(c.peak_offsets[3], 0.15, 2e-3);
  EXPECT_EQ(c.n_peaks_at_reference, 2u);
  EXPECT_NEAR(c.max_abs_peak_offset, 0.08, 2e-3);
  EXPECT_FALSE(c.peaks_at_reference());
  EXPECT_FALSE(c.positions_ok);
}

TEST(Peaks, ComparePeakPositionsCountsBothWays) {
  // A curve of lower resolution than its reference: the reference's close pair 2.95 / 3.45 Å is one broad
  // peak at 3.2 Å in y, 0.25 Å from either; the other peaks sit 0.02–0.05 Å from the reference's. Then y
  // without the broad peak: every peak it has is at a reference peak, while the reference's pair is missing.
  std::vector<double> x, ref, y, y2;
  for (int i = 0; i < 900; ++i) {
    x.push_back(0.5 + i * 0.01);
    const double r = x.back();
    ref.push_back(gauss(r, 1.5, 0.06, 2.0) + gauss(r, 2.95, 0.08, 1.0) + gauss(r, 3.45, 0.08, 1.0) + gauss(r, 5.0, 0.1, 0.8));
    const double common = gauss(r, 1.52, 0.1, 2.0) + gauss(r, 4.95, 0.2, 0.8);
    y.push_back(common + gauss(r, 3.2, 0.3, 1.2));
    y2.push_back(common);
  }
  const PeakComparison c = compare_peak_positions(x, y, ref, {1.0, 2.0}, {1.0, 8.0});
  ASSERT_EQ(c.reference_peaks.size(), 4u);
  ASSERT_EQ(c.peaks.size(), 3u);
  EXPECT_EQ(c.n_matched, 2u);  // 1.5 and 5.0 found; 2.95 and 3.45 are 0.25 Å from the broad peak
  EXPECT_FALSE(c.reference_found());
  EXPECT_EQ(c.n_peaks_at_reference, 2u);
  EXPECT_TRUE(std::isnan(c.peak_offsets[1]));
  EXPECT_FALSE(c.peaks_at_reference());
  EXPECT_NEAR(c.max_abs_peak_offset, 0.05, 5e-3);

  const PeakComparison c2 = compare_peak_positions(x, y2, ref, {1.0, 2.0}, {1.0, 8.0});
  ASSERT_EQ(c2.peaks.size(), 2u);
  EXPECT_EQ(c2.n_matched, 2u);
  EXPECT_FALSE(c2.reference_found());  // the reference's pair is not in y2
  EXPECT_FALSE(c2.all_ok);
  EXPECT_EQ(c2.n_peaks_at_reference, 2u);
  EXPECT_TRUE(c2.peaks_at_reference());  // but every peak y2 has is at a reference peak
  EXPECT_TRUE(c2.positions_ok);
  EXPECT_NEAR(c2.peak_offsets[0], 0.02, 3e-3);
  EXPECT_NEAR(c2.peak_offsets[1], -0.05, 5e-3);
}

TEST(Peaks, JackknifeOfTheMeanIsItsStandardError) {
  // Leave-one-group-out means of K equal groups: the jackknife σ equals sd(group means)/√K exactly
  // (Efron & Tibshirani 1993, §11.2).
  const std::vector<double> group_means{1.0, 1.3, 0.8, 1.1, 0.95, 1.25, 0.7, 1.05};
  const double k = static_cast<double>(group_means.size());
  const double total = std::accumulate(group_means.begin(), group_means.end(), 0.0);
  std::vector<double> loo;
  for (double m : group_means) loo.push_back((total - m) / (k - 1));
  double mean = total / k, ss = 0;
  for (double m : group_means) ss += (m - mean) * (m - mean);
  const double se = std::sqrt(ss / (k - 1)) / std::sqrt(k);
  EXPECT_NEAR(jackknife_sigma(loo), se, 1e-14);
  EXPECT_DOUBLE_EQ(jackknife_sigma({2.0, 2.0, 2.0}), 0.0);
  EXPECT_TRUE(std::isnan(jackknife_sigma({1.0, std::nan("")})));
  EXPECT_THROW(jackknife_sigma({1.0}), std::invalid_argument);
}
