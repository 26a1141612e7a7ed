// Tests of the azimuthal integration (exact pixel splitting, CSR vs per-pixel reference), the detector
// geometry and masks. The oracles: closed-form rectangle ∩ disk areas, 1-D quadrature of square ∩
// ellipse areas, the analytic annulus mean of a ring pattern, counts conservation, and the reference
// integrator.
#include <gtest/gtest.h>
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>

#include "fixtures/ring_pattern.hpp"
#include "sedpdf/reduce/azimuthal.hpp"
#include "sedpdf/structures/error.hpp"
#include "fixtures/error_message.hpp"

using namespace sedpdf;
using sedpdf::test_fixtures::exception_message;
using sedpdf::test_fixtures::RingModel;

namespace {


// ---- independent closed form: area of [x0,x1]×[y0,y1] ∩ disk(0,R) via the quadrant function ----
double P(double u, double R) { return 0.5 * (u * std::sqrt(std::max(0.0, R * R - u * u)) + R * R * std::asin(u / R)); }
/// Area of {0 ≤ u ≤ x, 0 ≤ v ≤ y, u² + v² ≤ R²} for x, y ≥ 0.
double F(double x, double y, double R) {
  x = std::min(x, R);
  y = std::min(y, R);
  if (x * x + y * y <= R * R) return x * y;
  const double u0 = std::sqrt(R * R - y * y);
  return u0 * y + P(x, R) - P(u0, R);
}
double G(double x, double y, double R) {
  const double sx = x < 0 ? -1 : 1, sy = y < 0 ? -1 : 1;
  return sx * sy * F(std::abs(x), std::abs(y), R);
}
double rect_disk(double x0, double x1, double y0, double y1, double R) {
  return G(x1, y1, R) - G(x0, y1, R) - G(x1, y0, R) + G(x0, y0, R);
}

const double kDs = 0.011;  // Å⁻¹/pixel, the quad Medipix3 dataset of Laulainen et al. 2022

}  // namespace

// ------------------------------------------------------------------ geometry and masks

TEST(Detector, QuadLayouts) {
  const DetectorGeometry c = DetectorGeometry::quad_medipix3(kDs);
  EXPECT_EQ(c.ny(), 512u);
  EXPECT_EQ(c.nx(), 512u);
  EXPECT_EQ(c.col_position(255), 255.0);
  EXPECT_EQ(c.col_position(256), 259.0);  // 3-pixel gap skipped
  EXPECT_EQ(c.row_position(511), 514.0);  // 515-pixel physical extent
  EXPECT_EQ(c.gap_mask().count(), 0u);
  const DetectorGeometry w = DetectorGeometry::preset("quad_medipix3_515", kDs);
  EXPECT_EQ(w.nx(), 515u);
  EXPECT_EQ(w.col_position(256), 256.0);
  EXPECT_EQ(w.gap_mask().count(), 2u * 3u * 515u - 9u);
  EXPECT_TRUE(w.gap_mask().masked(10, 257));
  EXPECT_TRUE(w.gap_mask().masked(258, 10));
  EXPECT_FALSE(w.gap_mask().masked(255, 259));
  const DetectorGeometry s = DetectorGeometry::preset("single_256", 0.016);
  EXPECT_EQ(s.n_pixels(), 65536u);
  EXPECT_DOUBLE_EQ(s.s_of_radius(100), 1.6);
  const std::string m = exception_message([] { DetectorGeometry::preset("quad_timepix", kDs); });
  EXPECT_NE(m.find("quad_timepix"), std::string::npos) << m;
  EXPECT_NE(m.find("single_256"), std::string::npos) << m;
  EXPECT_NE(exception_message([] { DetectorGeometry::quad_medipix3(-1); }).find("-1"), std::string::npos);
}

