// sedpdf/reduce/chain.hpp — the 1-D reduction chain, steps 2–7 of BRIEF.md ("The reduction chain"):
// an azimuthally integrated profile I(s) → background fit N⟨f²⟩ + C → reduced intensity φ(s) →
// low-frequency (polynomial) correction → direct-beam removal and linear extrapolation to s = 0 →
// damping → G(r) by the sine transform. Per pattern (pixel) or per region (a summed profile) alike.
//
// Sources (equation numbers of Laulainen et al., Nanoscale 14 (2022) 16524, "003"):
//   φ(s) = s [I(s) − N⟨f²⟩ − C] / (N⟨f⟩²)                  003 eqs. (1), (4) (scattering_fit.hpp)
//   G(r) = 8π ∫₀^{s_max} φ(s) D(s) sin(2πsr) ds             003 eq. (2)
//   Low-frequency correction, "Mu2013": subtract the least-squares polynomial of degree n (003: n = 4)
//     that vanishes at s = 0 and s = s_max, p(s) = x(x − 1) Σ_{k=0}^{n−2} c_k x^k, x = s/s_max — the most
//     general polynomial of degree n with p(0) = p(s_max) = 0 (n − 1 free coefficients; 3 for n = 4),
//     fitted to φ over s_min ≤ s ≤ s_max (003 methods, their refs. 61, 62: Mu et al., J. Appl. Cryst.
//     46 (2013) 1105; also Mu et al., Ultramicroscopy 168 (2016) 1, 003 ref. 55).
//   "Rpoly" (PDFgetX3-style, Juhás et al., J. Appl. Cryst. 46 (2013) 560, §2): subtract the least-squares
//     polynomial p(s) = Σ_{k=1}^{n} c_k x^k (no constant: φ → 0 at s = 0), x = s/s_max, of degree
//     n = ⌊r_poly Q_max/π⌋ = ⌊2 r_poly s_max⌋ (Q_max = 2π s_max), so that the correction only holds
//     frequencies that map to r ≲ r_poly in G(r); fitted over s_min ≤ s ≤ s_max.
//   Direct-beam removal (003 step 6, their ref. 63, Thijsse, J. Appl. Cryst. 17 (1984) 61): below s_min,
//     φ is replaced by the straight line φ(s_min)·s/s_min through φ(0) = 0.
//   Damping D(s): simulate's Damping — exp(−bs²) (003; b ≈ 0.6 area-averaged … 1.0 per pixel), Lorch
//     (J. Phys. C 2 (1969) 229) or the modified Lorch of Soper & Barney (J. Appl. Cryst. 44 (2011) 714).
//
// The transform (TransformKind):
//   Resampled (default): φ at the data nodes s_min … s_max is interpolated by a not-a-knot cubic spline
//     onto a uniform grid 0 … s_max of step ≤ ds_fine (the ramp below s_min evaluated exactly), and G is
//     the exact transform of the piecewise-linear interpolant on that grid (sine_transform_s_to_r). For a
//     uniform data step h the spline passes a component of frequency r (sin 2πsr ↔ a peak at r) with the
//     cardinal cubic-spline response H(r) = sinc⁴(πrh)/(1 − ⅔ sin²(πrh)) (Unser, IEEE Signal Process.
//     Mag. 16 (1999) 22, eq. for the cardinal spline), sinc x = sin x/x, and the fine grid adds
//     sinc²(πr·ds_fine): at h = 0.011 Å⁻¹ and ds_fine = 0.001 Å⁻¹, peaks at 10 Å keep 99.92 % and
//     at 20 Å 99.1 % of their height (cubic_spline_response).
//   Linear: the exact transform of the piecewise-linear interpolant of the data nodes themselves (ramp
//     values at the nodes below s_min): the response is sinc²(πrh), 96 % at 10 Å and 85 % at 20 Å for
//     h = 0.011 Å⁻¹ — kept for comparison with codes that transform the raw grid.
// Both are linear maps y ↦ G of the corrected φ at the nodes used; PhiTransform precomputes the map as
// a matrix (n_r × n_nodes), so a pattern costs one matrix–vector product and the propagated variance of
// G is exact for the map.
#pragma once
#include <cstddef>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/reduce/plural.hpp"
#include "sedpdf/reduce/scattering_fit.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"

