// Inelastic model: characteristic angle, Poisson weights, plasmon kernel (normalisation, shape, Hankel
// transform), redistribution conserving intensity, Lenz background limits and thickness dependence,
// Hartree–Fock incoherent scattering functions (Balyuzi 1975) against exact and bounding relations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numeric>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/inelastic.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/constants.hpp"

using namespace sedpdf;

namespace {
InelasticMaterial oxide() {
  InelasticMaterial m;
  m.name = "glass";
  m.plasmon_energy_eV = 23;
  m.plasmon_mfp_A = 1200;
  m.mass_density_g_cm3 = 2.6;
  m.number_density = 0.08;
  m.composition = {{Element::parse("O"), 0.6}, {Element::parse("P"), 0.4}};
  return m;
}
}  // namespace

TEST(Inelastic, CharacteristicAngleMatchesEgertonT) {
  // Egerton 2011 Table/eq. 3.28: θ_E = E/(2γT), T = m₀v²/2 = 123.6 keV at E₀ = 200 keV.
  const double gamma = lorentz_factor(200e3);
  const double theta = characteristic_angle(20, 200e3);
  EXPECT_NEAR(theta, 20 / (2 * gamma * 123.6e3), 1e-3 * theta);
  EXPECT_NEAR(theta * 1e3, 0.0582, 0.0005);  // mrad
  EXPECT_NEAR(plasmon_cutoff_angle(23, 200e3), std::sqrt(23 / 200e3), 1e-15);
}

TEST(Inelastic, IakoubovskiiCarbon) {
  // Amorphous carbon, ρ = 2 g/cm³, 200 kV, large β: λ ≈ 155 nm (hand evaluation of eq. 8–9).
  const double l = inelastic_mfp_iakoubovskii(2.0, 200e3, 0.0, 1000.0);
  EXPECT_NEAR(l, 1546, 15);
}

TEST(Inelastic, PoissonWeightsSumToOneWithMeanX) {
  for (double x : {0.0, 0.3, 1.7, 4.0}) {
    const size_t n = poisson_terms(x, 1e-14);
    const auto w = poisson_weights(x, n);
    double s = 0, m = 0;
    for (size_t k = 0; k < w.size(); ++k) {
      s += w[k];
      m += static_cast<double>(k) * w[k];
    }
    EXPECT_NEAR(s, 1.0, 1e-13) << x;
    EXPECT_NEAR(m, x, 1e-12) << x;
  }
  EXPECT_THROW(poisson_weights(-1, 3), std::invalid_argument);
}

TEST(Inelastic, PlasmonKernelNormalisedWithLogProfile) {
  const double lambda = electron_wavelength(200e3);
  const double sE = characteristic_angle(23, 200e3) / lambda, sc = plasmon_cutoff_angle(23, 200e3) / lambda;
  const double ds = 0.011;
  size_t R = 0;
  const auto k = plasmon_kernel_2d(sE, sc, ds, R);
  const size_t w = 2 * R + 1;
  EXPECT_NEAR(std::accumulate(k.begin(), k.end(), 0.0), 1.0, 1e-12);
  // Fraction inside radius ρ (pixel centres) vs the analytic ln(1 + s²/s_E²)/ln(1 + s_c²/s_E²).
  for (double rad_px : {5.5, 12.5, 25.5}) {
    double in = 0;
    for (size_t i = 0; i < w; ++i)
      for (size_t j = 0; j < w; ++j) {
        const double r = std::hypot(double(i) - double(R), double(j) - double(R));
        if (r < rad_px) in += k[i * w + j];
      }
    EXPECT_NEAR(in, plasmon_kernel_fraction(rad_px * ds, sE, sc), 0.01) << rad_px;
  }
  // Symmetric.
  EXPECT_DOUBLE_EQ(k[(R + 3) * w + R + 1], k[(R - 1) * w + R + 3]);
}

TEST(Inelastic, PlasmonKernelHankelMatchesDirectQuadrature) {
  const double sE = 0.0023, sc = 0.43;
  EXPECT_DOUBLE_EQ(plasmon_kernel_hankel(0, sE, sc), 1.0);
  for (double q : {0.5, 3.0, 20.0}) {
    // Direct: ∫₀^{s_c} J₀(2πqs) s/(s² + s_E²) ds on a fine, geometrically graded grid (trapezoid).
    double num = 0;
    double s0 = 0, f0 = 0;
    for (int i = 1; i <= 400000; ++i) {
      const double s = sc * std::pow(double(i) / 400000.0, 3.0);
      const double f = std::cyl_bessel_j(0.0, 2 * kPi * q * s) * s / (s * s + sE * sE);
      num += 0.5 * (f + f0) * (s - s0);
      s0 = s;
      f0 = f;
    }
    const double ref = num / (0.5 * std::log1p(sc * sc / (sE * sE)));
    EXPECT_NEAR(plasmon_kernel_hankel(q, sE, sc), ref, 2e-4) << q;
  }
}

