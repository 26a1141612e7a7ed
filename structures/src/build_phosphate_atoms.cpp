// The phosphate builder's bonded all-atom model: valence force field and completion of the octahedra.
#include <algorithm>
#include <cmath>
#include <deque>

#include "build_phosphate_detail.hpp"
#include "sedpdf/structures/constants.hpp"

namespace sedpdf::phosphate_detail {

namespace {

// Force constants (eV/Å²), E = k (r − r0)². The Al–X bonds are stiffer than the P–O bonds so that the
// strain of the octahedra goes into their angles (O–Al–O varies by ±10° in aluminophosphates) rather
// than into the bond lengths.
constexpr double kBondP = 20.0;     // P–O
constexpr double kBondAl = 40.0;    // Al–O, Al–F
constexpr double kUBtet = 4.0;      // O···O in a PO4 tetrahedron (Urey–Bradley, O–P–O 109.47°) ...
constexpr double kTetMinOO = 2.30;  // ... and never shorter (O–P–O ≥ 97° at 1.55 Å)
constexpr double kOct = 4.0;        // cis ligand–ligand walls in an AlX6 octahedron ...
constexpr double kOctMinAngleDeg = 85.0;  // ... at the distance of an 85° X–Al–X angle
constexpr double kOctHardMinAngleDeg = 70.0;  // hard floor of a cis X–Al–X angle
constexpr double kUBpop = 1.0;      // P···P across a shared O, 2.93 Å (BRIEF)
constexpr double kUBpoal = 0.5;     // P···Al across a shared O (P–O–Al 145°), Al···Al across F (160°)
constexpr double kHard = 20.0;      // closest approach of cations and of anions
constexpr double kSoft = 4.0;       // closest approach of cations to anions they are not bonded to
constexpr double kPOterminal = 1.48;  // P–O⁻ (BRIEF non-bridging 1.48–1.50)

int count_sp(const AtomModel& m, const std::vector<uint32_t>& v, int s) {
  int k = 0;
  for (uint32_t i : v) k += m.sp[i] == s;
  return k;
}

}  // namespace

bool shares_anion(const AtomModel& m, uint32_t al, const std::vector<uint32_t>& others) {
  for (uint32_t a : m.lig[al])
    for (uint32_t c : m.cats[a])
      if (c != al && std::find(others.begin(), others.end(), c) != others.end()) return true;
  return false;
}

double bond_r0(const AtomModel& m, uint32_t cation, uint32_t anion) {
  if (m.sp[cation] == kAl) return m.sp[anion] == kF ? kAlF : kAlO;
  const auto& c = m.cats[anion];
  if (count_sp(m, c, kP) >= 2) return kPObridging;
  return count_sp(m, c, kAl) > 0 ? kPOal : kPOterminal;
}

ForceField bonded_force_field(const AtomModel& m) {
  static const double p_al = std::sqrt(kPOal * kPOal + kAlO * kAlO - 2 * kPOal * kAlO * std::cos(145.0 * kPi / 180));
  static const double al_al = 2 * kAlF * std::sin(80.0 * kPi / 180);
  ForceField ff(m.box, m.sp, 5);
  for (uint32_t c = 0; c < m.sp.size(); ++c) {
    if (m.sp[c] == kP || m.sp[c] == kAl) {
      const auto& L = m.lig[c];
      for (uint32_t a : L) ff.add_harmonic(c, a, bond_r0(m, c, a), m.sp[c] == kAl ? kBondAl : kBondP);
      for (size_t p = 0; p < L.size(); ++p)
        for (size_t q = p + 1; q < L.size(); ++q) {
          const double r1 = bond_r0(m, c, L[p]), r2 = bond_r0(m, c, L[q]);
          if (m.sp[c] == kP) {
            ff.add_harmonic(L[p], L[q], std::sqrt(r1 * r1 + r2 * r2 - 2 * r1 * r2 * kCosTetrahedral), kUBtet);
            ff.add_wall(L[p], L[q], kTetMinOO, kHard);  // never a crushed tetrahedron
          }
          else {
            ff.add_wall(L[p], L[q], std::sqrt(r1 * r1 + r2 * r2 - 2 * r1 * r2 * std::cos(kOctMinAngleDeg * kPi / 180)), kOct);
            // ... and never a crushed octahedron: X–Al–X ≥ 70° (the soft 85° wall alone let a few cis
            // pairs collapse to O···O < 2 Å in 10⁴-atom models).
            ff.add_wall(L[p], L[q], std::sqrt(r1 * r1 + r2 * r2 - 2 * r1 * r2 * std::cos(kOctHardMinAngleDeg * kPi / 180)), kHard);
          }
        }
    } else {
      const auto& C = m.cats[c];
      for (size_t p = 0; p < C.size(); ++p)
        for (size_t q = p + 1; q < C.size(); ++q) {
          const int n_al = (m.sp[C[p]] == kAl) + (m.sp[C[q]] == kAl);
          if (n_al == 0) ff.add_harmonic(C[p], C[q], kPP, kUBpop);
          else if (n_al == 1) ff.add_harmonic(C[p], C[q], p_al, kUBpoal);
          else ff.add_harmonic(C[p], C[q], al_al, kUBpoal);  // Al–F–Al 160°
          // ... and never folded: P–O–P ≥ 118°, P–O–Al ≥ 125°, Al–F–Al ≥ 133°.
          ff.add_wall(C[p], C[q], n_al == 0 ? 2.75 : (n_al == 1 ? 3.0 : 3.3), kHard);
        }
    }
  }
  set_closest_approach(ff, kO, kO, kF, kP, kAl, kNa, kHard, kSoft);
  ff.set_wall(kAl, kO, 2.75, kSoft);
  ff.set_wall(kAl, kF, 2.75, kSoft);
  ff.set_morse(kNa, kO, kMorseNaD, kMorseNaA, kNaO, 4.5);
  ff.set_morse(kNa, kF, kMorseNaD, kMorseNaA, kNaF, 4.5);
  return ff;
}

long complete_octahedra(AtomModel& m, double r_cand) {
  const size_t n = m.sp.size();
  std::vector<int> demand(n, 0), p_of(n, -1), al_of(n, -1);
  std::vector<uint32_t> al_atoms;
  for (uint32_t i = 0; i < n; ++i) {
    if (m.sp[i] == kAl) {
      al_atoms.push_back(i);
      demand[i] = 6 - static_cast<int>(m.lig[i].size());
    }
    if (m.sp[i] == kO && count_sp(m, m.cats[i], kP) == 1) {
      for (uint32_t c : m.cats[i]) (m.sp[c] == kP ? p_of[i] : al_of[i]) = static_cast<int>(c);
    }
  }
  // F can join a second Al (Al–F–Al, as in AlF3) when no O is at hand; never to an Al it already
  // shares an anion with.
  auto f_free = [&](uint32_t al, uint32_t f) {
    if (m.sp[f] != kF || m.cats[f].size() >= 2) return false;
    for (uint32_t c : m.cats[f]) {
      if (c == al) return false;
      for (uint32_t a : m.lig[al])
        for (uint32_t c2 : m.cats[a])
          if (c2 == c) return false;
    }
    return true;
  };
  auto shares_p = [&](uint32_t al, uint32_t o) {
    for (uint32_t a : m.lig[al])
      if (a != o && p_of[a] >= 0 && p_of[a] == p_of[o]) return true;
    return false;
  };
  auto connect = [&](uint32_t al, uint32_t o) {
    m.bond(al, o);
    al_of[o] = static_cast<int>(al);
  };
  auto disconnect = [&](uint32_t al, uint32_t o) {
    m.lig[al].erase(std::find(m.lig[al].begin(), m.lig[al].end(), o));
    m.cats[o].erase(std::find(m.cats[o].begin(), m.cats[o].end(), al));
    al_of[o] = -1;
  };
  struct C {
    double r;
    uint32_t al, o;
  };
  std::vector<C> cands;
  for (const auto& [i, j] : close_pairs(m.x, m.box, std::min(r_cand, 0.5 * m.box.L * (1 - 1e-9)))) {
    uint32_t al = i, o = j;
    if (m.sp[al] != kAl) std::swap(al, o);
    if (m.sp[al] != kAl || (p_of[o] < 0 && m.sp[o] != kF)) continue;
    cands.push_back({m.box.min_image(m.x[o] - m.x[al]).length(), al, o});
  }
  std::sort(cands.begin(), cands.end(), [](const C& a, const C& b) {
    if (a.r != b.r) return a.r < b.r;
    if (a.al != b.al) return a.al < b.al;
    return a.o < b.o;
  });
  std::vector<std::vector<uint32_t>> cand_of(n);
  for (const C& c : cands) {
    if (m.sp[c.o] == kF) continue;
    cand_of[c.al].push_back(c.o);
    if (demand[c.al] > 0 && al_of[c.o] < 0 && !shares_p(c.al, c.o)) {
      connect(c.al, c.o);
      --demand[c.al];
    }
  }
  std::vector<int> parent(n, -1);
  std::vector<uint32_t> via(n, 0);
  std::vector<char> seen(n, 0);
  long missing = 0;
  for (uint32_t root : al_atoms) {
    while (demand[root] > 0) {
      std::vector<uint32_t> touched{root};
      std::deque<uint32_t> q{root};
      seen[root] = 1;
      bool done = false;
      while (!q.empty() && !done) {
        const uint32_t w = q.front();
        q.pop_front();
        for (uint32_t o : cand_of[w]) {
          if (seen[o] || al_of[o] == static_cast<int>(w) || shares_p(w, o)) continue;
          seen[o] = 1;
          touched.push_back(o);
          if (al_of[o] < 0) {
            // w takes o; back along the path each Al takes the O its child gave up.
            uint32_t take = o;
            for (uint32_t cur = w;;) {
              const int par = parent[cur];
              const uint32_t give = via[cur];
              if (par >= 0) disconnect(cur, give);
              connect(cur, take);
              if (par < 0) break;
              take = give;
              cur = static_cast<uint32_t>(par);
            }
            done = true;
            break;
          }
          const uint32_t w2 = static_cast<uint32_t>(al_of[o]);
          if (seen[w2]) continue;
          seen[w2] = 1;
          touched.push_back(w2);
          parent[w2] = static_cast<int>(w);
          via[w2] = o;
          q.push_back(w2);
        }
      }
      for (uint32_t t : touched) seen[t] = 0, parent[t] = -1;
      if (!done) break;
      --demand[root];
    }
  }
  // What the O could not fill: bridging F, nearest first.
  for (const C& c : cands) {
    if (m.sp[c.o] != kF || demand[c.al] <= 0 || !f_free(c.al, c.o)) continue;
    m.bond(c.al, c.o);
    --demand[c.al];
  }
  for (uint32_t root : al_atoms) missing += demand[root];
  return missing;
}

}  // namespace sedpdf::phosphate_detail
