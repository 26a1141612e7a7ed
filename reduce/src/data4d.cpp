#include "sedpdf/reduce/data4d.hpp"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

namespace sedpdf {

namespace {

enum Kind { U8, I8, U16, I16, U32, I32, U64, I64, F32, F64 };

using Handle = H5Handle;

const char* kind_name(int k) {
  static const char* names[] = {"uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64",
                                "float32", "float64"};
  return names[k];
}

hid_t native_type(int k) {
  switch (k) {
    case U8: return H5T_NATIVE_UINT8;
    case I8: return H5T_NATIVE_INT8;
    case U16: return H5T_NATIVE_UINT16;
    case I16: return H5T_NATIVE_INT16;
    case U32: return H5T_NATIVE_UINT32;
    case I32: return H5T_NATIVE_INT32;
    case U64: return H5T_NATIVE_UINT64;
    case I64: return H5T_NATIVE_INT64;
    case F32: return H5T_NATIVE_FLOAT;
    default: return H5T_NATIVE_DOUBLE;
  }
}

std::string class_name(H5T_class_t c) {
  switch (c) {
    case H5T_STRING: return "string";
    case H5T_COMPOUND: return "compound";
    case H5T_ENUM: return "enum";
    case H5T_BITFIELD: return "bitfield";
    case H5T_OPAQUE: return "opaque";
    case H5T_REFERENCE: return "reference";
    case H5T_VLEN: return "variable-length";
    case H5T_ARRAY: return "array";
    case H5T_TIME: return "time";
    default: return "non-numeric";
  }
}

template <class T>
void convert(const unsigned char* raw, size_t n, double* out, bool add) {
  const T* p = reinterpret_cast<const T*>(raw);
  if (add)
    for (size_t i = 0; i < n; ++i) out[i] += static_cast<double>(p[i]);
  else
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<double>(p[i]);
}

void convert_kind(int k, const unsigned char* raw, size_t n, double* out, bool add) {
  switch (k) {
    case U8: convert<std::uint8_t>(raw, n, out, add); break;
    case I8: convert<std::int8_t>(raw, n, out, add); break;
    case U16: convert<std::uint16_t>(raw, n, out, add); break;
    case I16: convert<std::int16_t>(raw, n, out, add); break;
    case U32: convert<std::uint32_t>(raw, n, out, add); break;
    case I32: convert<std::int32_t>(raw, n, out, add); break;
    case U64: convert<std::uint64_t>(raw, n, out, add); break;
    case I64: convert<std::int64_t>(raw, n, out, add); break;
    case F32: convert<float>(raw, n, out, add); break;
    default: convert<double>(raw, n, out, add); break;
  }
}

std::string shape_text(const std::vector<hsize_t>& d) {
  std::string s;
  for (size_t k = 0; k < d.size(); ++k) s += (k ? "×" : "") + std::to_string(d[k]);
  return s.empty() ? "scalar" : s;
}

// Unit strings as EMD / py4DSTEM / HyperSpy write them ("Å", "A", "nm", "[n_m]", "1/nm", "A^-1", "Å⁻¹").
std::string normalise_unit(const std::string& u) {
  std::string s;
  for (size_t i = 0; i < u.size();) {
    const unsigned char c = static_cast<unsigned char>(u[i]);
    if (u.compare(i, 2, "\xC3\x85") == 0) { s += 'a'; i += 2; continue; }          // Å (U+00C5)
    if (u.compare(i, 3, "\xE2\x84\xAB") == 0) { s += 'a'; i += 3; continue; }      // Å (U+212B)
    if (u.compare(i, 5, "\xE2\x81\xBB\xC2\xB9") == 0) { s += "^-1"; i += 5; continue; }  // ⁻¹
    if (u.compare(i, 2, "\xC2\xB5") == 0 || u.compare(i, 2, "\xCE\xBC") == 0) { s += 'u'; i += 2; continue; }
    if (c == ' ' || c == '[' || c == ']' || c == '_') { ++i; continue; }
    s += static_cast<char>(std::tolower(c));
    ++i;
  }
  return s;
}

// Å per unit of length, 0 when not a length.
double length_factor(const std::string& n) {
  if (n == "a" || n == "angstrom" || n == "angstroms") return 1.0;
  if (n == "nm") return 10.0;
  if (n == "pm") return 0.01;
  if (n == "um") return 1e4;
  if (n == "m") return 1e10;
  return 0.0;
}

// Å⁻¹ per unit of a reciprocal length (1/d convention), 0 when not one.
double reciprocal_factor(const std::string& n) {
  std::string base;
  if (n.rfind("1/", 0) == 0) base = n.substr(2);
  else if (n.size() > 3 && n.compare(n.size() - 3, 3, "^-1") == 0) base = n.substr(0, n.size() - 3);
  else if (n.size() > 2 && n.compare(n.size() - 2, 2, "-1") == 0) base = n.substr(0, n.size() - 2);
  const double f = length_factor(base);
  return f > 0 ? 1.0 / f : 0.0;
}

double* cal_field(Data4DCalibration& c, const std::string& name) {
  using namespace data4d;
  if (name == kCalEnergy) return &c.energy_eV;
  if (name == kCalWavelength) return &c.wavelength_A;
  if (name == kCalDs) return &c.ds_per_px;
  if (name == kCalCentreX) return &c.centre_x_px;
  if (name == kCalCentreY) return &c.centre_y_px;
  if (name == kCalConvergence) return &c.convergence_mrad;
  if (name == kCalDose) return &c.dose_e_per_A2;
  if (name == kCalStepX) return &c.scan_step_x_A;
  if (name == kCalStepY) return &c.scan_step_y_A;
  return nullptr;
}

const char* const kCalNames[] = {data4d::kCalEnergy,      data4d::kCalWavelength, data4d::kCalDs,
                                 data4d::kCalCentreX,     data4d::kCalCentreY,    data4d::kCalConvergence,
                                 data4d::kCalDose,        data4d::kCalStepX,      data4d::kCalStepY};

herr_t collect_string_attr(hid_t loc, const char* name, const H5A_info_t*, void* data) {
  auto* out = static_cast<std::vector<std::pair<std::string, std::string>>*>(data);
  Handle a(H5Aopen(loc, name, H5P_DEFAULT), H5Aclose);
  Handle ty(H5Aget_type(a.id), H5Tclose);
  if (H5Tget_class(ty.id) != H5T_STRING) return 0;
  std::string v;
  if (H5Tis_variable_str(ty.id) > 0) {
    char* p = nullptr;
    Handle mt(H5Tcopy(H5T_C_S1), H5Tclose);
    H5Tset_size(mt.id, H5T_VARIABLE);
    if (H5Aread(a.id, mt.id, &p) >= 0 && p) {
      v = p;
      H5free_memory(p);
    }
  } else {
    v.assign(H5Tget_size(ty.id), '\0');
    H5Aread(a.id, ty.id, v.data());
    while (!v.empty() && v.back() == '\0') v.pop_back();
  }
  out->emplace_back(name, v);
  return 0;
}

}  // namespace

Data4DReader::Data4DReader(const Data4DInput& in) : path_(in.path) {
  using namespace data4d;
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (H5Fis_hdf5(path_.c_str()) <= 0) throw InputError(path_, 0, "", "not an HDF5 file (or it does not exist)");
  file_ = H5Fopen(path_.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
  if (file_ < 0) throw InputError(path_, 0, "", "cannot open HDF5 file");
  try {
    // A sedpdf file (complete or not) carries /sedpdf@format.
    bool sedpdf_file = false;
    if (h5_link_exists(file_, kStatusGroup)) {
      H5Reader r(path_);
      sedpdf_file = r.has_attribute(kStatusGroup, "format") && r.attribute_string(kStatusGroup, "format") == kFormatName;
    }
    dataset_ = in.dataset.empty() ? std::string(kCounts) : in.dataset;
    if (!h5_link_exists(file_, dataset_)) {
      if (in.dataset.empty())
        throw InputError(path_, 0, "dataset",
                         "not a sedpdf 4D file (no " + std::string(kCounts) +
                             "); name the 4-D dataset (scan_y, scan_x, det_y, det_x) to read");
      throw InputError(path_, 0, dataset_, "no such dataset");
    }
    sedpdf_ = sedpdf_file && dataset_ == kCounts;
    if (sedpdf_file) {
      // Completeness: the flag and the bitmap must both say so (a renamed partial file is rejected).
      H5Reader r(path_);
      const double complete = r.has_attribute(kStatusGroup, "complete") ? r.attribute_double(kStatusGroup, "complete") : 0;
      size_t done = 0, total = 0;
      if (r.exists(kPositionsDone)) {
        for (double v : r.read(kPositionsDone)) {
          done += v != 0;
          ++total;
        }
      }
      if (complete != 1 || done != total || total == 0)
        throw InputError(path_, 0, std::string(kStatusGroup) + "@complete",
                         "incomplete sedpdf 4D file: " + std::to_string(done) + " of " + std::to_string(total) +
                             " scan positions written (an interrupted run; resume it to complete the file)");
    }
    Handle probe(H5Dopen2(file_, dataset_.c_str(), H5P_DEFAULT), H5Dclose);
    if (probe.id < 0) throw InputError(path_, 0, dataset_, "is not a dataset");
    std::vector<hsize_t> d;
    {
      Handle sp(H5Dget_space(probe.id), H5Sclose);
      const int rank = H5Sget_simple_extent_ndims(sp.id);
      d.resize(static_cast<size_t>(std::max(rank, 0)));
      H5Sget_simple_extent_dims(sp.id, d.data(), nullptr);
      if (rank != 4)
        throw InputError(path_, 0, dataset_,
                         "has rank " + std::to_string(rank) + " (shape " + shape_text(d) +
                             "); a 4-D dataset (scan_y, scan_x, det_y, det_x) is required");
      for (size_t k = 0; k < 4; ++k) {
        if (d[k] == 0) throw InputError(path_, 0, dataset_, "is empty (shape " + shape_text(d) + ")");
        dims_[k] = d[k];
      }
    }
    {
      Handle ty(H5Dget_type(probe.id), H5Tclose);
      const H5T_class_t cls = H5Tget_class(ty.id);
      elem_size_ = H5Tget_size(ty.id);
      if (cls == H5T_INTEGER) {
        const bool sign = H5Tget_sign(ty.id) == H5T_SGN_2;
        switch (elem_size_) {
          case 1: kind_ = sign ? I8 : U8; break;
          case 2: kind_ = sign ? I16 : U16; break;
          case 4: kind_ = sign ? I32 : U32; break;
          case 8: kind_ = sign ? I64 : U64; break;
          default:
            throw InputError(path_, 0, dataset_, "has a " + std::to_string(8 * elem_size_) + "-bit integer type");
        }
      } else if (cls == H5T_FLOAT && (elem_size_ == 4 || elem_size_ == 8)) {
        kind_ = elem_size_ == 4 ? F32 : F64;
      } else if (cls == H5T_FLOAT) {
        throw InputError(path_, 0, dataset_, "has a " + std::to_string(8 * elem_size_) + "-bit float type");
      } else {
        throw InputError(path_, 0, dataset_,
                         "has element type " + class_name(cls) + "; counts or intensities (integer or float) are required");
      }
    }
    // Chunk cache (see the header): none when a chunk holds one scan position, else one band of chunks.
    size_t chunk_bytes = 0;
    {
      Handle dcpl(H5Dget_create_plist(probe.id), H5Pclose);
      if (H5Pget_layout(dcpl.id) == H5D_CHUNKED) {
        hsize_t c[4] = {1, 1, 1, 1};
        H5Pget_chunk(dcpl.id, 4, c);
        chunk_bytes = static_cast<size_t>(c[0] * c[1] * c[2] * c[3]) * elem_size_;
        if (c[0] > 1 || c[1] > 1) {
          auto ceil_div = [](size_t a, hsize_t b) { return (a + b - 1) / b; };
          const size_t band = ceil_div(dims_[1], c[1]) * ceil_div(dims_[2], c[2]) * ceil_div(dims_[3], c[3]);
          cache_bytes_ = std::min<size_t>(band * chunk_bytes, size_t(256) << 20);
        }
      }
    }
    Handle dapl(H5Pcreate(H5P_DATASET_ACCESS), H5Pclose);
    H5Pset_chunk_cache(dapl.id, 10007, cache_bytes_, 1.0);
    ds_ = H5Dopen2(file_, dataset_.c_str(), dapl.id);
    if (ds_ < 0) throw InputError(path_, 0, dataset_, "cannot be opened");
    // The decompression buffer HDF5 allocates per uncached chunk counts as held memory.
    if (cache_bytes_ == 0) cache_bytes_ = chunk_bytes;

    // Calibration.
    if (sedpdf_) {
      H5Reader r(path_);
      for (const char* name : kCalNames)
        if (r.has_attribute(kCountsGroup, name)) {
          *cal_field(cal_, name) = r.attribute_double(kCountsGroup, name);
          cal_source_.emplace_back(name, "file");
        }
      if (r.has_attribute(kCountsGroup, kCalLayout)) cal_.detector_layout = r.attribute_string(kCountsGroup, kCalLayout);
    } else {
      read_calibration_foreign();
    }
    for (const char* name : kCalNames) {
      Data4DCalibration tmp = in.calibration;
      const double v = *cal_field(tmp, name);
      if (std::isfinite(v)) {
        *cal_field(cal_, name) = v;
        cal_source_.emplace_back(name, "config");
      }
    }
    if (!in.calibration.detector_layout.empty()) cal_.detector_layout = in.calibration.detector_layout;
    if (!std::isfinite(cal_.wavelength_A) && std::isfinite(cal_.energy_eV) && cal_.energy_eV > 0) {
      cal_.wavelength_A = electron_wavelength(cal_.energy_eV);
      cal_source_.emplace_back(kCalWavelength, "derived from " + std::string(kCalEnergy));
    }

    // Mask.
    if (!in.mask_path.empty()) {
      H5Reader r(in.mask_path);
      if (in.mask_dataset.empty()) throw InputError(in.mask_path, 0, "mask_dataset", "no mask dataset named");
      const std::vector<size_t> ms = r.shape(in.mask_dataset);
      if (ms.size() != 2 || ms[0] != det_ny() || ms[1] != det_nx())
        throw InputError(in.mask_path, 0, in.mask_dataset,
                         "mask shape " + shape_text(std::vector<hsize_t>(ms.begin(), ms.end())) +
                             " differs from the detector's " + std::to_string(det_ny()) + "×" + std::to_string(det_nx()));
      const std::vector<double> v = r.read(in.mask_dataset);
      mask_.resize(v.size());
      for (size_t i = 0; i < v.size(); ++i) {
        const bool nz = v[i] != 0 || !std::isfinite(v[i]);
        mask_[i] = (in.mask_nonzero_is_masked ? nz : !nz) ? 1 : 0;
      }
    } else if (sedpdf_file && h5_link_exists(file_, kMask)) {
      H5Reader r(path_);
      if (r.shape(kMask) != std::vector<size_t>{det_ny(), det_nx()})
        throw InputError(path_, 0, kMask, "mask shape differs from the detector's");
      const std::vector<double> v = r.read(kMask);
      mask_.resize(v.size());
      for (size_t i = 0; i < v.size(); ++i) mask_[i] = v[i] != 0 ? 1 : 0;
    }
  } catch (...) {
    if (ds_ >= 0) H5Dclose(ds_);
    H5Fclose(file_);
    ds_ = file_ = -1;
    throw;
  }
}

Data4DReader::~Data4DReader() {
  if (ds_ >= 0) H5Dclose(ds_);
  if (file_ >= 0) H5Fclose(file_);
}

void Data4DReader::read_calibration_foreign() {
  using namespace data4d;
  H5Reader r(path_);
  const size_t slash = dataset_.rfind('/');
  const std::string group = slash == 0 || slash == std::string::npos ? "/" : dataset_.substr(0, slash);
  // sedpdf-style attributes on the dataset or its group.
  for (const std::string& obj : {group, dataset_})
    for (const char* name : kCalNames)
      if (r.has_attribute(obj, name)) {
        try {
          *cal_field(cal_, name) = r.attribute_double(obj, name);
          cal_source_.emplace_back(name, "file");
        } catch (const InputError&) {
        }
      }
  // EMD 1.0 dim vectors.
  double det_ds[2] = {Data4DCalibration::kUnknown, Data4DCalibration::kUnknown};
  double det_c[2] = {Data4DCalibration::kUnknown, Data4DCalibration::kUnknown};
  for (size_t k = 0; k < 4; ++k) {
    const std::string dp = (group == "/" ? std::string("") : group) + "/dim" + std::to_string(k + 1);
    if (!r.exists(dp)) continue;
    std::vector<double> v;
    try {
      if (r.shape(dp).size() != 1) continue;
      v = r.read(dp);
    } catch (const InputError&) {
      continue;
    }
    if (v.size() < 2) continue;
    std::string units;
    if (r.has_attribute(dp, "units")) {
      try {
        units = normalise_unit(r.attribute_string(dp, "units"));
      } catch (const InputError&) {
      }
    }
    const double step = v[1] - v[0];
    if (!(std::abs(step) > 0) || !std::isfinite(step)) continue;
    if (k < 2) {
      const double f = length_factor(units);
      if (f > 0) {
        double& target = k == 0 ? cal_.scan_step_y_A : cal_.scan_step_x_A;
        target = std::abs(step) * f;
        cal_source_.emplace_back(k == 0 ? kCalStepY : kCalStepX, "dims");
      }
      continue;
    }
    double f = reciprocal_factor(units);
    if (f == 0 && (units == "mrad" || units == "rad")) {
      // Angles: s = 2 sin(α/2)/λ ≈ α/λ at the small angles of SED, which needs the wavelength.
      double lambda = cal_.wavelength_A;
      if (!std::isfinite(lambda) && std::isfinite(cal_.energy_eV) && cal_.energy_eV > 0)
        lambda = electron_wavelength(cal_.energy_eV);
      if (std::isfinite(lambda) && lambda > 0) f = (units == "mrad" ? 1e-3 : 1.0) / lambda;
    }
    if (f > 0) {
      det_ds[k - 2] = std::abs(step) * f;
      const double n = static_cast<double>(v.size() - 1);
      const double c = -v[0] / step;  // index where the axis crosses zero
      if (c >= 0 && c <= n) det_c[k - 2] = c;
    }
  }
  if (std::isfinite(det_ds[0]) || std::isfinite(det_ds[1])) {
    const double ds = std::isfinite(det_ds[1]) ? det_ds[1] : det_ds[0];
    if (std::isfinite(det_ds[0]) && std::isfinite(det_ds[1]) &&
        std::abs(det_ds[0] - det_ds[1]) > 1e-3 * std::max(det_ds[0], det_ds[1]))
      throw InputError(path_, 0, group + "/dim3",
                       "detector pixels are not square (Δs " + std::to_string(det_ds[0]) + " vs " +
                           std::to_string(det_ds[1]) + " Å⁻¹/pixel); not supported");
    if (!std::isfinite(cal_.ds_per_px)) {
      cal_.ds_per_px = ds;
      cal_source_.emplace_back(kCalDs, "dims");
    }
    if (std::isfinite(det_c[0]) && !std::isfinite(cal_.centre_y_px)) {
      cal_.centre_y_px = det_c[0];
      cal_source_.emplace_back(kCalCentreY, "dims");
    }
    if (std::isfinite(det_c[1]) && !std::isfinite(cal_.centre_x_px)) {
      cal_.centre_x_px = det_c[1];
      cal_source_.emplace_back(kCalCentreX, "dims");
    }
  }
}

std::string Data4DReader::element_type() const { return kind_name(kind_); }

std::string Data4DReader::calibration_source(const std::string& name) const {
  std::string s;
  for (const auto& [n, src] : cal_source_)
    if (n == name) s = src;  // the last one applied wins
  return s;
}

double Data4DReader::require(const std::string& name, const std::string& config_key) const {
  Data4DCalibration tmp = cal_;
  const double* v = cal_field(tmp, name);
  if (!v) throw std::invalid_argument("Data4DReader::require: unknown calibration field '" + name + "'");
  if (!std::isfinite(*v))
    throw InputError(path_, 0, name,
                     "calibration missing: neither the file (dataset " + dataset_ +
                         ") nor the configuration gives it; set '" + config_key + "'");
  return *v;
}

std::vector<std::pair<std::string, std::string>> Data4DReader::parameters() const {
  std::vector<std::pair<std::string, std::string>> out;
  if (!h5_link_exists(file_, data4d::kParametersGroup)) return out;
  Handle g(H5Gopen2(file_, data4d::kParametersGroup, H5P_DEFAULT), H5Gclose);
  if (g.id < 0) return out;
  hsize_t idx = 0;
  H5Aiterate2(g.id, H5_INDEX_NAME, H5_ITER_INC, &idx, collect_string_attr, &out);
  return out;
}

GroundTruthMaps Data4DReader::ground_truth() const {
  GroundTruthMaps m;
  const std::string fr = std::string(data4d::kTruthFractionGroup) + "/data";
  const std::string th = std::string(data4d::kTruthThicknessGroup) + "/data";
  if (!h5_link_exists(file_, fr) || !h5_link_exists(file_, th)) return m;
  H5Reader r(path_);
  const std::string names = r.attribute_string(data4d::kTruthFractionGroup, "phases");
  std::stringstream ss(names);
  for (std::string p; std::getline(ss, p, ',');) m.phases.push_back(p);
  const std::vector<size_t> shape = r.shape(fr);
  if (shape.size() != 3 || shape[2] != m.phases.size() || r.shape(th) != shape)
    throw InputError(path_, 0, fr, "ground-truth maps do not match their phase list '" + names + "'");
  m.ny = shape[0];
  m.nx = shape[1];
  m.phase_fraction = r.read(fr);
  m.thickness_A = r.read(th);
  return m;
}

void Data4DReader::read_raw(size_t iy, size_t ix) {
  if (iy >= scan_ny() || ix >= scan_nx())
    throw std::out_of_range("Data4DReader: scan position (" + std::to_string(iy) + ", " + std::to_string(ix) +
                            ") outside the " + std::to_string(scan_ny()) + "×" + std::to_string(scan_nx()) + " scan");
  raw_.resize(pattern_size() * elem_size_);
  hsize_t off[4] = {iy, ix, 0, 0}, cnt[4] = {1, 1, dims_[2], dims_[3]};
  Handle fs(H5Dget_space(ds_), H5Sclose);
  H5Sselect_hyperslab(fs.id, H5S_SELECT_SET, off, nullptr, cnt, nullptr);
  Handle ms(H5Screate_simple(4, cnt, nullptr), H5Sclose);
  if (H5Dread(ds_, native_type(kind_), ms.id, fs.id, H5P_DEFAULT, raw_.data()) < 0)
    throw InputError(path_, 0, dataset_,
                     "read of scan position (" + std::to_string(iy) + ", " + std::to_string(ix) +
                         ") failed (corrupt or truncated file, or a compression filter that is not available?)");
  ++patterns_read_;
}

void Data4DReader::read_pattern(size_t iy, size_t ix, std::vector<double>& out) {
  read_raw(iy, ix);
  out.resize(pattern_size());
  convert_kind(kind_, raw_.data(), pattern_size(), out.data(), false);
}

void Data4DReader::add_pattern(size_t iy, size_t ix, std::vector<double>& acc) {
  if (acc.size() != pattern_size())
    throw std::invalid_argument("Data4DReader::add_pattern: accumulator has " + std::to_string(acc.size()) +
                                " values, a pattern " + std::to_string(pattern_size()));
  read_raw(iy, ix);
  convert_kind(kind_, raw_.data(), pattern_size(), acc.data(), true);
}

size_t Data4DReader::sum_block(size_t y0, size_t x0, size_t ny, size_t nx, std::vector<double>& out) {
  out.resize(pattern_size());
  return sum_block(y0, x0, ny, nx, out.data());
}

size_t Data4DReader::sum_block(size_t y0, size_t x0, size_t ny, size_t nx, double* out) {
  size_t n = 0;
  for (size_t iy = y0; iy < std::min(y0 + ny, scan_ny()); ++iy)
    for (size_t ix = x0; ix < std::min(x0 + nx, scan_nx()); ++ix) {
      read_raw(iy, ix);
      convert_kind(kind_, raw_.data(), pattern_size(), out, n > 0);  // the first pattern overwrites
      ++n;
    }
  if (n == 0) std::fill(out, out + pattern_size(), 0.0);
  return n;
}

size_t Data4DReader::buffer_bytes() const { return raw_.capacity() + cache_bytes_ + mask_.capacity(); }

}  // namespace sedpdf