TEST(Inelastic, DeltaPatternGivesKernelShapeAndConservesIntensity) {
  InelasticParams p;
  p.incoherent = false;
  InelasticMaterial m = oxide();
  p.materials = {m};
  ReciprocalGrid g{129, 129, 0.02, 64, 64};
  std::vector<double> img(129 * 129, 0.0);
  img[64 * 129 + 64] = 1.0;
  const double t = 1.2;  // x = t/λ_p = 1e-3
  apply_inelastic(p, {t}, g, img);
  EXPECT_NEAR(std::accumulate(img.begin(), img.end(), 0.0), 1.0, 1e-10);
  const double x = t / m.plasmon_mfp_A;
  const double lambda = electron_wavelength(200e3);
  size_t R = 0;
  const auto k = plasmon_kernel_2d(characteristic_angle(23, 200e3) / lambda, plasmon_cutoff_angle(23, 200e3) / lambda,
                                   0.02, R);
  const size_t w = 2 * R + 1;
  for (int di : {0, 1, 3, 10}) {
    const double got = img[(64 + di) * 129 + 64 + 1];
    const double want = x * std::exp(-x) * k[(R + di) * w + R + 1];
    EXPECT_NEAR(got, want, 2e-3 * want + 1e-14) << di;
  }
  EXPECT_NEAR(img[64 * 129 + 64], std::exp(-x) + x * std::exp(-x) * k[R * w + R], 1e-7);  // + O(x²)

  // A broad pattern, thick specimen (x = 1): conserved up to the multiple-plasmon tail that leaves the
  // grid (6+ events of 22 px reach: P < 6e-4, and only their tails get out).
  ReciprocalGrid g2{257, 257, 0.02, 128, 128};
  std::vector<double> wide(257 * 257, 0.0);
  for (size_t i = 0; i < 257; ++i)
    for (size_t j = 0; j < 257; ++j)
      wide[i * 257 + j] = std::exp(-(std::pow(double(i) - 128, 2) + std::pow(double(j) - 128, 2)) / 50.0);
  const double before = std::accumulate(wide.begin(), wide.end(), 0.0);
  apply_inelastic(p, {1200}, g2, wide);
  EXPECT_NEAR(std::accumulate(wide.begin(), wide.end(), 0.0), before, 1e-6 * before);
}

TEST(Inelastic, LenzLargeAngleLimitAndLinearBackground) {
  // θ ≫ θ₀, θ_E: dσ/dΩ → 4γ²Z/(a₀²k₀⁴θ⁴) (scattering by Z free electrons).
  const double gamma = lorentz_factor(200e3), k0 = 2 * kPi / electron_wavelength(200e3), a0 = 0.529177210903;
  const double th = 0.3;
  const double lim = 4 * gamma * gamma * 6 / (a0 * a0 * std::pow(k0, 4) * std::pow(th, 4));
  EXPECT_NEAR(lenz_inelastic_dcs(6, th, 200e3), lim, 1e-3 * lim);
  // ∫ over θ > θ_c equals the analytic large-angle form within the bracket's correction.
  const double sig = lenz_inelastic_cross_section(6, 200e3, 0.1, 0.5);
  const double sig_lim = kPi * 4 * gamma * gamma * 6 / (a0 * a0 * std::pow(k0, 4)) * (1 / 0.01 - 1 / 0.25);
  EXPECT_NEAR(sig, sig_lim, 2e-3 * sig_lim);

  InelasticParams p;
  p.plasmon = false;
  p.join = InelasticJoin::Cutoff;  // the linear background of the cutoff join
  p.materials = {oxide()};
  ReciprocalGrid g{101, 101, 0.03, 50, 50};
  std::vector<double> a(101 * 101, 0.0), b(101 * 101, 0.0);
  a[50 * 101 + 50] = b[50 * 101 + 50] = 1.0;
  apply_inelastic(p, {500}, g, a);
  apply_inelastic(p, {1000}, g, b);
  const size_t far = 50 * 101 + 95;  // s = 1.35 Å⁻¹
  EXPECT_GT(a[far], 0);
  EXPECT_NEAR(b[far], 2 * a[far], 1e-12 * a[far]);
  const double pi = incoherent_probability_per_A(oxide(), p);
  EXPECT_NEAR(a[50 * 101 + 50], 1 - 500 * pi, 1e-12);
}

