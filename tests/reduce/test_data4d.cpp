// 4D-STEM data files: the streamed writer (simulate/data4d_writer.hpp) and the reader
// (reduce/data4d.hpp) — round trip with calibration, resume after an interruption, completeness,
// foreign (py4DSTEM-like) files written here with the HDF5 C API, bad input, bounded buffers.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "sedpdf/reduce/data4d.hpp"
#include "sedpdf/simulate/data4d_writer.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("sedpdf_test_data4d_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

// Deterministic pattern content (independent of the code under test).
std::uint32_t value(size_t iy, size_t ix, size_t p) { return static_cast<std::uint32_t>((iy * 7 + ix * 13 + p * 3) % 50); }

std::vector<std::uint32_t> pattern(const Data4DLayout& L, size_t iy, size_t ix) {
  std::vector<std::uint32_t> v(L.det_ny * L.det_nx);
  for (size_t p = 0; p < v.size(); ++p) v[p] = value(iy, ix, p);
  return v;
}

Data4DLayout small_layout() {
  Data4DLayout L;
  L.scan_ny = 3;
  L.scan_nx = 4;
  L.det_ny = 16;
  L.det_nx = 20;
  L.counts = CountType::UInt16;
  return L;
}

Data4DCalibration calibration() {
  Data4DCalibration c;
  c.energy_eV = 200e3;
  c.wavelength_A = electron_wavelength(200e3);
  c.ds_per_px = 0.011;
  c.centre_x_px = 9.5;
  c.centre_y_px = 7.25;
  c.convergence_mrad = 0.6;
  c.dose_e_per_A2 = 10;
  c.scan_step_x_A = 55;
  c.scan_step_y_A = 55;
  c.detector_layout = "custom";
  return c;
}

std::vector<std::uint8_t> gap_mask(const Data4DLayout& L) {
  std::vector<std::uint8_t> m(L.det_ny * L.det_nx, 0);
  for (size_t i = 0; i < L.det_ny; ++i) m[i * L.det_nx + 10] = 1;  // a gap column
  return m;
}

