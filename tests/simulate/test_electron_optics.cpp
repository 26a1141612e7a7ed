// Tests of the relativistic electron wavelength and interaction constant against published values
// (Kirkland, Advanced Computing in Electron Microscopy, 2nd ed. 2010, table of λ and σ vs voltage) and
// against the non-relativistic limit.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "sedpdf/simulate/electron_optics.hpp"

using namespace sedpdf;

TEST(ElectronOptics, WavelengthAt200And300kV) {
  // Kirkland (2010): λ(200 kV) = 0.025079 Å, λ(300 kV) = 0.019687 Å.
  EXPECT_NEAR(electron_wavelength(200e3), 0.025079, 1e-6);
  EXPECT_NEAR(electron_wavelength(300e3), 0.019687, 1e-6);
  EXPECT_NEAR(electron_wavelength(100e3), 0.037014, 1e-6);
}

TEST(ElectronOptics, InteractionConstantAt200And300kV) {
  // Kirkland (2010): σ(200 kV) = 7.288e-4, σ(300 kV) = 6.526e-4 rad/(V·Å).
  EXPECT_NEAR(interaction_constant(200e3), 7.288e-4, 1e-7);
  EXPECT_NEAR(interaction_constant(300e3), 6.526e-4, 1e-7);
}

TEST(ElectronOptics, LorentzFactor) {
  // γ = 1 + eV/mc², mc² = 510.99895 keV.
  EXPECT_NEAR(lorentz_factor(200e3), 1.0 + 200.0 / 510.99895, 1e-12);
  EXPECT_NEAR(lorentz_factor(300e3), 1.5870854, 1e-7);
}

TEST(ElectronOptics, NonRelativisticLimit) {
  // For eV << mc²: λ → h/sqrt(2 m e V) = hc / sqrt(2 mc² eV) ≈ 12.2643 / sqrt(V) Å, and
  // σ → 2π m e λ / h² = π / (λ V).
  const double V = 10.0;
  const double lam_nr = 12.2642598 / std::sqrt(V);
  EXPECT_NEAR(electron_wavelength(V) / lam_nr, 1.0, 1e-5);
  EXPECT_NEAR(interaction_constant(V) / (kPi / (electron_wavelength(V) * V)), 1.0, 1e-5);
}

TEST(ElectronOptics, RejectsNonPositiveEnergy) {
  EXPECT_THROW(electron_wavelength(0.0), std::invalid_argument);
  EXPECT_THROW(electron_wavelength(-200e3), std::invalid_argument);
  EXPECT_THROW(interaction_constant(std::nan("")), std::invalid_argument);
  EXPECT_THROW(lorentz_factor(-1.0), std::invalid_argument);
}
