#include "sedpdf/validate/references.hpp"

#include <cmath>
#include <limits>
#include <memory>
#include <utility>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

PdfOptions xray_i15_1_pdf_options() {
  PdfOptions o;
  o.s_min = s_from_q(0.4);
  o.s_max = s_from_q(22.0);
  o.ds = 0.001;
  o.r_min = 0.5;
  o.r_max = 20;
  o.dr = 0.01;
  o.damping.kind = Damping::Lorch;
  o.r_window = true;
  return o;
}

PdfOptions epdf_003_pdf_options() {
  PdfOptions o;
  o.s_min = 0.18;
  o.s_max = 2.8;
  o.ds = 0.001;
  o.r_min = 0.5;
  o.r_max = 20;
  o.dr = 0.01;
  o.damping.kind = Damping::Exp;
  o.damping.b = 0.6;
  o.r_window = true;
  return o;
}

PhaseReference compute_phase_reference(const PartialPdfs& partials, const std::string& name,
                                       const ReferenceOptions& options) {
  const PdfOptions& x = options.xray;
  const PdfOptions& e = options.electron;
  if (x.r_min != e.r_min || x.r_max != e.r_max || x.dr != e.dr) {
    std::ostringstream m;
    m << "reference '" << name << "': X-ray r grid [" << x.r_min << ", " << x.r_max << "] step " << x.dr
      << " differs from the electron grid [" << e.r_min << ", " << e.r_max << "] step " << e.dr;
    throw std::invalid_argument(m.str());
  }
  PhaseReference ref;
  ref.name = name;
  ref.partials = partials;
  const auto xf = make_scattering_factors(Radiation::Xray);
  const auto ef = make_scattering_factors(Radiation::Electron, options.electron_table);
  ref.xray = experimental_pdf(partials, *xf, x);
  ref.electron = experimental_pdf(partials, *ef, e);
  if (options.xray_at_electron_resolution) ref.xray_matched = experimental_pdf(partials, *xf, e);
  return ref;
}

PhaseReference compute_phase_reference(const Structure& model, const std::string& name,
                                       const ReferenceOptions& options) {
  return compute_phase_reference(compute_partial_pdfs(model, options.partials), name, options);
}

PdfResult blend_pdf(const PdfResult& a, const PdfResult& b, double x, double s_min) {
  const auto bad = [](const std::string& what) { return std::invalid_argument("blend_pdf: " + what); };
  if (!(x >= 0 && x <= 1)) {
    std::ostringstream m;
    m << "atom fraction " << x << " must be in [0, 1]";
    throw bad(m.str());
  }
  const TotalScattering& A = a.scattering;
  const TotalScattering& B = b.scattering;
  if (a.radiation != b.radiation || a.factors_name != b.factors_name) throw bad("the two PDFs use different scattering factors");
  if (A.s.size() != B.s.size() || A.s.empty()) throw bad("the two PDFs have different s grids");
  for (std::size_t i = 0; i < A.s.size(); ++i)
    if (std::fabs(A.s[i] - B.s[i]) > 1e-12) throw bad("the two PDFs have different s grids");
  if (a.s_max != b.s_max || a.damping.kind != b.damping.kind || a.damping.b != b.damping.b ||
      a.damping.delta != b.damping.delta)
    throw bad("the two PDFs have different s_max or damping");
  if (a.r != b.r) throw bad("the two PDFs have different r grids");
  PdfResult out;
  out.radiation = a.radiation;
  out.factors_name = a.factors_name;
  out.r = a.r;
  out.s_max = a.s_max;
  out.damping = a.damping;
  TotalScattering& M = out.scattering;
  M.radiation = A.radiation;
  M.factors_name = A.factors_name;
  M.s = A.s;
  const std::size_t n = A.s.size();
  M.f_mean.resize(n);
  M.f2_mean.resize(n);
  M.phi.resize(n);
  M.S.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const double fa = A.f_mean[i], fb = B.f_mean[i];
    M.f_mean[i] = x * fa + (1 - x) * fb;
    M.f2_mean[i] = x * A.f2_mean[i] + (1 - x) * B.f2_mean[i];
    const double f2 = M.f_mean[i] * M.f_mean[i];
    M.phi[i] = (x * fa * fa * A.phi[i] + (1 - x) * fb * fb * B.phi[i]) / f2;
    M.S[i] = 1 + (x * fa * fa * (A.S[i] - 1) + (1 - x) * fb * fb * (B.S[i] - 1)) / f2;
  }
  out.G = measured_pdf_from_phi(M.s, M.phi, s_min, out.r, out.damping, out.s_max);
  return out;
}

