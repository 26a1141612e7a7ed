// sedpdf/simulate/fast_model.hpp — the fast statistical forward model (issue 5): kinematic single
// scattering of each phase from its model structure, plural elastic scattering, plasmon and incoherent
// inelastic scattering, probe-convergence blur, amorphous speckle with finite-volume statistics, the same
// DetectorModel, HDF5 output through run_scan, and a profile-only mode for sweeps. What it keeps and what
// it leaves out: docs/forward_models.md, "Fast model".
//
// Physics (all radially symmetric; s = 2 sinθ/λ, θ = λs at small angles, so dΩ = λ² d²s):
// 1. Single elastic scattering of material p per unit thickness and unit s-area (Å⁻² per Å):
//      d_p(s) = ρ_p (γλ)² [⟨f²⟩ + ⟨f⟩²(S_p(s) − 1)·DW(s)],   DW(s) = exp(−4π² U s²)
//    (first Born approximation; f the Lobato–Van Dyck 2014 factors, γ the Lorentz factor (Kirkland 2010
//    eq. 5.6: relativistic f = γ f₀); S_p(s) the Faber–Ziman S of the phase's periodic model from its partial
//    PDFs with the Lorch window; U an isotropic thermal mean-square displacement (Å²): the interference term
//    is damped by the Debye–Waller factor, the self term ⟨f²⟩ is split into elastic ⟨f²⟩·DW and thermal
//    diffuse ⟨f²⟩(1 − DW) (Einstein model; Wang, Elastic and Inelastic Scattering in Electron Diffraction
//    and Imaging, 1995, ch. 6)). Elastic mean free path 1/λ_el,p = ∫ d_p 2πs ds (σ-weighted).
// 2. Plural elastic scattering (Anstis, Liu & Lake, Ultramicroscopy 26 (1988) 65; the Poisson/convolution
//    form of Bothe/Molière as used there): with x_p = t_p/λ_el,p and normalised single-scattering
//    distributions p_p = d_p λ_el,p, the pattern is Σ_n P_n(x) (Σ_p x_p p_p / x)^{⊛n}, in Hankel space
//    exp(Σ_p x_p (p̂_p(q) − 1)) — all orders, mixed columns included (the non-linear mixing with thickness).
// 3. Inelastic events: × exp(Σ_p y_p (K̂_p(q) − 1)). Continuous join (default, inelastic.hpp): K the joint
//    single-event kernel (Lorentzian to the hand-over s_x, closure density beyond; its transform numerically on
//    the model grid, what lies beyond the grid is lost), y_p = t_p × its event rate. Cutoff join: K the
//    Lorentzian cut at θ_c, y_p = t_p/λ_pl,p, and item 5.
// 4. Probe convergence: × D̂(q) = 2J₁(2πqs_α)/(2πqs_α), the Hankel transform of the uniform disc of
//    radius s_α = α/λ (the unscattered beam of a probe of semi-angle α, Kirkland 2010 eq. 5.47).
// 4a. Mean inner potential (MIP) of a laterally inhomogeneous column (interfaces, inclusions, edges, thickness
//    gradients under the probe; the ColumnMap overloads): the coarse projected potential of the column
//    gives the beam the phase φ(x, y) = σ Σ_p V₀,p t_p(x, y), V₀,p = C ρ_p ⟨f_e,p(0)⟩ (C = h²/(2π m₀e) =
//    47.878 V·Å², Lobato–Van Dyck f_e: Kirkland 2010 eqs. 5.8–5.9; σ relativistic, electron_optics.hpp) —
//    per Fourier component φ(g) = σ Σ_p C ρ_p ⟨f_e,p(|g|)⟩ t_p(g): the atom centres fill the map, so a step
//    of the mean potential is smoothed over the atomic size. A phase step diffracts (refracts) the direct
//    beam. The beam's angular distribution is then B(s) = |FT[P·e^{iφ}]|² (P the coherent probe of
//    make_probe, aberrations included, Σ B = 1) instead of the disc; its azimuthal average replaces D̂ in
//    every term (unscattered and scattered: the scattered
//    intensity is the single/plural distribution convolved with the beam's angular distribution):
//    B̂(q) = D̂(q) + Σ_k [B(k) − B_disc(k)] J₀(2πq|k|), with B_disc the disc sampled on the same periodic map
//    grid, so that the exact continuous disc is kept and only the redistribution comes from the grid; the
//    unscattered beam gains ∫_annulus (B − B_disc) per annulus. The step is a wall of height T along the
//    beam, not a thin grating (mip_thick_object): the spectrum of O = e^{iφ} is multiplied by the rod shape
//    factor sinc(πλg²T/2) (the Ewald-sphere cut-off; kinematic, Cowley, Diffraction Physics, 1995, ch. 5),
//    the intensity removed kept in the zero order; T = the largest total thickness on the map. Uniform
//    phase (max − min of φ below mip_tolerance_rad): the disc path, bit for bit. Not modelled: the lateral
//    variation of the plural and inelastic scattering (the probe-averaged thicknesses are used for those, as
//    for uniform columns).
// 4b. Phase domains under the probe (the ColumnMap overloads; domain_envelope): with several phases in the
//    illuminated area, pairs of atoms of one phase exist only where both atoms lie in that phase. The
//    Hankel variable q of the model is the lateral pair separation (the transform of the radially averaged
//    pattern is the azimuthally averaged projected Patterson function), and an atom pair at lateral
//    separation d contributes with the probe weight ψ(x)ψ*(x + d). So the single scattering of material p
//    is x_p [p̂_p(q) + (E_p(q) − 1)·p̂_p,pair(q)] — the envelope acts on the interference part ⟨f⟩²(S_p − 1)·DW
//    only (an atom is always in its own phase) — with
//      E_p(q) = ⟨Re A_p⟩(q) / ⟨Re A_p⟩(0) · ⟨Re A⟩(0) / ⟨Re A⟩(q),
//      A_p = ACF[ψ·√t_p],  A = ACF[ψ],  ψ = P·e^{iφ},   ⟨·⟩ the azimuthal average at lateral distance q,
//    the probe-weighted fraction of phase-p pairs at separation q that lie both in phase p (√t_p: the
//    depth over which two columns share the phase — exact for domains through the whole thickness,
//    ≥ min(t_p(x), t_p(x + d)) otherwise). Pairs across the boundary are taken as uncorrelated (an abrupt,
//    unrelaxed interface: no cross-phase pair term; their mean-density part is the MIP term 4a). E_p → 1 for
//    a uniform map; for a probe centred on a straight interface E_p(q) ≈ 1 − c·q — the domain's shape
//    function on G(r), as for nanoparticle PDFs. It damps the long-r correlations of interface pixels: a
//    non-linearity of mixing that a linear unmixing (ICA) has to live with.
// 5. Cutoff join only: incoherent background beyond θ_c (Hartree–Fock or Lenz S), linear in thickness
//    (inelastic.hpp); in the continuous join the closure part is in the events of item 3.
// The result is integrated over annuli one detector pixel wide exactly from its Hankel transform,
// C(r) = ∫|s|<r I d²s = ∫ Î(q) 2πr J₁(2πqr) dq, and spread over the detector pixels by their overlap areas.
// 6. Speckle: the single-scattered, elastic, coherent part n = 1, m = 0 (Debye–Waller damped) of one
//    probe position is one realisation of the finite coherently illuminated volume. Its amplitude at s is a
//    sum over many atoms → complex Gaussian → exponential intensity per speckle grain (Goodman, Speckle
//    Phenomena in Optics, 2007, ch. 3); partial spatial coherence adds M incoherent modes → Gamma(M)
//    statistics (mean 1, variance 1/M). Grain size: the diffracted amplitude is the object transform
//    convolved with the probe aperture (disc of radius s_α), so a grain spans ≈ the disc area π s_α²; across
//    the aperture the Ewald sphere's excitation error changes by Δs_z = 2λ s s_α, which spans
//    n_z = 1 + 2λ s s_α t independent reciprocal-space speckles of a slab of thickness t (extent 1/t along
//    the beam), shrinking the grain radially by n_z. Independent grains per annulus of area A:
//    N = A n_z / (π s_α²). The speckle field is drawn per polar cell (ring width 2s_α/n_z, sector width
//    2s_α) from a counter-based generator keyed by (seed, position, cell): thread/order independent.
//    Plural, plasmon-scattered and thermal-diffuse intensity is taken as speckle-free (averaged over many
//    grains by the convolutions; each electron sees its own thermal configuration).
#pragma once
#include <cstddef>
#include <complex>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "sedpdf/simulate/damage.hpp"
#include "sedpdf/simulate/detector_model.hpp"
#include "sedpdf/simulate/inelastic.hpp"
#include "sedpdf/simulate/probe.hpp"
#include "sedpdf/simulate/scan.hpp"
#include "sedpdf/structures/specimen.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

