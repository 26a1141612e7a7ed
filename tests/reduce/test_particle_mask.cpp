// Specimen mask from the VADF image: Otsu's threshold against a brute-force evaluation of the
// between-class variance and an analytic two-level case; the automatic film-level threshold on a synthetic
// film + particle image; the refusal when there is no film level; a fixed threshold; bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "fixtures/error_message.hpp"
#include "sedpdf/reduce/particle_mask.hpp"

using namespace sedpdf;
using sedpdf::test_fixtures::invalid_argument_message;

namespace {
/// Brute force: every midpoint between consecutive distinct sorted values, class statistics recomputed
/// from scratch with the population variance definition σ_B² = w₀w₁(μ₀ − μ₁)² / n².
double brute_otsu(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  double best = -1, thr = 0;
  for (std::size_t i = 0; i + 1 < v.size(); ++i) {
    if (v[i + 1] == v[i]) continue;
    const double t = 0.5 * (v[i] + v[i + 1]);
    double s0 = 0, s1 = 0, n0 = 0, n1 = 0;
    for (double x : v) (x <= t ? (s0 += x, n0 += 1) : (s1 += x, n1 += 1));
    const double n = n0 + n1, sb = (n0 / n) * (n1 / n) * std::pow(s0 / n0 - s1 / n1, 2);
    if (sb > best * (1 + 1e-12)) {
      best = sb;
      thr = t;
    }
  }
  return thr;
}
}  // namespace

TEST(ParticleMask, OtsuTwoLevelsSplitsBetweenThem) {
  // Two point masses: every split between them gives the same classes, so the threshold is their midpoint.
  std::vector<double> v;
  for (int i = 0; i < 30; ++i) v.push_back(0.2);
  for (int i = 0; i < 7; ++i) v.push_back(0.6);
  EXPECT_DOUBLE_EQ(otsu_threshold(v), 0.4);
  // Symmetric clusters {0,1} and {10,11}: the widest gap, 5.5.
  EXPECT_DOUBLE_EQ(otsu_threshold({0, 0, 1, 1, 10, 10, 11, 11}), 5.5);
  // NaNs are ignored.
  EXPECT_DOUBLE_EQ(otsu_threshold({0, std::nan(""), 0, 1, 1, 10, 10, 11, 11}), 5.5);
}

TEST(ParticleMask, OtsuMatchesBruteForce) {
  std::mt19937_64 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    std::normal_distribution<double> a(0.3, 0.01 + 0.002 * trial), b(0.45, 0.05);
    std::uniform_int_distribution<int> na(5, 200), nb(5, 200);
    std::vector<double> v;
    const int n0 = na(rng), n1 = nb(rng);
    for (int i = 0; i < n0; ++i) v.push_back(a(rng));
    for (int i = 0; i < n1; ++i) v.push_back(b(rng));
    for (double& x : v) x = std::round(x * 1000) / 1000;  // ties, so the distinct-value rule is exercised
    EXPECT_NEAR(otsu_threshold(v), brute_otsu(v), 1e-12) << "trial " << trial;
  }
}

TEST(ParticleMask, AutomaticThresholdFindsTheParticleAboveTheFilmLevel) {
  // 600 film pixels: VADF 0.28 ± 0.005 (counting noise); 400 particle pixels spread 0.33–0.52 (thickness and
  // phase), and 20 particle-edge pixels just above the film (0.31–0.32, ≥ 6 σ above it).
  std::mt19937_64 rng(2022);
  std::normal_distribution<double> film(0.28, 0.005);
  std::uniform_real_distribution<double> particle(0.33, 0.52), edge(0.31, 0.32);
  std::vector<double> v;
  std::vector<uint8_t> truth;
  for (int i = 0; i < 600; ++i) v.push_back(film(rng)), truth.push_back(0);
  for (int i = 0; i < 400; ++i) v.push_back(particle(rng)), truth.push_back(1);
  for (int i = 0; i < 20; ++i) v.push_back(edge(rng)), truth.push_back(1);
  ParticleMaskOptions o;
  const ParticleMask m = vadf_particle_mask(v, {}, o);
  EXPECT_TRUE(m.automatic);
  EXPECT_NEAR(m.film_level, 0.28, 0.001);
  EXPECT_NEAR(m.film_sigma, 0.005, 0.0008);  // MAD estimate of σ from ~600 samples: ±~6 %
  EXPECT_NEAR(m.threshold, m.film_level + 5 * m.film_sigma, 1e-15);
  EXPECT_GT(m.otsu, m.threshold);
  std::size_t film_in = 0, particle_out = 0;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (!truth[i] && m.inside[i]) ++film_in;
    if (truth[i] && !m.inside[i]) ++particle_out;
  }
  EXPECT_EQ(film_in, 0u);       // 5 σ: none of 600 Gaussian film pixels
  EXPECT_EQ(particle_out, 0u);  // the edge pixels (≥ 6 σ above the film level) are all kept
  EXPECT_EQ(m.n_inside, 420u);
}

