// sedpdf/reduce/nmf.hpp — non-negative matrix factorisation X ≈ L C (L >= 0: n × k loadings,
// C >= 0: k × p signals) for non-negative data such as azimuthal profiles I(s): the second unmixing,
// beside PCA + ICA, for data whose components are physically non-negative.
//
// Objective f = ||X − L C||²_F. Solvers:
//  * HALS (hierarchical alternating least squares; Cichocki & Phan, IEICE Trans. Fundam. E92-A (2009)
//    708, Algorithm 2): one row of C, then one column of L at a time, each the exact non-negative
//    least-squares update of that block: C_j ← max(ε, C_j + [(LᵀX)_j − (LᵀL)_j C] / (LᵀL)_jj), and the
//    same for L with (X Cᵀ) and (C Cᵀ);
//  * multiplicative updates (Lee & Seung, Adv. Neural Inf. Process. Syst. 13 (2001) 556, Theorem 1):
//    C ← C ∘ (LᵀX) ⊘ (LᵀL C), L ← L ∘ (X Cᵀ) ⊘ (L C Cᵀ); f never increases.
// Initialisation: NNDSVDa (Boutsidis & Gallopoulos, Pattern Recognit. 41 (2008) 1350: the positive
// parts of the leading singular pairs, zeros replaced by the mean of X) from a seeded truncated SVD of
// the unscaled X, or seeded uniform random entries scaled by sqrt(mean(X)/k).
// Uniqueness: NMF factors are unique only when loadings and signals are sparse enough (pure pixels
// and signals with zeros; Donoho & Stodden, NIPS 16 (2004) 1141). Strictly positive profiles with a
// common background (I(s)) can trade that background between components.
// Convergence: relative decrease (f_{t−1} − f_t)/||X||²_F < tol; non-convergence is reported, never
// hidden. ε = 1e-16 · max(X) keeps HALS blocks from dying at exactly zero.
#pragma once
#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

#include "sedpdf/reduce/pca.hpp"

namespace sedpdf {

enum class NmfSolver { Hals, MultiplicativeUpdate };
enum class NmfInit { Nndsvda, Random };

/// "hals", "mu" / "nndsvda", "random"; throw std::invalid_argument naming the value otherwise.
NmfSolver parse_nmf_solver(const std::string& name);
std::string nmf_solver_name(NmfSolver s);
NmfInit parse_nmf_init(const std::string& name);
std::string nmf_init_name(NmfInit i);

struct NmfOptions {
  int n_components = 0;      ///< k; 0 = automatic (count of an uncentred PCA of X, see pca.hpp)
  NmfSolver solver = NmfSolver::Hals;
  NmfInit init = NmfInit::Nndsvda;
  int max_iter = 500;        ///< iterations (one update of C and of L each)
  double tol = 1e-7;         ///< relative objective decrease per iteration, (f_{t−1} − f_t)/||X||²_F
  uint64_t seed = 0;         ///< random initialisation and the truncated SVD of NNDSVDa
  int threads = 0;           ///< OpenMP threads of the large products (bit-identical at any count); 0 = default
  /// For the automatic count: center and n_components are overridden (uncentred); keep `poisson`
  /// on for count data such as I(s) — the Marchenko–Pastur count assumes one noise variance, which
  /// Poisson counts only have after Keenan–Kotula scaling.
  PcaOptions count;
};

struct NmfResult {
  /// X ≈ loadings · components, both >= 0, after the convention of docs/unmixing.md (max loading 1,
  /// ordered by decreasing contribution ||L_i||²||C_i||²).
  Eigen::MatrixXd loadings;              ///< n × k
  Eigen::MatrixXd components;            ///< k × p (data units)
  Eigen::VectorXd contribution_ratio;    ///< ||L_i C_iᵀ||²_F / ||X||²_F
  bool converged = false;
  int iterations = 0;
  double final_change = 0;               ///< last relative decrease of f
  double relative_error = 0;             ///< ||X − L C||_F / ||X||_F at the end
  std::vector<double> objective;         ///< f after each iteration (f_0 = the initial guess first)
  std::string message;                   ///< empty when converged
  PcaResult pca;                         ///< the PCA of the count (automatic) or of NNDSVDa (may be empty)
};

/// Throws std::invalid_argument for: an empty matrix, a non-finite or negative entry (the first one in
/// row-major order, named by row = sample and column = feature, and its value), all-zero data,
/// n_components < 0 or > min(n, p), an automatic count of 0, max_iter < 1 or tol <= 0.
NmfResult nmf(const Eigen::MatrixXd& X, const NmfOptions& opt = {});

}  // namespace sedpdf
