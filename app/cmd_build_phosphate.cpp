// `sedpdf structure build phosphate`: a periodic model of the (1−x)([Na2O]z[P2O5])–x([AlO3/2][AlF3]y)
// glass, with its structural statistics (coordination, bond lengths and angles, Qⁿ of P) and its X-ray
// and electron PDFs saved next to the model. Every output is computed before any is written, and each is
// written atomically.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "output_files.hpp"
#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/analysis.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/build_phosphate.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;

struct PhosphateArgs {
  std::string composition, batch, output;
  double atoms = 10000, density = 2.6;
  uint64_t seed = 1;
  bool quiet = false;
};

// Bond cut-offs of the statistics (Å): first minima of the partial g(r) of phosphate glasses.
BondCutoffs phosphate_cutoffs() {
  BondCutoffs c;
  const Element na = Element::from_z(11), p = Element::from_z(15), al = Element::from_z(13),
                o = Element::from_z(8), f = Element::from_z(9);
  c.set(p, o, 1.8);
  c.set(p, f, 1.8);
  c.set(al, o, 2.2);
  c.set(al, f, 2.2);
  c.set(na, o, 3.0);
  c.set(na, f, 3.0);
  c.set(o, o, 0);
  c.set(o, f, 0);
  c.set(f, f, 0);
  return c;
}

