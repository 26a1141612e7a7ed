// The 1-D reduction chain I(s) → φ(s) → G(r). Formulas and sources are in chain.hpp.
#include "sedpdf/reduce/chain.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>
#include <string>

#include <Eigen/Dense>

#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num17(double v) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%.17g", v);
  return buf;
}

std::string lower(std::string t) {
  std::string out;
  for (char c : t)
    if (!std::isspace(static_cast<unsigned char>(c))) out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

[[noreturn]] void bad(const std::string& who, const std::string& what) {
  throw std::invalid_argument(who + ": " + what);
}

/// sin(x)/x with its series near 0.
double sinc(double x) {
  if (std::fabs(x) < 1e-3) {
    const double x2 = x * x;
    return 1.0 - x2 / 6.0 * (1.0 - x2 / 20.0);
  }
  return std::sin(x) / x;
}

/// Median of the steps of a strictly increasing grid.
double median_step(const std::vector<double>& s) {
  std::vector<double> d;
  d.reserve(s.size());
  for (size_t i = 1; i < s.size(); ++i) d.push_back(s[i] - s[i - 1]);
  std::nth_element(d.begin(), d.begin() + static_cast<long>(d.size() / 2), d.end());
  return d[d.size() / 2];
}

/// Relative tolerance for comparing s values with grid nodes.
double tol_of(const std::vector<double>& s) { return 1e-9 * std::max(1.0, std::fabs(s.back())); }

}  // namespace

// ------------------------------------------------------------------------------------------------

std::string correction_name(LowFrequencyCorrection c) {
  switch (c) {
    case LowFrequencyCorrection::None: return "none";
    case LowFrequencyCorrection::Mu2013: return "mu2013";
    case LowFrequencyCorrection::Rpoly: return "rpoly";
  }
  return "none";
}

LowFrequencyCorrection parse_correction(const std::string& text) {
  const std::string t = lower(text);
  if (t == "none") return LowFrequencyCorrection::None;
  if (t == "mu2013" || t == "mu") return LowFrequencyCorrection::Mu2013;
  if (t == "rpoly") return LowFrequencyCorrection::Rpoly;
  throw std::invalid_argument("low-frequency correction '" + text + "' is not one of none, mu2013, rpoly");
}

std::string transform_name(TransformKind t) {
  switch (t) {
    case TransformKind::Resampled: return "resampled";
    case TransformKind::Linear: return "linear";
  }
  return "resampled";
}

TransformKind parse_transform(const std::string& text) {
  const std::string t = lower(text);
  if (t == "resampled") return TransformKind::Resampled;
  if (t == "linear") return TransformKind::Linear;
  throw std::invalid_argument("transform '" + text + "' is not one of resampled, linear");
}

std::vector<std::pair<std::string, std::string>> reduction_metadata(const ReductionParams& p) {
  std::string comp;
  for (size_t i = 0; i < p.composition.elements.size(); ++i) {
    if (i) comp += ",";
    comp += p.composition.elements[i].symbol() + ":" + num17(p.composition.fractions[i]);
  }
  return {
      {"composition_atomic_fractions", comp},
      {"scattering_factors", p.factors == ElectronTable::Peng ? "peng1996" : "lobato2014"},
      {"fit_s_lo_per_A", num17(p.fit_s_lo)},
      {"fit_s_hi_per_A", num17(p.fit_s_hi)},
      {"weighted_fit", p.weighted_fit ? "true" : "false"},
      {"correction", correction_name(p.correction)},
      {"poly_degree", std::to_string(p.poly_degree)},
      {"rpoly_A", num17(p.rpoly)},
      {"damping", damping_name(p.damping)},
      {"s_min_per_A", num17(p.s_min)},
      {"s_max_per_A", num17(p.s_max)},
      {"r_min_A", num17(p.r_min)},
      {"r_max_A", num17(p.r_max)},
      {"dr_A", num17(p.dr)},
      {"transform", transform_name(p.transform)},
      {"ds_fine_per_A", num17(p.ds_fine)},
      {"propagate_variance", p.propagate_variance ? "true" : "false"},
      {"plural_deconvolution", p.plural_deconvolution ? "true" : "false"},
      {"plural_s_alpha_per_A", num17(p.plural.s_alpha)},
  };
}

// ------------------------------------------------------------------------------------------------
// Low-frequency polynomial
// ------------------------------------------------------------------------------------------------

namespace {

/// Basis function k of the correction at x = s/s_max: Mu2013 x(x − 1)x^k (k = 0..n−2), Rpoly x^{k+1}.
double basis(LowFrequencyCorrection kind, size_t k, double x) {
  double xp = 1;
  for (size_t i = 0; i < k; ++i) xp *= x;
  if (kind == LowFrequencyCorrection::Mu2013) return x * (x - 1.0) * xp;
  return xp * x;
}

}  // namespace

double LowFrequencyPolynomial::operator()(double s) const {
  const double x = s / s_scale;
  double p = 0;
  for (size_t k = 0; k < coefficients.size(); ++k) p += coefficients[k] * basis(kind, k, x);
  return p;
}

int correction_degree(const ReductionParams& p) {
  switch (p.correction) {
    case LowFrequencyCorrection::None:
      return 0;
    case LowFrequencyCorrection::Mu2013:
      if (p.poly_degree < 2)
        bad("low-frequency correction", "mu2013 needs poly_degree >= 2 (a polynomial vanishing at 0 and s_max), got " +
                                            std::to_string(p.poly_degree));
      return p.poly_degree;
    case LowFrequencyCorrection::Rpoly: {
      if (!(p.rpoly > 0) || !std::isfinite(p.rpoly) || !(p.s_max > 0))
        bad("low-frequency correction", "rpoly needs r_poly > 0 Å and s_max > 0, got r_poly = " + format_number(p.rpoly) +
                                            " Å, s_max = " + format_number(p.s_max) + " 1/Å");
      const double n = std::floor(2.0 * p.rpoly * p.s_max + 1e-9);  // ⌊r_poly Q_max/π⌋, Q_max = 2π s_max
      if (n < 1)
        bad("low-frequency correction", "r_poly = " + format_number(p.rpoly) + " Å with s_max = " + format_number(p.s_max) +
                                            " 1/Å gives polynomial degree ⌊2 r_poly s_max⌋ = 0");
      if (n > 30) bad("low-frequency correction", "r_poly = " + format_number(p.rpoly) + " Å gives degree " + format_number(n) + " > 30");
      return static_cast<int>(n);
    }
  }
  return 0;
}

