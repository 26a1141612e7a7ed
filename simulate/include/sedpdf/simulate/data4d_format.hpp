// sedpdf/simulate/data4d_format.hpp — the sedpdf 4D-STEM data file: names, shapes and calibration shared
// by the streamed writer (simulate/data4d_writer.hpp) and the reader (reduce/data4d.hpp).
//
// The layout follows EMD 1.0 (Berkeley "Electron Microscopy Dataset", https://emdatasets.com/format/):
// root attributes version_major = 1, version_minor = 0; every array users may want to load is a group
// under /data with attribute emd_group_type = 1 holding `data` and one `dimN` dataset per dimension
// (attributes `name` and `units`), so HyperSpy's and py4DSTEM's EMD readers open it. The sedpdf-specific
// status record lives in /sedpdf. Full description: docs/formats.md, "4D-STEM data files".
//
//   /                                version_major=1, version_minor=0 (int32)
//   /data/counts        (EMD group)  data (scan_y, scan_x, det_y, det_x) uint16|uint32, chunk (1,1,det_y,det_x),
//                                    shuffle + deflate; dim1..dim4; calibration attributes (kCal*)
//   /data/expected      (EMD group)  optional float32 expected intensity (electrons per pixel), same shape
//   /data/mask          (EMD group)  data (det_y, det_x) uint8, nonzero = pixel excluded (gap, dead, hot)
//   /data/ground_truth_phase_fraction (EMD group, optional)  data (scan_y, scan_x, n_phase) float64
//   /data/ground_truth_thickness      (EMD group, optional)  data (scan_y, scan_x, n_phase) float64, Å
//   /sedpdf                          format="sedpdf-4d", format_version=1, complete=0|1 (int32),
//                                    config_hash (string), phases (string, comma separated)
//   /sedpdf/positions_done           (scan_y, scan_x) uint8, 1 = pattern written
//   /sedpdf/parameters               one string attribute per run parameter (the simulation's config)
//
// Pixel coordinates: pixel (i, j) of a pattern (row i along det_y, column j along det_x) has its centre
// at (x, y) = (j, i) pixels for layouts whose stored pixels are contiguous; the direct-beam centre is
// given in the physical pixel coordinates of reduce/detector.hpp (the same thing, except that for the
// compact quad-Medipix3 layout stored columns/rows after a chip gap sit 3 pixels further out). Scan
// position (iy, ix) lies at (x, y) = (ix · scan_step_x, iy · scan_step_y) Å. detector_layout names a
// DetectorGeometry preset ("quad_medipix3", "quad_medipix3_515", "single_256") or "uniform"/"custom".
#pragma once
#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace sedpdf {

namespace data4d {
constexpr const char* kCountsGroup = "/data/counts";
constexpr const char* kCounts = "/data/counts/data";
constexpr const char* kExpectedGroup = "/data/expected";
constexpr const char* kExpected = "/data/expected/data";
constexpr const char* kMaskGroup = "/data/mask";
constexpr const char* kMask = "/data/mask/data";
constexpr const char* kTruthFractionGroup = "/data/ground_truth_phase_fraction";
constexpr const char* kTruthThicknessGroup = "/data/ground_truth_thickness";
constexpr const char* kStatusGroup = "/sedpdf";
constexpr const char* kPositionsDone = "/sedpdf/positions_done";
constexpr const char* kParametersGroup = "/sedpdf/parameters";
constexpr const char* kFormatName = "sedpdf-4d";
constexpr int kFormatVersion = 1;

// Calibration attribute names on /data/counts (ASCII; the unit is the suffix).
constexpr const char* kCalEnergy = "beam_energy_eV";
constexpr const char* kCalWavelength = "wavelength_A";
constexpr const char* kCalDs = "ds_per_pixel_A-1";
constexpr const char* kCalCentreX = "centre_x_px";
constexpr const char* kCalCentreY = "centre_y_px";
constexpr const char* kCalConvergence = "convergence_semiangle_mrad";
constexpr const char* kCalDose = "dose_e_per_A2";
constexpr const char* kCalStepX = "scan_step_x_A";
constexpr const char* kCalStepY = "scan_step_y_A";
constexpr const char* kCalLayout = "detector_layout";
}  // namespace data4d

/// Element type of the stored counts.
enum class CountType { UInt16, UInt32 };
std::string count_type_name(CountType t);  ///< "uint16" / "uint32"

/// Calibration of a 4D data set. NaN (or an empty layout name) means "not known": the writer leaves the
/// attribute out, the reader reports it missing when a computation needs it.
struct Data4DCalibration {
  static constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();
  double energy_eV = kUnknown;         ///< beam energy (eV), e.g. 200e3
  double wavelength_A = kUnknown;      ///< relativistic electron wavelength (Å)
  double ds_per_px = kUnknown;         ///< Δs per detector pixel (Å⁻¹), s = 2 sinθ/λ
  double centre_x_px = kUnknown;       ///< direct-beam centre, column coordinate (pixels)
  double centre_y_px = kUnknown;       ///< direct-beam centre, row coordinate (pixels)
  double convergence_mrad = kUnknown;  ///< probe convergence semi-angle (mrad)
  double dose_e_per_A2 = kUnknown;     ///< electron dose per scan position (e⁻/Å²)
  double scan_step_x_A = kUnknown;     ///< scan step along x (Å)
  double scan_step_y_A = kUnknown;     ///< scan step along y (Å)
  std::string detector_layout;         ///< e.g. "medipix3_quad_512", "medipix3_single_256", "custom"
};

/// Shape and content of a 4D data file.
struct Data4DLayout {
  size_t scan_ny = 0, scan_nx = 0;  ///< scan positions (rows, columns)
  size_t det_ny = 0, det_nx = 0;    ///< detector pixels (rows, columns)
  CountType counts = CountType::UInt16;
  bool with_expected = false;       ///< also store the float32 expected intensity
  std::vector<std::string> phases;  ///< names of ground-truth phases (empty: no ground-truth maps)
};

/// FNV-1a 64-bit hash of `text` as 16 hex digits — a configuration fingerprint for resume checks.
std::string config_fingerprint(const std::string& text);

}  // namespace sedpdf