/// One material of the fast model: a phase (or the support film) with its periodic model structure.
struct FastMaterial {
  std::string name;
  Structure model;  ///< fully periodic model: composition, number density, S(s)
  /// Plasmon energy and mean free path (plasmon_mfp_A = 0: Iakoubovskii estimate from the model's mass
  /// density); composition, number and mass densities are filled in from the model.
  InelasticMaterial inelastic;
  /// Beam-damaged state (damage.hpp): pair distances ≥ smear_r_intact_A smeared by a Gaussian of smear_sigma_A
  /// before S(s) is computed (0 = the model as it is).
  double smear_sigma_A = 0;
  double smear_r_intact_A = 0;
};

/// The beam-damaged state of a material (damage.hpp): the same model with its pairs beyond d.r_intact_A
/// smeared by d.pair_sigma_A, named "<name>_damaged".
FastMaterial damaged_state(const FastMaterial& intact, const DamageModel& d);

struct FastModelParams {
  ProbeSpec probe;             ///< energy, convergence semi-angle α, source size (speckle modes)
  double s_max = 6.0;          ///< Å⁻¹: extent of the single-scattering model (beyond: neglected)
  double ds_model = 0.0025;    ///< Å⁻¹: radial grid of S(s) and d(s) (transforms resolved to q = 1/(4·ds_model))
  double pdf_dr = 0.01;        ///< Å: histogram bin of the partial PDFs
  double pdf_r_max = 25.0;     ///< Å: largest r of the partial PDFs (capped at each model's minimum-image radius)
  double thermal_u_A2 = 0.0;   ///< U (Å²): isotropic thermal mean-square displacement (Debye–Waller)
  bool plural = true;          ///< plural elastic scattering (false: single scattering, x·p + (1 − x)δ)
  bool speckle = true;         ///< amorphous speckle on the coherent single-scattered part
  double speckle_modes = 0;    ///< M per grain; 0 = 1 + (source_size / d_probe)² (1 for a coherent probe)
  InelasticParams inelastic;   ///< plasmon / incoherent switches and angles (energy and materials set here)
  /// Mean-inner-potential phase of laterally inhomogeneous columns (physics 4a): used by the ColumnMap
  /// overloads and FastPatternSource; false = every column through the disc path (probe-averaged t only).
  bool mean_inner_potential = true;
  /// Thick object: the Ewald-sphere factor sinc(πλg²T/2) on the spectrum of e^{iφ} (physics 4a; T the
  /// largest total thickness on the map); false = the projected phase grating only.
  bool mip_thick_object = true;
  /// Phase-domain envelope E_p(q) of the single scattering at laterally inhomogeneous positions (physics 4b);
  /// false = every phase's pairs as in the bulk.
  bool domain_envelope = true;
  /// Plural and inelastic scattering per column class at laterally inhomogeneous positions (physics 4c): the
  /// probe intensity on the map is split into classes of equal thickness vector (each material's thickness
  /// rounded to `column_class_A`), each electron is attenuated and plurally scattered by the column it
  /// crosses, and the classes' distributions are summed with their intensity weights; false (the default:
  /// closer to multislice for the side-by-side validation columns, docs/forward_models.md) = one class at
  /// the probe-averaged thicknesses.
  bool column_classes = false;
  double column_class_A = 20;   ///< Å: thickness quantum of the column classes (> 0)
  double mip_tolerance_rad = 1e-3;  ///< rad: phase range (max − min of φ) below which a map counts as uniform
  double mip_window_A = 0;      ///< Å: side of the map FastPatternSource samples; 0 = 4 probe diameters
  double mip_pixel_A = 0.5;     ///< Å: its pixel (Nyquist 1/(2·pixel) = 1 Å⁻¹ at 0.5 Å)
  int threads = 0;             ///< OpenMP threads for the set-up (S(s), transforms); 0 = default
};

