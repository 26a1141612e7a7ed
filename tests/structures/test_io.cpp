// Tests for the structure readers and writers (sedpdf/structures/io.hpp).
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>
#include <string>

#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/io.hpp"

namespace fs = std::filesystem;
using namespace sedpdf;

namespace {

const std::string kData = std::string(SEDPDF_TEST_DATA) + "/structures/";
const std::string kRepoData = std::string(SEDPDF_REPO_DATA) + "/structures/";

/// A fresh, empty directory per test.
class IoTest : public ::testing::Test {
 protected:
  void SetUp() override {
    const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
    dir_ = fs::temp_directory_path() / ("sedpdf_test_io_" + std::string(info->name()) + "_" +
                                        std::to_string(static_cast<long>(::getpid())));
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

/// Random atoms inside the cell, fixed seed; U, occupancy, phase and charge set on every atom.
Structure random_structure(const Cell& cell, size_t n, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u01(0.0, 1.0);
  const char* symbols[] = {"Zn", "C", "N", "H", "O", "P"};
  Structure s;
  s.title = "round trip \"test\" structure";
  s.cell = cell;
  for (size_t i = 0; i < n; ++i) {
    Atom a;
    a.element = Element::parse(symbols[i % 6]);
    a.pos = cell.orthogonalize(Fractional(0.02 + 0.96 * u01(rng), 0.02 + 0.96 * u01(rng), 0.02 + 0.96 * u01(rng)));
    a.occupancy = 0.5 + 0.5 * u01(rng);
    a.u_iso = 0.005 + 0.03 * u01(rng);
    a.phase = static_cast<int>(i % 3);
    a.charge = u01(rng) - 0.5;
    s.atoms.push_back(a);
  }
  return s;
}

void expect_same_cell(const Cell& a, const Cell& b) {
  ASSERT_EQ(a.has_vectors(), b.has_vectors());
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(a.periodic(i), b.periodic(i)) << "axis " << i;
    for (int k = 0; k < 3; ++k) EXPECT_NEAR(a.vector(i)[k], b.vector(i)[k], 1e-8) << "vector " << i << " comp " << k;
  }
}

struct Carried {
  bool occupancy = false, u_iso = false, phase = false, charge = false, molecule = false;
};

void expect_same_atoms(const Structure& a, const Structure& b, Carried c) {
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    const Atom &x = a.atoms[i], &y = b.atoms[i];
    EXPECT_EQ(x.element, y.element) << "atom " << i;
    EXPECT_LT((x.pos - y.pos).length(), 1e-6) << "atom " << i;
    if (c.occupancy) {
      EXPECT_NEAR(x.occupancy, y.occupancy, 1e-9) << "atom " << i;
    }
    if (c.u_iso) {
      EXPECT_NEAR(x.u_iso, y.u_iso, 1e-9) << "atom " << i;
    }
    if (c.phase) {
      EXPECT_EQ(x.phase, y.phase) << "atom " << i;
    }
    if (c.charge) {
      EXPECT_NEAR(x.charge, y.charge, 1e-9) << "atom " << i;
    }
    if (c.molecule) {
      EXPECT_EQ(x.molecule, y.molecule) << "atom " << i;
    }
  }
}

/// Runs `f`, expects an InputError whose message names `file` and each of `parts` (line, field).
template <typename F>
void expect_input_error(F&& f, const std::string& file, std::initializer_list<std::string> parts) {
  try {
    f();
    ADD_FAILURE() << "no InputError thrown for " << file;
  } catch (const InputError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(file), std::string::npos) << msg;
    for (const auto& p : parts) EXPECT_NE(msg.find(p), std::string::npos) << "'" << p << "' not in: " << msg;
  } catch (const std::exception& e) {
    ADD_FAILURE() << "wrong exception type: " << e.what();
  }
}

const Cell kOrtho = Cell::orthorhombic(10.1, 11.2, 12.3);
const Cell kTriclinic = Cell::from_parameters(9.0, 10.0, 11.0, 80.0, 95.0, 105.0);

}  // namespace

// ---- round trips ----------------------------------------------------------------------------------------

