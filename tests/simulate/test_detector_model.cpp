// Detector model: dose → counts, gaps, intensity-conserving resampling, saturation, MTF, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <numeric>
#include <random>

#include "sedpdf/simulate/detector_model.hpp"
#include "sedpdf/simulate/electron_optics.hpp"

using namespace sedpdf;

namespace {
const double kLambda200 = electron_wavelength(200e3);

SimPattern random_pattern(size_t n, double dk, unsigned seed) {
  SimPattern p;
  p.n = n;
  p.dk = dk;
  p.intensity.resize(n * n);
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  for (double& v : p.intensity) v = u(rng);
  const double s = std::accumulate(p.intensity.begin(), p.intensity.end(), 0.0);
  for (double& v : p.intensity) v /= s;
  return p;
}
}  // namespace

TEST(DetectorModel, ElectronsFromDoseOrCurrent) {
  DetectorSpec s;
  s.dose_e_per_A2 = 10;
  s.step_A = 55;
  EXPECT_DOUBLE_EQ(s.electrons_per_position(), 10 * 55.0 * 55.0);
  s.beam_current_pA = 3.4;  // 003: 3.4 pA, 1 ms
  s.dwell_s = 1e-3;
  EXPECT_NEAR(s.electrons_per_position(), 3.4e-15 / 1.602176634e-19, 1e-6);
  EXPECT_NEAR(s.dose(), 21221.0 / 3025.0, 0.01);
}

TEST(DetectorModel, ResamplingConservesIntensityInsideDetector) {
  DetectorSpec s;
  s.layout = "uniform";
  s.uniform_ny = s.uniform_nx = 300;
  s.ds = 0.011;
  DetectorModel d(s, kLambda200);
  // A sim grid not aligned with the pixels (dk/ds irrational-ish), well inside the 3.3 Å⁻¹ detector.
  for (double dk : {0.0137, 0.0041, 0.031}) {
    const size_t n = static_cast<size_t>(2.0 / dk);
    const SimPattern p = random_pattern(n, dk, 7);
    std::vector<double> f;
    d.resample(p, f);
    const double sum = std::accumulate(f.begin(), f.end(), 0.0);
    EXPECT_NEAR(sum, 1.0, 1e-12) << "dk " << dk;
  }
}

TEST(DetectorModel, ResamplingIsExactOverlap) {
  // One simulation pixel of side 2.5 ds centred on k = 0, the detector centre on a pixel centre: its
  // extent ±1.25 ds gives the centre pixel [−0.5, 0.5] 1/2.5 = 0.4 and each neighbour [0.5, 1.5]
  // 0.75/2.5 = 0.3 per axis (weights multiply: exact overlap areas of squares).
  DetectorSpec s;
  s.layout = "uniform";
  s.uniform_ny = s.uniform_nx = 11;
  s.ds = 0.01;
  s.centre_x_px = s.centre_y_px = 5;
  DetectorModel d(s, kLambda200);
  SimPattern p;
  p.n = 4;
  p.dk = 0.025;
  p.intensity.assign(16, 0.0);
  p.intensity[2 * 4 + 2] = 1.0;  // zero frequency at (n/2, n/2)
  std::vector<double> f;
  d.resample(p, f);
  EXPECT_NEAR(f[5 * 11 + 5], 0.4 * 0.4, 1e-14);
  EXPECT_NEAR(f[5 * 11 + 6], 0.4 * 0.3, 1e-14);
  EXPECT_NEAR(f[4 * 11 + 6], 0.3 * 0.3, 1e-14);
  EXPECT_NEAR(f[5 * 11 + 7], 0.0, 1e-14);
  EXPECT_NEAR(std::accumulate(f.begin(), f.end(), 0.0), 1.0, 1e-14);
}

