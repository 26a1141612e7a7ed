#include "sedpdf/validate/matching.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

namespace {
void check_matrix(const std::vector<std::vector<double>>& s, const char* who) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i].size() != s[0].size()) {
      std::ostringstream m;
      m << who << ": row " << i << " has " << s[i].size() << " entries, row 0 has " << s[0].size();
      throw std::invalid_argument(m.str());
    }
    for (std::size_t j = 0; j < s[i].size(); ++j)
      if (!std::isfinite(s[i][j])) {
        std::ostringstream m;
        m << who << ": score[" << i << "][" << j << "] = " << s[i][j] << " is not finite";
        throw std::invalid_argument(m.str());
      }
  }
}

std::vector<std::vector<double>> transpose(const std::vector<std::vector<double>>& s) {
  if (s.empty()) return {};
  std::vector<std::vector<double>> t(s[0].size(), std::vector<double>(s.size()));
  for (std::size_t i = 0; i < s.size(); ++i)
    for (std::size_t j = 0; j < s[i].size(); ++j) t[j][i] = s[i][j];
  return t;
}

// Hungarian algorithm for n <= m rows × cols minimising cost; returns column per row.
std::vector<int> hungarian_min(const std::vector<std::vector<double>>& cost) {
  const std::size_t n = cost.size(), m = cost[0].size();
  const double inf = std::numeric_limits<double>::infinity();
  // 1-based potentials u (rows), v (cols); p[j] = row matched to column j (0 = none).
  std::vector<double> u(n + 1, 0), v(m + 1, 0);
  std::vector<std::size_t> p(m + 1, 0), way(m + 1, 0);
  for (std::size_t i = 1; i <= n; ++i) {
    p[0] = i;
    std::size_t j0 = 0;
    std::vector<double> minv(m + 1, inf);
    std::vector<bool> used(m + 1, false);
    do {
      used[j0] = true;
      const std::size_t i0 = p[j0];
      double delta = inf;
      std::size_t j1 = 0;
      for (std::size_t j = 1; j <= m; ++j) {
        if (used[j]) continue;
        const double cur = cost[i0 - 1][j - 1] - u[i0] - v[j];
        if (cur < minv[j]) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j] < delta) {
          delta = minv[j];
          j1 = j;
        }
      }
      for (std::size_t j = 0; j <= m; ++j) {
        if (used[j]) {
          u[p[j]] += delta;
          v[j] -= delta;
        } else {
          minv[j] -= delta;
        }
      }
      j0 = j1;
    } while (p[j0] != 0);
    do {
      const std::size_t j1 = way[j0];
      p[j0] = p[j1];
      j0 = j1;
    } while (j0 != 0);
  }
  std::vector<int> row_to_col(n, -1);
  for (std::size_t j = 1; j <= m; ++j)
    if (p[j] != 0) row_to_col[p[j] - 1] = static_cast<int>(j - 1);
  return row_to_col;
}
}  // namespace

std::vector<int> solve_assignment(const std::vector<std::vector<double>>& score) {
  if (score.empty() || score[0].empty()) return std::vector<int>(score.size(), -1);
  check_matrix(score, "assignment");
  const std::size_t rows = score.size(), cols = score[0].size();
  if (rows <= cols) {
    std::vector<std::vector<double>> cost(rows, std::vector<double>(cols));
    for (std::size_t i = 0; i < rows; ++i)
      for (std::size_t j = 0; j < cols; ++j) cost[i][j] = -score[i][j];
    return hungarian_min(cost);
  }
  const std::vector<std::vector<double>> t = transpose(score);
  std::vector<std::vector<double>> cost(cols, std::vector<double>(rows));
  for (std::size_t i = 0; i < cols; ++i)
    for (std::size_t j = 0; j < rows; ++j) cost[i][j] = -t[i][j];
  const std::vector<int> col_to_row = hungarian_min(cost);
  std::vector<int> out(rows, -1);
  for (std::size_t c = 0; c < cols; ++c)
    if (col_to_row[c] >= 0) out[static_cast<std::size_t>(col_to_row[c])] = static_cast<int>(c);
  return out;
}

