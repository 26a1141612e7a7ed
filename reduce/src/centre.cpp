// Direct-beam centre and elliptical distortion (see sedpdf/reduce/centre.hpp for the method).
#include "sedpdf/reduce/centre.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "nelder_mead.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf {

namespace {

/// Physical extent of the detector: [x_lo, x_hi] × [y_lo, y_hi] (pixel edges).
void extent(const DetectorGeometry& g, double& x_lo, double& x_hi, double& y_lo, double& y_hi) {
  x_lo = g.col_positions().front() - 0.5;
  x_hi = g.col_positions().back() + 0.5;
  y_lo = g.row_positions().front() - 0.5;
  y_hi = g.row_positions().back() + 0.5;
}

/// The azimuthal-variance criterion over a fixed set of pixels (those that can fall in the annulus for
/// centres near the start). Evaluations are deterministic at any thread count: the pixels are split
/// into fixed chunks whose partial sums are added in chunk order.
class RingCriterion {
 public:
  RingCriterion(const std::vector<double>& frame, const DetectorGeometry& g, const Mask& mask,
                const BeamCentre& around, double r_min, double r_max, double bin_width, double taper,
                double margin, bool poisson)
      : r_min_(r_min), r_max_(r_max), w_(bin_width), taper_(taper), poisson_(poisson) {
    if (!(bin_width > 0) || !(taper >= 0) || !(r_min >= 0) || !(r_max > r_min))
      throw std::invalid_argument("centre: annulus r_min = " + format_number(r_min, 8) + ", r_max = " + format_number(r_max, 8) +
                                  " px, bin width " + format_number(bin_width, 8) + " px, taper " + format_number(taper, 8) +
                                  " px: need 0 ≤ r_min < r_max and bin width > 0");
    nb_ = static_cast<size_t>(std::ceil((r_max - r_min) / bin_width));
    const double lo = std::max(0.0, r_min - margin), hi = r_max + margin;
    for (size_t i = 0; i < g.ny(); ++i) {
      const double y = g.row_position(i);
      for (size_t j = 0; j < g.nx(); ++j) {
        const size_t p = i * g.nx() + j;
        if (mask.masked(p) || !std::isfinite(frame[p])) continue;
        const double x = g.col_position(j);
        const double r = std::hypot(x - around.x, y - around.y);
        if (r < lo || r > hi) continue;
        x_.push_back(x);
        y_.push_back(y);
        v_.push_back(frame[p]);
      }
    }
    if (x_.size() < 100)
      throw std::invalid_argument("centre: only " + std::to_string(x_.size()) +
                                  " usable pixels in the annulus r_min = " + format_number(r_min, 8) + " to r_max = " +
                                  format_number(r_max, 8) + " px about (" + format_number(around.x, 8) + ", " + format_number(around.y, 8) +
                                  "); need at least 100");
  }

  size_t n_pixels() const { return x_.size(); }

