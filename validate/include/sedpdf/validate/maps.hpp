// sedpdf/validate/maps.hpp — loading maps against the ground truth: label maps, the distance of every
// pixel to a phase interface (exact Euclidean distance transform), classification accuracy outside
// interface bands, map correlation, line profiles and the interface width from an erf fit.
//
// Maps are row-major ny × nx with y the slow index (as specimen_truth.hpp), square pixels of `step` Å.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace sedpdf {

/// A phase label per pixel: phase index >= 0, or −1 where no phase is present (vacuum / film only).
struct LabelMap {
  std::size_t nx = 0, ny = 0;
  double step = 1;          ///< pixel size (Å)
  std::vector<int> labels;  ///< ny × nx
};

/// Exact squared Euclidean distance transform (Felzenszwalb & Huttenlocher, Theory of Computing 8 (2012)
/// 415, separable lower-envelope algorithm): for every pixel, the squared distance in pixels² to the
/// nearest pixel with feature[p] = true (infinity-like 1e300 if there is none).
std::vector<double> squared_distance_transform(const std::vector<bool>& feature, std::size_t nx, std::size_t ny);

/// Distance (Å) from each pixel centre to the nearest interface: for a pixel of label L >= 0, the distance
/// between its centre and the nearest centre of a pixel labelled L′ >= 0, L′ ≠ L, minus step/2 (the
/// interface lies midway between the two centres, exact for an axis-aligned boundary); with
/// include_vacuum_edges, pixels labelled −1 count as "other" too. Pixels of label −1 get 0. A map with a
/// single phase gets 1e300 everywhere. Throws std::invalid_argument for a size mismatch or step <= 0.
std::vector<double> distance_to_interface(const LabelMap& truth, bool include_vacuum_edges = false);

/// Label map from loading maps: label = phase_of_component[argmax_k sign_k·loading_k(p)] (components with
/// phase −1 are ignored); pixels whose best signed loading is below min_loading get −1. loadings[k] is
/// the k-th ny × nx map. Throws std::invalid_argument for mismatched sizes.
LabelMap classify_by_loadings(const std::vector<std::vector<double>>& loadings, std::size_t nx, std::size_t ny,
                              double step, const std::vector<int>& phase_of_component,
                              const std::vector<int>& sign = {}, double min_loading = -1e300);

/// k-means clustering (Lloyd 1982, IEEE Trans. Inf. Theory 28, 129) of n points in R^d (points[i], all of
/// size d), seeded by k-means++ (Arthur & Vassilvitskii, SODA 2007) with `restarts` seedings from a fixed
/// 64-bit generator seeded by `seed`; the partition of least within-cluster sum of squares is returned.
/// Deterministic for a given input and seed. Returns per point its cluster 0..k−1 (clusters ordered by their
/// first point) and, in `centroids` (when not null), the k cluster means. Throws std::invalid_argument for
/// k < 1, fewer than k distinct points, mismatched dimensions or a non-finite coordinate (naming the point).
std::vector<int> kmeans(const std::vector<std::vector<double>>& points, int k, unsigned long long seed = 1,
                        int restarts = 10, std::vector<std::vector<double>>* centroids = nullptr);

struct ClassificationScore {
  double accuracy = 0;                ///< n_correct / n_scored (NaN if none scored)
  std::size_t n_scored = 0;           ///< pixels with truth >= 0 farther than the exclusion distance
  std::size_t n_correct = 0;
  std::size_t n_excluded_interface = 0;  ///< truth >= 0 but within the exclusion distance of an interface
  std::size_t n_excluded_no_phase = 0;   ///< truth = −1
  std::vector<double> per_phase_accuracy;  ///< per truth label 0..max (NaN where none scored)
};

/// Fraction of pixels whose predicted label equals the truth, over pixels with truth >= 0 whose
/// distance_to_interface(truth) is >= exclusion (Å; e.g. one probe diameter). Throws
/// std::invalid_argument for maps of different shapes.
ClassificationScore classification_accuracy(const LabelMap& predicted, const LabelMap& truth, double exclusion,
                                            bool include_vacuum_edges = false);

/// Pearson correlation of two maps over pixels where mask is true (all pixels when mask is empty).
/// Throws std::invalid_argument for mismatched sizes, < 2 pixels or a constant map.
double map_correlation(const std::vector<double>& a, const std::vector<double>& b,
                       const std::vector<bool>& mask = {});

/// n values of a map sampled along the segment (x0, y0) → (x1, y1) (Å, pixel centres at (i + ½)·step
/// when origin = 0) by bilinear interpolation (clamped at the edges); also returns the distances along
/// the segment in `distance` (Å). origin_x/y: position of the centre of pixel (0, 0) minus step/2.
std::vector<double> line_profile(const std::vector<double>& map, std::size_t nx, std::size_t ny, double step,
                                 double x0, double y0, double x1, double y1, std::size_t n,
                                 std::vector<double>* distance = nullptr, double origin_x = 0, double origin_y = 0);

/// The fit y(x) = low + (high − low)·½[1 + erf((x − x0)/(√2 σ))] of an edge profile.
struct ErfFit {
  double x0 = 0;        ///< edge position (units of x)
  double sigma = 0;     ///< Gaussian σ of the edge (units of x)
  double low = 0, high = 0;
  double width_10_90 = 0;  ///< 10–90 % rise distance = 2√2 erf⁻¹(0.8) σ = 2.5631 σ
  double fwhm = 0;         ///< FWHM of the derivative = 2√(2 ln 2) σ = 2.3548 σ
  double rms_residual = 0;
  int iterations = 0;
  bool converged = false;
};

/// Levenberg–Marquardt fit (Marquardt, J. SIAM 11 (1963) 431; analytic Jacobian, λ adapted ×10 / ÷10) of
/// the erf edge to (x, y). Start: low/high from the first/last 15 % of points, x0 at the mid-level crossing,
/// σ from the 10–90 % crossings. A falling edge gives high < low. Throws std::invalid_argument for fewer
/// than 5 points or mismatched sizes.
ErfFit fit_erf_edge(const std::vector<double>& x, const std::vector<double>& y, int max_iterations = 200);

/// Interface width from a whole map: every pixel of phase a or b of `truth` within max_distance (Å) of their
/// common interface contributes (signed distance, value), the distance being that of distance_to_interface,
/// negative on the a side and positive on the b side; the points, sorted by distance, are fitted by
/// fit_erf_edge (so σ is in Å and x0 is the edge's offset from the true interface). Uses every pixel along
/// the boundary instead of one line profile. Throws std::invalid_argument for mismatched sizes or fewer
/// than 5 pixels.
/// The fraction of phase b per pixel from k loading maps (each ny·nx): the pixel's loading vector projected on
/// the segment from the mean vector of the used pixels labelled phase_a (0) to that of those labelled phase_b
/// (1). Pixels on that line — mixtures of the two phases — get the same fraction under any invertible mixing of
/// the maps (an affine map keeps ratios along a line), so the map does not depend on an unmixing's rotation;
/// scatter off the line (noise) is projected in the loadings' own metric. NaN where use is 0, and everywhere
/// when a class has no used pixel or the two means coincide. Throws std::invalid_argument for maps, labels or
/// use of different sizes or no maps.
std::vector<double> phase_fraction_map(const std::vector<std::vector<double>>& loadings, const std::vector<int>& labels,
                                       const std::vector<uint8_t>& use, int phase_a, int phase_b);

ErfFit interface_edge_fit(const std::vector<double>& map, const LabelMap& truth, int phase_a, int phase_b,
                          double max_distance);

}  // namespace sedpdf
