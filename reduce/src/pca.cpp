// PCA: full and randomized SVD, Poisson scaling, the automatic component count (pca.hpp).
#include "sedpdf/reduce/pca.hpp"

#include "sedpdf/structures/error.hpp"

#include <Eigen/SVD>

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "unmix_common.hpp"

namespace sedpdf {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

SvdSolver parse_svd_solver(const std::string& name) {
  if (name == "auto") return SvdSolver::Auto;
  if (name == "full") return SvdSolver::Full;
  if (name == "randomized" || name == "randomised") return SvdSolver::Randomized;
  throw std::invalid_argument("unknown SVD solver '" + name + "' (auto, full, randomized)");
}

std::string svd_solver_name(SvdSolver s) {
  switch (s) {
    case SvdSolver::Auto: return "auto";
    case SvdSolver::Full: return "full";
    case SvdSolver::Randomized: return "randomized";
  }
  return "?";
}

CountCriterion parse_count_criterion(const std::string& name) {
  if (name == "marchenko-pastur") return CountCriterion::MarchenkoPastur;
  if (name == "parallel-analysis") return CountCriterion::ParallelAnalysis;
  throw std::invalid_argument("unknown component-count criterion '" + name +
                              "' (marchenko-pastur, parallel-analysis)");
}

std::string count_criterion_name(CountCriterion c) {
  return c == CountCriterion::MarchenkoPastur ? "marchenko-pastur" : "parallel-analysis";
}

namespace {

/// M = diag(rw)·A·diag(cw) − 1·μᵀ, applied without forming it (empty rw / cw / μ = identity / none).
struct ImplicitMatrix {
  const MatrixXd& A;
  VectorXd rw, cw, mu;
  int threads = 0;  ///< for the chunked products (bit-identical at any count)

  Index rows() const { return A.rows(); }
  Index cols() const { return A.cols(); }

  MatrixXd times(const MatrixXd& B) const {  // M·B, B: p × l
    MatrixXd Y = cw.size() ? detail::product(A, cw.asDiagonal() * B, threads) : detail::product(A, B, threads);
    if (rw.size()) Y = rw.asDiagonal() * Y;
    if (mu.size()) Y.rowwise() -= mu.transpose() * B;
    return Y;
  }

  MatrixXd adjoint_times(const MatrixXd& Q) const {  // Mᵀ·Q, Q: n × l
    MatrixXd Z = rw.size() ? detail::adjoint_product(A, rw.asDiagonal() * Q, threads)
                           : detail::adjoint_product(A, Q, threads);
    if (cw.size()) Z = cw.asDiagonal() * Z;
    if (mu.size()) Z.noalias() -= mu * Q.colwise().sum();
    return Z;
  }

  MatrixXd dense() const {
    MatrixXd M = A;
    if (rw.size()) M = rw.asDiagonal() * M;
    if (cw.size()) M = M * cw.asDiagonal();
    if (mu.size()) M.rowwise() -= mu.transpose();
    return M;
  }

