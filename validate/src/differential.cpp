#include "sedpdf/validate/differential.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

std::string differential_weighting_name(DifferentialWeighting w) {
  switch (w) {
    case DifferentialWeighting::FaberZiman: return "faber-ziman";
    case DifferentialWeighting::AtomFraction: return "atom";
    case DifferentialWeighting::MassFraction: return "mass";
  }
  return "faber-ziman";
}

DifferentialWeighting parse_differential_weighting(const std::string& name) {
  std::string n;
  for (char c : name) n += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (n == "faber-ziman" || n == "fz") return DifferentialWeighting::FaberZiman;
  if (n == "atom" || n == "atom-fraction") return DifferentialWeighting::AtomFraction;
  if (n == "mass" || n == "mass-fraction") return DifferentialWeighting::MassFraction;
  throw std::invalid_argument("unknown differential weighting '" + name + "' (faber-ziman, atom, mass)");
}

double mean_atomic_mass(const Composition& c) {
  double m = 0;
  for (std::size_t i = 0; i < c.elements.size(); ++i) m += c.fractions[i] * c.elements[i].mass();
  return m;
}

namespace {
std::vector<double> normalised_mass_fractions(const std::vector<MixturePhase>& phases) {
  if (phases.empty()) throw std::invalid_argument("mixture: no phases");
  double total = 0;
  for (const MixturePhase& p : phases) {
    if (!(p.mass_fraction >= 0) || !std::isfinite(p.mass_fraction)) {
      std::ostringstream m;
      m << "mixture: phase '" << p.name << "' has mass fraction " << p.mass_fraction;
      throw std::invalid_argument(m.str());
    }
    total += p.mass_fraction;
  }
  if (!(total > 0)) throw std::invalid_argument("mixture: all mass fractions are zero");
  std::vector<double> m;
  for (const MixturePhase& p : phases) m.push_back(p.mass_fraction / total);
  return m;
}
}  // namespace

std::vector<double> atom_fractions(const std::vector<MixturePhase>& phases) {
  const std::vector<double> m = normalised_mass_fractions(phases);
  std::vector<double> x(phases.size());
  double total = 0;
  for (std::size_t i = 0; i < phases.size(); ++i) {
    const double mm = mean_atomic_mass(phases[i].composition);
    if (!(mm > 0)) throw std::invalid_argument("mixture: phase '" + phases[i].name + "' has no composition");
    x[i] = m[i] / mm;
    total += x[i];
  }
  for (double& v : x) v /= total;
  return x;
}

Composition mixture_composition(const std::vector<MixturePhase>& phases) {
  const std::vector<double> x = atom_fractions(phases);
  Composition c;
  for (std::size_t i = 0; i < phases.size(); ++i)
    for (std::size_t a = 0; a < phases[i].composition.elements.size(); ++a) {
      const Element e = phases[i].composition.elements[a];
      auto it = std::find(c.elements.begin(), c.elements.end(), e);
      const double v = x[i] * phases[i].composition.fractions[a];
      if (it == c.elements.end()) {
        c.elements.push_back(e);
        c.fractions.push_back(v);
      } else {
        c.fractions[static_cast<std::size_t>(it - c.elements.begin())] += v;
      }
    }
  return c;
}

std::vector<std::vector<double>> mixture_weights(const std::vector<MixturePhase>& phases, const std::vector<double>& s,
                                                 const ScatteringFactors& sf, DifferentialWeighting weighting) {
  std::vector<std::vector<double>> w(phases.size(), std::vector<double>(s.size()));
  if (weighting == DifferentialWeighting::MassFraction) {
    const std::vector<double> m = normalised_mass_fractions(phases);
    for (std::size_t i = 0; i < phases.size(); ++i) std::fill(w[i].begin(), w[i].end(), m[i]);
    return w;
  }
  const std::vector<double> x = atom_fractions(phases);
  if (weighting == DifferentialWeighting::AtomFraction) {
    for (std::size_t i = 0; i < phases.size(); ++i) std::fill(w[i].begin(), w[i].end(), x[i]);
    return w;
  }
  for (std::size_t j = 0; j < s.size(); ++j) {
    double fmix = 0;
    std::vector<double> fi(phases.size());
    for (std::size_t i = 0; i < phases.size(); ++i) {
      fi[i] = composition_averages(sf, phases[i].composition, s[j]).f_mean;
      fmix += x[i] * fi[i];
    }
    for (std::size_t i = 0; i < phases.size(); ++i) w[i][j] = x[i] * fi[i] * fi[i] / (fmix * fmix);
  }
  return w;
}

