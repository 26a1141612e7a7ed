// Structure I/O dispatch: format from file name or name string, whole-file read and atomic write.
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>

#include "sedpdf/structures/text.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf {

namespace {

std::string extension_of(const std::string& path) {
  return detail::to_lower(std::filesystem::path(path).extension().string());
}

/// True when the second line of the file is three numbers, the prismatic "a b c" cell line.
bool looks_like_prismatic(const std::string& path) {
  std::ifstream in(path);
  if (!in) return false;
  std::string line;
  if (!std::getline(in, line) || !std::getline(in, line)) return false;
  const auto tok = detail::split_ws(line);
  if (tok.size() != 3) return false;
  double v = 0;
  for (auto t : tok)
    if (!detail::parse_double(t, v)) return false;
  return true;
}

StructureFormat format_from_extension(const std::string& path, bool reading) {
  const std::string ext = extension_of(path);
  if (ext == ".xyz") return reading && looks_like_prismatic(path) ? StructureFormat::PrismaticXyz : StructureFormat::ExtXyz;
  if (ext == ".extxyz") return StructureFormat::ExtXyz;
  if (ext == ".cif") return StructureFormat::Cif;
  if (ext == ".data" || ext == ".lmp" || ext == ".lammps") return StructureFormat::LammpsData;
  if (ext == ".prismatic" || ext == ".pxyz") return StructureFormat::PrismaticXyz;
  throw InputError(path, 0, "extension",
                   "cannot tell the structure format from the extension '" + ext +
                       "' (known: .xyz .extxyz .cif .data .lmp .lammps .prismatic .pxyz); name the format explicitly");
}

}  // namespace

StructureFormat format_from_path(const std::string& path) { return format_from_extension(path, true); }

std::string format_name(StructureFormat f) {
  switch (f) {
    case StructureFormat::Auto: return "auto";
    case StructureFormat::ExtXyz: return "extxyz";
    case StructureFormat::Cif: return "cif";
    case StructureFormat::LammpsData: return "lammps";
    case StructureFormat::PrismaticXyz: return "prismatic";
  }
  return "auto";
}

StructureFormat parse_format_name(const std::string& name) {
  const std::string n = detail::to_lower(detail::trim(name));
  if (n == "auto" || n.empty()) return StructureFormat::Auto;
  if (n == "extxyz" || n == "xyz") return StructureFormat::ExtXyz;
  if (n == "cif") return StructureFormat::Cif;
  if (n == "lammps" || n == "lammps-data" || n == "lammps_data" || n == "lmp" || n == "data") return StructureFormat::LammpsData;
  if (n == "prismatic" || n == "pxyz") return StructureFormat::PrismaticXyz;
  throw InputError("", 0, "format", "unknown structure format '" + name + "' (extxyz, cif, lammps, prismatic or auto)");
}

Structure read_structure(const std::string& path, StructureFormat format) {
  if (format == StructureFormat::Auto) format = format_from_extension(path, true);
  if (format == StructureFormat::Cif) return read_cif(path);
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(path, 0, "", "cannot open file for reading");
  switch (format) {
    case StructureFormat::ExtXyz: return read_extxyz(in, path);
    case StructureFormat::LammpsData: return read_lammps_data(in, path);
    case StructureFormat::PrismaticXyz: return read_prismatic(in, path);
    default: break;
  }
  throw std::logic_error("read_structure: unhandled format");
}

void write_structure(const Structure& s, const std::string& path, StructureFormat format,
                     LammpsAtomStyle lammps_style) {
  if (format == StructureFormat::Auto) format = format_from_extension(path, false);
  s.validate(path);
  write_text_atomically(path, [&](std::ostream& out) {
    switch (format) {
      case StructureFormat::ExtXyz: write_extxyz(s, out); break;
      case StructureFormat::Cif: write_cif(s, out); break;
      case StructureFormat::LammpsData: write_lammps_data(s, out, lammps_style); break;
      case StructureFormat::PrismaticXyz: write_prismatic(s, out); break;
      case StructureFormat::Auto: throw std::logic_error("write_structure: unresolved format");
    }
  });
}

}  // namespace sedpdf
