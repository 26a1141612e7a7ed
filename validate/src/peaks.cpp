#include "sedpdf/validate/peaks.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

namespace {

bool in_window(const Window& w, double v) { return v >= w.lo && v <= w.hi; }

// Vertex of the parabola through (x0, y0), (x1, y1), (x2, y2) (any spacing, x0 < x1 < x2).
// Returns false if the parabola does not open downwards. a = curvature coefficient (y = a(x − xv)² + yv).
bool parabola_vertex(double x0, double y0, double x1, double y1, double x2, double y2, double& xv, double& yv,
                     double& a) {
  const double d01 = (y1 - y0) / (x1 - x0);
  const double d12 = (y2 - y1) / (x2 - x1);
  a = (d12 - d01) / (x2 - x0);
  if (!(a < 0)) return false;
  const double b = d01 - a * (x0 + x1);  // y = a x² + b x + c
  xv = -b / (2 * a);
  const double c = y1 - a * x1 * x1 - b * x1;
  yv = c - b * b / (4 * a);
  return true;
}

}  // namespace

PeakInfo refine_peak(const std::vector<double>& x, const std::vector<double>& y, std::size_t index,
                     PeakRefinement refinement, double baseline) {
  if (x.size() != y.size()) throw std::invalid_argument("peak refinement: grid and values differ in length");
  if (index == 0 || index + 1 >= x.size()) {
    std::ostringstream m;
    m << "peak refinement: index " << index << " is at an end of a curve of " << x.size() << " samples";
    throw std::invalid_argument(m.str());
  }
  PeakInfo p;
  p.index = index;
  p.position = x[index];
  p.height = y[index];
  const double ym = y[index - 1], y0 = y[index], yp = y[index + 1];
  bool done = false;
  if (refinement == PeakRefinement::Gaussian && ym > baseline && y0 > baseline && yp > baseline) {
    double xv = 0, lv = 0, a = 0;
    if (parabola_vertex(x[index - 1], std::log(ym - baseline), x[index], std::log(y0 - baseline), x[index + 1],
                        std::log(yp - baseline), xv, lv, a)) {
      // ln(y − b) = ln A − (x − μ)²/(2σ²)  =>  a = −1/(2σ²)
      p.position = xv;
      p.height = baseline + std::exp(lv);
      p.sigma = std::sqrt(-1.0 / (2 * a));
      done = true;
    }
  }
  if (!done) {
    double xv = 0, yv = 0, a = 0;
    if (parabola_vertex(x[index - 1], ym, x[index], y0, x[index + 1], yp, xv, yv, a)) {
      p.position = xv;
      p.height = yv;
    }
  }
  return p;
}

double half_maximum_width(const std::vector<double>& x, const std::vector<double>& y, std::size_t index,
                          double height, double baseline, std::size_t first, std::size_t last) {
  const double half = baseline + 0.5 * (height - baseline);
  double left = std::numeric_limits<double>::quiet_NaN(), right = left;
  for (std::size_t i = index; i > first; --i) {
    if (y[i - 1] < half && y[i] >= half) {
      left = x[i - 1] + (half - y[i - 1]) / (y[i] - y[i - 1]) * (x[i] - x[i - 1]);
      break;
    }
  }
  for (std::size_t i = index; i < last; ++i) {
    if (y[i + 1] < half && y[i] >= half) {
      right = x[i] + (y[i] - half) / (y[i] - y[i + 1]) * (x[i + 1] - x[i]);
      break;
    }
  }
  if (std::isnan(left) || std::isnan(right)) return 0;
  return right - left;
}

