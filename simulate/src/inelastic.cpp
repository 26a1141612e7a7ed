// Inelastic scattering: plasmon redistribution and incoherent background (see
// sedpdf/simulate/inelastic.hpp and docs/forward_models.md).
#include "sedpdf/simulate/inelastic.hpp"

#include <algorithm>
#include <cmath>
#include <complex>
#include <sstream>
#include <stdexcept>

#include "sedpdf/simulate/bessel.hpp"
#include "coefficient_table.hpp"
#include "fft_internal.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf {

namespace {

constexpr double kBohrRadiusA = 0.529177210903;  // a₀ (Å), CODATA 2018

void check_energy(double e) {
  if (!(std::isfinite(e) && e > 0)) throw std::invalid_argument("inelastic: beam energy " + format_number(e) + " eV must be > 0");
}

/// γ m₀ v² (eV) for beam energy E₀ (eV).
double gamma_m_v2(double e0) {
  const double mc2 = constants::kElectronRestEnergy_eV;
  return e0 * (2 * mc2 + e0) / (mc2 + e0);
}

/// Simpson's rule of f over [a, b] with n (even) intervals.
template <class F>
double simpson(F&& f, double a, double b, size_t n) {
  if (n % 2) ++n;
  const double h = (b - a) / static_cast<double>(n);
  double s = f(a) + f(b);
  for (size_t i = 1; i < n; ++i) s += (i % 2 ? 4.0 : 2.0) * f(a + h * static_cast<double>(i));
  return s * h / 3;
}

/// Material parameters resolved for a run.
struct Resolved {
  double s_E = 0, s_c = 0;  // Å⁻¹
  double mfp = 0;           // Å
};

Resolved resolve(const InelasticMaterial& m, const InelasticParams& p) {
  if (!(std::isfinite(m.plasmon_energy_eV) && m.plasmon_energy_eV > 0))
    throw std::invalid_argument("inelastic: plasmon energy " + format_number(m.plasmon_energy_eV) + " eV of '" + m.name +
                                "' must be > 0");
  const double lambda = electron_wavelength(p.energy_eV);
  Resolved r;
  r.s_E = characteristic_angle(m.plasmon_energy_eV, p.energy_eV) / lambda;
  const double tc = p.cutoff_mrad > 0 ? p.cutoff_mrad * 1e-3 : plasmon_cutoff_angle(m.plasmon_energy_eV, p.energy_eV);
  r.s_c = tc / lambda;
  r.mfp = plasmon_mfp(m, p);
  return r;
}

}  // namespace

double characteristic_angle(double loss_eV, double energy_eV) {
  check_energy(energy_eV);
  if (!(loss_eV >= 0)) throw std::invalid_argument("inelastic: energy loss " + format_number(loss_eV) + " eV must be >= 0");
  return loss_eV / gamma_m_v2(energy_eV);
}

double plasmon_cutoff_angle(double loss_eV, double energy_eV) {
  check_energy(energy_eV);
  return std::sqrt(loss_eV / energy_eV);
}

double inelastic_mfp_iakoubovskii(double rho, double energy_eV, double alpha_mrad, double beta_mrad) {
  check_energy(energy_eV);
  if (!(std::isfinite(rho) && rho > 0))
    throw std::invalid_argument("inelastic: mass density " + format_number(rho) + " g/cm³ must be > 0 for the MFP estimate");
  if (!(alpha_mrad >= 0 && beta_mrad > 0))
    throw std::invalid_argument("inelastic: angles α = " + format_number(alpha_mrad) + ", β = " + format_number(beta_mrad) + " mrad");
  // Iakoubovskii, Mitsuishi, Nakayama & Furuya, Microsc. Res. Tech. 71 (2008) 626, eqs. 8–9:
  // λ (nm) = 200 F E₀ / (11 ρ^0.3) / ln[(α² + β² + 2θ_E² + |α² − β²|)/(α² + β² + 2θ_C² + |α² − β²|) · θ_C²/θ_E²],
  // F = (1 + E₀/1022)/(1 + E₀/511)², θ_E = 5.5 ρ^0.3/(F E₀) mrad, θ_C = 20 mrad, E₀ in keV.
  const double e0 = energy_eV * 1e-3;
  const double F = (1 + e0 / 1022) / ((1 + e0 / 511) * (1 + e0 / 511));
  const double r03 = std::pow(rho, 0.3);
  const double tE = 5.5 * r03 / (F * e0), tC = 20.0;
  const double a2 = alpha_mrad * alpha_mrad, b2 = beta_mrad * beta_mrad, d = std::fabs(a2 - b2);
  const double arg = (a2 + b2 + 2 * tE * tE + d) / (a2 + b2 + 2 * tC * tC + d) * (tC * tC) / (tE * tE);
  const double lambda_nm = 200 * F * e0 / (11 * r03) / std::log(arg);
  return lambda_nm * 10.0;
}

