// agZIF-62 builder, stage 1: a 4-connected continuous random network of Zn nodes, one bead per link.
//
// Random start at the target density (Barkema & Mousseau, Phys. Rev. B 62 (2000) 4985, §II: no
// crystalline memory), 4-connection of near pairs, then Metropolis bond switches of Wooten, Winer &
// Weaire, Phys. Rev. Lett. 54 (1985) 1392 (links a–b, c–d with b–c linked become a–c, b–d), each
// followed by a local relaxation, under the coarse-grained potential of NetworkParams (a Keating-like
// valence term, Keating, Phys. Rev. 145 (1966) 637, written for Zn–linker–Zn bridges).
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

constexpr double kDeg = kPi / 180.0;

struct Edge {
  int u = -1, v = -1;  // linked nodes; u = −1 for a free slot
};

// Points 0..n−1 are the Zn nodes, n + e the bead of edge slot e (2n slots).
class NodeModel {
 public:
  NodeModel(int n, double L, const NetworkParams& p) : p_(p), n_(n) {
    box_.L = L;
    const size_t np = static_cast<size_t>(3 * n);
    pts_.resize(np);
    adj_.assign(static_cast<size_t>(n), {});
    edges_.assign(static_cast<size_t>(2 * n), Edge());
    mark_.assign(np, 0);
    seen_.assign(static_cast<size_t>(n), 0);
    grad_.assign(np, Vec3());
    verlet_.assign(np, {});
    ref_.assign(np, Vec3());
    rcut_ = std::max({p.sigma_zz, p.sigma_bb, p.sigma_bz}) + skin_;
  }

  Box box_;
  std::vector<Vec3> pts_;
  std::vector<std::vector<int>> adj_;  // edge ids per node
  std::vector<Edge> edges_;

  int n() const { return n_; }
  size_t bead(int e) const { return static_cast<size_t>(n_ + e); }
  int other(int e, int i) const {
    const Edge& ed = edges_[static_cast<size_t>(e)];
    return ed.u == i ? ed.v : ed.u;
  }
  size_t degree(int i) const { return adj_[static_cast<size_t>(i)].size(); }
  int edge_between(int i, int j) const {
    for (int e : adj_[static_cast<size_t>(i)])
      if (other(e, i) == j) return e;
    return -1;
  }
  bool linked(int i, int j) const { return edge_between(i, j) >= 0; }
  bool common_neighbour(int i, int j) const {
    for (int e : adj_[static_cast<size_t>(i)]) {
      const int k = other(e, i);
      if (k != j && linked(k, j)) return true;
    }
    return false;
  }
  Vec3 node(int i) const { return pts_[static_cast<size_t>(i)]; }
  double dist(int i, int j) const { return box_.min_image(node(j) - node(i)).length(); }

  int link(int i, int j) {
    const auto it = std::find_if(edges_.begin(), edges_.end(), [](const Edge& e) { return e.u < 0; });
    if (it == edges_.end()) throw std::runtime_error("agZIF-62 builder: internal error, no free link slot");
    const int e = static_cast<int>(it - edges_.begin());
    *it = {i, j};
    adj_[static_cast<size_t>(i)].push_back(e);
    adj_[static_cast<size_t>(j)].push_back(e);
    return e;
  }
  void unlink(int i, int j) {
    const int e = edge_between(i, j);
    auto drop = [&](int k) {
      auto& a = adj_[static_cast<size_t>(k)];
      a.erase(std::find(a.begin(), a.end(), e));
    };
    drop(i);
    drop(j);
    edges_[static_cast<size_t>(e)] = Edge();
  }

  // The bead of edge e at the link midpoint plus h₀ = sqrt(arm² − (link/2)²) along the component of
  // `towards` (a direction) perpendicular to the link.
  void place_bead(int e, Vec3 towards) {
    const Edge& ed = edges_[static_cast<size_t>(e)];
    const Vec3 a = node(ed.u);
    const Vec3 d = box_.min_image(node(ed.v) - a);
    const Vec3 dh = d / d.length();
    towards -= dh * towards.dot(dh);
    if (towards.length() < 1e-6) {
      towards = dh.cross(std::abs(dh.x) < 0.6 ? Vec3(1, 0, 0) : Vec3(0, 1, 0));
    }
    const double h0 = std::sqrt(std::max(0.0, p_.arm * p_.arm - 0.25 * p_.link * p_.link));
    pts_[bead(e)] = a + d * 0.5 + towards * (h0 / towards.length());
  }