namespace {

size_t coefficient_count(LowFrequencyCorrection kind, int degree) {
  if (kind == LowFrequencyCorrection::None) return 0;
  return kind == LowFrequencyCorrection::Mu2013 ? static_cast<size_t>(degree - 1) : static_cast<size_t>(degree);
}

/// Pseudo-inverse (n_coef × rows) of the basis matrix at x (column-pivoted QR).
Eigen::MatrixXd projector(LowFrequencyCorrection kind, size_t n_coef, const std::vector<double>& x) {
  Eigen::MatrixXd B(static_cast<Eigen::Index>(x.size()), static_cast<Eigen::Index>(n_coef));
  for (size_t i = 0; i < x.size(); ++i)
    for (size_t k = 0; k < n_coef; ++k) B(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(k)) = basis(kind, k, x[i]);
  const auto qr = B.colPivHouseholderQr();
  if (qr.rank() < static_cast<Eigen::Index>(n_coef))
    bad("low-frequency correction", "the " + std::to_string(n_coef) + " basis functions are degenerate on the " +
                                        std::to_string(x.size()) + " fit points");
  return qr.solve(Eigen::MatrixXd::Identity(B.rows(), B.rows()));
}

}  // namespace

LowFrequencyPolynomial fit_low_frequency(const std::vector<double>& s, const std::vector<double>& phi,
                                         LowFrequencyCorrection kind, int degree, double s_max, double s_lo,
                                         double s_hi) {
  const std::string fn = "fit_low_frequency";
  if (phi.size() != s.size())
    bad(fn, "phi has " + std::to_string(phi.size()) + " points but s has " + std::to_string(s.size()));
  LowFrequencyPolynomial p;
  p.kind = kind;
  p.s_scale = s_max;
  if (kind == LowFrequencyCorrection::None) return p;
  if (!(s_max > 0) || !std::isfinite(s_max)) bad(fn, "s_max = " + format_number(s_max) + " must be positive");
  if (kind == LowFrequencyCorrection::Mu2013 && degree < 2)
    bad(fn, "mu2013 needs degree >= 2, got " + std::to_string(degree));
  if (kind == LowFrequencyCorrection::Rpoly && degree < 1)
    bad(fn, "rpoly needs degree >= 1, got " + std::to_string(degree));
  p.degree = degree;
  const size_t nc = coefficient_count(kind, degree);
  std::vector<double> x, y;
  for (size_t i = 0; i < s.size(); ++i) {
    if (!(s[i] >= s_lo && s[i] <= s_hi)) continue;
    if (!std::isfinite(phi[i]))
      bad(fn, "phi[" + std::to_string(i) + "] = " + format_number(phi[i]) + " (s = " + format_number(s[i]) + ") is not finite inside [" +
                  format_number(s_lo) + ", " + format_number(s_hi) + "] 1/Å");
    x.push_back(s[i] / s_max);
    y.push_back(phi[i]);
  }
  if (x.size() < nc + 1)
    bad(fn, "[" + format_number(s_lo) + ", " + format_number(s_hi) + "] 1/Å holds " + std::to_string(x.size()) + " points; " +
                std::to_string(nc + 1) + " are needed for " + std::to_string(nc) + " coefficients");
  const Eigen::MatrixXd P = projector(kind, nc, x);
  const Eigen::VectorXd c = P * Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(y.size()));
  p.coefficients.assign(c.data(), c.data() + c.size());
  return p;
}

double cubic_spline_response(double r, double h, double h_fine) {
  const double a = kPi * r * h;
  const double sa = std::sin(a);
  const double sc = sinc(a);
  const double sf = sinc(kPi * r * h_fine);
  return sc * sc * sc * sc / (1.0 - 2.0 / 3.0 * sa * sa) * sf * sf;
}

double linear_interpolation_response(double r, double h) {
  const double sc = sinc(kPi * r * h);
  return sc * sc;
}

// ------------------------------------------------------------------------------------------------
// PhiTransform
// ------------------------------------------------------------------------------------------------

namespace {

void check_grid(const std::vector<double>& s, const std::string& who) {
  if (s.size() < 4) bad(who, "the s grid has " + std::to_string(s.size()) + " points; at least 4 are needed");
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isfinite(s[i])) bad(who, "s[" + std::to_string(i) + "] = " + format_number(s[i]) + " is not finite");
    if (i && !(s[i] > s[i - 1]))
      bad(who, "s is not strictly increasing at index " + std::to_string(i) + " (" + format_number(s[i - 1]) + ", " +
                   format_number(s[i]) + ")");
  }
  if (s[0] < 0) bad(who, "s[0] = " + format_number(s[0]) + " < 0");
}

void check_damping(const Damping& d, const std::string& who) {
  if (d.kind == Damping::Exp && !(d.b >= 0 && std::isfinite(d.b)))
    bad(who, "exp damping b = " + format_number(d.b) + " Å² must be finite and >= 0");
  if (d.kind == Damping::ModifiedLorch && !(d.delta >= 0 && std::isfinite(d.delta)))
    bad(who, "modified Lorch Δ = " + format_number(d.delta) + " Å must be finite and >= 0");
}

