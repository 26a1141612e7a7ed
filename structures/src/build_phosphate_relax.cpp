// The phosphate builder's machinery: random numbers, pair search, point grid, force field and FIRE.
#include <algorithm>
#include <stdexcept>

#include "build_phosphate_detail.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/neighbors.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf::phosphate_detail {

Vec3 Rng::unit_vector() {
  while (true) {
    const double a = 2 * uniform() - 1, b = 2 * uniform() - 1;
    const double s = a * a + b * b;
    if (s >= 1 || s == 0) continue;
    const double r = 2 * std::sqrt(1 - s);
    return {a * r, b * r, 1 - 2 * s};
  }
}

double Rng::normal() {
  double u1 = uniform();
  while (u1 <= 0) u1 = uniform();
  const double u2 = uniform();
  return std::sqrt(-2 * std::log(u1)) * std::cos(2 * kPi * u2);
}

std::vector<uint32_t> Rng::permutation(size_t n) {
  std::vector<uint32_t> p(n);
  for (size_t i = 0; i < n; ++i) p[i] = static_cast<uint32_t>(i);
  for (size_t i = n; i > 1; --i) std::swap(p[i - 1], p[below(i)]);
  return p;
}

std::vector<std::pair<uint32_t, uint32_t>> close_pairs(const std::vector<Vec3>& x, const Box& box, double r_max) {
  Structure s;
  s.cell = Cell::orthorhombic(box.L, box.L, box.L);
  s.atoms.resize(x.size());
  const Element h = Element::from_z(1);
  for (size_t i = 0; i < x.size(); ++i) {
    s.atoms[i].element = h;
    s.atoms[i].pos = Position(box.wrap(x[i]));
  }
  NeighborSearch ns(s, NeighborOptions{r_max, false});
  std::vector<std::pair<uint32_t, uint32_t>> out;
  ns.for_each_pair([&](size_t i, size_t j, const Vec3&, double) {
    out.emplace_back(static_cast<uint32_t>(std::min(i, j)), static_cast<uint32_t>(std::max(i, j)));
  });
  return out;
}

PointGrid::PointGrid(const Box& box, double cell) : box_(box), cell_(cell) {
  n_ = static_cast<int>(std::floor(box.L / cell));
  if (n_ < 3) n_ = 1;
  bins_.resize(static_cast<size_t>(n_) * n_ * n_);
}

void PointGrid::insert(uint32_t id, const Vec3& p) {
  const Vec3 w = box_.wrap(p);
  if (n_ < 3) {
    ids_all_.push_back(id);
    pos_all_.push_back(w);
    return;
  }
  bins_[bin(cell_index(w.x), cell_index(w.y), cell_index(w.z))].emplace_back(id, w);
}

ForceField::ForceField(const Box& box, std::vector<int> type, int ntypes)
    : box_(box), type_(std::move(type)), ntypes_(ntypes), excluded_(type_.size()),
      nb_(static_cast<size_t>(ntypes) * ntypes) {}

void set_closest_approach(ForceField& ff, int o1, int o2, int f, int p, int al, int na, double k_hard,
                          double k_soft) {
  for (int o : {o1, o2}) {
    for (int o_b : {o1, o2}) ff.set_wall(o, o_b, 2.60, k_hard);
    ff.set_wall(o, f, 2.55, k_hard);
    ff.set_wall(p, o, 2.70, k_soft);
    ff.set_wall(na, o, 2.20, k_soft);
  }
  ff.set_wall(f, f, 2.50, k_hard);
  ff.set_wall(p, f, 2.70, k_soft);
  ff.set_wall(na, f, 2.10, k_soft);
  ff.set_wall(p, p, 3.10, k_hard);
  ff.set_wall(p, al, 3.20, k_hard);
  ff.set_wall(al, al, 3.45, k_hard);
  ff.set_wall(na, p, 3.20, k_hard);
  ff.set_wall(na, al, 3.50, k_hard);
  ff.set_wall(na, na, 2.90, k_hard);
}

void ForceField::exclude(uint32_t i, uint32_t j) {
  excluded_[i].push_back(j);
  excluded_[j].push_back(i);
  sorted_ = false;
}

void ForceField::add_harmonic(uint32_t i, uint32_t j, double r0, double k) {
  terms_.push_back({i, j, r0, k, false, Vec3{}});
  exclude(i, j);
}

void ForceField::add_wall(uint32_t i, uint32_t j, double d, double k) {
  terms_.push_back({i, j, d, k, true, Vec3{}});
  exclude(i, j);
}

void ForceField::set_wall(int t, int u, double d, double k) {
  for (Nb* e : {&nb(t, u), &nb(u, t)}) {
    e->wall_d = d;
    e->wall_k = k;
    e->rc2 = std::max(e->rc2, d * d);
  }
  list_cut_ = std::max(list_cut_, d);
}

void ForceField::set_morse(int t, int u, double depth, double a, double r0, double rc) {
  const double e = std::exp(-a * (rc - r0));
  for (Nb* n : {&nb(t, u), &nb(u, t)}) {
    n->morse_d = depth;
    n->morse_a = a;
    n->morse_r0 = r0;
    n->morse_rc = rc;
    n->morse_shift = depth * ((1 - e) * (1 - e) - 1);
    n->morse_fshift = 2 * depth * a * (1 - e) * e;  // dE/dr at r_c
    n->rc2 = std::max(n->rc2, rc * rc);
  }
  list_cut_ = std::max(list_cut_, rc);
}

