// sedpdf/reduce/data4d.hpp — streamed reading of 4D-STEM data: sedpdf's own files (layout in
// simulate/data4d_format.hpp and docs/formats.md) and any HDF5 file with a 4-D dataset
// (scan_y, scan_x, det_y, det_x) named by the user, e.g. py4DSTEM / EMD 1.0 files.
//
// Memory: patterns are read one at a time into one frame buffer (plus the HDF5 chunk cache, see
// Data4DReader::buffer_bytes()), so reading does not depend on the scan size for files chunked one
// pattern per chunk (sedpdf, py4DSTEM). For foreign files whose chunks span several scan positions the
// chunk cache holds one band of chunks across the scan (≤ 256 MiB).
//
// Calibration: for sedpdf files from the attributes of /data/counts; for other files from EMD 1.0 dim
// vectors next to the dataset (dim3/dim4 with reciprocal-length units → Δs and, when the axis crosses
// zero, the centre; dim1/dim2 with length units → scan steps) and from sedpdf calibration attributes on
// the dataset or its group. Values given by the caller (Data4DInput::calibration) take precedence.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include <hdf5.h>

#include "sedpdf/simulate/data4d_format.hpp"

namespace sedpdf {

/// What to read.
struct Data4DInput {
  std::string path;            ///< HDF5 file
  std::string dataset;         ///< 4-D dataset path; empty = sedpdf's own layout (/data/counts/data)
  Data4DCalibration calibration;  ///< values from the configuration; finite values override the file's
  std::string mask_path;       ///< optional mask file (empty: the sedpdf file's own mask, or none)
  std::string mask_dataset;    ///< 2-D dataset in mask_path (det_y × det_x)
  bool mask_nonzero_is_masked = true;  ///< false: nonzero = valid pixel (py4DSTEM boolean masks)
};

/// Ground-truth maps of a sedpdf file (empty when the file has none).
struct GroundTruthMaps {
  std::vector<std::string> phases;
  size_t ny = 0, nx = 0;
  std::vector<double> phase_fraction;  ///< (ny, nx, n_phase) row-major
  std::vector<double> thickness_A;     ///< (ny, nx, n_phase) row-major, Å
};

class Data4DReader {
 public:
  /// Opens the data. Throws InputError naming the file and dataset for: a missing file or dataset, a
  /// rank other than 4 (naming the shape), a non-numeric element type (naming it), an incomplete sedpdf
  /// file (naming the positions done), a mask of the wrong shape.
  explicit Data4DReader(const Data4DInput& input);
  ~Data4DReader();
  Data4DReader(const Data4DReader&) = delete;
  Data4DReader& operator=(const Data4DReader&) = delete;

  size_t scan_ny() const { return dims_[0]; }
  size_t scan_nx() const { return dims_[1]; }
  size_t det_ny() const { return dims_[2]; }
  size_t det_nx() const { return dims_[3]; }
  size_t pattern_size() const { return dims_[2] * dims_[3]; }
  const std::string& path() const { return path_; }
  const std::string& dataset() const { return dataset_; }
  bool is_sedpdf_file() const { return sedpdf_; }
  std::string element_type() const;  ///< e.g. "uint16", "float32"
  const Data4DCalibration& calibration() const { return cal_; }
  /// Where each calibration value came from: "file", "config" or "dims" (EMD dim vectors); by
  /// attribute name (data4d::kCal*).
  std::string calibration_source(const std::string& name) const;
  /// The value of a calibration number (attribute name data4d::kCal*), or InputError naming the file,
  /// the field and `config_key` (the configuration key that supplies it) when it is unknown.
  double require(const std::string& name, const std::string& config_key) const;
  /// det_y × det_x, 1 = excluded; empty when neither the file nor the input gives a mask.
  const std::vector<std::uint8_t>& mask() const { return mask_; }
  /// Parameters stored by the writer (/sedpdf/parameters), empty for foreign files.
  std::vector<std::pair<std::string, std::string>> parameters() const;
  GroundTruthMaps ground_truth() const;

  /// Pattern at (iy, ix) as double, row-major det_y × det_x, into `out` (resized).
  void read_pattern(size_t iy, size_t ix, std::vector<double>& out);
  /// Adds the pattern at (iy, ix) to `acc` (det_y × det_x).
  void add_pattern(size_t iy, size_t ix, std::vector<double>& acc);
  /// Sum of the patterns in rows [y0, y0 + ny) × columns [x0, x0 + nx), clipped to the scan, into `out`;
  /// returns the number of patterns summed. This is the n × n binning step.
  size_t sum_block(size_t y0, size_t x0, size_t ny, size_t nx, std::vector<double>& out);
  /// The same into `out`, which holds pattern_size() values.
  size_t sum_block(size_t y0, size_t x0, size_t ny, size_t nx, double* out);
  /// Patterns read so far (a counter for tests and progress).
  size_t patterns_read() const { return patterns_read_; }
  /// Bytes held by this reader's buffers: the raw frame buffer and the HDF5 chunk cache it configured.
  size_t buffer_bytes() const;

 private:
  void read_raw(size_t iy, size_t ix);
  void read_calibration_foreign();

  std::string path_, dataset_;
  hid_t file_ = -1, ds_ = -1, type_ = -1;
  size_t dims_[4] = {0, 0, 0, 0};
  size_t elem_size_ = 0;
  int kind_ = 0;  // element kind, see data4d.cpp
  bool sedpdf_ = false;
  Data4DCalibration cal_;
  std::vector<std::pair<std::string, std::string>> cal_source_;
  std::vector<std::uint8_t> mask_;
  std::vector<unsigned char> raw_;
  size_t cache_bytes_ = 0;
  size_t patterns_read_ = 0;
};

}  // namespace sedpdf
