// Non-negative matrix factorisation: HALS and multiplicative updates (nmf.hpp).
#include "sedpdf/reduce/nmf.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "unmix_common.hpp"

namespace sedpdf {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

NmfSolver parse_nmf_solver(const std::string& name) {
  if (name == "hals") return NmfSolver::Hals;
  if (name == "mu" || name == "multiplicative") return NmfSolver::MultiplicativeUpdate;
  throw std::invalid_argument("unknown NMF solver '" + name + "' (hals, mu)");
}

std::string nmf_solver_name(NmfSolver s) { return s == NmfSolver::Hals ? "hals" : "mu"; }

NmfInit parse_nmf_init(const std::string& name) {
  if (name == "nndsvda") return NmfInit::Nndsvda;
  if (name == "random") return NmfInit::Random;
  throw std::invalid_argument("unknown NMF initialisation '" + name + "' (nndsvda, random)");
}

std::string nmf_init_name(NmfInit i) { return i == NmfInit::Nndsvda ? "nndsvda" : "random"; }

namespace {

std::string sci(double v) {
  std::ostringstream o;
  o << std::setprecision(3) << std::scientific << v;
  return o.str();
}

/// f = ||X − L C||² = ||X||² − 2⟨LᵀX, C⟩ + ⟨LᵀL, C Cᵀ⟩.
double objective(double x2, const MatrixXd& LtX, const MatrixXd& LtL, const MatrixXd& C) {
  const MatrixXd CCt = C * C.transpose();
  return x2 - 2 * LtX.cwiseProduct(C).sum() + LtL.cwiseProduct(CCt).sum();
}

}  // namespace

NmfResult nmf(const MatrixXd& X, const NmfOptions& opt) {
  const Index n = X.rows(), p = X.cols();
  if (n < 2 || p < 2)
    throw std::invalid_argument("NMF needs at least 2 samples and 2 features, got " + std::to_string(n) + " × " +
                                std::to_string(p));
  if (opt.max_iter < 1) throw std::invalid_argument("NMF: max_iter " + std::to_string(opt.max_iter) + " < 1");
  if (!(opt.tol > 0)) throw std::invalid_argument("NMF: tol must be > 0, got " + sci(opt.tol));
  if (opt.n_components < 0 || opt.n_components > std::min(n, p))
    throw std::invalid_argument("NMF: n_components " + std::to_string(opt.n_components) + " outside 0.." +
                                std::to_string(std::min(n, p)));
  detail::check_finite(X, "NMF input");
  detail::check_non_negative(X, "NMF needs non-negative data");
  const double xmax = X.maxCoeff();
  if (!(xmax > 0)) throw std::invalid_argument("NMF: the data are all zero");
  detail::EigenThreadScope eigen_one_thread(1);  // the large products are chunked (bit-identical at any count)

  NmfResult res;
  PcaOptions po = opt.count;
  po.center = false;
  po.seed = opt.seed;
  po.threads = opt.threads;
  po.n_components = opt.n_components;
  Index k = opt.n_components;
  if (k == 0) {
    res.pca = pca(X, po);
    k = res.pca.count.n_components;
    if (k == 0)
      throw std::invalid_argument("NMF: no component above the noise floor (" + res.pca.count.reason +
                                  "); set n_components to force a count");
  }
  if (res.pca.components.rows() != k || res.pca.poisson) {
    // The truncated SVD of X itself: NNDSVDa starts from it, and it checks that k is within the rank.
    PcaOptions pi = po;
    pi.poisson = false;
    pi.n_components = static_cast<int>(k);
    const ComponentCount count = res.pca.count;
    const bool had_count = opt.n_components == 0;
    res.pca = pca(X, pi);
    if (had_count) res.pca.count = count;
  }
  const double eps = 1e-16 * xmax;
  const double x2 = X.squaredNorm();
  MatrixXd L(n, k), C(k, p);
  if (opt.init == NmfInit::Nndsvda) {
    const PcaResult& P = res.pca;
    const double fill = X.mean();
    for (Index j = 0; j < k; ++j) {
      const double sj = P.singular_values(j);
      const VectorXd u = sj > 0 ? VectorXd(P.scores.col(j) / sj) : VectorXd(P.scores.col(j));
      const VectorXd v = P.components.row(j).transpose();
      const VectorXd up = u.cwiseMax(0), un = (-u).cwiseMax(0), vp = v.cwiseMax(0), vn = (-v).cwiseMax(0);
      const double mp = up.norm() * vp.norm(), mn = un.norm() * vn.norm();
      const bool pos = mp >= mn;
      const double sigma = pos ? mp : mn;
      const VectorXd& a = pos ? up : un;
      const VectorXd& b = pos ? vp : vn;
      const double na = a.norm(), nb = b.norm();
      const double w = std::sqrt(sj * sigma);
      if (na > 0) L.col(j) = w * a / na;
      else L.col(j).setZero();
      if (nb > 0) C.row(j) = (w * b / nb).transpose();
      else C.row(j).setZero();
    }
    for (Index i = 0; i < L.size(); ++i)
      if (L.data()[i] <= 0) L.data()[i] = fill;
    for (Index i = 0; i < C.size(); ++i)
      if (C.data()[i] <= 0) C.data()[i] = fill;
  } else {
    detail::RandomStream rng(opt.seed);
    const double scale = std::sqrt(X.mean() / static_cast<double>(k));
    for (Index j = 0; j < k; ++j)
      for (Index i = 0; i < n; ++i) L(i, j) = scale * rng.uniform();
    for (Index j = 0; j < p; ++j)
      for (Index i = 0; i < k; ++i) C(i, j) = scale * rng.uniform();
  }

  MatrixXd LtX(k, p), LtL(k, k), XCt(n, k), CCt(k, k);
  double f_prev = 0, change = 0;
  bool ok = false;
  int it = 0;
  for (;;) {
    LtX = detail::adjoint_product(X, L, opt.threads).transpose();  // (XᵀL)ᵀ = LᵀX
    LtL.noalias() = L.transpose() * L;
    const double f = objective(x2, LtX, LtL, C);  // of the current (L, C), i.e. after iteration `it`
    res.objective.push_back(f);
    if (it > 0) {
      change = (f_prev - f) / x2;
      if (std::abs(change) < opt.tol) {
        ok = true;
        break;
      }
    }
    if (it == opt.max_iter) break;
    f_prev = f;
    ++it;
    if (opt.solver == NmfSolver::Hals) {
      for (Index j = 0; j < k; ++j) {
        if (!(LtL(j, j) > 0)) continue;
        C.row(j) = (C.row(j) + (LtX.row(j) - LtL.row(j) * C) / LtL(j, j)).cwiseMax(eps);
      }
      XCt = detail::product(X, C.transpose(), opt.threads);
      CCt.noalias() = C * C.transpose();
      for (Index j = 0; j < k; ++j) {
        if (!(CCt(j, j) > 0)) continue;
        L.col(j) = (L.col(j) + (XCt.col(j) - L * CCt.col(j)) / CCt(j, j)).cwiseMax(eps);
      }
    } else {
      const MatrixXd den_c = LtL * C;
      C = C.cwiseProduct(LtX).cwiseQuotient(den_c.cwiseMax(1e-300));
      XCt = detail::product(X, C.transpose(), opt.threads);
      CCt.noalias() = C * C.transpose();
      const MatrixXd den_l = L * CCt;
      L = L.cwiseProduct(XCt).cwiseQuotient(den_l.cwiseMax(1e-300));
    }
  }
  res.converged = ok;
  res.iterations = it;
  res.final_change = change;
  res.relative_error = std::sqrt(std::max(res.objective.back(), 0.0) / x2);
  if (!ok)
    res.message = "NMF (" + nmf_solver_name(opt.solver) + ") did not converge: relative objective change " +
                  sci(change) + " after " + std::to_string(it) + " iterations, tol " + sci(opt.tol) +
                  ". Raise max_iter or loosen tol; the factors may still be usable (relative error " +
                  sci(res.relative_error) + ").";
  const VectorXd contrib = detail::apply_component_convention(L, C, true);
  res.loadings = std::move(L);
  res.components = std::move(C);
  res.contribution_ratio = contrib / x2;
  return res;
}

}  // namespace sedpdf