TEST_F(IoTest, ExtXyzRoundTripOrthorhombicAndTriclinic) {
  for (const Cell& cell : {kOrtho, kTriclinic}) {
    const Structure s = random_structure(cell, 40, 7);
    write_structure(s, path("a.extxyz"));
    const Structure r = read_structure(path("a.extxyz"));
    EXPECT_EQ(r.title, s.title);
    expect_same_cell(s.cell, r.cell);
    expect_same_atoms(s, r, {true, true, true, true, false});
  }
}

TEST_F(IoTest, ExtXyzRoundTripClusterAndPartialPeriodicity) {
  Structure s = random_structure(kOrtho, 12, 3);
  for (Atom& a : s.atoms) { a.phase = -1; a.charge = 0; }
  Structure cluster = s;
  cluster.cell = Cell();
  write_structure(cluster, path("c.xyz"));
  std::ifstream in(path("c.xyz"));
  std::string l1, l2;
  std::getline(in, l1);
  std::getline(in, l2);
  EXPECT_EQ(l2.find("Lattice"), std::string::npos) << l2;
  EXPECT_EQ(l2.find("phase"), std::string::npos) << l2;   // no phase column when no phase is set
  EXPECT_EQ(l2.find("charge"), std::string::npos) << l2;  // nor a charge column without charges
  Structure r = read_structure(path("c.xyz"));
  EXPECT_FALSE(r.cell.has_vectors());
  expect_same_atoms(cluster, r, {true, true, true, false, false});

  Structure slab = s;
  slab.cell.set_periodic({true, true, false});
  write_structure(slab, path("slab.extxyz"));
  r = read_structure(path("slab.extxyz"));
  expect_same_cell(slab.cell, r.cell);
  EXPECT_FALSE(r.cell.periodic(2));
}

TEST_F(IoTest, CifRoundTripOrthorhombicAndTriclinic) {
  for (const Cell& cell : {kOrtho, kTriclinic}) {
    Structure s = random_structure(cell, 30, 11);
    write_structure(s, path("a.cif"));
    const Structure r = read_structure(path("a.cif"));
    expect_same_cell(s.cell, r.cell);
    expect_same_atoms(s, r, {true, true, false, false, false});
  }
}

TEST_F(IoTest, LammpsRoundTripAllStyles) {
  for (const Cell& cell : {kOrtho, kTriclinic}) {
    Structure s = random_structure(cell, 30, 5);
    for (size_t i = 0; i < s.size(); ++i) {
      s.atoms[i].occupancy = 1.0;
      s.atoms[i].molecule = static_cast<int>(i / 4 + 1);
    }
    for (LammpsAtomStyle st : {LammpsAtomStyle::Atomic, LammpsAtomStyle::Charge, LammpsAtomStyle::Full}) {
      write_structure(s, path("a.data"), StructureFormat::Auto, st);
      const Structure r = read_structure(path("a.data"));
      EXPECT_EQ(r.title, s.title);
      expect_same_cell(s.cell, r.cell);
      expect_same_atoms(s, r, {false, false, false, st != LammpsAtomStyle::Atomic, st == LammpsAtomStyle::Full});
    }
  }
}

TEST_F(IoTest, LammpsWriterRotatesIntoRestrictedTriclinic) {
  // The triclinic cell in a general orientation: rotate by 30° about (1, 2, 3)/√14 (Rodrigues' formula).
  const Vec3 k = Vec3{1, 2, 3} / std::sqrt(14.0);
  const double th = 30 * kPi / 180;
  auto rot = [&](const Vec3& v) { return v * std::cos(th) + k.cross(v) * std::sin(th) + k * (k.dot(v) * (1 - std::cos(th))); };
  const Cell general = Cell::from_vectors(rot(kTriclinic.vector(0)), rot(kTriclinic.vector(1)), rot(kTriclinic.vector(2)));
  Structure s = random_structure(general, 25, 9);
  for (Atom& a : s.atoms) a.occupancy = 1.0;
  write_structure(s, path("rot.lmp"));
  const Structure r = read_structure(path("rot.lmp"));
  // The cell comes back in LAMMPS's orientation (a ∥ x, b in xy), which is kTriclinic's.
  expect_same_cell(kTriclinic, r.cell);
  ASSERT_EQ(r.size(), s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const Fractional f0 = s.cell.fractionalize(s.atoms[i].pos), f1 = r.cell.fractionalize(r.atoms[i].pos);
    EXPECT_LT((f0 - f1).length(), 1e-9) << "atom " << i;
  }
  // Interatomic distances are unchanged by the rotation.
  EXPECT_NEAR(s.cell.distance(s.atoms[0].pos, s.atoms[1].pos), r.cell.distance(r.atoms[0].pos, r.atoms[1].pos), 1e-6);
}

