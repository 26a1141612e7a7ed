// sedpdf/validate/sweep.hpp — unmixing limits (issue 8, item 4): where PCA → ICA of per-pixel ePDFs stops
// recovering the phases, as a function of dose (e⁻/Å²), specimen thickness, domain size / probe size, the
// number of phases, their PDF similarity (a blend of the first phase into the others) and the chain's per-pixel
// damping. Each sweep point is a small scenario run with the fast model's profile-only mode (azimuthal profiles
// with exact counting statistics instead of 2-D patterns: the same numbers after azimuthal integration, ~100×
// faster), the 003 chain on n × n binned profiles, PCA → ICA on G(r), and the success criterion of
// validate/sweep_criteria.hpp. Specimen of a point: a uniform slab of the given thickness on the carbon film, its
// phases in columnar Poisson–Voronoi domains of mean size = ratio × probe diameter (equal fractions). Results:
// tables (CSV) and phase-diagram plots in a report. Details: docs/study.md, "Sweeps".
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/reduce/decompose.hpp"
#include "sedpdf/simulate/damage.hpp"
#include "sedpdf/simulate/detector_model.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/simulate/probe.hpp"
#include "sedpdf/structures/structure.hpp"
#include "sedpdf/validate/study.hpp"
#include "sedpdf/validate/sweep_criteria.hpp"

