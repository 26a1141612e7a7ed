// app/output_files.hpp — small helpers shared by the subcommands that write several files next to one
// output (the structure builders): fixed-point formatting for printed tables and sibling file names.
#pragma once
#include <filesystem>
#include <iomanip>
#include <sstream>
#include <string>

namespace sedpdf::cli {

/// `v` in fixed notation with `decimals` digits after the point (tables and statistics files).
inline std::string fixed(double v, int decimals) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(decimals) << v;
  return s.str();
}

/// "<dir>/<stem><suffix>" next to the file `out` (e.g. model.extxyz → model_stats.txt).
inline std::string sibling_path(const std::string& out, const std::string& suffix) {
  const std::filesystem::path p(out);
  return (p.parent_path() / (p.stem().string() + suffix)).string();
}

}  // namespace sedpdf::cli
