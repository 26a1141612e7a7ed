// sedpdf/simulate/total_scattering.hpp — kinematic total scattering S(s), reduced intensity φ(s) and
// pair distribution functions G(r) from partial PDFs (Faber–Ziman), the measured (truncated, damped)
// PDF, and the Debye equation for finite clusters.
//
// Conventions (BRIEF.md): s = 2 sinθ/λ = 1/d (Å⁻¹), Q = 2πs; lengths in Å.
//   Faber & Ziman, Phil. Mag. 11 (1965) 153:  I(s)/N = ⟨f²⟩ + ⟨f⟩²[S(s) − 1],
//     S(s) − 1 = Σ_{a≤b} (2 − δ_ab) c_a c_b f_a(s) f_b(s) [S_ab(s) − 1] / ⟨f(s)⟩²,
//     S_ab(s) − 1 = 4πρ₀ ∫ r² [g_ab(r) − 1] sin(2πsr)/(2πsr) dr          (ρ₀ = total number density).
//   φ(s) = s[S(s) − 1];   G(r) = 8π ∫₀^∞ φ(s) sin(2πsr) ds = 4πrρ₀[g(r) − 1]
//     (003 eq. 2; the X-ray form (2/π)∫Q[S(Q) − 1] sin(Qr) dQ is the same G(r)). The inverse is
//     φ(s) = (1/2π) ∫₀^∞ G(r) sin(2πsr) dr, because ∫₀^∞ sin(2πsr) sin(2πsr′) ds = δ(r − r′)/4.
// Atoms are static: u_iso is not turned into a Debye–Waller factor here (thermal motion of a model is
// in its positions).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

// ------------------------------------------------------------------------------------------------
// Grids, unit helpers and damping
// ------------------------------------------------------------------------------------------------

/// lo, lo + step, …, up to hi inclusive (hi is included when it lies within 1e-9·step of a node).
/// Throws std::invalid_argument naming the values for step <= 0, hi < lo or non-finite input.
std::vector<double> uniform_grid(double lo, double hi, double step);

/// s (Å⁻¹) from Q (Å⁻¹): s = Q / 2π.
double s_from_q(double q);
/// Q (Å⁻¹) from s (Å⁻¹): Q = 2πs.
double q_from_s(double s);

/// A modification function D(s) applied to φ(s) before the sine transform.
struct Damping {
  enum Kind { None, Lorch, Exp, ModifiedLorch };
  Kind kind = None;
  double b = 0;      ///< Å², for Exp: D(s) = exp(−b s²) (003 step 5, b ≈ 0.6–1.0 Å²)
  double delta = 0;  ///< Å, for ModifiedLorch: top-hat radius Δ; 0 = the first zero of D at s_max
};

/// D(s) at s (Å⁻¹) for a transform that stops at s_max (Å⁻¹):
///  - None: 1;
///  - Lorch: sin(πs/s_max)/(πs/s_max) for s < s_max, 0 beyond (Lorch, J. Phys. C 2 (1969) 229);
///  - Exp: exp(−b s²);
///  - ModifiedLorch: the three-dimensional top hat of radius Δ in r (Soper & Barney, J. Appl. Cryst. 44
///    (2011) 714, their "modified Lorch" function, here with a fixed Δ), D = 3(sin x − x cos x)/x³ with
///    x = 2πsΔ, for s < s_max, 0 beyond; Δ = delta, or when delta = 0, Δ = x₁/(2π s_max) with
///    x₁ = 4.4934094579 the first zero (tan x₁ = x₁), so that D(s_max) = 0 as for Lorch.
/// Throws std::invalid_argument for Lorch / ModifiedLorch with s_max <= 0.
double damping_factor(const Damping& d, double s, double s_max);
/// "none", "lorch", "exp:<b in Å²>", "modified-lorch" or "modified-lorch:<Δ in Å>" ("updated-lorch" is
/// accepted for "modified-lorch") (case-insensitive, surrounding spaces ignored).
/// Throws std::invalid_argument naming the text for anything else or a negative/non-finite b or Δ.
Damping parse_damping(const std::string& text);
/// Inverse of parse_damping: "none", "lorch", "exp:0.6", "modified-lorch", "modified-lorch:0.3".
std::string damping_name(const Damping& d);

