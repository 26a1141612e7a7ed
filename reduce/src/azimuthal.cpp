// Azimuthal integration with exact pixel splitting (see sedpdf/reduce/azimuthal.hpp).
#include "sedpdf/reduce/azimuthal.hpp"

#include "sedpdf/structures/error.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <utility>

namespace sedpdf {

namespace {

double cross(const Point2& a, const Point2& b) { return a.x * b.y - a.y * b.x; }
double dot(const Point2& a, const Point2& b) { return a.x * b.x + a.y * b.y; }

/// Signed area of (triangle O, a, b) ∩ disk(O, R): the segment a→b is cut where it crosses the circle;
/// pieces inside contribute their triangle with O, pieces outside the circular sector they subtend.
double triangle_disk_area(const Point2& a, const Point2& b, double R) {
  const Point2 d{b.x - a.x, b.y - a.y};
  const double A = dot(d, d);
  if (A == 0) return 0;
  const double R2 = R * R;
  const double Bh = dot(a, d);
  const double C = dot(a, a) - R2;
  double t[4] = {0, 0, 0, 1};
  int nt = 1;
  const double disc = Bh * Bh - A * C;
  if (disc > 0) {
    const double sq = std::sqrt(disc);
    const double t1 = (-Bh - sq) / A, t2 = (-Bh + sq) / A;
    if (t1 > 0 && t1 < 1) t[nt++] = t1;
    if (t2 > 0 && t2 < 1) t[nt++] = t2;
  }
  t[nt++] = 1;
  double area = 0;
  for (int k = 0; k + 1 < nt; ++k) {
    const Point2 p{a.x + t[k] * d.x, a.y + t[k] * d.y};
    const Point2 q{a.x + t[k + 1] * d.x, a.y + t[k + 1] * d.y};
    const Point2 m{0.5 * (p.x + q.x), 0.5 * (p.y + q.y)};
    if (dot(m, m) <= R2)
      area += 0.5 * cross(p, q);
    else
      area += 0.5 * R2 * std::atan2(cross(p, q), dot(p, q));
  }
  return area;
}

double polygon_area(const Point2* v, size_t n) {
  double a = 0;
  for (size_t i = 0; i < n; ++i) a += cross(v[i], v[(i + 1) % n]);
  return 0.5 * std::abs(a);
}

/// Distance from the origin to the closest point of a convex polygon (0 if it contains the origin),
/// and to its farthest vertex.
void radial_extent(const Point2* v, size_t n, double& r_lo, double& r_hi) {
  r_hi = 0;
  bool inside = true;
  double sign = 0;
  double dmin = std::numeric_limits<double>::infinity();
  for (size_t i = 0; i < n; ++i) {
    const Point2& a = v[i];
    const Point2& b = v[(i + 1) % n];
    r_hi = std::max(r_hi, std::sqrt(dot(a, a)));
    const double c = cross(a, b);  // orientation of the origin relative to edge a→b
    if (c != 0) {
      if (sign == 0) sign = c;
      else if ((c > 0) != (sign > 0)) inside = false;
    }
    const Point2 d{b.x - a.x, b.y - a.y};
    const double dd = dot(d, d);
    double t = dd > 0 ? -dot(a, d) / dd : 0;
    t = std::clamp(t, 0.0, 1.0);
    const Point2 p{a.x + t * d.x, a.y + t * d.y};
    dmin = std::min(dmin, std::sqrt(dot(p, p)));
  }
  r_lo = inside ? 0.0 : dmin;
}

/// The per-pixel geometry shared by both integrators (so they split pixels identically).
class PixelSplitter {
 public:
  explicit PixelSplitter(const IntegrationSetup& s) : s_(s) {
    s.distortion.metric_sqrt(b11_, b12_, b22_);
    const size_t nb = s.axis.n_bins;
    edge_radius_.resize(nb + 1);
    for (size_t k = 0; k <= nb; ++k) edge_radius_[k] = s.geometry.radius_of_s(s.axis.edge(k));
  }

