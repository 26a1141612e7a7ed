#include "sedpdf/validate/report_sections.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

namespace {
std::string fmt(double v, const char* f = "%.4g") {
  if (std::isnan(v)) return "nan";
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string damping_text(const Damping& d) {
  if (d.kind == Damping::Exp) return "exp(-" + fmt(d.b, "%.3g") + " s^2)";
  if (d.kind == Damping::ModifiedLorch) return d.delta > 0 ? "modified Lorch, delta " + fmt(d.delta, "%.3g") + " A" : "modified Lorch";
  return d.kind == Damping::Lorch ? "Lorch" : "none";
}
std::vector<Window> clip_windows(const std::vector<Window>& ws, const std::vector<double>& x) {
  std::vector<Window> out;
  for (Window w : ws) {
    w.lo = std::max(w.lo, x.front());
    w.hi = std::min(w.hi, x.back());
    if (w.hi > w.lo) out.push_back(w);
  }
  return out;
}
std::vector<double> scaled(const std::vector<double>& y, double k) {
  std::vector<double> o(y);
  for (double& v : o) v *= k;
  return o;
}
void score_rows(std::vector<std::vector<std::string>>& rows, const std::string& against,
                const std::vector<WindowScore>& sc) {
  for (const WindowScore& s : sc)
    rows.push_back({against, fmt(s.window.lo, "%.2f"), fmt(s.window.hi, "%.2f"), fmt(s.pearson), fmt(s.rw), fmt(s.rms)});
}
void peak_rows(std::vector<std::vector<std::string>>& rows, const PeakComparison& pc) {
  for (std::size_t i = 0; i < pc.reference_peaks.size(); ++i)
    rows.push_back({fmt(pc.reference_peaks[i].position, "%.3f"), fmt(pc.reference_peaks[i].height),
                    std::isnan(pc.offsets[i]) ? "unmatched" : fmt(pc.reference_peaks[i].position + pc.offsets[i], "%.3f"),
                    fmt(pc.offsets[i], "%+.3f")});
}
}  // namespace

std::string report_tag(const std::string& name) {
  std::string t;
  for (char c : name) t += std::isalnum(static_cast<unsigned char>(c)) ? c : '_';
  return t.empty() ? "x" : t;
}

std::vector<double> interpolate_linear(const std::vector<double>& x, const std::vector<double>& y,
                                       const std::vector<double>& xi) {
  if (x.size() != y.size() || x.size() < 2) throw std::invalid_argument("interpolation needs matching x, y of >= 2 points");
  std::vector<double> out(xi.size(), 0.0);
  for (std::size_t k = 0; k < xi.size(); ++k) {
    const double v = xi[k];
    if (v < x.front() || v > x.back()) continue;
    const auto it = std::upper_bound(x.begin(), x.end(), v);
    const std::size_t j = std::min<std::size_t>(static_cast<std::size_t>(it - x.begin()), x.size() - 1);
    const std::size_t i = j - 1;
    const double t = (v - x[i]) / (x[j] - x[i]);
    out[k] = y[i] + t * (y[j] - y[i]);
  }
  return out;
}

ReferenceSectionNumbers add_reference_section(ReportWriter& w, const PhaseReference& ref, Window window,
                                              Window first_shell) {
  ReferenceSectionNumbers n;
  const std::string tag = report_tag(ref.name);
  const PdfResult& X = ref.xray;
  const PdfResult& E = ref.electron;
  const Window fs = first_shell;
  n.electron_scale = first_peak_scale(X.r, E.G, X.G, fs);
  const std::vector<double> Ge = scaled(E.G, n.electron_scale);
  n.scores = window_scores(X.r, X.G, Ge, clip_windows({{1.5, 10.0}, {1.5, 5.0}, {5.0, 10.0}}, X.r));
  n.electron_vs_xray = compare_peak_positions(X.r, Ge, X.G, fs);
  const bool matched = !ref.xray_matched.r.empty();
  const double k_matched = matched ? first_peak_scale(X.r, E.G, ref.xray_matched.G, fs) : n.electron_scale;
  n.explanation = explain_xray_electron_difference(ref, window, k_matched, matched);

  w.section("References: " + ref.name);
  w.paragraph("X-ray PDF as Diamond I15-1 would measure it (IT92 factors, s_max " + fmt(X.s_max, "%.3f") +
              " 1/A = Q_max " + fmt(q_from_s(X.s_max), "%.1f") + " 1/A, damping " + damping_text(X.damping) +
              ") and the kinematic electron PDF of the 003 chain (" + E.factors_name + ", s_max " +
              fmt(E.s_max, "%.2f") + " 1/A, damping " + damping_text(E.damping) + "), both Faber-Ziman normalised. " +
              "The ePDF is scaled by " + fmt(n.electron_scale) + " to the height of the first X-ray peak, as in 003.");
  std::vector<Series> ov{{"X-ray", X.r, X.G, 0}, {"electron (scaled)", E.r, Ge, 0}};
  if (matched) ov.push_back({"X-ray at ePDF resolution (scaled)", X.r, scaled(ref.xray_matched.G, n.electron_scale / k_matched), 0});
  ov.push_back({"X-ray", X.scattering.s, X.scattering.phi, 1});
  ov.push_back({"electron", E.scattering.s, E.scattering.phi, 1});
  w.line_figure(tag + "_ref_overlay", "X-ray and electron reference PDFs of " + ref.name + " in r and s.",
                {{"G(r)", "r (Å)", "G(r) (Å⁻²)"}, {"φ(s)", "s (Å⁻¹)", "φ(s) (Å⁻¹)"}}, ov);

  const auto w0 = pair_weight_table(ref.partials, 0.0);
  const auto w1 = pair_weight_table(ref.partials, 1.0);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < w0.size(); ++k)
    rows.push_back({w0[k].pair, fmt(w0[k].xray), fmt(w0[k].electron), fmt(w0[k].ratio, "%.3f"), fmt(w1[k].xray),
                    fmt(w1[k].electron), fmt(w1[k].ratio, "%.3f")});
  w.table(tag + "_pair_weights",
          "Faber-Ziman pair weights w_ab = (2 - d_ab) c_a c_b f_a f_b / <f>^2 of " + ref.name + " at s = 0 and 1 1/A",
          {"pair", "w_xray(0)", "w_electron(0)", "ratio e/x (0)", "w_xray(1)", "w_electron(1)", "ratio e/x (1)"}, rows);

