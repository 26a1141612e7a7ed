// Vertex component analysis (see sedpdf/reduce/vca.hpp).
#include "sedpdf/reduce/vca.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <stdexcept>
#include <string>

namespace sedpdf {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

VcaResult vca(const MatrixXd& X, const VcaOptions& opt) {
  if (opt.pca.center)
    throw std::invalid_argument("VCA: the PCA subspace must be uncentred (pca.center = false): the endmembers are the "
                                "edges of the data's cone from the origin");
  if (opt.pca.poisson) throw std::invalid_argument("VCA: Poisson scaling of the PCA is not supported (pca.poisson = false)");
  if (!(opt.extreme_fraction >= 0 && opt.extreme_fraction <= 0.5))
    throw std::invalid_argument("VCA: extreme_fraction = " + std::to_string(opt.extreme_fraction) + " must be in [0, 0.5]");
  VcaResult res;
  res.pca = pca(X, opt.pca);
  const Index k = res.pca.components.rows(), n = X.rows();
  if (k == 0)
    throw std::invalid_argument("VCA: no component above the noise floor (" + res.pca.count.reason +
                                "); set n_components to force a count");
  const MatrixXd& T = res.pca.scores;  // n × k
  const Index m = std::max<Index>(1, static_cast<Index>(std::llround(opt.extreme_fraction * static_cast<double>(n))));
  std::mt19937_64 rng(opt.seed);
  std::normal_distribution<double> normal(0.0, 1.0);
  MatrixXd A = MatrixXd::Zero(k, k);  // column i: endmember i in the subspace
  std::vector<Index> order(static_cast<size_t>(n));
  for (Index i = 0; i < k; ++i) {
    VectorXd f(k);
    for (Index j = 0; j < k; ++j) f(j) = normal(rng);
    if (i > 0) {  // orthogonal to the endmembers found so far
      const Eigen::HouseholderQR<MatrixXd> qr(A.leftCols(i));
      const MatrixXd Q = qr.householderQ() * MatrixXd::Identity(k, i);
      f -= Q * (Q.transpose() * f);
    }
    const double nf = f.norm();
    if (!(nf > 0)) throw std::invalid_argument("VCA: degenerate projection direction for endmember " + std::to_string(i + 1));
    f /= nf;
    VectorXd v = T * f;
    Index arg = 0;
    for (Index r = 1; r < n; ++r)
      if (std::fabs(v(r)) > std::fabs(v(arg))) arg = r;
    if (v(arg) < 0) v = -v;  // the extreme pixel's side
    std::iota(order.begin(), order.end(), Index{0});
    std::partial_sort(order.begin(), order.begin() + m, order.end(),
                      [&](Index a, Index b) { return v(a) > v(b) || (v(a) == v(b) && a < b); });
    std::vector<Index> chosen(order.begin(), order.begin() + m);
    VectorXd mean = VectorXd::Zero(k);
    for (Index r : chosen) mean += T.row(r).transpose();
    A.col(i) = mean / static_cast<double>(m);
    res.pixels.push_back(std::move(chosen));
  }
  const Eigen::FullPivLU<MatrixXd> lu(A);
  if (lu.rank() < k || std::fabs(lu.determinant()) <= 1e-12 * std::pow(A.norm(), static_cast<double>(k)))
    throw std::invalid_argument("VCA: the " + std::to_string(k) + " endmembers found are linearly dependent in the PCA "
                                "subspace (no pure pixels of some component?)");
  res.components = A.transpose() * res.pca.components;  // k × p
  res.loadings = lu.solve(T.transpose()).transpose();    // T = L Aᵀ, i.e. A Lᵀ = Tᵀ
  const double total = X.squaredNorm();
  res.contribution_ratio.resize(k);
  for (Index i = 0; i < k; ++i)
    res.contribution_ratio(i) = total > 0 ? res.loadings.col(i).squaredNorm() * res.components.row(i).squaredNorm() / total : 0.0;
  return res;
}

}  // namespace sedpdf
