#include "sedpdf/validate/metrics.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

namespace {
void check_sizes(const std::vector<double>& x, const std::vector<double>& a, const std::vector<double>& b) {
  if (x.size() != a.size() || x.size() != b.size()) {
    std::ostringstream m;
    m << "curves of different lengths: grid " << x.size() << ", " << a.size() << " and " << b.size();
    throw std::invalid_argument(m.str());
  }
}
bool in(const Window& w, double v) { return v >= w.lo && v <= w.hi; }
}  // namespace

double pearson(const std::vector<double>& x, const std::vector<double>& y1, const std::vector<double>& y2,
               Window w) {
  check_sizes(x, y1, y2);
  double n = 0, m1 = 0, m2 = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (in(w, x[i])) { n += 1; m1 += y1[i]; m2 += y2[i]; }
  if (n < 2) throw std::invalid_argument("Pearson correlation needs at least two points in the window");
  m1 /= n;
  m2 /= n;
  double c = 0, v1 = 0, v2 = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (in(w, x[i])) {
      c += (y1[i] - m1) * (y2[i] - m2);
      v1 += (y1[i] - m1) * (y1[i] - m1);
      v2 += (y2[i] - m2) * (y2[i] - m2);
    }
  if (v1 <= 0 || v2 <= 0) throw std::invalid_argument("Pearson correlation of a constant curve is undefined");
  return c / std::sqrt(v1 * v2);
}

double rms_difference(const std::vector<double>& x, const std::vector<double>& y1, const std::vector<double>& y2,
                      Window w) {
  check_sizes(x, y1, y2);
  double n = 0, s = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (in(w, x[i])) { n += 1; s += (y1[i] - y2[i]) * (y1[i] - y2[i]); }
  if (n < 1) throw std::invalid_argument("no points in the window");
  return std::sqrt(s / n);
}

double rms(const std::vector<double>& x, const std::vector<double>& y, Window w) {
  const std::vector<double> zero(y.size(), 0.0);
  return rms_difference(x, y, zero, w);
}

double rw(const std::vector<double>& x, const std::vector<double>& y_obs, const std::vector<double>& y_calc,
          Window w) {
  check_sizes(x, y_obs, y_calc);
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (in(w, x[i])) {
      num += (y_obs[i] - y_calc[i]) * (y_obs[i] - y_calc[i]);
      den += y_obs[i] * y_obs[i];
    }
  if (den <= 0) throw std::invalid_argument("Rw undefined: the observed curve is zero in the window");
  return std::sqrt(num / den);
}

Peak highest_peak(const std::vector<double>& x, const std::vector<double>& y, Window w) {
  if (x.size() != y.size()) throw std::invalid_argument("peak search: grid and values differ in length");
  size_t best = x.size();
  size_t first = x.size(), last = 0, count = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (in(w, x[i])) {
      first = std::min(first, i);
      last = i;
      ++count;
      if (best == x.size() || y[i] > y[best]) best = i;
    }
  if (count < 3) {
    std::ostringstream m;
    m << "peak search window [" << w.lo << ", " << w.hi << "] holds " << count << " samples (need 3)";
    throw std::invalid_argument(m.str());
  }
  Peak p;
  p.index = best;
  p.position = x[best];
  p.height = y[best];
  if (best > first && best < last) {
    // Vertex of the parabola through (x[i-1], y[i-1]), (x[i], y[i]), (x[i+1], y[i+1]), uniform spacing.
    const double ym = y[best - 1], y0 = y[best], yp = y[best + 1];
    const double denom = ym - 2 * y0 + yp;
    if (denom < 0) {
      const double delta = 0.5 * (ym - yp) / denom;
      const double h = 0.5 * (x[best + 1] - x[best - 1]);
      p.position = x[best] + delta * h;
      p.height = y0 - 0.25 * (ym - yp) * delta;
    }
  }
  return p;
}

}  // namespace sedpdf
