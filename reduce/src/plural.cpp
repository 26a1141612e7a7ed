#include "sedpdf/reduce/plural.hpp"

#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sedpdf/simulate/bessel.hpp"
#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

namespace {
[[noreturn]] void bad(const std::string& what) { throw std::invalid_argument("plural deconvolution: " + what); }

std::string num(double v) {
  std::ostringstream o;
  o.precision(6);
  o << v;
  return o.str();
}

// ∫_a^b J₀(2πqs) 2πs ds = [s J₁(2πqs)/q]_a^b (q > 0), π(b² − a²) at q = 0.
double ring_integral(double q, double a, double b) {
  if (q <= 0) return kPi * (b * b - a * a);
  const double j1b = bessel_j1(2 * kPi * q * b);
  const double j1a = a > 0 ? bessel_j1(2 * kPi * q * a) : 0.0;
  return (b * j1b - a * j1a) / q;
}
}  // namespace

PluralPlan::PluralPlan(const std::vector<double>& s, const PluralParams& p) : s_(s), p_(p) {
  if (s.size() < 2) bad("the grid has " + std::to_string(s.size()) + " bins");
  h_ = s[1] - s[0];
  if (!(h_ > 0) || !std::isfinite(h_)) bad("the grid step " + num(h_) + " 1/Å is not positive");
  const double tol = 1e-6 * h_;
  if (std::abs(s[0] - 0.5 * h_) > tol)
    bad("the first bin centre is " + num(s[0]) + " 1/Å; bins of width " + num(h_) +
        " 1/Å from s = 0 have it at h/2 (the disc must be on the grid)");
  for (std::size_t i = 1; i < s.size(); ++i)
    if (std::abs(s[i] - s[0] - static_cast<double>(i) * h_) > 1e3 * tol)
      bad("the grid is not uniform at bin " + std::to_string(i) + " (s = " + num(s[i]) + " 1/Å)");
  if (!(p.s_alpha > 0) || !std::isfinite(p.s_alpha)) bad("s_alpha " + num(p.s_alpha) + " 1/Å is not positive");
  if (p.disc_margin_bins < 0) bad("disc_margin_bins " + std::to_string(p.disc_margin_bins) + " is negative");
  if (!(p.q_cut > 0) || !std::isfinite(p.q_cut)) bad("q_cut " + num(p.q_cut) + " Å is not positive");
  // The log term divides by D̂: keep q_cut inside its main lobe (D̂ = 0 at q = 0.6098/s_α).
  const double u_cut = 2 * kPi * p.q_cut * p.s_alpha;
  if (2 * bessel_j1(u_cut) / u_cut < 0.2)
    bad("q_cut " + num(p.q_cut) + " Å reaches the first zero of the disc's transform (" + num(0.6098 / p.s_alpha) +
        " Å for s_alpha " + num(p.s_alpha) + " 1/Å): lower q_cut");
  const std::size_t n = s.size();
  s_end_ = s.back() + 0.5 * h_;
  while (disc_bins_ < n && s[disc_bins_] + 0.5 * h_ <= p.s_alpha + p.disc_margin_bins * h_ + tol) ++disc_bins_;
  if (disc_bins_ == 0) bad("no bin lies inside the disc (s_alpha " + num(p.s_alpha) + " 1/Å, bins of " + num(h_) + " 1/Å)");
  if (n < disc_bins_ + 8)
    bad("only " + std::to_string(n - disc_bins_) + " bins beyond the disc (" + std::to_string(disc_bins_) +
        " bins); at least 8 are needed");
  area_.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double a = s[i] - 0.5 * h_, b = s[i] + 0.5 * h_;
    area_[i] = kPi * (b * b - std::max(a, 0.0) * std::max(a, 0.0));
  }
  // q grid: step 1/(8 s_end) (4 × finer than the profile's extent needs) up to q_cut.
  const double dq = 1.0 / (8 * s_end_);
  const std::size_t nq = static_cast<std::size_t>(std::floor(p.q_cut / dq)) + 1;
  q_.resize(nq);
  d_hat_.resize(nq);
  wq_.resize(nq);
  ring_.resize(nq * n);
  tail_ring_.resize(nq);
  for (std::size_t j = 0; j < nq; ++j) {
    const double q = static_cast<double>(j) * dq;
    q_[j] = q;
    const double u = 2 * kPi * q * p.s_alpha;
    d_hat_[j] = u > 0 ? 2 * bessel_j1(u) / u : 1.0;
    // trapezoid weight of 2πq dq, cosine taper over the last 20 % of [0, q_cut]
    double w = 2 * kPi * q * dq * ((j == 0 || j + 1 == nq) ? 0.5 : 1.0);
    if (q > 0.8 * p.q_cut) w *= 0.5 * (1 + std::cos(kPi * (q - 0.8 * p.q_cut) / (0.2 * p.q_cut)));
    wq_[j] = w;
    for (std::size_t i = 0; i < n; ++i)
      ring_[j * n + i] = ring_integral(q, std::max(s[i] - 0.5 * h_, 0.0), s[i] + 0.5 * h_);
    // s⁻⁴ tail beyond the detector's edge: exact at q = 0, midpoint rule to 4 s_end otherwise (what lies
    // beyond carries 6 % of the tail's counts, itself a few % of all, and varies slowly in q).
    if (j == 0) {
      tail_ring_[j] = kPi / (s_end_ * s_end_);
    } else {
      const double st = 1.0 / (8 * p.q_cut);  // 8 points per period of J₀ at q_cut
      double t = 0;
      for (double x = s_end_ + 0.5 * st; x < 4 * s_end_; x += st)
        t += bessel_j0(2 * kPi * q * x) * 2 * kPi * x * st / (x * x * x * x);
      tail_ring_[j] = t;
    }
  }
}

