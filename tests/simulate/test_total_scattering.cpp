// Tests of grids, damping, the s ↔ r transforms, the termination function, Faber–Ziman total
// scattering and the measured PDF: analytic transforms, a round trip through real and reciprocal
// space, pair sums and X-ray vs neutron weights.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "fixtures/random_packing.hpp"

using namespace sedpdf;

namespace {


double max_abs(const std::vector<double>& v) {
  double m = 0;
  for (double x : v) m = std::max(m, std::fabs(x));
  return m;
}

/// rms of a − b and of a over the points with lo <= r <= hi.
std::pair<double, double> rms_diff(const std::vector<double>& r, const std::vector<double>& a,
                                   const std::vector<double>& b, double lo, double hi) {
  double d2 = 0, a2 = 0;
  size_t n = 0;
  for (size_t i = 0; i < r.size(); ++i)
    if (r[i] >= lo && r[i] <= hi) {
      d2 += (a[i] - b[i]) * (a[i] - b[i]);
      a2 += a[i] * a[i];
      ++n;
    }
  return {std::sqrt(d2 / static_cast<double>(n)), std::sqrt(a2 / static_cast<double>(n))};
}

/// The ZIF-like random packing (24 Å cube, 1147 atoms, seed fixed) and its partials to 11.9 Å,
/// computed once for the whole program.
const PartialPdfs& zif_partials() {
  static const PartialPdfs p = [] {
    const Structure s = test_fixtures::random_packing(24.0, test_fixtures::zif_like_species(62), 20240611);
    PartialPdfOptions o;
    o.r_max = 11.9;
    o.dr = 0.01;
    return compute_partial_pdfs(s, o);
  }();
  return p;
}

/// f = ±1 for two elements: ⟨f⟩ = 0 for a 50:50 mixture (a neutron "null matrix").
class NullFactors final : public ScatteringFactors {
 public:
  double f(Element e, double) const override { return e.z() == 22 ? -1.0 : 1.0; }
  bool has(Element e) const override { return e.z() == 22 || e.z() == 40; }
  std::string name() const override { return "null"; }
  std::string units() const override { return "fm"; }
  Radiation radiation() const override { return Radiation::Neutron; }
};

}  // namespace

// ------------------------------------------------------------------------------------------------
TEST(Grid, UniformGridIncludesEnds) {
  const auto g = uniform_grid(0.5, 20.0, 0.01);
  ASSERT_EQ(g.size(), 1951u);
  EXPECT_DOUBLE_EQ(g.front(), 0.5);
  EXPECT_NEAR(g.back(), 20.0, 1e-12);
  EXPECT_EQ(uniform_grid(0, 1, 0.3).size(), 4u);  // 0, 0.3, 0.6, 0.9
  EXPECT_THROW(uniform_grid(0, 1, 0), std::invalid_argument);
  EXPECT_THROW(uniform_grid(1, 0, 0.1), std::invalid_argument);
  EXPECT_NEAR(s_from_q(22.0), 3.5014087480216975, 1e-12);
  EXPECT_NEAR(q_from_s(s_from_q(7.3)), 7.3, 1e-14);
}

TEST(Damping, LorchEndpointsAndExp) {
  Damping lorch = parse_damping("Lorch");
  EXPECT_EQ(lorch.kind, Damping::Lorch);
  EXPECT_DOUBLE_EQ(damping_factor(lorch, 0.0, 2.5), 1.0);
  EXPECT_NEAR(damping_factor(lorch, 2.5, 2.5), 0.0, 1e-16);
  EXPECT_NEAR(damping_factor(lorch, 1.25, 2.5), 2.0 / kPi, 1e-15);  // sin(π/2)/(π/2)
  EXPECT_EQ(damping_factor(lorch, 3.0, 2.5), 0.0);
  const Damping e = parse_damping(" exp:0.6 ");
  EXPECT_EQ(e.kind, Damping::Exp);
  EXPECT_DOUBLE_EQ(e.b, 0.6);
  EXPECT_NEAR(damping_factor(e, 2.0, 2.5), std::exp(-2.4), 1e-15);
  EXPECT_EQ(parse_damping("none").kind, Damping::None);
  EXPECT_EQ(parse_damping(damping_name(e)).b, 0.6);
  EXPECT_EQ(damping_name(lorch), "lorch");
  try {
    parse_damping("gauss:1");
    FAIL() << "no throw";
  } catch (const std::invalid_argument& ex) {
    EXPECT_NE(std::string(ex.what()).find("gauss:1"), std::string::npos);
  }
  EXPECT_THROW(parse_damping("exp:-1"), std::invalid_argument);
  EXPECT_THROW(parse_damping("exp:"), std::invalid_argument);
}

