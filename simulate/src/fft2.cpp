// FFTW3 backend with a process-wide plan cache, and the reference DFT.
#include "sedpdf/simulate/fft2.hpp"

#include <fftw3.h>

#include <cmath>
#include <map>
#include <mutex>
#include <stdexcept>
#include <tuple>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

void* fftw_aligned_alloc(size_t bytes) {
  void* p = fftw_malloc(bytes == 0 ? 1 : bytes);
  if (!p) throw std::bad_alloc();
  return p;
}
void fftw_aligned_free(void* p) noexcept { fftw_free(p); }

size_t fft_friendly_size(size_t n) {
  if (n < 2) return 2;
  for (size_t m = n;; ++m) {
    size_t r = m;
    for (size_t f : {2u, 3u, 5u, 7u})
      while (r % f == 0) r /= f;
    if (r == 1) return m;
  }
}

namespace {

// ---- reference ----
class ReferenceDft final : public Fft2Kernel {
 public:
  explicit ReferenceDft(size_t n) : n_(n), cosv_(n), sinv_(n), line_(n), tmp_(n) {
    if (n < 1) throw std::invalid_argument("make_reference_dft: n = 0");
    for (size_t j = 0; j < n; ++j) {
      const double a = 2.0 * kPi * static_cast<double>(j) / static_cast<double>(n);
      cosv_[j] = std::cos(a);
      sinv_[j] = std::sin(a);
    }
  }
  std::string name() const override { return "reference-dft"; }
  size_t n() const override { return n_; }
  void forward(Complex* d) override { run(d, -1.0); }
  void inverse(Complex* d) override { run(d, 1.0); }

 private:
  void dft1(const Complex* in, size_t stride, Complex* out, double sign) {
    for (size_t k = 0; k < n_; ++k) {
      Complex acc = 0;
      for (size_t j = 0; j < n_; ++j) {
        const size_t m = (j * k) % n_;
        acc += in[j * stride] * Complex(cosv_[m], sign * sinv_[m]);
      }
      out[k] = acc;
    }
  }
  void run(Complex* d, double sign) {
    for (size_t r = 0; r < n_; ++r) {
      dft1(d + r * n_, 1, tmp_.data(), sign);
      for (size_t k = 0; k < n_; ++k) d[r * n_ + k] = tmp_[k];
    }
    for (size_t c = 0; c < n_; ++c) {
      dft1(d + c, n_, tmp_.data(), sign);
      for (size_t k = 0; k < n_; ++k) d[k * n_ + c] = tmp_[k];
    }
  }
  size_t n_;
  std::vector<double> cosv_, sinv_;
  std::vector<Complex> line_, tmp_;
};

// ---- FFTW plan cache ----
enum class Kind { C2cForward, C2cInverse, R2c, C2r };
using Key = std::tuple<int, size_t, int, bool>;

std::mutex& plan_mutex() {
  static std::mutex m;
  return m;
}

void init_fftw_threads_locked() {
  static bool done = false;
  if (done) return;
  fftw_make_planner_thread_safe();
  fftw_init_threads();
  done = true;
}

fftw_plan get_plan(Kind kind, size_t n, int threads, bool measure) {
  if (n < 2) throw std::invalid_argument("FFTW plan: grid size " + std::to_string(n) + " < 2");
  if (threads < 1) threads = 1;
  std::lock_guard<std::mutex> lock(plan_mutex());
  static std::map<Key, fftw_plan> cache;
  const Key key{static_cast<int>(kind), n, threads, measure};
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  init_fftw_threads_locked();
  fftw_plan_with_nthreads(threads);
  const unsigned flags = measure ? FFTW_MEASURE : FFTW_ESTIMATE;
  const int ni = static_cast<int>(n);
  fftw_plan p = nullptr;
  // Plans are made on scratch arrays (MEASURE overwrites them) and executed on the callers' arrays with
  // the new-array execute functions; both come from fftw_malloc, so the alignment matches.
  if (kind == Kind::C2cForward || kind == Kind::C2cInverse) {
    fftw_complex* a = fftw_alloc_complex(n * n);
    p = fftw_plan_dft_2d(ni, ni, a, a, kind == Kind::C2cForward ? FFTW_FORWARD : FFTW_BACKWARD, flags);
    fftw_free(a);
  } else {
    double* r = fftw_alloc_real(n * n);
    fftw_complex* c = fftw_alloc_complex(n * (n / 2 + 1));
    p = kind == Kind::R2c ? fftw_plan_dft_r2c_2d(ni, ni, r, c, flags) : fftw_plan_dft_c2r_2d(ni, ni, c, r, flags);
    fftw_free(r);
    fftw_free(c);
  }
  fftw_plan_with_nthreads(1);
  if (!p) throw std::runtime_error("FFTW could not plan a " + std::to_string(n) + "² transform");
  cache.emplace(key, p);
  return p;
}

class FftwKernel final : public Fft2Kernel {
 public:
  FftwKernel(size_t n, int threads, bool measure)
      : n_(n),
        fwd_(get_plan(Kind::C2cForward, n, threads, measure)),
        inv_(get_plan(Kind::C2cInverse, n, threads, measure)),
        threads_(threads) {}
  std::string name() const override { return "fftw" + std::string(threads_ > 1 ? "-threads" : ""); }
  size_t n() const override { return n_; }
  void forward(Complex* d) override {
    auto* p = reinterpret_cast<fftw_complex*>(d);
    fftw_execute_dft(fwd_, p, p);
  }
  void inverse(Complex* d) override {
    auto* p = reinterpret_cast<fftw_complex*>(d);
    fftw_execute_dft(inv_, p, p);
  }

 private:
  size_t n_;
  fftw_plan fwd_, inv_;
  int threads_;
};

}  // namespace

std::unique_ptr<Fft2Kernel> make_reference_dft(size_t n) { return std::make_unique<ReferenceDft>(n); }

std::unique_ptr<Fft2Kernel> make_fftw_kernel(size_t n, int threads, bool measure) {
  return std::make_unique<FftwKernel>(n, threads, measure);
}

void fftw_r2c(size_t n, double* in, Complex* out, bool measure) {
  fftw_execute_dft_r2c(get_plan(Kind::R2c, n, 1, measure), in, reinterpret_cast<fftw_complex*>(out));
}
void fftw_c2r(size_t n, Complex* in, double* out, bool measure) {
  fftw_execute_dft_c2r(get_plan(Kind::C2r, n, 1, measure), reinterpret_cast<fftw_complex*>(in), out);
}

}  // namespace sedpdf