  /// ||M||²_F; with centring Σ (x − μ)² = Σ x² − n μ² per column (μ the exact column mean).
  double frobenius_sq() const {
    double total = 0;
    for (Index j = 0; j < A.cols(); ++j) {
      double ss = rw.size() ? (A.col(j).array() * rw.array()).square().sum() : A.col(j).squaredNorm();
      if (cw.size()) ss *= cw(j) * cw(j);
      if (mu.size()) ss -= static_cast<double>(A.rows()) * mu(j) * mu(j);
      total += std::max(ss, 0.0);
    }
    return total;
  }
};

MatrixXd orthonormal_basis(const MatrixXd& Y) {
  Eigen::HouseholderQR<MatrixXd> qr(Y);
  MatrixXd Q = MatrixXd::Identity(Y.rows(), Y.cols());
  Q.applyOnTheLeft(qr.householderQ());
  return Q;
}

TruncatedSvd randomized_on(const ImplicitMatrix& M, int rank, int oversampling, int power_iterations,
                           uint64_t seed) {
  const Index n = M.rows(), p = M.cols();
  const Index l = std::min<Index>(rank + oversampling, std::min(n, p));
  detail::RandomStream rng(seed);
  const MatrixXd omega = detail::gaussian_matrix(p, l, rng);
  MatrixXd Q = orthonormal_basis(M.times(omega));
  for (int it = 0; it < power_iterations; ++it) {
    const MatrixXd Qt = orthonormal_basis(M.adjoint_times(Q));
    Q = orthonormal_basis(M.times(Qt));
  }
  const MatrixXd Bt = M.adjoint_times(Q);  // (QᵀM)ᵀ, p × l
  Eigen::BDCSVD<MatrixXd> svd(Bt, Eigen::ComputeThinU | Eigen::ComputeThinV);
  TruncatedSvd out;
  const Index r = std::min<Index>(rank, l);
  out.s = svd.singularValues().head(r);
  out.V = svd.matrixU().leftCols(r);
  out.U = Q * svd.matrixV().leftCols(r);
  return out;
}

/// Singular values (all, descending) and right singular vectors V (p × min(n, p)) of a dense matrix.
/// Eigen's bidiagonalisation of an n × p matrix is not blocked, so the matrix is first reduced by a
/// (blocked) Householder QR to its min(n, p)² triangular factor, whose SVD is then taken (the
/// R-bidiagonalisation of Chan, ACM Trans. Math. Softw. 8 (1982) 72). Tall: M = QR, R = U_R S Vᵀ, so M's
/// V is R's. Wide: Mᵀ = QR, so M = Rᵀ Qᵀ; with Rᵀ = U S Wᵀ, M's U is U and V = Mᵀ U S⁻¹ (for s > 0).
/// Called with Eigen's threading off (pca() switches it off): the small SVD's many small products only
/// lose time to thread start-up, and to spinning when the cores are shared.
VectorXd full_svd(const MatrixXd& M, MatrixXd& V, int threads) {
  const Index n = M.rows(), p = M.cols();
  if (n >= p) {
    Eigen::HouseholderQR<MatrixXd> qr(M);
    const MatrixXd R = qr.matrixQR().topRows(p).triangularView<Eigen::Upper>();
    Eigen::BDCSVD<MatrixXd> svd(R, Eigen::ComputeThinV);
    V = svd.matrixV();
    return svd.singularValues();
  }
  Eigen::HouseholderQR<MatrixXd> qr(M.transpose());
  const MatrixXd Rt = qr.matrixQR().topRows(n).triangularView<Eigen::Upper>().transpose();
  VectorXd s;
  MatrixXd U;
  {
    Eigen::BDCSVD<MatrixXd> svd(Rt, Eigen::ComputeThinU);
    s = svd.singularValues();
    U = svd.matrixU();
  }
  V = detail::adjoint_product(M, U, threads);
  for (Index i = 0; i < s.size(); ++i) {
    if (s(i) > 0) V.col(i) /= s(i);
    else V.col(i).setZero();
  }
  return s;
}

/// Leading `count` singular values of a dense matrix: eigenvalues of the smaller Gram matrix.
VectorXd gram_singular_values(const MatrixXd& P, Index count) {
  const bool tall = P.rows() >= P.cols();
  const Index m = tall ? P.cols() : P.rows();
  MatrixXd G = MatrixXd::Zero(m, m);
  if (tall) G.selfadjointView<Eigen::Lower>().rankUpdate(P.transpose());
  else G.selfadjointView<Eigen::Lower>().rankUpdate(P);
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(G, Eigen::EigenvaluesOnly);
  const VectorXd ev = es.eigenvalues();  // ascending
  VectorXd s(std::min(count, m));
  for (Index i = 0; i < s.size(); ++i) s(i) = std::sqrt(std::max(0.0, ev(m - 1 - i)));
  return s;
}

double quantile(std::vector<double> v, double q) {  // linear interpolation between order statistics
  std::sort(v.begin(), v.end());
  const double h = q * static_cast<double>(v.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(h));
  const size_t hi = std::min(lo + 1, v.size() - 1);
  return v[lo] + (h - static_cast<double>(lo)) * (v[hi] - v[lo]);
}

uint64_t trial_seed(uint64_t seed, int trial) {  // splitmix64 of (seed, trial)
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(trial + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

/// Parallel analysis thresholds for the first `count` singular values.
std::vector<double> parallel_analysis(const ImplicitMatrix& M, bool centered, bool full_solver, Index count,
                                      const PcaOptions& opt) {
  // The permuted matrices are always built from the centred matrix (see pca.hpp).
  ImplicitMatrix Mc = M;
  if (!centered) {
    Mc.mu = VectorXd::Zero(M.cols());
    for (Index j = 0; j < M.cols(); ++j) {
      const double cs = M.rw.size() ? M.A.col(j).dot(M.rw) : M.A.col(j).sum();
      Mc.mu(j) = (M.cw.size() ? M.cw(j) : 1.0) * cs / static_cast<double>(M.rows());
    }
  }
  const MatrixXd D = Mc.dense();
  const Index n = D.rows(), p = D.cols();
  const Index need = centered ? count : std::max<Index>(count - 1, 1);
  // Trials run in parallel; each has its own seed and buffer, so the result does not depend on the
  // thread count.
  std::vector<VectorXd> spec(static_cast<size_t>(opt.pa_trials));
  const int threads = detail::resolve_threads(opt.threads);
#pragma omp parallel num_threads(threads) if (threads > 1 && opt.pa_trials > 1)
  {
    MatrixXd P(n, p);
    std::vector<Index> perm(static_cast<size_t>(n));
#pragma omp for schedule(static)
    for (int t = 0; t < opt.pa_trials; ++t) {
      detail::RandomStream rng(trial_seed(opt.seed, t));
      for (Index j = 0; j < p; ++j) {
        for (Index i = 0; i < n; ++i) perm[static_cast<size_t>(i)] = i;
        for (Index i = n - 1; i > 0; --i)  // Fisher–Yates
          std::swap(perm[static_cast<size_t>(i)],
                    perm[static_cast<size_t>(rng.below(static_cast<uint64_t>(i + 1)))]);
        for (Index i = 0; i < n; ++i) P(i, j) = D(perm[static_cast<size_t>(i)], j);
      }
      if (full_solver) {
        spec[static_cast<size_t>(t)] = gram_singular_values(P, need);
      } else {
        ImplicitMatrix Pm{P, {}, {}, {}, 1};
        spec[static_cast<size_t>(t)] = randomized_on(Pm, static_cast<int>(need), opt.oversampling,
                                                     opt.power_iterations, trial_seed(opt.seed ^ 0x5DEECE66DULL, t))
                                           .s;
      }
    }
  }
  std::vector<std::vector<double>> spectra(static_cast<size_t>(need));
  for (const VectorXd& s : spec)
    for (Index i = 0; i < need && i < s.size(); ++i) spectra[static_cast<size_t>(i)].push_back(s(i));
  std::vector<double> thr(static_cast<size_t>(count), 0.0);
  for (Index i = 0; i < count; ++i) {
    const Index src = centered ? i : std::max<Index>(i - 1, 0);
    if (src < need && !spectra[static_cast<size_t>(src)].empty())
      thr[static_cast<size_t>(i)] = quantile(spectra[static_cast<size_t>(src)], opt.pa_quantile);
  }
  return thr;
}

}  // namespace

ComponentCount marchenko_pastur_count(const VectorXd& s, double frobenius_sq, Index n_eff, Index p,
                                      int max_components, double tw_quantile) {
  if (n_eff < 2 || p < 2)
    throw std::invalid_argument("marchenko_pastur_count: needs at least 2 rows and 2 columns, got " +
                                std::to_string(n_eff) + " × " + std::to_string(p));
  if (!(frobenius_sq >= 0)) throw std::invalid_argument("marchenko_pastur_count: negative squared norm");
  ComponentCount c;
  const double a = std::sqrt(static_cast<double>(n_eff) - 0.5), b = std::sqrt(static_cast<double>(p) - 0.5);
  const double mu = (a + b) * (a + b);
  const double tau = (a + b) * std::cbrt(1.0 / a + 1.0 / b);
  const double lam = std::max(mu + tw_quantile * tau, 0.0);
  const Index cap = std::min<Index>({static_cast<Index>(std::max(max_components, 0)), s.size(),
                                     std::min(n_eff, p) - 1});
  Index k = 0;
  double sigma = 0, thr = 0;
  int it = 0;
  for (; it < 100;) {
    double explained = 0;
    for (Index i = 0; i < k; ++i) explained += s(i) * s(i);
    const double dof = static_cast<double>(n_eff - k) * static_cast<double>(p - k);
    sigma = std::sqrt(std::max(frobenius_sq - explained, 0.0) / dof);
    thr = sigma * std::sqrt(lam);
    Index cnt = 0;
    while (cnt < cap && s(cnt) > thr) ++cnt;
    ++it;
    if (cnt == k) break;
    if (cnt < k) {  // not monotone (degenerate spectrum): keep the smaller count, re-estimate once
      k = cnt;
      continue;
    }
    k = cnt;
  }
  c.mp_count = static_cast<int>(k);
  c.noise_sigma = sigma;
  c.mp_edge = sigma * (std::sqrt(static_cast<double>(n_eff)) + std::sqrt(static_cast<double>(p)));
  c.mp_threshold = thr;
  c.mp_iterations = it;
  c.above_mp.resize(static_cast<size_t>(s.size()));
  for (Index i = 0; i < s.size(); ++i) c.above_mp[static_cast<size_t>(i)] = s(i) > thr ? 1 : 0;
  c.n_components = c.mp_count;
  c.criterion = "marchenko-pastur";
  return c;
}

TruncatedSvd randomized_svd(const MatrixXd& A, int rank, int oversampling, int power_iterations, uint64_t seed,
                            int threads) {
  if (rank < 1 || rank > std::min(A.rows(), A.cols()))
    throw std::invalid_argument("randomized_svd: rank " + std::to_string(rank) + " outside 1.." +
                                std::to_string(std::min(A.rows(), A.cols())));
  if (oversampling < 0 || power_iterations < 0)
    throw std::invalid_argument("randomized_svd: oversampling and power_iterations must be >= 0");
  detail::check_finite(A, "randomized_svd input");
  detail::EigenThreadScope one(1);
  ImplicitMatrix M{A, {}, {}, {}, threads};
  return randomized_on(M, rank, oversampling, power_iterations, seed);
}

PcaResult pca(const MatrixXd& X, const PcaOptions& opt) {
  const Index n = X.rows(), p = X.cols();
  if (n < 2 || p < 2)
    throw std::invalid_argument("PCA needs at least 2 samples and 2 features, got " + std::to_string(n) + " × " +
                                std::to_string(p));
  if (opt.oversampling < 0) throw std::invalid_argument("PCA: oversampling " + std::to_string(opt.oversampling) + " < 0");
  if (opt.power_iterations < 0)
    throw std::invalid_argument("PCA: power_iterations " + std::to_string(opt.power_iterations) + " < 0");
  if (opt.max_components < 1)
    throw std::invalid_argument("PCA: max_components " + std::to_string(opt.max_components) + " < 1");
  if (!(opt.pa_quantile > 0 && opt.pa_quantile < 1))
    throw std::invalid_argument("PCA: pa_quantile " + format_number(opt.pa_quantile, 4) + " outside (0, 1)");
  if (opt.pa_trials < 0) throw std::invalid_argument("PCA: pa_trials " + std::to_string(opt.pa_trials) + " < 0");
  if (!std::isfinite(opt.tw_quantile)) throw std::invalid_argument("PCA: tw_quantile is not finite");
  const Index n_eff = opt.center ? n - 1 : n;
  const Index kmax_possible = std::min(n_eff, p);
  if (opt.n_components < 0 || opt.n_components > kmax_possible) {
    std::ostringstream m;
    m << "PCA: n_components " << opt.n_components << " outside 0.." << kmax_possible << " (a " << n << " × " << p
      << (opt.center ? " centred" : "") << " matrix has at most " << kmax_possible << " components)";
    throw std::invalid_argument(m.str());
  }
  detail::check_finite(X, "PCA input");
  if (opt.poisson) detail::check_non_negative(X, "PCA input with Poisson scaling (counts must be >= 0)");
  // Eigen's own threading is off; the large products are chunked (bit-identical at any thread count).
  detail::EigenThreadScope eigen_one_thread(1);

  PcaResult res;
  res.n_samples = static_cast<int>(n);
  res.n_features = static_cast<int>(p);
  res.centered = opt.center;
  res.poisson = opt.poisson;

  ImplicitMatrix M{X, {}, {}, {}, opt.threads};
  if (opt.poisson) {
    res.row_scale = X.rowwise().mean();
    res.col_scale = X.colwise().mean().transpose();
    for (Index i = 0; i < n; ++i) res.row_scale(i) = res.row_scale(i) > 0 ? std::sqrt(res.row_scale(i)) : 1.0;
    for (Index j = 0; j < p; ++j) res.col_scale(j) = res.col_scale(j) > 0 ? std::sqrt(res.col_scale(j)) : 1.0;
    M.rw = res.row_scale.cwiseInverse();
    M.cw = res.col_scale.cwiseInverse();
  }
  res.mean = VectorXd::Zero(p);
  if (opt.center) {
    for (Index j = 0; j < p; ++j) {
      const double cs = M.rw.size() ? X.col(j).dot(M.rw) : X.col(j).sum();
      res.mean(j) = (M.cw.size() ? M.cw(j) : 1.0) * cs / static_cast<double>(n);
    }
    M.mu = res.mean;
  }
  res.total_sum_squares = M.frobenius_sq();

  // How many singular values: the full spectrum, or what the count needs.
  const bool automatic = opt.n_components == 0;
  const Index want = automatic ? std::min<Index>(opt.max_components + 1, kmax_possible)
                               : static_cast<Index>(opt.n_components);
  bool full = opt.solver == SvdSolver::Full;
  if (opt.solver == SvdSolver::Auto)
    full = static_cast<double>(n) * static_cast<double>(p) <= 1e6 || 2 * (want + opt.oversampling) >= std::min(n, p);
  res.solver = full ? "full" : "randomized";

  MatrixXd D, V;   // D: the dense preprocessed matrix (full solver only)
  MatrixXd Uk;     // randomized: the leading left singular vectors
  VectorXd s;
  if (full) {
    D = M.dense();
    s = full_svd(D, V, opt.threads);
    s.conservativeResize(std::min<Index>(s.size(), kmax_possible));
  } else {
    TruncatedSvd t = randomized_on(M, static_cast<int>(want), opt.oversampling, opt.power_iterations, opt.seed);
    s = std::move(t.s);
    Uk = std::move(t.U);
    V = std::move(t.V);
  }
  res.singular_values = s;
  const double dof = static_cast<double>(opt.center ? n - 1 : n);
  res.explained_variance = s.array().square() / dof;
  res.explained_variance_ratio =
      res.total_sum_squares > 0 ? VectorXd(s.array().square() / res.total_sum_squares) : VectorXd::Zero(s.size());

  // Numerical rank: singular values above rounding level.
  const double rank_tol = 10 * std::numeric_limits<double>::epsilon() * static_cast<double>(std::max(n, p)) *
                          (s.size() ? s(0) : 0.0);
  Index rank = 0;
  while (rank < s.size() && s(rank) > rank_tol) ++rank;

  // The count: criterion 1 always (cheap), criterion 2 when the count is automatic.
  if (n_eff < 2 && automatic)
    throw std::invalid_argument("PCA: an automatic count needs at least 3 samples when centring (got " +
                                std::to_string(n) + ")");
  ComponentCount cc;
  if (n_eff >= 2) cc = marchenko_pastur_count(s, res.total_sum_squares, n_eff, p, opt.max_components, opt.tw_quantile);
  std::ostringstream why;
  const std::string mp_text = "Marchenko–Pastur: σ̂ = " + format_number(cc.noise_sigma, 4) + " per entry, edge σ̂(√n′+√p) = " +
                              format_number(cc.mp_edge, 4) + ", threshold with Tracy–Widom margin (t = " + format_number(opt.tw_quantile, 4) +
                              ") " + format_number(cc.mp_threshold, 4) + "; " + std::to_string(cc.mp_count) +
                              " singular value(s) above it";
  if (automatic && opt.pa_trials > 0) {
    const Index cmp = std::min<Index>(s.size(), opt.max_components + 1);
    cc.pa_thresholds = parallel_analysis(M, opt.center, full, cmp, opt);
    cc.above_pa.assign(static_cast<size_t>(s.size()), 0);
    Index k = 0;
    for (Index i = 0; i < cmp; ++i) cc.above_pa[static_cast<size_t>(i)] = s(i) > cc.pa_thresholds[static_cast<size_t>(i)];
    while (k < cmp && k < opt.max_components && cc.above_pa[static_cast<size_t>(k)]) ++k;
    cc.pa_count = static_cast<int>(k);
  }
  const std::string pa_text =
      cc.pa_count < 0 ? std::string()
                      : "parallel analysis (" + std::to_string(opt.pa_trials) + " column-permuted matrices, " +
                            format_number(100 * opt.pa_quantile, 3) + " % quantile): " + std::to_string(cc.pa_count) +
                            " component(s) above the permuted spectrum";
  if (automatic) {
    cc.automatic = true;
    const bool mp_decides = opt.criterion == CountCriterion::MarchenkoPastur || cc.pa_count < 0;
    cc.n_components = mp_decides ? cc.mp_count : cc.pa_count;
    cc.criterion = mp_decides ? "marchenko-pastur" : "parallel-analysis";
    cc.criteria_agree = cc.pa_count < 0 || cc.pa_count == cc.mp_count;
    if (cc.n_components > rank) cc.n_components = static_cast<int>(rank);
    why << "automatic count " << cc.n_components << " by " << cc.criterion << ". ";
    if (mp_decides) {
      why << mp_text << ".";
      if (!pa_text.empty()) why << " Cross-check " << pa_text << ".";
    } else {
      why << "Parallel analysis" << pa_text.substr(std::string("parallel analysis").size()) << ". Cross-check "
          << mp_text << ".";
    }
    if (cc.mp_count > rank || cc.pa_count > rank)
      why << " Capped at the numerical rank " << rank << " (noise-free data: singular values beyond it are rounding).";
    if (!cc.criteria_agree) why << " WARNING: the two criteria disagree (noise not white or a weak component?).";
    if (cc.n_components == static_cast<int>(std::min<Index>(opt.max_components, s.size())))
      why << " The count reached max_components = " << opt.max_components << "; raise it to look further.";
  } else {
    cc.automatic = false;
    cc.n_components = opt.n_components;
    cc.criterion = "fixed";
    why << "fixed by the caller: " << opt.n_components << " component(s). For reference, " << mp_text;
    if (s.size() <= opt.n_components && cc.mp_count == s.size())
      why << " (only " << s.size() << " singular values computed, so at least this many)";
    why << ".";
  }
  cc.reason = why.str();
  res.count = cc;

  const Index k = cc.n_components;
  if (k > rank) {
    std::ostringstream m;
    m << "PCA: " << k << " components requested but the data have numerical rank " << rank << " (singular value "
      << k << " is " << s(k - 1) << ", below " << rank_tol << " = 10·ε·max(n, p)·s₁)";
    throw std::invalid_argument(m.str());
  }
  if (full) {
    // Scores T = U_k S_k = M V_k (M V = U S); for a wide M, V_k came from U_k as V_k = Mᵀ U_k S_k⁻¹.
    res.components = V.leftCols(k).transpose();
    res.scores = detail::product(D, V.leftCols(k), opt.threads);
  } else {
    res.scores = Uk.leftCols(k) * s.head(k).asDiagonal();
    res.components = V.leftCols(k).transpose();
  }
  detail::apply_component_convention(res.scores, res.components, false);
  return res;
}

}  // namespace sedpdf
