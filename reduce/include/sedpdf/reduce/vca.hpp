// sedpdf/reduce/vca.hpp — vertex component analysis: a pure-pixel (endmember) unmixing beside PCA → ICA.
//
// Model: X (n × p) ≈ L C with the rows of C the signals of k pure phases ("endmembers") and each row of X a
// combination of them; where some pixels are pure, the uncentred data lie in a cone (a simplex after
// normalisation) whose edges are the endmembers. VCA (Nascimento & Bioucas-Dias, IEEE Trans. Geosci. Remote
// Sens. 43 (2005) 898) finds the edges one by one: in the k-dimensional subspace of the uncentred PCA
// (X ≈ T V, pca.hpp), project the scores T on a random direction f orthogonal to the endmembers found so far and
// take the extreme pixel; C = A V with A the endmembers' scores, L = T A⁻¹ (least squares in the subspace;
// unconstrained, so L C = T V exactly). One deviation from the published algorithm, for noisy per-pixel
// data: each endmember is the mean score of the `extreme_fraction` of the pixels most extreme along f on the
// extreme pixel's side (at least one pixel; 0 = the single pixel, as published). VCA's projective
// projection for low SNR is not used (the PCA subspace is already above the noise floor).
//
// Unlike ICA it assumes no independence: it is the unmixing whose assumption (pure pixels) a composite of
// domains larger than the probe meets, and whose components are not forced to be uncorrelated — so it can
// return two anti-correlated ePDFs of complementary phases, which ICA cannot (docs/unmixing.md).
#pragma once
#include <Eigen/Dense>

#include <cstdint>
#include <vector>

#include "sedpdf/reduce/pca.hpp"

namespace sedpdf {

struct VcaOptions {
  PcaOptions pca;                  ///< the subspace: must be uncentred and without Poisson scaling
  double extreme_fraction = 0.02;  ///< in [0, 0.5]: fraction of the pixels averaged per endmember (≥ 1 pixel)
  uint64_t seed = 0;               ///< the random projection directions
};

struct VcaResult {
  Eigen::MatrixXd components;  ///< k × p endmember signals, data units
  Eigen::MatrixXd loadings;    ///< n × k abundances (pure pixels ≈ 1 on their own endmember), X ≈ L C
  std::vector<std::vector<Eigen::Index>> pixels;  ///< per endmember: the rows of X averaged
  Eigen::VectorXd contribution_ratio;             ///< per component ||L_i C_i||²_F / ||X||²_F
  PcaResult pca;                                  ///< the subspace and its count
};

/// Throws std::invalid_argument for a centred or Poisson-scaled PCA request, extreme_fraction outside
/// [0, 0.5], anything pca() rejects, or endmembers that are linearly dependent in the subspace (named).
VcaResult vca(const Eigen::MatrixXd& X, const VcaOptions& opt);

}  // namespace sedpdf
