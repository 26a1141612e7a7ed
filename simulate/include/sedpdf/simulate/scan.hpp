// sedpdf/simulate/scan.hpp — the scan driver shared by the forward models (multislice and fast): visits
// the probe positions of a rectangular scan, asks a PatternSource for the fraction of incident electrons
// per detector pixel (one or several outputs, e.g. a thickness series), turns it into expected counts and
// Poisson counts with the DetectorModel, and streams everything through Data4DWriter (one pattern per
// chunk, compressed, calibration as attributes, ground truth from the Specimen, resume of `<path>.partial`
// without recomputing finished positions, final name only when complete). Progress (done, rate, ETA)
// goes to a callback.
//
// Determinism: the counts of position (iy, ix) of output o come from DetectorModel::count keyed by
// (seed_o, iy·nx + ix), seed_o = counter_hash(seed, o, 0, 0) (o = 0 uses `seed` itself), so a resumed or
// multi-threaded run writes the same file as an uninterrupted serial one.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "sedpdf/simulate/data4d_writer.hpp"
#include "sedpdf/simulate/detector_model.hpp"
#include "sedpdf/structures/specimen.hpp"
#include "sedpdf/structures/specimen_truth.hpp"

namespace sedpdf {

/// A rectangular scan: position (ix, iy) at (x0 + ix·step, y0 + iy·step) (Å).
struct ScanSpec {
  double x0_A = 0, y0_A = 0, step_A = 0;
  size_t nx = 0, ny = 0;
  double x(size_t ix) const { return x0_A + static_cast<double>(ix) * step_A; }
  double y(size_t iy) const { return y0_A + static_cast<double>(iy) * step_A; }
};

/// The same positions as the ground-truth grid of structures/specimen_truth.hpp (square steps).
inline ScanGrid scan_grid(const ScanSpec& s) {
  ScanGrid g;
  g.x0 = s.x0_A;
  g.y0 = s.y0_A;
  g.step_x = g.step_y = s.step_A;
  g.nx = s.nx;
  g.ny = s.ny;
  return g;
}

/// What computes the patterns: a multislice engine, the fast model, a test double.
class PatternSource {
 public:
  virtual ~PatternSource();
  virtual size_t n_outputs() const = 0;  // e.g. thicknesses
  /// Fraction of incident electrons per DETECTOR pixel for each output, at probe position (x, y) Å.
  virtual void compute(size_t iy, size_t ix, double x_A, double y_A, std::vector<std::vector<double>>& fractions) = 0;
  /// true when compute() may be called concurrently from several threads (run_scan then computes a batch
  /// of positions in parallel; the file content does not change). Default false.
  virtual bool thread_safe() const { return false; }
};

/// Progress of a scan (for the CLI's progress line).
struct ScanProgress {
  size_t done = 0;        ///< positions finished (including those found done on resume)
  size_t total = 0;       ///< positions in the scan
  size_t skipped = 0;     ///< positions found done in a partial file (not recomputed)
  double elapsed_s = 0;   ///< seconds since run_scan started
  double rate_per_s = 0;  ///< positions computed per second in this run
  double eta_s = 0;       ///< estimated seconds left
};
using ScanProgressCallback = std::function<void(const ScanProgress&)>;

struct ScanOptions {
  uint64_t seed = 1;                   ///< Poisson counting seed
  Data4DWriterOptions writer;          ///< config hash, parameters (echoed into /sedpdf/parameters), resume
  bool with_expected = true;           ///< also store the float32 expected counts
  double convergence_mrad = 0.6;       ///< recorded in the calibration (mrad)
  double truth_probe_fwhm_A = 0;       ///< ground truth averaged over a Gaussian of this FWHM (Å); 0: columns
  int threads = 0;                     ///< threads for thread-safe sources (0: OpenMP default)
  size_t batch = 0;                    ///< positions per parallel batch (0: 4 × threads)
  ScanProgressCallback progress;       ///< called after every batch (may be empty)
};

struct ScanResult {
  size_t computed = 0;  ///< positions computed in this run
  size_t skipped = 0;   ///< positions already done in the partial file(s)
  double seconds = 0;
  std::vector<std::string> paths;  ///< the finished files
};

/// Runs the scan. `paths` has one file per source output. `truth` (optional) adds the ground-truth maps
/// (phase fractions and thicknesses per position, Specimen::column_thickness averaged over
/// truth_probe_fwhm_A). Throws std::invalid_argument for an empty scan, step ≤ 0, a path count different
/// from n_outputs(), or a source returning the wrong number of outputs/pixels (naming them); whatever the
/// source throws propagates, leaving resumable `<path>.partial` files.
ScanResult run_scan(const ScanSpec& scan, PatternSource& source, const DetectorModel& detector,
                    const Specimen* truth, const std::vector<std::string>& paths, const ScanOptions& options);

}  // namespace sedpdf
