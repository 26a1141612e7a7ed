#include "sedpdf/simulate/data4d_writer.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <limits>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

namespace sedpdf {

namespace {

using Handle = H5Handle;

void check(herr_t st, const std::string& what) {
  if (st < 0) throw std::runtime_error("HDF5: " + what + " failed");
}

void attr_string(hid_t obj, const std::string& name, const std::string& value) {
  Handle type(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(type.id, std::max<size_t>(1, value.size()));
  H5Tset_cset(type.id, H5T_CSET_UTF8);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle a(H5Acreate2(obj, name.c_str(), type.id, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a.id < 0) throw std::runtime_error("HDF5: cannot create attribute " + name);
  check(H5Awrite(a.id, type.id, value.c_str()), "writing attribute " + name);
}

void attr_double(hid_t obj, const std::string& name, double value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle a(H5Acreate2(obj, name.c_str(), H5T_IEEE_F64LE, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a.id < 0) throw std::runtime_error("HDF5: cannot create attribute " + name);
  check(H5Awrite(a.id, H5T_NATIVE_DOUBLE, &value), "writing attribute " + name);
}

void attr_int(hid_t obj, const std::string& name, int value) {
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  if (H5Aexists(obj, name.c_str()) > 0) H5Adelete(obj, name.c_str());
  Handle a(H5Acreate2(obj, name.c_str(), H5T_STD_I32LE, space.id, H5P_DEFAULT, H5P_DEFAULT), H5Aclose);
  if (a.id < 0) throw std::runtime_error("HDF5: cannot create attribute " + name);
  check(H5Awrite(a.id, H5T_NATIVE_INT, &value), "writing attribute " + name);
}

bool read_attr_double(hid_t obj, const std::string& name, double& v) {
  if (H5Aexists(obj, name.c_str()) <= 0) return false;
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  return a.id >= 0 && H5Aread(a.id, H5T_NATIVE_DOUBLE, &v) >= 0;
}

std::string read_attr_string(hid_t obj, const std::string& name) {
  if (H5Aexists(obj, name.c_str()) <= 0) return "";
  Handle a(H5Aopen(obj, name.c_str(), H5P_DEFAULT), H5Aclose);
  Handle ty(H5Aget_type(a.id), H5Tclose);
  if (H5Tget_class(ty.id) != H5T_STRING || H5Tis_variable_str(ty.id) > 0) return "";
  std::string s(H5Tget_size(ty.id), '\0');
  if (H5Aread(a.id, ty.id, s.data()) < 0) return "";
  while (!s.empty() && s.back() == '\0') s.pop_back();
  return s;
}

hid_t make_group(hid_t parent, const std::string& name) {
  hid_t g = H5Gcreate2(parent, name.c_str(), H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  if (g < 0) throw std::runtime_error("HDF5: cannot create group " + name);
  return g;
}

// A 1-D float64 dimension dataset of an EMD group: values, name and units attributes.
void emd_dim(hid_t group, int index, const std::vector<double>& values, const std::string& name,
             const std::string& units) {
  hsize_t n = values.size();
  Handle space(H5Screate_simple(1, &n, nullptr), H5Sclose);
  const std::string dname = "dim" + std::to_string(index);
  Handle ds(H5Dcreate2(group, dname.c_str(), H5T_IEEE_F64LE, space.id, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
            H5Dclose);
  if (ds.id < 0) throw std::runtime_error("HDF5: cannot create " + dname);
  check(H5Dwrite(ds.id, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, values.data()), "writing " + dname);
  attr_string(ds.id, "name", name);
  attr_string(ds.id, "units", units);
}

std::vector<double> axis(size_t n, double origin_px, double step) {
  std::vector<double> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = (static_cast<double>(i) - origin_px) * step;
  return v;
}

struct DimSpec {
  std::vector<double> values;
  std::string name, units;
};

DimSpec scan_dim(size_t n, double step, const char* name) {
  if (std::isfinite(step)) return {axis(n, 0, step), name, "Å"};
  return {axis(n, 0, 1), name, "pixels"};
}

DimSpec det_dim(size_t n, double centre, double ds, const char* name) {
  if (std::isfinite(ds)) return {axis(n, std::isfinite(centre) ? centre : 0.0, ds), name, "1/Å"};
  return {axis(n, 0, 1), name, "pixels"};
}

// Creates an EMD 1.0 data group under /data: the group, its `data` dataset and dim datasets.
hid_t emd_group(hid_t file, const std::string& group_path, hid_t file_type, const std::vector<hsize_t>& dims,
                const std::vector<hsize_t>& chunk, int deflate, const std::vector<DimSpec>& dim_specs) {
  Handle g(make_group(file, group_path), H5Gclose);
  attr_int(g.id, "emd_group_type", 1);
  Handle space(H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr), H5Sclose);
  Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  if (!chunk.empty()) {
    check(H5Pset_chunk(dcpl.id, static_cast<int>(chunk.size()), chunk.data()), "chunking " + group_path);
    if (deflate > 0) {
      H5Pset_shuffle(dcpl.id);
      H5Pset_deflate(dcpl.id, static_cast<unsigned>(std::min(deflate, 9)));
    }
  }
  hid_t ds = H5Dcreate2(g.id, "data", file_type, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT);
  if (ds < 0) throw std::runtime_error("HDF5: cannot create " + group_path + "/data");
  for (size_t k = 0; k < dim_specs.size(); ++k)
    emd_dim(g.id, static_cast<int>(k + 1), dim_specs[k].values, dim_specs[k].name, dim_specs[k].units);
  return ds;
}

std::string join(const std::vector<std::string>& v) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + v[i];
  return s;
}

// (name, value) of every calibration number, in a fixed order.
std::vector<std::pair<const char*, double>> cal_numbers(const Data4DCalibration& c) {
  using namespace data4d;
  return {{kCalEnergy, c.energy_eV},       {kCalWavelength, c.wavelength_A},   {kCalDs, c.ds_per_px},
          {kCalCentreX, c.centre_x_px},    {kCalCentreY, c.centre_y_px},       {kCalConvergence, c.convergence_mrad},
          {kCalDose, c.dose_e_per_A2},     {kCalStepX, c.scan_step_x_A},       {kCalStepY, c.scan_step_y_A}};
}

}  // namespace

Data4DWriter::Data4DWriter(const std::string& path, const Data4DLayout& layout, const Data4DCalibration& calibration,
                           const std::vector<std::uint8_t>& mask, const Data4DWriterOptions& options)
    : path_(path), partial_(path + ".partial"), layout_(layout), options_(options) {
  H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  if (layout.scan_ny == 0 || layout.scan_nx == 0 || layout.det_ny == 0 || layout.det_nx == 0)
    throw std::invalid_argument("Data4DWriter: empty layout (scan " + std::to_string(layout.scan_ny) + "×" +
                                std::to_string(layout.scan_nx) + ", detector " + std::to_string(layout.det_ny) +
                                "×" + std::to_string(layout.det_nx) + ")");
  if (!mask.empty() && mask.size() != layout.det_ny * layout.det_nx)
    throw std::invalid_argument("Data4DWriter: mask has " + std::to_string(mask.size()) + " entries, the detector " +
                                std::to_string(layout.det_ny * layout.det_nx));
  if (options_.flush_every == 0) options_.flush_every = 1;
  done_.assign(n_total(), 0);
  if (layout_.counts == CountType::UInt16) buf16_.resize(layout.det_ny * layout.det_nx);
  namespace fs = std::filesystem;
  std::error_code ec;
  if (options_.resume && fs::exists(partial_, ec)) {
    open_existing(mask, calibration);
    resumed_ = true;
  } else {
    create_file(mask, calibration);
  }
}

Data4DWriter::~Data4DWriter() { close_handles(); }

void Data4DWriter::close_handles() {
  for (hid_t* h : {&counts_, &expected_, &done_ds_, &fraction_, &thickness_}) {
    if (*h >= 0) H5Dclose(*h);
    *h = -1;
  }
  if (file_ >= 0) H5Fclose(file_);
  file_ = -1;
}

void Data4DWriter::create_file(const std::vector<std::uint8_t>& mask, const Data4DCalibration& cal) {
  using namespace data4d;
  file_ = H5Fcreate(partial_.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  if (file_ < 0) throw std::runtime_error(partial_ + ": cannot create HDF5 file");
  try {
    attr_int(file_, "version_major", 1);
    attr_int(file_, "version_minor", 0);
    { Handle g(make_group(file_, "/data"), H5Gclose); }
    const Data4DLayout& L = layout_;
    const std::vector<DimSpec> dims4 = {scan_dim(L.scan_ny, cal.scan_step_y_A, "scan_y"),
                                        scan_dim(L.scan_nx, cal.scan_step_x_A, "scan_x"),
                                        det_dim(L.det_ny, cal.centre_y_px, cal.ds_per_px, "s_y"),
                                        det_dim(L.det_nx, cal.centre_x_px, cal.ds_per_px, "s_x")};
    const std::vector<hsize_t> shape4 = {L.scan_ny, L.scan_nx, L.det_ny, L.det_nx};
    const std::vector<hsize_t> chunk4 = {1, 1, L.det_ny, L.det_nx};
    counts_ = emd_group(file_, kCountsGroup, L.counts == CountType::UInt16 ? H5T_STD_U16LE : H5T_STD_U32LE, shape4,
                        chunk4, options_.deflate, dims4);
    {
      Handle g(H5Gopen2(file_, kCountsGroup, H5P_DEFAULT), H5Gclose);
      attr_string(g.id, "title", "electron counts per detector pixel");
      for (const auto& [name, v] : cal_numbers(cal))
        if (std::isfinite(v)) attr_double(g.id, name, v);
      if (!cal.detector_layout.empty()) attr_string(g.id, kCalLayout, cal.detector_layout);
    }
    if (L.with_expected) {
      expected_ = emd_group(file_, kExpectedGroup, H5T_IEEE_F32LE, shape4, chunk4, options_.deflate, dims4);
      Handle g(H5Gopen2(file_, kExpectedGroup, H5P_DEFAULT), H5Gclose);
      attr_string(g.id, "title", "expected intensity (electrons per detector pixel, before counting noise)");
    }
    {
      hid_t m = emd_group(file_, kMaskGroup, H5T_STD_U8LE, {L.det_ny, L.det_nx}, {}, 0, {dims4[2], dims4[3]});
      std::vector<std::uint8_t> mm = mask.empty() ? std::vector<std::uint8_t>(L.det_ny * L.det_nx, 0) : mask;
      for (auto& x : mm) x = x ? 1 : 0;
      const herr_t st = H5Dwrite(m, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, mm.data());
      H5Dclose(m);
      check(st, "writing the mask");
      Handle g(H5Gopen2(file_, kMaskGroup, H5P_DEFAULT), H5Gclose);
      attr_string(g.id, "title", "detector mask (1 = pixel excluded: chip gap, dead or hot pixel)");
    }
    if (!L.phases.empty()) {
      const size_t np = L.phases.size();
      std::vector<double> idx = axis(np, 0, 1);
      const std::vector<DimSpec> d3 = {dims4[0], dims4[1], {idx, "phase", "index"}};
      fraction_ = emd_group(file_, kTruthFractionGroup, H5T_IEEE_F64LE, {L.scan_ny, L.scan_nx, np},
                            {1, L.scan_nx, np}, 0, d3);
      thickness_ = emd_group(file_, kTruthThicknessGroup, H5T_IEEE_F64LE, {L.scan_ny, L.scan_nx, np},
                             {1, L.scan_nx, np}, 0, d3);
      for (const char* gp : {kTruthFractionGroup, kTruthThicknessGroup}) {
        Handle g(H5Gopen2(file_, gp, H5P_DEFAULT), H5Gclose);
        attr_string(g.id, "phases", join(L.phases));
        attr_string(g.id, "title", gp == kTruthFractionGroup ? "ground truth: phase fraction per scan position"
                                                             : "ground truth: thickness of each phase (Å)");
        if (gp == kTruthThicknessGroup) attr_string(g.id, "units", "Å");
      }
    }
    {
      Handle g(make_group(file_, kStatusGroup), H5Gclose);
      attr_string(g.id, "format", kFormatName);
      attr_int(g.id, "format_version", kFormatVersion);
      attr_int(g.id, "complete", 0);
      attr_string(g.id, "config_hash", options_.config_hash);
      attr_string(g.id, "phases", join(L.phases));
      attr_string(g.id, "counts_type", count_type_name(L.counts));
      attr_string(g.id, "description",
                  "positions_done: 1 where the pattern is written; complete = 1 only when every position is "
                  "written and the file carries its final name");
      hsize_t dims[2] = {L.scan_ny, L.scan_nx}, chunk[2] = {1, L.scan_nx};
      Handle space(H5Screate_simple(2, dims, nullptr), H5Sclose);
      Handle dcpl(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
      H5Pset_chunk(dcpl.id, 2, chunk);
      std::uint8_t zero = 0;
      H5Pset_fill_value(dcpl.id, H5T_NATIVE_UINT8, &zero);
      H5Pset_fill_time(dcpl.id, H5D_FILL_TIME_ALLOC);
      done_ds_ = H5Dcreate2(file_, kPositionsDone, H5T_STD_U8LE, space.id, H5P_DEFAULT, dcpl.id, H5P_DEFAULT);
      if (done_ds_ < 0) throw std::runtime_error("HDF5: cannot create " + std::string(kPositionsDone));
      Handle p(make_group(file_, kParametersGroup), H5Gclose);
      for (const auto& [k, v] : options_.parameters) attr_string(p.id, k, v);
    }
    check(H5Fflush(file_, H5F_SCOPE_LOCAL), "flushing " + partial_);
  } catch (...) {
    close_handles();
    std::error_code ec;
    std::filesystem::remove(partial_, ec);
    throw;
  }
}

void Data4DWriter::open_existing(const std::vector<std::uint8_t>& mask, const Data4DCalibration& cal) {
  using namespace data4d;
  const std::string& f = partial_;
  if (H5Fis_hdf5(f.c_str()) <= 0)
    throw InputError(f, 0, "", "partial output is not a readable HDF5 file (damaged by an interruption?); "
                               "delete it to start the run over");
  file_ = H5Fopen(f.c_str(), H5F_ACC_RDWR, H5P_DEFAULT);
  if (file_ < 0)
    throw InputError(f, 0, "", "cannot reopen the partial output for resuming (damaged, or open elsewhere); "
                               "delete it to start the run over");
  try {
    auto mismatch = [&](const std::string& field, const std::string& in_file, const std::string& now) {
      throw InputError(f, 0, field, "the partial output was written with a different configuration (file: " +
                                        in_file + ", now: " + now +
                                        "); restore the configuration or delete the partial file");
    };
    if (H5Lexists(file_, kStatusGroup, H5P_DEFAULT) <= 0 || H5Lexists(file_, kCountsGroup, H5P_DEFAULT) <= 0)
      throw InputError(f, 0, kStatusGroup, "not a sedpdf 4D file; delete it to start the run over");
    Handle st(H5Gopen2(file_, kStatusGroup, H5P_DEFAULT), H5Gclose);
    if (read_attr_string(st.id, "format") != kFormatName)
      throw InputError(f, 0, "format", "not a sedpdf 4D file; delete it to start the run over");
    const std::string hash = read_attr_string(st.id, "config_hash");
    if (hash != options_.config_hash) mismatch("config_hash", hash, options_.config_hash);
    const std::string ph = read_attr_string(st.id, "phases");
    if (ph != join(layout_.phases)) mismatch("phases", ph, join(layout_.phases));
    counts_ = H5Dopen2(file_, kCounts, H5P_DEFAULT);
    if (counts_ < 0) throw InputError(f, 0, kCounts, "missing");
    {
      Handle sp(H5Dget_space(counts_), H5Sclose);
      hsize_t d[4] = {0, 0, 0, 0};
      if (H5Sget_simple_extent_ndims(sp.id) != 4) throw InputError(f, 0, kCounts, "is not 4-D");
      H5Sget_simple_extent_dims(sp.id, d, nullptr);
      const std::string have = std::to_string(d[0]) + "×" + std::to_string(d[1]) + "×" + std::to_string(d[2]) +
                               "×" + std::to_string(d[3]);
      const std::string want = std::to_string(layout_.scan_ny) + "×" + std::to_string(layout_.scan_nx) + "×" +
                               std::to_string(layout_.det_ny) + "×" + std::to_string(layout_.det_nx);
      if (have != want) mismatch("shape", have, want);
      Handle ty(H5Dget_type(counts_), H5Tclose);
      const size_t bytes = layout_.counts == CountType::UInt16 ? 2 : 4;
      if (H5Tget_size(ty.id) != bytes)
        mismatch("counts_type", std::to_string(8 * H5Tget_size(ty.id)) + "-bit", count_type_name(layout_.counts));
    }
    const bool has_expected = H5Lexists(file_, kExpectedGroup, H5P_DEFAULT) > 0;
    if (has_expected != layout_.with_expected)
      mismatch("with_expected", has_expected ? "yes" : "no", layout_.with_expected ? "yes" : "no");
    if (has_expected) expected_ = H5Dopen2(file_, kExpected, H5P_DEFAULT);
    {
      Handle g(H5Gopen2(file_, kCountsGroup, H5P_DEFAULT), H5Gclose);
      for (const auto& [name, v] : cal_numbers(cal)) {
        double stored = Data4DCalibration::kUnknown;
        const bool has = read_attr_double(g.id, name, stored);
        const bool want = std::isfinite(v);
        if (has != want || (has && std::abs(stored - v) > 1e-12 * std::max(1.0, std::abs(v))))
          mismatch(name, has ? format_number(stored, 17) : "absent", want ? format_number(v, 17) : "absent");
      }
      const std::string lay = read_attr_string(g.id, kCalLayout);
      if (lay != cal.detector_layout) mismatch(kCalLayout, lay, cal.detector_layout);
    }
    {
      Handle m(H5Dopen2(file_, kMask, H5P_DEFAULT), H5Dclose);
      std::vector<std::uint8_t> stored(layout_.det_ny * layout_.det_nx);
      if (m.id < 0 || H5Dread(m.id, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, stored.data()) < 0)
        throw InputError(f, 0, kMask, "cannot be read");
      for (size_t i = 0; i < stored.size(); ++i) {
        const bool want = !mask.empty() && mask[i];
        if ((stored[i] != 0) != want) mismatch("mask", "pixel " + std::to_string(i) + (stored[i] ? " masked" : " valid"),
                                               want ? "masked" : "valid");
      }
    }
    if (!layout_.phases.empty()) {
      fraction_ = H5Dopen2(file_, (std::string(kTruthFractionGroup) + "/data").c_str(), H5P_DEFAULT);
      thickness_ = H5Dopen2(file_, (std::string(kTruthThicknessGroup) + "/data").c_str(), H5P_DEFAULT);
      if (fraction_ < 0 || thickness_ < 0) throw InputError(f, 0, kTruthFractionGroup, "missing ground-truth maps");
    }
    done_ds_ = H5Dopen2(file_, kPositionsDone, H5P_DEFAULT);
    if (done_ds_ < 0 || H5Dread(done_ds_, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, done_.data()) < 0)
      throw InputError(f, 0, kPositionsDone, "cannot be read");
    n_done_ = 0;
    for (auto& d : done_) {
      d = d ? 1 : 0;
      n_done_ += d;
    }
    // Reopened for writing: it is not complete until finish() says so again.
    attr_int(st.id, "complete", 0);
  } catch (...) {
    close_handles();
    throw;
  }
}

bool Data4DWriter::done(size_t iy, size_t ix) const {
  if (iy >= layout_.scan_ny || ix >= layout_.scan_nx)
    throw std::out_of_range("Data4DWriter: scan position (" + std::to_string(iy) + ", " + std::to_string(ix) +
                            ") outside the " + std::to_string(layout_.scan_ny) + "×" +
                            std::to_string(layout_.scan_nx) + " scan");
  return done_[iy * layout_.scan_nx + ix] != 0;
}

void Data4DWriter::write(size_t iy, size_t ix, const std::vector<std::uint32_t>& counts,
                         const std::vector<float>* expected, const PositionTruth* truth) {
  if (file_ < 0) throw std::logic_error("Data4DWriter: write after finish()");
  const bool was_done = done(iy, ix);  // range check
  const size_t npx = layout_.det_ny * layout_.det_nx;
  if (counts.size() != npx)
    throw std::invalid_argument("Data4DWriter: pattern has " + std::to_string(counts.size()) + " pixels, expected " +
                                std::to_string(npx));
  if (layout_.with_expected && (!expected || expected->size() != npx))
    throw std::invalid_argument("Data4DWriter: the expected intensity (" + std::to_string(npx) +
                                " values) is required by the layout");
  const size_t np = layout_.phases.size();
  if (np && (!truth || truth->phase_fraction.size() != np || truth->thickness_A.size() != np))
    throw std::invalid_argument("Data4DWriter: ground truth with " + std::to_string(np) +
                                " phase fractions and thicknesses is required by the layout");
  hsize_t off[4] = {iy, ix, 0, 0}, cnt[4] = {1, 1, layout_.det_ny, layout_.det_nx};
  auto write_slab = [&](hid_t ds, hid_t mem_type, const void* data, int rank, const char* what) {
    Handle fs(H5Dget_space(ds), H5Sclose);
    check(H5Sselect_hyperslab(fs.id, H5S_SELECT_SET, off, nullptr, cnt, nullptr), "selecting");
    Handle ms(H5Screate_simple(rank, cnt, nullptr), H5Sclose);
    check(H5Dwrite(ds, mem_type, ms.id, fs.id, H5P_DEFAULT, data), std::string("writing ") + what + " to " + partial_);
  };
  if (layout_.counts == CountType::UInt16) {
    for (size_t i = 0; i < npx; ++i) {
      if (counts[i] > std::numeric_limits<std::uint16_t>::max())
        throw std::invalid_argument("Data4DWriter: count " + std::to_string(counts[i]) + " at pixel (" +
                                    std::to_string(i / layout_.det_nx) + ", " + std::to_string(i % layout_.det_nx) +
                                    ") does not fit in uint16; use uint32 counts");
      buf16_[i] = static_cast<std::uint16_t>(counts[i]);
    }
    write_slab(counts_, H5T_NATIVE_UINT16, buf16_.data(), 4, "counts");
  } else {
    write_slab(counts_, H5T_NATIVE_UINT32, counts.data(), 4, "counts");
  }
  if (layout_.with_expected) write_slab(expected_, H5T_NATIVE_FLOAT, expected->data(), 4, "expected intensity");
  if (np) {
    cnt[2] = np;
    write_slab(fraction_, H5T_NATIVE_DOUBLE, truth->phase_fraction.data(), 3, "phase fractions");
    write_slab(thickness_, H5T_NATIVE_DOUBLE, truth->thickness_A.data(), 3, "thicknesses");
  }
  // Mark done only after the data are written.
  cnt[0] = cnt[1] = 1;
  const std::uint8_t one = 1;
  write_slab(done_ds_, H5T_NATIVE_UINT8, &one, 2, "the done bitmap");
  if (!was_done) {
    done_[iy * layout_.scan_nx + ix] = 1;
    ++n_done_;
  }
  if (++since_flush_ >= options_.flush_every) {
    check(H5Fflush(file_, H5F_SCOPE_LOCAL), "flushing " + partial_);
    since_flush_ = 0;
  }
}

void Data4DWriter::finish() {
  if (file_ < 0) throw std::logic_error("Data4DWriter: finish() called twice");
  if (n_done_ != n_total())
    throw std::logic_error("Data4DWriter: cannot finish " + path_ + ": " + std::to_string(n_total() - n_done_) +
                           " of " + std::to_string(n_total()) + " scan positions are not written");
  {
    Handle st(H5Gopen2(file_, data4d::kStatusGroup, H5P_DEFAULT), H5Gclose);
    attr_int(st.id, "complete", 1);
  }
  for (hid_t* h : {&counts_, &expected_, &done_ds_, &fraction_, &thickness_}) {
    if (*h >= 0) H5Dclose(*h);
    *h = -1;
  }
  const herr_t st = H5Fclose(file_);
  file_ = -1;
  check(st, "closing " + partial_);
  std::error_code ec;
  std::filesystem::rename(partial_, path_, ec);
  if (ec) throw std::runtime_error(path_ + ": cannot move the finished file into place: " + ec.message());
  finished_ = true;
}

size_t Data4DWriter::buffer_bytes() const {
  return done_.capacity() + buf16_.capacity() * sizeof(std::uint16_t);
}

}  // namespace sedpdf