double plasmon_mfp(const InelasticMaterial& m, const InelasticParams& p) {
  if (m.plasmon_mfp_A > 0) return m.plasmon_mfp_A;
  if (m.plasmon_mfp_A < 0 || !std::isfinite(m.plasmon_mfp_A))
    throw std::invalid_argument("inelastic: plasmon mean free path " + format_number(m.plasmon_mfp_A) + " Å of '" + m.name +
                                "' must be > 0 (or 0 for the estimate)");
  if (!(m.mass_density_g_cm3 > 0))
    throw std::invalid_argument("inelastic: '" + m.name +
                                "' has neither a plasmon mean free path nor a mass density for the estimate");
  return inelastic_mfp_iakoubovskii(m.mass_density_g_cm3, p.energy_eV, p.convergence_mrad, p.collection_mrad);
}

std::vector<double> poisson_weights(double x, size_t n_max) {
  if (!(std::isfinite(x) && x >= 0)) throw std::invalid_argument("Poisson mean " + format_number(x) + " must be >= 0");
  std::vector<double> w(n_max + 1);
  double p = std::exp(-x);
  for (size_t n = 0; n <= n_max; ++n) {
    if (n > 0) p *= x / static_cast<double>(n);
    w[n] = p;
  }
  return w;
}

size_t poisson_terms(double x, double tol) {
  if (!(std::isfinite(x) && x >= 0)) throw std::invalid_argument("Poisson mean " + format_number(x) + " must be >= 0");
  double p = std::exp(-x), cum = p;
  size_t n = 0;
  while (1 - cum > tol && n < 10000) {
    ++n;
    p *= x / static_cast<double>(n);
    cum += p;
  }
  return n;
}

double plasmon_kernel_fraction(double s, double s_E, double s_c) {
  if (s <= 0) return 0;
  if (s >= s_c) return 1;
  return std::log1p(s * s / (s_E * s_E)) / std::log1p(s_c * s_c / (s_E * s_E));
}

std::vector<double> plasmon_kernel_2d(double s_E, double s_c, double ds, size_t& radius_px) {
  if (!(s_E > 0 && s_c > 0 && ds > 0))
    throw std::invalid_argument("plasmon kernel: s_E = " + format_number(s_E) + ", s_c = " + format_number(s_c) + ", ds = " + format_number(ds) +
                                " Å⁻¹ must be > 0");
  const long R = static_cast<long>(std::ceil(s_c / ds - 0.5)) + 1;
  radius_px = static_cast<size_t>(R);
  const size_t w = static_cast<size_t>(2 * R + 1);
  std::vector<double> k(w * w, 0.0);
  const double sc2 = s_c * s_c, sE2 = s_E * s_E, h = 0.5 * ds;
  auto integrand = [&](double x, double y) {
    const double r2 = x * x + y * y;
    return r2 > sc2 ? 0.0 : 1.0 / (r2 + sE2);
  };
  double total = 0;
  for (long i = -R; i <= R; ++i)
    for (long j = -R; j <= R; ++j) {
      const long rr = std::max(std::labs(i), std::labs(j));
      const double xc = static_cast<double>(j) * ds, yc = static_cast<double>(i) * ds;
      double v = 0;
      const int m = rr == 0 ? 64 : (rr <= 2 ? 32 : 8);
      const double step = ds / m;
      if (rr == 0) {
        // Disc of radius r0 = min(h, s_c) exactly (π ln(1 + r0²/s_E²)), the corners by sub-sampling.
        const double r0 = std::min(h, s_c);
        v = kPi * std::log1p(r0 * r0 / sE2);
        for (int a = 0; a < m; ++a)
          for (int b = 0; b < m; ++b) {
            const double x = -h + (b + 0.5) * step, y = -h + (a + 0.5) * step;
            if (x * x + y * y > r0 * r0) v += integrand(x, y) * step * step;
          }
      } else {
        for (int a = 0; a < m; ++a)
          for (int b = 0; b < m; ++b)
            v += integrand(xc - h + (b + 0.5) * step, yc - h + (a + 0.5) * step) * step * step;
      }
      k[static_cast<size_t>(i + R) * w + static_cast<size_t>(j + R)] = v;
      total += v;
    }
  for (double& v : k) v /= total;
  return k;
}

