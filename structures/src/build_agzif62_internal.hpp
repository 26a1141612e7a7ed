// Internal pieces of the agZIF-62 builder (structures/src/build_agzif62*.cpp): the cubic box, a
// portable random stream, the Zn node network and the linker relaxation.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "sedpdf/structures/build_agzif62.hpp"
#include "sedpdf/structures/vec3.hpp"

namespace sedpdf::agzif62_detail {

/// Cubic periodic box of edge L (Å).
struct Box {
  double L = 0;
  Vec3 min_image(Vec3 d) const {
    d.x -= L * nearest(d.x / L);
    d.y -= L * nearest(d.y / L);
    d.z -= L * nearest(d.z / L);
    return d;
  }
  /// Nearest integer (halves away from zero), without the library call of std::round.
  static double nearest(double x) { return static_cast<double>(static_cast<long>(x + (x >= 0 ? 0.5 : -0.5))); }
  Vec3 wrap(Vec3 p) const {
    p.x -= L * std::floor(p.x / L);
    p.y -= L * std::floor(p.y / L);
    p.z -= L * std::floor(p.z / L);
    return p;
  }
};

/// Uniform numbers from std::mt19937_64 computed here (not by std::uniform_*_distribution, whose
/// algorithms differ between standard libraries), so a seed gives the same model everywhere.
class Random {
 public:
  explicit Random(uint64_t seed) : g_(seed) {}
  double uniform() { return static_cast<double>(g_() >> 11) * (1.0 / 9007199254740992.0); }  ///< [0, 1)
  size_t index(size_t n) { return static_cast<size_t>(uniform() * static_cast<double>(n)); }  ///< 0..n−1
  std::mt19937_64& engine() { return g_; }

 private:
  std::mt19937_64 g_;
};

/// A 4-connected network of Zn nodes; each link carries a bead at the centre of its linker's ring.
struct NodeNetwork {
  Box box;
  std::vector<Vec3> pos;                   ///< Å, Zn nodes, wrapped into the box
  std::vector<std::array<int, 4>> nbr;     ///< the four linked nodes of each node
  std::vector<std::array<int, 2>> links;   ///< (i, j), i < j
  std::vector<Vec3> ring_centre;           ///< Å, per link: the bead (unwrapped, near its link)
};

/// The coarse-grained model of the network stage. Points: Zn nodes and one bead per link at the
/// centre of the linker's five-membered ring. For a rigid linker with both Zn on the lone-pair axes the
/// triangle Zn–bead–Zn is fixed (two arms of length `arm`, base `link`), and each Zn–N bond points from
/// the Zn at the bead (the lone pair of a near-regular pentagon is radial), so the N–Zn–N angles are the
/// angles between the Zn → bead vectors. Energy:
///   k_link (|x_i − x_j| − link)² + k_arm Σ_ends (|P − x| − arm)²                 per link
///   k_tet (cos θ + 1/3)², θ between the Zn → bead vectors of two links at a Zn  per pair at a node
///   k_rep (σ − r)² for r < σ: Zn–Zn (not linked) σ_zz, bead–bead σ_bb, bead–Zn (not its ends) σ_bz.
struct NetworkParams {
  double link = 6.0;          ///< Å, Zn–Zn distance along a link (both Zn on the lone-pair axes)
  double arm = 3.2;           ///< Å, Zn–ring centre distance
  double k_link = 2.0;        ///< energy/Å²
  double k_arm = 2.0;         ///< energy/Å²
  double k_tet = 2.0;         ///< energy
  double k_rep = 1.0;         ///< energy/Å²
  double sigma_zz = 5.0;      ///< Å
  double sigma_bb = 4.2;      ///< Å
  double sigma_bz = 4.8;      ///< Å
  int switches_per_node = 40;
  double t_start = 3.0, t_end = 0.03;  ///< Metropolis temperature (energy units), geometric schedule
};

/// Random start, 4-connection and bond-switch anneal (see build_agzif62.hpp). Fills the network
/// fields of `info`.
NodeNetwork build_node_network(int n, double L, const NetworkParams& p, Random& rng, AgZif62BuildInfo& info,
                               const std::function<void(const std::string&)>& log);

/// Histogram of the smallest ring through each Zn–Zn–Zn angle (index = ring size, up to max_size;
/// angles in no ring of that size or less are not counted).
std::vector<int> smallest_ring_per_angle(const NodeNetwork& net, int max_size);

struct RelaxParams {
  double zn_n = 1.99;       ///< Å
  int max_steps = 20000;    ///< per FIRE minimisation
  int anneal_steps = 5000;  ///< dynamics steps of the simulated anneal (0 = none)
  double anneal_kt = 1.0;   ///< starting kT of the anneal (energy units per degree of freedom)
};

/// Decorates every link of `net` with a rigid linker (kinds[l] for net.links[l]) turned so that its ring
/// faces the link's bead, relaxes, and returns the atoms (Zn first). Fills the relaxation fields of info.
Structure decorate_and_relax(const NodeNetwork& net, const std::vector<ZifLinkerKind>& kinds, const RelaxParams& p, Random& rng,
                             AgZif62BuildInfo& info, const std::function<void(const std::string&)>& log);

}  // namespace sedpdf::agzif62_detail
