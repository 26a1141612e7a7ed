// `sedpdf structure build agzif62`: a periodic glass model of agZIF-62, Zn(Im)1.75(bIm)0.25, with its
// structural statistics, X-ray and electron PDFs, and the Bragg-peak check, saved next to the model.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "output_files.hpp"
#include "sedpdf/simulate/bragg_check.hpp"
#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/analysis.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/build_agzif62.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/metrics.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;

struct Args {
  int zn = 540;
  double density = 1.57, b_iso = 0;
  uint64_t seed = 1;
  std::string output, reference = "auto";
  int switches = 40, anneal = 5000;
  bool quiet = false, no_analysis = false;
};

// X-ray PDF peaks compared with the reference (issue 3): C–N/C–C, Zn–N, Zn···C, Zn···N, Zn–Zn.
constexpr double kPeakTargets[] = {1.34, 2.0, 3.0, 4.1, 6.0};
constexpr double kPeakSearch = 0.25;  // Å, half-width of the window searched around each target
// Boxes below this edge (Å) resolve S(s) no better than 1/L > fwhm_limit/2: the Bragg check is then only
// indicative (docs/builders.md).
constexpr double kBraggMinBox = 40.0;

void check_writable(const std::string& path) {
  const fs::path p(path);
  const fs::path dir = p.parent_path().empty() ? fs::path(".") : p.parent_path();
  std::error_code ec;
  if (!fs::is_directory(dir, ec))
    throw InputError(path, 0, "-o", "directory '" + dir.string() + "' does not exist");
  if (::access(dir.c_str(), W_OK) != 0)
    throw InputError(path, 0, "-o", "directory '" + dir.string() + "' is not writable");
  if (fs::is_directory(p, ec)) throw InputError(path, 0, "-o", "is a directory");
}

struct PdfPair {
  std::vector<double> r, g_xray, g_electron;
};

// X-ray PDF as Diamond I15-1 measures it (Q_max = 22 Å⁻¹, no damping) and electron PDF as in 003
// (s_max = 2.5 Å⁻¹, exp(−0.6 s²)), from the partials up to min(20 Å, minimum-image radius).
PdfPair model_pdfs(const Structure& s, bool electron) {
  PartialPdfOptions po;
  po.r_max = std::min(20.0, 0.999 * s.cell.minimum_image_radius());
  const PartialPdfs p = compute_partial_pdfs(s, po);
  PdfOptions xo;
  xo.s_max = s_from_q(22.0);
  xo.r_min = 0.5;
  xo.r_max = std::floor(po.r_max * 100) / 100;
  xo.dr = 0.01;
  PdfPair out;
  const auto xf = make_scattering_factors(Radiation::Xray);
  const PdfResult xr = experimental_pdf(p, *xf, xo);
  out.r = xr.r;
  out.g_xray = xr.G;
  if (electron) {
    PdfOptions eo = xo;
    eo.s_max = 2.5;
    eo.damping = parse_damping("exp:0.6");
    const auto ef = make_scattering_factors(Radiation::Electron);
    out.g_electron = experimental_pdf(p, *ef, eo).G;
  }
  return out;
}

void add_hist(std::ostream& o, const std::string& kind, const std::string& label, const std::vector<double>& v,
              double width) {
  if (v.empty()) return;
  const double lo = std::floor(*std::min_element(v.begin(), v.end()) / width) * width;
  const double hi = *std::max_element(v.begin(), v.end());
  const size_t nb = static_cast<size_t>(std::floor((hi - lo) / width)) + 1;
  std::vector<size_t> c(nb, 0);
  for (double x : v) ++c[std::min(nb - 1, static_cast<size_t>((x - lo) / width))];
  for (size_t k = 0; k < nb; ++k)
    if (c[k])
      o << kind << "," << label << "," << lo + (static_cast<double>(k) + 0.5) * width << "," << c[k] << ","
        << static_cast<double>(c[k]) / static_cast<double>(v.size()) << "\n";
}

