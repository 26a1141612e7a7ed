// sedpdf/validate/sweep_criteria.hpp — the unmixing-success criterion used by the sweeps and the study
// report (docs/validation.md, "Unmixing success"). Unmixing of a scan succeeds when
//   (1) every reference phase is matched (optimal assignment on |Pearson|, match_components) by a
//       component whose Pearson correlation with that phase's reference ePDF over 1.5–10 Å is >= 0.9, and
//   (2) the loading maps classify >= 95 % of the pixels correctly against the ground-truth phase map,
//       excluding pixels within one probe diameter of an interface (distance_to_interface) and pixels with
//       no phase. The pixels are classified by k-means (k = the number of components) on their loading
//       vectors, each cluster taking the phase its mean spectrum (centroid · components) matches (optimal
//       assignment on |Pearson|): a rule that holds for any invertible mixing of the components, so it asks
//       whether the maps separate the phases, not whether ICA returned them one per component — the
//       spectra are criterion (1). The largest-loading rule (each pixel labelled by its largest
//       sign-corrected loading, which presumes one phase per component) is reported beside it;
// the thresholds are those of issue 8's acceptance list. Every number behind the verdict is returned.
#pragma once
#include <string>
#include <vector>

#include "sedpdf/validate/maps.hpp"
#include "sedpdf/validate/matching.hpp"
#include "sedpdf/validate/metrics.hpp"

namespace sedpdf {

struct UnmixingCriteria {
  double min_pearson = 0.9;        ///< per matched phase, over `window`
  Window window{1.5, 10.0};        ///< Å
  double min_accuracy = 0.95;      ///< fraction of scored pixels
  double exclusion_distance = 50;  ///< Å, pixels nearer an interface are not scored (one probe diameter; 003: 5 nm)
  bool include_vacuum_edges = false;  ///< also exclude pixels near the particle edge
};

struct UnmixingInput {
  std::vector<double> r;                          ///< Å, grid of components and references
  std::vector<std::vector<double>> components;    ///< k component signals (e.g. ICA ePDFs)
  std::vector<std::string> phase_names;           ///< one per reference
  std::vector<std::vector<double>> references;    ///< one reference ePDF per phase (truth label = index)
  std::vector<std::vector<double>> loadings;      ///< k maps, ny × nx each
  /// optional, ny × nx: non-zero where the pixel was decomposed (the clustering uses only those); empty =
  /// every pixel with a non-zero loading vector
  std::vector<unsigned char> decomposed;
  LabelMap truth;                                 ///< ground-truth phase per pixel (−1 none)
  /// optional: per phase, its ground-truth fraction map (GroundTruth::fraction, ny × nx) for map correlations
  std::vector<std::vector<double>> truth_fractions;
};

struct UnmixingVerdict {
  bool success = false;
  bool spectra_ok = false;              ///< criterion (1)
  bool maps_ok = false;                 ///< criterion (2)
  ComponentMatch match;
  std::vector<double> phase_pearson;    ///< per phase: Pearson of its matched component (NaN if unmatched)
  std::vector<int> component_of_phase;  ///< per phase: matched component (−1 if none)
  ClassificationScore classification;
  /// per phase: Pearson of the matched, sign-corrected loading map with the truth fraction map (NaN when no
  /// fractions were given, the phase is unmatched or a map is constant). Reported, not part of the verdict.
  std::vector<double> map_truth_correlation;
  /// per phase: the best Pearson ANY linear combination of the k components reaches against its reference over
  /// the window (subspace_pearson) — the ceiling of every rotation (ICA, NMF …) of the same PCA subspace: when
  /// it is below min_pearson the data, not the unmixing algorithm, limit the spectra. Reported, not part of
  /// the verdict.
  std::vector<double> subspace_pearson;
  /// Pearson between the references over the window (np × np, row-major): correlated references cannot all
  /// come out of ICA, whose sources are uncorrelated by construction. Reported.
  std::vector<double> reference_pearson;
  LabelMap predicted;                   ///< criterion (2)'s labels (clusters of the loading vectors)
  std::vector<int> phase_of_cluster;    ///< per k-means cluster: its phase (−1 unmatched)
  /// The largest-loading rule (labels and score), reported beside criterion (2).
  LabelMap predicted_largest;
  ClassificationScore classification_largest;
  std::string summary;                  ///< one line with the numbers and the reason for a failure
};

/// Applies the criterion. Throws std::invalid_argument for inconsistent sizes (named).
UnmixingVerdict evaluate_unmixing(const UnmixingInput& in, const UnmixingCriteria& c = {});

}  // namespace sedpdf
