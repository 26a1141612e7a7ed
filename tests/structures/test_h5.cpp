// HDF5 writer and reader: round trips of N-D data, hyperslabs, integer conversion, attributes, errors.
#include <gtest/gtest.h>
#include <hdf5.h>

#include <cstdint>
#include <filesystem>
#include <fstream>

#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

TEST(H5, NdRoundTripSlabsAndAttributes) {
  const fs::path p = fs::temp_directory_path() / "sedpdf_test_h5_nd.h5";
  std::vector<double> v(3 * 4 * 5);
  for (size_t i = 0; i < v.size(); ++i) v[i] = 0.5 * static_cast<double>(i);
  {
    H5Writer w(p.string());
    w.group("/g");
    w.dataset_nd("/g/cube", v, {3, 4, 5}, "Å⁻²", {1, 4, 5});
    w.attribute("/g", "title", std::string("cube ü"));
    w.attribute("/g/cube", "step_A", 0.25);
    w.close();
  }
  H5Reader r(p.string());
  EXPECT_TRUE(r.exists("/g/cube"));
  EXPECT_FALSE(r.exists("/g/nope/deeper"));
  EXPECT_EQ(r.shape("/g/cube"), (std::vector<size_t>{3, 4, 5}));
  EXPECT_EQ(r.read("/g/cube"), v);
  const auto slab = r.read_slab("/g/cube", {1, 2, 3}, {2, 1, 2});
  ASSERT_EQ(slab.size(), 4u);
  EXPECT_DOUBLE_EQ(slab[0], v[1 * 20 + 2 * 5 + 3]);
  EXPECT_DOUBLE_EQ(slab[3], v[2 * 20 + 2 * 5 + 4]);
  EXPECT_EQ(r.attribute_string("/g", "title"), "cube ü");
  EXPECT_EQ(r.attribute_string("/g/cube", "units"), "Å⁻²");
  EXPECT_DOUBLE_EQ(r.attribute_double("/g/cube", "step_A"), 0.25);
  EXPECT_THROW(r.read_slab("/g/cube", {2, 0, 0}, {2, 1, 1}), InputError);
  EXPECT_THROW(r.shape("/missing"), InputError);
  EXPECT_THROW(r.attribute_double("/g", "title"), InputError);
}

TEST(H5, IntegerDatasetsReadAsDouble) {
  const fs::path p = fs::temp_directory_path() / "sedpdf_test_h5_int.h5";
  const std::vector<uint16_t> counts{0, 1, 65535, 7};
  {
    hid_t f = H5Fcreate(p.string().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hsize_t d[2] = {2, 2};
    hid_t sp = H5Screate_simple(2, d, nullptr);
    hid_t ds = H5Dcreate2(f, "/counts", H5T_STD_U16LE, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Dwrite(ds, H5T_NATIVE_UINT16, H5S_ALL, H5S_ALL, H5P_DEFAULT, counts.data());
    H5Dclose(ds);
    H5Sclose(sp);
    H5Fclose(f);
  }
  H5Reader r(p.string());
  EXPECT_EQ(r.type_class("/counts"), "integer");
  EXPECT_EQ(r.read("/counts"), (std::vector<double>{0, 1, 65535, 7}));
}

TEST(H5, NotAnHdf5FileIsNamed) {
  const fs::path p = fs::temp_directory_path() / "sedpdf_test_h5_garbage.h5";
  { std::ofstream(p) << "garbage"; }
  try {
    H5Reader r(p.string());
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sedpdf_test_h5_garbage.h5"), std::string::npos);
  }
}
