// Multislice: kernels vs reference DFT, intensity conservation, kinematic limit vs the Debye equation,
// dynamical diffraction vs a Bloch-wave reference and the two-beam extinction distance, convergence with
// slice thickness and sampling, thickness effect on φ(s), windowed mode vs window size, bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <stdexcept>

#include "fixtures/amorphous_slab.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/multislice.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/specimen.hpp"

using namespace sedpdf;
using test_fixtures::amorphous_slab;

namespace {

double total(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return s;
}

// Solve the 3×3 system a x = b (Gaussian elimination with partial pivoting).
std::vector<double> solve3(std::vector<std::vector<double>> a, std::vector<double> b) {
  for (int c = 0; c < 3; ++c) {
    int p = c;
    for (int r = c + 1; r < 3; ++r)
      if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
    std::swap(a[c], a[p]);
    std::swap(b[c], b[p]);
    for (int r = c + 1; r < 3; ++r) {
      const double f = a[r][c] / a[c][c];
      for (int k = c; k < 3; ++k) a[r][k] -= f * a[c][k];
      b[r] -= f * b[c];
    }
  }
  std::vector<double> x(3);
  for (int r = 2; r >= 0; --r) {
    double s = b[r];
    for (int k = r + 1; k < 3; ++k) s -= a[r][k] * x[k];
    x[r] = s / a[r][r];
  }
  return x;
}

}  // namespace

TEST(Multislice, FftwMatchesReferenceDft) {
  const size_t n = 24;
  const WaveGrid g{n, 0.2};
  std::mt19937_64 rng(5);
  std::uniform_real_distribution<double> u(-1, 1);
  std::vector<ComplexField> t(3, ComplexField(n * n));
  for (auto& s : t)
    for (auto& q : s) q = std::polar(1.0, 0.3 * u(rng));
  ComplexField psi0(n * n);
  for (auto& q : psi0) q = Complex(u(rng), u(rng));
  const FresnelPropagator prop(g, 0.025, 2.0, 1.0 / (n * n));
  std::vector<const ComplexField*> sl{&t[0], &t[1], &t[2], &t[0]};
  std::vector<std::vector<double>> a1(2), a2(2);
  ComplexField p1 = psi0, p2 = psi0;
  auto ref = make_reference_dft(n);
  auto fftw = make_fftw_kernel(n);
  multislice_propagate(p1, sl, prop, *ref, {1, 3}, 1.0, a1);
  multislice_propagate(p2, sl, prop, *fftw, {1, 3}, 1.0, a2);
  double err = 0, mx = 0;
  for (size_t i = 0; i < n * n; ++i) {
    err = std::max(err, std::abs(p1[i] - p2[i]));
    mx = std::max(mx, std::abs(p1[i]));
    err = std::max(err, std::abs(a1[1][i] - a2[1][i]) / std::max(1e-300, *std::max_element(a1[1].begin(), a1[1].end())));
  }
  EXPECT_LT(err, 1e-12 * std::max(1.0, mx));
  EXPECT_THROW(multislice_propagate(p1, sl, prop, *fftw, {5}, 1.0, a1), std::invalid_argument);
  // The separable propagator equals the tabulated one (band-limit disc included).
  for (size_t nn : {24u, 25u}) {
    const WaveGrid gg{nn, 0.2};
    const auto tab = fresnel_propagator(gg, 0.025, 3.0, 0.5);
    const auto sep = FresnelPropagator(gg, 0.025, 3.0, 0.5).table();
    double e = 0;
    for (size_t i = 0; i < nn * nn; ++i) e = std::max(e, std::abs(tab[i] - sep[i]));
    EXPECT_LT(e, 1e-14);
  }
}