// h5 helpers for foreign files.
void write_dataset(hid_t loc, const std::string& name, hid_t type, const std::vector<hsize_t>& dims, const void* data,
                   hid_t mem_type) {
  hid_t sp = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t ds = H5Dcreate2(loc, name.c_str(), type, sp, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  ASSERT_GE(ds, 0) << name;
  if (data) H5Dwrite(ds, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data);
  H5Dclose(ds);
  H5Pclose(lcpl);
  H5Sclose(sp);
}

// A variable-length string attribute, as h5py writes them.
void vlen_attr(hid_t file, const std::string& obj, const std::string& name, const std::string& value) {
  hid_t ty = H5Tcopy(H5T_C_S1);
  H5Tset_size(ty, H5T_VARIABLE);
  hid_t sp = H5Screate(H5S_SCALAR);
  hid_t a = H5Acreate_by_name(file, obj.c_str(), name.c_str(), ty, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  const char* p = value.c_str();
  H5Awrite(a, ty, &p);
  H5Aclose(a);
  H5Sclose(sp);
  H5Tclose(ty);
}

void emd_dim(hid_t file, const std::string& path, const std::vector<double>& v, const std::string& name,
             const std::string& units) {
  write_dataset(file, path, H5T_IEEE_F64LE, {v.size()}, v.data(), H5T_NATIVE_DOUBLE);
  vlen_attr(file, path, "name", name);
  vlen_attr(file, path, "units", units);
}

// A py4DSTEM / emdfile-like file: /experiment/datacube_0/{data, dim1..dim4}, float32 intensities,
// chunked (1, 1, Q, Q), detector axes in A^-1 crossing zero at pixel (cy, cx), scan axes in nm.
void write_py4dstem_like(const std::string& path, size_t ny, size_t nx, size_t qy, size_t qx, bool with_dims,
                         double dq = 0.02, double cy = 5, double cx = 6) {
  hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
  hid_t g = H5Gcreate2(f, "/experiment", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(g);
  g = H5Gcreate2(f, "/experiment/datacube_0", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
  H5Gclose(g);
  hsize_t dims[4] = {ny, nx, qy, qx}, chunk[4] = {1, 1, qy, qx};
  hid_t sp = H5Screate_simple(4, dims, nullptr);
  hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
  H5Pset_chunk(dcpl, 4, chunk);
  H5Pset_deflate(dcpl, 1);
  hid_t ds = H5Dcreate2(f, "/experiment/datacube_0/data", H5T_IEEE_F32LE, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
  std::vector<float> all(ny * nx * qy * qx);
  for (size_t iy = 0; iy < ny; ++iy)
    for (size_t ix = 0; ix < nx; ++ix)
      for (size_t p = 0; p < qy * qx; ++p) all[((iy * nx + ix) * qy * qx) + p] = 0.5f * static_cast<float>(value(iy, ix, p));
  H5Dwrite(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, all.data());
  H5Dclose(ds);
  H5Pclose(dcpl);
  H5Sclose(sp);
  if (with_dims) {
    auto axis = [](size_t n, double origin, double step) {
      std::vector<double> v(n);
      for (size_t i = 0; i < n; ++i) v[i] = (static_cast<double>(i) - origin) * step;
      return v;
    };
    emd_dim(f, "/experiment/datacube_0/dim1", axis(ny, 0, 2.5), "R_y", "nm");
    emd_dim(f, "/experiment/datacube_0/dim2", axis(nx, 0, 2.5), "R_x", "nm");
    emd_dim(f, "/experiment/datacube_0/dim3", axis(qy, cy, dq), "Q_y", "A^-1");
    emd_dim(f, "/experiment/datacube_0/dim4", axis(qx, cx, dq), "Q_x", "A^-1");
  }
  hid_t ver = H5Screate(H5S_SCALAR);
  int one = 1;
  hid_t a = H5Acreate2(f, "version_major", H5T_STD_I32LE, ver, H5P_DEFAULT, H5P_DEFAULT);
  H5Awrite(a, H5T_NATIVE_INT, &one);
  H5Aclose(a);
  H5Sclose(ver);
  H5Fclose(f);
}

Data4DInput input(const std::string& path, const std::string& dataset = "") {
  Data4DInput in;
  in.path = path;
  in.dataset = dataset;
  return in;
}

}  // namespace

TEST(Data4D, RoundTripWithCalibrationMaskTruthAndEmdLayout) {
  const fs::path dir = temp_dir("roundtrip");
  const std::string path = (dir / "scan.h5").string();
  Data4DLayout L = small_layout();
  L.with_expected = true;
  L.phases = {"agZIF-62", "phosphate"};
  Data4DWriterOptions opt;
  opt.config_hash = config_fingerprint("seed = 1");
  opt.parameters = {{"seed", "1"}, {"dose_e_per_A2", "10"}};
  {
    Data4DWriter w(path, L, calibration(), gap_mask(L), opt);
    EXPECT_FALSE(w.resumed());
    EXPECT_TRUE(fs::exists(path + ".partial"));
    for (size_t iy = 0; iy < L.scan_ny; ++iy)
      for (size_t ix = 0; ix < L.scan_nx; ++ix) {
        const auto c = pattern(L, iy, ix);
        std::vector<float> e(c.begin(), c.end());
        for (auto& x : e) x += 0.25f;
        const double f = static_cast<double>(ix) / 3.0;
        PositionTruth t{{f, 1 - f}, {100.0 * f, 100.0 * (1 - f) + static_cast<double>(iy)}};
        w.write(iy, ix, c, &e, &t);
      }
    EXPECT_FALSE(fs::exists(path));  // not before finish()
    w.finish();
  }
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".partial"));

  Data4DReader r(input(path));
  EXPECT_TRUE(r.is_sedpdf_file());
  EXPECT_EQ(r.element_type(), "uint16");
  EXPECT_EQ(r.scan_ny(), 3u);
  EXPECT_EQ(r.scan_nx(), 4u);
  EXPECT_EQ(r.det_ny(), 16u);
  EXPECT_EQ(r.det_nx(), 20u);
  const Data4DCalibration c = calibration(), rc = r.calibration();
  EXPECT_DOUBLE_EQ(rc.energy_eV, c.energy_eV);
  EXPECT_DOUBLE_EQ(rc.wavelength_A, c.wavelength_A);
  EXPECT_DOUBLE_EQ(rc.ds_per_px, 0.011);
  EXPECT_DOUBLE_EQ(rc.centre_x_px, 9.5);
  EXPECT_DOUBLE_EQ(rc.centre_y_px, 7.25);
  EXPECT_DOUBLE_EQ(rc.convergence_mrad, 0.6);
  EXPECT_DOUBLE_EQ(rc.dose_e_per_A2, 10);
  EXPECT_DOUBLE_EQ(rc.scan_step_x_A, 55);
  EXPECT_EQ(rc.detector_layout, "custom");
  EXPECT_EQ(r.calibration_source(data4d::kCalDs), "file");
  EXPECT_EQ(r.mask(), gap_mask(L));
  std::vector<double> p;
  for (size_t iy = 0; iy < L.scan_ny; ++iy)
    for (size_t ix = 0; ix < L.scan_nx; ++ix) {
      r.read_pattern(iy, ix, p);
      const auto want = pattern(L, iy, ix);
      ASSERT_EQ(p.size(), want.size());
      for (size_t k = 0; k < p.size(); ++k) ASSERT_EQ(p[k], want[k]) << iy << "," << ix << "," << k;
    }
  // Binning: the 2 × 2 block sum, and a block clipped at the scan edge.
  std::vector<double> sum;
  EXPECT_EQ(r.sum_block(1, 2, 2, 2, sum), 4u);
  EXPECT_EQ(sum[17], double(value(1, 2, 17) + value(1, 3, 17) + value(2, 2, 17) + value(2, 3, 17)));
  EXPECT_EQ(r.sum_block(2, 3, 2, 2, sum), 1u);
  EXPECT_EQ(sum[5], double(value(2, 3, 5)));

  const GroundTruthMaps gt = r.ground_truth();
  ASSERT_EQ(gt.phases, L.phases);
  ASSERT_EQ(gt.phase_fraction.size(), 3u * 4 * 2);
  EXPECT_DOUBLE_EQ(gt.phase_fraction[(1 * 4 + 3) * 2 + 0], 1.0);
  EXPECT_DOUBLE_EQ(gt.thickness_A[(2 * 4 + 0) * 2 + 1], 102.0);
  const auto params = r.parameters();
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[0].first, "dose_e_per_A2");

  // The EMD 1.0 layout other readers rely on, checked with the generic reader.
  H5Reader h(path);
  EXPECT_EQ(h.attribute_double("/", "version_major"), 1);
  EXPECT_EQ(h.attribute_double("/", "version_minor"), 0);
  EXPECT_EQ(h.attribute_double("/data/counts", "emd_group_type"), 1);
  EXPECT_EQ(h.shape("/data/counts/data"), (std::vector<size_t>{3, 4, 16, 20}));
  EXPECT_EQ(h.attribute_string("/data/counts/dim4", "units"), "1/Å");
  const auto dim4 = h.read("/data/counts/dim4");
  EXPECT_NEAR(dim4[0], -9.5 * 0.011, 1e-15);
  EXPECT_NEAR(dim4[1] - dim4[0], 0.011, 1e-15);
  EXPECT_EQ(h.attribute_string("/data/counts/dim1", "units"), "Å");
  EXPECT_NEAR(h.read("/data/counts/dim1")[2], 110, 1e-12);
  const auto expected = h.read_slab("/data/expected/data", {2, 1, 0, 0}, {1, 1, 1, 3});
  EXPECT_FLOAT_EQ(static_cast<float>(expected[2]), static_cast<float>(value(2, 1, 2)) + 0.25f);
  {  // one pattern per chunk, compressed
    hid_t f = H5Fopen(path.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT);
    hid_t ds = H5Dopen2(f, "/data/counts/data", H5P_DEFAULT);
    hid_t dcpl = H5Dget_create_plist(ds);
    hsize_t ch[4];
    ASSERT_EQ(H5Pget_chunk(dcpl, 4, ch), 4);
    EXPECT_EQ(ch[0], 1u);
    EXPECT_EQ(ch[1], 1u);
    EXPECT_EQ(ch[2], 16u);
    EXPECT_EQ(ch[3], 20u);
    EXPECT_GE(H5Pget_nfilters(dcpl), 2);
    H5Pclose(dcpl);
    H5Dclose(ds);
    H5Fclose(f);
  }
}

TEST(Data4D, ResumeSkipsFinishedPositionsAndInterruptedFilesNeverReadComplete) {
  const fs::path dir = temp_dir("resume");
  const std::string path = (dir / "scan.h5").string();
  const Data4DLayout L = small_layout();
  Data4DWriterOptions opt;
  opt.config_hash = config_fingerprint("dose = 10");
  size_t computed = 0;
  auto compute = [&](size_t iy, size_t ix) {
    ++computed;
    return pattern(L, iy, ix);
  };
  {  // first run: 5 of 12 positions, then "killed" (writer destroyed without finish)
    Data4DWriter w(path, L, calibration(), gap_mask(L), opt);
    size_t n = 0;
    for (size_t iy = 0; iy < L.scan_ny && n < 5; ++iy)
      for (size_t ix = 0; ix < L.scan_nx && n < 5; ++ix, ++n) w.write(iy, ix, compute(iy, ix));
    EXPECT_THROW(w.finish(), std::logic_error);
  }
  EXPECT_EQ(computed, 5u);
  EXPECT_FALSE(fs::exists(path));
  ASSERT_TRUE(fs::exists(path + ".partial"));

  // The partial file — even renamed to look final — never reads as complete.
  fs::copy_file(path + ".partial", dir / "renamed.h5");
  try {
    Data4DReader r(input((dir / "renamed.h5").string()));
    FAIL() << "an incomplete file was accepted";
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("incomplete"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("5 of 12"), std::string::npos) << e.what();
  }
  // Nor through a user-named dataset.
  EXPECT_THROW(Data4DReader(input(path + ".partial", "/data/counts/data")), InputError);

  // Resume with a different configuration: refused, naming the field.
  {
    Data4DWriterOptions other = opt;
    other.config_hash = config_fingerprint("dose = 20");
    try {
      Data4DWriter w(path, L, calibration(), gap_mask(L), other);
      FAIL() << "resumed with another configuration";
    } catch (const InputError& e) {
      EXPECT_EQ(e.field(), "config_hash");
    }
    Data4DCalibration c = calibration();
    c.ds_per_px = 0.012;
    try {
      Data4DWriter w(path, L, c, gap_mask(L), opt);
      FAIL() << "resumed with another calibration";
    } catch (const InputError& e) {
      EXPECT_EQ(e.field(), data4d::kCalDs);
    }
    EXPECT_THROW(Data4DWriter(path, L, calibration(), {}, opt), InputError);  // mask differs
  }
  {  // second run: resumes and computes only the 7 missing positions
    Data4DWriter w(path, L, calibration(), gap_mask(L), opt);
    EXPECT_TRUE(w.resumed());
    EXPECT_EQ(w.n_done(), 5u);
    for (size_t iy = 0; iy < L.scan_ny; ++iy)
      for (size_t ix = 0; ix < L.scan_nx; ++ix)
        if (!w.done(iy, ix)) w.write(iy, ix, compute(iy, ix));
    w.finish();
  }
  EXPECT_EQ(computed, 12u);
  EXPECT_FALSE(fs::exists(path + ".partial"));
  Data4DReader r(input(path));
  std::vector<double> p;
  for (size_t iy = 0; iy < L.scan_ny; ++iy)
    for (size_t ix = 0; ix < L.scan_nx; ++ix) {
      r.read_pattern(iy, ix, p);
      for (size_t k = 0; k < p.size(); ++k) ASSERT_EQ(p[k], value(iy, ix, k));
    }
  // resume = false starts over.
  Data4DWriterOptions fresh = opt;
  fresh.resume = false;
  {
    Data4DWriter w(path, L, calibration(), gap_mask(L), opt);
    EXPECT_FALSE(w.resumed());  // no partial file left: a new one
    w.write(0, 0, pattern(L, 0, 0));
  }
  Data4DWriter w2(path, L, calibration(), gap_mask(L), fresh);
  EXPECT_FALSE(w2.resumed());
  EXPECT_EQ(w2.n_done(), 0u);
}

TEST(Data4D, WriterRejectsBadPatterns) {
  const fs::path dir = temp_dir("bad_writes");
  const Data4DLayout L = small_layout();
  Data4DWriter w((dir / "x.h5").string(), L, calibration(), {}, {});
  auto c = pattern(L, 0, 0);
  c[37] = 70000;
  try {
    w.write(0, 0, c);
    FAIL();
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("70000"), std::string::npos);
  }
  EXPECT_THROW(w.write(0, 0, std::vector<std::uint32_t>(5)), std::invalid_argument);
  EXPECT_THROW(w.write(3, 0, pattern(L, 0, 0)), std::out_of_range);
  EXPECT_THROW(Data4DWriter((dir / "y.h5").string(), L, calibration(), std::vector<std::uint8_t>(7), {}),
               std::invalid_argument);
}

