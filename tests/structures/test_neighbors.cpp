// NeighborSearch against a brute-force loop over pairs and lattice shifts.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "sedpdf/structures/neighbors.hpp"

using namespace sedpdf;

namespace {

struct PairRec {
  size_t i, j;  // i <= j
  double r;
  bool operator<(const PairRec& o) const { return std::tie(i, j, r) < std::tie(o.i, o.j, o.r); }
};

Structure random_structure(const Cell& cell, size_t n, uint64_t seed, double open_extent = 20.0) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Structure s;
  s.title = "random";
  s.cell = cell;
  for (size_t i = 0; i < n; ++i) {
    Atom a;
    a.element = Element::from_z(6);
    if (cell.has_vectors()) {
      // some atoms outside the cell on purpose (periodic axes must wrap them)
      Fractional f(u(rng) * 1.4 - 0.2, u(rng) * 1.4 - 0.2, u(rng) * 1.4 - 0.2);
      for (int k = 0; k < 3; ++k)
        if (!cell.periodic(k)) f[k] = u(rng);
      a.pos = cell.orthogonalize(f);
    } else {
      a.pos = Position(u(rng) * open_extent, u(rng) * open_extent, u(rng) * open_extent);
    }
    s.atoms.push_back(a);
  }
  return s;
}

// Every unordered pair {i, j-image} with 0 < r <= r_max, by explicit loops over lattice shifts.
std::vector<PairRec> brute_force(const Structure& s, double r_max) {
  const Cell& c = s.cell;
  const bool has = c.has_vectors();
  const Mat33 m = has ? c.matrix() : Mat33();
  const Mat33 inv = has ? m.inverse() : Mat33();
  int K[3];
  for (int k = 0; k < 3; ++k)
    K[k] = has && c.periodic(k) ? static_cast<int>(std::ceil(r_max / c.perpendicular_width(k))) + 1 : 0;
  std::vector<PairRec> out;
  for (size_t i = 0; i < s.size(); ++i)
    for (size_t j = i; j < s.size(); ++j) {
      Vec3 df = inv * (s.atoms[j].pos - s.atoms[i].pos);
      for (int k = 0; k < 3; ++k)
        if (K[k]) df[k] -= std::round(df[k]);
      for (int a = -K[0]; a <= K[0]; ++a)
        for (int b = -K[1]; b <= K[1]; ++b)
          for (int cc = -K[2]; cc <= K[2]; ++cc) {
            if (i == j && !(a > 0 || (a == 0 && (b > 0 || (b == 0 && cc > 0))))) continue;
            const double r = (m * Vec3(df.x + a, df.y + b, df.z + cc)).length();
            if (r > 0 && r <= r_max) out.push_back({i, j, r});
          }
    }
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<PairRec> searched(const Structure& s, double r_max, bool images) {
  NeighborSearch ns(s, NeighborOptions{r_max, images});
  const Cell& c = s.cell;
  const Mat33 inv = c.has_vectors() ? c.matrix().inverse() : Mat33();
  std::vector<PairRec> out;
  size_t bad_d = 0;
  ns.for_each_pair([&](size_t i, size_t j, const Vec3& d, double r2) {
    // d must be r_j − r_i plus a lattice vector (along periodic axes only) and |d|² = r2
    const Vec3 lf = inv * (d - (s.atoms[j].pos - s.atoms[i].pos));
    for (int k = 0; k < 3; ++k) {
      const bool per = c.has_vectors() && c.periodic(k);
      const double expect = per ? std::round(lf[k]) : 0.0;
      if (std::abs(lf[k] - expect) > 1e-9) ++bad_d;
    }
    if (std::abs(d.length_sq() - r2) > 1e-9 * (1 + r2)) ++bad_d;
    out.push_back({std::min(i, j), std::max(i, j), std::sqrt(r2)});
  });
  EXPECT_EQ(bad_d, 0u);
  std::sort(out.begin(), out.end());
  return out;
}

void expect_same_pairs(const Structure& s, double r_max, bool images) {
  const auto ref = brute_force(s, r_max);
  const auto got = searched(s, r_max, images);
  ASSERT_EQ(got.size(), ref.size()) << "r_max " << r_max << " images " << images;
  size_t mismatches = 0;
  for (size_t k = 0; k < ref.size(); ++k)
    if (got[k].i != ref[k].i || got[k].j != ref[k].j || std::abs(got[k].r - ref[k].r) > 1e-9)
      ++mismatches;
  EXPECT_EQ(mismatches, 0u);
  // neighbors_of for a few atoms: every j-image around i (both directions of each pair)
  NeighborSearch ns(s, NeighborOptions{r_max, images});
  for (size_t i : {size_t(0), s.size() / 2, s.size() - 1}) {
    std::vector<double> want;
    for (const auto& p : ref)
      if (p.i == i || p.j == i) want.push_back(p.r);
    // self-image pairs are stored once per ± pair but i sees both images
    for (const auto& p : ref)
      if (p.i == i && p.j == i) want.push_back(p.r);
    std::sort(want.begin(), want.end());
    const auto nb = ns.neighbors_of(i);
    ASSERT_EQ(nb.size(), want.size()) << "atom " << i;
    for (size_t k = 0; k < nb.size(); ++k) {
      EXPECT_NEAR(nb[k].r, want[k], 1e-9);
      EXPECT_NEAR(nb[k].d.length(), nb[k].r, 1e-9);
    }
  }
}

}  // namespace