TEST(Detector, FlatDetectorMapping) {
  DetectorGeometry g = DetectorGeometry::quad_medipix3(kDs);
  g.set_wavelength(0.0250793);  // 200 kV (Kirkland)
  for (double r : {0.5, 10.0, 100.0, 360.0}) EXPECT_NEAR(g.radius_of_s(g.s_of_radius(r)), r, 1e-9 * r);
  // Small angles: s ≈ r·Δs.
  EXPECT_NEAR(g.s_of_radius(1.0), kDs, 1e-9);
  EXPECT_GT(g.radius_of_s(2.8), 2.8 / kDs);  // tan 2θ > 2 sin θ: 0.19 % further out at 2.8 Å⁻¹
  EXPECT_LT(g.radius_of_s(2.8), 1.003 * 2.8 / kDs);
  const double two_theta = std::atan(255 * 0.0250793 * kDs);
  EXPECT_NEAR(g.solid_angle(255), std::pow(std::cos(two_theta), 3), 1e-15);
  EXPECT_THROW(g.radius_of_s(100.0), std::invalid_argument);
}

TEST(Detector, MaskHdf5RoundTripAndErrors) {
  const DetectorGeometry g = DetectorGeometry::single_256(0.016);
  Mask m(256, 256);
  m.set(3u, 7u);
  m.set(200u, 100u);
  const std::string path = ::testing::TempDir() + "sedpdf_mask_test.h5";
  write_mask_h5(path, "/masks/detector", m);
  const Mask r = read_mask_h5(path, "/masks/detector", g);
  EXPECT_EQ(r.data(), m.data());
  // The "valid pixel" convention inverts it.
  const Mask inv = read_mask_h5(path, "/masks/detector", g, false);
  EXPECT_EQ(inv.count(), 65536u - 2u);
  // Wrong shape and missing dataset: InputError naming file, dataset and shapes.
  const DetectorGeometry q = DetectorGeometry::quad_medipix3(kDs);
  const std::string msg = exception_message([&] { read_mask_h5(path, "/masks/detector", q); });
  EXPECT_NE(msg.find("256 × 256"), std::string::npos) << msg;
  EXPECT_NE(msg.find("512 × 512"), std::string::npos) << msg;
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_THROW(read_mask_h5(path, "/masks/none", g), InputError);
  std::remove(path.c_str());
}

TEST(Detector, FindsHotAndDeadPixels) {
  // A sum of 200 low-dose patterns (smooth, Poisson), with 6 hot and 4 dead pixels planted.
  const DetectorGeometry g = DetectorGeometry::quad_medipix3(kDs);
  RingModel model;
  model.scale = 200 * 0.05;
  const BeamCentre c{260.3, 254.8};
  std::vector<double> img = sedpdf::test_fixtures::to_double(
      sedpdf::test_fixtures::poisson_frame(sedpdf::test_fixtures::render(model, g, c, {}, 4), 7));
  const size_t hot[6] = {1000, 70000, 130000, 200001, 262000, 5 * 512 + 300};
  const size_t dead[4] = {153900, 90000, 169140, 128330};
  for (size_t p : hot) img[p] = 3 * img[p] + 500;
  for (size_t p : dead) img[p] = 0;
  // The direct beam (steep, bright) is excluded from the test, as a user would do.
  Mask beam(512, 512);
  for (size_t i = 0; i < 512; ++i)
    for (size_t j = 0; j < 512; ++j)
      if (std::hypot(g.col_position(j) - c.x, g.row_position(i) - c.y) < 12) beam.set(i, j);
  const BadPixels bad = find_bad_pixels(img, g, beam);
  EXPECT_EQ(bad.hot.count(), 6u);
  for (size_t p : hot) EXPECT_TRUE(bad.hot.masked(p)) << p;
  EXPECT_EQ(bad.dead.count(), 4u);
  for (size_t p : dead) EXPECT_TRUE(bad.dead.masked(p)) << p;
  // The robust-σ (non-Poisson) variant, for frames with uniform noise (a flat field or dark frame):
  // a gentle gradient + Gaussian noise of σ = 1.5, hot pixels +25; nothing excluded.
  std::vector<double> flat(g.n_pixels());
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0.0, 1.5);
  for (size_t p = 0; p < flat.size(); ++p) flat[p] = 100 + 0.01 * static_cast<double>(p % 512) + noise(rng);
  for (size_t p : hot) flat[p] += 25;
  BadPixelOptions o;
  o.poisson = false;
  o.hot_sigma = 10;
  const BadPixels bad2 = find_bad_pixels(flat, g, Mask{}, o);
  EXPECT_EQ(bad2.hot.count(), 6u);
  for (size_t p : hot) EXPECT_TRUE(bad2.hot.masked(p)) << p;
  EXPECT_NEAR(bad2.sigma, 1.5 * std::sqrt(1 + 1.0 / 24 * 3.14159265358979323846 / 2), 0.1);
}

