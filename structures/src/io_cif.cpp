// CIF reader (via gemmi's CIF parser and small-structure model) and P1 CIF writer.
//
// Reading: the cell from _cell_length_*/_cell_angle_*; the space-group operations from the symop loop
// (_space_group_symop_operation_xyz or _symmetry_equiv_pos_as_xyz), else the Hall symbol, else the H-M
// symbol, else the International Tables number, else P1; the asymmetric unit from _atom_site_* (fractional
// coordinates, occupancy, U_iso or B_iso, or U_eq from _atom_site_aniso_U_* when only those are given).
// The operations are applied and special-position duplicates (images of one site closer than 0.4 Å)
// merged by gemmi::SmallStructure::get_all_unit_cell_sites(); every site is then wrapped into [0, 1).
// gemmi's headers are included here only: they are slow to compile.
#include <cmath>
#include <cstring>
#include <fstream>
#include <istream>
#include <iterator>
#include <map>
#include <ostream>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include <gemmi/cif.hpp>
#include <gemmi/numb.hpp>
#include <gemmi/smcif.hpp>
#include <gemmi/symmetry.hpp>

#include "sedpdf/structures/text.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf {

namespace {

namespace cif = gemmi::cif;

/// Line numbers for error messages: gemmi records the line of each item, not of each loop value.
class TextLines {
 public:
  explicit TextLines(const std::string& text) {
    size_t start = 0;
    while (start <= text.size()) {
      const size_t nl = text.find('\n', start);
      const size_t end = nl == std::string::npos ? text.size() : nl;
      lines_.push_back(std::string_view(text).substr(start, end - start));
      if (nl == std::string::npos) break;
      start = nl + 1;
    }
  }
  /// 1-based line of the "data_<name>" header, or 0.
  size_t block_line(const std::string& name) const {
    const std::string want = detail::to_lower("data_" + name);
    for (size_t i = 0; i < lines_.size(); ++i) {
      const auto tok = detail::split_ws(lines_[i]);
      if (!tok.empty() && detail::to_lower(tok[0]) == want) return i + 1;
    }
    return 0;
  }
  /// First line at or after `from` (1-based) containing `token` as a whitespace-separated word, else `from`.
  size_t token_line(size_t from, const std::string& token) const {
    if (token.empty() || from == 0) return from;
    for (size_t i = from - 1; i < lines_.size(); ++i)
      for (auto t : detail::split_ws(lines_[i]))
        if (t == token) return i + 1;
    return from;
  }

 private:
  std::vector<std::string_view> lines_;
};

size_t item_line(const cif::Item* item) {
  return item && item->line_number > 0 ? static_cast<size_t>(item->line_number) : 0;
}

/// One numeric value of a CIF item ("1.234(5)" accepted); InputError when not a number.
double cif_number(const std::string& raw, const std::string& file, size_t line, const std::string& tag) {
  const double v = cif::as_number(raw);
  if (std::isnan(v)) throw InputError(file, line, tag, "'" + raw + "' is not a number");
  return v;
}

std::vector<gemmi::Op> symmetry_operations(cif::Block& block, const std::string& file, double alpha,
                                           double gamma) {
  std::vector<gemmi::Op> ops;
  for (const char* tag : {"_space_group_symop_operation_xyz", "_symmetry_equiv_pos_as_xyz"}) {
    cif::Column col = block.find_values(tag);
    if (!col) continue;
    const size_t ln = item_line(col.item());
    for (const std::string& raw : col) {
      const std::string triplet = cif::as_string(raw);
      try {
        ops.push_back(gemmi::parse_triplet(triplet));
      } catch (const std::exception& e) {
        throw InputError(file, ln, tag, "cannot parse symmetry operation '" + triplet + "': " + e.what());
      }
    }
    if (!ops.empty()) return ops;
  }
  for (const char* tag : {"_space_group_name_Hall", "_symmetry_space_group_name_Hall"}) {
    const std::string* raw = block.find_value(tag);
    if (!raw || cif::is_null(*raw)) continue;
    const std::string hall = cif::as_string(*raw);
    try {
      const gemmi::GroupOps g = gemmi::symops_from_hall(hall.c_str());
      for (const gemmi::Op& op : g) ops.push_back(op);
      return ops;
    } catch (const std::exception& e) {
      throw InputError(file, item_line(block.find_pair_item(tag)), tag,
                       "cannot interpret Hall symbol '" + hall + "': " + e.what());
    }
  }
  for (const char* tag : {"_space_group_name_H-M_alt", "_symmetry_space_group_name_H-M"}) {
    const std::string* raw = block.find_value(tag);
    if (!raw || cif::is_null(*raw)) continue;
    const std::string hm = cif::as_string(*raw);
    const gemmi::SpaceGroup* sg = gemmi::find_spacegroup_by_name(hm, alpha, gamma);
    if (!sg) throw InputError(file, item_line(block.find_pair_item(tag)), tag, "unknown space group '" + hm + "'");
    for (const gemmi::Op& op : sg->operations()) ops.push_back(op);
    return ops;
  }
  for (const char* tag : {"_space_group_IT_number", "_symmetry_Int_Tables_number"}) {
    const std::string* raw = block.find_value(tag);
    if (!raw || cif::is_null(*raw)) continue;
    const size_t ln = item_line(block.find_pair_item(tag));
    const double n = cif_number(*raw, file, ln, tag);
    const gemmi::SpaceGroup* sg =
        (n >= 1 && n <= 230 && n == std::floor(n)) ? gemmi::find_spacegroup_by_number(static_cast<int>(n)) : nullptr;
    if (!sg) throw InputError(file, ln, tag, "'" + *raw + "' is not a space-group number (1..230)");
    for (const gemmi::Op& op : sg->operations()) ops.push_back(op);
    return ops;
  }
  ops.push_back(gemmi::Op::identity());  // no symmetry given: P1
  return ops;
}

}  // namespace