TEST(NeighborSearch, OrthorhombicMatchesBruteForce) {
  const Structure s = random_structure(Cell::orthorhombic(17, 19, 23), 300, 11);
  expect_same_pairs(s, 8.0, false);
  expect_same_pairs(s, 8.5, false);   // exactly the minimum-image radius
  expect_same_pairs(s, 2.0, false);   // many bins
  expect_same_pairs(s, 13.0, true);   // beyond the minimum-image radius
}

TEST(NeighborSearch, TriclinicMatchesBruteForce) {
  // strongly sheared cell: b leans 42° over a, c leans over both
  const Cell cell = Cell::from_vectors(Vec3(12, 0, 0), Vec3(9, 10, 0), Vec3(-7, 5, 11));
  const Structure s = random_structure(cell, 250, 12);
  const double rmi = cell.minimum_image_radius();
  expect_same_pairs(s, 0.95 * rmi, false);
  expect_same_pairs(s, 0.3 * rmi, false);
  expect_same_pairs(s, 9.0, true);
  const Cell cell2 = Cell::from_parameters(14, 15, 16, 62, 118, 128);
  const Structure s2 = random_structure(cell2, 250, 13);
  expect_same_pairs(s2, 0.9 * cell2.minimum_image_radius(), false);
  expect_same_pairs(s2, 11.0, true);
}

TEST(NeighborSearch, CellMuchSmallerThanCutoff) {
  // 3 atoms in a ~3 Å triclinic cell, r_max = 10 Å: every image visited exactly once
  const Cell cell = Cell::from_parameters(2.9, 3.1, 3.3, 75, 100, 110);
  const Structure s = random_structure(cell, 3, 14);
  expect_same_pairs(s, 10.0, true);
  // a single atom: only its own images
  Structure one = random_structure(Cell::orthorhombic(2.5, 2.5, 2.5), 1, 15);
  expect_same_pairs(one, 6.0, true);
  // simple cubic lattice, a = 2.5 Å: 6 neighbours at a, 12 at a√2, 8 at a√3, 6 at 2a
  NeighborSearch ns(one, NeighborOptions{5.0 + 1e-9, true});
  const auto nb = ns.neighbors_of(0);
  ASSERT_EQ(nb.size(), 6u + 12u + 8u + 6u);
  EXPECT_NEAR(nb[0].r, 2.5, 1e-12);
  EXPECT_NEAR(nb[6].r, 2.5 * std::sqrt(2.0), 1e-12);
  EXPECT_NEAR(nb.back().r, 5.0, 1e-12);
}