/// Second derivatives of the not-a-knot cubic spline through (x_j, y_j) as a dense matrix S (m × m,
/// row-major): M = S y. Interior rows (de Boor, A Practical Guide to Splines, ch. IV):
///   h_{j−1} M_{j−1} + 2(h_{j−1} + h_j) M_j + h_j M_{j+1} = 6[(y_{j+1} − y_j)/h_j − (y_j − y_{j−1})/h_{j−1}],
/// end rows: the third derivative is continuous at x_1 and x_{m−2}:
///   h_1 M_0 − (h_0 + h_1) M_1 + h_0 M_2 = 0 and the mirror at the other end.
std::vector<double> not_a_knot_matrix(const std::vector<double>& x) {
  const Eigen::Index m = static_cast<Eigen::Index>(x.size());
  Eigen::MatrixXd A = Eigen::MatrixXd::Zero(m, m), R = Eigen::MatrixXd::Zero(m, m);
  auto h = [&](Eigen::Index j) { return x[static_cast<size_t>(j + 1)] - x[static_cast<size_t>(j)]; };
  A(0, 0) = h(1);
  A(0, 1) = -(h(0) + h(1));
  A(0, 2) = h(0);
  for (Eigen::Index j = 1; j < m - 1; ++j) {
    A(j, j - 1) = h(j - 1);
    A(j, j) = 2 * (h(j - 1) + h(j));
    A(j, j + 1) = h(j);
    R(j, j - 1) = 6 / h(j - 1);
    R(j, j) = -6 / h(j) - 6 / h(j - 1);
    R(j, j + 1) = 6 / h(j);
  }
  A(m - 1, m - 3) = h(m - 2);
  A(m - 1, m - 2) = -(h(m - 3) + h(m - 2));
  A(m - 1, m - 1) = h(m - 3);
  const Eigen::MatrixXd S = A.partialPivLu().solve(R);
  std::vector<double> out(static_cast<size_t>(m * m));
  for (Eigen::Index i = 0; i < m; ++i)
    for (Eigen::Index j = 0; j < m; ++j) out[static_cast<size_t>(i * m + j)] = S(i, j);
  return out;
}

/// Cubic-spline evaluation weights on [x_i, x_i + h] at t = (s − x_i)/h (t may lie outside [0, 1]):
///   φ = (1 − t) y_i + t y_{i+1} + h²/6 [((1 − t)³ − (1 − t)) M_i + (t³ − t) M_{i+1}].
struct SplineWeights {
  double wy0, wy1, wm0, wm1;
};
SplineWeights spline_weights(double t, double h) {
  const double u = 1.0 - t, h6 = h * h / 6.0;
  return {u, t, h6 * (u * u * u - u), h6 * (t * t * t - t)};
}

}  // namespace

