// Projected potentials: constant, reciprocal-space construction vs the direct sum, vs the closed-form
// Lobato projected potential, DC term, transmission band limit, frozen phonons, slicing.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include <boost/math/special_functions/bessel.hpp>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/potential.hpp"
#include "sedpdf/structures/constants.hpp"

using namespace sedpdf;

TEST(Potential, ConstantIsKirklands47878) {
  // Kirkland 2010 eq. 5.9: 2π a₀ e = 47.878 V·Å²; σ·C = γλ.
  EXPECT_NEAR(potential_constant_VA2(), 47.878, 0.001);
  EXPECT_NEAR(interaction_constant(200e3) * potential_constant_VA2(), lorentz_factor(200e3) * electron_wavelength(200e3),
              1e-12);
}

TEST(Potential, ReciprocalConstructionMatchesDirectSum) {
  const WaveGrid g{40, 0.11};
  LobatoFactors lf;
  const std::vector<Element> el{Element::parse("C"), Element::parse("O"), Element::parse("Zn")};
  SlicePotentialBuilder b(g, 200e3, lf, el);
  const std::vector<double> x{0.37, 2.91, 4.05}, y{3.3, 0.02, 4.31}, occ{1.0, 0.7, 1.0};
  RealField v;
  b.projected_potential_xy(el, x, y, occ, v);
  // Direct: v(r) = (C/A) Σ_{|k| ≤ k_b} Σ_j o_j f_j(k) cos(2π k·(r − r_j)).
  const double C = potential_constant_VA2(), A = g.extent_A() * g.extent_A(), kb = g.band_limit();
  double err = 0, mx = 0;
  for (size_t py = 0; py < g.n; py += 3)
    for (size_t px = 0; px < g.n; px += 3) {
      double sum = 0;
      for (size_t iy = 0; iy < g.n; ++iy)
        for (size_t ix = 0; ix < g.n; ++ix) {
          const double kx = g.freq(ix), ky = g.freq(iy), k = std::hypot(kx, ky);
          if (k > kb) continue;
          for (size_t j = 0; j < 3; ++j)
            sum += occ[j] * lf.f(el[j], k) *
                   std::cos(2 * kPi * (kx * (static_cast<double>(px) * g.pixel_A - x[j]) + ky * (static_cast<double>(py) * g.pixel_A - y[j])));
        }
      sum *= C / A;
      err = std::max(err, std::abs(sum - v[py * g.n + px]));
      mx = std::max(mx, std::abs(sum));
    }
  EXPECT_LT(err, 2e-6 * mx) << "max |v| = " << mx;
}

TEST(Potential, MatchesHankelTransformAndClosedForm) {
  // One atom in a 20.5 Å cell at 0.04 Å pixels (band limit k_b = 8.3 Å⁻¹). Independent references:
  // the Hankel transform v(r) = C ∫ f(k) J₀(2πkr) 2πk dk (midpoint rule) up to k_b (what the grid holds)
  // and up to 200 Å⁻¹ (the full potential, to ~2e-3), which the closed form (K₀/K₁) must reproduce.
  const WaveGrid g{512, 0.04};
  LobatoFactors lf;
  const double C = potential_constant_VA2();
  for (const char* sym : {"C", "Zn"}) {
    const Element e = Element::parse(sym);
    SlicePotentialBuilder b(g, 200e3, lf, {e});
    RealField v;
    const double c = g.extent_A() / 2;
    b.projected_potential_xy({e}, {c}, {c}, {1.0}, v);
    auto hankel = [&](double r, double kmax, int steps) {
      double s = 0;
      const double h = kmax / steps;
      for (int i = 0; i < steps; ++i) {
        const double k = (i + 0.5) * h;
        s += lf.f(e, k) * boost::math::cyl_bessel_j(0, 2 * kPi * k * r) * 2 * kPi * k * h;
      }
      return C * s;
    };
    for (int m : {8, 13, 25, 37}) {  // r = 0.32, 0.52, 1.0, 1.48 Å
      const double r = m * g.pixel_A;
      const double grid_v = v[(g.n / 2) * g.n + g.n / 2 + static_cast<size_t>(m)];
      const double bl = hankel(r, g.band_limit(), 20000);
      EXPECT_NEAR(grid_v, bl, 0.005 * bl) << sym << " r = " << r;
      EXPECT_NEAR(lobato_projected_potential(lf, e, r), hankel(r, 200.0, 100000), 3e-3 * bl) << sym << " r = " << r;
    }
    double integral = 0;
    for (double q : v) integral += q * g.pixel_A * g.pixel_A;
    EXPECT_NEAR(integral, C * lf.f(e, 0), 1e-9 * integral) << sym;
  }
}

