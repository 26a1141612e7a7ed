// sedpdf/validate/metrics.hpp — agreement between two curves on a common grid (PDFs G(r), φ(s), I(s)),
// restricted to a window [lo, hi] of the abscissa.
#pragma once
#include <cstddef>
#include <vector>

namespace sedpdf {

struct Window {
  double lo = -1e300, hi = 1e300;  ///< inclusive abscissa range (Å for r, Å⁻¹ for s)
};

/// Pearson correlation coefficient of y1 and y2 over the window.
double pearson(const std::vector<double>& x, const std::vector<double>& y1, const std::vector<double>& y2,
               Window w = {});
/// The largest Pearson correlation of y with any linear combination of the `basis` curves over the window:
/// the multiple correlation coefficient R of the least-squares regression of y on the basis with an
/// intercept, R = |P ỹ| / |ỹ| (ỹ, b̃ᵢ centred over the window; P the projector onto span{b̃ᵢ}). For unmixing:
/// the best any rotation of k components (ICA, NMF, …) can reach against a reference; one basis curve gives
/// |pearson|. Basis curves that are constant or dependent on the others over the window add nothing.
/// Throws std::invalid_argument for size mismatches, fewer than two points in the window or a constant y.
double subspace_pearson(const std::vector<double>& x, const std::vector<std::vector<double>>& basis,
                        const std::vector<double>& y, Window w = {});
/// Root-mean-square of y1 − y2 over the window.
double rms_difference(const std::vector<double>& x, const std::vector<double>& y1, const std::vector<double>& y2,
                      Window w = {});
/// Root-mean-square of y over the window.
double rms(const std::vector<double>& x, const std::vector<double>& y, Window w = {});
/// Goodness of fit Rw = sqrt(Σ (y_obs − y_calc)² / Σ y_obs²) over the window (unit weights), the PDF
/// community's agreement factor (Egami & Billinge, Underneath the Bragg Peaks, 2nd ed. 2012, §5.3).
double rw(const std::vector<double>& x, const std::vector<double>& y_obs, const std::vector<double>& y_calc,
          Window w = {});
/// Least-squares amplitude a of a reference shape in y: the a minimising Σ (y − a·y_ref)² over the window,
/// a = Σ y·y_ref / Σ y_ref² (no intercept: for curves that oscillate about zero, φ(s) and G(r), a is the
/// ratio of their oscillation amplitudes — e.g. a measured φ against the kinematic one, weakened below 1 by
/// plural and inelastic scattering). Throws std::invalid_argument for size mismatches or a reference that is
/// zero over the window.
double amplitude_ratio(const std::vector<double>& x, const std::vector<double>& y, const std::vector<double>& y_ref,
                       Window w = {});

/// A local maximum refined by a parabola through the three highest samples.
struct Peak {
  double position = 0;  ///< abscissa of the maximum
  double height = 0;    ///< interpolated maximum value
  std::size_t index = 0;    ///< sample index of the highest point
};
/// Highest local maximum of y within the window; throws std::invalid_argument if the window holds
/// fewer than three samples.
Peak highest_peak(const std::vector<double>& x, const std::vector<double>& y, Window w);

}  // namespace sedpdf
