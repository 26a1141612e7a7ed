// agZIF-62 builder, stages 2 and 3: rigid linkers on the Zn network and their relaxation.
//
// Force field (energies in arbitrary units; only the minimum matters):
//   Zn–N stretch        k_s (r − r₀)²,  k_s = 150 /Å²          r₀ = AgZif62Options::zn_n
//   lone-pair alignment k_lp (1 − û·b̂), k_lp = 80              û: N lone pair, b̂: unit N → Zn
//   N–Zn–N bend         k_a (cos θ + 1/3)², k_a = 20           tetrahedral minimum (θ = 109.47°)
//   repulsion           k_r (σ − r)² for r < σ, k_r = 100 /Å²  non-bonded pairs, σ by atom class below
// Non-bonded = not in the same linker, and not a Zn with an atom of a linker bound to it. σ (Å):
// Zn–Zn 4.5, Zn–C/N 3.2, Zn–H 2.7, C/N–C/N 2.9, C/N–H 2.4, H–H 2.0 — above the acceptance limits
// (2.2 Å heavy–heavy, 1.8 Å with H) and below the shortest contacts of the DFT ZIF-62 crystal
// (C···C 3.42, N···N 3.15, C···H 2.71, H···H 2.28 Å), which the denser glass approaches. The relative
// weights were chosen on 128-Zn models (docs/builders.md): a stiffer lone-pair term keeps the Zn···C
// distances (the 3.0 Å X-ray PDF peak) sharp at the cost of a wider N–Zn–N distribution. Minimiser: FIRE (Bitzek et al., Phys. Rev. Lett. 97 (2006) 170201) on Zn positions
// and linker rigid-body coordinates (centroid, orientation as a unit quaternion; the rotational
// coordinate is the angle times the linker's radius of gyration so every generalised coordinate is
// a length in Å).
#include <algorithm>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "build_agzif62_internal.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/neighbors.hpp"

