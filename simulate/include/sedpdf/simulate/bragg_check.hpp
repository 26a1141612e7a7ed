// sedpdf/simulate/bragg_check.hpp — the structure factor of a periodic model on its own reciprocal
// lattice, averaged over shells of |k|, and a test for Bragg(-like) peaks: significant features of S(s)
// narrower than a given width.
//
// A periodic model scatters only at its reciprocal-lattice points k = h a* + k b* + l c* (a·a* = 1, so
// |k| = s = 1/d, BRIEF.md). There, with fractional coordinates x_j,
//   F(k) = Σ_j o_j f_j(s) exp(2πi k·x_j),   S(k) = 1 + (|F(k)|²/N − ⟨f²⟩)/⟨f⟩²   (Faber & Ziman, Phil.
// Mag. 11 (1965) 153; N = Σ o_j), exact for the model (no r cut-off, no window). The powder average S(s)
// is the mean of S(k) over the points of a shell s ± ds/2. A crystal (or a supercell of one) puts its
// intensity on a few shells (Bragg peaks: one-bin spikes); a glass gives a smooth S(s) plus speckle:
// for a disordered model F(k) is a sum of many random phasors, |F|²/N is exponentially distributed
// with mean ⟨f²⟩ + ⟨f⟩²(S − 1) (Goodman, Speckle Phenomena in Optics, 2007, §3.2), so one S(k) has the
// standard deviation S − 1 + ⟨f²⟩/⟨f⟩², and a shell mean over n_k points the standard error
// (S − 1 + ⟨f²⟩/⟨f⟩²)/√n_k.
//
// check_bragg_peaks: every local maximum of the binned S(s) (bins with at least 3 points) has a
// topographic prominence P (height above the higher of the lowest points between it and the nearest
// higher bin on each side, within ±window) and a full width at half prominence (FWHM, linear
// interpolation between bins; the window width when the half level is not crossed). A feature is
// significant when P exceeds `significance` times the speckle standard error a glass would have at the
// peak's point count with the base's S, (S_base − 1 + ⟨f²⟩/⟨f⟩²)/√n_k (a Bragg spike over an empty
// background, where S(k) = 1 − ⟨f²⟩/⟨f⟩² exactly, is always significant). The model is Bragg-free when
// no significant feature has FWHM < fwhm_limit (issue 3: 0.05 Å⁻¹).
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

struct LatticeSOptions {
  double s_min = 0.05;  ///< Å⁻¹, lowest |k| used
  double s_max = 1.0;   ///< Å⁻¹, highest |k| used
  double ds = 0.01;     ///< Å⁻¹, shell width
  int threads = 0;      ///< OpenMP threads, 0 = default; the result does not depend on it
};

struct LatticeStructureFactor {
  std::vector<double> s;      ///< Å⁻¹, shell centres
  std::vector<double> S;      ///< shell mean of S(k) (0 where n_k = 0)
  std::vector<double> sigma;  ///< sample standard deviation of S(k) in the shell over √n_k
  std::vector<size_t> n_k;    ///< reciprocal-lattice points in the shell (one of each ±k pair)
  std::vector<double> f2_over_f_sq;  ///< ⟨f²⟩/⟨f⟩² at the shell centre
  std::string factors_name;
};

/// Throws std::invalid_argument for a structure that is not fully periodic or is empty, a scattering
/// table lacking one of its elements, or options with s_min < 0, s_max <= s_min, ds <= 0 or non-finite
/// values. Cost: O(N · number of k points) — (4π/3) s_max³ V / 2 points.
LatticeStructureFactor lattice_structure_factor(const Structure& s, const ScatteringFactors& sf,
                                                const LatticeSOptions& opt = {});

struct BraggCheckOptions {
  double fwhm_limit = 0.05;   ///< Å⁻¹, significant features narrower than this are Bragg-like
  double significance = 5.0;  ///< prominence threshold in standard errors
  double window = 0.25;       ///< Å⁻¹, half-width of the region searched for bases and half levels
};

struct SFeature {
  double s = 0;           ///< Å⁻¹, bin centre of the maximum
  double height = 0;      ///< S at the maximum
  double prominence = 0;  ///< see above
  double fwhm = 0;        ///< Å⁻¹
  double z = 0;           ///< prominence / the speckle standard error
};

struct BraggCheck {
  std::vector<SFeature> features;  ///< every significant feature
  double narrowest_fwhm = 0;       ///< Å⁻¹ over the significant features (window·2 when there are none)
  size_t n_narrow = 0;             ///< significant features with FWHM < fwhm_limit
  bool bragg_free = true;          ///< n_narrow == 0
  double fwhm_limit = 0;           ///< Å⁻¹, the limit used
};

BraggCheck check_bragg_peaks(const LatticeStructureFactor& sk, const BraggCheckOptions& opt = {});

}  // namespace sedpdf
