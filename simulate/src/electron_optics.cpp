// Relativistic electron wavelength and interaction constant (Kirkland 2010, eqs. 2.5 and 5.6).
#include "sedpdf/simulate/electron_optics.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

namespace sedpdf {

namespace {
void check_energy(double energy_eV, const char* what) {
  if (!(energy_eV > 0) || !std::isfinite(energy_eV))
    throw std::invalid_argument(std::string(what) + ": electron energy " + std::to_string(energy_eV) +
                                " eV must be positive and finite");
}
}  // namespace

double lorentz_factor(double energy_eV) {
  check_energy(energy_eV, "lorentz_factor");
  return 1.0 + energy_eV / constants::kElectronRestEnergy_eV;
}

// λ = h c / sqrt(eV (2 m c² + eV))  (Kirkland eq. 2.5).
double electron_wavelength(double energy_eV) {
  check_energy(energy_eV, "electron_wavelength");
  return constants::kHc_eVAngstrom /
         std::sqrt(energy_eV * (2.0 * constants::kElectronRestEnergy_eV + energy_eV));
}

// σ = (2π / (λ V)) (m c² + eV) / (2 m c² + eV)  (Kirkland eq. 5.6); V in volts equals E in eV.
double interaction_constant(double energy_eV) {
  check_energy(energy_eV, "interaction_constant");
  const double mc2 = constants::kElectronRestEnergy_eV;
  return 2.0 * kPi / (electron_wavelength(energy_eV) * energy_eV) * (mc2 + energy_eV) /
         (2.0 * mc2 + energy_eV);
}

}  // namespace sedpdf