namespace {
std::string pair_label(Element a, Element b) {
  if (b.z() < a.z()) std::swap(a, b);
  return a.symbol() + "-" + b.symbol();
}
}  // namespace

std::vector<PairWeight> pair_weight_table(const PartialPdfs& p, double s, ElectronTable electron_table) {
  const auto xf = make_scattering_factors(Radiation::Xray);
  const auto ef = make_scattering_factors(Radiation::Electron, electron_table);
  const std::vector<double> wx = faber_ziman_weights(p, *xf, s);
  const std::vector<double> we = faber_ziman_weights(p, *ef, s);
  std::vector<PairWeight> out;
  for (std::size_t k = 0; k < p.pairs.size(); ++k) {
    PairWeight w;
    w.a = p.elements[static_cast<std::size_t>(p.pairs[k].first)];
    w.b = p.elements[static_cast<std::size_t>(p.pairs[k].second)];
    w.pair = pair_label(w.a, w.b);
    w.xray = wx[k];
    w.electron = we[k];
    w.ratio = wx[k] != 0 ? we[k] / wx[k] : std::numeric_limits<double>::quiet_NaN();
    out.push_back(w);
  }
  return out;
}

PairDifferenceExplanation explain_xray_electron_difference(const PhaseReference& ref, Window window,
                                                           double electron_scale, bool matched_resolution) {
  if (matched_resolution && ref.xray_matched.r.empty())
    throw std::invalid_argument("pair explanation of '" + ref.name +
                                "': the X-ray PDF at the electron resolution was not computed");
  const PdfResult& X = matched_resolution ? ref.xray_matched : ref.xray;
  const PdfResult& E = ref.electron;
  if (X.r.size() != E.r.size() || X.G_pair.size() != E.G_pair.size() || X.G.size() != X.r.size() ||
      E.G.size() != E.r.size()) {
    std::ostringstream m;
    m << "pair explanation of '" << ref.name << "': X-ray has " << X.r.size() << " r points and "
      << X.G_pair.size() << " pairs, electron " << E.r.size() << " and " << E.G_pair.size();
    throw std::invalid_argument(m.str());
  }
  for (std::size_t j = 0; j < X.r.size(); ++j)
    if (std::abs(X.r[j] - E.r[j]) > 1e-9) throw std::invalid_argument("pair explanation: r grids differ");
  PairDifferenceExplanation out;
  out.window = window;
  out.electron_scale = electron_scale;
  out.r = X.r;
  const std::size_t n = X.r.size(), np = X.G_pair.size();
  out.difference.resize(n);
  for (std::size_t j = 0; j < n; ++j) out.difference[j] = X.G[j] - electron_scale * E.G[j];
  out.pair_difference.assign(np, std::vector<double>(n));
  for (std::size_t k = 0; k < np; ++k)
    for (std::size_t j = 0; j < n; ++j) out.pair_difference[k][j] = X.G_pair[k][j] - electron_scale * E.G_pair[k][j];
  double dd = 0;
  std::size_t cnt = 0;
  for (std::size_t j = 0; j < n; ++j)
    if (X.r[j] >= window.lo && X.r[j] <= window.hi) {
      dd += out.difference[j] * out.difference[j];
      ++cnt;
    }
  if (cnt == 0 || !(dd > 0)) {
    std::ostringstream m;
    m << "pair explanation of '" << ref.name << "': the difference is zero in [" << window.lo << ", " << window.hi
      << "] Å";
    throw std::invalid_argument(m.str());
  }
  out.rms_difference = std::sqrt(dd / static_cast<double>(cnt));
  const std::vector<PairWeight> w0 = pair_weight_table(ref.partials, 0.0);
  for (std::size_t k = 0; k < np; ++k) {
    PairDifferenceRow row;
    row.pair = pair_label(X.pair_elements[k].first, X.pair_elements[k].second);
    if (k < w0.size()) {
      row.weight_xray = w0[k].xray;
      row.weight_electron = w0[k].electron;
    }
    double sx = 0, se = 0, sd = 0, proj = 0;
    for (std::size_t j = 0; j < n; ++j) {
      if (!(X.r[j] >= window.lo && X.r[j] <= window.hi)) continue;
      const double gx = X.G_pair[k][j], ge = electron_scale * E.G_pair[k][j], d = out.pair_difference[k][j];
      sx += gx * gx;
      se += ge * ge;
      sd += d * d;
      proj += d * out.difference[j];
    }
    const double c = static_cast<double>(cnt);
    row.rms_xray = std::sqrt(sx / c);
    row.rms_electron = std::sqrt(se / c);
    row.rms_difference = std::sqrt(sd / c);
    row.share = proj / dd;
    out.rows.push_back(row);
  }
  return out;
}

}  // namespace sedpdf
