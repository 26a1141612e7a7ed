// Internal helpers shared by transforms.cpp, total_scattering.cpp and debye.cpp (not installed).
#pragma once
#include <vector>

namespace sedpdf::detail {

/// S(s) for several g(r) on the same bins: S − 1 = ρ₀ Σ_j ΔV_j [g_j − 1] W(r_j) sin(2πsr_j)/(2πsr_j),
/// ΔV_j the shell volume of bin j (Å³), r_j its centre (Å), W the Lorch window with r_edge (Å) when
/// r_window. Throws std::invalid_argument for mismatched sizes or rho0 <= 0.
std::vector<std::vector<double>> structure_factors_from_bins(const std::vector<double>& r,
                                                             const std::vector<double>& shell_volume,
                                                             double r_edge,
                                                             const std::vector<std::vector<double>>& gs,
                                                             double rho0, const std::vector<double>& s,
                                                             bool r_window);

}  // namespace sedpdf::detail
