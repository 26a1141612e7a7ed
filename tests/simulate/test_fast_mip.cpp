// Fast model, mean-inner-potential (MIP) phase of laterally inhomogeneous columns (fast_model.hpp, physics
// 4a): the uniform limit is the disc path bit for bit; the beam distribution |FT[P e^{iφ}]|² is normalised,
// shifted by a phase ramp by exactly (dφ/dx)/2π, and a square phase grating takes exactly sin²(Δφ/2) out of
// the zero order (independent analytic values); the model conserves the electrons it redistributes; the
// pattern source finds interfaces and samples the map there.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <complex>
#include <cstdio>
#include <numeric>

#include "fixtures/fast_model_setup.hpp"
#include "fixtures/two_phase_specimen.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/constants.hpp"

using namespace sedpdf;

namespace {

/// A column map of n × n pixels of `pixel` Å with the probe at the centre and t_m(x) given per material.
template <class F>
ColumnMap make_map(size_t n, double pixel, size_t nm, F t_of) {
  ColumnMap m;
  m.n = n;
  m.pixel_A = pixel;
  m.probe_x_A = m.probe_y_A = 0.5 * pixel * static_cast<double>(n);
  m.t.assign(nm, std::vector<double>(n * n, 0.0));
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j)
      for (size_t k = 0; k < nm; ++k) m.t[k][i * n + j] = t_of(k, static_cast<double>(j) * pixel, static_cast<double>(i) * pixel);
  return m;
}

const FastModel& shared_model() {
  static const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  static const FastModel fm(test_fixtures::fast_test_materials(), test_fixtures::fast_test_params(), det);
  return fm;
}

}  // namespace

TEST(FastMip, MeanInnerPotentialFromScatteringFactors) {
  // V₀ = C ρ ⟨f_e(0)⟩ — checked against the independent sum over atoms of the model (Lobato f_e(0)).
  const FastModel& fm = shared_model();
  for (size_t m = 0; m < fm.n_materials(); ++m) {
    const double v = fm.material(m).mean_inner_potential_V;
    EXPECT_GT(v, 5) << fm.material(m).name;  // solids: 5–30 V (Kirkland 2010 §5.2.1)
    EXPECT_LT(v, 40) << fm.material(m).name;
  }
}

TEST(FastMip, UniformMapIsTheDiscPathBitForBit) {
  const FastModel& fm = shared_model();
  const std::vector<double> t = {120.0, 80.0};
  const ColumnMap map = make_map(64, 1.0, 2, [&](size_t k, double, double) { return t[k]; });
  const BeamDistribution b = fm.beam(map);
  EXPECT_TRUE(b.uniform);
  EXPECT_EQ(b.phase_range_rad, 0.0);
  EXPECT_EQ(b.mean_t, t);
  std::vector<double> f1, f2;
  fm.mean_pattern(t, f1);
  fm.mean_pattern(map, f2);
  EXPECT_EQ(f1, f2);
  fm.pattern(t, 7, 3, f1);
  fm.pattern(map, 7, 3, f2);
  EXPECT_EQ(f1, f2);
  fm.profile_expected(t, 7, 3, f1);
  fm.profile_expected(map, 7, 3, f2);
  EXPECT_EQ(f1, f2);
  // A step with the MIP, the domain envelope (physics 4b, test_fast_domains.cpp) and the column classes
  // (physics 4c, test_fast_column_classes.cpp) switched off: the disc path at the thicknesses given as mean_t.
  FastModelParams p = test_fixtures::fast_test_params();
  p.mean_inner_potential = false;
  p.domain_envelope = false;
  p.column_classes = false;
  const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  const FastModel off(test_fixtures::fast_test_materials(), p, det);
  ColumnMap step = make_map(64, 1.0, 2, [](size_t k, double x, double) { return (x < 32) == (k == 0) ? 100.0 : 0.0; });
  step.mean_t = {50, 50};
  const BeamDistribution bo = off.beam(step);
  EXPECT_TRUE(bo.uniform);
  EXPECT_GT(bo.phase_range_rad, 0.01);
  off.mean_pattern(step, f2);
  off.mean_pattern({50, 50}, f1);
  EXPECT_EQ(f1, f2);
}

