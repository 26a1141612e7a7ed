#include "sedpdf/validate/sweep_criteria.hpp"

#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

UnmixingVerdict evaluate_unmixing(const UnmixingInput& in, const UnmixingCriteria& c) {
  if (in.references.size() != in.phase_names.size()) {
    std::ostringstream m;
    m << "unmixing verdict: " << in.references.size() << " references but " << in.phase_names.size() << " names";
    throw std::invalid_argument(m.str());
  }
  if (in.loadings.size() != in.components.size()) {
    std::ostringstream m;
    m << "unmixing verdict: " << in.components.size() << " components but " << in.loadings.size() << " loading maps";
    throw std::invalid_argument(m.str());
  }
  UnmixingVerdict v;
  v.match = match_components(in.r, in.components, in.references, c.window);
  const std::size_t np = in.references.size();
  v.phase_pearson.assign(np, std::numeric_limits<double>::quiet_NaN());
  v.component_of_phase.assign(np, -1);
  for (std::size_t k = 0; k < in.components.size(); ++k) {
    const int p = v.match.reference_of_component[k];
    if (p < 0) continue;
    v.component_of_phase[static_cast<std::size_t>(p)] = static_cast<int>(k);
    v.phase_pearson[static_cast<std::size_t>(p)] = v.match.correlation[k];
  }
  v.subspace_pearson.assign(np, std::numeric_limits<double>::quiet_NaN());
  v.reference_pearson.assign(np * np, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t p = 0; p < np; ++p) {
    try {
      v.subspace_pearson[p] = subspace_pearson(in.r, in.components, in.references[p], c.window);
    } catch (const std::invalid_argument&) {
      // a constant reference over the window: undefined, left NaN (match_components reports it)
    }
    for (std::size_t q = 0; q < np; ++q) {
      try {
        v.reference_pearson[p * np + q] = pearson(in.r, in.references[p], in.references[q], c.window);
      } catch (const std::invalid_argument&) {
      }
    }
  }
  v.spectra_ok = true;
  for (double r : v.phase_pearson) v.spectra_ok = v.spectra_ok && !std::isnan(r) && r >= c.min_pearson;

  v.predicted_largest = classify_by_loadings(in.loadings, in.truth.nx, in.truth.ny, in.truth.step,
                                             v.match.reference_of_component, v.match.sign);
  v.classification_largest =
      classification_accuracy(v.predicted_largest, in.truth, c.exclusion_distance, c.include_vacuum_edges);
  // Criterion (2): k-means on the loading vectors of the decomposed pixels, clusters matched to phases by
  // their mean spectra.
  {
    const std::size_t npix = in.truth.nx * in.truth.ny, k = in.loadings.size();
    if (!in.decomposed.empty() && in.decomposed.size() != npix)
      throw std::invalid_argument("unmixing verdict: decomposed mask of " + std::to_string(in.decomposed.size()) +
                                  " pixels for a " + std::to_string(in.truth.ny) + " × " + std::to_string(in.truth.nx) + " map");
    std::vector<std::size_t> idx;
    std::vector<std::vector<double>> pts;
    for (std::size_t p = 0; p < npix; ++p) {
      std::vector<double> x(k);
      bool nonzero = false;
      for (std::size_t j = 0; j < k; ++j) {
        x[j] = in.loadings[j][p];
        nonzero = nonzero || x[j] != 0;
      }
      if (in.decomposed.empty() ? nonzero : in.decomposed[p] != 0) {
        idx.push_back(p);
        pts.push_back(std::move(x));
      }
    }
    v.predicted = LabelMap{in.truth.nx, in.truth.ny, in.truth.step, std::vector<int>(npix, -1)};
    std::vector<std::vector<double>> cent;
    std::vector<int> cl;
    try {
      cl = kmeans(pts, static_cast<int>(k), 2022, 10, &cent);
    } catch (const std::invalid_argument&) {
      cl.clear();  // fewer distinct pixels than components: nothing to cluster, every pixel unlabelled
    }
    if (!cl.empty()) {
      std::vector<std::vector<double>> spectra;
      for (const auto& ce : cent) {
        std::vector<double> sp(in.r.size(), 0.0);
        for (std::size_t j = 0; j < k; ++j)
          for (std::size_t i = 0; i < sp.size(); ++i) sp[i] += ce[j] * in.components[j][i];
        spectra.push_back(std::move(sp));
      }
      try {
        v.phase_of_cluster = match_components(in.r, spectra, in.references, c.window).reference_of_component;
      } catch (const std::invalid_argument&) {
        v.phase_of_cluster.assign(k, -1);  // a constant mean spectrum: unmatched
      }
      for (std::size_t i = 0; i < idx.size(); ++i) v.predicted.labels[idx[i]] = v.phase_of_cluster[static_cast<std::size_t>(cl[i])];
    }
  }
  v.classification = classification_accuracy(v.predicted, in.truth, c.exclusion_distance, c.include_vacuum_edges);
  v.maps_ok = !std::isnan(v.classification.accuracy) && v.classification.accuracy >= c.min_accuracy;
  v.success = v.spectra_ok && v.maps_ok;
  v.map_truth_correlation.assign(np, std::numeric_limits<double>::quiet_NaN());
  if (!in.truth_fractions.empty()) {
    if (in.truth_fractions.size() != np)
      throw std::invalid_argument("unmixing verdict: " + std::to_string(in.truth_fractions.size()) +
                                  " truth fraction maps for " + std::to_string(np) + " phases");
    for (std::size_t p = 0; p < np; ++p) {
      const int k = v.component_of_phase[p];
      if (k < 0) continue;
      std::vector<double> l = in.loadings[static_cast<std::size_t>(k)];
      for (double& x : l) x *= v.match.sign[static_cast<std::size_t>(k)];
      try {
        v.map_truth_correlation[p] = map_correlation(l, in.truth_fractions[p]);
      } catch (const std::invalid_argument&) {
        // a constant map: correlation undefined, left NaN
      }
    }
  }

  std::ostringstream s;
  s << (v.success ? "success" : "failure") << ": Pearson (" << c.window.lo << "-" << c.window.hi << " A)";
  for (std::size_t p = 0; p < np; ++p) s << " " << in.phase_names[p] << " " << v.phase_pearson[p];
  s << " (need >= " << c.min_pearson << "); classification " << v.classification.accuracy << " of "
    << v.classification.n_scored << " pixels beyond " << c.exclusion_distance << " A of an interface (need >= "
    << c.min_accuracy << "; largest-loading rule " << v.classification_largest.accuracy << ")";
  if (!v.success) {
    s << "; failed:";
    if (!v.spectra_ok) s << " component spectra";
    if (!v.maps_ok) s << " loading maps";
  }
  v.summary = s.str();
  return v;
}

}  // namespace sedpdf