  rows.clear();
  std::vector<std::size_t> order(n.explanation.rows.size());
  for (std::size_t k = 0; k < order.size(); ++k) order[k] = k;
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return std::abs(n.explanation.rows[a].share) > std::abs(n.explanation.rows[b].share);
  });
  for (std::size_t k : order) {
    const auto& r = n.explanation.rows[k];
    rows.push_back({r.pair, fmt(r.share, "%.3f"), fmt(r.rms_difference), fmt(r.rms_xray), fmt(r.rms_electron)});
  }
  w.table(tag + "_pair_difference",
          std::string("Pair-by-pair explanation of D(r) = G_X - k G_e") +
              (matched ? " (X-ray at the ePDF resolution: the difference is due to the pair weights)" : "") + " over " +
              fmt(window.lo, "%.1f") + "-" +
              fmt(window.hi, "%.1f") + " A (k = " + fmt(n.electron_scale) + ", RMS of D " +
              fmt(n.explanation.rms_difference) + " 1/A^2); share = integral(D_ab D)/integral(D^2), summing to 1",
          {"pair", "share", "rms D_ab", "rms G_X,ab", "rms k G_e,ab"}, rows);
  std::vector<Series> ds{{"D = G_X − k G_e", n.explanation.r, n.explanation.difference, 0}};
  ds.front().label += matched ? " (same resolution)" : "";
  for (std::size_t i = 0; i < std::min<std::size_t>(4, order.size()); ++i)
    ds.push_back({n.explanation.rows[order[i]].pair, n.explanation.r, n.explanation.pair_difference[order[i]], 0});
  w.line_figure(tag + "_pair_difference", "X-ray minus scaled electron PDF of " + ref.name +
                                              " and the four pairs carrying most of it.",
                {{"", "r (Å)", "D(r) (Å⁻²)"}}, ds);

  rows.clear();
  peak_rows(rows, n.electron_vs_xray);
  w.table(tag + "_peaks_e_vs_x",
          "Peaks of the X-ray PDF of " + ref.name + " and the nearest peak of the scaled kinematic ePDF (first shell offset " +
              fmt(n.electron_vs_xray.first_shell_offset, "%+.3f") + " A)",
          {"r_xray (A)", "G_xray", "r_electron (A)", "offset (A)"}, rows);
  rows.clear();
  score_rows(rows, "X-ray", n.scores);
  w.table(tag + "_scores_e_vs_x", "Scaled kinematic ePDF vs X-ray PDF of " + ref.name,
          {"against", "r_lo (A)", "r_hi (A)", "Pearson", "Rw", "RMS (1/A^2)"}, rows);
  return n;
}