PhiTransform::PhiTransform(const std::vector<double>& s, const ReductionParams& p) : s_(s) {
  const std::string who = "reduction chain";
  check_grid(s, who);
  check_damping(p.damping, who);
  h_ = median_step(s);
  const double tol = tol_of(s);
  kind_ = p.transform;
  damping_ = p.damping;
  s_min_ = p.s_min;
  s_max_ = p.s_max;
  if (!std::isfinite(p.s_max) || !(p.s_max > 0)) bad(who, "s_max = " + format_number(p.s_max) + " 1/Å must be positive");
  if (!std::isfinite(p.s_min) || p.s_min < 0) bad(who, "s_min = " + format_number(p.s_min) + " 1/Å must be >= 0");
  if (!(p.s_min < p.s_max))
    bad(who, "s_min = " + format_number(p.s_min) + " 1/Å must be below s_max = " + format_number(p.s_max) + " 1/Å");
  if (p.s_min < s.front() - h_ - tol)
    bad(who, "s_min = " + format_number(p.s_min) + " 1/Å lies more than one step (" + format_number(h_) + ") below the data, which start at " +
                 format_number(s.front()) + " 1/Å");
  if (p.s_max > s.back() + tol)
    bad(who, "s_max = " + format_number(p.s_max) + " 1/Å lies beyond the data, which end at " + format_number(s.back()) + " 1/Å");
  if (!(p.r_min >= 0) || !std::isfinite(p.r_max) || !(p.r_max > p.r_min))
    bad(who, "r range [" + format_number(p.r_min) + ", " + format_number(p.r_max) + "] Å is empty or negative");
  if (!(p.dr > 0) || !std::isfinite(p.dr)) bad(who, "dr = " + format_number(p.dr) + " Å must be positive");
  if ((p.r_max - p.r_min) / p.dr > 1e6)
    bad(who, "r grid [" + format_number(p.r_min) + ", " + format_number(p.r_max) + "] Å step " + format_number(p.dr) + " has more than 1e6 points");
  if (kind_ == TransformKind::Resampled && (!(p.ds_fine > 0) || !(p.ds_fine < p.s_max)))
    bad(who, "ds_fine = " + format_number(p.ds_fine) + " 1/Å must be in (0, s_max = " + format_number(p.s_max) + ")");
  r_ = uniform_grid(p.r_min, p.r_max, p.dr);

  // Nodes used: the first node >= s_min up to the first node >= s_max.
  first_ = 0;
  while (first_ < s.size() && s[first_] < p.s_min - tol) ++first_;
  size_t last = first_;
  while (last < s.size() && s[last] < p.s_max - tol) ++last;
  if (last >= s.size()) last = s.size() - 1;
  nodes_ = last - first_ + 1;
  if (nodes_ < 4)
    bad(who, "only " + std::to_string(nodes_) + " data points lie in s_min … s_max = [" + format_number(p.s_min) + ", " +
                 format_number(p.s_max) + "] 1/Å; at least 4 are needed");
  const std::vector<double> x(s.begin() + static_cast<long>(first_), s.begin() + static_cast<long>(last + 1));
  const size_t m = nodes_, nr = r_.size();
  matrix_.assign(nr * m, 0.0);
  at_s_min_.assign(m, 0.0);

  if (kind_ == TransformKind::Linear) {
    // φ(s_min) by linear extrapolation of the first two nodes; the piecewise-linear interpolant of
    // (0, 0), the ramp values at the nodes below s_min and y at the nodes used, transformed exactly.
    const double t = (p.s_min - x[0]) / (x[1] - x[0]);
    at_s_min_[0] = 1.0 - t;
    at_s_min_[1] = t;
    std::vector<double> grid;
    if (s.front() > 0) grid.push_back(0.0);
    const size_t lead = grid.size();
    for (size_t i = 0; i <= last; ++i) grid.push_back(s[i]);
    std::vector<std::vector<double>> psi(m, std::vector<double>(grid.size(), 0.0));
    for (size_t j = 0; j < m; ++j) {
      psi[j][lead + first_ + j] = 1.0;
      if (p.s_min > 0)
        for (size_t i = 0; i < first_; ++i) psi[j][lead + i] = at_s_min_[j] * s[i] / p.s_min;
    }
    const auto cols = sine_transform_s_to_r_batch(grid, psi, r_, damping_, p.s_max);
    for (size_t k = 0; k < nr; ++k)
      for (size_t j = 0; j < m; ++j) matrix_[k * m + j] = cols[j][k];
    return;
  }

  // Resampled: not-a-knot spline through the nodes used, evaluated on the uniform grid 0 … s_max.
  spline_ = not_a_knot_matrix(x);
  {
    const double t = (p.s_min - x[0]) / (x[1] - x[0]);
    const SplineWeights w = spline_weights(t, x[1] - x[0]);
    for (size_t j = 0; j < m; ++j) at_s_min_[j] = w.wm0 * spline_[j] + w.wm1 * spline_[m + j];
    at_s_min_[0] += w.wy0;
    at_s_min_[1] += w.wy1;
  }
  const size_t nf = static_cast<size_t>(std::ceil(p.s_max / p.ds_fine - 1e-9));
  h_fine_ = p.s_max / static_cast<double>(nf);
  // Per fine point: ramp factor, or interval and spline weights; and D(s).
  struct Fine {
    bool ramp;
    double ramp_factor;
    size_t i;
    SplineWeights w;
    double d;
  };
  std::vector<Fine> fine(nf + 1);
  for (size_t f = 0; f <= nf; ++f) {
    const double sf = f == nf ? p.s_max : static_cast<double>(f) * h_fine_;
    Fine& e = fine[f];
    e.d = damping_factor(damping_, sf, p.s_max);
    if (f == nf && (damping_.kind == Damping::Lorch || (damping_.kind == Damping::ModifiedLorch && !(damping_.delta > 0))))
      e.d = 0.0;
    e.ramp = sf < p.s_min;
    e.ramp_factor = p.s_min > 0 ? sf / p.s_min : 0.0;
    size_t i = 0;
    while (i + 2 < m && x[i + 1] <= sf) ++i;
    e.i = i;
    const double hi = x[i + 1] - x[i];
    e.w = spline_weights((sf - x[i]) / hi, hi);
  }
  // Row k: z_f = 8π w_f(k) D(s_f), w_f the exact weights of the piecewise-linear interpolant on the
  // uniform grid 0 … s_max (step η): interior η sinc²(kη/2) sin(k s_f); first node η(θ − sin θ)/θ²;
  // last node η[sin(k s_max)(1 − cos θ) − cos(k s_max)(θ − sin θ)]/θ², θ = kη, k = 2πr.
  const double eta = h_fine_;
  const std::vector<double>& S = spline_;
  const std::vector<double>& a = at_s_min_;
  std::vector<double> qmat(nr * m);
#pragma omp parallel
  {
    std::vector<double> qy(m), qm(m);
#pragma omp for schedule(static)
    for (long kk = 0; kk < static_cast<long>(nr); ++kk) {
      const size_t k = static_cast<size_t>(kk);
      const double kw = 2 * kPi * r_[k];
      const double th = kw * eta;
      double c_mid, c_first, c_last_s, c_last_c;
      if (std::fabs(th) < 1e-2) {
        const double t2 = th * th;
        const double one_minus_cos = 0.5 - t2 / 24.0 * (1.0 - t2 / 30.0);  // (1 − cos θ)/θ²
        const double th_minus_sin = th / 6.0 * (1.0 - t2 / 20.0 * (1.0 - t2 / 42.0));  // (θ − sin θ)/θ²
        c_first = eta * th_minus_sin;
        c_last_s = eta * one_minus_cos;
        c_last_c = eta * th_minus_sin;
      } else {
        c_first = eta * (th - std::sin(th)) / (th * th);
        c_last_s = eta * (1.0 - std::cos(th)) / (th * th);
        c_last_c = c_first;
      }
      const double sh = sinc(0.5 * th);
      c_mid = eta * sh * sh;
      std::fill(qy.begin(), qy.end(), 0.0);
      std::fill(qm.begin(), qm.end(), 0.0);
      double ramp = 0;
      const double rot_s = std::sin(th), rot_c = std::cos(th);
      double cs = 0, cc = 1;
      for (size_t f = 0; f <= nf; ++f) {
        if (f % 32 == 0) {
          const double arg = kw * static_cast<double>(f) * eta;
          cs = std::sin(arg);
          cc = std::cos(arg);
        } else {
          const double ns = cs * rot_c + cc * rot_s;
          cc = cc * rot_c - cs * rot_s;
          cs = ns;
        }
        double wf;
        if (f == 0)
          wf = c_first;
        else if (f == nf)
          wf = cs * c_last_s - cc * c_last_c;
        else
          wf = c_mid * cs;
        const Fine& e = fine[f];
        const double z = 8 * kPi * wf * e.d;
        if (e.ramp) {
          ramp += z * e.ramp_factor;
        } else {
          qy[e.i] += z * e.w.wy0;
          qy[e.i + 1] += z * e.w.wy1;
          qm[e.i] += z * e.w.wm0;
          qm[e.i + 1] += z * e.w.wm1;
        }
      }
      double* row = matrix_.data() + k * m;
      for (size_t j = 0; j < m; ++j) row[j] = qy[j] + ramp * a[j];
      std::copy(qm.begin(), qm.end(), qmat.begin() + static_cast<long>(k * m));
    }
  }
  // + Sᵀ q_M for every row at once: matrix += QM · S (QM rows = q_M).
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Index enr = static_cast<Eigen::Index>(nr), em = static_cast<Eigen::Index>(m);
  Eigen::Map<RowMajor>(matrix_.data(), enr, em).noalias() +=
      Eigen::Map<const RowMajor>(qmat.data(), enr, em) * Eigen::Map<const RowMajor>(S.data(), em, em);
}