TEST(Data4D, ForeignPy4dstemLikeFileWithEmdDims) {
  const fs::path dir = temp_dir("foreign");
  const std::string path = (dir / "py4dstem.h5").string();
  write_py4dstem_like(path, 3, 2, 12, 14, true, 0.02, 5, 6);
  Data4DReader r(input(path, "/experiment/datacube_0/data"));
  EXPECT_FALSE(r.is_sedpdf_file());
  EXPECT_EQ(r.element_type(), "float32");
  EXPECT_EQ(r.scan_ny(), 3u);
  EXPECT_EQ(r.det_nx(), 14u);
  EXPECT_NEAR(r.calibration().ds_per_px, 0.02, 1e-12);
  EXPECT_EQ(r.calibration_source(data4d::kCalDs), "dims");
  EXPECT_NEAR(r.calibration().centre_y_px, 5, 1e-9);
  EXPECT_NEAR(r.calibration().centre_x_px, 6, 1e-9);
  EXPECT_NEAR(r.calibration().scan_step_x_A, 25, 1e-9);  // 2.5 nm
  EXPECT_TRUE(r.mask().empty());
  std::vector<double> p;
  r.read_pattern(2, 1, p);
  EXPECT_DOUBLE_EQ(p[30], 0.5 * value(2, 1, 30));
  EXPECT_TRUE(std::isnan(r.calibration().energy_eV));
  try {
    r.require(data4d::kCalEnergy, "beam.energy_keV");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_EQ(e.field(), data4d::kCalEnergy);
    EXPECT_NE(std::string(e.what()).find("beam.energy_keV"), std::string::npos);
  }
  // Configuration values override the file's.
  Data4DInput in = input(path, "/experiment/datacube_0/data");
  in.calibration.ds_per_px = 0.011;
  Data4DReader r2(in);
  EXPECT_DOUBLE_EQ(r2.calibration().ds_per_px, 0.011);
  EXPECT_EQ(r2.calibration_source(data4d::kCalDs), "config");

  // Units in 1/nm and a user mask file with the "nonzero = valid" convention.
  const std::string mpath = (dir / "mask.h5").string();
  {
    hid_t f = H5Fcreate(mpath.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<std::uint8_t> valid(12 * 14, 1);
    valid[3] = 0;
    write_dataset(f, "/mask", H5T_STD_U8LE, {12, 14}, valid.data(), H5T_NATIVE_UINT8);
    H5Fclose(f);
  }
  Data4DInput mi = input(path, "/experiment/datacube_0/data");
  mi.mask_path = mpath;
  mi.mask_dataset = "/mask";
  mi.mask_nonzero_is_masked = false;
  Data4DReader r3(mi);
  ASSERT_EQ(r3.mask().size(), 12u * 14);
  EXPECT_EQ(r3.mask()[3], 1);
  EXPECT_EQ(r3.mask()[4], 0);
  mi.mask_dataset = "/nope";
  EXPECT_THROW(Data4DReader{mi}, InputError);
}

TEST(Data4D, ForeignFileWithoutCalibrationNamesTheMissingField) {
  const fs::path dir = temp_dir("nocal");
  const std::string path = (dir / "raw.h5").string();
  write_py4dstem_like(path, 2, 2, 8, 8, false);
  Data4DReader r(input(path, "/experiment/datacube_0/data"));
  EXPECT_TRUE(std::isnan(r.calibration().ds_per_px));
  try {
    r.require(data4d::kCalDs, "detector.ds_A-1_per_px");
    FAIL();
  } catch (const InputError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find(path), std::string::npos) << m;
    EXPECT_NE(m.find(data4d::kCalDs), std::string::npos) << m;
    EXPECT_NE(m.find("detector.ds_A-1_per_px"), std::string::npos) << m;
  }
  // No dataset named and not a sedpdf file.
  EXPECT_THROW(Data4DReader(input(path)), InputError);
}