EpdfComparisonNumbers add_epdf_comparison(ReportWriter& w, const std::string& name, const std::vector<double>& r,
                                          const std::vector<double>& G, const PhaseReference& ref,
                                          const std::vector<Window>& windows, Window first_shell,
                                          const std::vector<double>& peak_sigma, const MeasuredPhi& phi,
                                          const EpdfPeakSigmas& epdf_sigmas) {
  if (r.size() != G.size()) throw std::invalid_argument("ePDF comparison '" + name + "': r and G differ in length");
  if (phi.s.size() != phi.phi.size() || (!phi.sigma.empty() && phi.sigma.size() != phi.s.size()))
    throw std::invalid_argument("ePDF comparison '" + name + "': s, phi and sigma of the measured phi(s) differ in length");
  EpdfComparisonNumbers n;
  const std::string tag = report_tag(name);
  const std::vector<double> gx = interpolate_linear(ref.xray.r, ref.xray.G, r);
  const std::vector<double> ge0 = interpolate_linear(ref.electron.r, ref.electron.G, r);
  const Window fs = first_shell;
  n.scale = first_peak_scale(r, G, gx, fs);
  const std::vector<double> g = scaled(G, n.scale);
  const std::vector<double> ge = scaled(ge0, first_peak_scale(r, ge0, gx, fs));
  const auto ws = clip_windows(windows, r);
  n.vs_xray = window_scores(r, gx, g, ws);
  n.vs_electron = window_scores(r, ge, g, ws);
  n.peaks_vs_xray = compare_peak_positions(r, g, gx, fs);

  w.section("ePDF vs references: " + name);
  w.paragraph(name + " scaled by " + fmt(n.scale) + " to the first X-ray peak of " + ref.name +
              " (003). First-shell offset " + fmt(n.peaks_vs_xray.first_shell_offset, "%+.3f") + " A (" +
              (n.peaks_vs_xray.first_shell_ok ? "within" : "outside") + " 0.05 A); of its " +
              std::to_string(n.peaks_vs_xray.peaks.size()) + " peaks to 8 A " +
              std::to_string(n.peaks_vs_xray.n_peaks_at_reference) + " lie within 0.1 A of an X-ray peak; " +
              std::to_string(n.peaks_vs_xray.n_matched) + " of the " +
              std::to_string(n.peaks_vs_xray.reference_peaks.size()) + " X-ray peaks to 8 A are found in it within 0.1 A.");
  std::vector<Series> ov{{"X-ray reference", r, gx, 0}, {"kinematic ePDF (scaled)", r, ge, 0}, {name + " (scaled)", r, g, 0}};
  std::vector<std::vector<std::string>> srows;
  if (!phi.s.empty()) {
    // The measured φ(s) against the references' φ(s) on its own grid, up to the chain's s_max (003 Fig. 2a–b).
    const double s_hi = ref.electron.s_max;
    const Curve measured = finite_part(Curve{phi.s, phi.phi, phi.sigma}, {phi.s_lo, s_hi});
    const std::vector<double>&s = measured.x, &y = measured.y, &sg = measured.sigma;
    if (s.size() < 2)
      throw std::invalid_argument("ePDF comparison '" + name + "': fewer than 2 finite phi(s) points in " + fmt(phi.s_lo, "%.3g") +
                                  "-" + fmt(s_hi, "%.3g") + " 1/A");
    const std::vector<double> kx = interpolate_linear(ref.xray.scattering.s, ref.xray.scattering.phi, s);
    const std::vector<double> ke = interpolate_linear(ref.electron.scattering.s, ref.electron.scattering.phi, s);
    const auto sw = clip_windows({{phi.s_lo, s_hi}, {phi.s_lo, 1.0}, {1.0, s_hi}}, s);
    n.phi_vs_xray = window_scores(s, kx, y, sw);
    n.phi_vs_electron = window_scores(s, ke, y, sw);
    for (std::size_t k = 0; k < sw.size(); ++k) {
      const double a = amplitude_ratio(s, y, ke, sw[k]);
      double chi = 0;
      std::size_t m = 0;
      for (std::size_t i = 0; i < s.size() && !sg.empty(); ++i)
        if (s[i] >= sw[k].lo && s[i] <= sw[k].hi && sg[i] > 0) {  // NaN σ: not counted
          const double d = (y[i] - a * ke[i]) / sg[i];
          chi += d * d;
          ++m;
        }
      n.phi_amplitude.push_back(a);
      n.phi_chi2.push_back(m > 0 ? chi / static_cast<double>(m) : std::nan(""));
      srows.push_back({"kinematic ePDF", fmt(sw[k].lo, "%.2f"), fmt(sw[k].hi, "%.2f"), fmt(n.phi_vs_electron[k].pearson),
                       fmt(n.phi_vs_electron[k].rw), fmt(n.phi_vs_electron[k].rms), fmt(a, "%.3f"), fmt(n.phi_chi2.back(), "%.3g")});
    }
    for (const WindowScore& sc : n.phi_vs_xray)
      srows.push_back({"X-ray", fmt(sc.window.lo, "%.2f"), fmt(sc.window.hi, "%.2f"), fmt(sc.pearson), fmt(sc.rw), fmt(sc.rms), "", ""});
    std::vector<double> xs, xp;
    for (std::size_t i = 0; i < ref.xray.scattering.s.size() && ref.xray.scattering.s[i] <= s_hi; ++i) {
      xs.push_back(ref.xray.scattering.s[i]);
      xp.push_back(ref.xray.scattering.phi[i]);
    }
    ov.push_back({"X-ray reference", xs, xp, 1});
    ov.push_back({"kinematic ePDF", ref.electron.scattering.s, ref.electron.scattering.phi, 1});
    ov.push_back({name, s, y, 1});
  }
  std::vector<PanelAxes> axes{{phi.s.empty() ? "" : "G(r)", "r (Å)", "G(r) (Å⁻²)"}};
  if (!phi.s.empty()) axes.push_back({"φ(s), unscaled", "s (Å⁻¹)", "φ(s) (Å⁻¹)"});
  w.line_figure(tag + "_overlay", name + " against the X-ray and kinematic electron references of " + ref.name +
                                      (phi.s.empty() ? "." : " in r and s."),
                axes, ov);
  std::vector<std::vector<std::string>> rows;
  score_rows(rows, "X-ray", n.vs_xray);
  score_rows(rows, "kinematic ePDF", n.vs_electron);
  w.table(tag + "_scores", name + ": agreement per r window",
          {"against", "r_lo (A)", "r_hi (A)", "Pearson", "Rw", "RMS (1/A^2)"}, rows);
  if (!srows.empty())
    w.table(tag + "_scores_s",
            name + ": its reduced intensity phi(s) (after the polynomial correction, before damping) against the "
                   "references' per s window, unscaled (all Faber-Ziman per atom). a: least-squares amplitude of the "
                   "measured phi on the kinematic one (below 1: oscillations weakened by plural and inelastic "
                   "scattering, 003); chi2: mean squared residual of phi - a phi_kin in units of the counting sigma "
                   "(above 1: speckle of the finite illuminated volume and systematic differences)",
            {"against", "s_lo (1/A)", "s_hi (1/A)", "Pearson", "Rw", "RMS (1/A)", "a", "chi2"}, srows);
  rows.clear();
  peak_rows(rows, n.peaks_vs_xray);
  std::vector<std::string> head{"r_xray (A)", "G_xray", "r_epdf (A)", "offset (A)"};
  if (peak_sigma.size() == rows.size()) {
    head.push_back("sigma (A)");
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].push_back(fmt(peak_sigma[i], "%.3f"));
  }
  w.table(tag + "_peaks", name + ": peak positions against the X-ray reference" +
                              (peak_sigma.size() == rows.size() ? " (sigma: 1σ of the ePDF peak position from the counting noise, "
                                                                  "propagated through the chain)" : ""),
          head, rows);
  // The same pairing from the measured ePDF's side: where its own peaks lie (the acceptance's wording).
  rows.clear();
  const PeakComparison& pc = n.peaks_vs_xray;
  const bool with_counting = epdf_sigmas.counting.size() == pc.peaks.size() && !pc.peaks.empty();
  const bool with_jackknife = epdf_sigmas.jackknife.size() == pc.peaks.size() && !pc.peaks.empty();
  for (std::size_t j = 0; j < pc.peaks.size(); ++j) {
    const double d = pc.peak_offsets[j];
    rows.push_back({fmt(pc.peaks[j].position, "%.3f"), fmt(pc.peaks[j].height),
                    std::isnan(d) ? "none within 0.2 A" : fmt(pc.peaks[j].position - d, "%.3f"), fmt(d, "%+.3f")});
    if (with_counting) rows.back().push_back(fmt(epdf_sigmas.counting[j], "%.3f"));
    if (with_jackknife) rows.back().push_back(fmt(epdf_sigmas.jackknife[j], "%.3f"));
  }
  std::vector<std::string> ehead{"r_epdf (A)", "G_epdf (scaled)", "nearest X-ray peak (A)", "offset (A)"};
  if (with_counting) ehead.push_back("sigma counting (A)");
  if (with_jackknife) ehead.push_back("sigma jackknife (A)");
  w.table(tag + "_epdf_peaks",
          name + ": its own peaks to 8 A and the nearest X-ray peak (within 0.2 A)" +
              (with_counting ? "; sigma counting: 1σ of the position from the counting noise, propagated through the chain" : "") +
              (with_jackknife ? "; sigma jackknife: 1σ from a delete-one-group jackknife over 8 interleaved groups of the "
                                "positions averaged (counting noise, speckle of each position's illuminated volume and the "
                                "thickness mix together)"
                              : ""),
          ehead, rows);
  return n;
}