TEST_F(IoTest, PrismaticRoundTripAndURms) {
  Structure s = random_structure(kOrtho, 30, 13);
  write_structure(s, path("a.prismatic"));
  const Structure r = read_structure(path("a.prismatic"));
  EXPECT_EQ(r.title, s.title);
  expect_same_cell(s.cell, r.cell);
  expect_same_atoms(s, r, {true, true, false, false, false});
  // The file carries u_rms = sqrt(U).
  std::ifstream in(path("a.prismatic"));
  std::string line;
  std::getline(in, line);
  std::getline(in, line);
  std::getline(in, line);
  std::istringstream ls(line);
  double z, x, y, zz, occ, urms;
  ls >> z >> x >> y >> zz >> occ >> urms;
  EXPECT_EQ(static_cast<int>(z), s.atoms[0].element.z());
  EXPECT_NEAR(urms, std::sqrt(s.atoms[0].u_iso), 1e-10);
  // A .xyz whose second line is "a b c" is detected as prismatic on reading.
  fs::copy_file(path("a.prismatic"), path("p.xyz"));
  EXPECT_EQ(format_from_path(path("p.xyz")), StructureFormat::PrismaticXyz);
  EXPECT_EQ(read_structure(path("p.xyz")).size(), s.size());
}

TEST(IoFormat, NamesAndExtensions) {
  EXPECT_EQ(format_from_path("x/a.extxyz"), StructureFormat::ExtXyz);
  EXPECT_EQ(format_from_path("x/does_not_exist.xyz"), StructureFormat::ExtXyz);
  EXPECT_EQ(format_from_path("A.CIF"), StructureFormat::Cif);
  EXPECT_EQ(format_from_path("a.lmp"), StructureFormat::LammpsData);
  EXPECT_EQ(format_from_path("a.data"), StructureFormat::LammpsData);
  EXPECT_EQ(format_from_path("a.pxyz"), StructureFormat::PrismaticXyz);
  EXPECT_THROW(format_from_path("a.pdb"), InputError);
  for (StructureFormat f : {StructureFormat::ExtXyz, StructureFormat::Cif, StructureFormat::LammpsData,
                            StructureFormat::PrismaticXyz})
    EXPECT_EQ(parse_format_name(format_name(f)), f);
  EXPECT_THROW(parse_format_name("pdb"), InputError);
}

// ---- extended XYZ details -------------------------------------------------------------------------------

TEST(ExtXyz, CommentLineQuotingPbcAndExtraColumns) {
  std::istringstream in(
      "2\n"
      "pbc=\"T T F\" Properties=species:S:1:pos:R:3:tag:I:1:biso:R:1:name:S:1 "
      "comment=\"has spaces and = signs\" Lattice=\"5 0 0 0 6 0 0 0 7\" title=\"a \\\"quoted\\\" title\" flag\n"
      "Zn 1 2 3 7 1.5 foo\n"
      "o  0.5 0.5 0.5 8 0.0 bar\n");
  const Structure s = read_extxyz(in, "mem.extxyz");
  EXPECT_EQ(s.title, "a \"quoted\" title");
  EXPECT_TRUE(s.cell.periodic(0));
  EXPECT_TRUE(s.cell.periodic(1));
  EXPECT_FALSE(s.cell.periodic(2));
  EXPECT_NEAR(s.cell.volume(), 210.0, 1e-9);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s.atoms[1].element.symbol(), "O");
  EXPECT_NEAR(s.atoms[0].pos.z, 3.0, 1e-12);
  EXPECT_NEAR(s.atoms[0].u_iso, 1.5 / (8 * kPi * kPi), 1e-12);  // B = 8π²U
}

