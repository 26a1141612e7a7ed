#include "sedpdf/validate/maps.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <string>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

namespace {

constexpr double kFar = 1e20;  // "no feature" in the transform (finite so differences stay exact)

// 1-D squared distance transform of f (Felzenszwalb & Huttenlocher 2012, algorithm DT(f)).
void dt1d(const std::vector<double>& f, std::vector<double>& d, std::vector<std::size_t>& v, std::vector<double>& z) {
  const std::size_t n = f.size();
  std::size_t k = 0;
  v[0] = 0;
  z[0] = -std::numeric_limits<double>::infinity();
  z[1] = std::numeric_limits<double>::infinity();
  for (std::size_t q = 1; q < n; ++q) {
    const double dq = static_cast<double>(q);
    double s = 0;
    while (true) {
      const double dv = static_cast<double>(v[k]);
      s = ((f[q] + dq * dq) - (f[v[k]] + dv * dv)) / (2 * dq - 2 * dv);
      if (s <= z[k] && k > 0) {
        --k;
        continue;
      }
      break;
    }
    if (s <= z[k]) {  // k == 0: replace the first parabola
      v[0] = q;
      z[0] = -std::numeric_limits<double>::infinity();
      z[1] = std::numeric_limits<double>::infinity();
      continue;
    }
    ++k;
    v[k] = q;
    z[k] = s;
    z[k + 1] = std::numeric_limits<double>::infinity();
  }
  k = 0;
  for (std::size_t q = 0; q < n; ++q) {
    while (z[k + 1] < static_cast<double>(q)) ++k;
    const double dd = static_cast<double>(q) - static_cast<double>(v[k]);
    d[q] = dd * dd + f[v[k]];
  }
}

void check_map(std::size_t size, std::size_t nx, std::size_t ny, const char* what) {
  if (size != nx * ny) {
    std::ostringstream m;
    m << what << ": " << size << " values for a " << nx << " x " << ny << " map";
    throw std::invalid_argument(m.str());
  }
}

}  // namespace

std::vector<double> squared_distance_transform(const std::vector<bool>& feature, std::size_t nx, std::size_t ny) {
  check_map(feature.size(), nx, ny, "distance transform");
  std::vector<double> g(nx * ny);
  for (std::size_t i = 0; i < g.size(); ++i) g[i] = feature[i] ? 0.0 : kFar;
  const std::size_t nmax = std::max(nx, ny);
  std::vector<double> f(nmax), d(nmax), z(nmax + 1);
  std::vector<std::size_t> v(nmax);
  // columns (along y), then rows (along x)
  f.resize(ny);
  d.resize(ny);
  for (std::size_t i = 0; i < nx; ++i) {
    for (std::size_t j = 0; j < ny; ++j) f[j] = g[j * nx + i];
    dt1d(f, d, v, z);
    for (std::size_t j = 0; j < ny; ++j) g[j * nx + i] = d[j];
  }
  f.resize(nx);
  d.resize(nx);
  for (std::size_t j = 0; j < ny; ++j) {
    for (std::size_t i = 0; i < nx; ++i) f[i] = g[j * nx + i];
    dt1d(f, d, v, z);
    for (std::size_t i = 0; i < nx; ++i) g[j * nx + i] = d[i] >= 0.5 * kFar ? 1e300 : d[i];
  }
  return g;
}

std::vector<double> distance_to_interface(const LabelMap& truth, bool include_vacuum_edges) {
  check_map(truth.labels.size(), truth.nx, truth.ny, "interface distance");
  if (!(truth.step > 0)) {
    std::ostringstream m;
    m << "interface distance: pixel step " << truth.step << " Å must be > 0";
    throw std::invalid_argument(m.str());
  }
  std::vector<double> out(truth.labels.size(), 1e300);
  int max_label = -1;
  for (int l : truth.labels) max_label = std::max(max_label, l);
  for (int L = 0; L <= max_label; ++L) {
    std::vector<bool> other(truth.labels.size());
    bool any = false, present = false;
    for (std::size_t p = 0; p < truth.labels.size(); ++p) {
      const int l = truth.labels[p];
      other[p] = l != L && (l >= 0 || include_vacuum_edges);
      any = any || other[p];
      present = present || l == L;
    }
    if (!any || !present) continue;
    const std::vector<double> d2 = squared_distance_transform(other, truth.nx, truth.ny);
    for (std::size_t p = 0; p < truth.labels.size(); ++p)
      if (truth.labels[p] == L && d2[p] < 1e299) out[p] = std::sqrt(d2[p]) * truth.step - 0.5 * truth.step;
  }
  for (std::size_t p = 0; p < truth.labels.size(); ++p)
    if (truth.labels[p] < 0) out[p] = 0;
  return out;
}

