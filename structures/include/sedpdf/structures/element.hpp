// sedpdf/structures/element.hpp — chemical elements (symbol, Z, standard atomic weight) on top of
// gemmi's periodic table (gemmi/elem.hpp; weights from IUPAC as tabulated by gemmi).
#pragma once
#include <string>
#include <string_view>

namespace sedpdf {

class Element {
 public:
  Element() = default;
  /// Element by atomic number; throws std::invalid_argument outside 1..118.
  static Element from_z(int z);
  /// Parse a symbol, case-insensitively ("Zn", "ZN", "zn"). Charge or label suffixes are stripped when
  /// `lenient` is true ("Zn2+", "O1", "Na+" -> Zn, O, Na). Throws std::invalid_argument naming the text
  /// for anything that is not an element (X, D and "Q" included).
  static Element parse(std::string_view symbol, bool lenient = false);
  int z() const { return z_; }
  /// Symbol with standard capitalisation ("Zn").
  std::string symbol() const;
  /// Standard atomic weight (g/mol).
  double mass() const;
  bool valid() const { return z_ > 0; }
  bool operator==(const Element& o) const { return z_ == o.z_; }
  bool operator!=(const Element& o) const { return z_ != o.z_; }
  bool operator<(const Element& o) const { return z_ < o.z_; }

 private:
  explicit Element(int z) : z_(z) {}
  int z_ = 0;
};

}  // namespace sedpdf
