// sedpdf/validate/report_sections.hpp — ready-made report sections built from the validation pieces:
// X-ray vs electron references of a phase (overlays in r and s, pair weights, pair-by-pair difference), a
// measured ePDF against its references, an unmixing result against the ground truth (scree, components,
// loading maps beside the truth, the success criterion), and the differential ZIF-zni study of 000.
// Every section adds its numbers as tables (CSV) and returns them for the caller's own summary.
#pragma once
#include <string>
#include <vector>

#include "sedpdf/validate/differential.hpp"
#include "sedpdf/validate/ica_limit.hpp"
#include "sedpdf/validate/observations.hpp"
#include "sedpdf/validate/peaks.hpp"
#include "sedpdf/validate/references.hpp"
#include "sedpdf/validate/report.hpp"
#include "sedpdf/validate/sweep_criteria.hpp"

namespace sedpdf {

/// A name usable in report file names: letters and digits kept, everything else '_' ("agZIF-62" → "agZIF_62").
std::string report_tag(const std::string& name);

/// Linear interpolation of (x, y) at the points xi (0 outside [x.front(), x.back()]). x increasing.
std::vector<double> interpolate_linear(const std::vector<double>& x, const std::vector<double>& y,
                                       const std::vector<double>& xi);

struct ReferenceSectionNumbers {
  double electron_scale = 1;             ///< first-peak scale applied to G_e
  PeakComparison electron_vs_xray;       ///< peak positions of the (scaled) kinematic ePDF vs the X-ray PDF
  PairDifferenceExplanation explanation;  ///< against the X-ray PDF at the electron resolution when available
  std::vector<WindowScore> scores;       ///< scaled G_e vs G_X over 1.5–10, 1.5–5, 5–10 Å (clipped to the grid)
};
/// Section "References: <name>": G(r) overlay (electron scaled to the first X-ray peak, 003) and φ(s)
/// overlay, pair weights at s = 0 and 1 Å⁻¹, the pair-by-pair explanation over `window` (of X-ray minus
/// electron at the same resolution when ref.xray_matched was computed: the weights' effect alone).
/// first_shell (Å): where the first peak used for the 003 scaling and the first-shell offset is sought.
ReferenceSectionNumbers add_reference_section(ReportWriter& w, const PhaseReference& ref,
                                              Window window = {1.5, 10.0}, Window first_shell = {1.0, 2.3});

/// The measured reduced intensity beside its G(r): φ(s) on the data's s grid (Å⁻¹; NaN points, e.g. inside the
/// direct-beam mask, are skipped) and its counting σ (may be empty). Shown and compared from `s_lo` (e.g. the
/// chain's s_min: below it the chain replaces φ by its ramp) up to the kinematic reference's s_max (the chain's).
struct MeasuredPhi {
  std::vector<double> s, phi, sigma;
  double s_lo = 0.3;  ///< Å⁻¹
};

/// Error bars of a measured ePDF's own peak positions (Å), one per peak of the comparison (or empty):
/// PhaseStudy::epdf_peak_sigma_A and epdf_peak_sigma_jackknife_A.
struct EpdfPeakSigmas {
  std::vector<double> counting;   ///< counting noise propagated through the chain
  std::vector<double> jackknife;  ///< delete-one-group jackknife over the positions averaged
};

struct EpdfComparisonNumbers {
  double scale = 1;                          ///< factor applied to the measured G (first peak of the X-ray PDF)
  std::vector<WindowScore> vs_xray;          ///< per window
  std::vector<WindowScore> vs_electron;      ///< against the kinematic ePDF (also first-peak scaled)
  PeakComparison peaks_vs_xray;
  // In s (only when a MeasuredPhi was given): windows s_lo–s_max, s_lo–1, 1–s_max (Å⁻¹), unscaled φ
  // (both Faber–Ziman normalised per atom, so their amplitudes compare directly).
  std::vector<WindowScore> phi_vs_xray;      ///< measured φ against the X-ray φ(s) = s[S_X(s) − 1]
  std::vector<WindowScore> phi_vs_electron;  ///< against the kinematic electron φ(s)
  std::vector<double> phi_amplitude;         ///< per window: least-squares a in φ_measured ≈ a·φ_kinematic
  std::vector<double> phi_chi2;              ///< per window: mean of ((φ − a·φ_kin)/σ)² (NaN without σ)
};
/// Section comparing a measured (area-averaged or component) ePDF G(r) on grid r with the phase's references
/// (interpolated onto r): overlay figure, Pearson/Rw per window, peak positions both ways (PeakComparison):
/// table "<tag>_peaks" per X-ray peak (with a σ column when `peak_sigma` gives one per X-ray reference peak,
/// e.g. PhaseStudy::peak_sigma_A) and "<tag>_epdf_peaks" per peak of the measured ePDF (σ columns from
/// `epdf_sigmas`, each one value per peak or empty). With `phi` (s non-empty) also its φ(s) against the
/// references' in s (003 Fig. 2a–b): a second panel and the table "<tag>_scores_s".
EpdfComparisonNumbers add_epdf_comparison(ReportWriter& w, const std::string& name, const std::vector<double>& r,
                                          const std::vector<double>& G, const PhaseReference& ref,
                                          const std::vector<Window>& windows = {{1.5, 10.0}, {1.5, 5.0}, {5.0, 10.0}},
                                          Window first_shell = {1.0, 2.3},
                                          const std::vector<double>& peak_sigma = {},
                                          const MeasuredPhi& phi = {},
                                          const EpdfPeakSigmas& epdf_sigmas = {});

/// Section "Unmixing": scree (if variances given), sign-corrected components beside their matched references,
/// loading maps beside the ground truth and the predicted label map, and the verdict table.
void add_unmixing_section(ReportWriter& w, const UnmixingInput& in, const UnmixingVerdict& v,
                          const UnmixingCriteria& c, const std::vector<double>& pca_variances = {},
                          int n_significant = 0);

/// Paragraph and table "ica_solutions": every rotation FastICA can converge to on the data's two-component span
/// (`data`, may be empty) and on the reference ePDFs themselves (lim.stationary; ica_limit.hpp), with ICA's own
/// choice (largest negentropy) marked; figure "ica_rotation" from the scans (ica_rotation_scan; either may be
/// empty): ICA's objective and each phase's Pearson against the rotation angle; for k > 2 the multi-start
/// numbers; `note` when lim.k == 0.
void add_ica_solutions_section(ReportWriter& w, const std::vector<IcaStationaryPoint>& data,
                               const std::vector<IcaStationaryPoint>& data_scan, const ReferenceIcaLimit& lim,
                               const std::vector<IcaStationaryPoint>& reference_scan,
                               const std::vector<std::string>& phase_names, Window window, const std::string& note);

/// Section "003's observations on this simulation": a paragraph and table "observations_003" — each statement
/// 003 makes about its measured data, how it is measured here, the readings on the phase models and on the
/// simulated data, and whether each reproduces it (check_003_observations).
void add_observations_section(ReportWriter& w, const std::vector<ObservationCheck>& checks);

/// Section "Differential method (000)": S(Q) of the phases and the mixture, S_diff for the example fractions
/// near the {400}/{112} reflections, the detection table.
void add_differential_section(ReportWriter& w, const ZniStudy& st);

}  // namespace sedpdf
