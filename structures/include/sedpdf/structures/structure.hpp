// sedpdf/structures/structure.hpp — an atomistic model: cell, periodicity, atoms.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "sedpdf/structures/cell.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/element.hpp"
#include "sedpdf/structures/vec3.hpp"

namespace sedpdf {

/// Conversion between the isotropic displacement U (Å², mean-square displacement along one axis) and
/// the Debye–Waller B (Å²): B = 8π²U (International Tables Vol. C, §8.1).
double b_from_u(double u_iso);
double u_from_b(double b_iso);

struct Atom {
  Element element;
  Position pos;            ///< Cartesian position (Å)
  double occupancy = 1.0;  ///< site occupancy, 0..1
  double u_iso = 0.0;      ///< isotropic displacement U (Å²); B = 8π²U
  int phase = -1;          ///< phase id of a composite specimen, -1 when not set
  double charge = 0.0;     ///< partial charge (e), as in LAMMPS 'charge'/'full' data
  int molecule = 0;        ///< molecule id, as in LAMMPS 'full' data (0 = none)
  std::string label;       ///< site label (CIF) or type name, may be empty
};

/// Count of atoms of one element, occupancy-weighted.
struct CompositionEntry {
  Element element;
  double count = 0;     ///< Σ occupancy
  double fraction = 0;  ///< atomic fraction c_i = count / Σ counts
};

class Structure {
 public:
  std::string title;
  Cell cell;
  std::vector<Atom> atoms;

  size_t size() const { return atoms.size(); }
  /// Elements present, sorted by Z, with occupancy-weighted counts and atomic fractions.
  std::vector<CompositionEntry> composition() const;
  /// Elements present sorted by Z.
  std::vector<Element> elements() const;
  /// Σ occupancy (the effective number of atoms).
  double total_occupancy() const;
  /// Total mass (g/mol per cell).
  double mass_g_per_mol() const;
  /// Number density ρ₀ (atoms/Å³) = Σ occupancy / V; throws if the structure has no cell.
  double number_density() const;
  /// Mass density (g/cm³) = mass / (N_A V); throws if the structure has no cell.
  double mass_density_g_cm3() const;
  /// Formula string such as "C12 H10 N4 Zn" (Hill order: C, H, then alphabetical).
  std::string formula() const;
  /// Throws std::invalid_argument naming the atom and value for non-finite positions, occupancy
  /// outside [0, 1], negative or non-finite U, or a cell with non-positive volume.
  void validate(const std::string& where = "") const;
};

}  // namespace sedpdf
