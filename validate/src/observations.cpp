#include "sedpdf/validate/observations.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>
#include <stdexcept>

#include "sedpdf/validate/peaks.hpp"
#include "sedpdf/validate/report_sections.hpp"  // interpolate_linear

namespace sedpdf {

namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v, int decimals = 3) {
  if (!std::isfinite(v)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, "%.*f", decimals, v);
  return b;
}
std::string signed_num(double v, int decimals = 3) {
  if (!std::isfinite(v)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, "%+.*f", decimals, v);
  return b;
}

void check_curve(const Curve& c, const std::string& what) {
  if (c.x.size() != c.y.size() || (!c.sigma.empty() && c.sigma.size() != c.x.size()))
    throw std::invalid_argument(what + ": grid, values and sigma differ in length (" + std::to_string(c.x.size()) + ", " +
                                std::to_string(c.y.size()) + ", " + std::to_string(c.sigma.size()) + ")");
}

/// Root mean square of the finite samples of y in w (NaN if none).
double rms_finite(const Curve& c, Window w) {
  double s = 0;
  std::size_t n = 0;
  for (std::size_t i = 0; i < c.x.size(); ++i)
    if (c.x[i] >= w.lo && c.x[i] <= w.hi && std::isfinite(c.y[i])) {
      s += c.y[i] * c.y[i];
      ++n;
    }
  return n ? std::sqrt(s / static_cast<double>(n)) : kNaN;
}

/// Readings of several targets, nearest first; a maximum already taken by an earlier target does not count
/// twice (003's 0.7 and 0.8 Å⁻¹ are two peaks).
std::vector<FeatureReading> read_features(const Curve& c, const std::vector<double>& targets, double tol, double n_sigma) {
  std::vector<FeatureReading> out;
  std::set<long long> taken;
  for (double t : targets) {
    FeatureReading f = read_feature(c, t, tol, n_sigma);
    if (f.found) {
      const long long key = std::llround(f.position * 1e6);
      if (!taken.insert(key).second) f.found = false;
    }
    out.push_back(f);
  }
  return out;
}

bool all_found(const std::vector<FeatureReading>& v) {
  return std::all_of(v.begin(), v.end(), [](const FeatureReading& f) { return f.found; });
}

std::string positions(const std::vector<FeatureReading>& v, int decimals = 3) {
  std::string t;
  for (std::size_t i = 0; i < v.size(); ++i) t += (i ? ", " : "") + (v[i].found ? num(v[i].position, decimals) : "none");
  return t;
}

std::string targets_text(const std::vector<double>& t, int decimals = 1) {
  std::string s;
  for (std::size_t i = 0; i < t.size(); ++i) s += (i ? ", " : "") + num(t[i], decimals);
  return s;
}

ObservationCheck new_check(const std::string& phase, const std::string& source, const std::string& label,
                           const std::string& statement) {
  ObservationCheck o;
  o.phase = phase;
  o.source = source;
  o.label = label;
  o.statement = statement;
  return o;
}

ObservationStatus status_of(bool measured, bool ok) {
  if (!measured) return ObservationStatus::NotMeasured;
  return ok ? ObservationStatus::Reproduced : ObservationStatus::NotReproduced;
}

// "Peaks at t1, t2, ... present in both the electron and the X-ray data" on φ(s) or G(r); with `same` > 0 the
// electron peaks must also lie within ±same of the X-ray's ("in the correct positions").
ObservationCheck features_in_both(const std::string& phase, const std::string& source, const std::string& label,
                                  const std::string& statement,
                                  const std::string& unit, const std::vector<double>& targets, double tol, double same,
                                  const Curve& xray, const Curve& kinematic, const Curve& data, double n_sigma,
                                  const std::string& data_note) {
  ObservationCheck o = new_check(phase, source, label, statement);
  const auto rx = read_features(xray, targets, tol, n_sigma);
  const auto rk = read_features(kinematic, targets, tol, n_sigma);
  const auto ra = read_features(data, targets, tol, n_sigma);
  o.criterion = "a local maximum within ±" + num(tol, 2) + " " + unit + " of each of " + targets_text(targets) + " " + unit +
                " in both the X-ray and the electron curve" +
                (same > 0 ? ", the electron one within ±" + num(same, 2) + " " + unit + " of the X-ray one" : std::string()) +
                (data_note.empty() ? "" : "; " + data_note);
  auto agree = [&](const std::vector<FeatureReading>& e, std::string& text) {
    bool ok = all_found(rx) && all_found(e);
    if (same > 0) {
      std::string off;
      for (std::size_t i = 0; i < e.size(); ++i) {
        const bool both = rx[i].found && e[i].found;
        const double d = both ? e[i].position - rx[i].position : kNaN;
        if (!(both && std::fabs(d) <= same)) ok = false;
        off += (i ? ", " : "") + signed_num(d, 3);
      }
      text += " (offsets " + off + ")";
    }
    return ok;
  };
  std::string tk = "X-ray " + positions(rx) + "; kinematic ePDF " + positions(rk);
  const bool mk = agree(rk, tk);
  std::string ta = "X-ray " + positions(rx) + "; simulated " + positions(ra);
  const bool ma = agree(ra, ta);
  o.models = tk;
  o.data = ta;
  o.models_status = status_of(true, mk);
  o.data_status = status_of(!data.x.empty(), ma);
  return o;
}

