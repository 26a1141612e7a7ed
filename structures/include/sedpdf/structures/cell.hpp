// sedpdf/structures/cell.hpp — a periodic (or partly periodic, or absent) simulation cell.
//
// The cell is three lattice vectors a, b, c in Cartesian Å, stored as the columns of a matrix M so that
// a Cartesian position is r = M·f for fractional f. Any orientation is allowed (extended XYZ may give
// vectors in any frame); from_parameters() uses the crystallographic convention a ∥ x, b in the xy plane
// (International Tables Vol. B, §3.3.1; the same as gemmi and ASE).
#pragma once
#include <array>
#include <string>

#include "sedpdf/structures/vec3.hpp"

namespace sedpdf {

class Cell {
 public:
  /// No cell: a finite cluster, nothing periodic.
  Cell() = default;
  /// From lattice vectors (Å). Throws std::invalid_argument if the volume is zero, negative
  /// (left-handed) or not finite for a cell with any periodic direction.
  static Cell from_vectors(const Vec3& a, const Vec3& b, const Vec3& c,
                           std::array<bool, 3> periodic = {true, true, true});
  /// From a, b, c (Å) and α, β, γ (degrees), a along x and b in the xy plane.
  static Cell from_parameters(double a, double b, double c, double alpha_deg, double beta_deg,
                              double gamma_deg, std::array<bool, 3> periodic = {true, true, true});
  static Cell orthorhombic(double a, double b, double c) {
    return from_parameters(a, b, c, 90, 90, 90);
  }

  /// True when the cell has lattice vectors (even if no direction is periodic).
  bool has_vectors() const { return has_vectors_; }
  bool periodic(int axis) const { return periodic_[axis]; }
  const std::array<bool, 3>& periodic_flags() const { return periodic_; }
  bool fully_periodic() const { return periodic_[0] && periodic_[1] && periodic_[2]; }
  bool any_periodic() const { return periodic_[0] || periodic_[1] || periodic_[2]; }
  void set_periodic(std::array<bool, 3> p) { periodic_ = p; }

  /// Lattice vector i (0 = a, 1 = b, 2 = c) in Å.
  Vec3 vector(int i) const { return {m_(0, i), m_(1, i), m_(2, i)}; }
  const Mat33& matrix() const { return m_; }
  /// Volume in Å³ (0 without vectors).
  double volume() const { return has_vectors_ ? m_.determinant() : 0.0; }
  /// Lengths a, b, c (Å) and angles α, β, γ (degrees).
  std::array<double, 6> parameters() const;
  /// True if the three vectors are mutually orthogonal (to 1e-9 relative).
  bool is_orthorhombic() const;
  /// Distance between opposite faces of the cell along axis i, |V| / |b × c| etc. (Å).
  double perpendicular_width(int axis) const;
  /// The largest r for which the minimum-image convention is exact: half the smallest perpendicular
  /// width over the periodic directions (Å); infinity when nothing is periodic.
  double minimum_image_radius() const;

  Fractional fractionalize(const Position& p) const { return Fractional(inv_ * p); }
  Position orthogonalize(const Fractional& f) const { return Position(m_ * f); }
  /// Fractional coordinates reduced into [0, 1) along periodic directions.
  Fractional wrap(const Fractional& f) const;
  Position wrap(const Position& p) const { return orthogonalize(wrap(fractionalize(p))); }
  /// Shortest image of a displacement d (Å) under the periodic directions. Exact for any triclinic cell
  /// (the 27 neighbouring images of the wrapped displacement are searched).
  Vec3 minimum_image(const Vec3& d) const;
  /// Minimum-image distance between two positions (Å).
  double distance(const Position& a, const Position& b) const { return minimum_image(b - a).length(); }

 private:
  Mat33 m_{{0, 0, 0, 0, 0, 0, 0, 0, 0}};
  Mat33 inv_{{0, 0, 0, 0, 0, 0, 0, 0, 0}};
  std::array<bool, 3> periodic_{false, false, false};
  bool has_vectors_ = false;
  bool ortho_ = false;
};

}  // namespace sedpdf