// ------------------------------------------------------------------------------------------------
TEST(SineTransform, LinearPhiIsExactOnAnyGrid) {
  // φ(s) = α + βs is its own linear interpolant: 8π∫_{s0}^{s_max} (α + βs) sin(ks) ds in closed form,
  // [−(α + βs) cos(ks)/k + β sin(ks)/k²], on a random non-uniform grid with s_max inside an interval.
  const double alpha = 0.7, beta = -0.3, s_max = 2.345;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> u(0.002, 0.02);
  std::vector<double> s{0.1};
  while (s.back() < 2.5) s.push_back(s.back() + u(rng));
  std::vector<double> phi;
  for (double x : s) phi.push_back(alpha + beta * x);
  const auto r = uniform_grid(0.0, 30.0, 0.05);  // includes r = 0 and large kh
  const auto anti = [&](double x, double k) {
    return -(alpha + beta * x) * std::cos(k * x) / k + beta * std::sin(k * x) / (k * k);
  };
  const ReferenceSineKernel ref;
  const auto G = sine_transform_s_to_r(s, phi, r, Damping{}, s_max, ref);
  for (size_t j = 0; j < r.size(); ++j) {
    const double k = 2 * kPi * r[j];
    const double expect = r[j] == 0 ? 0.0 : 8 * kPi * (anti(s_max, k) - anti(s.front(), k));
    EXPECT_NEAR(G[j], expect, 1e-12 * std::max(1.0, std::fabs(expect))) << "r = " << r[j];
  }
  // Uniform grid through the recurrence kernel.
  const auto su = uniform_grid(0.0, 2.5, 0.004);
  std::vector<double> pu;
  for (double x : su) pu.push_back(alpha + beta * x);
  const auto Gu = sine_transform_s_to_r(su, pu, r, Damping{}, 2.5);
  for (size_t j = 1; j < r.size(); ++j) {
    const double k = 2 * kPi * r[j];
    const double expect = 8 * kPi * (anti(2.5, k) - anti(0.0, k));
    EXPECT_NEAR(Gu[j], expect, 1e-11 * std::max(1.0, std::fabs(expect))) << "r = " << r[j];
  }
}