namespace sedpdf::agzif62_detail {

namespace {

struct Quat {
  double w = 1, x = 0, y = 0, z = 0;
};

Quat multiply(const Quat& a, const Quat& b) {
  return {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z, a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
          a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x, a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
}

Quat normalised(Quat q) {
  const double n = std::sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
  return {q.w / n, q.x / n, q.y / n, q.z / n};
}

// Rotation by the vector v (axis v/|v|, angle |v| in radians).
Quat from_rotation_vector(const Vec3& v) {
  const double a = v.length();
  if (a < 1e-14) return normalised({1, 0.5 * v.x, 0.5 * v.y, 0.5 * v.z});
  const double s = std::sin(0.5 * a) / a;
  return {std::cos(0.5 * a), v.x * s, v.y * s, v.z * s};
}

Mat33 to_matrix(const Quat& q) {
  Mat33 r;
  const double w = q.w, x = q.x, y = q.y, z = q.z;
  r(0, 0) = 1 - 2 * (y * y + z * z);
  r(0, 1) = 2 * (x * y - w * z);
  r(0, 2) = 2 * (x * z + w * y);
  r(1, 0) = 2 * (x * y + w * z);
  r(1, 1) = 1 - 2 * (x * x + z * z);
  r(1, 2) = 2 * (y * z - w * x);
  r(2, 0) = 2 * (x * z - w * y);
  r(2, 1) = 2 * (y * z + w * x);
  r(2, 2) = 1 - 2 * (x * x + y * y);
  return r;
}

// Unit quaternion of a proper rotation matrix (Shepperd's method: the largest of the four squares
// first, for accuracy).
Quat from_matrix(const Mat33& m) {
  const double tr = m(0, 0) + m(1, 1) + m(2, 2);
  Quat q;
  if (tr > 0) {
    const double s = 2 * std::sqrt(1 + tr);
    q = {0.25 * s, (m(2, 1) - m(1, 2)) / s, (m(0, 2) - m(2, 0)) / s, (m(1, 0) - m(0, 1)) / s};
  } else if (m(0, 0) > m(1, 1) && m(0, 0) > m(2, 2)) {
    const double s = 2 * std::sqrt(1 + m(0, 0) - m(1, 1) - m(2, 2));
    q = {(m(2, 1) - m(1, 2)) / s, 0.25 * s, (m(0, 1) + m(1, 0)) / s, (m(0, 2) + m(2, 0)) / s};
  } else if (m(1, 1) > m(2, 2)) {
    const double s = 2 * std::sqrt(1 + m(1, 1) - m(0, 0) - m(2, 2));
    q = {(m(0, 2) - m(2, 0)) / s, (m(0, 1) + m(1, 0)) / s, 0.25 * s, (m(1, 2) + m(2, 1)) / s};
  } else {
    const double s = 2 * std::sqrt(1 + m(2, 2) - m(0, 0) - m(1, 1));
    q = {(m(1, 0) - m(0, 1)) / s, (m(0, 2) + m(2, 0)) / s, (m(1, 2) + m(2, 1)) / s, 0.25 * s};
  }
  return normalised(q);
}

enum AtomClass { kZn = 0, kHeavy = 1, kHyd = 2 };

// A linker template recentred on its centroid.
struct Rigid {
  std::vector<Vec3> x;             // Å, centroid-relative body coordinates
  std::vector<int> cls;
  std::vector<Element> elements;
  std::array<int, 2> n{{0, 1}};
  std::array<Vec3, 2> lp;
  std::array<Vec3, 2> zn;          // ideal Zn positions (body frame, centroid-relative)
  double ell = 1;                  // radius of gyration (Å)
};

Rigid make_rigid(const LinkerTemplate& t, double r0) {
  Rigid r;
  Vec3 c;
  for (const Vec3& p : t.positions) c += p;
  c = c / static_cast<double>(t.positions.size());
  double s2 = 0;
  for (size_t i = 0; i < t.positions.size(); ++i) {
    r.x.push_back(t.positions[i] - c);
    s2 += r.x.back().length_sq();
    r.elements.push_back(t.elements[i]);
    r.cls.push_back(t.elements[i].z() == 1 ? kHyd : kHeavy);
  }
  r.ell = std::sqrt(s2 / static_cast<double>(t.positions.size()));
  r.n = t.nitrogen;
  r.lp = t.lone_pair;
  for (size_t e = 0; e < 2; ++e) r.zn[e] = r.x[static_cast<size_t>(r.n[e])] + r.lp[e] * r0;
  return r;
}

struct Body {
  int kind = 0;                // 0 Im, 1 bIm
  std::array<int, 2> zn{{0, 0}};  // Zn bound to N1, N3
  Vec3 c;                      // centroid (Å, not wrapped)
  Quat q;
  Mat33 R;
  size_t first = 0;            // first atom in the global arrays
};

struct Pair {
  uint32_t i, j;
  double sigma;
};

class Model {
 public:
  Model(const NodeNetwork& net, const RelaxParams& p) : box_(net.box), r0_(p.zn_n) {
    rigid_[0] = make_rigid(zif_linker_template(ZifLinkerKind::Im), r0_);
    rigid_[1] = make_rigid(zif_linker_template(ZifLinkerKind::BIm), r0_);
    zn_ = net.pos;
    zn_bonds_.assign(zn_.size(), {});
    // σ (Å) by class: Zn, heavy (C, N), H
    const double s[3][3] = {{4.5, 3.2, 2.7}, {3.2, 2.9, 2.4}, {2.7, 2.4, 2.0}};
    for (int a = 0; a < 3; ++a)
      for (int b = 0; b < 3; ++b) sigma_[a][b] = s[a][b];
  }

  Box box_;
  double r0_;
  double k_s_ = 150, k_lp_ = 80, k_a_ = 20, k_r_ = 100;
  Rigid rigid_[2];
  std::vector<Vec3> zn_;
  std::vector<Body> bodies_;
  std::vector<std::vector<std::pair<int, int>>> zn_bonds_;  // per Zn: (body, end)
  std::vector<Vec3> pos_;                                    // all atoms: Zn, then bodies
  std::vector<int> cls_, body_of_;                           // body_of_ = −1 for Zn
  double sigma_[3][3];

  size_t n_atoms() const { return pos_.size(); }

  void add_body(int kind, int za, int zb) {
    Body b;
    b.kind = kind;
    b.zn = {{za, zb}};
    b.first = pos_.empty() ? zn_.size() : pos_.size();
    if (pos_.empty()) {
      pos_ = zn_;
      cls_.assign(zn_.size(), kZn);
      body_of_.assign(zn_.size(), -1);
    }
    const Rigid& r = rigid_[kind];
    for (size_t k = 0; k < r.x.size(); ++k) {
      pos_.emplace_back();
      cls_.push_back(r.cls[k]);
      body_of_.push_back(static_cast<int>(bodies_.size()));
    }
    zn_bonds_[static_cast<size_t>(za)].push_back({static_cast<int>(bodies_.size()), 0});
    zn_bonds_[static_cast<size_t>(zb)].push_back({static_cast<int>(bodies_.size()), 1});
    bodies_.push_back(b);
  }

  void set_pose(size_t bi, const Vec3& c, const Quat& q) {
    Body& b = bodies_[bi];
    b.c = c;
    b.q = normalised(q);
    b.R = to_matrix(b.q);
    const Rigid& r = rigid_[b.kind];
    for (size_t k = 0; k < r.x.size(); ++k) pos_[b.first + k] = b.c + b.R * r.x[k];
  }

  // Pose that puts the body's ideal Zn–Zn axis on the link za → zb, turned by phi about it.
  std::pair<Vec3, Quat> link_pose(size_t bi, double phi) const {
    const Body& b = bodies_[bi];
    const Rigid& r = rigid_[b.kind];
    const Vec3 za = zn_[static_cast<size_t>(b.zn[0])];
    const Vec3 d = box_.min_image(zn_[static_cast<size_t>(b.zn[1])] - za);
    const Vec3 dh = d / d.length();
    const Vec3 e = std::abs(dh.x) < 0.6 ? Vec3(1, 0, 0) : Vec3(0, 1, 0);
    Vec3 ph = dh.cross(e);
    ph = ph / ph.length();
    const Vec3 qh = dh.cross(ph);
    const Vec3 y = ph * std::cos(phi) + qh * std::sin(phi);
    const Vec3 z = dh.cross(y);
    // body axes: x along the ideal Zn1 → Zn3 direction (the template's x), y, z
    Mat33 R;
    for (int k = 0; k < 3; ++k) {
      R(k, 0) = dh[k];
      R(k, 1) = y[k];
      R(k, 2) = z[k];
    }
    const Vec3 mid = (r.zn[0] + r.zn[1]) * 0.5;
    const Vec3 c = za + d * 0.5 - R * mid;
    return {c, from_matrix(R)};
  }

  // The turn φ of link_pose that puts the ring centre on the side of `bead` (the ring centre lies on
  // the body's −y side of the Zn–Zn midpoint).
  double bead_phi(size_t bi, const Vec3& bead) const {
    const Body& b = bodies_[bi];
    const Vec3 za = zn_[static_cast<size_t>(b.zn[0])];
    const Vec3 d = box_.min_image(zn_[static_cast<size_t>(b.zn[1])] - za);
    const Vec3 dh = d / d.length();
    const Vec3 e = std::abs(dh.x) < 0.6 ? Vec3(1, 0, 0) : Vec3(0, 1, 0);
    Vec3 ph = dh.cross(e);
    ph = ph / ph.length();
    const Vec3 qh = dh.cross(ph);
    const Vec3 w = box_.min_image(bead - (za + d * 0.5));
    return std::atan2(-w.dot(qh), -w.dot(ph));
  }

  // --------------------------------------------------------------------------------------------
  // Energy of one body's interactions (for placement): its two Zn–N bonds, lone pairs, the N–Zn–N
  // angles it forms with the other N at its Zn (placed bodies only), and repulsion with `others`.
  // --------------------------------------------------------------------------------------------
  double body_energy(size_t bi, const std::vector<char>& placed, const std::vector<uint32_t>& others) const {
    const Body& b = bodies_[bi];
    const Rigid& r = rigid_[b.kind];
    double e = 0;
    for (size_t end = 0; end < 2; ++end) {
      const size_t zi = static_cast<size_t>(b.zn[end]);
      const Vec3& N = pos_[b.first + static_cast<size_t>(r.n[end])];
      const Vec3 d = box_.min_image(zn_[zi] - N);
      const double rr = d.length();
      e += k_s_ * (rr - r0_) * (rr - r0_);
      e += k_lp_ * (1 - (b.R * r.lp[end]).dot(d) / rr);
      const Vec3 v = -d;
      for (const auto& [ob, oe] : zn_bonds_[zi]) {
        if (static_cast<size_t>(ob) == bi || !placed[static_cast<size_t>(ob)]) continue;
        const Body& o = bodies_[static_cast<size_t>(ob)];
        const Vec3 w = box_.min_image(pos_[o.first + static_cast<size_t>(rigid_[o.kind].n[static_cast<size_t>(oe)])] -
                                      zn_[zi]);
        const double cs = v.dot(w) / (v.length() * w.length());
        e += k_a_ * (cs + 1.0 / 3.0) * (cs + 1.0 / 3.0);
      }
    }
    for (size_t k = 0; k < r.x.size(); ++k) {
      const size_t i = b.first + k;
      for (uint32_t j : others) {
        const int bj = body_of_[j];
        if (bj == static_cast<int>(bi)) continue;
        if (bj < 0 && (static_cast<int>(j) == b.zn[0] || static_cast<int>(j) == b.zn[1])) continue;
        if (bj >= 0 && !placed[static_cast<size_t>(bj)]) continue;
        const double s = sigma_[cls_[i]][cls_[j]];
        const Vec3 d = box_.min_image(pos_[j] - pos_[i]);
        const double r2 = d.length_sq();
        if (r2 < s * s) {
          const double x = s - std::sqrt(r2);
          e += k_r_ * x * x;
        }
      }
    }
    return e;
  }

  // --------------------------------------------------------------------------------------------
  // Neighbour lists (NeighborSearch, Verlet skin)
  // --------------------------------------------------------------------------------------------
  double skin_ = 1.0;
  std::vector<Pair> pairs_;
  std::vector<Vec3> ref_;
  int rebuilds_ = 0;

  bool excluded(uint32_t i, uint32_t j) const {
    const int bi = body_of_[i], bj = body_of_[j];
    if (bi >= 0 && bi == bj) return true;
    if (bi < 0 && bj >= 0) {
      const Body& b = bodies_[static_cast<size_t>(bj)];
      return b.zn[0] == static_cast<int>(i) || b.zn[1] == static_cast<int>(i);
    }
    if (bj < 0 && bi >= 0) {
      const Body& b = bodies_[static_cast<size_t>(bi)];
      return b.zn[0] == static_cast<int>(j) || b.zn[1] == static_cast<int>(j);
    }
    return false;
  }

  Structure snapshot() const {
    Structure s;
    s.cell = Cell::orthorhombic(box_.L, box_.L, box_.L);
    s.atoms.resize(pos_.size());
    for (size_t i = 0; i < pos_.size(); ++i) {
      s.atoms[i].element = element_of(i);
      s.atoms[i].pos = Position(box_.wrap(pos_[i]));
    }
    return s;
  }

  Element element_of(size_t i) const {
    if (body_of_[i] < 0) return Element::from_z(30);
    const Body& b = bodies_[static_cast<size_t>(body_of_[i])];
    return rigid_[b.kind].elements[i - b.first];
  }

  void rebuild_pairs() {
    pairs_.clear();
    const Structure all = snapshot();
    const double rmi = 0.999 * all.cell.minimum_image_radius();
    NeighborSearch ns(all, {std::min(3.2 + skin_, rmi), false});
    ns.for_each_pair([&](size_t i, size_t j, const Vec3&, double) {
      if (cls_[i] == kZn && cls_[j] == kZn) return;  // Zn–Zn: separate list below
      const auto a = static_cast<uint32_t>(std::min(i, j)), b = static_cast<uint32_t>(std::max(i, j));
      if (excluded(a, b)) return;
      pairs_.push_back({a, b, sigma_[cls_[a]][cls_[b]]});
    });
    Structure zn;
    zn.cell = all.cell;
    zn.atoms.assign(all.atoms.begin(), all.atoms.begin() + static_cast<long>(zn_.size()));
    NeighborSearch nz(zn, {std::min(sigma_[0][0] + skin_, rmi), false});
    nz.for_each_pair([&](size_t i, size_t j, const Vec3&, double) {
      pairs_.push_back({static_cast<uint32_t>(std::min(i, j)), static_cast<uint32_t>(std::max(i, j)), sigma_[0][0]});
    });
    ref_ = pos_;
    ++rebuilds_;
  }

  void maybe_rebuild_pairs() {
    const double lim2 = 0.25 * skin_ * skin_;
    for (size_t i = 0; i < pos_.size(); ++i)
      if ((pos_[i] - ref_[i]).length_sq() > lim2) {
        rebuild_pairs();
        return;
      }
  }

  // --------------------------------------------------------------------------------------------
  // Energy and generalised forces
  // --------------------------------------------------------------------------------------------
  std::vector<Vec3> g_;                      // dE/dr per atom
  std::vector<std::array<Vec3, 2>> g_lp_;    // dE/dû per body end

  double energy(bool grad) {
    if (grad) {
      g_.assign(pos_.size(), Vec3());
      g_lp_.assign(bodies_.size(), {Vec3(), Vec3()});
    }
    double e = 0;
    // Zn–N stretch and lone-pair alignment
    for (size_t bi = 0; bi < bodies_.size(); ++bi) {
      const Body& b = bodies_[bi];
      const Rigid& r = rigid_[b.kind];
      for (size_t end = 0; end < 2; ++end) {
        const size_t zi = static_cast<size_t>(b.zn[end]);
        const size_t ni = b.first + static_cast<size_t>(r.n[end]);
        const Vec3 d = box_.min_image(pos_[zi] - pos_[ni]);
        const double rr = d.length();
        const Vec3 bh = d / rr;
        const Vec3 u = b.R * r.lp[end];
        const double cs = u.dot(bh);
        e += k_s_ * (rr - r0_) * (rr - r0_) + k_lp_ * (1 - cs);
        if (grad) {
          const Vec3 gd = bh * (2 * k_s_ * (rr - r0_)) + (u - bh * cs) * (-k_lp_ / rr);
          g_[zi] += gd;
          g_[ni] -= gd;
          g_lp_[bi][end] = bh * (-k_lp_);
        }
      }
    }
    // N–Zn–N
    for (size_t zi = 0; zi < zn_.size(); ++zi) {
      const auto& bl = zn_bonds_[zi];
      for (size_t a = 0; a < bl.size(); ++a)
        for (size_t c = a + 1; c < bl.size(); ++c) {
          const size_t na = n_index(bl[a]), nc = n_index(bl[c]);
          const Vec3 u = box_.min_image(pos_[na] - pos_[zi]);
          const Vec3 v = box_.min_image(pos_[nc] - pos_[zi]);
          const double lu = u.length(), lv = v.length();
          const double cs = u.dot(v) / (lu * lv);
          e += k_a_ * (cs + 1.0 / 3.0) * (cs + 1.0 / 3.0);
          if (grad) {
            const double de = 2 * k_a_ * (cs + 1.0 / 3.0);
            const Vec3 gu = (v / (lu * lv) - u * (cs / (lu * lu))) * de;
            const Vec3 gv = (u / (lu * lv) - v * (cs / (lv * lv))) * de;
            g_[na] += gu;
            g_[nc] += gv;
            g_[zi] -= gu + gv;
          }
        }
    }
    // repulsion
    for (const Pair& p : pairs_) {
      const Vec3 d = box_.min_image(pos_[p.j] - pos_[p.i]);
      const double r2 = d.length_sq();
      if (r2 >= p.sigma * p.sigma) continue;
      const double rr = std::sqrt(r2);
      const double x = p.sigma - rr;
      e += k_r_ * x * x;
      if (grad) {
        const Vec3 g = d * (-2 * k_r_ * x / rr);
        g_[p.j] += g;
        g_[p.i] -= g;
      }
    }
    return e;
  }

  size_t n_index(const std::pair<int, int>& be) const {
    const Body& b = bodies_[static_cast<size_t>(be.first)];
    return b.first + static_cast<size_t>(rigid_[b.kind].n[static_cast<size_t>(be.second)]);
  }

  // Generalised forces: Zn (3 each), then per body translation (3) and rotation (3, torque / ℓ).
  void forces(std::vector<Vec3>& fz, std::vector<Vec3>& fc, std::vector<Vec3>& fw) const {
    fz.resize(zn_.size());
    fc.resize(bodies_.size());
    fw.resize(bodies_.size());
    for (size_t i = 0; i < zn_.size(); ++i) fz[i] = -g_[i];
    for (size_t bi = 0; bi < bodies_.size(); ++bi) {
      const Body& b = bodies_[bi];
      const Rigid& r = rigid_[b.kind];
      Vec3 f, t;
      for (size_t k = 0; k < r.x.size(); ++k) {
        const Vec3& g = g_[b.first + k];
        f -= g;
        t -= (pos_[b.first + k] - b.c).cross(g);
      }
      for (size_t end = 0; end < 2; ++end) t -= (b.R * r.lp[end]).cross(g_lp_[bi][end]);
      fc[bi] = f;
      fw[bi] = t / r.ell;
    }
  }

  void sync_zn() {
    for (size_t i = 0; i < zn_.size(); ++i) pos_[i] = zn_[i];
  }

  // FIRE minimisation; returns the number of steps taken.
  int minimise(int max_steps, double f_tol) {
    const double dt_max = 0.05, f_inc = 1.1, f_dec = 0.5, a_start = 0.1, f_a = 0.99, max_move = 0.1;
    const int n_min = 5;
    double dt = 0.02, alpha = a_start;
    int n_pos = 0;
    const size_t nz = zn_.size(), nb = bodies_.size();
    std::vector<Vec3> vz(nz), vc(nb), vw(nb), fz, fc, fw;
    // masses: Zn 4, a linker its atom count (all stiffest modes then have ω·dt_max < 1)
    const double mass_zn = 4.0, inv_mz = 1.0 / mass_zn;
    std::vector<double> mass_b(nb);
    for (size_t bi = 0; bi < nb; ++bi) mass_b[bi] = static_cast<double>(rigid_[bodies_[bi].kind].x.size());
    sync_zn();
    rebuild_pairs();
    energy(true);
    forces(fz, fc, fw);
    int step = 0;
    for (; step < max_steps; ++step) {
      double fmax2 = 0;
      for (const Vec3& f : fz) fmax2 = std::max(fmax2, f.length_sq() * inv_mz * inv_mz);
      for (size_t bi = 0; bi < nb; ++bi)
        fmax2 = std::max(fmax2, std::max(fc[bi].length_sq(), fw[bi].length_sq()) / (mass_b[bi] * mass_b[bi]));
      if (fmax2 < f_tol * f_tol) break;
      // v += dt a (a = F/m; Zn mass 1, body mass = its atom count)
      double P = 0, vv = 0, aa = 0;
      for (size_t i = 0; i < nz; ++i) {
        vz[i] += fz[i] * (dt * inv_mz);
        P += fz[i].dot(vz[i]);
        vv += vz[i].length_sq();
        aa += fz[i].length_sq() * inv_mz * inv_mz;
      }
      for (size_t bi = 0; bi < nb; ++bi) {
        const double im = 1.0 / mass_b[bi];
        vc[bi] += fc[bi] * (dt * im);
        vw[bi] += fw[bi] * (dt * im);
        P += fc[bi].dot(vc[bi]) + fw[bi].dot(vw[bi]);
        vv += vc[bi].length_sq() + vw[bi].length_sq();
        aa += (fc[bi].length_sq() + fw[bi].length_sq()) * im * im;
      }
      if (P > 0) {
        const double s = aa > 0 ? alpha * std::sqrt(vv / aa) : 0;
        for (size_t i = 0; i < nz; ++i) vz[i] = vz[i] * (1 - alpha) + fz[i] * (s * inv_mz);
        for (size_t bi = 0; bi < nb; ++bi) {
          const double im = 1.0 / mass_b[bi];
          vc[bi] = vc[bi] * (1 - alpha) + fc[bi] * (s * im);
          vw[bi] = vw[bi] * (1 - alpha) + fw[bi] * (s * im);
        }
        if (++n_pos > n_min) {
          dt = std::min(dt * f_inc, dt_max);
          alpha *= f_a;
        }
        // In a large system the total power stays positive while parts of it oscillate, and FIRE turns
        // into undamped dynamics; so each Zn and each linker coordinate moving uphill is also stopped
        // (the per-particle test of "quick-min", Allen & Tildesley 2017, §5.7 / Sheppard et al.,
        // J. Chem. Phys. 128 (2008) 134106).
        for (size_t i = 0; i < nz; ++i)
          if (fz[i].dot(vz[i]) < 0) vz[i] = Vec3();
        for (size_t bi = 0; bi < nb; ++bi) {
          if (fc[bi].dot(vc[bi]) < 0) vc[bi] = Vec3();
          if (fw[bi].dot(vw[bi]) < 0) vw[bi] = Vec3();
        }
      } else {
        for (auto& v : vz) v = Vec3();
        for (auto& v : vc) v = Vec3();
        for (auto& v : vw) v = Vec3();
        dt *= f_dec;
        alpha = a_start;
        n_pos = 0;
      }
      // x += dt v, each move capped at max_move (Å)
      auto capped = [&](const Vec3& v) {
        Vec3 dx = v * dt;
        const double l = dx.length();
        return l > max_move ? dx * (max_move / l) : dx;
      };
      for (size_t i = 0; i < nz; ++i) zn_[i] += capped(vz[i]);
      for (size_t bi = 0; bi < nb; ++bi) {
        Body& b = bodies_[bi];
        const Vec3 dc = capped(vc[bi]);
        const Vec3 dw = capped(vw[bi]) / rigid_[b.kind].ell;
        set_pose(bi, b.c + dc, multiply(from_rotation_vector(dw), b.q));
      }
      sync_zn();
      maybe_rebuild_pairs();
      energy(true);
      forces(fz, fc, fw);
    }
    return step;
  }
};

// Simulated annealing of the same coordinates: velocity-Verlet dynamics (Zn mass 4, a linker's mass
// its atom count, rotational inertia m ℓ²) whose kinetic temperature follows kT(t) = kT₀ (1 − t/steps)
// through Berendsen weak coupling (Berendsen et al., J. Chem. Phys. 81 (1984) 3684; τ = 20 steps);
// start velocities Gaussian from the seeded stream. Leaves the coordinates at the end of the run (a
// quench by minimise() follows).
void anneal(Model& m, int steps, double kt0, Random& rng) {
  const double dt = 0.05, tau = 20 * dt, max_move = 0.1;
  const size_t nz = m.zn_.size(), nb = m.bodies_.size();
  const double mass_zn = 4.0;
  std::vector<double> mass_b(nb);
  for (size_t bi = 0; bi < nb; ++bi) mass_b[bi] = static_cast<double>(m.rigid_[m.bodies_[bi].kind].x.size());
  auto gauss = [&]() {  // Box–Muller
    const double u1 = 1.0 - rng.uniform(), u2 = rng.uniform();
    return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
  };
  auto gvec = [&](double sd) { return Vec3(gauss() * sd, gauss() * sd, gauss() * sd); };
  std::vector<Vec3> vz(nz), vc(nb), vw(nb), fz, fc, fw;
  for (size_t i = 0; i < nz; ++i) vz[i] = gvec(std::sqrt(kt0 / mass_zn));
  for (size_t bi = 0; bi < nb; ++bi) {
    vc[bi] = gvec(std::sqrt(kt0 / mass_b[bi]));
    vw[bi] = gvec(std::sqrt(kt0 / mass_b[bi]));
  }
  const double ndof = 3.0 * static_cast<double>(nz + 2 * nb);
  m.sync_zn();
  m.rebuild_pairs();
  m.energy(true);
  m.forces(fz, fc, fw);
  auto capped = [&](const Vec3& v) {
    Vec3 dx = v * dt;
    const double l = dx.length();
    return l > max_move ? dx * (max_move / l) : dx;
  };
  for (int step = 0; step < steps; ++step) {
    const double kt = kt0 * (1.0 - static_cast<double>(step) / steps);
    for (size_t i = 0; i < nz; ++i) vz[i] += fz[i] * (0.5 * dt / mass_zn);
    for (size_t bi = 0; bi < nb; ++bi) {
      vc[bi] += fc[bi] * (0.5 * dt / mass_b[bi]);
      vw[bi] += fw[bi] * (0.5 * dt / mass_b[bi]);
    }
    for (size_t i = 0; i < nz; ++i) m.zn_[i] += capped(vz[i]);
    for (size_t bi = 0; bi < nb; ++bi) {
      Body& b = m.bodies_[bi];
      const Vec3 dw = capped(vw[bi]) / m.rigid_[b.kind].ell;
      m.set_pose(bi, b.c + capped(vc[bi]), multiply(from_rotation_vector(dw), b.q));
    }
    m.sync_zn();
    m.maybe_rebuild_pairs();
    m.energy(true);
    m.forces(fz, fc, fw);
    double k2 = 0;  // twice the kinetic energy
    for (size_t i = 0; i < nz; ++i) {
      vz[i] += fz[i] * (0.5 * dt / mass_zn);
      k2 += mass_zn * vz[i].length_sq();
    }
    for (size_t bi = 0; bi < nb; ++bi) {
      vc[bi] += fc[bi] * (0.5 * dt / mass_b[bi]);
      vw[bi] += fw[bi] * (0.5 * dt / mass_b[bi]);
      k2 += mass_b[bi] * (vc[bi].length_sq() + vw[bi].length_sq());
    }
    const double kt_now = k2 / ndof;
    const double lambda = kt_now > 0 ? std::sqrt(std::max(0.0, 1 + dt / tau * (kt / kt_now - 1))) : 1.0;
    for (auto& v : vz) v *= lambda;
    for (auto& v : vc) v *= lambda;
    for (auto& v : vw) v *= lambda;
  }
}

// Atoms of placed bodies and Zn within reach of a body, through a cell grid of the placed atoms.
class PlacementGrid {
 public:
  PlacementGrid(const Box& box, double cell) : box_(box) {
    n_ = std::max(1, static_cast<int>(std::floor(box.L / cell)));
    cells_.assign(static_cast<size_t>(n_) * n_ * n_, {});
  }
  void insert(uint32_t atom, const Vec3& p) { cells_[cell_of(p)].push_back(atom); }
  void remove(uint32_t atom, const Vec3& p) {
    auto& c = cells_[cell_of(p)];
    c.erase(std::find(c.begin(), c.end(), atom));
  }
  // Atoms in the 27 cells around p (each once; all cells when the grid is smaller than 3³).
  void around(const Vec3& p, std::vector<uint32_t>& out) const {
    const Vec3 w = box_.wrap(p);
    const int c[3] = {idx(w.x), idx(w.y), idx(w.z)};
    const int span = n_ >= 3 ? 1 : 0;
    if (n_ < 3) {
      for (const auto& cell : cells_) out.insert(out.end(), cell.begin(), cell.end());
      return;
    }
    for (int dx = -span; dx <= span; ++dx)
      for (int dy = -span; dy <= span; ++dy)
        for (int dz = -span; dz <= span; ++dz) {
          const size_t k = flat((c[0] + dx + n_) % n_, (c[1] + dy + n_) % n_, (c[2] + dz + n_) % n_);
          out.insert(out.end(), cells_[k].begin(), cells_[k].end());
        }
  }

 private:
  Box box_;
  int n_;
  std::vector<std::vector<uint32_t>> cells_;
  int idx(double x) const { return std::min(n_ - 1, static_cast<int>(x / box_.L * n_)); }
  size_t flat(int a, int b, int c) const { return (static_cast<size_t>(a) * n_ + b) * n_ + c; }
  size_t cell_of(const Vec3& p) const {
    const Vec3 w = box_.wrap(p);
    return flat(idx(w.x), idx(w.y), idx(w.z));
  }
};

constexpr int kPhiSteps = 24;
// FIRE stops when every generalised force per unit mass is below this (energy/Å per mass unit); the
// energy is then within ~0.1 % of the converged value (checked against 10⁻³).
constexpr double kForceTolerance = 0.05;

// Best of kPhiSteps turns about the body's Zn–Zn link starting at phi0, against the placed atoms
// near it.
void place_best(Model& m, size_t bi, const std::vector<char>& placed, const PlacementGrid& grid,
                std::vector<uint32_t>& near, double phi0 = 0, int steps = kPhiSteps) {
  double best = 1e300;
  std::pair<Vec3, Quat> best_pose;
  for (int k = 0; k < steps; ++k) {
    const double phi = phi0 + 2 * kPi * k / kPhiSteps;
    const auto pose = m.link_pose(bi, phi);
    m.set_pose(bi, pose.first, pose.second);
    near.clear();
    grid.around(pose.first, near);
    const double e = m.body_energy(bi, placed, near);
    if (e < best) {
      best = e;
      best_pose = pose;
    }
  }
  m.set_pose(bi, best_pose.first, best_pose.second);
}

}  // namespace

Structure decorate_and_relax(const NodeNetwork& net, const std::vector<ZifLinkerKind>& kinds, const RelaxParams& p, Random& rng,
                             AgZif62BuildInfo& info, const std::function<void(const std::string&)>& log) {
  Model m(net, p);
  for (size_t l = 0; l < net.links.size(); ++l)
    m.add_body(kinds[l] == ZifLinkerKind::Im ? 0 : 1, net.links[l][0], net.links[l][1]);
  const size_t nb = m.bodies_.size();

  // Decoration, in a random order, each linker at its best turn given the ones already placed. Atoms
  // are binned by position; the grid cell (7 Å) covers a linker's reach from its centroid: centroid to
  // farthest atom (≤ 3.7 Å) plus σ (≤ 3.2 Å).
  PlacementGrid grid(m.box_, 7.0);
  for (size_t i = 0; i < m.zn_.size(); ++i) grid.insert(static_cast<uint32_t>(i), m.zn_[i]);
  std::vector<char> placed(nb, 0);
  std::vector<size_t> order(nb);
  std::iota(order.begin(), order.end(), 0);
  for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.index(k)]);
  std::vector<uint32_t> near;
  for (size_t bi : order) {
    // the turn that faces the ring to the link's bead, and ±15°
    place_best(m, bi, placed, grid, near, m.bead_phi(bi, net.ring_centre[bi]) - 2 * kPi / kPhiSteps, 3);
    placed[bi] = 1;
    const Body& b = m.bodies_[bi];
    for (size_t k = 0; k < m.rigid_[b.kind].x.size(); ++k)
      grid.insert(static_cast<uint32_t>(b.first + k), m.pos_[b.first + k]);
  }
  if (log) log("decoration: " + std::to_string(nb) + " linkers placed");

