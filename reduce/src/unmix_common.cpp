#include "unmix_common.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf::detail {

double RandomStream::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return spare_;
  }
  double u1 = uniform();
  while (u1 <= 0.0) u1 = uniform();
  const double u2 = uniform();
  const double r = std::sqrt(-2.0 * std::log(u1));
  const double a = 2.0 * kPi * u2;
  spare_ = r * std::sin(a);
  has_spare_ = true;
  return r * std::cos(a);
}

uint64_t RandomStream::below(uint64_t n) {
  if (n == 0) throw std::invalid_argument("RandomStream::below(0)");
  // Accept x < limit, the largest multiple of n that fits in 2⁶⁴, so x % n is exactly uniform.
  const uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n;
  for (;;) {
    const uint64_t x = gen_();
    if (x <= limit) return x % n;
  }
}

Eigen::MatrixXd gaussian_matrix(Eigen::Index rows, Eigen::Index cols, RandomStream& rng) {
  Eigen::MatrixXd m(rows, cols);
  for (Eigen::Index j = 0; j < cols; ++j)
    for (Eigen::Index i = 0; i < rows; ++i) m(i, j) = rng.normal();
  return m;
}

EigenThreadScope::EigenThreadScope(int threads) : previous_(Eigen::nbThreads()), set_(threads > 0) {
  if (set_) Eigen::setNbThreads(threads);
}

EigenThreadScope::~EigenThreadScope() {
  if (set_) Eigen::setNbThreads(previous_);
}

int resolve_threads(int threads) { return threads > 0 ? threads : omp_get_max_threads(); }

namespace {
constexpr Eigen::Index kProductRows = 512;  // chunk of A's rows in A·B
constexpr Eigen::Index kProductCols = 64;   // chunk of A's columns in Aᵀ·B
constexpr double kParallelWork = 4e6;       // multiply-adds below which one thread is used
}  // namespace

Eigen::MatrixXd product(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, int threads) {
  const Eigen::Index n = A.rows();
  Eigen::MatrixXd Y(n, B.cols());
  const Eigen::Index chunks = (n + kProductRows - 1) / kProductRows;
  const bool parallel = chunks > 1 && static_cast<double>(A.size()) * static_cast<double>(B.cols()) > kParallelWork;
#pragma omp parallel for schedule(static) num_threads(resolve_threads(threads)) if (parallel)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    const Eigen::Index i0 = c * kProductRows, m = std::min(kProductRows, n - i0);
    Y.middleRows(i0, m).noalias() = A.middleRows(i0, m) * B;
  }
  return Y;
}

Eigen::MatrixXd adjoint_product(const Eigen::MatrixXd& A, const Eigen::MatrixXd& B, int threads) {
  const Eigen::Index p = A.cols();
  Eigen::MatrixXd Z(p, B.cols());
  const Eigen::Index chunks = (p + kProductCols - 1) / kProductCols;
  const bool parallel = chunks > 1 && static_cast<double>(A.size()) * static_cast<double>(B.cols()) > kParallelWork;
#pragma omp parallel for schedule(static) num_threads(resolve_threads(threads)) if (parallel)
  for (Eigen::Index c = 0; c < chunks; ++c) {
    const Eigen::Index j0 = c * kProductCols, m = std::min(kProductCols, p - j0);
    Z.middleRows(j0, m).noalias() = A.middleCols(j0, m).transpose() * B;
  }
  return Z;
}

namespace {
template <class Bad>
void scan(const Eigen::MatrixXd& X, const std::string& what, const char* problem, Bad bad) {
  for (Eigen::Index i = 0; i < X.rows(); ++i)
    for (Eigen::Index j = 0; j < X.cols(); ++j)
      if (bad(X(i, j))) {
        std::ostringstream m;
        m << what << ": " << problem << " " << X(i, j) << " at row " << i << " (sample), column " << j
          << " (feature)";
        throw std::invalid_argument(m.str());
      }
}
}  // namespace

void check_finite(const Eigen::MatrixXd& X, const std::string& what) {
  // Fast path: a finite sum means every entry is finite (Inf − Inf gives NaN, so no cancellation hides one).
  if (std::isfinite(X.sum())) return;
  scan(X, what, "non-finite value", [](double v) { return !std::isfinite(v); });
}

void check_non_negative(const Eigen::MatrixXd& X, const std::string& what) {
  if (X.size() == 0 || X.minCoeff() >= 0) return;
  scan(X, what, "negative value", [](double v) { return v < 0; });
}

Eigen::VectorXd apply_component_convention(Eigen::MatrixXd& L, Eigen::MatrixXd& C, bool normalise_loadings,
                                           Eigen::MatrixXd* extra_rows) {
  const Eigen::Index k = C.rows();
  if (L.cols() != k) throw std::invalid_argument("apply_component_convention: loadings and components differ in k");
  for (Eigen::Index i = 0; i < k; ++i) {
    const double sum = L.col(i).sum();
    const double abs_sum = L.col(i).cwiseAbs().sum();
    double sign = 1;
    if (abs_sum > 0 && std::abs(sum) >= 0.1 * abs_sum) {
      sign = sum < 0 ? -1 : 1;
    } else if (C.cols() > 0) {
      Eigen::Index jmax = 0;
      double vmax = -1;
      for (Eigen::Index j = 0; j < C.cols(); ++j)
        if (std::abs(C(i, j)) > vmax) {
          vmax = std::abs(C(i, j));
          jmax = j;
        }
      sign = C(i, jmax) < 0 ? -1 : 1;
    }
    double scale = 1;
    if (normalise_loadings) {
      const double m = L.col(i).cwiseAbs().maxCoeff();
      if (m > 0) scale = m;
    }
    L.col(i) *= sign / scale;
    C.row(i) *= sign * scale;
    if (extra_rows) extra_rows->row(i) *= sign;
  }
  Eigen::VectorXd contrib(k);
  for (Eigen::Index i = 0; i < k; ++i) contrib(i) = L.col(i).squaredNorm() * C.row(i).squaredNorm();
  std::vector<Eigen::Index> order(static_cast<size_t>(k));
  std::iota(order.begin(), order.end(), Eigen::Index{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](Eigen::Index a, Eigen::Index b) { return contrib(a) > contrib(b); });
  Eigen::MatrixXd L2(L.rows(), k), C2(k, C.cols());
  Eigen::VectorXd c2(k);
  Eigen::MatrixXd E2;
  if (extra_rows) E2.resize(extra_rows->rows(), extra_rows->cols());
  for (Eigen::Index i = 0; i < k; ++i) {
    const Eigen::Index o = order[static_cast<size_t>(i)];
    L2.col(i) = L.col(o);
    C2.row(i) = C.row(o);
    c2(i) = contrib(o);
    if (extra_rows) E2.row(i) = extra_rows->row(o);
  }
  L = std::move(L2);
  C = std::move(C2);
  if (extra_rows) *extra_rows = std::move(E2);
  return c2;
}

}  // namespace sedpdf::detail