TEST(Multislice, IntensityConservedOver100Slices) {
  // A weak phase grating whose spectrum stays well inside the band limit: Σ I = 1 after every slice.
  const WaveGrid g{128, 0.1};
  LobatoFactors lf;
  SlicePotentialBuilder b(g, 200e3, lf, {Element::parse("C")});
  RealField v(g.n * g.n);
  const double L = g.extent_A();
  for (size_t iy = 0; iy < g.n; ++iy)
    for (size_t ix = 0; ix < g.n; ++ix)
      v[iy * g.n + ix] = 40.0 * std::cos(2 * kPi * 3 * static_cast<double>(ix) * g.pixel_A / L) +
                         25.0 * std::cos(2 * kPi * 5 * static_cast<double>(iy) * g.pixel_A / L);
  ComplexField t;
  b.transmission(v, t);
  std::vector<const ComplexField*> sl(100, &t);
  std::vector<size_t> rec;
  for (size_t i = 0; i < 100; i += 9) rec.push_back(i);
  rec.push_back(99);
  std::vector<std::vector<double>> acc(rec.size());
  ComplexField psi(g.n * g.n, Complex(1.0 / static_cast<double>(g.n), 0));
  const FresnelPropagator prop(g, electron_wavelength(200e3), 2.0, 1.0 / static_cast<double>(g.n * g.n));
  auto fft = make_fftw_kernel(g.n);
  multislice_propagate(psi, sl, prop, *fft, rec, 1.0, acc);
  double worst = 0;
  for (const auto& a : acc) worst = std::max(worst, std::abs(total(a) - 1.0));
  EXPECT_LT(worst, 1e-5);
  double scattered = 1.0 - acc.back()[0];
  EXPECT_GT(scattered, 0.05);  // it is not a trivial pass-through
  // A real amorphous carbon slab (100 slices of 1 Å): the only loss is the second-order part of t beyond k_b.
  const Structure slab = amorphous_slab(12.8, 100, 0.1, {{"C", 1.0, 0.7}}, 3);
  MultisliceParams mp;
  mp.plane_wave = true;
  mp.pixel_A = 0.1;
  mp.s_max = 3.0;
  mp.slice_thickness_A = 1.0;
  PeriodicMultislice ms(slab, ProbeSpec{}, mp);
  const auto p = ms.run(0, 0);
  std::printf("[conservation] grating: max |ΣI − 1| = %.2e; 100 Å a-C: 1 − ΣI = %.2e\n", worst, 1 - total(p[0].intensity));
  EXPECT_NEAR(total(p[0].intensity), 1.0, 2e-4);
}

TEST(Multislice, KinematicLimitMatchesDebye) {
  // 8 Å amorphous C/O slab, plane wave: the weak-phase exit wave gives per pixel
  // I(k) = (γλ/A)² |Σ_j f_j(k) exp(−2πi k·r_j)|² (σC = γλ), whose ring average is the Debye intensity of
  // the same atoms (the orientation average for an isotropic sample).
  const double L = 160;
  const Structure slab = amorphous_slab(L, 8, 0.1, {{"O", 0.3, 0.65}, {"C", 0.7, 0.7}}, 7);
  MultisliceParams mp;
  mp.plane_wave = true;
  mp.pixel_A = 1.0 / 6.0;
  mp.s_max = 2.0;
  PeriodicMultislice ms(slab, ProbeSpec{}, mp);
  const SimPattern p = ms.run(0, 0)[0];
  Structure cluster = slab;
  cluster.cell = Cell();
  LobatoFactors lf;
  std::vector<double> sg;
  for (double s = 0; s <= 2.06; s += 0.005) sg.push_back(s);
  const auto deb = debye_intensity_binned(cluster, lf, sg, 0.005);
  const double gl = lorentz_factor(200e3) * electron_wavelength(200e3);
  const double scale = (L * L / gl) * (L * L / gl);
  const double ds = 0.1;
  const int nb = 20;
  std::vector<double> ms_sum(nb, 0), deb_sum(nb, 0), cnt(nb, 0);
  const double c = static_cast<double>(p.n / 2);
  for (size_t iy = 0; iy < p.n; ++iy)
    for (size_t ix = 0; ix < p.n; ++ix) {
      const double k = std::hypot((static_cast<double>(ix) - c) * p.dk, (static_cast<double>(iy) - c) * p.dk);
      const int b = static_cast<int>(k / ds);
      if (b >= nb || k < 0.5) continue;
      const double fidx = k / 0.005;
      const size_t i0 = static_cast<size_t>(fidx);
      const double w = fidx - static_cast<double>(i0);
      ms_sum[b] += p.intensity[iy * p.n + ix] * scale;
      deb_sum[b] += (1 - w) * deb[i0] + w * deb[i0 + 1];
      cnt[b] += 1;
    }
  double worst = 0;
  for (int b = 5; b < nb; ++b) {
    const double r = ms_sum[b] / deb_sum[b];
    worst = std::max(worst, std::abs(r - 1));
    std::printf("[kinematic] s = %.2f–%.2f  multislice/Debye = %.4f  (%g px)\n", b * ds, (b + 1) * ds, r, cnt[b]);
  }
  EXPECT_LT(worst, 0.03);
}

