// Faber–Ziman partial and total structure factors, the measured PDF and real-space PDFs.
// Formulas and sources are in total_scattering.hpp.
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "transforms_internal.hpp"

namespace sedpdf {

namespace {

void check_partials(const PartialPdfs& p, const char* who) {
  const std::string w(who);
  if (p.elements.empty() || p.pairs.empty())
    throw std::invalid_argument(w + ": the partial PDFs are empty");
  if (p.fractions.size() != p.elements.size())
    throw std::invalid_argument(w + ": " + std::to_string(p.fractions.size()) + " fractions for " +
                                std::to_string(p.elements.size()) + " elements");
  if (p.g.size() != p.pairs.size())
    throw std::invalid_argument(w + ": " + std::to_string(p.g.size()) + " g(r) for " +
                                std::to_string(p.pairs.size()) + " pairs");
  if (p.r.size() < 2) throw std::invalid_argument(w + ": fewer than 2 r bins");
  for (size_t i = 0; i < p.g.size(); ++i)
    if (p.g[i].size() != p.r.size())
      throw std::invalid_argument(w + ": g of pair " + std::to_string(i) + " has " +
                                  std::to_string(p.g[i].size()) + " bins, r has " + std::to_string(p.r.size()));
  if (!(p.number_density > 0))
    throw std::invalid_argument(w + ": number density " + format_number(p.number_density) + " is not positive");
  if (!(p.dr > 0) || !(p.r_max > 0))
    throw std::invalid_argument(w + ": bin width " + format_number(p.dr) + " or r_max " + format_number(p.r_max) + " not positive");
}

void check_pair_weights(const PartialPdfs& p, const std::vector<double>& w, const char* who) {
  if (w.size() != p.pairs.size())
    throw std::invalid_argument(std::string(who) + ": " + std::to_string(w.size()) + " pair weights for " +
                                std::to_string(p.pairs.size()) + " pairs");
}

/// w_ab = (2 − δ_ab) c_a c_b f_a f_b / ⟨f⟩² for factors f (per element); throws if ⟨f⟩ ≈ 0.
std::vector<double> fz_weights(const PartialPdfs& p, const std::vector<double>& f, const std::string& where) {
  double fm = 0, f2 = 0;
  for (size_t a = 0; a < f.size(); ++a) {
    fm += p.fractions[a] * f[a];
    f2 += p.fractions[a] * f[a] * f[a];
  }
  if (!(std::fabs(fm) > 1e-12 * std::sqrt(f2)))
    throw std::domain_error("Faber–Ziman weights" + where + ": ⟨f⟩ = " + format_number(fm) + " is ~0 (⟨f²⟩ = " + format_number(f2) +
                            "), S(s) is undefined for this composition");
  std::vector<double> w(p.pairs.size());
  for (size_t k = 0; k < p.pairs.size(); ++k) {
    const size_t a = static_cast<size_t>(p.pairs[k].first), b = static_cast<size_t>(p.pairs[k].second);
    w[k] = (a == b ? 1.0 : 2.0) * p.fractions[a] * p.fractions[b] * f[a] * f[b] / (fm * fm);
  }
  return w;
}

std::vector<std::pair<Element, Element>> pair_elements_of(const PartialPdfs& p) {
  std::vector<std::pair<Element, Element>> out;
  for (const auto& [a, b] : p.pairs)
    out.emplace_back(p.elements[static_cast<size_t>(a)], p.elements[static_cast<size_t>(b)]);
  return out;
}

}  // namespace

std::vector<std::vector<double>> partial_structure_factors(const PartialPdfs& p, const std::vector<double>& s,
                                                           bool r_window) {
  check_partials(p, "partial_structure_factors");
  // Bin k covers [k·dr, min((k + 1)·dr, r_max)] (the last bin may be shorter; partial_pdf.hpp).
  std::vector<double> shell(p.r.size());
  for (size_t k = 0; k < p.r.size(); ++k) {
    const double r1 = static_cast<double>(k) * p.dr;
    const double r2 = std::min(static_cast<double>(k + 1) * p.dr, p.r_max);
    shell[k] = 4 * kPi / 3 * (r2 * r2 * r2 - r1 * r1 * r1);
  }
  return detail::structure_factors_from_bins(p.r, shell, p.r_max, p.g, p.number_density, s, r_window);
}

std::vector<double> faber_ziman_weights(const PartialPdfs& p, const std::vector<double>& f_per_element) {
  check_partials(p, "faber_ziman_weights");
  if (f_per_element.size() != p.elements.size())
    throw std::invalid_argument("faber_ziman_weights: " + std::to_string(f_per_element.size()) +
                                " factors for " + std::to_string(p.elements.size()) + " elements");
  return fz_weights(p, f_per_element, "");
}

std::vector<double> faber_ziman_weights(const PartialPdfs& p, const ScatteringFactors& sf, double s) {
  check_partials(p, "faber_ziman_weights");
  std::vector<double> f;
  for (const Element& e : p.elements) {
    if (!sf.has(e))
      throw std::invalid_argument("faber_ziman_weights: " + sf.name() + " has no factor for " + e.symbol());
    f.push_back(sf.f(e, s));
  }
  return fz_weights(p, f, " at s = " + format_number(s) + " Å⁻¹");
}

std::vector<double> weighted_structure_factor(const PartialPdfs& p, const std::vector<double>& pair_weights,
                                              const std::vector<double>& s, bool r_window) {
  check_pair_weights(p, pair_weights, "weighted_structure_factor");
  const auto sab = partial_structure_factors(p, s, r_window);
  std::vector<double> out(s.size(), 1.0);
  for (size_t k = 0; k < p.pairs.size(); ++k)
    for (size_t i = 0; i < s.size(); ++i) out[i] += pair_weights[k] * (sab[k][i] - 1.0);
  return out;
}

TotalScattering total_scattering(const PartialPdfs& p, const ScatteringFactors& sf, const std::vector<double>& s,
                                 bool r_window) {
  check_partials(p, "total_scattering");
  for (const Element& e : p.elements)
    if (!sf.has(e)) throw std::invalid_argument("total_scattering: " + sf.name() + " has no factor for " + e.symbol());
  TotalScattering t;
  t.radiation = sf.radiation();
  t.factors_name = sf.name();
  t.s = s;
  t.pair_elements = pair_elements_of(p);
  const auto sab = partial_structure_factors(p, s, r_window);
  const size_t ne = p.elements.size(), np = p.pairs.size(), ns = s.size();
  t.S.assign(ns, 1.0);
  t.phi.assign(ns, 0.0);
  t.f_mean.assign(ns, 0.0);
  t.f2_mean.assign(ns, 0.0);
  t.phi_pair.assign(np, std::vector<double>(ns, 0.0));
  std::vector<double> f(ne);
  for (size_t i = 0; i < ns; ++i) {
    for (size_t a = 0; a < ne; ++a) f[a] = sf.f(p.elements[a], s[i]);
    const auto w = fz_weights(p, f, " at s = " + format_number(s[i]) + " Å⁻¹");
    double fm = 0, f2 = 0;
    for (size_t a = 0; a < ne; ++a) {
      fm += p.fractions[a] * f[a];
      f2 += p.fractions[a] * f[a] * f[a];
    }
    t.f_mean[i] = fm;
    t.f2_mean[i] = f2;
    double sm1 = 0;
    for (size_t k = 0; k < np; ++k) {
      const double term = w[k] * (sab[k][i] - 1.0);
      sm1 += term;
      t.phi_pair[k][i] = s[i] * term;
    }
    t.S[i] = 1.0 + sm1;
    t.phi[i] = s[i] * sm1;
  }
  return t;
}

void ramp_below_s_min(const std::vector<double>& s, double s_min, std::vector<double>& phi) {
  if (!(s_min > 0)) return;
  if (phi.size() != s.size()) throw std::invalid_argument("ramp_below_s_min: " + std::to_string(phi.size()) + " values for " +
                                                          std::to_string(s.size()) + " s nodes");
  // 003 step 6: φ below s_min replaced by the line from φ(0) = 0 to φ(s_min) (linear interpolation).
  size_t hi = 1;
  while (hi < s.size() && s[hi] < s_min) ++hi;
  if (hi >= s.size()) throw std::invalid_argument("ramp_below_s_min: s_min " + format_number(s_min) + " beyond the grid's end");
  const double t = (s_min - s[hi - 1]) / (s[hi] - s[hi - 1]);
  const double at_min = phi[hi - 1] + t * (phi[hi] - phi[hi - 1]);
  for (size_t i = 0; i < s.size() && s[i] < s_min; ++i) phi[i] = at_min * s[i] / s_min;
}

std::vector<double> measured_pdf_from_phi(const std::vector<double>& s, std::vector<double> phi, double s_min,
                                          const std::vector<double>& r, const Damping& d, double s_max) {
  ramp_below_s_min(s, s_min, phi);
  return sine_transform_s_to_r(s, phi, r, d, s_max);
}

PdfResult experimental_pdf(const PartialPdfs& p, const ScatteringFactors& sf, const PdfOptions& opt) {
  const auto bad = [](const std::string& what) { return std::invalid_argument("experimental_pdf: " + what); };
  if (!(opt.s_max > 0) || !std::isfinite(opt.s_max)) throw bad("s_max " + format_number(opt.s_max) + " must be positive");
  if (!(opt.ds > 0) || opt.ds >= opt.s_max) throw bad("ds " + format_number(opt.ds) + " must be in (0, s_max)");
  if (!(opt.s_min >= 0) || opt.s_min >= opt.s_max)
    throw bad("s_min " + format_number(opt.s_min) + " must be in [0, s_max = " + format_number(opt.s_max) + ")");
  if (!(opt.r_min >= 0) || !(opt.r_max > opt.r_min))
    throw bad("r range [" + format_number(opt.r_min) + ", " + format_number(opt.r_max) + "] is empty or negative");
  if (!(opt.dr > 0)) throw bad("dr " + format_number(opt.dr) + " must be positive");
  if (opt.damping.kind == Damping::Exp && !(opt.damping.b >= 0))
    throw bad("exp damping b " + format_number(opt.damping.b) + " must be >= 0");

  // Uniform grid 0..s_max with s_max a node: step s_max/n <= ds, n = ceil(s_max/ds).
  const size_t n_steps = static_cast<size_t>(std::ceil(opt.s_max / opt.ds - 1e-9));
  std::vector<double> s(n_steps + 1);
  for (size_t i = 0; i <= n_steps; ++i) s[i] = opt.s_max * static_cast<double>(i) / static_cast<double>(n_steps);

  PdfResult out;
  out.radiation = sf.radiation();
  out.factors_name = sf.name();
  out.s_max = opt.s_max;
  out.damping = opt.damping;
  out.scattering = total_scattering(p, sf, s, opt.r_window);
  out.pair_elements = out.scattering.pair_elements;
  out.r = uniform_grid(opt.r_min, opt.r_max, opt.dr);

  std::vector<std::vector<double>> phis;
  phis.reserve(p.pairs.size() + 1);
  phis.push_back(out.scattering.phi);
  for (const auto& v : out.scattering.phi_pair) phis.push_back(v);
  for (auto& v : phis) ramp_below_s_min(s, opt.s_min, v);
  auto g = sine_transform_s_to_r_batch(s, phis, out.r, opt.damping, opt.s_max);
  out.G = std::move(g[0]);
  out.G_pair.assign(std::make_move_iterator(g.begin() + 1), std::make_move_iterator(g.end()));
  return out;
}

std::vector<double> real_space_pdf(const PartialPdfs& p, const std::vector<double>& pair_weights) {
  check_partials(p, "real_space_pdf");
  check_pair_weights(p, pair_weights, "real_space_pdf");
  std::vector<double> G(p.r.size(), 0.0);
  for (size_t k = 0; k < p.pairs.size(); ++k)
    for (size_t j = 0; j < p.r.size(); ++j)
      G[j] += pair_weights[k] * 4 * kPi * p.r[j] * p.number_density * (p.g[k][j] - 1.0);
  return G;
}

}  // namespace sedpdf