std::vector<double> PhiTransform::apply(const std::vector<double>& y) const {
  if (y.size() != nodes_)
    bad("PhiTransform::apply", "got " + std::to_string(y.size()) + " values for " + std::to_string(nodes_) + " nodes");
  std::vector<double> G(r_.size());
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> M(matrix_.data(), static_cast<Eigen::Index>(r_.size()),
                                     static_cast<Eigen::Index>(nodes_));
  Eigen::Map<Eigen::VectorXd>(G.data(), static_cast<Eigen::Index>(G.size())).noalias() =
      M * Eigen::Map<const Eigen::VectorXd>(y.data(), static_cast<Eigen::Index>(nodes_));
  return G;
}

std::pair<std::vector<double>, std::vector<double>> PhiTransform::resampled(const std::vector<double>& y) const {
  if (y.size() != nodes_)
    bad("PhiTransform::resampled", "got " + std::to_string(y.size()) + " values for " + std::to_string(nodes_) + " nodes");
  double at_min = 0;
  for (size_t j = 0; j < nodes_; ++j) at_min += at_s_min_[j] * y[j];
  const auto ramp = [&](double sv) { return s_min_ > 0 ? at_min * sv / s_min_ : 0.0; };
  std::vector<double> gs, gv;
  if (kind_ == TransformKind::Linear) {
    if (s_.front() > 0) {
      gs.push_back(0.0);
      gv.push_back(0.0);
    }
    for (size_t i = 0; i < first_ + nodes_; ++i) {
      gs.push_back(s_[i]);
      gv.push_back(i < first_ ? ramp(s_[i]) : y[i - first_]);
    }
    return {gs, gv};
  }
  const size_t m = nodes_;
  std::vector<double> M(m, 0.0);
  for (size_t i = 0; i < m; ++i)
    for (size_t j = 0; j < m; ++j) M[i] += spline_[i * m + j] * y[j];
  const size_t nf = static_cast<size_t>(std::llround(s_max_ / h_fine_));
  for (size_t f = 0; f <= nf; ++f) {
    const double sf = f == nf ? s_max_ : static_cast<double>(f) * h_fine_;
    gs.push_back(sf);
    if (sf < s_min_) {
      gv.push_back(ramp(sf));
      continue;
    }
    size_t i = 0;
    while (i + 2 < m && s_[first_ + i + 1] <= sf) ++i;
    const double x0 = s_[first_ + i], hi = s_[first_ + i + 1] - x0;
    const SplineWeights w = spline_weights((sf - x0) / hi, hi);
    gv.push_back(w.wy0 * y[i] + w.wy1 * y[i + 1] + w.wm0 * M[i] + w.wm1 * M[i + 1]);
  }
  return {gs, gv};
}

// ------------------------------------------------------------------------------------------------
// ChainPlan
// ------------------------------------------------------------------------------------------------

ChainPlan::~ChainPlan() = default;
ChainPlan::ChainPlan(ChainPlan&&) noexcept = default;
ChainPlan& ChainPlan::operator=(ChainPlan&&) noexcept = default;

namespace {

const ReductionParams& checked(const std::vector<double>& s, const ReductionParams& p) {
  const std::string who = "reduction chain";
  check_grid(s, who);
  if (p.composition.elements.empty() || p.composition.elements.size() != p.composition.fractions.size())
    bad(who, "the composition is empty (" + std::to_string(p.composition.elements.size()) + " elements, " +
                 std::to_string(p.composition.fractions.size()) + " fractions)");
  if (!std::isfinite(p.fit_s_lo) || !std::isfinite(p.fit_s_hi) || !(p.fit_s_lo < p.fit_s_hi))
    bad(who, "fit window [" + format_number(p.fit_s_lo) + ", " + format_number(p.fit_s_hi) + "] 1/Å is not a finite interval with s_lo < s_hi");
  const double h = median_step(s), tol = tol_of(s);
  if (p.fit_s_lo < s.front() - h - tol || p.fit_s_hi > s.back() + h + tol)
    bad(who, "fit window [" + format_number(p.fit_s_lo) + ", " + format_number(p.fit_s_hi) + "] 1/Å lies outside the data [" +
                 format_number(s.front()) + ", " + format_number(s.back()) + "] 1/Å (by more than one step, " + format_number(h) + " 1/Å)");
  correction_degree(p);  // throws for bad degree / r_poly
  return p;
}

}  // namespace

