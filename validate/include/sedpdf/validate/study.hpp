// sedpdf/validate/study.hpp — one scenario end to end (issue 8, the 2022 study of Laulainen et al.,
// Nanoscale 14 (2022) 16524, "003"): specimen → forward model (fast statistical model by default, multislice
// selectable) streamed to a 4D HDF5 file by the scan driver → reduction with n × n scan binning and 003's
// chain → PCA → ICA on the per-pixel G(r) cube → area-averaged ePDFs per phase (region mode over the
// ground-truth pixels of each phase) → comparisons with the X-ray references and the ground truth → a report
// (report.html + PNG + CSV + HDF5). What is compared and the criteria: docs/study.md.
//
// The library only throws (std::invalid_argument naming the bad value, InputError for bad files); progress
// goes to a callback.
#pragma once
#include <cstddef>
#include <limits>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/reduce/decompose.hpp"
#include "sedpdf/reduce/particle_mask.hpp"
#include "sedpdf/simulate/damage.hpp"
#include "sedpdf/simulate/detector_model.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/simulate/inelastic.hpp"
#include "sedpdf/simulate/multislice.hpp"
#include "sedpdf/simulate/probe.hpp"
#include "sedpdf/simulate/scan.hpp"
#include "sedpdf/structures/specimen.hpp"
#include "sedpdf/validate/answers.hpp"
#include "sedpdf/validate/ica_limit.hpp"
#include "sedpdf/validate/maps.hpp"
#include "sedpdf/validate/observations.hpp"
#include "sedpdf/validate/peaks.hpp"
#include "sedpdf/validate/references.hpp"
#include "sedpdf/validate/sweep_criteria.hpp"