std::vector<double> mixture_structure_factor(const std::vector<MixturePhase>& phases, const std::vector<double>& s,
                                             const ScatteringFactors& sf, DifferentialWeighting weighting) {
  for (const MixturePhase& p : phases)
    if (p.S.size() != s.size()) {
      std::ostringstream m;
      m << "mixture: phase '" << p.name << "' has " << p.S.size() << " S values for " << s.size() << " s points";
      throw std::invalid_argument(m.str());
    }
  const auto w = mixture_weights(phases, s, sf, weighting);
  std::vector<double> S(s.size(), 1.0);
  for (std::size_t i = 0; i < phases.size(); ++i)
    for (std::size_t j = 0; j < s.size(); ++j) S[j] += w[i][j] * (phases[i].S[j] - 1.0);
  return S;
}

std::vector<double> differential_structure_factor(const std::vector<double>& S_composite,
                                                  const std::vector<MixturePhase>& phases,
                                                  const std::vector<double>& s, const ScatteringFactors& sf,
                                                  DifferentialWeighting weighting) {
  if (S_composite.size() != s.size()) {
    std::ostringstream m;
    m << "differential: composite has " << S_composite.size() << " S values for " << s.size() << " s points";
    throw std::invalid_argument(m.str());
  }
  std::vector<double> d = mixture_structure_factor(phases, s, sf, weighting);
  for (std::size_t j = 0; j < s.size(); ++j) d[j] = S_composite[j] - d[j];
  return d;
}

double bragg_q(const Cell& cell, int h, int k, int l) {
  if (!cell.has_vectors()) throw std::invalid_argument("bragg_q: the cell has no lattice vectors");
  if (h == 0 && k == 0 && l == 0) throw std::invalid_argument("bragg_q: hkl = 000 has no d spacing");
  const Mat33& M = cell.matrix();
  // fractional reciprocal vector: h* = M⁻ᵀ h  (Cartesian, cycles/Å);  1/d = |h*|
  const Mat33 inv = M.inverse();
  double g[3] = {0, 0, 0};
  const double hk[3] = {static_cast<double>(h), static_cast<double>(k), static_cast<double>(l)};
  for (int a = 0; a < 3; ++a)
    for (int b = 0; b < 3; ++b) g[a] += inv(b, a) * hk[b];
  const double inv_d = std::sqrt(g[0] * g[0] + g[1] * g[1] + g[2] * g[2]);
  return 2 * kPi * inv_d;
}

std::vector<double> crystallite_structure_factor(const Structure& crystal, const ScatteringFactors& sf,
                                                 const std::vector<double>& s, const CrystalliteOptions& opt) {
  if (!crystal.cell.fully_periodic())
    throw std::invalid_argument("crystallite S(Q): '" + crystal.title + "' is not fully periodic");
  if (!(opt.dr > 0) || !(opt.diameter > 2 * opt.dr)) {
    std::ostringstream m;
    m << "crystallite S(Q): diameter " << opt.diameter << " Å must exceed 2·dr = " << 2 * opt.dr << " Å";
    throw std::invalid_argument(m.str());
  }
  if (!(opt.b_iso >= 0)) throw std::invalid_argument("crystallite S(Q): B " + std::to_string(opt.b_iso) + " < 0");
  PartialPdfOptions po;
  po.r_max = opt.diameter;
  po.dr = opt.dr;
  po.allow_images = true;
  PartialPdfs p = compute_partial_pdfs(crystal, po);
  const double D = opt.diameter;
  for (auto& g : p.g)
    for (std::size_t j = 0; j < p.r.size(); ++j) {
      const double r = p.r[j];
      const double gamma = r < D ? 1 - 1.5 * r / D + 0.5 * (r / D) * (r / D) * (r / D) : 0.0;
      g[j] = 1 + (g[j] - 1) * gamma;
    }
  TotalScattering ts = total_scattering(p, sf, s, false);
  std::vector<double> S = ts.S;
  for (std::size_t j = 0; j < s.size(); ++j) S[j] = 1 + (S[j] - 1) * std::exp(-0.5 * opt.b_iso * s[j] * s[j]);
  return S;
}

