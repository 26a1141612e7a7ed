// Tests of the direct-beam centre (centre of mass refined by minimum azimuthal variance) and of the
// elliptical-distortion fit, on analytic ring patterns with a known centre and ellipse, with seeded
// Poisson noise.
#include <gtest/gtest.h>
#include <omp.h>

#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>

#include "fixtures/ring_pattern.hpp"
#include "sedpdf/reduce/azimuthal.hpp"
#include "sedpdf/reduce/centre.hpp"
#include "fixtures/error_message.hpp"

using namespace sedpdf;
using sedpdf::test_fixtures::exception_message;
using sedpdf::test_fixtures::RingModel;

namespace {

const double kDs = 0.011;  // Å⁻¹/pixel (quad Medipix3 dataset of Laulainen et al. 2022)

std::vector<double> noisy(const RingModel& m, const DetectorGeometry& g, const BeamCentre& c, uint64_t seed,
                          const EllipticalDistortion& e = {}) {
  return sedpdf::test_fixtures::to_double(sedpdf::test_fixtures::poisson_frame(sedpdf::test_fixtures::render(m, g, c, e, 8), seed));
}


}  // namespace

/// A global-centre situation: the sum of ~10 patterns (≈ 1000 counts/pixel near the beam, ≈ 20 at the edge).
RingModel summed() {
  RingModel m;
  m.scale = 10;
  return m;
}

TEST(Centre, NoisyOffCentrePattern) {
  const DetectorGeometry g = DetectorGeometry::quad_medipix3(kDs);
  const BeamCentre truth{281.37, 243.62};
  const std::vector<double> frame = noisy(summed(), g, truth, 42);
  const CentreResult r = find_centre(frame, g, Mask{});
  const double com_err = std::hypot(r.com.x - truth.x, r.com.y - truth.y);
  const double err = std::hypot(r.centre.x - truth.x, r.centre.y - truth.y);
  std::printf("[ info ] CoM error %.4f px, refined error %.4f px, %d evaluations, annulus %.1f–%.1f px\n", com_err,
              err, r.evaluations, r.r_min, r.r_max);
  EXPECT_TRUE(r.converged);
  EXPECT_LT(com_err, 0.5);
  EXPECT_LT(err, 0.05);
  EXPECT_NEAR(r.beam_radius, 0.015 / kDs * std::sqrt(2 * std::log(2.0)), 0.7);  // half-maximum radius
}

TEST(Centre, BeamInTheGapCross) {
  // The beam centred on the inter-chip gaps (physical pixels 256–258 in x and y are insensitive), as
  // when the pattern is centred on a quad detector: the CoM sees only parts of the beam.
  const DetectorGeometry g = DetectorGeometry::quad_medipix3(kDs);
  const BeamCentre truth{257.23, 256.41};
  const std::vector<double> frame = noisy(summed(), g, truth, 7);
  const CentreResult r = find_centre(frame, g, Mask{});
  const double com_err = std::hypot(r.com.x - truth.x, r.com.y - truth.y);
  const double err = std::hypot(r.centre.x - truth.x, r.centre.y - truth.y);
  std::printf("[ info ] beam in gap: CoM error %.4f px, refined error %.4f px\n", com_err, err);
  EXPECT_LT(err, 0.05);
  // Same physical pattern stored as 515 × 515 with the gap cross masked: same centre.
  const DetectorGeometry g515 = DetectorGeometry::quad_medipix3(kDs, QuadStorage::WithGaps515);
  std::vector<double> f515(515 * 515, 0.0);
  for (size_t i = 0; i < 512; ++i)
    for (size_t j = 0; j < 512; ++j) f515[(i + (i >= 256 ? 3 : 0)) * 515 + j + (j >= 256 ? 3 : 0)] = frame[i * 512 + j];
  const CentreResult r2 = find_centre(f515, g515, Mask{});
  EXPECT_NEAR(r2.centre.x, r.centre.x, 5e-3);  // the simplex tolerance is 10⁻³ px
  EXPECT_NEAR(r2.centre.y, r.centre.y, 5e-3);
}

TEST(Centre, SingleLowDosePatternOnOneChip) {
  // One 256² chip at Δs = 0.016 Å⁻¹ (the 300 kV dataset of 003), one pattern at a fifth of the default
  // counts (≈ 20 counts/pixel near the beam, < 1 at the edge): the rings carry little information,
  // the direct beam (≈ 2·10⁴ counts) a lot, so the CoM is the per-pattern centre.
  const DetectorGeometry g = DetectorGeometry::single_256(0.016);
  RingModel m;
  m.scale = 0.2;
  const BeamCentre truth{131.71, 122.38};
  const CentreResult r = find_centre(noisy(m, g, truth, 3), g, Mask{});
  const double com_err = std::hypot(r.com.x - truth.x, r.com.y - truth.y);
  const double err = std::hypot(r.centre.x - truth.x, r.centre.y - truth.y);
  std::printf("[ info ] single chip, low dose: CoM error %.4f px, refined error %.4f px\n", com_err, err);
  EXPECT_LT(com_err, 0.05);
  EXPECT_LT(err, 0.5);
}

