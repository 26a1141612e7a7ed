// sedpdf/validate/references.hpp — reference PDFs of a phase model: the X-ray PDF as Diamond I15-1 would
// measure it, the kinematic electron PDF of the 003 ePDF chain, their per-element-pair contributions, and
// the pair-by-pair explanation of an X-ray vs electron difference.
//
// Both PDFs use the Faber–Ziman normalisation of simulate/total_scattering.hpp, so G_X(r) and G_e(r) are
// in the same absolute units (Å⁻²) and differ only by the pair weights w_ab(s) = (2 − δ_ab) c_a c_b f_a f_b/⟨f⟩²
// (X-ray f ≈ Z at s = 0, electron f_e(0) ∝ mean-square radius, much flatter across Z — hence H and light
// atoms weigh more in electron PDFs: 003 discussion of Fig. 2, Zn–H vs Zn–Zn) and by the range and damping
// of the transform.
#pragma once
#include <string>
#include <vector>

#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/structure.hpp"
#include "sedpdf/validate/metrics.hpp"

namespace sedpdf {

/// The X-ray experiment of 000/003 (Diamond I15-1, λ = 0.161669 Å, 0.4 < Q < 22 Å⁻¹, GudrunX): s_min =
/// 0.4/2π = 0.0637 Å⁻¹ (φ ramped to 0 below, as GudrunX extrapolates), s_max = 22/2π = 3.501 Å⁻¹, Lorch
/// modification function (Lorch, J. Phys. C 2 (1969) 229; the GudrunX default for PDFs), ds = 0.001 Å⁻¹,
/// r 0.5–20 Å step 0.01 Å.
PdfOptions xray_i15_1_pdf_options();

/// The kinematic ePDF of the 003 chain (area-averaged data): s_min = 0.18 Å⁻¹ (linear extrapolation to 0,
/// step 6), s_max = 2.8 Å⁻¹ (detector edge, 200 kV quad Medipix3), damping exp(−0.6 s²) (step 5, b = 0.6 Å²
/// for area sums; effective s_max ≈ 2.5 Å⁻¹), ds = 0.001 Å⁻¹, r 0.5–20 Å step 0.01 Å.
PdfOptions epdf_003_pdf_options();

struct ReferenceOptions {
  PartialPdfOptions partials;                 ///< r_max 20 Å, dr 0.01 Å by default
  PdfOptions xray = xray_i15_1_pdf_options();
  PdfOptions electron = epdf_003_pdf_options();
  ElectronTable electron_table = ElectronTable::Lobato;
  /// Also compute the X-ray PDF with the electron options (same s range, s_min ramp and damping): it differs
  /// from `electron` by the pair weights only, so the pair explanation can separate weighting from resolution.
  bool xray_at_electron_resolution = true;
};

/// X-ray and electron reference PDFs of one phase model.
struct PhaseReference {
  std::string name;
  PartialPdfs partials;
  PdfResult xray;      ///< IT92 X-ray factors, options.xray
  PdfResult electron;  ///< Lobato (or Peng) electron factors, options.electron
  PdfResult xray_matched;  ///< IT92 factors with options.electron (empty r when not computed)
};

/// Partial PDFs of `model` (periodic; minimum-image r_max must allow options.partials.r_max) and both
/// references. The two r grids must agree (same r_min, r_max, dr) — throws std::invalid_argument if not.
PhaseReference compute_phase_reference(const Structure& model, const std::string& name,
                                       const ReferenceOptions& options = {});
/// The same from precomputed partials.
PhaseReference compute_phase_reference(const PartialPdfs& partials, const std::string& name,
                                       const ReferenceOptions& options = {});

/// The PDF of an intimate mixture of two phases — domains larger than the PDF's r range, smaller than the probe,
/// so that their intensities add per atom, I/N = x_a I_a/N_a + x_b I_b/N_b (Faber–Ziman for each; no pair
/// correlations across phases, the domains' small-angle scattering ignored). With ⟨f⟩ = x_a⟨f⟩_a + x_b⟨f⟩_b and
/// ⟨f²⟩ = x_a⟨f²⟩_a + x_b⟨f²⟩_b:
///   φ(s) = [x_a ⟨f⟩_a² φ_a(s) + x_b ⟨f⟩_b² φ_b(s)] / ⟨f⟩²,
/// then 003 step 6 below s_min (Å⁻¹), the damping and the transform of `a` onto a.r. `a` and `b` must be
/// experimental_pdf results of the same options and factors (same s grid, s_max, damping, r grid);
/// atom_fraction_a ∈ [0, 1]. The pair terms are left empty. Throws std::invalid_argument naming the mismatch.
PdfResult blend_pdf(const PdfResult& a, const PdfResult& b, double atom_fraction_a, double s_min);

/// Faber–Ziman pair weights of one pair for two radiations.
struct PairWeight {
  std::string pair;          ///< e.g. "N-Zn" (lower Z first)
  Element a, b;
  double xray = 0;           ///< w_ab(s_eval) with X-ray factors
  double electron = 0;       ///< w_ab(s_eval) with electron factors
  double ratio = 0;          ///< electron / xray (NaN if xray = 0)
};
/// w_ab = (2 − δ_ab) c_a c_b f_a(s) f_b(s) / ⟨f(s)⟩² for every pair of `p` at s (Å⁻¹), X-ray (IT92) and
/// electron (`electron_table`) factors.
std::vector<PairWeight> pair_weight_table(const PartialPdfs& p, double s = 0,
                                          ElectronTable electron_table = ElectronTable::Lobato);

/// One pair's part in D(r) = G_X(r) − k·G_e(r) over a window.
struct PairDifferenceRow {
  std::string pair;
  double weight_xray = 0, weight_electron = 0;  ///< w_ab at s = 0
  double rms_xray = 0;        ///< RMS of G_X,ab over the window (Å⁻²)
  double rms_electron = 0;    ///< RMS of k·G_e,ab over the window (Å⁻²)
  double rms_difference = 0;  ///< RMS of D_ab = G_X,ab − k·G_e,ab (Å⁻²)
  /// ∫ D_ab D dr / ∫ D² dr over the window: the share of the difference's squared norm carried by the
  /// pair (projection of D_ab on D); Σ over pairs = 1 exactly. Negative: the pair partly cancels D.
  double share = 0;
};

struct PairDifferenceExplanation {
  Window window;
  double electron_scale = 1;   ///< k
  double rms_difference = 0;   ///< RMS of D over the window (Å⁻²)
  std::vector<PairDifferenceRow> rows;  ///< one per pair, in the partials' order
  std::vector<double> r;                ///< the whole r grid (Å)
  std::vector<double> difference;       ///< D(r)
  std::vector<std::vector<double>> pair_difference;  ///< D_ab(r), Σ_ab = D
};

/// Explains D(r) = G_X(r) − k·G_e(r) pair by pair over the window. `ref.xray` (or, with matched_resolution,
/// `ref.xray_matched`: the difference is then due to the pair weights alone) and `ref.electron` must share the
/// r grid and the pair list. k = electron_scale (e.g. first_peak_scale(r, G_e, G_X, …)). Throws
/// std::invalid_argument for mismatched grids/pairs, a missing xray_matched, or a window where D is zero.
PairDifferenceExplanation explain_xray_electron_difference(const PhaseReference& ref, Window window,
                                                           double electron_scale = 1.0,
                                                           bool matched_resolution = false);

}  // namespace sedpdf