TEST(Potential, TransmissionIsBandLimitedPhaseObject) {
  const WaveGrid g{64, 0.1};
  LobatoFactors lf;
  const Element c = Element::parse("C");
  SlicePotentialBuilder b(g, 200e3, lf, {c});
  RealField v;
  b.projected_potential_xy({c, c}, {1.0, 3.3}, {2.0, 5.5}, {1.0, 1.0}, v);
  ComplexField t;
  b.transmission(v, t);
  double dev = 0;
  for (const auto& q : t) dev = std::max(dev, std::abs(std::abs(q) - 1.0));
  EXPECT_LT(dev, 0.05);  // |t| = 1 up to the second-order harmonics removed by the band limit
  auto fft = make_fftw_kernel(g.n);
  ComplexField k = t;
  fft->forward(k.data());
  double outside = 0, total = 0;
  for (size_t iy = 0; iy < g.n; ++iy)
    for (size_t ix = 0; ix < g.n; ++ix) {
      const double kk = std::hypot(g.freq(ix), g.freq(iy));
      total += std::norm(k[iy * g.n + ix]);
      if (kk > g.band_limit()) outside += std::norm(k[iy * g.n + ix]);
    }
  EXPECT_LT(outside, 1e-24 * total);
}

TEST(Potential, FrozenPhononDisplacements) {
  FrozenPhonons fp;
  fp.configurations = 4;
  fp.seed = 11;
  Atom a;
  a.element = Element::parse("O");
  double s1 = 0, s2 = 0;
  const int n = 20000;
  for (int i = 0; i < n; ++i) {
    a.pos = Position(0.37 * i, 0.11 * i, 0.05 * i);
    const Position d = displaced_position(fp, a, 2);
    const double dx = d.x - a.pos.x;
    s1 += dx;
    s2 += dx * dx;
  }
  EXPECT_NEAR(s1 / n, 0.0, 4 * std::sqrt(0.008 / n));
  EXPECT_NEAR(s2 / n, 0.008, 0.008 * 0.04);
  a.pos = Position(1, 2, 3);
  EXPECT_EQ(displaced_position(fp, a, 1).x, displaced_position(fp, a, 1).x);
  EXPECT_NE(displaced_position(fp, a, 1).x, displaced_position(fp, a, 2).x);
  a.element = Element::parse("H");
  EXPECT_DOUBLE_EQ(fp.u_of(a), 0.025);
  a.u_iso = 0.02;
  EXPECT_DOUBLE_EQ(fp.u_of(a), 0.02);
  fp.configurations = 0;
  EXPECT_EQ(displaced_position(fp, a, 0).x, 1.0);
  fp.default_u_A2 = -1;
  EXPECT_THROW(fp.check(), std::invalid_argument);
}

TEST(Potential, AssignSlices) {
  std::vector<Atom> atoms(4);
  atoms[0].pos.z = -0.5;
  atoms[1].pos.z = 1.99;
  atoms[2].pos.z = 2.0;
  atoms[3].pos.z = 100;
  const auto s = assign_slices(atoms, 0.0, 2.0, 3);
  EXPECT_EQ(s[0], (std::vector<size_t>{0, 1}));
  EXPECT_EQ(s[1], (std::vector<size_t>{2}));
  EXPECT_EQ(s[2], (std::vector<size_t>{3}));
  EXPECT_THROW(assign_slices(atoms, 0.0, 0.0, 3), std::invalid_argument);
}