void ForceField::rebuild(const std::vector<Vec3>& x) {
  if (!sorted_) {
    for (auto& e : excluded_) {
      std::sort(e.begin(), e.end());
      e.erase(std::unique(e.begin(), e.end()), e.end());
    }
    sorted_ = true;
  }
  // Periodic image of every pair, fixed until the next rebuild (no atom moves by more than half the
  // skin in between, and every cut-off plus skin is below L/2).
  auto shift = [&](uint32_t i, uint32_t j) {
    const Vec3 raw = x[j] - x[i];
    return box_.min_image(raw) - raw;
  };
  for (Term& t : terms_) t.shift = shift(t.i, t.j);
  list_.clear();
  if (list_cut_ > 0) {
    for (const auto& [i, j] : close_pairs(x, box_, std::min(list_cut_ + kSkin, 0.5 * box_.L * (1 - 1e-9)))) {
      const auto& ex = excluded_[i];
      if (std::binary_search(ex.begin(), ex.end(), j)) continue;
      if (nb(type_[i], type_[j]).rc2 <= 0) continue;
      list_.push_back({i, j, shift(i, j)});
    }
  }
  x_at_build_ = x;
}

double ForceField::compute(const std::vector<Vec3>& x, std::vector<Vec3>& f) {
  const size_t n = x.size();
  bool need = x_at_build_.size() != n;
  if (!need) {
    // Raw displacements: a caller that wraps positions between calls triggers a rebuild.
    const double lim2 = 0.25 * kSkin * kSkin;
    for (size_t i = 0; i < n && !need; ++i) need = (x[i] - x_at_build_[i]).length_sq() > lim2;
  }
  if (need) rebuild(x);
  f.assign(n, Vec3{});
  double e = 0;
  for (const Term& t : terms_) {
    const Vec3 d = x[t.j] - x[t.i] + t.shift;
    const double r = d.length();
    if (t.wall && r >= t.r0) continue;
    const double dr = r - t.r0;
    e += t.k * dr * dr;
    if (r > 1e-12) {
      const Vec3 g = d * (2 * t.k * dr / r);  // dE/dx_j
      f[t.j] -= g;
      f[t.i] += g;
    }
  }
  for (const Pair& p : list_) {
    const Nb& q = nb_[static_cast<size_t>(type_[p.i]) * ntypes_ + type_[p.j]];
    const Vec3 d = x[p.j] - x[p.i] + p.shift;
    const double r2 = d.length_sq();
    if (r2 >= q.rc2 || r2 < 1e-24) continue;
    const double r = std::sqrt(r2);
    double dedr = 0;
    if (r < q.wall_d) {
      const double dr = r - q.wall_d;
      e += q.wall_k * dr * dr;
      dedr += 2 * q.wall_k * dr;
    }
    if (q.morse_d > 0 && r < q.morse_rc) {
      const double ex = std::exp(-q.morse_a * (r - q.morse_r0));
      e += q.morse_d * ((1 - ex) * (1 - ex) - 1) - q.morse_shift - (r - q.morse_rc) * q.morse_fshift;
      dedr += 2 * q.morse_d * q.morse_a * (1 - ex) * ex - q.morse_fshift;
    }
    const Vec3 g = d * (dedr / r);
    f[p.j] -= g;
    f[p.i] += g;
  }
  return e;
}

FireResult fire_minimize(ForceField& ff, std::vector<Vec3>& x, int max_steps, double f_tol, double dt_max,
                         double max_step) {
  // Parameters of Bitzek et al. (2006): N_min 5, f_inc 1.1, f_dec 0.5, α_start 0.1, f_α 0.99.
  const int n_min = 5;
  const double f_inc = 1.1, f_dec = 0.5, a_start = 0.1, f_a = 0.99;
  const size_t n = x.size();
  std::vector<Vec3> v(n), f;
  double dt = 0.25 * dt_max, alpha = a_start;
  int since_neg = 0;
  FireResult res;
  double e = ff.compute(x, f);
  for (int step = 0; step < max_steps; ++step) {
    double fmax2 = 0;
    for (const Vec3& fi : f) fmax2 = std::max(fmax2, fi.length_sq());
    res.steps = step;
    res.energy = e;
    res.max_force = std::sqrt(fmax2);
    if (res.max_force < f_tol) return res;
    double p = 0, vv = 0, ff2 = 0;
    for (size_t i = 0; i < n; ++i) {
      p += f[i].dot(v[i]);
      vv += v[i].length_sq();
      ff2 += f[i].length_sq();
    }
    if (p > 0) {
      const double scale = ff2 > 0 ? std::sqrt(vv / ff2) : 0;
      for (size_t i = 0; i < n; ++i) v[i] = v[i] * (1 - alpha) + f[i] * (alpha * scale);
      if (++since_neg > n_min) {
        dt = std::min(dt * f_inc, dt_max);
        alpha *= f_a;
      }
    } else {
      for (Vec3& vi : v) vi = Vec3{};
      dt *= f_dec;
      alpha = a_start;
      since_neg = 0;
    }
    const double cap2 = max_step * max_step;
    for (size_t i = 0; i < n; ++i) {
      v[i] += f[i] * dt;
      Vec3 dx = v[i] * dt;
      const double l2 = dx.length_sq();
      if (l2 > cap2) {
        dx *= max_step / std::sqrt(l2);
        v[i] = dx / dt;
      }
      x[i] += dx;
    }
    e = ff.compute(x, f);
  }
  double fmax2 = 0;
  for (const Vec3& fi : f) fmax2 = std::max(fmax2, fi.length_sq());
  res.steps = max_steps;
  res.energy = e;
  res.max_force = std::sqrt(fmax2);
  return res;
}

}  // namespace sedpdf::phosphate_detail