TEST(SineTransform, GaussianPhiClosedForms) {
  // (1) φ(s) = s exp(−a s²): G(r) = 8π √π k/(4a^{3/2}) exp(−k²/4a), k = 2πr
  //     (∫₀^∞ x e^{−ax²} sin(kx) dx, Gradshteyn & Ryzhik 3.952.1).
  // (2) φ(s) = sin(2πs r₀) with exp(−b s²) damping: a Gaussian peak at r₀,
  //     G(r) = 2π √(π/b) [exp(−π²(r − r₀)²/b) − exp(−π²(r + r₀)²/b)] (G&R 3.896.2).
  const double a = 2.0, b = 0.5, r0 = 1.5;
  const auto s = uniform_grid(0.0, 9.0, 0.0002);
  const auto r = uniform_grid(0.0, 4.0, 0.01);
  std::vector<double> phi1, phi2;
  for (double x : s) {
    phi1.push_back(x * std::exp(-a * x * x));
    phi2.push_back(std::sin(2 * kPi * x * r0));
  }
  const auto G1 = sine_transform_s_to_r(s, phi1, r, Damping{}, 9.0);
  Damping d;
  d.kind = Damping::Exp;
  d.b = b;
  const auto G2 = sine_transform_s_to_r(s, phi2, r, d, 9.0);
  std::vector<double> e1, e2;
  for (double x : r) {
    const double k = 2 * kPi * x;
    e1.push_back(8 * kPi * std::sqrt(kPi) * k / (4 * std::pow(a, 1.5)) * std::exp(-k * k / (4 * a)));
    e2.push_back(2 * kPi * std::sqrt(kPi / b) *
                 (std::exp(-kPi * kPi * (x - r0) * (x - r0) / b) - std::exp(-kPi * kPi * (x + r0) * (x + r0) / b)));
  }
  double err1 = 0, err2 = 0;
  for (size_t j = 0; j < r.size(); ++j) {
    err1 = std::max(err1, std::fabs(G1[j] - e1[j]));
    err2 = std::max(err2, std::fabs(G2[j] - e2[j]));
  }
  EXPECT_LT(err1 / max_abs(e1), 1e-6);
  EXPECT_LT(err2 / max_abs(e2), 1e-6);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.3g %.3g", err1 / max_abs(e1), err2 / max_abs(e2));
  RecordProperty("gaussian_and_peak_rel_err", buf);
}

TEST(SineTransform, RecurrenceKernelMatchesReference) {
  const auto s = uniform_grid(0.0, 3.0, 0.003);
  std::mt19937_64 rng(11);
  std::normal_distribution<double> n(0.0, 1.0);
  std::vector<std::vector<double>> psi(3, std::vector<double>(s.size()));
  for (auto& v : psi)
    for (double& x : v) x = n(rng);
  const auto r = uniform_grid(0.0, 40.0, 0.013);
  const auto a = ReferenceSineKernel().integrate(s, psi, r);
  const auto b = RecurrenceSineKernel().integrate(s, psi, r);
  for (size_t m = 0; m < psi.size(); ++m) {
    const double scale = max_abs(a[m]);
    for (size_t j = 0; j < r.size(); ++j) ASSERT_NEAR(a[m][j], b[m][j], 1e-12 * scale);
  }
}

TEST(SineTransform, RejectsBadInput) {
  const auto s = uniform_grid(0.0, 2.0, 0.01);
  const std::vector<double> phi(s.size(), 1.0), r{1.0, 2.0};
  EXPECT_THROW(sine_transform_s_to_r(s, phi, r, Damping{}, 2.5), std::invalid_argument);
  EXPECT_THROW(sine_transform_s_to_r(s, std::vector<double>(3, 0.0), r, Damping{}, 2.0), std::invalid_argument);
  std::vector<double> bad = s;
  bad[5] = bad[4];
  EXPECT_THROW(sine_transform_s_to_r(bad, phi, r, Damping{}, 2.0), std::invalid_argument);
}

// ------------------------------------------------------------------------------------------------
TEST(StructureFactorFromG, HardSphereStepFunction) {
  // g = 0 below σ, 1 above: S(s) − 1 = −4πρ₀ [sin(kσ) − kσ cos(kσ)]/k³, k = 2πs; at s = 0, −4πρ₀σ³/3.
  const double rho0 = 0.08, sigma = 2.0, dr = 0.001;
  std::vector<double> r, g;
  for (int k = 0; k < 5000; ++k) {
    r.push_back((k + 0.5) * dr);
    g.push_back(r.back() < sigma ? 0.0 : 1.0);
  }
  const auto s = uniform_grid(0.0, 3.0, 0.05);
  const auto S = structure_factor_from_g(r, g, rho0, s, false);
  EXPECT_NEAR(S[0] - 1, -4 * kPi * rho0 * sigma * sigma * sigma / 3, 1e-12);
  for (size_t i = 1; i < s.size(); ++i) {
    const double k = 2 * kPi * s[i];
    const double expect = -4 * kPi * rho0 * (std::sin(k * sigma) - k * sigma * std::cos(k * sigma)) / (k * k * k);
    EXPECT_NEAR(S[i] - 1, expect, 2e-5) << "s = " << s[i];
  }
  // The Lorch window in r changes nothing at s = 0 beyond the window's weights, and keeps S finite.
  const auto Sw = structure_factor_from_g(r, g, rho0, s, true);
  EXPECT_LT(std::fabs(Sw[0] - 1), std::fabs(S[0] - 1));
}