namespace {

// Bloch-wave reference (high-energy, projection approximation): dC/dz = i M C with
// M_ij = −πλ|k_i|² δ_ij + σ U(k_i − k_j), U(G) = (C/Ω) Σ_atoms f(|G|) exp(−2πi G·r) (z-averaged potential,
// Kirkland 2010 §6.3 / Hirsch et al. ch. 9 in this form), C(z) = exp(iMz) C(0). Matrix exponential by
// scaling and squaring of the Taylor series.
using CMat = std::vector<std::vector<Complex>>;
CMat matmul(const CMat& a, const CMat& b) {
  const size_t n = a.size();
  CMat c(n, std::vector<Complex>(n, 0));
  for (size_t i = 0; i < n; ++i)
    for (size_t k = 0; k < n; ++k) {
      const Complex aik = a[i][k];
      if (aik == Complex(0, 0)) continue;
      for (size_t j = 0; j < n; ++j) c[i][j] += aik * b[k][j];
    }
  return c;
}
CMat expm_i(const CMat& m, double z) {
  const size_t n = m.size();
  double norm = 0;
  for (const auto& r : m)
    for (const auto& x : r) norm = std::max(norm, std::abs(x) * z * static_cast<double>(n));
  int sq = 0;
  while (norm > 0.25) {
    norm /= 2;
    ++sq;
  }
  const double h = z / std::pow(2.0, sq);
  CMat a(n, std::vector<Complex>(n));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) a[i][j] = Complex(0, 1) * m[i][j] * h;
  CMat e(n, std::vector<Complex>(n, 0)), term(n, std::vector<Complex>(n, 0));
  for (size_t i = 0; i < n; ++i) e[i][i] = term[i][i] = 1;
  for (int k = 1; k <= 18; ++k) {
    term = matmul(term, a);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        term[i][j] /= k;
        e[i][j] += term[i][j];
      }
  }
  for (int s = 0; s < sq; ++s) e = matmul(e, e);
  return e;
}

// First maximum of y after its first minimum, refined by a parabola through three samples (x uniform).
double period_from_samples(const std::vector<double>& y, double dx) {
  size_t i = 1;
  while (i + 1 < y.size() && !(y[i] < y[i - 1] && y[i] <= y[i + 1])) ++i;
  while (i + 1 < y.size() && !(y[i] > y[i - 1] && y[i] >= y[i + 1])) ++i;
  if (i + 1 >= y.size()) return -1;
  const double d = (y[i - 1] - y[i + 1]) / (2 * (y[i - 1] - 2 * y[i] + y[i + 1]));
  return (static_cast<double>(i) + d) * dx;
}

}  // namespace