// ------------------------------------------------------------------ pixel splitting kernels

TEST(PixelSplitting, PolygonDiskMatchesClosedFormRectangle) {
  std::mt19937_64 rng(11);
  std::uniform_real_distribution<double> pos(-30, 30), rad(0.1, 45);
  double worst = 0;
  for (int t = 0; t < 20000; ++t) {
    const double x0 = pos(rng), y0 = pos(rng), R = rad(rng);
    const Point2 sq[4] = {{x0, y0}, {x0 + 1, y0}, {x0 + 1, y0 + 1}, {x0, y0 + 1}};
    const double a = polygon_disk_area(sq, 4, R);
    const double b = rect_disk(x0, x0 + 1, y0, y0 + 1, R);
    worst = std::max(worst, std::abs(a - b));
  }
  EXPECT_LT(worst, 1e-11);
  // Far from the origin (pixel at radius ~400): still exact to ~1e-12 of a pixel.
  const Point2 far[4] = {{300.2, 250.7}, {301.2, 250.7}, {301.2, 251.7}, {300.2, 251.7}};
  for (double R : {390.9, 391.3, 391.6, 392.0})
    EXPECT_NEAR(polygon_disk_area(far, 4, R), rect_disk(300.2, 301.2, 250.7, 251.7, R), 1e-10);
  // Clockwise orientation and a disk inside the square.
  const Point2 cw[4] = {{-0.5, -0.5}, {-0.5, 0.5}, {0.5, 0.5}, {0.5, -0.5}};
  EXPECT_NEAR(polygon_disk_area(cw, 4, 0.3), 3.14159265358979323846 * 0.09, 1e-15);
}

TEST(PixelSplitting, ParallelogramMatchesQuadrature) {
  // A pixel mapped by A^½ of an ellipse (q = 1.05, φ = 0.6): its area ∩ disk(R) equals the area of the
  // unit square ∩ the ellipse dᵀAd ≤ R², computed here by 1-D midpoint quadrature over x.
  EllipticalDistortion e{1.05, 0.6};
  double a11, a12, a22, b11, b12, b22;
  e.metric(a11, a12, a22);
  e.metric_sqrt(b11, b12, b22);
  EXPECT_NEAR(b11 * b11 + b12 * b12, a11, 1e-14);  // (A^½)² = A
  EXPECT_NEAR(b11 * b12 + b12 * b22, a12, 1e-14);
  EXPECT_NEAR(a11 * a22 - a12 * a12, 1.0, 1e-14);  // area preserving
  const double x0 = 7.3, y0 = -4.6;
  Point2 q[4];
  const double cx[4] = {x0, x0 + 1, x0 + 1, x0}, cy[4] = {y0, y0, y0 + 1, y0 + 1};
  for (int k = 0; k < 4; ++k) q[k] = {b11 * cx[k] + b12 * cy[k], b12 * cx[k] + b22 * cy[k]};
  for (double R : {8.0, 8.4, 8.9, 9.3}) {
    const int n = 200000;
    double acc = 0;
    for (int k = 0; k < n; ++k) {
      const double x = x0 + (k + 0.5) / n;
      // a22 y² + 2 a12 x y + a11 x² − R² ≤ 0
      const double B = a12 * x, C = a11 * x * x - R * R, disc = B * B - a22 * C;
      if (disc <= 0) continue;
      const double ya = (-B - std::sqrt(disc)) / a22, yb = (-B + std::sqrt(disc)) / a22;
      acc += std::max(0.0, std::min(yb, y0 + 1) - std::max(ya, y0));
    }
    EXPECT_NEAR(polygon_disk_area(q, 4, R), acc / n, 1e-8) << R;
  }
}

TEST(PixelSplitting, FractionsSumToOne) {
  std::vector<double> edges;
  for (int k = 0; k <= 600; ++k) edges.push_back(0.5 * k);
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> pos(-200, 200);
  std::vector<std::pair<uint32_t, double>> fr;
  for (int t = 0; t < 2000; ++t) {
    const double x = pos(rng), y = pos(rng);
    const Point2 sq[4] = {{x, y}, {x + 1, y}, {x + 1, y + 1}, {x, y + 1}};
    fr.clear();
    pixel_bin_fractions(sq, edges, fr);
    double sum = 0;
    for (auto& f : fr) sum += f.second;
    ASSERT_NEAR(sum, 1.0, 1e-12);
    ASSERT_LE(fr.size(), 4u);  // a unit pixel spans at most √2/0.5 + 1 bins of 0.5 px
  }
}

