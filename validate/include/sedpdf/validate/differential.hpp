// sedpdf/validate/differential.hpp — the differential method of 000 (Longley et al., Nat. Commun. 11
// (2020) 5800, "Pair distribution function studies" and Supplementary Methods): the X-ray total scattering of
// a composite is compared with that expected for a non-interacting mixture of its measured components,
//     S_diff(Q) = S_composite(Q) − 1 − Σ_i w_i(Q) [S_i(Q) − 1],
// which equals S_composite − Σ w_i S_i whenever Σ w_i = 1 (the constant-weight forms). Anything the
// composite has that its components lack — new interfacial correlations, or Bragg peaks of ZIF-zni
// crystallised in the composite ({400} and {112}, the pair at ≈ 15° 2θ with Cu Kα) — remains in S_diff.
//
// Weighting (000 states only "the expected scattering intensity of a non-interacting mixture ... calculated
// from the measured total scattering of each pure sample"; we write it out): per atom of the mixture,
// I/N = Σ_i x_i [⟨f²⟩_i + ⟨f⟩_i² (S_i − 1)] (cross-phase pairs only add small-angle scattering below the
// measured Q range), and with ⟨f²⟩ = Σ x_i⟨f²⟩_i, ⟨f⟩ = Σ x_i⟨f⟩_i the Faber–Ziman S of the mixture is
//     S_mix − 1 = Σ_i w_i(Q) (S_i − 1),   w_i(Q) = x_i ⟨f(Q)⟩_i² / ⟨f(Q)⟩²,
// x_i = atom fraction of phase i = (m_i / M̄_i) / Σ_j (m_j / M̄_j) from the mass fractions m_i and mean
// atomic masses M̄_i. So the weights are "by mass fraction (→ atom fraction) and scattering power". The
// constant atom-fraction and mass-fraction weightings are offered for comparison (they are what one gets by
// ignoring the scattering-power factor).
#pragma once
#include <array>
#include <string>
#include <vector>

#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/cell.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

enum class DifferentialWeighting {
  FaberZiman,    ///< w_i(Q) = x_i ⟨f(Q)⟩_i² / ⟨f(Q)⟩²  (the derivation above; default)
  AtomFraction,  ///< w_i = x_i
  MassFraction,  ///< w_i = m_i
};
std::string differential_weighting_name(DifferentialWeighting w);
DifferentialWeighting parse_differential_weighting(const std::string& name);  ///< "faber-ziman", "atom", "mass"

/// One measured phase of a mixture.
struct MixturePhase {
  std::string name;
  Composition composition;    ///< atomic fractions of the phase
  double mass_fraction = 0;   ///< m_i, Σ over phases = 1 (normalised if not)
  std::vector<double> S;      ///< S_i on the common s grid (Faber–Ziman, X-ray)
};

/// Mean atomic mass M̄ = Σ c_a M_a (g/mol per atom).
double mean_atomic_mass(const Composition& c);
/// Atom fractions x_i = (m_i/M̄_i)/Σ_j(m_j/M̄_j). Throws std::invalid_argument for a negative or all-zero
/// mass fraction (named).
std::vector<double> atom_fractions(const std::vector<MixturePhase>& phases);
/// Composition of the whole mixture: Σ_i x_i c_{i,a} per element.
Composition mixture_composition(const std::vector<MixturePhase>& phases);

/// Weights w_i(s) (phases × s) on the grid s (Å⁻¹) for the given factors (X-ray in 000).
std::vector<std::vector<double>> mixture_weights(const std::vector<MixturePhase>& phases,
                                                 const std::vector<double>& s, const ScatteringFactors& sf,
                                                 DifferentialWeighting weighting = DifferentialWeighting::FaberZiman);
/// S_mix(s) = 1 + Σ_i w_i(s) (S_i − 1).
std::vector<double> mixture_structure_factor(const std::vector<MixturePhase>& phases, const std::vector<double>& s,
                                             const ScatteringFactors& sf,
                                             DifferentialWeighting weighting = DifferentialWeighting::FaberZiman);
