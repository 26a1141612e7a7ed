// Internals of the phosphate-glass builder shared by its source files: random numbers, a cubic
// periodic box, a point grid, the pair force field with FIRE and Langevin integrators
// (build_phosphate_relax.cpp), and the bonded all-atom model (build_phosphate_atoms.cpp).
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <utility>
#include <vector>

#include "sedpdf/structures/vec3.hpp"

namespace sedpdf::phosphate_detail {

/// Portable deterministic random numbers: std::mt19937_64 (its sequence is fixed by the C++ standard)
/// with our own conversions (std::uniform_*_distribution differ between standard libraries).
class Rng {
 public:
  explicit Rng(uint64_t seed) : g_(seed) {}
  /// Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(g_() >> 11) * (1.0 / 9007199254740992.0); }
  /// Uniform integer in [0, n), n >= 1.
  size_t below(size_t n) { return static_cast<size_t>(uniform() * static_cast<double>(n)); }
  /// Uniform direction on the unit sphere (Marsaglia, Ann. Math. Stat. 43 (1972) 645).
  Vec3 unit_vector();
  /// Standard normal deviate (Box–Muller).
  double normal();
  /// Fisher–Yates permutation of 0..n−1.
  std::vector<uint32_t> permutation(size_t n);

 private:
  std::mt19937_64 g_;
};

/// Cubic periodic box of edge L (Å).
struct Box {
  double L = 0;
  Vec3 min_image(Vec3 d) const {
    d.x -= L * std::round(d.x / L);
    d.y -= L * std::round(d.y / L);
    d.z -= L * std::round(d.z / L);
    return d;
  }
  Vec3 wrap(Vec3 p) const {
    p.x -= L * std::floor(p.x / L);
    p.y -= L * std::floor(p.y / L);
    p.z -= L * std::floor(p.z / L);
    return p;
  }
};

/// Unordered pairs (i < j) closer than r_max (Å) under the box's periodicity, via NeighborSearch.
/// r_max must not exceed L/2.
std::vector<std::pair<uint32_t, uint32_t>> close_pairs(const std::vector<Vec3>& x, const Box& box, double r_max);

/// A uniform grid of points that grows by insertion; for_each_near visits every inserted point within
/// the grid's cell size of a position (all points when the box holds fewer than 3 cells per edge).
class PointGrid {
 public:
  PointGrid(const Box& box, double cell);
  void insert(uint32_t id, const Vec3& p);
  /// f(id, d) for each inserted point with d = min_image(p_id − p), |d| <= cell.
  template <class F>
  void for_each_near(const Vec3& p, F&& f) const {
    const double c2 = cell_ * cell_;
    if (n_ < 3) {
      for (size_t k = 0; k < ids_all_.size(); ++k) {
        const Vec3 d = box_.min_image(pos_all_[k] - p);
        if (d.length_sq() <= c2) f(ids_all_[k], d);
      }
      return;
    }
    const Vec3 w = box_.wrap(p);
    const int c[3] = {cell_index(w.x), cell_index(w.y), cell_index(w.z)};
    for (int dx = -1; dx <= 1; ++dx)
      for (int dy = -1; dy <= 1; ++dy)
        for (int dz = -1; dz <= 1; ++dz) {
          const size_t b = bin(c[0] + dx, c[1] + dy, c[2] + dz);
          for (const auto& [id, q] : bins_[b]) {
            const Vec3 d = box_.min_image(q - p);
            if (d.length_sq() <= c2) f(id, d);
          }
        }
  }

