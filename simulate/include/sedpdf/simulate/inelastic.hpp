// sedpdf/simulate/inelastic.hpp — inelastic scattering of unfiltered 4D-STEM data: plasmon (valence)
// angular redistribution and an incoherent ("electron Compton") background per element, with their
// thickness dependence. Works on any uniform 2-D reciprocal grid (simulation or detector) and, for the
// fast model, on radially symmetric profiles (Hankel space). Derivations: docs/forward_models.md.
//
// Plasmons (Egerton, Electron Energy-Loss Spectroscopy in the Electron Microscope, 3rd ed., Springer
// 2011 — "Egerton 2011" below):
// - Characteristic angle θ_E = E/(γ m₀ v²) = E/(2γT) (Egerton 2011 eq. 3.28 with the relativistic T),
//   E the plasmon energy, γ m₀ v² = E₀(2m₀c² + E₀)/(m₀c² + E₀) for beam energy E₀.
// - Angular distribution per event: dσ/dΩ ∝ 1/(θ² + θ_E²) for θ ≤ θ_c, 0 beyond (Egerton 2011
//   eq. 3.50 and Sec. 3.3.2; cut-off θ_c ≈ (E/E₀)^{1/2}, Egerton 2011 eq. 3.51, unless given).
//   On the s grid θ = λs (small angles): kernel K(s) ∝ 1/(s² + s_E²), s ≤ s_c, s_E = θ_E/λ, s_c = θ_c/λ,
//   normalised to 1; K integrated exactly over each pixel's area except where it is smooth.
// - Multiple plasmon events: Poisson probabilities P_m = e^{−x} x^m/m!, x = Σ_p t_p/λ_p (Egerton 2011
//   eq. 3.117), pattern = Σ_m P_m K^{⊛m} ⊛ I (intensity conserved).
// - Mean free path λ_p (Å): given per phase, or the estimate of Iakoubovskii et al., Microsc. Res. Tech.
//   71 (2008) 626, eq. 8–9 (total valence + core inelastic MFP from the mass density, E₀, convergence α
//   and collection β semi-angles).
// Incoherent background ("electron Compton" scattering summed over all excited states). Closure over the
// final states gives the Morse/Bethe form (Inokuti, Rev. Mod. Phys. 43 (1971) 297, Sec. 3 and eq. 4.24;
// Egerton 2011 Sec. 3.2.1):
//   dσ_i/dΩ = 4γ²/(a₀²q⁴) · S(q),   q² = k₀²(θ² + θ̄_E²),
//   S the incoherent scattering function of the atom (the X-ray one, Waller–Hartree), evaluated at
//   s = q/2π, k₀ = 2π/λ, θ̄_E = Ē/(γm₀v²) with Ē = 13.5·Z/2 eV (Koppe's mean loss, Egerton 2011 Sec. 3.2.1).
//   Two atomic models for S (IncoherentModel):
//   - hartree_fock (default): the Hartree–Fock S of Cromer & Mann (1967) / Cromer (1969), exchange
//     included, as fitted by Balyuzi, Acta Cryst. A31 (1975) 600 (data/scattering/balyuzi_1975_incoherent.csv;
//     hydrogen: the exact 1s atom, S = 1 − (1 + (πa₀s)²)⁻⁴).
//   - lenz: Lenz's (1954) screened atom without exchange, S = Z[1 − 1/(1 + (q r₀)²)²], r₀ = a₀Z^{−1/3}
//     (Egerton 2011 eq. 3.15); 1.3–1.8 × the Hartree–Fock S at 0.4 ≤ s ≤ 1 Å⁻¹ for O, P and Zn: an upper
//     estimate of the mid-angle background.
//   Both are ∝ Z at large θ (scattering by Z free electrons; elastic ∝ Z²), which is what makes the
//   background of unfiltered data differ from N⟨f²⟩.
// How the two parts make one single-event distribution (InelasticJoin):
//   - continuous (default): the closure formula describes the total inelastic scattering at every angle,
//     the Lorentzian its collective (plasmon) small-angle part; Egerton's θ_c ≈ (E/E₀)^{1/2} estimates
//     where the one gives way to the other (Egerton 2011 Sec. 3.3.2: where the plasmon dispersion meets
//     the single-electron continuum, the Bethe ridge). The hand-over is taken where the two single-event
//     densities are equal, s_x (the crossing nearest s_c; 0.26–0.40 Å⁻¹ for the phases and the carbon film at
//     200 kV, s_c = 0.43–0.45 Å⁻¹), so the distribution is continuous: Lorentzian (normalised as above, rate
//     F(s_x)/λ_p with F the fraction of the s_c-normalised kernel inside s_x) for s ≤ s_x, the closure
//     density (absolute, rate ρ Σ_a c_a σ_i,a(θ_x < θ < 0.5 rad)) beyond. All events — plural ones included
//     — redistribute the electron's current angular distribution: Poisson sum exp(Σ_p y_p(K̂_p − 1)) with
//     the joint kernel K_p and rate y_p; what the kernel sends off the grid (beyond it or 0.5 rad) is lost.
//   - cutoff (the model until 2026-11-21, kept for comparison): Lorentzian cut at θ_c; the closure part
//     θ > θ_c added as a background linear in thickness, P_i = t·ρ·Σ_a c_a σ_i,a(θ > θ_c), centred on the
//     beam (not convolved with the elastic pattern), the pattern scaled by (1 − P_i). Both edges at θ_c
//     are steps in I(s) (−20 % and +30 % on 60–100 nm glass), which ring in G(r) with period 1/s_c ≈ 2.3 Å
//     (docs/forward_models.md, inelastic item 3).
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/element.hpp"