// ------------------------------------------------------------------ the acceptance: ring pattern

namespace {

struct RingCase {
  DetectorGeometry g = DetectorGeometry::quad_medipix3(kDs);
  RingModel model;
  BeamCentre c{262.4, 249.7};
  std::vector<double> frame;
  explicit RingCase(const RingModel& m = {}) : model(m) { frame = sedpdf::test_fixtures::render(model, g, c); }
};

const RingCase& ring_case() {
  static const RingCase rc;
  return rc;
}

/// Largest |mean/analytic − 1| over bins with s in (s_lo, s_hi]. The analytic value is the annulus
/// mean of I over the bin, plus, with smoothing = true, the second-order effect of the two unit-square
/// averages (pixel integration of the data, then splitting): (Δs²/12)·∇²I.
double worst_relative_error(const AzimuthalProfile& p, const RingModel& m, double s_lo, double s_hi, double* at,
                            bool smoothing = false) {
  double worst = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    if (p.s[k] <= s_lo || p.s[k] > s_hi || !p.covered(k)) continue;
    double ref = m.annulus_mean(p.s[k] - 0.5 * p.bin_width, p.s[k] + 0.5 * p.bin_width);
    if (smoothing) ref += kDs * kDs / 12 * m.laplacian(p.s[k]);
    const double err = std::abs(p.mean[k] / ref - 1);
    if (err > worst) {
      worst = err;
      if (at) *at = p.s[k];
    }
  }
  return worst;
}

}  // namespace

TEST(Azimuthal, QuadChipRingProfileWithin0p3Percent) {
  // 512² quad Medipix3 (gaps absent from the stored frame, i.e. masked), off-centre beam, a few dead
  // pixels masked too; the profile must match the analytic annulus mean to < 0.3 % for s > 0.1 Å⁻¹.
  const RingCase& rc = ring_case();
  IntegrationSetup su;
  su.geometry = rc.g;
  su.mask = Mask(512, 512);
  for (size_t p : {1000u, 50000u, 120000u, 260000u}) su.mask.set_index(p);
  su.centre = rc.c;
  su.axis = default_axis(rc.g, su.mask, rc.c);
  const CsrIntegrator integ(su);
  const AzimuthalProfile p = integ.integrate(rc.frame);
  // Full azimuthal coverage (apart from the gaps) up to the inscribed circle.
  const double s_inscribed = kDs * std::min({rc.c.x + 0.5, 514.5 - rc.c.x, rc.c.y + 0.5, 514.5 - rc.c.y});
  double at = 0;
  const double worst = worst_relative_error(p, rc.model, 0.1, s_inscribed, &at);
  std::printf("[ info ] ring profile: worst error %.4f %% at s = %.3f (s ≤ %.3f); nnz = %zu\n", 100 * worst, at,
              s_inscribed, integ.matrix().nnz());
  EXPECT_LT(worst, 0.003);
  // Beyond the inscribed circle only part of each annulus is on the detector: still close.
  const double corners = worst_relative_error(p, rc.model, s_inscribed, 1e9, &at);
  std::printf("[ info ] corners: worst error %.4f %% at s = %.3f\n", 100 * corners, at);
  EXPECT_LT(corners, 0.01);
  // The same frame stored as 515 × 515 with the gap cross present and masked gives the same profile.
  const DetectorGeometry g515 = DetectorGeometry::quad_medipix3(kDs, QuadStorage::WithGaps515);
  std::vector<double> f515(515 * 515, 0.0);
  Mask m515(515, 515);
  for (size_t i = 0; i < 512; ++i)
    for (size_t j = 0; j < 512; ++j) {
      const size_t I = i + (i >= 256 ? 3 : 0), J = j + (j >= 256 ? 3 : 0);
      f515[I * 515 + J] = rc.frame[i * 512 + j];
      if (su.mask.masked(i, j)) m515.set(I, J);
    }
  IntegrationSetup s2 = su;
  s2.geometry = g515;
  s2.mask = m515;
  const AzimuthalProfile p2 = CsrIntegrator(s2).integrate(f515);
  for (size_t k = 0; k < p.size(); ++k) {
    EXPECT_NEAR(p2.area[k], p.area[k], 1e-9 * p.area[k]);
    EXPECT_NEAR(p2.mean[k], p.mean[k], 1e-9 * std::abs(p.mean[k]));
  }
}