void add_unmixing_section(ReportWriter& w, const UnmixingInput& in, const UnmixingVerdict& v,
                          const UnmixingCriteria& c, const std::vector<double>& pca_variances, int n_significant) {
  w.section("Unmixing");
  w.paragraph(v.summary);
  if (!pca_variances.empty())
    w.scree_figure("unmixing_scree", "PCA scree plot; components above the noise floor: " +
                                         std::to_string(n_significant) + ".",
                   pca_variances, n_significant);
  std::vector<Series> cs;
  for (std::size_t p = 0; p < in.references.size(); ++p) {
    cs.push_back({in.phase_names[p] + " reference", in.r, in.references[p], 0});
    const int k = v.component_of_phase[p];
    if (k < 0) continue;
    // least-squares scale of the sign-corrected component onto the reference
    const auto& comp = in.components[static_cast<std::size_t>(k)];
    double num = 0, den = 0;
    for (std::size_t i = 0; i < comp.size(); ++i) {
      num += comp[i] * in.references[p][i];
      den += comp[i] * comp[i];
    }
    cs.push_back({"component " + std::to_string(k + 1) + " (scaled)", in.r, scaled(comp, den > 0 ? num / den : 1.0), 0});
  }
  w.line_figure("unmixing_components", "Unmixed components (sign-corrected, least-squares scaled) beside the references they match.",
                {{"", "r (Å)", "G(r)"}}, cs);
  std::vector<ImagePanel> panels;
  std::vector<double> truth(in.truth.labels.begin(), in.truth.labels.end());
  panels.push_back({"ground truth", in.truth.nx, in.truth.ny, truth, in.truth.step, true, "viridis"});
  std::vector<double> pred(v.predicted.labels.begin(), v.predicted.labels.end());
  panels.push_back({"classified", in.truth.nx, in.truth.ny, pred, in.truth.step, true, "viridis"});
  for (std::size_t k = 0; k < in.loadings.size(); ++k) {
    const int p = v.match.reference_of_component[k];
    panels.push_back({"loading " + std::to_string(k + 1) + (p >= 0 ? " (" + in.phase_names[static_cast<std::size_t>(p)] + ")" : ""),
                      in.truth.nx, in.truth.ny, scaled(in.loadings[k], v.match.sign[k]), in.truth.step, false, "viridis"});
  }
  w.image_figure("unmixing_maps", "Ground-truth phase map, the classification from the loadings (k-means on the loading "
                                  "vectors, clusters matched to phases by their mean spectra), and the sign-corrected loading maps.",
                 panels);
  std::vector<std::vector<std::string>> rows;
  for (std::size_t p = 0; p < in.references.size(); ++p)
    rows.push_back({in.phase_names[p], std::to_string(v.component_of_phase[p] + 1), fmt(v.phase_pearson[p], "%.4f"),
                    p < v.classification.per_phase_accuracy.size() ? fmt(v.classification.per_phase_accuracy[p], "%.4f") : "nan",
                    p < v.map_truth_correlation.size() ? fmt(v.map_truth_correlation[p], "%.4f") : "nan",
                    p < v.subspace_pearson.size() ? fmt(v.subspace_pearson[p], "%.4f") : "nan"});
  w.table("unmixing_phases", "Matched components per phase (Pearson over " + fmt(c.window.lo, "%.1f") + "-" +
                                 fmt(c.window.hi, "%.1f") + " A; accuracy outside " + fmt(c.exclusion_distance, "%.0f") +
                                 " A of an interface; subspace ceiling: the best Pearson any linear combination of the " +
                                 std::to_string(in.components.size()) +
                                 " components reaches, i.e. what no rotation of the same PCA subspace can beat)",
          {"phase", "component", "Pearson", "accuracy", "loading-truth map r", "subspace ceiling"}, rows);
  if (v.reference_pearson.size() == in.references.size() * in.references.size() && in.references.size() > 1) {
    std::vector<std::vector<std::string>> rr;
    for (std::size_t p = 0; p < in.references.size(); ++p) {
      std::vector<std::string> row{in.phase_names[p]};
      for (std::size_t q = 0; q < in.references.size(); ++q)
        row.push_back(fmt(v.reference_pearson[p * in.references.size() + q], "%.4f"));
      rr.push_back(std::move(row));
    }
    std::vector<std::string> head{"reference"};
    for (const std::string& n : in.phase_names) head.push_back(n);
    w.table("reference_correlation", "Pearson between the reference ePDFs over the same window (ICA returns uncorrelated "
                                     "sources: strongly correlated references cannot all be matched)",
            head, rr);
  }
  w.table("unmixing_verdict", "Unmixing criterion (docs/validation.md)",
          {"success", "spectra_ok", "maps_ok", "accuracy", "accuracy_largest_loading", "pixels_scored", "excluded_interface",
           "excluded_no_phase", "min_pearson", "min_accuracy", "exclusion_A"},
          std::vector<std::vector<std::string>>{{v.success ? "yes" : "no", v.spectra_ok ? "yes" : "no",
                                                 v.maps_ok ? "yes" : "no", fmt(v.classification.accuracy, "%.4f"),
                                                 fmt(v.classification_largest.accuracy, "%.4f"),
                                                 std::to_string(v.classification.n_scored),
                                                 std::to_string(v.classification.n_excluded_interface),
                                                 std::to_string(v.classification.n_excluded_no_phase),
                                                 fmt(c.min_pearson), fmt(c.min_accuracy), fmt(c.exclusion_distance)}});
}