/// What the model computed for one material (for logs, docs and tests).
struct FastMaterialInfo {
  std::string name;
  double number_density = 0;    ///< atoms/Å³
  double mass_density = 0;      ///< g/cm³
  double mfp_elastic_A = 0;     ///< λ_el (Å)
  double mfp_plasmon_A = 0;     ///< λ_pl (Å)
  double incoherent_per_A = 0;  ///< probability per Å of incoherent scattering beyond θ_c
  double inelastic_per_A = 0;   ///< rate (per Å) of the events in item 3: joint rate or 1/λ_pl (0: none)
  double background_per_A = 0;  ///< probability per Å of the linear background of item 5 (cutoff join)
  double handover_s = 0;        ///< Å⁻¹: s_x of the continuous join (s_c with the cutoff join)
  std::vector<double> s;        ///< Å⁻¹, the model grid
  std::vector<double> S;        ///< S(s) of the model
  std::vector<double> d_coherent, d_thermal;  ///< single-scattering densities (Å⁻² per Å), d = sum
  double mean_inner_potential_V = 0;  ///< V₀ = C ρ ⟨f_e(0)⟩ (V), C = 47.878 V·Å² (Kirkland 2010 eq. 5.9)
};

/// Thickness map of each material around the probe (physics 4a): ONE PERIOD of a periodic n × n grid of
/// `pixel_A` (Å) — the map is treated as periodic, like a multislice cell; a sampled window of a larger
/// specimen should be wide (FastPatternSource: 4 probe diameters) so that its wrap-around edge carries
/// little probe intensity. Sample (i, j) (row i ↔ y) lies at (j·pixel_A, i·pixel_A); the probe is centred
/// at (probe_x_A, probe_y_A) in the same frame.
struct ColumnMap {
  /// Explicit: not an aggregate, so a braced thickness list {t₁, t₂} still selects the vector overloads.
  explicit ColumnMap() = default;
  double pixel_A = 0;                    ///< Å, > 0; must resolve the aperture: α/λ ≤ 1/(3·pixel_A)
  size_t n = 0;                          ///< samples per side; n·pixel_A ≥ λ/α (the grid resolves the aperture)
  double probe_x_A = 0, probe_y_A = 0;   ///< probe centre (Å, map frame)
  std::vector<std::vector<double>> t;    ///< per material: n·n thicknesses (Å, ≥ 0), row-major
  /// Optional probe-averaged thicknesses (Å), one per material, for the plural, inelastic and speckle terms;
  /// empty = Σ |P|² t_p over the map (probe-intensity weights; a constant map gives its value exactly).
  std::vector<double> mean_t;
};