void run(const Args& a, std::ostream& out) {
  // --- input checks (nothing is built or written on bad input) ---
  if (a.zn < kAgZif62MinZn || a.zn > kAgZif62MaxZn)
    throw InputError("", 0, "--zn",
                     std::to_string(a.zn) + " Zn is outside " + std::to_string(kAgZif62MinZn) + ".." +
                         std::to_string(kAgZif62MaxZn));
  if (a.zn % 4 != 0)
    throw InputError("", 0, "--zn",
                     std::to_string(a.zn) + " is not a multiple of 4 (Zn(Im)1.75(bIm)0.25 needs exactly N/4 bIm); "
                         "use " + std::to_string(a.zn / 4 * 4) + " or " + std::to_string(a.zn / 4 * 4 + 4));
  if (!std::isfinite(a.density) || a.density < kAgZif62MinDensity || a.density > kAgZif62MaxDensity)
    throw InputError("", 0, "--density",
                     fixed(a.density, 4) + " g/cm³ is outside the range the builder supports, " +
                         fixed(kAgZif62MinDensity, 2) + "–" + fixed(kAgZif62MaxDensity, 2) +
                         " g/cm³ (glass ≈ 1.55–1.60, crystal ≈ 1.26–1.28)");
  if (a.output.empty()) throw InputError("", 0, "-o", "an output file is required");
  format_from_path(a.output);  // throws for an unknown extension
  check_writable(a.output);
  std::string ref_path;
  if (!a.no_analysis && a.reference != "none") {
    ref_path = a.reference == "auto" ? data_dir() + "/structures/agZIF-4_RMC_Castel2023.extxyz" : a.reference;
    if (!fs::exists(ref_path)) {
      if (a.reference != "auto") throw InputError(ref_path, 0, "--reference", "file not found");
      ref_path.clear();
    }
  }

  AgZif62Options opt;
  opt.n_zn = a.zn;
  opt.density_g_cm3 = a.density;
  opt.seed = a.seed;
  opt.b_iso = a.b_iso;
  opt.switches_per_zn = a.switches;
  opt.anneal_steps = a.anneal;
  if (!a.quiet) opt.log = [&out](const std::string& m) { out << "  " << m << "\n" << std::flush; };
  validate(opt);
  const auto t0 = std::chrono::steady_clock::now();
  if (!a.quiet) out << "building agZIF-62: " << a.zn << " Zn, " << a.density << " g/cm³, seed " << a.seed << "\n";
  const AgZif62Model model = build_agzif62(opt);
  const double t_build = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  const Structure& s = model.structure;
  const AgZif62BuildInfo& bi = model.info;

  std::ostringstream rep;  // the stats report: printed and saved
  rep << "# sedpdf structure build agzif62 --zn " << a.zn << " --density " << a.density << " --seed " << a.seed;
  if (a.b_iso > 0) rep << " --b-iso " << a.b_iso;
  if (a.switches != 40) rep << " --switches-per-zn " << a.switches;
  if (a.anneal != 5000) rep << " --anneal-steps " << a.anneal;
  rep << " -o " << fs::path(a.output).filename().string() << "\n";
  rep << "model:      " << s.size() << " atoms, " << s.formula() << ", cubic box " << fixed(bi.box_A, 4) << " Å, "
      << fixed(s.mass_density_g_cm3(), 4) << " g/cm³ (target " << a.density << ")\n";
  rep << "linkers:    " << bi.n_im << " Im + " << bi.n_bim << " bIm (bIm per Zn "
      << fixed(static_cast<double>(bi.n_bim) / bi.n_zn, 4) << ")\n";
  rep << "build:      " << fixed(t_build, 1) << " s wall (network " << fixed(bi.seconds_network, 1) << " s, relaxation "
      << fixed(bi.seconds_relax, 1) << " s)\n";
  rep << "network:    Zn–Zn link target " << fixed(bi.network_link_target_A, 3) << " Å (ideal Im span "
      << fixed(bi.link_length_A, 3) << " Å), mean " << fixed(bi.network_mean_link_A, 3) << " Å (rms deviation from target "
      << fixed(bi.network_rms_link_dev_A, 3) << "), Zn–Zn–Zn " << fixed(bi.network_mean_angle_deg, 1)
      << " ± " << fixed(bi.network_sd_angle_deg, 1) << "°, bond switches " << bi.switches_accepted << "/"
      << bi.switches_attempted << " accepted\n";
  rep << "rings:      smallest ring through each Zn–Zn–Zn angle:";
  for (size_t k = 3; k < bi.ring_counts.size(); ++k) rep << " " << k << ":" << bi.ring_counts[k];
  rep << "\nrelaxation: " << bi.relax_steps << " FIRE steps, " << bi.fixup_rounds << " fix-up rounds, E = "
      << fixed(bi.final_energy, 2) << ", largest overlap below σ " << fixed(bi.max_overlap_A, 3) << " Å\n";

  std::string distributions, pdf_csv, sk_csv;
  if (!a.no_analysis) {
    const ZifStructureStats zs = analyse_zif_structure(s);
    rep << "\n[ZIF structure]\n";
    rep << "Zn with exactly 4 N within 2.3 Å: " << fixed(100 * zs.frac_zn_four_n, 2) << " %   (CN distribution:";
    for (size_t k = 0; k < zs.zn_cn_fraction.size(); ++k)
      if (zs.zn_cn_fraction[k] > 0) rep << " " << k << ":" << fixed(zs.zn_cn_fraction[k], 4);
    rep << ")\n";
    rep << "Zn–N:       mean " << fixed(zs.mean_zn_n, 4) << " Å, sd " << fixed(zs.sd_zn_n, 4) << ", range "
        << fixed(zs.min_zn_n, 3) << "–" << fixed(zs.max_zn_n, 3) << " Å (" << zs.n_zn_n << " bonds)\n";
    rep << "N–Zn–N:     mean " << fixed(zs.mean_n_zn_n, 2) << "°, sd " << fixed(zs.sd_n_zn_n, 2) << "°\n";
    rep << "Zn–N–C:     mean " << fixed(zs.mean_zn_n_c, 2) << "°; Zn–N off the lone pair: mean "
        << fixed(zs.mean_lone_pair_dev, 2) << "°, max " << fixed(zs.max_lone_pair_dev, 2) << "°\n";
    rep << "linkers:    " << zs.n_im << " Im, " << zs.n_bim << " bIm, " << zs.n_other_fragments << " other fragments; "
        << zs.n_linkers_intact << " intact (max bond deviation from the reference "
        << fixed(zs.max_linker_bond_dev, 4) << " Å), " << zs.n_linkers_bridging << " bridging two Zn\n";
    rep << "contacts:   shortest non-bonded heavy–heavy " << fixed(zs.min_heavy_contact, 3) << " Å ("
        << zs.n_heavy_violations << " below 2.2 Å), with H " << fixed(zs.min_h_contact, 3) << " Å ("
        << zs.n_h_violations << " below 1.8 Å)\n";
    rep << "Zn–Zn:      first peak " << fixed(zs.zn_zn_first_peak, 3) << " Å, bridged pairs mean "
        << fixed(zs.mean_zn_zn_bridged, 3) << " Å, Zn–Zn–Zn " << fixed(zs.mean_zn_zn_zn, 1) << " ± "
        << fixed(zs.sd_zn_zn_zn, 1) << "°\n";

    // generic local structure (analyse_local_structure) with Zn–N = 2.3 Å
    LocalStructureOptions lo;
    lo.cutoffs.set(Element::from_z(30), Element::from_z(7), 2.3);
    const LocalStructure ls = analyse_local_structure(s, lo);
    rep << "\n[local structure: bonds by cut-off; other pairs 1.2 × Cordero covalent radii]\n";
    rep << "coordination   centre neighbour cutoff/Å  mean\n";
    for (const auto& c : ls.coordination)
      rep << "               " << std::left << std::setw(6) << c.centre.symbol() << " " << std::setw(9)
          << c.neighbor.symbol() << std::right << fixed(c.cutoff, 3) << "  " << fixed(c.mean, 3) << "\n";
    rep << "bond lengths   pair       n      mean/Å   sd/Å\n";
    for (const auto& b : ls.bonds)
      rep << "               " << std::left << std::setw(8) << (b.a.symbol() + "-" + b.b.symbol()) << std::right
          << std::setw(6) << b.lengths.n << "   " << fixed(b.lengths.mean, 4) << "  " << fixed(b.lengths.stddev, 4) << "\n";
    rep << "bond angles    triplet        n     mean/°   sd/°\n";
    for (const auto& t : ls.angles)
      rep << "               " << std::left << std::setw(12)
          << (t.a.symbol() + "-" + t.centre.symbol() + "-" + t.b.symbol()) << std::right << std::setw(6)
          << t.angles.n << "   " << fixed(t.angles.mean, 2) << "  " << fixed(t.angles.stddev, 2) << "\n";

    std::ostringstream dist;
    dist << "# sedpdf structure build agzif62: distributions (lengths Å, angles degrees)\n"
            "kind,label,x,count,fraction\n";
    for (const auto& b : ls.bonds)
      for (size_t k = 0; k < b.lengths.counts.size(); ++k)
        if (b.lengths.counts[k] > 0)
          dist << "bond_length_A," << b.a.symbol() << "-" << b.b.symbol() << ","
               << b.lengths.lo + (static_cast<double>(k) + 0.5) * b.lengths.width << "," << b.lengths.counts[k] << ","
               << b.lengths.counts[k] / static_cast<double>(b.lengths.n) << "\n";
    for (const auto& t : ls.angles)
      for (size_t k = 0; k < t.angles.counts.size(); ++k)
        if (t.angles.counts[k] > 0)
          dist << "bond_angle_deg," << t.a.symbol() << "-" << t.centre.symbol() << "-" << t.b.symbol() << ","
               << t.angles.lo + (static_cast<double>(k) + 0.5) * t.angles.width << "," << t.angles.counts[k] << ","
               << t.angles.counts[k] / static_cast<double>(t.angles.n) << "\n";
    for (const auto& c : ls.coordination)
      for (size_t k = 0; k < c.histogram.size(); ++k)
        if (c.histogram[k] > 0)
          dist << "coordination," << c.centre.symbol() << "<-" << c.neighbor.symbol() << "," << k << ",,"
               << c.histogram[k] << "\n";
    for (const auto& [name, v] : zs.samples)
      add_hist(dist, "zif", name, v, name.find("(deg)") != std::string::npos ? 1.0 : 0.01);
    distributions = dist.str();

    // PDFs
    const PdfPair pm = model_pdfs(s, true);
    rep << "\n[PDFs: X-ray Q_max 22 Å⁻¹ (s_max " << fixed(s_from_q(22.0), 3)
        << " Å⁻¹), no damping; electron s_max 2.5 Å⁻¹, exp(−0.6 s²); partials to r = " << fixed(pm.r.back(), 2)
        << " Å]\n";
    PdfPair pr;
    if (!ref_path.empty()) {
      const Structure ref = read_structure(ref_path);
      pr = model_pdfs(ref, false);
    }
    rep << "X-ray G(r) peaks (highest maximum within ±" << kPeakSearch << " Å of each target)\n";
    rep << "  target/Å   model/Å" << (pr.r.empty() ? "" : "   reference/Å   difference/Å") << "\n";
    for (double t : kPeakTargets) {
      const Peak pk = highest_peak(pm.r, pm.g_xray, Window{t - kPeakSearch, t + kPeakSearch});
      rep << "  " << std::setw(8) << fixed(t, 2) << "   " << std::setw(7) << fixed(pk.position, 3);
      if (!pr.r.empty()) {
        const Peak pq = highest_peak(pr.r, pr.g_xray, Window{t - kPeakSearch, t + kPeakSearch});
        rep << "   " << std::setw(11) << fixed(pq.position, 3) << "   " << std::setw(12) << fixed(pk.position - pq.position, 3);
      }
      rep << "\n";
    }
    std::vector<double> g_ref_on_model;
    if (!pr.r.empty()) {
      // both on r = 0.5, 0.51, … : the common part of the grids
      const size_t n = std::min(pm.r.size(), pr.r.size());
      std::vector<double> r(pm.r.begin(), pm.r.begin() + static_cast<long>(n));
      std::vector<double> gm(pm.g_xray.begin(), pm.g_xray.begin() + static_cast<long>(n));
      g_ref_on_model.assign(pr.g_xray.begin(), pr.g_xray.begin() + static_cast<long>(n));
      rep << "Rw(X-ray G, 1–8 Å) against " << fs::path(ref_path).filename().string() << ": "
          << fixed(rw(r, g_ref_on_model, gm, Window{1.0, 8.0}), 4) << "\n";
    }
    std::ostringstream pc;
    pc << "# sedpdf structure build agzif62: G(r) (Å⁻²) X-ray Q_max 22 Å⁻¹ undamped; electron s_max 2.5 Å⁻¹ exp:0.6"
       << (g_ref_on_model.empty() ? "" : "; reference X-ray G of " + fs::path(ref_path).filename().string()) << "\n";
    pc << "r_A,G_xray_A-2,G_electron_A-2" << (g_ref_on_model.empty() ? "" : ",G_xray_reference_A-2") << "\n";
    pc << std::setprecision(8);
    for (size_t i = 0; i < pm.r.size(); ++i) {
      pc << pm.r[i] << "," << pm.g_xray[i] << "," << pm.g_electron[i];
      if (!g_ref_on_model.empty()) {
        if (i < g_ref_on_model.size()) pc << "," << g_ref_on_model[i];
        else pc << ",";
      }
      pc << "\n";
    }
    pdf_csv = pc.str();

    // Bragg-peak check on the model's own reciprocal lattice
    LatticeSOptions so;
    so.s_max = 0.8;
    const auto xf = make_scattering_factors(Radiation::Xray);
    const LatticeStructureFactor sk = lattice_structure_factor(s, *xf, so);
    const BraggCheck bc = check_bragg_peaks(sk);
    rep << "\n[Bragg check: X-ray S(k) on the box's reciprocal lattice, shells of 0.01 Å⁻¹, s = "
        << so.s_min << "–" << so.s_max << " Å⁻¹]\n";
    rep << "significant features (> 5 speckle standard errors): " << bc.features.size()
        << "; narrowest FWHM " << fixed(bc.narrowest_fwhm, 4) << " Å⁻¹; narrower than " << bc.fwhm_limit
        << " Å⁻¹: " << bc.n_narrow << " -> " << (bc.bragg_free ? "no Bragg peaks" : "BRAGG-LIKE PEAKS") << "\n";
    if (bi.box_A < kBraggMinBox)
      rep << "  (box " << fixed(bi.box_A, 1) << " Å < " << kBraggMinBox
          << " Å: S(k) of a small periodic box is granular on the scale 1/L ≥ 0.025 Å⁻¹, so narrow features are "
             "expected and the check is not conclusive; see docs/builders.md)\n";
    for (const SFeature& f : bc.features)
      rep << "  s = " << fixed(f.s, 3) << " Å⁻¹  S = " << fixed(f.height, 3) << "  prominence " << fixed(f.prominence, 3)
          << "  FWHM " << fixed(f.fwhm, 4) << " Å⁻¹\n";
    std::ostringstream sc;
    sc << "# sedpdf structure build agzif62: X-ray S on the reciprocal lattice of the box, shell means\n";
    sc << "s_A-1,Q_A-1,S,n_k\n" << std::setprecision(8);
    for (size_t b = 0; b < sk.s.size(); ++b)
      sc << sk.s[b] << "," << q_from_s(sk.s[b]) << "," << sk.S[b] << "," << sk.n_k[b] << "\n";
    sk_csv = sc.str();
  }

  // --- outputs, each written atomically ---
  write_structure(s, a.output);
  const std::string stats_path = sibling_path(a.output, "_stats.txt");
  write_text_atomically(stats_path, [&](std::ostream& o) { o << rep.str(); });
  if (!a.no_analysis) {
    write_text_atomically(sibling_path(a.output, "_distributions.csv"), [&](std::ostream& o) { o << distributions; });
    write_text_atomically(sibling_path(a.output, "_pdf.csv"), [&](std::ostream& o) { o << pdf_csv; });
    write_text_atomically(sibling_path(a.output, "_sk.csv"), [&](std::ostream& o) { o << sk_csv; });
  }
  out << rep.str();
  out << "\nwrote " << a.output << ", " << stats_path;
  if (!a.no_analysis)
    out << ", " << sibling_path(a.output, "_distributions.csv") << ", " << sibling_path(a.output, "_pdf.csv") << ", "
        << sibling_path(a.output, "_sk.csv");
  out << "\n";
}

}  // namespace

