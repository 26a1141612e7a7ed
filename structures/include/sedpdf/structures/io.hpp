// sedpdf/structures/io.hpp — structure readers and writers.
//
// Formats:
//  - extended XYZ: the comment line carries Lattice="ax ay az bx by bz cx cy cz" (Å, vectors a, b, c
//    in that order), Properties=species:S:1:pos:R:3[:...] and optionally pbc="T T T", as written by ASE
//    and OVITO. Known extra properties: occ/occupancy (R:1), biso/B (R:1, Å², converted to U),
//    uiso/U (R:1, Å²), phase (I:1), charge/initial_charges (R:1). Unknown columns are skipped.
//  - CIF (small-molecule / inorganic) via gemmi, with the space-group operations applied to the
//    asymmetric unit and special-position duplicates merged.
//  - LAMMPS data, atom styles atomic, charge and full; element of each type from the Masses section
//    (matched to the nearest standard atomic weight, or the "# Symbol" comment after the mass).
//  - prismatic XYZ (Ophus 2017 / abTEM): comment, "a b c" orthorhombic cell (Å), lines
//    "Z x y z occupancy u_rms" with u_rms the RMS displacement along one axis (Å) = sqrt(U), ended by -1.
// All readers throw sedpdf::InputError naming file, line and field. Writers write to a temporary file
// in the same directory and rename it on success, so a failed write never leaves a partial file.
#pragma once
#include <iosfwd>
#include <string>

#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

enum class StructureFormat { Auto, ExtXyz, Cif, LammpsData, PrismaticXyz };

enum class LammpsAtomStyle { Atomic, Charge, Full };

/// Format from the file name: .xyz/.extxyz -> ExtXyz, .cif -> Cif, .data/.lmp/.lammps -> LammpsData,
/// .prismatic/.pxyz (or .xyz whose second line parses as three numbers) -> PrismaticXyz (reading only).
/// Throws InputError for an unknown extension.
StructureFormat format_from_path(const std::string& path);
std::string format_name(StructureFormat f);
StructureFormat parse_format_name(const std::string& name);  ///< "extxyz", "cif", "lammps", "prismatic"

Structure read_structure(const std::string& path, StructureFormat format = StructureFormat::Auto);
void write_structure(const Structure& s, const std::string& path,
                     StructureFormat format = StructureFormat::Auto,
                     LammpsAtomStyle lammps_style = LammpsAtomStyle::Atomic);

// Stream-level entry points (the `name` is used in error messages).
Structure read_extxyz(std::istream& in, const std::string& name);
void write_extxyz(const Structure& s, std::ostream& out);
Structure read_cif(const std::string& path);
Structure read_cif_string(const std::string& text, const std::string& name);
void write_cif(const Structure& s, std::ostream& out);  ///< P1, fractional coordinates, U_iso
Structure read_lammps_data(std::istream& in, const std::string& name);
void write_lammps_data(const Structure& s, std::ostream& out, LammpsAtomStyle style);
Structure read_prismatic(std::istream& in, const std::string& name);
void write_prismatic(const Structure& s, std::ostream& out);  ///< orthorhombic cells only

}  // namespace sedpdf