LabelMap classify_by_loadings(const std::vector<std::vector<double>>& loadings, std::size_t nx, std::size_t ny,
                              double step, const std::vector<int>& phase_of_component, const std::vector<int>& sign,
                              double min_loading) {
  if (loadings.size() != phase_of_component.size())
    throw std::invalid_argument("classification: " + std::to_string(loadings.size()) + " loading maps but " +
                                std::to_string(phase_of_component.size()) + " phase assignments");
  if (!sign.empty() && sign.size() != loadings.size())
    throw std::invalid_argument("classification: sign vector of size " + std::to_string(sign.size()));
  for (const auto& l : loadings) check_map(l.size(), nx, ny, "classification loading map");
  LabelMap out;
  out.nx = nx;
  out.ny = ny;
  out.step = step;
  out.labels.assign(nx * ny, -1);
  for (std::size_t p = 0; p < nx * ny; ++p) {
    double best = -std::numeric_limits<double>::infinity();
    int label = -1;
    for (std::size_t k = 0; k < loadings.size(); ++k) {
      if (phase_of_component[k] < 0) continue;
      const double v = (sign.empty() ? 1.0 : sign[k]) * loadings[k][p];
      if (v > best) {
        best = v;
        label = phase_of_component[k];
      }
    }
    out.labels[p] = best >= min_loading ? label : -1;
  }
  return out;
}

