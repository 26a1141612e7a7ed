// Cell-list neighbour search (Allen & Tildesley, Computer Simulation of Liquids, 2nd ed. 2017, §5.3)
// over any triclinic cell; see neighbors.hpp and neighbors_impl.hpp for the visiting rules.
#include "sedpdf/structures/neighbors.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

namespace {

// Target bin width as a fraction of r_max. Narrower bins waste less volume outside the r_max sphere
// (with offset pruning) but cost more per-offset overhead; r_max/3 was fastest for g(r) to 20 Å at
// 0.08 atoms/Å³ (bench/bench_partial_pdf.cpp, docs/performance.md).
constexpr double kBinsPerRmax = 3.0;
// Never more bins than this many per atom (plus a small floor): sparse clusters in a large
// bounding box would otherwise allocate mostly empty bins.
constexpr double kMaxBinsPerAtom = 2.0;
constexpr size_t kMinBinCap = 64;

}  // namespace

NeighborSearch::NeighborSearch(const Structure& s, NeighborOptions opt) : opt_(opt) {
  const double r_max = opt.r_max;
  if (!std::isfinite(r_max) || !(r_max > 0)) {
    std::ostringstream m;
    m << "neighbour search: r_max = " << r_max << " Å must be positive and finite";
    throw std::invalid_argument(m.str());
  }
  r_max2_ = r_max * r_max;
  const Cell& cell = s.cell;
  if (cell.any_periodic() && !cell.has_vectors())
    throw std::invalid_argument("neighbour search: structure '" + s.title +
                                "' is marked periodic but has no lattice vectors");
  if (s.atoms.size() >= std::numeric_limits<uint32_t>::max()) {
    std::ostringstream m;
    m << "neighbour search: " << s.atoms.size() << " atoms exceed the 32-bit index range";
    throw std::invalid_argument(m.str());
  }
  if (!opt.allow_images && cell.any_periodic()) {
    const double rmi = cell.minimum_image_radius();
    if (r_max > rmi) {
      std::ostringstream m;
      m << "neighbour search: r_max = " << r_max << " Å exceeds the minimum-image radius " << rmi
        << " Å of the cell (half its smallest periodic perpendicular width); use a larger cell or "
           "set allow_images = true to visit every periodic image within r_max";
      throw std::invalid_argument(m.str());
    }
  }

  const bool has_cell = cell.has_vectors();
  double width[3];  // perpendicular width of one unit of fractional coordinate (Å)
  for (int k = 0; k < 3; ++k) {
    periodic_[k] = has_cell && cell.periodic(k);
    lattice_[k] = has_cell ? cell.vector(k) : Vec3(k == 0, k == 1, k == 2);
    width[k] = has_cell ? cell.perpendicular_width(k) : 1.0;
  }
  inv_ = has_cell ? cell.matrix().inverse() : Mat33();
  const bool ortho = !has_cell || cell.is_orthorhombic();

  // Fractional coordinates, reduced into [0, 1) along periodic axes.
  const size_t n = s.atoms.size();
  std::vector<Vec3> frac(n);
  double lo[3], hi[3];
  for (int k = 0; k < 3; ++k) {
    lo[k] = std::numeric_limits<double>::infinity();
    hi[k] = -std::numeric_limits<double>::infinity();
  }
  for (size_t i = 0; i < n; ++i) {
    Vec3 f = inv_ * s.atoms[i].pos;
    for (int k = 0; k < 3; ++k) {
      if (!std::isfinite(f[k])) {
        std::ostringstream m;
        m << "neighbour search: atom " << i + 1 << " has a non-finite position";
        throw std::invalid_argument(m.str());
      }
      if (periodic_[k]) {
        f[k] -= std::floor(f[k]);
        if (f[k] >= 1.0) f[k] = 0.0;
      }
      lo[k] = std::min(lo[k], f[k]);
      hi[k] = std::max(hi[k], f[k]);
    }
    frac[i] = f;
  }
  double extent[3];  // Å, perpendicular extent covered by the grid
  for (int k = 0; k < 3; ++k) {
    if (periodic_[k] || n == 0) {
      origin_[k] = 0;
      fwidth_[k] = 1;
    } else {
      origin_[k] = lo[k];
      fwidth_[k] = hi[k] - lo[k];
    }
    extent[k] = periodic_[k] || n > 0 ? fwidth_[k] * width[k] : 0.0;
  }

  // Bin counts: n_k = max(1, floor(W_k / w)), w grown until the total stays below the cap.
  const double cap = std::max(static_cast<double>(kMinBinCap), kMaxBinsPerAtom * static_cast<double>(n));
  double w = r_max / kBinsPerRmax;
  for (;;) {
    double total = 1;
    for (int k = 0; k < 3; ++k) {
      const double nk = std::max(1.0, std::floor(extent[k] / w));
      nbins_[k] = static_cast<int>(std::min(nk, 1e6));
      total *= nbins_[k];
    }
    if (total <= cap) break;
    w *= 1.1;
  }

  // Offsets: |d_k| <= m_k with m_k = floor(r_max / h_k) + 1 (h_k the bin width along the normal to
  // the other two axes): two points whose bins differ by |d_k| are at least (|d_k| − 1) h_k apart.
  // (ceil(r_max/h_k) except when r_max is a multiple of h_k, where the pair exactly at r_max needs one
  // more.) Offsets whose smallest bin-to-bin distance exceeds r_max are pruned: exactly
  // sqrt(Σ gap_k²) for orthogonal axes, the lower bound max_k gap_k for a triclinic cell.
  int mk[3];
  double h[3];
  for (int k = 0; k < 3; ++k) {
    h[k] = extent[k] / nbins_[k];
    long m = h[k] > 0 ? static_cast<long>(std::floor(r_max / h[k] + 1e-9)) + 1 : 0;
    if (!periodic_[k]) m = std::min<long>(m, nbins_[k] - 1);
    if (m > 100000) {
      std::ostringstream msg;
      msg << "neighbour search: r_max = " << r_max << " Å spans " << m << " cell widths along axis "
          << k << " (perpendicular width " << width[k] << " Å); the cell is too small";
      throw std::invalid_argument(msg.str());
    }
    mk[k] = static_cast<int>(m);
  }
  const double prune = r_max * (1 + 1e-9) + 1e-9;
  half_offsets_.push_back(Offset{{0, 0, 0}});
  for (int a = -mk[0]; a <= mk[0]; ++a)
    for (int b = -mk[1]; b <= mk[1]; ++b)
      for (int c = -mk[2]; c <= mk[2]; ++c) {
        const int d[3] = {a, b, c};
        double g2 = 0, gmax = 0;
        for (int k = 0; k < 3; ++k) {
          const double g = std::max(0, std::abs(d[k]) - 1) * h[k];
          g2 += g * g;
          gmax = std::max(gmax, g);
        }
        const double gap = ortho ? std::sqrt(g2) : gmax;
        if (gap > prune) continue;
        const Offset o{{a, b, c}};
        all_offsets_.push_back(o);
        const bool positive = a > 0 || (a == 0 && (b > 0 || (b == 0 && c > 0)));
        if (positive) half_offsets_.push_back(o);
      }

  // Counting sort of the atoms into bins (stable: atoms keep their order within a bin).
  const size_t nb = bin_count();
  std::vector<uint32_t> bin_of(n);
  bin_start_.assign(nb + 1, 0);
  for (size_t i = 0; i < n; ++i) {
    int c[3];
    for (int k = 0; k < 3; ++k) {
      double u = (frac[i][k] - origin_[k]) / fwidth_[k];
      if (!(fwidth_[k] > 0)) u = 0;
      const int b = static_cast<int>(std::floor(u * nbins_[k]));
      c[k] = std::min(std::max(b, 0), nbins_[k] - 1);
    }
    const size_t bin = static_cast<size_t>(c[0]) +
                       static_cast<size_t>(nbins_[0]) *
                           (static_cast<size_t>(c[1]) + static_cast<size_t>(nbins_[1]) * c[2]);
    bin_of[i] = static_cast<uint32_t>(bin);
    ++bin_start_[bin + 1];
  }
  for (size_t b = 0; b < nb; ++b) bin_start_[b + 1] += bin_start_[b];
  std::vector<uint32_t> fill(bin_start_.begin(), bin_start_.end() - 1);
  order_.resize(n);
  slot_of_.resize(n);
  px_.resize(n);
  py_.resize(n);
  pz_.resize(n);
  for (size_t i = 0; i < n; ++i) {
    const uint32_t slot = fill[bin_of[i]]++;
    order_[slot] = static_cast<uint32_t>(i);
    slot_of_[i] = slot;
    const Vec3& f = frac[i];
    const Vec3 c = lattice_[0] * f.x + lattice_[1] * f.y + lattice_[2] * f.z;
    px_[slot] = c.x;
    py_[slot] = c.y;
    pz_[slot] = c.z;
  }
}

