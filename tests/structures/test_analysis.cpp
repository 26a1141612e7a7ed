// Local-structure analysis against geometry known in closed form.
#include <gtest/gtest.h>

#include <cmath>

#include "fixtures/lattices.hpp"
#include "sedpdf/structures/analysis.hpp"

using namespace sedpdf;

namespace {

double fraction_near(const Histogram& h, double x, double tol) {
  double in = 0, all = 0;
  for (size_t k = 0; k < h.counts.size(); ++k) {
    const double c = h.lo + (static_cast<double>(k) + 0.5) * h.width;
    all += h.counts[k];
    if (std::abs(c - x) <= tol) in += h.counts[k];
  }
  return in / all;
}

}  // namespace

TEST(Analysis, FccCoordinationBondLengthAndAngleMultiplicities) {
  const double a = 3.615;
  const Structure s = test_fixtures::fcc(a, 3, 0.0, 1, "Cu");
  LocalStructureOptions opt;
  opt.cutoffs.set(Element::parse("Cu"), Element::parse("Cu"), 0.5 * (a / std::sqrt(2.0) + a));
  const LocalStructure ls = analyse_local_structure(s, opt);
  ASSERT_EQ(ls.coordination.size(), 1u);
  EXPECT_DOUBLE_EQ(ls.coordination[0].mean, 12.0);
  ASSERT_EQ(ls.coordination[0].histogram.size(), 13u);
  EXPECT_DOUBLE_EQ(ls.coordination[0].histogram[12], 1.0);
  ASSERT_EQ(ls.bonds.size(), 1u);
  EXPECT_EQ(ls.bonds[0].lengths.n, s.size() * 6);  // 12 bonds per atom, each shared by two atoms
  EXPECT_NEAR(ls.bonds[0].lengths.mean, a / std::sqrt(2.0), 1e-9);
  EXPECT_NEAR(ls.bonds[0].lengths.stddev, 0.0, 1e-6);
  // Of the 66 angles at each atom: 24 at 60°, 12 at 90°, 24 at 120°, 6 at 180°.
  ASSERT_EQ(ls.angles.size(), 1u);
  const Histogram& h = ls.angles[0].angles;
  EXPECT_EQ(h.n, s.size() * 66);
  EXPECT_NEAR(fraction_near(h, 60, 0.6), 24.0 / 66, 1e-12);
  EXPECT_NEAR(fraction_near(h, 90, 0.6), 12.0 / 66, 1e-12);
  EXPECT_NEAR(fraction_near(h, 120, 0.6), 24.0 / 66, 1e-12);
  EXPECT_NEAR(fraction_near(h, 179.5, 0.6), 6.0 / 66, 1e-12);
}

TEST(Analysis, MethaneClusterTetrahedralAngle) {
  Structure s;  // no cell: a finite molecule
  const double d = 1.09 / std::sqrt(3.0);
  Atom c;
  c.element = Element::parse("C");
  s.atoms.push_back(c);
  const double v[4][3] = {{1, 1, 1}, {1, -1, -1}, {-1, 1, -1}, {-1, -1, 1}};
  for (const auto& p : v) {
    Atom h;
    h.element = Element::parse("H");
    h.pos = Position(p[0] * d, p[1] * d, p[2] * d);
    s.atoms.push_back(h);
  }
  const LocalStructure ls = analyse_local_structure(s);
  bool seen = false;
  for (const auto& cs : ls.coordination)
    if (cs.centre.symbol() == "C" && cs.neighbor.symbol() == "H") {
      EXPECT_DOUBLE_EQ(cs.mean, 4.0);
      seen = true;
    }
  EXPECT_TRUE(seen);
  ASSERT_EQ(ls.angles.size(), 1u);  // H–C–H only: no H–H bonds by rule
  EXPECT_NEAR(ls.angles[0].angles.mean, std::acos(-1.0 / 3.0) * 180 / 3.14159265358979323846, 1e-9);
  EXPECT_EQ(ls.angles[0].angles.n, 6u);
}