 private:
  Box box_;
  double cell_;
  int n_ = 1;
  std::vector<std::vector<std::pair<uint32_t, Vec3>>> bins_;
  std::vector<uint32_t> ids_all_;
  std::vector<Vec3> pos_all_;
  int cell_index(double v) const {
    const int i = static_cast<int>(v / box_.L * n_);
    return i >= n_ ? n_ - 1 : (i < 0 ? 0 : i);
  }
  size_t bin(int x, int y, int z) const {
    auto m = [this](int v) { return static_cast<size_t>(((v % n_) + n_) % n_); };
    return m(x) + static_cast<size_t>(n_) * (m(y) + static_cast<size_t>(n_) * m(z));
  }
};

/// Pair terms and non-bonded tables of a simple force field. Energies in eV, lengths in Å.
///  harmonic:  E = k (r − r0)²                    (bonds, Urey–Bradley 1–3 distances, bias springs)
///  wall:      E = k (d − r)² for r < d, else 0   (closest approach, one-sided)
///  Morse:     E = M(r) − M(r_c) − (r − r_c) M′(r_c) for r < r_c, M = D [(1 − e^{−a(r − r0)})² − 1]
///             (the Morse form of Pedone et al., J. Phys. Chem. B 110 (2006) 11780, shifted-force)
/// Pairs with an explicit term are excluded from the non-bonded tables.
class ForceField {
 public:
  ForceField(const Box& box, std::vector<int> type, int ntypes);
  void add_harmonic(uint32_t i, uint32_t j, double r0, double k);
  void add_wall(uint32_t i, uint32_t j, double d, double k);
  /// No non-bonded interaction between i and j.
  void exclude(uint32_t i, uint32_t j);
  void set_wall(int t, int u, double d, double k);
  void set_morse(int t, int u, double depth, double a, double r0, double rc);
  /// Energy (eV) and forces (eV/Å) at x; rebuilds the Verlet list (skin 0.6 Å) when an atom has moved
  /// more than half the skin since the last build. Single-threaded (deterministic).
  double compute(const std::vector<Vec3>& x, std::vector<Vec3>& f);
  size_t size() const { return type_.size(); }