Structure read_cif_string(const std::string& text, const std::string& name) {
  cif::Document doc;
  try {
    doc = cif::read_memory(text.data(), text.size(), name.c_str());
  } catch (const tao::pegtl::parse_error& e) {
    const size_t ln = e.positions().empty() ? 0 : e.positions().front().line;
    throw InputError(name, ln, "CIF syntax", std::string(e.message()));
  } catch (const std::exception& e) {
    throw InputError(name, 0, "CIF syntax", e.what());
  }
  const TextLines lines(text);
  if (doc.blocks.empty()) throw InputError(name, 1, "data_", "no data block in the file");
  // The first block with atom sites (CIFs from journals often start with a global block).
  cif::Block* block = nullptr;
  for (cif::Block& b : doc.blocks)
    if (b.find_values("_atom_site_fract_x")) {
      block = &b;
      break;
    }
  if (!block) {
    cif::Block& b0 = doc.blocks.front();
    const char* missing = b0.find_values("_atom_site_Cartn_x") ? "_atom_site_fract_x (Cartesian-only CIFs are not supported)"
                                                               : "_atom_site_fract_x";
    throw InputError(name, lines.block_line(b0.name), "_atom_site_fract_x",
                     std::string("no atom sites with fractional coordinates: ") + missing + " is missing");
  }
  const size_t bline = lines.block_line(block->name);

  // Cell.
  const char* cell_tags[6] = {"_cell_length_a",    "_cell_length_b",   "_cell_length_c",
                              "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"};
  double p[6] = {0, 0, 0, 90, 90, 90};
  size_t cell_line = bline;
  for (int i = 0; i < 6; ++i) {
    const std::string* raw = block->find_value(cell_tags[i]);
    const size_t ln = raw ? item_line(block->find_pair_item(cell_tags[i])) : bline;
    if (i == 0 && raw) cell_line = ln;
    if (!raw || cif::is_null(*raw)) {
      if (i >= 3) continue;  // a missing angle is 90 degrees
      throw InputError(name, ln, cell_tags[i],
                       std::string("no unit cell: ") + cell_tags[i] + " is missing in data_" + block->name +
                           " (a periodic crystal needs _cell_length_a/b/c and _cell_angle_alpha/beta/gamma)");
    }
    p[i] = cif_number(*raw, name, ln, cell_tags[i]);
    if (!(p[i] > 0) || (i >= 3 && p[i] >= 180))
      throw InputError(name, ln, cell_tags[i], "impossible cell parameter " + *raw);
  }
  Structure s;
  s.title = block->name;
  try {
    s.cell = Cell::from_parameters(p[0], p[1], p[2], p[3], p[4], p[5]);
  } catch (const std::invalid_argument& e) {
    throw InputError(name, cell_line, "_cell_angle_alpha", e.what());
  }

  // Symmetry.
  const std::vector<gemmi::Op> ops = symmetry_operations(*block, name, p[3], p[5]);

  // Asymmetric unit.
  for (const char* tag : {"_atom_site_fract_y", "_atom_site_fract_z"})
    if (!block->find_values(tag))
      throw InputError(name, bline, tag, std::string(tag) + " is missing");
  enum { kX, kLabel, kSymbol, kY, kZ, kU, kB, kOcc };
  cif::Table table = block->find("_atom_site_", {"fract_x", "?label", "?type_symbol", "fract_y", "fract_z",
                                                 "?U_iso_or_equiv", "?B_iso_or_equiv", "?occupancy"});
  if (!table.ok())
    throw InputError(name, bline, "_atom_site_fract_x",
                     "_atom_site_fract_x, _fract_y and _fract_z must be in one loop");
  const size_t loop_line = table.loop_item ? item_line(table.loop_item) : bline;

  // U_eq from anisotropic U^ij where U_iso is not given: U_eq = (1/3) Σ_ij U^ij a*_i a*_j a_i·a_j
  // (Fischer & Tillmanns, Acta Cryst. C44, 775 (1988), eq. 4).
  std::map<std::string, double> u_eq;
  {
    const Mat33 inv = s.cell.matrix().inverse();
    double astar[3];
    for (int i = 0; i < 3; ++i) astar[i] = Vec3{inv(i, 0), inv(i, 1), inv(i, 2)}.length();
    for (const char* kind : {"U", "B"}) {
      const std::string k(kind);
      cif::Table an = block->find("_atom_site_aniso_", {"label", k + "_11", k + "_22", k + "_33", k + "_12",
                                                        k + "_13", k + "_23"});
      for (auto row : an) {
        double u[3][3];
        const int idx[3][3] = {{1, 4, 5}, {4, 2, 6}, {5, 6, 3}};
        bool ok = true;
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) {
            const double v = cif::as_number(row[static_cast<size_t>(idx[i][j])]);
            ok &= std::isfinite(v);
            u[i][j] = k == "B" ? u_from_b(v) : v;
          }
        if (!ok) continue;
        double sum = 0;
        for (int i = 0; i < 3; ++i)
          for (int j = 0; j < 3; ++j) sum += u[i][j] * astar[i] * astar[j] * s.cell.vector(i).dot(s.cell.vector(j));
        u_eq.emplace(cif::as_string(row[0]), sum / 3);
      }
    }
  }

  gemmi::SmallStructure st;
  st.cell.set(p[0], p[1], p[2], p[3], p[4], p[5]);
  for (const gemmi::Op& op : ops)
    if (!(op == gemmi::Op::identity()))
      st.cell.images.push_back(gemmi::FTransform(gemmi::Transform{gemmi::rot_as_mat33(op), gemmi::tran_as_vec3(op)}));
  // Our per-site data rides through gemmi's expansion as an index in the (otherwise unused) disorder_group.
  std::vector<Atom> site_atoms;
  for (auto row : table) {
    const std::string label = row.has(kLabel) ? cif::as_string(row[kLabel]) : std::string();
    const size_t ln = lines.token_line(loop_line, label.empty() ? row[kX] : label);
    Atom a;
    a.label = label;
    const std::string symbol = row.has2(kSymbol) ? cif::as_string(row[kSymbol]) : label;
    const char* symbol_field = row.has2(kSymbol) ? "_atom_site_type_symbol" : "_atom_site_label";
    try {
      a.element = Element::parse(symbol, true);
    } catch (const std::invalid_argument& e) {
      throw InputError(name, ln, symbol_field, e.what());
    }
    gemmi::SmallStructure::Site site;
    site.label = label;
    const char* xyz_tags[3] = {"_atom_site_fract_x", "_atom_site_fract_y", "_atom_site_fract_z"};
    const int xyz_col[3] = {kX, kY, kZ};
    double f[3];
    for (int k = 0; k < 3; ++k) {
      f[k] = cif_number(row[static_cast<size_t>(xyz_col[k])], name, ln, xyz_tags[k]);
      if (!std::isfinite(f[k])) throw InputError(name, ln, xyz_tags[k], "coordinate is not finite");
    }
    site.fract = gemmi::Fractional(f[0], f[1], f[2]);
    if (row.has2(kOcc)) {
      a.occupancy = cif_number(row[kOcc], name, ln, "_atom_site_occupancy");
      if (a.occupancy < 0 || a.occupancy > 1)
        throw InputError(name, ln, "_atom_site_occupancy", "occupancy " + row[kOcc] + " outside [0, 1]");
    }
    if (row.has2(kU)) {
      a.u_iso = cif_number(row[kU], name, ln, "_atom_site_U_iso_or_equiv");
      if (a.u_iso < 0) throw InputError(name, ln, "_atom_site_U_iso_or_equiv", "U_iso " + row[kU] + " Å² is negative");
    } else if (row.has2(kB)) {
      const double b = cif_number(row[kB], name, ln, "_atom_site_B_iso_or_equiv");
      if (b < 0) throw InputError(name, ln, "_atom_site_B_iso_or_equiv", "B_iso " + row[kB] + " Å² is negative");
      a.u_iso = u_from_b(b);
    } else if (auto it = u_eq.find(label); it != u_eq.end()) {
      if (!(it->second >= 0)) throw InputError(name, ln, "_atom_site_aniso_U_11", "U_eq of site " + label + " is negative");
      a.u_iso = it->second;
    }
    site.disorder_group = static_cast<int>(site_atoms.size());  // index back into site_atoms
    site_atoms.push_back(a);
    st.sites.push_back(site);
  }
  const std::vector<gemmi::SmallStructure::Site> all = st.get_all_unit_cell_sites();
  s.atoms.reserve(all.size());
  for (const auto& site : all) {
    Atom a = site_atoms.at(static_cast<size_t>(site.disorder_group));
    const Fractional fr = s.cell.wrap(Fractional(site.fract.x, site.fract.y, site.fract.z));
    a.pos = s.cell.orthogonalize(fr);
    s.atoms.push_back(std::move(a));
  }
  return s;
}