double plasmon_kernel_hankel(double q, double s_E, double s_c) {
  // K̂(q) = ∫₀^{s_c} J₀(2πqs) s/(s² + s_E²) ds / (½ ln(1 + s_c²/s_E²)); with u = ln(s² + s_E²),
  // s ds/(s² + s_E²) = du/2, so K̂ is the mean of J₀(2πq·sqrt(e^u − s_E²)) over u ∈ [ln s_E², ln(s_c² + s_E²)].
  if (q == 0) return 1.0;
  const double u0 = std::log(s_E * s_E), u1 = std::log(s_c * s_c + s_E * s_E);
  const size_t n = std::max<size_t>(400, static_cast<size_t>(50 * q * s_c));
  auto f = [&](double u) {
    const double s = std::sqrt(std::max(0.0, std::exp(u) - s_E * s_E));
    return bessel_j0(2 * kPi * q * s);
  };
  return simpson(f, u0, u1, n) / (u1 - u0);
}

std::string inelastic_join_name(InelasticJoin j) { return j == InelasticJoin::Cutoff ? "cutoff" : "continuous"; }

InelasticJoin parse_inelastic_join(const std::string& name) {
  if (name == "continuous") return InelasticJoin::Continuous;
  if (name == "cutoff") return InelasticJoin::Cutoff;
  throw std::invalid_argument("unknown inelastic join '" + name + "' (expected continuous or cutoff)");
}

std::string incoherent_model_name(IncoherentModel m) {
  return m == IncoherentModel::Lenz ? "lenz" : "hartree_fock";
}

IncoherentModel parse_incoherent_model(const std::string& name) {
  if (name == "hartree_fock") return IncoherentModel::HartreeFock;
  if (name == "lenz") return IncoherentModel::Lenz;
  throw std::invalid_argument("unknown incoherent model '" + name + "' (expected hartree_fock or lenz)");
}

namespace {

constexpr const char* kBalyuziRelPath = "scattering/balyuzi_1975_incoherent.csv";

const detail::CoefficientTable& balyuzi_table() {
  static const detail::CoefficientTable table = detail::read_coefficient_csv(
      data_dir() + "/" + kBalyuziRelPath, "Balyuzi incoherent scattering-function table", true);
  return table;
}

/// The Morse/Bethe closure form dσ/dΩ = 4γ²S/(a₀²q⁴) with q² = k₀²(θ² + θ̄_E²); `S(s)` the atom's incoherent
/// function at s = q/2π (Å⁻¹).
template <class SFun>
double morse_dcs(int Z, double theta, double energy_eV, SFun&& S) {
  check_energy(energy_eV);
  if (Z <= 0) throw std::invalid_argument("incoherent cross-section: Z = " + std::to_string(Z));
  const double gamma = lorentz_factor(energy_eV);
  const double k0 = 2 * kPi / electron_wavelength(energy_eV);   // Å⁻¹
  const double thetaE = 13.5 * Z / 2.0 / gamma_m_v2(energy_eV);  // rad (Koppe: Ē = 13.5 Z/2 eV)
  const double t2 = theta * theta + thetaE * thetaE;
  const double q = k0 * std::sqrt(t2);                            // Å⁻¹ (radian measure)
  return 4 * gamma * gamma / (kBohrRadiusA * kBohrRadiusA * q * q * q * q) * S(q / (2 * kPi));
}

/// ∫ dσ/dΩ 2πθ dθ over [lo, hi] (small angles) with u = ln θ: ∫ dσ/dΩ 2πθ² du.
template <class Dcs>
double integrate_dcs(Dcs&& dcs, double theta_lo, double theta_hi) {
  if (!(theta_lo > 0 && theta_hi > theta_lo))
    throw std::invalid_argument("incoherent cross-section: angles " + format_number(theta_lo) + " .. " +
                                format_number(theta_hi) + " rad");
  auto f = [&](double u) {
    const double t = std::exp(u);
    return dcs(t) * 2 * kPi * t * t;
  };
  return simpson(f, std::log(theta_lo), std::log(theta_hi), 2000);
}

}  // namespace

