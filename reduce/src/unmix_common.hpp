// reduce/src/unmix_common.hpp — private helpers shared by pca.cpp, ica.cpp, nmf.cpp and decompose.cpp:
// a platform-independent seeded random stream, the Eigen thread-count scope, input checks and the
// sign / scale / order convention of unmixed components (docs/unmixing.md).
#pragma once
#include <Eigen/Dense>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace sedpdf::detail {

/// Random numbers with a sequence fixed by the seed on every platform: std::mt19937_64's output is
/// specified by the C++ standard, while std::normal_distribution / uniform_int_distribution are not,
/// so the transforms are written here. Uniforms use the top 53 bits; normals use Box–Muller
/// (Box & Muller, Ann. Math. Stat. 29 (1958) 610).
class RandomStream {
 public:
  explicit RandomStream(uint64_t seed) : gen_(seed) {}
  /// Uniform on [0, 1).
  double uniform() { return static_cast<double>(gen_() >> 11) * 0x1.0p-53; }
  /// Standard normal.
  double normal();
  /// Uniform integer in [0, n), n > 0, by rejection (no modulo bias).
  uint64_t below(uint64_t n);

 private:
  std::mt19937_64 gen_;
  bool has_spare_ = false;
  double spare_ = 0;
};

/// rows × cols matrix of independent standard normals, filled column by column.
Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, RandomStream& rng);

/// Sets Eigen's thread count for its lifetime (threads > 0) and restores the previous one after.
class EigenThreadScope {
 public:
  explicit EigenThreadScope(int threads);
  ~EigenThreadScope();
  EigenThreadScope(const EigenThreadScope&) = delete;
  EigenThreadScope& operator=(const EigenThreadScope&) = delete;

 private:
  int previous_;
  bool set_;
};

/// Threads for the chunked products: `threads` when > 0, else omp_get_max_threads().
int resolve_threads(int threads);

/// A·B and Aᵀ·B for a large A and a thin B, computed over fixed chunks of A (512 rows for A·B, 64
/// columns for Aᵀ·B) that do not depend on the thread count; each chunk is one Eigen product, the
/// chunks run in parallel (OpenMP, static schedule) when the product is large. Every output entry
/// is computed by the same operations whatever the thread count, so the result is bit-identical for
/// any number of threads. Call with Eigen's own threading off (EigenThreadScope(1)), as pca(),
/// fastica() and nmf() do.
Eigen::MatrixXd product(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, int threads);
Eigen::MatrixXd adjoint_product(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, int threads);

/// Throws std::invalid_argument naming the first (row-major order) non-finite entry: "<what>: non-finite
/// value nan at row i (sample), column j (feature)".
void check_finite(const Eigen::MatrixXd& X, const std::string& what);
/// Throws std::invalid_argument naming the first (row-major order) negative entry.
void check_non_negative(const Eigen::MatrixXd& X, const std::string& what);

/// The convention for unmixed components (loadings L: n × k, signals C: k × p, X ≈ L C), in place:
///  * sign: if the loadings of component i are mostly of one sign, |Σ_n L_ni| >= 0.1 Σ_n |L_ni|, the
///    sign makes Σ_n L_ni > 0; otherwise the entry of largest magnitude of C_i (first on ties) is made
///    positive;
///  * scale (normalise_loadings): L_i /= max_n |L_ni| and C_i *= the same, so the largest |loading| is 1
///    and C_i carries the data's units;
///  * order: by decreasing contribution ||L_i||² ||C_i||² (= ||L_i C_iᵀ||²_F); ties keep their order.
/// Returns the contributions in the final order. Permutes `extra_rows` (k × anything, e.g. the
/// unmixing matrix) with the components and flips its rows' signs with them (may be null).
Eigen::VectorXd apply_component_convention(Eigen::MatrixXd& L, Eigen::MatrixXd& C, bool normalise_loadings,
                                           Eigen::MatrixXd* extra_rows = nullptr);

}  // namespace sedpdf::detail