TEST(Azimuthal, HighContrastRingsFollowThePixelSmoothingModel) {
  // Rings above the background: the plain error reaches ~0.3 % on the flanks of the σ = 0.05 Å⁻¹ ring,
  // entirely the smoothing by the pixel (data) and the splitting: with the (Δs²/12)·∇²I term the
  // integrated profile matches to the fourth-order remainder.
  const RingCase rc(RingModel::high_contrast());
  IntegrationSetup su;
  su.geometry = rc.g;
  su.centre = rc.c;
  su.axis = default_axis(rc.g, {}, rc.c);
  const AzimuthalProfile p = CsrIntegrator(su).integrate(rc.frame);
  const double s_inscribed = kDs * std::min({rc.c.x + 0.5, 514.5 - rc.c.x, rc.c.y + 0.5, 514.5 - rc.c.y});
  double at = 0;
  const double plain = worst_relative_error(p, rc.model, 0.1, s_inscribed, &at);
  std::printf("[ info ] high contrast: plain error %.4f %% at s = %.3f\n", 100 * plain, at);
  const double corrected = worst_relative_error(p, rc.model, 0.1, s_inscribed, &at, true);
  std::printf("[ info ] high contrast: with (Δs²/12)∇²I %.4f %% at s = %.3f\n", 100 * corrected, at);
  EXPECT_LT(plain, 0.005);
  EXPECT_LT(corrected, 0.0003);
}

TEST(Azimuthal, CountsConserved) {
  const RingCase& rc = ring_case();
  const std::vector<uint32_t> counts = sedpdf::test_fixtures::poisson_frame(rc.frame, 2022);
  std::vector<uint16_t> frame(counts.begin(), counts.end());
  IntegrationSetup su;
  su.geometry = rc.g;
  su.mask = Mask(512, 512);
  su.mask.set(100u, 100u);
  su.centre = rc.c;
  double s_near, s_far;
  detector_s_range(rc.g, su.mask, rc.c, {}, s_near, s_far);
  su.axis = {0.0, kDs * std::ceil(s_far / kDs), static_cast<size_t>(std::ceil(s_far / kDs))};
  const CsrIntegrator integ(su);
  const AzimuthalProfile p = integ.integrate(frame, true);
  double total = 0, binned = 0, area = 0, mean_area = 0;
  for (size_t q = 0; q < frame.size(); ++q)
    if (q != 100 * 512 + 100) total += frame[q];
  for (size_t k = 0; k < p.size(); ++k) {
    binned += p.sum[k];
    area += p.area[k];
    if (p.covered(k)) mean_area += p.mean[k] * p.area[k];
  }
  EXPECT_NEAR(binned, total, 1e-9 * total);
  EXPECT_NEAR(mean_area, total, 1e-9 * total);
  EXPECT_NEAR(area, 512.0 * 512.0 - 1.0, 1e-9 * area);
  // Poisson errors: Σ f² I ≤ Σ f I, with equality only for unsplit pixels.
  for (size_t k = 0; k < p.size(); ++k) {
    EXPECT_LE(p.variance[k], p.sum[k] * (1 + 1e-12));
    if (p.covered(k) && p.sum[k] > 0) {
      EXPECT_GT(p.sigma_mean(k), 0);
    }
  }
}