void add_ica_solutions_section(ReportWriter& w, const std::vector<IcaStationaryPoint>& data,
                               const std::vector<IcaStationaryPoint>& data_scan, const ReferenceIcaLimit& lim,
                               const std::vector<IcaStationaryPoint>& reference_scan,
                               const std::vector<std::string>& phase_names, Window window, const std::string& note) {
  if (lim.k == 0 || lim.pearson.size() != phase_names.size()) {
    w.paragraph("ICA of the reference ePDFs themselves: " + note + ".");
    return;
  }
  const std::string win = fmt(window.lo, "%.1f") + "-" + fmt(window.hi, "%.1f") + " A";
  auto pearsons = [&](const std::vector<double>& v) {
    std::string t;
    for (std::size_t p = 0; p < phase_names.size() && p < v.size(); ++p)
      t += std::string(p ? ", " : "") + phase_names[p] + " " + fmt(v[p], "%.3f");
    return t;
  };
  auto preferred = [](const std::vector<IcaStationaryPoint>& v) -> const IcaStationaryPoint* {
    for (const IcaStationaryPoint& q : v)
      if (q.preferred) return &q;
    return nullptr;
  };
  std::string par = "Which rotation ICA returns. ICA of the reference ePDFs themselves (noise-free, their exact span, the "
                    "same r grid, contrast, algorithm and seed as the study's ICA) returns " + pearsons(lim.pearson) +
                    " (Pearson over " + win + ").";
  if (!lim.stationary.empty()) {
    par += " With two components every rotation FastICA can converge to is a stationary point of its contrast over the "
           "rotation angle (docs/validation.md); on the references there are " + std::to_string(lim.stationary.size()) +
           ", the best reaching " + fmt(lim.best_smallest, "%.3f") + " for the worse-matched phase";
    if (const IcaStationaryPoint* q = preferred(lim.stationary))
      par += ", and ICA's own objective (the largest negentropy approximation) prefers the one with " + pearsons(q->pearson);
    par += ". References correlated " + fmt(lim.reference_correlation, "%.3f") + " over the grid allow two uncorrelated "
           "outputs at most " + fmt(lim.uncorrelated_cap, "%.3f") + " each.";
    if (!data.empty()) {
      par += " On the data's own span there are " + std::to_string(data.size()) + " solutions";
      if (const IcaStationaryPoint* q = preferred(data)) par += "; ICA's objective prefers " + pearsons(q->pearson);
      double best = -1;
      const IcaStationaryPoint* b = nullptr;
      for (const IcaStationaryPoint& q : data)
        if (!q.preferred && std::isfinite(q.smallest) && q.smallest > best) {
          best = q.smallest;
          b = &q;
        }
      if (b) par += "; the best of the others gives " + pearsons(b->pearson);
      par += ".";
    }
  } else {
    par += " Best of " + std::to_string(lim.starts) + " starts: smallest Pearson " + fmt(lim.best_smallest, "%.3f") + ".";
  }
  w.paragraph(par);
  // The landscape: ICA's objective (scaled to its largest value on the scan) and each phase's Pearson against
  // the rotation angle, one panel per span, ICA's choice marked by a vertical line.
  std::vector<PanelAxes> axes;
  std::vector<Series> series;
  auto panel = [&](const std::string& title, const std::vector<IcaStationaryPoint>& scan, const std::vector<IcaStationaryPoint>& pts) {
    if (scan.empty()) return;
    const int pi = static_cast<int>(axes.size());
    axes.push_back({title, "rotation of the whitened span (deg)", "J / J_max, Pearson"});
    std::vector<double> th, J;
    double jmax = 0;
    for (const IcaStationaryPoint& q : scan) jmax = std::max(jmax, q.negentropy);
    for (const IcaStationaryPoint& q : scan) {
      th.push_back(q.angle_rad * 180 / kPi);
      J.push_back(jmax > 0 ? q.negentropy / jmax : 0.0);
    }
    series.push_back({"ICA objective J / J_max", th, J, pi});
    for (std::size_t p = 0; p < phase_names.size(); ++p) {
      std::vector<double> y;
      for (const IcaStationaryPoint& q : scan) y.push_back(p < q.pearson.size() ? q.pearson[p] : std::nan(""));
      series.push_back({phase_names[p] + " Pearson", th, y, pi});
    }
    for (const IcaStationaryPoint& q : pts)
      if (q.preferred) {
        const double t = q.angle_rad * 180 / kPi;
        series.push_back({"ICA's choice", {t, t}, {0.0, 1.0}, pi});
      }
  };
  panel("data (the PCA span)", data_scan, data);
  panel("reference ePDFs themselves", reference_scan, lim.stationary);
  if (!axes.empty())
    w.line_figure("ica_rotation", "ICA's objective (negentropy approximation, scaled to its maximum) and the Pearson of each "
                                  "phase's matched output over " + win + " at every rotation of the span (ICA can only return "
                                  "the stationary points of its contrast, tabulated below); the vertical line is the "
                                  "rotation ICA's objective chooses.",
                  axes, series);
  if (lim.stationary.empty() && data.empty()) return;
  std::vector<std::vector<std::string>> rows;
  auto add = [&](const std::string& what, const std::vector<IcaStationaryPoint>& pts) {
    for (const IcaStationaryPoint& sp : pts) {
      std::vector<std::string> row{what, fmt(sp.angle_rad * 180 / kPi, "%.2f"), sp.maximum ? "maximum" : "minimum",
                                   fmt(sp.contrast, "%.6g"), fmt(sp.negentropy, "%.4g"), sp.preferred ? "yes" : "no"};
      for (double x : sp.pearson) row.push_back(fmt(x, "%.4f"));
      row.push_back(fmt(sp.smallest, "%.4f"));
      rows.push_back(std::move(row));
    }
  };
  add("data", data);
  add("references", lim.stationary);
  std::vector<std::string> head{"span", "rotation (deg)", "kind", "contrast", "negentropy", "ICA's choice"};
  for (const std::string& n : phase_names) head.push_back(n + " Pearson");
  head.push_back("smallest");
  w.table("ica_solutions", "Every rotation FastICA can converge to, on the data's span and on the references' (Pearson over " +
                               win + "; rotation angles are relative to each span's own whitening)",
          head, rows);
}

