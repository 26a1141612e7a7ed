// sedpdf/structures/text.hpp — helpers shared by the text readers and writers of every stage (structure files,
// scattering tables, G(r) tables): line reading with 1-based line numbers, whitespace and comma splitting,
// locale-independent number parsing (with InputError naming file, line and field) and formatting.
#pragma once
#include <charconv>
#include <cmath>
#include <istream>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "sedpdf/structures/error.hpp"

namespace sedpdf::detail {

/// Reads lines from a stream, strips a trailing '\r', and counts lines from 1.
class LineReader {
 public:
  LineReader(std::istream& in, const std::string& name) : in_(in), name_(name) {}
  /// Next line into `line`; false at end of input.
  bool next(std::string& line) {
    if (!std::getline(in_, line)) return false;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    ++line_no_;
    return true;
  }
  /// 1-based number of the line last read (0 before the first).
  size_t line_no() const { return line_no_; }
  const std::string& name() const { return name_; }

 private:
  std::istream& in_;
  std::string name_;
  size_t line_no_ = 0;
};

inline bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

inline std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && is_space(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && !is_space(s[i])) ++i;
    if (i > start) out.push_back(s.substr(start, i - start));
  }
  return out;
}

inline std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

/// The comma-separated fields of a CSV line, each trimmed; "a,,b," gives four fields (no quoting).
inline std::vector<std::string> split_csv(std::string_view line) {
  std::vector<std::string> out;
  for (;;) {
    const size_t comma = line.find(',');
    out.emplace_back(trim(line.substr(0, comma)));
    if (comma == std::string_view::npos) break;
    line.remove_prefix(comma + 1);
  }
  return out;
}

inline std::string to_lower(std::string_view s) {
  std::string r(s);
  for (char& c : r)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return r;
}

/// Parses a whole token as a double (C locale; accepts a leading '+', "nan", "inf", and Fortran 'D'
/// exponents). False if any character is left over.
inline bool parse_double(std::string_view tok, double& out) {
  if (!tok.empty() && tok.front() == '+') tok.remove_prefix(1);
  if (tok.empty()) return false;
  std::string buf;
  if (tok.find_first_of("dD") != std::string_view::npos && tok.find_first_of("nN") == std::string_view::npos) {
    buf.assign(tok);
    for (char& c : buf)
      if (c == 'd' || c == 'D') c = 'e';
    tok = buf;
  }
  const char* end = tok.data() + tok.size();
  const auto res = std::from_chars(tok.data(), end, out);
  return res.ec == std::errc() && res.ptr == end;
}

inline bool parse_long(std::string_view tok, long long& out) {
  if (!tok.empty() && tok.front() == '+') tok.remove_prefix(1);
  if (tok.empty()) return false;
  const char* end = tok.data() + tok.size();
  const auto res = std::from_chars(tok.data(), end, out);
  return res.ec == std::errc() && res.ptr == end;
}

/// Number or InputError naming file, line and field.
inline double number_or_throw(std::string_view tok, const std::string& file, size_t line,
                              const std::string& field) {
  double v = 0;
  if (!parse_double(tok, v))
    throw InputError(file, line, field, "'" + std::string(tok) + "' is not a number");
  return v;
}

inline double finite_or_throw(std::string_view tok, const std::string& file, size_t line,
                              const std::string& field) {
  const double v = number_or_throw(tok, file, line, field);
  if (!std::isfinite(v)) throw InputError(file, line, field, "value '" + std::string(tok) + "' is not finite");
  return v;
}

inline long long integer_or_throw(std::string_view tok, const std::string& file, size_t line,
                                  const std::string& field) {
  long long v = 0;
  if (!parse_long(tok, v))
    throw InputError(file, line, field, "'" + std::string(tok) + "' is not an integer");
  return v;
}

/// Fixed-point text with `decimals` digits after the point (locale independent).
inline std::string fmt_fixed(double v, int decimals) {
  char buf[512];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  if (res.ec != std::errc()) {  // absurdly large value: fall back to scientific notation
    const auto r2 = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific, decimals);
    return std::string(buf, r2.ptr);
  }
  return std::string(buf, res.ptr);
}

/// Shortest-of-fixed/scientific text with `digits` significant digits (locale independent).
inline std::string fmt_general(double v, int digits) {
  char buf[64];
  const auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::general, digits);
  return std::string(buf, res.ptr);
}

}  // namespace sedpdf::detail
