// Local structure analysis: bonds by per-pair cut-offs, coordination numbers, bond-length and
// bond-angle distributions.
#include "sedpdf/structures/analysis.hpp"
#include "sedpdf/structures/constants.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "sedpdf/structures/neighbors.hpp"

namespace sedpdf {

namespace {


// Covalent radii (Å), Z = 1..96: B. Cordero et al., "Covalent radii revisited", Dalton Trans. (2008)
// 2832–2838, Table 2. For C the sp³ value (0.76); for Mn, Fe, Co the low-spin values.
constexpr double kCovalentRadius[97] = {
    0.0,
    0.31, 0.28,                                                              // H He
    1.28, 0.96, 0.84, 0.76, 0.71, 0.66, 0.57, 0.58,                          // Li..Ne
    1.66, 1.41, 1.21, 1.11, 1.07, 1.05, 1.02, 1.06,                          // Na..Ar
    2.03, 1.76, 1.70, 1.60, 1.53, 1.39, 1.39, 1.32, 1.26, 1.24, 1.32, 1.22,  // K..Zn
    1.22, 1.20, 1.19, 1.20, 1.20, 1.16,                                      // Ga..Kr
    2.20, 1.95, 1.90, 1.75, 1.64, 1.54, 1.47, 1.46, 1.42, 1.39, 1.45, 1.44,  // Rb..Cd
    1.42, 1.39, 1.39, 1.38, 1.39, 1.40,                                      // In..Xe
    2.44, 2.15, 2.07, 2.04, 2.03, 2.01, 1.99, 1.98, 1.98, 1.96, 1.94, 1.92,  // Cs..Dy
    1.92, 1.89, 1.90, 1.87, 1.87, 1.75, 1.70, 1.62, 1.51, 1.44, 1.41, 1.36,  // Ho..Pt
    1.36, 1.32, 1.45, 1.46, 1.48, 1.40, 1.50, 1.50,                          // Au..Rn
    2.60, 2.21, 2.15, 2.06, 2.00, 1.96, 1.90, 1.87, 1.80, 1.69               // Fr..Cm
};

// Elements that act as cations in the oxide, fluoride and MOF glasses modelled here: metals and P.
bool is_cation(Element e) {
  static const int nonmetals[] = {1, 2, 5, 6, 7, 8, 9, 10, 14, 15, 16, 17, 18, 33, 34, 35, 36, 52, 53, 54, 85, 86};
  if (e.z() == 15) return true;  // P: P–P pairs are never bonds in phosphate glasses
  return std::find(std::begin(nonmetals), std::end(nonmetals), e.z()) == std::end(nonmetals);
}

std::pair<int, int> key(Element a, Element b) {
  return a.z() <= b.z() ? std::make_pair(a.z(), b.z()) : std::make_pair(b.z(), a.z());
}

Histogram make_histogram(const std::vector<double>& v, double lo, double hi, double width) {
  Histogram h;
  h.lo = lo;
  h.hi = hi;
  h.width = width;
  const size_t nb = static_cast<size_t>(std::ceil((hi - lo) / width - 1e-9));
  h.counts.assign(std::max<size_t>(nb, 1), 0.0);
  h.n = v.size();
  if (v.empty()) return h;
  double sum = 0, sum2 = 0;
  for (double x : v) {
    sum += x;
    sum2 += x * x;
    long bin = static_cast<long>(std::floor((x - lo) / width));
    bin = std::clamp<long>(bin, 0, static_cast<long>(h.counts.size()) - 1);
    h.counts[static_cast<size_t>(bin)] += 1;
  }
  const double n = static_cast<double>(v.size());
  h.mean = sum / n;
  h.stddev = std::sqrt(std::max(0.0, sum2 / n - h.mean * h.mean));
  const auto it = std::max_element(h.counts.begin(), h.counts.end());
  h.mode = lo + (static_cast<double>(it - h.counts.begin()) + 0.5) * width;
  return h;
}

}  // namespace

double covalent_radius(Element e) {
  if (e.z() < 1 || e.z() > 96)
    throw std::invalid_argument("no covalent radius tabulated for " + e.symbol() + " (Z > 96)");
  return kCovalentRadius[e.z()];
}

void BondCutoffs::set(Element a, Element b, double r_cut) {
  if (!(r_cut >= 0) || !std::isfinite(r_cut)) {
    std::ostringstream m;
    m << "bond cut-off " << a.symbol() << "-" << b.symbol() << " = " << r_cut << " Å is not a distance";
    throw std::invalid_argument(m.str());
  }
  explicit_[key(a, b)] = r_cut;
}

BondCutoffs BondCutoffs::parse(const std::string& spec) {
  BondCutoffs c;
  std::stringstream ss(spec);
  std::string item;
  while (std::getline(ss, item, ',')) {
    item.erase(std::remove_if(item.begin(), item.end(), [](unsigned char ch) { return std::isspace(ch); }),
               item.end());
    if (item.empty()) continue;
    const auto dash = item.find('-');
    const auto eq = item.find('=');
    if (dash == std::string::npos || eq == std::string::npos || eq < dash)
      throw std::invalid_argument("bond cut-off '" + item + "' is not of the form A-B=r (Å)");
    const Element a = Element::parse(item.substr(0, dash));
    const Element b = Element::parse(item.substr(dash + 1, eq - dash - 1));
    double r = 0;
    try {
      size_t used = 0;
      r = std::stod(item.substr(eq + 1), &used);
      if (used != item.size() - eq - 1) throw std::invalid_argument("trailing");
    } catch (const std::exception&) {
      throw std::invalid_argument("bond cut-off '" + item + "': '" + item.substr(eq + 1) + "' is not a number");
    }
    c.set(a, b, r);
  }
  return c;
}

double BondCutoffs::get(Element a, Element b) const {
  const auto it = explicit_.find(key(a, b));
  if (it != explicit_.end()) return it->second;
  if (a.z() == 1 && b.z() == 1) return 0.0;
  if (is_cation(a) && is_cation(b)) return 0.0;
  return tolerance * (covalent_radius(a) + covalent_radius(b));
}

double BondCutoffs::max_cutoff(const std::vector<Element>& present) const {
  double m = 0;
  for (size_t i = 0; i < present.size(); ++i)
    for (size_t j = i; j < present.size(); ++j) m = std::max(m, get(present[i], present[j]));
  return m;
}

LocalStructure analyse_local_structure(const Structure& s, const LocalStructureOptions& opt) {
  if (!(opt.length_bin > 0) || !(opt.angle_bin > 0))
    throw std::invalid_argument("histogram bin widths must be positive");
  LocalStructure out;
  const std::vector<Element> present = s.elements();
  const double rmax = opt.cutoffs.max_cutoff(present);
  const size_t n = s.atoms.size();
  if (n == 0 || rmax <= 0) return out;

  // Bonded neighbour lists (periodic images allowed: tiny cells can bond an atom to its own image).
  struct Bond {
    uint32_t j;
    Vec3 d;
    double r;
  };
  std::vector<std::vector<Bond>> bonded(n);
  std::map<std::pair<int, int>, std::vector<double>> lengths;
  NeighborSearch search(s, NeighborOptions{rmax, true});
  search.for_each_pair([&](size_t i, size_t j, const Vec3& d, double r2) {
    const Element ei = s.atoms[i].element, ej = s.atoms[j].element;
    const double cut = opt.cutoffs.get(ei, ej);
    if (r2 > cut * cut) return;
    const double r = std::sqrt(r2);
    bonded[i].push_back({static_cast<uint32_t>(j), d, r});
    bonded[j].push_back({static_cast<uint32_t>(i), -d, r});
    lengths[key(ei, ej)].push_back(r);
  });

  // Coordination numbers for every (centre, neighbour) element pair that has at least one bond.
  std::map<int, size_t> n_of;
  for (const Atom& a : s.atoms) n_of[a.element.z()]++;
  for (const Element& ec : present)
    for (const Element& en : present) {
      if (opt.cutoffs.get(ec, en) <= 0 || lengths.find(key(ec, en)) == lengths.end()) continue;
      CoordinationStat st;
      st.centre = ec;
      st.neighbor = en;
      st.cutoff = opt.cutoffs.get(ec, en);
      std::vector<double> hist;
      double total = 0;
      for (size_t i = 0; i < n; ++i) {
        if (s.atoms[i].element != ec) continue;
        size_t k = 0;
        for (const Bond& b : bonded[i]) k += s.atoms[b.j].element == en;
        if (hist.size() <= k) hist.resize(k + 1, 0.0);
        hist[k] += 1;
        total += static_cast<double>(k);
      }
      const double nc = static_cast<double>(n_of[ec.z()]);
      st.mean = total / nc;
      for (double& h : hist) h /= nc;
      st.histogram = hist;
      out.coordination.push_back(st);
    }

  for (auto& [k, v] : lengths) {
    BondStat b;
    b.a = Element::from_z(k.first);
    b.b = Element::from_z(k.second);
    b.lengths = make_histogram(v, 0.0, opt.cutoffs.get(b.a, b.b), opt.length_bin);
    out.bonds.push_back(b);
  }

  // Bond angles a–centre–b for every pair of bonds at each atom.
  std::map<std::tuple<int, int, int>, std::vector<double>> angles;
  for (size_t i = 0; i < n; ++i) {
    const auto& nb = bonded[i];
    for (size_t p = 0; p < nb.size(); ++p)
      for (size_t q = p + 1; q < nb.size(); ++q) {
        const double c = nb[p].d.dot(nb[q].d) / (nb[p].r * nb[q].r);
        const double ang = std::acos(std::clamp(c, -1.0, 1.0)) * 180.0 / kPi;
        const int za = s.atoms[nb[p].j].element.z(), zb = s.atoms[nb[q].j].element.z();
        angles[{std::min(za, zb), s.atoms[i].element.z(), std::max(za, zb)}].push_back(ang);
      }
  }
  for (auto& [k, v] : angles) {
    AngleStat a;
    a.a = Element::from_z(std::get<0>(k));
    a.centre = Element::from_z(std::get<1>(k));
    a.b = Element::from_z(std::get<2>(k));
    a.angles = make_histogram(v, 0.0, 180.0, opt.angle_bin);
    out.angles.push_back(a);
  }
  return out;
}

}  // namespace sedpdf