// ---- bundled structures ---------------------------------------------------------------------------------

TEST(BundledStructures, AgZif4Rmc) {
  const Structure s = read_structure(kRepoData + "agZIF-4_RMC_Castel2023.extxyz");
  EXPECT_EQ(s.size(), 8704u);
  ASSERT_TRUE(s.cell.is_orthorhombic());
  const auto p = s.cell.parameters();
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(p[i], 47.5225, 1e-9);
  EXPECT_NEAR(s.atoms[0].u_iso, 1.0 / (8 * kPi * kPi), 1e-12);  // biso 1.0 Å²
  EXPECT_NEAR(s.total_occupancy(), 8704.0, 1e-9);
}

TEST(BundledStructures, Zif62Extxyz) {
  const Structure s = read_structure(kRepoData + "ZIF-62_DFT_Widmer2019.extxyz");
  EXPECT_EQ(s.size(), 296u);
  EXPECT_NEAR(s.cell.parameters()[2], 18.2073, 1e-9);
}

TEST(BundledStructures, ZifCifs) {
  // Both are P1 CIFs; the atom_site loops list 272 (Zn16 C96 H96 N64) and 544 sites.
  const Structure z4 = read_structure(kRepoData + "ZIF-4_DFT_Widmer2019.cif");
  EXPECT_EQ(z4.size(), 272u);
  EXPECT_EQ(z4.formula(), "C96 H96 N64 Zn16");
  EXPECT_NEAR(z4.cell.parameters()[1], 18.26952, 1e-9);
  const Structure zni = read_structure(kRepoData + "ZIF-zni_DFT_Widmer2019.cif");
  EXPECT_EQ(zni.size(), 544u);
  EXPECT_EQ(zni.formula(), "C192 H192 N128 Zn32");
}

// ---- CIF symmetry ---------------------------------------------------------------------------------------

TEST(CifSymmetry, NaClExpandsToEightAtoms) {
  const Structure s = read_structure(kData + "NaCl_Fm-3m.cif");
  ASSERT_EQ(s.size(), 8u);
  const double a = 5.6402;
  EXPECT_NEAR(s.cell.volume(), a * a * a, 1e-9);
  size_t n_na = 0;
  double min_nacl = 1e9, min_nana = 1e9;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s.atoms[i].element.symbol() == "Na") ++n_na;
    EXPECT_NEAR(s.atoms[i].u_iso, s.atoms[i].element.symbol() == "Na" ? 1.5 / (8 * kPi * kPi) : 1.2 / (8 * kPi * kPi), 1e-12);
    for (size_t j = i + 1; j < s.size(); ++j) {
      const double d = s.cell.distance(s.atoms[i].pos, s.atoms[j].pos);
      if (s.atoms[i].element != s.atoms[j].element) min_nacl = std::min(min_nacl, d);
      else if (s.atoms[i].element.symbol() == "Na") min_nana = std::min(min_nana, d);
    }
  }
  EXPECT_EQ(n_na, 4u);
  EXPECT_NEAR(min_nacl, a / 2, 1e-9);
  EXPECT_NEAR(min_nana, a / std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(s.number_density(), 8 / (a * a * a), 1e-12);
}

TEST(CifSymmetry, TriclinicSymopLoopLabelsAndDisplacements) {
  const Structure s = read_structure(kData + "triclinic_P-1.cif");
  ASSERT_EQ(s.size(), 4u);
  const Cell ref = Cell::from_parameters(7.1, 8.2, 9.3, 78.0, 96.5, 104.0);
  expect_same_cell(ref, s.cell);
  // Sites in file order, each followed by its inversion image, wrapped into [0, 1).
  EXPECT_EQ(s.atoms[0].element.symbol(), "Zn");  // type symbol "Zn2+"
  EXPECT_EQ(s.atoms[0].label, "Zn1");
  EXPECT_NEAR(s.atoms[0].u_iso, 0.015, 1e-12);
  EXPECT_NEAR(s.atoms[2].occupancy, 0.5, 1e-12);
  EXPECT_NEAR(s.atoms[2].u_iso, 2.0 / (8 * kPi * kPi), 1e-12);
  const Fractional f = s.cell.fractionalize(s.atoms[1].pos);
  EXPECT_NEAR(f.x, 0.88, 1e-9);
  EXPECT_NEAR(f.y, 0.77, 1e-9);
  EXPECT_NEAR(f.z, 0.66, 1e-9);
}