TEST(Azimuthal, CsrEqualsReferenceForAllPixelTypes) {
  // A distorted, solid-angle-corrected setup on one 256² chip with a noisy frame in four dtypes.
  DetectorGeometry g = DetectorGeometry::single_256(0.016);
  g.set_wavelength(0.0196875);  // 300 kV
  RingModel model;
  const BeamCentre c{121.3, 133.8};
  const std::vector<uint32_t> counts =
      sedpdf::test_fixtures::poisson_frame(sedpdf::test_fixtures::render(model, g, c, {1.02, 0.4}, 4), 99);
  IntegrationSetup su;
  su.geometry = g;
  su.mask = Mask(256, 256);
  for (size_t j = 0; j < 256; ++j) su.mask.set(40, j);  // a dead row
  su.centre = c;
  su.distortion = {1.02, 0.4};
  su.solid_angle = true;
  su.axis = {0.05, 2.0, 150};
  const CsrIntegrator csr(su);
  const ReferenceIntegrator ref(su);
  for (size_t k = 0; k < csr.n_bins(); ++k) {
    EXPECT_NEAR(csr.area()[k], ref.area()[k], 1e-12 * ref.area()[k] + 1e-15);
    EXPECT_NEAR(csr.norm()[k], ref.norm()[k], 1e-12 * ref.norm()[k] + 1e-15);
    EXPECT_LE(csr.norm()[k], csr.area()[k]);  // cos³2θ ≤ 1
  }
  auto compare = [&](const auto& frame) {
    const AzimuthalProfile a = csr.integrate(frame, true), b = ref.integrate(frame, true);
    for (size_t k = 0; k < a.size(); ++k) {
      ASSERT_NEAR(a.sum[k], b.sum[k], 1e-12 * std::abs(b.sum[k]) + 1e-300);
      ASSERT_NEAR(a.variance[k], b.variance[k], 1e-12 * std::abs(b.variance[k]) + 1e-300);
    }
  };
  compare(std::vector<uint16_t>(counts.begin(), counts.end()));
  compare(counts);
  compare(std::vector<float>(counts.begin(), counts.end()));
  std::vector<double> d(counts.begin(), counts.end());
  for (double& v : d) v = v * 0.37 + 1e-3;
  compare(d);
}

TEST(Azimuthal, BatchesAndThreadCountsBitIdentical) {
  const DetectorGeometry g = DetectorGeometry::single_256(0.016);
  const BeamCentre c{128.2, 127.1};
  const std::vector<double> mean = sedpdf::test_fixtures::render(RingModel{}, g, c, {}, 2);
  // Two blocks of 8 frames for the pixel-major path plus a remainder that goes through the CSR rows.
  const size_t nf = 19, np = g.n_pixels();
  std::vector<float> frames(nf * np);
  for (size_t f = 0; f < nf; ++f) {
    const std::vector<uint32_t> fr = sedpdf::test_fixtures::poisson_frame(mean, 100 + f);
    std::copy(fr.begin(), fr.end(), frames.begin() + static_cast<long>(f * np));
  }
  IntegrationSetup su;
  su.geometry = g;
  su.centre = c;
  su.axis = default_axis(g, {}, c);
  const auto integ = make_integrator(su);
  const size_t nb = integ->n_bins();
  const int threads = omp_get_max_threads();
  std::vector<double> batch(nf * nb), single(nf * nb), one_thread(nf * nb);
  integ->sums(FrameBatch::of(frames.data(), nf, np), batch.data());
  for (size_t f = 0; f < nf; ++f) integ->sums(FrameBatch::of(frames.data() + f * np, 1, np), single.data() + f * nb);
  omp_set_num_threads(1);
  integ->sums(FrameBatch::of(frames.data(), nf, np), one_thread.data());
  omp_set_num_threads(threads);
  EXPECT_EQ(batch, single);
  EXPECT_EQ(batch, one_thread);
  // Variances too, and against the reference integrator (bit-identical: same terms, same order).
  std::vector<double> vb(nf * nb), vs(nf * nb);
  integ->variances(FrameBatch::of(frames.data(), nf, np), vb.data());
  for (size_t f = 0; f < nf; ++f)
    integ->variances(FrameBatch::of(frames.data() + f * np, 1, np), vs.data() + f * nb);
  EXPECT_EQ(vb, vs);
  const ReferenceIntegrator ref(su);
  std::vector<double> r(2 * nb);
  ref.sums(FrameBatch::of(frames.data(), 2, np), r.data());
  EXPECT_EQ(std::vector<double>(batch.begin(), batch.begin() + static_cast<long>(2 * nb)), r);
}

