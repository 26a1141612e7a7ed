#include "fft_internal.hpp"

#include <cmath>
#include <stdexcept>
#include <utility>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf::detail {

size_t next_pow2(size_t n) {
  size_t p = 1;
  while (p < n) p <<= 1;
  return p;
}

void fft1(std::complex<double>* a, size_t n, size_t stride, int sign) {
  if (n == 0 || (n & (n - 1)) != 0) throw std::invalid_argument("fft: size " + std::to_string(n) + " is not a power of two");
  // Bit reversal.
  for (size_t i = 1, j = 0; i < n; ++i) {
    size_t bit = n >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) std::swap(a[i * stride], a[j * stride]);
  }
  for (size_t len = 2; len <= n; len <<= 1) {
    const double ang = static_cast<double>(sign) * 2 * kPi / static_cast<double>(len);
    const std::complex<double> wl(std::cos(ang), std::sin(ang));
    const size_t half = len / 2;
    // Twiddles for this stage computed directly every 64 steps to limit rounding drift.
    for (size_t i = 0; i < n; i += len) {
      std::complex<double> w(1, 0);
      for (size_t k = 0; k < half; ++k) {
        if (k % 64 == 0) w = std::polar(1.0, ang * static_cast<double>(k));
        std::complex<double>& x = a[(i + k) * stride];
        std::complex<double>& y = a[(i + k + half) * stride];
        const std::complex<double> t = w * y;
        y = x - t;
        x += t;
        w *= wl;
      }
    }
  }
}

void fft2(std::vector<std::complex<double>>& a, size_t ny, size_t nx, int sign) {
  for (size_t i = 0; i < ny; ++i) fft1(&a[i * nx], nx, 1, sign);
  std::vector<std::complex<double>> col(ny);
  for (size_t j = 0; j < nx; ++j) {
    for (size_t i = 0; i < ny; ++i) col[i] = a[i * nx + j];
    fft1(col.data(), ny, 1, sign);
    for (size_t i = 0; i < ny; ++i) a[i * nx + j] = col[i];
  }
}

}  // namespace sedpdf::detail