  // ---- neighbour lists (NeighborSearch over nodes and beads, Verlet skin) -------------------------
  void rebuild_verlet() {
    Structure s;
    s.cell = Cell::orthorhombic(box_.L, box_.L, box_.L);
    s.atoms.resize(pts_.size());
    for (size_t i = 0; i < pts_.size(); ++i) {
      s.atoms[i].element = Element::from_z(i < static_cast<size_t>(n_) ? 30 : 6);
      s.atoms[i].pos = Position(box_.wrap(pts_[i]));
    }
    for (auto& v : verlet_) v.clear();
    const double rc = std::min(rcut_, 0.999 * s.cell.minimum_image_radius());
    NeighborSearch ns(s, {rc, false});
    ns.for_each_pair([&](size_t i, size_t j, const Vec3&, double) {
      verlet_[i].push_back(static_cast<int>(j));
      verlet_[j].push_back(static_cast<int>(i));
    });
    for (auto& v : verlet_) std::sort(v.begin(), v.end());
    ref_ = pts_;
  }
  void maybe_rebuild_verlet() {
    const double lim2 = 0.25 * skin_ * skin_;
    for (size_t i = 0; i < pts_.size(); ++i)
      if (box_.min_image(pts_[i] - ref_[i]).length_sq() > lim2) {
        rebuild_verlet();
        return;
      }
  }
  // Re-lists one point after a jump: brute force over all points, lists kept symmetric and sorted.
  void relist(size_t p) {
    for (int q : verlet_[p]) {
      auto& l = verlet_[static_cast<size_t>(q)];
      l.erase(std::lower_bound(l.begin(), l.end(), static_cast<int>(p)));
    }
    verlet_[p].clear();
    const double rc = std::min(rcut_, 0.999 * 0.5 * box_.L);
    for (size_t q = 0; q < pts_.size(); ++q) {
      if (q == p || box_.min_image(pts_[q] - pts_[p]).length_sq() > rc * rc) continue;
      verlet_[p].push_back(static_cast<int>(q));
      auto& l = verlet_[q];
      l.insert(std::lower_bound(l.begin(), l.end(), static_cast<int>(p)), static_cast<int>(p));
    }
    ref_[p] = pts_[p];
  }