double incoherent_scattering_function(int Z, double s) {
  if (!(std::isfinite(s) && s >= 0)) throw std::invalid_argument("incoherent scattering function: s = " + format_number(s));
  if (Z == 1) {
    // Hydrogen 1s: F = (1 + (πa₀s)²)⁻², S = 1 − F² (the table's H row is He's halved; data/scattering/README.md).
    const double u = 1 + std::pow(kPi * kBohrRadiusA * s, 2);
    return 1 - 1 / (u * u * u * u);
  }
  const detail::CoefficientTable& t = balyuzi_table();
  if (Z < 1 || static_cast<size_t>(Z) >= t.present.size() || !t.present[static_cast<size_t>(Z)])
    throw std::invalid_argument("element Z = " + std::to_string(Z) +
                                " is not in the Balyuzi 1975 incoherent scattering-function table (Z = 1..92); "
                                "use incoherent_model = \"lenz\"");
  const std::array<double, 10>& c = t.coef[static_cast<size_t>(Z)];
  const double x2 = 0.25 * s * s;  // (sinθ/λ)²
  double sum = 0, norm = 0;
  for (int i = 0; i < 5; ++i) {
    sum += c[static_cast<size_t>(i)] * std::exp(-c[static_cast<size_t>(5 + i)] * x2);
    norm += c[static_cast<size_t>(i)];
  }
  return Z * (1 - sum / norm);
}

double lenz_inelastic_dcs(int Z, double theta, double energy_eV) {
  const double r0 = kBohrRadiusA / std::cbrt(static_cast<double>(std::max(Z, 1)));  // Å
  return morse_dcs(Z, theta, energy_eV, [&](double s) {
    const double x = std::pow(2 * kPi * s * r0, 2);  // (q r₀)²
    return Z * (1 - 1 / ((1 + x) * (1 + x)));
  });
}

double lenz_inelastic_cross_section(int Z, double energy_eV, double theta_lo, double theta_hi) {
  return integrate_dcs([&](double t) { return lenz_inelastic_dcs(Z, t, energy_eV); }, theta_lo, theta_hi);
}

double incoherent_dcs(IncoherentModel model, int Z, double theta, double energy_eV) {
  if (model == IncoherentModel::Lenz) return lenz_inelastic_dcs(Z, theta, energy_eV);
  return morse_dcs(Z, theta, energy_eV, [Z](double s) { return incoherent_scattering_function(Z, s); });
}

double incoherent_cross_section(IncoherentModel model, int Z, double energy_eV, double theta_lo, double theta_hi) {
  return integrate_dcs([&](double t) { return incoherent_dcs(model, Z, t, energy_eV); }, theta_lo, theta_hi);
}

namespace {
double material_cutoff(const InelasticMaterial& m, const InelasticParams& p) {
  return p.cutoff_mrad > 0 ? p.cutoff_mrad * 1e-3 : plasmon_cutoff_angle(m.plasmon_energy_eV, p.energy_eV);
}
void check_material(const InelasticMaterial& m) {
  if (!(m.number_density > 0))
    throw std::invalid_argument("inelastic: number density " + format_number(m.number_density) + " Å⁻³ of '" + m.name +
                                "' must be > 0 for the incoherent background");
  if (m.composition.empty()) throw std::invalid_argument("inelastic: '" + m.name + "' has no composition");
}
constexpr double kThetaMax = 0.5;  // rad: upper limit of the background integral (beyond any detector)
}  // namespace