ChainPlan::ChainPlan(const std::vector<double>& s, const ReductionParams& p)
    : params_(checked(s, p)), s_(s), transform_(s, p) {
  const std::string who = "reduction chain";
  if (p.plural_deconvolution) plural_ = std::make_unique<PluralPlan>(s, p.plural);
  factors_ = make_scattering_factors(Radiation::Electron, p.factors);
  for (const Element& e : p.composition.elements)
    if (!factors_->has(e)) bad(who, factors_->name() + " has no scattering factor for " + e.symbol());
  curves_ = factor_curves(*factors_, p.composition, s_);

  const size_t m = transform_.node_count(), first = transform_.first_node(), nr = transform_.r().size();
  const int degree = correction_degree(p);
  n_coef_ = static_cast<int>(coefficient_count(p.correction, degree));
  const size_t nc = static_cast<size_t>(n_coef_);
  const double tol = tol_of(s_);
  for (size_t j = 0; j < m; ++j)
    if (s_[first + j] <= p.s_max + tol) poly_nodes_.push_back(first + j);
  if (nc > 0) {
    if (poly_nodes_.size() < nc + 1)
      bad(who, "s_min … s_max = [" + format_number(p.s_min) + ", " + format_number(p.s_max) + "] 1/Å holds " +
                   std::to_string(poly_nodes_.size()) + " points; the " + correction_name(p.correction) +
                   " correction needs at least " + std::to_string(nc + 1));
    std::vector<double> x;
    for (size_t i : poly_nodes_) x.push_back(s_[i] / p.s_max);
    const Eigen::MatrixXd P = projector(p.correction, nc, x);
    proj_.resize(nc * x.size());
    for (size_t c = 0; c < nc; ++c)
      for (size_t i = 0; i < x.size(); ++i) proj_[c * x.size() + i] = P(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(i));
    basis_.resize(s_.size() * nc);
    for (size_t i = 0; i < s_.size(); ++i)
      for (size_t c = 0; c < nc; ++c) basis_[i * nc + c] = basis(p.correction, c, s_[i] / p.s_max);
  }
  // corrected_ = M (1 − B_U K): G as a linear function of φ_raw at the nodes used.
  corrected_.resize(nr * m);
  const size_t nfit = poly_nodes_.size();
  for (size_t k = 0; k < nr; ++k) {
    const double* row = transform_.row(k);
    double* out = corrected_.data() + k * m;
    std::copy(row, row + m, out);
    if (nc == 0) continue;
    std::vector<double> mb(nc, 0.0);  // (M B_U)_k
    for (size_t j = 0; j < m; ++j)
      for (size_t c = 0; c < nc; ++c) mb[c] += row[j] * basis_[(first + j) * nc + c];
    for (size_t j = 0; j < nfit; ++j) {  // poly nodes are the first nfit nodes used
      double acc = 0;
      for (size_t c = 0; c < nc; ++c) acc += mb[c] * proj_[c * nfit + j];
      out[j] -= acc;
    }
  }
  corrected_sq_.resize(corrected_.size());
  for (size_t i = 0; i < corrected_.size(); ++i) corrected_sq_[i] = corrected_[i] * corrected_[i];
  auto gh = correction_products(curves_);
  mc_g_ = std::move(gh.first);
  mc_h_ = std::move(gh.second);
}

ReducedProfile ChainPlan::reduce(const std::vector<double>& I, const std::vector<double>* variance) const {
  return reduce_with(I, variance, curves_);
}

ReducedProfile ChainPlan::reduce(const std::vector<double>& I, const std::vector<double>* variance,
                                 const Composition& composition) const {
  if (composition.elements.empty() || composition.elements.size() != composition.fractions.size())
    bad("reduction chain", "the per-pixel composition is empty");
  for (const Element& e : composition.elements)
    if (!factors_->has(e)) bad("reduction chain", factors_->name() + " has no scattering factor for " + e.symbol());
  return reduce_with(I, variance, factor_curves(*factors_, composition, s_));
}

