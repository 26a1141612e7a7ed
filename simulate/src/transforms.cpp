// Grids, damping functions, sine transforms s → r and r → s, and the real-space termination function.
// Formulas and sources are in total_scattering.hpp.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <system_error>
#include <vector>

#include <boost/math/quadrature/gauss.hpp>

#include "sedpdf/structures/constants.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/error.hpp"
#include "transforms_internal.hpp"

namespace sedpdf {

namespace {

/// sin(x)/x with the series near 0 (relative error < 1e-17 for |x| < 1e-3).
inline double sinc(double x) {
  if (std::fabs(x) < 1e-3) {
    const double x2 = x * x;
    return 1.0 - x2 / 6.0 * (1.0 - x2 / 20.0);
  }
  return std::sin(x) / x;
}

/// The four moments ∫₀¹ cos θu du, ∫₀¹ sin θu du, ∫₀¹ u cos θu du, ∫₀¹ u sin θu du.
struct Moments {
  double c0, s0, c1, s1;
};

Moments moments(double theta) {
  Moments m{};
  if (std::fabs(theta) < 1.0) {
    // Taylor series: ∫₀¹ u^p (θu)^n/n! du = θ^n / (n! (n + p + 1)); the terms fall below 1e-17
    // relative after n = 18 for |θ| < 1.
    double t = 1.0;  // θ^n / n!
    m = {0, 0, 0, 0};
    for (int n = 0; n <= 20; ++n) {
      const double sign = ((n / 2) % 2 == 0) ? 1.0 : -1.0;  // cos: (−1)^{n/2}; sin: (−1)^{(n−1)/2}
      if (n % 2 == 0) {
        m.c0 += sign * t / (n + 1);
        m.c1 += sign * t / (n + 2);
      } else {
        m.s0 += sign * t / (n + 1);
        m.s1 += sign * t / (n + 2);
      }
      t *= theta / (n + 1);
    }
    return m;
  }
  const double sn = std::sin(theta), cs = std::cos(theta);
  const double it = 1.0 / theta;
  m.c0 = sn * it;
  m.s0 = (1.0 - cs) * it;
  m.c1 = sn * it + (cs - 1.0) * it * it;
  m.s1 = sn * it * it - cs * it;
  return m;
}

void check_increasing(const std::vector<double>& s, const char* what) {
  for (size_t i = 0; i < s.size(); ++i) {
    if (!std::isfinite(s[i]))
      throw std::invalid_argument(std::string(what) + "[" + std::to_string(i) + "] is not finite");
    if (i > 0 && !(s[i] > s[i - 1]))
      throw std::invalid_argument(std::string(what) + " must be strictly increasing: " + what + "[" +
                                  std::to_string(i) + "] = " + format_number(s[i]) + " after " + format_number(s[i - 1]));
  }
}

/// True when s is uniform to 1e-10 of its step (then h is that step).
bool is_uniform(const std::vector<double>& s, double& h) {
  if (s.size() < 2) return false;
  h = (s.back() - s.front()) / static_cast<double>(s.size() - 1);
  for (size_t i = 0; i < s.size(); ++i)
    if (std::fabs(s[i] - (s.front() + static_cast<double>(i) * h)) > 1e-10 * h) return false;
  return true;
}

/// Node weights w_n with ∫ ψ sin(ks) ds = Σ w_n ψ_n for the piecewise-linear ψ (see the header).
/// sn[i], cs[i] = sin, cos of k s_i.
template <class SinCos>
void node_weights(const std::vector<double>& s, double k, bool uniform, double h_uniform,
                  SinCos&& sincos_at, std::vector<double>& w) {
  const size_t n = s.size();
  std::fill(w.begin(), w.end(), 0.0);
  Moments mu{};
  if (uniform) mu = moments(k * h_uniform);
  for (size_t i = 0; i + 1 < n; ++i) {
    const double h = uniform ? h_uniform : s[i + 1] - s[i];
    if (!uniform) mu = moments(k * h);
    double sn, cs;
    sincos_at(i, sn, cs);
    w[i] += h * (sn * (mu.c0 - mu.c1) + cs * (mu.s0 - mu.s1));
    w[i + 1] += h * (sn * mu.c1 + cs * mu.s1);
  }
}

void check_kernel_input(const std::vector<double>& s, const std::vector<std::vector<double>>& psi) {
  check_increasing(s, "s");
  for (size_t m = 0; m < psi.size(); ++m)
    if (psi[m].size() != s.size())
      throw std::invalid_argument("sine transform: function " + std::to_string(m) + " has " +
                                  std::to_string(psi[m].size()) + " values for " + std::to_string(s.size()) +
                                  " s nodes");
}

template <class WeightsFor>
std::vector<std::vector<double>> apply_weights(const std::vector<double>& s,
                                               const std::vector<std::vector<double>>& psi,
                                               const std::vector<double>& r, WeightsFor&& weights_for) {
  std::vector<std::vector<double>> out(psi.size(), std::vector<double>(r.size(), 0.0));
  if (s.size() < 2) return out;
  const long nr = static_cast<long>(r.size());
#pragma omp parallel
  {
    std::vector<double> w(s.size());
#pragma omp for schedule(static)
    for (long j = 0; j < nr; ++j) {
      weights_for(2 * kPi * r[j], w);
      for (size_t m = 0; m < psi.size(); ++m) {
        double acc = 0;
        const std::vector<double>& p = psi[m];
        for (size_t i = 0; i < w.size(); ++i) acc += w[i] * p[i];
        out[m][j] = acc;
      }
    }
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------

std::vector<double> uniform_grid(double lo, double hi, double step) {
  if (!std::isfinite(lo) || !std::isfinite(hi) || !std::isfinite(step))
    throw std::invalid_argument("uniform_grid: non-finite bound or step (lo " + format_number(lo) + ", hi " + format_number(hi) +
                                ", step " + format_number(step) + ")");
  if (!(step > 0)) throw std::invalid_argument("uniform_grid: step must be positive, got " + format_number(step));
  if (hi < lo) throw std::invalid_argument("uniform_grid: hi " + format_number(hi) + " < lo " + format_number(lo));
  const double span = (hi - lo) / step;
  if (span > 1e8) throw std::invalid_argument("uniform_grid: more than 1e8 points (" + format_number(span) + ")");
  const size_t n = static_cast<size_t>(std::floor(span + 1e-9)) + 1;
  std::vector<double> g(n);
  for (size_t i = 0; i < n; ++i) g[i] = lo + static_cast<double>(i) * step;
  return g;
}

double s_from_q(double q) { return q / (2 * kPi); }
double q_from_s(double s) { return 2 * kPi * s; }

double damping_factor(const Damping& d, double s, double s_max) {
  switch (d.kind) {
    case Damping::None:
      return 1.0;
    case Damping::Lorch: {
      if (!(s_max > 0)) throw std::invalid_argument("Lorch damping needs s_max > 0, got " + format_number(s_max));
      if (std::fabs(s) >= s_max) return 0.0;
      return sinc(kPi * s / s_max);
    }
    case Damping::Exp:
      return std::exp(-d.b * s * s);
    case Damping::ModifiedLorch: {
      // Soper & Barney 2011: 3(sin x − x cos x)/x³, x = 2πsΔ (the transform of a 3-D top hat).
      if (!(s_max > 0)) throw std::invalid_argument("modified Lorch damping needs s_max > 0, got " + format_number(s_max));
      if (std::fabs(s) >= s_max) return 0.0;
      constexpr double kFirstZero = 4.4934094579090642;  // tan x = x
      const double delta = d.delta > 0 ? d.delta : kFirstZero / (2 * kPi * s_max);
      const double x = 2 * kPi * s * delta;
      if (std::fabs(x) < 0.2) {  // Σ_j (−1)^j 6(j + 1) x^{2j}/(2j + 3)!, truncation < 1e-15
        const double x2 = x * x;   // 1 − x²/10 + x⁴/280 − x⁶/15120 + x⁸/1330560
        return 1.0 - x2 / 10.0 * (1.0 - x2 / 28.0 * (1.0 - x2 / 54.0 * (1.0 - x2 / 88.0)));
      }
      return 3.0 * (std::sin(x) - x * std::cos(x)) / (x * x * x);
    }
  }
  return 1.0;
}

Damping parse_damping(const std::string& text) {
  std::string t;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) t += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  Damping d;
  if (t == "none" || t.empty()) return d;
  if (t == "lorch") {
    d.kind = Damping::Lorch;
    return d;
  }
  for (const char* name : {"modified-lorch", "updated-lorch"}) {
    const std::string n(name);
    if (t == n) {
      d.kind = Damping::ModifiedLorch;
      return d;
    }
    if (t.rfind(n + ":", 0) == 0) {
      const std::string v = t.substr(n.size() + 1);
      double delta = 0;
      const char* first = v.data();
      const char* last = v.data() + v.size();
      if (!v.empty() && *first == '+') ++first;
      const auto res = std::from_chars(first, last, delta);
      if (v.empty() || res.ec != std::errc() || res.ptr != last || !std::isfinite(delta) || delta < 0)
        throw std::invalid_argument("damping '" + text + "': " + n + ":<Δ> needs a finite Δ >= 0 (Å)");
      d.kind = Damping::ModifiedLorch;
      d.delta = delta;
      return d;
    }
  }
  if (t.rfind("exp:", 0) == 0) {
    const std::string v = t.substr(4);
    double b = 0;
    const char* first = v.data();
    const char* last = v.data() + v.size();
    if (!v.empty() && *first == '+') ++first;
    const auto res = std::from_chars(first, last, b);
    if (v.empty() || res.ec != std::errc() || res.ptr != last || !std::isfinite(b) || b < 0)
      throw std::invalid_argument("damping '" + text + "': exp:<b> needs a finite b >= 0 (Å²)");
    d.kind = Damping::Exp;
    d.b = b;
    return d;
  }
  throw std::invalid_argument("damping '" + text +
                              "' is not one of none, lorch, exp:<b in Å²>, modified-lorch[:<Δ in Å>]");
}

std::string damping_name(const Damping& d) {
  switch (d.kind) {
    case Damping::None:
      return "none";
    case Damping::Lorch:
      return "lorch";
    case Damping::Exp: {
      char buf[48];
      std::snprintf(buf, sizeof buf, "exp:%.17g", d.b);
      return buf;
    }
    case Damping::ModifiedLorch: {
      if (!(d.delta > 0)) return "modified-lorch";
      char buf[64];
      std::snprintf(buf, sizeof buf, "modified-lorch:%.17g", d.delta);
      return buf;
    }
  }
  return "none";
}

// ---------------------------------------------------------------------------------------------------

std::vector<std::vector<double>> ReferenceSineKernel::integrate(const std::vector<double>& s,
                                                                const std::vector<std::vector<double>>& psi,
                                                                const std::vector<double>& r) const {
  check_kernel_input(s, psi);
  double h = 0;
  const bool uniform = is_uniform(s, h);
  return apply_weights(s, psi, r, [&](double k, std::vector<double>& w) {
    node_weights(s, k, uniform, h,
                 [&](size_t i, double& sn, double& cs) {
                   sn = std::sin(k * s[i]);
                   cs = std::cos(k * s[i]);
                 },
                 w);
  });
}

std::vector<std::vector<double>> RecurrenceSineKernel::integrate(const std::vector<double>& s,
                                                                 const std::vector<std::vector<double>>& psi,
                                                                 const std::vector<double>& r) const {
  check_kernel_input(s, psi);
  double h = 0;
  if (!is_uniform(s, h)) return ReferenceSineKernel().integrate(s, psi, r);
  const double s0 = s.front();
  return apply_weights(s, psi, r, [&](double k, std::vector<double>& w) {
    const double rot_s = std::sin(k * h), rot_c = std::cos(k * h);
    double cur_s = 0, cur_c = 1;
    node_weights(s, k, true, h,
                 [&](size_t i, double& sn, double& cs) {
                   if (i % 32 == 0) {  // restart from the library functions
                     const double a = k * (s0 + static_cast<double>(i) * h);
                     cur_s = std::sin(a);
                     cur_c = std::cos(a);
                   } else {
                     const double ns = cur_s * rot_c + cur_c * rot_s;
                     const double nc = cur_c * rot_c - cur_s * rot_s;
                     cur_s = ns;
                     cur_c = nc;
                   }
                   sn = cur_s;
                   cs = cur_c;
                 },
                 w);
  });
}

const SineTransformKernel& default_sine_kernel() {
  static const RecurrenceSineKernel kernel;
  return kernel;
}

std::vector<std::vector<double>> sine_transform_s_to_r_batch(const std::vector<double>& s,
                                                             const std::vector<std::vector<double>>& phis,
                                                             const std::vector<double>& r, const Damping& d,
                                                             double s_max, const SineTransformKernel& kernel) {
  if (s.size() < 2)
    throw std::invalid_argument("sine transform: need at least 2 s nodes, got " + std::to_string(s.size()));
  check_increasing(s, "s");
  if (s.front() < 0) throw std::invalid_argument("sine transform: s[0] = " + format_number(s.front()) + " < 0");
  for (size_t m = 0; m < phis.size(); ++m)
    if (phis[m].size() != s.size())
      throw std::invalid_argument("sine transform: phi " + std::to_string(m) + " has " +
                                  std::to_string(phis[m].size()) + " values for " + std::to_string(s.size()) +
                                  " s nodes");
  const double tol = 1e-9 * std::max(1.0, std::fabs(s.back()));
  if (!std::isfinite(s_max) || s_max <= s.front() || s_max > s.back() + tol)
    throw std::invalid_argument("sine transform: s_max " + format_number(s_max) + " is outside (" + format_number(s.front()) +
                                ", " + format_number(s.back()) + "] of the s grid");
  // Nodes up to s_max; the interval holding s_max is cut there (ψ interpolated linearly).
  size_t n = 0;
  while (n < s.size() && s[n] <= s_max + tol) ++n;
  std::vector<double> sc(s.begin(), s.begin() + static_cast<long>(n));
  const bool cut = std::fabs(sc.back() - s_max) > tol;
  if (cut) sc.push_back(s_max);
  std::vector<double> dvals(sc.size());
  for (size_t i = 0; i < sc.size(); ++i) dvals[i] = damping_factor(d, sc[i], s_max);
  if (!cut && (d.kind == Damping::Lorch || (d.kind == Damping::ModifiedLorch && !(d.delta > 0))))
    dvals.back() = 0.0;  // the last node is s_max itself
  std::vector<std::vector<double>> psi(phis.size(), std::vector<double>(sc.size()));
  for (size_t m = 0; m < phis.size(); ++m) {
    for (size_t i = 0; i < n; ++i) psi[m][i] = phis[m][i] * dvals[i];
    if (cut) {
      // ψ = φ·D interpolated between s[n−1] and s[n]; D(s_max) is applied at the cut.
      const double t = (s_max - s[n - 1]) / (s[n] - s[n - 1]);
      const double psi_next = phis[m][n] * damping_factor(d, s[n], s_max);
      psi[m][n] = psi[m][n - 1] + t * (psi_next - psi[m][n - 1]);
    }
  }
  auto out = kernel.integrate(sc, psi, r);
  for (auto& v : out)
    for (double& x : v) x *= 8 * kPi;
  return out;
}

std::vector<double> sine_transform_s_to_r(const std::vector<double>& s, const std::vector<double>& phi,
                                          const std::vector<double>& r, const Damping& d, double s_max,
                                          const SineTransformKernel& kernel) {
  return std::move(sine_transform_s_to_r_batch(s, {phi}, r, d, s_max, kernel)[0]);
}

// ---------------------------------------------------------------------------------------------------

namespace detail {

std::vector<std::vector<double>> structure_factors_from_bins(const std::vector<double>& r,
                                                             const std::vector<double>& shell_volume,
                                                             double r_edge,
                                                             const std::vector<std::vector<double>>& gs,
                                                             double rho0, const std::vector<double>& s,
                                                             bool r_window) {
  if (!(rho0 > 0) || !std::isfinite(rho0))
    throw std::invalid_argument("structure factor from g(r): rho0 must be positive, got " + format_number(rho0));
  for (size_t m = 0; m < gs.size(); ++m)
    if (gs[m].size() != r.size())
      throw std::invalid_argument("structure factor from g(r): g " + std::to_string(m) + " has " +
                                  std::to_string(gs[m].size()) + " values for " + std::to_string(r.size()) +
                                  " bins");
  for (size_t k = 0; k < s.size(); ++k)
    if (!std::isfinite(s[k]))
      throw std::invalid_argument("structure factor from g(r): s[" + std::to_string(k) + "] is not finite");
  // a_mj = ρ₀ ΔV_j [g_mj − 1] W(r_j), ΔV_j = 4π/3 (r₂³ − r₁³) ≈ 4πr_j²Δr
  std::vector<std::vector<double>> a(gs.size(), std::vector<double>(r.size()));
  for (size_t j = 0; j < r.size(); ++j) {
    const double w = r_window ? sinc(kPi * r[j] / r_edge) : 1.0;
    const double c = rho0 * shell_volume[j] * w;
    for (size_t m = 0; m < gs.size(); ++m) a[m][j] = c * (gs[m][j] - 1.0);
  }
  std::vector<std::vector<double>> out(gs.size(), std::vector<double>(s.size(), 1.0));
  const long ns = static_cast<long>(s.size());
#pragma omp parallel
  {
    std::vector<double> kern(r.size());
#pragma omp for schedule(static)
    for (long k = 0; k < ns; ++k) {
      const double q = 2 * kPi * s[static_cast<size_t>(k)];
      for (size_t j = 0; j < r.size(); ++j) kern[j] = sinc(q * r[j]);
      for (size_t m = 0; m < gs.size(); ++m) {
        double acc = 0;
        for (size_t j = 0; j < r.size(); ++j) acc += a[m][j] * kern[j];
        out[m][static_cast<size_t>(k)] = 1.0 + acc;
      }
    }
  }
  return out;
}

}  // namespace detail

std::vector<double> structure_factor_from_g(const std::vector<double>& r, const std::vector<double>& g,
                                            double rho0, const std::vector<double>& s, bool r_window) {
  if (r.size() < 2)
    throw std::invalid_argument("structure_factor_from_g: need at least 2 r bins, got " + std::to_string(r.size()));
  check_increasing(r, "r");
  const double dr = (r.back() - r.front()) / static_cast<double>(r.size() - 1);
  for (size_t i = 1; i < r.size(); ++i)
    if (std::fabs((r[i] - r[i - 1]) - dr) > 1e-6 * dr)
      throw std::invalid_argument("structure_factor_from_g: r bins are not uniform at index " + std::to_string(i) +
                                  " (spacing " + format_number(r[i] - r[i - 1]) + " vs " + format_number(dr) + ")");
  if (r.front() < 0) throw std::invalid_argument("structure_factor_from_g: r[0] = " + format_number(r.front()) + " < 0");
  if (g.size() != r.size())
    throw std::invalid_argument("structure_factor_from_g: " + std::to_string(g.size()) + " g values for " +
                                std::to_string(r.size()) + " bins");
  std::vector<double> shell(r.size());
  for (size_t j = 0; j < r.size(); ++j) {
    const double r1 = std::max(0.0, r[j] - 0.5 * dr), r2 = r[j] + 0.5 * dr;
    shell[j] = 4 * kPi / 3 * (r2 * r2 * r2 - r1 * r1 * r1);
  }
  return std::move(detail::structure_factors_from_bins(r, shell, r.back() + 0.5 * dr, {g}, rho0, s, r_window)[0]);
}

// ---------------------------------------------------------------------------------------------------

double termination_kernel(double x, double s_max, const Damping& d) {
  if (!(s_max > 0) || !std::isfinite(s_max))
    throw std::invalid_argument("termination kernel: s_max must be positive, got " + format_number(s_max));
  if (d.kind == Damping::None) return 2 * s_max * sinc(2 * kPi * s_max * x);
  // P(x) = 2 ∫₀^{s_max} D(s) cos(2πsx) ds, 16-point Gauss–Legendre (exact to degree 31) on panels of
  // at most one period of the cosine (Taylor remainder ~π³²/32! ≈ 3e-20), and at least 4 panels for D.
  using GL = boost::math::quadrature::gauss<double, 16>;
  const auto& xs = GL::abscissa();
  const auto& ws = GL::weights();
  const int panels = 4 + static_cast<int>(std::ceil(s_max * std::fabs(x)));
  const double width = s_max / panels;
  const double k = 2 * kPi * x;
  double total = 0;
  for (int p = 0; p < panels; ++p) {
    const double mid = (p + 0.5) * width, half = 0.5 * width;
    double acc = 0;
    for (size_t i = 0; i < xs.size(); ++i) {
      const double u = half * xs[i];
      if (u == 0) {
        acc += ws[i] * damping_factor(d, mid, s_max) * std::cos(k * mid);
      } else {
        acc += ws[i] * (damping_factor(d, mid - u, s_max) * std::cos(k * (mid - u)) +
                        damping_factor(d, mid + u, s_max) * std::cos(k * (mid + u)));
      }
    }
    total += acc * half;
  }
  return 2 * total;
}

std::vector<double> terminate_real_space(const std::vector<double>& r, const std::vector<double>& G, double s_max,
                                         const Damping& d) {
  if (r.size() != G.size())
    throw std::invalid_argument("terminate_real_space: " + std::to_string(G.size()) + " G values for " +
                                std::to_string(r.size()) + " r points");
  if (r.size() < 2)
    throw std::invalid_argument("terminate_real_space: need at least 2 r points, got " + std::to_string(r.size()));
  check_increasing(r, "r");
  if (r.front() < 0) throw std::invalid_argument("terminate_real_space: r[0] = " + format_number(r.front()) + " < 0");
  if (!(s_max > 0) || !std::isfinite(s_max))
    throw std::invalid_argument("terminate_real_space: s_max must be positive, got " + format_number(s_max));
  double dr = (r.back() - r.front()) / static_cast<double>(r.size() - 1);
  for (size_t i = 1; i < r.size(); ++i)
    if (std::fabs((r[i] - r[i - 1]) - dr) > 1e-6 * dr)
      throw std::invalid_argument("terminate_real_space: r is not uniform at index " + std::to_string(i) +
                                  " (spacing " + format_number(r[i] - r[i - 1]) + " vs " + format_number(dr) + ")");
  // Extended grid: virtual points below r[0] at the same spacing with G = G₀ r/r₀ (linear to G(0) = 0),
  // as long as their cells [r − Δr/2, r + Δr/2] stay above 0.
  const size_t extra = static_cast<size_t>(std::max(0.0, std::floor(r.front() / dr - 0.5 + 1e-9)));
  const size_t n = r.size() + extra;
  const double r_start = r.front() - static_cast<double>(extra) * dr;
  std::vector<double> ge(n);
  for (size_t j = 0; j < extra; ++j) ge[j] = G.front() * (r_start + static_cast<double>(j) * dr) / r.front();
  for (size_t j = 0; j < r.size(); ++j) ge[extra + j] = G[j];
  // Kernel tables: P(mΔr), m = 0..n−1 (P is even), and P(2 r_start + mΔr), m = 0..2n−2.
  std::vector<double> p_diff(n), p_sum(2 * n - 1);
  const long nd = static_cast<long>(n), nsum = static_cast<long>(2 * n - 1);
#pragma omp parallel for schedule(dynamic, 64)
  for (long m = 0; m < nd; ++m) p_diff[m] = termination_kernel(static_cast<double>(m) * dr, s_max, d);
#pragma omp parallel for schedule(dynamic, 64)
  for (long m = 0; m < nsum; ++m)
    p_sum[m] = termination_kernel(2 * r_start + static_cast<double>(m) * dr, s_max, d);
  std::vector<double> out(r.size());
  const long nr = static_cast<long>(r.size());
#pragma omp parallel for schedule(static)
  for (long i0 = 0; i0 < nr; ++i0) {
    const size_t i = static_cast<size_t>(i0) + extra;
    double acc = 0;
    for (size_t j = 0; j < n; ++j) {
      const size_t diff = i > j ? i - j : j - i;
      acc += ge[j] * (p_diff[diff] - p_sum[i + j]);
    }
    out[static_cast<size_t>(i0)] = acc * dr;
  }
  return out;
}

}  // namespace sedpdf