TEST(FastMip, BeamIsNormalisedAndARampShiftsIt) {
  ProbeSpec pr;  // 200 kV, 0.6 mrad
  const WaveGrid g{128, 0.8};
  const double L = g.extent_A();
  // Random phase: Σ B = 1 (Parseval).
  std::vector<double> phi(g.n * g.n);
  for (size_t i = 0; i < phi.size(); ++i) phi[i] = 3 * std::sin(0.37 * static_cast<double>(i) + 0.001 * static_cast<double>(i * i));
  std::vector<double> b = beam_angular_distribution(pr, g, 40, 50, phi);
  EXPECT_NEAR(std::accumulate(b.begin(), b.end(), 0.0), 1.0, 1e-12);
  // Linear ramp φ = 2π m x / L (periodic on the grid): the beam moves by exactly m/L = (dφ/dx)/(2π).
  for (int m : {3, -5}) {
    for (size_t i = 0; i < g.n; ++i)
      for (size_t j = 0; j < g.n; ++j) phi[i * g.n + j] = 2 * kPi * m * static_cast<double>(j) * g.pixel_A / L;
    b = beam_angular_distribution(pr, g, 50, 50, phi);
    double cx = 0, cy = 0, tot = 0;
    for (size_t i = 0; i < g.n; ++i)
      for (size_t j = 0; j < g.n; ++j) {
        cx += b[i * g.n + j] * g.freq(j);
        cy += b[i * g.n + j] * g.freq(i);
        tot += b[i * g.n + j];
      }
    EXPECT_NEAR(tot, 1.0, 1e-12);
    EXPECT_NEAR(cx, m / L, 1e-12) << m;
    EXPECT_NEAR(cy, 0.0, 1e-12) << m;
  }
}

TEST(FastMip, SquareGratingTakesSinSquaredOutOfTheZeroOrder) {
  // A 50 % square phase grating ±Δφ/2 of period p: e^{iφ} = cos(Δφ/2) + i sin(Δφ/2)·sq(x), sq = ±1 with zero
  // mean, so the zero order keeps cos²(Δφ/2) and sin²(Δφ/2) leaves it (independent of the probe as long as the
  // orders, 1/p apart, do not overlap the disc of radius α/λ: 1/p = 0.078 > 3·0.024 Å⁻¹).
  const size_t n = 256;
  const double pixel = 0.4, p = 12.8;  // L = 102.4 Å = 8 periods
  const double s_alpha = 0.6e-3 / electron_wavelength(200e3);
  for (double dphi : {0.05, 0.3, 1.0}) {
    const WaveGrid g{n, pixel};
    std::vector<double> phi(n * n);
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) phi[i * n + j] = (std::fmod(static_cast<double>(j) * pixel + 0.5 * pixel, p) < p / 2) ? dphi / 2 : -dphi / 2;
    const std::vector<double> b = beam_angular_distribution(ProbeSpec(), g, 51.2, 51.2, phi);
    double zero = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j)
        if (std::hypot(g.freq(j), g.freq(i)) <= s_alpha) zero += b[i * n + j];
    EXPECT_NEAR(zero, std::pow(std::cos(dphi / 2), 2), 1e-10) << dphi;
  }
}