ReducedProfile ChainPlan::reduce_with(const std::vector<double>& I_in, const std::vector<double>* variance_in,
                                      const FactorCurves& fc) const {
  const std::string who = "reduction chain";
  const ReductionParams& p = params_;
  const size_t n = s_.size();
  if (I_in.size() != n) bad(who, "I has " + std::to_string(I_in.size()) + " points but s has " + std::to_string(n));
  if (variance_in && variance_in->size() != n)
    bad(who, "the variance has " + std::to_string(variance_in->size()) + " points but s has " + std::to_string(n));
  // Optional step 1b: plural scattering removed (plural.hpp); the variance scaled by e^{2x}.
  std::vector<double> I_single, var_single;
  double plural_events = -1;
  if (plural_) {
    PluralResult pr = plural_->apply(I_in);
    plural_events = pr.events;
    I_single = std::move(pr.I_single);
    if (variance_in) {
      var_single = *variance_in;
      for (double& v : var_single) v *= std::exp(2 * pr.events);
    }
  }
  const std::vector<double>& I = plural_ ? I_single : I_in;
  const std::vector<double>* variance = plural_ && variance_in ? &var_single : variance_in;
  const double tol = tol_of(s_);
  const auto in_window = [&](size_t i) { return s_[i] >= p.fit_s_lo - tol && s_[i] <= p.fit_s_hi + tol; };

  // Step 2: the background fit, weighted by 1/σ² when a variance is given.
  const bool weighted = variance && p.weighted_fit;
  std::vector<double> w;
  if (weighted) {
    w.assign(n, 1.0);
    for (size_t i = 0; i < n; ++i) {
      if (!in_window(i)) continue;
      const double v = (*variance)[i];
      if (!(v > 0) || !std::isfinite(v))
        bad(who, "variance[" + std::to_string(i) + "] = " + format_number(v) + " (s = " + format_number(s_[i]) +
                     " 1/Å) must be finite and > 0 inside the fit window");
      w[i] = 1.0 / v;
    }
  }
  ReducedProfile out;
  out.fit = fit_background(s_, I, fc.f2_mean, p.fit_s_lo - tol, p.fit_s_hi + tol, weighted ? &w : nullptr);
  const double N = out.fit.N, C = out.fit.C;
  if (!(N > 0) || !std::isfinite(N))
    bad(who, "the fitted scale N = " + format_number(N) + " is not positive: the profile does not decrease like ⟨f²⟩ over the fit window [" +
                 format_number(p.fit_s_lo) + ", " + format_number(p.fit_s_hi) + "] 1/Å");

  // Step 3: φ_raw (003 eqs. 1/4).
  out.s = s_;
  out.f_mean = fc.f_mean;
  out.f2_mean = fc.f2_mean;
  out.phi_raw.assign(n, kNaN);
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(I[i])) out.phi_raw[i] = s_[i] * (I[i] - N * fc.f2_mean[i] - C) / (N * fc.f_mean[i] * fc.f_mean[i]);
  const size_t first = transform_.first_node(), m = transform_.node_count();
  for (size_t j = 0; j < m; ++j) {
    const size_t i = first + j;
    if (!std::isfinite(I[i]))
      bad(who, "I[" + std::to_string(i) + "] = " + format_number(I[i]) + " (s = " + format_number(s_[i]) +
                   " 1/Å) is not finite inside the range used for φ, s_min … s_max = [" + format_number(p.s_min) + ", " +
                   format_number(p.s_max) + "] 1/Å");
  }

  // Step 4: low-frequency correction.
  const size_t nc = static_cast<size_t>(n_coef_), nfit = poly_nodes_.size();
  out.poly.kind = p.correction;
  out.poly.s_scale = p.s_max;
  out.poly.degree = nc == 0 ? 0 : correction_degree(p);
  out.poly.coefficients.assign(nc, 0.0);
  for (size_t c = 0; c < nc; ++c)
    for (size_t j = 0; j < nfit; ++j) out.poly.coefficients[c] += proj_[c * nfit + j] * out.phi_raw[poly_nodes_[j]];
  out.polynomial.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i)
    for (size_t c = 0; c < nc; ++c) out.polynomial[i] += out.poly.coefficients[c] * basis_[i * nc + c];
  out.phi_corrected.resize(n);
  for (size_t i = 0; i < n; ++i) out.phi_corrected[i] = out.phi_raw[i] - out.polynomial[i];

  // Steps 5–7: ramp below s_min, damping, transform.
  std::vector<double> y(m);
  for (size_t j = 0; j < m; ++j) y[j] = out.phi_corrected[first + j];
  out.r = transform_.r();
  out.G = transform_.apply(y);
  double at_min = 0;
  for (size_t j = 0; j < m; ++j) at_min += transform_.s_min_functional()[j] * y[j];
  out.phi_final.assign(n, 0.0);
  out.phi_damped.assign(n, 0.0);
  for (size_t i = 0; i < n; ++i) {
    if (s_[i] > p.s_max + tol) continue;
    out.phi_final[i] = s_[i] < p.s_min - tol ? (p.s_min > 0 ? at_min * s_[i] / p.s_min : 0.0) : out.phi_corrected[i];
    out.phi_damped[i] = out.phi_final[i] * damping_factor(p.damping, s_[i], p.s_max);
  }

  // Diagnostics over s_min … s_max.
  ChainDiagnostics& d = out.diagnostics;
  d.plural_events = plural_events;
  d.n_nodes = m;
  d.n_poly_points = nfit;
  d.phi_at_s_min = at_min;
  double sr = 0, sr2 = 0, sc = 0, sc2 = 0, sp2 = 0;
  for (size_t i : poly_nodes_) {
    sr += out.phi_raw[i];
    sr2 += out.phi_raw[i] * out.phi_raw[i];
    sc += out.phi_corrected[i];
    sc2 += out.phi_corrected[i] * out.phi_corrected[i];
    sp2 += out.polynomial[i] * out.polynomial[i];
  }
  const double cnt = static_cast<double>(nfit);
  d.phi_mean_raw = sr / cnt;
  d.phi_mean_corrected = sc / cnt;
  d.phi_rms_raw = std::sqrt(sr2 / cnt);
  d.phi_rms_corrected = std::sqrt(sc2 / cnt);
  d.poly_rms = std::sqrt(sp2 / cnt);
  d.data_step = transform_.data_step();
  d.fine_step = transform_.fine_step();
  d.response_at_r_max = p.transform == TransformKind::Resampled
                            ? cubic_spline_response(out.r.back(), d.data_step, d.fine_step)
                            : linear_interpolation_response(out.r.back(), d.data_step);
  d.factors = factors_->name();

  if (!variance || !p.propagate_variance) return out;

  // First-order propagation: G = Mc φ_raw[U], φ_raw = J I with J = diag(∂φ/∂I) + (∂φ/∂N) ∂N/∂Iᵀ +
  // (∂φ/∂C) ∂C/∂Iᵀ (N, C the weighted straight-line fit of scattering_fit.cpp):
  //   ∂N/∂I_j = w_j (x_j − x̄)/Sxx,  ∂C/∂I_j = w_j/Σw − x̄ ∂N/∂I_j   (x = ⟨f²⟩, j in the fit window),
  //   ∂φ_i/∂I_i = s_i/(N⟨f⟩²_i),  ∂φ_i/∂N = −(φ_i + s_i⟨f²⟩_i/⟨f⟩²_i)/N,  ∂φ_i/∂C = −s_i/(N⟨f⟩²_i);
  //   Var G_k = Σ_j (Mc J)_kj² σ_j²  (independent bins).
  const std::vector<double>& var = *variance;
  for (size_t j = 0; j < m; ++j) {
    const double v = var[first + j];
    if (!(v >= 0) || !std::isfinite(v))
      bad(who, "variance[" + std::to_string(first + j) + "] = " + format_number(v) + " (s = " + format_number(s_[first + j]) +
                   " 1/Å) must be finite and >= 0 inside s_min … s_max");
  }
  std::vector<size_t> win;
  for (size_t i = 0; i < n; ++i) {
    if (!in_window(i)) continue;
    const double v = var[i];
    if (!(v >= 0) || !std::isfinite(v))
      bad(who, "variance[" + std::to_string(i) + "] = " + format_number(v) + " (s = " + format_number(s_[i]) +
                   " 1/Å) must be finite and >= 0 inside the fit window");
    win.push_back(i);
  }
  const auto wt = [&](size_t i) { return weighted ? w[i] : 1.0; };
  double sw = 0, swx = 0;
  for (size_t i : win) {
    sw += wt(i);
    swx += wt(i) * fc.f2_mean[i];
  }
  const double xm = swx / sw;
  double sxx = 0;
  for (size_t i : win) sxx += wt(i) * (fc.f2_mean[i] - xm) * (fc.f2_mean[i] - xm);
  std::vector<double> dN(win.size()), dC(win.size());
  for (size_t q = 0; q < win.size(); ++q) {
    const size_t i = win[q];
    dN[q] = wt(i) * (fc.f2_mean[i] - xm) / sxx;
    dC[q] = wt(i) / sw - xm * dN[q];
  }
  std::vector<double> dd(m);
  for (size_t j = 0; j < m; ++j) {
    const size_t i = first + j;
    dd[j] = s_[i] / (N * fc.f_mean[i] * fc.f_mean[i]);
  }
  out.phi_sigma.assign(n, kNaN);
  for (size_t i = 0; i < n; ++i)
    if (std::isfinite(var[i]) && var[i] >= 0)
      out.phi_sigma[i] = std::fabs(s_[i] / (N * fc.f_mean[i] * fc.f_mean[i])) * std::sqrt(var[i]);
  // With T_kj = Mc_kj d_j [j ∈ U] + α_k a_j + β_k b_j (α = Mc·∂φ/∂N, β = Mc·∂φ/∂C; a, b the fit
  // derivatives, zero outside the window), expanded into matrix–vector products:
  //   Var G_k = Σ_U Mc² d²σ² + 2α_k Σ_U Mc d a σ² + 2β_k Σ_U Mc d b σ² + α_k² Σ a²σ² + 2α_kβ_k Σ a b σ² + β_k² Σ b²σ².
  // α = Mc·∂φ/∂N = −(G + Mc·g)/N and β = Mc·∂φ/∂C = −(Mc·h)/N with g = s⟨f²⟩/⟨f⟩², h = s/⟨f⟩² (Mc·φ_raw
  // is G itself); Mc·g and Mc·h are precomputed for the plan's composition. The cross terms only run
  // over the nodes in the fit window.
  const Eigen::Index nr = static_cast<Eigen::Index>(out.r.size()), em = static_cast<Eigen::Index>(m);
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> Mc2(corrected_sq_.data(), nr, em);
  std::pair<std::vector<double>, std::vector<double>> own;
  if (&fc != &curves_) own = correction_products(fc);  // another composition: compute Mc·g, Mc·h now
  const std::vector<double>& mc_g = &fc == &curves_ ? mc_g_ : own.first;
  const std::vector<double>& mc_h = &fc == &curves_ ? mc_h_ : own.second;
  Eigen::VectorXd v_dd(em);
  for (size_t j = 0; j < m; ++j) v_dd(static_cast<Eigen::Index>(j)) = dd[j] * dd[j] * var[first + j];
  const Eigen::VectorXd t_dd = Mc2 * v_dd;
  // Nodes used that lie in the window: a contiguous range [j0, j1) of U.
  std::vector<double> a_full(n, 0.0), b_full(n, 0.0);
  for (size_t q = 0; q < win.size(); ++q) {
    a_full[win[q]] = dN[q];
    b_full[win[q]] = dC[q];
  }
  size_t j0 = m, j1 = 0;
  for (size_t j = 0; j < m; ++j)
    if (in_window(first + j)) {
      j0 = std::min(j0, j);
      j1 = j + 1;
    }
  std::vector<double> wa(m, 0.0), wb(m, 0.0);
  for (size_t j = j0; j < j1; ++j) {
    wa[j] = dd[j] * a_full[first + j] * var[first + j];
    wb[j] = dd[j] * b_full[first + j] * var[first + j];
  }
  double saa = 0, sab = 0, sbb = 0;
  for (size_t q = 0; q < win.size(); ++q) {
    const double v = var[win[q]];
    saa += dN[q] * dN[q] * v;
    sab += dN[q] * dC[q] * v;
    sbb += dC[q] * dC[q] * v;
  }
  out.G_sigma.resize(static_cast<size_t>(nr));
  for (size_t k = 0; k < static_cast<size_t>(nr); ++k) {
    const double* row = corrected_.data() + k * m;
    double ta = 0, tb = 0;
    for (size_t j = j0; j < j1; ++j) {
      ta += row[j] * wa[j];
      tb += row[j] * wb[j];
    }
    const double al = -(out.G[k] + mc_g[k]) / N, be = -mc_h[k] / N;
    const double v = t_dd(static_cast<Eigen::Index>(k)) + 2 * al * ta + 2 * be * tb + al * al * saa + 2 * al * be * sab +
                     be * be * sbb;
    out.G_sigma[k] = std::sqrt(std::max(0.0, v));
  }
  return out;
}