double closure_density(const InelasticMaterial& m, const InelasticParams& p, double s) {
  check_material(m);
  const double lambda = electron_wavelength(p.energy_eV);
  const double theta = lambda * s;
  double dcs = 0;
  for (const auto& [e, c] : m.composition) dcs += c * incoherent_dcs(p.incoherent_model, e.z(), theta, p.energy_eV);
  return m.number_density * dcs * lambda * lambda;  // per Å⁻² per Å of thickness (dΩ = λ² d²s)
}

double incoherent_background_density(const InelasticMaterial& m, const InelasticParams& p, double s) {
  check_material(m);
  if (electron_wavelength(p.energy_eV) * s <= material_cutoff(m, p)) return 0;
  return closure_density(m, p, s);
}

double plasmon_density(const InelasticMaterial& m, const InelasticParams& p, double s) {
  const Resolved r = resolve(m, p);
  return 1.0 / (r.mfp * kPi * std::log1p(r.s_c * r.s_c / (r.s_E * r.s_E)) * (s * s + r.s_E * r.s_E));
}

InelasticEvents inelastic_events(const InelasticMaterial& m, const InelasticParams& p) {
  InelasticEvents e;
  const Resolved r = resolve(m, p);
  e.s_E = r.s_E;
  e.s_c = r.s_c;
  e.s_x = r.s_c;
  if (p.join == InelasticJoin::Cutoff) {  // Lorentzian to θ_c, the closure part beyond it
    if (p.plasmon) e.lorentz_per_A = 1 / r.mfp;
    if (p.incoherent) e.tail_per_A = incoherent_probability_per_A(m, p);
    return e;
  }
  if (p.plasmon && p.incoherent) {
    // Crossing of the Lorentzian and the closure density nearest s_c: step geometrically away from s_c on the
    // side where the Lorentzian is the larger (below s_c) or the smaller (above), then bisect.
    const double norm = 1.0 / (r.mfp * kPi * std::log1p(r.s_c * r.s_c / (r.s_E * r.s_E)));
    auto g = [&](double s) { return norm / (s * s + r.s_E * r.s_E) - closure_density(m, p, s); };
    const double g_c = g(r.s_c);
    if (g_c == 0) {
      e.crossing = true;
    } else {
      const double factor = g_c > 0 ? 1 / 1.02 : 1.02;
      double a = r.s_c, b = r.s_c;
      for (int k = 0; k < 400; ++k) {
        b = a * factor;
        if ((g(b) > 0) != (g_c > 0)) {
          e.crossing = true;
          break;
        }
        a = b;
        if (b < 1e-3 * r.s_c || b > 10 * r.s_c) break;
      }
      if (e.crossing) {
        for (int k = 0; k < 80; ++k) {
          const double mid = 0.5 * (a + b);
          if ((g(mid) > 0) == (g_c > 0)) a = mid;
          else b = mid;
        }
        e.s_x = 0.5 * (a + b);
      }
    }
  }
  if (p.plasmon)
    e.lorentz_per_A = std::log1p(e.s_x * e.s_x / (r.s_E * r.s_E)) / std::log1p(r.s_c * r.s_c / (r.s_E * r.s_E)) / r.mfp;
  if (p.incoherent) {
    check_material(m);
    const double lambda = electron_wavelength(p.energy_eV);
    const double tx = e.s_x * lambda;
    double sigma = 0;
    if (tx < kThetaMax)
      for (const auto& [el, c] : m.composition) sigma += c * incoherent_cross_section(p.incoherent_model, el.z(), p.energy_eV, tx, kThetaMax);
    e.tail_per_A = m.number_density * sigma;
  }
  return e;
}

double joint_density(const InelasticEvents& e, const InelasticMaterial& m, const InelasticParams& p, double s) {
  if (s <= e.s_x) return e.lorentz_per_A > 0 ? plasmon_density(m, p, s) : 0.0;
  if (e.tail_per_A > 0 && electron_wavelength(p.energy_eV) * s < kThetaMax) return closure_density(m, p, s);
  return 0.0;
}

double incoherent_probability_per_A(const InelasticMaterial& m, const InelasticParams& p) {
  check_material(m);
  const double tc = material_cutoff(m, p);
  double sigma = 0;
  for (const auto& [e, c] : m.composition)
    sigma += c * incoherent_cross_section(p.incoherent_model, e.z(), p.energy_eV, tc, kThetaMax);
  return m.number_density * sigma;
}

