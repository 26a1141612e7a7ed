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

double subspace_pearson(const std::vector<double>& x, const std::vector<std::vector<double>>& basis,
                        const std::vector<double>& y, Window w) {
  check_sizes(x, y, y);
  std::vector<size_t> idx;
  for (size_t i = 0; i < x.size(); ++i)
    if (in(w, x[i])) idx.push_back(i);
  if (idx.size() < 2) throw std::invalid_argument("subspace Pearson needs at least two points in the window");
  const auto n = static_cast<double>(idx.size());
  auto centred = [&](const std::vector<double>& v) {
    double m = 0;
    for (size_t i : idx) m += v[i];
    m /= n;
    std::vector<double> c;
    c.reserve(idx.size());
    for (size_t i : idx) c.push_back(v[i] - m);
    return c;
  };
  auto dot = [](const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
  };
  const std::vector<double> yc = centred(y);
  const double yy = dot(yc, yc);
  if (!(yy > 0)) throw std::invalid_argument("subspace Pearson of a constant curve is undefined");
  // Modified Gram–Schmidt, twice per vector (Giraud et al., Numer. Math. 101 (2005) 87: "twice is enough").
  std::vector<std::vector<double>> q;
  for (const std::vector<double>& b : basis) {
    check_sizes(x, b, b);
    std::vector<double> v = centred(b);
    const double v0 = std::sqrt(dot(v, v));
    double scale = 0;
    for (size_t i : idx) scale = std::max(scale, std::fabs(b[i]));
    if (!(v0 > 1e-12 * scale * std::sqrt(n))) continue;  // constant over the window (up to rounding)
    for (int pass = 0; pass < 2; ++pass)
      for (const std::vector<double>& u : q) {
        const double a = dot(u, v);
        for (size_t i = 0; i < v.size(); ++i) v[i] -= a * u[i];
      }
    const double nv = std::sqrt(dot(v, v));
    if (!(nv > 1e-10 * v0)) continue;  // constant, or in the span of the others
    for (double& e : v) e /= nv;
    q.push_back(std::move(v));
  }
  double proj = 0;
  for (const std::vector<double>& u : q) proj += dot(u, yc) * dot(u, yc);
  return std::min(1.0, std::sqrt(proj / yy));
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

double amplitude_ratio(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& y_ref,
                       Window w) {
  check_sizes(x, y, y_ref);
  double num = 0, den = 0;
  for (size_t i = 0; i < x.size(); ++i)
    if (in(w, x[i])) {
      num += y[i] * y_ref[i];
      den += y_ref[i] * y_ref[i];
    }
  if (den <= 0) throw std::invalid_argument("amplitude ratio undefined: the reference curve is zero in the window");
  return num / den;
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