  double operator()(double cx, double cy, const EllipticalDistortion& e) const {
    double a11, a12, a22;
    e.metric(a11, a12, a22);
    const size_t n = x_.size();
    const size_t n_chunks = std::min<size_t>(kChunks, n);
    std::vector<double> W(n_chunks * nb_, 0.0), S(n_chunks * nb_, 0.0);
    // Pass 1: radial profile from tent-weighted bins.
#pragma omp parallel for schedule(static)
    for (long c = 0; c < static_cast<long>(n_chunks); ++c) {
      double* Wc = &W[static_cast<size_t>(c) * nb_];
      double* Sc = &S[static_cast<size_t>(c) * nb_];
      const size_t b = n * static_cast<size_t>(c) / n_chunks, eidx = n * (static_cast<size_t>(c) + 1) / n_chunks;
      for (size_t p = b; p < eidx; ++p) {
        size_t k0, k1;
        double t;
        if (!locate(p, cx, cy, a11, a12, a22, k0, k1, t, nullptr)) continue;
        Wc[k0] += 1.0 - t;
        Sc[k0] += (1.0 - t) * v_[p];
        Wc[k1] += t;
        Sc[k1] += t * v_[p];
      }
    }
    std::vector<double> mean(nb_, std::numeric_limits<double>::quiet_NaN());
    for (size_t k = 0; k < nb_; ++k) {
      double w = 0, s = 0;
      for (size_t c = 0; c < n_chunks; ++c) {
        w += W[c * nb_ + k];
        s += S[c * nb_ + k];
      }
      if (w > 0) mean[k] = s / w;
    }
    // Pass 2: tapered mean squared deviation from the interpolated profile.
    std::vector<double> R(n_chunks, 0.0), Q(n_chunks, 0.0);
#pragma omp parallel for schedule(static)
    for (long c = 0; c < static_cast<long>(n_chunks); ++c) {
      double acc = 0, wsum = 0;
      const size_t b = n * static_cast<size_t>(c) / n_chunks, eidx = n * (static_cast<size_t>(c) + 1) / n_chunks;
      for (size_t p = b; p < eidx; ++p) {
        size_t k0, k1;
        double t, omega;
        if (!locate(p, cx, cy, a11, a12, a22, k0, k1, t, &omega)) continue;
        double m0 = mean[k0], m1 = mean[k1];
        if (!std::isfinite(m0)) m0 = m1;
        if (!std::isfinite(m1)) m1 = m0;
        const double model = (1.0 - t) * m0 + t * m1;
        const double d = v_[p] - model;
        // Poisson weighting: each pixel by its inverse variance, estimated by the profile (≥ 1 count).
        const double wgt = poisson_ ? omega / std::max(model, 1.0) : omega;
        acc += wgt * d * d;
        wsum += omega;
      }
      R[static_cast<size_t>(c)] = acc;
      Q[static_cast<size_t>(c)] = wsum;
    }
    double acc = 0, wsum = 0;
    for (size_t c = 0; c < n_chunks; ++c) {
      acc += R[c];
      wsum += Q[c];
    }
    return wsum > 0 ? acc / wsum : std::numeric_limits<double>::max();
  }

 private:
  static constexpr size_t kChunks = 64;

  /// Bin position of pixel p; false if outside [r_min, r_max). omega (optional): taper weight.
  bool locate(size_t p, double cx, double cy, double a11, double a12, double a22, size_t& k0, size_t& k1,
              double& t, double* omega) const {
    const double dx = x_[p] - cx, dy = y_[p] - cy;
    const double r = std::sqrt(std::max(0.0, a11 * dx * dx + 2.0 * a12 * dx * dy + a22 * dy * dy));
    if (r < r_min_ || r >= r_max_) return false;
    if (omega) {
      *omega = taper_ > 0 ? std::min({1.0, (r - r_min_) / taper_, (r_max_ - r) / taper_}) : 1.0;
      if (*omega <= 0) return false;
    }
    const double u = (r - r_min_) / w_ - 0.5;
    const double fl = std::floor(u);
    t = u - fl;
    const long k = static_cast<long>(fl);
    const long last = static_cast<long>(nb_) - 1;
    if (k < 0) {
      k0 = k1 = 0;
      t = 0;
    } else if (k >= last) {
      k0 = k1 = static_cast<size_t>(last);
      t = 0;
    } else {
      k0 = static_cast<size_t>(k);
      k1 = k0 + 1;
    }
    return true;
  }

  double r_min_, r_max_, w_, taper_;
  bool poisson_;
  size_t nb_ = 0;
  std::vector<double> x_, y_, v_;
};

/// Distortion from the unconstrained parameters (a1, a2) = ln q · (cos 2φ, sin 2φ).
EllipticalDistortion distortion_from(double a1, double a2) {
  EllipticalDistortion e;
  const double eta = std::hypot(a1, a2);
  e.ratio = std::exp(eta);
  e.angle = eta > 0 ? 0.5 * std::atan2(a2, a1) : 0.0;
  return e;
}

void auto_annulus(const DetectorGeometry& g, const BeamCentre& c, double beam_radius, const CentreOptions& opt,
                  double& r_min, double& r_max) {
  r_min = opt.r_min > 0 ? opt.r_min : std::max(8.0, 3.0 * beam_radius);
  if (opt.r_max > 0) {
    r_max = opt.r_max;
  } else {
    double x_lo, x_hi, y_lo, y_hi;
    extent(g, x_lo, x_hi, y_lo, y_hi);
    r_max = std::min({c.x - x_lo, x_hi - c.x, c.y - y_lo, y_hi - c.y}) - 1.0;
  }
  if (!(r_max > r_min + 2.0 * opt.taper + 2.0 * opt.bin_width))
    throw std::invalid_argument("centre: the refinement annulus r_min = " + format_number(r_min, 8) + " to r_max = " +
                                format_number(r_max, 8) + " px about (" + format_number(c.x, 8) + ", " + format_number(c.y, 8) +
                                ") is too narrow (set CentreOptions::r_min / r_max)");
}

}  // namespace

