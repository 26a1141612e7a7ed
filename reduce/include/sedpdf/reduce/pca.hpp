// sedpdf/reduce/pca.hpp — principal component analysis of a data matrix X (n × p: rows = samples such
// as scan positions, columns = features such as the r points of G(r)), with an automatic count of the
// components above the noise floor that says why it chose what it chose.
//
// Solvers: the full (thin) SVD of Eigen's BDCSVD, or the randomized truncated SVD of Halko, Martinsson &
// Tropp, SIAM Rev. 53 (2011) 217: Gaussian test matrix Ω (p × l, l = k + oversampling), randomized
// subspace iteration with re-orthonormalisation (their Algorithm 4.4, q power iterations), then the
// direct SVD of B = QᵀX (their Algorithm 5.1). Centring and scaling are applied implicitly in the
// products, so the n × p matrix is never copied by the randomized solver.
//
// Preprocessing (in this order): Poisson scaling X̃_ij = X_ij / sqrt(ḡ_i h̄_j), ḡ_i = mean of row i,
// h̄_j = mean of column j (Keenan & Kotula, Surf. Interface Anal. 36 (2004) 203: for Poisson counts the
// scaled noise has nearly constant variance); then optional centring (subtracting the column means of
// X̃). All PcaResult matrices live in this preprocessed space.
//
// Automatic count (docs/unmixing.md), criterion 1 — Marchenko–Pastur edge: for an n′ × p matrix of
// i.i.d. noise of variance σ² (n′ = n − 1 if centred, else n) the singular values stay below
// σ(√n′ + √p) (Marchenko & Pastur, Math. USSR Sb. 1 (1967) 457); the finite-size fluctuation of the
// largest eigenvalue λ₁ of NᵀN/σ² is Tracy–Widom: (λ₁ − μ)/τ → F₁ with μ = (√(n′−½) + √(p−½))²,
// τ = (√(n′−½) + √(p−½))(1/√(n′−½) + 1/√(p−½))^{1/3} (Johnstone, Ann. Stat. 29 (2001) 295, Theorem 1).
// A component counts when s_i > σ̂ √(μ + t·τ), t a quantile of F₁ (0.9793: 5 %, 2.0234: 1 % false alarm).
// σ̂ comes from the energy not explained by the k components counted so far,
// σ̂² = (||X||²_F − Σ_{i≤k} s_i²) / ((n′ − k)(p − k)), iterated k → count until it is stable (the
// rank-estimation scheme of Kritchman & Nadler, IEEE Trans. Signal Process. 57 (2009) 3930).
// Criterion 2 — parallel analysis (Horn, Psychometrika 30 (1965) 179; permutation form of Buja &
// Eyuboglu, Multivar. Behav. Res. 27 (1992) 509): each column of the (preprocessed, centred) matrix is
// permuted independently, which keeps every column's distribution and destroys the correlations
// between columns; component i counts when s_i exceeds the chosen quantile of the i-th singular value
// over the permuted matrices. Without centring, the column means form one rank-one term that
// permutation keeps; s_1 is then compared with the permuted s_1 and s_i (i ≥ 2) with the permuted
// s_{i−1} of the centred matrix. One criterion decides (PcaOptions::criterion); the other is a
// cross-check whose disagreement is reported.
#pragma once
#include <Eigen/Dense>

#include <cstdint>
#include <string>
#include <vector>