namespace {
/// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): a fixed, portable stream of 64-bit values.
struct SplitMix64 {
  unsigned long long x;
  unsigned long long next() {
    unsigned long long z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
};
double sq_dist(const std::vector<double>& a, const std::vector<double>& b) {
  double d = 0;
  for (std::size_t j = 0; j < a.size(); ++j) d += (a[j] - b[j]) * (a[j] - b[j]);
  return d;
}
}  // namespace

std::vector<int> kmeans(const std::vector<std::vector<double>>& points, int k, unsigned long long seed, int restarts,
                        std::vector<std::vector<double>>* centroids) {
  if (k < 1) throw std::invalid_argument("k-means: k = " + std::to_string(k) + " must be >= 1");
  if (restarts < 1) throw std::invalid_argument("k-means: restarts = " + std::to_string(restarts) + " must be >= 1");
  const std::size_t n = points.size(), K = static_cast<std::size_t>(k);
  if (n < K) throw std::invalid_argument("k-means: " + std::to_string(n) + " points for k = " + std::to_string(k));
  const std::size_t d = n ? points[0].size() : 0;
  for (std::size_t i = 0; i < n; ++i) {
    if (points[i].size() != d)
      throw std::invalid_argument("k-means: point " + std::to_string(i) + " has " + std::to_string(points[i].size()) +
                                  " coordinates, point 0 has " + std::to_string(d));
    for (double v : points[i])
      if (!std::isfinite(v)) throw std::invalid_argument("k-means: point " + std::to_string(i) + " has a non-finite coordinate");
  }
  {
    std::size_t distinct = 1;
    for (std::size_t i = 1; i < n && distinct < K; ++i) {
      bool fresh = true;
      for (std::size_t j = 0; j < i && fresh; ++j) fresh = sq_dist(points[i], points[j]) > 0;
      distinct += fresh ? 1 : 0;
    }
    if (distinct < K) throw std::invalid_argument("k-means: fewer than k = " + std::to_string(k) + " distinct points");
  }
  SplitMix64 rng{seed};
  double best_cost = std::numeric_limits<double>::infinity();
  std::vector<int> best;
  std::vector<std::vector<double>> best_c;
  for (int rep = 0; rep < restarts; ++rep) {
    // k-means++ seeding: the first centre uniformly, each next one with probability ∝ D(x)².
    std::vector<std::vector<double>> c;
    c.push_back(points[std::min(n - 1, static_cast<std::size_t>(rng.uniform() * static_cast<double>(n)))]);
    std::vector<double> d2(n);
    while (c.size() < K) {
      double tot = 0;
      for (std::size_t i = 0; i < n; ++i) {
        d2[i] = std::numeric_limits<double>::infinity();
        for (const auto& ci : c) d2[i] = std::min(d2[i], sq_dist(points[i], ci));
        tot += d2[i];
      }
      double u = rng.uniform() * tot;
      std::size_t pick = n - 1;
      for (std::size_t i = 0; i < n; ++i) {
        if (d2[i] <= 0) continue;
        if (u < d2[i]) {
          pick = i;
          break;
        }
        u -= d2[i];
      }
      while (d2[pick] <= 0 && pick > 0) --pick;  // rounding at the end of the sweep: a point not yet a centre
      c.push_back(points[pick]);
    }
    // Lloyd iterations until the assignment no longer changes.
    std::vector<int> a(n, -1);
    for (int it = 0; it < 1000; ++it) {
      bool changed = false;
      for (std::size_t i = 0; i < n; ++i) {
        int arg = 0;
        double bd = sq_dist(points[i], c[0]);
        for (std::size_t q = 1; q < K; ++q) {
          const double v = sq_dist(points[i], c[q]);
          if (v < bd) {
            bd = v;
            arg = static_cast<int>(q);
          }
        }
        changed = changed || a[i] != arg;
        a[i] = arg;
      }
      if (!changed) break;
      std::vector<std::vector<double>> sum(K, std::vector<double>(d, 0.0));
      std::vector<std::size_t> cnt(K, 0);
      for (std::size_t i = 0; i < n; ++i) {
        ++cnt[static_cast<std::size_t>(a[i])];
        for (std::size_t j = 0; j < d; ++j) sum[static_cast<std::size_t>(a[i])][j] += points[i][j];
      }
      for (std::size_t q = 0; q < K; ++q)
        if (cnt[q] > 0)
          for (std::size_t j = 0; j < d; ++j) c[q][j] = sum[q][j] / static_cast<double>(cnt[q]);
    }
    double cost = 0;
    for (std::size_t i = 0; i < n; ++i) cost += sq_dist(points[i], c[static_cast<std::size_t>(a[i])]);
    if (cost < best_cost) {
      best_cost = cost;
      best = a;
      best_c = c;
    }
  }
  // Relabel clusters in the order of their first point (a canonical numbering).
  std::vector<int> order(K, -1);
  int next = 0;
  for (int& v : best) {
    if (order[static_cast<std::size_t>(v)] < 0) order[static_cast<std::size_t>(v)] = next++;
    v = order[static_cast<std::size_t>(v)];
  }
  if (centroids) {
    centroids->assign(K, std::vector<double>(d, 0.0));
    for (std::size_t q = 0; q < K; ++q)
      if (order[q] >= 0) (*centroids)[static_cast<std::size_t>(order[q])] = best_c[q];
  }
  return best;
}

ClassificationScore classification_accuracy(const LabelMap& predicted, const LabelMap& truth, double exclusion,
                                            bool include_vacuum_edges) {
  if (predicted.nx != truth.nx || predicted.ny != truth.ny || predicted.labels.size() != truth.labels.size()) {
    std::ostringstream m;
    m << "classification: predicted map " << predicted.nx << " x " << predicted.ny << ", truth " << truth.nx << " x "
      << truth.ny;
    throw std::invalid_argument(m.str());
  }
  const std::vector<double> dist = distance_to_interface(truth, include_vacuum_edges);
  ClassificationScore s;
  int max_label = -1;
  for (int l : truth.labels) max_label = std::max(max_label, l);
  std::vector<std::size_t> n(static_cast<std::size_t>(max_label + 1), 0), c(n);
  for (std::size_t p = 0; p < truth.labels.size(); ++p) {
    const int t = truth.labels[p];
    if (t < 0) {
      ++s.n_excluded_no_phase;
      continue;
    }
    if (dist[p] < exclusion) {
      ++s.n_excluded_interface;
      continue;
    }
    ++s.n_scored;
    ++n[static_cast<std::size_t>(t)];
    if (predicted.labels[p] == t) {
      ++s.n_correct;
      ++c[static_cast<std::size_t>(t)];
    }
  }
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.accuracy = s.n_scored ? static_cast<double>(s.n_correct) / static_cast<double>(s.n_scored) : nan;
  for (std::size_t l = 0; l < n.size(); ++l)
    s.per_phase_accuracy.push_back(n[l] ? static_cast<double>(c[l]) / static_cast<double>(n[l]) : nan);
  return s;
}

double map_correlation(const std::vector<double>& a, const std::vector<double>& b, const std::vector<bool>& mask) {
  if (a.size() != b.size() || (!mask.empty() && mask.size() != a.size())) {
    std::ostringstream m;
    m << "map correlation: sizes " << a.size() << ", " << b.size() << ", mask " << mask.size();
    throw std::invalid_argument(m.str());
  }
  double n = 0, ma = 0, mb = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (mask.empty() || mask[i]) {
      n += 1;
      ma += a[i];
      mb += b[i];
    }
  if (n < 2) throw std::invalid_argument("map correlation needs at least two pixels");
  ma /= n;
  mb /= n;
  double c = 0, va = 0, vb = 0;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (mask.empty() || mask[i]) {
      c += (a[i] - ma) * (b[i] - mb);
      va += (a[i] - ma) * (a[i] - ma);
      vb += (b[i] - mb) * (b[i] - mb);
    }
  if (va <= 0 || vb <= 0) throw std::invalid_argument("map correlation of a constant map is undefined");
  return c / std::sqrt(va * vb);
}

std::vector<double> line_profile(const std::vector<double>& map, std::size_t nx, std::size_t ny, double step,
                                 double x0, double y0, double x1, double y1, std::size_t n,
                                 std::vector<double>* distance, double origin_x, double origin_y) {
  check_map(map.size(), nx, ny, "line profile");
  if (n < 2) throw std::invalid_argument("line profile needs n >= 2 points, got " + std::to_string(n));
  if (!(step > 0)) throw std::invalid_argument("line profile: step must be > 0");
  std::vector<double> out(n);
  if (distance) distance->assign(n, 0);
  const double len = std::hypot(x1 - x0, y1 - y0);
  for (std::size_t k = 0; k < n; ++k) {
    const double t = static_cast<double>(k) / static_cast<double>(n - 1);
    const double x = x0 + t * (x1 - x0), y = y0 + t * (y1 - y0);
    // fractional pixel index of the centre grid
    double fi = (x - origin_x) / step - 0.5, fj = (y - origin_y) / step - 0.5;
    fi = std::clamp(fi, 0.0, static_cast<double>(nx - 1));
    fj = std::clamp(fj, 0.0, static_cast<double>(ny - 1));
    const std::size_t i0 = std::min(static_cast<std::size_t>(fi), nx > 1 ? nx - 2 : 0);
    const std::size_t j0 = std::min(static_cast<std::size_t>(fj), ny > 1 ? ny - 2 : 0);
    const std::size_t i1 = std::min(i0 + 1, nx - 1), j1 = std::min(j0 + 1, ny - 1);
    const double u = fi - static_cast<double>(i0), v = fj - static_cast<double>(j0);
    out[k] = (1 - u) * (1 - v) * map[j0 * nx + i0] + u * (1 - v) * map[j0 * nx + i1] + (1 - u) * v * map[j1 * nx + i0] +
             u * v * map[j1 * nx + i1];
    if (distance) (*distance)[k] = t * len;
  }
  return out;
}

ErfFit fit_erf_edge(const std::vector<double>& x, const std::vector<double>& y, int max_iterations) {
  const std::size_t n = x.size();
  if (n != y.size()) throw std::invalid_argument("erf fit: x and y differ in length");
  if (n < 5) throw std::invalid_argument("erf fit needs at least 5 points, got " + std::to_string(n));
  // Start values.
  const std::size_t m = std::max<std::size_t>(1, n * 15 / 100);
  double lo = 0, hi = 0;
  for (std::size_t i = 0; i < m; ++i) {
    lo += y[i];
    hi += y[n - 1 - i];
  }
  lo /= static_cast<double>(m);
  hi /= static_cast<double>(m);
  auto crossing = [&](double level) {
    for (std::size_t i = 0; i < n; ++i)
      if ((y[i] - lo) / (hi - lo) >= level) return x[i];
    return x[n / 2];
  };
  double x0 = hi != lo ? crossing(0.5) : x[n / 2];
  const double span = std::abs(x[n - 1] - x[0]);
  double sigma = hi != lo ? std::abs(crossing(0.9) - crossing(0.1)) / 2.5631 : span / 10;
  if (!(sigma > 0)) sigma = span / (4.0 * static_cast<double>(n));

  const double sq2 = std::sqrt(2.0), inv_sqpi = 1.0 / std::sqrt(kPi);
  auto residuals = [&](const Eigen::Vector4d& p, Eigen::VectorXd& r, Eigen::MatrixXd* J) {
    r.resize(static_cast<Eigen::Index>(n));
    if (J) J->resize(static_cast<Eigen::Index>(n), 4);
    for (std::size_t i = 0; i < n; ++i) {
      const double u = (x[i] - p[0]) / (sq2 * p[1]);
      const double E = 0.5 * (1 + std::erf(u));
      const Eigen::Index ii = static_cast<Eigen::Index>(i);
      r[ii] = p[2] + (p[3] - p[2]) * E - y[i];
      if (J) {
        const double g = (p[3] - p[2]) * inv_sqpi * std::exp(-u * u);
        (*J)(ii, 0) = -g / (sq2 * p[1]);
        (*J)(ii, 1) = -g * u / p[1];
        (*J)(ii, 2) = 1 - E;
        (*J)(ii, 3) = E;
      }
    }
  };
  Eigen::Vector4d p(x0, sigma, lo, hi);
  Eigen::VectorXd r;
  Eigen::MatrixXd J;
  residuals(p, r, &J);
  double cost = r.squaredNorm();
  double lambda = 1e-3;
  ErfFit fit;
  int it = 0;
  for (; it < max_iterations; ++it) {
    const Eigen::Matrix4d A = J.transpose() * J;
    const Eigen::Vector4d g = J.transpose() * r;
    bool improved = false;
    for (int tries = 0; tries < 30; ++tries) {
      Eigen::Matrix4d Ad = A;
      for (int k = 0; k < 4; ++k) Ad(k, k) += lambda * std::max(A(k, k), 1e-300);
      const Eigen::Vector4d step = Ad.ldlt().solve(-g);
      Eigen::Vector4d q = p + step;
      if (!(q[1] > 0)) q[1] = 0.5 * p[1];
      Eigen::VectorXd rq;
      residuals(q, rq, nullptr);
      const double cq = rq.squaredNorm();
      if (cq < cost) {
        const double rel = (cost - cq) / std::max(cost, 1e-300);
        const double rel_step = step.norm() / std::max(p.norm(), 1e-300);
        p = q;
        cost = cq;
        lambda = std::max(lambda / 10, 1e-12);
        improved = true;
        residuals(p, r, &J);
        if (rel < 1e-14 || rel_step < 1e-12) fit.converged = true;
        break;
      }
      lambda *= 10;
    }
    if (!improved) {
      fit.converged = true;  // no descent direction left: at a minimum to working precision
      break;
    }
    if (fit.converged) break;
  }
  fit.x0 = p[0];
  fit.sigma = p[1];
  fit.low = p[2];
  fit.high = p[3];
  fit.width_10_90 = 2 * sq2 * 0.9061938024368232 * p[1];  // erf⁻¹(0.8) = 0.906193802…
  fit.fwhm = 2 * std::sqrt(2 * std::log(2.0)) * p[1];
  fit.rms_residual = std::sqrt(cost / static_cast<double>(n));
  fit.iterations = it + 1;
  return fit;
}

std::vector<double> phase_fraction_map(const std::vector<std::vector<double>>& loadings, const std::vector<int>& labels,
                                       const std::vector<uint8_t>& use, int phase_a, int phase_b) {
  const std::size_t k = loadings.size(), n = labels.size();
  if (k == 0) throw std::invalid_argument("phase fraction map: no loading maps");
  for (const auto& l : loadings)
    if (l.size() != n || use.size() != n)
      throw std::invalid_argument("phase fraction map: maps of " + std::to_string(l.size()) + ", labels of " +
                                  std::to_string(n) + " and use of " + std::to_string(use.size()) + " pixels");
  std::vector<double> ma(k, 0.0), mb(k, 0.0);
  double na = 0, nb = 0;
  for (std::size_t q = 0; q < n; ++q) {
    if (!use[q] || (labels[q] != phase_a && labels[q] != phase_b)) continue;
    std::vector<double>& m = labels[q] == phase_a ? ma : mb;
    (labels[q] == phase_a ? na : nb) += 1;
    for (std::size_t c = 0; c < k; ++c) m[c] += loadings[c][q];
  }
  std::vector<double> frac(n, std::numeric_limits<double>::quiet_NaN());
  if (na == 0 || nb == 0) return frac;
  double den = 0;
  for (std::size_t c = 0; c < k; ++c) {
    ma[c] /= na;
    mb[c] /= nb;
    den += (mb[c] - ma[c]) * (mb[c] - ma[c]);
  }
  if (!(den > 0)) return frac;
  for (std::size_t q = 0; q < n; ++q) {
    if (!use[q]) continue;
    double num = 0;
    for (std::size_t c = 0; c < k; ++c) num += (loadings[c][q] - ma[c]) * (mb[c] - ma[c]);
    frac[q] = num / den;
  }
  return frac;
}

ErfFit interface_edge_fit(const std::vector<double>& map, const LabelMap& truth, int phase_a, int phase_b,
                          double max_distance) {
  check_map(map.size(), truth.nx, truth.ny, "interface edge fit");
  check_map(truth.labels.size(), truth.nx, truth.ny, "interface edge fit (truth)");
  std::vector<bool> is_a(map.size()), is_b(map.size());
  for (std::size_t p = 0; p < map.size(); ++p) {
    is_a[p] = truth.labels[p] == phase_a;
    is_b[p] = truth.labels[p] == phase_b;
  }
  const std::vector<double> to_a = squared_distance_transform(is_a, truth.nx, truth.ny);
  const std::vector<double> to_b = squared_distance_transform(is_b, truth.nx, truth.ny);
  std::vector<std::pair<double, double>> pts;
  for (std::size_t p = 0; p < map.size(); ++p) {
    double d = 0;
    if (is_a[p] && to_b[p] < 1e299) d = -(std::sqrt(to_b[p]) - 0.5) * truth.step;
    else if (is_b[p] && to_a[p] < 1e299) d = (std::sqrt(to_a[p]) - 0.5) * truth.step;
    else continue;
    if (std::abs(d) <= max_distance) pts.emplace_back(d, map[p]);
  }
  if (pts.size() < 5) {
    std::ostringstream m;
    m << "interface edge fit: only " << pts.size() << " pixels of phases " << phase_a << " and " << phase_b
      << " within " << max_distance << " Å of their interface";
    throw std::invalid_argument(m.str());
  }
  std::sort(pts.begin(), pts.end());
  std::vector<double> x, y;
  for (const auto& q : pts) {
    x.push_back(q.first);
    y.push_back(q.second);
  }
  return fit_erf_edge(x, y);
}

}  // namespace sedpdf