TEST(DetectorModel, GapPixelsZeroAndMasked) {
  DetectorSpec s;
  s.layout = "quad_medipix3_515";
  s.ds = 0.011;
  DetectorModel d(s, kLambda200);
  ASSERT_EQ(d.geometry().nx(), 515u);
  const auto mask = d.gap_mask();
  size_t masked = 0;
  for (auto m : mask) masked += m;
  EXPECT_EQ(masked, 515u * 515u - 512u * 512u);
  // A uniform pattern over the whole detector: gap pixels get nothing, counts 0.
  SimPattern p;
  p.n = 600;
  p.dk = 0.011;
  p.intensity.assign(p.n * p.n, 1.0 / (600.0 * 600.0));
  std::vector<double> f;
  std::vector<float> e;
  std::vector<uint32_t> c;
  d.resample(p, f);
  d.expected(f, e);
  d.count(e, 1, 0, c);
  for (size_t q = 0; q < mask.size(); ++q)
    if (mask[q]) {
      EXPECT_EQ(f[q], 0.0);
      EXPECT_EQ(e[q], 0.0f);
      EXPECT_EQ(c[q], 0u);
    }
  // The compact layout stores no gaps (mask clear) but loses the gap area: the stored fraction is
  // 512²/600² of the uniform pattern.
  s.layout = "quad_medipix3";
  DetectorModel dc(s, kLambda200);
  for (auto m : dc.gap_mask()) EXPECT_EQ(m, 0);
  dc.resample(p, f);
  EXPECT_NEAR(std::accumulate(f.begin(), f.end(), 0.0), 512.0 * 512.0 / (600.0 * 600.0), 1e-9);
}

TEST(DetectorModel, MeanCountsEqualDoseTimesAreaTimesIntensity) {
  DetectorSpec s;
  s.layout = "single_256";
  s.ds = 0.016;
  s.dose_e_per_A2 = 13;  // the 300 kV data set of 003
  s.step_A = 20;
  DetectorModel d(s, electron_wavelength(300e3));
  const SimPattern p = random_pattern(200, 0.016, 3);  // inside the chip, aligned
  std::vector<double> f;
  std::vector<float> e;
  std::vector<uint32_t> c;
  d.resample(p, f);
  d.expected(f, e);
  const double N = 13 * 20.0 * 20.0;
  double sum_e = 0;
  for (size_t q = 0; q < f.size(); ++q) {
    EXPECT_NEAR(e[q], N * f[q], 1e-4 * (1 + N * f[q]));
    sum_e += e[q];
  }
  EXPECT_NEAR(sum_e, N, 1e-3 * N);
  // Σ counts over many positions: Poisson with mean positions × N.
  double total = 0;
  const int npos = 50;
  for (int k = 0; k < npos; ++k) {
    d.count(e, 42, static_cast<uint64_t>(k), c);
    total += std::accumulate(c.begin(), c.end(), 0.0);
  }
  const double mean = npos * sum_e;
  EXPECT_NEAR(total, mean, 4 * std::sqrt(mean));
}

TEST(DetectorModel, PoissonStatisticsAndDeterminism) {
  // Mean and variance of the counter-based Poisson generator for inversion (< 30) and PTRS (≥ 30).
  for (double m : {0.05, 3.0, 29.0, 31.0, 500.0}) {
    const int n = 40000;
    double s1 = 0, s2 = 0;
    for (int k = 0; k < n; ++k) {
      const double v = static_cast<double>(counter_poisson(m, 9, 1, static_cast<uint64_t>(k)));
      s1 += v;
      s2 += v * v;
    }
    const double mean = s1 / n, var = s2 / n - mean * mean;
    EXPECT_NEAR(mean, m, 5 * std::sqrt(m / n)) << m;
    EXPECT_NEAR(var, m, 6 * m * std::sqrt(2.0 / n) + 5 * std::sqrt(m / n)) << m;
  }
  EXPECT_EQ(counter_poisson(7.5, 1, 2, 3), counter_poisson(7.5, 1, 2, 3));
  DetectorSpec s;
  s.layout = "uniform";
  s.uniform_ny = s.uniform_nx = 32;
  DetectorModel d(s, kLambda200);
  std::vector<float> e(32 * 32, 2.5f);
  std::vector<uint32_t> a, b, c;
  d.count(e, 5, 17, a);
  d.count(e, 5, 17, b);
  d.count(e, 5, 18, c);
  EXPECT_EQ(a, b);
  EXPECT_NE(a, c);
}