TEST(FastMip, ThicknessGratingInTheModel) {
  // The model with a thickness grating of material 0 (square wave, Δt for a phase step Δφ). Its phase is the
  // coarse potential: per harmonic k/p the step's spectrum × ⟨f_e(k/p)⟩/⟨f_e(0)⟩ (the atomic size) — the
  // expected orders |c_k|² are computed here independently: composition averages of the Lobato factors, a
  // direct DFT of one 32-sample period, e^{iφ̃}, a direct DFT again. Projection (mip_thick_object off): what
  // leaves the zero order is Σ_{k≠0} |c_k|² (→ sin²(Δφ/2) without the smoothing). Thick object (default):
  // each order × sinc²(πλg²T/2) (a kinematic rod of length T = the thickest column).
  FastModelParams prm = test_fixtures::fast_test_params();
  prm.mip_thick_object = false;
  const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  const FastModel fm(test_fixtures::fast_test_materials(), prm, det);
  const FastModel& thick = shared_model();
  const size_t n = 256;
  const double pixel = 0.4, p = 12.8;
  const double sigma = interaction_constant(200e3), v0 = fm.material(0).mean_inner_potential_V;
  const double lambda = electron_wavelength(200e3);
  const auto sf = make_scattering_factors(Radiation::Electron);
  const Composition comp = Composition::of(test_fixtures::oxide_model());
  const double f0 = composition_averages(*sf, comp, 0.0).f_mean;
  for (double dphi : {0.05, 0.3, 1.0}) {
    const double dt = dphi / (sigma * v0);
    const ColumnMap map = make_map(n, pixel, 2, [&](size_t k, double x, double) {
      if (k == 1) return 0.0;
      return (std::fmod(x + 0.5 * pixel, p) < p / 2) ? 150 + dt / 2 : 150 - dt / 2;
    });
    // Expected orders: φ̃_j = Σ_k φ_k F(|k|/p) e^{2πijk/32}, c_k = DFT of e^{iφ̃}.
    std::vector<double> sq(32), phs(32);
    for (int j = 0; j < 32; ++j) sq[static_cast<size_t>(j)] = (std::fmod(j * pixel + 0.5 * pixel, p) < p / 2) ? dphi / 2 : -dphi / 2;
    for (int j = 0; j < 32; ++j) {
      std::complex<double> acc = 0;
      for (int k = -15; k <= 16; ++k) {
        std::complex<double> ck = 0;
        for (int l = 0; l < 32; ++l) ck += sq[static_cast<size_t>(l)] * std::polar(1.0, -2 * kPi * l * k / 32.0) / 32.0;
        const double F = composition_averages(*sf, comp, std::abs(k) / p).f_mean / f0;
        acc += ck * F * std::polar(1.0, 2 * kPi * j * k / 32.0);
      }
      phs[static_cast<size_t>(j)] = acc.real();
    }
    double expect_proj = 0, expect_thick = 0;
    const double T = 150 + dt / 2;
    for (int k = -15; k <= 16; ++k) {
      if (k == 0) continue;
      std::complex<double> c = 0;
      for (int j = 0; j < 32; ++j) c += std::polar(1.0, phs[static_cast<size_t>(j)] - 2 * kPi * j * k / 32.0) / 32.0;
      const double gk = k / p, x = kPi * lambda * gk * gk * T / 2;
      expect_proj += std::norm(c);
      expect_thick += std::norm(c) * std::pow(std::sin(x) / x, 2);
    }
    const BeamDistribution bd = fm.beam(map);
    ASSERT_FALSE(bd.uniform);
    EXPECT_NEAR(bd.phase_range_rad, dphi, 1e-9);
    EXPECT_NEAR(bd.mean_t[0], 150, 0.1 * dt) << dphi;  // probe-weighted mean of the grating
    EXPECT_NEAR(bd.b_hat[0], 1.0, 1e-12) << dphi;       // Σ B = 1
    // The first annulus (0–0.03 Å⁻¹) holds the disc; the orders (from 0.049 Å⁻¹ with the pixel spread) lie
    // beyond: what the beam gains beyond the first annulus is what left the zero order.
    const double out = std::accumulate(bd.delta_annuli.begin() + 1, bd.delta_annuli.end(), 0.0);
    EXPECT_NEAR(out, expect_proj, 1e-4 * expect_proj) << dphi;  // F interpolated on the model grid: ~1e-5
    EXPECT_LT(out, std::pow(std::sin(dphi / 2), 2)) << dphi;
    EXPECT_NEAR(std::accumulate(bd.delta_annuli.begin(), bd.delta_annuli.end(), 0.0), 0.0, 1e-10) << dphi;
    // The model redistributes and does not lose electrons: total over the annuli (to 2.1 Å⁻¹) as for the disc
    // path, within 1e-4 (the orders, out to 1.25 Å⁻¹, carry a little more scattered intensity past 2.1 Å⁻¹).
    std::vector<double> tot_map, coh_map, tot_disc, coh_disc;
    fm.annuli(bd, tot_map, coh_map);
    fm.annuli(bd.mean_t, tot_disc, coh_disc);
    EXPECT_NEAR(std::accumulate(tot_map.begin(), tot_map.end(), 0.0), std::accumulate(tot_disc.begin(), tot_disc.end(), 0.0), 1e-4);
    EXPECT_LT(tot_map[0], tot_disc[0]);  // less stays near the axis
    const BeamDistribution bt = thick.beam(map);
    const double thick_out = std::accumulate(bt.delta_annuli.begin() + 1, bt.delta_annuli.end(), 0.0);
    EXPECT_NEAR(thick_out, expect_thick, 1e-4 * expect_thick) << dphi;
    EXPECT_LT(thick_out, out) << dphi;
    EXPECT_NEAR(bt.b_hat[0], 1.0, 1e-12) << dphi;
    std::printf("grating dphi %.2f: sin² %.6f, projection %.6f (expected %.6f), thick object %.6f (expected %.6f)\n", dphi,
                std::pow(std::sin(dphi / 2), 2), out, expect_proj, thick_out, expect_thick);
  }
}

