#include "sedpdf/structures/h5.hpp"

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

}  // namespace sedpdf