TEST(Inelastic, LenzSmallAngleLorentzianAndClosedFormIntegral) {
  // Egerton 2011 eq. 3.15 with q² = k₀²(θ² + θ̄_E²), (q r₀)² = (θ² + θ̄_E²)/θ₀²: for θ̄_E ≪ θ ≪ θ₀ the bracket
  // is 2(θ² + θ̄_E²)/θ₀², so dσ/dΩ → 8γ²Z/(a₀²k₀⁴θ₀²(θ² + θ̄_E²)) (a Lorentzian, Egerton's small-angle form).
  const double gamma = lorentz_factor(200e3), k0 = 2 * kPi / electron_wavelength(200e3), a0 = 0.529177210903;
  const int Z = 8;
  const double th0 = std::cbrt(double(Z)) / (k0 * a0);
  const double gmv2 = 200e3 * (2 * 510998.95 + 200e3) / (510998.95 + 200e3);  // γm₀v² (eV)
  const double thE = 13.5 * Z / 2 / gmv2;
  const double pref = 4 * gamma * gamma * Z / (a0 * a0 * std::pow(k0, 4));
  const double th = 0.05 * th0;  // 0.77 mrad ≫ θ̄_E = 0.15 mrad
  const double lorentz = 2 * pref / (th0 * th0 * (th * th + thE * thE));
  EXPECT_NEAR(lenz_inelastic_dcs(Z, th, 200e3), lorentz, 0.01 * lorentz);
  // The integral over θ_lo … θ_hi in closed form: with u = θ² + θ̄_E², dΩ = π du and
  // ∫ (u + 2θ₀²)/(u(u + θ₀²)²) du = (2/θ₀²) ln(u/(u + θ₀²)) + 1/(u + θ₀²).
  auto F = [&](double t) {
    const double u = t * t + thE * thE;
    return 2 / (th0 * th0) * std::log(u / (u + th0 * th0)) + 1 / (u + th0 * th0);
  };
  for (auto [lo, hi] : {std::pair{1e-4, 0.5}, std::pair{0.0107, 0.5}, std::pair{0.002, 0.02}}) {
    const double exact = kPi * pref * (F(hi) - F(lo));
    EXPECT_NEAR(lenz_inelastic_cross_section(Z, 200e3, lo, hi), exact, 1e-6 * exact) << lo << " .. " << hi;
  }
}

TEST(Inelastic, HartreeFockIncoherentFunction) {
  const XrayFactors xf;
  // Hydrogen: the exact free 1s atom, S = 1 − F², F = (1 + (πa₀s)²)⁻² (IT92's H is the bonded atom of
  // Stewart, Davidson & Simpson 1965, so it is no check here).
  const double a0 = 0.529177210903;
  for (double s : {0.1, 0.5, 1.0, 2.0}) {
    const double F = 1 / std::pow(1 + std::pow(kPi * a0 * s, 2), 2);
    EXPECT_NEAR(incoherent_scattering_function(1, s), 1 - F * F, 1e-12) << s;
  }
  // Helium: two electrons in one spatial orbital, no exchange term (opposite spins), so the Waller–Hartree
  // S = 2 − 2f₁ₛ² = 2 − f₀²/2 exactly; f₀ from the independent IT92 X-ray table.
  for (double s = 0; s <= 6.0; s += 0.25) {
    const double f0 = xf.f(Element::from_z(2), s);
    EXPECT_NEAR(incoherent_scattering_function(2, s), 2 - f0 * f0 / 2, 0.03) << s;
  }
  // Every element of the project's materials: S(0) = 0, S rises monotonically to Z, and lies below the
  // Cauchy–Schwarz bound S ≤ Z − Σⱼf_jj² ≤ Z − f₀²/Z (equal for one occupied orbital; IT92 f₀), within the
  // fits' accuracy (0.03 e).
  for (int Z : {6, 7, 8, 9, 11, 13, 15, 30}) {
    EXPECT_NEAR(incoherent_scattering_function(Z, 0.0), 0.0, 1e-12) << Z;
    double prev = 0;
    for (double s = 0.05; s <= 6.0; s += 0.05) {
      const double S = incoherent_scattering_function(Z, s);
      const double f0 = xf.f(Element::from_z(Z), s);
      EXPECT_LE(S, Z - f0 * f0 / Z + 0.03) << "Z " << Z << " s " << s;
      EXPECT_GT(S, prev) << "Z " << Z << " s " << s;
      prev = S;
    }
    EXPECT_NEAR(incoherent_scattering_function(Z, 40.0), Z, 1e-3 * Z) << Z;
  }
  EXPECT_THROW(incoherent_scattering_function(93, 1.0), std::invalid_argument);
  EXPECT_THROW(incoherent_scattering_function(8, -1.0), std::invalid_argument);
}