// Amplitude of φ(s) below 0.8 Å⁻¹ relative to the rest, electron over X-ray.
ObservationCheck low_s_reduced(const std::string& phase, const ObservationPhaseData& d, const Curve& area,
                               const ObservationTolerances& tol) {
  ObservationCheck o =
      new_check(phase, "Fig. 2b", "low-s φ(s) intensities",
                "the intensities of the low s peaks (< 0.8 Å⁻¹) are significantly reduced in the electron data");
  o.criterion = "R = [rms φ over " + num(tol.low_s.lo, 1) + "–" + num(tol.low_s.hi, 1) + " Å⁻¹ / rms φ over " +
                num(tol.high_s.lo, 1) + "–" + num(tol.high_s.hi, 1) + " Å⁻¹] of the electron curve over the same of the "
                "X-ray curve (scale-free); reduced if R ≤ " + num(tol.reduced_ratio, 2);
  auto rel = [&](const Curve& c) { return rms_finite(c, tol.low_s) / rms_finite(c, tol.high_s); };
  const double x = rel(d.phi_xray);
  const double rk = rel(d.phi_kinematic) / x;
  const double ra = area.x.empty() ? kNaN : rel(area) / x;
  o.models = "R = " + num(rk, 2) + " (kinematic ePDF)";
  o.data = "R = " + num(ra, 2) + " (simulated)";
  o.models_status = status_of(std::isfinite(rk), rk <= tol.reduced_ratio);
  o.data_status = status_of(std::isfinite(ra), ra <= tol.reduced_ratio);
  return o;
}

// Height of the feature near `at` relative to the first-shell feature near `first`, electron over X-ray
// (003 scales its PDFs to the same first-peak height).
ObservationCheck intensity_reduced(const std::string& phase, const std::string& source, const std::string& label,
                                   const std::string& statement,
                                   double first, double at, const ObservationPhaseData& d, const ObservationTolerances& tol) {
  ObservationCheck o = new_check(phase, source, label, statement);
  o.criterion = "h(~" + num(at, 0) + " Å) / h(~" + num(first, 0) + " Å) of the electron G(r) over the same of the X-ray "
                "G(r) (both scaled to the first shell, as 003 does; maxima within ±" + num(tol.r_tol_approx, 1) +
                " Å); reduced if ≤ " + num(tol.reduced_ratio, 2);
  auto rel = [&](const Curve& c, double& out) {
    const FeatureReading a = read_feature(c, first, tol.r_tol_approx, tol.n_sigma);
    const FeatureReading b = read_feature(c, at, tol.r_tol_approx, tol.n_sigma);
    out = (a.found && b.found && a.height > 0) ? b.height / a.height : kNaN;
    return out;
  };
  double x = 0, k = 0, a = 0;
  rel(Curve{d.r, d.G_xray, {}}, x);
  rel(Curve{d.r, d.G_kinematic, {}}, k);
  if (!d.G_area.empty()) rel(Curve{d.r, d.G_area, d.G_area_sigma}, a);
  else a = kNaN;
  o.models = "X-ray " + num(x, 3) + ", kinematic ePDF " + num(k, 3) + ": ratio " + num(k / x, 2);
  o.data = "X-ray " + num(x, 3) + ", simulated " + num(a, 3) + ": ratio " + num(a / x, 2);
  o.models_status = status_of(std::isfinite(k / x), k / x <= tol.reduced_ratio);
  o.data_status = status_of(std::isfinite(a / x), a / x <= tol.reduced_ratio);
  return o;
}

}  // namespace