// The statistics report (also printed).
std::string report(const PhosphateArgs& a, const PhosphateComposition& comp, const PhosphateBuildResult& r,
                   const LocalStructure& ls) {
  const PhosphateStats& s = r.stats;
  const PhosphateBuildInfo& i = r.info;
  std::ostringstream o;
  o << "# sedpdf structure build phosphate";
  if (!a.composition.empty()) o << " --composition \"" << a.composition << "\"";
  if (!a.batch.empty()) o << " --batch " << a.batch;
  o << " --atoms " << a.atoms << " --density " << a.density << " --seed " << a.seed << " -o " << a.output << "\n";
  const PhosphateComposition fr = comp.fractions();
  o << "composition (atomic fractions): " << fr.ratio_string(4) << "\n";
  o << "counts: Na " << s.counts.na << "  P " << s.counts.p << "  Al " << s.counts.al << "  O " << s.counts.o
    << "  F " << s.counts.f << "  (total " << s.counts.total() << ", charge " << s.counts.charge()
    << "; ideal Na " << fixed(i.ideal_counts.na, 2) << " P " << fixed(i.ideal_counts.p, 2) << " Al "
    << fixed(i.ideal_counts.al, 2) << " O " << fixed(i.ideal_counts.o, 2) << " F " << fixed(i.ideal_counts.f, 2)
    << ", largest deviation " << fixed(i.max_count_deviation, 3) << " atom)\n";
  o << "box: " << fixed(i.box_length_A, 4) << " Å cubic, density " << fixed(s.density_g_cm3, 4) << " g/cm³ (target "
    << a.density << "), " << fixed(s.number_density_A3, 5) << " atoms/Å³\n";
  o << "bond budget: P–O–P " << i.budget.p_o_p << ", O on one P " << i.budget.o_single << "; model: P–O–Al "
    << i.network_p_al << ", Al–F–Al " << i.network_al_al << "\n";
  o << "build: " << fixed(i.seconds_total, 1) << " s (setup " << fixed(i.seconds_network, 1) << " s, annealing and relaxation "
    << fixed(i.seconds_relax, 1) << " s); Al ligands after annealing " << i.ligands_annealed << ", after biased cycles "
    << i.ligands_biased << " of " << 6 * s.counts.al << ", unfilled " << i.al_undercoordinated
    << "; final energy " << fixed(i.final_energy_eV, 2) << " eV, max force " << fixed(i.final_max_force, 4) << " eV/Å\n";

  o << "\n[P]\n";
  o << "  P with four O within 1.8 Å: " << fixed(100 * s.p_four_fraction, 2) << " %   (CN distribution";
  for (size_t k = 0; k < s.p_coordination.size(); ++k)
    if (s.p_coordination[k] > 0) o << " " << k << ":" << fixed(s.p_coordination[k], 4);
  o << ")\n";
  o << "  P–O mean " << fixed(s.p_o_mean, 4) << " Å; bridging P–O(P) " << fixed(s.p_o_bridging_mean, 4) << " Å (n "
    << s.n_p_o_bridging << "), non-bridging " << fixed(s.p_o_nonbridging_mean, 4) << " Å (n " << s.n_p_o_nonbridging
    << "): P–O(Al) " << fixed(s.p_o_al_mean, 4) << " Å (n " << s.n_p_o_al << "), P–O⁻ " << fixed(s.p_o_terminal_mean, 4)
    << " Å (n " << s.n_p_o_terminal << "); longest " << fixed(s.max_p_o_bond, 3) << " Å\n";
  o << "  O–P–O " << fixed(s.o_p_o_mean_deg, 2) << "°, O···O in PO4 " << fixed(s.o_o_tetrahedron_mean, 4) << " Å, P–O–P "
    << fixed(s.p_o_p_mean_deg, 2) << "°, P···P across O " << fixed(s.p_p_bridged_mean, 4) << " Å\n";
  o << "  Qⁿ (n = O shared with another P):";
  for (size_t k = 0; k < s.qn.size(); ++k) o << " Q" << k << " " << fixed(100 * s.qn[k], 2) << " %";
  o << "; mean n " << fixed(s.qn_mean, 4) << "\n";
  o << "  expected from O/P = " << fixed(static_cast<double>(s.counts.o) / static_cast<double>(s.counts.p), 4)
    << ": mean n = 8 − 2 O/P = " << fixed(i.budget.mean_qn, 4) << "; binary (chain) model";
  for (size_t k = 0; k < i.budget.binary_qn.size(); ++k)
    if (i.budget.binary_qn[k] > 0) o << " Q" << k << " " << fixed(100 * i.budget.binary_qn[k], 2) << " %";
  o << "\n  P–O–Al links per P:";
  for (size_t k = 0; k < s.p_al_neighbours.size(); ++k)
    if (s.p_al_neighbours[k] > 0) o << " " << k << ":" << fixed(s.p_al_neighbours[k], 4);
  o << "\n";

  o << "\n[Al]\n";
  o << "  Al with six O+F within 2.2 Å: " << fixed(100 * s.al_six_fraction, 2) << " %   (CN distribution";
  for (size_t k = 0; k < s.al_coordination.size(); ++k)
    if (s.al_coordination[k] > 0) o << " " << k << ":" << fixed(s.al_coordination[k], 4);
  o << ")\n";
  o << "  Al–O " << fixed(s.al_o_mean, 4) << " Å (BRIEF 1.89), Al–F " << fixed(s.al_f_mean, 4)
    << " Å (BRIEF 1.80), F per Al " << fixed(s.al_f_per_al, 3) << ", Al–O–P " << fixed(s.al_o_al_p_mean_deg, 2) << "°\n";

  o << "\n[Na]\n";
  o << "  Na–O first peak " << fixed(s.na_o_peak, 3) << " Å (BRIEF 2.35–2.45), Na–O mean within 3.0 Å "
    << fixed(s.na_o_mean, 4) << " Å, Na–F " << fixed(s.na_f_mean, 4) << " Å, O+F within 3.0 Å of Na "
    << fixed(s.na_coordination, 3) << "\n";
  o << "\n[contacts] shortest cation–cation " << fixed(s.min_cation_cation, 3) << " Å, anion–anion "
    << fixed(s.min_anion_anion, 3) << " Å\n";

  o << "\n[coordination] centre neighbour cutoff/Å mean\n";
  for (const auto& c : ls.coordination)
    o << "  " << c.centre.symbol() << " " << c.neighbor.symbol() << " " << fixed(c.cutoff, 2) << " " << fixed(c.mean, 4)
      << "\n";
  o << "[bond lengths] pair n mean/Å std/Å\n";
  for (const auto& b : ls.bonds)
    o << "  " << b.a.symbol() << "-" << b.b.symbol() << " " << b.lengths.n << " " << fixed(b.lengths.mean, 4) << " "
      << fixed(b.lengths.stddev, 4) << "\n";
  o << "[bond angles] triplet n mean/° std/°\n";
  for (const auto& g : ls.angles)
    o << "  " << g.a.symbol() << "-" << g.centre.symbol() << "-" << g.b.symbol() << " " << g.angles.n << " "
      << fixed(g.angles.mean, 2) << " " << fixed(g.angles.stddev, 2) << "\n";
  return o.str();
}

