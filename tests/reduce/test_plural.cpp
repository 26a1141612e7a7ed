// Fourier-log removal of plural scattering (reduce/plural.hpp) against the Anstis–Liu–Lake model evaluated
// independently: a Gaussian single-event distribution p (p̂(q) = exp(−2π²σ²q²)) and a uniform disc D, the
// scattered profile T·2π∫ D̂ (exp(x(p̂ − 1)) − e^{−x}) J₀(2πqs) q dq by fine quadrature, the unscattered
// T e^{−x} D put into the bins by exact overlap areas. The deconvolution must return x and T·x·(p ⊛ D).
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <string>
#include <vector>

#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/reduce/plural.hpp"
#include "sedpdf/structures/constants.hpp"

using namespace sedpdf;

namespace {
struct Model {
  double x = 0.5, sigma = 0.3, s_alpha = 0.024, T = 1e6;
  double d_hat(double q) const {
    const double u = 2 * kPi * q * s_alpha;
    return u > 0 ? 2 * std::cyl_bessel_j(1.0, u) / u : 1.0;
  }
  double p_hat(double q) const { return std::exp(-2 * kPi * kPi * sigma * sigma * q * q); }
  // 2π∫₀^∞ g(q) J₀(2πqs) q dq by the midpoint rule to q = 4 Å (all g used here have decayed by 1e-12 there;
  // 8 steps per period of J₀ at s = 3 Å⁻¹).
  template <class G> double inverse(G g, double s) const {
    const double dq = 5e-3;
    double v = 0;
    for (double q = 0.5 * dq; q < 4.0; q += dq) v += g(q) * std::cyl_bessel_j(0.0, 2 * kPi * q * s) * 2 * kPi * q * dq;
    return v;
  }
};
}  // namespace

TEST(Plural, RecoversSingleScatteringOfTheAnstisModel) {
  const Model m;
  const double h = 0.01;
  const std::size_t n = 300;  // to 3 Å⁻¹: the Gaussian (σ 0.3) has left nothing beyond
  std::vector<double> s(n), I(n);
  for (std::size_t i = 0; i < n; ++i) {
    s[i] = (static_cast<double>(i) + 0.5) * h;
    const double a = s[i] - 0.5 * h, b = s[i] + 0.5 * h;
    const double scattered =
        m.T * m.inverse([&](double q) { return m.d_hat(q) * (std::exp(m.x * (m.p_hat(q) - 1)) - std::exp(-m.x)); }, s[i]);
    // the disc's counts in the ring, per unit area
    const double lo = std::min(a, m.s_alpha), hi = std::min(b, m.s_alpha);
    const double disc = m.T * std::exp(-m.x) * (hi * hi - lo * lo) / (m.s_alpha * m.s_alpha) / (kPi * (b * b - a * a));
    I[i] = scattered + disc;
  }
  PluralParams pp;
  pp.s_alpha = m.s_alpha;
  const PluralResult r = deconvolve_plural(s, I, pp);
  EXPECT_NEAR(r.events, m.x, 2e-3);
  EXPECT_NEAR(r.unscattered, std::exp(-m.x), 2e-3);
  EXPECT_NEAR(r.total / m.T, 1.0, 2e-3);
  // T·x·(p ⊛ D) from its transform, at s from just beyond the disc to 2 Å⁻¹ (where it is 1e-5 of its peak)
  double worst = 0;
  for (std::size_t i = 6; i < 200; i += 7) {
    const double want = m.T * m.x * m.inverse([&](double q) { return m.d_hat(q) * m.p_hat(q); }, s[i]);
    const double peak = m.T * m.x / (2 * kPi * m.sigma * m.sigma);
    worst = std::max(worst, std::abs(r.I_single[i] - want) / peak);
    EXPECT_NEAR(r.I_single[i], want, 3e-3 * peak) << "s = " << s[i];
  }
  std::printf("plural deconvolution of the Anstis model: x %.5f (true %.2f), worst |error| %.2e of the peak\n", r.events,
              m.x, worst);
  // the recorded scattered profile is far from it (the test can fail): at s = 0.1 the plural sum differs by > 5 %
  const double single = m.T * m.x * m.inverse([&](double q) { return m.d_hat(q) * m.p_hat(q); }, s[10]);
  EXPECT_GT(std::abs(I[10] - single) / single, 0.05);
}

TEST(Plural, RefusesProfilesWithoutTheDisc) {
  std::vector<double> s, I;
  for (int i = 0; i < 100; ++i) {
    s.push_back((i + 0.5) * 0.01);
    I.push_back(1.0 / (1 + s.back() * s.back()));
  }
  PluralParams pp;
  pp.s_alpha = 0.024;
  std::vector<double> gap = I;
  gap[0] = std::nan("");
  try {
    deconvolve_plural(s, gap, pp);
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("disc is not recorded"), std::string::npos) << e.what();
  }
  EXPECT_THROW(deconvolve_plural(s, I, pp), std::invalid_argument);  // smooth: no counts above the scattered line
  std::vector<double> shifted = s;
  for (double& v : shifted) v += 0.003;
  EXPECT_THROW(deconvolve_plural(shifted, I, pp), std::invalid_argument);  // bins not from s = 0
  PluralParams far = pp;
  far.q_cut = 20;  // beyond the first zero of D̂ (25 Å): its 0.2 bound is crossed near 16 Å
  EXPECT_THROW(deconvolve_plural(s, I, far), std::invalid_argument);
  PluralParams none = pp;
  none.s_alpha = 0;
  EXPECT_THROW(deconvolve_plural(s, I, none), std::invalid_argument);
  // through the chain: the same message, the chain refuses the profile rather than reducing it
  ReductionParams rp;
  rp.composition = Composition::parse("SiO2");
  rp.fit_s_lo = 0.6;
  rp.fit_s_hi = 0.95;
  rp.s_max = 0.9;
  rp.plural_deconvolution = true;
  rp.plural = pp;
  EXPECT_THROW(reduce_profile(s, gap, nullptr, rp), std::invalid_argument);
}