/// S_diff(s) = S_composite − S_mix (see the file comment). Throws std::invalid_argument for sizes that
/// differ from s.
std::vector<double> differential_structure_factor(const std::vector<double>& S_composite,
                                                  const std::vector<MixturePhase>& phases,
                                                  const std::vector<double>& s, const ScatteringFactors& sf,
                                                  DifferentialWeighting weighting = DifferentialWeighting::FaberZiman);

/// Q = 2π/d_hkl (Å⁻¹) of reflection hkl of a cell: 1/d² = hᵀ G* h with G* = (MᵀM)⁻¹ the reciprocal
/// metric (International Tables Vol. B §1.1). Throws std::invalid_argument for a cell without vectors or
/// hkl = 000.
double bragg_q(const Cell& cell, int h, int k, int l);

/// A finite crystallite: the bulk partial PDFs of the periodic cell multiplied by the shape function of a
/// sphere of diameter D, γ₀(r) = 1 − 3r/(2D) + r³/(2D³) (r <= D; Farrow & Billinge, Acta Cryst. A65 (2009)
/// 232, eq. 13), i.e. S_ab − 1 = 4πρ₀ ∫ r² [g_ab − 1] γ₀ sin(2πsr)/(2πsr) dr, which broadens every Bragg peak
/// by the Scherrer profile of the sphere (FWHM in Q of order 2π/D) and omits the particle's small-angle scattering. Thermal motion: (S − 1) multiplied by the Debye–Waller
/// factor exp(−B s²/2) of a pair of atoms with isotropic B each (B s²/4 per atom with s = 2 sinθ/λ),
/// uncorrelated motion assumed.
struct CrystalliteOptions {
  double diameter = 100;  ///< Å, sphere diameter D (the partials are histogrammed to r_max = D)
  double b_iso = 1.0;     ///< Å², Debye–Waller B of every atom (the Widmer 2019 CIF carries B = 1 Å²)
  double dr = 0.01;       ///< Å, histogram bin (peak positions exact to ±dr/2: phase error 2πs·dr/2)
};
/// X-ray (or any radiation) Faber–Ziman S(s) of a crystallite of `crystal` (fully periodic) on the grid s
/// (Å⁻¹). Throws std::invalid_argument for a non-periodic structure or D <= 2 dr.
std::vector<double> crystallite_structure_factor(const Structure& crystal, const ScatteringFactors& sf,
                                                 const std::vector<double>& s, const CrystalliteOptions& opt = {});

/// Detection of a crystalline fraction by its Bragg peaks in S_diff.
struct DetectionOptions {
  std::vector<std::array<int, 3>> reflections{{{4, 0, 0}}, {{1, 1, 2}}};  ///< hkl of the signature peaks
  double k_sigma = 3;        ///< detected when the peak amplitude is >= k_sigma × its noise
  /// Noise model: every measured S(Q) (composite and each component) carries independent Gaussian noise of
  /// this standard deviation per point of the s grid (dimensionless; the statistical noise of I15-1 data at
  /// Q ≈ 1 Å⁻¹ on a ΔQ ≈ 0.01–0.02 Å⁻¹ grid is of order 10⁻³; a model parameter, not a measured value).
  double sigma_S = 0.003;
  double half_window_q = 0.15;   ///< Å⁻¹, half width in Q of the window about each reflection
  int baseline_points = 5;       ///< points averaged at each window end for the linear baseline
  double peak_search_q = 0.03;   ///< Å⁻¹, the maximum is taken within ±this of the reflection's Q
};

struct ReflectionSignal {
  std::string hkl;                ///< e.g. "400"
  double q = 0;                   ///< Å⁻¹, from the cell
  double q_peak = 0;              ///< Å⁻¹, where the amplitude was found (unit fraction)
  double amplitude_per_fraction = 0;  ///< amplitude at fraction 1 (dimensionless S units)
  double noise = 0;               ///< σ of the amplitude (S units): σ_diff·sqrt(1 + 1/(2m))
  double min_fraction = 0;        ///< smallest fraction with amplitude >= k σ (bisection, 1e-6)
};