  // ---- energy -------------------------------------------------------------------------------------
  // Moved set M: the nodes S and the beads of their links. Terms: links and arms of those links,
  // angle terms at S and the neighbours of S, repulsion with a point of M. Gradient on M.
  double local_energy(const std::vector<int>& S, bool want_grad) {
    ++stamp_;
    moved_.clear();
    for (int i : S) {
      moved_.push_back(static_cast<size_t>(i));
      for (int e : adj_[static_cast<size_t>(i)]) moved_.push_back(bead(e));
    }
    std::sort(moved_.begin(), moved_.end());
    moved_.erase(std::unique(moved_.begin(), moved_.end()), moved_.end());
    for (size_t m : moved_) mark_[m] = stamp_;
    if (want_grad)
      for (size_t m : moved_) grad_[m] = Vec3();
    auto in_m = [&](size_t i) { return mark_[i] == stamp_; };
    auto add_grad = [&](size_t i, const Vec3& g) {
      if (want_grad && in_m(i)) grad_[i] += g;
    };
    double e = 0;
    auto spring = [&](size_t i, size_t j, double k, double r0) {
      const Vec3 d = box_.min_image(pts_[j] - pts_[i]);
      const double r = d.length();
      const double x = r - r0;
      e += k * x * x;
      if (want_grad) {
        const Vec3 g = d * (2 * k * x / r);
        add_grad(j, g);
        add_grad(i, -g);
      }
    };
    // links and arms, each link once
    for (int i : S)
      for (int ed : adj_[static_cast<size_t>(i)]) {
        const int j = other(ed, i);
        if (mark_[static_cast<size_t>(j)] == stamp_ && j < i) continue;
        spring(static_cast<size_t>(i), static_cast<size_t>(j), p_.k_link, p_.link);
        spring(static_cast<size_t>(i), bead(ed), p_.k_arm, p_.arm);
        spring(static_cast<size_t>(j), bead(ed), p_.k_arm, p_.arm);
      }
    // repulsion
    for (size_t pi : moved_) {
      for (int qq : verlet_[pi]) {
        const size_t q = static_cast<size_t>(qq);
        if (in_m(q) && q < pi) continue;
        const double s = sigma_of(pi, q);
        if (s <= 0) continue;
        const Vec3 d = box_.min_image(pts_[q] - pts_[pi]);
        const double r2 = d.length_sq();
        if (r2 >= s * s) continue;
        const double r = std::sqrt(r2);
        const double x = s - r;
        e += p_.k_rep * x * x;
        if (want_grad) {
          const Vec3 g = d * (-2 * p_.k_rep * x / r);
          add_grad(q, g);
          add_grad(pi, -g);
        }
      }
    }
    // angles between Zn → bead vectors at S ∪ neighbours(S), each centre once
    ++stamp2_;
    auto angles_at = [&](int c) {
      if (seen_[static_cast<size_t>(c)] == stamp2_) return;
      seen_[static_cast<size_t>(c)] = stamp2_;
      const auto& nb = adj_[static_cast<size_t>(c)];
      const size_t pc = static_cast<size_t>(c);
      for (size_t a = 0; a < nb.size(); ++a)
        for (size_t b = a + 1; b < nb.size(); ++b) {
          const size_t ba = bead(nb[a]), bb = bead(nb[b]);
          const Vec3 u = box_.min_image(pts_[ba] - pts_[pc]);
          const Vec3 v = box_.min_image(pts_[bb] - pts_[pc]);
          const double lu = u.length(), lv = v.length();
          const double cs = u.dot(v) / (lu * lv);
          e += p_.k_tet * (cs + 1.0 / 3.0) * (cs + 1.0 / 3.0);
          if (want_grad) {
            const double de = 2 * p_.k_tet * (cs + 1.0 / 3.0);
            const Vec3 gu = (v / (lu * lv) - u * (cs / (lu * lu))) * de;
            const Vec3 gv = (u / (lu * lv) - v * (cs / (lv * lv))) * de;
            add_grad(ba, gu);
            add_grad(bb, gv);
            add_grad(pc, -(gu + gv));
          }
        }
    };
    for (int i : S) {
      angles_at(i);
      for (int ed : adj_[static_cast<size_t>(i)]) angles_at(other(ed, i));
    }
    return e;
  }

  // σ of a pair of points, 0 when the pair is not repelled (linked nodes, a bead and its own ends,
  // free slots).
  double sigma_of(size_t a, size_t b) const {
    const size_t n = static_cast<size_t>(n_);
    if (a > b) std::swap(a, b);
    if (b < n) return linked(static_cast<int>(a), static_cast<int>(b)) ? 0.0 : p_.sigma_zz;
    const Edge& eb = edges_[b - n];
    if (eb.u < 0) return 0;
    if (a < n) return (eb.u == static_cast<int>(a) || eb.v == static_cast<int>(a)) ? 0.0 : p_.sigma_bz;
    return edges_[a - n].u < 0 ? 0.0 : p_.sigma_bb;
  }

  // Steepest descent with an adaptive step on M (everything else fixed); returns the final energy of
  // the terms touching M.
  double relax(const std::vector<int>& S, int iters) {
    double alpha = 0.05;  // Å² per energy unit; the stiffest springs (k ≈ 2–4) need α < 0.1–0.25
    double e = local_energy(S, true);
    const std::vector<size_t> m = moved_;
    std::vector<Vec3> save(m.size()), gsave(m.size());
    for (int it = 0; it < iters; ++it) {
      double gmax = 0;
      for (size_t i : m) gmax = std::max(gmax, grad_[i].length());
      if (gmax < 1e-5) break;
      const double a = std::min(alpha, 0.3 / gmax);  // largest move 0.3 Å
      for (size_t k = 0; k < m.size(); ++k) {
        save[k] = pts_[m[k]];
        gsave[k] = grad_[m[k]];
        pts_[m[k]] -= grad_[m[k]] * a;
      }
      const double e_new = local_energy(S, true);
      if (e_new <= e) {
        e = e_new;
        alpha = std::min(alpha * 1.2, 0.3);
      } else {
        for (size_t k = 0; k < m.size(); ++k) {
          pts_[m[k]] = save[k];
          grad_[m[k]] = gsave[k];
        }
        alpha *= 0.4;
        if (alpha < 1e-6) break;
      }
    }
    return e;
  }