// ---------------------------------------------------------------- EllipticalDistortion

void EllipticalDistortion::metric(double& a11, double& a12, double& a22) const {
  const double eta = std::log(ratio);
  const double ch = std::cosh(eta), sh = std::sinh(eta);
  const double c2 = std::cos(2.0 * angle), s2 = std::sin(2.0 * angle);
  a11 = ch - sh * c2;
  a12 = -sh * s2;
  a22 = ch + sh * c2;
}

void EllipticalDistortion::metric_sqrt(double& b11, double& b12, double& b22) const {
  const double h = 0.5 * std::log(ratio);
  const double ch = std::cosh(h), sh = std::sinh(h);
  const double c2 = std::cos(2.0 * angle), s2 = std::sin(2.0 * angle);
  b11 = ch - sh * c2;
  b12 = -sh * s2;
  b22 = ch + sh * c2;
}

void EllipticalDistortion::validate() const {
  if (!(std::isfinite(ratio) && ratio >= 1.0) || !std::isfinite(angle))
    throw std::invalid_argument("elliptical distortion: ratio " + format_number(ratio, 8) + " must be finite and ≥ 1, angle " +
                                format_number(angle, 8) + " rad finite");
}

// ---------------------------------------------------------------- centre

CentreResult direct_beam_com(const std::vector<double>& frame, const DetectorGeometry& g, const Mask& user_mask,
                             const CentreOptions& opt) {
  g.check_frame_size(frame.size(), "centre: frame");
  if (!(opt.com_threshold >= 0 && opt.com_threshold < 1) || !(opt.com_radius > 0))
    throw std::invalid_argument("centre: com_threshold " + format_number(opt.com_threshold, 8) + " must be in [0, 1) and com_radius " +
                                format_number(opt.com_radius, 8) + " px > 0");
  const Mask mask = effective_mask(g, user_mask);
  const size_t ny = g.ny(), nx = g.nx();
  auto good = [&](size_t i, size_t j) {
    const size_t p = i * nx + j;
    return !mask.masked(p) && std::isfinite(frame[p]);
  };
  // The beam: the brightest 3 × 3 neighbourhood mean (robust to a single hot pixel).
  double peak = -std::numeric_limits<double>::infinity();
  size_t pi = 0, pj = 0;
  bool any = false;
  for (size_t i = 0; i < ny; ++i)
    for (size_t j = 0; j < nx; ++j) {
      if (!good(i, j)) continue;
      any = true;
      double s = 0;
      int n = 0;
      for (size_t a = i > 0 ? i - 1 : 0; a <= std::min(ny - 1, i + 1); ++a)
        for (size_t b = j > 0 ? j - 1 : 0; b <= std::min(nx - 1, j + 1); ++b)
          if (good(a, b)) {
            s += frame[a * nx + b];
            ++n;
          }
      if (n >= 4 && s / n > peak) {
        peak = s / n;
        pi = i;
        pj = j;
      }
    }
  if (!any) throw std::invalid_argument("centre: every pixel of the frame is masked or not finite");
  if (!(peak > 0)) throw std::invalid_argument("centre: no positive intensity in the frame (peak " + format_number(peak, 8) + ")");
  const double thr = opt.com_threshold * peak;

  CentreResult res;
  BeamCentre c{g.col_position(pj), g.row_position(pi)};
  size_t n_above = 0;
  for (int it = 0; it < 20; ++it) {
    double sw = 0, sx = 0, sy = 0;
    n_above = 0;
    for (size_t i = 0; i < ny; ++i) {
      const double y = g.row_position(i);
      if (std::abs(y - c.y) > opt.com_radius) continue;
      for (size_t j = 0; j < nx; ++j) {
        if (!good(i, j)) continue;
        const double x = g.col_position(j);
        if ((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) > opt.com_radius * opt.com_radius) continue;
        const double w = frame[i * nx + j] - thr;
        if (w <= 0) continue;
        sw += w;
        sx += w * x;
        sy += w * y;
        ++n_above;
      }
    }
    if (!(sw > 0)) break;
    const BeamCentre next{sx / sw, sy / sw};
    const double moved = std::hypot(next.x - c.x, next.y - c.y);
    c = next;
    if (moved < 1e-3) break;
  }
  res.com = c;
  res.centre = c;
  res.beam_radius = std::sqrt(static_cast<double>(n_above) / kPi);
  res.converged = true;
  return res;
}