TEST(NeighborSearch, OpenDirectionsMatchBruteForce) {
  Structure cluster = random_structure(Cell(), 300, 16, 25.0);
  expect_same_pairs(cluster, 6.0, false);
  expect_same_pairs(cluster, 60.0, false);  // everything within range
  const Cell slab = Cell::from_vectors(Vec3(15, 0, 0), Vec3(4, 14, 0), Vec3(1, 2, 30), {true, true, false});
  Structure s = random_structure(slab, 300, 17);
  expect_same_pairs(s, 6.5, false);
  expect_same_pairs(s, 12.0, true);
}

TEST(NeighborSearch, MinimumImageLimit) {
  const Structure s = random_structure(Cell::orthorhombic(10, 12, 14), 20, 18);
  try {
    NeighborSearch ns(s, NeighborOptions{5.5, false});
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find("5.5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("minimum-image radius 5"), std::string::npos) << msg;
    EXPECT_NE(msg.find("allow_images"), std::string::npos) << msg;
  }
  EXPECT_NO_THROW(NeighborSearch(s, NeighborOptions{5.0, false}));
  EXPECT_NO_THROW(NeighborSearch(s, NeighborOptions{5.5, true}));
  EXPECT_THROW(NeighborSearch(s, NeighborOptions{0.0, false}), std::invalid_argument);
  EXPECT_THROW(NeighborSearch(s, NeighborOptions{std::nan(""), true}), std::invalid_argument);
}

TEST(NeighborSearch, EmptyAndBinsPartitionPairs) {
  Structure empty;
  empty.cell = Cell::orthorhombic(10, 10, 10);
  NeighborSearch ns0(empty, NeighborOptions{3.0, false});
  size_t count = 0;
  ns0.for_each_pair([&](size_t, size_t, const Vec3&, double) { ++count; });
  EXPECT_EQ(count, 0u);
  // Summing per-bin visits gives the same pairs as for_each_pair (what parallel callers rely on).
  const Structure s = random_structure(Cell::orthorhombic(20, 20, 20), 500, 19);
  NeighborSearch ns(s, NeighborOptions{6.0, false});
  EXPECT_GT(ns.bin_count(), 1u);
  size_t total = 0, per_bin = 0;
  ns.for_each_pair([&](size_t, size_t, const Vec3&, double) { ++total; });
  for (size_t b = 0; b < ns.bin_count(); ++b)
    ns.for_each_pair_in_bin(b, [&](size_t, size_t, const Vec3&, double) { ++per_bin; });
  EXPECT_EQ(total, per_bin);
  EXPECT_EQ(total, brute_force(s, 6.0).size());
  // the slot variant visits the same pairs, with slots mapped to atoms by slot_atoms()
  const auto& atom_of = ns.slot_atoms();
  ASSERT_EQ(atom_of.size(), s.size());
  std::vector<PairRec> by_atom, by_slot;
  ns.for_each_pair([&](size_t i, size_t j, const Vec3&, double r2) {
    by_atom.push_back({std::min(i, j), std::max(i, j), r2});
  });
  for (size_t b = 0; b < ns.bin_count(); ++b)
    ns.for_each_slot_pair_in_bin(b, [&](size_t si, size_t sj, const Vec3&, double r2) {
      const size_t i = atom_of[si], j = atom_of[sj];
      by_slot.push_back({std::min(i, j), std::max(i, j), r2});
    });
  std::sort(by_atom.begin(), by_atom.end());
  std::sort(by_slot.begin(), by_slot.end());
  ASSERT_EQ(by_atom.size(), by_slot.size());
  for (size_t k = 0; k < by_atom.size(); ++k) {
    EXPECT_EQ(by_atom[k].i, by_slot[k].i);
    EXPECT_EQ(by_atom[k].j, by_slot[k].j);
    EXPECT_EQ(by_atom[k].r, by_slot[k].r);
  }
}
