// sedpdf/reduce/centre.hpp — step 1 of the reduction chain, before the azimuthal integration: the
// sub-pixel direct-beam centre of a pattern (or of a sum of patterns, for a global centre) and the
// optional elliptical distortion of the rings.
//
// Method (docs/reduction.md):
// 1. Centre of mass of the direct beam: the brightest 3 × 3 neighbourhood locates the beam, pixels above
//    `com_threshold` × its mean within `com_radius` are weighted by (v − threshold), and the window is
//    re-centred on the result until it moves less than 10⁻³ px (at most 20 times).
// 2. Refinement by the criterion that the rings of an amorphous pattern are circles about the true
//    centre: minimise the azimuthal variance, i.e. the mean squared deviation of every pixel from the
//    radial profile at its radius (profile from tent-weighted radial bins, interpolated linearly),
//    over pixels in an annulus with tapered ends, each weighted by its Poisson inverse variance, by
//    Nelder–Mead simplex search (Nelder & Mead, Comput. J. 7 (1965) 308). The criterion is smooth in
//    the centre, so the result is sub-pixel. Its statistical precision is set by the ring contrast
//    and the counts, σ ≈ (Σ_p I'(r_p)²/I_p / 2)^(−½) per coordinate: ≈ 0.05 px for one amorphous
//    pattern at ~100 counts/pixel near the beam, far better for a sum of patterns (global centre). A
//    bright, unsaturated, unmasked direct beam gives a better CoM than that for a single pattern, so
//    per-pattern centres of low-dose data are best taken from the CoM (refine = false), and the
//    refinement is for the global centre, a saturated beam or a beam on the chip gaps.
// 3. Elliptical distortion (projection-lens distortion that makes rings ellipses; Capitani et al.,
//    Ultramicroscopy 106 (2006) 66): the same criterion minimised jointly over the centre and the
//    ellipse (ratio q = major/minor axis ≥ 1, angle φ of the major axis from +x towards +y). The
//    corrected radius of a point at offset d from the centre is r_c = √(dᵀAd) with
//    A = R(φ)·diag(1/q, q)·R(φ)ᵀ (det A = 1): a ring of corrected radius r is an ellipse of semi-axes
//    r√q (along φ) and r/√q, so Δs refers to the geometric-mean radius √(ab).
// Positions are physical pixel coordinates (detector.hpp).
#pragma once
#include <cstddef>
#include <vector>

#include "sedpdf/reduce/detector.hpp"

namespace sedpdf {

/// A beam centre in physical pixel coordinates (x along columns, y along rows; detector.hpp).
struct BeamCentre {
  double x = 0;
  double y = 0;
};

/// Elliptical distortion of the rings (see the header comment). ratio = 1: none.
struct EllipticalDistortion {
  double ratio = 1.0;  ///< major/minor axis ratio q (≥ 1)
  double angle = 0.0;  ///< angle φ of the major axis from +x towards +y (radians), in (−π/2, π/2]
  /// The symmetric metric A (a11, a12, a22) with r_c² = a11·dx² + 2·a12·dx·dy + a22·dy².
  void metric(double& a11, double& a12, double& a22) const;
  /// The symmetric square root A^½ (b11, b12, b22): A^½·d maps the ellipses onto circles.
  void metric_sqrt(double& b11, double& b12, double& b22) const;
  /// Throws std::invalid_argument for ratio < 1 or non-finite values.
  void validate() const;
};

/// Options of find_centre() and fit_elliptical_distortion(). Radii in physical pixels.
struct CentreOptions {
  double com_threshold = 0.5;  ///< CoM uses pixels above this fraction of the beam's peak (0..1)
  double com_radius = 20;      ///< CoM window radius (pixels)
  bool refine = true;          ///< refine the CoM by minimum azimuthal variance
  double r_min = 0;            ///< inner radius of the annulus used for refinement; 0 = auto (beam radius × 3, ≥ 8)
  double r_max = 0;            ///< outer radius; 0 = auto (distance from the CoM to the nearest detector edge)
  double bin_width = 1.0;      ///< radial bin width of the profile (pixels)
  double taper = 2.0;          ///< width of the weight ramps at r_min and r_max (pixels)
  bool poisson_weights = true; ///< weight each pixel by 1/max(profile, 1) (counts data); false: equal weights
  double tolerance = 1e-3;     ///< stop when the simplex is smaller than this (pixels)
  int max_evaluations = 600;   ///< cap on objective evaluations
};

/// Result of find_centre().
struct CentreResult {
  BeamCentre com;         ///< centre of mass of the direct beam (step 1)
  BeamCentre centre;      ///< refined centre (= com when refine is off)
  double beam_radius = 0; ///< √(pixels above threshold / π) (pixels)
  double r_min = 0, r_max = 0;  ///< annulus used by the refinement (pixels)
  double objective = 0;   ///< final mean squared deviation from the radial profile (intensity²)
  int evaluations = 0;
  bool converged = false; ///< simplex reached the tolerance within max_evaluations
};

/// Centre of mass of the direct beam (step 1). `frame` is ny × nx stored pixels, masked pixels ignored.
/// Throws std::invalid_argument for a wrong frame size, an all-masked frame, or no positive pixel.
CentreResult direct_beam_com(const std::vector<double>& frame, const DetectorGeometry& g, const Mask& mask,
                             const CentreOptions& opt = {});

/// Direct-beam centre: CoM refined by minimum azimuthal variance (steps 1–2). For a global centre pass
/// the sum of the patterns; for per-pattern centres call it per frame. Throws as direct_beam_com, and
/// for an annulus with fewer than 100 usable pixels (naming r_min and r_max).
CentreResult find_centre(const std::vector<double>& frame, const DetectorGeometry& g, const Mask& mask,
                         const CentreOptions& opt = {});

/// Result of fit_elliptical_distortion().
struct EllipseFit {
  BeamCentre centre;
  EllipticalDistortion distortion;
  double objective = 0;
  int evaluations = 0;
  bool converged = false;
};

/// Step 3: centre and ellipse minimising the azimuthal variance in the annulus [opt.r_min, opt.r_max]
/// (auto as in find_centre, about `start`), starting from `start` and no distortion. To fit one ring,
/// set the annulus around it.
EllipseFit fit_elliptical_distortion(const std::vector<double>& frame, const DetectorGeometry& g,
                                     const Mask& mask, const BeamCentre& start, const CentreOptions& opt = {});

/// The refinement criterion itself: mean squared deviation of the pixels in the annulus [r_min, r_max]
/// (corrected radius, tapered ends) from the radial profile about `c` with distortion `e`; with
/// poisson_weights each squared deviation is divided by max(profile, 1) (a reduced χ² for counts).
double azimuthal_variance(const std::vector<double>& frame, const DetectorGeometry& g, const Mask& mask,
                          const BeamCentre& c, const EllipticalDistortion& e, double r_min, double r_max,
                          double bin_width = 1.0, double taper = 2.0, bool poisson_weights = true);

}  // namespace sedpdf