// ------------------------------------------------------------------------------------------------
// Sine transforms
// ------------------------------------------------------------------------------------------------

/// Kernel interface (DESIGN.md: numerical kernels behind a small interface, checked against a
/// reference) for the batch integral
///   out[m][j] = ∫_{s_0}^{s_{n−1}} ψ_m(s) sin(2π s r_j) ds,
/// ψ_m the piecewise-linear interpolant of the values psi[m] at the strictly increasing nodes s.
/// On each interval [s_i, s_i + h], with u = (s − s_i)/h and θ = 2πr h, the integral is exact:
///   ∫ ψ sin(2πsr) ds = h { ψ_i [sin(ks_i)(C₀ − C₁) + cos(ks_i)(S₀ − S₁)] + ψ_{i+1} [sin(ks_i) C₁ + cos(ks_i) S₁] }
/// with k = 2πr and C₀ = ∫₀¹cos θu du = sinθ/θ, S₀ = ∫₀¹sin θu du = (1 − cosθ)/θ,
/// C₁ = ∫₀¹u cos θu du = sinθ/θ + (cosθ − 1)/θ², S₁ = ∫₀¹u sin θu du = sinθ/θ² − cosθ/θ
/// (the closed form of ∫(α + βs) sin(ks) ds); for |θ| < 1 the four moments are summed as Taylor
/// series to avoid cancellation. This is Filon-type quadrature with a linear interpolant.
/// Accuracy: on a uniform grid of step h the linear interpolant of a component sin(2πsr′) of φ has the
/// transform of the triangle function as a factor, sinc²(πr′h) ≈ 1 − (πr′h)²/3, so peaks at r are
/// attenuated by that much (0.13 % at r = 20 Å for h = 0.001 Å⁻¹; 15 % at 20 Å for a detector's
/// h = 0.011 Å⁻¹) — keep h ≲ 0.05/r_max when the grid is free to choose.
class SineTransformKernel {
 public:
  virtual ~SineTransformKernel() = default;
  virtual std::string name() const = 0;
  /// s (Å⁻¹) strictly increasing, every psi[m] of size s.size(), r (Å) any values; returns
  /// psi.size() vectors of r.size() values (units of ψ × Å⁻¹).
  virtual std::vector<std::vector<double>> integrate(const std::vector<double>& s,
                                                     const std::vector<std::vector<double>>& psi,
                                                     const std::vector<double>& r) const = 0;
};

/// The reference: sin/cos of 2πs_i r evaluated directly at every node; OpenMP over r (each r is
/// independent, so results do not depend on the thread count).
class ReferenceSineKernel final : public SineTransformKernel {
 public:
  std::string name() const override { return "reference"; }
  std::vector<std::vector<double>> integrate(const std::vector<double>& s,
                                             const std::vector<std::vector<double>>& psi,
                                             const std::vector<double>& r) const override;
};

/// Same quadrature; on a uniform s grid sin/cos at the nodes come from the angle-addition recurrence
/// (restarted from std::sin/std::cos every 32 nodes, so rounding drift stays ~1e-14). Falls back to the
/// reference for a non-uniform grid.
class RecurrenceSineKernel final : public SineTransformKernel {
 public:
  std::string name() const override { return "recurrence"; }
  std::vector<std::vector<double>> integrate(const std::vector<double>& s,
                                             const std::vector<std::vector<double>>& psi,
                                             const std::vector<double>& r) const override;
};

/// The kernel used by the functions below (the recurrence kernel).
const SineTransformKernel& default_sine_kernel();

