// sedpdf/validate/peaks.hpp — peak finding on sampled curves (G(r), φ(s), S(Q)): positions refined
// below the grid spacing, heights, widths (FWHM), prominences, and the scaling of one PDF to another by
// the height of the first peak (003: "PDFs are scaled to the same height of the first peak", their ref. 60).
#pragma once
#include <cstddef>
#include <functional>
#include <vector>

#include "sedpdf/validate/metrics.hpp"

namespace sedpdf {

/// How a sampled maximum is refined.
///  - Parabolic: vertex of the parabola through the highest sample and its two neighbours (exact for a
///    quadratic; for a Gaussian of σ sampled at h the position error is ~1e-3 σ at h = σ/6).
///  - Gaussian: the same parabola through ln(y − baseline) (Caruana's algorithm, IEEE Trans. Signal
///    Processing 1988; exact for a sampled Gaussian: position, height and σ); falls back to Parabolic
///    when a sample is at or below the baseline.
enum class PeakRefinement { Parabolic, Gaussian };

struct PeakOptions {
  Window window;                 ///< abscissa range searched (units of x)
  double min_height = -1e300;    ///< skip maxima whose refined height is below this (units of y)
  double min_prominence = 0;     ///< skip maxima less prominent than this (units of y; see PeakInfo)
  PeakRefinement refinement = PeakRefinement::Gaussian;
  double baseline = 0;           ///< level from which heights for the FWHM and the Gaussian fit are measured (units of y)
};

struct PeakInfo {
  double position = 0;    ///< refined abscissa of the maximum (units of x)
  double height = 0;      ///< refined maximum value (units of y, not baseline-subtracted)
  double fwhm = 0;        ///< full width at half (height − baseline) from linearly interpolated crossings
                          ///< (units of x); 0 when a crossing lies outside the window
  double sigma = 0;       ///< Gaussian σ from the log-parabola (units of x); 0 for Parabolic / fallback
  double prominence = 0;  ///< height above the higher of the two minima separating it from a higher sample
                          ///< (or the window edge) on either side (units of y)
  std::size_t index = 0;  ///< sample index of the highest point
};

/// Refines the maximum at sample `index` (a local maximum, not at either end of x). Throws
/// std::invalid_argument for an index at an end or out of range, or mismatched sizes.
PeakInfo refine_peak(const std::vector<double>& x, const std::vector<double>& y, std::size_t index,
                     PeakRefinement refinement = PeakRefinement::Gaussian, double baseline = 0);

/// Full width at half maximum of the peak at `index` with maximum `height` above `baseline`: crossings of
/// baseline + (height − baseline)/2 found by walking out from index, linearly interpolated. Returns 0 if
/// a side never crosses within [first, last] sample indices.
double half_maximum_width(const std::vector<double>& x, const std::vector<double>& y, std::size_t index,
                          double height, double baseline, std::size_t first, std::size_t last);

/// All strict local maxima (y[i−1] < y[i] >= y[i+1]) inside the window, refined, filtered by min_height and
/// min_prominence, in increasing x. Throws std::invalid_argument for mismatched sizes or a window with
/// fewer than 3 samples.
std::vector<PeakInfo> find_peaks(const std::vector<double>& x, const std::vector<double>& y,
                                 const PeakOptions& opt = {});

/// The first peak in the window whose height is at least `fraction_of_max` of the highest peak there
/// (skips termination ripples before the first real shell). Throws std::invalid_argument if none.
PeakInfo first_peak(const std::vector<double>& x, const std::vector<double>& y, Window w,
                    double fraction_of_max = 0.5);

/// The positive peak of y in the window nearest to `position` (e.g. the same physical peak as a reference's).
/// Throws std::invalid_argument if there is none.
PeakInfo nearest_peak(const std::vector<double>& x, const std::vector<double>& y, double position, Window w);

/// Factor k such that k·y has the same first-peak height as y_ref — the scaling of 003 ("scaled to the same
/// height of the first peak"): the first peak of y_ref in `w` (first_peak), and the peak of y nearest to it
/// (the same shell, even where the weights make another peak of y come first), both Gaussian-refined.
/// Throws std::invalid_argument if either has no positive peak in the window.
double first_peak_scale(const std::vector<double>& x, const std::vector<double>& y,
                        const std::vector<double>& y_ref, Window w, double fraction_of_max = 0.5);

/// y multiplied by first_peak_scale(x, y, y_ref, w).
std::vector<double> scale_to_first_peak(const std::vector<double>& x, const std::vector<double>& y,
                                        const std::vector<double>& y_ref, Window w,
                                        double fraction_of_max = 0.5);

/// Agreement of two curves over one window.
struct WindowScore {
  Window window;
  double pearson = 0;  ///< Pearson correlation
  double rw = 0;       ///< Rw of y_calc against y_obs
  double rms = 0;      ///< RMS of the difference
};
/// One WindowScore per window (y_obs the reference). Throws as pearson/rw.
std::vector<WindowScore> window_scores(const std::vector<double>& x, const std::vector<double>& y_obs,
                                       const std::vector<double>& y_calc, const std::vector<Window>& windows);

/// Pairs peaks of a curve with the nearest peak of a reference within `tolerance` (units of x): for every
/// reference peak, the offset of the nearest peak of `peaks` (NaN if none within tolerance).
std::vector<double> peak_position_offsets(const std::vector<PeakInfo>& peaks,
                                          const std::vector<PeakInfo>& reference, double tolerance);

/// Peak positions of a curve against a reference's (issue 8 acceptance: first shell within ±0.05 Å, peaks
/// to 8 Å within ±0.1 Å of the X-ray reference's), counted both ways:
/// - from the reference: is every peak of y_ref found in y (n_matched)? A curve of lower resolution than
///   its reference (an ePDF at s_max 2.5 Å⁻¹ against an X-ray PDF at Q_max 22 Å⁻¹) misses the reference's
///   finer peaks here, whatever its accuracy;
/// - from the curve: is every peak of y at a peak of y_ref (n_peaks_at_reference)? The acceptance as worded
///   ("ePDF peak positions … within ±0.1 Å of the X-ray reference's") and as 003 checks it ("the remaining
///   peaks are also in the correct positions"): the accuracy of the positions the curve has.
/// The nearest-peak pairing is not one-to-one in either direction.
struct PeakComparison {
  std::vector<PeakInfo> reference_peaks;  ///< peaks of y_ref in `range` (prominence >= fraction·max|y_ref|)
  std::vector<PeakInfo> peaks;            ///< peaks of y in `range` (same relative prominence)
  std::vector<double> offsets;            ///< per reference peak: nearest peak of y − reference (NaN if none within 2·tol_rest)
  std::vector<double> peak_offsets;       ///< per peak of y: it − the nearest reference peak (NaN if none within 2·tol_rest)
  double first_shell_offset = 0;          ///< nearest peak of y to the reference's first peak (first_peak in first_shell), minus it
  bool first_shell_ok = false;            ///< |first_shell_offset| <= tol_first
  bool all_ok = false;                    ///< first_shell_ok and every reference peak matched within tol_rest
  double max_abs_offset = 0;              ///< over matched reference peaks
  std::size_t n_matched = 0;              ///< reference peaks matched within tol_rest
  std::size_t n_peaks_at_reference = 0;   ///< peaks of y within tol_rest of a reference peak
  double max_abs_peak_offset = 0;         ///< over those
  /// first_shell_ok, y has a peak in `range`, and every one is within tol_rest of a reference peak.
  bool positions_ok = false;
  /// y has a peak in `range` and every one is within tol_rest of a reference peak (the first shell aside).
  bool peaks_at_reference() const { return !peaks.empty() && n_peaks_at_reference == peaks.size(); }
  /// The reference has a peak in `range` and every one is matched within tol_rest.
  bool reference_found() const { return !reference_peaks.empty() && n_matched == reference_peaks.size(); }
};
/// Compares peak positions of y with y_ref on the grid x (Å). Throws as find_peaks / first_peak.
PeakComparison compare_peak_positions(const std::vector<double>& x, const std::vector<double>& y,
                                      const std::vector<double>& y_ref, Window first_shell = {1.0, 2.3},
                                      Window range = {1.0, 8.0}, double tol_first = 0.05, double tol_rest = 0.1,
                                      double min_prominence_fraction = 0.05);

/// Standard deviations of peak positions propagated from the noise of the data the curve was reduced from:
/// y = reduce(I) on the grid x, I with independent errors of the given variances (e.g. the counts of an
/// azimuthal profile). Linear propagation σ²(x*) = Σ_j (∂x*/∂I_j)² var_j, each derivative by central
/// differences of reduce(I ± ε_j e_j), ε_j = 10⁻³ σ_j, so everything reduce() does (fits, corrections,
/// transform) is included; x* is the refined peak nearest each of `positions` within ± half_window
/// (nearest_peak). Bins with a zero, negative or non-finite variance contribute nothing. Costs 2·(bins with a
/// variance) calls of reduce. Throws std::invalid_argument for size mismatches (named) or a position without
/// a positive peak within its window.
std::vector<double> propagated_peak_sigmas(const std::function<std::vector<double>(const std::vector<double>&)>& reduce,
                                           const std::vector<double>& x, const std::vector<double>& I,
                                           const std::vector<double>& variance, const std::vector<double>& positions,
                                           double half_window = 0.15);

/// Delete-one-group jackknife standard deviation of an estimate θ̂ from its K values θ̂_(g) recomputed with
/// group g left out (Efron & Tibshirani, An Introduction to the Bootstrap, 1993, §11.2, eq. 11.5, with groups
/// in place of single observations): σ = [(K − 1)/K · Σ_g (θ̂_(g) − θ̄)²]^½, θ̄ the mean of the θ̂_(g). For
/// the mean of K equal groups it equals the standard error of the group means, sd/√K. Returns NaN if any value
/// is not finite; throws std::invalid_argument for K < 2.
double jackknife_sigma(const std::vector<double>& leave_one_out);

}  // namespace sedpdf
