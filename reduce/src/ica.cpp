// FastICA on PCA-whitened data (ica.hpp).
#include "sedpdf/reduce/ica.hpp"

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

IcaNonlinearity parse_ica_nonlinearity(const std::string& name) {
  if (name == "logcosh") return IcaNonlinearity::LogCosh;
  if (name == "exp") return IcaNonlinearity::Exp;
  if (name == "cube") return IcaNonlinearity::Cube;
  throw std::invalid_argument("unknown ICA nonlinearity '" + name + "' (logcosh, exp, cube)");
}

std::string ica_nonlinearity_name(IcaNonlinearity g) {
  switch (g) {
    case IcaNonlinearity::LogCosh: return "logcosh";
    case IcaNonlinearity::Exp: return "exp";
    case IcaNonlinearity::Cube: return "cube";
  }
  return "?";
}

IcaAlgorithm parse_ica_algorithm(const std::string& name) {
  if (name == "parallel" || name == "symmetric") return IcaAlgorithm::Parallel;
  if (name == "deflation") return IcaAlgorithm::Deflation;
  throw std::invalid_argument("unknown ICA algorithm '" + name + "' (parallel, deflation)");
}

std::string ica_algorithm_name(IcaAlgorithm a) { return a == IcaAlgorithm::Parallel ? "parallel" : "deflation"; }

IcaDomain parse_ica_domain(const std::string& name) {
  if (name == "signals") return IcaDomain::Signals;
  if (name == "loadings") return IcaDomain::Loadings;
  throw std::invalid_argument("unknown ICA domain '" + name + "' (signals, loadings)");
}

std::string ica_domain_name(IcaDomain d) { return d == IcaDomain::Signals ? "signals" : "loadings"; }

namespace {

std::string sci(double v) {
  std::ostringstream o;
  o << std::setprecision(3) << std::scientific << v;
  return o.str();
}

/// g(U) into G and the row means of g′(U) into gp (k × m), Hyvärinen (1999) G₁, G₂, G₃.
void nonlinearity(const MatrixXd& U, const FastIcaSettings& s, MatrixXd& G, VectorXd& gp) {
  const Index k = U.rows(), m = U.cols();
  G.resize(k, m);
  gp = VectorXd::Zero(k);
  const double a = s.alpha;
  for (Index i = 0; i < k; ++i) {
    double sum = 0;
    switch (s.nonlinearity) {
      case IcaNonlinearity::LogCosh:
        for (Index j = 0; j < m; ++j) {
          const double t = std::tanh(a * U(i, j));
          G(i, j) = t;
          sum += a * (1 - t * t);
        }
        break;
      case IcaNonlinearity::Exp:
        for (Index j = 0; j < m; ++j) {
          const double u = U(i, j), e = std::exp(-0.5 * u * u);
          G(i, j) = u * e;
          sum += (1 - u * u) * e;
        }
        break;
      case IcaNonlinearity::Cube:
        for (Index j = 0; j < m; ++j) {
          const double u = U(i, j);
          G(i, j) = u * u * u;
          sum += 3 * u * u;
        }
        break;
    }
    gp(i) = sum / static_cast<double>(m);
  }
}

/// W ← (W Wᵀ)^{−1/2} W.
MatrixXd symmetric_decorrelation(const MatrixXd& W) {
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(W * W.transpose());
  VectorXd d = es.eigenvalues();
  for (Index i = 0; i < d.size(); ++i) d(i) = 1.0 / std::sqrt(std::max(d(i), 1e-300));
  return es.eigenvectors() * d.asDiagonal() * es.eigenvectors().transpose() * W;
}

}  // namespace

