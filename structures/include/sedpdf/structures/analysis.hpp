// sedpdf/structures/analysis.hpp — local structure: coordination numbers, bond-length and bond-angle
// distributions per element pair / triplet, with cut-offs per pair.
#pragma once
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

/// Bond cut-offs per unordered element pair (Å). Pairs not listed use the default rule:
/// r_cut = tolerance × (r_cov(A) + r_cov(B)) with covalent radii of Cordero et al., Dalton Trans. (2008)
/// 2832, tolerance 1.2 — except pairs of two cations (metals and P, which never bond to each other in
/// the glasses modelled here) and H–H, which get no bond.
class BondCutoffs {
 public:
  BondCutoffs() = default;
  void set(Element a, Element b, double r_cut);
  /// Parse "Zn-N=2.5,P-O=1.9"; throws std::invalid_argument naming the bad item.
  static BondCutoffs parse(const std::string& spec);
  /// Cut-off for the pair (Å); 0 means "never bonded".
  double get(Element a, Element b) const;
  double max_cutoff(const std::vector<Element>& present) const;
  double tolerance = 1.2;

 private:
  std::map<std::pair<int, int>, double> explicit_;
};

/// Covalent radius of Cordero et al. 2008 (Å); throws for elements beyond Cm.
double covalent_radius(Element e);

struct CoordinationStat {
  Element centre, neighbor;
  double cutoff = 0;       ///< Å
  double mean = 0;         ///< mean number of `neighbor` atoms around a `centre` atom
  std::vector<double> histogram;  ///< fraction of centres with 0, 1, 2, ... neighbours
};

struct Histogram {
  double lo = 0, hi = 0, width = 0;  ///< range and bin width (Å or degrees)
  std::vector<double> counts;
  double mean = 0, stddev = 0, mode = 0;  ///< of the raw values
  size_t n = 0;
};

struct BondStat {
  Element a, b;
  Histogram lengths;  ///< Å
};

struct AngleStat {
  Element a, centre, b;  ///< angle a–centre–b, a <= b by Z
  Histogram angles;      ///< degrees
};

struct LocalStructure {
  std::vector<CoordinationStat> coordination;  ///< every ordered (centre, neighbor) pair with a bond
  std::vector<BondStat> bonds;                 ///< every unordered pair with at least one bond
  std::vector<AngleStat> angles;               ///< every triplet with at least one angle
};

struct LocalStructureOptions {
  BondCutoffs cutoffs;
  double length_bin = 0.01;  ///< Å
  double angle_bin = 1.0;    ///< degrees
};

/// Bonds are pairs closer than their cut-off (periodic images included).
LocalStructure analyse_local_structure(const Structure& s, const LocalStructureOptions& opt = {});

}  // namespace sedpdf
