// sedpdf/structures/error.hpp — the one exception type for bad input: it names the file, the line (when
// there is one) and the field, so a user can find the problem without a debugger.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

namespace sedpdf {

class InputError : public std::runtime_error {
 public:
  /// `file` may be empty (in-memory input); `line` is 1-based, 0 when not applicable.
  InputError(const std::string& file, size_t line, const std::string& field, const std::string& what)
      : std::runtime_error(compose(file, line, field, what)), file_(file), line_(line), field_(field) {}
  const std::string& file() const { return file_; }
  size_t line() const { return line_; }
  const std::string& field() const { return field_; }

 private:
  static std::string compose(const std::string& file, size_t line, const std::string& field,
                             const std::string& what) {
    std::string s = file.empty() ? std::string("<input>") : file;
    if (line) s += ":" + std::to_string(line);
    if (!field.empty()) s += ": field '" + field + "'";
    return s + ": " + what;
  }
  std::string file_;
  size_t line_;
  std::string field_;
};

/// `v` as text with `significant_digits` significant digits (printf "%.*g"; the same text as an ostream with
/// that precision), for error messages and metadata. 17 digits round-trip any double.
inline std::string format_number(double v, int significant_digits = 10) {
  char buf[48];
  std::snprintf(buf, sizeof buf, "%.*g", significant_digits, v);
  return buf;
}

}  // namespace sedpdf