TEST(FastMip, PatternSourceFindsInterfacesAndSamplesTheMap) {
  // Half-spaces split at x = 300 Å in a 600 Å field, 200 Å thick: windows (4 probe diameters ≈ 205 Å) away
  // from the interface and the field edges are homogeneous; on the interface the map is sampled.
  const Specimen sp(test_fixtures::two_phase_spec(600, 200));
  const DetectorModel det(test_fixtures::fast_test_detector(48, 0.05), electron_wavelength(200e3));
  const FastModel fm(test_fixtures::fast_test_materials(), test_fixtures::fast_test_params(), det);
  ScanSpec sc;
  sc.x0_A = 150;
  sc.y0_A = 300;
  sc.step_A = 75;  // x = 150, 225, 300, 375, 450
  sc.nx = 5;
  sc.ny = 1;
  FastPatternSource src(fm, sp, sc, {0, 1}, -1, 10, 3);
  EXPECT_FALSE(src.inhomogeneous(0, 0));
  EXPECT_TRUE(src.inhomogeneous(0, 1));  // the interface at 300 lies 75 Å away, inside the window
  EXPECT_TRUE(src.inhomogeneous(0, 2));
  EXPECT_FALSE(src.inhomogeneous(0, 4));
  // Homogeneous position: exactly the disc path.
  std::vector<std::vector<double>> f;
  std::vector<double> ref;
  src.compute(0, 0, 150, 300, f);
  fm.pattern(src.thickness(0, 0), 3, 0, ref);
  EXPECT_EQ(f[0], ref);
  // On the interface: the map has the two phases left and right of x = 300 Å (sampled exactly per pixel
  // across the interface, interpolated elsewhere).
  const ColumnMap map = src.column_map(0, 2);
  ASSERT_EQ(map.t.size(), 2u);
  const double x0 = 300 - 0.5 * map.pixel_A * static_cast<double>(map.n);
  for (size_t j = 0; j < map.n; j += 7) {
    const double x = x0 + static_cast<double>(j) * map.pixel_A;
    const size_t i = map.n / 3;
    const ColumnThickness c = sp.column_thickness(x, 300 - 0.5 * map.pixel_A * static_cast<double>(map.n) +
                                                          static_cast<double>(i) * map.pixel_A);
    EXPECT_NEAR(map.t[0][i * map.n + j], c.phase[0], 1e-9) << x;
    EXPECT_NEAR(map.t[1][i * map.n + j], c.phase[1], 1e-9) << x;
  }
  EXPECT_EQ(map.mean_t, src.thickness(0, 2));
  src.compute(0, 2, 300, 300, f);
  std::vector<double> disc;
  fm.pattern(src.thickness(0, 2), 3, 2, disc);
  EXPECT_NE(f[0], disc);  // the MIP path
  EXPECT_NEAR(std::accumulate(f[0].begin(), f[0].end(), 0.0), std::accumulate(disc.begin(), disc.end(), 0.0), 0.02);
}

TEST(FastMip, BadMaps) {
  const FastModel& fm = shared_model();
  ColumnMap m = make_map(64, 1.0, 2, [](size_t, double, double) { return 10.0; });
  ColumnMap wrong = m;
  wrong.t.pop_back();
  EXPECT_THROW(fm.beam(wrong), std::invalid_argument);
  wrong = m;
  wrong.t[1][5] = -1;
  EXPECT_THROW(fm.beam(wrong), std::invalid_argument);
  wrong = m;
  wrong.t[0].pop_back();
  EXPECT_THROW(fm.beam(wrong), std::invalid_argument);
  wrong = m;
  wrong.mean_t = {1};
  EXPECT_THROW(fm.beam(wrong), std::invalid_argument);
  // A 32 Å grid does not resolve the 0.024 Å⁻¹ aperture (make_probe refuses), once the phase is not uniform.
  ColumnMap small = make_map(32, 1.0, 2, [](size_t k, double x, double) { return k == 0 && x < 16 ? 50.0 : 0.0; });
  EXPECT_THROW(fm.beam(small), std::invalid_argument);
}