namespace sedpdf {

/// A phase available to the sweeps (the first n are used for n phases).
struct SweepPhase {
  std::string name;
  Structure model;  ///< fully periodic; replicated (supercell) where needed for 20 Å partial PDFs
  /// Beam damage (a MODEL, simulate/damage.hpp): a point at dose D sees the damaged fraction f̄(0, D) of one
  /// scan; inactive by default. With it the dose axis has two ends: counting noise below, damage above.
  DamageModel damage;
};

/// Blend: how alike the phases are made — a volume fraction w of the FIRST phase's material intimately mixed into
/// the domains of every other phase (sub-probe, super-PDF-range mixing: intensities add per atom, no cross-phase
/// pair correlations; references by blend_pdf, references.hpp). w = 0: the phases as defined; w → 1: every domain
/// holds mostly the first phase. The table gives the resulting similarity as the largest Pearson between two
/// phases' references, so the maps read as unmixing success against PDF similarity (BRIEF: "for which … PDF
/// similarity does ICA recover the phases").
/// Damping: the per-pixel damping b of the chain, exp(−b s²) (Å²), an analysis choice (003: 0.6–1.0, "more for
/// single pixels"); the references are taken at the same damping, and the noise realisation does not change.
enum class SweepAxis { Dose, Thickness, DomainRatio, PhaseCount, Blend, Damping };
/// "dose_e_per_A2", "thickness_nm", "domain_probe_ratio", "phases", "blend_fraction", "damping_pixel_b_A2"
/// (throws std::invalid_argument otherwise).
SweepAxis parse_sweep_axis(const std::string& text);
std::string sweep_axis_name(SweepAxis a);
/// Axis label with units for plots ("dose (e⁻/Å²)", …).
std::string sweep_axis_label(SweepAxis a);

/// One parameter set.
struct SweepPoint {
  double dose = 10;           ///< e⁻/Å²
  double thickness_A = 500;   ///< slab thickness (Å), film excluded
  double domain_ratio = 5;    ///< mean domain size / probe diameter
  int n_phases = 2;
  double blend = 0;           ///< SweepAxis::Blend: volume fraction of the first phase in the others' domains, [0, 1)
  /// SweepAxis::Damping: per-pixel exp(−b s²) damping b (Å², >= 0); NaN: the configuration's chain damping
  double damping_b = std::numeric_limits<double>::quiet_NaN();
  /// The value along an axis (thickness in nm).
  double get(SweepAxis a) const;
  /// Sets the value along an axis (thickness given in nm).
  void set(SweepAxis a, double v);
};

/// A 2-D map of the sweep: every (x, y) pair, other parameters at the base point.
struct SweepMap {
  SweepAxis x = SweepAxis::Dose, y = SweepAxis::Thickness;
  std::vector<double> xs, ys;  ///< values in the units of sweep_axis_label
};

struct SweepProgress {
  std::size_t done = 0, total = 0;
  double elapsed_s = 0;
  std::string message;
};

struct SweepConfig {
  std::string name = "unmixing limits";
  std::vector<SweepPhase> phases;     ///< at least max(n_phases) of them
  ProbeSpec probe;                    ///< 200 kV, 0.6 mrad (003)
  DetectorSpec detector;              ///< 003 quad Medipix3; the dose is set per point, background must be 0
  InelasticParams inelastic;          ///< plasmon and incoherent scattering on
  FastModelParams fast;               ///< probe and inelastic are set from above
  ReductionParams chain;              ///< per pixel; composition empty = the point's volume average
  double film_thickness_A = 100;      ///< carbon support (0: none)
  std::size_t scan_n = 32;            ///< scan of scan_n × scan_n positions
  double step_A = 55;                 ///< scan step (Å) (003: 5.5 nm)
  std::size_t bin = 2;                ///< n × n binning (003)
  double probe_diameter_A = 50;       ///< domain sizes are ratio × this; the criterion's exclusion distance
  double truth_probe_fwhm_A = 50;     ///< thickness under the probe: Gaussian footprint of this FWHM (Å)
  Window decompose_window{1.0, 15.0}; ///< Å
  double decompose_r_step_A = 0.2;    ///< r step given to PCA/ICA (see StudyConfig::decompose_r_step_A)
  DecomposeOptions decompose = study_decompose_defaults();  ///< ICA, automatic count by parallel analysis
  /// true: ICA on as many components as the point has phases (the count an analyst who knows the sample would
  /// keep), the automatic count reported beside it; false: the automatic count decides.
  bool components_from_phases = true;
  UnmixingCriteria criteria;          ///< exclusion_distance is set to probe_diameter_A
  SweepPoint base;
  std::vector<SweepMap> maps;
  uint64_t seed = 1;
  int threads = 0;
  std::string output_dir = "out/study";
  bool draw_figures = true;
  std::function<void(const SweepProgress&)> progress;
};

struct SweepPointResult {
  SweepPoint point;  ///< as evaluated: damping_b holds the damping in effect (the configuration's when unset)
  bool success = false, spectra_ok = false, maps_ok = false;
  int pca_components = 0;     ///< automatic count (parallel analysis; −1 when not evaluated)
  int components_used = 0;    ///< components given to ICA
  double min_pearson = 0;     ///< smallest per-phase Pearson of the matched components (NaN if unmatched)
  /// smallest per-phase subspace ceiling (UnmixingVerdict::subspace_pearson): below the threshold the data
  /// limit the spectra whatever the rotation; above it and min_pearson below, ICA's rotation does
  double min_subspace_pearson = 0;
  /// smallest per-phase Pearson of the same data unmixed by VCA (pure pixels, reduce/vca.hpp) with the same
  /// count, matched to the same references (NaN when VCA finds no independent endmembers). Reported, not
  /// part of the criterion.
  double min_vca_pearson = 0;
  /// ICA (the sweep's settings) of the point's reference ePDFs themselves (reference_ica_limit): the smallest
  /// per-phase Pearson of the solution ICA's objective prefers, and the best of all its solutions (NaN when not
  /// ICA in the signals domain). A property of the phase set, the grid and the contrast, not of the data.
  double ica_reference_choice = std::numeric_limits<double>::quiet_NaN();
  double ica_reference_best = std::numeric_limits<double>::quiet_NaN();
  /// The largest Pearson between two of the point's phase references over the criterion's window (with a blend,
  /// the blended phases' references): how alike the phases' ePDFs are. NaN if not evaluated.
  double reference_similarity = std::numeric_limits<double>::quiet_NaN();
  double accuracy = 0;        ///< classification accuracy outside the interface bands
  std::size_t pixels = 0;     ///< binned pixels decomposed
  std::string summary;        ///< the criterion's one-line summary, or the error that stopped the point
  double seconds = 0;
};

struct SweepMapResult {
  SweepMap map;
  std::vector<SweepPointResult> points;  ///< ys.size() × xs.size(), y the slow index
};

struct SweepResult {
  std::vector<SweepMapResult> maps;
  std::vector<std::string> findings;  ///< sweep_findings, also the report's first section
  std::string report_html;
  bool figures_drawn = false;
  double seconds = 0;
};

/// What a sweep says, in words, per map (one string each, "Map k (x × y): …"): where the criterion is met; where
/// the maps alone pass (per y value, the first x); where the component spectra fail, split by the subspace
/// ceiling into points where the data do not hold every phase (ceiling < min_pearson) and points where they do
/// and the unmixing's rotation fails; where VCA would pass; and, when ICA of the noise-free references is below
/// the threshold for every phase set of the map, that no point of it can pass criterion (1) by ICA's own choice.
/// Counts only; the numbers are in the tables.
std::vector<std::string> sweep_findings(const std::vector<SweepMapResult>& maps, const UnmixingCriteria& criteria);

/// Evaluates one point (for tests and the maps). Throws std::invalid_argument for bad parameters (named);
/// a failure of the unmixing itself (e.g. PCA finds nothing above the noise) is a failed point, not an error.
SweepPointResult run_sweep_point(const SweepConfig& config, const SweepPoint& point);

/// Runs every map and writes the report (report.html, tables/*.csv, phase-diagram PNGs) to output_dir.
SweepResult run_sweep(const SweepConfig& config);

/// The structure repeated na × nb × nc times (cell scaled, atoms copied). Throws for a non-periodic cell or
/// counts < 1.
Structure replicate_structure(const Structure& s, int na, int nb, int nc);
/// The smallest replication whose minimum-image radius is >= r (Å).
Structure replicate_to_radius(const Structure& s, double r);

}  // namespace sedpdf