PluralResult PluralPlan::apply(const std::vector<double>& I) const {
  const std::size_t n = s_.size(), nq = q_.size();
  if (I.size() != n) bad("the profile has " + std::to_string(I.size()) + " bins, the plan " + std::to_string(n));
  for (std::size_t i = 0; i < n; ++i)
    if (!std::isfinite(I[i]) || I[i] < 0)
      bad("bin " + std::to_string(i) + " (s = " + num(s_[i]) + " 1/Å) holds " + num(I[i]) +
          (i < disc_bins_ ? ": the unscattered disc is not recorded (masked or in a detector gap)" : ""));
  // Scattered intensity inside the disc: the straight line through the first 4 bins beyond it.
  double sx = 0, sy = 0, sxx = 0, sxy = 0;
  for (std::size_t i = disc_bins_; i < disc_bins_ + 4; ++i) {
    sx += s_[i];
    sy += I[i];
    sxx += s_[i] * s_[i];
    sxy += s_[i] * I[i];
  }
  const double slope = (4 * sxy - sx * sy) / (4 * sxx - sx * sx), icpt = (sy - slope * sx) / 4;
  std::vector<double> sc(I);
  double A = 0;
  for (std::size_t i = 0; i < disc_bins_; ++i) {
    sc[i] = std::max(0.0, icpt + slope * s_[i]);
    A += (I[i] - sc[i]) * area_[i];
  }
  if (!(A > 0)) bad("the disc bins hold no counts above the scattered intensity (" + num(A) + "): no unscattered beam recorded");
  // s⁻⁴ tail fitted to the outer 20 % of the profile (least squares, not negative).
  double num4 = 0, den4 = 0;
  for (std::size_t i = disc_bins_; i < n; ++i)
    if (s_[i] > 0.8 * s_.back()) {
      const double v = 1 / (s_[i] * s_[i] * s_[i] * s_[i]);
      num4 += sc[i] * v;
      den4 += v * v;
    }
  const double c4 = den4 > 0 ? std::max(0.0, num4 / den4) : 0.0;
  double T = A + c4 * tail_ring_[0];
  for (std::size_t i = 0; i < n; ++i) T += sc[i] * area_[i];
  PluralResult r;
  r.total = T;
  r.unscattered = A / T;
  r.events = -std::log(r.unscattered);
  const double ex = std::exp(r.events);
  // The log term's departure from its linearisation, per q; then its bin-averaged inverse transform.
  std::vector<double> corr(nq);
  for (std::size_t j = 0; j < nq; ++j) {
    double F = c4 * tail_ring_[j];
    const double* row = ring_.data() + j * n;
    for (std::size_t i = 0; i < n; ++i) F += row[i] * sc[i];
    const double U = ex * F / T, D = d_hat_[j];
    if (U / D <= -1) bad("the profile's transform at q = " + num(q_[j]) + " Å is not consistent with the disc model");
    corr[j] = wq_[j] * T * (D * std::log1p(U / D) - U);
  }
  r.I_single.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    double d = 0;
    for (std::size_t j = 0; j < nq; ++j) d += corr[j] * ring_[j * n + i];
    r.I_single[i] = ex * sc[i] + d / area_[i];
  }
  return r;
}

PluralResult deconvolve_plural(const std::vector<double>& s, const std::vector<double>& I, const PluralParams& p) {
  return PluralPlan(s, p).apply(I);
}

}  // namespace sedpdf