TEST(DetectorModel, SaturationAndBackground) {
  DetectorSpec s;
  s.layout = "uniform";
  s.uniform_ny = s.uniform_nx = 16;
  s.saturation = 100;
  s.background = 2.5;
  DetectorModel d(s, kLambda200);
  std::vector<double> f(256, 0.0);
  f[0] = 1000.0 / s.electrons_per_position();  // 1000 expected electrons in pixel 0
  std::vector<float> e;
  std::vector<uint32_t> c;
  d.expected(f, e);
  EXPECT_NEAR(e[0], 1002.5, 1e-2);
  EXPECT_FLOAT_EQ(e[1], 2.5f);
  d.count(e, 1, 0, c);
  EXPECT_EQ(c[0], 100u);
  for (size_t q = 1; q < c.size(); ++q) EXPECT_LE(c[q], 100u);
  // Without saturation, uint16 storage clips at 65535.
  s.saturation = 0;
  DetectorModel d16(s, kLambda200);
  std::vector<float> big(256, 1e6f);
  d16.count(big, 1, 0, c);
  EXPECT_EQ(c[3], 65535u);
}

TEST(DetectorModel, GaussianMtfConservesAndSpreads) {
  DetectorSpec s;
  s.layout = "uniform";
  s.uniform_ny = s.uniform_nx = 41;
  s.mtf_sigma_px = 1.5;
  DetectorModel d(s, kLambda200);
  std::vector<double> f(41 * 41, 0.0);
  f[20 * 41 + 20] = 1.0;
  std::vector<float> e;
  d.expected(f, e);
  double sum = 0, m2 = 0;
  for (size_t i = 0; i < 41; ++i)
    for (size_t j = 0; j < 41; ++j) {
      const double v = e[i * 41 + j];
      sum += v;
      m2 += v * (std::pow(double(i) - 20, 2));
    }
  const double N = s.electrons_per_position();
  EXPECT_NEAR(sum, N, 1e-5 * N);
  EXPECT_NEAR(m2 / sum, 1.5 * 1.5, 0.01);  // second moment of the PSF = σ² (truncation at 4σ: 3e-4 rel.)
}

TEST(DetectorModel, BadInputIsRejected) {
  DetectorSpec s;
  s.dose_e_per_A2 = 0;
  EXPECT_THROW(DetectorModel(s, kLambda200), std::invalid_argument);
  s.dose_e_per_A2 = -3;
  try {
    DetectorModel d(s, kLambda200);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("-3"), std::string::npos) << e.what();
  }
  s.dose_e_per_A2 = 10;
  s.layout = "medipix9";
  try {
    DetectorModel d(s, kLambda200);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("medipix9"), std::string::npos) << e.what();
  }
  s.layout = "quad_medipix3";
  s.ds = 0;
  EXPECT_THROW(DetectorModel(s, kLambda200), std::invalid_argument);
  s.ds = 0.011;
  s.step_A = -1;
  EXPECT_THROW(DetectorModel(s, kLambda200), std::invalid_argument);
  s.step_A = 55;
  s.saturation = -1;
  EXPECT_THROW(DetectorModel(s, kLambda200), std::invalid_argument);
  s.saturation = 0;
  EXPECT_THROW(DetectorModel(s, 0.0), std::invalid_argument);
  DetectorModel d(s, kLambda200);
  std::vector<double> wrong(10, 0.0);
  std::vector<float> e;
  EXPECT_THROW(d.expected(wrong, e), std::invalid_argument);
  SimPattern p;
  EXPECT_THROW(d.resample(p, wrong), std::invalid_argument);
}