TEST(Centre, DeterministicAtAnyThreadCount) {
  const DetectorGeometry g = DetectorGeometry::single_256(0.016);
  const std::vector<double> frame = noisy(RingModel{}, g, {127.4, 129.9}, 5);
  const int threads = omp_get_max_threads();
  const CentreResult a = find_centre(frame, g, Mask{});
  omp_set_num_threads(1);
  const CentreResult b = find_centre(frame, g, Mask{});
  omp_set_num_threads(threads);
  EXPECT_EQ(a.centre.x, b.centre.x);
  EXPECT_EQ(a.centre.y, b.centre.y);
  EXPECT_EQ(a.evaluations, b.evaluations);
}

TEST(Centre, EllipticalDistortionRecovered) {
  // Rings distorted into ellipses of axis ratio 1.03 at 26° (a projector-lens distortion), noisy.
  const DetectorGeometry g = DetectorGeometry::quad_medipix3(kDs);
  const BeamCentre truth{262.8, 251.3};
  const EllipticalDistortion e_true{1.03, 0.45};
  const RingModel m = summed();
  const std::vector<double> mean = sedpdf::test_fixtures::render(m, g, truth, e_true, 8);
  const std::vector<double> frame = sedpdf::test_fixtures::to_double(sedpdf::test_fixtures::poisson_frame(mean, 11));
  CentreOptions o;
  const CentreResult c0 = find_centre(frame, g, Mask{}, o);
  const EllipseFit fit = fit_elliptical_distortion(frame, g, Mask{}, c0.centre, o);
  std::printf("[ info ] ellipse: ratio %.5f (1.03), angle %.4f rad (0.45), centre error %.4f px, %d evaluations\n",
              fit.distortion.ratio, fit.distortion.angle, std::hypot(fit.centre.x - truth.x, fit.centre.y - truth.y),
              fit.evaluations);
  EXPECT_NEAR(fit.distortion.ratio, 1.03, 0.001);
  EXPECT_NEAR(fit.distortion.angle, 0.45, 0.02);
  EXPECT_LT(std::hypot(fit.centre.x - truth.x, fit.centre.y - truth.y), 0.05);
  // Integrating the noise-free pattern with the fitted correction recovers the analytic profile; without
  // it the rings are smeared by ±(√q − 1)·r ≈ ±1.9 px at the edge.
  IntegrationSetup su;
  su.geometry = g;
  su.centre = fit.centre;
  su.distortion = fit.distortion;
  su.axis = {0.0, 2.6, 236};
  const AzimuthalProfile p = CsrIntegrator(su).integrate(mean);
  su.distortion = {};
  su.centre = truth;
  const AzimuthalProfile p0 = CsrIntegrator(su).integrate(mean);
  double worst = 0, worst0 = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    if (p.s[k] <= 0.1) continue;
    const double ref = m.annulus_mean(p.s[k] - 0.5 * p.bin_width, p.s[k] + 0.5 * p.bin_width);
    worst = std::max(worst, std::abs(p.mean[k] / ref - 1));
    worst0 = std::max(worst0, std::abs(p0.mean[k] / ref - 1));
  }
  std::printf("[ info ] profile error with correction %.4f %%, without %.3f %%\n", 100 * worst, 100 * worst0);
  EXPECT_LT(worst, 0.003);
  EXPECT_GT(worst0, worst);
}

TEST(Centre, BadInput) {
  const DetectorGeometry g = DetectorGeometry::single_256(0.016);
  std::vector<double> wrong(100, 1.0);
  std::string m = exception_message([&] { find_centre(wrong, g, Mask{}); });
  EXPECT_NE(m.find("100"), std::string::npos) << m;
  EXPECT_NE(m.find("256 × 256"), std::string::npos) << m;
  std::vector<double> zero(256 * 256, 0.0);
  m = exception_message([&] { find_centre(zero, g, Mask{}); });
  EXPECT_NE(m.find("no positive intensity"), std::string::npos) << m;
  Mask all(256, 256);
  for (size_t q = 0; q < all.size(); ++q) all.set_index(q);
  EXPECT_NE(exception_message([&] { find_centre(zero, g, all); }).find("masked"), std::string::npos);
  // An annulus too narrow to refine on, named in the message.
  const std::vector<double> frame = sedpdf::test_fixtures::render(RingModel{}, g, {128, 128}, {}, 2);
  CentreOptions o;
  o.r_min = 50;
  o.r_max = 53;
  m = exception_message([&] { find_centre(frame, g, Mask{}, o); });
  EXPECT_NE(m.find("r_min = 50"), std::string::npos) << m;
  EXPECT_NE(m.find("r_max = 53"), std::string::npos) << m;
  EllipticalDistortion bad{0.5, 0};
  EXPECT_THROW(bad.validate(), std::invalid_argument);
}