// ------------------------------------------------------------------------------------------------
TEST(TerminationKernel, ClosedFormsAndQuadrature) {
  // D = 1: P(x) = sin(2πs_max x)/(πx), P(0) = 2 s_max. The numerical path (exp damping with b = 0)
  // must give the same; exp(−bs²) with e^{−b s_max²} ≈ 0 gives P(x) = √(π/b) exp(−π²x²/b).
  const double s_max = 2.5;
  Damping flat;
  Damping e0;
  e0.kind = Damping::Exp;
  e0.b = 0;
  Damping e1;
  e1.kind = Damping::Exp;
  e1.b = 1.0;
  EXPECT_DOUBLE_EQ(termination_kernel(0.0, s_max, flat), 2 * s_max);
  for (double x : {0.013, 0.3, 1.7, 12.34, 39.9}) {
    const double closed = std::sin(2 * kPi * s_max * x) / (kPi * x);
    EXPECT_NEAR(termination_kernel(x, s_max, flat), closed, 1e-14);
    EXPECT_NEAR(termination_kernel(x, s_max, e0), closed, 1e-12);
    EXPECT_NEAR(termination_kernel(x, 8.0, e1), std::sqrt(kPi) * std::exp(-kPi * kPi * x * x), 1e-12);
  }
}

// ------------------------------------------------------------------------------------------------
TEST(PdfRoundTrip, RealSpaceTerminationMatchesReciprocalPath) {
  // Path A: G(r) = Σ w_ab 4πrρ₀[g_ab − 1] from the partials (neutron weights: b(H) < 0), convolved with
  // the termination function of s_max and D. Path B: the same weights on S_ab(s) (no r window) →
  // φ(s) → sine transform to s_max with D. Both are the same double integral discretised differently.
  const PartialPdfs& p = zif_partials();
  NeutronFactors nf;
  const auto w = faber_ziman_weights(p, nf, 0.0);
  const auto G_real = real_space_pdf(p, w);
  const double s_max = 2.5;
  const auto s = uniform_grid(0.0, s_max, 0.001);
  const auto S = weighted_structure_factor(p, w, s, false);
  std::vector<double> phi(s.size());
  for (size_t i = 0; i < s.size(); ++i) phi[i] = s[i] * (S[i] - 1);
  Damping lorch;
  lorch.kind = Damping::Lorch;
  for (const Damping& d : {Damping{}, lorch}) {
    const auto G_a = terminate_real_space(p.r, G_real, s_max, d);
    const auto G_b = sine_transform_s_to_r(s, phi, p.r, d, s_max);
    const auto [drms, grms] = rms_diff(p.r, G_a, G_b, 1.0, 10.0);
    EXPECT_LT(drms / grms, 0.01) << damping_name(d);
    RecordProperty("roundtrip_rel_rms_" + damping_name(d), std::to_string(drms / grms));
    // And termination is a real effect: G_a differs from the unterminated G by far more.
    const auto [d0, g0] = rms_diff(p.r, G_real, G_a, 1.0, 10.0);
    EXPECT_GT(d0 / g0, 5 * drms / grms);
  }
}

