// sedpdf/reduce/pipeline.hpp — the streaming reduction driver (BRIEF.md "The reduction chain", step 8;
// Laulainen et al., Nanoscale 14 (2022) 16524, methods): 4D data → per (binned) scan pixel I(s), φ(s),
// G(r), N, C and a thickness proxy, or one area-averaged profile for a region of scan positions.
//
// Per pixel (n × n scan binning, 003: 2 × 2): the n² patterns of each bin are summed (integration is
// linear, so summing first is exact and n² times cheaper), a batch of binned patterns is integrated by
// the azimuthal integrator (reduce/azimuthal.hpp) and each profile is reduced by the 1-D chain
// (reduce/chain.hpp) while a reader thread reads and bins the next batch; results are written to the
// output file as the stream proceeds. Memory is bounded by the two batches (2 × batch × det_y × det_x
// doubles), the reader's frame buffer, the CSR matrix and the chain plan — none depends on the scan size
// (ReduceSummary::buffer_bytes counts them).
//
// Region mode: the patterns of a rectangle or a mask of scan positions are summed into one pattern
// (an area-averaged ePDF, 003 Fig. 2–4) and reduced once.
//
// The thickness proxy (virtual annular dark field, VADF): the counts integrated over the annulus
// vadf_s_inner ≤ s < vadf_s_outer (bins of the integration axis whose centres fall inside), divided by
// the counts of all unmasked pixels of the pattern (the detected dose). For thin specimens it rises
// monotonically with thickness (more electrons scattered out of the direct beam into the annulus).
//
// The output (HDF5, written under a temporary name and renamed when complete, so a failed run leaves no
// file; layout in docs/formats.md, "Reduced data"):
//   /reduced/s (n_s, Å⁻¹), /reduced/I (ny, nx, n_s), /reduced/phi (ny, nx, n_s), /reduced/r (n_r, Å),
//   /reduced/G (ny, nx, n_r), /reduced/N, /reduced/C, /reduced/vadf, /reduced/n_patterns,
//   /reduced/failed (ny, nx) [+ /reduced/centre_x, centre_y for per-pattern centres];
//   region mode: /region/{s, I, I_sigma, phi, r, G, G_sigma} and N, C as attributes;
//   every parameter as attributes of /reduced (or /region) and of the root.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/reduce/azimuthal.hpp"
#include "sedpdf/reduce/centre.hpp"
#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/reduce/data4d.hpp"

namespace sedpdf {

/// Where the direct-beam centre comes from.
enum class CentreMode {
  Auto,        ///< the file's calibration if it has both coordinates, else Global
  File,        ///< the calibration (file or configuration); an error if missing
  Fixed,       ///< ReduceOptions::fixed_centre
  Global,      ///< find_centre() on the sum of up to centre_patterns patterns spread over the scan
  PerPattern   ///< find_centre() on every binned pattern (slow: one integrator per pattern)
};
std::string centre_mode_name(CentreMode m);  ///< "auto", "file", "fixed", "global", "per_pattern"
/// Inverse of centre_mode_name; throws std::invalid_argument naming the text.
CentreMode parse_centre_mode(const std::string& text);

/// Region of scan positions for the area-averaged mode.
struct ReduceRegion {
  bool enabled = false;
  size_t y0 = 0, x0 = 0, ny = 0, nx = 0;  ///< rectangle (scan positions), used when scan_mask is empty
  std::vector<std::uint8_t> scan_mask;    ///< scan_ny × scan_nx, nonzero = included (overrides the rectangle)
};

struct ReduceOptions {
  Data4DInput input;
  std::string output;  ///< HDF5 output file
  size_t bin = 2;      ///< n × n scan binning (003: 2 × 2); edge bins of a scan not divisible by n hold fewer patterns
  /// Detector layout: "" = the file's detector_layout when it names a preset of DetectorGeometry with
  /// the data's shape, else a uniform grid; or a preset name ("quad_medipix3", "quad_medipix3_515",
  /// "single_256") or "uniform".
  std::string detector;
  bool exact_s_mapping = false;  ///< flat-detector s(r) with the wavelength (003: linear s = r·Δs)
  CentreMode centre_mode = CentreMode::Auto;
  BeamCentre fixed_centre;       ///< physical pixels (CentreMode::Fixed)
  size_t centre_patterns = 64;   ///< Global: number of patterns summed for the centre
  CentreOptions centre_options;
  bool fit_ellipse = false;      ///< Global: also fit an elliptical distortion
  double s_bin_width = 0;        ///< Å⁻¹, width of the integration bins; 0 = Δs of one pixel
  double integration_s_max = 0;  ///< Å⁻¹, last bin edge; 0 = the farthest unmasked pixel corner
  bool use_variance = true;      ///< Poisson variances (integer counts only): fit weights, σ(G)
  ReductionParams chain;         ///< the 1-D chain (composition required)
  double vadf_s_inner = 0.5;     ///< Å⁻¹, inner edge of the VADF annulus
  double vadf_s_outer = 2.5;     ///< Å⁻¹, outer edge of the VADF annulus
  ReduceRegion region;
  size_t batch = 16;             ///< binned patterns integrated together (memory: batch × pattern × 8 bytes)
  bool overlap_io = true;        ///< read the next batch on a second thread while this one is reduced (2 batches in memory)
  /// Called after each batch with (binned pixels done, total); may be empty.
  std::function<void(size_t, size_t)> progress;
  /// Extra metadata recorded in the output (e.g. the configuration text), as root attributes.
  std::vector<std::pair<std::string, std::string>> metadata;
};

struct ReduceSummary {
  size_t out_ny = 0, out_nx = 0;   ///< binned scan shape (1 × 1 in region mode)
  size_t n_s = 0, n_r = 0;
  size_t patterns_read = 0;
  size_t n_failed = 0;             ///< binned pixels whose chain failed (NaN in the output)
  std::string first_failure;       ///< message of the first failure
  BeamCentre centre;               ///< global centre used (physical pixels)
  std::string centre_source;       ///< "file", "config", "fixed", "global", "per_pattern"
  size_t buffer_bytes = 0;         ///< bytes held by the driver's and reader's buffers (peak)
  double seconds = 0;
};

/// Runs the reduction and writes options.output. Throws InputError for bad input (file, calibration,
/// masks) and std::invalid_argument naming the value for bad parameters (s windows outside the data,
/// a ring needed by the chain with every pixel masked, …), before anything is written; on any failure
/// no output file is left behind.
ReduceSummary reduce_4d(const ReduceOptions& options);

}  // namespace sedpdf