TEST(CifSymmetry, SpaceGroupFromNumberOrHallAndUeqFromAniso) {
  // Im-3m (No. 229): 2a (0,0,0) has 2 positions and 8c (1/4,1/4,1/4) 8 in the conventional cell
  // (International Tables Vol. A, space group 229). The same group by number and by Hall symbol.
  const std::string head = "data_t\n_cell_length_a 5\n_cell_length_b 5\n_cell_length_c 5\n";
  const std::string sites =
      "loop_\n_atom_site_label\n_atom_site_fract_x\n_atom_site_fract_y\n_atom_site_fract_z\n"
      "Zn1 0 0 0\nO1 0.25 0.25 0.25\n"
      "loop_\n_atom_site_aniso_label\n_atom_site_aniso_U_11\n_atom_site_aniso_U_22\n_atom_site_aniso_U_33\n"
      "_atom_site_aniso_U_12\n_atom_site_aniso_U_13\n_atom_site_aniso_U_23\nO1 0.01 0.02 0.03 0.005 0 0\n";
  for (const std::string sg : {"_space_group_IT_number 229\n", "_space_group_name_Hall '-I 4 2 3'\n"}) {
    const Structure s = read_cif_string(head + sg + sites, "mem.cif");
    EXPECT_EQ(s.formula(), "O8 Zn2") << sg;
    // Cubic cell: U_eq = (U11 + U22 + U33) / 3; off-diagonal terms do not contribute.
    for (const Atom& a : s.atoms) EXPECT_NEAR(a.u_iso, a.element.symbol() == "O" ? 0.02 : 0.0, 1e-12);
  }
}

// ---- bad input: InputError naming file, line and field --------------------------------------------------

TEST(BadInput, ExtXyzUnknownElement) {
  const std::string f = kData + "bad_unknown_element.extxyz";
  expect_input_error([&] { read_structure(f); }, f, {":4:", "species", "Xx"});
}

TEST(BadInput, ExtXyzLatticeWithEightNumbers) {
  const std::string f = kData + "bad_lattice_8_numbers.extxyz";
  expect_input_error([&] { read_structure(f); }, f, {":2:", "Lattice", "9 numbers"});
}

TEST(BadInput, ExtXyzPropertiesWithoutPos) {
  const std::string f = kData + "bad_no_pos.extxyz";
  expect_input_error([&] { read_structure(f); }, f, {":2:", "Properties", "pos"});
}

TEST(BadInput, ExtXyzFewerAtomLinesThanCount) {
  const std::string f = kData + "bad_truncated.extxyz";
  expect_input_error([&] { read_structure(f); }, f, {":5:", "atoms", "expected 4"});
}

TEST(BadInput, ExtXyzZeroVolumeCell) {
  const std::string f = kData + "bad_coplanar_cell.extxyz";
  expect_input_error([&] { read_structure(f); }, f, {":2:", "Lattice", "zero"});
}

TEST(BadInput, ExtXyzNegativeVolumeCell) {
  const std::string f = kData + "bad_left_handed_cell.extxyz";
  expect_input_error([&] { read_structure(f); }, f, {":2:", "Lattice", "negative"});
}

TEST(BadInput, ExtXyzNanCoordinate) {
  const std::string f = kData + "bad_nan_coordinate.extxyz";
  expect_input_error([&] { read_structure(f); }, f, {":4:", "pos", "not finite"});
}

TEST(BadInput, CifWithoutCell) {
  const std::string f = kData + "bad_no_cell.cif";
  expect_input_error([&] { read_structure(f); }, f, {":1:", "_cell_length_a"});
}

TEST(BadInput, LammpsWithoutMasses) {
  const std::string f = kData + "bad_no_masses.data";
  expect_input_error([&] { read_structure(f); }, f, {":10:", "Masses"});
}