  // Relaxation: the full force field with the repulsion switched on in two steps, a simulated anneal
  // (the quench from kT₀ = 1 energy unit per degree of freedom lowers the final energy by ~20 % for
  // 256 Zn), and a final quench.
  int steps = 0;
  const double k_r_final = m.k_r_;
  auto report = [&](const std::string& what) {
    if (!log) return;
    std::ostringstream msg;
    msg << "relaxation: " << what << ", " << steps << " FIRE steps so far, E = " << m.energy(false);
    log(msg.str());
  };
  m.k_r_ = 0.1 * k_r_final;
  steps += m.minimise(p.max_steps, kForceTolerance);
  report("soft repulsion");
  m.k_r_ = k_r_final;
  steps += m.minimise(p.max_steps, kForceTolerance);
  report("full repulsion");
  if (p.anneal_steps > 0) {
    anneal(m, p.anneal_steps, p.anneal_kt, rng);
    steps += m.minimise(p.max_steps, kForceTolerance);
    report("anneal of " + std::to_string(p.anneal_steps) + " steps and quench");
  }

  // Fix-up rounds: linkers left with an overlap beyond 15 % of σ are re-turned about their link with
  // everything else fixed, then all is relaxed again.
  std::vector<char> all_placed(nb, 1);
  for (int round = 0; round < 6; ++round) {
    std::vector<char> bad(nb, 0);
    size_t n_bad = 0;
    for (const Pair& pr : m.pairs_) {
      const double r = m.box_.min_image(m.pos_[pr.j] - m.pos_[pr.i]).length();
      if (r < 0.85 * pr.sigma)
        for (uint32_t a : {pr.i, pr.j})
          if (m.body_of_[a] >= 0 && !bad[static_cast<size_t>(m.body_of_[a])]) {
            bad[static_cast<size_t>(m.body_of_[a])] = 1;
            ++n_bad;
          }
    }
    if (n_bad == 0) break;
    info.fixup_rounds = round + 1;
    PlacementGrid g2(m.box_, 7.0);
    for (size_t i = 0; i < m.pos_.size(); ++i) g2.insert(static_cast<uint32_t>(i), m.pos_[i]);
    for (size_t bi = 0; bi < nb; ++bi)
      if (bad[bi]) place_best(m, bi, all_placed, g2, near);
    steps += m.minimise(p.max_steps, kForceTolerance);
    if (log) {
      std::ostringstream msg;
      msg << "fix-up round " << round + 1 << ": " << n_bad << " linkers re-turned, E = " << m.energy(false);
      log(msg.str());
    }
  }
  info.relax_steps = steps;
  m.rebuild_pairs();
  info.final_energy = m.energy(false);
  double worst = 0;
  for (const Pair& pr : m.pairs_) {
    const double r = m.box_.min_image(m.pos_[pr.j] - m.pos_[pr.i]).length();
    worst = std::max(worst, pr.sigma - r);
  }
  info.max_overlap_A = worst;

  Structure s;
  s.cell = Cell::orthorhombic(m.box_.L, m.box_.L, m.box_.L);
  s.atoms.reserve(m.n_atoms());
  for (size_t i = 0; i < m.n_atoms(); ++i) {
    Atom a;
    a.element = m.element_of(i);
    a.pos = Position(m.box_.wrap(m.pos_[i]));
    const int b = m.body_of_[i];
    a.molecule = b < 0 ? 0 : b + 1;
    a.label = b < 0 ? "Zn" : (m.bodies_[static_cast<size_t>(b)].kind == 0 ? "Im" : "bIm");
    s.atoms.push_back(a);
  }
  return s;
}

}  // namespace sedpdf::agzif62_detail