TEST(Inelastic, HartreeFockAgainstLenz) {
  // Both use the Morse/Bethe form 4γ²S/(a₀²q⁴); the Lenz S is Z[1 − 1/(1 + (q r₀)²)²] (tested above against
  // Egerton's closed forms), so the ratio of the cross-sections is the ratio of the S functions, and both
  // reach the free-electron limit 4γ²Z/(a₀²k₀⁴θ⁴) at large angles.
  const double lambda = electron_wavelength(200e3), a0 = 0.529177210903;
  for (int Z : {8, 15, 30}) {
    const double r0 = a0 / std::cbrt(double(Z));
    for (double s : {0.4, 0.7, 1.0}) {
      const double theta = lambda * s;  // θ̄_E ≪ θ here: q ≈ 2πs
      const double x = std::pow(2 * kPi * s * r0, 2);
      const double ratio_exact = incoherent_scattering_function(Z, s) / (Z * (1 - 1 / ((1 + x) * (1 + x))));
      const double ratio = incoherent_dcs(IncoherentModel::HartreeFock, Z, theta, 200e3) /
                           incoherent_dcs(IncoherentModel::Lenz, Z, theta, 200e3);
      EXPECT_NEAR(ratio, ratio_exact, 0.01 * ratio_exact) << Z << " " << s;
      // Lenz is the upper estimate at mid angles: 1.3–1.8 × Hartree–Fock for O, P, Zn.
      EXPECT_GT(1 / ratio, 1.2) << Z << " " << s;
      EXPECT_LT(1 / ratio, 2.0) << Z << " " << s;
    }
    const double th = 0.3;
    const double hf = incoherent_dcs(IncoherentModel::HartreeFock, Z, th, 200e3);
    const double lz = incoherent_dcs(IncoherentModel::Lenz, Z, th, 200e3);
    // (Zn: its K shell, bound by 9.7 keV, is not yet free at s = 12 Å⁻¹: the Hartree–Fock S is 2 % below Z.)
    EXPECT_NEAR(hf, lz, (Z == 30 ? 0.03 : 2e-3) * lz) << Z;
    // The cross-section integral is the same quadrature of the same dcs.
    const double hf_sigma = incoherent_cross_section(IncoherentModel::HartreeFock, Z, 200e3, 0.0107, 0.5);
    const double lz_sigma = incoherent_cross_section(IncoherentModel::Lenz, Z, 200e3, 0.0107, 0.5);
    EXPECT_NEAR(lz_sigma, lenz_inelastic_cross_section(Z, 200e3, 0.0107, 0.5), 1e-12 * lz_sigma);
    EXPECT_LT(hf_sigma, lz_sigma);
    EXPECT_GT(hf_sigma, 0.5 * lz_sigma);
  }
  // A material's background probability per Å: ρ Σ c_a σ_a(θ > θ_c) with the chosen model, θ_c = (E_p/E₀)^{1/2}.
  InelasticParams p;
  const double tc = plasmon_cutoff_angle(23, 200e3);
  for (IncoherentModel model : {IncoherentModel::HartreeFock, IncoherentModel::Lenz}) {
    p.incoherent_model = model;
    const double expect = 0.08 * (0.6 * incoherent_cross_section(model, 8, 200e3, tc, 0.5) +
                                  0.4 * incoherent_cross_section(model, 15, 200e3, tc, 0.5));
    EXPECT_NEAR(incoherent_probability_per_A(oxide(), p), expect, 1e-12 * expect);
  }
  EXPECT_EQ(parse_incoherent_model("lenz"), IncoherentModel::Lenz);
  EXPECT_EQ(parse_incoherent_model(incoherent_model_name(IncoherentModel::HartreeFock)), IncoherentModel::HartreeFock);
  EXPECT_THROW(parse_incoherent_model("compton"), std::invalid_argument);
}