// ------------------------------------------------------------------------------------------------
TEST(TotalScattering, PairTermsSumToTotal) {
  const PartialPdfs& p = zif_partials();
  LobatoFactors lf;
  PdfOptions o;
  o.s_max = 2.5;
  o.s_min = 0.18;
  o.r_max = 12;
  o.damping = parse_damping("exp:0.6");
  const PdfResult res = experimental_pdf(p, lf, o);
  const TotalScattering& t = res.scattering;
  ASSERT_EQ(t.phi_pair.size(), p.pairs.size());
  ASSERT_EQ(res.G_pair.size(), p.pairs.size());
  double worst_phi = 0, worst_g = 0;
  for (size_t i = 0; i < t.s.size(); ++i) {
    double sum = 0;
    for (const auto& v : t.phi_pair) sum += v[i];
    worst_phi = std::max(worst_phi, std::fabs(sum - t.phi[i]));
    EXPECT_NEAR(t.phi[i], t.s[i] * (t.S[i] - 1), 1e-14);
  }
  for (size_t j = 0; j < res.r.size(); ++j) {
    double sum = 0;
    for (const auto& v : res.G_pair) sum += v[j];
    worst_g = std::max(worst_g, std::fabs(sum - res.G[j]));
  }
  EXPECT_LT(worst_phi, 1e-12 * max_abs(t.phi));
  EXPECT_LT(worst_g, 1e-10 * max_abs(res.G));
  // ⟨f⟩, ⟨f²⟩ agree with composition_averages.
  Composition c;
  c.elements = p.elements;
  c.fractions = p.fractions;
  const FAverages av = composition_averages(lf, c, 1.3);
  const size_t i13 = 1300;  // s = 1.3 on the 0.001 grid
  ASSERT_NEAR(t.s[i13], 1.3, 1e-12);
  EXPECT_NEAR(t.f_mean[i13], av.f_mean, 1e-12);
  EXPECT_NEAR(t.f2_mean[i13], av.f2_mean, 1e-12);
  // G(r) of a structure with no atom pair below ~1 Å is ≈ −4πρ₀r there (terminated, so loosely).
  EXPECT_EQ(res.r.size(), uniform_grid(o.r_min, o.r_max, o.dr).size());
}

TEST(TotalScattering, XrayWeightsZnNAboveNeutron) {
  // Zn–N Faber–Ziman weight 2 c_Zn c_N f_Zn f_N / ⟨f⟩² of Zn N4 C7 H6.5:
  //  X-ray f(0) ≈ Z (30, 7, 6, 1): ⟨Z⟩ = 106.5/18.5, w ≈ 0.148;
  //  neutron b (Sears 1992, fm): Zn 5.680, N 9.36, C 6.6460, H −3.7390: w ≈ 0.100.
  const PartialPdfs& p = zif_partials();
  XrayFactors xf;
  NeutronFactors nf;
  const int zn = p.element_index(Element::parse("Zn")), n = p.element_index(Element::parse("N"));
  const int k = p.pair_index(zn, n);
  const auto wx = faber_ziman_weights(p, xf, 0.0);
  const auto wn = faber_ziman_weights(p, nf, 0.0);
  const auto frac = [&](const char* sym) { return p.fractions[static_cast<size_t>(p.element_index(Element::parse(sym)))]; };
  const double zmean = 30 * frac("Zn") + 7 * frac("N") + 6 * frac("C") + 1 * frac("H");
  const double bmean = 5.680 * frac("Zn") + 9.36 * frac("N") + 6.6460 * frac("C") - 3.7390 * frac("H");
  EXPECT_NEAR(wx[static_cast<size_t>(k)], 2 * frac("Zn") * frac("N") * 30 * 7 / (zmean * zmean), 2e-3);
  EXPECT_NEAR(wn[static_cast<size_t>(k)], 2 * frac("Zn") * frac("N") * 5.680 * 9.36 / (bmean * bmean), 1e-3);
  EXPECT_GT(wx[static_cast<size_t>(k)], 1.3 * wn[static_cast<size_t>(k)]);
  double sx = 0, sn = 0;
  for (size_t i = 0; i < wx.size(); ++i) {
    sx += wx[i];
    sn += wn[i];
  }
  EXPECT_NEAR(sx, 1.0, 1e-12);
  EXPECT_NEAR(sn, 1.0, 1e-12);
  // H–H weight is positive for neutrons too (b_H² > 0), C–H negative.
  const int h = p.element_index(Element::parse("H")), c = p.element_index(Element::parse("C"));
  EXPECT_LT(wn[static_cast<size_t>(p.pair_index(c, h))], 0.0);
  EXPECT_GT(wx[static_cast<size_t>(p.pair_index(c, h))], 0.0);
  // The same through the measured PDFs: the Zn–N share of G(r) is larger for X-rays.
  PdfOptions o;
  o.r_max = 8;
  o.ds = 0.002;
  o.s_max = s_from_q(22.0);
  const PdfResult px = experimental_pdf(p, xf, o), pn = experimental_pdf(p, nf, o);
  const auto share = [&](const PdfResult& res) {
    const auto [a, g] = rms_diff(res.r, res.G_pair[static_cast<size_t>(k)], std::vector<double>(res.r.size(), 0.0), 1, 8);
    const auto [b, gg] = rms_diff(res.r, res.G, std::vector<double>(res.r.size(), 0.0), 1, 8);
    (void)g;
    (void)gg;
    return a / b;
  };
  EXPECT_GT(share(px), 1.2 * share(pn));
  RecordProperty("znn_share_xray", std::to_string(share(px)));
  RecordProperty("znn_share_neutron", std::to_string(share(pn)));
  EXPECT_EQ(px.radiation, Radiation::Xray);
  EXPECT_EQ(pn.radiation, Radiation::Neutron);
}