/// G(r) = 8π ∫_{s_0}^{s_max} φ(s) D(s) sin(2πsr) ds (003 eq. 2), exact for the piecewise-linear
/// interpolant of φ·D between the nodes s (the interval holding s_max is cut there, φ·D
/// interpolated). φ is taken as 0 outside the grid: a grid that starts above 0 must be extrapolated
/// by the caller (φ(0) = 0). s (Å⁻¹) strictly increasing with s[0] >= 0; s_max (Å⁻¹) in (s[0], s.back()]
/// (+1e-9 relative); r in Å. Throws std::invalid_argument naming the bad size/value.
std::vector<double> sine_transform_s_to_r(const std::vector<double>& s, const std::vector<double>& phi,
                                          const std::vector<double>& r, const Damping& d, double s_max,
                                          const SineTransformKernel& kernel = default_sine_kernel());
/// The same for several φ at once (the trigonometric work is shared).
std::vector<std::vector<double>> sine_transform_s_to_r_batch(
    const std::vector<double>& s, const std::vector<std::vector<double>>& phis,
    const std::vector<double>& r, const Damping& d, double s_max,
    const SineTransformKernel& kernel = default_sine_kernel());

/// S(s) from a radial distribution function given as a histogram:
///   S(s) − 1 = 4πρ₀ ∫₀^{r_max} r² [g(r) − 1] W(r) sin(2πsr)/(2πsr) dr,
/// midpoint rule on the bins (r = uniform bin centres, width Δr = r[1] − r[0], r_max = r.back() + Δr/2),
/// each bin weighted by its exact shell volume 4π/3 (r₂³ − r₁³) = 4πr²Δr + πΔr³/3 (the volume g(r) is
/// normalised by, so the pair part reproduces the pair counts exactly); at s = 0 the exact limit
/// sin(x)/x → 1 is used. With r_window the Lorch window W(r) = sin(πr/r_max)/(πr/r_max) (Lorch 1969,
/// applied in r) damps the ripples from the truncation at r_max at the cost of broadening S(s); without
/// it W = 1. rho0 in atoms/Å³, s in Å⁻¹. Throws std::invalid_argument for mismatched sizes, fewer than
/// 2 bins, a non-uniform r grid, r[0] < 0 or non-positive rho0.
std::vector<double> structure_factor_from_g(const std::vector<double>& r, const std::vector<double>& g,
                                            double rho0, const std::vector<double>& s, bool r_window);

// ------------------------------------------------------------------------------------------------
// Faber–Ziman partial and total structure factors
// ------------------------------------------------------------------------------------------------

/// Faber–Ziman partials S_ab(s), one per p.pairs entry (same order), by structure_factor_from_g
/// with ρ₀ = p.number_density (the total number density).
std::vector<std::vector<double>> partial_structure_factors(const PartialPdfs& p,
                                                           const std::vector<double>& s, bool r_window);

/// Faber–Ziman weights w_ab = (2 − δ_ab) c_a c_b f_a f_b / ⟨f⟩², one per p.pairs entry, for constant
/// factors f (one per p.elements entry, any unit). Σ w_ab = 1. Throws std::invalid_argument for a
/// wrong size, std::domain_error if |⟨f⟩| <= 1e-12·sqrt⟨f²⟩ (e.g. a neutron null-scattering mixture).
std::vector<double> faber_ziman_weights(const PartialPdfs& p, const std::vector<double>& f_per_element);
/// The same with f_a = sf.f(a, s) at one s (Å⁻¹) (s = 0: X-ray f(0) = Z, neutron b, electron f_e(0)).
std::vector<double> faber_ziman_weights(const PartialPdfs& p, const ScatteringFactors& sf, double s);

/// S(s) = 1 + Σ w_ab [S_ab(s) − 1] for constant pair weights (one per p.pairs entry).
std::vector<double> weighted_structure_factor(const PartialPdfs& p, const std::vector<double>& pair_weights,
                                              const std::vector<double>& s, bool r_window);

