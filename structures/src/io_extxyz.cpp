// Extended XYZ reader and writer. The format is the one written by ASE (ase.io.extxyz) and OVITO:
// line 1 the atom count, line 2 key=value pairs (values may be "double quoted" with \" escapes,
// {braced} or [bracketed]), then one line per atom whose columns are described by
// Properties=name:type:ncols[:name:type:ncols...] (types S string, R real, I integer, L logical).
#include <cmath>
#include <istream>
#include <optional>
#include <ostream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/text.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf {

namespace {

using detail::fmt_fixed;
using detail::fmt_general;
using detail::to_lower;

constexpr size_t kCommentLine = 2;

/// key=value pairs of the comment line, in order; keys keep their spelling.
std::vector<std::pair<std::string, std::string>> parse_comment_line(const std::string& s,
                                                                    const std::string& name) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  const size_t n = s.size();
  auto skip_ws = [&] {
    while (i < n && detail::is_space(s[i])) ++i;
  };
  while (true) {
    skip_ws();
    if (i >= n) break;
    std::string key;
    if (s[i] == '"') {  // quoted key (rare, but ASE allows it)
      ++i;
      while (i < n && s[i] != '"') key += s[i++];
      if (i >= n) throw InputError(name, kCommentLine, "comment line", "unterminated quoted key '" + key + "'");
      ++i;
    } else {
      while (i < n && !detail::is_space(s[i]) && s[i] != '=') key += s[i++];
    }
    const size_t after_key = i;
    skip_ws();
    if (i >= n || s[i] != '=') {  // a bare flag: key alone means true
      i = after_key;
      out.emplace_back(key, "T");
      continue;
    }
    ++i;  // '='
    skip_ws();
    std::string value;
    if (i < n && s[i] == '"') {
      ++i;
      bool closed = false;
      while (i < n) {
        if (s[i] == '\\' && i + 1 < n) {
          value += s[i + 1];
          i += 2;
        } else if (s[i] == '"') {
          closed = true;
          ++i;
          break;
        } else {
          value += s[i++];
        }
      }
      if (!closed) throw InputError(name, kCommentLine, key, "unterminated quoted value (missing closing \")");
    } else if (i < n && (s[i] == '{' || s[i] == '[')) {
      const char close = s[i] == '{' ? '}' : ']';
      ++i;
      while (i < n && s[i] != close) value += s[i++];
      if (i >= n)
        throw InputError(name, kCommentLine, key, std::string("unterminated value (missing closing ") + close + ")");
      ++i;
    } else {
      while (i < n && !detail::is_space(s[i])) value += s[i++];
    }
    if (key.empty()) throw InputError(name, kCommentLine, "comment line", "value '" + value + "' without a key");
    out.emplace_back(key, value);
  }
  return out;
}

bool parse_logical(std::string_view tok, bool& v) {
  const std::string t = to_lower(tok);
  if (t == "t" || t == "true" || t == "1") { v = true; return true; }
  if (t == "f" || t == "false" || t == "0") { v = false; return true; }
  return false;
}

std::vector<double> numbers(const std::string& value, const std::string& name, const std::string& field) {
  std::string v = value;
  for (char& c : v)
    if (c == ',') c = ' ';  // "[1, 0, 0]" style
  std::vector<double> out;
  for (auto tok : detail::split_ws(v)) out.push_back(detail::finite_or_throw(tok, name, kCommentLine, field));
  return out;
}

struct Column {
  std::string name;  ///< as spelled in the file
  char type = 'R';
  int ncols = 1;
  size_t first = 0;  ///< index of its first column on an atom line
};

enum class Role { Ignore, Species, Z, Pos, Occ, BIso, UIso, Phase, Charge };

Role role_of(const std::string& property) {
  const std::string p = to_lower(property);
  if (p == "species" || p == "element" || p == "symbol") return Role::Species;
  if (p == "z" || p == "numbers") return Role::Z;
  if (p == "pos" || p == "positions") return Role::Pos;
  if (p == "occ" || p == "occupancy" || p == "occupancies") return Role::Occ;
  if (p == "biso" || p == "b" || p == "b_iso") return Role::BIso;
  if (p == "uiso" || p == "u" || p == "u_iso") return Role::UIso;
  if (p == "phase") return Role::Phase;
  if (p == "charge" || p == "charges" || p == "initial_charges") return Role::Charge;
  return Role::Ignore;
}

std::string quote_value(const std::string& v) {
  std::string r = "\"";
  for (char c : v) {
    if (c == '"' || c == '\\') r += '\\';
    r += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return r + "\"";
}

}  // namespace