std::vector<PeakInfo> find_peaks(const std::vector<double>& x, const std::vector<double>& y,
                                 const PeakOptions& opt) {
  if (x.size() != y.size()) throw std::invalid_argument("peak search: grid and values differ in length");
  std::size_t first = x.size(), last = 0, count = 0;
  for (std::size_t i = 0; i < x.size(); ++i)
    if (in_window(opt.window, x[i])) {
      first = std::min(first, i);
      last = i;
      ++count;
    }
  if (count < 3) {
    std::ostringstream m;
    m << "peak search window [" << opt.window.lo << ", " << opt.window.hi << "] holds " << count
      << " samples (need 3)";
    throw std::invalid_argument(m.str());
  }
  std::vector<PeakInfo> out;
  for (std::size_t i = first + 1; i < last; ++i) {
    if (!(y[i - 1] < y[i] && y[i] >= y[i + 1])) continue;
    PeakInfo p = refine_peak(x, y, i, opt.refinement, opt.baseline);
    if (p.height < opt.min_height) continue;
    // prominence: walk each side until a higher sample or the window edge, tracking the minimum.
    double lmin = y[i], rmin = y[i];
    for (std::size_t j = i; j > first; --j) {
      if (y[j - 1] > y[i]) break;
      lmin = std::min(lmin, y[j - 1]);
    }
    for (std::size_t j = i; j < last; ++j) {
      if (y[j + 1] > y[i]) break;
      rmin = std::min(rmin, y[j + 1]);
    }
    p.prominence = y[i] - std::max(lmin, rmin);
    if (p.prominence < opt.min_prominence) continue;
    p.fwhm = half_maximum_width(x, y, i, p.height, opt.baseline, first, last);
    out.push_back(p);
  }
  return out;
}

PeakInfo first_peak(const std::vector<double>& x, const std::vector<double>& y, Window w, double fraction_of_max) {
  PeakOptions opt;
  opt.window = w;
  const std::vector<PeakInfo> peaks = find_peaks(x, y, opt);
  double hmax = -std::numeric_limits<double>::infinity();
  for (const PeakInfo& p : peaks) hmax = std::max(hmax, p.height);
  for (const PeakInfo& p : peaks)
    if (p.height > 0 && p.height >= fraction_of_max * hmax) return p;
  std::ostringstream m;
  m << "no positive peak in [" << w.lo << ", " << w.hi << "]";
  throw std::invalid_argument(m.str());
}

PeakInfo nearest_peak(const std::vector<double>& x, const std::vector<double>& y, double position, Window w) {
  PeakOptions opt;
  opt.window = w;
  const std::vector<PeakInfo> peaks = find_peaks(x, y, opt);
  const PeakInfo* best = nullptr;
  for (const PeakInfo& p : peaks)
    if (p.height > 0 && (!best || std::abs(p.position - position) < std::abs(best->position - position))) best = &p;
  if (!best) {
    std::ostringstream m;
    m << "no positive peak in [" << w.lo << ", " << w.hi << "] near " << position;
    throw std::invalid_argument(m.str());
  }
  return *best;
}

double first_peak_scale(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& y_ref,
                        Window w, double fraction_of_max) {
  const PeakInfo b = first_peak(x, y_ref, w, fraction_of_max);
  const PeakInfo a = nearest_peak(x, y, b.position, w);
  return b.height / a.height;
}

std::vector<double> scale_to_first_peak(const std::vector<double>& x, const std::vector<double>& y,
                                        const std::vector<double>& y_ref, Window w, double fraction_of_max) {
  const double k = first_peak_scale(x, y, y_ref, w, fraction_of_max);
  std::vector<double> out(y);
  for (double& v : out) v *= k;
  return out;
}

std::vector<WindowScore> window_scores(const std::vector<double>& x, const std::vector<double>& y_obs,
                                       const std::vector<double>& y_calc, const std::vector<Window>& windows) {
  std::vector<WindowScore> out;
  for (const Window& w : windows) {
    WindowScore s;
    s.window = w;
    s.pearson = pearson(x, y_obs, y_calc, w);
    s.rw = rw(x, y_obs, y_calc, w);
    s.rms = rms_difference(x, y_obs, y_calc, w);
    out.push_back(s);
  }
  return out;
}

std::vector<double> peak_position_offsets(const std::vector<PeakInfo>& peaks, const std::vector<PeakInfo>& reference,
                                          double tolerance) {
  std::vector<double> out;
  for (const PeakInfo& r : reference) {
    double best = std::numeric_limits<double>::quiet_NaN();
    for (const PeakInfo& p : peaks) {
      const double d = p.position - r.position;
      if (std::abs(d) <= tolerance && (std::isnan(best) || std::abs(d) < std::abs(best))) best = d;
    }
    out.push_back(best);
  }
  return out;
}

