// sedpdf/simulate/bessel.hpp — Bessel functions J₀ and J₁ of real argument for Hankel transforms (the fast and
// inelastic models here, the plural-scattering deconvolution of reduce/): the power series for |x| < 12 and
// Hankel's asymptotic expansion beyond (Abramowitz & Stegun, Handbook of Mathematical Functions, 9.1.10 and
// 9.2.5–9.2.10), summed until the terms stop decreasing; absolute error < 1e-12 (tested against
// std::cyl_bessel_j), ~10× faster.
#pragma once

namespace sedpdf {

/// J_n(x) for n = 0 or 1 (J₁ for any n other than 0).
double bessel_j(int n, double x);
inline double bessel_j0(double x) { return bessel_j(0, x); }
inline double bessel_j1(double x) { return bessel_j(1, x); }

}  // namespace sedpdf