Structure read_extxyz(std::istream& in, const std::string& name) {
  detail::LineReader lines(in, name);
  std::string line;
  // Line 1: atom count.
  if (!lines.next(line)) throw InputError(name, 1, "atom count", "empty file");
  const auto count_tok = detail::split_ws(line);
  long long count = -1;
  if (count_tok.size() != 1 || !detail::parse_long(count_tok[0], count) || count < 0)
    throw InputError(name, 1, "atom count", "first line must be a non-negative atom count, got '" + line + "'");
  // Line 2: key=value pairs.
  if (!lines.next(line)) throw InputError(name, kCommentLine, "comment line", "file ends after the atom count");
  const auto pairs = parse_comment_line(line, name);

  Structure s;
  std::optional<std::vector<double>> lattice;
  std::optional<std::array<bool, 3>> pbc;
  std::string properties = "species:S:1:pos:R:3";  // ASE's default when Properties is absent
  for (const auto& [key, value] : pairs) {
    const std::string k = to_lower(key);
    if (k == "lattice") {
      lattice = numbers(value, name, key);
      if (lattice->size() != 9)
        throw InputError(name, kCommentLine, key,
                         "needs 9 numbers (vectors a, b, c), got " + std::to_string(lattice->size()));
    } else if (k == "properties") {
      properties = value;
    } else if (k == "pbc") {
      const auto toks = detail::split_ws(value);
      std::array<bool, 3> p{};
      if (toks.size() != 3 || !parse_logical(toks[0], p[0]) || !parse_logical(toks[1], p[1]) ||
          !parse_logical(toks[2], p[2]))
        throw InputError(name, kCommentLine, key, "needs three logicals such as \"T T F\", got \"" + value + "\"");
      pbc = p;
    } else if (k == "title") {
      s.title = value;
    }
  }

  // Cell.
  if (lattice) {
    const auto& L = *lattice;
    try {
      s.cell = Cell::from_vectors({L[0], L[1], L[2]}, {L[3], L[4], L[5]}, {L[6], L[7], L[8]},
                                  pbc.value_or(std::array<bool, 3>{true, true, true}));
    } catch (const std::invalid_argument& e) {
      throw InputError(name, kCommentLine, "Lattice", e.what());
    }
  } else if (pbc && ((*pbc)[0] || (*pbc)[1] || (*pbc)[2])) {
    throw InputError(name, kCommentLine, "Lattice", "pbc asks for periodic directions but there is no Lattice");
  }

  // Properties.
  std::vector<Column> cols;
  {
    std::vector<std::string> parts;
    std::string cur;
    for (char c : properties) {
      if (c == ':') { parts.push_back(cur); cur.clear(); }
      else cur += c;
    }
    parts.push_back(cur);
    if (parts.size() % 3 != 0)
      throw InputError(name, kCommentLine, "Properties",
                       "'" + properties + "' is not a list of name:type:ncols triples");
    size_t next = 0;
    for (size_t i = 0; i < parts.size(); i += 3) {
      Column c;
      c.name = parts[i];
      const std::string t = parts[i + 1];
      long long nc = 0;
      if (c.name.empty() || t.size() != 1 || std::string("SRIL").find(t[0]) == std::string::npos ||
          !detail::parse_long(parts[i + 2], nc) || nc < 1 || nc > 1000)
        throw InputError(name, kCommentLine, "Properties",
                         "bad column spec '" + parts[i] + ":" + parts[i + 1] + ":" + parts[i + 2] + "'");
      c.type = t[0];
      c.ncols = static_cast<int>(nc);
      c.first = next;
      next += static_cast<size_t>(nc);
      cols.push_back(c);
    }
  }
  const Column* species = nullptr;
  const Column* zcol = nullptr;
  const Column* pos = nullptr;
  const Column *occ = nullptr, *biso = nullptr, *uiso = nullptr, *phase = nullptr, *charge = nullptr;
  auto expect = [&](const Column& c, char type, int ncols) {
    if (c.type != type || c.ncols != ncols)
      throw InputError(name, kCommentLine, "Properties",
                       "property '" + c.name + "' must be " + type + ":" + std::to_string(ncols) + ", got " +
                           c.type + ":" + std::to_string(c.ncols));
  };
  for (const Column& c : cols) {
    switch (role_of(c.name)) {
      case Role::Species: expect(c, 'S', 1); species = &c; break;
      case Role::Z: if (c.type == 'I' && c.ncols == 1) zcol = &c; break;
      case Role::Pos: expect(c, 'R', 3); pos = &c; break;
      case Role::Occ: expect(c, 'R', 1); occ = &c; break;
      case Role::BIso: expect(c, 'R', 1); biso = &c; break;
      case Role::UIso: expect(c, 'R', 1); uiso = &c; break;
      case Role::Phase: expect(c, 'I', 1); phase = &c; break;
      case Role::Charge: expect(c, 'R', 1); charge = &c; break;
      case Role::Ignore: break;
    }
  }
  if (!species && !zcol)
    throw InputError(name, kCommentLine, "Properties", "no 'species' property (need species:S:1) in '" + properties + "'");
  if (!pos) throw InputError(name, kCommentLine, "Properties", "no 'pos' property (need pos:R:3) in '" + properties + "'");
  const size_t ncolumns = cols.empty() ? 0 : cols.back().first + static_cast<size_t>(cols.back().ncols);

  // Atom lines.
  s.atoms.reserve(static_cast<size_t>(count));
  for (long long i = 0; i < count; ++i) {
    if (!lines.next(line))
      throw InputError(name, lines.line_no() + 1, "atoms",
                       "expected " + std::to_string(count) + " atom lines after the header, the file ends after " +
                           std::to_string(i));
    const size_t ln = lines.line_no();
    const auto tok = detail::split_ws(line);
    if (tok.size() < ncolumns) {
      std::string missing = "Properties";
      for (const Column& c : cols)
        if (c.first + static_cast<size_t>(c.ncols) > tok.size()) { missing = c.name; break; }
      throw InputError(name, ln, missing,
                       "atom line has " + std::to_string(tok.size()) + " columns, Properties declares " +
                           std::to_string(ncolumns));
    }
    if (tok.size() > ncolumns)
      throw InputError(name, ln, "Properties",
                       "atom line has " + std::to_string(tok.size()) + " columns, Properties declares only " +
                           std::to_string(ncolumns));
    Atom a;
    try {
      if (species) {
        a.element = Element::parse(tok[species->first]);
      } else {
        a.element = Element::from_z(static_cast<int>(detail::integer_or_throw(tok[zcol->first], name, ln, zcol->name)));
      }
    } catch (const std::invalid_argument& e) {
      throw InputError(name, ln, species ? species->name : zcol->name, e.what());
    }
    for (int k = 0; k < 3; ++k) a.pos[k] = detail::finite_or_throw(tok[pos->first + static_cast<size_t>(k)], name, ln, pos->name);
    if (occ) {
      a.occupancy = detail::finite_or_throw(tok[occ->first], name, ln, occ->name);
      if (a.occupancy < 0 || a.occupancy > 1)
        throw InputError(name, ln, occ->name, "occupancy " + std::string(tok[occ->first]) + " outside [0, 1]");
    }
    if (uiso || biso) {
      const Column* c = uiso ? uiso : biso;
      const double v = detail::finite_or_throw(tok[c->first], name, ln, c->name);
      if (v < 0) throw InputError(name, ln, c->name, "displacement parameter " + std::string(tok[c->first]) + " Å² is negative");
      a.u_iso = uiso ? v : u_from_b(v);
    }
    if (phase) {
      const long long p = detail::integer_or_throw(tok[phase->first], name, ln, phase->name);
      if (p < -1 || p > 1000000) throw InputError(name, ln, phase->name, "phase id " + std::to_string(p) + " out of range");
      a.phase = static_cast<int>(p);
    }
    if (charge) a.charge = detail::finite_or_throw(tok[charge->first], name, ln, charge->name);
    s.atoms.push_back(std::move(a));
  }
  try {
    s.validate();
  } catch (const std::invalid_argument& e) {
    throw InputError(name, 0, "atoms", e.what());
  }
  return s;
}