void add_observations_section(ReportWriter& w, const std::vector<ObservationCheck>& checks) {
  w.section("003's observations on this simulation");
  std::size_t yes_d = 0, n_d = 0, yes_m = 0, n_m = 0;
  for (const ObservationCheck& c : checks) {
    if (c.data_status != ObservationStatus::NotMeasured) ++n_d;
    if (c.data_status == ObservationStatus::Reproduced) ++yes_d;
    if (c.models_status != ObservationStatus::NotMeasured) ++n_m;
    if (c.models_status == ObservationStatus::Reproduced) ++yes_m;
  }
  w.paragraph("What 003 reports seeing in its measured data (area-averaged ePDFs against the X-ray PDFs, its Fig. 2; "
              "the ICA-ePDFs, Fig. 3; the ePDF vs thickness), each turned into a measurement with the tolerance stated "
              "beside it and made on the phase models (the X-ray reference against the noise-free kinematic ePDF) and on "
              "the simulated experiment (against the simulated area average, its ICA component, its thickness bands). "
              "The simulated data reproduce " + std::to_string(yes_d) + " of " + std::to_string(n_d) +
              " statements, the phase models " + std::to_string(yes_m) + " of " + std::to_string(n_m) +
              ". A statement the models miss points at the structure models (or at 003's reading of its figure: its "
              "values are read off plots); one the models show and the data miss points at the experiment or the chain. "
              "These are not acceptance items. docs/validation.md.");
  std::vector<std::vector<std::string>> rows;
  for (const ObservationCheck& c : checks)
    rows.push_back({c.phase, c.source + ": " + c.label, c.statement, c.criterion, c.models, observation_status_name(c.models_status), c.data,
                    observation_status_name(c.data_status)});
  w.table("observations_003", "003's statements about its data, measured on the models and on the simulated data",
          {"phase", "003", "003 reports", "measured here as", "phase models", "models", "simulated data", "data"}, rows);
}


