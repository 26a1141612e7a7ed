// sedpdf/structures/h5.hpp — a small RAII writer over the HDF5 C API for result files (every stage uses it): groups, 1-D/2-D double
// datasets (chunked + deflate when large), and string/number attributes carrying units and metadata.
#pragma once
#include <hdf5.h>

#include <string>
#include <vector>

namespace sedpdf {

/// Owner of one HDF5 identifier: closes it with `close` (H5Dclose, H5Sclose, …) when it goes out of scope;
/// a negative id (a failed open) is not closed.
struct H5Handle {
  hid_t id;
  herr_t (*close)(hid_t);
  H5Handle(hid_t i, herr_t (*c)(hid_t)) : id(i), close(c) {}
  ~H5Handle() {
    if (id >= 0) close(id);
  }
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
};

/// True if the link `path` exists in `file` with every intermediate group ("/" and "" always exist);
/// H5Lexists alone fails on a missing intermediate group.
bool h5_link_exists(hid_t file, const std::string& path);

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
  /// N-D double dataset of shape `dims` (row-major), chunked by `chunk` (empty = automatic for large
  /// data, contiguous for small) and deflate-compressed at `deflate` (0..9) when chunked.
  void dataset_nd(const std::string& path, const std::vector<double>& v, const std::vector<size_t>& dims,
                  const std::string& units = "", const std::vector<size_t>& chunk = {}, int deflate = 4);
  /// Flushes and closes; throws on failure (called by the destructor silently otherwise).
  void close();
  hid_t id() const { return file_; }

 private:
  hid_t file_ = -1;
  std::string path_;
};

/// Read-only access to an HDF5 file: shapes, whole datasets and hyperslabs converted to double from any
/// integer or floating type, and attributes. Every failure throws InputError naming the file and the
/// dataset/attribute path.
class H5Reader {
 public:
  explicit H5Reader(const std::string& path);
  ~H5Reader();
  H5Reader(const H5Reader&) = delete;
  H5Reader& operator=(const H5Reader&) = delete;

  bool exists(const std::string& path) const;  ///< link exists (every intermediate group too)
  std::vector<size_t> shape(const std::string& dataset) const;
  /// Element type class of a dataset: "integer", "float" or "other".
  std::string type_class(const std::string& dataset) const;
  /// The whole dataset, row-major, as double.
  std::vector<double> read(const std::string& dataset) const;
  /// A hyperslab [offset, offset + count) per dimension, row-major, as double.
  std::vector<double> read_slab(const std::string& dataset, const std::vector<size_t>& offset,
                                const std::vector<size_t>& count) const;
  bool has_attribute(const std::string& object, const std::string& name) const;
  std::string attribute_string(const std::string& object, const std::string& name) const;
  double attribute_double(const std::string& object, const std::string& name) const;
  const std::string& path() const { return path_; }
  hid_t id() const { return file_; }

 private:
  hid_t file_ = -1;
  std::string path_;
};

}  // namespace sedpdf
