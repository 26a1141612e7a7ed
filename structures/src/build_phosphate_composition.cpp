// Composition of the phosphate glass: the (1−x)([Na2O]z[P2O5])–x([AlO3/2][AlF3]y) notation, melt
// batches, the neutral rounding rule and the bond budget (see build_phosphate.hpp).
#include <algorithm>
#include <cctype>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/build_phosphate.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf {

namespace {

constexpr int kNa = 11, kP = 15, kAl = 13, kO = 8, kF = 9;

// ------------------------------------------------------------------------------------------------
// Formula expressions
// ------------------------------------------------------------------------------------------------

// Unicode → ASCII for the characters the notation uses: dashes and the minus sign are separators, the
// middle dot too, subscript digits are digits. Other non-ASCII bytes are kept (and rejected later).
std::string normalise(const std::string& in) {
  std::string out;
  for (size_t i = 0; i < in.size();) {
    const unsigned char c = static_cast<unsigned char>(in[i]);
    if (c < 0x80) {
      if (!std::isspace(c)) out += static_cast<char>(c);
      ++i;
      continue;
    }
    auto starts = [&](const char* seq) { return in.compare(i, std::char_traits<char>::length(seq), seq) == 0; };
    if (starts("\u2013") || starts("\u2014") || starts("\u2212")) {  // – — −
      out += '-';
      i += 3;
    } else if (starts("\u00b7")) {  // ·
      out += '+';
      i += 2;
    } else if (starts("\u22c5")) {  // ⋅
      out += '+';
      i += 3;
    } else if (i + 2 < in.size() && c == 0xE2 && static_cast<unsigned char>(in[i + 1]) == 0x82 &&
               static_cast<unsigned char>(in[i + 2]) >= 0x80 && static_cast<unsigned char>(in[i + 2]) <= 0x89) {
      out += static_cast<char>('0' + (static_cast<unsigned char>(in[i + 2]) - 0x80));  // ₀..₉
      i += 3;
    } else {
      out += static_cast<char>(c);
      ++i;
    }
  }
  return out;
}

class FormulaParser {
 public:
  FormulaParser(const std::string& original, const std::string& field)
      : original_(original), s_(normalise(original)), field_(field) {}

  std::map<Element, double> parse() {
    if (s_.empty()) fail("is empty");
    std::map<Element, double> m = expr();
    if (pos_ != s_.size()) fail("unexpected '" + std::string(1, s_[pos_]) + "'");
    return m;
  }

 private:
  std::string original_, s_, field_;
  size_t pos_ = 0;

  [[noreturn]] void fail(const std::string& what) const {
    std::ostringstream m;
    m << "composition '" << original_ << "' " << what;
    m << " at character " << pos_ + 1 << " of '" << s_ << "' (spaces removed)";
    m << ". Expected e.g. \"0.67[(Na2O)0.9(P2O5)]-0.33[(AlO1.5)(AlF3)1.5]\"";
    throw InputError("", 0, field_, m.str());
  }
  bool at(char c) const { return pos_ < s_.size() && s_[pos_] == c; }
  bool at_digit() const {
    return pos_ < s_.size() && (std::isdigit(static_cast<unsigned char>(s_[pos_])) || s_[pos_] == '.');
  }
  static void add(std::map<Element, double>& into, const std::map<Element, double>& from, double k) {
    for (const auto& [e, n] : from) into[e] += k * n;
  }

