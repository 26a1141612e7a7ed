// The phosphate-glass builder. Stages (docs/builders.md, "Phosphate glass"):
//  1. P skeleton: chains of P–O–P bridges by proximity (dimers first, then chains).
//  2. PO4 tetrahedra on the skeleton; Al, F, Na inserted where there is room.
//  3. Simulated annealing (Langevin dynamics) under a potential in which the P–O bonds are fixed and
//     Al gathers its O and F by Morse attraction, capped at six by anion–anion walls.
//  4. Biased cycles: a matching proposes ligands for the Al still short of six, weak springs pull them
//     in while the rest anneals at low temperature.
//  5. The bonds are read from the geometry, the octahedra completed, and the bonded model relaxed.
#include "sedpdf/structures/build_phosphate.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "build_phosphate_detail.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf {

namespace {

using namespace phosphate_detail;

// Atom types of the annealing potential. O is split by its bonds to P: Ob bridges two P (P–O–P), Ot is
// on one P and free to take an Al (P–O–Al) or only Na (P–O⁻).
enum T : int { tNa = 0, tP = 1, tAl = 2, tOb = 3, tOt = 4, tF = 5, kTypes = 6 };
constexpr int kZofT[kTypes] = {11, 15, 13, 8, 8, 9};
constexpr double kMassOfT[kTypes] = {22.990, 30.974, 26.982, 15.999, 15.999, 18.998};  // amu
constexpr Species kSpeciesOfT[kTypes] = {kNa, kP, kAl, kO, kO, kF};

// ---- Annealing potential -------------------------------------------------------------------------------
// Fixed bonds (E = k (r − r0)², eV/Å²): the PO4 tetrahedra and the P–O–P bridges.
constexpr double kBondK = 10.0;  // P–O
constexpr double kTetK = 4.0;    // O···O of a tetrahedron (Urey–Bradley, O–P–O = 109.47°)
constexpr double kPOPK = 1.0;    // P···P across a bridging O, 2.93 Å (BRIEF)
constexpr double kHard = 20.0;   // walls between cations and between anions
constexpr double kSoft = 4.0;    // walls between cations and anions
// Al–O and Al–F are not prescribed: a Morse attraction (D 3 eV, a 3 Å⁻¹, minimum at the BRIEF bond
// length) lets every Al gather the anions around it. The anion–anion walls cap it at six (seven
// anions at 1.9 Å cannot keep 2.5–2.6 Å apart; six can, as an octahedron), the P–Al and Al–Al walls
// keep an O from joining two Al (three cations on one O would need Al···Al < 2.9 Å).
constexpr double kMorseAlD = 3.0, kMorseAlA = 3.0, kMorseAlRc = 3.5;

// Annealing schedule (time step 0.1 time units ≈ 1.02 fs, friction 1 per time unit ≈ 0.1 fs⁻¹).
constexpr double kDt = 0.1, kGamma = 1.0;
constexpr int kBiasSteps = 500;      // Langevin steps per biased cycle
constexpr double kBiasKt = 0.03;     // eV
constexpr double kBiasK = 3.0;       // final bias spring constant (eV/Å²), reached linearly
constexpr double kMatchRange = 5.0;  // Å, candidates of the octahedron matching

void set_annealing_tables(ForceField& ff) {
  set_closest_approach(ff, tOb, tOt, tF, tP, tAl, tNa, kHard, kSoft);
  ff.set_wall(tAl, tOb, 2.80, kSoft);  // no Al on a P–O–P oxygen
  ff.set_wall(tAl, tOt, 1.60, kSoft);
  ff.set_morse(tAl, tOt, kMorseAlD, kMorseAlA, kAlO, kMorseAlRc);
  ff.set_wall(tAl, tF, 1.55, kSoft);
  ff.set_morse(tAl, tF, kMorseAlD, kMorseAlA, kAlF, kMorseAlRc);
  for (int o : {tOb, tOt}) ff.set_morse(tNa, o, kMorseNaD, kMorseNaA, kNaO, 4.5);
  ff.set_morse(tNa, tF, kMorseNaD, kMorseNaA, kNaF, 4.5);
}

struct Cand {
  double r;
  uint32_t i, j;
};

// P–O–P bridges between P at positions x: nearest pairs first, dimers before chains (Q¹ before Q²),
// at most `cap` bridges per P, exactly `need` bridges. Returns the partner lists.
std::vector<std::vector<uint32_t>> chain_bridges(const std::vector<Vec3>& x, const Box& box, long need, int cap) {
  const size_t n = x.size();
  std::vector<std::vector<uint32_t>> nb(n);
  if (need == 0) return nb;
  std::vector<Cand> cands;
  for (const auto& [i, j] : close_pairs(x, box, std::min(6.5, 0.5 * box.L * (1 - 1e-9))))
    cands.push_back({box.min_image(x[j] - x[i]).length(), i, j});
  std::sort(cands.begin(), cands.end(), [](const Cand& a, const Cand& b) {
    if (a.r != b.r) return a.r < b.r;
    if (a.i != b.i) return a.i < b.i;
    return a.j < b.j;
  });
  long made = 0;
  auto linked = [&](uint32_t i, uint32_t j) { return std::find(nb[i].begin(), nb[i].end(), j) != nb[i].end(); };
  auto pass = [&](int kind, int c) {
    for (const Cand& k : cands) {
      if (made >= need) return;
      const int di = static_cast<int>(nb[k.i].size()), dj = static_cast<int>(nb[k.j].size());
      const bool ok = kind == 1 ? (di == 0 && dj == 0)
                                : kind == 2 ? (std::min(di, dj) == 0 && std::max(di, dj) < c) : (di < c && dj < c);
      if (!ok || linked(k.i, k.j)) continue;
      nb[k.i].push_back(k.j);
      nb[k.j].push_back(k.i);
      ++made;
    }
  };
  pass(1, cap);
  pass(2, cap);
  pass(3, cap);
  while (made < need && cap < 4) pass(3, ++cap);
  if (made < need) {
    std::ostringstream m;
    m << "phosphate builder: only " << made << " of " << need << " P–O–P bridges could be formed within 6.5 Å";
    throw std::runtime_error(m.str());
  }
  return nb;
}

// Random direction making the largest smallest angle with `used` (unit vectors).
Vec3 open_direction(const std::vector<Vec3>& used, Rng& rng) {
  Vec3 best = rng.unit_vector();
  if (used.empty()) return best;
  double best_dot = 2;
  for (int t = 0; t < 64; ++t) {
    const Vec3 v = t == 0 ? best : rng.unit_vector();
    double mx = -2;
    for (const Vec3& u : used) mx = std::max(mx, v.dot(u));
    if (mx < best_dot) {
      best_dot = mx;
      best = v;
    }
  }
  return best;
}

// Position of an anion bonded to cations at a and a + d with bond lengths r1, r2: on the circle where
// the two spheres meet (or near the axis, 0.3 Å aside, if they do not meet), random azimuth.
Vec3 bridge_position(const Vec3& a, const Vec3& d, double r1, double r2, Rng& rng) {
  const double r = std::max(d.length(), 1e-6);
  const Vec3 u = d / r;
  double t = (r * r + r1 * r1 - r2 * r2) / (2 * r);
  double h2 = r1 * r1 - t * t;
  if (h2 < 0.09) {
    t = r * r1 / (r1 + r2);
    h2 = 0.09;
  }
  Vec3 perp;
  do {
    const Vec3 v = rng.unit_vector();
    perp = v - u * v.dot(u);
  } while (perp.length_sq() < 1e-4);
  perp = perp / perp.length();
  return a + u * t + perp * std::sqrt(h2);
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

// The atoms of the annealing stage and their fixed bonds.
struct Setup {
  Box box;
  std::vector<int> type;
  std::vector<Vec3> x;
  uint32_t nP = 0;
  std::vector<std::vector<uint32_t>> o_of_p;  // the four O of each P
  std::vector<std::vector<uint32_t>> chains;  // P–O–P partners of each P
};

// The annealing potential, with bias springs (Al, anion) of constant k_bias.
ForceField annealing_force_field(const Setup& s, const std::vector<std::pair<uint32_t, uint32_t>>& bias,
                                 double k_bias) {
  ForceField f(s.box, s.type, kTypes);
  for (uint32_t i = 0; i < s.nP; ++i) {
    const auto& L = s.o_of_p[i];
    auto r0 = [&](uint32_t o) { return s.type[o] == tOb ? kPObridging : kPOal; };
    for (uint32_t o : L) f.add_harmonic(i, o, r0(o), kBondK);
    for (size_t p = 0; p < L.size(); ++p)
      for (size_t q = p + 1; q < L.size(); ++q) {
        const double r1 = r0(L[p]), r2 = r0(L[q]);
        f.add_harmonic(L[p], L[q], std::sqrt(r1 * r1 + r2 * r2 - 2 * r1 * r2 * kCosTetrahedral), kTetK);
        f.add_wall(L[p], L[q], 2.30, kHard);  // never a crushed tetrahedron
      }
    for (uint32_t j : s.chains[i])
      if (i < j) {
        f.add_harmonic(i, j, kPP, kPOPK);
        f.add_wall(i, j, 2.75, kHard);  // P–O–P never below 118°
      }
  }
  for (const auto& [al, an] : bias) f.add_harmonic(al, an, s.type[an] == tF ? kAlF : kAlO, k_bias);
  set_annealing_tables(f);
  return f;
}

// Bonds of the geometry: the fixed P–O bonds and every Al–anion pair closer than 2.3 Å, nearest
// first, at most six per Al, one Al per O (two per F), no two anions shared by the same two cations.
AtomModel read_bonds(const Setup& s, const std::vector<Vec3>& xs) {
  AtomModel a;
  a.box = s.box;
  a.x = xs;
  for (int t : s.type) a.sp.push_back(kSpeciesOfT[t]);
  a.lig.resize(xs.size());
  a.cats.resize(xs.size());
  for (uint32_t i = 0; i < s.nP; ++i)
    for (uint32_t o : s.o_of_p[i]) a.bond(i, o);
  std::vector<Cand> near;
  for (const auto& [i, j] : close_pairs(xs, s.box, 2.3)) {
    uint32_t al = i, o = j;
    if (s.type[al] != tAl) std::swap(al, o);
    if (s.type[al] == tAl && (s.type[o] == tOt || s.type[o] == tF))
      near.push_back({s.box.min_image(xs[o] - xs[al]).length(), al, o});
  }
  std::sort(near.begin(), near.end(), [](const Cand& p, const Cand& q) {
    if (p.r != q.r) return p.r < q.r;
    if (p.i != q.i) return p.i < q.i;
    return p.j < q.j;
  });
  for (const Cand& k : near) {
    if (a.lig[k.i].size() >= 6) continue;
    // An F takes up to two Al; an O its P and one Al.
    if (a.cats[k.j].size() < 2 && !shares_anion(a, k.i, a.cats[k.j])) a.bond(k.i, k.j);
  }
  return a;
}

long ligand_count(const AtomModel& a) {
  long n = 0;
  for (size_t i = 0; i < a.sp.size(); ++i)
    if (a.sp[i] == kAl) n += static_cast<long>(a.lig[i].size());
  return n;
}

}  // namespace

PhosphateBuildResult build_phosphate_glass(const PhosphateBuildOptions& opt) {
  const auto t0 = std::chrono::steady_clock::now();
  if (!(opt.density_g_cm3 >= 2.0 && opt.density_g_cm3 <= 3.5))
    throw std::invalid_argument("density " + format_number(opt.density_g_cm3, 4) +
                                " g/cm³ is outside the 2.0–3.5 g/cm³ this builder supports (phosphate glasses: "
                                "2.2–3.0; BRIEF: 2.5–2.7)");
  if (!(opt.n_atoms >= 1) || !(opt.n_atoms <= 1e6))
    throw std::invalid_argument("number of atoms " + format_number(opt.n_atoms, 8) + " must be between 1 and 10⁶");
  if (opt.anneal_steps < 0 || opt.bias_cycles < 0 || opt.max_relax_steps < 0)
    throw std::invalid_argument("anneal_steps, bias_cycles and max_relax_steps must be >= 0");

  PhosphateBuildResult out;
  PhosphateBuildInfo& info = out.info;
  const PhosphateComposition fr = opt.composition.fractions();
  const PhosphateAtomCounts n = round_phosphate_composition(opt.composition, opt.n_atoms);
  info.ideal_counts = {fr.na * opt.n_atoms, fr.p * opt.n_atoms, fr.al * opt.n_atoms, fr.o * opt.n_atoms,
                       fr.f * opt.n_atoms};
  {
    const double xi[5] = {info.ideal_counts.na, info.ideal_counts.p, info.ideal_counts.al, info.ideal_counts.o,
                          info.ideal_counts.f};
    const long c[5] = {n.na, n.p, n.al, n.o, n.f};
    const char* names[5] = {"Na", "P", "Al", "O", "F"};
    for (int e = 0; e < 5; ++e) {
      info.max_count_deviation = std::max(info.max_count_deviation, std::abs(static_cast<double>(c[e]) - xi[e]));
      if (xi[e] > 0 && c[e] == 0)
        throw std::invalid_argument(format_number(opt.n_atoms, 8) + " atoms are too few for this composition: " + names[e] +
                                    " (ideal " + format_number(xi[e], 3) + " atoms) rounds to none");
    }
  }
  const PhosphateBondBudget b = phosphate_bond_budget(n);
  info.budget = b;

  const double mass = n.as_composition().mean_mass_g_per_mol() * static_cast<double>(n.total());  // g/mol
  const double volume = mass / (opt.density_g_cm3 * kAvogadro) * 1e24;                            // Å³
  Setup s;
  s.box = Box{std::cbrt(volume)};
  const Box& box = s.box;
  info.box_length_A = box.L;
  if (box.L < kPhosphateMinBox) {
    const double need = std::ceil(static_cast<double>(n.total()) * std::pow(kPhosphateMinBox / box.L, 3));
    throw std::invalid_argument(format_number(opt.n_atoms, 8) + " atoms are too few: the box would be " + format_number(box.L, 4) +
                                " Å wide and the builder needs at least " + format_number(kPhosphateMinBox, 4) + " Å (about " +
                                format_number(need, 8) + " atoms at " + format_number(opt.density_g_cm3, 4) + " g/cm³)");
  }

  Rng rng(opt.seed);
  // ---- 1. P skeleton: random sequential addition (2.8 Å apart), chain bridges by proximity, relaxed ------
  s.nP = static_cast<uint32_t>(n.p);
  std::vector<Vec3> xp(s.nP);
  {
    PointGrid grid(box, 2.8);
    for (uint32_t i = 0; i < s.nP; ++i) {
      Vec3 p;
      for (int attempt = 0; attempt < 10000; ++attempt) {
        p = Vec3{rng.uniform(), rng.uniform(), rng.uniform()} * box.L;
        bool ok = true;
        grid.for_each_near(p, [&](uint32_t, const Vec3&) { ok = false; });
        if (ok) break;
      }
      xp[i] = p;
      grid.insert(i, p);
    }
  }
  const int pp_cap = static_cast<int>(std::max<long>(2, (2 * b.p_o_p + n.p - 1) / n.p));
  s.chains = chain_bridges(xp, box, b.p_o_p, pp_cap);
  {
    ForceField ff(box, std::vector<int>(s.nP, 0), 1);
    for (uint32_t i = 0; i < s.nP; ++i)
      for (uint32_t j : s.chains[i])
        if (i < j) ff.add_harmonic(i, j, kPP, 2.0);
    ff.set_wall(0, 0, 3.3, 1.0);
    fire_minimize(ff, xp, 2000, 1e-3, 0.2, 0.2);
  }

  // ---- 2. PO4 tetrahedra (bridging O on the chain bonds, terminal O elsewhere), then Al, F, Na ---------------
  std::vector<int>& type = s.type;
  std::vector<Vec3>& x = s.x;
  s.o_of_p.resize(s.nP);
  for (uint32_t i = 0; i < s.nP; ++i) {
    type.push_back(tP);
    x.push_back(xp[i]);
  }
  for (uint32_t i = 0; i < s.nP; ++i)
    for (uint32_t j : s.chains[i]) {
      if (j < i) continue;
      const uint32_t o = static_cast<uint32_t>(x.size());
      x.push_back(bridge_position(xp[i], box.min_image(xp[j] - xp[i]), kPObridging, kPObridging, rng));
      type.push_back(tOb);
      s.o_of_p[i].push_back(o);
      s.o_of_p[j].push_back(o);
    }
  for (uint32_t i = 0; i < s.nP; ++i) {
    std::vector<Vec3> used;
    for (uint32_t o : s.o_of_p[i]) {
      const Vec3 d = box.min_image(x[o] - x[i]);
      used.push_back(d / d.length());
    }
    while (s.o_of_p[i].size() < 4) {
      const Vec3 u = open_direction(used, rng);
      used.push_back(u);
      s.o_of_p[i].push_back(static_cast<uint32_t>(x.size()));
      x.push_back(x[i] + u * kPOal);
      type.push_back(tOt);
    }
  }
  if (static_cast<long>(x.size()) - static_cast<long>(s.nP) != n.o) {
    std::ostringstream msg;
    msg << "phosphate builder: internal bookkeeping error (" << x.size() - s.nP << " O made, " << n.o << " wanted)";
    throw std::logic_error(msg.str());
  }
  {
    // Each at the best of 40 random points: the largest clearance beyond a closest approach (Å).
    PointGrid grid(box, 3.5);
    for (uint32_t i = 0; i < x.size(); ++i) grid.insert(i, x[i]);
    auto clearance = [&](int t, int u) {
      const bool anion_u = u == tOb || u == tOt || u == tF;
      if (t == tNa) return anion_u ? 2.3 : 3.0;
      if (t == tAl) return anion_u ? 1.9 : 3.2;
      return anion_u ? 2.5 : (u == tAl ? 1.8 : 2.4);  // F
    };
    auto insert = [&](int t) {
      Vec3 best;
      double best_score = -1e9;
      for (int k = 0; k < 40; ++k) {
        const Vec3 p = Vec3{rng.uniform(), rng.uniform(), rng.uniform()} * box.L;
        double score = 1.0;
        grid.for_each_near(p, [&](uint32_t j, const Vec3& d) { score = std::min(score, d.length() - clearance(t, type[j])); });
        if (score > best_score) {
          best_score = score;
          best = p;
        }
      }
      grid.insert(static_cast<uint32_t>(x.size()), best);
      x.push_back(best);
      type.push_back(t);
    };
    for (long k = 0; k < n.al; ++k) insert(tAl);
    for (long k = 0; k < n.f; ++k) insert(tF);
    for (long k = 0; k < n.na; ++k) insert(tNa);
  }
  info.seconds_network = seconds_since(t0);

  // ---- 3. Simulated annealing: Langevin dynamics at kT_hot for a third, then cooled linearly to kT_cold --------
  const auto t_relax = std::chrono::steady_clock::now();
  ForceField ff = annealing_force_field(s, {}, 0.0);
  fire_minimize(ff, x, 500, 1e-2, 0.1, 0.1);
  std::vector<double> m(x.size());
  for (size_t i = 0; i < x.size(); ++i) m[i] = kMassOfT[type[i]];
  std::vector<Vec3> v(x.size());
  const int n_hot = opt.anneal_steps / 3, n_cool = opt.anneal_steps - n_hot;
  langevin(ff, x, v, m, n_hot, kDt, kGamma, [&](int) { return opt.anneal_kt_hot; }, rng);
  langevin(ff, x, v, m, n_cool, kDt, kGamma,
           [&](int st) {
             return opt.anneal_kt_hot + (opt.anneal_kt_cold - opt.anneal_kt_hot) * st / std::max(1, n_cool - 1);
           },
           rng);
  fire_minimize(ff, x, 2000, 1e-3, 0.1, 0.1);
  info.ligands_annealed = ligand_count(read_bonds(s, x));

  // ---- 4. Biased cycles ---------------------------------------------------------------------------------------
  for (int c = 0; c < opt.bias_cycles; ++c) {
    AtomModel a = read_bonds(s, x);
    std::vector<std::vector<uint32_t>> before(x.size());
    for (size_t i = 0; i < x.size(); ++i)
      if (type[i] == tAl) before[i] = a.lig[i];
    complete_octahedra(a, kMatchRange);
    std::vector<std::pair<uint32_t, uint32_t>> bias;
    for (uint32_t al = 0; al < x.size(); ++al) {
      if (type[al] != tAl) continue;
      for (uint32_t an : a.lig[al])
        if (std::find(before[al].begin(), before[al].end(), an) == before[al].end()) bias.emplace_back(al, an);
    }
    ForceField fbias = annealing_force_field(s, bias, kBiasK * (c + 1) / opt.bias_cycles);
    langevin(fbias, x, v, m, kBiasSteps, kDt, kGamma, [&](int) { return kBiasKt; }, rng);
    fire_minimize(fbias, x, 300, 1e-3, 0.1, 0.1);
  }
  fire_minimize(ff, x, 2000, 1e-3, 0.1, 0.1);

  // ---- 5. Bonds read from the geometry, octahedra completed, bonded relaxation ------------------------------
  AtomModel am = read_bonds(s, x);
  info.ligands_biased = ligand_count(am);
  info.al_undercoordinated = complete_octahedra(am, kMatchRange);
  info.network_p_p = b.p_o_p;
  info.network_p_al = 0;
  info.network_al_al = 0;
  for (size_t i = 0; i < am.sp.size(); ++i) {
    if (am.sp[i] != kO && am.sp[i] != kF) continue;
    int np = 0, nal = 0;
    for (uint32_t c : am.cats[i]) (am.sp[c] == kP ? np : nal)++;
    if (np == 1 && nal == 1) ++info.network_p_al;
    if (nal == 2) ++info.network_al_al;
  }
  ForceField fb = bonded_force_field(am);
  const FireResult fres = fire_minimize(fb, am.x, opt.max_relax_steps, 1e-3, 0.1, 0.1);
  info.relax_steps = opt.anneal_steps + opt.bias_cycles * kBiasSteps + fres.steps;
  info.final_energy_eV = fres.energy;
  info.final_max_force = fres.max_force;
  info.seconds_relax = seconds_since(t_relax);

  // ---- 6. The model ---------------------------------------------------------------------------------------------
  Structure& st = out.structure;
  std::ostringstream title;
  title << "sedpdf phosphate glass " << opt.composition.fractions().ratio_string(4) << " density "
        << opt.density_g_cm3 << " g/cm3 seed " << opt.seed;
  st.title = title.str();
  st.cell = Cell::orthorhombic(box.L, box.L, box.L);
  // Order: Na, P, Al, O, F (stable within an element).
  for (int z : {11, 15, 13, 8, 9})
    for (size_t i = 0; i < am.x.size(); ++i) {
      if (kZofT[type[i]] != z) continue;
      Atom at;
      at.element = Element::from_z(z);
      at.pos = Position(box.wrap(am.x[i]));
      st.atoms.push_back(at);
    }
  out.stats = phosphate_statistics(st);
  info.seconds_total = seconds_since(t0);
  return out;
}

}  // namespace sedpdf