 private:
  struct Term {
    uint32_t i, j;
    double r0, k;
    bool wall;
    Vec3 shift;  // periodic image of j seen from i (Å), set at each list build
  };
  struct Pair {
    uint32_t i, j;
    Vec3 shift;
  };
  struct Nb {
    double wall_d = 0, wall_k = 0;
    double morse_d = 0, morse_a = 0, morse_r0 = 0, morse_rc = 0, morse_shift = 0, morse_fshift = 0;
    double rc2 = 0;  // squared range of any non-bonded interaction of the pair type
  };
  Box box_;
  std::vector<int> type_;
  int ntypes_;
  std::vector<Term> terms_;
  std::vector<std::vector<uint32_t>> excluded_;
  bool sorted_ = false;
  std::vector<Nb> nb_;
  double list_cut_ = 0;
  static constexpr double kSkin = 0.6;
  std::vector<Pair> list_;
  std::vector<Vec3> x_at_build_;
  void rebuild(const std::vector<Vec3>& x);
  Nb& nb(int t, int u) { return nb_[static_cast<size_t>(t) * ntypes_ + u]; }
};

struct FireResult {
  int steps = 0;
  double energy = 0;     ///< eV
  double max_force = 0;  ///< eV/Å
};

/// FIRE minimisation (Bitzek et al., Phys. Rev. Lett. 97 (2006) 170201; semi-implicit Euler form of
/// Guénolé et al., Comput. Mater. Sci. 175 (2020) 109584), unit masses, time step dt ≤ dt_max,
/// displacement per step capped at max_step (Å). Stops when max |F| < f_tol (eV/Å) or after max_steps.
FireResult fire_minimize(ForceField& ff, std::vector<Vec3>& x, int max_steps, double f_tol, double dt_max,
                         double max_step);

/// Langevin dynamics with the BAOAB splitting (Leimkuhler & Matthews, Appl. Math. Res. Express 2013,
/// 34): units eV, Å, amu (time unit √(amu Å²/eV) = 10.18 fs). `mass` per atom (amu), `kT(step)` the
/// thermostat temperature (eV) at each step, friction gamma (1/time unit), time step dt (time units).
/// Velocities `v` are carried over between calls. The displacement per step is capped at 0.2 Å.
template <class Temperature>
void langevin(ForceField& ff, std::vector<Vec3>& x, std::vector<Vec3>& v, const std::vector<double>& mass,
              int steps, double dt, double gamma, Temperature kT, Rng& rng) {
  const size_t n = x.size();
  std::vector<Vec3> f;
  ff.compute(x, f);
  const double c1 = std::exp(-gamma * dt), c2 = std::sqrt(1 - c1 * c1);
  for (int s = 0; s < steps; ++s) {
    const double t = kT(s);
    for (size_t i = 0; i < n; ++i) {
      v[i] += f[i] * (0.5 * dt / mass[i]);
      Vec3 dx = v[i] * (0.5 * dt);
      const double sig = std::sqrt(t / mass[i]);
      v[i] = v[i] * c1 + Vec3{rng.normal(), rng.normal(), rng.normal()} * (c2 * sig);
      dx += v[i] * (0.5 * dt);
      const double l2 = dx.length_sq();
      if (l2 > 0.04) dx *= 0.2 / std::sqrt(l2);
      x[i] += dx;
    }
    ff.compute(x, f);
    for (size_t i = 0; i < n; ++i) v[i] += f[i] * (0.5 * dt / mass[i]);
  }
}

// ------------------------------------------------------------------------------------------------
// Geometry and the non-bonded tables common to both stages
// ------------------------------------------------------------------------------------------------

/// Target geometry (Å). BRIEF ("The materials"): P–O bridging 1.59–1.61, non-bridging 1.48–1.50, O–O
/// 2.52, P–P 2.93; Al–O 1.89, Al–F 1.80; Na–O 2.35–2.45.
constexpr double kPObridging = 1.60;  ///< P–O(–P)
constexpr double kPOal = 1.50;        ///< P–O(–Al), and any O on one P during the annealing
constexpr double kAlO = 1.89;
constexpr double kAlF = 1.80;
constexpr double kNaO = 2.40;         ///< Morse minimum of Na–O (BRIEF 2.35–2.45)
constexpr double kNaF = 2.31;         ///< Morse minimum of Na–F (rock-salt NaF, a/2 = 2.317 Å)
constexpr double kCosTetrahedral = -1.0 / 3.0;
constexpr double kPP = 2.93;          ///< P···P across a bridging O (BRIEF; P–O–P ≈ 132°)
/// Na–anion Morse attraction: shallow, so Na takes the anions the network leaves (about five).
constexpr double kMorseNaD = 0.4, kMorseNaA = 3.0;  // eV, Å⁻¹

/// Closest-approach walls (Å) of the species ids given: anion–anion (O–O 2.60, O–F 2.55, F–F 2.50;
/// inter-polyhedral O···O in phosphates ≥ 2.6 Å) and cation–cation (P–P 3.10, P–Al 3.20, Al–Al 3.45,
/// Na–P 3.20, Na–Al 3.50, Na–Na 2.90: beyond the shortest bridged distances) with constant k_hard; P
/// and Na to anions they are not bonded to (P–O/F 2.70, Na–O 2.20, Na–F 2.10) with k_soft. `o1` and
/// `o2` may be the same id. Al–anion walls are left to the caller.
void set_closest_approach(ForceField& ff, int o1, int o2, int f, int p, int al, int na, double k_hard,
                          double k_soft);

// ------------------------------------------------------------------------------------------------
// The bonded all-atom model (build_phosphate_atoms.cpp)
// ------------------------------------------------------------------------------------------------

/// Species of the bonded model.
enum Species : int { kNa = 0, kP = 1, kAl = 2, kO = 3, kF = 4 };

/// Atoms with their bonds: every anion lists its cations (P, Al), every cation its anions.
struct AtomModel {
  Box box;
  std::vector<int> sp;
  std::vector<Vec3> x;
  std::vector<std::vector<uint32_t>> lig;   ///< anions of each cation (P, Al)
  std::vector<std::vector<uint32_t>> cats;  ///< cations (P, Al) of each anion
  void bond(uint32_t cation, uint32_t anion) {
    lig[cation].push_back(anion);
    cats[anion].push_back(cation);
  }
};

/// True if `al` already shares an anion with one of `others` (a second shared anion would make the
/// two polyhedra share an edge).
bool shares_anion(const AtomModel& m, uint32_t al, const std::vector<uint32_t>& others);

/// Target cation–anion bond length (Å) from the anion's cations: P–O 1.60 to an O shared by two P,
/// 1.50 to an O shared with an Al, 1.48 to an O on P alone; Al–O 1.89, Al–F 1.80.
double bond_r0(const AtomModel& m, uint32_t cation, uint32_t anion);

/// Valence force field of the bonded model: harmonic bonds, Urey–Bradley O···O in the tetrahedra,
/// cis walls in the octahedra, cation···cation across shared anions, closest-approach walls and the Na
/// Morse attraction for everything else.
ForceField bonded_force_field(const AtomModel& m);

/// Completes the Al octahedra: every Al short of six ligands takes O bonded to one P and no Al, the
/// nearest first (never two O of one P), then by augmenting paths (an Al may take the O of another Al,
/// which then looks further) within `r_cand` Å; corners still empty then take an F bonded to at most
/// one other Al (Al–F–Al, never two anions shared by the same two Al). Returns the corners left.
long complete_octahedra(AtomModel& m, double r_cand);

}  // namespace sedpdf::phosphate_detail