CentreResult find_centre(const std::vector<double>& frame, const DetectorGeometry& g, const Mask& user_mask,
                         const CentreOptions& opt) {
  CentreResult res = direct_beam_com(frame, g, user_mask, opt);
  if (!opt.refine) return res;
  const Mask mask = effective_mask(g, user_mask);
  auto_annulus(g, res.com, res.beam_radius, opt, res.r_min, res.r_max);
  const RingCriterion crit(frame, g, mask, res.com, res.r_min, res.r_max, opt.bin_width, opt.taper, 12.0,
                          opt.poisson_weights);
  const EllipticalDistortion none;
  auto f = [&](const std::vector<double>& x) { return crit(x[0], x[1], none); };
  const detail::SimplexResult r =
      detail::nelder_mead(f, {res.com.x, res.com.y}, {1.0, 1.0}, opt.tolerance, opt.max_evaluations);
  res.centre = {r.x[0], r.x[1]};
  res.objective = r.f;
  res.evaluations = r.evaluations;
  res.converged = r.converged;
  return res;
}

EllipseFit fit_elliptical_distortion(const std::vector<double>& frame, const DetectorGeometry& g,
                                     const Mask& user_mask, const BeamCentre& start, const CentreOptions& opt) {
  g.check_frame_size(frame.size(), "ellipse fit: frame");
  const Mask mask = effective_mask(g, user_mask);
  double r_min, r_max;
  auto_annulus(g, start, 0.0, opt, r_min, r_max);
  const RingCriterion crit(frame, g, mask, start, r_min, r_max, opt.bin_width, opt.taper, 12.0 + 0.05 * r_max,
                          opt.poisson_weights);
  // Simplex coordinates: centre (px) and 100·ln q·(cos 2φ, sin 2φ), so one tolerance fits all four.
  auto f = [&](const std::vector<double>& x) { return crit(x[0], x[1], distortion_from(0.01 * x[2], 0.01 * x[3])); };
  const detail::SimplexResult r =
      detail::nelder_mead(f, {start.x, start.y, 0.0, 0.0}, {1.0, 1.0, 1.0, 1.0}, opt.tolerance,
                          2 * opt.max_evaluations);
  EllipseFit out;
  out.centre = {r.x[0], r.x[1]};
  out.distortion = distortion_from(0.01 * r.x[2], 0.01 * r.x[3]);
  out.objective = r.f;
  out.evaluations = r.evaluations;
  out.converged = r.converged;
  return out;
}

double azimuthal_variance(const std::vector<double>& frame, const DetectorGeometry& g, const Mask& user_mask,
                          const BeamCentre& c, const EllipticalDistortion& e, double r_min, double r_max,
                          double bin_width, double taper, bool poisson_weights) {
  g.check_frame_size(frame.size(), "azimuthal variance: frame");
  e.validate();
  const Mask mask = effective_mask(g, user_mask);
  const double margin = r_max * (std::sqrt(e.ratio) - 1.0) + 1.0;
  const RingCriterion crit(frame, g, mask, c, r_min, r_max, bin_width, taper, margin, poisson_weights);
  return crit(c.x, c.y, e);
}

}  // namespace sedpdf
