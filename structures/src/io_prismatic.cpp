// prismatic XYZ reader and writer (Ophus, Adv. Struct. Chem. Imaging 3, 13 (2017); the same layout is
// read by abTEM): line 1 a comment, line 2 "a b c" of an orthorhombic cell (Å), then one line per atom
// "Z x y z occupancy u_rms" (Å; u_rms = RMS displacement along one axis = sqrt(U_iso)), ended by "-1".
#include <cmath>
#include <istream>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sedpdf/structures/text.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf {

Structure read_prismatic(std::istream& in, const std::string& name) {
  detail::LineReader lines(in, name);
  std::string line;
  Structure s;
  if (!lines.next(line)) throw InputError(name, 1, "comment", "empty file");
  s.title = std::string(detail::trim(line));
  if (!lines.next(line)) throw InputError(name, 2, "cell", "file ends before the cell line \"a b c\"");
  {
    const auto tok = detail::split_ws(line);
    if (tok.size() < 3) throw InputError(name, 2, "cell", "needs three cell lengths \"a b c\" (Å), got '" + line + "'");
    double abc[3];
    const char* names[3] = {"cell a", "cell b", "cell c"};
    for (int i = 0; i < 3; ++i) {
      abc[i] = detail::finite_or_throw(tok[static_cast<size_t>(i)], name, 2, names[i]);
      if (abc[i] <= 0) throw InputError(name, 2, names[i], "cell length " + std::string(tok[static_cast<size_t>(i)]) + " Å is not positive");
    }
    s.cell = Cell::orthorhombic(abc[0], abc[1], abc[2]);
  }
  bool terminated = false;
  while (lines.next(line)) {
    const size_t ln = lines.line_no();
    const auto tok = detail::split_ws(line);
    if (tok.empty()) continue;
    if (tok.size() == 1 && tok[0] == "-1") {
      terminated = true;
      break;
    }
    if (tok.size() != 6)
      throw InputError(name, ln, tok.size() < 6 ? "u_rms" : "atom line",
                       "atom line needs 6 columns \"Z x y z occupancy u_rms\", got " + std::to_string(tok.size()));
    Atom a;
    const long long z = detail::integer_or_throw(tok[0], name, ln, "Z");
    try {
      a.element = Element::from_z(static_cast<int>(z));
    } catch (const std::invalid_argument& e) {
      throw InputError(name, ln, "Z", e.what());
    }
    const char* axes[3] = {"x", "y", "z"};
    for (int k = 0; k < 3; ++k) a.pos[k] = detail::finite_or_throw(tok[static_cast<size_t>(k) + 1], name, ln, axes[k]);
    a.occupancy = detail::finite_or_throw(tok[4], name, ln, "occupancy");
    if (a.occupancy < 0 || a.occupancy > 1)
      throw InputError(name, ln, "occupancy", "occupancy " + std::string(tok[4]) + " outside [0, 1]");
    const double u_rms = detail::finite_or_throw(tok[5], name, ln, "u_rms");
    if (u_rms < 0) throw InputError(name, ln, "u_rms", "RMS displacement " + std::string(tok[5]) + " Å is negative");
    a.u_iso = u_rms * u_rms;
    s.atoms.push_back(a);
  }
  if (!terminated)
    throw InputError(name, lines.line_no() + 1, "-1", "missing the terminating line \"-1\" (file truncated?)");
  return s;
}

void write_prismatic(const Structure& s, std::ostream& out) {
  s.validate("prismatic writer");
  if (!s.cell.has_vectors()) throw std::invalid_argument("prismatic XYZ needs an orthorhombic cell; the structure has none");
  if (!s.cell.is_orthorhombic()) {
    const auto p = s.cell.parameters();
    std::ostringstream m;
    m << "prismatic XYZ needs an orthorhombic cell; this cell has alpha=" << p[3] << " beta=" << p[4]
      << " gamma=" << p[5] << " degrees";
    throw std::invalid_argument(m.str());
  }
  // Express the cell along x, y, z (it may be an orthorhombic cell in a rotated frame) and wrap the atoms
  // into it: prismatic slices the box [0,a)×[0,b)×[0,c).
  const auto p = s.cell.parameters();
  Cell target = Cell::orthorhombic(p[0], p[1], p[2]);
  target.set_periodic(s.cell.periodic_flags());
  std::string title = s.title;  // the first line is a free comment
  for (char& c : title)
    if (c == '\n' || c == '\r') c = ' ';
  out << title << '\n'
      << detail::fmt_fixed(p[0], 10) << ' ' << detail::fmt_fixed(p[1], 10) << ' ' << detail::fmt_fixed(p[2], 10) << '\n';
  std::string row;
  for (const Atom& a : s.atoms) {
    const Position r = target.orthogonalize(target.wrap(s.cell.fractionalize(a.pos)));
    row = std::to_string(a.element.z());
    for (int k = 0; k < 3; ++k) {
      row += ' ';
      row += detail::fmt_fixed(r[k], 10);
    }
    row += ' ' + detail::fmt_general(a.occupancy, 12) + ' ' + detail::fmt_general(std::sqrt(a.u_iso), 12) + '\n';
    out << row;
  }
  out << "-1\n";
}

}  // namespace sedpdf