/// The beam's angular distribution of one column map (FastModel::beam).
struct BeamDistribution {
  explicit BeamDistribution() = default;  ///< not an aggregate (see ColumnMap)
  bool uniform = true;             ///< disc path (uniform phase, or mean_inner_potential off)
  double phase_range_rad = 0;      ///< max − min of φ over the map (rad)
  std::vector<double> mean_t;      ///< probe-averaged thickness per material (Å)
  std::vector<double> b_hat;       ///< B̂(q) on the model's Hankel grid (empty when uniform); B̂(0) = Σ B = 1
  std::vector<double> delta_annuli;  ///< ∫_annulus (B − B_disc) d²s per annulus (empty when uniform)
  /// Per material: the domain envelope E_p(q) on the Hankel grid (physics 4b); empty = none (uniform map,
  /// or domain_envelope off), and an empty entry = 1 for that material (its map is constant).
  std::vector<std::vector<double>> pair_envelope;
  /// Column classes (physics 4c): probe-intensity weight (Σ = 1) and thickness per material (Å) of each;
  /// Σ_c w_c t_c = mean_t. Fewer than two = one class at mean_t (uniform maps, column_classes off).
  std::vector<double> class_weight;
  std::vector<std::vector<double>> class_t;
};

class FastModel {
 public:
  /// Computes S(s) and the single-scattering distributions of every material and the transforms for the
  /// detector. Throws std::invalid_argument for no materials, a non-periodic or empty model, or bad
  /// parameters (named).
  FastModel(std::vector<FastMaterial> materials, const FastModelParams& params, const DetectorModel& detector);

  size_t n_materials() const { return info_.size(); }
  const FastMaterialInfo& material(size_t m) const { return info_[m]; }
  const DetectorModel& detector() const { return det_; }
  const FastModelParams& params() const { return params_; }

