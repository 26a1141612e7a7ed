// Scan driver shared by the forward models (see sedpdf/simulate/scan.hpp).
#include "sedpdf/simulate/scan.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <exception>
#include <memory>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/specimen_truth.hpp"

namespace sedpdf {

PatternSource::~PatternSource() = default;

ScanResult run_scan(const ScanSpec& scan, PatternSource& source, const DetectorModel& detector,
                    const Specimen* truth, const std::vector<std::string>& paths, const ScanOptions& options) {
  const auto t_start = std::chrono::steady_clock::now();
  if (scan.nx == 0 || scan.ny == 0)
    throw std::invalid_argument("scan: empty scan " + std::to_string(scan.nx) + " × " + std::to_string(scan.ny));
  if (!(std::isfinite(scan.step_A) && scan.step_A > 0))
    throw std::invalid_argument("scan: step " + format_number(scan.step_A) + " Å must be finite and > 0");
  if (!std::isfinite(scan.x0_A) || !std::isfinite(scan.y0_A))
    throw std::invalid_argument("scan: origin must be finite");
  const double det_step = detector.spec().step_A;
  if (std::fabs(det_step - scan.step_A) > 1e-9 * scan.step_A)
    throw std::invalid_argument("scan: the detector's dose area uses a step of " + format_number(det_step) +
                                " Å but the scan step is " + format_number(scan.step_A) + " Å");
  const size_t n_out = source.n_outputs();
  if (n_out == 0) throw std::invalid_argument("scan: the pattern source has no outputs");
  if (paths.size() != n_out)
    throw std::invalid_argument("scan: " + std::to_string(paths.size()) + " output paths for " +
                                std::to_string(n_out) + " source outputs");

  // Ground truth for the whole scan (small: positions × phases).
  GroundTruth gt;
  Data4DLayout layout;
  layout.scan_ny = scan.ny;
  layout.scan_nx = scan.nx;
  layout.det_ny = detector.geometry().ny();
  layout.det_nx = detector.geometry().nx();
  layout.counts = detector.spec().count_type;
  layout.with_expected = options.with_expected;
  if (truth) {
    gt = compute_ground_truth(*truth, scan_grid(scan), options.truth_probe_fwhm_A);
    layout.phases = gt.phase_names;
  }
  Data4DCalibration cal = detector.calibration(options.convergence_mrad);
  cal.scan_step_x_A = cal.scan_step_y_A = scan.step_A;
  const std::vector<uint8_t> mask = detector.gap_mask();

  std::vector<std::unique_ptr<Data4DWriter>> writers;
  std::vector<uint64_t> seeds;
  for (size_t o = 0; o < n_out; ++o) {
    Data4DWriterOptions wo = options.writer;
    wo.parameters["scan_x0_A"] = format_number(scan.x0_A);
    wo.parameters["scan_y0_A"] = format_number(scan.y0_A);
    wo.parameters["scan_step_A"] = format_number(scan.step_A);
    wo.parameters["scan_size"] = std::to_string(scan.nx) + "x" + std::to_string(scan.ny);
    wo.parameters["seed"] = std::to_string(options.seed);
    wo.parameters["output_index"] = std::to_string(o);
    wo.parameters["detector_background_counts"] = format_number(detector.spec().background);
    wo.parameters["detector_saturation_counts"] = format_number(detector.spec().saturation);
    wo.parameters["detector_mtf_sigma_px"] = format_number(detector.spec().mtf_sigma_px);
    wo.parameters["electrons_per_position"] = format_number(detector.spec().electrons_per_position());
    writers.push_back(std::make_unique<Data4DWriter>(paths[o], layout, cal, mask, wo));
    seeds.push_back(o == 0 ? options.seed : counter_hash(options.seed, o, 0, 0));
  }

  // Positions still to compute (any output missing them).
  std::vector<size_t> todo;
  size_t skipped = 0;
  for (size_t iy = 0; iy < scan.ny; ++iy)
    for (size_t ix = 0; ix < scan.nx; ++ix) {
      bool all = true;
      for (const auto& w : writers) all = all && w->done(iy, ix);
      if (all)
        ++skipped;
      else
        todo.push_back(iy * scan.nx + ix);
    }

  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const bool parallel = source.thread_safe() && threads > 1;
  const size_t batch = options.batch > 0 ? options.batch : static_cast<size_t>(parallel ? 4 * threads : 1);
  const size_t npx = detector.n_pixels();
  struct Slot {
    std::vector<std::vector<double>> fractions;
    std::vector<std::vector<float>> expected;
    std::vector<std::vector<uint32_t>> counts;
  };
  std::vector<Slot> slots(std::min(batch, std::max<size_t>(todo.size(), 1)));

  auto process = [&](size_t pos, Slot& s) {
    const size_t iy = pos / scan.nx, ix = pos % scan.nx;
    source.compute(iy, ix, scan.x(ix), scan.y(iy), s.fractions);
    if (s.fractions.size() != n_out)
      throw std::invalid_argument("scan: the pattern source returned " + std::to_string(s.fractions.size()) +
                                  " outputs, expected " + std::to_string(n_out));
    s.expected.resize(n_out);
    s.counts.resize(n_out);
    for (size_t o = 0; o < n_out; ++o) {
      if (s.fractions[o].size() != npx)
        throw std::invalid_argument("scan: output " + std::to_string(o) + " of the pattern source has " +
                                    std::to_string(s.fractions[o].size()) + " pixels, the detector " +
                                    std::to_string(npx));
      detector.expected(s.fractions[o], s.expected[o]);
      detector.count(s.expected[o], seeds[o], pos, s.counts[o]);
    }
  };

  ScanResult res;
  res.skipped = skipped;
  for (size_t b0 = 0; b0 < todo.size(); b0 += batch) {
    const size_t b1 = std::min(todo.size(), b0 + batch);
    if (parallel) {
      std::exception_ptr err;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
      for (long k = static_cast<long>(b0); k < static_cast<long>(b1); ++k) {
        try {
          process(todo[static_cast<size_t>(k)], slots[static_cast<size_t>(k) - b0]);
        } catch (...) {
#pragma omp critical(sedpdf_scan_error)
          if (!err) err = std::current_exception();
        }
      }
      if (err) std::rethrow_exception(err);
    } else {
      for (size_t k = b0; k < b1; ++k) process(todo[k], slots[k - b0]);
    }
    for (size_t k = b0; k < b1; ++k) {
      const size_t pos = todo[k], iy = pos / scan.nx, ix = pos % scan.nx;
      const Slot& s = slots[k - b0];
      PositionTruth pt;
      if (truth) {
        for (size_t p = 0; p < gt.phase_names.size(); ++p) {
          pt.phase_fraction.push_back(gt.fraction[p][pos]);
          pt.thickness_A.push_back(gt.thickness[p][pos]);
        }
      }
      for (size_t o = 0; o < n_out; ++o)
        if (!writers[o]->done(iy, ix))
          writers[o]->write(iy, ix, s.counts[o], options.with_expected ? &s.expected[o] : nullptr,
                            truth ? &pt : nullptr);
    }
    res.computed += b1 - b0;
    if (options.progress) {
      ScanProgress pr;
      pr.total = scan.nx * scan.ny;
      pr.skipped = skipped;
      pr.done = skipped + res.computed;
      pr.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
      pr.rate_per_s = pr.elapsed_s > 0 ? static_cast<double>(res.computed) / pr.elapsed_s : 0;
      pr.eta_s = pr.rate_per_s > 0 ? static_cast<double>(pr.total - pr.done) / pr.rate_per_s : 0;
      options.progress(pr);
    }
  }
  for (size_t o = 0; o < n_out; ++o) {
    writers[o]->finish();
    res.paths.push_back(paths[o]);
  }
  res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_start).count();
  return res;
}

}  // namespace sedpdf
