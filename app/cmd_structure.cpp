// `sedpdf structure info FILE` and `sedpdf structure convert IN OUT`.
#include <CLI/CLI.hpp>

#include <cmath>
#include <cstdio>
#include <iomanip>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "sedpdf/structures/analysis.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf::cli {

namespace {

std::string fmt(double v, int prec = 4) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}

// Long-format CSV of every distribution: kind, label, bin centre, count, fraction.
void write_distributions(const std::string& path, const LocalStructure& ls) {
  write_text_atomically(path, [&](std::ostream& o) {
    o << "# sedpdf structure info: distributions (bond lengths in Å, angles in degrees, coordination numbers)\n";
    o << "kind,label,x,count,fraction\n";
    auto hist = [&](const char* kind, const std::string& label, const Histogram& h) {
      for (size_t k = 0; k < h.counts.size(); ++k) {
        if (h.counts[k] == 0) continue;
        o << kind << "," << label << "," << h.lo + (static_cast<double>(k) + 0.5) * h.width << "," << h.counts[k]
          << "," << h.counts[k] / static_cast<double>(h.n) << "\n";
      }
    };
    for (const auto& b : ls.bonds) hist("bond_length_A", b.a.symbol() + "-" + b.b.symbol(), b.lengths);
    for (const auto& a : ls.angles)
      hist("bond_angle_deg", a.a.symbol() + "-" + a.centre.symbol() + "-" + a.b.symbol(), a.angles);
    for (const auto& c : ls.coordination)
      for (size_t k = 0; k < c.histogram.size(); ++k)
        if (c.histogram[k] > 0)
          o << "coordination," << c.centre.symbol() << "<-" << c.neighbor.symbol() << "," << k << ",,"
            << c.histogram[k] << "\n";
  });
}

LocalStructure print_info(const Structure& s, const std::string& file, const LocalStructureOptions& opt,
                          bool show_angles, std::ostream& out) {
  out << "file:        " << file << "\n";
  if (!s.title.empty()) out << "title:       " << s.title << "\n";
  out << "atoms:       " << s.size() << " (Σ occupancy " << fmt(s.total_occupancy(), 3) << ")\n";
  out << "formula:     " << s.formula() << "\n";
  if (s.cell.has_vectors()) {
    const auto p = s.cell.parameters();
    out << "cell:        a=" << fmt(p[0]) << " b=" << fmt(p[1]) << " c=" << fmt(p[2]) << " Å  α=" << fmt(p[3], 3)
        << " β=" << fmt(p[4], 3) << " γ=" << fmt(p[5], 3) << "°  V=" << fmt(s.cell.volume(), 3) << " Å³\n";
    out << "periodic:    " << (s.cell.periodic(0) ? "T" : "F") << " " << (s.cell.periodic(1) ? "T" : "F") << " "
        << (s.cell.periodic(2) ? "T" : "F") << "   minimum-image radius " << fmt(s.cell.minimum_image_radius(), 3)
        << " Å\n";
    out << "density:     " << fmt(s.mass_density_g_cm3()) << " g/cm³   " << fmt(s.number_density(), 6)
        << " atoms/Å³\n";
  } else {
    out << "cell:        none (finite cluster)\n";
  }
  out << "\ncomposition\n  element      count   fraction\n";
  for (const auto& c : s.composition()) {
    char line[128];
    std::snprintf(line, sizeof line, "  %-7s %10.3f %10.5f\n", c.element.symbol().c_str(), c.count, c.fraction);
    out << line;
  }
  const LocalStructure ls = analyse_local_structure(s, opt);
  out << "\ncoordination (neighbours within the bond cut-off)\n"
         "  centre  neighbour  cutoff/Å    mean   distribution (n: fraction of centres)\n";
  for (const auto& c : ls.coordination) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-7s %-9s %9.3f %7.3f   ", c.centre.symbol().c_str(),
                  c.neighbor.symbol().c_str(), c.cutoff, c.mean);
    out << line;
    for (size_t k = 0; k < c.histogram.size(); ++k)
      if (c.histogram[k] > 0) out << k << ":" << fmt(c.histogram[k], 3) << " ";
    out << "\n";
  }
  out << "\nbond lengths (Å)\n  pair          n      mean     std    mode\n";
  for (const auto& b : ls.bonds) {
    char line[160];
    std::snprintf(line, sizeof line, "  %-8s %7zu %9.4f %7.4f %7.3f\n",
                  (b.a.symbol() + "-" + b.b.symbol()).c_str(), b.lengths.n, b.lengths.mean, b.lengths.stddev,
                  b.lengths.mode);
    out << line;
  }
  if (show_angles) {
    out << "\nbond angles (degrees)\n  triplet          n      mean     std    mode\n";
    for (const auto& a : ls.angles) {
      char line[160];
      std::snprintf(line, sizeof line, "  %-12s %7zu %8.2f %7.2f %7.1f\n",
                    (a.a.symbol() + "-" + a.centre.symbol() + "-" + a.b.symbol()).c_str(), a.angles.n,
                    a.angles.mean, a.angles.stddev, a.angles.mode);
      out << line;
    }
  }
  return ls;
}

}  // namespace