  /// Annuli used internally: edges (Å⁻¹), width Δs_det, from 0 past the farthest pixel.
  const std::vector<double>& annulus_edges() const { return edges_; }
  /// Fraction of incident electrons per annulus for material thicknesses t (Å, one per material):
  /// `total` (everything), `coherent` (the speckle-carrying part, ⊂ total). Throws for a bad size or
  /// negative thickness.
  void annuli(const std::vector<double>& t, std::vector<double>& total, std::vector<double>& coherent) const;
  /// annuli() for several columns at once (one pass over the transform matrix: faster per column).
  void annuli_batch(const std::vector<std::vector<double>>& t, std::vector<std::vector<double>>& total,
                    std::vector<std::vector<double>>& coherent) const;
  /// Speckle-free fraction per detector pixel.
  void mean_pattern(const std::vector<double>& t, std::vector<double>& fraction) const;
  /// Fraction per detector pixel with the speckle of (seed, position).
  void pattern(const std::vector<double>& t, uint64_t seed, uint64_t position, std::vector<double>& fraction) const;

  // ---- laterally inhomogeneous columns (physics 4a): the same outputs for a thickness map ----
  /// Angular distribution of the beam for `map` (see BeamDistribution). Throws std::invalid_argument for a
  /// wrong number of materials or samples, a negative or non-finite thickness, or a grid that does not
  /// resolve the aperture (named).
  BeamDistribution beam(const ColumnMap& map) const;
  void annuli(const ColumnMap& map, std::vector<double>& total, std::vector<double>& coherent) const;
  void annuli(const BeamDistribution& beam, std::vector<double>& total, std::vector<double>& coherent) const;
  void mean_pattern(const ColumnMap& map, std::vector<double>& fraction) const;
  void pattern(const ColumnMap& map, uint64_t seed, uint64_t position, std::vector<double>& fraction) const;
  void pattern(const BeamDistribution& beam, uint64_t seed, uint64_t position, std::vector<double>& fraction) const;
  void profile_parts(const ColumnMap& map, std::vector<double>& smooth, std::vector<double>& coherent) const;
  void profile_expected(const ColumnMap& map, uint64_t seed, uint64_t position, std::vector<double>& expected) const;
  void profile_expected(const BeamDistribution& beam, uint64_t seed, uint64_t position,
                        std::vector<double>& expected) const;

  // ---- profile-only mode: bins of one pixel in radius (bin j: centre radius in [j, j+1) pixels) ----
  size_t n_bins() const { return bin_s_.size(); }
  const std::vector<double>& bin_s() const { return bin_s_; }            ///< mean s of the bin's pixels (Å⁻¹)
  const std::vector<double>& bin_pixels() const { return bin_pixels_; }  ///< sensitive pixels per bin
  /// Number of independent speckle grains (all modes counted) in bin b at thicknesses t.
  double bin_speckle_grains(size_t b, const std::vector<double>& t) const;
  /// Speckle-free expected counts per bin split into the smooth part (background C included) and the
  /// coherent, speckle-carrying part; their sum is the mean of profile_expected over seeds.
  void profile_parts(const std::vector<double>& t, std::vector<double>& smooth, std::vector<double>& coherent) const;
  /// Expected counts summed over each bin's sensitive pixels (dose, background; speckle of (seed,
  /// position) when enabled) — the sum of DetectorModel::expected over the bin's pixels, without MTF.
  void profile_expected(const std::vector<double>& t, uint64_t seed, uint64_t position,
                        std::vector<double>& expected) const;
  /// profile_expected for several columns (positions[i] keys the speckle of column i); the same values.
  void profile_expected_batch(const std::vector<std::vector<double>>& t, uint64_t seed,
                              const std::vector<uint64_t>& positions, std::vector<std::vector<double>>& expected) const;
  /// Poisson counts per bin (a sum of independent Poisson pixels is Poisson), saturation not applied
  /// (documented: per-pixel saturation needs the 2-D pattern).
  void profile_counts(const std::vector<double>& expected, uint64_t seed, uint64_t position,
                      std::vector<uint32_t>& counts) const;

