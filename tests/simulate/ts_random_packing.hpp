// Test fixture: a seeded random sequential addition (RSA) packing of hard spheres of a few elements in
// a periodic cube — a crude "glass" with distinct partials — and a spherical cluster cut from it.
#pragma once
#include <cmath>
#include <cstdint>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sedpdf/structures/structure.hpp"

namespace sedpdf::test_fixtures {

struct Species {
  const char* symbol;
  int count;
  double radius;  ///< Å; two atoms stay at least r_a + r_b apart
};

/// RSA in a cube of edge L (Å), minimum-image distances; throws if it cannot place an atom in 10⁵ tries.
inline Structure random_packing(double L, const std::vector<Species>& species, uint64_t seed) {
  Structure s;
  s.title = "rsa";
  s.cell = Cell::orthorhombic(L, L, L);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, L);
  std::vector<double> rad;
  // Species are placed in the order given (largest spheres first packs best).
  for (const Species& sp : species) {
    const Element e = Element::parse(sp.symbol);
    for (int n = 0; n < sp.count; ++n) {
      int tries = 0;
      for (;;) {
        if (++tries > 100000) throw std::runtime_error("random_packing: box too full");
        const Position p(u(rng), u(rng), u(rng));
        bool ok = true;
        for (size_t j = 0; j < s.atoms.size() && ok; ++j) {
          Vec3 d = p - s.atoms[j].pos;
          for (int k = 0; k < 3; ++k) d[k] -= L * std::round(d[k] / L);
          const double m = sp.radius + rad[j];
          ok = d.length_sq() >= m * m;
        }
        if (!ok) continue;
        Atom a;
        a.element = e;
        a.pos = p;
        s.atoms.push_back(a);
        rad.push_back(sp.radius);
        break;
      }
    }
  }
  return s;
}

/// Atoms within radius R (Å) of the box centre (minimum image), as a cluster (no cell).
inline Structure cut_sphere(const Structure& box, double R) {
  Structure c;
  c.title = "sphere";
  const double L = box.cell.vector(0).x;
  const Vec3 centre(L / 2, L / 2, L / 2);
  for (const Atom& a : box.atoms) {
    Vec3 d = a.pos - centre;
    for (int k = 0; k < 3; ++k) d[k] -= L * std::round(d[k] / L);
    if (d.length() <= R) {
      Atom b = a;
      b.pos = Position(d);
      c.atoms.push_back(b);
    }
  }
  return c;
}

/// agZIF-62-like composition Zn : N : C : H = 1 : 4 : 7 : 6.5 (BRIEF.md) at about 0.083 atoms/Å³
/// (1.58 g/cm³) in a cube of edge L (Å), `zn` zinc atoms.
inline std::vector<Species> zif_like_species(int zn) {
  return {{"Zn", zn, 0.95}, {"N", 4 * zn, 0.7}, {"C", 7 * zn, 0.7}, {"H", 13 * zn / 2, 0.5}};
}

}  // namespace sedpdf::test_fixtures