TEST(Inelastic, BadInput) {
  InelasticParams p;
  p.materials = {oxide()};
  ReciprocalGrid g{8, 8, 0.02, 4, 4};
  std::vector<double> img(64, 0.0);
  EXPECT_THROW(apply_inelastic(p, {-1.0}, g, img), std::invalid_argument);
  EXPECT_THROW(apply_inelastic(p, {1.0, 2.0}, g, img), std::invalid_argument);
  std::vector<double> wrong(10, 0.0);
  EXPECT_THROW(apply_inelastic(p, {1.0}, g, wrong), std::invalid_argument);
  p.materials[0].plasmon_mfp_A = 0;
  p.materials[0].mass_density_g_cm3 = 0;
  EXPECT_THROW(plasmon_mfp(p.materials[0], p), std::invalid_argument);
}

namespace {
/// ∫ f(s) 2πs ds over [a, b] by Simpson's rule in u = ln s (f smooth there).
template <class F>
double disc_integral(F&& f, double a, double b, size_t n = 20000) {
  const double ua = std::log(a), ub = std::log(b), h = (ub - ua) / static_cast<double>(n);
  double sum = 0;
  for (size_t k = 0; k <= n; ++k) {
    const double s = std::exp(ua + h * static_cast<double>(k));
    const double w = (k == 0 || k == n) ? 1.0 : (k % 2 ? 4.0 : 2.0);
    sum += w * f(s) * 2 * kPi * s * s;
  }
  return sum * h / 3;
}
}  // namespace

TEST(Inelastic, ContinuousJoinHandsOverWhereTheDensitiesMeet) {
  InelasticParams p;  // defaults: both parts on, continuous join, Hartree–Fock S
  EXPECT_EQ(p.join, InelasticJoin::Continuous);
  const InelasticMaterial m = oxide();
  p.materials = {m};
  const double lambda = electron_wavelength(p.energy_eV);
  const InelasticEvents e = inelastic_events(m, p);
  EXPECT_NEAR(e.s_c, plasmon_cutoff_angle(23, 200e3) / lambda, 1e-12);
  EXPECT_NEAR(e.s_E, characteristic_angle(23, 200e3) / lambda, 1e-12);
  // The Lorentzian lies above the closure density at s_c, so the two meet below it.
  EXPECT_GT(plasmon_density(m, p, e.s_c), closure_density(m, p, e.s_c));
  ASSERT_TRUE(e.crossing);
  EXPECT_LT(e.s_x, e.s_c);
  EXPECT_GT(e.s_x, 0.5 * e.s_c);
  EXPECT_NEAR(plasmon_density(m, p, e.s_x), closure_density(m, p, e.s_x), 1e-9 * closure_density(m, p, e.s_x));
  // The joint density is continuous at s_x (a kink, no step) and equals each part on its side.
  const double below = joint_density(e, m, p, e.s_x * (1 - 1e-7)), above = joint_density(e, m, p, e.s_x * (1 + 1e-7));
  EXPECT_NEAR(below, above, 1e-5 * above);
  EXPECT_DOUBLE_EQ(joint_density(e, m, p, 0.1), plasmon_density(m, p, 0.1));
  EXPECT_DOUBLE_EQ(joint_density(e, m, p, 1.0), closure_density(m, p, 1.0));
  EXPECT_EQ(joint_density(e, m, p, 0.6 / lambda), 0.0);  // beyond 0.5 rad
  // The Lorentzian's normalisation: ∫₀^{s_c} = 1/λ_p; the core's rate is its integral to s_x; the tail's
  // rate the closure density's integral from s_x to 0.5 rad (numerically, in ln s).
  EXPECT_NEAR(disc_integral([&](double s) { return plasmon_density(m, p, s); }, 1e-7, e.s_c), 1 / m.plasmon_mfp_A,
              1e-6 / m.plasmon_mfp_A);
  EXPECT_NEAR(disc_integral([&](double s) { return plasmon_density(m, p, s); }, 1e-7, e.s_x), e.lorentz_per_A,
              1e-6 * e.lorentz_per_A);
  EXPECT_LT(e.lorentz_per_A, 1 / m.plasmon_mfp_A);
  EXPECT_NEAR(disc_integral([&](double s) { return closure_density(m, p, s); }, e.s_x, 0.5 / lambda), e.tail_per_A,
              1e-4 * e.tail_per_A);
  EXPECT_GT(e.tail_per_A, incoherent_probability_per_A(m, p));  // the tail starts earlier than θ_c
  // One part off: the hand-over is s_c and the other part is absent.
  InelasticParams q = p;
  q.incoherent = false;
  const InelasticEvents ep = inelastic_events(m, q);
  EXPECT_EQ(ep.s_x, ep.s_c);
  EXPECT_FALSE(ep.crossing);
  EXPECT_NEAR(ep.lorentz_per_A, 1 / m.plasmon_mfp_A, 1e-15);
  EXPECT_EQ(ep.tail_per_A, 0.0);
  q = p;
  q.plasmon = false;
  const InelasticEvents ei = inelastic_events(m, q);
  EXPECT_EQ(ei.s_x, ei.s_c);
  EXPECT_EQ(ei.lorentz_per_A, 0.0);
  EXPECT_NEAR(ei.tail_per_A, incoherent_probability_per_A(m, q), 1e-12 * ei.tail_per_A);
  EXPECT_EQ(joint_density(ei, m, q, 0.5 * ei.s_c), 0.0);
  // Names.
  EXPECT_EQ(parse_inelastic_join("cutoff"), InelasticJoin::Cutoff);
  EXPECT_EQ(parse_inelastic_join(inelastic_join_name(InelasticJoin::Continuous)), InelasticJoin::Continuous);
  EXPECT_THROW(parse_inelastic_join("smooth"), std::invalid_argument);
}

