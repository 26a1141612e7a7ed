// LAMMPS data file reader and writer (LAMMPS manual, read_data command, "Format of a data file").
// Supported atom styles: atomic (id type x y z), charge (id type q x y z) and full (id mol type q x y z),
// each optionally followed by image flags ix iy iz. The element of each atom type comes from the Masses
// section: the "# Symbol" comment after the mass when there is one, else the element whose standard
// atomic weight (gemmi's IUPAC table) is nearest, within 0.1 g/mol.
#include <algorithm>
#include <cmath>
#include <istream>
#include <map>
#include <optional>
#include <ostream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "sedpdf/structures/text.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf {

namespace {

constexpr double kMassTolerance = 0.1;  // g/mol

/// Splits "data # comment" into data and comment (both trimmed).
std::pair<std::string_view, std::string_view> split_comment(std::string_view line) {
  const size_t h = line.find('#');
  if (h == std::string_view::npos) return {detail::trim(line), {}};
  return {detail::trim(line.substr(0, h)), detail::trim(line.substr(h + 1))};
}

bool starts_with_letter(std::string_view s) {
  return !s.empty() && ((s[0] >= 'A' && s[0] <= 'Z') || (s[0] >= 'a' && s[0] <= 'z'));
}

std::optional<Element> element_from_mass(double mass) {
  std::optional<Element> best;
  double best_diff = kMassTolerance;
  for (int z = 1; z <= 118; ++z) {
    const Element e = Element::from_z(z);
    const double d = std::abs(e.mass() - mass);
    if (d <= best_diff) {
      best_diff = d;
      best = e;
    }
  }
  return best;
}

std::string style_name(LammpsAtomStyle st) {
  switch (st) {
    case LammpsAtomStyle::Atomic: return "atomic";
    case LammpsAtomStyle::Charge: return "charge";
    case LammpsAtomStyle::Full: return "full";
  }
  return "atomic";
}

struct TypeInfo {
  Element element;
  size_t line = 0;
};

}  // namespace

