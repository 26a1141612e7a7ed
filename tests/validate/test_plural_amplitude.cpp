// How much of the single-scattering interference signal a thick specimen leaves in φ(s) after the 003 chain
// (docs/study.md, "How much of the single-scattering signal the data keep"). Analytic expectation: the chain
// fits N⟨f²⟩ + C at 2.0–2.8 Å⁻¹, where the tail of the n-fold convolution of the single-scattering
// distribution is ≈ n times the single one (subexponential tails: a distribution falling like s⁻⁴), so N
// counts all x = t/λ_el scattering events per electron, while only the singly scattered electrons (x e^{−x}
// of them) carry ⟨f⟩²(S − 1): the amplitude of φ on the thin-specimen φ is ≈ e^{−x}. The naive alternative —
// the singly scattered share of the scattered electrons, x e^{−x}/(1 − e^{−x}) — is 0.58 at x = 1 against
// e^{−1} = 0.37, so the test tells them apart. Measured (speckle-free annuli, the RSA oxide of the fixtures):
// x = 0.3 / 0.6 / 1.0 → 0.743 / 0.548 / 0.367 against e^{−x} = 0.741 / 0.549 / 0.368.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <vector>

#include "fixtures/fast_model_setup.hpp"
#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/validate/metrics.hpp"

using namespace sedpdf;

namespace {
// φ_corrected of the speckle-free annuli of a uniform column of material 0, thickness t (Å), through the 003
// chain (fit 2.0–2.8 Å⁻¹, Mu2013 polynomial, s_max 2.5 Å⁻¹); on the annulus centres.
std::vector<double> chain_phi(const FastModel& fm, const Composition& comp, double t, std::vector<double>& s_out,
                              bool deconvolve = false, double* events = nullptr) {
  std::vector<double> tot, coh;
  fm.annuli({t, 0.0}, tot, coh);
  const std::vector<double>& e = fm.annulus_edges();
  std::vector<double> s, I;
  for (std::size_t b = 0; b + 1 < e.size() && e[b + 1] <= 3.0; ++b) {
    s.push_back(0.5 * (e[b] + e[b + 1]));
    I.push_back(tot[b] / (kPi * (e[b + 1] * e[b + 1] - e[b] * e[b])));  // per unit s-area
  }
  ReductionParams p;
  p.composition = comp;
  p.fit_s_lo = 2.0;
  p.fit_s_hi = 2.8;
  p.s_max = 2.5;
  p.plural_deconvolution = deconvolve;
  p.plural.s_alpha = 0.6e-3 / electron_wavelength(200e3);  // the fixture's probe: 0.6 mrad at 200 kV
  const ReducedProfile rp = reduce_profile(s, I, nullptr, p);
  if (events) *events = rp.diagnostics.plural_events;
  s_out = s;
  return rp.phi_corrected;
}
}  // namespace

TEST(PluralAmplitude, ChainKeepsExpMinusXOfTheInterferenceSignal) {
  const DetectorModel det(test_fixtures::fast_test_detector(200, 0.02), electron_wavelength(200e3));
  FastModelParams p = test_fixtures::fast_test_params();
  p.inelastic.plasmon = false;
  p.inelastic.incoherent = false;
  p.speckle = false;
  const FastModel fm(test_fixtures::fast_test_materials(), p, det);
  const Composition comp = Composition::of(test_fixtures::oxide_model());
  const double lam = fm.material(0).mfp_elastic_A;

  std::vector<double> s;
  const std::vector<double> thin = chain_phi(fm, comp, 0.01 * lam, s);  // x = 0.01: single scattering
  for (double x : {0.3, 0.6, 1.0}) {
    const std::vector<double> phi = chain_phi(fm, comp, x * lam, s);
    const double a = amplitude_ratio(s, phi, thin, {0.5, 2.4});
    const double naive = x * std::exp(-x) / (1 - std::exp(-x));
    std::printf("x = %.1f: amplitude %.4f, e^-x %.4f, naive %.4f, Pearson %.4f\n", x, a, std::exp(-x), naive,
                pearson(s, phi, thin, {0.5, 2.4}));
    EXPECT_NEAR(a / std::exp(-x), 1.0, 0.03) << "x = " << x << ": a = " << a << ", e^-x = " << std::exp(-x)
                                             << ", naive " << naive;
    // and the shape survives: still the thin specimen's φ, scaled
    EXPECT_GT(pearson(s, phi, thin, {0.5, 2.4}), 0.95) << x;
  }
}

// The same columns with the plural scattering removed by the Fourier-log deconvolution (reduce/plural.hpp)
// before the chain: the events per electron come back as x and the interference amplitude as 1 instead of
// e^{−x}. The fast model's plural sum and the deconvolution are separate implementations of the same
// Anstis–Liu–Lake model (Hankel-space exponent there, disc-separated log with exact ring integrals here).
TEST(PluralAmplitude, DeconvolutionRestoresTheSingleScatteringAmplitude) {
  const DetectorModel det(test_fixtures::fast_test_detector(200, 0.02), electron_wavelength(200e3));
  FastModelParams p = test_fixtures::fast_test_params();
  p.inelastic.plasmon = false;
  p.inelastic.incoherent = false;
  const FastModel fm(test_fixtures::fast_test_materials(), p, det);
  const Composition comp = Composition::of(test_fixtures::oxide_model());
  const double lam = fm.material(0).mfp_elastic_A;
  std::vector<double> s;
  const std::vector<double> thin = chain_phi(fm, comp, 0.01 * lam, s);
  for (double x : {0.3, 0.6, 1.0}) {
    double events = 0;
    const std::vector<double> phi = chain_phi(fm, comp, x * lam, s, true, &events);
    const double a = amplitude_ratio(s, phi, thin, {0.5, 2.4});
    std::printf("deconvolved, x = %.1f: events %.4f, amplitude %.4f, Pearson %.4f\n", x, events, a,
                pearson(s, phi, thin, {0.5, 2.4}));
    EXPECT_NEAR(events / x, 1.0, 0.03) << x;
    EXPECT_NEAR(a, 1.0, 0.03) << x;
    EXPECT_GT(pearson(s, phi, thin, {0.5, 2.4}), 0.99) << x;
  }
}
