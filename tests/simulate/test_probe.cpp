// Probe: normalisation, Airy diameter, defocus sign convention, Gauss–Hermite rule, coherence samples.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fft2.hpp"
#include "sedpdf/simulate/multislice.hpp"
#include "sedpdf/simulate/probe.hpp"
#include "sedpdf/structures/constants.hpp"

using namespace sedpdf;

TEST(Probe, NormalisedWithAberrations) {
  ProbeSpec p;
  p.alpha_mrad = 20;
  p.c10_A = -50;
  p.c30_mm = 1.2;
  const WaveGrid g{128, 0.1};
  const auto psi = make_probe(p, g, 3.3, 7.1);
  double s = 0;
  for (const auto& c : psi) s += std::norm(c);
  EXPECT_NEAR(s, 1.0, 1e-12);
}

TEST(Probe, DiameterIsAiryFirstZero) {
  // α = 10 mrad at 200 kV: 1.22 λ/α = 3.06 Å. The Airy disc inside the first dark ring holds 83.8 %
  // (Born & Wolf §8.5.2); its first zero lies at 0.61 λ/α.
  ProbeSpec p;
  p.alpha_mrad = 10;
  const double lambda = electron_wavelength(200e3);
  const double d = probe_diameter_A(p);
  EXPECT_NEAR(d, 1.22 * lambda / 0.010, 1e-12);
  const WaveGrid g{512, 0.05};
  const double c = g.extent_A() / 2;
  const auto psi = make_probe(p, g, c, c);
  double inside = 0;
  const int nb = 80;
  const double db = 0.05;
  std::vector<double> ring(nb, 0), cnt(nb, 0);
  for (size_t iy = 0; iy < g.n; ++iy)
    for (size_t ix = 0; ix < g.n; ++ix) {
      const double r = std::hypot(static_cast<double>(ix) * g.pixel_A - c, static_cast<double>(iy) * g.pixel_A - c);
      const double v = std::norm(psi[iy * g.n + ix]);
      if (r <= d / 2) inside += v;
      const int b = static_cast<int>(r / db);
      if (b < nb) {
        ring[b] += v;
        cnt[b] += 1;
      }
    }
  EXPECT_NEAR(inside, 0.838, 0.015);
  // First minimum of the azimuthal average.
  int bmin = -1;
  for (int b = 2; b + 1 < nb; ++b) {
    const double m0 = ring[b - 1] / cnt[b - 1], m1 = ring[b] / cnt[b], m2 = ring[b + 1] / cnt[b + 1];
    if (m1 < m0 && m1 <= m2) {
      bmin = b;
      break;
    }
  }
  ASSERT_GT(bmin, 0);
  EXPECT_NEAR((bmin + 0.5) * db, d / 2, 0.05 * d / 2);
  // Source size adds in quadrature.
  p.source_size_A = 4;
  EXPECT_NEAR(probe_diameter_A(p), std::hypot(d, 4.0), 1e-12);
}

TEST(Probe, PositiveC10EqualsVacuumPropagation) {
  // Convention check: the probe with C10 = +Δz equals the focused probe propagated by Δz through vacuum
  // with P = exp(−iπλΔz k²) (multislice.hpp), i.e. C10 > 0 = crossover above the entrance surface.
  ProbeSpec p;
  p.alpha_mrad = 15;
  const WaveGrid g{128, 0.1};
  auto focus = make_probe(p, g, 6.4, 6.4);
  p.c10_A = 40;
  const auto defocused = make_probe(p, g, 6.4, 6.4);
  ComplexField w(focus.begin(), focus.end());
  auto fft = make_fftw_kernel(g.n);
  fft->forward(w.data());
  const auto prop = fresnel_propagator(g, electron_wavelength(200e3), 40.0, 1.0 / (128.0 * 128.0));
  for (size_t i = 0; i < w.size(); ++i) w[i] *= prop[i];
  fft->inverse(w.data());
  double err = 0, mx = 0;
  for (size_t i = 0; i < w.size(); ++i) {
    err = std::max(err, std::abs(w[i] - defocused[i]));
    mx = std::max(mx, std::abs(defocused[i]));
  }
  EXPECT_LT(err, 1e-10 * mx);
  // And the opposite sign differs.
  p.c10_A = -40;
  const auto under = make_probe(p, g, 6.4, 6.4);
  double diff = 0;
  for (size_t i = 0; i < w.size(); ++i) diff = std::max(diff, std::abs(w[i] - under[i]));
  EXPECT_GT(diff, 0.1 * mx);
}

TEST(Probe, GaussHermiteRule) {
  const double sp = std::sqrt(kPi);
  const auto r3 = gauss_hermite(3);
  ASSERT_EQ(r3.nodes.size(), 3u);
  EXPECT_NEAR(r3.nodes[0], -std::sqrt(1.5), 1e-13);
  EXPECT_NEAR(r3.nodes[1], 0.0, 1e-13);
  EXPECT_NEAR(r3.weights[1], 2 * sp / 3, 1e-13);
  EXPECT_NEAR(r3.weights[0], sp / 6, 1e-13);
  const auto r20 = gauss_hermite(20);
  double w = 0, m10 = 0;
  for (size_t i = 0; i < 20; ++i) {
    w += r20.weights[i];
    m10 += r20.weights[i] * std::pow(r20.nodes[i], 10);
  }
  EXPECT_NEAR(w, sp, 1e-12);
  EXPECT_NEAR(m10, 945.0 * sp / 32.0, 1e-9);  // Γ(11/2)
  EXPECT_THROW(gauss_hermite(0), std::invalid_argument);
}

TEST(Probe, PartialCoherenceSamplesMoments) {
  ProbeSpec p;
  p.focal_spread_A = 30;   // distribution exp(−(δ/Δ)²): variance Δ²/2
  p.source_size_A = 5;     // FWHM: σ = 5/2.3548
  const auto s = partial_coherence_samples(p, 5, 4);
  ASSERT_EQ(s.size(), 5u * 16u);
  double w = 0, vf = 0, vx = 0;
  for (const auto& q : s) {
    w += q.weight;
    vf += q.weight * q.dc10_A * q.dc10_A;
    vx += q.weight * q.dx_A * q.dx_A;
  }
  const double sig = 5 / (2 * std::sqrt(2 * std::log(2.0)));
  EXPECT_NEAR(w, 1.0, 1e-12);
  EXPECT_NEAR(vf, 30.0 * 30.0 / 2, 1e-9);
  EXPECT_NEAR(vx, sig * sig, 1e-12);
  p.focal_spread_A = 0;
  p.source_size_A = 0;
  EXPECT_EQ(partial_coherence_samples(p, 5, 4).size(), 1u);
}

TEST(Probe, BadInputNamesTheValue) {
  ProbeSpec p;
  p.alpha_mrad = 0;
  try {
    probe_diameter_A(p);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("alpha_mrad"), std::string::npos);
  }
  p.alpha_mrad = 100;  // 4 Å⁻¹ aperture on a 0.1 Å grid (band limit 3.33 Å⁻¹)
  try {
    make_probe(p, WaveGrid{64, 0.1}, 0, 0);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("band limit"), std::string::npos);
  }
  p.alpha_mrad = 0.6;  // 0.024 Å⁻¹ aperture on a 6.4 Å grid (dk = 0.16 Å⁻¹)
  EXPECT_THROW(make_probe(p, WaveGrid{64, 0.1}, 0, 0), std::invalid_argument);
}