Structure read_cif(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open file for reading");
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(path, 0, "", "read error");
  return read_cif_string(text, path);
}

void write_cif(const Structure& s, std::ostream& out) {
  s.validate("CIF writer");
  if (!s.cell.has_vectors()) throw std::invalid_argument("CIF needs a unit cell; the structure has none");
  std::string block;
  for (char c : s.title)
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.')
      block += c;
  if (block.empty()) block = "sedpdf";
  const auto p = s.cell.parameters();
  out << "data_" << block << "\n_audit_creation_method 'sedpdf'\n";
  const char* names[6] = {"_cell_length_a", "_cell_length_b", "_cell_length_c",
                          "_cell_angle_alpha", "_cell_angle_beta", "_cell_angle_gamma"};
  for (int i = 0; i < 6; ++i) out << names[i] << ' ' << detail::fmt_fixed(p[static_cast<size_t>(i)], 10) << '\n';
  out << "_space_group_name_H-M_alt 'P 1'\n_space_group_IT_number 1\n\n"
      << "loop_\n_space_group_symop_operation_xyz\n'x, y, z'\n\n"
      << "loop_\n_atom_site_label\n_atom_site_type_symbol\n_atom_site_fract_x\n_atom_site_fract_y\n"
      << "_atom_site_fract_z\n_atom_site_U_iso_or_equiv\n_atom_site_occupancy\n";
  std::set<std::string> used;
  std::map<Element, size_t> counter;
  std::string row;
  for (const Atom& a : s.atoms) {
    std::string label;
    for (char c : a.label)
      if (!detail::is_space(c) && c != '\'' && c != '"' && !(label.empty() && std::strchr("_#$;[]", c)))
        label += c;
    if (label.empty() || used.count(label)) {
      do {
        label = a.element.symbol() + std::to_string(++counter[a.element]);
      } while (used.count(label));
    }
    used.insert(label);
    const Fractional f = s.cell.fractionalize(a.pos);
    row = label + ' ' + a.element.symbol();
    for (int k = 0; k < 3; ++k) row += ' ' + detail::fmt_fixed(f[k], 12);
    row += ' ' + detail::fmt_general(a.u_iso, 12) + ' ' + detail::fmt_general(a.occupancy, 12) + '\n';
    out << row;
  }
}

}  // namespace sedpdf