TEST(Analysis, BondAcrossThePeriodicBoundaryOfATriclinicCell) {
  Structure s;
  s.cell = Cell::from_parameters(8, 9, 10, 70, 80, 100);
  Atom zn, n;
  zn.element = Element::parse("Zn");
  n.element = Element::parse("N");
  zn.pos = s.cell.orthogonalize(Fractional(0.01, 0.5, 0.5));
  const Vec3 bond = Vec3(-1.99, 0, 0);  // across the a face
  n.pos = s.cell.wrap(Position(zn.pos + bond));
  s.atoms = {zn, n};
  const LocalStructure ls = analyse_local_structure(s);
  ASSERT_EQ(ls.bonds.size(), 1u);
  EXPECT_NEAR(ls.bonds[0].lengths.mean, 1.99, 1e-9);
}

TEST(Analysis, DefaultCutoffRules) {
  const BondCutoffs c;
  // 1.2 × (1.22 + 0.71) from Cordero et al. 2008
  EXPECT_NEAR(c.get(Element::parse("Zn"), Element::parse("N")), 1.2 * 1.93, 1e-12);
  EXPECT_EQ(c.get(Element::parse("Na"), Element::parse("P")), 0.0);  // two cations
  EXPECT_EQ(c.get(Element::parse("H"), Element::parse("H")), 0.0);
  EXPECT_GT(c.get(Element::parse("P"), Element::parse("O")), 1.62);  // bridging P–O ≈ 1.60 Å is a bond
}

TEST(Analysis, CutoffSpecParsingAndErrors) {
  const BondCutoffs c = BondCutoffs::parse("Zn-N=2.5, P-O=1.9");
  EXPECT_DOUBLE_EQ(c.get(Element::parse("N"), Element::parse("Zn")), 2.5);
  EXPECT_DOUBLE_EQ(c.get(Element::parse("O"), Element::parse("P")), 1.9);
  EXPECT_THROW(BondCutoffs::parse("Zn-N"), std::invalid_argument);
  EXPECT_THROW(BondCutoffs::parse("Zn-N=abc"), std::invalid_argument);
  EXPECT_THROW(BondCutoffs::parse("Zn-Qq=2"), std::invalid_argument);
  EXPECT_THROW(BondCutoffs::parse("Zn-N=-1"), std::invalid_argument);
}

TEST(Structure, DensityCompositionAndUB) {
  Structure s = test_fixtures::fcc(3.615, 2, 0.0, 1, "Cu");
  // 32 Cu in (7.23 Å)³: ρ = 32 × 63.546 / (N_A × 377.9 Å³ × 1e-24) = 8.93 g/cm³ (copper's density)
  EXPECT_NEAR(s.mass_density_g_cm3(), 32 * 63.546 / (kAvogadro * std::pow(7.23, 3) * 1e-24), 1e-9);
  EXPECT_NEAR(s.mass_density_g_cm3(), 8.93, 0.01);
  EXPECT_NEAR(s.number_density(), 4 / std::pow(3.615, 3), 1e-12);
  EXPECT_EQ(s.formula(), "Cu32");
  EXPECT_NEAR(b_from_u(u_from_b(1.234)), 1.234, 1e-14);
  EXPECT_NEAR(b_from_u(1.0), 8 * M_PI * M_PI, 1e-12);
  Structure cluster;
  cluster.atoms = s.atoms;
  EXPECT_THROW(cluster.number_density(), std::invalid_argument);
}

TEST(Cell, MinimumImageOfASkewedCellIsTheShortestVector) {
  const Cell c = Cell::from_parameters(5, 6, 7, 60, 70, 110);
  const Vec3 d(3.1, -2.7, 4.4);
  const Vec3 mi = c.minimum_image(d);
  double best = 1e9;
  for (int i = -3; i <= 3; ++i)
    for (int j = -3; j <= 3; ++j)
      for (int k = -3; k <= 3; ++k)
        best = std::min(best, (d + c.vector(0) * i + c.vector(1) * j + c.vector(2) * k).length());
  EXPECT_NEAR(mi.length(), best, 1e-12);
  EXPECT_THROW(Cell::from_parameters(5, 6, 7, 90, 90, 180), std::invalid_argument);
  EXPECT_THROW(Cell::from_vectors({1, 0, 0}, {0, 1, 0}, {1, 1, 0}), std::invalid_argument);   // zero volume
  EXPECT_THROW(Cell::from_vectors({1, 0, 0}, {0, 1, 0}, {0, 0, -1}), std::invalid_argument);  // left-handed
}