Structure read_lammps_data(std::istream& in, const std::string& name) {
  detail::LineReader lines(in, name);
  std::string line;
  Structure s;
  if (!lines.next(line)) throw InputError(name, 1, "title", "empty file");
  s.title = std::string(detail::trim(line));

  long long n_atoms = -1, n_types = -1;
  std::optional<std::array<double, 2>> bounds[3];
  std::array<double, 3> tilt{0, 0, 0};
  bool have_tilt = false;

  // Header: until the first line that starts with a letter (a section keyword).
  std::string section_line;
  bool have_section = false;
  while (lines.next(line)) {
    const auto [data, comment] = split_comment(line);
    if (data.empty()) continue;
    if (starts_with_letter(data)) {
      section_line = line;
      have_section = true;
      break;
    }
    const size_t ln = lines.line_no();
    const auto tok = detail::split_ws(data);
    auto keyword_is = [&](size_t start, std::initializer_list<const char*> words) {
      if (tok.size() != start + words.size()) return false;
      size_t i = start;
      for (const char* w : words)
        if (tok[i++] != w) return false;
      return true;
    };
    if (keyword_is(1, {"atoms"})) {
      n_atoms = detail::integer_or_throw(tok[0], name, ln, "atoms");
      if (n_atoms < 0) throw InputError(name, ln, "atoms", "negative atom count");
    } else if (keyword_is(1, {"atom", "types"})) {
      n_types = detail::integer_or_throw(tok[0], name, ln, "atom types");
      if (n_types < 1) throw InputError(name, ln, "atom types", "need at least one atom type");
    } else if (keyword_is(2, {"xlo", "xhi"}) || keyword_is(2, {"ylo", "yhi"}) || keyword_is(2, {"zlo", "zhi"})) {
      const int axis = tok[2][0] - 'x';
      const std::string field = std::string(tok[2]) + " " + std::string(tok[3]);
      const double lo = detail::finite_or_throw(tok[0], name, ln, field);
      const double hi = detail::finite_or_throw(tok[1], name, ln, field);
      if (!(hi > lo)) throw InputError(name, ln, field, "box has zero or negative length (hi <= lo)");
      bounds[axis] = std::array<double, 2>{lo, hi};
    } else if (keyword_is(3, {"xy", "xz", "yz"})) {
      for (int k = 0; k < 3; ++k) tilt[static_cast<size_t>(k)] = detail::finite_or_throw(tok[static_cast<size_t>(k)], name, ln, "xy xz yz");
      have_tilt = true;
    }
    // Other header lines (bonds, angles, ... and their type counts, extra/per/atom) are not needed.
  }
  if (n_atoms < 0) throw InputError(name, lines.line_no(), "atoms", "header has no \"N atoms\" line");
  if (n_types < 0) throw InputError(name, lines.line_no(), "atom types", "header has no \"N atom types\" line");
  const char* bound_names[3] = {"xlo xhi", "ylo yhi", "zlo zhi"};
  for (int k = 0; k < 3; ++k)
    if (!bounds[k]) throw InputError(name, lines.line_no(), bound_names[k], "header has no box bounds line");
  const Vec3 origin{(*bounds[0])[0], (*bounds[1])[0], (*bounds[2])[0]};
  try {
    s.cell = Cell::from_vectors({(*bounds[0])[1] - (*bounds[0])[0], 0, 0},
                                {tilt[0], (*bounds[1])[1] - (*bounds[1])[0], 0},
                                {tilt[1], tilt[2], (*bounds[2])[1] - (*bounds[2])[0]});
  } catch (const std::invalid_argument& e) {
    throw InputError(name, 0, have_tilt ? "xy xz yz" : "xlo xhi", e.what());
  }

  // Sections.
  std::map<long long, TypeInfo> types;
  bool have_masses = false;
  struct RawAtom {
    long long id;
    long long type;
    Atom atom;
    size_t line;
  };
  std::vector<RawAtom> raw;
  size_t atoms_line = 0;
  while (have_section) {
    const size_t section_ln = lines.line_no();
    const auto [sdata, scomment] = split_comment(section_line);
    const std::string keyword(sdata);
    have_section = false;
    // Entries: numeric lines until the next keyword line or the end of the file.
    std::vector<std::pair<std::string, size_t>> entries;
    while (lines.next(line)) {
      const auto [data, comment] = split_comment(line);
      (void)comment;
      if (data.empty()) continue;
      if (starts_with_letter(data)) {
        section_line = line;
        have_section = true;
        break;
      }
      entries.emplace_back(line, lines.line_no());
    }
    if (keyword == "Masses") {
      have_masses = true;
      for (const auto& [text, ln] : entries) {
        const auto [data, comment] = split_comment(text);
        const auto tok = detail::split_ws(data);
        if (tok.size() < 2) throw InputError(name, ln, "Masses", "needs \"type mass\"");
        const long long type = detail::integer_or_throw(tok[0], name, ln, "Masses");
        const double mass = detail::finite_or_throw(tok[1], name, ln, "Masses");
        if (type < 1 || type > n_types)
          throw InputError(name, ln, "Masses", "atom type " + std::to_string(type) + " outside 1.." + std::to_string(n_types));
        TypeInfo info;
        info.line = ln;
        if (!comment.empty()) {
          try {
            info.element = Element::parse(detail::split_ws(comment)[0], true);
          } catch (const std::invalid_argument&) {
            // not a symbol: fall back to the mass
          }
        }
        if (!info.element.valid()) {
          const auto e = element_from_mass(mass);
          if (!e) {
            std::ostringstream m;
            m << "mass " << mass << " g/mol of atom type " << type
              << " matches no element's standard atomic weight within " << kMassTolerance
              << " g/mol; add the element after the mass as a comment (\"" << type << ' ' << mass << " # Zn\")";
            throw InputError(name, ln, "Masses", m.str());
          }
          info.element = *e;
        }
        types[type] = info;
      }
    } else if (keyword == "Atoms") {
      atoms_line = section_ln;
      std::optional<LammpsAtomStyle> style;
      if (!scomment.empty()) {
        const std::string hint = detail::to_lower(detail::split_ws(scomment)[0]);
        if (hint == "atomic") style = LammpsAtomStyle::Atomic;
        else if (hint == "charge") style = LammpsAtomStyle::Charge;
        else if (hint == "full") style = LammpsAtomStyle::Full;
        else
          throw InputError(name, section_ln, "Atoms",
                           "atom style '" + hint + "' is not supported (atomic, charge or full)");
      }
      for (const auto& [text, ln] : entries) {
        const auto [data, comment] = split_comment(text);
        const auto tok = detail::split_ws(data);
        if (!style) {  // infer from the first line's column count
          switch (tok.size()) {
            case 5: case 8: style = LammpsAtomStyle::Atomic; break;
            case 6: case 9: style = LammpsAtomStyle::Charge; break;
            case 7: case 10: style = LammpsAtomStyle::Full; break;
            default:
              throw InputError(name, ln, "Atoms",
                               std::to_string(tok.size()) +
                                   " columns match no supported atom style (atomic 5, charge 6, full 7, +3 image "
                                   "flags); add a style hint such as \"Atoms # full\"");
          }
        }
        const size_t base = *style == LammpsAtomStyle::Atomic ? 5 : (*style == LammpsAtomStyle::Charge ? 6 : 7);
        if (tok.size() != base && tok.size() != base + 3)
          throw InputError(name, ln, "Atoms",
                           std::to_string(tok.size()) + " columns; atom style " + style_name(*style) + " needs " +
                               std::to_string(base) + " or " + std::to_string(base + 3));
        RawAtom r;
        r.line = ln;
        r.id = detail::integer_or_throw(tok[0], name, ln, "atom-ID");
        size_t c = 1;
        if (*style == LammpsAtomStyle::Full) {
          const long long mol = detail::integer_or_throw(tok[c++], name, ln, "molecule-ID");
          r.atom.molecule = static_cast<int>(mol);
        }
        const long long type = detail::integer_or_throw(tok[c++], name, ln, "atom-type");
        if (type < 1 || type > n_types)
          throw InputError(name, ln, "atom-type", "atom type " + std::to_string(type) + " outside 1.." + std::to_string(n_types));
        r.type = type;  // resolved to an element once the Masses section is known
        if (*style != LammpsAtomStyle::Atomic) r.atom.charge = detail::finite_or_throw(tok[c++], name, ln, "q");
        const char* axes[3] = {"x", "y", "z"};
        Vec3 p;
        for (int k = 0; k < 3; ++k) p[k] = detail::finite_or_throw(tok[c++], name, ln, axes[k]);
        if (tok.size() == base + 3) {
          const char* img[3] = {"ix", "iy", "iz"};
          for (int k = 0; k < 3; ++k) {
            const double n = static_cast<double>(detail::integer_or_throw(tok[c++], name, ln, img[k]));
            p += s.cell.vector(k) * n;  // unwrap by the image flags
          }
        }
        r.atom.pos = Position(p - origin);
        raw.push_back(std::move(r));
      }
    }
    // Velocities, Bonds, Angles, coefficient sections, ...: not needed.
  }
  if (!atoms_line) throw InputError(name, lines.line_no(), "Atoms", "no Atoms section");
  if (!have_masses)
    throw InputError(name, atoms_line, "Masses",
                     "no Masses section: the element of each atom type cannot be known");
  if (static_cast<long long>(raw.size()) != n_atoms)
    throw InputError(name, atoms_line, "Atoms",
                     "header declares " + std::to_string(n_atoms) + " atoms, the Atoms section has " +
                         std::to_string(raw.size()));
  std::sort(raw.begin(), raw.end(), [](const RawAtom& a, const RawAtom& b) { return a.id < b.id; });
  for (size_t i = 1; i < raw.size(); ++i)
    if (raw[i].id == raw[i - 1].id)
      throw InputError(name, raw[i].line, "atom-ID", "atom ID " + std::to_string(raw[i].id) + " appears twice");
  s.atoms.reserve(raw.size());
  for (RawAtom& r : raw) {
    const auto it = types.find(r.type);
    if (it == types.end())
      throw InputError(name, r.line, "Masses",
                       "atom type " + std::to_string(r.type) + " has no entry in the Masses section");
    r.atom.element = it->second.element;
    s.atoms.push_back(std::move(r.atom));
  }
  return s;
}

