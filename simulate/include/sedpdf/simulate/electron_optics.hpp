// sedpdf/simulate/electron_optics.hpp — relativistic electron wavelength and interaction constant.
// Kirkland, Advanced Computing in Electron Microscopy, 2nd ed. (2010), eqs. 2.5 and 5.6:
//   λ = h c / sqrt(eV (2 m c² + eV)),   σ = 2π m e λ / h² = (2π / (λ V)) (m c² + eV) / (2 m c² + eV).
// Constants CODATA 2018.
#pragma once
#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

namespace constants {
constexpr double kElectronRestEnergy_eV = 510998.95000;  ///< m c² (eV)
constexpr double kHc_eVAngstrom = 12398.419843320026;     ///< h c (eV·Å)
}  // namespace constants

/// Relativistic electron wavelength (Å) for accelerating voltage given as energy in eV (> 0).
double electron_wavelength(double energy_eV);
/// Relativistic interaction constant σ (rad / (V·Å)).
double interaction_constant(double energy_eV);
/// Lorentz factor γ = 1 + eV / mc².
double lorentz_factor(double energy_eV);

}  // namespace sedpdf