  std::vector<int> all_nodes() const {
    std::vector<int> a(static_cast<size_t>(n_));
    std::iota(a.begin(), a.end(), 0);
    return a;
  }

  double energy_total() { return local_energy(all_nodes(), false); }

 private:
  NetworkParams p_;
  int n_;
  double skin_ = 1.5, rcut_ = 0;
  std::vector<std::vector<int>> verlet_;
  std::vector<Vec3> ref_;
  std::vector<int> mark_, seen_;
  std::vector<size_t> moved_;
  int stamp_ = 0, stamp2_ = 0;
  std::vector<Vec3> grad_;
};

// Random sequential addition with a minimum separation, lowered by 3 % whenever 2000 tries fail.
void random_start(NodeModel& m, double d_min, Random& rng) {
  const double L = m.box_.L;
  double d2 = d_min * d_min;
  for (int i = 0; i < m.n(); ++i) {
    int tries = 0;
    for (;;) {
      const Vec3 p(rng.uniform() * L, rng.uniform() * L, rng.uniform() * L);
      bool ok = true;
      for (int j = 0; j < i && ok; ++j) ok = m.box_.min_image(p - m.node(j)).length_sq() >= d2;
      if (ok) {
        m.pts_[static_cast<size_t>(i)] = p;
        break;
      }
      if (++tries == 2000) {
        d2 *= 0.97 * 0.97;
        tries = 0;
      }
    }
  }
}

// Greedy 4-connection of near pairs (closest to the link length first), no 3-rings.
void greedy_connect(NodeModel& m, double r_cand, double link) {
  Structure s;
  const double L = m.box_.L;
  s.cell = Cell::orthorhombic(L, L, L);
  for (int i = 0; i < m.n(); ++i) {
    Atom a;
    a.element = Element::from_z(30);
    a.pos = Position(m.node(i));
    s.atoms.push_back(a);
  }
  struct Cand {
    double key;
    int i, j;
  };
  std::vector<Cand> cand;
  NeighborSearch ns(s, {r_cand, false});
  ns.for_each_pair([&](size_t i, size_t j, const Vec3&, double r2) {
    cand.push_back({std::abs(std::sqrt(r2) - link), static_cast<int>(std::min(i, j)),
                    static_cast<int>(std::max(i, j))});
  });
  std::sort(cand.begin(), cand.end(), [](const Cand& a, const Cand& b) {
    if (a.key != b.key) return a.key < b.key;
    return a.i != b.i ? a.i < b.i : a.j < b.j;
  });
  // Passes with a decreasing smallest allowed angle between a new link and the links already at either
  // end, so that the early links spread out around each node.
  auto min_cos_ok = [&](int i, int j, double cos_max) {
    const Vec3 d = m.box_.min_image(m.node(j) - m.node(i));
    for (int e : m.adj_[static_cast<size_t>(i)]) {
      const Vec3 u = m.box_.min_image(m.node(m.other(e, i)) - m.node(i));
      if (u.dot(d) / (u.length() * d.length()) > cos_max) return false;
    }
    for (int e : m.adj_[static_cast<size_t>(j)]) {
      const Vec3 u = m.box_.min_image(m.node(m.other(e, j)) - m.node(j));
      if (-u.dot(d) / (u.length() * d.length()) > cos_max) return false;
    }
    return true;
  };
  for (const double min_angle_deg : {90.0, 80.0, 70.0, 60.0, 0.0}) {
    const double cos_max = std::cos(min_angle_deg * kDeg);
    for (const Cand& c : cand) {
      if (m.degree(c.i) >= 4 || m.degree(c.j) >= 4) continue;
      if (m.linked(c.i, c.j) || m.common_neighbour(c.i, c.j)) continue;
      if (!min_cos_ok(c.i, c.j, cos_max)) continue;
      m.link(c.i, c.j);
    }
  }
}

