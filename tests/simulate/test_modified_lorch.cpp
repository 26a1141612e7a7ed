// Tests of the modified Lorch damping (Soper & Barney, J. Appl. Cryst. 44 (2011) 714): the transform
// of a three-dimensional top hat of radius Δ, D(s) = 3(sin x − x cos x)/x³, x = 2πsΔ, checked against
// the spherical average of the top hat by quadrature, at its first zero, and through parse/name.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>

#include <boost/math/quadrature/gauss.hpp>

#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/constants.hpp"

using namespace sedpdf;

namespace {

/// (3/Δ³) ∫₀^Δ r² sin(2πsr)/(2πsr) dr: the isotropic Fourier transform of the unit-volume-normalised
/// ball of radius Δ (Gauss–Legendre, 30 points on 8 panels).
double ball_transform(double s, double delta) {
  using GL = boost::math::quadrature::gauss<double, 30>;
  double total = 0;
  const int panels = 8;
  for (int p = 0; p < panels; ++p) {
    const double a = delta * p / panels, b = delta * (p + 1) / panels;
    total += GL::integrate(
        [&](double r) {
          const double x = 2 * kPi * s * r;
          return r * r * (x == 0 ? 1.0 : std::sin(x) / x);
        },
        a, b);
  }
  return 3.0 * total / (delta * delta * delta);
}

}  // namespace

TEST(ModifiedLorch, EqualsTheTransformOfABall) {
  Damping d;
  d.kind = Damping::ModifiedLorch;
  d.delta = 0.3;
  for (double s : {0.0, 1e-4, 0.004, 0.1, 0.7, 1.3, 2.2, 2.49}) {
    EXPECT_NEAR(damping_factor(d, s, 2.5), ball_transform(s, 0.3), 1e-13) << s;
  }
  EXPECT_EQ(damping_factor(d, 2.5, 2.5), 0.0);  // cut at s_max as Lorch
  EXPECT_EQ(damping_factor(d, 3.0, 2.5), 0.0);
  // Both sides of the series switch (x = 0.2) agree with the closed form in long double.
  for (double x : {0.0101, 0.199, 0.201}) {
    const double s = x / (2 * kPi * 0.3);
    const long double xl = 2.0L * 3.14159265358979323846264338327950288L * s * 0.3L;
    const long double exact = 3.0L * (std::sin(xl) - xl * std::cos(xl)) / (xl * xl * xl);
    EXPECT_NEAR(damping_factor(d, s, 2.5), static_cast<double>(exact), 2e-14) << x;
  }
}

TEST(ModifiedLorch, DefaultWidthPutsTheFirstZeroAtSmax) {
  Damping d = parse_damping("Modified-Lorch");
  EXPECT_EQ(d.kind, Damping::ModifiedLorch);
  EXPECT_EQ(d.delta, 0.0);
  EXPECT_DOUBLE_EQ(damping_factor(d, 0.0, 2.5), 1.0);
  EXPECT_NEAR(damping_factor(d, 2.5 * (1 - 1e-9), 2.5), 0.0, 1e-8);
  // Positive and decreasing on (0, s_max): no sign change before the first zero.
  double prev = 1.0;
  for (int i = 1; i < 250; ++i) {
    const double v = damping_factor(d, 0.01 * i, 2.5);
    EXPECT_GT(v, 0.0);
    EXPECT_LT(v, prev);
    prev = v;
  }
  // Δ = x₁/(2π s_max) = 0.28606 Å for s_max = 2.5 Å⁻¹: the same function with an explicit Δ.
  Damping e;
  e.kind = Damping::ModifiedLorch;
  e.delta = 4.4934094579090642 / (2 * kPi * 2.5);
  EXPECT_NEAR(damping_factor(d, 1.234, 2.5), damping_factor(e, 1.234, 2.5), 1e-15);
}

TEST(ModifiedLorch, ParseAndNameRoundTrip) {
  const Damping a = parse_damping(" updated-lorch:0.3 ");
  EXPECT_EQ(a.kind, Damping::ModifiedLorch);
  EXPECT_EQ(a.delta, 0.3);
  EXPECT_EQ(parse_damping(damping_name(a)).delta, 0.3);
  EXPECT_EQ(damping_name(parse_damping("modified-lorch")), "modified-lorch");
  for (const char* bad : {"modified-lorch:-1", "modified-lorch:x", "modified-lorch:"}) {
    try {
      parse_damping(bad);
      FAIL() << bad;
    } catch (const std::invalid_argument& ex) {
      EXPECT_NE(std::string(ex.what()).find(bad), std::string::npos) << ex.what();
    }
  }
}

TEST(ModifiedLorch, TransformOfASineIsASymmetricPeak) {
  // φ = sin(2πs r₀) damped by D: G(r) = 4π ∫₀^{s_max} D(s) [cos 2πs(r − r₀) − cos 2πs(r + r₀)] ds, a peak
  // at r₀ symmetric about it up to the small image term at −r₀.
  const std::vector<double> s = uniform_grid(0.0, 2.5, 0.0005);
  const double r0 = 3.0;
  std::vector<double> phi(s.size());
  for (size_t i = 0; i < s.size(); ++i) phi[i] = std::sin(2 * kPi * s[i] * r0);
  const std::vector<double> r = uniform_grid(2.0, 4.0, 0.001);
  const std::vector<double> G = sine_transform_s_to_r(s, phi, r, parse_damping("modified-lorch"), 2.5);
  size_t best = 0;
  for (size_t j = 0; j < G.size(); ++j)
    if (G[j] > G[best]) best = j;
  EXPECT_NEAR(r[best], r0, 0.0015);
  for (size_t j = 1; j < 400; ++j) EXPECT_NEAR(G[1000 + j], G[1000 - j], 2e-3 * G[1000]) << j;
}
