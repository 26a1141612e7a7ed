// sedpdf/validate/matching.hpp — matching unmixed components (ICA/NMF/PCA signals) to reference curves
// by an optimal one-to-one assignment on |Pearson correlation|, with the sign of each component fixed so
// that it correlates positively with its reference (ICA leaves sign and order undetermined: Hyvärinen &
// Oja, Neural Networks 13 (2000) 411, §2.2).
#pragma once
#include <Eigen/Dense>

#include <string>
#include <vector>

#include "sedpdf/validate/metrics.hpp"

namespace sedpdf {

/// Maximum-weight assignment on a rows × cols score matrix (score[i][j]): each row gets at most one column
/// and each column at most one row; min(rows, cols) pairs are made. Returns the column of every row
/// (−1 for rows left unassigned when rows > cols). Hungarian algorithm (Kuhn, Naval Res. Logist. Q. 2 (1955)
/// 83; Munkres 1957) in the O(n²m) potentials form. Throws std::invalid_argument for a ragged or
/// non-finite matrix.
std::vector<int> solve_assignment(const std::vector<std::vector<double>>& score);

/// The same by trying every injective map (the brute-force oracle); throws std::invalid_argument when
/// min(rows, cols) > 8 or the matrix is ragged.
std::vector<int> solve_assignment_brute_force(const std::vector<std::vector<double>>& score);

/// Sum of score[i][assignment[i]] over assigned rows.
double assignment_score(const std::vector<std::vector<double>>& score, const std::vector<int>& assignment);

struct ComponentMatch {
  std::vector<int> reference_of_component;  ///< per component: index of its reference, −1 if unmatched
  std::vector<int> sign;                    ///< per component: +1 or −1 (multiply the component and its loadings)
  std::vector<double> correlation;          ///< per component: Pearson of sign·component with its reference (NaN if unmatched)
  std::vector<std::vector<double>> correlation_matrix;  ///< components × references, signed Pearson
  double total_abs_correlation = 0;         ///< Σ |correlation| over matched components (the maximised objective)
};

/// Pearson correlations of every component with every reference over the window, optimal assignment on
/// |r|, signs from the sign of the matched r. Every curve is sampled on x. Throws std::invalid_argument for
/// mismatched sizes, no components or no references, or a constant curve in the window.
ComponentMatch match_components(const std::vector<double>& x, const std::vector<std::vector<double>>& components,
                                const std::vector<std::vector<double>>& references, Window w);

/// Per reference: the Pearson of the component matched to it by match_components (NaN where none is).
/// `components` is k × x.size() (rows = signals, e.g. Decomposition::components). Throws as match_components.
std::vector<double> matched_reference_pearson(const std::vector<double>& x, const Eigen::MatrixXd& components,
                                              const std::vector<std::vector<double>>& references, Window w);

}  // namespace sedpdf