TEST(ParticleMask, RefusesToGuessWithoutAFilmLevel) {
  // A field inside the particle: a broad unimodal spread. Otsu cuts it in half; no lower class down to the
  // last split is a narrow level, so the automatic mode must refuse — with no film pixel, and with the one
  // film pixel of the default run's field (too few to measure a level from).
  std::mt19937_64 rng(3);
  std::uniform_real_distribution<double> particle(0.33, 0.52);
  std::vector<double> v;
  for (int i = 0; i < 256; ++i) v.push_back(particle(rng));
  const std::string msg = invalid_argument_message([&] { (void)vadf_particle_mask(v, {}, ParticleMaskOptions{}); });
  EXPECT_NE(msg.find("particle mask: the lowest VADF level"), std::string::npos) << msg;
  EXPECT_NE(msg.find("vadf_threshold"), std::string::npos) << msg;
  v.push_back(0.307);
  const std::string msg1 = invalid_argument_message([&] { (void)vadf_particle_mask(v, {}, ParticleMaskOptions{}); });
  EXPECT_NE(msg1.find("fewer than 8"), std::string::npos) << msg1;
  // A small film class beside a broad specimen: Otsu's first split cuts the specimen; the second isolates the
  // film (80 film pixels at 0.28 ± 0.004, 480 specimen pixels spread over 0.35–0.50).
  std::normal_distribution<double> film(0.28, 0.004);
  std::uniform_real_distribution<double> specimen(0.35, 0.50);
  std::vector<double> u;
  for (int i = 0; i < 80; ++i) u.push_back(film(rng));
  for (int i = 0; i < 480; ++i) u.push_back(specimen(rng));
  EXPECT_GT(otsu_threshold(u), 0.35);  // the first split lies inside the specimen
  const ParticleMask pm = vadf_particle_mask(u, {}, ParticleMaskOptions{});
  EXPECT_NEAR(pm.film_level, 0.28, 0.002);
  EXPECT_LT(pm.otsu, 0.35);
  EXPECT_EQ(pm.n_inside, 480u);
  // Too few film pixels.
  std::vector<double> w(50, 0.45);
  for (int i = 0; i < 3; ++i) w.push_back(0.28);
  const std::string msg2 = invalid_argument_message([&] { (void)vadf_particle_mask(w, {}, ParticleMaskOptions{}); });
  EXPECT_NE(msg2.find("3 pixels, fewer than 8"), std::string::npos) << msg2;
  // With the threshold given it works.
  ParticleMaskOptions o;
  o.threshold = 0.31;
  EXPECT_EQ(vadf_particle_mask(v, {}, o).n_inside, 256u);
}

TEST(ParticleMask, FixedThresholdValidityAndNaN) {
  const std::vector<double> v{0.1, 0.5, 0.5, std::nan(""), 0.9, 0.3};
  const std::vector<uint8_t> ok{1, 1, 0, 1, 1, 1};
  ParticleMaskOptions o;
  o.threshold = 0.3;  // strictly above
  const ParticleMask m = vadf_particle_mask(v, ok, o);
  EXPECT_FALSE(m.automatic);
  EXPECT_EQ(m.inside, (std::vector<uint8_t>{0, 1, 0, 0, 1, 0}));
  EXPECT_EQ(m.n_inside, 2u);
  EXPECT_TRUE(std::isnan(m.film_level));
}

TEST(ParticleMask, BadInputIsNamed) {
  const std::vector<double> v{0.1, 0.2, 0.3, 0.4};
  EXPECT_NE(invalid_argument_message([&] { (void)vadf_particle_mask(v, {1, 1}, {}); }).find("2 validity flags for 4"), std::string::npos);
  ParticleMaskOptions o;
  o.threshold = -0.1;
  EXPECT_NE(invalid_argument_message([&] { (void)vadf_particle_mask(v, {}, o); }).find("vadf_threshold = -0.1"), std::string::npos);
  o.threshold = std::numeric_limits<double>::infinity();
  EXPECT_NE(invalid_argument_message([&] { (void)vadf_particle_mask(v, {}, o); }).find("vadf_threshold = inf"), std::string::npos);
  ParticleMaskOptions k;
  k.film_sigmas = 0;
  EXPECT_NE(invalid_argument_message([&] { (void)vadf_particle_mask(v, {}, k); }).find("vadf_film_sigmas = 0"), std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { (void)vadf_particle_mask({0.1, 0.2}, {}, {}); }).find("2 valid VADF pixels"), std::string::npos);
  EXPECT_NE(invalid_argument_message([] { (void)otsu_threshold({1, 1, 1}); }).find("fewer than two distinct"), std::string::npos);
}