namespace sedpdf {

/// Step 4 of BRIEF.md (low-frequency artefact of multiple/inelastic scattering).
enum class LowFrequencyCorrection { None, Mu2013, Rpoly };
/// "none", "mu2013", "rpoly".
std::string correction_name(LowFrequencyCorrection c);
/// Inverse of correction_name (case-insensitive); throws std::invalid_argument naming the text.
LowFrequencyCorrection parse_correction(const std::string& text);

/// How φ on the data grid becomes G(r) (see the file comment).
enum class TransformKind { Resampled, Linear };
/// "resampled", "linear".
std::string transform_name(TransformKind t);
/// Inverse of transform_name (case-insensitive); throws std::invalid_argument naming the text.
TransformKind parse_transform(const std::string& text);

/// Every parameter of the 1-D chain, with its unit and the default of 003 where 003 gives one.
struct ReductionParams {
  /// Atomic fractions cᵢ of the specimen (003: average composition, or per pixel). Required.
  Composition composition;
  /// Electron scattering factors (003: Lobato & Van Dyck 2014; Peng 1996 as a cross-check).
  ElectronTable factors = ElectronTable::Lobato;
  /// Window of the fit of N⟨f²⟩ + C (Å⁻¹), inclusive: "the tail end of the spectrum" (003 methods);
  /// 003's data reach 2.8 Å⁻¹. Each end may lie at most one data step outside the data.
  double fit_s_lo = 2.0;
  double fit_s_hi = 2.8;
  /// With a variance: weight the fit by 1/σ². Without one the fit is unweighted.
  bool weighted_fit = true;
  /// Low-frequency correction (003: Mu2013, degree 4).
  LowFrequencyCorrection correction = LowFrequencyCorrection::Mu2013;
  int poly_degree = 4;   ///< Mu2013: degree n >= 2 of p(s) (n − 1 free coefficients)
  double rpoly = 0.9;    ///< Å, Rpoly: r_poly (PDFgetX3's default 0.9 Å); degree ⌊2 r_poly s_max⌋ >= 1
  /// D(s) before the transform (003: exp(−bs²), b = 0.6 area-averaged … 1.0 per pixel).
  Damping damping{Damping::Exp, 0.6, 0.0};
  double s_min = 0.18;   ///< Å⁻¹, edge of the direct beam: linear extrapolation to φ(0) = 0 below (003)
  double s_max = 2.5;    ///< Å⁻¹, last s of the transform and zero of the Mu2013 polynomial (003: 2.5)
  double r_min = 0.5;    ///< Å, first r of G(r)
  double r_max = 20.0;   ///< Å, last r of G(r)
  double dr = 0.01;      ///< Å, step of G(r)
  TransformKind transform = TransformKind::Resampled;
  double ds_fine = 0.001;  ///< Å⁻¹, largest step of the resampled grid (Resampled only)
  /// With a variance: propagate it to σ(G(r)) (first order, N and C fit included).
  bool propagate_variance = true;
  /// Before step 2: remove plural elastic scattering by Fourier-log deconvolution (plural.hpp: inelastic
  /// events come out as their single-event distribution). Not in 003. Needs the profile on bins from s = 0
  /// with the unscattered disc recorded (no gap or mask over it) and `plural.s_alpha` = α/λ; the variance,
  /// when given, is scaled by e^{2x} (x the events per electron; first order).
  bool plural_deconvolution = false;
  PluralParams plural;
};

/// Key/value pairs of every parameter, keys with units ("fit_s_lo_per_A", "r_min_A", …), for output
/// metadata. Values are written with 17 significant digits; the composition as "Zn:0.054,…".
std::vector<std::pair<std::string, std::string>> reduction_metadata(const ReductionParams& p);

/// A fitted low-frequency polynomial (step 4).
struct LowFrequencyPolynomial {
  LowFrequencyCorrection kind = LowFrequencyCorrection::None;
  int degree = 0;                   ///< degree of p in s
  double s_scale = 1;               ///< Å⁻¹: x = s / s_scale (= s_max)
  std::vector<double> coefficients; ///< Mu2013: c_k of x(x−1)x^k, k = 0..n−2; Rpoly: c_k of x^k, k = 1..n
  /// p(s) (units of φ, Å⁻¹), s in Å⁻¹.
  double operator()(double s) const;
};

/// Number of coefficients of the correction (0 for None); n from poly_degree or ⌊2 r_poly s_max⌋.
/// Throws std::invalid_argument naming a degree < 2 (Mu2013) or an r_poly giving degree 0 (Rpoly).
int correction_degree(const ReductionParams& p);

/// Least-squares fit of the correction polynomial to φ over s_lo <= s <= s_hi (unweighted), with
/// x = s/s_max. Points with non-finite φ inside the window throw. Throws std::invalid_argument for
/// mismatched sizes or fewer points than coefficients + 1.
LowFrequencyPolynomial fit_low_frequency(const std::vector<double>& s, const std::vector<double>& phi,
                                         LowFrequencyCorrection kind, int degree, double s_max, double s_lo,
                                         double s_hi);

/// Response of the Resampled transform to a component sin(2πsr) of φ sampled at step h (Å⁻¹) and
/// resampled at step h_fine (Å⁻¹): H(r) sinc²(πr h_fine), H the cardinal cubic-spline response (file
/// comment). 1 − this is the relative attenuation of a peak at r (Å).
double cubic_spline_response(double r, double h, double h_fine);
/// Response of the Linear transform: sinc²(πrh).
double linear_interpolation_response(double r, double h);

/// The linear map from φ at the data nodes used (s_min … the first node >= s_max) to G(r), steps 5–7:
/// ramp below s_min, damping, interpolation, sine transform (see the file comment).
class PhiTransform {
 public:
  /// s: the data grid (Å⁻¹), finite, strictly increasing, s[0] >= 0. Uses p.s_min, s_max, damping,
  /// transform, ds_fine, r_min, r_max, dr. Throws std::invalid_argument naming the values for s_min
  /// outside [s[0] − h, s_max) (h the median step), s_max beyond the data, a bad r grid, ds_fine <= 0 or
  /// >= s_max, fewer than 4 nodes in s_min … s_max, or bad damping parameters.
  PhiTransform(const std::vector<double>& s, const ReductionParams& p);

