// sedpdf/reduce/sine_dst.hpp — the sine transform of sine_transform_s_to_r (simulate/total_scattering.hpp)
// by a fast discrete sine transform where that is exact: a second kernel, checked against the first.
//
// For a uniform grid s_j = j·h (j = 0 … n) the exact transform of the piecewise-linear interpolant of
// ψ_j is (hat functions; θ = 2πrh, k = 2πr)
//   ∫₀^{s_n} ψ(s) sin(ks) ds = h sinc²(θ/2) Σ_{j=1}^{n−1} ψ_j sin(k s_j)
//                              + ψ_0 h (θ − sin θ)/θ² + ψ_n h [sin(k s_n)(1 − cos θ) − cos(k s_n)(θ − sin θ)]/θ²,
// sinc x = sin x/x. The sum over the interior nodes, zero-padded to M nodes, is one DST-I
// (FFTW's RODFT00, Y_m = 2 Σ_{j=0}^{M−2} X_j sin(π(j+1)(m+1)/M)) at the points r_m = m/(2Mh); it is exact
// at r values on that lattice. M is chosen so that 2Mh·dr = c is a whole number (M >= n), so every
// r = r_min + i·dr with r_min/dr whole is a lattice point.
#pragma once
#include <cstddef>
#include <vector>

namespace sedpdf {

/// 8π ∫₀^{s_n} ψ(s) sin(2πsr) ds for the piecewise-linear interpolant of psi on the uniform grid
/// s = 0, h, …, n·h (Å⁻¹), at r = r_min + i·dr (Å), i = 0 … count − 1, by one FFTW DST-I. Equals
/// sine_transform_s_to_r(s, psi, r, no damping, s_n) to rounding. Throws std::invalid_argument naming
/// the values if s is not uniform from 0, sizes differ, or the r grid is not commensurate (1/(2h·dr)
/// or r_min/dr not whole to 1e-9), or the padded length exceeds 2²⁶.
std::vector<double> sine_transform_dst(const std::vector<double>& s, const std::vector<double>& psi, double r_min,
                                       double dr, std::size_t count);

}  // namespace sedpdf