/// Kinematic total scattering with s-dependent Faber–Ziman weights.
struct TotalScattering {
  Radiation radiation = Radiation::Electron;
  std::string factors_name;            ///< ScatteringFactors::name()
  std::vector<double> s;               ///< Å⁻¹
  std::vector<double> S;               ///< S(s), dimensionless
  std::vector<double> phi;             ///< φ(s) = s[S(s) − 1] (Å⁻¹)
  std::vector<double> f_mean;          ///< ⟨f(s)⟩ (units of the factors)
  std::vector<double> f2_mean;         ///< ⟨f²(s)⟩
  std::vector<std::pair<Element, Element>> pair_elements;  ///< (a, b), a <= b, as p.pairs
  /// φ_ab(s) = s (2 − δ_ab) c_a c_b f_a f_b [S_ab(s) − 1]/⟨f⟩²; Σ_ab φ_ab = φ.
  std::vector<std::vector<double>> phi_pair;
};

/// S(s), φ(s) and the pair terms on the grid s (Å⁻¹). Throws std::invalid_argument if sf lacks an
/// element of p, std::domain_error naming s and ⟨f⟩ if |⟨f(s)⟩| <= 1e-12·sqrt⟨f²(s)⟩.
TotalScattering total_scattering(const PartialPdfs& p, const ScatteringFactors& sf,
                                 const std::vector<double>& s, bool r_window);

// ------------------------------------------------------------------------------------------------
// PDFs
// ------------------------------------------------------------------------------------------------

/// Options of the PDF an experiment measures (defaults from 003: ePDF effective s_max ≈ 2.5 Å⁻¹).
struct PdfOptions {
  double s_min = 0;      ///< Å⁻¹; below it φ is replaced by the line from 0 to φ(s_min) (003 step 6)
  double s_max = 2.5;    ///< Å⁻¹; last s of the transform (X-ray Q_max = 22 Å⁻¹: s_from_q(22) = 3.50)
  double ds = 0.001;     ///< Å⁻¹, largest step of the s grid 0 … s_max (G(r) bias ≈ (πrΔs)²/3: 0.13 % at 20 Å)
  double r_min = 0.5;    ///< Å
  double r_max = 20;     ///< Å
  double dr = 0.01;      ///< Å
  Damping damping;       ///< D(s) applied before the transform (003 uses exp:0.6 … exp:1.0)
  bool r_window = true;  ///< Lorch window in r when computing S_ab(s) from the partials
};

struct PdfResult {
  Radiation radiation = Radiation::Electron;
  std::string factors_name;
  std::vector<double> r;  ///< Å
  std::vector<double> G;  ///< Å⁻², G(r) = 8π∫₀^{s_max} φ(s) D(s) sin(2πsr) ds
  std::vector<std::pair<Element, Element>> pair_elements;
  std::vector<std::vector<double>> G_pair;  ///< transforms of φ_ab; Σ_ab G_ab = G
  TotalScattering scattering;  ///< the model S(s), φ(s) on 0..s_max (before the s_min ramp)
  double s_max = 0;            ///< Å⁻¹
  Damping damping;
};

/// 003 step 6 in place: φ at s < s_min (Å⁻¹) replaced by the line from φ(0) = 0 to φ(s_min), φ(s_min) linearly
/// interpolated between the nodes s (increasing, from 0). No-op for s_min <= 0. Throws std::invalid_argument for a
/// size mismatch or s_min beyond the grid.
void ramp_below_s_min(const std::vector<double>& s, double s_min, std::vector<double>& phi);

/// G(r) (Å⁻²) of a φ(s) given on the grid s (from 0, Å⁻¹) as experimental_pdf measures it: 003 step 6 below s_min
/// (ramp_below_s_min, on a copy), then damping d and the transform to s_max onto r (sine_transform_s_to_r).
std::vector<double> measured_pdf_from_phi(const std::vector<double>& s, std::vector<double> phi, double s_min,
                                          const std::vector<double>& r, const Damping& d, double s_max);

/// The PDF measured to s_max with damping: the uniform s grid 0..s_max with step s_max/⌈s_max/ds⌉ (<= ds,
/// s_max a node), total_scattering there,
/// φ and every φ_ab replaced below s_min by the ramp φ(s_min)·s/s_min, then sine transforms onto
/// r_min..r_max step dr. Throws std::invalid_argument for inconsistent options (named).
PdfResult experimental_pdf(const PartialPdfs& p, const ScatteringFactors& sf, const PdfOptions& opt);