std::pair<std::vector<double>, std::vector<double>> ChainPlan::correction_products(const FactorCurves& fc) const {
  const size_t m = transform_.node_count(), first = transform_.first_node(), nr = transform_.r().size();
  Eigen::VectorXd g(static_cast<Eigen::Index>(m)), h(static_cast<Eigen::Index>(m));
  for (size_t j = 0; j < m; ++j) {
    const size_t i = first + j;
    const double fm2 = fc.f_mean[i] * fc.f_mean[i];
    g(static_cast<Eigen::Index>(j)) = s_[i] * fc.f2_mean[i] / fm2;
    h(static_cast<Eigen::Index>(j)) = s_[i] / fm2;
  }
  using RowMajor = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  const Eigen::Map<const RowMajor> Mc(corrected_.data(), static_cast<Eigen::Index>(nr), static_cast<Eigen::Index>(m));
  const Eigen::VectorXd mg = Mc * g, mh = Mc * h;
  return {std::vector<double>(mg.data(), mg.data() + mg.size()), std::vector<double>(mh.data(), mh.data() + mh.size())};
}

ReducedProfile reduce_profile(const std::vector<double>& s, const std::vector<double>& I,
                              const std::vector<double>* variance, const ReductionParams& p) {
  return ChainPlan(s, p).reduce(I, variance);
}

}  // namespace sedpdf