void write_extxyz(const Structure& s, std::ostream& out) {
  s.validate("extended XYZ writer");
  bool any_phase = false, any_charge = false;
  for (const Atom& a : s.atoms) {
    any_phase |= a.phase >= 0;
    any_charge |= a.charge != 0.0;
  }
  std::string header;
  if (s.cell.has_vectors()) {
    header += "Lattice=\"";
    for (int i = 0; i < 3; ++i)
      for (int k = 0; k < 3; ++k) {
        if (i || k) header += ' ';
        header += fmt_fixed(s.cell.vector(i)[k], 10);
      }
    header += "\" ";
  }
  header += "Properties=species:S:1:pos:R:3:occ:R:1:uiso:R:1";
  if (any_phase) header += ":phase:I:1";
  if (any_charge) header += ":charge:R:1";
  const auto& p = s.cell.periodic_flags();
  header += std::string(" pbc=\"") + (p[0] ? 'T' : 'F') + ' ' + (p[1] ? 'T' : 'F') + ' ' + (p[2] ? 'T' : 'F') + '"';
  header += " title=" + quote_value(s.title);
  out << s.atoms.size() << '\n' << header << '\n';
  std::string row;
  for (const Atom& a : s.atoms) {
    row = a.element.symbol();
    for (int k = 0; k < 3; ++k) {
      row += ' ';
      row += fmt_fixed(a.pos[k], 10);
    }
    row += ' ';
    row += fmt_general(a.occupancy, 12);
    row += ' ';
    row += fmt_general(a.u_iso, 12);
    if (any_phase) row += ' ' + std::to_string(a.phase);
    if (any_charge) row += ' ' + fmt_general(a.charge, 12);
    row += '\n';
    out << row;
  }
}

}  // namespace sedpdf