// Moves the unsaturated ends ("holes") through the net until pairs of them meet and are joined:
// a hole at a takes the link c–d of a nearby saturated node c (a–c made, c–d broken), so the hole
// moves to d. The move preferred (70 % of the steps; else a random one) is one after which d can be
// joined to another hole at once, else the one that brings d nearest to another hole.
void complete_network(NodeModel& m, double r_cand, Random& rng) {
  const int n = m.n();
  // nodes within r_cand of each node (the positions do not change here)
  std::vector<std::vector<int>> near(static_cast<size_t>(n));
  {
    Structure s;
    const double L = m.box_.L;
    s.cell = Cell::orthorhombic(L, L, L);
    for (int i = 0; i < n; ++i) {
      Atom a;
      a.element = Element::from_z(30);
      a.pos = Position(m.node(i));
      s.atoms.push_back(a);
    }
    NeighborSearch ns(s, {r_cand, false});
    ns.for_each_pair([&](size_t i, size_t j, const Vec3&, double r2) {
      if (std::sqrt(r2) >= r_cand) return;
      near[i].push_back(static_cast<int>(j));
      near[j].push_back(static_cast<int>(i));
    });
    for (auto& v : near) std::sort(v.begin(), v.end());
  }
  auto holes = [&]() {
    std::vector<int> h;
    for (int i = 0; i < n; ++i)
      for (size_t k = m.degree(i); k < 4; ++k) h.push_back(i);
    return h;
  };
  auto joinable = [&](int a, int b) {
    return a != b && !m.linked(a, b) && !m.common_neighbour(a, b) && m.dist(a, b) < r_cand;
  };
  const long max_steps = 200L * n + 100000;
  long steps = 0;
  std::vector<int> h = holes();
  while (!h.empty()) {
    if (++steps > max_steps) {
      std::ostringstream msg;
      msg << "agZIF-62 builder: could not complete the 4-connected Zn network (" << h.size()
          << " unsaturated links left after " << max_steps << " steps)";
      throw std::runtime_error(msg.str());
    }
    const int a = h[rng.index(h.size())];
    // another hole within reach: join the nearest
    int best_b = -1;
    double best_r = 1e300;
    for (int b : h)
      if (joinable(a, b) && m.dist(a, b) < best_r) {
        best_r = m.dist(a, b);
        best_b = b;
      }
    if (best_b >= 0) {
      m.link(a, best_b);
      h = holes();
      continue;
    }
    const bool two_on_a = std::count(h.begin(), h.end(), a) >= 2 && h.size() == 2;
    struct Move {
      int c, d;
      double score;
    };
    // Moves that make no three-membered ring are preferred; when there is none (small, dense boxes,
    // where most nodes near a are its second neighbours) the rings are allowed and removed afterwards
    // by break_triangles().
    std::vector<Move> moves, ringless;
    for (int c : near[static_cast<size_t>(a)]) {
      if (m.degree(c) < 4 || m.linked(a, c)) continue;
      const bool ring_ac = m.common_neighbour(a, c);
      for (int e : m.adj_[static_cast<size_t>(c)]) {
        const int d = m.other(e, c);
        if (d == a) continue;
        Move mv{c, d, 0};
        bool ring = ring_ac;
        if (two_on_a) {
          // the last two holes both on a: take c–d and make a–c, a–d
          if (m.linked(a, d) || m.dist(a, d) >= r_cand) continue;
          ring = true;  // a–c–d is a triangle
        } else {
          double best = 1e300;
          for (int b : h) {
            if (b == d || (b == a && std::count(h.begin(), h.end(), a) == 1)) continue;
            if (joinable(d, b) && b != a) {
              best = -1;
              break;
            }
            best = std::min(best, m.dist(d, b));
          }
          mv.score = best;
        }
        moves.push_back(mv);
        if (!ring) ringless.push_back(mv);
      }
    }
    if (!ringless.empty()) moves.swap(ringless);
    if (moves.empty()) continue;  // try another hole
    const Move mv = rng.uniform() < 0.7
                        ? *std::min_element(moves.begin(), moves.end(),
                                            [](const Move& x, const Move& y) { return x.score < y.score; })
                        : moves[rng.index(moves.size())];
    m.unlink(mv.c, mv.d);
    m.link(a, mv.c);
    if (two_on_a) m.link(a, mv.d);
    h = holes();
  }
}