namespace {

/// The Poisson sum over inelastic events on a zero-padded Py × Px grid: the pattern becomes
/// F⁻¹[F(pattern) · exp(Σ_p y_p (K̂_p − 1))] (all orders at once). Kernels are added one material at a time
/// (offsets from the beam in pixels, wrapped), each closed with its mean number of events y_p.
class EventTransfer {
 public:
  EventTransfer(const std::vector<double>& intensity, size_t ny, size_t nx, size_t Py, size_t Px)
      : ny_(ny), nx_(nx), Py_(Py), Px_(Px), img_(Py * Px, 0.0), kernel_(Py * Px, 0.0), log_h_(Py * Px, 0.0) {
    for (size_t i = 0; i < ny; ++i)
      for (size_t j = 0; j < nx; ++j) img_[i * Px + j] = intensity[i * nx + j];
    detail::fft2(img_, Py_, Px_, -1);
  }
  /// Adds v to the current kernel at offset (dy, dx) pixels from the beam.
  void add(long dy, long dx, double v) {
    const long py = static_cast<long>(Py_), px = static_cast<long>(Px_);
    kernel_[static_cast<size_t>((dy % py + py) % py) * Px_ + static_cast<size_t>((dx % px + px) % px)] += v;
  }
  /// Adds a centred (2r + 1)² kernel (row-major, e.g. plasmon_kernel_2d) times `weight`.
  void add_centred(const std::vector<double>& k, size_t r, double weight) {
    const size_t w = 2 * r + 1;
    for (size_t a = 0; a < w; ++a)
      for (size_t b = 0; b < w; ++b)
        add(static_cast<long>(a) - static_cast<long>(r), static_cast<long>(b) - static_cast<long>(r), k[a * w + b] * weight);
  }
  /// Closes the current kernel: y (K̂ − 1) joins the exponent; the kernel is cleared for the next material.
  void close(double y) {
    detail::fft2(kernel_, Py_, Px_, -1);
    for (size_t q = 0; q < kernel_.size(); ++q) log_h_[q] += y * (kernel_[q] - 1.0);
    std::fill(kernel_.begin(), kernel_.end(), 0.0);
  }
  /// Writes the redistributed pattern back (what lands in the padding is lost off the grid).
  void apply(std::vector<double>& intensity) {
    const double norm = 1.0 / static_cast<double>(Py_ * Px_);
    for (size_t q = 0; q < img_.size(); ++q) img_[q] *= std::exp(log_h_[q]) * norm;
    detail::fft2(img_, Py_, Px_, +1);
    for (size_t i = 0; i < ny_; ++i)
      for (size_t j = 0; j < nx_; ++j) intensity[i * nx_ + j] = img_[i * Px_ + j].real();
  }