/// G(r) = Σ_ab w_ab 4πrρ₀[g_ab(r) − 1] on the partial grid p.r (Å⁻²) for constant pair weights (one per
/// p.pairs entry, e.g. from faber_ziman_weights): the untruncated PDF with those weights.
std::vector<double> real_space_pdf(const PartialPdfs& p, const std::vector<double>& pair_weights);

/// Termination function of a measurement: the real-space form of stopping the transform at s_max with
/// damping D. Substituting φ(s) = (1/2π)∫G(r′) sin(2πsr′) dr′ into G_meas(r) = 8π∫₀^{s_max} φ D sin(2πsr) ds
/// and using 2 sin a sin b = cos(a − b) − cos(a + b):
///   G_meas(r) = ∫₀^∞ G(r′) [P(r − r′) − P(r + r′)] dr′,   P(x) = 2 ∫₀^{s_max} D(s) cos(2πsx) ds,
/// so P(x) = sin(2πs_max x)/(πx) for D = 1 (∫P dx = D(0) = 1). Returns G_meas at the points r.
/// Quadrature: midpoint weights on the uniform grid r (each point stands for [r − Δr/2, r + Δr/2]); below
/// r[0] − Δr/2, G is extended linearly to G(0) = 0 (exact below the first peak, where G = −4πρ₀r);
/// beyond the grid G is 0. P is closed form for D = 1 and 16-point Gauss–Legendre on panels of
/// at most one period otherwise. Throws std::invalid_argument for a non-uniform r, mismatched sizes or
/// s_max <= 0.
std::vector<double> terminate_real_space(const std::vector<double>& r, const std::vector<double>& G,
                                         double s_max, const Damping& d);
/// P(x) of terminate_real_space (Å⁻¹).
double termination_kernel(double x, double s_max, const Damping& d);

// ------------------------------------------------------------------------------------------------
// Debye equation (finite clusters)
// ------------------------------------------------------------------------------------------------

/// I(s) = Σ_i Σ_j o_i o_j f_i(s) f_j(s) sin(2πs r_ij)/(2πs r_ij) (Debye, Ann. Phys. 46 (1915) 809), self
/// terms included as o_i f_i² (the average over independently occupied sites; o_i² would be the same for
/// o = 1), o = occupancy. Units f² (Å² for electrons), not divided by N. Exact, O(N² n_s): pairs are
/// split into a fixed number of chunks (independent of the thread count) accumulated per element pair and
/// summed in order, so the result is the same for any number of OpenMP threads. On a uniform s grid
/// sin(2πs r) follows the angle-addition recurrence, restarted from std::sin every 64 nodes (agrees with
/// direct evaluation to ~1e-13 relative). About 1.7 s for 2676 atoms × 501 s values on 2 cores.
/// Throws std::invalid_argument if any axis of cluster.cell is periodic, or sf lacks an element.
std::vector<double> debye_intensity(const Structure& cluster, const ScatteringFactors& sf,
                                    const std::vector<double>& s);

/// The Debye sum over a histogram of pair distances per element pair (bins of bin_width Å), each bin
/// represented by the weighted mean distance of its pairs. Error per pair (sinc(x) = sin x/x,
/// |sinc″| <= 1/3, distances within a bin spread by at most Δ = bin_width about the mean):
///   |δ sinc| <= ½ (2πs)² · (1/3) · Var(r) <= (2πsΔ)²/24,
/// e.g. 6.6e-4 at s = 2 Å⁻¹, Δ = 0.01 Å, relative to the pair term's amplitude (errors of many pairs
/// largely cancel: 3e-5 relative in I(s) for a 9 Å ZIF-like sphere at Δ = 0.01 Å, s <= 3 Å⁻¹).
/// Cost O(N²) + O(n_bins n_s). Throws as debye_intensity, and for bin_width <= 0.
std::vector<double> debye_intensity_binned(const Structure& cluster, const ScatteringFactors& sf,
                                           const std::vector<double>& s, double bin_width);

}  // namespace sedpdf