void register_structure(CLI::App& app, std::ostream& out) {
  auto* st = app.add_subcommand("structure", "Inspect and convert atomistic structures");
  st->require_subcommand(1);

  struct InfoArgs {
    std::string file, format = "auto", cutoffs, distributions;
    bool angles = true;
    double length_bin = 0.01, angle_bin = 1.0;
  };
  auto ia = std::make_shared<InfoArgs>();
  auto* info = st->add_subcommand(
      "info", "Composition, cell, density (g/cm³ and atoms/Å³), coordination numbers, bond lengths (Å) and "
              "bond angles (degrees) of a structure file (extxyz, cif, lammps data, prismatic xyz)");
  info->add_option("file", ia->file, "structure file")->required();
  info->add_option("--format", ia->format, "auto|extxyz|cif|lammps|prismatic")->capture_default_str();
  info->add_option("--cutoffs", ia->cutoffs,
                   "bond cut-offs in Å per pair, e.g. 'Zn-N=2.5,P-O=1.9'; other pairs: 1.2 × (sum of Cordero "
                   "2008 covalent radii), no cation–cation or H–H bonds");
  info->add_option("--length-bin", ia->length_bin, "bond-length histogram bin (Å)")->capture_default_str();
  info->add_option("--angle-bin", ia->angle_bin, "bond-angle histogram bin (degrees)")->capture_default_str();
  info->add_flag("!--no-angles", ia->angles, "omit the bond-angle table");
  info->add_option("--distributions", ia->distributions,
                   "write the bond-length (Å), bond-angle (degrees) and coordination distributions to this .csv");
  info->callback([ia, &out]() {
    const StructureFormat f = ia->format == "auto" ? StructureFormat::Auto : parse_format_name(ia->format);
    if (!ia->distributions.empty() && (ia->distributions.size() < 4 ||
                                       ia->distributions.substr(ia->distributions.size() - 4) != ".csv"))
      throw InputError("", 0, "--distributions", "'" + ia->distributions + "' must end in .csv");
    const Structure s = read_structure(ia->file, f);
    LocalStructureOptions opt;
    if (!ia->cutoffs.empty()) opt.cutoffs = BondCutoffs::parse(ia->cutoffs);
    opt.length_bin = ia->length_bin;
    opt.angle_bin = ia->angle_bin;
    const LocalStructure ls = print_info(s, ia->file, opt, ia->angles, out);
    if (!ia->distributions.empty()) {
      write_distributions(ia->distributions, ls);
      out << "\nwrote " << ia->distributions << "\n";
    }
  });

  // `sedpdf structure build <material> ...`: one builder per file (cmd_build_<material>.cpp), each
  // registered here by one line.
  auto* build = st->add_subcommand("build", "Build an atomistic model of a material (see each builder's help)");
  build->require_subcommand(1);
  register_builders(*build, out);

  struct ConvertArgs {
    std::string in, outp, from = "auto", to = "auto", style = "atomic";
  };
  auto ca = std::make_shared<ConvertArgs>();
  auto* conv = st->add_subcommand("convert", "Convert a structure between formats (written atomically)");
  conv->add_option("input", ca->in, "input structure file")->required();
  conv->add_option("output", ca->outp, "output structure file")->required();
  conv->add_option("--from", ca->from, "auto|extxyz|cif|lammps|prismatic")->capture_default_str();
  conv->add_option("--to", ca->to, "auto|extxyz|cif|lammps|prismatic")->capture_default_str();
  conv->add_option("--lammps-style", ca->style, "atomic|charge|full (LAMMPS data output)")
      ->check(CLI::IsMember({"atomic", "charge", "full"}))
      ->capture_default_str();
  conv->callback([ca, &out]() {
    const StructureFormat fin = ca->from == "auto" ? StructureFormat::Auto : parse_format_name(ca->from);
    const StructureFormat fout = ca->to == "auto" ? StructureFormat::Auto : parse_format_name(ca->to);
    const Structure s = read_structure(ca->in, fin);
    const LammpsAtomStyle style = ca->style == "full"     ? LammpsAtomStyle::Full
                                  : ca->style == "charge" ? LammpsAtomStyle::Charge
                                                          : LammpsAtomStyle::Atomic;
    write_structure(s, ca->outp, fout, style);
    out << "wrote " << ca->outp << " (" << s.size() << " atoms)\n";
  });
}

}  // namespace sedpdf::cli