// Removes three-membered rings left by complete_network(): for a ring p–q–r, the link p–q and a link
// x–y (x a neighbour of p outside the ring, y a neighbour of x) become q–x and p–y (a bond switch of
// Wooten, Winer & Weaire), the first such switch (in random order) that makes no new three-membered
// ring and no link longer than r_cand. Throws if a ring cannot be removed.
void break_triangles(NodeModel& m, double r_cand, Random& rng) {
  const int n = m.n();
  for (int pass = 0; pass < 20; ++pass) {
    bool any = false;
    for (int p = 0; p < n; ++p) {
      std::vector<int> nb;
      for (int e : m.adj_[static_cast<size_t>(p)]) nb.push_back(m.other(e, p));
      int q = -1, r = -1;
      for (size_t i = 0; i < nb.size() && q < 0; ++i)
        for (size_t j = i + 1; j < nb.size(); ++j)
          if (m.linked(nb[i], nb[j])) {
            q = nb[i];
            r = nb[j];
            break;
          }
      if (q < 0) continue;
      any = true;
      struct Sw {
        int x, y;
      };
      std::vector<Sw> cand;
      for (int x : nb) {
        if (x == q || x == r) continue;
        for (int e : m.adj_[static_cast<size_t>(x)]) {
          const int y = m.other(e, x);
          if (y == p || y == q || m.linked(q, x) || m.linked(p, y)) continue;
          cand.push_back({x, y});
        }
      }
      for (size_t k = cand.size(); k > 1; --k) std::swap(cand[k - 1], cand[rng.index(k)]);
      bool done = false;
      for (const Sw& sw : cand) {
        if (m.dist(q, sw.x) >= r_cand || m.dist(p, sw.y) >= r_cand) continue;
        m.unlink(p, q);
        m.unlink(sw.x, sw.y);
        m.link(q, sw.x);
        m.link(p, sw.y);
        if (!m.common_neighbour(q, sw.x) && !m.common_neighbour(p, sw.y)) {
          done = true;
          break;
        }
        m.unlink(q, sw.x);
        m.unlink(p, sw.y);
        m.link(p, q);
        m.link(sw.x, sw.y);
      }
      (void)done;
    }
    if (!any) return;
  }
  throw std::runtime_error("agZIF-62 builder: could not remove the three-membered rings of the Zn network");
}

}  // namespace