struct DetectionResult {
  std::vector<ReflectionSignal> reflections;
  double min_fraction = 0;   ///< over all reflections
  double sigma_diff = 0;     ///< noise of S_diff at the reflections: sqrt(σ² + Σ w_i² σ²)
  std::string noise_model;   ///< text for reports
};

/// Peak amplitude of y about q0 (Å⁻¹ in Q, grid s in Å⁻¹ converted by Q = 2πs): maximum of y minus the
/// straight line through the means of the first and last `baseline_points` samples of the window
/// [q0 − half_window, q0 + half_window], searched within ±peak_search_q of q0. Returns the amplitude and
/// sets q_peak. Throws std::invalid_argument when the window holds fewer than 2·baseline_points + 1 samples.
double bragg_amplitude(const std::vector<double>& s, const std::vector<double>& y, double q0,
                       const DetectionOptions& opt, double* q_peak = nullptr);

/// The composite of 000 with a crystalline fraction f of its ZIF: phases `references` (e.g. agZIF-62 and the
/// phosphate glass, nominal mass fractions), the ZIF phase `zif_index` of which a fraction f by mass is
/// replaced by `crystal` (composition and S_crystal on the grid). Returns S_composite(f) (noise-free).
std::vector<double> composite_with_crystal(const std::vector<MixturePhase>& references, std::size_t zif_index,
                                           const MixturePhase& crystal, double f, const std::vector<double>& s,
                                           const ScatteringFactors& sf,
                                           DifferentialWeighting weighting = DifferentialWeighting::FaberZiman);

/// The detection limit: for every reflection, the amplitude of S_diff(f) = S_composite(f) − S_mix(references)
/// at f = 1, its noise, and the smallest f (bisection on [0, 1] to 1e-6, S_diff recomputed at every f) whose
/// amplitude reaches k_sigma × noise (1 if never). `cell` gives the reflections' Q.
DetectionResult crystalline_detection_limit(const std::vector<MixturePhase>& references, std::size_t zif_index,
                                            const MixturePhase& crystal, const Cell& cell,
                                            const std::vector<double>& s, const ScatteringFactors& sf,
                                            const DetectionOptions& opt = {},
                                            DifferentialWeighting weighting = DifferentialWeighting::FaberZiman);

/// The whole ZIF-zni study of 000 from three structures: X-ray S(Q) of the two glasses (periodic models,
/// Faber–Ziman S from their partials with the Lorch window in r) and of a ZIF-zni crystallite, the
/// differential S_diff for example crystalline fractions, and the detection limit.
struct ZniStudyOptions {
  double q_min = 0.4, q_max = 22.0, dq = 0.01;  ///< Å⁻¹, the Q grid (I15-1 range by default)
  double zif_mass_fraction = 0.5;               ///< ZIF glass share of the composite (000: 50:50 by weight)
  PartialPdfOptions glass_partials;             ///< partials of the glass models (r_max 20 Å)
  CrystalliteOptions crystallite;               ///< D = 100 Å, B = 1 Å²
  DetectionOptions detection;
  DifferentialWeighting weighting = DifferentialWeighting::FaberZiman;
  std::vector<double> example_fractions{0.01, 0.05, 0.2};  ///< crystalline mass fractions of the ZIF shown
};

struct ZniStudy {
  std::vector<double> s, q;                    ///< Å⁻¹
  std::vector<MixturePhase> references;        ///< ZIF glass, inorganic glass (nominal mass fractions)
  MixturePhase crystal;                        ///< ZIF-zni crystallite
  std::vector<double> S_mix;                   ///< the non-interacting mixture of the references
  std::vector<std::vector<double>> S_diff;     ///< per example fraction
  std::vector<double> example_fractions;
  std::vector<std::vector<double>> weights;    ///< w_i(Q) of the references
  DetectionResult detection;
  std::string notes;                           ///< the assumptions, for reports
};

/// Runs the study. The crystal must be fully periodic (e.g. data/structures/ZIF-zni_DFT_Widmer2019.cif).
ZniStudy run_zni_differential_study(const Structure& zif_glass, const Structure& inorganic_glass,
                                    const Structure& zni, const ZniStudyOptions& opt = {});

}  // namespace sedpdf