namespace {

struct DynResult {
  double xi = 0, period_ms = 0, period_bw = 0, worst = 0, min_I0 = 1;
  size_t beams = 0;
};

// A rectangular crystal a × b × c (Å), one atom of `sym` per cell at (0.1, 0.05, z) in the first 2 Å
// slice, on a supercell L = na·a = nb·b with an n² grid; plane wave at the exact Bragg condition for
// g = (1/a, 0) (incident k = −g/2, symmetric Laue). Transmitted and diffracted intensities after each cell
// by multislice and by Bloch waves with the same beams and couplings.
DynResult dynamical(const char* sym, double a, double b, double c, int na, int nb, size_t n, size_t cells) {
  const double E = 200e3, lambda = electron_wavelength(E), sigma = interaction_constant(E);
  const Element el = Element::parse(sym);
  LobatoFactors lf;
  const double L = na * a;
  EXPECT_NEAR(nb * b, L, 1e-12);
  DynResult res;
  const double gmag = 1 / a, Omega = a * b * c;
  // Two-beam extinction distance ξ_g = πΩ/(γλ|F_g|) (Hirsch et al., Electron Microscopy of Thin Crystals,
  // ch. 8; Williams & Carter §13.3), F_g with the non-relativistic f_e, hence γ.
  res.xi = kPi * Omega / (lorentz_factor(E) * lambda * lf.f(el, gmag));
  const WaveGrid g{n, L / static_cast<double>(n)};
  SlicePotentialBuilder bld(g, E, lf, {el});
  std::vector<Element> els;
  std::vector<double> xs, ys, os;
  const double ax = 0.1, ay = 0.05;
  for (int i = 0; i < na; ++i)
    for (int j = 0; j < nb; ++j) {
      els.push_back(el);
      xs.push_back(ax + i * a);
      ys.push_back(ay + j * b);
      os.push_back(1.0);
    }
  RealField v;
  bld.projected_potential_xy(els, xs, ys, os, v);
  ComplexField t1, t0(n * n, Complex(1, 0));
  bld.transmission(v, t1);
  const size_t per_cell = std::max<size_t>(1, static_cast<size_t>(std::llround(c / 2.0)));
  std::vector<const ComplexField*> sl;
  std::vector<size_t> rec;
  for (size_t k = 0; k < cells; ++k) {
    sl.push_back(&t1);
    for (size_t j = 1; j < per_cell; ++j) sl.push_back(&t0);
    rec.push_back(sl.size() - 1);
  }
  const double kin = -gmag / 2;
  ComplexField psi(n * n);
  for (size_t iy = 0; iy < n; ++iy)
    for (size_t ix = 0; ix < n; ++ix)
      psi[iy * n + ix] = std::polar(1.0 / static_cast<double>(n), 2 * kPi * kin * static_cast<double>(ix) * g.pixel_A);
  std::vector<std::vector<double>> acc(rec.size());
  const FresnelPropagator prop(g, lambda, c / static_cast<double>(per_cell), 1.0 / static_cast<double>(n * n));
  auto fft = make_fftw_kernel(n);
  multislice_propagate(psi, sl, prop, *fft, rec, 1.0, acc);
  const long long mi = std::llround(kin / g.dk()), mg = std::llround(-kin / g.dk());
  const size_t i0 = static_cast<size_t>((mi + static_cast<long long>(n)) % static_cast<long long>(n));
  const size_t ig = static_cast<size_t>((mg + static_cast<long long>(n)) % static_cast<long long>(n));
  std::vector<double> I0_ms, Ig_ms;
  for (const auto& q : acc) {
    I0_ms.push_back(q[i0]);
    Ig_ms.push_back(q[ig]);
  }
  // Bloch waves: beams k = k_in + G inside the band limit, couplings for |G| ≤ k_b.
  std::vector<std::pair<double, double>> beams;
  const double kb = g.band_limit();
  for (int h = -40; h <= 40; ++h)
    for (int k = -40; k <= 40; ++k) {
      const double kx = kin + h / a, ky = k / b;
      if (kx * kx + ky * ky <= kb * kb) beams.push_back({kx, ky});
    }
  const size_t nbm = beams.size();
  res.beams = nbm;
  CMat M(nbm, std::vector<Complex>(nbm, 0));
  const double Cc = potential_constant_VA2();
  size_t b0 = 0, bg = 0;
  for (size_t i = 0; i < nbm; ++i) {
    if (std::abs(beams[i].first - kin) < 1e-9 && std::abs(beams[i].second) < 1e-9) b0 = i;
    if (std::abs(beams[i].first + kin) < 1e-9 && std::abs(beams[i].second) < 1e-9) bg = i;
    for (size_t j = 0; j < nbm; ++j) {
      const double Gx = beams[i].first - beams[j].first, Gy = beams[i].second - beams[j].second;
      const double G = std::hypot(Gx, Gy);
      if (i == j) M[i][j] = -kPi * lambda * (beams[i].first * beams[i].first + beams[i].second * beams[i].second);
      if (G > kb) continue;
      M[i][j] += sigma * Cc / Omega * lf.f(el, G) * std::polar(1.0, -2 * kPi * (Gx * ax + Gy * ay));
    }
  }
  const CMat step = expm_i(M, c);
  std::vector<Complex> cv(nbm, 0);
  cv[b0] = 1;
  std::vector<double> I0_bw;
  for (size_t k = 0; k < cells; ++k) {
    std::vector<Complex> nx(nbm, 0);
    for (size_t i = 0; i < nbm; ++i)
      for (size_t j = 0; j < nbm; ++j) nx[i] += step[i][j] * cv[j];
    cv.swap(nx);
    I0_bw.push_back(std::norm(cv[b0]));
    res.worst = std::max({res.worst, std::abs(I0_bw.back() - I0_ms[k]), std::abs(std::norm(cv[bg]) - Ig_ms[k])});
    res.min_I0 = std::min(res.min_I0, I0_ms[k]);
  }
  res.period_ms = period_from_samples(I0_ms, c);
  res.period_bw = period_from_samples(I0_bw, c);
  return res;
}

}  // namespace