PeakComparison compare_peak_positions(const std::vector<double>& x, const std::vector<double>& y,
                                      const std::vector<double>& y_ref, Window first_shell, Window range,
                                      double tol_first, double tol_rest, double min_prominence_fraction) {
  PeakComparison c;
  auto max_abs_in = [&](const std::vector<double>& v) {
    double m = 0;
    for (std::size_t i = 0; i < x.size(); ++i)
      if (in_window(range, x[i])) m = std::max(m, std::abs(v[i]));
    return m;
  };
  PeakOptions o;
  o.window = range;
  o.min_prominence = min_prominence_fraction * max_abs_in(y_ref);
  o.min_height = 0;
  c.reference_peaks = find_peaks(x, y_ref, o);
  o.min_prominence = min_prominence_fraction * max_abs_in(y);
  c.peaks = find_peaks(x, y, o);
  c.offsets = peak_position_offsets(c.peaks, c.reference_peaks, 2 * tol_rest);
  const PeakInfo ref_first = first_peak(x, y_ref, first_shell);
  c.first_shell_offset = nearest_peak(x, y, ref_first.position, first_shell).position - ref_first.position;
  c.first_shell_ok = std::abs(c.first_shell_offset) <= tol_first;
  bool all = c.first_shell_ok;
  for (double d : c.offsets) {
    if (!std::isnan(d) && std::abs(d) <= tol_rest) {
      ++c.n_matched;
      c.max_abs_offset = std::max(c.max_abs_offset, std::abs(d));
    } else {
      all = false;
    }
  }
  c.all_ok = all;
  c.peak_offsets = peak_position_offsets(c.reference_peaks, c.peaks, 2 * tol_rest);
  for (double& d : c.peak_offsets) {
    d = -d;  // reference − peak of y → peak of y − reference
    if (!std::isnan(d) && std::abs(d) <= tol_rest) {
      ++c.n_peaks_at_reference;
      c.max_abs_peak_offset = std::max(c.max_abs_peak_offset, std::abs(d));
    }
  }
  c.positions_ok = c.first_shell_ok && c.peaks_at_reference();
  return c;
}

std::vector<double> propagated_peak_sigmas(const std::function<std::vector<double>(const std::vector<double>&)>& reduce,
                                           const std::vector<double>& x, const std::vector<double>& I,
                                           const std::vector<double>& variance, const std::vector<double>& positions,
                                           double half_window) {
  if (variance.size() != I.size())
    throw std::invalid_argument("propagated peak sigmas: " + std::to_string(variance.size()) + " variances for " +
                                std::to_string(I.size()) + " intensities");
  if (!(half_window > 0)) throw std::invalid_argument("propagated peak sigmas: half_window must be > 0");
  auto locate = [&](const std::vector<double>& y, std::vector<double>& out) {
    if (y.size() != x.size())
      throw std::invalid_argument("propagated peak sigmas: reduce() returned " + std::to_string(y.size()) +
                                  " values for " + std::to_string(x.size()) + " abscissae");
    out.resize(positions.size());
    for (std::size_t k = 0; k < positions.size(); ++k)
      out[k] = nearest_peak(x, y, positions[k], {positions[k] - half_window, positions[k] + half_window}).position;
  };
  std::vector<double> centre;
  locate(reduce(I), centre);
  std::vector<double> var_out(positions.size(), 0.0), plus, minus;
  std::vector<double> J = I;
  for (std::size_t j = 0; j < I.size(); ++j) {
    const double v = variance[j];
    if (!std::isfinite(v) || v <= 0) continue;
    const double eps = 1e-3 * std::sqrt(v);
    J[j] = I[j] + eps;
    locate(reduce(J), plus);
    J[j] = I[j] - eps;
    locate(reduce(J), minus);
    J[j] = I[j];
    for (std::size_t k = 0; k < positions.size(); ++k) {
      const double d = (plus[k] - minus[k]) / (2 * eps);
      var_out[k] += d * d * v;
    }
  }
  for (double& v : var_out) v = std::sqrt(v);
  return var_out;
}

double jackknife_sigma(const std::vector<double>& leave_one_out) {
  const std::size_t k = leave_one_out.size();
  if (k < 2) throw std::invalid_argument("jackknife: needs at least 2 leave-one-out values, got " + std::to_string(k));
  double mean = 0;
  for (double v : leave_one_out) {
    if (!std::isfinite(v)) return std::numeric_limits<double>::quiet_NaN();
    mean += v;
  }
  mean /= static_cast<double>(k);
  double ss = 0;
  for (double v : leave_one_out) ss += (v - mean) * (v - mean);
  return std::sqrt(static_cast<double>(k - 1) / static_cast<double>(k) * ss);
}

}  // namespace sedpdf