Curve finite_part(const Curve& c, Window w) {
  if (c.y.size() != c.x.size() || (!c.sigma.empty() && c.sigma.size() != c.x.size()))
    throw std::invalid_argument("curve: x, y and sigma differ in length (" + std::to_string(c.x.size()) + ", " +
                                std::to_string(c.y.size()) + ", " + std::to_string(c.sigma.size()) + ")");
  Curve out;
  for (std::size_t i = 0; i < c.x.size(); ++i)
    if (std::isfinite(c.y[i]) && c.x[i] >= w.lo && c.x[i] <= w.hi) {
      out.x.push_back(c.x[i]);
      out.y.push_back(c.y[i]);
      if (!c.sigma.empty()) out.sigma.push_back(c.sigma[i]);
    }
  return out;
}

Curve gaussian_smoothed(const Curve& c, double sigma_x) {
  check_curve(c, "smoothing");
  if (!(sigma_x >= 0)) throw std::invalid_argument("smoothing: kernel sigma " + std::to_string(sigma_x) + " must be >= 0");
  if (sigma_x == 0) return c;
  const std::size_t n = c.x.size();
  if (n < 2) throw std::invalid_argument("smoothing: a curve of " + std::to_string(n) + " samples");
  const double dx = (c.x.back() - c.x.front()) / static_cast<double>(n - 1);
  if (!(dx > 0)) throw std::invalid_argument("smoothing: the grid does not increase");
  for (std::size_t i = 1; i < n; ++i)
    if (std::fabs(c.x[i] - c.x[i - 1] - dx) > 1e-3 * dx)
      throw std::invalid_argument("smoothing: the grid is not uniform at x = " + std::to_string(c.x[i]));
  const long k = static_cast<long>(std::ceil(4 * sigma_x / dx));
  std::vector<double> w(static_cast<std::size_t>(2 * k + 1));
  for (long j = -k; j <= k; ++j) {
    const double t = static_cast<double>(j) * dx / sigma_x;
    w[static_cast<std::size_t>(j + k)] = std::exp(-0.5 * t * t);
  }
  Curve out{c.x, std::vector<double>(n, kNaN), c.sigma.empty() ? std::vector<double>{} : std::vector<double>(n, kNaN)};
  for (std::size_t i = 0; i < n; ++i) {
    double sw = 0, sy = 0, sv = 0;
    for (long j = -k; j <= k; ++j) {
      const long m = static_cast<long>(i) + j;
      if (m < 0 || m >= static_cast<long>(n) || !std::isfinite(c.y[static_cast<std::size_t>(m)])) continue;
      const double wj = w[static_cast<std::size_t>(j + k)];
      sw += wj;
      sy += wj * c.y[static_cast<std::size_t>(m)];
      if (!c.sigma.empty()) {
        const double s = c.sigma[static_cast<std::size_t>(m)];
        sv += wj * wj * (std::isfinite(s) ? s * s : 0.0);
      }
    }
    if (sw > 0) {
      out.y[i] = sy / sw;
      if (!c.sigma.empty()) out.sigma[i] = std::sqrt(sv) / sw;
    }
  }
  return out;
}

FeatureReading read_feature(const Curve& c, double target, double tol, double n_sigma) {
  check_curve(c, "feature reading");
  if (!(tol > 0)) throw std::invalid_argument("feature reading: tolerance " + std::to_string(tol) + " must be > 0");
  FeatureReading best;
  // Only finite samples (a curve may be NaN where it was not measured, e.g. below the direct-beam cut-off); the
  // whole curve, so that prominences are topographic (a broad peak is not cut by a search window).
  const Curve f = finite_part(c);
  if (f.x.size() < 3) return best;
  const std::vector<PeakInfo> peaks = find_peaks(f.x, f.y, PeakOptions{});
  const auto noise = [&](std::size_t i) { return f.sigma.empty() || !std::isfinite(f.sigma[i]) ? 0.0 : f.sigma[i]; };
  double best_d = 1e300;
  for (const PeakInfo& p : peaks) {
    const double d = std::fabs(p.position - target);
    if (d > tol || p.prominence < n_sigma * noise(p.index)) continue;
    if (d < best_d) {
      best_d = d;
      best.found = true;
      best.position = p.position;
      best.height = p.height;
      best.prominence = p.prominence;
      // FWHM above 0 over the whole curve, NaN samples included as gaps.
      best.fwhm = 0;
      if (p.height > 0) {
        const auto it = std::lower_bound(c.x.begin(), c.x.end(), f.x[p.index]);
        const std::size_t idx = static_cast<std::size_t>(it - c.x.begin());
        best.fwhm = half_maximum_width(c.x, c.y, idx, p.height, 0.0, 0, c.x.size() - 1);
      }
    }
  }
  return best;
}