TEST(Multislice, DynamicalMatchesBlochWaves) {
  // Square carbon lattice a = b = 2 Å, c = 2 Å (the FOLZ lies far outside the band limit, so the
  // z-averaged Bloch potential is the right reference): many-beam dynamical diffraction.
  const DynResult r = dynamical("C", 2.0, 2.0, 2.0, 2, 2, 32, 400);
  std::printf("[dynamical] C 2×2×2 Å: %zu Bloch beams; period of I0: multislice %.1f Å, Bloch %.1f Å "
              "(two-beam ξ_g %.1f Å); max |ΔI| = %.4f\n", r.beams, r.period_ms, r.period_bw, r.xi, r.worst);
  EXPECT_NEAR(r.period_ms / r.period_bw, 1.0, 0.01);
  EXPECT_LT(r.worst, 0.02);
}

TEST(Multislice, TwoBeamPeriodIsExtinctionDistance) {
  // A weakly scattering rectangular H lattice a = 1 Å, b = 0.5 Å, c = 2 Å: the coupling γλF_g/Ω is 3 % of
  // the excitation error of the next beams, so the orientation is two-beam-like and the transmitted beam
  // oscillates as cos²(πz/ξ_g).
  const DynResult r = dynamical("H", 1.0, 0.5, 2.0, 2, 4, 16, 1300);
  std::printf("[two-beam] H 1×0.5×2 Å: %zu beams; period multislice %.1f Å, Bloch %.1f Å, ξ_g %.1f Å; "
              "min I0 %.4f; max |ΔI| vs Bloch %.4f\n", r.beams, r.period_ms, r.period_bw, r.xi, r.min_I0, r.worst);
  EXPECT_NEAR(r.period_ms / r.xi, 1.0, 0.03);
  EXPECT_NEAR(r.period_ms / r.period_bw, 1.0, 0.01);
  EXPECT_LT(r.min_I0, 0.05);  // nearly complete transfer to g, as in two-beam theory
}

namespace {
// Ring means as intensity per Å⁻² (independent of the grid), on rings of width ds from s0 to s1.
std::vector<double> ring_density(const SimPattern& p, double ds, double s0, double s1) {
  const RadialProfile r = radial_average(p, ds, s1);
  std::vector<double> out;
  for (size_t b = 0; b < r.s.size(); ++b)
    if (static_cast<double>(b) * ds >= s0 - 1e-9) out.push_back(r.mean[b] / (p.dk * p.dk));
  return out;
}
double rms_rel(const std::vector<double>& a, const std::vector<double>& ref) {
  double s = 0;
  for (size_t i = 0; i < ref.size(); ++i) s += (a[i] / ref[i] - 1) * (a[i] / ref[i] - 1);
  return std::sqrt(s / static_cast<double>(ref.size()));
}
}  // namespace