 private:
  size_t ny_, nx_, Py_, Px_;
  std::vector<std::complex<double>> img_, kernel_, log_h_;
};

/// Continuous join on a grid: every event redistributes the current pattern with the joint kernel
/// (Lorentzian to s_x, closure beyond), transfer function exp(Σ_p y_p (K̂_p − 1)), y_p = t_p × rate_p.
void apply_joint_events(const InelasticParams& params, const std::vector<double>& thickness_A,
                        const ReciprocalGrid& grid, std::vector<double>& intensity) {
  const size_t ny = grid.ny, nx = grid.nx;
  std::vector<size_t> used;
  std::vector<InelasticEvents> ev(params.materials.size());
  double ysum = 0;
  size_t reach_core = 0;
  for (size_t p = 0; p < params.materials.size(); ++p) {
    if (!(thickness_A[p] > 0)) continue;
    ev[p] = inelastic_events(params.materials[p], params);
    if (!(ev[p].total_per_A() > 0)) continue;
    used.push_back(p);
    ysum += thickness_A[p] * ev[p].total_per_A();
    reach_core = std::max(reach_core, static_cast<size_t>(std::ceil(ev[p].s_x / grid.ds)) + 1);
  }
  if (used.empty()) return;
  // The closure tail reaches every pixel: its kernel spans the largest distance from the beam to a grid corner.
  const double rmax_px = std::hypot(std::max(grid.centre_x, static_cast<double>(nx) - grid.centre_x),
                                    std::max(grid.centre_y, static_cast<double>(ny) - grid.centre_y)) + 1;
  bool tail = false;
  for (size_t p : used) tail |= ev[p].tail_per_A > 0;
  const size_t R = tail ? std::max(reach_core, static_cast<size_t>(std::ceil(rmax_px))) : reach_core;
  // Padding: the core's plural events as in the cutoff join (≲ 3 kernel radii on either side); one tail radius
  // (a single convolution with a kernel of radius R does not wrap into the grid when P ≥ n + R; plural tail
  // events, ≲ (t/λ_tail)²/2 ≈ 10⁻³ of the electrons, may wrap and are not followed further).
  const size_t core = reach_core * std::min<size_t>(3, std::max<size_t>(1, poisson_terms(ysum, 1e-3)));
  EventTransfer et(intensity, ny, nx, detail::next_pow2(std::max(ny + 2 * core, ny + R)),
                   detail::next_pow2(std::max(nx + 2 * core, nx + R)));
  for (size_t p : used) {
    const InelasticEvents& e = ev[p];
    const double rate = e.total_per_A();
    if (e.lorentz_per_A > 0) {  // the Lorentzian core, normalised to 1 inside s_x, weight lorentz/rate
      size_t r = 0;
      const std::vector<double> k = plasmon_kernel_2d(e.s_E, e.s_x, grid.ds, r);
      et.add_centred(k, r, e.lorentz_per_A / rate);
    }
    if (e.tail_per_A > 0) {  // the closure tail beyond s_x: radial table, pixels straddling s_x sub-sampled
      const InelasticMaterial& m = params.materials[p];
      const double dsr = grid.ds / 8;
      const size_t nr = static_cast<size_t>((static_cast<double>(R) + 2) * grid.ds / dsr) + 2;
      std::vector<double> table(nr, 0.0);  // the tail's density, continued flat below s_x (never read there)
      for (size_t k = 0; k < nr; ++k)
        table[k] = joint_density(e, m, params, std::max(static_cast<double>(k) * dsr, e.s_x * (1 + 1e-12)));
      auto dens = [&](double sv) {
        if (sv <= e.s_x) return 0.0;
        const double u = sv / dsr;
        const size_t k = std::min(nr - 2, static_cast<size_t>(u));
        const double f = std::min(1.0, u - static_cast<double>(k));
        return (1 - f) * table[k] + f * table[k + 1];
      };
      const long Rl = static_cast<long>(R);
      const double area = grid.ds * grid.ds;
      for (long i = -Rl; i <= Rl; ++i)
        for (long j = -Rl; j <= Rl; ++j) {
          const double sc = std::hypot(static_cast<double>(i), static_cast<double>(j)) * grid.ds;
          if (sc > static_cast<double>(R) * grid.ds) continue;
          double v = 0;
          if (std::fabs(sc - e.s_x) < 0.75 * grid.ds) {
            constexpr int kSub = 8;
            for (int a = 0; a < kSub; ++a)
              for (int b = 0; b < kSub; ++b)
                v += dens(std::hypot(static_cast<double>(i) - 0.5 + (a + 0.5) / kSub, static_cast<double>(j) - 0.5 + (b + 0.5) / kSub) * grid.ds);
            v *= area / (kSub * kSub);
          } else {
            v = dens(sc) * area;
          }
          if (v > 0) et.add(i, j, v / rate);
        }
    }
    et.close(thickness_A[p] * rate);
  }
  et.apply(intensity);
}

}  // namespace

