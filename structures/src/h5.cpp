#include "sedpdf/structures/h5.hpp"

#include "sedpdf/structures/error.hpp"

#include <algorithm>
#include <stdexcept>

namespace sedpdf {

namespace {
void check(herr_t status, const std::string& what) {
  if (status < 0) throw std::runtime_error("HDF5: " + what + " failed");
}
}  // namespace

H5Writer::H5Writer(const std::string& path) : path_(path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);  // errors are reported by exceptions, not printed
  file_ = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) throw std::runtime_error(path + ": cannot create HDF5 file");
}

H5Writer::~H5Writer() {
  if (file_ >= 0) H5Fclose(file_);
}

void H5Writer::close() {
  if (file_ >= 0) {
    const herr_t st = H5Fclose(file_);
    file_ = -1;
    check(st, "closing " + path_);
  }
}

void H5Writer::group(const std::string& path) {
  hid_t g = H5Gcreate2(file_, path.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw std::runtime_error("HDF5: cannot create group " + path + " in " + path_);
  H5Gclose(g);
}

void H5Writer::dataset(const std::string& path, const std::vector<double>& v, const std::string& units) {
  dataset(path, v, 1, v.size(), units);  // rows == 1 is written as a true 1-D dataset
}

void H5Writer::dataset(const std::string& path, const std::vector<double>& v, size_t rows, size_t cols,
                       const std::string& units) {
  if (v.size() != rows * cols)
    throw std::invalid_argument("HDF5 dataset " + path + ": size does not match shape");
  const bool one_d = rows == 1;
  hsize_t dims[2] = {rows, cols};
  if (one_d) dims[0] = cols;
  const int rank = one_d ? 1 : 2;
  hid_t space = H5Screate_simple(rank, dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  if (v.size() >= 4096) {
    hsize_t chunk[2] = {dims[0], one_d ? 0 : dims[1]};
    if (one_d) chunk[0] = std::min<hsize_t>(dims[0], 65536);
    else chunk[0] = std::max<hsize_t>(1, std::min<hsize_t>(dims[0], 65536 / std::max<hsize_t>(1, dims[1])));
    H5Pset_chunk(dcpl, rank, chunk);
    H5Pset_deflate(dcpl, 4);
  }
  hid_t ds = H5Dcreate2(file_, path.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  if (ds < 0) throw std::runtime_error("HDF5: cannot create dataset " + path + " in " + path_);
  const herr_t st = H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(ds);
  check(st, "writing " + path);
  if (!units.empty()) attribute(path, "units", units);
}

void H5Writer::attribute(const std::string& object, const std::string& name, const std::string& value) {
  hid_t type = H5Tcopy(H5T_C_S1);
  H5Tset_size(type, std::max<size_t>(1, value.size()));
  H5Tset_cset(type, H5T_CSET_UTF8);
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate_by_name(file_, object.c_str(), name.c_str(), type, space, H5P_DEFAULT, H5P_DEFAULT,
                                 H5P_DEFAULT);
  herr_t st = -1;
  if (attr >= 0) {
    st = H5Awrite(attr, type, value.c_str());
    H5Aclose(attr);
  }
  H5Sclose(space);
  H5Tclose(type);
  check(st, "attribute " + object + "@" + name);
}

void H5Writer::attribute(const std::string& object, const std::string& name, double value) {
  hid_t space = H5Screate(H5S_SCALAR);
  hid_t attr = H5Acreate_by_name(file_, object.c_str(), name.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                 H5P_DEFAULT, H5P_DEFAULT);
  herr_t st = -1;
  if (attr >= 0) {
    st = H5Awrite(attr, H5T_NATIVE_DOUBLE, &value);
    H5Aclose(attr);
  }
  H5Sclose(space);
  check(st, "attribute " + object + "@" + name);
}

void H5Writer::dataset_nd(const std::string& path, const std::vector<double>& v, const std::vector<size_t>& dims,
                          const std::string& units, const std::vector<size_t>& chunk, int deflate) {
  size_t n = 1;
  std::vector<hsize_t> hd;
  for (size_t d : dims) {
    n *= d;
    hd.push_back(d);
  }
  if (dims.empty() || n != v.size())
    throw std::invalid_argument("HDF5 dataset " + path + ": size does not match shape");
  hid_t space = H5Screate_simple(static_cast<int>(hd.size()), hd.data(), nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  std::vector<hsize_t> hc;
  if (!chunk.empty()) {
    if (chunk.size() != dims.size()) throw std::invalid_argument("HDF5 dataset " + path + ": chunk rank differs");
    for (size_t k = 0; k < chunk.size(); ++k) hc.push_back(std::max<size_t>(1, std::min(chunk[k], dims[k])));
  } else if (n >= 4096) {
    // Automatic: whole trailing dimensions up to ~64 Ki elements per chunk.
    hc.assign(hd.size(), 1);
    size_t per = 1;
    for (size_t k = hd.size(); k-- > 0;) {
      const size_t take = std::max<size_t>(1, std::min<size_t>(dims[k], 65536 / per));
      hc[k] = take;
      per *= take;
      if (take < dims[k]) break;
    }
  }
  if (!hc.empty()) {
    H5Pset_chunk(dcpl, static_cast<int>(hc.size()), hc.data());
    if (deflate > 0) H5Pset_deflate(dcpl, static_cast<unsigned>(std::min(deflate, 9)));
  }
  hid_t ds = H5Dcreate2(file_, path.c_str(), H5T_IEEE_F64LE, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  H5Pclose(dcpl);
  H5Sclose(space);
  if (ds < 0) throw std::runtime_error("HDF5: cannot create dataset " + path + " in " + path_);
  const herr_t st = H5Dwrite(ds, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, v.data());
  H5Dclose(ds);
  check(st, "writing " + path);
  if (!units.empty()) attribute(path, "units", units);
}

// ------------------------------------------------------------------------------------------------

H5Reader::H5Reader(const std::string& path) : path_(path) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path.c_str()) <= 0) throw InputError(path, 0, "", "not an HDF5 file (or it does not exist)");
  file_ = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw InputError(path, 0, "", "cannot open HDF5 file");
}

H5Reader::~H5Reader() {
  if (file_ >= 0) H5Fclose(file_);
}

bool h5_link_exists(hid_t file, const std::string& path) {
  if (path.empty() || path == "/") return true;
  // Check every intermediate link, as H5Lexists requires.
  size_t pos = 0;
  while (true) {
    pos = path.find('/', pos + 1);
    const std::string part = path.substr(0, pos);
    if (!part.empty() && part != "/" && H5Lexists(file, part.c_str(), H5P_DEFAULT) <= 0) return false;
    if (pos == std::string::npos) return true;
  }
}

bool H5Reader::exists(const std::string& path) const { return h5_link_exists(file_, path); }

using Handle = H5Handle;

std::vector<size_t> H5Reader::shape(const std::string& dataset) const {
  if (!exists(dataset)) throw InputError(path_, 0, dataset, "no such dataset");
  Handle ds{H5Dopen2(file_, dataset.c_str(), H5P_DEFAULT), H5Dclose};
  if (ds.id < 0) throw InputError(path_, 0, dataset, "is not a dataset");
  Handle sp{H5Dget_space(ds.id), H5Sclose};
  const int rank = H5Sget_simple_extent_ndims(sp.id);
  std::vector<hsize_t> d(static_cast<size_t>(std::max(rank, 0)));
  H5Sget_simple_extent_dims(sp.id, d.data(), nullptr);
  return std::vector<size_t>(d.begin(), d.end());
}

std::string H5Reader::type_class(const std::string& dataset) const {
  if (!exists(dataset)) throw InputError(path_, 0, dataset, "no such dataset");
  Handle ds{H5Dopen2(file_, dataset.c_str(), H5P_DEFAULT), H5Dclose};
  if (ds.id < 0) throw InputError(path_, 0, dataset, "is not a dataset");
  Handle ty{H5Dget_type(ds.id), H5Tclose};
  const H5T_class_t c = H5Tget_class(ty.id);
  return c == H5T_INTEGER ? "integer" : (c == H5T_FLOAT ? "float" : "other");
}

std::vector<double> H5Reader::read(const std::string& dataset) const {
  const std::vector<size_t> dims = shape(dataset);
  return read_slab(dataset, std::vector<size_t>(dims.size(), 0), dims);
}

std::vector<double> H5Reader::read_slab(const std::string& dataset, const std::vector<size_t>& offset,
                                        const std::vector<size_t>& count) const {
  const std::vector<size_t> dims = shape(dataset);
  if (type_class(dataset) == "other")
    throw InputError(path_, 0, dataset, "has a non-numeric element type");
  if (offset.size() != dims.size() || count.size() != dims.size())
    throw InputError(path_, 0, dataset, "hyperslab rank " + std::to_string(offset.size()) + " differs from the dataset rank " +
                                            std::to_string(dims.size()));
  size_t n = 1;
  for (size_t k = 0; k < dims.size(); ++k) {
    if (offset[k] + count[k] > dims[k])
      throw InputError(path_, 0, dataset, "hyperslab beyond the dataset along dimension " + std::to_string(k));
    n *= count[k];
  }
  std::vector<double> out(n);
  Handle ds{H5Dopen2(file_, dataset.c_str(), H5P_DEFAULT), H5Dclose};
  Handle fs{H5Dget_space(ds.id), H5Sclose};
  std::vector<hsize_t> off(offset.begin(), offset.end()), cnt(count.begin(), count.end());
  if (!dims.empty() && H5Sselect_hyperslab(fs.id, H5S_SELECT_SET, off.data(), nullptr, cnt.data(), nullptr) < 0)
    throw InputError(path_, 0, dataset, "cannot select hyperslab");
  Handle ms{dims.empty() ? H5Screate(H5S_SCALAR) : H5Screate_simple(static_cast<int>(cnt.size()), cnt.data(), nullptr),
            H5Sclose};
  if (n && H5Dread(ds.id, H5T_NATIVE_DOUBLE, ms.id, fs.id, H5P_DEFAULT, out.data()) < 0)
    throw InputError(path_, 0, dataset, "read failed (corrupt or truncated file?)");
  return out;
}

bool H5Reader::has_attribute(const std::string& object, const std::string& name) const {
  if (!exists(object)) return false;
  return H5Aexists_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT) > 0;
}

std::string H5Reader::attribute_string(const std::string& object, const std::string& name) const {
  if (!has_attribute(object, name)) throw InputError(path_, 0, object + "@" + name, "missing attribute");
  Handle a{H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  Handle ty{H5Aget_type(a.id), H5Tclose};
  if (H5Tget_class(ty.id) != H5T_STRING) throw InputError(path_, 0, object + "@" + name, "is not a string");
  if (H5Tis_variable_str(ty.id) > 0) {
    Handle mt{H5Tcopy(H5T_C_S1), H5Tclose};
    H5Tset_size(mt.id, H5T_VARIABLE);
    char* p = nullptr;
    if (H5Aread(a.id, mt.id, &p) < 0) throw InputError(path_, 0, object + "@" + name, "read failed");
    std::string s = p ? p : "";
    H5free_memory(p);
    return s;
  }
  const size_t n = H5Tget_size(ty.id);
  std::string s(n, '\0');
  if (H5Aread(a.id, ty.id, s.data()) < 0) throw InputError(path_, 0, object + "@" + name, "read failed");
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

double H5Reader::attribute_double(const std::string& object, const std::string& name) const {
  if (!has_attribute(object, name)) throw InputError(path_, 0, object + "@" + name, "missing attribute");
  Handle a{H5Aopen_by_name(file_, object.c_str(), name.c_str(), H5P_DEFAULT, H5P_DEFAULT), H5Aclose};
  Handle ty{H5Aget_type(a.id), H5Tclose};
  const H5T_class_t c = H5Tget_class(ty.id);
  if (c != H5T_INTEGER && c != H5T_FLOAT) throw InputError(path_, 0, object + "@" + name, "is not a number");
  double v = 0;
  if (H5Aread(a.id, H5T_NATIVE_DOUBLE, &v) < 0) throw InputError(path_, 0, object + "@" + name, "read failed");
  return v;
}

}  // namespace sedpdf