  /// Corners of stored pixel (i, j) relative to the centre, mapped by A^½ (counter-clockwise).
  void corners(size_t i, size_t j, Point2 c[4]) const {
    const double x = s_.geometry.col_position(j) - s_.centre.x;
    const double y = s_.geometry.row_position(i) - s_.centre.y;
    const double dx[4] = {-0.5, 0.5, 0.5, -0.5}, dy[4] = {-0.5, -0.5, 0.5, 0.5};
    for (int k = 0; k < 4; ++k) {
      const double u = x + dx[k], v = y + dy[k];
      c[k] = {b11_ * u + b12_ * v, b12_ * u + b22_ * v};
    }
  }
  /// Relative solid angle at the centre of pixel (i, j).
  double omega(size_t i, size_t j) const {
    if (!s_.solid_angle) return 1.0;
    const double x = s_.geometry.col_position(j) - s_.centre.x;
    const double y = s_.geometry.row_position(i) - s_.centre.y;
    const double u = b11_ * x + b12_ * y, v = b12_ * x + b22_ * y;
    return s_.geometry.solid_angle(std::hypot(u, v));
  }
  void fractions(size_t i, size_t j, std::vector<std::pair<uint32_t, double>>& out) const {
    Point2 c[4];
    corners(i, j, c);
    out.clear();
    pixel_bin_fractions(c, edge_radius_, out);
  }