 private:
  void annuli_core(const std::vector<std::vector<double>>& t, const std::vector<const BeamDistribution*>& beams,
                   std::vector<std::vector<double>>& total, std::vector<std::vector<double>>& coherent) const;
  void pattern_from_annuli(const std::vector<double>& t, const std::vector<double>& tot, const std::vector<double>& coh,
                           uint64_t seed, uint64_t position, std::vector<double>& fraction) const;
  void fraction_from_annuli(const std::vector<double>& tot, std::vector<double>& fraction) const;
  void speckle_cell(double s_px, double phi, double t_total, uint64_t& cell, double& grains_per_cell) const;
  void bins_from_annuli(const std::vector<double>& tot, const std::vector<double>& coh, std::vector<double>& smooth,
                        std::vector<double>& coherent) const;
  void add_bin_speckle(const std::vector<double>& t, const std::vector<double>& coh, uint64_t seed, uint64_t position,
                       std::vector<double>& expected) const;
  FastModelParams params_;
  const DetectorModel& det_;
  std::vector<FastMaterialInfo> info_;
  double lambda_ = 0, s_alpha_ = 0, modes_ = 1;
  std::vector<double> edges_;                  // annulus edges (Å⁻¹), B + 1
  std::vector<double> q_;                      // Hankel grid (Å)
  std::vector<double> c_matrix_;               // (B + 1) × Q: 2π r_b J₁(2π q r_b) dq
  std::vector<double> disc_;                   // D̂(q)
  std::vector<double> window_;                 // W(q): the window on the transform (= on G(r))
  std::vector<std::vector<double>> p_hat_;     // per material p̂(q)
  std::vector<std::vector<double>> pair_hat_;  // per material: the interference part ⟨f⟩²(S − 1)·DW of p̂(q)
  std::vector<std::vector<double>> k_hat_;     // per material K̂(q)
  std::vector<InelasticEvents> events_;        // per material (inelastic_events, either join)
  std::vector<std::vector<double>> coh_ann_;   // per material: ∫_annulus d_coherent·λ_el (normalised)
  std::vector<std::vector<double>> bg_ann_;    // per material: Lenz background per annulus, normalised to 1
  // pixel → annulus weights (CSR over stored pixels)
  std::vector<size_t> px_start_;
  std::vector<uint32_t> px_ann_;
  std::vector<float> px_w_;
  std::vector<double> px_s_, px_phi_;          // pixel centre s (Å⁻¹) and azimuth
  // bins
  std::vector<double> bin_s_, bin_pixels_;
  std::vector<std::vector<std::pair<uint32_t, double>>> bin_ann_;  // per bin: (annulus, weight)
  // MIP: rings of width ring_w_ (Å⁻¹) and J₀(2π q_j s_r) at their centres (ring-major, n_rings × Q)
  double ring_w_ = 0, sigma_ = 0;
  size_t n_rings_ = 0;
  std::vector<double> ring_j0_;
  std::vector<std::vector<double>> fe_ratio_;  // per material ⟨f_e(s)⟩/⟨f_e(0)⟩ on the model grid
  // The probe of the last map grid (thread safe; shared, so the model stays copyable).
  struct MapGrid {
    std::shared_ptr<const std::vector<std::complex<double>>> probe;  // make_probe on the map grid
    std::shared_ptr<const std::vector<double>> kabs;                 // |k| (Å⁻¹) per reciprocal pixel, FFTW order
  };
  struct ProbeCache {
    std::mutex mutex;
    size_t n = 0;
    double pixel = 0, x0 = 0, y0 = 0;
    MapGrid grid;
  };
  std::shared_ptr<ProbeCache> probe_cache_ = std::make_shared<ProbeCache>();
  MapGrid cached_grid(const WaveGrid& grid, double x0_A, double y0_A) const;
};