namespace sedpdf {

/// Inelastic properties of one phase (or the support film).
struct InelasticMaterial {
  std::string name;
  double plasmon_energy_eV = 23.0;  ///< E_p (eV) > 0; 23 eV: typical of oxide glasses and organic solids
  double plasmon_mfp_A = 0;         ///< λ_p (Å); 0 = Iakoubovskii et al. 2008 estimate from the density
  double mass_density_g_cm3 = 0;    ///< g/cm³ (for the estimate)
  double number_density = 0;        ///< atoms/Å³ (for the incoherent background)
  std::vector<std::pair<Element, double>> composition;  ///< element, atomic fraction (Σ = 1)
};

/// Atomic model of the incoherent scattering function S (header comment).
enum class IncoherentModel { HartreeFock, Lenz };
/// How the plasmon and the closure parts are joined (header comment).
enum class InelasticJoin { Continuous, Cutoff };
std::string inelastic_join_name(InelasticJoin j);  ///< "continuous", "cutoff"
/// Parses "continuous" or "cutoff"; throws std::invalid_argument naming the value otherwise.
InelasticJoin parse_inelastic_join(const std::string& name);
std::string incoherent_model_name(IncoherentModel m);  ///< "hartree_fock", "lenz"
/// Parses "hartree_fock" or "lenz"; throws std::invalid_argument naming the value otherwise.
IncoherentModel parse_incoherent_model(const std::string& name);

struct InelasticParams {
  double energy_eV = 200e3;        ///< beam energy E₀ (eV)
  bool plasmon = true;             ///< plasmon redistribution on/off
  bool incoherent = true;          ///< incoherent background on/off
  IncoherentModel incoherent_model = IncoherentModel::HartreeFock;  ///< atomic model of S
  InelasticJoin join = InelasticJoin::Continuous;  ///< how plasmon and closure parts are joined
  double cutoff_mrad = 0;          ///< θ_c (mrad); 0 = (E_p/E₀)^{1/2} per material
  double convergence_mrad = 0.6;   ///< α for the Iakoubovskii estimate (mrad)
  double collection_mrad = 100;    ///< β for the Iakoubovskii estimate (mrad): unfiltered, large
  std::vector<InelasticMaterial> materials;  ///< one per phase (same order as the thicknesses)
};

/// A uniform square-pixel reciprocal grid: ny × nx values row-major, pixel size ds (Å⁻¹), beam at
/// (centre_x, centre_y) in pixel indices (column, row). SimPattern: centre = (n/2, n/2).
struct ReciprocalGrid {
  size_t ny = 0, nx = 0;
  double ds = 0;
  double centre_x = 0, centre_y = 0;
};

/// θ_E (rad) for an energy loss E (eV) at beam energy E₀ (eV) (Egerton 2011 eq. 3.28, relativistic).
double characteristic_angle(double loss_eV, double energy_eV);
/// Plasmon cut-off θ_c ≈ (E/E₀)^{1/2} (rad) (Egerton 2011 eq. 3.51).
double plasmon_cutoff_angle(double loss_eV, double energy_eV);
/// Total inelastic mean free path (Å) of Iakoubovskii et al. 2008 (eq. 8–9): density ρ (g/cm³),
/// E₀ (eV), convergence α and collection β semi-angles (mrad).
double inelastic_mfp_iakoubovskii(double density_g_cm3, double energy_eV, double alpha_mrad, double beta_mrad);
/// λ_p (Å) of a material: its plasmon_mfp_A, or the Iakoubovskii estimate. Throws std::invalid_argument
/// when neither is available.
double plasmon_mfp(const InelasticMaterial& m, const InelasticParams& p);
/// Poisson probabilities P_0..P_n_max of mean x (x ≥ 0); P_m = e^{−x}x^m/m!.
std::vector<double> poisson_weights(double x, size_t n_max);
/// Number of Poisson terms needed so that the neglected tail is below tol.
size_t poisson_terms(double x, double tol = 1e-10);

/// Fraction of the normalised plasmon kernel inside radius s (Å⁻¹): ln(1 + s²/s_E²)/ln(1 + s_c²/s_E²)
/// (s ≤ s_c); the analytic reference for the pixel kernel.
double plasmon_kernel_fraction(double s, double s_E, double s_c);
/// The plasmon kernel on a (2R+1)² pixel grid of size ds centred on the middle pixel, Σ = 1; R =
/// ceil(s_c/ds). Pixel weights: the kernel integrated over each pixel (sub-sampled 8 × 8, adaptively
/// finer near the core; the centre pixel takes the analytic remainder).
std::vector<double> plasmon_kernel_2d(double s_E, double s_c, double ds, size_t& radius_px);
/// Hankel transform of the normalised plasmon kernel: K̂(q) = ∫K(s) J₀(2πqs) d²s, q in Å (K̂(0) = 1).
double plasmon_kernel_hankel(double q, double s_E, double s_c);

/// Hartree–Fock incoherent scattering function S (electrons) of element Z at s = 2 sinθ/λ (Å⁻¹):
/// Balyuzi 1975 (renormalised so that S(0) = 0 and S(∞) = Z exactly; data/scattering/README.md), the
/// exact 1s atom for hydrogen. Throws std::invalid_argument for an element not in the table (Z > 92).
double incoherent_scattering_function(int Z, double s);
/// Lenz differential inelastic cross-section dσ_i/dΩ (Å²/sr) of one atom of element Z at scattering
/// angle θ (rad), beam energy E₀ (eV) (formula above).
double lenz_inelastic_dcs(int Z, double theta, double energy_eV);
/// ∫ dσ_i/dΩ dΩ over θ_lo ≤ θ ≤ θ_hi (Å²), numerically (small-angle dΩ = 2πθ dθ).
double lenz_inelastic_cross_section(int Z, double energy_eV, double theta_lo, double theta_hi);
/// dσ_i/dΩ (Å²/sr) of one atom with the model's S (formula above).
double incoherent_dcs(IncoherentModel model, int Z, double theta, double energy_eV);
/// ∫ dσ_i/dΩ dΩ over θ_lo ≤ θ ≤ θ_hi (Å²) with the model's S.
double incoherent_cross_section(IncoherentModel model, int Z, double energy_eV, double theta_lo, double theta_hi);

/// Applies the inelastic scattering to `intensity` (fraction of incident electrons per pixel on `grid`) for a
/// column holding thickness_A[p] of materials[p] (Å): with the continuous join, all events of the joint kernel
/// (Lorentzian core to s_x, closure tail over the whole grid) as one Poisson transfer function; with the cutoff
/// join, the plasmon redistribution and then the linear incoherent background (header comment). Intensity is
/// conserved up to what leaves the grid. Throws std::invalid_argument for a size mismatch, negative
/// thickness or bad parameters (naming the value).
void apply_inelastic(const InelasticParams& params, const std::vector<double>& thickness_A,
                     const ReciprocalGrid& grid, std::vector<double>& intensity);

/// Incoherent background of the cutoff join per unit s-area (fraction of incident electrons per Å⁻², for 1 Å
/// of material m) at s (Å⁻¹): ρ·Σ c_a dσ_i,a/dΩ · λ² for θ = λs > θ_c, 0 below. Multiply by the thickness (Å).
double incoherent_background_density(const InelasticMaterial& m, const InelasticParams& p, double s);
/// Probability per Å of thickness that an electron is scattered into the incoherent background (θ > θ_c).
double incoherent_probability_per_A(const InelasticMaterial& m, const InelasticParams& p);

/// Closure (Morse) single-event density per Å⁻² per Å of material m at s (Å⁻¹), at every angle (no θ_c):
/// ρ·Σ c_a dσ_i,a/dΩ · λ².
double closure_density(const InelasticMaterial& m, const InelasticParams& p, double s);
/// Plasmon single-event density per Å⁻² per Å at s (Å⁻¹), the Lorentzian continued past s_c:
/// 1/(λ_p π ln(1 + s_c²/s_E²)(s² + s_E²)).
double plasmon_density(const InelasticMaterial& m, const InelasticParams& p, double s);

/// The joint single-event inelastic distribution of one material (continuous join, header comment).
struct InelasticEvents {
  double s_E = 0;            ///< Å⁻¹, θ_E/λ
  double s_c = 0;            ///< Å⁻¹, θ_c/λ
  double s_x = 0;            ///< Å⁻¹, hand-over: the crossing nearest s_c, or s_c (no crossing, one part off, cutoff join)
  bool crossing = false;     ///< s_x is a crossing of the two densities
  double lorentz_per_A = 0;  ///< events per Å in the Lorentzian core s ≤ s_x (0 with plasmon off)
  double tail_per_A = 0;     ///< events per Å in the closure tail θ_x < θ < 0.5 rad (0 with incoherent off)
  double total_per_A() const { return lorentz_per_A + tail_per_A; }
};
/// The joint distribution of material m: plasmon and incoherent on: Lorentzian to s_x, closure beyond;
/// plasmon only: Lorentzian to s_c; incoherent only: closure beyond s_c. With the cutoff join s_x = s_c
/// always, the rates 1/λ_p and incoherent_probability_per_A (the closure part is then a background, not
/// events). Throws std::invalid_argument for bad material data (as plasmon_mfp and
/// incoherent_background_density).
InelasticEvents inelastic_events(const InelasticMaterial& m, const InelasticParams& p);
/// Single-event density of the joint distribution per Å⁻² per Å at s (Å⁻¹) (0 where neither part acts).
double joint_density(const InelasticEvents& e, const InelasticMaterial& m, const InelasticParams& p, double s);

}  // namespace sedpdf