void add_differential_section(ReportWriter& w, const ZniStudy& st) {
  w.section("Differential method (000) and the ZIF-zni detection limit");
  w.paragraph(st.notes);
  std::vector<Series> ss;
  for (const auto& p : st.references) ss.push_back({p.name, st.q, p.S, 0});
  ss.push_back({st.crystal.name, st.q, st.crystal.S, 0});
  ss.push_back({"non-interacting mixture", st.q, st.S_mix, 0});
  for (std::size_t i = 0; i < st.references.size(); ++i)
    ss.push_back({"w(Q) " + st.references[i].name, st.q, st.weights[i], 1});
  w.line_figure("differential_sq", "X-ray S(Q) of the phases, of the ZIF-zni crystallite and of their non-interacting mixture; the weights w_i(Q).",
                {{"S(Q)", "Q (Å⁻¹)", "S(Q)"}, {"weights", "Q (Å⁻¹)", "w_i(Q)"}}, ss);
  std::vector<Series> ds;
  std::vector<double> qz, idx;
  for (std::size_t j = 0; j < st.q.size(); ++j)
    if (st.q[j] >= 0.5 && st.q[j] <= 2.5) idx.push_back(static_cast<double>(j));
  for (double j : idx) qz.push_back(st.q[static_cast<std::size_t>(j)]);
  for (std::size_t k = 0; k < st.S_diff.size(); ++k) {
    std::vector<double> y;
    for (double j : idx) y.push_back(st.S_diff[k][static_cast<std::size_t>(j)]);
    ds.push_back({"f = " + fmt(st.example_fractions[k], "%.3g"), qz, y, 0});
  }
  w.line_figure("differential_sdiff", "S_diff(Q) for crystalline fractions f of the ZIF near the {400}/{112} reflections.",
                {{"", "Q (Å⁻¹)", "S_diff(Q)"}}, ds);
  std::vector<std::vector<std::string>> rows;
  for (const auto& r : st.detection.reflections)
    rows.push_back({r.hkl, fmt(r.q, "%.4f"), fmt(r.q_peak, "%.4f"), fmt(r.amplitude_per_fraction), fmt(r.noise),
                    fmt(r.min_fraction, "%.4g")});
  w.table("differential_detection", "Detection limit of crystalline ZIF-zni (mass fraction of the ZIF) by its Bragg peaks in S_diff",
          {"hkl", "Q_hkl (1/A)", "Q_peak (1/A)", "amplitude at f = 1", "noise sigma", "f_min"}, rows);
}

}  // namespace sedpdf