TEST(Multislice, ConvergenceWithSliceThicknessAndSampling) {
  // 40 Å of a ZIF-like RSA slab (Zn:N:C:H = 1:4:7:6.5, 0.083 atoms/Å³), plane wave, 200 kV.
  const Structure slab = amorphous_slab(32, 40, 0.083,
                                        {{"Zn", 1 / 18.5, 0.95}, {"N", 4 / 18.5, 0.7}, {"C", 7 / 18.5, 0.7},
                                         {"H", 6.5 / 18.5, 0.5}},
                                        13);
  auto run = [&](double dz, double px) {
    MultisliceParams mp;
    mp.plane_wave = true;
    mp.pixel_A = px;
    mp.s_max = 2.0;
    mp.slice_thickness_A = dz;
    PeriodicMultislice ms(slab, ProbeSpec{}, mp);
    return ms.run(0, 0)[0];
  };
  const SimPattern p1 = run(1, 0.125), p2 = run(2, 0.125), p4 = run(4, 0.125);
  const auto r1 = ring_density(p1, 0.05, 0.1, 2.0), r2 = ring_density(p2, 0.05, 0.1, 2.0),
             r4 = ring_density(p4, 0.05, 0.1, 2.0);
  const double d2 = rms_rel(r2, r1), d4 = rms_rel(r4, r1);
  const double I0_1 = p1.intensity[(p1.n / 2) * p1.n + p1.n / 2], I0_2 = p2.intensity[(p2.n / 2) * p2.n + p2.n / 2],
               I0_4 = p4.intensity[(p4.n / 2) * p4.n + p4.n / 2];
  // Sampling at Δz = 2 Å: pixel 0.125 vs 0.1 and 0.15 Å (same s range).
  const SimPattern q10 = run(2, 0.1), q15 = run(2, 0.15);
  const auto s10 = ring_density(q10, 0.05, 0.1, 2.0), s15 = ring_density(q15, 0.05, 0.1, 2.0);
  const double e125 = rms_rel(r2, s10), e15 = rms_rel(s15, s10);
  std::printf("[convergence] rings 0.1–2 Å⁻¹ rms rel. diff vs dz = 1 Å: dz = 2: %.4f, dz = 4: %.4f; "
              "direct beam %.4f / %.4f / %.4f\n",
              d2, d4, I0_1, I0_2, I0_4);
  std::printf("[convergence] pixel vs 0.1 Å at dz = 2: 0.125 Å: %.4f, 0.15 Å: %.4f\n", e125, e15);
  EXPECT_LT(d2, 0.02);
  EXPECT_LT(d2, d4);
  EXPECT_LT(e125, 0.02);
}