  size_t first_node() const { return first_; }   ///< index in s of the first node used (s >= s_min)
  size_t node_count() const { return nodes_; }   ///< nodes used: first_node() … first_node() + count − 1
  const std::vector<double>& r() const { return r_; }  ///< Å
  double data_step() const { return h_; }         ///< median Δs of the data (Å⁻¹)
  double fine_step() const { return h_fine_; }    ///< Å⁻¹ (Resampled), 0 for Linear
  TransformKind kind() const { return kind_; }

  /// G(r) (Å⁻²) from y = φ at the nodes used (node_count() values, Å⁻¹).
  std::vector<double> apply(const std::vector<double>& y) const;
  /// Row j of the map: ∂G(r_j)/∂y (node_count() values).
  const double* row(size_t j) const { return matrix_.data() + j * nodes_; }
  /// φ(s_min) used for the ramp, as the linear functional of y (node_count() coefficients).
  const std::vector<double>& s_min_functional() const { return at_s_min_; }

  /// The φ the transform sees before damping, on its own grid: (s, φ) (Resampled: the fine grid
  /// 0 … s_max; Linear: 0 (if s[0] > 0) and the data nodes up to the first one >= s_max, the transform
  /// cutting at s_max). For tests and plots.
  std::pair<std::vector<double>, std::vector<double>> resampled(const std::vector<double>& y) const;

