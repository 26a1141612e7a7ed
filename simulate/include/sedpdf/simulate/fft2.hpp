// sedpdf/simulate/fft2.hpp — the two-dimensional complex FFT behind the multislice engine (the numerical
// kernel of DESIGN.md): an interface, a plain reference implementation (direct separable DFT, O(n³),
// double precision; the oracle for tests) and the FFTW3 backend (plans cached per size and thread count,
// optional FFTW threads). Convention (FFTW's): forward a_k = Σ_j a_j exp(−2πi jk/n), inverse with +, both
// unnormalised, in place, row-major n × n.
#pragma once
#include <complex>
#include <cstddef>
#include <limits>
#include <memory>
#include <new>
#include <string>
#include <vector>

namespace sedpdf {

/// Memory from fftw_malloc (SIMD-aligned), so the FFTW backend can execute its cached plans on any
/// buffer of this type.
void* fftw_aligned_alloc(size_t bytes);
void fftw_aligned_free(void* p) noexcept;
template <class T>
struct FftwAllocator {
  using value_type = T;
  FftwAllocator() = default;
  template <class U>
  FftwAllocator(const FftwAllocator<U>&) noexcept {}
  T* allocate(size_t n) {
    if (n > std::numeric_limits<size_t>::max() / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(fftw_aligned_alloc(n * sizeof(T)));
  }
  void deallocate(T* p, size_t) noexcept { fftw_aligned_free(p); }
  template <class U>
  bool operator==(const FftwAllocator<U>&) const noexcept { return true; }
  template <class U>
  bool operator!=(const FftwAllocator<U>&) const noexcept { return false; }
};

using Complex = std::complex<double>;
/// A complex field on an n × n grid (row-major, row ↔ y), aligned for FFTW.
using ComplexField = std::vector<Complex, FftwAllocator<Complex>>;
/// A real field on an n × n grid, aligned for FFTW.
using RealField = std::vector<double, FftwAllocator<double>>;

/// In-place unnormalised 2-D complex DFT of an n × n array. An instance is used by one thread at a time.
class Fft2Kernel {
 public:
  virtual ~Fft2Kernel() = default;
  virtual std::string name() const = 0;
  virtual size_t n() const = 0;
  virtual void forward(Complex* data) = 0;  ///< exp(−2πi jk/n)
  virtual void inverse(Complex* data) = 0;  ///< exp(+2πi jk/n), no 1/n² factor
};

/// Reference: direct DFT along rows then columns with exactly computed twiddles (cos/sin of 2π(jk mod n)/n).
std::unique_ptr<Fft2Kernel> make_reference_dft(size_t n);

/// FFTW3 backend. threads ≥ 1: FFTW threads inside each transform (libfftw3_omp). measure: FFTW_MEASURE
/// planning (slower to plan, faster to run; plans are cached for the process) instead of FFTW_ESTIMATE.
/// Buffers passed to forward/inverse must come from FftwAllocator (ComplexField). Thread-safe to create.
std::unique_ptr<Fft2Kernel> make_fftw_kernel(size_t n, int threads = 1, bool measure = false);

/// Real-to-half-complex forward transform (n × (n/2 + 1) output) and its inverse, FFTW, cached plans.
/// in/out from FftwAllocator; c2r destroys its input.
void fftw_r2c(size_t n, double* in, Complex* out, bool measure = false);
void fftw_c2r(size_t n, Complex* in, double* out, bool measure = false);

/// The smallest m ≥ n of the form 2^a 3^b 5^c 7^d (sizes FFTW transforms fastest).
size_t fft_friendly_size(size_t n);

}  // namespace sedpdf