void apply_inelastic(const InelasticParams& params, const std::vector<double>& thickness_A,
                     const ReciprocalGrid& grid, std::vector<double>& intensity) {
  check_energy(params.energy_eV);
  if (thickness_A.size() != params.materials.size())
    throw std::invalid_argument("inelastic: " + std::to_string(thickness_A.size()) + " thicknesses for " +
                                std::to_string(params.materials.size()) + " materials");
  for (double t : thickness_A)
    if (!(std::isfinite(t) && t >= 0)) throw std::invalid_argument("inelastic: thickness " + format_number(t) + " Å must be >= 0");
  if (grid.ny == 0 || grid.nx == 0 || !(grid.ds > 0))
    throw std::invalid_argument("inelastic: empty grid or pixel size " + format_number(grid.ds) + " Å⁻¹");
  if (intensity.size() != grid.ny * grid.nx)
    throw std::invalid_argument("inelastic: " + std::to_string(intensity.size()) + " values for a " +
                                std::to_string(grid.ny) + " × " + std::to_string(grid.nx) + " grid");
  const size_t ny = grid.ny, nx = grid.nx;
  if (params.join == InelasticJoin::Continuous) {
    apply_joint_events(params, thickness_A, grid, intensity);
    return;
  }

  // Cutoff join. 1. Plasmons: transfer function exp(Σ_p x_p (K̂_p − 1)) (Poisson sum over events, all orders).
  if (params.plasmon) {
    std::vector<Resolved> res;
    std::vector<double> x;
    size_t R = 0;
    double xsum = 0;
    for (size_t p = 0; p < params.materials.size(); ++p) {
      res.push_back(resolve(params.materials[p], params));
      x.push_back(thickness_A[p] / res.back().mfp);
      xsum += x.back();
      R = std::max(R, static_cast<size_t>(std::ceil(res.back().s_c / grid.ds)) + 1);
    }
    if (xsum > 0) {
      // Padding: the tail of the convolved pattern beyond ~3 kernel radii (≲ P(m > 3) of the events)
      // would wrap around; it lands in the padding and is discarded (lost off the grid).
      const size_t reach = R * std::min<size_t>(3, std::max<size_t>(1, poisson_terms(xsum, 1e-3)));
      EventTransfer et(intensity, ny, nx, detail::next_pow2(ny + 2 * reach), detail::next_pow2(nx + 2 * reach));
      for (size_t p = 0; p < res.size(); ++p) {
        if (x[p] <= 0) continue;
        size_t r = 0;
        const std::vector<double> k = plasmon_kernel_2d(res[p].s_E, res[p].s_c, grid.ds, r);
        et.add_centred(k, r, 1.0);
        et.close(x[p]);
      }
      et.apply(intensity);
    }
  }

  // 2. Incoherent (Lenz) background beyond θ_c, linear in thickness; the electrons it takes are removed
  //    from the pattern in proportion.
  if (params.incoherent) {
    double ptot = 0;
    std::vector<size_t> used;
    for (size_t p = 0; p < params.materials.size(); ++p)
      if (thickness_A[p] > 0) {
        ptot += thickness_A[p] * incoherent_probability_per_A(params.materials[p], params);
        used.push_back(p);
      }
    if (ptot > 0) {
      if (ptot >= 1)
        throw std::invalid_argument("inelastic: incoherent scattering probability " + format_number(ptot) +
                                    " >= 1: the single-event (linear) model does not hold at this thickness");
      // Radial table of the background density, pixel-centre sampled (smooth beyond θ_c).
      const double area = grid.ds * grid.ds;
      const double rmax = std::hypot(std::max(grid.centre_x, static_cast<double>(nx) - grid.centre_x),
                                     std::max(grid.centre_y, static_cast<double>(ny) - grid.centre_y)) + 2;
      const double dsr = grid.ds / 4;
      const size_t nr = static_cast<size_t>(rmax * grid.ds / dsr) + 2;
      std::vector<double> table(nr, 0.0);
      for (size_t k = 0; k < nr; ++k) {
        const double s = static_cast<double>(k) * dsr;
        for (size_t p : used) table[k] += thickness_A[p] * incoherent_background_density(params.materials[p], params, s);
      }
      for (size_t i = 0; i < ny; ++i)
        for (size_t j = 0; j < nx; ++j) {
          const double s = std::hypot(static_cast<double>(j) - grid.centre_x, static_cast<double>(i) - grid.centre_y) * grid.ds;
          const double u = s / dsr;
          const size_t k = std::min(nr - 2, static_cast<size_t>(u));
          const double f = std::min(1.0, u - static_cast<double>(k));
          const double b = (1 - f) * table[k] + f * table[k + 1];
          double& v = intensity[i * nx + j];
          v = (1 - ptot) * v + b * area;
        }
    }
  }
}

}  // namespace sedpdf