 private:
  std::vector<double> s_;        // data grid
  size_t first_ = 0, nodes_ = 0;
  double h_ = 0, h_fine_ = 0, s_min_ = 0, s_max_ = 0;
  TransformKind kind_ = TransformKind::Resampled;
  Damping damping_;
  std::vector<double> r_;
  std::vector<double> matrix_;   // row-major r_.size() × nodes_
  std::vector<double> at_s_min_; // φ(s_min) = at_s_min_ · y
  std::vector<double> spline_;   // Resampled: second derivatives M = spline_ · y (nodes_ × nodes_, row-major)
};

/// Diagnostics of one reduction.
struct ChainDiagnostics {
  size_t n_nodes = 0;            ///< data nodes used for φ (s_min … s_max and one beyond if needed)
  size_t n_poly_points = 0;      ///< nodes in s_min … s_max used by the polynomial fit
  double phi_at_s_min = 0;       ///< φ(s_min) of the ramp (Å⁻¹), after the correction
  double phi_mean_raw = 0;       ///< mean of φ_raw over s_min … s_max (Å⁻¹): the baseline offset
  double phi_mean_corrected = 0; ///< the same after the correction
  double phi_rms_raw = 0;        ///< rms of φ_raw over s_min … s_max (Å⁻¹)
  double phi_rms_corrected = 0;  ///< rms of φ_corrected over s_min … s_max (Å⁻¹)
  double poly_rms = 0;           ///< rms of p(s) over s_min … s_max (Å⁻¹)
  double data_step = 0;          ///< median Δs of the data (Å⁻¹)
  double fine_step = 0;          ///< Å⁻¹, Resampled grid step (0 for Linear)
  double response_at_r_max = 1;  ///< interpolation response at r_max (1 = no attenuation)
  std::string factors;           ///< name of the scattering factors used
  double plural_events = -1;     ///< x of the plural deconvolution (events per electron); −1 when not applied
};

/// Everything the chain produces for one profile.
struct ReducedProfile {
  BackgroundFit fit;              ///< N, C (± standard errors), residual rms, points used
  std::vector<double> s;          ///< Å⁻¹, the input grid
  std::vector<double> f_mean;     ///< ⟨f⟩(s) (Å)
  std::vector<double> f2_mean;    ///< ⟨f²⟩(s) (Å²)
  std::vector<double> phi_raw;    ///< φ(s) of eq. (4) (Å⁻¹); NaN where I is not finite
  std::vector<double> phi_sigma;  ///< σ(φ_raw) from the variance alone (N, C fixed); empty without one
  std::vector<double> polynomial; ///< p(s) subtracted (Å⁻¹); 0 for None
  std::vector<double> phi_corrected;  ///< φ_raw − p (Å⁻¹)
  std::vector<double> phi_final;  ///< what is transformed: ramp below s_min, φ_corrected up to s_max, 0 beyond
  std::vector<double> phi_damped; ///< phi_final · D(s)
  LowFrequencyPolynomial poly;    ///< the fitted correction
  std::vector<double> r;          ///< Å
  std::vector<double> G;          ///< Å⁻², G(r) = 4πrρ₀[g(r) − 1] (003 eq. 2)
  std::vector<double> G_sigma;    ///< Å⁻², propagated σ(G(r)); empty without a variance
  ChainDiagnostics diagnostics;
};

/// Everything that depends only on the s grid and the parameters, precomputed once (factor curves,
/// polynomial projector, transform matrix); reduce() then costs O(n_r · n_s) per profile. Reuse one plan
/// for every pixel of a scan. Thread-safe for concurrent reduce() calls.
class ChainPlan {
 public:
  /// Validates every parameter against the grid (see PhiTransform, correction_degree, and: composition
  /// empty or with an element the factor table lacks, fit window not a finite interval or more than one
  /// step outside the data). Throws std::invalid_argument naming the values.
  ChainPlan(const std::vector<double>& s, const ReductionParams& p);
  ~ChainPlan();
  ChainPlan(ChainPlan&&) noexcept;
  ChainPlan& operator=(ChainPlan&&) noexcept;

  const ReductionParams& params() const { return params_; }
  const std::vector<double>& s() const { return s_; }
  const PhiTransform& transform() const { return transform_; }

  /// Reduce one profile I(s) (any consistent unit, e.g. counts per pixel), optionally with its variance
  /// σ²(I) (units of I²) per point: fit weights 1/σ² (σ² must be > 0 inside the fit window) and
  /// propagation to σ(G) (σ² >= 0 at every node used). Throws std::invalid_argument for a wrong size, a
  /// non-finite I (or variance) at a node used (naming index and s), or a failed fit (see
  /// fit_background).
  ReducedProfile reduce(const std::vector<double>& I, const std::vector<double>* variance = nullptr) const;
  /// The same with another composition (per-pixel composition, 003 methods); same factor table.
  ReducedProfile reduce(const std::vector<double>& I, const std::vector<double>* variance,
                        const Composition& composition) const;

 private:
  ReducedProfile reduce_with(const std::vector<double>& I, const std::vector<double>* variance,
                             const FactorCurves& fc) const;
  ReductionParams params_;
  std::vector<double> s_;
  std::unique_ptr<ScatteringFactors> factors_;
  FactorCurves curves_;
  PhiTransform transform_;
  // Polynomial projector: c = proj_ · φ[poly nodes]; basis_ = B at every data node (n_s × n_coef).
  int n_coef_ = 0;
  std::vector<size_t> poly_nodes_;
  std::vector<double> proj_;   // n_coef × poly_nodes_.size(), row-major
  std::vector<double> basis_;  // s_.size() × n_coef, row-major
  // Transform matrix with the correction folded in: G = corrected_ · φ_raw[nodes] (for σ(G)).
  std::vector<double> corrected_;
  std::vector<double> corrected_sq_;  // element-wise square of corrected_
  std::unique_ptr<PluralPlan> plural_;  // when params_.plural_deconvolution
  // corrected_ · (s⟨f²⟩/⟨f⟩²) and corrected_ · (s/⟨f⟩²) over the nodes used, for the plan's composition.
  std::vector<double> mc_g_, mc_h_;
  std::pair<std::vector<double>, std::vector<double>> correction_products(const FactorCurves& fc) const;
};

/// One-off reduction: ChainPlan(s, p).reduce(I, variance).
ReducedProfile reduce_profile(const std::vector<double>& s, const std::vector<double>& I,
                              const std::vector<double>* variance, const ReductionParams& p);

}  // namespace sedpdf
