// Composite specimens: on-demand atoms — staggered brick tiles of randomly rotated periodic models,
// phase and thickness selection, and the local, order-independent overlap rule (specimen.hpp).
#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <stdexcept>

#include "sedpdf/structures/specimen.hpp"
#include "specimen_hash.hpp"

namespace sedpdf {

using namespace specimen_detail;

namespace {

constexpr int64_t kBias = int64_t{1} << 19;  // tile indices packed in 20 bits each

uint64_t pack_source(int phase, int64_t i, int64_t j, int64_t k) {
  const uint64_t m = (uint64_t{1} << 20) - 1;
  return (static_cast<uint64_t>(phase) << 60) | ((static_cast<uint64_t>(i + kBias) & m) << 40) |
         ((static_cast<uint64_t>(j + kBias) & m) << 20) | (static_cast<uint64_t>(k + kBias) & m);
}

struct Candidate {
  Vec3 pos;
  uint64_t source;
  uint64_t priority;
  uint32_t model_index;
  uint16_t elem;
  int16_t phase;
};

/// Rotation matrix of the unit quaternion from three uniforms (Shoemake 1992, Graphics Gems III).
Mat33 random_rotation(double u1, double u2, double u3) {
  const double a = std::sqrt(1 - u1), b = std::sqrt(u1);
  const double t2 = 2 * kPi * u2, t3 = 2 * kPi * u3;
  const double x = a * std::sin(t2), y = a * std::cos(t2), z = b * std::sin(t3), w = b * std::cos(t3);
  Mat33 r;
  r(0, 0) = 1 - 2 * (y * y + z * z);
  r(0, 1) = 2 * (x * y - z * w);
  r(0, 2) = 2 * (x * z + y * w);
  r(1, 0) = 2 * (x * y + z * w);
  r(1, 1) = 1 - 2 * (x * x + z * z);
  r(1, 2) = 2 * (y * z - x * w);
  r(2, 0) = 2 * (x * z - y * w);
  r(2, 1) = 2 * (y * z + x * w);
  r(2, 2) = 1 - 2 * (x * x + y * y);
  return r;
}

int64_t floor_index(double v) { return static_cast<int64_t>(std::floor(v)); }

}  // namespace

// ------------------------------------------------------------------------------------------------
// Staggered brick tiles
// ------------------------------------------------------------------------------------------------

double Specimen::slab_boundary(size_t p, int64_t i) const {
  const double a = spec_.tile_jitter * (2 * unit(hash_keys(spec_.seed, {kSlabX, p, key(i)})) - 1);
  return (static_cast<double>(i) + a) * tiles_[p].size;
}

int64_t Specimen::slab_of(size_t p, double x) const {
  const int64_t i = floor_index(x / tiles_[p].size);
  if (x < slab_boundary(p, i)) return i - 1;
  if (x >= slab_boundary(p, i + 1)) return i + 1;
  return i;
}

double Specimen::y_shift(size_t p, int64_t i) const {
  return unit(hash_keys(spec_.seed, {kShiftY, p, key(i)}));
}

double Specimen::z_shift(size_t p, int64_t i, int64_t j) const {
  return unit(hash_keys(spec_.seed, {kShiftZ, p, key(i), key(j)}));
}

void Specimen::bricks_in_box(size_t p, double x0, double x1, double y0, double y1, double z0_, double z1,
                             std::vector<Brick>& out) const {
  if (!(x0 < x1 && y0 < y1 && z0_ < z1)) return;
  const double T = tiles_[p].size;
  const int64_t i0 = slab_of(p, x0), i1 = slab_of(p, x1);
  for (int64_t i = i0; i <= i1; ++i) {
    const double bx0 = slab_boundary(p, i), bx1 = slab_boundary(p, i + 1);
    if (bx1 <= x0 || bx0 >= x1) continue;
    const double b = y_shift(p, i);
    const int64_t j0 = floor_index(y0 / T - b), j1 = floor_index(y1 / T - b);
    for (int64_t j = j0; j <= j1; ++j) {
      const double by0 = (static_cast<double>(j) + b) * T, by1 = (static_cast<double>(j + 1) + b) * T;
      if (by1 <= y0 || by0 >= y1) continue;
      const double c = z_shift(p, i, j);
      const int64_t k0 = floor_index(z0_ / T - c), k1 = floor_index(z1 / T - c);
      for (int64_t k = k0; k <= k1; ++k) {
        const double bz0 = (static_cast<double>(k) + c) * T, bz1 = (static_cast<double>(k + 1) + c) * T;
        if (bz1 <= z0_ || bz0 >= z1) continue;
        out.push_back({static_cast<int>(p), i, j, k, bx0, bx1, by0, by1, bz0, bz1});
      }
    }
  }
}

// ------------------------------------------------------------------------------------------------
// Generation
// ------------------------------------------------------------------------------------------------

std::vector<SpecimenAtom> Specimen::generate_box(double xmin, double xmax, double ymin, double ymax,
                                                 GenerationStats* stats, int threads) const {
  if (!std::isfinite(xmin) || !std::isfinite(xmax) || !std::isfinite(ymin) || !std::isfinite(ymax) ||
      !(xmin < xmax) || !(ymin < ymax))
    throw std::invalid_argument("specimen: box x " + std::to_string(xmin) + ".." + std::to_string(xmax) + ", y " +
                                std::to_string(ymin) + ".." + std::to_string(ymax) + " Å is empty or not finite");
  GenerationStats st;
  std::vector<SpecimenAtom> result;
  const size_t nph = spec_.phases.size();
  // Box plus the overlap margin, clipped to the field.
  const double m = dmin_max_;
  const double ex0 = std::max(xmin - m, 0.0), ex1 = std::min(xmax + m, spec_.field_x);
  const double ey0 = std::max(ymin - m, 0.0), ey1 = std::min(ymax + m, spec_.field_y);
  if (!(ex0 < ex1 && ey0 < ey1)) {
    if (stats) *stats = st;
    return result;
  }

  // Bricks of every phase (then the film) overlapping the box, in a canonical order.
  std::vector<Brick> bricks;
  std::vector<bool> single;  // the brick's region is known to hold its phase only
  {
    std::vector<Brick> tmp;
    for (size_t p = 0; p < nph; ++p) {
      tmp.clear();
      const double tmax = max_thickness_in_rect(ex0, ex1, ey0, ey1);
      bricks_in_box(p, ex0, ex1, ey0, ey1, z0(), z0() + tmax, tmp);
      for (const Brick& b : tmp) {
        const double rx0 = std::max(b.x0, ex0), rx1 = std::min(b.x1, ex1);
        const double ry0 = std::max(b.y0, ey0), ry1 = std::min(b.y1, ey1);
        const double bt = max_thickness_in_rect(rx0, rx1, ry0, ry1);
        const double rz0 = std::max(b.z0, z0()), rz1 = std::min(b.z1, z0() + bt);
        if (!(rz0 < rz1)) continue;
        if (!phase_possible(static_cast<int>(p), rx0, rx1, ry0, ry1, rz0, rz1)) continue;
        const int u = uniform_phase_in(rx0, rx1, ry0, ry1, rz0, rz1);
        if (u >= 0 && u != static_cast<int>(p)) continue;
        bricks.push_back(b);
        single.push_back(u == static_cast<int>(p));
      }
    }
    if (has_film()) bricks_in_box(nph, ex0, ex1, ey0, ey1, 0.0, spec_.film.thickness, bricks);
    single.resize(bricks.size(), true);
  }
  st.tiles = bricks.size();

  const int nt = threads > 0 ? threads : omp_get_max_threads();
  std::vector<std::vector<Candidate>> per(bricks.size());
#pragma omp parallel for schedule(dynamic) num_threads(nt)
  for (size_t bi = 0; bi < bricks.size(); ++bi) {
    const Brick& b = bricks[bi];
    const bool film = static_cast<size_t>(b.phase) == nph;
    const TileGrid& tg = tiles_[b.phase];
    const bool one_phase = single[bi];
    // Region of this brick that matters: brick ∩ box ∩ the z range of its material.
    const double rx0 = std::max(b.x0, ex0), rx1 = std::min(b.x1, ex1);
    const double ry0 = std::max(b.y0, ey0), ry1 = std::min(b.y1, ey1);
    double rz0, rz1;
    if (film) {
      rz0 = std::max(b.z0, 0.0);
      rz1 = std::min(b.z1, spec_.film.thickness);
    } else {
      rz0 = std::max(b.z0, z0());
      rz1 = std::min(b.z1, z0() + max_thickness_in_rect(rx0, rx1, ry0, ry1));
    }
    if (!(rx0 < rx1 && ry0 < ry1 && rz0 < rz1)) continue;
    // Rotation and offset of this tile: a pure function of (seed, phase, tile index).
    const Vec3 c(0.5 * (b.x0 + b.x1), 0.5 * (b.y0 + b.y1), 0.5 * (b.z0 + b.z1));
    Mat33 R;
    Vec3 o;
    if (spec_.random_orientation) {
      Stream rng(hash_keys(spec_.seed, {kTile, static_cast<uint64_t>(b.phase), key(b.i), key(b.j), key(b.k)}));
      const double u1 = rng.uniform(), u2 = rng.uniform(), u3 = rng.uniform();
      R = random_rotation(u1, u2, u3);
      const double f1 = rng.uniform(), f2 = rng.uniform(), f3 = rng.uniform();
      o = tg.m * Vec3(f1, f2, f3);
    } else {
      o = c;  // p = q: the periodic model in place
    }
    // The tile holds ONE periodic cell of the model: the cell centred on o (fractional window
    // [f_o − ½, f_o + ½) along each axis), rotated and centred on the brick. Each model atom has exactly one
    // image there, n = ceil(w_lo − f_a); the brick fits in the window's inscribed sphere (tile-size rule),
    // so it is covered without holes and without two images of one atom (no periodicity inside a tile).
    const Vec3 fo = tg.minv * o;
    const double wlo[3] = {fo.x - 0.5, fo.y - 0.5, fo.z - 0.5};
    const uint64_t source = pack_source(b.phase, b.i, b.j, b.k);
    std::vector<Candidate>& out = per[bi];
    const Vec3 rc(0.5 * (rx0 + rx1), 0.5 * (ry0 + ry1), 0.5 * (rz0 + rz1));
    const Vec3 rh(0.5 * (rx1 - rx0), 0.5 * (ry1 - ry0), 0.5 * (rz1 - rz0));
    const double br = tg.block_radius;
    const Mat33 RM = R * tg.m;
    // Order: block, image shift, atom — fixed, so a region's atoms come out in the same relative order
    // whatever the region.
    for (int bz = 0; bz < tg.nsub[2]; ++bz)
      for (int by = 0; by < tg.nsub[1]; ++by)
        for (int bx = 0; bx < tg.nsub[0]; ++bx) {
          const size_t blk = static_cast<size_t>((bz * tg.nsub[1] + by) * tg.nsub[0] + bx);
          const uint32_t s0 = tg.block_start[blk], s1 = tg.block_start[blk + 1];
          if (s0 == s1) continue;
          const int bb[3] = {bx, by, bz};
          int64_t nlo[3], nhi[3];
          for (int k = 0; k < 3; ++k) {
            // atoms with f in [b/nsub, (b+1)/nsub) take n = ceil(w_lo − f) in this range
            nlo[k] = static_cast<int64_t>(std::ceil(wlo[k] - static_cast<double>(bb[k] + 1) / tg.nsub[k]));
            nhi[k] = static_cast<int64_t>(std::ceil(wlo[k] - static_cast<double>(bb[k]) / tg.nsub[k]));
          }
          const Vec3 fc((bx + 0.5) / tg.nsub[0], (by + 0.5) / tg.nsub[1], (bz + 0.5) / tg.nsub[2]);
          for (int64_t n0 = nlo[0]; n0 <= nhi[0]; ++n0)
            for (int64_t n1 = nlo[1]; n1 <= nhi[1]; ++n1)
              for (int64_t n2 = nlo[2]; n2 <= nhi[2]; ++n2) {
                const Vec3 nv(static_cast<double>(n0), static_cast<double>(n1), static_cast<double>(n2));
                // p = R(q − o) + c = R·cart_a + t_n,  t_n = R(M n − o) + c
                const Vec3 tn = R * (tg.m * nv - o) + c;
                const Vec3 pc = RM * fc + tn;
                const Vec3 dd(std::fabs(pc.x - rc.x), std::fabs(pc.y - rc.y), std::fabs(pc.z - rc.z));
                if (dd.x > rh.x + br || dd.y > rh.y + br || dd.z > rh.z + br) continue;
                const bool inside = dd.x < rh.x - br && dd.y < rh.y - br && dd.z < rh.z - br;
                for (uint32_t si = s0; si < s1; ++si) {
                  const uint32_t a = tg.block_atoms[si];
                  const Fractional& fa = tg.frac[a];
                  if (static_cast<int64_t>(std::ceil(wlo[0] - fa.x)) != n0 ||
                      static_cast<int64_t>(std::ceil(wlo[1] - fa.y)) != n1 ||
                      static_cast<int64_t>(std::ceil(wlo[2] - fa.z)) != n2)
                    continue;
                  const Vec3 p = R * tg.cart[a] + tn;
                  if (!inside && !(p.x >= rx0 && p.x < rx1 && p.y >= ry0 && p.y < ry1 && p.z >= rz0 && p.z < rz1))
                    continue;
                  int phase;
                  if (film) {
                    phase = static_cast<int>(nph);
                  } else {
                    const double t = thickness_at(p.x, p.y);
                    if (!(p.z < z0() + t)) continue;
                    if (!one_phase) {
                      phase = assigned_phase(Position(p));
                      if (phase != b.phase) continue;
                    } else {
                      phase = b.phase;
                    }
                  }
                  Candidate cd;
                  cd.pos = p;
                  cd.source = source;
                  cd.priority = hash_keys(spec_.seed, {kPriority, source, a});
                  cd.model_index = a;
                  cd.elem = tg.elem[a];
                  cd.phase = static_cast<int16_t>(phase);
                  out.push_back(cd);
                }
              }
        }
  }

  // Concatenate in brick order.
  size_t total = 0, per_bytes = 0;
  for (const auto& v : per) {
    total += v.size();
    per_bytes += v.capacity() * sizeof(Candidate);
  }
  std::vector<Candidate> cand;
  cand.reserve(total);
  for (auto& v : per) {
    cand.insert(cand.end(), v.begin(), v.end());
    std::vector<Candidate>().swap(v);
  }
  st.candidates = cand.size();
  size_t peak = per_bytes + cand.capacity() * sizeof(Candidate);

  // Overlap rule on a cell list whose bins are at least the largest minimum distance wide.
  std::vector<uint8_t> drop(cand.size(), 0);
  if (!cand.empty() && m > 0) {
    double lo[3] = {1e300, 1e300, 1e300}, hi[3] = {-1e300, -1e300, -1e300};
    for (const Candidate& cd : cand)
      for (int k = 0; k < 3; ++k) {
        lo[k] = std::min(lo[k], cd.pos[k]);
        hi[k] = std::max(hi[k], cd.pos[k]);
      }
    double bw = m;
    int64_t nb[3];
    for (;;) {
      for (int k = 0; k < 3; ++k) nb[k] = std::max<int64_t>(1, floor_index((hi[k] - lo[k]) / bw));
      if (static_cast<double>(nb[0]) * static_cast<double>(nb[1]) * static_cast<double>(nb[2]) <=
          2.0 * static_cast<double>(cand.size()) + 64)
        break;
      bw *= 1.25;
    }
    double inv[3];
    for (int k = 0; k < 3; ++k) inv[k] = static_cast<double>(nb[k]) / std::max(hi[k] - lo[k], 1e-12);
    auto bin_coord = [&](double v, int k) {
      return std::min<int64_t>(nb[k] - 1, std::max<int64_t>(0, floor_index((v - lo[k]) * inv[k])));
    };
    const size_t nbins = static_cast<size_t>(nb[0] * nb[1] * nb[2]);
    std::vector<uint32_t> start(nbins + 1, 0), order(cand.size());
    std::vector<uint32_t> binof(cand.size());
    for (size_t i = 0; i < cand.size(); ++i) {
      const Vec3& p = cand[i].pos;
      binof[i] = static_cast<uint32_t>((bin_coord(p.z, 2) * nb[1] + bin_coord(p.y, 1)) * nb[0] + bin_coord(p.x, 0));
      ++start[binof[i] + 1];
    }
    for (size_t b = 0; b < nbins; ++b) start[b + 1] += start[b];
    {
      std::vector<uint32_t> fill(start.begin(), start.end() - 1);
      for (size_t i = 0; i < cand.size(); ++i) order[fill[binof[i]]++] = static_cast<uint32_t>(i);
    }
    peak = std::max(peak, cand.capacity() * sizeof(Candidate) + (start.capacity() + 2 * order.capacity()) *
                                                                    sizeof(uint32_t) + drop.capacity());
    // Copy the candidates into bin order (structure of arrays) so the neighbour loops read contiguous
    // memory; the decision for each candidate is the same as in any order.
    const size_t ne = elements_.size();
    const size_t n = cand.size();
    std::vector<double> sx(n), sy(n), sz(n);
    std::vector<uint64_t> ssrc(n), sprio(n);
    std::vector<uint16_t> sel(n);
    std::vector<uint8_t> sdrop(n, 0);
    for (size_t k = 0; k < n; ++k) {
      const Candidate& cd = cand[order[k]];
      sx[k] = cd.pos.x;
      sy[k] = cd.pos.y;
      sz[k] = cd.pos.z;
      ssrc[k] = cd.source;
      sprio[k] = cd.priority;
      sel[k] = cd.elem;
    }
    peak = std::max(peak, cand.capacity() * sizeof(Candidate) +
                              (start.capacity() + 2 * order.capacity()) * sizeof(uint32_t) + drop.capacity() +
                              n * (3 * sizeof(double) + 2 * sizeof(uint64_t) + sizeof(uint16_t) + 1));
#pragma omp parallel for schedule(dynamic, 256) num_threads(nt)
    for (int64_t bb = 0; bb < static_cast<int64_t>(nbins); ++bb) {
      const size_t home = static_cast<size_t>(bb);
      if (start[home] == start[home + 1]) continue;
      const int64_t bx = bb % nb[0], by = (bb / nb[0]) % nb[1], bz = bb / (nb[0] * nb[1]);
      for (uint32_t si = start[home]; si < start[home + 1]; ++si) {
        const double xi = sx[si], yi = sy[si], zi = sz[si];
        const uint64_t src = ssrc[si], pri = sprio[si];
        const double* dmrow = &dmin_[sel[si] * ne];
        bool dropped = false;
        for (int64_t z = std::max<int64_t>(0, bz - 1); z <= std::min(nb[2] - 1, bz + 1) && !dropped; ++z)
          for (int64_t y = std::max<int64_t>(0, by - 1); y <= std::min(nb[1] - 1, by + 1) && !dropped; ++y) {
            // bins x − 1 .. x + 1 of one row are contiguous in bin order
            const size_t row = static_cast<size_t>((z * nb[1] + y) * nb[0]);
            const uint32_t t0 = start[row + static_cast<size_t>(std::max<int64_t>(0, bx - 1))];
            const uint32_t t1 = start[row + static_cast<size_t>(std::min(nb[0] - 1, bx + 1)) + 1];
            for (uint32_t t = t0; t < t1; ++t) {
              if (ssrc[t] == src) continue;
              if (!(sprio[t] < pri || (sprio[t] == pri && ssrc[t] < src))) continue;
              const double dx = sx[t] - xi, dy = sy[t] - yi, dz = sz[t] - zi;
              const double dm = dmrow[sel[t]];
              if (dx * dx + dy * dy + dz * dz < dm * dm) {
                dropped = true;
                break;
              }
            }
          }
        sdrop[si] = dropped ? 1 : 0;
      }
    }
    for (size_t k = 0; k < n; ++k) drop[order[k]] = sdrop[k];
  }

  {
    size_t keep = 0;
    for (size_t i = 0; i < cand.size(); ++i) keep += !drop[i];
    result.reserve(keep);
  }
  for (size_t i = 0; i < cand.size(); ++i) {
    if (drop[i]) {
      ++st.removed_overlap;
      continue;
    }
    const Candidate& cd = cand[i];
    if (!(cd.pos.x >= xmin && cd.pos.x < xmax && cd.pos.y >= ymin && cd.pos.y < ymax)) continue;
    SpecimenAtom sa;
    const TileGrid& tg = tiles_[cd.source >> 60];
    sa.atom.element = elements_[cd.elem];
    sa.atom.pos = Position(cd.pos);
    sa.atom.occupancy = tg.occ[cd.model_index];
    sa.atom.u_iso = tg.uiso[cd.model_index];
    sa.atom.phase = cd.phase;
    sa.source = cd.source;
    sa.model_index = cd.model_index;
    result.push_back(std::move(sa));
  }
  st.atoms = result.size();
  peak = std::max(peak, cand.capacity() * sizeof(Candidate) + drop.capacity() + result.capacity() * sizeof(SpecimenAtom));
  st.peak_bytes = peak;
  if (stats) *stats = st;
  return result;
}

std::vector<Atom> Specimen::atoms_in_box(double xmin, double xmax, double ymin, double ymax, GenerationStats* stats,
                                         int threads) const {
  std::vector<SpecimenAtom> g = generate_box(xmin, xmax, ymin, ymax, stats, threads);
  std::vector<Atom> out;
  out.reserve(g.size());
  for (SpecimenAtom& a : g) out.push_back(std::move(a.atom));
  return out;
}

}  // namespace sedpdf
