// sedpdf/structures/h5.hpp — a small RAII writer over the HDF5 C API for result files (every stage uses it): groups, 1-D/2-D double
// datasets (chunked + deflate when large), and string/number attributes carrying units and metadata.
#pragma once
#include <hdf5.h>

#include <string>
#include <vector>

namespace sedpdf {

class H5Writer {
 public:
  /// Creates (truncates) `path`. Throws std::runtime_error naming the path on failure.
  explicit H5Writer(const std::string& path);
  ~H5Writer();
  H5Writer(const H5Writer&) = delete;
  H5Writer& operator=(const H5Writer&) = delete;

  void group(const std::string& path);
  /// 1-D dataset; `units` stored as attribute "units" when non-empty.
  void dataset(const std::string& path, const std::vector<double>& v, const std::string& units = "");
  /// 2-D dataset, rows × cols, row-major.
  void dataset(const std::string& path, const std::vector<double>& v, size_t rows, size_t cols,
               const std::string& units = "");
  void attribute(const std::string& object, const std::string& name, const std::string& value);
  void attribute(const std::string& object, const std::string& name, double value);
  /// Flushes and closes; throws on failure (called by the destructor silently otherwise).
  void close();

 private:
  hid_t file_ = -1;
  std::string path_;
};

}  // namespace sedpdf