// Long-format CSV: bond lengths (Å), bond angles (degrees), coordination numbers, Qⁿ of P.
std::string distributions(const LocalStructure& ls, const PhosphateStats& s) {
  std::ostringstream o;
  o << "# sedpdf structure build phosphate: distributions (bond lengths Å, angles degrees, coordination numbers, "
       "Qn of P)\n";
  o << "kind,label,x,count,fraction\n";
  auto hist = [&](const char* kind, const std::string& label, const Histogram& h) {
    for (size_t k = 0; k < h.counts.size(); ++k) {
      if (h.counts[k] == 0) continue;
      o << kind << "," << label << "," << h.lo + (static_cast<double>(k) + 0.5) * h.width << "," << h.counts[k] << ","
        << h.counts[k] / static_cast<double>(h.n) << "\n";
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
  for (size_t k = 0; k < s.qn.size(); ++k) o << "qn,P," << k << ",," << s.qn[k] << "\n";
  return o.str();
}

// X-ray (Q_max 22 Å⁻¹, undamped) and electron (s_max 2.5 Å⁻¹, exp(−0.6 s²), 003) G(r) from the partials
// up to min(20 Å, the minimum-image radius).
std::string pdf_table(const Structure& s, std::string& summary) {
  PartialPdfOptions po;
  po.r_max = std::min(20.0, 0.999 * s.cell.minimum_image_radius());
  po.threads = 1;
  const PartialPdfs p = compute_partial_pdfs(s, po);
  PdfOptions xo;
  xo.s_max = s_from_q(22.0);
  xo.r_max = std::floor(po.r_max * 100) / 100;
  const auto xf = make_scattering_factors(Radiation::Xray);
  const PdfResult xr = experimental_pdf(p, *xf, xo);
  PdfOptions eo = xo;
  eo.s_max = 2.5;
  eo.damping = parse_damping("exp:0.6");
  const auto ef = make_scattering_factors(Radiation::Electron);
  const PdfResult er = experimental_pdf(p, *ef, eo);
  std::ostringstream o;
  o << "# sedpdf structure build phosphate: G(r) (Å⁻²), X-ray Q_max 22 Å⁻¹ undamped (" << xf->name()
    << "); electron s_max 2.5 Å⁻¹, exp(-0.6 s^2) (" << ef->name() << ")\n";
  o << "r_A,G_xray_A-2,G_electron_A-2\n" << std::setprecision(8);
  for (size_t k = 0; k < xr.r.size(); ++k) o << xr.r[k] << "," << xr.G[k] << "," << er.G[k] << "\n";
  // Highest X-ray and electron peaks below 3.2 Å, as a quick look.
  auto peak = [&](const std::vector<double>& g, double lo, double hi) {
    size_t best = 0;
    for (size_t k = 0; k < xr.r.size(); ++k)
      if (xr.r[k] >= lo && xr.r[k] <= hi && (best == 0 || g[k] > g[best])) best = k;
    return xr.r[best];
  };
  summary = "  X-ray G(r) peaks: " + fixed(peak(xr.G, 1.3, 1.7), 3) + " Å (P–O), " + fixed(peak(xr.G, 1.7, 2.1), 3) +
            " Å (Al–O/F), " + fixed(peak(xr.G, 2.2, 2.7), 3) + " Å (O–O, Na–O), " + fixed(peak(xr.G, 2.75, 3.4), 3) +
            " Å (P–P, P–Al)\n  electron G(r) peaks: " + fixed(peak(er.G, 1.3, 1.7), 3) + ", " +
            fixed(peak(er.G, 1.7, 2.1), 3) + ", " + fixed(peak(er.G, 2.2, 2.7), 3) + ", " + fixed(peak(er.G, 2.75, 3.4), 3) +
            " Å\n";
  return o.str();
}

void run_build_phosphate(const PhosphateArgs& a, std::ostream& out) {
  // Check everything cheap before building, so bad input writes nothing.
  if (a.output.empty()) throw InputError("", 0, "-o", "an output file is required");
  format_from_path(a.output);  // throws for an unknown extension
  if (!a.composition.empty() && !a.batch.empty())
    throw InputError("", 0, "--composition/--batch", "give one of --composition and --batch, not both");
  PhosphateBuildOptions opt;
  if (!a.composition.empty()) opt.composition = parse_phosphate_composition(a.composition);
  if (!a.batch.empty()) opt.composition = phosphate_composition_from_batch(a.batch);
  if (!(a.density >= 2.0 && a.density <= 3.5))
    throw InputError("", 0, "--density",
                     "density " + fixed(a.density, 4) + " g/cm³ is outside 2.0–3.5 g/cm³ (phosphate glasses 2.2–3.0)");
  if (!(a.atoms >= 1) || !(a.atoms <= 1e6))
    throw InputError("", 0, "--atoms", "number of atoms " + fixed(a.atoms, 0) + " must be between 1 and 10⁶");
  opt.n_atoms = a.atoms;
  opt.density_g_cm3 = a.density;
  opt.seed = a.seed;
  PhosphateBuildResult r;
  try {
    r = build_phosphate_glass(opt);
  } catch (const std::invalid_argument& e) {
    throw InputError("", 0, "--atoms/--density/--composition", e.what());
  }
  LocalStructureOptions lo;
  lo.cutoffs = phosphate_cutoffs();
  const LocalStructure ls = analyse_local_structure(r.structure, lo);
  std::string pdf_summary;
  const std::string pdf_csv = pdf_table(r.structure, pdf_summary);
  const std::string rep = report(a, opt.composition, r, ls) + "\n[PDFs]\n" + pdf_summary;
  const std::string dist = distributions(ls, r.stats);

  write_structure(r.structure, a.output);
  write_text_atomically(sibling_path(a.output, "_stats.txt"), [&](std::ostream& o) { o << rep; });
  write_text_atomically(sibling_path(a.output, "_distributions.csv"), [&](std::ostream& o) { o << dist; });
  write_text_atomically(sibling_path(a.output, "_pdf.csv"), [&](std::ostream& o) { o << pdf_csv; });
  if (!a.quiet) out << rep;
  out << "wrote " << a.output << " (" << r.structure.size() << " atoms), " << sibling_path(a.output, "_stats.txt") << ", "
      << sibling_path(a.output, "_distributions.csv") << ", " << sibling_path(a.output, "_pdf.csv") << "\n";
}

}  // namespace

void register_build_phosphate(CLI::App& build, std::ostream& out) {
  auto a = std::make_shared<PhosphateArgs>();
  std::string presets;
  for (const auto& p : phosphate_batch_presets()) presets += (presets.empty() ? "" : ", ") + p.name + " (" + p.batch + ")";
  auto* c = build.add_subcommand(
      "phosphate",
      "Periodic model of the (1−x)([Na2O]z[P2O5])–x([AlO3/2][AlF3]y) glass (default: the glass of 003, "
      "0.67[(Na2O)0.9(P2O5)]-0.33[(AlO1.5)(AlF3)1.5]) by a constrained network builder (docs/builders.md). "
      "Saves the model, <stem>_stats.txt, <stem>_distributions.csv and <stem>_pdf.csv (X-ray and electron G(r)).");
  auto* comp = c->add_option("--composition", a->composition,
                             "composition in the glass notation, e.g. \"0.67[(Na2O)0.9(P2O5)]-0.33[(AlO1.5)(AlF3)1.5]\" "
                             "or a formula \"Na1.206P1.340Al0.825O4.448F1.485\"; must be charge neutral (Na+ P5+ Al3+ "
                             "O2- F-)");
  auto* batch = c->add_option("--batch", a->batch,
                              "melt batch compound=amount (g, mg, kg, mol, mmol), e.g. NaPO3=66.3g,AlF3=13.7g, or a "
                              "preset of 000: " + presets + "; the nominal batch composition");
  comp->excludes(batch);
  c->add_option("--atoms", a->atoms, "number of atoms (about; the neutral rounding may add or remove a few)")
      ->capture_default_str();
  c->add_option("--density", a->density, "mass density (g/cm³), 2.0–3.5 (BRIEF: 2.5–2.7)")->capture_default_str();
  c->add_option("--seed", a->seed, "random seed; the model is a deterministic function of all options")
      ->capture_default_str();
  c->add_option("-o,--output", a->output, "output structure file (.extxyz, .xyz, .cif, .data, ...)")->required();
  c->add_flag("--quiet", a->quiet, "print only the names of the files written");
  c->callback([a, &out]() { run_build_phosphate(*a, out); });
}

}  // namespace sedpdf::cli