NodeNetwork build_node_network(int n, double L, const NetworkParams& p, Random& rng, AgZif62BuildInfo& info,
                               const std::function<void(const std::string&)>& log) {
  // candidate links up to 1.35 link lengths, stretched with the mean node spacing below 0.0044 Zn/Å³
  // (1.55 g/cm³; the glass at 1.57 g/cm³ has 0.00446) so that sparse nets can still be completed
  const double spacing = std::max(1.0, std::cbrt(0.0044 * L * L * L / n));
  const double r_cand = std::min(1.35 * p.link * spacing, 0.999 * 0.5 * L);
  // A start whose net cannot be completed without three-membered rings (rare, small boxes) is
  // replaced by a fresh random start from the same stream.
  NodeModel m(n, L, p);
  for (int attempt = 1;; ++attempt) {
    m = NodeModel(n, L, p);
    random_start(m, 0.8 * p.link, rng);
    greedy_connect(m, r_cand, p.link);
    try {
      complete_network(m, r_cand, rng);
      break_triangles(m, r_cand, rng);
      break;
    } catch (const std::runtime_error&) {
      if (attempt == 50) throw;
    }
  }
  // beads on random sides of their links
  for (int e = 0; e < 2 * n; ++e)
    m.place_bead(e, Vec3(rng.uniform() - 0.5, rng.uniform() - 0.5, rng.uniform() - 0.5));
  m.rebuild_verlet();
  const std::vector<int> all = m.all_nodes();
  for (int k = 0; k < 4; ++k) {
    m.relax(all, 100);
    m.rebuild_verlet();
  }

  // Metropolis bond switches with local relaxation, geometric cooling
  const long n_moves = static_cast<long>(p.switches_per_node) * n;
  long accepted = 0, attempted = 0;
  std::vector<int> S;
  std::vector<Vec3> saved;
  for (long mv = 0; mv < n_moves; ++mv) {
    const double T = p.t_start * std::pow(p.t_end / p.t_start,
                                          static_cast<double>(mv) / static_cast<double>(std::max(1L, n_moves - 1)));
    const int b = static_cast<int>(rng.index(static_cast<size_t>(n)));
    const auto& eb = m.adj_[static_cast<size_t>(b)];
    const int e_bc = eb[rng.index(eb.size())];
    const int e_ab = eb[rng.index(eb.size())];
    const int c = m.other(e_bc, b), a = m.other(e_ab, b);
    const auto& ec = m.adj_[static_cast<size_t>(c)];
    const int e_cd = ec[rng.index(ec.size())];
    const int d = m.other(e_cd, c);
    if (a == c || d == b || a == d) continue;
    if (m.linked(a, c) || m.linked(b, d)) continue;
    if (m.dist(a, c) > 1.7 * p.link || m.dist(b, d) > 1.7 * p.link) continue;
    ++attempted;
    // the moved nodes: a, b, c, d and their neighbours (the same set before and after the switch)
    S.clear();
    auto add = [&](int x) {
      if (std::find(S.begin(), S.end(), x) == S.end()) S.push_back(x);
    };
    for (int x : {a, b, c, d}) {
      add(x);
      for (int e : m.adj_[static_cast<size_t>(x)]) add(m.other(e, x));
    }
    const double e_old = m.local_energy(S, false);
    // save the moved points (nodes of S and beads of their links)
    std::vector<size_t> pts;
    for (int i : S) {
      pts.push_back(static_cast<size_t>(i));
      for (int e : m.adj_[static_cast<size_t>(i)]) pts.push_back(m.bead(e));
    }
    std::sort(pts.begin(), pts.end());
    pts.erase(std::unique(pts.begin(), pts.end()), pts.end());
    saved.resize(pts.size());
    for (size_t k = 0; k < pts.size(); ++k) saved[k] = m.pts_[pts[k]];
    const Vec3 old_ab = m.pts_[m.bead(e_ab)], old_cd = m.pts_[m.bead(e_cd)];
    m.unlink(a, b);
    m.unlink(c, d);
    const int e_ac = m.link(a, c);
    const int e_bd = m.link(b, d);
    auto mid = [&](int i, int j) { return m.node(i) + m.box_.min_image(m.node(j) - m.node(i)) * 0.5; };
    m.place_bead(e_ac, m.box_.min_image(old_ab - mid(a, c)));
    m.place_bead(e_bd, m.box_.min_image(old_cd - mid(b, d)));
    m.relist(m.bead(e_ac));
    m.relist(m.bead(e_bd));
    bool ok = !m.common_neighbour(a, c) && !m.common_neighbour(b, d);
    if (ok) {
      const double e_new = m.relax(S, 30);
      ok = e_new <= e_old || rng.uniform() < std::exp(-(e_new - e_old) / T);
    }
    if (ok) {
      ++accepted;
    } else {
      m.unlink(a, c);
      m.unlink(b, d);
      const int e1 = m.link(a, b);
      const int e2 = m.link(c, d);
      for (size_t k = 0; k < pts.size(); ++k) m.pts_[pts[k]] = saved[k];
      m.pts_[m.bead(e1)] = old_ab;
      m.pts_[m.bead(e2)] = old_cd;
      m.relist(m.bead(e1));
      m.relist(m.bead(e2));
    }
    if (attempted % 16 == 0) m.maybe_rebuild_verlet();
    if ((mv + 1) % (10L * n) == 0) {
      m.relax(all, 50);
      m.rebuild_verlet();
      if (log) {
        std::ostringstream msg;
        msg << "network: " << (mv + 1) << "/" << n_moves << " switch moves, " << accepted << " accepted, T = " << T
            << ", E = " << m.energy_total();
        log(msg.str());
      }
    }
  }
  for (int k = 0; k < 4; ++k) {
    m.relax(all, 200);
    m.rebuild_verlet();
  }
  info.switches_attempted = static_cast<int>(attempted);
  info.switches_accepted = static_cast<int>(accepted);

  NodeNetwork net;
  net.box = m.box_;
  net.pos.resize(static_cast<size_t>(n));
  net.nbr.resize(static_cast<size_t>(n));
  for (size_t i = 0; i < static_cast<size_t>(n); ++i) {
    net.pos[i] = m.box_.wrap(m.node(static_cast<int>(i)));
    for (size_t k = 0; k < 4; ++k) net.nbr[i][k] = m.other(m.adj_[i][k], static_cast<int>(i));
  }
  // links in node order (i < j), each with its bead moved next to the wrapped link
  for (int i = 0; i < n; ++i)
    for (int e : m.adj_[static_cast<size_t>(i)]) {
      const int j = m.other(e, i);
      if (j < i) continue;
      net.links.push_back({i, j});
      const Vec3 pi = net.pos[static_cast<size_t>(i)];
      net.ring_centre.push_back(pi + m.box_.min_image(m.pts_[m.bead(e)] - pi));
    }
  // statistics
  double sl = 0, sl2 = 0, sa = 0, sa2 = 0;
  long nl = 0, na = 0;
  for (const auto& l : net.links) {
    const double r = m.dist(l[0], l[1]);
    sl += r;
    sl2 += (r - p.link) * (r - p.link);
    ++nl;
  }
  for (size_t i = 0; i < net.pos.size(); ++i)
    for (size_t x = 0; x < 4; ++x)
      for (size_t y = x + 1; y < 4; ++y) {
        const Vec3 u = net.box.min_image(net.pos[static_cast<size_t>(net.nbr[i][x])] - net.pos[i]);
        const Vec3 v = net.box.min_image(net.pos[static_cast<size_t>(net.nbr[i][y])] - net.pos[i]);
        const double t = std::acos(std::clamp(u.dot(v) / (u.length() * v.length()), -1.0, 1.0)) / kDeg;
        sa += t;
        sa2 += t * t;
        ++na;
      }
  info.network_mean_link_A = sl / static_cast<double>(nl);
  info.network_rms_link_dev_A = std::sqrt(sl2 / static_cast<double>(nl));
  info.network_mean_angle_deg = sa / static_cast<double>(na);
  info.network_sd_angle_deg = std::sqrt(
      std::max(0.0, sa2 / static_cast<double>(na) - info.network_mean_angle_deg * info.network_mean_angle_deg));
  return net;
}

