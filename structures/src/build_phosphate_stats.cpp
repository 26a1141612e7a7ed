// Geometric statistics of a phosphate glass model (distances only; see PhosphateStats).
#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/build_phosphate.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/neighbors.hpp"

namespace sedpdf {

namespace {

constexpr double kCutPO = 1.8, kCutAl = 2.2, kCutNa = 3.0;

struct Link {
  uint32_t j;
  Vec3 d;  // r_j − r_i (Å)
  double r;
};

double angle_deg(const Vec3& a, const Vec3& b) {
  const double c = a.dot(b) / (a.length() * b.length());
  return std::acos(std::clamp(c, -1.0, 1.0)) * 180.0 / kPi;
}

struct Mean {
  double sum = 0;
  size_t n = 0;
  void add(double v) {
    sum += v;
    ++n;
  }
  double value() const { return n ? sum / static_cast<double>(n) : 0.0; }
};

}  // namespace

PhosphateStats phosphate_statistics(const Structure& s) {
  if (!s.cell.fully_periodic() || s.cell.minimum_image_radius() < 3.2) {
    std::ostringstream m;
    m << "phosphate statistics need a fully periodic cell with a minimum-image radius of at least 3.2 Å"
      << (s.cell.fully_periodic() ? ", this one has " + std::to_string(s.cell.minimum_image_radius()) + " Å" : "");
    throw std::invalid_argument(m.str());
  }
  PhosphateStats st;
  const size_t n = s.size();
  enum { kOther = -1, kNa = 0, kP = 1, kAl = 2, kO = 3, kF = 4 };
  std::vector<int> sp(n, kOther);
  for (size_t i = 0; i < n; ++i) {
    switch (s.atoms[i].element.z()) {
      case 11: sp[i] = kNa; ++st.counts.na; break;
      case 15: sp[i] = kP; ++st.counts.p; break;
      case 13: sp[i] = kAl; ++st.counts.al; break;
      case 8: sp[i] = kO; ++st.counts.o; break;
      case 9: sp[i] = kF; ++st.counts.f; break;
      default: break;
    }
  }
  st.box_volume_A3 = s.cell.volume();
  st.density_g_cm3 = s.mass_density_g_cm3();
  st.number_density_A3 = s.number_density();

  const double r_max = std::min(4.0, s.cell.minimum_image_radius());
  NeighborSearch ns(s, NeighborOptions{r_max, false});
  std::vector<std::vector<Link>> p_o(n), al_x(n), na_x(n), o_p(n), o_al(n);
  std::vector<double> na_o_r;
  Mean na_o, na_f;
  double min_cc = r_max, min_aa = r_max;
  auto is_anion = [&](size_t i) { return sp[i] == kO || sp[i] == kF; };
  auto is_cation = [&](size_t i) { return sp[i] == kNa || sp[i] == kP || sp[i] == kAl; };
  ns.for_each_pair([&](size_t i, size_t j, const Vec3& d, double r2) {
    const double r = std::sqrt(r2);
    for (int pass = 0; pass < 2; ++pass) {
      const size_t a = pass ? j : i, b = pass ? i : j;
      const Vec3 dab = pass ? -d : d;  // r_b − r_a
      if (sp[a] == kP && sp[b] == kO && r <= kCutPO) {
        p_o[a].push_back({static_cast<uint32_t>(b), dab, r});
        o_p[b].push_back({static_cast<uint32_t>(a), -dab, r});
      }
      if (sp[a] == kAl && is_anion(b) && r <= kCutAl) {
        al_x[a].push_back({static_cast<uint32_t>(b), dab, r});
        if (sp[b] == kO) o_al[b].push_back({static_cast<uint32_t>(a), -dab, r});
      }
      if (sp[a] == kNa && is_anion(b) && r <= kCutNa) {
        na_x[a].push_back({static_cast<uint32_t>(b), dab, r});
        if (sp[b] == kO) {
          na_o.add(r);
          na_o_r.push_back(r);
        } else {
          na_f.add(r);
        }
      }
    }
    if (is_cation(i) && is_cation(j)) min_cc = std::min(min_cc, r);
    if (is_anion(i) && is_anion(j)) min_aa = std::min(min_aa, r);
  });
  st.min_cation_cation = min_cc;
  st.min_anion_anion = min_aa;

  // P: coordination, P–O by the kind of O, Qⁿ, angles.
  Mean po_all, po_b, po_nb, po_al, po_t, opo, pop, pp, oo, alop;
  size_t n_p = 0, four = 0;
  double qsum = 0;
  std::array<double, 5> qn{};
  std::array<double, 7> pal{}, pcn{};
  for (size_t i = 0; i < n; ++i) {
    if (sp[i] != kP) continue;
    ++n_p;
    const auto& L = p_o[i];
    pcn[std::min<size_t>(L.size(), 6)] += 1;
    four += L.size() == 4;
    int q = 0, m = 0;
    for (const Link& l : L) {
      po_all.add(l.r);
      st.max_p_o_bond = std::max(st.max_p_o_bond, l.r);
      const size_t np = o_p[l.j].size(), nal = o_al[l.j].size();
      if (np >= 2) {
        po_b.add(l.r);
        ++q;
      } else {
        po_nb.add(l.r);
        if (nal > 0) po_al.add(l.r);
        else po_t.add(l.r);
      }
      if (nal > 0) ++m;
    }
    qn[std::min(q, 4)] += 1;
    qsum += q;
    pal[std::min(m, 6)] += 1;
    for (size_t a = 0; a < L.size(); ++a)
      for (size_t c = a + 1; c < L.size(); ++c) {
        opo.add(angle_deg(L[a].d, L[c].d));
        oo.add((L[a].d - L[c].d).length());
      }
  }
  for (size_t o = 0; o < n; ++o) {
    if (sp[o] != kO) continue;
    const auto& P = o_p[o];
    for (size_t a = 0; a < P.size(); ++a)
      for (size_t c = a + 1; c < P.size(); ++c) {
        pop.add(angle_deg(P[a].d, P[c].d));
        pp.add((P[a].d - P[c].d).length());
      }
    for (const Link& lp : P)
      for (const Link& la : o_al[o]) alop.add(angle_deg(lp.d, la.d));
  }
  if (n_p) {
    const double np = static_cast<double>(n_p);
    for (size_t k = 0; k < qn.size(); ++k) st.qn[k] = qn[k] / np;
    for (size_t k = 0; k < pal.size(); ++k) st.p_al_neighbours[k] = pal[k] / np;
    for (size_t k = 0; k < pcn.size(); ++k) st.p_coordination[k] = pcn[k] / np;
    st.p_four_fraction = static_cast<double>(four) / np;
    st.qn_mean = qsum / np;
  }
  st.p_o_mean = po_all.value();
  st.p_o_bridging_mean = po_b.value();
  st.p_o_nonbridging_mean = po_nb.value();
  st.p_o_al_mean = po_al.value();
  st.p_o_terminal_mean = po_t.value();
  st.n_p_o_bridging = po_b.n;
  st.n_p_o_nonbridging = po_nb.n;
  st.n_p_o_al = po_al.n;
  st.n_p_o_terminal = po_t.n;
  st.o_p_o_mean_deg = opo.value();
  st.p_o_p_mean_deg = pop.value();
  st.p_p_bridged_mean = pp.value();
  st.o_o_tetrahedron_mean = oo.value();
  st.al_o_al_p_mean_deg = alop.value();

  // Al.
  Mean alo, alf, fper;
  size_t n_al = 0, six = 0;
  std::array<double, 9> acn{};
  for (size_t i = 0; i < n; ++i) {
    if (sp[i] != kAl) continue;
    ++n_al;
    acn[std::min<size_t>(al_x[i].size(), 8)] += 1;
    six += al_x[i].size() == 6;
    int nf = 0;
    for (const Link& l : al_x[i]) {
      if (sp[l.j] == kO) alo.add(l.r);
      else {
        alf.add(l.r);
        ++nf;
      }
    }
    fper.add(nf);
  }
  if (n_al) {
    for (size_t k = 0; k < acn.size(); ++k) st.al_coordination[k] = acn[k] / static_cast<double>(n_al);
    st.al_six_fraction = static_cast<double>(six) / static_cast<double>(n_al);
  }
  st.al_o_mean = alo.value();
  st.al_f_mean = alf.value();
  st.al_f_per_al = fper.value();

  // Na: first peak of the Na–O distances (0.02 Å bins over 1.8–3.0 Å, 3-bin running mean).
  Mean ncn;
  for (size_t i = 0; i < n; ++i)
    if (sp[i] == kNa) ncn.add(static_cast<double>(na_x[i].size()));
  st.na_coordination = ncn.value();
  st.na_o_mean = na_o.value();
  st.na_f_mean = na_f.value();
  if (!na_o_r.empty()) {
    const double lo = 1.8, w = 0.02;
    const int nb = 60;
    std::vector<double> h(nb, 0.0);
    for (double r : na_o_r) {
      const int k = static_cast<int>(std::floor((r - lo) / w));
      if (k >= 0 && k < nb) h[static_cast<size_t>(k)] += 1;
    }
    int best = 0;
    double best_v = -1;
    for (int k = 0; k < nb; ++k) {
      double v = h[static_cast<size_t>(k)];
      if (k > 0) v += h[static_cast<size_t>(k - 1)];
      if (k + 1 < nb) v += h[static_cast<size_t>(k + 1)];
      if (v > best_v) {
        best_v = v;
        best = k;
      }
    }
    // Centroid of the raw counts within two bins of the smoothed maximum.
    double sw = 0, swr = 0;
    for (int k = std::max(0, best - 2); k <= std::min(nb - 1, best + 2); ++k) {
      sw += h[static_cast<size_t>(k)];
      swr += h[static_cast<size_t>(k)] * (lo + (k + 0.5) * w);
    }
    st.na_o_peak = swr / sw;
  }
  return st;
}

}  // namespace sedpdf
