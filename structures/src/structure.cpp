#include "sedpdf/structures/structure.hpp"
#include "sedpdf/structures/constants.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

double b_from_u(double u_iso) { return 8 * kPi * kPi * u_iso; }
double u_from_b(double b_iso) { return b_iso / (8 * kPi * kPi); }

std::vector<CompositionEntry> Structure::composition() const {
  std::map<Element, double> counts;
  double total = 0;
  for (const Atom& a : atoms) {
    counts[a.element] += a.occupancy;
    total += a.occupancy;
  }
  std::vector<CompositionEntry> out;
  for (const auto& [el, n] : counts) out.push_back({el, n, total > 0 ? n / total : 0.0});
  return out;
}

std::vector<Element> Structure::elements() const {
  std::vector<Element> out;
  for (const auto& c : composition()) out.push_back(c.element);
  return out;
}

double Structure::total_occupancy() const {
  double n = 0;
  for (const Atom& a : atoms) n += a.occupancy;
  return n;
}

double Structure::mass_g_per_mol() const {
  double m = 0;
  for (const Atom& a : atoms) m += a.occupancy * a.element.mass();
  return m;
}

double Structure::number_density() const {
  if (!cell.has_vectors() || cell.volume() <= 0)
    throw std::invalid_argument("structure '" + title + "' has no cell: number density is undefined");
  return total_occupancy() / cell.volume();
}

double Structure::mass_density_g_cm3() const {
  if (!cell.has_vectors() || cell.volume() <= 0)
    throw std::invalid_argument("structure '" + title + "' has no cell: mass density is undefined");
  return mass_g_per_mol() / kAvogadro / (cell.volume() * 1e-24);
}

std::string Structure::formula() const {
  auto comp = composition();
  std::vector<CompositionEntry> ordered;
  bool has_c = false;
  for (const auto& c : comp) has_c |= c.element.symbol() == "C";
  if (has_c) {
    for (const auto& c : comp) if (c.element.symbol() == "C") ordered.push_back(c);
    for (const auto& c : comp) if (c.element.symbol() == "H") ordered.push_back(c);
  }
  std::vector<CompositionEntry> rest;
  for (const auto& c : comp)
    if (!has_c || (c.element.symbol() != "C" && c.element.symbol() != "H")) rest.push_back(c);
  std::sort(rest.begin(), rest.end(),
            [](const CompositionEntry& a, const CompositionEntry& b) { return a.element.symbol() < b.element.symbol(); });
  ordered.insert(ordered.end(), rest.begin(), rest.end());
  std::ostringstream s;
  for (size_t i = 0; i < ordered.size(); ++i) {
    if (i) s << ' ';
    s << ordered[i].element.symbol();
    const double n = ordered[i].count;
    if (std::abs(n - std::round(n)) < 1e-9) s << static_cast<long long>(std::llround(n));
    else s << n;
  }
  return s.str();
}

void Structure::validate(const std::string& where) const {
  const std::string pre = where.empty() ? std::string() : where + ": ";
  if (cell.has_vectors() && !(cell.volume() > 0)) {
    std::ostringstream m;
    m << pre << "cell volume " << cell.volume() << " Å³ is not positive";
    throw std::invalid_argument(m.str());
  }
  for (size_t i = 0; i < atoms.size(); ++i) {
    const Atom& a = atoms[i];
    std::ostringstream m;
    m << pre << "atom " << i + 1 << " (" << a.element.symbol() << "): ";
    if (!a.element.valid()) { m << "no element"; throw std::invalid_argument(m.str()); }
    if (!std::isfinite(a.pos.x) || !std::isfinite(a.pos.y) || !std::isfinite(a.pos.z)) {
      m << "position (" << a.pos.x << ", " << a.pos.y << ", " << a.pos.z << ") is not finite";
      throw std::invalid_argument(m.str());
    }
    if (!(a.occupancy >= 0 && a.occupancy <= 1)) {
      m << "occupancy " << a.occupancy << " outside [0, 1]";
      throw std::invalid_argument(m.str());
    }
    if (!(a.u_iso >= 0) || !std::isfinite(a.u_iso)) {
      m << "U_iso " << a.u_iso << " Å² is negative or not finite";
      throw std::invalid_argument(m.str());
    }
  }
}

}  // namespace sedpdf
