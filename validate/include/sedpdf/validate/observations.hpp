// sedpdf/validate/observations.hpp — what 003 (Laulainen et al., Nanoscale 14 (2022) 16524) reports seeing in
// its MEASURED data, checked on the simulated experiment. Each statement of 003 about its area-averaged ePDFs
// against the X-ray PDFs (Fig. 2), its ICA-ePDFs (Fig. 3) and the ePDF vs thickness is turned into a
// measurement with a stated tolerance and made twice:
//  - on the phase MODELS: the X-ray reference against the noise-free kinematic ePDF (does the structure model,
//    seen with electron weights at the chain's resolution, show what 003 saw?);
//  - on the simulated EXPERIMENT: the X-ray reference against the simulated area average (plural and inelastic
//    scattering, thickness, counting noise), the ICA components and the thickness bands.
// A statement the models do not reproduce points at the structure models (or at 003's reading of its figure);
// one the models reproduce and the data do not points at the experiment or the chain. Values 003 quotes are
// read off its figures (one decimal, or "~" an integer): the tolerances are stated with each check
// (ObservationTolerances) and every reading is printed, so a reader can apply their own.
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/element.hpp"
#include "sedpdf/validate/metrics.hpp"

namespace sedpdf {

/// A sampled curve y(x) on an increasing grid with its 1σ (empty: noise-free).
struct Curve {
  std::vector<double> x, y, sigma;
};

/// The samples of a curve with finite y inside the window (σ copied as given, empty if the curve has none): what
/// is measured of a φ(s) that is NaN below the direct-beam cut-off or beyond the detector. Throws
/// std::invalid_argument for mismatched sizes.
Curve finite_part(const Curve& c, Window w = {});

/// Gaussian smoothing (kernel σ in units of x) of a curve on a uniform grid, the kernel renormalised where it
/// is cut by the ends; σ propagated for independent errors (σ_out² = Σ w_k² σ_k²). sigma_x = 0 returns the
/// curve. Throws std::invalid_argument for mismatched sizes, a non-uniform or too short grid, or σ < 0.
Curve gaussian_smoothed(const Curve& c, double sigma_x);

/// A feature read off a curve as one reads a plotted curve.
struct FeatureReading {
  bool found = false;
  double position = 0;    ///< refined maximum (units of x)
  double height = 0;      ///< y there
  double prominence = 0;  ///< above the higher of the two minima separating it from a higher point or the curve's end
  double fwhm = 0;        ///< full width at half height above 0 over the whole curve (0 if a crossing is missing)
};

/// The local maximum of c nearest `target` within ±tol whose prominence (topographic, over the whole curve) is
/// at least n_sigma × c.sigma there (any maximum for a noise-free curve). found = false when there is none.
/// Throws std::invalid_argument for mismatched sizes or tol <= 0.
FeatureReading read_feature(const Curve& c, double target, double tol, double n_sigma = 3.0);

/// Which of 003's materials a phase is, from its elements: agZIF-62 (Zn, N, C) or the phosphate glass
/// (Na, P, O, Al); Other otherwise (no observations of 003 apply).
enum class Material003 { AgZif62, PhosphateGlass, Other };
Material003 material_003(const std::vector<Element>& elements);

/// Tolerances of the readings. Values 003 quotes to one decimal: ±s_tol (Å⁻¹) and ±r_tol (Å) (rounding ±0.05
/// plus reading a printed figure); "~" integer values (Zn–N ~2 Å, ...): ±r_tol_approx.
struct ObservationTolerances {
  double s_tol = 0.10;           ///< Å⁻¹
  double r_tol = 0.20;           ///< Å
  double r_tol_approx = 0.30;    ///< Å
  double same_peak_tol = 0.10;   ///< electron vs X-ray peak positions "in the correct positions" (Å; the acceptance's)
  double smooth_sigma_s = 0.02;  ///< Å⁻¹: the simulated area average's φ(s) is read after this Gaussian smoothing
  double n_sigma = 3.0;          ///< a maximum of noisy data is a feature only this far above its surroundings
  Window low_s{0.4, 0.8};        ///< "the low s peaks (< 0.8 Å⁻¹)" (above the direct-beam cut-off 0.18)
  Window high_s{0.8, 2.5};       ///< the rest of φ(s), the yardstick of "reduced"
  double reduced_ratio = 0.75;   ///< "significantly reduced": relative amplitude at most this
  double broadened_ratio = 1.15; ///< "broadened": FWHM at least this × the X-ray's at the same resolution
  double thickness_pos_tol = 0.05;  ///< Å: "unchanged peak positions" across thickness bands (the first-shell tolerance)
  Window component_peaks{1.5, 8.0};  ///< Å: peaks compared between the ICA component and the area average
  double component_peak_fraction = 0.05;  ///< of the area average's largest peak: smaller ones are not compared
};

/// Everything the checks read for one phase. φ(s) in Å⁻¹ on their own grids; G(r) in Å⁻² on r (common grid).
struct ObservationPhaseData {
  std::string name;
  Material003 material = Material003::Other;
  Curve phi_xray;        ///< X-ray reference φ(s) (noise-free)
  Curve phi_kinematic;   ///< kinematic electron φ(s) (noise-free)
  Curve phi_area;        ///< simulated area average's φ(s) with its counting σ
  std::vector<double> r;
  std::vector<double> G_xray;          ///< X-ray PDF as I15-1 measures it (Q_max 22 Å⁻¹)
  std::vector<double> G_xray_matched;  ///< X-ray weights at the ePDF's s range and damping (empty: not computed)
  std::vector<double> G_kinematic;     ///< noise-free kinematic ePDF at the area average's resolution
  std::vector<double> G_area, G_area_sigma;  ///< simulated area average (σ may be empty)
  /// Thickness bands of the area average, thinnest first: (first-peak position Å, height Å⁻²). May be empty.
  std::vector<std::pair<double, double>> band_first_peaks;
  std::vector<double> band_thickness_A;  ///< mean thickness of each band (Å)
  /// The phase's matched ICA component (sign-corrected; any scale) on its own grid; empty if none.
  std::vector<double> component_r, component;
};

enum class ObservationStatus { Reproduced, NotReproduced, NotMeasured };
std::string observation_status_name(ObservationStatus s);  ///< "yes", "NO", "—"

struct ObservationCheck {
  std::string phase;
  std::string source;     ///< where in 003, e.g. "Fig. 2a"
  std::string label;      ///< a few words, e.g. "5 Å ePDF peak"
  std::string statement;  ///< what 003 reports
  std::string criterion;  ///< how it is measured here, with its tolerance
  std::string models;     ///< the readings on the X-ray reference and the noise-free kinematic ePDF
  std::string data;       ///< the readings on the simulated data
  ObservationStatus models_status = ObservationStatus::NotMeasured;
  ObservationStatus data_status = ObservationStatus::NotMeasured;
};

/// 003's observations for every phase of a known material (others are skipped): Fig. 2a–d (φ(s) and G(r)
/// features and intensities, electron vs X-ray), Fig. 3e–f (ICA-ePDF peak positions vs the area average) and
/// the ePDF vs thickness (peak positions unchanged, heights fall; 003 after its ref. 60). Throws
/// std::invalid_argument for curves of mismatched sizes (named by phase and curve).
std::vector<ObservationCheck> check_003_observations(const std::vector<ObservationPhaseData>& phases,
                                                     const ObservationTolerances& tol = {});

/// Lines for the terminal: how many statements the simulated data and the models reproduce, and which not.
std::string observations_summary(const std::vector<ObservationCheck>& checks);

}  // namespace sedpdf