 private:
  const IntegrationSetup& s_;
  double b11_ = 1, b12_ = 0, b22_ = 1;
  std::vector<double> edge_radius_;
};

void validate_setup(IntegrationSetup& s) {
  s.axis.validate();
  s.distortion.validate();
  if (!std::isfinite(s.centre.x) || !std::isfinite(s.centre.y))
    throw std::invalid_argument("azimuthal integration: beam centre (" + format_number(s.centre.x, 8) + ", " + format_number(s.centre.y, 8) +
                                ") is not finite");
  if (s.geometry.n_pixels() == 0) throw std::invalid_argument("azimuthal integration: detector geometry is empty");
  if (s.geometry.n_pixels() > std::numeric_limits<uint32_t>::max())
    throw std::invalid_argument("azimuthal integration: more than 2³² pixels per frame");
  s.mask = effective_mask(s.geometry, s.mask);
  double s_near, s_far;
  detector_s_range(s.geometry, s.mask, s.centre, s.distortion, s_near, s_far);
  if (s.axis.s_min >= s_far || s.axis.s_max <= s_near)
    throw std::invalid_argument("azimuthal integration: s window [" + format_number(s.axis.s_min, 8) + ", " + format_number(s.axis.s_max, 8) +
                                "] Å⁻¹ lies outside the detector, whose unmasked pixels span s = [" + format_number(s_near, 8) +
                                ", " + format_number(s_far, 8) + "] Å⁻¹ about the centre (" + format_number(s.centre.x, 8) + ", " +
                                format_number(s.centre.y, 8) + ")");
  s.geometry.radius_of_s(s.axis.s_max);  // throws beyond 90° scattering
}

template <class T>
const T* typed(const FrameBatch& b) {
  return static_cast<const T*>(b.data);
}

}  // namespace

// ---------------------------------------------------------------- kernels

double polygon_disk_area(const Point2* v, size_t n, double R) {
  if (!(R > 0) || n < 3) return 0;
  double a = 0;
  for (size_t i = 0; i < n; ++i) a += triangle_disk_area(v[i], v[(i + 1) % n], R);
  return std::abs(a);
}

void pixel_bin_fractions(const Point2 corners[4], const std::vector<double>& edge_radius,
                         std::vector<std::pair<uint32_t, double>>& out) {
  if (edge_radius.size() < 2) return;
  const double area = polygon_area(corners, 4);
  if (!(area > 0)) return;
  double r_lo, r_hi;
  radial_extent(corners, 4, r_lo, r_hi);
  const size_t nb = edge_radius.size() - 1;
  // Bins k with edge[k] < r_hi and edge[k + 1] > r_lo.
  const auto first = std::upper_bound(edge_radius.begin(), edge_radius.end(), r_lo);
  if (first == edge_radius.end()) return;  // the pixel lies beyond the last edge
  size_t k = first == edge_radius.begin() ? 0 : static_cast<size_t>(first - edge_radius.begin()) - 1;
  auto cumulative = [&](double rho) {
    if (rho <= r_lo) return 0.0;
    if (rho >= r_hi) return area;
    return polygon_disk_area(corners, 4, rho);
  };
  double prev = cumulative(edge_radius[k]);
  for (; k < nb && edge_radius[k] < r_hi; ++k) {
    const double cur = cumulative(edge_radius[k + 1]);
    const double f = (cur - prev) / area;
    if (f > 0) out.emplace_back(static_cast<uint32_t>(k), f);
    prev = cur;
  }
}

// ---------------------------------------------------------------- SAxis, ranges, profile

std::vector<double> SAxis::edges() const {
  std::vector<double> e(n_bins + 1);
  for (size_t k = 0; k <= n_bins; ++k) e[k] = edge(k);
  return e;
}

std::vector<double> SAxis::centres() const {
  std::vector<double> c(n_bins);
  for (size_t k = 0; k < n_bins; ++k) c[k] = centre(k);
  return c;
}

void SAxis::validate() const {
  if (!(std::isfinite(s_min) && std::isfinite(s_max) && s_min >= 0 && s_max > s_min) || n_bins == 0)
    throw std::invalid_argument("s axis [" + format_number(s_min, 8) + ", " + format_number(s_max, 8) + "] Å⁻¹ with " + std::to_string(n_bins) +
                                " bins: need 0 ≤ s_min < s_max, both finite, and at least one bin");
}

void detector_s_range(const DetectorGeometry& g, const Mask& user_mask, const BeamCentre& c,
                      const EllipticalDistortion& e, double& s_near, double& s_far) {
  const Mask mask = effective_mask(g, user_mask);
  double b11, b12, b22;
  e.metric_sqrt(b11, b12, b22);
  double lo = std::numeric_limits<double>::infinity(), hi = 0;
  bool any = false;
  for (size_t i = 0; i < g.ny(); ++i)
    for (size_t j = 0; j < g.nx(); ++j) {
      if (mask.masked(i, j)) continue;
      any = true;
      const double x = g.col_position(j) - c.x, y = g.row_position(i) - c.y;
      Point2 q[4];
      const double dx[4] = {-0.5, 0.5, 0.5, -0.5}, dy[4] = {-0.5, -0.5, 0.5, 0.5};
      for (int k = 0; k < 4; ++k)
        q[k] = {b11 * (x + dx[k]) + b12 * (y + dy[k]), b12 * (x + dx[k]) + b22 * (y + dy[k])};
      double r_lo, r_hi;
      radial_extent(q, 4, r_lo, r_hi);
      lo = std::min(lo, r_lo);
      hi = std::max(hi, r_hi);
    }
  if (!any) throw std::invalid_argument("azimuthal integration: every pixel of the detector '" + g.layout() + "' is masked");
  s_near = g.s_of_radius(lo);
  s_far = g.s_of_radius(hi);
}

SAxis default_axis(const DetectorGeometry& g, const Mask& mask, const BeamCentre& c, const EllipticalDistortion& e) {
  double s_near, s_far;
  detector_s_range(g, mask, c, e, s_near, s_far);
  SAxis a;
  a.s_min = 0;
  a.n_bins = std::max<size_t>(1, static_cast<size_t>(std::floor(s_far / g.ds())));
  a.s_max = static_cast<double>(a.n_bins) * g.ds();
  return a;
}

double AzimuthalProfile::checked_mean(size_t k) const {
  if (k >= s.size())
    throw std::out_of_range("azimuthal profile: bin " + std::to_string(k) + " requested, the profile has " +
                            std::to_string(s.size()));
  if (!covered(k))
    throw std::domain_error("azimuthal profile: bin " + std::to_string(k) + " (s = " + format_number(s[k], 8) +
                            " Å⁻¹) has no unmasked pixel area; its mean is undefined");
  return mean[k];
}

double AzimuthalProfile::sigma_mean(size_t k) const {
  if (variance.size() != s.size())
    throw std::logic_error("azimuthal profile: variances were not computed (integrate(..., with_variance = true))");
  if (!covered(k)) return std::numeric_limits<double>::quiet_NaN();
  return std::sqrt(std::max(variance[k], 0.0)) / norm[k];
}

void AzimuthalProfile::require_coverage(double s_lo, double s_hi) const {
  bool any = false;
  for (size_t k = 0; k < s.size(); ++k) {
    if (s[k] < s_lo || s[k] > s_hi) continue;
    any = true;
    if (!covered(k))
      throw std::domain_error("azimuthal profile: bin " + std::to_string(k) + " at s = " + format_number(s[k], 8) +
                              " Å⁻¹ inside the requested window [" + format_number(s_lo, 8) + ", " + format_number(s_hi, 8) +
                              "] Å⁻¹ has no unmasked pixel area (all-masked ring or beyond the detector)");
  }
  if (!any)
    throw std::invalid_argument("azimuthal profile: the window [" + format_number(s_lo, 8) + ", " + format_number(s_hi, 8) +
                                "] Å⁻¹ holds no bin centre (profile covers " +
                                (s.empty() ? std::string("nothing") : format_number(s.front(), 8) + " to " + format_number(s.back(), 8)) +
                                " Å⁻¹)");
}

// ---------------------------------------------------------------- AzimuthalIntegrator

AzimuthalIntegrator::AzimuthalIntegrator(IntegrationSetup setup) : setup_(std::move(setup)) {
  validate_setup(setup_);
  s_ = setup_.axis.centres();
  area_.assign(setup_.axis.n_bins, 0.0);
  norm_.assign(setup_.axis.n_bins, 0.0);
}

void AzimuthalIntegrator::sums(const FrameBatch& frames, double* out) const {
  setup_.geometry.check_frame_size(frames.frame_pixels, "azimuthal integration: frame");
  if (frames.n_frames == 0) return;
  if (!frames.data || !out) throw std::invalid_argument("azimuthal integration: null frame or output pointer");
  do_sums(frames, out, false);
}

void AzimuthalIntegrator::variances(const FrameBatch& frames, double* out) const {
  setup_.geometry.check_frame_size(frames.frame_pixels, "azimuthal integration: frame");
  if (frames.n_frames == 0) return;
  if (!frames.data || !out) throw std::invalid_argument("azimuthal integration: null frame or output pointer");
  do_sums(frames, out, true);
}

AzimuthalProfile AzimuthalIntegrator::integrate(const FrameBatch& frame, bool with_variance) const {
  if (frame.n_frames != 1)
    throw std::invalid_argument("azimuthal integration: integrate() takes one frame, got " +
                                std::to_string(frame.n_frames) + " (use sums() for batches)");
  AzimuthalProfile p;
  p.s = s_;
  p.area = area_;
  p.norm = norm_;
  p.bin_width = setup_.axis.width();
  p.sum.assign(n_bins(), 0.0);
  sums(frame, p.sum.data());
  if (with_variance) {
    p.variance.assign(n_bins(), 0.0);
    variances(frame, p.variance.data());
  }
  p.mean.resize(n_bins());
  for (size_t k = 0; k < n_bins(); ++k)
    p.mean[k] = norm_[k] > 0 ? p.sum[k] / norm_[k] : std::numeric_limits<double>::quiet_NaN();
  return p;
}

// ---------------------------------------------------------------- CSR

CsrIntegrator::CsrIntegrator(IntegrationSetup setup) : AzimuthalIntegrator(std::move(setup)) {
  const DetectorGeometry& g = setup_.geometry;
  const size_t ny = g.ny(), nx = g.nx(), nb = n_bins();
  const PixelSplitter split(setup_);
  // Per image row: (pixel, bin, fraction) in pixel order, built in parallel.
  struct Entry {
    uint32_t pixel, bin;
    double f;
  };
  std::vector<std::vector<Entry>> rows(ny);
  std::vector<double> omega(ny * nx, 1.0);
#pragma omp parallel
  {
    std::vector<std::pair<uint32_t, double>> fr;
#pragma omp for schedule(dynamic, 4)
    for (long il = 0; il < static_cast<long>(ny); ++il) {
      const size_t i = static_cast<size_t>(il);
      for (size_t j = 0; j < nx; ++j) {
        const size_t p = i * nx + j;
        if (setup_.mask.masked(p)) continue;
        split.fractions(i, j, fr);
        omega[p] = split.omega(i, j);
        for (const auto& bf : fr) rows[i].push_back({static_cast<uint32_t>(p), bf.first, bf.second});
      }
    }
  }
  m_.n_rows = nb;
  m_.n_cols = ny * nx;
  m_.row_start.assign(nb + 1, 0);
  for (const auto& r : rows)
    for (const Entry& e : r) ++m_.row_start[e.bin + 1];
  for (size_t k = 0; k < nb; ++k) m_.row_start[k + 1] += m_.row_start[k];
  const size_t nnz = m_.row_start[nb];
  m_.col.resize(nnz);
  m_.value.resize(nnz);
  std::vector<uint64_t> fill(m_.row_start.begin(), m_.row_start.end() - 1);
  for (const auto& r : rows)
    for (const Entry& e : r) {
      const uint64_t at = fill[e.bin]++;
      m_.col[at] = e.pixel;
      m_.value[at] = e.f;
    }
  value2_.resize(nnz);
  for (size_t q = 0; q < nnz; ++q) value2_[q] = m_.value[q] * m_.value[q];
  // The same matrix in pixel-major (CSC) order, for batches.
  if (nnz > std::numeric_limits<uint32_t>::max())
    throw std::invalid_argument("azimuthal integration: more than 2³² matrix entries");
  csc_start_.assign(ny * nx + 1, 0);
  for (size_t q = 0; q < nnz; ++q) ++csc_start_[m_.col[q] + 1];
  for (size_t p = 0; p < ny * nx; ++p) csc_start_[p + 1] += csc_start_[p];
  csc_row_.resize(nnz);
  csc_value_.resize(nnz);
  csc_value2_.resize(nnz);
  {
    std::vector<uint32_t> at(csc_start_.begin(), csc_start_.end() - 1);
    for (size_t k = 0; k < nb; ++k)
      for (uint64_t q = m_.row_start[k]; q < m_.row_start[k + 1]; ++q) {
        const uint32_t d = at[m_.col[q]]++;
        csc_row_[d] = static_cast<uint32_t>(k);
        csc_value_[d] = m_.value[q];
        csc_value2_[d] = value2_[q];
      }
  }
  for (size_t k = 0; k < nb; ++k) {
    double a = 0, w = 0;
    for (uint64_t q = m_.row_start[k]; q < m_.row_start[k + 1]; ++q) {
      a += m_.value[q];
      w += m_.value[q] * omega[m_.col[q]];
    }
    area_[k] = a;
    norm_[k] = w;
  }
}

namespace {

/// out[f·n_rows + k] = Σ_q val[q]·frame_f[col[q]] for B frames at once (one pass over the matrix).
template <class T, int B>
void csr_block(const CsrMatrix& m, const double* val, const T* frames, size_t frame_pixels, size_t f0,
               double* out, size_t k_begin, size_t k_end) {
  const T* fr[B];
  for (int b = 0; b < B; ++b) fr[b] = frames + (f0 + static_cast<size_t>(b)) * frame_pixels;
  const uint32_t* col = m.col.data();
  for (size_t k = k_begin; k < k_end; ++k) {
    double acc[B];
    for (int b = 0; b < B; ++b) acc[b] = 0;
    const uint64_t q1 = m.row_start[k + 1];
    for (uint64_t q = m.row_start[k]; q < q1; ++q) {
      const double v = val[q];
      const uint32_t c = col[q];
      for (int b = 0; b < B; ++b) acc[b] += v * static_cast<double>(fr[b][c]);
    }
    for (int b = 0; b < B; ++b) out[(f0 + static_cast<size_t>(b)) * m.n_rows + k] = acc[b];
  }
}

/// B frames at once in pixel-major order (the CSC transpose of the matrix): pixels are visited in
/// ascending order, each pixel's B values (one per frame, B sequential streams) scattered into the
/// B × n_bins accumulators (in L1). Each accumulator receives its terms in ascending pixel order, the
/// order of the CSR row, so the result is bit-identical to csr_block.
template <class T, int B>
void csc_scatter(const CscView& m, const T* frames, size_t frame_pixels, size_t f0, size_t n_rows, double* acc,
                 double* out) {
  std::fill(acc, acc + n_rows * B, 0.0);
  const T* fr[B];
  for (int b = 0; b < B; ++b) fr[b] = frames + (f0 + static_cast<size_t>(b)) * frame_pixels;
  for (size_t p = 0; p < frame_pixels; ++p) {
    const uint32_t q0 = m.start[p], q1 = m.start[p + 1];
    if (q0 == q1) continue;
    double x[B];
    for (int b = 0; b < B; ++b) x[b] = static_cast<double>(fr[b][p]);
    for (uint32_t q = q0; q < q1; ++q) {
      const double v = m.value[q];
      double* o = acc + static_cast<size_t>(m.row[q]) * B;
      for (int b = 0; b < B; ++b) o[b] += v * x[b];
    }
  }
  for (size_t k = 0; k < n_rows; ++k)
    for (int b = 0; b < B; ++b) out[(f0 + static_cast<size_t>(b)) * n_rows + k] = acc[k * B + static_cast<size_t>(b)];
}

template <class T>
void csr_apply(const CsrMatrix& m, const double* val, const CscView& csc, const T* frames, size_t n_frames,
               size_t frame_pixels, double* out) {
  const size_t nb = m.n_rows;
  const size_t threads = static_cast<size_t>(omp_get_max_threads());
  if (n_frames >= threads && n_frames > 1) {
    // Enough frames for every thread: one parallel region over tasks — blocks of 8 frames (one pass
    // over the matrix in pixel-major order each), then the remaining frames one per task by CSR rows.
    constexpr int kB = 8;
    const size_t n_blocks = n_frames / kB, n_tasks = n_blocks + (n_frames - n_blocks * kB);
#pragma omp parallel
    {
      std::vector<double> acc;
#pragma omp for schedule(dynamic, 1)
      for (long t = 0; t < static_cast<long>(n_tasks); ++t) {
        const size_t task = static_cast<size_t>(t);
        if (task < n_blocks) {
          acc.resize(nb * kB);
          csc_scatter<T, kB>(csc, frames, frame_pixels, task * kB, nb, acc.data(), out);
        } else {
          csr_block<T, 1>(m, val, frames, frame_pixels, n_blocks * kB + (task - n_blocks), out, 0, nb);
        }
      }
    }
    return;
  }
  // Fewer frames than threads (typically one): each frame parallel over bins (rows are long and
  // unequal: dynamic chunks).
  for (size_t f = 0; f < n_frames; ++f) {
#pragma omp parallel for schedule(dynamic, 8)
    for (long k = 0; k < static_cast<long>(nb); ++k)
      csr_block<T, 1>(m, val, frames, frame_pixels, f, out, static_cast<size_t>(k), static_cast<size_t>(k) + 1);
  }
}

}  // namespace

void CsrIntegrator::do_sums(const FrameBatch& b, double* out, bool squared) const {
  const double* val = squared ? value2_.data() : m_.value.data();
  const CscView csc{csc_start_.data(), csc_row_.data(), squared ? csc_value2_.data() : csc_value_.data()};
  switch (b.type) {
    case PixelType::UInt16: csr_apply(m_, val, csc, typed<uint16_t>(b), b.n_frames, b.frame_pixels, out); break;
    case PixelType::UInt32: csr_apply(m_, val, csc, typed<uint32_t>(b), b.n_frames, b.frame_pixels, out); break;
    case PixelType::Float32: csr_apply(m_, val, csc, typed<float>(b), b.n_frames, b.frame_pixels, out); break;
    case PixelType::Float64: csr_apply(m_, val, csc, typed<double>(b), b.n_frames, b.frame_pixels, out); break;
  }
}

// ---------------------------------------------------------------- reference

ReferenceIntegrator::ReferenceIntegrator(IntegrationSetup setup) : AzimuthalIntegrator(std::move(setup)) {
  const DetectorGeometry& g = setup_.geometry;
  const PixelSplitter split(setup_);
  std::vector<std::pair<uint32_t, double>> fr;
  for (size_t i = 0; i < g.ny(); ++i)
    for (size_t j = 0; j < g.nx(); ++j) {
      if (setup_.mask.masked(i, j)) continue;
      split.fractions(i, j, fr);
      const double w = split.omega(i, j);
      for (const auto& bf : fr) {
        area_[bf.first] += bf.second;
        norm_[bf.first] += bf.second * w;
      }
    }
}

namespace {
template <class T>
void reference_apply(const IntegrationSetup& s, const T* frames, size_t n_frames, double* out, bool squared) {
  const DetectorGeometry& g = s.geometry;
  const size_t nb = s.axis.n_bins, np = g.n_pixels();
  const PixelSplitter split(s);
  std::vector<std::pair<uint32_t, double>> fr;
  for (size_t f = 0; f < n_frames; ++f) {
    double* o = out + f * nb;
    std::fill(o, o + nb, 0.0);
    const T* frame = frames + f * np;
    for (size_t i = 0; i < g.ny(); ++i)
      for (size_t j = 0; j < g.nx(); ++j) {
        const size_t p = i * g.nx() + j;
        if (s.mask.masked(p)) continue;
        split.fractions(i, j, fr);
        const double v = static_cast<double>(frame[p]);
        for (const auto& bf : fr) o[bf.first] += (squared ? bf.second * bf.second : bf.second) * v;
      }
  }
}
}  // namespace

void ReferenceIntegrator::do_sums(const FrameBatch& b, double* out, bool squared) const {
  switch (b.type) {
    case PixelType::UInt16: reference_apply(setup_, typed<uint16_t>(b), b.n_frames, out, squared); break;
    case PixelType::UInt32: reference_apply(setup_, typed<uint32_t>(b), b.n_frames, out, squared); break;
    case PixelType::Float32: reference_apply(setup_, typed<float>(b), b.n_frames, out, squared); break;
    case PixelType::Float64: reference_apply(setup_, typed<double>(b), b.n_frames, out, squared); break;
  }
}

std::unique_ptr<AzimuthalIntegrator> make_integrator(const IntegrationSetup& setup, IntegratorBackend backend) {
  if (backend == IntegratorBackend::Reference) return std::make_unique<ReferenceIntegrator>(setup);
  return std::make_unique<CsrIntegrator>(setup);
}

}  // namespace sedpdf