/// PatternSource for run_scan: material thicknesses under the probe from the specimen's ground truth
/// (Specimen::column_thickness averaged over a Gaussian of FWHM `probe_fwhm_A`; the support film, when the
/// specimen has one and the model has a material for it, as the last material), then FastModel::pattern.
/// Thread safe.
class FastPatternSource : public PatternSource {
 public:
  /// `material_of_phase[p]` = index of the model material for specimen phase p; film_material = index of
  /// the film material or −1. Precomputes the thicknesses for the whole scan and, with the model's
  /// mean_inner_potential on, which positions are laterally inhomogeneous: Specimen::column_thickness on a
  /// 4 Å raster of the scanned field (one pass); a position is inhomogeneous if its window (mip_window_A)
  /// holds raster samples whose phase φ = σ Σ V₀ t differs by ≥ mip_tolerance_rad. At those positions
  /// compute() samples the window at mip_pixel_A (column_map) and takes the MIP path; elsewhere the disc
  /// path with thickness(iy, ix), unchanged. The specimen must outlive the source.
  FastPatternSource(const FastModel& model, const Specimen& specimen, const ScanSpec& scan,
                    std::vector<int> material_of_phase, int film_material, double probe_fwhm_A, uint64_t seed);
  /// A phase's column shared among model materials: thickness t of phase p puts weight × t of each part's
  /// material into the column (weights ≥ 0, not necessarily summing to 1) — e.g. the intact and the
  /// beam-damaged state of a phase (damage.hpp). One part of weight 1 per phase = the constructor above.
  using PhaseParts = std::vector<std::pair<int, double>>;
  FastPatternSource(const FastModel& model, const Specimen& specimen, const ScanSpec& scan,
                    std::vector<PhaseParts> materials_of_phase, int film_material, double probe_fwhm_A, uint64_t seed);
  size_t n_outputs() const override { return 1; }
  bool thread_safe() const override { return true; }
  void compute(size_t iy, size_t ix, double x_A, double y_A, std::vector<std::vector<double>>& fractions) override;
  /// Material thicknesses (Å) at scan position (iy, ix).
  const std::vector<double>& thickness(size_t iy, size_t ix) const { return t_[iy * nx_ + ix]; }
  /// True where the position's window is laterally inhomogeneous and compute() takes the MIP path (the
  /// model's mean_inner_potential on; see the constructor).
  bool inhomogeneous(size_t iy, size_t ix) const { return !mip_.empty() && mip_[iy * nx_ + ix] != 0; }
  /// The thickness map compute() uses at (iy, ix): window mip_window_A (0: 4 probe diameters) centred on the
  /// probe, pixel ≤ mip_pixel_A, mean_t = thickness(iy, ix).
  ColumnMap column_map(size_t iy, size_t ix) const;
  /// The expected counts per radial bin at (iy, ix) (profile mode): the batch path for homogeneous windows,
  /// the MIP path for the others.
  void profile_expected(size_t iy, size_t ix, uint64_t seed, std::vector<double>& expected) const;

 private:
  double mip_window() const;
  std::vector<double> column_at(double x, double y) const;  // material thicknesses of one column (Å)
  double phase_at(double x, double y) const;                // φ = σ Σ V₀ t (rad)
  const FastModel& model_;
  const Specimen* specimen_ = nullptr;
  std::vector<PhaseParts> parts_;
  int film_material_ = -1;
  size_t nx_ = 0;
  double x0_ = 0, y0_ = 0, step_ = 0;
  uint64_t seed_;
  std::vector<std::vector<double>> t_;
  std::vector<uint8_t> mip_;  // per position: 1 = inhomogeneous window
};

/// Profile-only scan: per position the Poisson counts and expected counts summed per radial bin, written
/// to `path` (HDF5, atomically) as /profiles/{s, n_pixels, counts (ny·nx × bins), expected}, the ground
/// truth under /ground_truth (structures/specimen_truth.hpp layout) and the parameters as attributes of
/// /sedpdf/parameters. Deterministic for a seed at any thread count. Returns the seconds spent.
double run_profile_scan(const ScanSpec& scan, FastPatternSource& source, const FastModel& model,
                        const std::string& path, const ScanOptions& options, const Specimen* truth);

/// Angular distribution of the beam P·exp(iφ) (physics 4a): B(k) = |FFT[P·e^{iφ}]|²/n² on the grid's
/// reciprocal pixels (FFTW order, WaveGrid::freq), P = make_probe(probe, grid, x0_A, y0_A) (coherent,
/// aberrations included), Σ B = 1. phase_rad: n·n values (rad), row-major, periodic grid. Throws
/// std::invalid_argument for a wrong size, a non-finite phase or a grid make_probe rejects.
std::vector<double> beam_angular_distribution(const ProbeSpec& probe, const WaveGrid& grid, double x0_A, double y0_A,
                                              const std::vector<double>& phase_rad);

/// Hankel transform of a radial profile f(s) given on s_k = k·h (k = 0..n−1), trapezoid rule:
/// f̂(q) = 2π ∫ f(s) J₀(2πqs) s ds. For tests and the model set-up.
std::vector<double> hankel_transform(const std::vector<double>& f, double h, const std::vector<double>& q);

}  // namespace sedpdf