std::vector<Neighbor> NeighborSearch::neighbors_of(size_t i) const {
  if (i >= order_.size()) {
    std::ostringstream m;
    m << "neighbour search: atom index " << i << " out of range (" << order_.size() << " atoms)";
    throw std::out_of_range(m.str());
  }
  const uint32_t slot = slot_of_[i];
  // The bin holding `slot`: the last bin whose start is <= slot (empty bins share starts).
  const size_t bin = static_cast<size_t>(
      std::upper_bound(bin_start_.begin(), bin_start_.end(), slot) - bin_start_.begin() - 1);
  int home[3];
  bin_coords(bin, home);
  std::vector<Neighbor> out;
  const Vec3 xi(px_[slot], py_[slot], pz_[slot]);
  for (const Offset& o : all_offsets_) {
    size_t tbin = 0;
    Vec3 shift;
    if (!target_of(home, o, tbin, shift)) continue;
    for (uint32_t sj = bin_start_[tbin]; sj < bin_start_[tbin + 1]; ++sj) {
      const Vec3 d = Vec3(px_[sj], py_[sj], pz_[sj]) + shift - xi;
      const double r2 = d.length_sq();
      if (r2 <= r_max2_ && r2 > 0.0) out.push_back(Neighbor{order_[sj], d, std::sqrt(r2)});
    }
  }
  std::sort(out.begin(), out.end(), [](const Neighbor& a, const Neighbor& b) {
    if (a.r != b.r) return a.r < b.r;
    if (a.index != b.index) return a.index < b.index;
    if (a.d.x != b.d.x) return a.d.x < b.d.x;
    if (a.d.y != b.d.y) return a.d.y < b.d.y;
    return a.d.z < b.d.z;
  });
  return out;
}

}  // namespace sedpdf
