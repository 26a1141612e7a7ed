// sedpdf/structures/neighbors_impl.hpp — template members of NeighborSearch (included by neighbors.hpp).
//
// Pairs are found by walking bin *offsets* d (not distinct bins) from a home bin h: the target bin is
// (h + d) mod n and the lattice shift is floor((h + d) / n) along each periodic axis, so each periodic
// image of a bin is a different offset and, when several images of one atom lie within r_max
// (allow_images with a cell smaller than 2 r_max), each of them is visited once. Visiting only the
// zero offset (with slot j > slot i) and the lexicographically positive offsets sees every unordered
// pair once: the reverse pair {j, i-image} sits at offset −d.
#pragma once
#include <cmath>

#include "sedpdf/structures/neighbors.hpp"

namespace sedpdf {

inline bool NeighborSearch::target_of(const int home[3], const Offset& o, size_t& bin,
                                      Vec3& shift) const {
  int t[3];
  int sh[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    const int x = home[k] + o.d[k];
    if (periodic_[k]) {
      // floor division: the image the offset reaches
      sh[k] = x >= 0 ? x / nbins_[k] : -((-x + nbins_[k] - 1) / nbins_[k]);
      t[k] = x - sh[k] * nbins_[k];
    } else {
      if (x < 0 || x >= nbins_[k]) return false;
      t[k] = x;
    }
  }
  bin = static_cast<size_t>(t[0]) +
        static_cast<size_t>(nbins_[0]) * (static_cast<size_t>(t[1]) + static_cast<size_t>(nbins_[1]) * t[2]);
  shift = lattice_[0] * sh[0] + lattice_[1] * sh[1] + lattice_[2] * sh[2];
  return true;
}

template <bool Slots, class F>
void NeighborSearch::visit_offset(const int home[3], const Offset& o, bool half, F&& f) const {
  size_t tbin = 0;
  Vec3 shift;
  if (!target_of(home, o, tbin, shift)) return;
  const size_t hbin = static_cast<size_t>(home[0]) +
                      static_cast<size_t>(nbins_[0]) *
                          (static_cast<size_t>(home[1]) + static_cast<size_t>(nbins_[1]) * home[2]);
  const uint32_t i0 = bin_start_[hbin], i1 = bin_start_[hbin + 1];
  const uint32_t j0 = bin_start_[tbin], j1 = bin_start_[tbin + 1];
  if (i0 == i1 || j0 == j1) return;
  const bool zero = o.d[0] == 0 && o.d[1] == 0 && o.d[2] == 0;
  const double r2max = r_max2_;
  const double* px = px_.data();
  const double* py = py_.data();
  const double* pz = pz_.data();
  // Candidates are tested in blocks and the hits compacted into a stack buffer without branches
  // (about a third of the candidates pass, so a branch per candidate would mispredict often), then
  // handed to f. (A separate vectorisable distance pass measured slower: bench_partial_pdf.)
  constexpr uint32_t kBlock = 128;
  uint32_t hit[kBlock];
  double hit_r2[kBlock];
  for (uint32_t si = i0; si < i1; ++si) {
    // i seen from the shifted target bin: d = (r_j + shift) − r_i = r_j − (r_i − shift)
    const double xi = px[si] - shift.x, yi = py[si] - shift.y, zi = pz[si] - shift.z;
    const size_t i = Slots ? si : order_[si];
    const uint32_t jstart = zero && half ? si + 1 : j0;
    for (uint32_t b0 = jstart; b0 < j1; b0 += kBlock) {
      const uint32_t b1 = j1 - b0 < kBlock ? j1 : b0 + kBlock;
      uint32_t nhit = 0;
      for (uint32_t sj = b0; sj < b1; ++sj) {
        const double dx = px[sj] - xi, dy = py[sj] - yi, dz = pz[sj] - zi;
        const double r2 = dx * dx + dy * dy + dz * dz;
        hit[nhit] = sj;
        hit_r2[nhit] = r2;
        // r2 > 0 drops the atom itself (zero offset, half == false) and exactly coincident atoms
        nhit += static_cast<uint32_t>((r2 <= r2max) & (r2 > 0.0));
      }
      for (uint32_t h = 0; h < nhit; ++h) {
        const uint32_t sj = hit[h];
        f(i, static_cast<size_t>(Slots ? sj : order_[sj]), Vec3(px[sj] - xi, py[sj] - yi, pz[sj] - zi),
          hit_r2[h]);
      }
    }
  }
}

template <class F>
void NeighborSearch::for_each_pair_in_bin(size_t bin, F&& f) const {
  if (bin_start_[bin] == bin_start_[bin + 1]) return;
  int home[3];
  bin_coords(bin, home);
  for (const Offset& o : half_offsets_) visit_offset<false>(home, o, true, f);
}

template <class F>
void NeighborSearch::for_each_slot_pair_in_bin(size_t bin, F&& f) const {
  if (bin_start_[bin] == bin_start_[bin + 1]) return;
  int home[3];
  bin_coords(bin, home);
  for (const Offset& o : half_offsets_) visit_offset<true>(home, o, true, f);
}

}  // namespace sedpdf
