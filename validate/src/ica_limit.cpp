// ICA of the reference curves themselves (ica_limit.hpp).
#include "sedpdf/validate/ica_limit.hpp"

#include <Eigen/Dense>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sedpdf/structures/constants.hpp"
#include "sedpdf/validate/matching.hpp"

namespace sedpdf {

namespace {

/// Contrast G(u) and its derivative g(u) (ica.hpp; Hyvärinen 1999 G₁, G₂, G₃).
double contrast_G(double u, const FastIcaSettings& s) {
  switch (s.nonlinearity) {
    case IcaNonlinearity::LogCosh: {
      const double x = std::abs(s.alpha * u);  // log cosh x = x + log1p(e^{−2x}) − log 2, stable for large x
      return (x + std::log1p(std::exp(-2 * x)) - std::log(2.0)) / s.alpha;
    }
    case IcaNonlinearity::Exp: return -std::exp(-0.5 * u * u);
    case IcaNonlinearity::Cube: return 0.25 * u * u * u * u;
  }
  return 0;
}

double contrast_g(double u, const FastIcaSettings& s) {
  switch (s.nonlinearity) {
    case IcaNonlinearity::LogCosh: return std::tanh(s.alpha * u);
    case IcaNonlinearity::Exp: return u * std::exp(-0.5 * u * u);
    case IcaNonlinearity::Cube: return u * u * u;
  }
  return 0;
}

/// The whitened references (k × m): rows centred over the samples, Z Zᵀ/m = I.
Eigen::MatrixXd whiten(const Eigen::MatrixXd& X, const char* what) {
  const Eigen::Index m = X.cols();
  const Eigen::MatrixXd Xc = X.colwise() - X.rowwise().mean();
  const Eigen::MatrixXd cov = Xc * Xc.transpose() / static_cast<double>(m);
  Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> es(cov);
  const Eigen::VectorXd lam = es.eigenvalues();
  if (!(lam(0) > 1e-12 * lam(lam.size() - 1))) {
    std::ostringstream msg;
    msg << what << ": the curves are linearly dependent over the grid (covariance eigenvalue " << lam(0)
        << " vs " << lam(lam.size() - 1) << "): they cannot be whitened";
    throw std::invalid_argument(msg.str());
  }
  return lam.cwiseSqrt().cwiseInverse().asDiagonal() * es.eigenvectors().transpose() * Xc;
}

struct Evaluation {
  double value = 0, slope = 0;
};

/// Contrast and its θ-derivative at θ (parallel: F, deflation: H; see the header).
Evaluation contrast_at(const Eigen::MatrixXd& Z, double theta, const FastIcaSettings& s) {
  const double c = std::cos(theta), sn = std::sin(theta);
  const Eigen::Index m = Z.cols();
  const bool parallel = s.algorithm == IcaAlgorithm::Parallel;
  double f = 0, d = 0;
  for (Eigen::Index j = 0; j < m; ++j) {
    const double y1 = c * Z(0, j) + sn * Z(1, j), y2 = -sn * Z(0, j) + c * Z(1, j);
    f += contrast_G(y1, s);
    d += contrast_g(y1, s) * y2;
    if (parallel) {
      f += contrast_G(y2, s);
      d -= contrast_g(y2, s) * y1;
    }
  }
  return {f / static_cast<double>(m), d / static_cast<double>(m)};
}

std::vector<double> rows_to_vector(const Eigen::MatrixXd& M, Eigen::Index i) {
  std::vector<double> v(static_cast<std::size_t>(M.cols()));
  for (Eigen::Index j = 0; j < M.cols(); ++j) v[static_cast<std::size_t>(j)] = M(i, j);
  return v;
}

double smallest_of(const std::vector<double>& v) {
  double s = 1;
  for (double x : v) s = std::isfinite(x) ? std::min(s, x) : std::numeric_limits<double>::quiet_NaN();
  return s;
}

/// ICA's objective Σ_i (E{G(y_i)} − E{G(ν)})² over the first `rows` rows of Y, each standardised over its
/// samples (whitened outputs already are).
double negentropy(const Eigen::MatrixXd& Y, Eigen::Index rows, const FastIcaSettings& settings, double gamma) {
  double J = 0;
  for (Eigen::Index i = 0; i < rows; ++i) {
    const Eigen::VectorXd y = Y.row(i).transpose().array() - Y.row(i).mean();
    const double sd = std::sqrt(y.squaredNorm() / static_cast<double>(y.size()));
    double eg = 0;
    for (Eigen::Index j = 0; j < y.size(); ++j) eg += contrast_G(y(j) / sd, settings);
    eg /= static_cast<double>(y.size());
    J += (eg - gamma) * (eg - gamma);
  }
  return J;
}

/// The outputs of rotation θ of the whitened span Z: contrast, ICA's objective, Pearson per reference.
IcaStationaryPoint evaluate_rotation(const Eigen::MatrixXd& Z, double theta, const FastIcaSettings& settings, double gamma,
                                     const std::vector<double>& r, const std::vector<std::vector<double>>& references,
                                     Window window) {
  const bool parallel = settings.algorithm == IcaAlgorithm::Parallel;
  IcaStationaryPoint sp;
  sp.angle_rad = theta;
  sp.contrast = contrast_at(Z, theta, settings).value;
  const double c = std::cos(theta), sn = std::sin(theta);
  Eigen::MatrixXd Y(2, Z.cols());
  Y.row(0) = c * Z.row(0) + sn * Z.row(1);
  Y.row(1) = -sn * Z.row(0) + c * Z.row(1);
  sp.negentropy = negentropy(Y, parallel ? 2 : 1, settings, gamma);
  const ComponentMatch m = match_components(r, {rows_to_vector(Y, 0), rows_to_vector(Y, 1)}, references, window);
  sp.pearson.assign(references.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t q = 0; q < 2; ++q)
    if (m.reference_of_component[q] >= 0) sp.pearson[static_cast<std::size_t>(m.reference_of_component[q])] = m.correlation[q];
  sp.smallest = smallest_of(sp.pearson);
  return sp;
}

/// The 2 × p span matrix, checked (sizes, finite values).
Eigen::MatrixXd span_matrix(const std::vector<double>& r, const std::vector<std::vector<double>>& span, const char* what) {
  const std::size_t p = r.size();
  if (span.size() != 2)
    throw std::invalid_argument(std::string(what) + ": a span of " + std::to_string(span.size()) + " curves (need 2)");
  Eigen::MatrixXd X(2, static_cast<Eigen::Index>(p));
  for (std::size_t i = 0; i < 2; ++i) {
    if (span[i].size() != p)
      throw std::invalid_argument(std::string(what) + ": span curve " + std::to_string(i) + " has " +
                                  std::to_string(span[i].size()) + " points for " + std::to_string(p) + " abscissae");
    for (std::size_t j = 0; j < p; ++j) {
      if (!std::isfinite(span[i][j])) {
        std::ostringstream m;
        m << what << ": non-finite value " << span[i][j] << " of span curve " << i << " at r = " << r[j];
        throw std::invalid_argument(m.str());
      }
      X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = span[i][j];
    }
  }
  return X;
}

}  // namespace

ReferenceIcaLimit reference_ica_limit(const std::vector<double>& r, const std::vector<std::vector<double>>& references,
                                      Window window, const FastIcaSettings& settings, int starts) {
  const std::size_t k = references.size(), p = r.size();
  if (k < 2)
    throw std::invalid_argument("reference ICA limit: " + std::to_string(k) + " reference(s); ICA needs at least 2");
  if (starts < 1) throw std::invalid_argument("reference ICA limit: starts = " + std::to_string(starts) + " (need >= 1)");
  if (p < k + 1)
    throw std::invalid_argument("reference ICA limit: " + std::to_string(p) + " grid points for " + std::to_string(k) + " references");
  Eigen::MatrixXd X(static_cast<Eigen::Index>(k), static_cast<Eigen::Index>(p));
  for (std::size_t i = 0; i < k; ++i) {
    if (references[i].size() != p)
      throw std::invalid_argument("reference ICA limit: reference " + std::to_string(i) + " has " +
                                  std::to_string(references[i].size()) + " points for " + std::to_string(p) + " abscissae");
    for (std::size_t j = 0; j < p; ++j) {
      if (!std::isfinite(references[i][j]) || !std::isfinite(r[j])) {
        std::ostringstream m;
        m << "reference ICA limit: non-finite value " << references[i][j] << " of reference " << i << " at r = " << r[j];
        throw std::invalid_argument(m.str());
      }
      X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = references[i][j];
    }
  }
  ReferenceIcaLimit out;
  out.k = k;
  (void)whiten(X, "reference ICA limit");  // refuses dependent references with a clear message

  // FastICA itself, with the caller's settings, on the references as the data (their exact span).
  IcaOptions opt;
  opt.pca.n_components = static_cast<int>(k);
  opt.pca.center = false;
  opt.pca.poisson = false;
  opt.pca.solver = SvdSolver::Full;
  opt.pca.pa_trials = 0;
  opt.fastica = settings;
  opt.domain = IcaDomain::Signals;
  const double gamma = gaussian_contrast(settings);
  // One FastICA run: per-reference Pearson; its negentropy approximation over the standardised outputs.
  auto run = [&](uint64_t seed, bool* converged, double* J) {
    IcaOptions o = opt;
    o.fastica.seed = seed;
    o.pca.seed = seed;
    IcaResult res;
    try {
      res = fastica(X, o);
    } catch (const std::invalid_argument& e) {
      throw std::invalid_argument(std::string("reference ICA limit: ") + e.what());
    }
    if (converged) *converged = res.run.converged;
    if (J) *J = negentropy(res.components, res.components.rows(), settings, gamma);
    return matched_reference_pearson(r, res.components, references, window);
  };
  double J0 = 0;
  out.pearson = run(settings.seed, &out.converged, &J0);
  out.smallest = smallest_of(out.pearson);

  if (k > 2) {
    // The largest negentropy of the runs is ICA's own choice (parallel objective: all outputs).
    double best_J = J0;
    out.preferred_smallest = out.best_smallest = out.smallest;
    out.starts = starts;
    for (int i = 1; i < starts; ++i) {
      double J = 0;
      const double s = smallest_of(run(settings.seed + static_cast<uint64_t>(i), nullptr, &J));
      if (std::isfinite(s) && !(s <= out.best_smallest)) out.best_smallest = s;
      if (J > best_J) {
        best_J = J;
        out.preferred_smallest = s;
      }
    }
    return out;
  }

  // k = 2: every stationary point of the contrast over the rotation angle.
  {
    const Eigen::MatrixXd Xc = X.colwise() - X.rowwise().mean();
    out.reference_correlation = Xc.row(0).dot(Xc.row(1)) / (Xc.row(0).norm() * Xc.row(1).norm());
    out.uncorrelated_cap = std::cos(0.5 * std::max(0.0, std::acos(std::clamp(out.reference_correlation, -1.0, 1.0)) - kPi / 2));
  }
  out.stationary = ica_stationary_points(r, references, references, window, settings);
  out.best_smallest = out.preferred_smallest = std::numeric_limits<double>::quiet_NaN();
  for (const IcaStationaryPoint& sp : out.stationary) {
    if (std::isfinite(sp.smallest) && !(sp.smallest <= out.best_smallest)) out.best_smallest = sp.smallest;
    if (sp.preferred) out.preferred_smallest = sp.smallest;
  }
  return out;
}

double gaussian_contrast(const FastIcaSettings& s) {
  switch (s.nonlinearity) {
    case IcaNonlinearity::Exp: return -1 / std::sqrt(2.0);  // E{−e^{−ν²/2}} = −1/√2
    case IcaNonlinearity::Cube: return 0.75;                // E{ν⁴}/4 = 3/4
    case IcaNonlinearity::LogCosh: break;
  }
  const int n = 4800;  // Simpson over [−12, 12], h = 0.005: the integrand is smooth, error far below 1e-10
  const double lo = -12, h = 24.0 / n;
  double sum = 0;
  for (int i = 0; i <= n; ++i) {
    const double u = lo + i * h, wgt = (i == 0 || i == n) ? 1 : (i % 2 ? 4 : 2);
    sum += wgt * contrast_G(u, s) * std::exp(-0.5 * u * u);
  }
  return sum * h / 3 / std::sqrt(2 * kPi);
}

std::vector<IcaStationaryPoint> ica_stationary_points(const std::vector<double>& r,
                                                      const std::vector<std::vector<double>>& span,
                                                      const std::vector<std::vector<double>>& references, Window window,
                                                      const FastIcaSettings& settings) {
  const Eigen::MatrixXd X = span_matrix(r, span, "ICA stationary points");
  const Eigen::MatrixXd Z = whiten(X, "ICA stationary points");
  const double gamma = gaussian_contrast(settings);
  const double period = settings.algorithm == IcaAlgorithm::Parallel ? kPi / 2 : kPi;
  const int n = 2000;
  const double h = period / n;
  std::vector<Evaluation> grid(n + 1);
  for (int i = 0; i <= n; ++i) grid[static_cast<std::size_t>(i)] = contrast_at(Z, i * h, settings);
  std::vector<IcaStationaryPoint> out;
  for (int i = 0; i < n; ++i) {
    const double d0 = grid[static_cast<std::size_t>(i)].slope, d1 = grid[static_cast<std::size_t>(i + 1)].slope;
    double theta = i * h;
    bool maximum = false;
    if (d0 == 0) {  // exactly on the grid (a zero at θ_n = period is θ_0's)
      maximum = grid[static_cast<std::size_t>(i == 0 ? n - 1 : i - 1)].slope > 0;
    } else if (d1 != 0 && (d0 > 0) != (d1 > 0)) {
      double a = i * h, b = (i + 1) * h;
      for (int it = 0; it < 60 && b - a > 1e-15; ++it) {  // bisection on the slope's sign change
        const double c = 0.5 * (a + b), fc = contrast_at(Z, c, settings).slope;
        if (fc == 0) {
          a = b = c;
          break;
        }
        if ((fc > 0) == (d0 > 0)) a = c; else b = c;
      }
      theta = 0.5 * (a + b);
      maximum = d0 > 0;
    } else {
      continue;
    }
    IcaStationaryPoint sp = evaluate_rotation(Z, theta, settings, gamma, r, references, window);
    sp.maximum = maximum;
    out.push_back(std::move(sp));
  }
  std::size_t best = 0;
  for (std::size_t i = 1; i < out.size(); ++i)
    if (out[i].negentropy > out[best].negentropy) best = i;
  if (!out.empty()) out[best].preferred = true;
  return out;
}

std::vector<IcaStationaryPoint> ica_rotation_scan(const std::vector<double>& r, const std::vector<std::vector<double>>& span,
                                                  const std::vector<std::vector<double>>& references, Window window,
                                                  const FastIcaSettings& settings, int n) {
  if (n < 2) throw std::invalid_argument("ICA rotation scan: n = " + std::to_string(n) + " (need >= 2)");
  const Eigen::MatrixXd Z = whiten(span_matrix(r, span, "ICA rotation scan"), "ICA rotation scan");
  const double gamma = gaussian_contrast(settings);
  const double period = settings.algorithm == IcaAlgorithm::Parallel ? kPi / 2 : kPi;
  std::vector<IcaStationaryPoint> out;
  for (int i = 0; i < n; ++i) out.push_back(evaluate_rotation(Z, period * i / n, settings, gamma, r, references, window));
  return out;
}

}  // namespace sedpdf