// By hand (no assertion on time): per-pattern cost of a MIP column against a uniform one on the 003 detector.
TEST(FastMip, DISABLED_TimingByHand) {
  DetectorSpec d;
  d.layout = "quad_medipix3";
  d.ds = 0.011;
  d.dose_e_per_A2 = 10;
  d.step_A = 55;
  const DetectorModel det(d, electron_wavelength(200e3));
  const FastModel fm(test_fixtures::fast_test_materials(), test_fixtures::fast_test_params(), det);
  const Specimen sp(test_fixtures::two_phase_spec(800, 300));
  ScanSpec sc;
  sc.x0_A = 300;
  sc.y0_A = 400;
  sc.step_A = 100;
  sc.nx = 3;
  sc.ny = 1;
  auto t0 = std::chrono::steady_clock::now();
  FastPatternSource src(fm, sp, sc, {0, 1}, -1, 50, 3);
  auto sec = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
  std::printf("source set-up %.3f s; inhomogeneous: %d %d %d\n", sec(), src.inhomogeneous(0, 0), src.inhomogeneous(0, 1),
              src.inhomogeneous(0, 2));
  std::vector<double> f;
  const int reps = 10;
  t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; ++k) fm.pattern(src.thickness(0, 1), 3, static_cast<uint64_t>(k), f);
  std::printf("uniform pattern %.4f s\n", sec() / reps);
  t0 = std::chrono::steady_clock::now();
  ColumnMap map;
  for (int k = 0; k < reps; ++k) map = src.column_map(0, 1);
  std::printf("column map (%zu²) %.4f s\n", map.n, sec() / reps);
  t0 = std::chrono::steady_clock::now();
  BeamDistribution b;
  for (int k = 0; k < reps; ++k) b = fm.beam(map);
  std::printf("beam %.4f s (phase range %.3f rad)\n", sec() / reps, b.phase_range_rad);
  {
    const WaveGrid g{map.n, map.pixel_A};
    std::vector<double> ph(map.n * map.n, 0.0);
    t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < reps; ++k) make_probe(ProbeSpec(), g, 100, 100);
    std::printf("  make_probe %.4f s\n", sec() / reps);
    t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < reps; ++k) beam_angular_distribution(ProbeSpec(), g, 100, 100, ph);
    std::printf("  beam_angular_distribution %.4f s\n", sec() / reps);
  }
  t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; ++k) fm.pattern(b, 3, static_cast<uint64_t>(k), f);
  std::printf("pattern from the beam %.4f s\n", sec() / reps);
  {  // the same with the column classes (physics 4c, an option), in the same run
    FastModelParams p_off = test_fixtures::fast_test_params();
    p_off.column_classes = true;
    const FastModel fm_off(test_fixtures::fast_test_materials(), p_off, det);
    t0 = std::chrono::steady_clock::now();
    BeamDistribution bo;
    for (int k = 0; k < reps; ++k) bo = fm_off.beam(map);
    std::printf("beam with column classes %.4f s (%zu classes)\n", sec() / reps, bo.class_weight.size());
    t0 = std::chrono::steady_clock::now();
    for (int k = 0; k < reps; ++k) fm_off.pattern(bo, 3, static_cast<uint64_t>(k), f);
    std::printf("pattern from the beam with column classes %.4f s\n", sec() / reps);
  }
  std::vector<std::vector<double>> fr;
  t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; ++k) src.compute(0, 1, 400, 400, fr);
  std::printf("source compute (MIP position) %.4f s\n", sec() / reps);
  t0 = std::chrono::steady_clock::now();
  for (int k = 0; k < reps; ++k) src.profile_expected(0, 1, 3, f);
  std::printf("source profile (MIP position) %.4f s\n", sec() / reps);
}
