// Internal: reader of the bundled per-element coefficient tables (data/scattering/*.csv; format in
// data/scattering/README.md), shared by the Lobato & Van Dyck electron factors and the Balyuzi incoherent
// scattering functions.
#pragma once
#include <array>
#include <string>
#include <vector>

namespace sedpdf::detail {

/// Rows Z,symbol,a1..a5,b1..b5 indexed by Z (1..118); present[Z] tells which rows the file had.
struct CoefficientTable {
  std::vector<std::array<double, 10>> coef = std::vector<std::array<double, 10>>(119);
  std::vector<bool> present = std::vector<bool>(119, false);
};

/// Reads `path`: '#' comment lines, an optional header row starting with "Z", then rows
/// Z,symbol,a1..a5,b1..b5. `what` names the table in errors. bᵢ must be > 0, or 0 together with aᵢ = 0
/// when `zero_terms_allowed` (a fit with fewer than five terms). Throws InputError naming the file, line,
/// column and value.
CoefficientTable read_coefficient_csv(const std::string& path, const std::string& what, bool zero_terms_allowed);

}  // namespace sedpdf::detail
