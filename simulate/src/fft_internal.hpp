// Internal: a plain radix-2 complex FFT (iterative Cooley–Tukey, Press et al., Numerical Recipes 3rd ed.
// Sec. 12.2) for the convolutions of the inelastic and fast models. Double precision reference code;
// sizes must be powers of two.
#pragma once
#include <complex>
#include <cstddef>
#include <vector>

namespace sedpdf::detail {

/// Smallest power of two ≥ n.
size_t next_pow2(size_t n);

/// In-place FFT of n = 2^k values with stride; sign −1 forward (e^{−2πi jk/n}), +1 inverse (unnormalised).
void fft1(std::complex<double>* a, size_t n, size_t stride, int sign);

/// In-place 2-D FFT of a row-major ny × nx array (both powers of two).
void fft2(std::vector<std::complex<double>>& a, size_t ny, size_t nx, int sign);

}  // namespace sedpdf::detail
