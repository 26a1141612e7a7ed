// The study's answers in words (answers.hpp): rules and thresholds documented there.
#include "sedpdf/validate/answers.hpp"

#include "sedpdf/validate/study.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

namespace sedpdf {
namespace {

/// `v` printed with the printf format `f` (one double), "n/a" when not finite.
std::string num(const char* f, double v) {
  if (!std::isfinite(v)) return "n/a";
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}
std::string f3(double v) { return num("%.3f", v); }
std::string f3s(double v) { return num("%+.3f", v); }  // signed
std::string pct(double v) { return num("%.0f %%", 100 * v); }
std::string nm(double angstrom) { return num("%.0f nm", angstrom / 10); }
std::string g(double v) { return num("%g", v); }
std::string count(const PeakComparison& p) {  // reference peaks found in the curve
  return std::to_string(p.n_matched) + "/" + std::to_string(p.reference_peaks.size());
}
std::string count_own(const PeakComparison& p) {  // the curve's peaks at a reference peak
  return std::to_string(p.n_peaks_at_reference) + "/" + std::to_string(p.peaks.size());
}
std::string join_words(const std::vector<std::string>& w) {  // "a", "a and b", "a, b and c"
  std::string s;
  for (std::size_t i = 0; i < w.size(); ++i) s += (i == 0 ? "" : i + 1 == w.size() ? " and " : ", ") + w[i];
  return s;
}
bool all_at_least(const std::vector<double>& v, std::size_t n, double t) {
  if (v.size() != n || n == 0) return false;
  for (double x : v)
    if (!(x >= t)) return false;
  return true;
}
std::string per_phase(const std::vector<double>& v, const std::vector<std::string>& names) {
  std::string s;
  for (std::size_t p = 0; p < names.size(); ++p)
    s += (p ? ", " : "") + names[p] + " " + (p < v.size() ? f3(v[p]) : std::string("n/a"));
  return s;
}

StudyAnswer epdf_answer(const PhaseStudy& ph, const UnmixingCriteria& c) {
  StudyAnswer a;
  a.question = "Does the area-averaged ePDF of " + ph.name + " reproduce the phase's own electron PDF?";
  const bool shape = ph.pearson_area_vs_kinematic >= c.min_pearson;
  // Same resolution: every peak of the kinematic ePDF found, and no peak of the area average elsewhere.
  const bool peaks = ph.peaks_vs_kinematic.reference_found() && ph.peaks_vs_kinematic.peaks_at_reference();
  const bool scaled = std::isfinite(ph.phi_amplitude) && ph.phi_amplitude >= 0.8;
  std::vector<std::string> good, bad;
  (shape ? good : bad).push_back("shape");
  (peaks ? good : bad).push_back(peaks ? "peak positions" : "every peak position");
  (scaled ? good : bad).push_back("scale");
  a.positive = bad.empty();
  if (bad.empty()) a.answer = "yes";
  else if (good.empty()) a.answer = "no";
  else a.answer = "in " + join_words(good) + "; not in " + join_words(bad);
  a.evidence = "Against the noise-free kinematic ePDF at the same s range and damping (" + std::to_string(ph.positions) +
               " positions): Pearson " + f3(ph.pearson_area_vs_kinematic) + " over " + g(c.window.lo) + "–" + g(c.window.hi) + " Å; its peaks to 8 Å found within 0.1 Å: " +
               count(ph.peaks_vs_kinematic) + " (largest offset " + f3(ph.peaks_vs_kinematic.max_abs_offset) +
               " Å), the area average's at one of its peaks: " + count_own(ph.peaks_vs_kinematic) + ". Unscaled, the measured φ(s) is " + f3(ph.phi_amplitude) + " × the kinematic φ(s)";
  if (std::isfinite(ph.phi_amplitude) && ph.phi_amplitude < 0.8)
    a.evidence += ph.plural_events >= 0
                      ? " even after the plural-scattering deconvolution (inelastic scattering and the film remain)"
                      : ": plural and inelastic scattering weaken the oscillations; comparisons scaled to the first peak, "
                        "as 003's, do not see this";
  a.evidence += ".";
  return a;
}

StudyAnswer xray_answer(const PhaseStudy& ph) {
  StudyAnswer a;
  a.question = "Does the area-averaged ePDF of " + ph.name + " agree with the X-ray PDF (003's comparison)?";
  const PeakComparison& x = ph.peaks_vs_xray;
  const PeakComparison& k = ph.kinematic_vs_xray;
  // The ePDF's peaks at the X-ray's positions (the acceptance as worded); X-ray peaks finer than the ePDF's
  // resolution are reported, not required.
  const bool ok = x.first_shell_ok && x.peaks_at_reference();
  const bool kin_ok = k.first_shell_ok && k.peaks_at_reference();
  a.positive = ok;
  const std::string what = ok ? "yes"
                           : x.first_shell_ok         ? "in the first shell; not in every peak to 8 Å"
                           : x.peaks_at_reference()   ? "in the peaks to 8 Å; not in the first shell"
                                                      : "no";
  if (ok) a.answer = what;
  else if (!kin_ok) a.answer = what + " — nor would perfect electron data";
  else a.answer = what + " — the experiment's doing: perfect electron data would agree";
  const double sj = ph.first_shell_sigma_jackknife_A;  // realisation σ (jackknife over the positions)
  a.evidence = "First shell " + f3s(x.first_shell_offset) + (std::isfinite(sj) ? " ± " + f3(sj) + " (1σ, jackknife)" : "") +
               " Å from the X-ray PDF's (limit ±0.05 Å); the ePDF's peaks to 8 Å " +
               "within 0.1 Å of an X-ray peak: " + count_own(x) + "; the X-ray PDF's peaks to 8 Å found in the ePDF: " + count(x) +
               ". The noise-free kinematic ePDF itself: first shell " + f3s(k.first_shell_offset) + " Å, its peaks at an X-ray peak " +
               count_own(k) + ", X-ray peaks found " + count(k) + ".";
  const PeakComparison& m = ph.peaks_vs_xray_matched;
  if ((!x.peaks_at_reference() || !x.reference_found()) && !m.reference_peaks.empty()) {
    a.evidence += " The X-ray PDF at the ePDF's s range and damping has " + std::to_string(m.reference_peaks.size()) +
                  " peaks to 8 Å; the ePDF's at one of them: " + count_own(m) + ", of them found: " + count(m) + ": ";
    a.evidence += m.peaks_at_reference() && m.reference_found()
                      ? "the differences are resolution alone (X-ray peaks finer than the ePDF's s range resolves)."
                      : "the differences left are the electron vs X-ray weighting of the atom pairs.";
  }
  if (!ok && !kin_ok)
    a.evidence += " Perfect electron data miss them too: the causes are present before any experiment (the pair-by-pair "
                  "differences in the References section).";
  if (std::isfinite(sj) && sj > 0 && std::fabs(std::fabs(x.first_shell_offset) - 0.05) < 2 * sj)
    a.evidence += " The first shell lies within 2σ of the ±0.05 Å limit: another realisation of the same experiment may "
                  "fall on the other side of it.";
  return a;
}

}  // namespace

std::vector<StudyAnswer> study_answers(const DatasetStudy& d, const std::vector<std::string>& phase_names,
                                       const UnmixingCriteria& c) {
  std::vector<StudyAnswer> out;
  const std::size_t np = phase_names.size();
  for (const PhaseStudy& ph : d.phases)
    if (!ph.r.empty()) out.push_back(epdf_answer(ph, c));
  for (const PhaseStudy& ph : d.phases)
    if (!ph.r.empty()) out.push_back(xray_answer(ph));

  {
    StudyAnswer a;
    a.question = "Did PCA find one component per phase?";
    a.positive = d.pca_components == static_cast<int>(np);
    a.answer = a.positive ? "yes" : "no";
    a.evidence = std::to_string(d.pca_components) + " significant components for " + std::to_string(np) +
                 " phases (automatic count; the criteria behind it in the acceptance table).";
    out.push_back(a);
  }

  {
    const UnmixingVerdict& v = d.verdict;
    StudyAnswer a;
    a.question = "Did ICA recover the phases' ePDFs?";
    a.evidence = "Pearson of each phase's matched ICA component with its kinematic ePDF over " + g(c.window.lo) +
                 "–" + g(c.window.hi) + " Å (needs " + g(c.min_pearson) +
                 "): " + per_phase(v.phase_pearson, phase_names) + ". Best any rotation of the same PCA components reaches: " +
                 per_phase(v.subspace_pearson, phase_names) + ".";
    if (v.spectra_ok) {
      a.answer = "yes";
      a.positive = true;
    } else if (!all_at_least(v.subspace_pearson, np, c.min_pearson)) {
      a.answer = "no: the data do not hold them";
      a.evidence += " No rotation of the data's components reaches the threshold for every phase: the noise, the "
                    "thickness effects or mixed pixels, not the unmixing algorithm, limit the component ePDFs.";
    } else {
      const ReferenceIcaLimit& L = d.ica_reference;
      const bool refs_known = L.k == np && np >= 2;
      const bool refs_fail = refs_known && !(L.preferred_smallest >= c.min_pearson);
      a.answer = refs_fail ? "no: a limit of ICA for these phases, not of the data" : "no: ICA's rotation, not the data";
      a.evidence += " The data hold every phase's ePDF; ICA picks another rotation.";
      if (refs_known)
        a.evidence += " The same ICA on the noise-free reference ePDFs themselves (at the chain's s range and damping, on "
                      "which ICA's choice depends: sedpdf ica-limit) returns smallest Pearson " +
                      f3(L.preferred_smallest) + (refs_fail ? " (perfect data fail too; the best of its solutions, which its "
                                                              "objective does not choose, reaches " + f3(L.best_smallest) + ")"
                                                            : " (perfect data would pass)") + ".";
      if (refs_fail && !d.ica_reference_vs_damping.empty()) {
        std::string pass;
        for (const DatasetStudy::DampingIcaLimit& q : d.ica_reference_vs_damping)
          if (q.choice >= c.min_pearson) pass += (pass.empty() ? "" : ", ") + g(q.b) + " Å² (" + f3(q.choice) + ")";
        a.evidence += pass.empty() ? " It fails at every per-pixel damping tried (b = " + g(d.ica_reference_vs_damping.front().b) +
                                         "–" + g(d.ica_reference_vs_damping.back().b) + " Å²)."
                                   : " On perfect data it would pass with the per-pixel damping b = " + pass +
                                         " — noise-free only: less damping leaves single pixels noisier (docs/study.md, \"The "
                                         "per-pixel damping\").";
      }
      if (v.reference_pearson.size() == 4 && np == 2)
        a.evidence += " The two references correlate " + f3(v.reference_pearson[1]) +
                      " over the window; ICA's outputs are uncorrelated by construction.";
      if (d.vca_pearson.size() == np)
        a.evidence += std::string(" Pure-pixel unmixing (VCA) of the same cube: ") + per_phase(d.vca_pearson, phase_names) +
                      (all_at_least(d.vca_pearson, np, c.min_pearson) ? " — it recovers them." : ".");
    }
    out.push_back(a);
  }

  {
    const UnmixingVerdict& v = d.verdict;
    StudyAnswer a;
    a.question = "Are the phase maps right?";
    const bool incl = !d.inclusion.present || d.inclusion.found;
    a.positive = v.maps_ok && incl;
    a.answer = a.positive ? "yes" : (v.maps_ok ? "yes, but the inclusion is missed" : "no");
    a.evidence = pct(v.classification.accuracy) + " of " + std::to_string(v.classification.n_scored) +
                 " pixels more than one probe diameter from an interface classified correctly (needs " + pct(c.min_accuracy) + ")";
    if (d.inclusion.present)
      a.evidence += "; the " + d.inclusion.phase_name + " inclusion " + (d.inclusion.found ? "found" : "not found") + " (" +
                    std::to_string(d.inclusion.pixels_inside_correct) + "/" + std::to_string(d.inclusion.pixels_inside) +
                    " pixels inside, " + std::to_string(d.inclusion.ring_correct) + "/" + std::to_string(d.inclusion.ring_pixels) +
                    " around it)";
    a.evidence += ". The maps need the phases to differ, not ICA's components to be right.";
    out.push_back(a);
  }

  for (const PhaseStudy& ph : d.phases) {
    if (ph.bands.size() < 2) continue;
    const ThicknessBand& t0 = ph.bands.front();
    const ThicknessBand& t1 = ph.bands.back();
    StudyAnswer a;
    a.question = "Does thickness change the ePDF and the loadings of " + ph.name + "?";
    const double lr = t1.mean_loading / t0.mean_loading;
    const double ar = t1.phi_amplitude / t0.phi_amplitude;
    a.positive = std::isfinite(lr) && lr < 0.95;
    a.answer = a.positive ? "yes: the loading falls where thick (× " + f3(lr) + ")"
                          : (std::isfinite(lr) ? "the loading does not fall (× " + f3(lr) + ")" : "not measured");
    a.evidence = "From " + nm(t0.thickness_mean_A) + " to " + nm(t1.thickness_mean_A) + ": mean loading " + f3(t0.mean_loading) +
                 " → " + f3(t1.mean_loading) + " (× " + f3(lr) + "), φ(s) amplitude " + f3(t0.phi_amplitude) + " → " +
                 f3(t1.phi_amplitude) + " (× " + f3(ar) + "), first peak at " + f3(t0.first_peak_position) + " → " +
                 f3(t1.first_peak_position) + " Å with height " + f3(t0.first_peak_height) + " → " + f3(t1.first_peak_height) +
                 " Å⁻².";
    if (a.positive && std::isfinite(ar) && ar < 0.95 && std::fabs(t1.first_peak_position - t0.first_peak_position) <= 0.05 &&
        t1.first_peak_height < t0.first_peak_height)
      a.evidence += " Peak positions stay, heights fall: the thick pixels' ePDF is the thin pixels' scaled down, and the "
                    "loading carries that scale (003's observation).";
    out.push_back(a);
  }
  return out;
}

}  // namespace sedpdf