TEST(Multislice, ThicknessLowersPhiPeaksKeepsPositions) {
  // A Zn–O random packing (50:50, 0.07 atoms/Å³) 300 Å thick, plane wave, outputs at 20, 150 and 300 Å.
  // Each pattern goes through the chain's normalisation: fit α⟨f²⟩ + C at 0.85–1.2 Å⁻¹, φ = s(I − α⟨f²⟩ − C)/
  // (α⟨f⟩²), remove s(s_max − s)(c0 + c1 s + c2 s²) (003 steps 2–4), smooth with a Gaussian of σ = 0.03 Å⁻¹
  // (the speckle of one 192 Å field), then take the first peak (maximum in 0.3–1.0 Å⁻¹, parabola-refined).
  const double L = 192, smax = 1.2;
  const Structure slab = amorphous_slab(L, 300, 0.07, {{"Zn", 0.5, 0.95}, {"O", 0.5, 0.65}}, 21);
  MultisliceParams mp;
  mp.plane_wave = true;
  mp.s_max = smax;
  mp.pixel_A = 1 / (3 * smax);
  mp.slice_thickness_A = 4;
  mp.thicknesses_A = {20, 150, 300};
  mp.cache_limit_MB = 0;  // one pass: nothing to reuse
  PeriodicMultislice ms(slab, ProbeSpec{}, mp);
  const auto pats = ms.run(0, 0);
  ASSERT_EQ(pats.size(), 3u);
  LobatoFactors lf;
  const Element zn = Element::parse("Zn"), ox = Element::parse("O");
  auto fav = [&](double q, double& f1, double& f2) {
    const double a = lf.f(zn, q), b = lf.f(ox, q);
    f1 = 0.5 * (a + b);
    f2 = 0.5 * (a * a + b * b);
  };
  std::vector<double> heights, positions, direct;
  for (const auto& p : pats) {
    direct.push_back(p.intensity[(p.n / 2) * p.n + p.n / 2]);
    const RadialProfile r = radial_average(p, 0.01, smax);
    double sxx = 0, sx = 0, sy = 0, sxy = 0, n = 0, f1, f2;
    for (size_t b = 0; b < r.s.size(); ++b)
      if (r.s[b] >= 0.85 && r.count[b] > 0) {
        fav(r.s[b], f1, f2);
        sxx += f2 * f2;
        sx += f2;
        sy += r.mean[b];
        sxy += f2 * r.mean[b];
        n += 1;
      }
    const double alpha = (n * sxy - sx * sy) / (n * sxx - sx * sx), c0 = (sy - alpha * sx) / n;
    std::vector<double> s, phi;
    for (size_t b = 0; b < r.s.size(); ++b)
      if (r.s[b] >= 0.15 && r.count[b] > 0) {
        fav(r.s[b], f1, f2);
        s.push_back(r.s[b]);
        phi.push_back(r.s[b] * (r.mean[b] - alpha * f2 - c0) / (alpha * f1 * f1));
      }
    std::vector<std::vector<double>> A(3, std::vector<double>(3, 0));
    std::vector<double> B(3, 0);
    for (size_t i = 0; i < s.size(); ++i) {
      const double base = s[i] * (smax - s[i]);
      const double bf[3] = {base, base * s[i], base * s[i] * s[i]};
      for (int p1 = 0; p1 < 3; ++p1) {
        B[p1] += bf[p1] * phi[i];
        for (int p2 = 0; p2 < 3; ++p2) A[p1][p2] += bf[p1] * bf[p2];
      }
    }
    const auto cc = solve3(A, B);
    for (size_t i = 0; i < s.size(); ++i) phi[i] -= s[i] * (smax - s[i]) * (cc[0] + cc[1] * s[i] + cc[2] * s[i] * s[i]);
    std::vector<double> sm(s.size(), 0);
    for (size_t i = 0; i < s.size(); ++i) {
      double w = 0;
      for (size_t j = 0; j < s.size(); ++j) {
        const double x = (s[j] - s[i]) / 0.03, k = std::exp(-0.5 * x * x);
        sm[i] += k * phi[j];
        w += k;
      }
      sm[i] /= w;
    }
    if (std::getenv("SEDPDF_MS_DEBUG"))
      for (size_t i = 0; i < s.size(); ++i) std::printf("phi %zu %.3f %.5f %.5f\n", heights.size(), s[i], phi[i], sm[i]);
    size_t im = 0;
    for (size_t i = 1; i + 1 < s.size(); ++i)
      if (s[i] > 0.3 && s[i] < 1.0 && (im == 0 || sm[i] > sm[im])) im = i;
    const double d = (sm[im - 1] - sm[im + 1]) / (2 * (sm[im - 1] - 2 * sm[im] + sm[im + 1]));
    positions.push_back(s[im] + d * (s[im + 1] - s[im]));
    heights.push_back(sm[im] - 0.25 * (sm[im - 1] - sm[im + 1]) * d);
  }
  std::printf("[thickness] Zn–O: direct beam %.3f / %.3f / %.3f; φ first peak at t = 20/150/300 Å: height %.4f / %.4f / "
              "%.4f, position %.4f / %.4f / %.4f Å⁻¹\n",
              direct[0], direct[1], direct[2], heights[0], heights[1], heights[2], positions[0], positions[1], positions[2]);
  EXPECT_GT(heights[0], heights[1]);
  EXPECT_GT(heights[1], heights[2]);
  EXPECT_NEAR(positions[1], positions[0], 0.01);
  EXPECT_NEAR(positions[2], positions[0], 0.01);
}

namespace {
Specimen carbon_specimen(double thickness) {
  SpecimenSpec spec;
  spec.field_x = spec.field_y = 400;
  spec.seed = 3;
  PhaseModelSpec ph;
  ph.name = "a-C";
  ph.model = amorphous_carbon_model(2.0, 25, 1.4, 9);
  spec.phases.push_back(ph);
  spec.thickness.kind = ThicknessGeometry::Kind::Slab;
  spec.thickness.thickness = thickness;
  return Specimen(spec);
}
}  // namespace

