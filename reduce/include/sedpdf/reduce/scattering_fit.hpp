// sedpdf/reduce/scattering_fit.hpp — step 2–3 of the reduction chain: fit of the "structureless"
// background N⟨f²⟩(s) + C to an azimuthally integrated profile I(s) at high s, and the reduced
// intensity φ(s) = s[I − N⟨f²⟩ − C] / (N⟨f⟩²).
//
// Laulainen et al., Nanoscale 14 (2022) 16524, eqs. (1) and (4); the fit at high s follows their refs.
// 43 and 62 (Cockayne, Annu. Rev. Mater. Res. 37 (2007) 159; Mu et al., J. Appl. Cryst. 46 (2013) 1105).
// Note: eq. (4) of Laulainen et al. prints the denominator as N⟨f²⟩²; the Faber–Ziman form (their
// eq. 1, BRIEF.md) is N⟨f⟩², which is used here.
//
// s = 2 sinθ/λ (Å⁻¹). ⟨f⟩ and ⟨f²⟩ come from composition_averages() (simulate/scattering_factors.hpp),
// in the units of the chosen factors (Å and Å² for electrons); N then has units of I/Å², C those of I.
#pragma once
#include <cstddef>
#include <vector>

#include "sedpdf/simulate/scattering_factors.hpp"

namespace sedpdf {

/// Result of fit_background(): I(s) ≈ N⟨f²⟩(s) + C on s_lo ≤ s ≤ s_hi.
struct BackgroundFit {
  double N = 0;             ///< scale of ⟨f²⟩ (units of I per unit of f²)
  double C = 0;             ///< constant offset (units of I), e.g. detector dark level
  double N_err = 0;         ///< standard error of N (residual-scaled, see fit_background)
  double C_err = 0;         ///< standard error of C
  double rms_residual = 0;  ///< sqrt(mean (I − N⟨f²⟩ − C)²) over the points used (units of I)
  size_t n_points = 0;      ///< points used (in the window, with positive weight)
};

/// Linear least squares of I(s) ≈ N⟨f²⟩(s) + C over s_lo ≤ s ≤ s_hi (Laulainen et al. 2022, eq. 4).
/// @param s        scattering vector magnitudes (Å⁻¹), any order
/// @param I        intensity at each s (any consistent unit, e.g. counts per pixel)
/// @param f2_mean  ⟨f²⟩(s) of the composition at each s (e.g. Å² for electrons)
/// @param s_lo     lower end of the fit window (Å⁻¹), inclusive
/// @param s_hi     upper end of the fit window (Å⁻¹), inclusive
/// @param weights  optional relative weights (e.g. 1/σ² with σ the uncertainty of I); points with
///                 weight 0 are left out. Standard errors are scaled by the residual variance
///                 (Σ w r² / (n − 2)), so only the ratios of the weights matter.
/// Throws std::invalid_argument for mismatched sizes, a window that is empty or inverted, non-finite
/// s anywhere or non-finite I / ⟨f²⟩ / weight inside the window (naming the index), a negative
/// weight, fewer than 3 points in the window, or ⟨f²⟩ constant over the window (singular system).
BackgroundFit fit_background(const std::vector<double>& s, const std::vector<double>& I,
                             const std::vector<double>& f2_mean, double s_lo, double s_hi,
                             const std::vector<double>* weights = nullptr);

/// Reduced intensity φ(s) = s [I(s) − N⟨f²⟩(s) − C] / (N⟨f⟩²(s))  (Laulainen et al. 2022, eqs. 1/4;
/// Faber–Ziman: φ = s[S(s) − 1]), in Å⁻¹ when s is in Å⁻¹. Point by point: a non-finite I gives a
/// non-finite φ at that point (masked bins stay masked). Throws std::invalid_argument for mismatched
/// sizes or N that is zero or not finite.
std::vector<double> reduced_intensity(const std::vector<double>& s, const std::vector<double>& I,
                                      const std::vector<double>& f_mean,
                                      const std::vector<double>& f2_mean, double N, double C);

/// ⟨f⟩(s) and ⟨f²⟩(s) on a grid of s (Å⁻¹), from composition_averages() at each point.
struct FactorCurves {
  std::vector<double> f_mean;   ///< ⟨f⟩ (units of the factors)
  std::vector<double> f2_mean;  ///< ⟨f²⟩ (units of the factors, squared)
};
FactorCurves factor_curves(const ScatteringFactors& sf, const Composition& c, const std::vector<double>& s);

}  // namespace sedpdf
