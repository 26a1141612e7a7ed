// sedpdf/structures/neighbors.hpp — pair search within a cut-off under periodic boundaries.
//
// A cell list (linked bins in fractional coordinates, Allen & Tildesley, Computer Simulation of Liquids,
// 2nd ed. 2017, §5.3) over any triclinic cell, with open (non-periodic) directions binned over the atoms'
// extent. Cost O(N) for a fixed r_max. Periodic images: by default r_max must not exceed the
// minimum-image radius (half the smallest periodic perpendicular width); with allow_images = true every
// periodic image within r_max is visited (crystals whose cell is smaller than 2 r_max), each exactly once.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

struct NeighborOptions {
  double r_max = 3.0;         ///< cut-off (Å), pairs with r <= r_max are visited
  bool allow_images = false;  ///< allow r_max beyond the minimum-image radius (multiple images)
};

struct Neighbor {
  uint32_t index;  ///< atom index j
  Vec3 d;          ///< displacement r_j(image) − r_i (Å)
  double r;        ///< |d| (Å)
};

class NeighborSearch {
 public:
  /// Throws std::invalid_argument if r_max is not positive/finite, or exceeds the minimum-image radius
  /// without allow_images (the message names both numbers). The positions are copied: `s` need not
  /// outlive the search. All const members may be called concurrently from several threads.
  NeighborSearch(const Structure& s, NeighborOptions opt);

  /// Number of home bins; pairs are partitioned by the home bin of their first atom so callers can
  /// parallelise over bins deterministically.
  size_t bin_count() const { return static_cast<size_t>(nbins_[0]) * nbins_[1] * nbins_[2]; }

  /// Visit every unordered pair {i, j-image} with 0 < r <= r_max exactly once, i in home bin `bin`:
  /// f(i, j, d, r2) with d = r_j(image) − r_i. Self-images (i == j, non-zero lattice shift) included.
  template <class F>
  void for_each_pair_in_bin(size_t bin, F&& f) const;
  /// All bins in order.
  template <class F>
  void for_each_pair(F&& f) const {
    for (size_t b = 0; b < bin_count(); ++b) for_each_pair_in_bin(b, f);
  }
  /// Atom index of each slot: the atoms sorted by home bin (stable within a bin). Callers can permute
  /// per-atom data into this order and use for_each_slot_pair_in_bin for contiguous reads.
  const std::vector<uint32_t>& slot_atoms() const { return order_; }
  /// As for_each_pair_in_bin, but f(si, sj, d, r2) receives slots (indices into slot_atoms()) instead
  /// of atom indices.
  template <class F>
  void for_each_slot_pair_in_bin(size_t bin, F&& f) const;
  /// Neighbours of atom i within r_max (all images), sorted by distance.
  std::vector<Neighbor> neighbors_of(size_t i) const;
  double r_max() const { return opt_.r_max; }

 private:
  struct Offset {
    int d[3];  // bin offset along a, b, c
  };
  NeighborOptions opt_;
  double r_max2_ = 0;                // r_max² (Å²)
  int nbins_[3] = {1, 1, 1};
  bool periodic_[3] = {false, false, false};
  Vec3 lattice_[3];                  // lattice vectors a, b, c (Å); unit vectors without a cell
  Mat33 inv_;                        // Cartesian -> fractional (identity without a cell)
  Vec3 origin_;                      // fractional origin of the bin grid (open directions)
  double fwidth_[3] = {1, 1, 1};     // fractional extent covered by the grid per axis
  std::vector<uint32_t> bin_start_;  // CSR: atoms of bin b are order_[bin_start_[b] .. bin_start_[b+1])
  std::vector<uint32_t> order_;      // atom index of each slot (atoms sorted by bin)
  std::vector<uint32_t> slot_of_;    // inverse of order_
  // Cartesian positions wrapped into the cell (periodic axes), in slot order, one array per axis so
  // the distance loop over a bin reads contiguous memory and vectorises.
  std::vector<double> px_, py_, pz_;
  std::vector<Offset> half_offsets_; // zero offset first, then lexicographically positive offsets
  std::vector<Offset> all_offsets_;  // every offset that survives pruning

  void bin_coords(size_t b, int c[3]) const {
    c[0] = static_cast<int>(b % nbins_[0]);
    c[1] = static_cast<int>((b / nbins_[0]) % nbins_[1]);
    c[2] = static_cast<int>(b / (static_cast<size_t>(nbins_[0]) * nbins_[1]));
  }
  /// Bin reached from `home` by offset `o` and the lattice shift that maps it back into the cell;
  /// false when the offset leaves the grid along an open direction.
  bool target_of(const int home[3], const Offset& o, size_t& bin, Vec3& shift) const;
  /// Pairs between the home bin and the bin at offset o; f gets slots if Slots, else atom indices.
  template <bool Slots, class F>
  void visit_offset(const int home[3], const Offset& o, bool half, F&& f) const;
};

}  // namespace sedpdf

#include "sedpdf/structures/neighbors_impl.hpp"