double bragg_amplitude(const std::vector<double>& s, const std::vector<double>& y, double q0,
                       const DetectionOptions& opt, double* q_peak) {
  if (s.size() != y.size()) throw std::invalid_argument("bragg amplitude: s and y differ in length");
  std::size_t first = s.size(), last = 0;
  for (std::size_t j = 0; j < s.size(); ++j) {
    const double q = q_from_s(s[j]);
    if (q >= q0 - opt.half_window_q && q <= q0 + opt.half_window_q) {
      first = std::min(first, j);
      last = j;
    }
  }
  const std::size_t m = static_cast<std::size_t>(std::max(1, opt.baseline_points));
  if (first > last || last - first + 1 < 2 * m + 1) {
    std::ostringstream msg;
    msg << "bragg amplitude: the window " << q0 << " ± " << opt.half_window_q << " Å⁻¹ holds too few samples";
    throw std::invalid_argument(msg.str());
  }
  double xl = 0, yl = 0, xr = 0, yr = 0;
  for (std::size_t i = 0; i < m; ++i) {
    xl += s[first + i];
    yl += y[first + i];
    xr += s[last - i];
    yr += y[last - i];
  }
  xl /= static_cast<double>(m);
  yl /= static_cast<double>(m);
  xr /= static_cast<double>(m);
  yr /= static_cast<double>(m);
  double best = -1e300, best_q = q0;
  for (std::size_t j = first; j <= last; ++j) {
    const double q = q_from_s(s[j]);
    if (std::abs(q - q0) > opt.peak_search_q) continue;
    const double base = yl + (yr - yl) * (s[j] - xl) / (xr - xl);
    if (y[j] - base > best) {
      best = y[j] - base;
      best_q = q;
    }
  }
  if (best <= -1e299) throw std::invalid_argument("bragg amplitude: no sample within the peak search range");
  if (q_peak) *q_peak = best_q;
  return best;
}

std::vector<double> composite_with_crystal(const std::vector<MixturePhase>& references, std::size_t zif_index,
                                           const MixturePhase& crystal, double f, const std::vector<double>& s,
                                           const ScatteringFactors& sf, DifferentialWeighting weighting) {
  if (zif_index >= references.size())
    throw std::invalid_argument("composite: ZIF phase index " + std::to_string(zif_index) + " out of range");
  if (!(f >= 0 && f <= 1)) throw std::invalid_argument("composite: crystalline fraction " + std::to_string(f));
  std::vector<MixturePhase> phases = references;
  const double m = phases[zif_index].mass_fraction;
  phases[zif_index].mass_fraction = m * (1 - f);
  MixturePhase c = crystal;
  c.mass_fraction = m * f;
  phases.push_back(c);
  return mixture_structure_factor(phases, s, sf, weighting);
}

DetectionResult crystalline_detection_limit(const std::vector<MixturePhase>& references, std::size_t zif_index,
                                            const MixturePhase& crystal, const Cell& cell,
                                            const std::vector<double>& s, const ScatteringFactors& sf,
                                            const DetectionOptions& opt, DifferentialWeighting weighting) {
  DetectionResult out;
  const auto sdiff = [&](double f) {
    return differential_structure_factor(composite_with_crystal(references, zif_index, crystal, f, s, sf, weighting),
                                         references, s, sf, weighting);
  };
  const auto w = mixture_weights(references, s, sf, weighting);
  const std::vector<double> unit = sdiff(1.0);
  const double m = std::max(1, opt.baseline_points);
  for (const auto& hkl : opt.reflections) {
    ReflectionSignal r;
    r.hkl = std::to_string(hkl[0]) + std::to_string(hkl[1]) + std::to_string(hkl[2]);
    r.q = bragg_q(cell, hkl[0], hkl[1], hkl[2]);
    r.amplitude_per_fraction = bragg_amplitude(s, unit, r.q, opt, &r.q_peak);
    // noise of S_diff at the peak: composite plus every weighted reference, each σ_S per point
    const std::size_t j = static_cast<std::size_t>(
        std::min_element(s.begin(), s.end(),
                         [&](double a, double b) { return std::abs(q_from_s(a) - r.q) < std::abs(q_from_s(b) - r.q); }) -
        s.begin());
    double var = 1.0;
    for (const auto& wi : w) var += wi[j] * wi[j];
    const double sigma_diff = opt.sigma_S * std::sqrt(var);
    out.sigma_diff = std::max(out.sigma_diff, sigma_diff);
    r.noise = sigma_diff * std::sqrt(1 + 1 / (2 * m));
    const double target = opt.k_sigma * r.noise;
    if (r.amplitude_per_fraction < target) {
      r.min_fraction = 1;
    } else {
      double lo = 0, hi = 1;
      while (hi - lo > 1e-6) {
        const double mid = 0.5 * (lo + hi);
        if (bragg_amplitude(s, sdiff(mid), r.q, opt) >= target) hi = mid;
        else lo = mid;
      }
      r.min_fraction = hi;
    }
    out.reflections.push_back(r);
  }
  out.min_fraction = 1;
  for (const auto& r : out.reflections) out.min_fraction = std::min(out.min_fraction, r.min_fraction);
  std::ostringstream nm;
  nm << "independent Gaussian noise sigma_S = " << opt.sigma_S
     << " per s point on the composite and on every component S(Q); sigma_diff = sigma_S*sqrt(1 + sum w_i^2); "
     << "amplitude = max of S_diff within " << opt.peak_search_q << " 1/A of the reflection minus a line through "
     << "the means of " << opt.baseline_points << " points at each end of a +/-" << opt.half_window_q
     << " 1/A window, noise sigma_diff*sqrt(1 + 1/(2m)); detected at >= " << opt.k_sigma << " sigma";
  out.noise_model = nm.str();
  return out;
}

