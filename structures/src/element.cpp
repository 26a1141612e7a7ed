#include "sedpdf/structures/element.hpp"

#include <gemmi/elem.hpp>

#include <cctype>
#include <stdexcept>

namespace sedpdf {

Element Element::from_z(int z) {
  if (z < 1 || z > 118)
    throw std::invalid_argument("atomic number " + std::to_string(z) + " is not an element (1..118)");
  return Element(z);
}

Element Element::parse(std::string_view text, bool lenient) {
  std::string s;
  for (char c : text)
    if (!std::isspace(static_cast<unsigned char>(c))) s += c;
  std::string sym = s;
  if (lenient) {
    // Keep the leading letters only: "Zn2+" -> "Zn", "O1" -> "O", "Na+" -> "Na".
    size_t n = 0;
    while (n < s.size() && std::isalpha(static_cast<unsigned char>(s[n]))) ++n;
    sym = s.substr(0, n);
    // Labels such as "OW" or "Ob": a two-letter prefix that is not an element falls back to one.
    if (sym.size() > 2) sym = sym.substr(0, 2);
    if (sym.size() == 2 && gemmi::find_element(sym.c_str()) == gemmi::El::X) sym = sym.substr(0, 1);
  }
  if (sym.empty() || sym.size() > 2)
    throw std::invalid_argument("unknown element '" + std::string(text) + "'");
  const gemmi::El el = gemmi::find_element(sym.c_str());
  if (el == gemmi::El::X || el == gemmi::El::D || el == gemmi::El::END)
    throw std::invalid_argument("unknown element '" + std::string(text) + "'");
  return Element(static_cast<int>(el));
}

std::string Element::symbol() const {
  if (!valid()) return "?";
  return gemmi::element_name(static_cast<gemmi::El>(z_));
}

double Element::mass() const {
  return gemmi::molecular_weight(static_cast<gemmi::El>(z_));
}

}  // namespace sedpdf
