// Structural analysis of zinc imidazolate framework models (analyse_zif_structure).
#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/build_agzif62.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/neighbors.hpp"

namespace sedpdf {

namespace {

constexpr double kDeg = kPi / 180.0;
constexpr double kHeavyBond = 1.65;  // Å, C/N–C/N covalent bond cut-off
constexpr double kHydrogenBond = 1.25;  // Å, X–H covalent bond cut-off
constexpr double kContactRange = 4.0;   // Å, non-bonded pairs searched up to here

double angle_deg(const Vec3& u, const Vec3& v) {
  return std::acos(std::clamp(u.dot(v) / (u.length() * v.length()), -1.0, 1.0)) / kDeg;
}

void mean_sd(const std::vector<double>& v, double& mean, double& sd) {
  mean = sd = 0;
  if (v.empty()) return;
  for (double x : v) mean += x;
  mean /= static_cast<double>(v.size());
  for (double x : v) sd += (x - mean) * (x - mean);
  sd = std::sqrt(sd / static_cast<double>(v.size()));
}

// Maps fragment atoms onto template atoms (same element, same bond graph) by backtracking in a
// breadth-first order of the template; returns false if the graphs differ.
bool match_template(const LinkerTemplate& t, const std::vector<int>& frag_el,
                    const std::vector<std::vector<int>>& frag_adj, std::vector<int>& map) {
  const size_t n = t.elements.size();
  if (frag_el.size() != n) return false;
  std::vector<std::vector<int>> tadj(n);
  for (const auto& b : t.bonds) {
    tadj[static_cast<size_t>(b.first)].push_back(b.second);
    tadj[static_cast<size_t>(b.second)].push_back(b.first);
  }
  size_t nbonds = 0;
  for (const auto& a : frag_adj) nbonds += a.size();
  if (nbonds != 2 * t.bonds.size()) return false;
  std::vector<int> order{0};
  std::vector<char> seen(n, 0);
  seen[0] = 1;
  for (size_t q = 0; q < order.size(); ++q)
    for (int w : tadj[static_cast<size_t>(order[q])])
      if (!seen[static_cast<size_t>(w)]) {
        seen[static_cast<size_t>(w)] = 1;
        order.push_back(w);
      }
  if (order.size() != n) return false;
  map.assign(n, -1);               // template → fragment
  std::vector<char> used(n, 0);    // fragment atoms taken
  std::function<bool(size_t)> place = [&](size_t k) -> bool {
    if (k == n) return true;
    const size_t ti = static_cast<size_t>(order[k]);
    for (size_t f = 0; f < n; ++f) {
      if (used[f] || frag_el[f] != t.elements[ti].z()) continue;
      if (frag_adj[f].size() != tadj[ti].size()) continue;
      bool ok = true;
      for (int tw : tadj[ti]) {
        const int fw = map[static_cast<size_t>(tw)];
        if (fw >= 0 && std::find(frag_adj[f].begin(), frag_adj[f].end(), fw) == frag_adj[f].end()) ok = false;
      }
      if (!ok) continue;
      map[ti] = static_cast<int>(f);
      used[f] = 1;
      if (place(k + 1)) return true;
      map[ti] = -1;
      used[f] = 0;
    }
    return false;
  };
  return place(0);
}

}  // namespace

ZifStructureStats analyse_zif_structure(const Structure& s, const ZifAnalysisOptions& opt) {
  if (!s.cell.fully_periodic())
    throw std::invalid_argument("analyse_zif_structure: the structure '" + s.title +
                                "' needs a fully periodic cell");
  const double rmi = s.cell.minimum_image_radius();
  if (rmi < kContactRange)
    throw std::invalid_argument("analyse_zif_structure: the cell's minimum-image radius " + std::to_string(rmi) +
                                " Å is below " + std::to_string(kContactRange) + " Å");
  const size_t n = s.size();
  ZifStructureStats st;
  st.n_atoms = n;
  st.density_g_cm3 = s.mass_density_g_cm3();
  std::vector<int> z(n);
  for (size_t i = 0; i < n; ++i) z[i] = s.atoms[i].element.z();
  for (int zz : z) st.n_zn += zz == 30;
  if (st.n_zn == 0) throw std::invalid_argument("analyse_zif_structure: no Zn in '" + s.title + "'");

  // bonds
  std::vector<std::vector<int>> adj(n);                         // covalent, non-Zn
  std::vector<std::vector<std::pair<int, Vec3>>> zn_n(n);       // Zn → (N, Zn→N vector)
  struct Contact {
    uint32_t i, j;
    double r;
  };
  std::vector<Contact> close;
  NeighborSearch ns(s, {std::max({kContactRange, opt.zn_n_cutoff}), false});
  ns.for_each_pair([&](size_t i, size_t j, const Vec3& d, double r2) {
    const double r = std::sqrt(r2);
    const bool hi = z[i] == 1, hj = z[j] == 1;
    if (z[i] != 30 && z[j] != 30 && !(hi && hj) && r < ((hi || hj) ? kHydrogenBond : kHeavyBond)) {
      adj[i].push_back(static_cast<int>(j));
      adj[j].push_back(static_cast<int>(i));
      return;
    }
    if ((z[i] == 30 && z[j] == 7) || (z[i] == 7 && z[j] == 30)) {
      if (r < opt.zn_n_cutoff) {
        if (z[i] == 30)
          zn_n[i].push_back({static_cast<int>(j), d});
        else
          zn_n[j].push_back({static_cast<int>(i), -d});
        return;
      }
    }
    close.push_back({static_cast<uint32_t>(i), static_cast<uint32_t>(j), r});
  });
  for (auto& a : adj) std::sort(a.begin(), a.end());

  // fragments (connected groups of non-Zn atoms)
  std::vector<int> frag(n, -1);
  std::vector<std::vector<int>> members;
  for (size_t i = 0; i < n; ++i) {
    if (z[i] == 30 || frag[i] >= 0) continue;
    members.emplace_back();
    std::vector<int> stack{static_cast<int>(i)};
    frag[i] = static_cast<int>(members.size() - 1);
    while (!stack.empty()) {
      const int a = stack.back();
      stack.pop_back();
      members.back().push_back(a);
      for (int b : adj[static_cast<size_t>(a)])
        if (frag[static_cast<size_t>(b)] < 0) {
          frag[static_cast<size_t>(b)] = frag[i];
          stack.push_back(b);
        }
    }
  }

  // Zn: coordination, Zn–N, N–Zn–N
  std::vector<double> zn_n_len, nznn, lp_dev, znnc;
  std::map<size_t, size_t> cn_hist;
  size_t n_four = 0;
  std::vector<int> zn_of_n(n, -1), zn_count_of_n(n, 0);
  for (size_t i = 0; i < n; ++i) {
    if (z[i] != 30) continue;
    const auto& b = zn_n[i];
    ++cn_hist[b.size()];
    n_four += b.size() == 4;
    for (size_t a = 0; a < b.size(); ++a) {
      zn_n_len.push_back(b[a].second.length());
      zn_of_n[static_cast<size_t>(b[a].first)] = static_cast<int>(i);
      ++zn_count_of_n[static_cast<size_t>(b[a].first)];
      for (size_t c = a + 1; c < b.size(); ++c) nznn.push_back(angle_deg(b[a].second, b[c].second));
      // lone pair of the N: external bisector of its two C neighbours
      const size_t ni = static_cast<size_t>(b[a].first);
      std::vector<Vec3> cs;
      for (int c : adj[ni])
        if (z[static_cast<size_t>(c)] == 6) cs.push_back(s.cell.minimum_image(s.atoms[static_cast<size_t>(c)].pos - s.atoms[ni].pos));
      if (cs.size() == 2) {
        const Vec3 lp = -(cs[0] / cs[0].length() + cs[1] / cs[1].length());
        const Vec3 to_zn = -b[a].second;
        lp_dev.push_back(angle_deg(lp, to_zn));
        for (const Vec3& c : cs) znnc.push_back(angle_deg(to_zn, c));
      }
    }
  }
  st.frac_zn_four_n = static_cast<double>(n_four) / static_cast<double>(st.n_zn);
  const size_t max_cn = cn_hist.empty() ? 0 : cn_hist.rbegin()->first;
  st.zn_cn_fraction.assign(std::max<size_t>(max_cn + 1, 5), 0.0);
  for (const auto& [k, c] : cn_hist) st.zn_cn_fraction[k] = static_cast<double>(c) / static_cast<double>(st.n_zn);
  st.n_zn_n = zn_n_len.size();
  mean_sd(zn_n_len, st.mean_zn_n, st.sd_zn_n);
  if (!zn_n_len.empty()) {
    st.min_zn_n = *std::min_element(zn_n_len.begin(), zn_n_len.end());
    st.max_zn_n = *std::max_element(zn_n_len.begin(), zn_n_len.end());
  }
  double dummy = 0;
  mean_sd(nznn, st.mean_n_zn_n, st.sd_n_zn_n);
  mean_sd(lp_dev, st.mean_lone_pair_dev, dummy);
  if (!lp_dev.empty()) st.max_lone_pair_dev = *std::max_element(lp_dev.begin(), lp_dev.end());
  mean_sd(znnc, st.mean_zn_n_c, dummy);

  // linkers: recognise, check geometry against the templates, find the Zn they bridge
  const LinkerTemplate* tmpl[2] = {&zif_linker_template(ZifLinkerKind::Im), &zif_linker_template(ZifLinkerKind::BIm)};
  std::vector<std::pair<int, int>> bridges;  // Zn pairs joined by a linker
  for (const auto& mem : members) {
    std::map<int, int> formula;
    for (int a : mem) ++formula[z[static_cast<size_t>(a)]];
    int kind = -1;
    if (mem.size() == 8 && formula[6] == 3 && formula[1] == 3 && formula[7] == 2) kind = 0;
    if (mem.size() == 14 && formula[6] == 7 && formula[1] == 5 && formula[7] == 2) kind = 1;
    if (kind < 0) {
      ++st.n_other_fragments;
      continue;
    }
    (kind == 0 ? st.n_im : st.n_bim) += 1;
    // local graph
    std::map<int, int> local;
    for (size_t k = 0; k < mem.size(); ++k) local[mem[k]] = static_cast<int>(k);
    std::vector<int> el(mem.size());
    std::vector<std::vector<int>> ladj(mem.size());
    for (size_t k = 0; k < mem.size(); ++k) {
      el[k] = z[static_cast<size_t>(mem[k])];
      for (int b : adj[static_cast<size_t>(mem[k])]) ladj[k].push_back(local[b]);
    }
    const LinkerTemplate& t = *tmpl[kind];
    std::vector<int> map;
    if (match_template(t, el, ladj, map)) {
      double dev = 0;
      for (const auto& b : t.bonds) {
        const Position& pa = s.atoms[static_cast<size_t>(mem[static_cast<size_t>(map[static_cast<size_t>(b.first)])])].pos;
        const Position& pb = s.atoms[static_cast<size_t>(mem[static_cast<size_t>(map[static_cast<size_t>(b.second)])])].pos;
        const double r = s.cell.minimum_image(pb - pa).length();
        const double r0 = (t.positions[static_cast<size_t>(b.second)] - t.positions[static_cast<size_t>(b.first)]).length();
        dev = std::max(dev, std::abs(r - r0));
      }
      st.max_linker_bond_dev = std::max(st.max_linker_bond_dev, dev);
      if (dev <= opt.linker_tolerance) ++st.n_linkers_intact;
    } else {
      st.max_linker_bond_dev = std::max(st.max_linker_bond_dev, 1.0);  // wrong connectivity
    }
    std::vector<int> ns_;
    for (int a : mem)
      if (z[static_cast<size_t>(a)] == 7) ns_.push_back(a);
    if (ns_.size() == 2 && zn_count_of_n[static_cast<size_t>(ns_[0])] == 1 &&
        zn_count_of_n[static_cast<size_t>(ns_[1])] == 1) {
      const int za = zn_of_n[static_cast<size_t>(ns_[0])], zb = zn_of_n[static_cast<size_t>(ns_[1])];
      if (za != zb) {
        ++st.n_linkers_bridging;
        bridges.push_back({za, zb});
      }
    }
  }

  // non-bonded contacts
  st.min_heavy_contact = st.min_h_contact = kContactRange;
  std::vector<double> contacts_heavy, contacts_h;
  for (const Contact& c : close) {
    const size_t i = c.i, j = c.j;
    if (z[i] != 30 && z[j] != 30 && frag[i] == frag[j]) continue;  // same linker (1–3, 1–4 pairs)
    // a Zn and the atoms of a linker bound to it are bonded neighbours (Zn···C ≈ 3.0 Å), not contacts
    if ((z[i] == 30) != (z[j] == 30)) {
      const size_t zi = z[i] == 30 ? i : j, o = z[i] == 30 ? j : i;
      bool own = false;
      for (const auto& b : zn_n[zi]) own = own || frag[static_cast<size_t>(b.first)] == frag[o];
      if (own) continue;
    }
    if (z[i] == 1 || z[j] == 1) {
      st.min_h_contact = std::min(st.min_h_contact, c.r);
      st.n_h_violations += c.r < opt.h_contact_min;
      contacts_h.push_back(c.r);
    } else {
      st.min_heavy_contact = std::min(st.min_heavy_contact, c.r);
      st.n_heavy_violations += c.r < opt.heavy_contact_min;
      contacts_heavy.push_back(c.r);
    }
  }

  // Zn–Zn: bridged distances and angles, and the first peak of the Zn–Zn histogram
  std::vector<std::vector<Vec3>> links(n);
  std::vector<double> zz_bridged, zzz;
  for (const auto& [a, b] : bridges) {
    const Vec3 d = s.cell.minimum_image(s.atoms[static_cast<size_t>(b)].pos - s.atoms[static_cast<size_t>(a)].pos);
    zz_bridged.push_back(d.length());
    links[static_cast<size_t>(a)].push_back(d);
    links[static_cast<size_t>(b)].push_back(-d);
  }
  for (const auto& l : links)
    for (size_t a = 0; a < l.size(); ++a)
      for (size_t b = a + 1; b < l.size(); ++b) zzz.push_back(angle_deg(l[a], l[b]));
  mean_sd(zz_bridged, st.mean_zn_zn_bridged, dummy);
  mean_sd(zzz, st.mean_zn_zn_zn, st.sd_zn_zn_zn);
  {
    Structure zn;
    zn.cell = s.cell;
    for (size_t i = 0; i < n; ++i)
      if (z[i] == 30) zn.atoms.push_back(s.atoms[i]);
    const double lo = 4.5, hi = std::min(7.5, 0.999 * rmi);
    const size_t nb = static_cast<size_t>(std::ceil((hi - lo) / opt.zn_zn_bin));
    std::vector<double> h(nb, 0.0);
    NeighborSearch nz(zn, {hi, false});
    nz.for_each_pair([&](size_t, size_t, const Vec3&, double r2) {
      const double r = std::sqrt(r2);
      if (r < lo) return;
      const size_t k = std::min(nb - 1, static_cast<size_t>((r - lo) / opt.zn_zn_bin));
      h[k] += 1;
    });
    // g(r)-like: divide by the shell volume ∝ r², smooth over three bins, take the maximum and refine
    // it by a parabola through the neighbouring bins
    std::vector<double> g(nb, 0.0);
    for (size_t k = 0; k < nb; ++k) {
      const double r = lo + (static_cast<double>(k) + 0.5) * opt.zn_zn_bin;
      g[k] = h[k] / (r * r);
    }
    std::vector<double> gs(nb, 0.0);
    for (size_t k = 0; k < nb; ++k) {
      double sum = 0;
      int cnt = 0;
      for (long q = static_cast<long>(k) - 1; q <= static_cast<long>(k) + 1; ++q)
        if (q >= 0 && q < static_cast<long>(nb)) {
          sum += g[static_cast<size_t>(q)];
          ++cnt;
        }
      gs[k] = sum / cnt;
    }
    const size_t k = static_cast<size_t>(std::max_element(gs.begin(), gs.end()) - gs.begin());
    double x = 0;
    if (k > 0 && k + 1 < nb) {
      const double den = gs[k - 1] - 2 * gs[k] + gs[k + 1];
      if (den < 0) x = 0.5 * (gs[k - 1] - gs[k + 1]) / den;
    }
    st.zn_zn_first_peak = lo + (static_cast<double>(k) + 0.5 + x) * opt.zn_zn_bin;
  }

  st.samples = {{"Zn-N length (A)", zn_n_len},
                {"N-Zn-N angle (deg)", nznn},
                {"Zn-N-C angle (deg)", znnc},
                {"lone-pair deviation (deg)", lp_dev},
                {"Zn-Zn bridged (A)", zz_bridged},
                {"Zn-Zn-Zn angle (deg)", zzz},
                {"non-bonded heavy contact (A)", contacts_heavy},
                {"non-bonded contact with H (A)", contacts_h}};
  return st;
}

}  // namespace sedpdf