namespace sedpdf {

enum class StudyEngine { Fast, Multislice };
/// "fast", "multislice" (throws std::invalid_argument naming the text otherwise).
StudyEngine parse_study_engine(const std::string& text);
std::string study_engine_name(StudyEngine e);

/// The second dataset of a study with second_scan (StudyConfig::second_scan_data).
enum class SecondScanData { Cumulative, Second };
/// "cumulative", "second" (throws std::invalid_argument naming the text otherwise).
SecondScanData parse_second_scan_data(const std::string& text);

/// The pixels decomposed: the ground-truth particle or a VADF threshold (StudyConfig::particle_mask).
enum class ParticleMaskSource { Truth, Vadf };
/// "truth", "vadf" (throws std::invalid_argument naming the text otherwise).
ParticleMaskSource parse_particle_mask_source(const std::string& text);
std::string particle_mask_source_name(ParticleMaskSource m);

/// Progress of a study: the stage ("simulate", "reduce", "unmix", "regions", "references", "report"), work
/// done/total within the stage, seconds since the study started, and a message for the log.
struct StudyProgress {
  std::string stage;
  std::size_t done = 0, total = 0;
  double elapsed_s = 0;
  double eta_s = 0;  ///< of the stage (0 when unknown)
  std::string message;
};
using StudyProgressCallback = std::function<void(const StudyProgress&)>;

/// Per-phase plasmon settings (0 = the default of the material: 23 eV, Iakoubovskii MFP).
struct StudyPhaseInelastic {
  std::string name;                 ///< a specimen phase or "carbon_film"
  double plasmon_energy_eV = 0;
  double plasmon_mfp_A = 0;
};

/// The decomposition of the study: PCA → FastICA (signals domain, as 003 / HyperSpy) with the component
/// count decided by parallel analysis (Horn 1965; pca.hpp) instead of the Marchenko–Pastur edge: per-pixel
/// G(r) cubes carry many weak, real but non-linear variations (thickness, the film) that the MP test counts
/// one by one (20 = the cap on the default run), while parallel analysis keeps the components that stand out
/// of the column-permuted spectrum — two on the default run, as 003 found from its scree plot. docs/study.md.
DecomposeOptions study_decompose_defaults();

struct StudyConfig {
  std::string name = "nanoscale2022";   ///< report title
  SpecimenSpec specimen;
  ScanSpec scan;                        ///< positions (Å)
  double truth_probe_fwhm_A = 50;       ///< ground truth averaged over this Gaussian FWHM (Å) (003: ≈ 5 nm probe)
  double probe_diameter_A = 50;         ///< exclusion band around interfaces for the classification (Å)
  ProbeSpec probe;                      ///< 200 kV, 0.6 mrad (003)
  DetectorSpec detector;                ///< quad Medipix3, 0.011 Å⁻¹/pixel, 10 e⁻/Å² (003); step_A is set from scan
  InelasticParams inelastic;            ///< switches and angles (energy and materials set by the study)
  std::vector<StudyPhaseInelastic> phase_inelastic;
  /// Beam damage (a MODEL, simulate/damage.hpp) per specimen phase by name; phases not listed are not
  /// damaged. Fast engine only.
  std::vector<std::pair<std::string, DamageModel>> damage;
  StudyEngine engine = StudyEngine::Fast;
  FastModelParams fast;                 ///< probe and inelastic are set from above
  MultisliceParams multislice;          ///< StudyEngine::Multislice only (windowed mode over the specimen)
  std::size_t bin = 2;                  ///< n × n scan binning of the per-pixel reduction (003: 2 × 2)
  ReductionParams chain;                ///< per pixel (003: damping exp(−1.0 s²)); composition required
  double region_damping_b = 0.6;        ///< Å², damping of the area-averaged ePDFs (003: 0.6)
  /// Area averages of a phase reduced with the phase's own composition (true) or the chain's (false).
  bool region_phase_composition = true;
  Window decompose_window{1.0, 15.0};   ///< r range of the cube given to PCA/ICA (Å)
  /// r step of the cube given to PCA/ICA (Å; every k-th point of the reduced grid, k = round(step / dr)).
  /// G(r) on the chain's 0.01 Å grid is oversampled ~20× relative to its resolution 1/(2 s_max) ≈ 0.2 Å, so
  /// its noise is correlated along r and the Marchenko–Pastur count (which assumes white noise) overcounts;
  /// sampling near the resolution makes the noise nearly white. 0: the reduced grid itself.
  double decompose_r_step_A = 0.2;
  /// ICA with the automatic PCA count by parallel analysis (see study_decompose_defaults).
  DecomposeOptions decompose = study_decompose_defaults();
  /// Binned pixels whose ground-truth specimen thickness (film excluded) is below this are outside the
  /// particle: not scored, and with particle_mask = Truth not decomposed (Å).
  double min_thickness_A = 100;
  /// Which binned pixels are decomposed: Truth = the ground-truth thickness mask above (what the data would
  /// show if the experimenter's mask were perfect); Vadf = the data alone, a threshold on the reduced VADF
  /// image (reduce/particle_mask.hpp: automatic from the bare film's level, or vadf_mask.threshold) — what an
  /// experimenter does. Scoring always uses the ground truth, so particle pixels the VADF mask misses count
  /// as misclassified.
  ParticleMaskSource particle_mask = ParticleMaskSource::Truth;
  ParticleMaskOptions vadf_mask;
  std::size_t thickness_bands = 3;      ///< ePDF vs thickness: area averages over this many thickness bands per phase
  double pure_fraction = 0.99;          ///< a scan position belongs to a phase's area average above this fraction
  UnmixingCriteria criteria;            ///< success criterion (exclusion_distance is set to probe_diameter_A)
  /// Also analyse the cumulative dose of a second scan of the same area (003: 20 e⁻/Å² in all): simulated as
  /// one scan at the cumulative dose (a sum of Poisson counts is Poisson; beam damage is not modelled).
  bool second_scan = false;
  double second_scan_cumulative_dose = 20;  ///< e⁻/Å²
  /// What the second dataset is: Cumulative = both scans summed (one scan at the cumulative dose, damage
  /// averaged over [0, cumulative]); Second = the second scan alone (dose cumulative − first, damage averaged
  /// over [first, cumulative]) with its own area averages, compared with the first scan's (003 Fig. 4).
  SecondScanData second_scan_data = SecondScanData::Cumulative;
  uint64_t seed = 1;
  int threads = 0;                      ///< OpenMP threads (0: default)
  std::string output_dir = "out/run";   ///< the report directory (replaced atomically on success)
  bool draw_figures = true;
  bool keep_4d = true;                  ///< move the 4D file into the report directory (else delete it)
  int deflate = 4;                      ///< gzip level of the 4D file
  std::vector<std::pair<std::string, std::string>> metadata;  ///< e.g. the configuration text
  StudyProgressCallback progress;
};

/// The built-in default of `sedpdf run`: examples/specimen_nanoscale2022.toml's particle (agZIF-62 /
/// phosphate glass, abrupt interface, 12 nm ZIF inclusion in the glass, 100 nm thick, 10 nm carbon film)
/// with the 003 experiment, scanned over a reduced area (nx × ny positions at 5.5 nm around the interface
/// and the inclusion) so that it finishes in minutes. `agzif_model` / `phosphate_model`: the phase models.
StudyConfig nanoscale2022_default(const Structure& agzif_model, const Structure& phosphate_model,
                                  std::size_t nx = 32, std::size_t ny = 32);

/// Average composition of the specimen's phases weighted by their volume over the scanned area (atomic
/// fractions), for the chain (003 used an average composition at every pixel).
Composition scan_average_composition(const Specimen& specimen, const ScanSpec& scan);

/// One thickness band of one phase.
struct ThicknessBand {
  double thickness_lo_A = 0, thickness_hi_A = 0, thickness_mean_A = 0;  ///< specimen thickness (film excluded)
  std::size_t positions = 0;       ///< scan positions in the area average
  std::vector<double> G;           ///< area-averaged G(r) on PhaseStudy::r (Å⁻²)
  std::vector<double> phi;         ///< its corrected φ(s) on PhaseStudy::s (Å⁻¹)
  double first_peak_position = 0, first_peak_height = 0;  ///< of G in the first shell window
  /// Least-squares amplitude of φ on the kinematic φ over the chain's s_min–s_max (amplitude_ratio; NaN if
  /// not computable): how much plural and inelastic scattering weaken the oscillations at this thickness.
  double phi_amplitude = 0;
  double mean_loading = 0;         ///< mean of the phase's matched component loading over the band's binned pixels (NaN if none)
  std::size_t pixels = 0;          ///< binned pixels of the band
};

struct PhaseStudy {
  std::string name;
  PhaseReference reference;
  std::size_t positions = 0;             ///< scan positions in the area average
  double mean_thickness_A = 0;
  std::vector<double> r, G, G_sigma;     ///< area-averaged ePDF (Å, Å⁻²)
  std::vector<double> s, phi, phi_sigma; ///< its corrected φ(s) and counting σ (Å⁻¹; σ empty without variance)
  double phi_amplitude = 0;              ///< φ on the kinematic φ over s_min–s_max (as ThicknessBand::phi_amplitude)
  double plural_events = -1;             ///< x of the plural deconvolution (events per electron); −1 when off
  PeakComparison peaks_vs_xray;          ///< vs the X-ray PDF (I15-1 resolution)
  PeakComparison peaks_vs_xray_matched;  ///< vs the X-ray PDF at the ePDF's resolution (weights only differ)
  PeakComparison peaks_vs_kinematic;     ///< vs the kinematic ePDF
  /// The noise-free kinematic ePDF itself (at the area average's resolution) vs the X-ray PDF: what perfect
  /// electron data would score on the X-ray criteria (electron pair weights and s range alone).
  PeakComparison kinematic_vs_xray;
  /// 1σ of the area average's peak positions from its counting noise, propagated through the whole chain
  /// (propagated_peak_sigmas): per reference peak of peaks_vs_xray (the matched peak's; NaN where unmatched),
  /// per peak of the area average (peaks_vs_xray.peaks) and of the first shell (Å); `peak_sigma_note` says
  /// why they are NaN when they could not be computed.
  std::vector<double> peak_sigma_A;
  std::vector<double> epdf_peak_sigma_A;
  /// 1σ of the same positions by a delete-one-group jackknife over 8 interleaved groups of the positions
  /// (counting noise, speckle and the thickness mix together; study.cpp region_jackknife): per peak of
  /// peaks_vs_xray.peaks and of the first shell (Å), and of G at every r (Å⁻²); NaN / empty with
  /// `jackknife_note` saying why when not computed.
  std::vector<double> epdf_peak_sigma_jackknife_A;
  double first_shell_sigma_jackknife_A = std::numeric_limits<double>::quiet_NaN();
  std::vector<double> G_sigma_jackknife;
  std::string jackknife_note;
  double first_shell_sigma_A = 0;
  std::string peak_sigma_note;
  double pearson_area_vs_kinematic = 0;  ///< 1.5–10 Å
  double pearson_area_vs_xray = 0;       ///< 1.5–10 Å
  double pearson_component = 0;          ///< matched ICA component vs the kinematic ePDF, 1.5–10 Å (NaN if none)
  int component = -1;                    ///< matched ICA component
  std::vector<ThicknessBand> bands;      ///< thinnest first
  bool loading_lower_in_thickest = false;  ///< last band's mean loading < first band's
  double loading_thickness_correlation = 0;  ///< Pearson of loading vs thickness over the phase's pure pixels
};

struct InclusionStudy {
  bool present = false;        ///< the specimen has an inclusion inside the scan
  int phase = -1;
  std::string phase_name;
  double x_A = 0, y_A = 0, radius_A = 0;
  std::size_t pixels_inside = 0;          ///< binned pixels whose centre lies inside the inclusion
  std::size_t pixels_inside_correct = 0;  ///< of those, labelled as the inclusion's phase
  std::size_t ring_pixels = 0;            ///< binned pixels in the ring R + probe … 3R + probe around it
  std::size_t ring_correct = 0;
  double loading_contrast = 0;            ///< mean inclusion-phase loading inside − in the ring
  bool found = false;                     ///< pixels_inside_correct >= 1 and ring accuracy >= 0.9
};

/// The interface width seen in one map: fit_erf_edge (maps.hpp) of the map against the binned pixel centre's
/// signed in-plane distance to the planar half-space interface (negative on the `first` phase's side), over the
/// decomposed pixels within 8 probe diameters of it and away from inclusions. Maps: the phase fraction (each
/// pixel's loading vector projected on the segment between the mean loading vectors of the pixels classified
/// as the two phases, maps.hpp phase_fraction_map — for mixtures of the two, unchanged by any invertible mixing
/// of the components, like the k-means criterion), and
/// the sign-corrected loading of each phase's matched component (which carries ICA's rotation).
struct InterfaceWidth {
  std::string map;          ///< "phase fraction" or "component of <phase>"
  int phase = -1;           ///< the component's phase; −1 for the phase fraction
  std::size_t points = 0;
  ErfFit fit;               ///< x0, σ, 10–90 % width in Å
  bool ok = false;          ///< fitted (enough points, converged)
};

/// One analysed dataset (the first scan; optionally the cumulative second one).
struct DatasetStudy {
  std::string label;           ///< e.g. "10 e⁻/Å²"
  double dose = 0;             ///< e⁻/Å² of this dataset
  double dose_before = 0;      ///< e⁻/Å² the area had received before it (the second scan alone: the first's)
  /// Per phase: the exposure-averaged damaged fraction f̄(dose_before, dose_before + dose) (0 without damage).
  std::vector<double> damaged_fraction;
  std::string scan_file, reduced_file, decomposition_file;  ///< final paths (inside the report directory)
  std::size_t binned_nx = 0, binned_ny = 0;
  double binned_step_A = 0;
  std::size_t pixels_decomposed = 0;
  /// The decomposition mask: its source, the VADF mask's threshold and film level (NaN with the truth mask or
  /// a given threshold), and its agreement with the ground-truth particle (thickness ≥ min_thickness_A).
  ParticleMaskSource mask_source = ParticleMaskSource::Truth;
  ParticleMask vadf_mask;              ///< filled with the VADF mask (inside: per binned pixel)
  std::size_t truth_particle_pixels = 0, mask_and_truth_pixels = 0;
  std::size_t failed_pixels = 0;
  int pca_components = 0;                 ///< automatic count
  std::string pca_reason;
  std::vector<double> pca_variance_ratio; ///< scree
  std::vector<double> r;                  ///< decomposition window (Å)
  std::vector<std::vector<double>> components;  ///< ICA components (sign-corrected to their matches)
  /// per phase: the reference the components are scored against, on r (kinematic ePDF at the chain's per-pixel
  /// s range and damping)
  std::vector<std::vector<double>> references;
  std::vector<std::vector<double>> loadings;    ///< ny × nx each, sign-corrected, 0 outside the mask
  std::vector<int> truth_labels;          ///< per binned pixel (−1 outside the particle)
  std::vector<double> truth_thickness;    ///< per binned pixel (Å, film excluded)
  std::vector<double> interface_distance; ///< per binned pixel: exact distance of the centre to a phase interface (Å)
  UnmixingVerdict verdict;                ///< exclusion by the exact interface distance (one probe diameter)
  /// The same cube and component count unmixed by VCA (pure pixels, reduce/vca.hpp) instead of ICA: per phase
  /// the Pearson of its matched VCA component over the criterion's window (NaN if unmatched). Reported beside
  /// the ICA components, not part of the verdict.
  std::vector<double> vca_pearson;
  /// ICA (the study's settings and seed; signals domain only) of the phases' reference ePDFs themselves on the
  /// same r grid (ica_limit.hpp): what ICA returns from perfect data, and for two phases every solution it can
  /// converge to. `ica_reference_note` says why it was not computed (another method or domain, one phase,
  /// dependent references); then ica_reference.k = 0.
  ReferenceIcaLimit ica_reference;
  std::string ica_reference_note;
  /// The same ICA of the references with the per-pixel damping exp(−b s²) replaced by each b of
  /// kIcaDampingScan (the chain's s range kept; the references' φ(s) transformed again onto r): the smallest
  /// per-phase Pearson of ICA's own choice and of the best solution per b — which damping would let ICA return
  /// the phases from perfect data. Empty when ica_reference was not computed.
  struct DampingIcaLimit {
    double b = 0;        ///< Å²
    double choice = 0;   ///< ReferenceIcaLimit::preferred_smallest
    double best = 0;     ///< ReferenceIcaLimit::best_smallest
  };
  std::vector<DampingIcaLimit> ica_reference_vs_damping;
  /// Two components of ICA in the signals domain only: every rotation of the data's own PCA span FastICA can
  /// converge to (ica_stationary_points), scored against the references; the one with the largest negentropy
  /// is ICA's own choice. Empty otherwise.
  std::vector<IcaStationaryPoint> ica_solutions;
  /// The contrast landscape behind them (ica_rotation_scan, 180 rotations) of the data's span and of the
  /// references', for the report figure; empty when ica_solutions is.
  std::vector<IcaStationaryPoint> ica_scan_data, ica_scan_references;
  ClassificationScore classification_labelmap;  ///< exclusion by distance_to_interface on the binned label map
  InclusionStudy inclusion;
  /// Planar interface (half-space specimens) only: per phase of the interface, its loading's erf edge; and the
  /// σ expected for the specimen's own interface seen through the probe footprint and the binned pixel,
  /// √(σ_probe² + pixel²/12 + σ_graded²) (Å), σ_probe = truth_probe_fwhm / 2.3548, σ_graded = width / √(2π).
  std::vector<InterfaceWidth> interface_widths;
  double interface_sigma_expected_A = 0;
  double interface_true_width_10_90_A = 0;  ///< the specimen's own 10–90 % width (0: abrupt)
  /// Area averages: for the first dataset, and for the second scan alone (second_scan_data = Second; no
  /// thickness bands); others: empty r.
  std::vector<PhaseStudy> phases;
  /// Second scan alone only: per phase, its area average against the first scan's over 1.5–10 Å — Pearson,
  /// largest |ΔG| (Å⁻²) and the ratio of the first-shell peak heights (second / first); NaN otherwise.
  std::vector<double> scan_pearson, scan_max_abs_dG, scan_first_peak_ratio;
  double seconds_simulate = 0, seconds_reduce = 0, seconds_unmix = 0, seconds_regions = 0;
};

/// The per-pixel dampings b (Å²) at which the study repeats ICA of the references (DatasetStudy::
/// ica_reference_vs_damping): none, 003's range 0.6–1.0, and either side.
inline constexpr double kIcaDampingScan[] = {0.0, 0.3, 0.6, 1.0, 1.5};

struct StudyResult {
  std::string output_dir, report_html;
  bool figures_drawn = false;
  std::string figure_note;
  std::vector<DatasetStudy> datasets;
  double seconds_total = 0, seconds_references = 0, seconds_report = 0;
  /// The acceptance list of issue 8, each with its measured value: (item, measured, pass).
  struct Check {
    std::string item, measured;
    bool pass = false;
  };
  std::vector<Check> checks;
  /// The user's questions answered in words from the first dataset's numbers (answers.hpp): the report's first table.
  std::vector<StudyAnswer> answers;
  /// What 003 reports seeing in its measured data, checked on the phase models and on this simulation
  /// (observations.hpp; phases of 003's two materials only). Not acceptance items.
  std::vector<ObservationCheck> observations;
  std::string summary;  ///< a few lines for the terminal
};

/// Runs the scenario. Intermediate files go to `<output_dir>.work/` (kept on failure so the scan resumes);
/// on success they move into output_dir together with the report. Throws std::invalid_argument for bad
/// parameters (named), and whatever the stages throw.
StudyResult run_study(const StudyConfig& config);

}  // namespace sedpdf
