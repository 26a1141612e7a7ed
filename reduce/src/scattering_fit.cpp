// Background fit N⟨f²⟩ + C and reduced intensity φ(s) (Laulainen et al., Nanoscale 2022, eqs. 1 and 4).
#include "sedpdf/reduce/scattering_fit.hpp"

#include "sedpdf/structures/error.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>
#include <string>

namespace sedpdf {

namespace {

std::string window_text(double s_lo, double s_hi) {
  std::ostringstream os;
  os << "fit window [" << s_lo << ", " << s_hi << "] 1/Å";
  return os.str();
}

void check_size(const char* func, const char* name, size_t n, size_t expect) {
  if (n != expect)
    throw std::invalid_argument(std::string(func) + ": " + name + " has " + std::to_string(n) +
                                " points but s has " + std::to_string(expect));
}

}  // namespace

// Weighted straight-line fit y = N x + C with x = ⟨f²⟩, y = I, in centred form (numerically stable):
//   x̄ = Σwx/Σw, ȳ = Σwy/Σw, Sxx = Σw(x−x̄)², Sxy = Σw(x−x̄)(y−ȳ), N = Sxy/Sxx, C = ȳ − N x̄,
//   σ̂² = Σw r²/(n−2), var N = σ̂²/Sxx, var C = σ̂² (1/Σw + x̄²/Sxx)
// (e.g. Press et al., Numerical Recipes 3rd ed., §15.2, with σ̂² estimated from the residuals).
BackgroundFit fit_background(const std::vector<double>& s, const std::vector<double>& I,
                             const std::vector<double>& f2_mean, double s_lo, double s_hi,
                             const std::vector<double>* weights) {
  const char* fn = "fit_background";
  const size_t n = s.size();
  check_size(fn, "I", I.size(), n);
  check_size(fn, "f2_mean", f2_mean.size(), n);
  if (weights) check_size(fn, "weights", weights->size(), n);
  if (!std::isfinite(s_lo) || !std::isfinite(s_hi) || !(s_lo < s_hi))
    throw std::invalid_argument(std::string(fn) + ": " + window_text(s_lo, s_hi) +
                                " is not a finite interval with s_lo < s_hi");

  std::vector<size_t> used;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(s[i]))
      throw std::invalid_argument(std::string(fn) + ": s[" + std::to_string(i) + "] = " + format_number(s[i], 6) +
                                  " is not finite");
    if (s[i] < s_lo || s[i] > s_hi) continue;
    if (!std::isfinite(I[i]))
      throw std::invalid_argument(std::string(fn) + ": I[" + std::to_string(i) + "] = " + format_number(I[i], 6) +
                                  " (s = " + format_number(s[i], 6) + ") is not finite inside the " + window_text(s_lo, s_hi));
    if (!std::isfinite(f2_mean[i]))
      throw std::invalid_argument(std::string(fn) + ": f2_mean[" + std::to_string(i) + "] = " +
                                  format_number(f2_mean[i], 6) + " is not finite inside the " + window_text(s_lo, s_hi));
    if (weights) {
      const double w = (*weights)[i];
      if (!std::isfinite(w) || w < 0)
        throw std::invalid_argument(std::string(fn) + ": weights[" + std::to_string(i) + "] = " + format_number(w, 6) +
                                    " must be finite and non-negative");
      if (w == 0) continue;
    }
    used.push_back(i);
  }
  if (used.size() < 3)
    throw std::invalid_argument(std::string(fn) + ": " + window_text(s_lo, s_hi) + " holds " +
                                std::to_string(used.size()) + " usable points; at least 3 are needed");

  auto w_of = [&](size_t i) { return weights ? (*weights)[i] : 1.0; };
  double sw = 0, swx = 0, swy = 0, swx2 = 0;
  for (size_t i : used) {
    const double w = w_of(i);
    sw += w;
    swx += w * f2_mean[i];
    swy += w * I[i];
    swx2 += w * f2_mean[i] * f2_mean[i];
  }
  const double xm = swx / sw, ym = swy / sw;
  double sxx = 0, sxy = 0;
  for (size_t i : used) {
    const double w = w_of(i), dx = f2_mean[i] - xm;
    sxx += w * dx * dx;
    sxy += w * dx * (I[i] - ym);
  }
  // Singular when ⟨f²⟩ is (numerically) constant over the window: N and C are then not separable.
  if (!(sxx > 1e-12 * swx2))
    throw std::invalid_argument(std::string(fn) + ": f2_mean is constant over the " + window_text(s_lo, s_hi) +
                                ": N and C cannot be separated (singular system)");

  BackgroundFit fit;
  fit.N = sxy / sxx;
  fit.C = ym - fit.N * xm;
  fit.n_points = used.size();
  double swr2 = 0, sr2 = 0;
  for (size_t i : used) {
    const double r = I[i] - fit.N * f2_mean[i] - fit.C;
    swr2 += w_of(i) * r * r;
    sr2 += r * r;
  }
  const double var = swr2 / static_cast<double>(used.size() - 2);
  fit.N_err = std::sqrt(var / sxx);
  fit.C_err = std::sqrt(var * (1.0 / sw + xm * xm / sxx));
  fit.rms_residual = std::sqrt(sr2 / static_cast<double>(used.size()));
  return fit;
}

// φ(s) = s [I − N⟨f²⟩ − C] / (N⟨f⟩²)   (Laulainen et al. 2022, eqs. 1 and 4).
std::vector<double> reduced_intensity(const std::vector<double>& s, const std::vector<double>& I,
                                      const std::vector<double>& f_mean,
                                      const std::vector<double>& f2_mean, double N, double C) {
  const char* fn = "reduced_intensity";
  const size_t n = s.size();
  check_size(fn, "I", I.size(), n);
  check_size(fn, "f_mean", f_mean.size(), n);
  check_size(fn, "f2_mean", f2_mean.size(), n);
  if (!std::isfinite(N) || N == 0)
    throw std::invalid_argument(std::string(fn) + ": scale N = " + format_number(N, 6) + " must be finite and non-zero");
  if (!std::isfinite(C))
    throw std::invalid_argument(std::string(fn) + ": offset C = " + format_number(C, 6) + " must be finite");
  std::vector<double> phi(n);
  for (size_t i = 0; i < n; ++i)
    phi[i] = s[i] * (I[i] - N * f2_mean[i] - C) / (N * f_mean[i] * f_mean[i]);
  return phi;
}

FactorCurves factor_curves(const ScatteringFactors& sf, const Composition& c, const std::vector<double>& s) {
  FactorCurves out;
  out.f_mean.resize(s.size());
  out.f2_mean.resize(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const FAverages a = composition_averages(sf, c, s[i]);
    out.f_mean[i] = a.f_mean;
    out.f2_mean[i] = a.f2_mean;
  }
  return out;
}

}  // namespace sedpdf