  double decimal() {
    const size_t start = pos_;
    while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    if (at('.')) {
      ++pos_;
      while (pos_ < s_.size() && std::isdigit(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    }
    const std::string t = s_.substr(start, pos_ - start);
    if (t.empty() || t == ".") {
      pos_ = start;
      fail("has a malformed number");
    }
    return std::stod(t);
  }
  double number() {
    const size_t start = pos_;
    double v = decimal();
    if (at('/')) {
      ++pos_;
      if (!at_digit()) fail("has a fraction without a denominator");
      const double d = decimal();
      if (d == 0) {
        pos_ = start;
        fail("divides by zero");
      }
      v /= d;
    }
    if (!std::isfinite(v)) {
      pos_ = start;
      fail("has a number that is not finite");
    }
    return v;
  }

  std::map<Element, double> expr() {
    std::map<Element, double> m = term();
    while (at('-') || at('+')) {
      ++pos_;
      add(m, term(), 1.0);
    }
    return m;
  }

  std::map<Element, double> term() {
    double coef = 1.0;
    if (at_digit()) coef = number();
    std::map<Element, double> m;
    bool any = false;
    while (pos_ < s_.size() && !at('-') && !at('+') && !at(')') && !at(']') && !at('}')) {
      add(m, unit(), coef);
      any = true;
    }
    if (!any) fail(pos_ < s_.size() ? "has a coefficient or separator with nothing after it"
                                    : "ends where an element or group was expected");
    return m;
  }

  std::map<Element, double> unit() {
    std::map<Element, double> m;
    const char c = s_[pos_];
    if (c == '(' || c == '[' || c == '{') {
      const char close = c == '(' ? ')' : (c == '[' ? ']' : '}');
      ++pos_;
      m = expr();
      if (!at(close)) fail(std::string("is missing the closing '") + close + "'");
      ++pos_;
    } else if (std::isupper(static_cast<unsigned char>(c))) {
      const size_t start = pos_;
      std::string sym(1, c);
      ++pos_;
      if (pos_ < s_.size() && std::islower(static_cast<unsigned char>(s_[pos_]))) sym += s_[pos_++];
      Element e;
      try {
        e = Element::parse(sym);
      } catch (const std::exception&) {
        pos_ = start;
        fail("has an unknown element '" + sym + "'");
      }
      // Element::parse is case-insensitive; the notation is not ("CO" is C + O, "Co" cobalt).
      if (e.symbol() != sym) {
        pos_ = start;
        fail("has an unknown element '" + sym + "'");
      }
      m[e] = 1.0;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      fail("has a number where an element or group was expected");
    } else {
      fail("has an unexpected character '" + std::string(1, c) + "'");
    }
    if (at_digit()) {
      const double k = number();
      for (auto& [e, n] : m) n *= k;
    }
    return m;
  }
};

std::string fmt(double v, int prec = 4) {
  std::ostringstream s;
  s << std::setprecision(prec) << v;
  return s.str();
}

PhosphateComposition checked(const std::map<Element, double>& m, const std::string& text,
                             const std::string& field) {
  PhosphateComposition c;
  for (const auto& [e, n] : m) {
    if (n < 0)
      throw InputError("", 0, field, "'" + text + "': negative amount of " + e.symbol());
    switch (e.z()) {
      case kNa: c.na = n; break;
      case kP: c.p = n; break;
      case kAl: c.al = n; break;
      case kO: c.o = n; break;
      case kF: c.f = n; break;
      default:
        throw InputError("", 0, field,
                         "'" + text + "' contains " + e.symbol() +
                             ": the phosphate builder models the Na–P–Al–O–F system only");
    }
  }
  if (!(c.p > 0) || !(c.o > 0))
    throw InputError("", 0, field, "'" + text + "' has no " + std::string(c.p > 0 ? "O" : "P") +
                                       ": a phosphate glass needs P and O");
  const double q = c.charge(), qc = c.cation_charge();
  if (std::abs(q) > 1e-3 * qc)
    throw InputError("", 0, field,
                     "'" + text + "' is not charge neutral: with Na+ P5+ Al3+ O2- F- the net charge is " +
                         (q > 0 ? "+" : "") + fmt(q) + " per " + fmt(qc) + " positive charges (" +
                         c.ratio_string(4) + "); the tolerance is 0.1 %");
  return c;
}

}  // namespace

PhosphateComposition PhosphateComposition::fractions() const {
  const double t = total();
  if (!(t > 0) || !std::isfinite(t)) throw std::invalid_argument("composition total " + fmt(t) + " is not positive");
  return {na / t, p / t, al / t, o / t, f / t};
}

double PhosphateComposition::mean_mass_g_per_mol() const {
  const double t = total();
  if (!(t > 0)) return 0;
  return (na * Element::from_z(kNa).mass() + p * Element::from_z(kP).mass() + al * Element::from_z(kAl).mass() +
          o * Element::from_z(kO).mass() + f * Element::from_z(kF).mass()) /
         t;
}

std::string PhosphateComposition::ratio_string(int prec) const {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << "Na " << na << " : P " << p << " : Al " << al << " : O " << o
    << " : F " << f;
  return s.str();
}

PhosphateComposition default_phosphate_composition() {
  return parse_phosphate_composition("0.67[(Na2O)0.9(P2O5)]-0.33[(AlO1.5)(AlF3)1.5]");
}

std::map<Element, double> parse_formula_expression(const std::string& text, const std::string& field) {
  return FormulaParser(text, field).parse();
}

PhosphateComposition parse_phosphate_composition(const std::string& text) {
  return checked(parse_formula_expression(text, "composition"), text, "composition");
}

const std::vector<PhosphateBatchPreset>& phosphate_batch_presets() {
  // 000, Methods ("Inorganic glass samples"): 80 g batches of NaPO3 + AlF3.
  static const std::vector<PhosphateBatchPreset> presets = {
      {"base", "NaPO3=66.3g,AlF3=13.7g"},
      {"na-deficient", "NaPO3=59.1g,AlF3=20.9g"},
      {"al-rich", "NaPO3=51.6g,AlF3=28.4g"},
  };
  return presets;
}

PhosphateComposition phosphate_composition_from_batch(const std::string& spec_in) {
  std::string lower;
  for (char c : spec_in)
    if (!std::isspace(static_cast<unsigned char>(c))) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::string spec = spec_in;
  for (const auto& p : phosphate_batch_presets())
    if (lower == p.name) spec = p.batch;
  std::map<Element, double> moles;
  std::stringstream ss(spec);
  std::string item;
  int items = 0;
  while (std::getline(ss, item, ',')) {
    std::string t;
    for (char c : item)
      if (!std::isspace(static_cast<unsigned char>(c))) t += c;
    if (t.empty()) continue;
    const auto eq = t.find('=');
    if (eq == std::string::npos || eq == 0 || eq + 1 >= t.size()) {
      std::string names;
      for (const auto& p : phosphate_batch_presets()) names += (names.empty() ? "" : ", ") + p.name;
      throw InputError("", 0, "batch",
                       "'" + item + "' is not of the form compound=amount (e.g. NaPO3=66.3g), and '" + spec_in +
                           "' is not a preset (" + names + ")");
    }
    const std::string compound = t.substr(0, eq), amount = t.substr(eq + 1);
    size_t used = 0;
    double value = 0;
    try {
      value = std::stod(amount, &used);
    } catch (const std::exception&) {
      throw InputError("", 0, "batch", "'" + item + "': amount '" + amount + "' is not a number with a unit");
    }
    const std::string unit = amount.substr(used);
    if (!(value > 0) || !std::isfinite(value))
      throw InputError("", 0, "batch", "'" + item + "': amount must be positive, got " + amount);
    const std::map<Element, double> formula = parse_formula_expression(compound, "batch");
    double molar_mass = 0;
    for (const auto& [e, n] : formula) molar_mass += n * e.mass();
    double mol = 0;
    if (unit == "g") mol = value / molar_mass;
    else if (unit == "mg") mol = value * 1e-3 / molar_mass;
    else if (unit == "kg") mol = value * 1e3 / molar_mass;
    else if (unit == "mol") mol = value;
    else if (unit == "mmol") mol = value * 1e-3;
    else
      throw InputError("", 0, "batch", "'" + item + "': unit '" + unit + "' is not one of g, mg, kg, mol, mmol");
    for (const auto& [e, n] : formula) moles[e] += mol * n;
    ++items;
  }
  if (items == 0) throw InputError("", 0, "batch", "'" + spec_in + "' lists no compounds");
  return checked(moles, spec_in, "batch");
}

PhosphateAtomCounts round_phosphate_composition(const PhosphateComposition& c, double n_atoms) {
  if (!(n_atoms >= 1) || !std::isfinite(n_atoms))
    throw std::invalid_argument("number of atoms " + fmt(n_atoms) + " must be at least 1");
  const PhosphateComposition fr = c.fractions();
  const double x[5] = {fr.na * n_atoms, fr.p * n_atoms, fr.al * n_atoms, fr.o * n_atoms, fr.f * n_atoms};
  const long q[5] = {1, 5, 3, -2, -1};
  long lo[5], hi[5];
  for (int e = 0; e < 5; ++e) {
    if (x[e] <= 0) {
      lo[e] = hi[e] = 0;
    } else {
      lo[e] = std::max(0L, static_cast<long>(std::floor(x[e])) - 2);
      hi[e] = static_cast<long>(std::ceil(x[e])) + 2;
    }
  }
  bool found = false;
  long best[5] = {0, 0, 0, 0, 0};
  double best_max = 0, best_sq = 0;
  long n[5];
  for (n[0] = lo[0]; n[0] <= hi[0]; ++n[0])
    for (n[1] = lo[1]; n[1] <= hi[1]; ++n[1])
      for (n[2] = lo[2]; n[2] <= hi[2]; ++n[2])
        for (n[3] = lo[3]; n[3] <= hi[3]; ++n[3])
          for (n[4] = lo[4]; n[4] <= hi[4]; ++n[4]) {
            long charge = 0;
            for (int e = 0; e < 5; ++e) charge += q[e] * n[e];
            if (charge != 0) continue;
            double mx = 0, sq = 0;
            for (int e = 0; e < 5; ++e) {
              const double d = static_cast<double>(n[e]) - x[e];
              mx = std::max(mx, std::abs(d));
              sq += d * d;
            }
            // Loops run in increasing lexicographic order, so strict '<' keeps the smallest tuple on ties.
            const double eps = 1e-12;
            if (!found || mx < best_max - eps || (std::abs(mx - best_max) <= eps && sq < best_sq - eps)) {
              found = true;
              best_max = mx;
              best_sq = sq;
              std::copy(n, n + 5, best);
            }
          }
  if (!found)
    throw std::invalid_argument("no charge-neutral rounding of " + c.ratio_string() + " to " + fmt(n_atoms) +
                                " atoms within two atoms of ideal per element");
  PhosphateAtomCounts r;
  r.na = best[0];
  r.p = best[1];
  r.al = best[2];
  r.o = best[3];
  r.f = best[4];
  return r;
}

PhosphateBondBudget phosphate_bond_budget(const PhosphateAtomCounts& n) {
  if (n.p <= 0) throw std::invalid_argument("the composition has no P: a phosphate network needs PO4 units");
  const double op = static_cast<double>(n.o) / static_cast<double>(n.p);
  if (n.o > 4 * n.p)
    throw std::invalid_argument("O/P = " + fmt(op) +
                                " exceeds 4: O not bonded to any P (free oxide ions) is not modelled");
  if (n.o < 2 * n.p)
    throw std::invalid_argument("O/P = " + fmt(op) + " is below 2: PO4 tetrahedra cannot share that few O");
  PhosphateBondBudget b;
  b.p_o_p = 4 * n.p - n.o;
  b.o_single = n.o - b.p_o_p;
  b.al_slots = 6 * n.al;
  b.f_on_al = std::min(n.f, b.al_slots);
  b.f_free = n.f - b.f_on_al;
  b.p_o_al = std::min(b.o_single, b.al_slots - b.f_on_al);
  long remaining = b.al_slots - b.f_on_al - b.p_o_al;
  // Octahedra the O cannot fill: share F between two Al (Al–F–Al, as in AlF3) — each shared F fills
  // one more corner.
  b.f_bridging = std::min(remaining, b.f_on_al);
  remaining -= b.f_bridging;
  b.al_unfilled = remaining;
  b.o_nonbridging = b.o_single - b.p_o_al;
  b.mean_qn = 2.0 * static_cast<double>(b.p_o_p) / static_cast<double>(n.p);
  const double m = std::clamp(b.mean_qn, 0.0, 4.0);
  const int k = std::min(3, static_cast<int>(std::floor(m)));
  b.binary_qn[k + 1] = m - k;
  b.binary_qn[k] = 1.0 - (m - k);
  return b;
}

}  // namespace sedpdf
