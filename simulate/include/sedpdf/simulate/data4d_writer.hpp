// sedpdf/simulate/data4d_writer.hpp — streamed, resumable writer of sedpdf 4D-STEM files (layout in
// data4d_format.hpp and docs/formats.md). Patterns are written one at a time as the scan proceeds, so
// memory does not depend on the scan size (one pattern of conversion buffer plus one byte per scan
// position for the done bitmap); each finished position is recorded in the file; a run that stops early
// leaves `<path>.partial`, which a new writer with the same configuration reopens (finished positions
// are skipped by the caller via done()); the file gets its final name, with complete = 1, only in
// finish(), when every position is written.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <hdf5.h>

#include "sedpdf/simulate/data4d_format.hpp"

namespace sedpdf {

struct Data4DWriterOptions {
  std::string config_hash;  ///< fingerprint of the run's configuration (config_fingerprint()); resume
                            ///< refuses a partial file whose hash differs
  std::map<std::string, std::string> parameters;  ///< run parameters, stored in /sedpdf/parameters
  int deflate = 4;              ///< deflate level 0..9 (0: no compression, shuffle neither)
  size_t flush_every = 1;       ///< flush the file to disk after this many positions (≥ 1)
  bool resume = true;           ///< reopen an existing `<path>.partial`; false: start it over
};

/// Ground truth of the specimen at one scan position (one entry per phase of Data4DLayout::phases).
struct PositionTruth {
  std::vector<double> phase_fraction;  ///< fraction of the projected column in each phase (0..1)
  std::vector<double> thickness_A;     ///< thickness of each phase along the beam (Å)
};

class Data4DWriter {
 public:
  /// Opens `<path>.partial` for resume (options.resume and it exists) or creates it. On resume the
  /// layout, calibration, mask and config_hash must equal those stored, else InputError naming the
  /// partial file and the field that differs. `mask` has det_ny × det_nx entries (nonzero = pixel
  /// excluded) or is empty (nothing masked). Throws std::invalid_argument for an empty layout or a mask
  /// of the wrong size, std::runtime_error when the file cannot be created.
  Data4DWriter(const std::string& path, const Data4DLayout& layout, const Data4DCalibration& calibration,
               const std::vector<std::uint8_t>& mask, const Data4DWriterOptions& options = {});
  /// Closes the partial file without marking it complete (an interrupted run can resume from it).
  ~Data4DWriter();
  Data4DWriter(const Data4DWriter&) = delete;
  Data4DWriter& operator=(const Data4DWriter&) = delete;

  const Data4DLayout& layout() const { return layout_; }
  bool resumed() const { return resumed_; }  ///< true when an existing partial file was reopened
  bool done(size_t iy, size_t ix) const;
  size_t n_done() const { return n_done_; }
  size_t n_total() const { return layout_.scan_ny * layout_.scan_nx; }
  const std::string& partial_path() const { return partial_; }

  /// Writes the pattern at scan position (iy, ix) and marks the position done. `counts` has det_ny ×
  /// det_nx entries, row-major; `expected` (float32 expected intensity) is required iff
  /// layout.with_expected; `truth` is required iff layout.phases is non-empty. Rewriting a done position
  /// overwrites it. Throws std::invalid_argument for sizes that do not match or a count above the
  /// stored type's maximum (naming the value and the pixel), std::out_of_range for a position outside
  /// the scan, std::runtime_error for an HDF5 failure.
  void write(size_t iy, size_t ix, const std::vector<std::uint32_t>& counts,
             const std::vector<float>* expected = nullptr, const PositionTruth* truth = nullptr);

  /// Marks the file complete, closes it and renames it to the final path. Throws std::logic_error
  /// naming the number of missing positions when not every position is written.
  void finish();

  /// Bytes held by this writer's buffers (conversion buffer and done bitmap).
  size_t buffer_bytes() const;

 private:
  void create_file(const std::vector<std::uint8_t>& mask, const Data4DCalibration& cal);
  void open_existing(const std::vector<std::uint8_t>& mask, const Data4DCalibration& cal);
  void close_handles();

  std::string path_, partial_;
  Data4DLayout layout_;
  Data4DWriterOptions options_;
  hid_t file_ = -1, counts_ = -1, expected_ = -1, done_ds_ = -1, fraction_ = -1, thickness_ = -1;
  std::vector<std::uint8_t> done_;
  std::vector<std::uint16_t> buf16_;
  size_t n_done_ = 0, since_flush_ = 0;
  bool resumed_ = false, finished_ = false;
};

}  // namespace sedpdf
