// Lattice structure factor and the Bragg-peak check (bragg_check.hpp): analytic cases (one atom per
// box, a simple-cubic supercell), a crystal against a disordered packing, thread independence.
#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>

#include "fixtures/lattices.hpp"
#include "fixtures/random_packing.hpp"
#include "sedpdf/simulate/bragg_check.hpp"
#include "sedpdf/structures/io.hpp"

using namespace sedpdf;

namespace {

const std::string kZif62 = std::string(SEDPDF_REPO_DATA) + "/structures/ZIF-62_DFT_Widmer2019.extxyz";

Structure supercell(const Structure& s, int n) {
  Structure t;
  t.cell = Cell::from_vectors(s.cell.vector(0) * n, s.cell.vector(1) * n, s.cell.vector(2) * n);
  for (int a = 0; a < n; ++a)
    for (int b = 0; b < n; ++b)
      for (int c = 0; c < n; ++c)
        for (Atom at : s.atoms) {
          at.pos = Position(at.pos + s.cell.vector(0) * a + s.cell.vector(1) * b + s.cell.vector(2) * c);
          t.atoms.push_back(at);
        }
  return t;
}

}  // namespace

// One atom in a box: |F|²/N = f², so S(k) = 1 at every reciprocal-lattice point.
TEST(LatticeStructureFactor, OneAtomGivesOne) {
  Structure s;
  s.cell = Cell::from_parameters(17, 19, 23, 80, 95, 100);  // triclinic on purpose
  Atom a;
  a.element = Element::parse("Zn");
  a.pos = Position(3, 4, 5);
  s.atoms.push_back(a);
  const XrayFactors xf;
  const LatticeStructureFactor sk = lattice_structure_factor(s, xf, {0.05, 0.6, 0.01, 1});
  size_t points = 0;
  for (size_t b = 0; b < sk.s.size(); ++b) {
    points += sk.n_k[b];
    if (sk.n_k[b] > 0) {
      EXPECT_NEAR(sk.S[b], 1.0, 1e-12);
    }
    EXPECT_NEAR(sk.f2_over_f_sq[b], 1.0, 1e-12);
  }
  // the number of half-space points in the shell 0.05..0.6 Å⁻¹ ≈ (4π/3)(0.6³ − 0.05³) V / 2
  const double expected = 4.0 * std::acos(-1.0) / 3.0 * (0.216 - 0.000125) * s.cell.volume() / 2;
  EXPECT_NEAR(static_cast<double>(points), expected, 0.05 * expected);
}

// Simple-cubic supercell (a = 4 Å, 5³ cells, 125 atoms): S(k) = 125 on the points of the small cell's
// reciprocal lattice and 1 − f²/f² = 0 everywhere else, so Σ_shell n_k S = 125 × (Bragg points).
TEST(LatticeStructureFactor, SimpleCubicBraggSum) {
  Structure cell;
  cell.cell = Cell::orthorhombic(4, 4, 4);
  Atom a;
  a.element = Element::parse("Cu");
  cell.atoms.push_back(a);
  const Structure s = supercell(cell, 5);
  const XrayFactors xf;
  const LatticeStructureFactor sk = lattice_structure_factor(s, xf, {0.05, 1.0, 0.01, 2});
  double sum = 0;
  for (size_t b = 0; b < sk.s.size(); ++b) sum += sk.S[b] * static_cast<double>(sk.n_k[b]);
  // Bragg points: integer (h, k, l) ≠ 0 with |(h, k, l)|/4 <= 1, i.e. h² + k² + l² <= 16, half of them
  int bragg = 0;
  for (int h = -4; h <= 4; ++h)
    for (int k = -4; k <= 4; ++k)
      for (int l = -4; l <= 4; ++l) {
        const int n2 = h * h + k * k + l * l;
        if (n2 >= 1 && n2 <= 16) ++bragg;
      }
  EXPECT_NEAR(sum, 125.0 * bragg / 2, 1e-6 * sum);
  const BraggCheck bc = check_bragg_peaks(sk);
  EXPECT_FALSE(bc.bragg_free);
}

// A crystal (the DFT ZIF-62 cell, 2×2×2) has Bragg peaks; a disordered hard-sphere packing of the same
// composition and density in a 40 Å box has none.
TEST(BraggCheck, CrystalFailsDisorderedPackingPasses) {
  const XrayFactors xf;
  const Structure crystal = supercell(read_structure(kZif62), 2);
  const BraggCheck bc = check_bragg_peaks(lattice_structure_factor(crystal, xf, {0.05, 0.6, 0.01, 0}));
  EXPECT_FALSE(bc.bragg_free);
  EXPECT_GT(bc.n_narrow, 3u);
  EXPECT_LT(bc.narrowest_fwhm, 0.02);

  const Structure glass = test_fixtures::random_packing(40.0, test_fixtures::zif_like_species(286), 5);
  const LatticeStructureFactor sk = lattice_structure_factor(glass, xf, {0.05, 0.6, 0.01, 0});
  const BraggCheck gc = check_bragg_peaks(sk);
  EXPECT_TRUE(gc.bragg_free) << "narrowest FWHM " << gc.narrowest_fwhm;
  EXPECT_GE(gc.narrowest_fwhm, 0.05);
}

TEST(LatticeStructureFactor, ThreadCountDoesNotChangeTheResult) {
  const Structure s = test_fixtures::random_packing(20.0, test_fixtures::zif_like_species(36), 9);
  const XrayFactors xf;
  const LatticeStructureFactor a = lattice_structure_factor(s, xf, {0.05, 0.8, 0.01, 1});
  const LatticeStructureFactor b = lattice_structure_factor(s, xf, {0.05, 0.8, 0.01, 2});
  ASSERT_EQ(a.S.size(), b.S.size());
  for (size_t i = 0; i < a.S.size(); ++i) {
    EXPECT_EQ(a.S[i], b.S[i]);
    EXPECT_EQ(a.n_k[i], b.n_k[i]);
  }
}

TEST(LatticeStructureFactor, BadInputThrows) {
  const XrayFactors xf;
  Structure cluster;
  Atom a;
  a.element = Element::parse("C");
  cluster.atoms.push_back(a);
  EXPECT_THROW(lattice_structure_factor(cluster, xf), std::invalid_argument);  // no cell
  Structure box = cluster;
  box.cell = Cell::orthorhombic(10, 10, 10);
  EXPECT_THROW(lattice_structure_factor(box, xf, {0.5, 0.4, 0.01, 0}), std::invalid_argument);
  EXPECT_THROW(lattice_structure_factor(box, xf, {0.05, 0.4, 0.0, 0}), std::invalid_argument);
  EXPECT_THROW(lattice_structure_factor(box, xf, {-0.1, 0.4, 0.01, 0}), std::invalid_argument);
}