TEST(Inelastic, ContinuousJoinOnAGridFollowsTheJointDensity) {
  // A beam in one pixel through 10 Å (y ≈ 0.01 events): the pattern is e^{−y}(δ + t·D(s)·Δs²) + O(y²) — the
  // joint density D sampled at the pixels, across the hand-over without a step; the cutoff join has two.
  InelasticParams p;
  p.materials = {oxide()};
  const InelasticMaterial& m = p.materials[0];
  const InelasticEvents e = inelastic_events(m, p);
  const double ds = 0.01, t = 10;
  const size_t n = 161, c = 80;
  ReciprocalGrid g{n, n, ds, double(c), double(c)};
  std::vector<double> img(n * n, 0.0);
  img[c * n + c] = 1.0;
  apply_inelastic(p, {t}, g, img);
  const double y = t * e.total_per_A();
  double worst = 0, k_in = e.lorentz_per_A;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      const double sv = std::hypot(double(i) - c, double(j) - c) * ds;
      if (sv > e.s_x) k_in += closure_density(m, p, sv) * ds * ds;
      if (sv < 0.1 || std::fabs(sv - e.s_x) < ds) continue;  // the core's pixel integral; the straddling pixels
      const double want = std::exp(-y) * t * joint_density(e, m, p, sv) * ds * ds;
      worst = std::max(worst, std::fabs(img[i * n + j] / want - 1));
    }
  EXPECT_LT(worst, 0.02);
  // What leaves the grid is the tail beyond it: Σ = exp(−t(rate − k_in)) to first order in y.
  const double sum = std::accumulate(img.begin(), img.end(), 0.0);
  const double want_sum = std::exp(-t * (e.total_per_A() - k_in));
  EXPECT_NEAR(sum, want_sum, 0.02 * (1 - want_sum));
  // Ring means just inside and just outside s_x (and s_c for the cutoff join) relative to a smooth 1/s²:
  auto ring = [&](const std::vector<double>& a, double lo, double hi) {
    double v = 0;
    size_t cnt = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        const double sv = std::hypot(double(i) - c, double(j) - c) * ds;
        if (sv >= lo && sv < hi) {
          v += a[i * n + j] * sv * sv;
          ++cnt;
        }
      }
    return v / double(cnt);
  };
  const double jump = ring(img, e.s_x + 0.01, e.s_x + 0.03) / ring(img, e.s_x - 0.03, e.s_x - 0.01);
  EXPECT_NEAR(jump, 1.0, 0.08);
  InelasticParams pc = p;
  pc.join = InelasticJoin::Cutoff;
  std::vector<double> old(n * n, 0.0);
  old[c * n + c] = 1.0;
  apply_inelastic(pc, {t}, g, old);
  const double jump_old = ring(old, e.s_c + 0.01, e.s_c + 0.03) / ring(old, e.s_c - 0.03, e.s_c - 0.01);
  EXPECT_LT(jump_old, 0.85);  // the Lorentzian above the closure density at θ_c: a step down of ≳ 15 %
  std::printf("[join] s_x = %.3f Å⁻¹ (s_c = %.3f); ring ratio across s_x %.3f (continuous) vs across s_c %.3f (cutoff)\n",
              e.s_x, e.s_c, jump, jump_old);
}