void write_lammps_data(const Structure& s, std::ostream& out, LammpsAtomStyle style) {
  s.validate("LAMMPS data writer");
  if (!s.cell.has_vectors()) throw std::invalid_argument("LAMMPS data needs a cell; the structure has none");
  for (size_t i = 0; i < s.atoms.size(); ++i)
    if (s.atoms[i].occupancy != 1.0)
      throw std::invalid_argument("LAMMPS data cannot carry partial occupancy: atom " + std::to_string(i + 1) + " (" +
                                  s.atoms[i].element.symbol() + ") has occupancy " +
                                  detail::fmt_general(s.atoms[i].occupancy, 6));

  // Restricted triclinic orientation (LAMMPS manual, "Triclinic (non-orthogonal) simulation boxes"):
  // a = (lx, 0, 0), b = (xy, ly, 0), c = (xz, yz, lz) with lx, ly, lz > 0. A cell in another orientation is
  // rotated; positions follow through their fractional coordinates, r' = M' M⁻¹ r.
  const Vec3 a = s.cell.vector(0), b = s.cell.vector(1), c = s.cell.vector(2);
  const double lx = a.length();
  const Vec3 ahat = a / lx;
  double xy = b.dot(ahat);
  const double ly = ahat.cross(b).length();
  double xz = c.dot(ahat);
  double yz = (b.dot(c) - xy * xz) / ly;
  const double lz = s.cell.volume() / (lx * ly);
  Vec3 va{lx, 0, 0}, vb{xy, ly, 0}, vc{xz, yz, lz};
  // LAMMPS rejects tilts beyond half the box length; reduce them by lattice vectors (same lattice).
  if (std::abs(yz) > 0.5 * ly) vc -= vb * std::round(yz / ly);
  if (std::abs(vc.x) > 0.5 * lx) vc -= va * std::round(vc.x / lx);
  if (std::abs(vb.x) > 0.5 * lx) vb -= va * std::round(vb.x / lx);
  xy = vb.x;
  xz = vc.x;
  yz = vc.y;
  // Positions map through fractional coordinates of the original cell into the rotated (unreduced) cell.
  const Cell rotated = Cell::from_vectors({lx, 0, 0}, {b.dot(ahat), ly, 0},
                                          {c.dot(ahat), (b.dot(c) - b.dot(ahat) * c.dot(ahat)) / ly, lz});

  const std::vector<Element> elements = s.elements();
  std::map<Element, size_t> type_of;
  for (size_t i = 0; i < elements.size(); ++i) type_of[elements[i]] = i + 1;

  std::string title = s.title;  // the first line is a free comment
  for (char& ch : title)
    if (ch == '\n' || ch == '\r') ch = ' ';
  out << title << "\n\n"
      << s.atoms.size() << " atoms\n"
      << elements.size() << " atom types\n\n"
      << "0.0 " << detail::fmt_fixed(lx, 10) << " xlo xhi\n"
      << "0.0 " << detail::fmt_fixed(ly, 10) << " ylo yhi\n"
      << "0.0 " << detail::fmt_fixed(lz, 10) << " zlo zhi\n";
  if (!s.cell.is_orthorhombic() || xy != 0 || xz != 0 || yz != 0)
    out << detail::fmt_fixed(xy, 10) << ' ' << detail::fmt_fixed(xz, 10) << ' ' << detail::fmt_fixed(yz, 10)
        << " xy xz yz\n";
  out << "\nMasses\n\n";
  for (size_t i = 0; i < elements.size(); ++i)
    out << i + 1 << ' ' << detail::fmt_general(elements[i].mass(), 10) << " # " << elements[i].symbol() << '\n';
  out << "\nAtoms # " << style_name(style) << "\n\n";
  std::string row;
  for (size_t i = 0; i < s.atoms.size(); ++i) {
    const Atom& at = s.atoms[i];
    const Position r = rotated.orthogonalize(s.cell.fractionalize(at.pos));
    row = std::to_string(i + 1);
    if (style == LammpsAtomStyle::Full) row += ' ' + std::to_string(at.molecule);
    row += ' ' + std::to_string(type_of[at.element]);
    if (style != LammpsAtomStyle::Atomic) row += ' ' + detail::fmt_general(at.charge, 12);
    for (int k = 0; k < 3; ++k) row += ' ' + detail::fmt_fixed(r[k], 10);
    row += '\n';
    out << row;
  }
}

}  // namespace sedpdf
