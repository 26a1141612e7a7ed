// Internal: Nelder–Mead downhill simplex minimisation (Nelder & Mead, Comput. J. 7 (1965) 308), with
// the standard coefficients (reflection 1, expansion 2, contraction ½, shrink ½) and the ordering and
// tie rules of Lagarias et al., SIAM J. Optim. 9 (1998) 112. Deterministic; no allocation per step.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <vector>

namespace sedpdf {
namespace detail {

struct SimplexResult {
  std::vector<double> x;
  double f = 0;
  int evaluations = 0;
  bool converged = false;
};

/// Minimises f(x) from x0 with initial steps `step` per coordinate. Stops when every vertex is within
/// `xtol` of the best one in every coordinate (converged), or after max_eval evaluations.
template <class F>
SimplexResult nelder_mead(F&& f, const std::vector<double>& x0, const std::vector<double>& step, double xtol,
                          int max_eval) {
  const size_t n = x0.size();
  std::vector<std::vector<double>> v(n + 1, x0);
  std::vector<double> fv(n + 1);
  for (size_t i = 0; i < n; ++i) v[i + 1][i] += step[i];
  int evals = 0;
  for (size_t i = 0; i <= n; ++i) {
    fv[i] = f(v[i]);
    ++evals;
  }
  std::vector<size_t> order(n + 1);
  std::vector<double> c(n), xr(n), xe(n), xc(n);
  bool converged = false;
  while (true) {
    std::iota(order.begin(), order.end(), size_t{0});
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return fv[a] < fv[b]; });
    const size_t best = order[0], worst = order[n], second = order[n - 1];
    double size = 0;
    for (size_t i = 0; i <= n; ++i)
      for (size_t k = 0; k < n; ++k) size = std::max(size, std::abs(v[i][k] - v[best][k]));
    if (size <= xtol) {
      converged = true;
      break;
    }
    if (evals >= max_eval) break;
    std::fill(c.begin(), c.end(), 0.0);
    for (size_t i = 0; i <= n; ++i)
      if (i != worst)
        for (size_t k = 0; k < n; ++k) c[k] += v[i][k] / static_cast<double>(n);
    for (size_t k = 0; k < n; ++k) xr[k] = c[k] + (c[k] - v[worst][k]);
    const double fr = f(xr);
    ++evals;
    if (fr < fv[best]) {
      for (size_t k = 0; k < n; ++k) xe[k] = c[k] + 2.0 * (c[k] - v[worst][k]);
      const double fe = f(xe);
      ++evals;
      if (fe < fr) {
        v[worst] = xe;
        fv[worst] = fe;
      } else {
        v[worst] = xr;
        fv[worst] = fr;
      }
      continue;
    }
    if (fr < fv[second]) {
      v[worst] = xr;
      fv[worst] = fr;
      continue;
    }
    const bool outside = fr < fv[worst];
    for (size_t k = 0; k < n; ++k)
      xc[k] = outside ? c[k] + 0.5 * (xr[k] - c[k]) : c[k] + 0.5 * (v[worst][k] - c[k]);
    const double fc = f(xc);
    ++evals;
    if (fc < (outside ? fr : fv[worst])) {
      v[worst] = xc;
      fv[worst] = fc;
      continue;
    }
    for (size_t i = 0; i <= n; ++i) {  // shrink towards the best vertex
      if (i == best) continue;
      for (size_t k = 0; k < n; ++k) v[i][k] = v[best][k] + 0.5 * (v[i][k] - v[best][k]);
      fv[i] = f(v[i]);
      ++evals;
    }
  }
  const size_t best = static_cast<size_t>(std::min_element(fv.begin(), fv.end()) - fv.begin());
  return {v[best], fv[best], evals, converged};
}

}  // namespace detail
}  // namespace sedpdf