TEST(Multislice, WindowedModeErrorFallsWithWindow) {
  const Specimen sp = carbon_specimen(30);
  ProbeSpec probe;
  probe.alpha_mrad = 8;  // d = 3.8 Å
  const double d = probe_diameter_A(probe);
  auto run = [&](double W) {
    MultisliceParams mp;
    mp.pixel_A = 0.15;
    mp.s_max = 2.0;
    mp.window_A = W;
    WindowedMultislice ms(sp, probe, mp);
    return ring_density(ms.run(200, 200)[0], 0.1, 0.5, 2.0);
  };
  const auto ref = run(20 * d);
  const double e2 = rms_rel(run(2 * d), ref), e4 = rms_rel(run(4 * d), ref), e8 = rms_rel(run(8 * d), ref);
  std::printf("[window] d = %.2f Å; rms rel. ring error (0.5–2 Å⁻¹) vs W = 20d: W = 2d %.4f, 4d %.4f, 8d %.4f\n", d, e2, e4, e8);
  EXPECT_LT(e8, e2);
  EXPECT_LT(e8, 0.05);
}

TEST(Multislice, PhononsDeterministicAndThreadIndependent) {
  const Structure slab = amorphous_slab(16, 12, 0.1, {{"C", 1.0, 0.7}}, 4);
  MultisliceParams mp;
  mp.pixel_A = 0.125;
  mp.s_max = 2.0;
  mp.phonons.configurations = 2;
  mp.thicknesses_A = {6, 12};
  ProbeSpec probe;
  probe.alpha_mrad = 10;
  probe.focal_spread_A = 20;
  mp.focal_samples = 2;
  PeriodicMultislice a(slab, probe, mp);
  mp.fft_threads = 2;
  mp.cache_limit_MB = 0;  // recompute the slices in run()
  PeriodicMultislice b(slab, probe, mp);
  const auto pa = a.run(5, 7), pb = b.run(5, 7), pa2 = a.run(5, 7);
  ASSERT_EQ(pa.size(), 2u);
  EXPECT_NEAR(a.depths_A()[0], 6.0, 1e-12);
  double err = 0;
  for (size_t o = 0; o < 2; ++o)
    for (size_t i = 0; i < pa[o].intensity.size(); ++i) {
      err = std::max(err, std::abs(pa[o].intensity[i] - pb[o].intensity[i]));
      EXPECT_EQ(pa[o].intensity[i], pa2[o].intensity[i]);
    }
  EXPECT_LT(err, 1e-13);
  EXPECT_NEAR(total(pa[1].intensity), 1.0, 1e-3);
}

TEST(Multislice, BadInputIsNamed) {
  auto msg = [](auto&& f) -> std::string {
    try {
      f();
    } catch (const std::invalid_argument& e) {
      return e.what();
    }
    return "";
  };
  Structure empty;
  empty.cell = Cell::orthorhombic(10, 10, 10);
  EXPECT_NE(msg([&] { PeriodicMultislice(empty, ProbeSpec{}, MultisliceParams{}); }).find("no atoms"), std::string::npos);
  MultisliceParams mp;
  mp.pixel_A = 0.15;
  mp.s_max = 2.8;
  const std::string m1 = msg([&] { mp.check(); });
  EXPECT_NE(m1.find("s_max = 2.8"), std::string::npos) << m1;
  EXPECT_NE(m1.find("band limit"), std::string::npos) << m1;
  const Specimen sp = carbon_specimen(10);
  MultisliceParams w;
  w.window_A = 50;  // the 003 probe is 51 Å wide
  const std::string m2 = msg([&] { WindowedMultislice(sp, ProbeSpec{}, w); });
  EXPECT_NE(m2.find("window_A = 50"), std::string::npos) << m2;
  const Structure slab = amorphous_slab(10, 5, 0.1, {{"C", 1.0, 0.7}}, 4);
  Structure rect = slab;
  rect.cell = Cell::from_parameters(10, 12, 5, 90, 90, 90, {true, true, false});
  EXPECT_NE(msg([&] { PeriodicMultislice(rect, ProbeSpec{}, MultisliceParams{}); }).find("|a| = |b|"), std::string::npos);
  mp.s_max = 2.0;
  mp.slice_thickness_A = -1;
  EXPECT_NE(msg([&] { mp.check(); }).find("slice_thickness_A"), std::string::npos);
}