TEST(Azimuthal, AllMaskedRingReportsZeroArea) {
  const RingCase& rc = ring_case();
  IntegrationSetup su;
  su.geometry = rc.g;
  su.centre = rc.c;
  su.axis = {0.0, 2.5, 250};  // bins of 0.01 Å⁻¹
  // Mask every pixel that reaches 1.0 ≤ s ≤ 1.05 Å⁻¹.
  su.mask = Mask(512, 512);
  for (size_t i = 0; i < 512; ++i)
    for (size_t j = 0; j < 512; ++j) {
      const double r = std::hypot(rc.g.col_position(j) - rc.c.x, rc.g.row_position(i) - rc.c.y);
      if (r + 0.71 > 1.0 / kDs && r - 0.71 < 1.05 / kDs) su.mask.set(i, j);
    }
  const CsrIntegrator integ(su);
  const AzimuthalProfile p = integ.integrate(rc.frame);
  size_t empty = 0;
  for (size_t k = 0; k < p.size(); ++k) {
    if (p.s[k] > 1.0 && p.s[k] < 1.05) {
      EXPECT_EQ(p.area[k], 0.0) << p.s[k];
      EXPECT_TRUE(std::isnan(p.mean[k]));
      ++empty;
    }
  }
  EXPECT_EQ(empty, 5u);
  const std::string m = exception_message([&] { p.checked_mean(102); });
  EXPECT_NE(m.find("bin 102"), std::string::npos) << m;
  EXPECT_NE(m.find("1.025"), std::string::npos) << m;
  EXPECT_THROW(p.require_coverage(0.5, 1.5), std::domain_error);
  EXPECT_NO_THROW(p.require_coverage(1.2, 2.4));
  EXPECT_DOUBLE_EQ(p.checked_mean(150), p.mean[150]);
  EXPECT_THROW(p.require_coverage(3.0, 4.0), std::invalid_argument);
}

TEST(Azimuthal, BadInputErrorsNameTheValues) {
  const DetectorGeometry g = DetectorGeometry::single_256(0.016);
  IntegrationSetup su;
  su.geometry = g;
  su.centre = {128, 128};
  su.axis = {0.0, 2.0, 100};
  const CsrIntegrator integ(su);
  // Wrong frame dimensions.
  std::vector<uint16_t> wrong(512 * 512, 1);
  std::string m = exception_message([&] { integ.integrate(wrong); });
  EXPECT_NE(m.find("262144"), std::string::npos) << m;
  EXPECT_NE(m.find("256 × 256"), std::string::npos) << m;
  std::vector<float> two(2 * 65536, 1.f);
  EXPECT_THROW(integ.integrate(FrameBatch::of(two.data(), 2, 65536)), std::invalid_argument);
  // s window outside the detector (the corner is at s ≈ 2.9 Å⁻¹).
  IntegrationSetup out = su;
  out.axis = {3.5, 4.0, 10};
  m = exception_message([&] { make_integrator(out); });
  EXPECT_NE(m.find("[3.5, 4]"), std::string::npos) << m;
  EXPECT_NE(m.find("outside the detector"), std::string::npos) << m;
  // Beam far off the detector: the window [0, 0.5] sees no pixel.
  IntegrationSetup off = su;
  off.centre = {-200, 128};
  m = exception_message([&] { make_integrator(off); });
  EXPECT_NE(m.find("outside the detector"), std::string::npos) << m;
  // Inverted or empty axis, bad distortion, wrong mask shape, non-finite centre.
  IntegrationSetup bad = su;
  bad.axis = {1.0, 0.5, 10};
  EXPECT_NE(exception_message([&] { make_integrator(bad); }).find("[1, 0.5]"), std::string::npos);
  bad = su;
  bad.axis.n_bins = 0;
  EXPECT_THROW(make_integrator(bad), std::invalid_argument);
  bad = su;
  bad.distortion.ratio = 0.9;
  EXPECT_NE(exception_message([&] { make_integrator(bad); }).find("0.9"), std::string::npos);
  bad = su;
  bad.mask = Mask(512, 512);
  EXPECT_NE(exception_message([&] { make_integrator(bad); }).find("512 × 512"), std::string::npos);
  bad = su;
  bad.centre.x = std::nan("");
  EXPECT_THROW(make_integrator(bad, IntegratorBackend::Reference), std::invalid_argument);
  // Everything masked.
  bad = su;
  bad.mask = Mask(256, 256);
  for (size_t q = 0; q < bad.mask.size(); ++q) bad.mask.set_index(q);
  EXPECT_NE(exception_message([&] { make_integrator(bad); }).find("masked"), std::string::npos);
}
