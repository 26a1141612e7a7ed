// Specimen mask from the VADF image (particle_mask.hpp).
#include "sedpdf/reduce/particle_mask.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

double otsu_threshold(const std::vector<double>& values) {
  std::vector<double> v;
  v.reserve(values.size());
  for (double x : values)
    if (std::isfinite(x)) v.push_back(x);
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  if (n < 2 || v.front() == v.back())
    throw std::invalid_argument("Otsu threshold: fewer than two distinct finite values (" + std::to_string(n) +
                                " finite)");
  // Between-class variance of the split after index i (classes v[0..i], v[i+1..n-1]), in the form
  // w0 w1 (μ0 − μ1)² with w the class counts (the common 1/n² factor does not move the maximum). Values
  // are shifted by their mean so the running sums keep their precision.
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(n);
  double total = 0;
  for (double x : v) total += x - mean;
  double best = -1, thr = 0, s0 = 0;
  for (std::size_t i = 0; i + 1 < n; ++i) {
    s0 += v[i] - mean;
    if (v[i + 1] == v[i]) continue;  // split only between distinct values
    const double w0 = static_cast<double>(i + 1), w1 = static_cast<double>(n - i - 1);
    const double d = s0 / w0 - (total - s0) / w1;
    const double sb = w0 * w1 * d * d;
    if (sb > best) {
      best = sb;
      thr = 0.5 * (v[i] + v[i + 1]);
    }
  }
  return thr;
}

namespace {

double median_of(std::vector<double> x) {
  const std::size_t n = x.size();
  std::sort(x.begin(), x.end());
  return n % 2 == 1 ? x[n / 2] : 0.5 * (x[n / 2 - 1] + x[n / 2]);
}

}  // namespace

ParticleMask vadf_particle_mask(const std::vector<double>& vadf, const std::vector<uint8_t>& valid,
                                const ParticleMaskOptions& opt) {
  if (!valid.empty() && valid.size() != vadf.size())
    throw std::invalid_argument("particle mask: " + std::to_string(valid.size()) + " validity flags for " +
                                std::to_string(vadf.size()) + " VADF pixels");
  const bool fixed = !std::isnan(opt.threshold);
  if (fixed && !(std::isfinite(opt.threshold) && opt.threshold >= 0)) {
    std::ostringstream m;
    m << "particle mask: vadf_threshold = " << opt.threshold << " must be a finite VADF fraction >= 0";
    throw std::invalid_argument(m.str());
  }
  if (!(opt.film_sigmas > 0) || !std::isfinite(opt.film_sigmas)) {
    std::ostringstream m;
    m << "particle mask: vadf_film_sigmas = " << opt.film_sigmas << " must be > 0";
    throw std::invalid_argument(m.str());
  }
  std::vector<double> use;
  for (std::size_t i = 0; i < vadf.size(); ++i)
    if ((valid.empty() || valid[i] != 0) && std::isfinite(vadf[i])) use.push_back(vadf[i]);
  if (use.size() < 3)
    throw std::invalid_argument("particle mask: " + std::to_string(use.size()) +
                                " valid VADF pixels (need at least 3)");

  ParticleMask r;
  if (fixed) {
    r.threshold = opt.threshold;
  } else {
    r.automatic = true;
    // Otsu's split, then the film level of its lower class; while that class is not a narrow level, split it
    // again (Otsu prefers cutting a broad specimen distribution to isolating a small film class).
    const std::size_t need = std::max<std::size_t>(opt.min_film_pixels, 2);
    std::vector<double> pool = use;
    for (int depth = 0;; ++depth) {
      r.otsu = otsu_threshold(pool);
      std::vector<double> low;
      for (double x : pool)
        if (x <= r.otsu) low.push_back(x);
      r.n_film_class = low.size();
      if (low.size() < need) {
        std::ostringstream m;
        m << "particle mask: the lowest VADF level (below Otsu's split " << r.otsu << ") has " << low.size()
          << " pixels, fewer than " << need << " to measure a film level from: no bare film in the field? give vadf_threshold";
        throw std::invalid_argument(m.str());
      }
      // Median and MAD of the lower class, then sigma-clipped: the lower class also holds the particle's
      // thinnest pixels (Otsu's split lies inside the particle's spread), which inflate the MAD; keeping only
      // |x − m| ≤ 3 σ and re-estimating until the kept set is stable removes them (the clip truncates a
      // Gaussian film level by 0.3 %, which moves σ by < 1 %).
      std::vector<double> kept = low;
      for (int it = 0; it < 50; ++it) {
        r.film_level = median_of(kept);
        std::vector<double> dev;
        dev.reserve(kept.size());
        for (double x : kept) dev.push_back(std::fabs(x - r.film_level));
        r.film_sigma = 1.4826 * median_of(dev);
        std::vector<double> next;
        for (double x : low)
          if (std::fabs(x - r.film_level) <= 3 * r.film_sigma) next.push_back(x);
        if (next.size() == kept.size() || next.size() < 2) break;
        kept = std::move(next);
      }
      r.threshold = r.film_level + opt.film_sigmas * r.film_sigma;
      if (r.threshold < r.otsu) break;  // a narrow level below the split: the film
      if (depth >= 20 || low.size() == pool.size()) {
        std::ostringstream m;
        m << "particle mask: the lowest VADF level is not a narrow film level (median " << r.film_level << ", sigma "
          << r.film_sigma << ": median + " << opt.film_sigmas << " sigma = " << r.threshold
          << " is not below Otsu's split " << r.otsu
          << "): no bare film in the field, and Otsu would cut the specimen; give vadf_threshold";
        throw std::invalid_argument(m.str());
      }
      pool = std::move(low);
    }
  }
  r.inside.assign(vadf.size(), 0);
  for (std::size_t i = 0; i < vadf.size(); ++i)
    if ((valid.empty() || valid[i] != 0) && std::isfinite(vadf[i]) && vadf[i] > r.threshold) {
      r.inside[i] = 1;
      ++r.n_inside;
    }
  return r;
}

}  // namespace sedpdf
