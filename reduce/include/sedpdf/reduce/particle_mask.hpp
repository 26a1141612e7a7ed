// sedpdf/reduce/particle_mask.hpp — which scan pixels hold the specimen, from the data alone.
//
// An experimenter decomposes the pixels of the particle, not those of the bare support film (whose G(r),
// normalised with the particle's composition, is a third signal) — and draws that mask on a (virtual)
// annular dark-field image, not on a ground truth. This is that step, on the reduction's thickness proxy
// (pipeline.hpp: the VADF, counts in an annulus over the detected dose, rising with mass thickness).
//
// Automatic threshold: the film-only pixels form the lowest, narrow level of the VADF histogram (one film
// thickness, counting noise only). Otsu's threshold (N. Otsu, IEEE Trans. Syst. Man Cybern. 9 (1979) 62:
// the split maximising the between-class variance w₀w₁(μ₀ − μ₁)²) separates that level from the particle;
// the film level is the median m of the lower class and its spread σ = 1.4826 × MAD (the normal-consistent
// median absolute deviation), both re-estimated over the pixels within m ± 3 σ until that set is stable (the
// lower class also holds the particle's thinnest pixels, which would inflate the MAD); a pixel is inside
// when its VADF exceeds m + k σ (k = film_sigmas, default 5: a pure-film pixel exceeds it with probability
// ~3 × 10⁻⁷ for Gaussian noise). Otsu is computed exactly over the sorted values (every split between
// distinct values), not on a histogram. A lower class that is not a narrow level (m + k σ not below the
// split) is split again by Otsu, down to the film's level: Otsu prefers cutting a broad specimen distribution
// in two to isolating a film class much smaller than it. If a lower class has fewer than min_film_pixels, or
// the split no longer separates anything, there is no film level to measure (no bare film in the field) and
// the caller must give the threshold — an error, not a guess.
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

namespace sedpdf {

/// Otsu's threshold of `values` (NaNs ignored): the midpoint between the two consecutive distinct sorted
/// values whose split maximises the between-class variance (the first such split on ties). Throws
/// std::invalid_argument with fewer than two distinct finite values.
double otsu_threshold(const std::vector<double>& values);

struct ParticleMaskOptions {
  /// Fixed VADF threshold (inside: vadf > threshold); NaN = automatic from the film level.
  double threshold = std::numeric_limits<double>::quiet_NaN();
  double film_sigmas = 5.0;          ///< k of the automatic threshold m + k σ (> 0)
  std::size_t min_film_pixels = 8;   ///< fewest pixels the film level is measured from
};

struct ParticleMask {
  std::vector<uint8_t> inside;  ///< per pixel: 1 = specimen (decompose), 0 = film or invalid
  double threshold = 0;         ///< the threshold applied
  bool automatic = false;       ///< threshold from the film level (else given)
  double otsu = std::numeric_limits<double>::quiet_NaN();         ///< Otsu's split (automatic only)
  double film_level = std::numeric_limits<double>::quiet_NaN();   ///< m (automatic only)
  double film_sigma = std::numeric_limits<double>::quiet_NaN();   ///< σ (automatic only)
  std::size_t n_film_class = 0;  ///< pixels in Otsu's lower class (automatic only)
  std::size_t n_inside = 0;
};

/// The specimen mask of a VADF image (`valid`: 1 = use the pixel; empty = all; invalid and NaN pixels are
/// never inside). Throws std::invalid_argument naming the values for: mismatched sizes, a non-finite or
/// negative fixed threshold, film_sigmas ≤ 0, too few valid pixels, no film level (automatic mode, above).
ParticleMask vadf_particle_mask(const std::vector<double>& vadf, const std::vector<uint8_t>& valid,
                                const ParticleMaskOptions& opt);

}  // namespace sedpdf