Material003 material_003(const std::vector<Element>& elements) {
  auto has = [&](const char* sym) {
    const Element e = Element::parse(sym);
    return std::find(elements.begin(), elements.end(), e) != elements.end();
  };
  if (has("Zn") && has("N") && has("C")) return Material003::AgZif62;
  if (has("Na") && has("P") && has("O") && has("Al")) return Material003::PhosphateGlass;
  return Material003::Other;
}

std::string observation_status_name(ObservationStatus s) {
  switch (s) {
    case ObservationStatus::Reproduced: return "yes";
    case ObservationStatus::NotReproduced: return "NO";
    case ObservationStatus::NotMeasured: break;
  }
  return "—";
}

std::vector<ObservationCheck> check_003_observations(const std::vector<ObservationPhaseData>& phases,
                                                     const ObservationTolerances& tol) {
  std::vector<ObservationCheck> out;
  for (const ObservationPhaseData& d : phases) {
    if (d.material == Material003::Other) continue;
    const std::string& ph = d.name;
    check_curve(d.phi_xray, ph + ": X-ray φ(s)");
    check_curve(d.phi_kinematic, ph + ": kinematic φ(s)");
    check_curve(d.phi_area, ph + ": area-averaged φ(s)");
    const std::size_t nr = d.r.size();
    auto check_g = [&](const std::vector<double>& g, const char* what, bool optional) {
      if ((optional && g.empty()) || g.size() == nr) return;
      throw std::invalid_argument(ph + ": " + what + " has " + std::to_string(g.size()) + " values on an r grid of " +
                                  std::to_string(nr));
    };
    check_g(d.G_xray, "G_xray", false);
    check_g(d.G_kinematic, "G_kinematic", false);
    check_g(d.G_xray_matched, "G_xray_matched", true);
    check_g(d.G_area, "G_area", true);
    check_g(d.G_area_sigma, "G_area_sigma", true);
    if (d.component.size() != d.component_r.size())
      throw std::invalid_argument(ph + ": the ICA component and its r grid differ in length");

    const Curve area = d.phi_area.x.empty() ? Curve{} : gaussian_smoothed(d.phi_area, tol.smooth_sigma_s);
    const std::string smooth_note = "the simulated φ(s) read after a Gaussian smoothing of σ = " +
                                    num(tol.smooth_sigma_s, 3) + " Å⁻¹ and only maxima ≥ " + num(tol.n_sigma, 0) +
                                    " σ (counting noise) above their surroundings";
    const std::string g_note = "simulated maxima ≥ " + num(tol.n_sigma, 0) + " σ above their surroundings";
    const Curve gx = Curve{d.r, d.G_xray, {}}, gk = Curve{d.r, d.G_kinematic, {}};
    const Curve ga = d.G_area.empty() ? Curve{} : Curve{d.r, d.G_area, d.G_area_sigma};
    // The X-ray PDF at the ePDF's s range and damping (the weights' effect alone); the I15-1 one when not given.
    const Curve gxm = d.G_xray_matched.empty() ? gx : Curve{d.r, d.G_xray_matched, {}};
    const std::string xm_name = d.G_xray_matched.empty() ? "X-ray (Q_max 22 Å⁻¹; none at ePDF resolution given)"
                                                         : "X-ray at ePDF resolution";

    if (d.material == Material003::AgZif62) {
      out.push_back(features_in_both(ph, "Fig. 2b", "φ(s) peaks 0.6/0.8/1.0 Å⁻¹",
                                     "φ(s) peaks at 0.6, 0.8 and 1.0 Å⁻¹ appear in both the electron and the X-ray data",
                                     "Å⁻¹", {0.6, 0.8, 1.0}, tol.s_tol, 0, d.phi_xray, d.phi_kinematic, area,
                                     tol.n_sigma, smooth_note));
      out.push_back(low_s_reduced(ph, d, area, tol));
      out.push_back(features_in_both(ph, "Fig. 2d", "G(r) shells ~2/3/4/6 Å",
                                     "G(r) peaks N1–Zn (~2 Å), C–Zn (~3 Å), N2–Zn (~4 Å) and Zn–Zn (~6 Å); the remaining "
                                     "peaks are in the correct positions",
                                     "Å", {2.0, 3.0, 4.0, 6.0}, tol.r_tol_approx, tol.same_peak_tol, gx, gk, ga,
                                     tol.n_sigma, g_note));
      out.push_back(intensity_reduced(ph, "Fig. 2d", "6 Å intensity", "the intensity around 6 Å is reduced in the electron data (relatively "
                                      "weaker Zn–Zn scattering)", 2.0, 6.0, d, tol));
      // The 5 Å peak of the ePDF (Zn–H, 003 after its ref. 66) that the X-ray PDF lacks.
      ObservationCheck o =
          new_check(ph, "Fig. 2d", "5 Å ePDF peak",
                    "a further peak around 5 Å in the ePDF (stronger Zn–H scattering), absent from the X-ray PDF");
      o.criterion = "a maximum of the electron G(r) within ±" + num(tol.r_tol_approx, 1) +
                    " Å of 5 Å and none of the X-ray G(r) at the ePDF's resolution there; " + g_note;
      const FeatureReading x5 = read_feature(gxm, 5.0, tol.r_tol_approx, tol.n_sigma);
      const FeatureReading k5 = read_feature(gk, 5.0, tol.r_tol_approx, tol.n_sigma);
      const FeatureReading a5 = ga.x.empty() ? FeatureReading{} : read_feature(ga, 5.0, tol.r_tol_approx, tol.n_sigma);
      auto t = [](const FeatureReading& f) { return f.found ? num(f.position, 2) + " Å" : std::string("none"); };
      o.models = xm_name + " " + t(x5) + "; kinematic ePDF " + t(k5);
      o.data = xm_name + " " + t(x5) + "; simulated " + t(a5);
      o.models_status = status_of(true, k5.found && !x5.found);
      o.data_status = status_of(!ga.x.empty(), a5.found && !x5.found);
      out.push_back(o);
    } else {
      const std::vector<double> ts{0.3, 0.7, 0.8, 1.3, 1.5};
      out.push_back(features_in_both(ph, "Fig. 2a", "φ(s) peaks 0.3/0.7/0.8/1.3/1.5 Å⁻¹",
                                     "φ(s) peak positions at 0.3, 0.7, 0.8, 1.3 and 1.5 Å⁻¹ are all reproduced (electron "
                                     "and X-ray)",
                                     "Å⁻¹", ts, tol.s_tol, 0, d.phi_xray, d.phi_kinematic, area, tol.n_sigma, smooth_note));
      // The intensities of the 0.7 and 0.8 Å⁻¹ peaks reversed between electron and X-ray.
      ObservationCheck o =
          new_check(ph, "Fig. 2a", "0.7/0.8 Å⁻¹ heights reversed",
                    "the relative intensities of the φ(s) peaks at 0.7 and 0.8 Å⁻¹ are reversed with respect to each "
                    "other (electron vs X-ray)");
      o.criterion = "the X-ray φ(s) maxima within ±" + num(tol.s_tol, 2) + " Å⁻¹ of 0.7 and 0.8 Å⁻¹ (distinct) and the "
                    "electron φ(s) at those two positions: the sign of h(0.7) − h(0.8) differs between the X-ray and the "
                    "electron curve (the simulated φ(s) smoothed by σ = " + num(tol.smooth_sigma_s, 3) + " Å⁻¹)";
      const auto rx = read_features(d.phi_xray, {0.7, 0.8}, tol.s_tol, tol.n_sigma);
      // The electron curve at the X-ray's two peak positions (where a plot is read: the simulated 0.7 Å⁻¹ feature
      // may be only a shoulder).
      auto at = [&](const Curve& c, double s0) {
        if (c.x.size() < 2 || s0 < c.x.front() || s0 > c.x.back()) return kNaN;
        return interpolate_linear(c.x, c.y, {s0})[0];
      };
      const bool have_x = all_found(rx);
      const double k7 = have_x ? at(d.phi_kinematic, rx[0].position) : kNaN, k8 = have_x ? at(d.phi_kinematic, rx[1].position) : kNaN;
      const double a7 = have_x ? at(area, rx[0].position) : kNaN, a8 = have_x ? at(area, rx[1].position) : kNaN;
      auto x_text = [&]() {
        return have_x ? "X-ray " + num(rx[0].height, 3) + " at " + num(rx[0].position, 3) + " vs " + num(rx[1].height, 3) +
                            " at " + num(rx[1].position, 3)
                      : "X-ray: " + positions(rx);
      };
      const double dx = have_x ? rx[0].height - rx[1].height : kNaN;
      o.models = x_text() + "; kinematic ePDF there " + num(k7, 3) + " vs " + num(k8, 3);
      o.data = x_text() + "; simulated there " + num(a7, 3) + " vs " + num(a8, 3);
      o.models_status = status_of(std::isfinite(dx * (k7 - k8)), dx * (k7 - k8) < 0);
      o.data_status = status_of(std::isfinite(dx * (a7 - a8)), dx * (a7 - a8) < 0);
      out.push_back(o);
      out.push_back(features_in_both(ph, "Fig. 2c", "G(r) peaks 2.6/4.9/6.4 Å",
                                     "G(r) peaks at 2.6, 4.9 and 6.4 Å are present in both the ePDF and the X-ray PDF",
                                     "Å", {2.6, 4.9, 6.4}, tol.r_tol, 0, gx, gk, ga, tol.n_sigma, g_note));
      // The peaks around 3.5 Å broadened in the ePDF.
      ObservationCheck b =
          new_check(ph, "Fig. 2c", "3.5 Å peaks broadened",
                    "the peaks around 3.5 Å appear broadened in the ePDF relative to the X-ray PDF");
      b.criterion = "FWHM of the maximum within ±" + num(tol.r_tol_approx, 1) + " Å of 3.5 Å, electron over X-ray at the "
                    "ePDF's resolution (the weights' effect alone; the X-ray PDF at Q_max 22 Å⁻¹ is sharper still); "
                    "broadened if ≥ " + num(tol.broadened_ratio, 2);
      const FeatureReading xb = read_feature(gxm, 3.5, tol.r_tol_approx, tol.n_sigma);
      const FeatureReading xf = read_feature(gx, 3.5, tol.r_tol_approx, tol.n_sigma);
      const FeatureReading kb = read_feature(gk, 3.5, tol.r_tol_approx, tol.n_sigma);
      const FeatureReading ab = ga.x.empty() ? FeatureReading{} : read_feature(ga, 3.5, tol.r_tol_approx, tol.n_sigma);
      auto w = [](const FeatureReading& f) {
        return f.found ? num(f.fwhm, 2) + " Å at " + num(f.position, 2) : std::string("none");
      };
      auto ratio = [&](const FeatureReading& e) {
        return (xb.found && e.found && xb.fwhm > 0 && e.fwhm > 0) ? e.fwhm / xb.fwhm : kNaN;
      };
      const double rk2 = ratio(kb), ra2 = ratio(ab);
      b.models = xm_name + " " + w(xb) + " (Q_max 22 Å⁻¹: " + w(xf) + "); kinematic ePDF " + w(kb) +
                 ": ratio " + num(rk2, 2);
      b.data = xm_name + " " + w(xb) + "; simulated " + w(ab) + ": ratio " + num(ra2, 2);
      b.models_status = status_of(std::isfinite(rk2), rk2 >= tol.broadened_ratio);
      b.data_status = status_of(std::isfinite(ra2), ra2 >= tol.broadened_ratio);
      out.push_back(b);
    }

    // ICA-ePDFs: "identical peak positions reproduced in the ICA-ePDF as in the area averaged data" (Fig. 3e–f).
    {
      ObservationCheck o =
          new_check(ph, "Fig. 3e–f", "ICA-ePDF peak positions",
                    "the ICA-ePDF reproduces the area-averaged ePDF's peak positions");
      o.criterion = "every peak of the simulated area average over " + num(tol.component_peaks.lo, 1) + "–" +
                    num(tol.component_peaks.hi, 1) + " Å (prominence ≥ " + num(100 * tol.component_peak_fraction, 0) +
                    " % of its largest) has a maximum of the phase's ICA component within ±" +
                    num(tol.same_peak_tol, 2) + " Å (the component on its own r grid)";
      o.models = "— (a property of the unmixing)";
      if (d.component.empty() || d.G_area.empty()) {
        o.data = d.component.empty() ? "no ICA component matched to this phase" : "no area average";
        o.data_status = d.component.empty() ? ObservationStatus::NotReproduced : ObservationStatus::NotMeasured;
      } else {
        double hmax = 0;
        for (std::size_t i = 0; i < nr; ++i)
          if (d.r[i] >= tol.component_peaks.lo && d.r[i] <= tol.component_peaks.hi) hmax = std::max(hmax, std::fabs(d.G_area[i]));
        PeakOptions po;
        po.window = tol.component_peaks;
        po.min_prominence = tol.component_peak_fraction * hmax;
        const std::vector<PeakInfo> pa = find_peaks(d.r, d.G_area, po);
        const Curve comp{d.component_r, d.component, {}};
        std::size_t ok = 0;
        std::string list;
        for (const PeakInfo& p : pa) {
          const FeatureReading f = read_feature(comp, p.position, tol.same_peak_tol, 0.0);
          if (f.found) ++ok;
          list += std::string(list.empty() ? "" : ", ") + num(p.position, 2) + " → " +
                  (f.found ? signed_num(f.position - p.position, 3) : std::string("none"));
        }
        o.data = std::to_string(ok) + "/" + std::to_string(pa.size()) + " matched (area-average peak → component offset, Å: " +
                 list + ")";
        o.data_status = status_of(!pa.empty(), ok == pa.size());
      }
      out.push_back(o);
    }

    // ePDF vs thickness: "PDFs with unchanged peak positions but decreased intensities" (003, after its ref. 60).
    {
      ObservationCheck o =
          new_check(ph, "p. 4 (thickness)", "positions kept, heights fall with thickness",
                    "thickness leaves the PDF's peak positions unchanged but decreases the intensities");
      o.criterion = "first-peak position of the thickest band's area average within ±" + num(tol.thickness_pos_tol, 2) +
                    " Å of the thinnest's, and its height lower";
      o.models = "— (a property of the experiment)";
      const auto& b = d.band_first_peaks;
      if (b.size() < 2 || !std::isfinite(b.front().first) || !std::isfinite(b.back().first)) {
        o.data = "fewer than two thickness bands";
      } else {
        const double dpos = b.back().first - b.front().first;
        const std::string tk = d.band_thickness_A.size() == b.size()
                                   ? " (" + num(d.band_thickness_A.front() / 10, 1) + " → " + num(d.band_thickness_A.back() / 10, 1) + " nm)"
                                   : std::string();
        o.data = "position " + num(b.front().first, 3) + " → " + num(b.back().first, 3) + " Å (" + signed_num(dpos, 3) +
                 "), height " + num(b.front().second, 3) + " → " + num(b.back().second, 3) + " Å⁻²" + tk;
        o.data_status = status_of(true, std::fabs(dpos) <= tol.thickness_pos_tol && b.back().second < b.front().second);
      }
      out.push_back(o);
    }
  }
  return out;
}

std::string observations_summary(const std::vector<ObservationCheck>& checks) {
  auto line = [&](bool data) {
    std::size_t yes = 0, measured = 0;
    std::string missed;
    for (const ObservationCheck& c : checks) {
      const ObservationStatus st = data ? c.data_status : c.models_status;
      if (st == ObservationStatus::NotMeasured) continue;
      ++measured;
      if (st == ObservationStatus::Reproduced) ++yes;
      else missed += std::string(missed.empty() ? "" : "; ") + c.phase + " " + c.source + " " + c.label;
    }
    std::string t = std::string("  003's observations reproduced by ") + (data ? "the simulated data" : "the phase models") +
                    ": " + std::to_string(yes) + "/" + std::to_string(measured);
    if (!missed.empty()) t += " (not: " + missed + ")";
    return t + "\n";
  };
  return line(true) + line(false);
}

}  // namespace sedpdf