std::vector<int> smallest_ring_per_angle(const NodeNetwork& net, int max_size) {
  // For the angle j–i–k the smallest ring is 2 + the shortest path j → k avoiding i (breadth first,
  // depth at most max_size − 2).
  const size_t n = net.pos.size();
  std::vector<int> hist(static_cast<size_t>(max_size) + 1, 0);
  std::vector<int> dist(n, -1);
  std::vector<size_t> queue, touched;
  for (size_t i = 0; i < n; ++i)
    for (size_t x = 0; x < 4; ++x)
      for (size_t y = x + 1; y < 4; ++y) {
        const size_t j = static_cast<size_t>(net.nbr[i][x]), k = static_cast<size_t>(net.nbr[i][y]);
        queue.assign(1, j);
        touched.assign(1, j);
        dist[j] = 0;
        int found = -1;
        for (size_t q = 0; q < queue.size() && found < 0; ++q) {
          const size_t u = queue[q];
          if (dist[u] >= max_size - 2) break;
          for (int w : net.nbr[u]) {
            const size_t ww = static_cast<size_t>(w);
            if (ww == i || dist[ww] >= 0) continue;
            dist[ww] = dist[u] + 1;
            touched.push_back(ww);
            if (ww == k) {
              found = dist[ww];
              break;
            }
            queue.push_back(ww);
          }
        }
        for (size_t t : touched) dist[t] = -1;
        if (found >= 0 && found + 2 <= max_size) ++hist[static_cast<size_t>(found + 2)];
      }
  return hist;
}

}  // namespace sedpdf::agzif62_detail
