// Composition (atomic fractions) from a structure or a text, and the Faber–Ziman averages ⟨f⟩, ⟨f²⟩.
#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <map>
#include <stdexcept>
#include <system_error>

#include "sedpdf/simulate/scattering_factors.hpp"

namespace sedpdf {

namespace {

std::string trim(const std::string& s) {
  size_t b = 0, e = s.size();
  while (b < e && std::isspace(static_cast<unsigned char>(s[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(s[e - 1]))) --e;
  return s.substr(b, e - b);
}

bool parse_count(const std::string& text, double& value) {
  if (text.empty()) return false;
  const char* first = text.data();
  const char* last = text.data() + text.size();
  const auto res = std::from_chars(first, last, value, std::chars_format::fixed);
  return res.ec == std::errc() && res.ptr == last && std::isfinite(value);
}

[[noreturn]] void bad_token(const std::string& token, const std::string& text, const std::string& why) {
  throw std::invalid_argument("bad token '" + token + "' in composition '" + text + "': " + why);
}

Element parse_symbol(const std::string& sym, const std::string& token, const std::string& text) {
  try {
    return Element::parse(sym);
  } catch (const std::invalid_argument&) {
    bad_token(token, text, "'" + sym + "' is not an element symbol");
  }
}

Composition from_counts(const std::map<Element, double>& counts, const std::string& text) {
  double total = 0;
  for (const auto& kv : counts) total += kv.second;
  if (counts.empty() || !(total > 0)) throw std::invalid_argument("composition '" + text + "' has no atoms");
  Composition c;
  for (const auto& [el, n] : counts) {  // std::map: sorted by Z, as Structure::composition()
    c.elements.push_back(el);
    c.fractions.push_back(n / total);
  }
  return c;
}

}  // namespace

Composition Composition::of(const Structure& s) {
  Composition c;
  double total = 0;
  for (const CompositionEntry& e : s.composition()) {
    if (e.count <= 0) continue;
    c.elements.push_back(e.element);
    c.fractions.push_back(e.count);
    total += e.count;
  }
  if (!(total > 0)) throw std::invalid_argument("structure '" + s.title + "' has no atoms: no composition");
  for (double& f : c.fractions) f /= total;
  return c;
}

Composition Composition::parse(const std::string& text) {
  const std::string t = trim(text);
  if (t.empty()) throw std::invalid_argument("empty composition");
  std::map<Element, double> counts;
  if (t.find(':') != std::string::npos) {
    // "Zn:1,N:4,C:...": symbol:count pairs separated by commas.
    size_t start = 0;
    for (;;) {
      const size_t comma = t.find(',', start);
      const std::string token =
          trim(t.substr(start, comma == std::string::npos ? std::string::npos : comma - start));
      const size_t colon = token.find(':');
      if (token.empty()) bad_token(token, text, "empty entry");
      if (colon == std::string::npos || token.find(':', colon + 1) != std::string::npos)
        bad_token(token, text, "expected symbol:count");
      const std::string sym = trim(token.substr(0, colon));
      const std::string num = trim(token.substr(colon + 1));
      const Element el = parse_symbol(sym, token, text);
      double n = 0;
      if (!parse_count(num, n)) bad_token(token, text, "'" + num + "' is not a number");
      if (!(n > 0)) bad_token(token, text, "count must be positive");
      counts[el] += n;
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  } else {
    // Formula: element symbols (capital + lower-case letters) each followed by an optional count,
    // e.g. "ZnC12H10N4", "Na1.206P1.340Al0.825O4.448F1.485", "C12 H10 N4 Zn".
    size_t i = 0;
    while (i < t.size()) {
      if (std::isspace(static_cast<unsigned char>(t[i]))) {
        ++i;
        continue;
      }
      const size_t begin = i;
      if (!std::isupper(static_cast<unsigned char>(t[i]))) {
        // Name the offending run of characters up to the next element or space.
        size_t end = i + 1;
        while (end < t.size() && !std::isupper(static_cast<unsigned char>(t[end])) &&
               !std::isspace(static_cast<unsigned char>(t[end])))
          ++end;
        bad_token(t.substr(begin, end - begin), text, "expected an element symbol starting with a capital letter");
      }
      ++i;
      while (i < t.size() && std::islower(static_cast<unsigned char>(t[i]))) ++i;
      const std::string sym = t.substr(begin, i - begin);
      const size_t num_begin = i;
      while (i < t.size() && (std::isdigit(static_cast<unsigned char>(t[i])) || t[i] == '.')) ++i;
      const std::string num = t.substr(num_begin, i - num_begin);
      // A token runs to the next capital letter or space; anything else inside it is an error.
      size_t end = i;
      while (end < t.size() && !std::isupper(static_cast<unsigned char>(t[end])) &&
             !std::isspace(static_cast<unsigned char>(t[end])))
        ++end;
      const std::string token = t.substr(begin, end - begin);
      if (end != i)
        bad_token(token, text,
                  "unexpected characters after the symbol or count (parenthesised groups are not supported)");
      const Element el = parse_symbol(sym, token, text);
      double n = 1;
      if (!num.empty() && !parse_count(num, n)) bad_token(token, text, "'" + num + "' is not a number");
      if (!(n > 0)) bad_token(token, text, "count must be positive");
      counts[el] += n;
    }
  }
  return from_counts(counts, text);
}

// Faber & Ziman, Phil. Mag. 11 (1965) 153: ⟨f⟩ = Σ cᵢ fᵢ, ⟨f²⟩ = Σ cᵢ fᵢ².
FAverages composition_averages(const ScatteringFactors& sf, const Composition& c, double s) {
  if (c.elements.size() != c.fractions.size())
    throw std::invalid_argument("composition has " + std::to_string(c.elements.size()) + " elements but " +
                                std::to_string(c.fractions.size()) + " fractions");
  FAverages avg;
  for (size_t i = 0; i < c.elements.size(); ++i) {
    const double f = sf.f(c.elements[i], s);
    avg.f_mean += c.fractions[i] * f;
    avg.f2_mean += c.fractions[i] * f * f;
  }
  return avg;
}

}  // namespace sedpdf