std::vector<int> solve_assignment_brute_force(const std::vector<std::vector<double>>& score) {
  if (score.empty() || score[0].empty()) return std::vector<int>(score.size(), -1);
  check_matrix(score, "assignment (brute force)");
  const std::size_t rows = score.size(), cols = score[0].size();
  if (std::min(rows, cols) > 8) throw std::invalid_argument("brute-force assignment limited to 8 pairs");
  std::vector<int> best(rows, -1), cur(rows, -1);
  double best_score = -std::numeric_limits<double>::infinity();
  std::vector<bool> used(cols, false);
  const std::size_t pairs = std::min(rows, cols);
  // Recursive enumeration: each row takes a free column or (if enough rows remain) none.
  std::function<void(std::size_t, std::size_t, double)> rec = [&](std::size_t i, std::size_t made, double acc) {
    if (i == rows) {
      if (made == pairs && acc > best_score) {
        best_score = acc;
        best = cur;
      }
      return;
    }
    for (std::size_t j = 0; j < cols; ++j) {
      if (used[j]) continue;
      used[j] = true;
      cur[i] = static_cast<int>(j);
      rec(i + 1, made + 1, acc + score[i][j]);
      used[j] = false;
    }
    if (rows - i - 1 >= pairs - made) {  // leave this row unassigned
      cur[i] = -1;
      rec(i + 1, made, acc);
    }
  };
  rec(0, 0, 0.0);
  return best;
}

double assignment_score(const std::vector<std::vector<double>>& score, const std::vector<int>& assignment) {
  double s = 0;
  for (std::size_t i = 0; i < assignment.size(); ++i)
    if (assignment[i] >= 0) s += score[i][static_cast<std::size_t>(assignment[i])];
  return s;
}

ComponentMatch match_components(const std::vector<double>& x, const std::vector<std::vector<double>>& components,
                                const std::vector<std::vector<double>>& references, Window w) {
  if (components.empty()) throw std::invalid_argument("component matching: no components");
  if (references.empty()) throw std::invalid_argument("component matching: no references");
  ComponentMatch out;
  out.correlation_matrix.assign(components.size(), std::vector<double>(references.size()));
  std::vector<std::vector<double>> absr(components.size(), std::vector<double>(references.size()));
  for (std::size_t i = 0; i < components.size(); ++i)
    for (std::size_t j = 0; j < references.size(); ++j) {
      out.correlation_matrix[i][j] = pearson(x, components[i], references[j], w);
      absr[i][j] = std::abs(out.correlation_matrix[i][j]);
    }
  out.reference_of_component = solve_assignment(absr);
  out.sign.assign(components.size(), 1);
  out.correlation.assign(components.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t i = 0; i < components.size(); ++i) {
    const int j = out.reference_of_component[i];
    if (j < 0) continue;
    const double r = out.correlation_matrix[i][static_cast<std::size_t>(j)];
    out.sign[i] = r < 0 ? -1 : 1;
    out.correlation[i] = std::abs(r);
    out.total_abs_correlation += std::abs(r);
  }
  return out;
}

std::vector<double> matched_reference_pearson(const std::vector<double>& x, const Eigen::MatrixXd& components,
                                              const std::vector<std::vector<double>>& references, Window w) {
  std::vector<std::vector<double>> rows;
  for (Eigen::Index k = 0; k < components.rows(); ++k) {
    if (components.cols() != static_cast<Eigen::Index>(x.size()))
      throw std::invalid_argument("matched_reference_pearson: components of " + std::to_string(components.cols()) +
                                  " points for " + std::to_string(x.size()) + " abscissae");
    std::vector<double> row(x.size());
    for (std::size_t j = 0; j < x.size(); ++j) row[j] = components(k, static_cast<Eigen::Index>(j));
    rows.push_back(std::move(row));
  }
  const ComponentMatch m = match_components(x, rows, references, w);
  std::vector<double> out(references.size(), std::numeric_limits<double>::quiet_NaN());
  for (std::size_t k = 0; k < rows.size(); ++k)
    if (m.reference_of_component[k] >= 0) out[static_cast<std::size_t>(m.reference_of_component[k])] = m.correlation[k];
  return out;
}

}  // namespace sedpdf