TEST(Data4D, BadInputWrongRankDtypeMissingDataset) {
  const fs::path dir = temp_dir("bad_input");
  const std::string path = (dir / "bad.h5").string();
  {
    hid_t f = H5Fcreate(path.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    std::vector<float> v(2 * 8 * 8, 1.0f);
    write_dataset(f, "/stack", H5T_IEEE_F32LE, {2, 8, 8}, v.data(), H5T_NATIVE_FLOAT);
    hid_t st = H5Tcopy(H5T_C_S1);
    H5Tset_size(st, 4);
    std::vector<char> s(2 * 2 * 2 * 2 * 4, 'a');
    write_dataset(f, "/strings", st, {2, 2, 2, 2}, s.data(), st);
    H5Tclose(st);
    H5Fclose(f);
  }
  auto message = [&](const std::string& ds) -> std::string {
    try {
      Data4DReader r(input(path, ds));
    } catch (const InputError& e) {
      return e.what();
    }
    return "";
  };
  std::string m = message("/stack");
  EXPECT_NE(m.find("rank 3"), std::string::npos) << m;
  EXPECT_NE(m.find("2×8×8"), std::string::npos) << m;
  EXPECT_NE(m.find("/stack"), std::string::npos) << m;
  m = message("/strings");
  EXPECT_NE(m.find("string"), std::string::npos) << m;
  m = message("/missing");
  EXPECT_NE(m.find("no such dataset"), std::string::npos) << m;
  EXPECT_THROW(Data4DReader(input((dir / "none.h5").string())), InputError);
}

TEST(Data4D, ReaderAndWriterBuffersDoNotGrowWithScanSize) {
  // The bytes the reader holds (frame buffer, chunk cache) and the writer's pattern buffer are the same
  // for a 2 × 2 and an 8 × 8 scan; only the writer's done bitmap (1 byte per position) grows.
  const fs::path dir = temp_dir("buffers");
  size_t reader_bytes[2], writer_pattern_bytes[2];
  const size_t sizes[2] = {2, 8};
  for (int k = 0; k < 2; ++k) {
    Data4DLayout L = small_layout();
    L.scan_ny = L.scan_nx = sizes[k];
    const std::string path = (dir / ("s" + std::to_string(k) + ".h5")).string();
    Data4DWriter w(path, L, calibration(), {}, {});
    for (size_t iy = 0; iy < L.scan_ny; ++iy)
      for (size_t ix = 0; ix < L.scan_nx; ++ix) w.write(iy, ix, pattern(L, iy, ix));
    writer_pattern_bytes[k] = w.buffer_bytes() - w.n_total();
    w.finish();
    Data4DReader r(input(path));
    std::vector<double> acc;
    for (size_t iy = 0; iy < L.scan_ny; iy += 2)
      for (size_t ix = 0; ix < L.scan_nx; ix += 2) r.sum_block(iy, ix, 2, 2, acc);
    EXPECT_EQ(r.patterns_read(), L.scan_ny * L.scan_nx);
    reader_bytes[k] = r.buffer_bytes();
  }
  EXPECT_EQ(reader_bytes[0], reader_bytes[1]);
  EXPECT_EQ(writer_pattern_bytes[0], writer_pattern_bytes[1]);
  // raw frame (uint16) + one chunk of decompression buffer + the mask (1 byte per pixel)
  EXPECT_EQ(reader_bytes[0], 2 * (16 * 20 * 2u) + 16 * 20);
}
