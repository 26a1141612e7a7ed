// sedpdf/validate/ica_limit.hpp — what ICA can return from the reference curves themselves: the limit the
// phase set puts on ICA, before any noise, thickness or forward model.
//
// In the signals domain (003, HyperSpy's default) FastICA sees only the span of the k PCA factors, sampled
// at the p abscissae. When that span is exactly the span of the k references (perfect data), ICA's answer
// depends on nothing but the reference curves, the grid and the contrast: whitening makes the k outputs
// uncorrelated over the samples, so references that are correlated (ρ) cannot all be returned — two
// uncorrelated outputs reach at most cos((arccos ρ − 90°)/2) each, and only at one rotation — and FastICA
// picks its rotation by non-Gaussianity, not by closeness to the references. reference_ica_limit() runs the
// same FastICA on the references themselves (the rows of X, so the PCA of X keeps exactly their span) and,
// for k = 2, enumerates EVERY rotation FastICA can converge to:
//  * parallel (symmetric) FastICA: with W = R(θ) the fixed point W ← sym(f(W)) requires f(W)Wᵀ symmetric,
//    E{g(y₁)y₂} = E{g(y₂)y₁}, which is dF/dθ = 0 for F(θ) = E{G(y₁)} + E{G(y₂)}, y₁ = cos θ z₁ + sin θ z₂,
//    y₂ = −sin θ z₁ + cos θ z₂ (dy₁/dθ = y₂, dy₂/dθ = −y₁); period π/2;
//  * deflation: the first row is a stationary point of H(θ) = E{G(y₁)} on the unit circle (Hyvärinen 1999,
//    one-unit rule; dH/dθ = E{g(y₁)y₂}), the second is orthogonal to it; period π.
// The stationary points are found by a scan of the derivative's sign over the period (2000 steps) refined by
// bisection. Maxima and minima both count: the fixed-point (approximate Newton) iteration converges to either,
// depending on the sign of E{y g(y) − g′(y)} (Hyvärinen & Oja 2000, §6). Which of them ICA "means" is the one
// with the largest negentropy approximation J = Σᵢ (E{G(yᵢ)} − E{G(ν)})² (Hyvärinen 1999 eq. 6), the objective
// the contrast approximates; a start-independent FastICA keeps that one. For k > 2 the same is taken over
// `starts` FastICA runs from different seeds.
// Contrasts G (ica.hpp): logcosh log cosh(αu)/α, exp −exp(−u²/2), cube u⁴/4 (Hyvärinen 1999).
#pragma once
#include <cstddef>
#include <vector>

#include "sedpdf/reduce/ica.hpp"
#include "sedpdf/validate/metrics.hpp"

namespace sedpdf {

/// One rotation FastICA can converge to (k = 2).
struct IcaStationaryPoint {
  double angle_rad = 0;         ///< θ of the rotation of the whitened span
  double contrast = 0;          ///< F(θ) (parallel) or H(θ) (deflation)
  bool maximum = false;         ///< a maximum of the contrast (else a minimum)
  /// ICA's own objective, the negentropy approximation Σᵢ (E{G(yᵢ)} − E{G(ν)})², ν standard normal, over the
  /// outputs of the rotation (Hyvärinen 1999 eq. 6; deflation: of the first output only, its one-unit objective)
  double negentropy = 0;
  bool preferred = false;       ///< the largest negentropy of all stationary points: ICA's own choice
  std::vector<double> pearson;  ///< per reference: Pearson of its matched output over the window
  double smallest = 0;          ///< the smallest of them
};

/// E{G(ν)} of the contrast for a standard normal ν (Simpson quadrature over ±12; exp: −1/√2, cube: 3/4).
double gaussian_contrast(const FastIcaSettings& s);

/// Every stationary point of FastICA's contrast over the rotations of a 2-D span (see above): `span` two
/// curves on r spanning the signal space (e.g. the PCA factors or any two ICA components of it, or two
/// references), sampled over all of r as ICA does; each point's outputs are matched to `references` over
/// `window`. Throws std::invalid_argument for a span of other than 2 curves, size mismatches, non-finite values,
/// dependent span curves, or a reference constant over the window.
std::vector<IcaStationaryPoint> ica_stationary_points(const std::vector<double>& r,
                                                      const std::vector<std::vector<double>>& span,
                                                      const std::vector<std::vector<double>>& references, Window window,
                                                      const FastIcaSettings& settings);

/// The same quantities at n equally spaced rotations θ_i = i·period/n of the whitened span (`maximum` and
/// `preferred` unset): the contrast landscape for a figure. Throws as ica_stationary_points, and for n < 2.
std::vector<IcaStationaryPoint> ica_rotation_scan(const std::vector<double>& r, const std::vector<std::vector<double>>& span,
                                                  const std::vector<std::vector<double>>& references, Window window,
                                                  const FastIcaSettings& settings, int n = 180);

struct ReferenceIcaLimit {
  std::size_t k = 0;                 ///< references (= components)
  double reference_correlation = 0;  ///< k = 2: Pearson of the two references over all samples (ICA's view)
  double uncorrelated_cap = 0;       ///< k = 2: cos((arccos ρ − 90°)/2), the best two uncorrelated outputs can do
  /// FastICA with the given settings and seed on the references themselves: per reference, the Pearson of its
  /// matched output over the window (optimal |Pearson| assignment, match_components), and the smallest.
  std::vector<double> pearson;
  double smallest = 0;
  bool converged = false;
  /// k = 2: every stationary point of the contrast (ascending θ in [0, period)); empty for k > 2.
  std::vector<IcaStationaryPoint> stationary;
  /// The smallest Pearson of ICA's own choice: the stationary point (k = 2) or the run of the `starts` (k > 2)
  /// with the largest negentropy approximation Σᵢ (E{G(yᵢ)} − E{G(ν)})² over all outputs.
  double preferred_smallest = 0;
  /// The best any ICA solution reaches: the largest `smallest` over the stationary points (k = 2) or over the
  /// FastICA runs from `starts` seeds (k > 2, seeds seed, seed + 1, …).
  double best_smallest = 0;
  int starts = 0;                    ///< runs behind best_smallest (k > 2; 0 for k = 2)
};

/// ICA of the references themselves. `r` is the grid ICA samples (all of it; e.g. the decomposition's r
/// window), `references` k >= 2 curves on it, `window` the range of the Pearson scores (e.g. 1.5–10 Å).
/// Throws std::invalid_argument (naming the value) for k < 2, a size mismatch, a non-finite value, references
/// that are linearly dependent over the grid (cannot be whitened), a reference constant over the window, or
/// starts < 1.
ReferenceIcaLimit reference_ica_limit(const std::vector<double>& r, const std::vector<std::vector<double>>& references,
                                      Window window, const FastIcaSettings& settings, int starts = 8);

}  // namespace sedpdf
