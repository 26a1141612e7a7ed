// sedpdf/reduce/ica.hpp — FastICA (Hyvärinen, IEEE Trans. Neural Netw. 10 (1999) 626) on PCA-whitened
// data: the blind source separation step of 003 (PCA keeps the components above the noise floor, ICA
// turns them into component signals, e.g. ePDFs, and loading maps).
//
// Model: X (n × p) ≈ L C, L (n × k) loadings, C (k × p) signals. With IcaDomain::Signals (the default,
// as in 003 / HyperSpy) the rows of C are the independent sources and the p columns (e.g. r points) are
// the samples; with IcaDomain::Loadings the columns of L (maps over scan positions) are independent.
// PCA (pca.hpp) gives X ≈ T Vᵀ with T = U_k S_k. In the signals domain y_j = V_kᵀ[:, j] (k-vectors,
// j = 1..p) are centred over j and whitened, z = K(y − ȳ) with K = Λ^{−1/2}Eᵀ from the eigen-
// decomposition E Λ Eᵀ of their covariance; FastICA finds an orthogonal W so that W z is maximally
// non-Gaussian; with B = W K, C = B V_kᵀ (the mean is restored by applying B to the uncentred y) and
// L = T B⁻¹, so L C = T V_kᵀ exactly. In the loadings domain the roles of T and V_kᵀ swap.
//
// Fixed-point iteration (Hyvärinen 1999, one-unit rule): w⁺ = E{z g(wᵀz)} − E{g′(wᵀz)} w, then
//  * Parallel: all rows at once, symmetric decorrelation W ← (W Wᵀ)^{−1/2} W (from the eigen-
//    decomposition of W Wᵀ); change = max_i |1 − |⟨w_i⁺, w_i⟩||;
//  * Deflation: one row after another, Gram–Schmidt against the rows already found, w ← w/||w||;
//    change = |1 − |⟨w⁺, w⟩|| per component.
// Contrast functions G and g = G′ (Hyvärinen 1999, G₁, G₂ and the kurtosis G₃):
//  logcosh: G = log cosh(αu)/α, g = tanh(αu), g′ = α(1 − tanh²(αu)), 1 <= α <= 2 (default 1);
//  exp:     G = −exp(−u²/2),    g = u exp(−u²/2), g′ = (1 − u²) exp(−u²/2);
//  cube:    G = u⁴/4,           g = u³,          g′ = 3u².
// The initial W is a Gaussian matrix from `seed`. Non-convergence is never hidden: FastIcaRun::converged
// is false and `message` says what happened; the result is still returned.
#pragma once
#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

#include "sedpdf/reduce/pca.hpp"

namespace sedpdf {

enum class IcaNonlinearity { LogCosh, Exp, Cube };
enum class IcaAlgorithm { Parallel, Deflation };
enum class IcaDomain {
  Signals,   ///< rows of C (e.g. ePDFs over r) independent; samples = the p columns (003, HyperSpy default)
  Loadings,  ///< columns of L (maps) independent; samples = the n rows (spatial ICA)
};

/// "logcosh", "exp", "cube" / "parallel" (alias "symmetric"), "deflation" / "signals", "loadings";
/// each throws std::invalid_argument naming the value otherwise.
IcaNonlinearity parse_ica_nonlinearity(const std::string& name);
std::string ica_nonlinearity_name(IcaNonlinearity g);
IcaAlgorithm parse_ica_algorithm(const std::string& name);
std::string ica_algorithm_name(IcaAlgorithm a);
IcaDomain parse_ica_domain(const std::string& name);
std::string ica_domain_name(IcaDomain d);

struct FastIcaSettings {
  IcaNonlinearity nonlinearity = IcaNonlinearity::LogCosh;
  double alpha = 1.0;       ///< α of logcosh (dimensionless, 1..2)
  IcaAlgorithm algorithm = IcaAlgorithm::Parallel;
  int max_iter = 1000;      ///< iterations (per component for deflation)
  /// Convergence: change below tol (dimensionless, see above). The change 1 − |cos θ| ≈ θ²/2 is
  /// quadratic in the step angle θ and the iteration converges only linearly on real data, so the
  /// common 1e-4 leaves rotations off by degrees (runs from different seeds differ); 1e-8 (θ ≈ 1e-4
  /// rad per step) makes them agree (docs/unmixing.md).
  double tol = 1e-8;
  uint64_t seed = 0;        ///< initial W
};

struct FastIcaRun {
  Eigen::MatrixXd W;                        ///< k × k orthogonal rotation: sources = W z
  bool converged = false;
  int iterations = 0;                       ///< parallel: iterations; deflation: the largest per component
  double final_change = 0;                  ///< last change (parallel) / largest last change (deflation)
  std::vector<int> component_iterations;    ///< per component (parallel: all equal to iterations)
  std::vector<double> component_changes;    ///< last change per component
  std::string message;                      ///< empty when converged; otherwise what went wrong
};

/// FastICA on whitened data Z (k × m: k signals, m samples; rows centred with Z Zᵀ/m ≈ I).
/// Throws std::invalid_argument for an empty Z, m < 2, non-finite entries, max_iter < 1, tol <= 0 or
/// α outside [1, 2] for logcosh.
FastIcaRun fastica_whitened(const Eigen::MatrixXd& Z, const FastIcaSettings& s);

struct IcaOptions {
  PcaOptions pca;            ///< reduction and whitening; pca.n_components = k (0 = automatic)
  FastIcaSettings fastica;
  IcaDomain domain = IcaDomain::Signals;
};

struct IcaResult {
  /// k × p signals and n × k loadings, X ≈ loadings · components (+ 1·meanᵀ when pca.center),
  /// after the convention of docs/unmixing.md: loadings mostly positive (else the signal's largest
  /// |value| positive), max |loading| = 1 so a signal carries the data's units, ordered by
  /// decreasing contribution ||L_i||²||C_i||².
  Eigen::MatrixXd components;
  Eigen::MatrixXd loadings;
  Eigen::VectorXd contribution_ratio;  ///< ||L_i C_iᵀ||²_F / ||X − 1·meanᵀ||²_F per component
  Eigen::MatrixXd unmixing;            ///< the FastICA rotation W (k × k), rows in the final order and sign
  FastIcaRun run;
  PcaResult pca;
};

/// PCA (opt.pca) then FastICA (opt.fastica) in opt.domain. With pca.poisson the loadings and signals
/// are returned in data units (L ← diag(row_scale)·L̃, C ← C̃·diag(col_scale)). Errors: those of pca(); an automatic count
/// of 0; a PCA coordinate that is constant over the samples (whitening impossible; named).
IcaResult fastica(const Eigen::MatrixXd& X, const IcaOptions& opt = {});

}  // namespace sedpdf
