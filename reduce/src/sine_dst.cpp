// Sine transform by FFTW's DST-I (RODFT00). Formulas in sine_dst.hpp.
#include "sedpdf/reduce/sine_dst.hpp"

#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>

#include <fftw3.h>

#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf {

namespace {

[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("sine_transform_dst: " + what); }

/// FFTW's planner is not thread-safe; plans are made under this lock (execution is).
std::mutex& planner_mutex() {
  static std::mutex m;
  return m;
}

struct FftwFree {
  void operator()(double* p) const { fftw_free(p); }
};

}  // namespace

std::vector<double> sine_transform_dst(const std::vector<double>& s, const std::vector<double>& psi, double r_min,
                                       double dr, size_t count) {
  const size_t n1 = s.size();
  if (n1 < 3) bad("need at least 3 s nodes, got " + std::to_string(n1));
  if (psi.size() != n1) bad("psi has " + std::to_string(psi.size()) + " values for " + std::to_string(n1) + " nodes");
  const size_t n = n1 - 1;
  const double h = s.back() / static_cast<double>(n);
  if (!(h > 0) || !std::isfinite(h)) bad("s does not increase from 0 (last node " + format_number(s.back()) + ")");
  for (size_t j = 0; j < n1; ++j)
    if (std::fabs(s[j] - static_cast<double>(j) * h) > 1e-9 * std::max(1.0, s.back()))
      bad("s is not the uniform grid j·h from 0 (h = " + format_number(h) + "): s[" + std::to_string(j) + "] = " + format_number(s[j]));
  if (!(dr > 0) || !(r_min >= 0) || !std::isfinite(r_min) || !std::isfinite(dr))
    bad("r grid r_min = " + format_number(r_min) + ", dr = " + format_number(dr) + " must have r_min >= 0, dr > 0");
  // L = 1/(2h·dr): find a small c with c·L whole, M0 = c·L, M = M0·⌈n/M0⌉.
  const double L = 1.0 / (2.0 * h * dr);
  long c = 0;
  for (long t = 1; t <= 10000; ++t) {
    const double v = static_cast<double>(t) * L;
    if (std::fabs(v - std::round(v)) < 1e-9 * std::max(1.0, v)) {
      c = t;
      break;
    }
  }
  const double q = r_min / dr;
  if (c == 0 || std::fabs(q - std::round(q)) > 1e-9 * std::max(1.0, q))
    bad("r grid r_min = " + format_number(r_min) + " Å, dr = " + format_number(dr) + " Å is not commensurate with h = " + format_number(h) +
        " 1/Å: 1/(2h·dr) = " + format_number(L) + " must be rational with a small denominator and r_min/dr = " + format_number(q) + " whole");
  const double M0 = std::round(static_cast<double>(c) * L);
  const double mult = std::ceil(static_cast<double>(n) / M0);
  const double Md = M0 * mult;
  if (Md > 67108864.0) bad("padded length " + format_number(Md) + " exceeds 2^26 (h = " + format_number(h) + ", dr = " + format_number(dr) + ")");
  const size_t M = static_cast<size_t>(Md);
  const long step = c * static_cast<long>(mult);  // lattice index per dr
  const long first = step * std::lround(q);
  const long last = first + step * static_cast<long>(count == 0 ? 0 : count - 1);
  if (count > 0 && last > static_cast<long>(M) - 1)
    bad("r_max = " + format_number(r_min + dr * static_cast<double>(count - 1)) + " Å reaches the Nyquist limit 1/(2h) = " +
        format_number(1.0 / (2 * h)) + " Å");

  std::vector<double> out(count, 0.0);
  if (count == 0) return out;
  const size_t nfft = M - 1;
  std::unique_ptr<double, FftwFree> in(static_cast<double*>(fftw_malloc(sizeof(double) * nfft)));
  std::unique_ptr<double, FftwFree> res(static_cast<double*>(fftw_malloc(sizeof(double) * nfft)));
  if (!in || !res) throw std::bad_alloc();
  for (size_t j = 0; j < nfft; ++j) in.get()[j] = (j + 1 < n) ? psi[j + 1] : 0.0;
  fftw_plan plan;
  {
    std::lock_guard<std::mutex> lock(planner_mutex());
    plan = fftw_plan_r2r_1d(static_cast<int>(nfft), in.get(), res.get(), FFTW_RODFT00, FFTW_ESTIMATE);
  }
  if (!plan) bad("FFTW could not plan a DST-I of length " + std::to_string(nfft));
  fftw_execute(plan);
  {
    std::lock_guard<std::mutex> lock(planner_mutex());
    fftw_destroy_plan(plan);
  }
  const double sn = s.back();
  for (size_t i = 0; i < count; ++i) {
    const long m = first + step * static_cast<long>(i);
    const double r = static_cast<double>(m) / (2.0 * static_cast<double>(M) * h);
    const double k = 2 * kPi * r, th = k * h;
    double interior = m == 0 ? 0.0 : 0.5 * res.get()[m - 1];
    double c_first, c_last_s, c_last_c, sinc2;
    if (std::fabs(th) < 1e-2) {
      const double t2 = th * th;
      c_last_s = 0.5 - t2 / 24.0 * (1.0 - t2 / 30.0);
      c_first = th / 6.0 * (1.0 - t2 / 20.0 * (1.0 - t2 / 42.0));
      c_last_c = c_first;
      const double half = 1.0 - t2 / 24.0 * (1.0 - t2 / 80.0);  // sinc(θ/2)
      sinc2 = half * half;
    } else {
      c_first = (th - std::sin(th)) / (th * th);
      c_last_s = (1.0 - std::cos(th)) / (th * th);
      c_last_c = c_first;
      const double half = std::sin(0.5 * th) / (0.5 * th);
      sinc2 = half * half;
    }
    const double total = h * (sinc2 * interior + psi[0] * c_first +
                              psi[n] * (std::sin(k * sn) * c_last_s - std::cos(k * sn) * c_last_c));
    out[i] = 8 * kPi * total;
  }
  return out;
}

}  // namespace sedpdf