FastIcaRun fastica_whitened(const MatrixXd& Z, const FastIcaSettings& s) {
  const Index k = Z.rows(), m = Z.cols();
  if (k < 1) throw std::invalid_argument("FastICA: no signals (whitened data with 0 rows)");
  if (m < 2) throw std::invalid_argument("FastICA: needs at least 2 samples, got " + std::to_string(m));
  if (s.max_iter < 1) throw std::invalid_argument("FastICA: max_iter " + std::to_string(s.max_iter) + " < 1");
  if (!(s.tol > 0)) throw std::invalid_argument("FastICA: tol must be > 0, got " + sci(s.tol));
  if (s.nonlinearity == IcaNonlinearity::LogCosh && !(s.alpha >= 1 && s.alpha <= 2))
    throw std::invalid_argument("FastICA: logcosh alpha must be in [1, 2] (Hyvärinen 1999), got " + sci(s.alpha));
  detail::check_finite(Z, "FastICA whitened data");

  detail::RandomStream rng(s.seed);
  MatrixXd W = detail::gaussian_matrix(k, k, rng);
  FastIcaRun run;
  run.component_iterations.assign(static_cast<size_t>(k), 0);
  run.component_changes.assign(static_cast<size_t>(k), 0.0);
  const double inv_m = 1.0 / static_cast<double>(m);
  MatrixXd G;
  VectorXd gp;
  const std::string what = "FastICA (" + ica_algorithm_name(s.algorithm) + ", " + ica_nonlinearity_name(s.nonlinearity) + ")";

  if (s.algorithm == IcaAlgorithm::Parallel) {
    W = symmetric_decorrelation(W);
    double change = 0;
    int it = 0;
    bool ok = false;
    while (it < s.max_iter) {
      ++it;
      const MatrixXd U = W * Z;
      nonlinearity(U, s, G, gp);
      MatrixXd W1 = (G * Z.transpose()) * inv_m - gp.asDiagonal() * W;
      W1 = symmetric_decorrelation(W1);
      change = 0;
      for (Index i = 0; i < k; ++i) change = std::max(change, std::abs(1 - std::abs(W1.row(i).dot(W.row(i)))));
      W = W1;
      if (!std::isfinite(change)) break;
      if (change < s.tol) {
        ok = true;
        break;
      }
    }
    run.converged = ok;
    run.iterations = it;
    run.final_change = change;
    std::fill(run.component_iterations.begin(), run.component_iterations.end(), it);
    std::fill(run.component_changes.begin(), run.component_changes.end(), change);
    if (!ok)
      run.message = what + " did not converge: change " + sci(change) + " after " + std::to_string(it) +
                    " iterations, tol " + sci(s.tol) +
                    ". The separation may be wrong: raise max_iter, try another seed or nonlinearity, or check "
                    "the number of components.";
  } else {
    bool all_ok = true;
    std::ostringstream msg;
    for (Index c = 0; c < k; ++c) {
      VectorXd w = W.row(c).transpose();
      auto orthogonalise = [&](VectorXd& v) {  // Gram–Schmidt against the rows already found
        for (Index j = 0; j < c; ++j) v -= v.dot(W.row(j).transpose()) * W.row(j).transpose();
        const double nrm = v.norm();
        if (nrm > 0) v /= nrm;
        return nrm;
      };
      orthogonalise(w);
      double change = 0;
      int it = 0;
      bool ok = false;
      while (it < s.max_iter) {
        ++it;
        const MatrixXd u = w.transpose() * Z;  // 1 × m
        nonlinearity(u, s, G, gp);
        VectorXd w1 = (Z * G.transpose()) * inv_m - gp(0) * w;
        if (!(orthogonalise(w1) > 0)) {
          change = std::numeric_limits<double>::quiet_NaN();
          break;
        }
        change = std::abs(1 - std::abs(w1.dot(w)));
        w = w1;
        if (!std::isfinite(change)) break;
        if (change < s.tol) {
          ok = true;
          break;
        }
      }
      W.row(c) = w.transpose();
      run.component_iterations[static_cast<size_t>(c)] = it;
      run.component_changes[static_cast<size_t>(c)] = change;
      run.iterations = std::max(run.iterations, it);
      run.final_change = std::max(run.final_change, std::isfinite(change) ? change : 1.0);
      if (!ok) {
        all_ok = false;
        msg << (msg.tellp() > 0 ? " " : "") << what << ": component " << c + 1 << " of " << k
            << " did not converge: change " << sci(change) << " after " << it << " iterations, tol " << sci(s.tol)
            << ".";
      }
    }
    run.converged = all_ok;
    if (!all_ok)
      run.message = msg.str() +
                    " The separation may be wrong: raise max_iter, try another seed or nonlinearity, or check the "
                    "number of components.";
  }
  run.W = W;
  return run;
}

IcaResult fastica(const MatrixXd& X, const IcaOptions& opt) {
  detail::EigenThreadScope eigen_one_thread(1);  // large products are chunked inside pca()
  IcaResult res;
  res.pca = pca(X, opt.pca);
  const PcaResult& P = res.pca;
  const Index k = P.components.rows();
  if (k == 0)
    throw std::invalid_argument("ICA: no component above the noise floor (" + P.count.reason +
                                "); set n_components to force a count");
  // Reduced coordinates of the samples: signals domain → the p columns, loadings domain → the n rows.
  const bool signals = opt.domain == IcaDomain::Signals;
  const MatrixXd Y = signals ? MatrixXd(P.components) : MatrixXd(P.scores.transpose());  // k × m
  const Index m = Y.cols();
  const VectorXd ybar = Y.rowwise().mean();
  const MatrixXd Yc = Y.colwise() - ybar;
  const MatrixXd cov = (Yc * Yc.transpose()) / static_cast<double>(m);
  Eigen::SelfAdjointEigenSolver<MatrixXd> es(cov);
  const VectorXd lam = es.eigenvalues();  // ascending
  if (!(lam(0) > 1e-12 * lam(k - 1))) {
    std::ostringstream msg;
    msg << "ICA: a combination of the " << k << " PCA components is constant over the " << (signals ? "features" : "samples")
        << " (covariance eigenvalue " << lam(0) << " vs " << lam(k - 1)
        << "), so it cannot be whitened; use fewer components or the other ICA domain";
    throw std::invalid_argument(msg.str());
  }
  const MatrixXd K = lam.cwiseSqrt().cwiseInverse().asDiagonal() * es.eigenvectors().transpose();
  const MatrixXd Z = K * Yc;
  res.run = fastica_whitened(Z, opt.fastica);
  const MatrixXd& W = res.run.W;
  MatrixXd B = W * K;
  // B⁻¹ = K⁻¹ Wᵀ = E Λ^{1/2} Wᵀ (W orthogonal).
  const MatrixXd Binv = es.eigenvectors() * lam.cwiseSqrt().asDiagonal() * W.transpose();
  if (signals) {
    res.components = B * Y;
    res.loadings = P.scores * Binv;
  } else {
    res.loadings = (B * Y).transpose();
    res.components = Binv.transpose() * P.components;
  }
  double total = P.total_sum_squares;
  if (P.poisson) {  // back to data units: L ← D_r L̃, C ← C̃ D_c
    res.loadings = P.row_scale.asDiagonal() * res.loadings;
    res.components = res.components * P.col_scale.asDiagonal();
    total = 0;
    for (Index j = 0; j < X.cols(); ++j)
      total += (X.col(j).array() - P.row_scale.array() * (P.mean(j) * P.col_scale(j))).square().sum();
  }
  res.unmixing = W;
  const VectorXd contrib = detail::apply_component_convention(res.loadings, res.components, true, &res.unmixing);
  res.contribution_ratio = total > 0 ? VectorXd(contrib / total) : VectorXd::Zero(k);
  return res;
}

}  // namespace sedpdf