ZniStudy run_zni_differential_study(const Structure& zif_glass, const Structure& inorganic_glass,
                                    const Structure& zni, const ZniStudyOptions& opt) {
  if (!(opt.dq > 0) || !(opt.q_max > opt.q_min) || !(opt.q_min > 0)) {
    std::ostringstream m;
    m << "ZIF-zni study: Q range [" << opt.q_min << ", " << opt.q_max << "] step " << opt.dq << " is invalid";
    throw std::invalid_argument(m.str());
  }
  if (!(opt.zif_mass_fraction > 0 && opt.zif_mass_fraction < 1))
    throw std::invalid_argument("ZIF-zni study: ZIF mass fraction " + std::to_string(opt.zif_mass_fraction) +
                                " must be in (0, 1)");
  ZniStudy st;
  st.s = uniform_grid(s_from_q(opt.q_min), s_from_q(opt.q_max), s_from_q(opt.dq));
  for (double v : st.s) st.q.push_back(q_from_s(v));
  const XrayFactors xf;
  auto glass_phase = [&](const Structure& g, double mass) {
    MixturePhase p;
    p.name = g.title.empty() ? g.formula() : g.title;
    p.composition = Composition::of(g);
    p.mass_fraction = mass;
    p.S = total_scattering(compute_partial_pdfs(g, opt.glass_partials), xf, st.s, true).S;
    return p;
  };
  st.references.push_back(glass_phase(zif_glass, opt.zif_mass_fraction));
  st.references.push_back(glass_phase(inorganic_glass, 1 - opt.zif_mass_fraction));
  st.crystal.name = "ZIF-zni crystallite";
  st.crystal.composition = Composition::of(zni);
  st.crystal.S = crystallite_structure_factor(zni, xf, st.s, opt.crystallite);
  st.S_mix = mixture_structure_factor(st.references, st.s, xf, opt.weighting);
  st.weights = mixture_weights(st.references, st.s, xf, opt.weighting);
  st.example_fractions = opt.example_fractions;
  for (double f : opt.example_fractions)
    st.S_diff.push_back(differential_structure_factor(
        composite_with_crystal(st.references, 0, st.crystal, f, st.s, xf, opt.weighting), st.references, st.s, xf,
        opt.weighting));
  st.detection =
      crystalline_detection_limit(st.references, 0, st.crystal, zni.cell, st.s, xf, opt.detection, opt.weighting);
  std::ostringstream n;
  n << "X-ray (IT92) Faber-Ziman S(Q), Q " << opt.q_min << "-" << opt.q_max << " 1/A step " << opt.dq
    << "; glasses from their partial PDFs (r_max " << opt.glass_partials.r_max
    << " A, Lorch window in r); ZIF-zni as a sphere of D = " << opt.crystallite.diameter
    << " A (bulk partials times the sphere shape function, Debye-Waller B = " << opt.crystallite.b_iso
    << " A^2); composite = ZIF glass (mass " << opt.zif_mass_fraction << " x (1 - f)) + ZIF-zni (mass "
    << opt.zif_mass_fraction << " x f) + inorganic glass; S_diff = S_composite - 1 - sum_i w_i (S_i - 1), weighting "
    << differential_weighting_name(opt.weighting) << "; " << st.detection.noise_model;
  st.notes = n.str();
  return st;
}

}  // namespace sedpdf