void register_build_agzif62(CLI::App& build, std::ostream& out) {
  auto a = std::make_shared<Args>();
  auto* c = build.add_subcommand(
      "agzif62",
      "Periodic glass model of agZIF-62, Zn(Im)1.75(bIm)0.25 (continuous random network of tetrahedral Zn, rigid "
      "Im/bIm linkers, relaxed); writes the model and, next to it, <stem>_stats.txt, _distributions.csv, "
      "_pdf.csv and _sk.csv (docs/builders.md)");
  c->add_option("--zn", a->zn, "number of Zn, 16–4000, a multiple of 4 (bIm = N/4 exactly)")->capture_default_str();
  c->add_option("--density", a->density, "target density (g/cm³), 1.2–1.8")->capture_default_str();
  c->add_option("--seed", a->seed, "random seed (same seed, same model)")->capture_default_str();
  c->add_option("-o,--output", a->output, "output structure (.extxyz/.xyz, .cif, .data/.lmp)")->required();
  c->add_option("--b-iso", a->b_iso, "isotropic B (Å²) written on every atom (0 = static model)")
      ->capture_default_str();
  c->add_option("--switches-per-zn", a->switches, "bond-switch attempts per Zn in the network anneal")
      ->capture_default_str();
  c->add_option("--anneal-steps", a->anneal, "dynamics steps of the simulated anneal (0 = none)")
      ->capture_default_str();
  c->add_option("--reference", a->reference,
                "reference model for the X-ray PDF comparison (auto = the bundled RMC a_gZIF-4 model, none = skip)")
      ->capture_default_str();
  c->add_flag("--no-analysis", a->no_analysis, "skip statistics, PDFs and the Bragg check (only _stats.txt with the "
                                               "build summary is written)");
  c->add_flag("-q,--quiet", a->quiet, "no progress lines");
  c->callback([a, &out]() { run(*a, out); });
}

}  // namespace sedpdf::cli