TEST(BadInput, MissingFile) {
  expect_input_error([&] { read_structure(kData + "no_such_file.extxyz"); }, "no_such_file.extxyz", {"cannot open"});
}

// ---- LAMMPS details -------------------------------------------------------------------------------------

TEST(Lammps, ElementsFromMassesAndInferredStyle) {
  // No style hint (7 columns -> full), elements by nearest standard atomic weight and by comment, an
  // origin away from zero, image flags, atoms out of ID order, and a Velocities section to skip.
  std::istringstream in(
      "test\n\n3 atoms\n3 atom types\n2 bonds\n-1.0 9.0 xlo xhi\n0.0 10.0 ylo yhi\n0.0 10.0 zlo zhi\n"
      "1.0 0.5 -0.5 xy xz yz\n\n"
      "Masses\n\n1 65.38\n2 14.007 # N\n3 15.999 # O_water\n\n"
      "Atoms\n\n3 1 3 -0.8 1.0 2.0 3.0 0 0 1\n1 1 1 2.0 0.0 0.0 0.0 0 0 0\n2 1 2 -1.2 4.0 5.0 6.0 0 0 0\n\n"
      "Velocities\n\n1 0 0 0\n2 0 0 0\n3 0 0 0\n\nBonds\n\n1 1 1 2\n2 1 1 3\n");
  const Structure s = read_lammps_data(in, "mem.data");
  ASSERT_EQ(s.size(), 3u);
  EXPECT_EQ(s.atoms[0].element.symbol(), "Zn");
  EXPECT_EQ(s.atoms[1].element.symbol(), "N");
  EXPECT_EQ(s.atoms[2].element.symbol(), "O");
  EXPECT_NEAR(s.atoms[0].charge, 2.0, 1e-12);
  EXPECT_EQ(s.atoms[2].molecule, 1);
  // x shifted by -xlo = +1; the third atom unwrapped by one c vector (xz, yz, lz) = (0.5, -0.5, 10).
  EXPECT_NEAR(s.atoms[0].pos.x, 1.0, 1e-12);
  EXPECT_NEAR(s.atoms[2].pos.x, 1.0 + 1.0 + 0.5, 1e-12);
  EXPECT_NEAR(s.atoms[2].pos.y, 2.0 - 0.5, 1e-12);
  EXPECT_NEAR(s.atoms[2].pos.z, 3.0 + 10.0, 1e-12);
  EXPECT_NEAR(s.cell.vector(1).x, 1.0, 1e-12);
}

TEST(Lammps, UnknownMassIsAnError) {
  std::istringstream in(
      "test\n\n1 atoms\n1 atom types\n0 10 xlo xhi\n0 10 ylo yhi\n0 10 zlo zhi\n\nMasses\n\n1 15.035\n\n"
      "Atoms # atomic\n\n1 1 0 0 0\n");
  expect_input_error([&] { read_lammps_data(in, "mem.data"); }, "mem.data", {":11:", "Masses", "15.035"});
}

// ---- failed writes leave nothing behind -----------------------------------------------------------------

TEST_F(IoTest, FailedWriteLeavesNoFile) {
  const Structure s = random_structure(kTriclinic, 5, 1);
  const std::string dest = path("out.prismatic");
  try {
    write_structure(s, dest);
    ADD_FAILURE() << "prismatic writer accepted a triclinic cell";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("alpha=80"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(dest));
  EXPECT_TRUE(fs::is_empty(dir_));  // no temporary file either

  // An existing destination is left as it was.
  { std::ofstream(dest) << "previous content\n"; }
  EXPECT_THROW(write_structure(s, dest), std::invalid_argument);
  std::ifstream in(dest);
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "previous content\n");
  EXPECT_EQ(std::distance(fs::directory_iterator(dir_), fs::directory_iterator()), 1);

  // A NaN position is refused by every writer before anything is written.
  Structure bad = random_structure(kOrtho, 3, 2);
  bad.atoms[1].pos.y = std::nan("");
  for (const char* name : {"bad.extxyz", "bad.cif", "bad.data", "bad.pxyz"}) {
    EXPECT_THROW(write_structure(bad, path(name)), std::invalid_argument) << name;
    EXPECT_FALSE(fs::exists(path(name))) << name;
  }
}