namespace sedpdf {

enum class SvdSolver {
  Auto,        ///< Full when n·p <= 10⁶ or l >= min(n, p)/2, Randomized otherwise
  Full,        ///< Eigen::BDCSVD, thin U and V: every singular value
  Randomized,  ///< Halko–Martinsson–Tropp, l = k + oversampling columns, q power iterations
};

enum class CountCriterion { MarchenkoPastur, ParallelAnalysis };

/// "auto", "full", "randomized" (throws std::invalid_argument naming the value otherwise).
SvdSolver parse_svd_solver(const std::string& name);
std::string svd_solver_name(SvdSolver s);
/// "marchenko-pastur", "parallel-analysis".
CountCriterion parse_count_criterion(const std::string& name);
std::string count_criterion_name(CountCriterion c);

struct PcaOptions {
  int n_components = 0;        ///< components kept; 0 = automatic (above the noise floor)
  bool center = false;         ///< subtract the column means (off: a mixture X = L·C keeps rank k)
  bool poisson = false;        ///< Keenan–Kotula scaling for count data (needs X >= 0)
  SvdSolver solver = SvdSolver::Auto;
  int oversampling = 10;       ///< randomized: extra random columns (HMT 2011 §4.2 suggest 5–10)
  int power_iterations = 2;    ///< randomized: q subspace iterations (HMT 2011 Alg. 4.4)
  /// Largest count the automatic choice may return; with the randomized solver also the number of
  /// singular values computed for the scree (at least n_components).
  int max_components = 20;
  CountCriterion criterion = CountCriterion::MarchenkoPastur;  ///< decides the automatic count
  double tw_quantile = 2.0234;  ///< Tracy–Widom F₁ quantile t of the MP test (2.0234: 1 % false alarm)
  int pa_trials = 10;           ///< parallel analysis: permuted matrices; 0 = no cross-check
  double pa_quantile = 0.95;    ///< parallel analysis: quantile of the permuted singular values
  uint64_t seed = 0;            ///< random test matrix and permutations (same seed → same result)
  /// OpenMP threads for the large products (fixed chunks: bit-identical at any count) and the parallel
  /// analysis trials; 0 = OpenMP default. Eigen's own threading is switched off inside pca().
  int threads = 0;
};

/// Why the automatic count is what it is. Singular values are those of PcaResult::singular_values.
struct ComponentCount {
  int n_components = 0;      ///< the count used
  bool automatic = false;    ///< false: fixed by the caller (the criteria are still evaluated when possible)
  std::string criterion;     ///< "marchenko-pastur", "parallel-analysis" or "fixed"
  std::string reason;        ///< one or two sentences, with the numbers
  // Marchenko–Pastur (criterion 1)
  int mp_count = -1;         ///< −1: not evaluated
  double noise_sigma = 0;    ///< σ̂, noise standard deviation per entry (preprocessed units)
  double mp_edge = 0;        ///< σ̂(√n′ + √p), the asymptotic largest noise singular value
  double mp_threshold = 0;   ///< σ̂ √(μ + t τ), edge with the Tracy–Widom margin
  int mp_iterations = 0;     ///< noise-estimate iterations until the count was stable
  std::vector<int> above_mp; ///< per singular value: 1 if above mp_threshold
  // parallel analysis (criterion 2)
  int pa_count = -1;                  ///< −1: not run
  std::vector<double> pa_thresholds;  ///< per singular value (size ≤ singular values)
  std::vector<int> above_pa;          ///< per singular value: 1 if above its pa_threshold
  bool criteria_agree = true;         ///< both ran and gave the same count (true if only one ran)
};

struct PcaResult {
  int n_samples = 0;            ///< n
  int n_features = 0;           ///< p
  std::string solver;           ///< "full" or "randomized"
  bool centered = false;
  bool poisson = false;
  Eigen::VectorXd mean;         ///< p: column means subtracted (zeros when not centred), preprocessed units
  Eigen::VectorXd row_scale;    ///< n: sqrt(ḡ_i) with Poisson scaling (X̃ = X / (row_scale col_scaleᵀ)), else empty
  Eigen::VectorXd col_scale;    ///< p: sqrt(h̄_j) with Poisson scaling, else empty
  Eigen::MatrixXd components;   ///< k × p, orthonormal rows (right singular vectors)
  Eigen::MatrixXd scores;       ///< n × k, U_k S_k (so X̃ − 1·meanᵀ ≈ scores · components)
  /// Every singular value computed, descending (min(n′, p) for Full; max(k, max_components) for Randomized).
  Eigen::VectorXd singular_values;
  Eigen::VectorXd explained_variance;        ///< s_i² / (n − 1) centred, s_i² / n otherwise
  Eigen::VectorXd explained_variance_ratio;  ///< s_i² / ||X̃ − 1·meanᵀ||²_F (the scree)
  double total_sum_squares = 0;              ///< ||X̃ − 1·meanᵀ||²_F
  ComponentCount count;
};

/// PCA of X (n × p). Sign convention of each component: see apply_component_convention in
/// docs/unmixing.md (loadings mostly positive, else the largest |component value| positive).
/// Throws std::invalid_argument for: an empty matrix; a non-finite entry (named by row and column);
/// a negative entry with poisson (named); n_components < 0 or more than min(n′, p) (n′ = n − 1 centred);
/// n_components larger than the numerical rank (s_k <= 10·ε·max(n, p)·s_1; the message lists the
/// rank); bad solver parameters (oversampling < 0, power_iterations < 0, max_components < 1,
/// pa_quantile outside (0, 1)). An automatic count of 0 (nothing above the noise floor) is returned
/// as k = 0 with the reason; callers that need components throw.
PcaResult pca(const Eigen::MatrixXd& X, const PcaOptions& opt = {});

/// Criterion 1 on a given spectrum: the leading singular values `s` (descending; at least
/// max_components + 1 of them when available) of an n_eff × p matrix whose squared Frobenius norm is
/// `frobenius_sq`. Fills the Marchenko–Pastur fields of a ComponentCount (count capped at
/// max_components and at s.size()). Throws std::invalid_argument for n_eff < 2, p < 2 or a negative
/// norm.
ComponentCount marchenko_pastur_count(const Eigen::VectorXd& s, double frobenius_sq, Eigen::Index n_eff,
                                      Eigen::Index p, int max_components, double tw_quantile = 2.0234);

/// Randomized truncated SVD of A (Halko, Martinsson & Tropp 2011, Alg. 4.4 + 5.1): the leading `rank`
/// singular triplets; U: n × rank, s: rank, V: p × rank. For testing and for callers outside pca().
struct TruncatedSvd {
  Eigen::MatrixXd U;
  Eigen::VectorXd s;
  Eigen::MatrixXd V;
};
TruncatedSvd randomized_svd(const Eigen::MatrixXd& A, int rank, int oversampling = 10, int power_iterations = 2,
                            uint64_t seed = 0, int threads = 0);

}  // namespace sedpdf