TEST(TotalScattering, NullMeanFactorThrows) {
  PartialPdfs p;
  p.elements = {Element::parse("Ti"), Element::parse("Zr")};
  p.counts = {1, 1};
  p.fractions = {0.5, 0.5};
  p.n_atoms = 2;
  p.number_density = 0.05;
  p.dr = 0.1;
  p.r_max = 1.0;
  p.r = uniform_grid(0.05, 0.95, 0.1);
  p.pairs = {{0, 0}, {0, 1}, {1, 1}};
  p.g.assign(3, std::vector<double>(p.r.size(), 1.0));
  NullFactors nf;
  EXPECT_THROW(total_scattering(p, nf, {0.5, 1.0}, false), std::domain_error);
  EXPECT_THROW(faber_ziman_weights(p, nf, 0.0), std::domain_error);
  EXPECT_THROW(faber_ziman_weights(p, std::vector<double>{1.0}), std::invalid_argument);
}

TEST(ExperimentalPdf, LowSRampAndOptions) {
  const PartialPdfs& p = zif_partials();
  LobatoFactors lf;
  PdfOptions o;
  o.s_min = 0.2;
  o.r_max = 10;
  const PdfResult a = experimental_pdf(p, lf, o);
  // Equivalent by hand: ramp φ below s_min, then the plain transform.
  std::vector<double> phi = a.scattering.phi;
  const auto& s = a.scattering.s;
  size_t i_min = 0;
  while (s[i_min] < o.s_min - 1e-12) ++i_min;
  for (size_t i = 0; i < i_min; ++i) phi[i] = phi[i_min] * s[i] / s[i_min];
  const auto G = sine_transform_s_to_r(s, phi, a.r, o.damping, o.s_max);
  for (size_t j = 0; j < a.r.size(); ++j) ASSERT_NEAR(a.G[j], G[j], 1e-10 * max_abs(G));
  PdfOptions bad = o;
  bad.s_min = 3.0;
  EXPECT_THROW(experimental_pdf(p, lf, bad), std::invalid_argument);
  bad = o;
  bad.dr = 0;
  EXPECT_THROW(experimental_pdf(p, lf, bad), std::invalid_argument);
}
