// `sedpdf pdf FILE` — the X-ray, electron or neutron PDF of an atomistic model as an experiment with a
// given s_max (Q_max) and damping would measure it, with per-element-pair contributions.
#include <CLI/CLI.hpp>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <iomanip>
#include <limits>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/io.hpp"

namespace sedpdf::cli {

namespace {

struct PdfArgs {
  std::string file, format = "auto", radiation = "electron", table = "lobato", output, sq_output;
  std::string damping = "none", method = "auto";
  double qmax = 0, smax = 0, smin = 0, ds = 0.001, rmin = 0.5, rmax = 20, dr = 0.01;
  double rmax_partials = 0, partial_dr = 0.01, cluster_density = 0;
  bool partials = false, images = false, no_r_window = false;
  int threads = 0;
};

enum class OutKind { Csv, Hdf5 };

OutKind output_kind(const std::string& path) {
  const auto dot = path.rfind('.');
  std::string ext = dot == std::string::npos ? "" : path.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(), [](unsigned char c) { return std::tolower(c); });
  if (ext == "csv") return OutKind::Csv;
  if (ext == "h5" || ext == "hdf5") return OutKind::Hdf5;
  throw InputError("", 0, "-o", "output '" + path + "' must end in .csv, .h5 or .hdf5");
}

std::string pair_label(const std::pair<Element, Element>& p) {
  return p.first.symbol() + "-" + p.second.symbol();
}

void require_positive(const char* name, double v, const char* unit) {
  if (!(v > 0) || !std::isfinite(v)) {
    std::ostringstream m;
    m << "must be a positive number (" << unit << "), got " << v;
    throw InputError("", 0, name, m.str());
  }
}

// The Debye path for finite clusters: I(s) → S(s) = 1 + (I/N − ⟨f²⟩)/⟨f⟩² → φ → G(r).
PdfResult debye_pdf(const Structure& s, const ScatteringFactors& sf, const PdfOptions& opt) {
  PdfResult res;
  res.radiation = sf.radiation();
  res.factors_name = sf.name();
  res.s_max = opt.s_max;
  res.damping = opt.damping;
  std::vector<double> sg = uniform_grid(0.0, opt.s_max, opt.ds);
  if (sg.back() < opt.s_max * (1 - 1e-12)) sg.push_back(opt.s_max);
  const std::vector<double> I = debye_intensity(s, sf, sg);
  const Composition comp = Composition::of(s);
  const double n = s.total_occupancy();
  TotalScattering& ts = res.scattering;
  ts.radiation = sf.radiation();
  ts.factors_name = sf.name();
  ts.s = sg;
  for (size_t k = 0; k < sg.size(); ++k) {
    const FAverages fa = composition_averages(sf, comp, sg[k]);
    const double S = 1.0 + (I[k] / n - fa.f2_mean) / (fa.f_mean * fa.f_mean);
    ts.S.push_back(S);
    ts.phi.push_back(sg[k] * (S - 1.0));
    ts.f_mean.push_back(fa.f_mean);
    ts.f2_mean.push_back(fa.f2_mean);
  }
  std::vector<double> phi = ts.phi;
  if (opt.s_min > 0) {
    double phi_min = 0;
    for (size_t k = 0; k < sg.size(); ++k)
      if (sg[k] <= opt.s_min) phi_min = phi[k];
    for (size_t k = 0; k < sg.size(); ++k)
      if (sg[k] < opt.s_min) phi[k] = phi_min * sg[k] / opt.s_min;
  }
  res.r = uniform_grid(opt.r_min, opt.r_max, opt.dr);
  res.G = sine_transform_s_to_r(sg, phi, res.r, opt.damping, opt.s_max);
  return res;
}

void write_csv(const std::string& path, const PdfArgs& a, const PdfResult& res, const std::string& meta) {
  write_text_atomically(path, [&](std::ostream& out) {
    out << meta;
    out << "r_A,G_A-2";
    if (a.partials)
      for (const auto& p : res.pair_elements) out << ",G_" << pair_label(p) << "_A-2";
    out << "\n";
    out << std::setprecision(10);
    for (size_t i = 0; i < res.r.size(); ++i) {
      out << res.r[i] << "," << res.G[i];
      if (a.partials)
        for (const auto& gp : res.G_pair) out << "," << gp[i];
      out << "\n";
    }
  });
}

void write_sq_csv(const std::string& path, const PdfArgs& a, const PdfResult& res, const std::string& meta) {
  const TotalScattering& ts = res.scattering;
  write_text_atomically(path, [&](std::ostream& out) {
    out << meta;
    out << "s_A-1,Q_A-1,S,phi_A-1,f_mean,f2_mean";
    if (a.partials)
      for (const auto& p : ts.pair_elements) out << ",phi_" << pair_label(p) << "_A-1";
    out << "\n" << std::setprecision(10);
    for (size_t k = 0; k < ts.s.size(); ++k) {
      out << ts.s[k] << "," << q_from_s(ts.s[k]) << "," << ts.S[k] << "," << ts.phi[k] << "," << ts.f_mean[k]
          << "," << ts.f2_mean[k];
      if (a.partials)
        for (const auto& pp : ts.phi_pair) out << "," << pp[k];
      out << "\n";
    }
  });
}

void write_h5(const std::string& path, const PdfArgs& a, const PdfResult& res, const PartialPdfs* partials,
              const std::vector<std::pair<std::string, std::string>>& attrs, const std::string& units_f) {
  write_file_atomically(path, [&](const std::string& tmp) {
    H5Writer h(tmp);
    for (const auto& [k, v] : attrs) h.attribute("/", k, v);
    h.group("/pdf");
    h.dataset("/pdf/r", res.r, "Å");
    h.dataset("/pdf/G", res.G, "Å⁻²");
    h.attribute("/pdf/G", "definition", "G(r) = 8π ∫_0^s_max φ(s) D(s) sin(2πsr) ds = 4πrρ₀[g(r) − 1] (terminated)");
    if (!res.G_pair.empty()) {
      h.group("/pdf/pairs");
      for (size_t p = 0; p < res.G_pair.size(); ++p)
        h.dataset("/pdf/pairs/" + pair_label(res.pair_elements[p]), res.G_pair[p], "Å⁻²");
    }
    const TotalScattering& ts = res.scattering;
    h.group("/scattering");
    h.dataset("/scattering/s", ts.s, "Å⁻¹");
    std::vector<double> q;
    for (double s : ts.s) q.push_back(q_from_s(s));
    h.dataset("/scattering/Q", q, "Å⁻¹");
    h.dataset("/scattering/S", ts.S, "1");
    h.dataset("/scattering/phi", ts.phi, "Å⁻¹");
    h.dataset("/scattering/f_mean", ts.f_mean, units_f);
    h.dataset("/scattering/f2_mean", ts.f2_mean, units_f + "²");
    if (!ts.phi_pair.empty()) {
      h.group("/scattering/pairs");
      for (size_t p = 0; p < ts.phi_pair.size(); ++p)
        h.dataset("/scattering/pairs/" + pair_label(ts.pair_elements[p]), ts.phi_pair[p], "Å⁻¹");
    }
    if (partials && a.partials) {
      h.group("/partials");
      h.dataset("/partials/r", partials->r, "Å");
      h.attribute("/partials", "number_density_A-3", partials->number_density);
      for (size_t p = 0; p < partials->pairs.size(); ++p) {
        const auto [i, j] = partials->pairs[p];
        const std::string name = partials->elements[i].symbol() + "-" + partials->elements[j].symbol();
        h.dataset("/partials/g_" + name, partials->g[p], "1");
      }
    }
    h.close();
  });
}

void run_pdf(const PdfArgs& a, std::ostream& out) {
  const OutKind kind = output_kind(a.output);
  if (!a.sq_output.empty() && output_kind(a.sq_output) != OutKind::Csv)
    throw InputError("", 0, "--sq", "S(s) output '" + a.sq_output + "' must end in .csv");
  const Radiation rad = parse_radiation(a.radiation);
  const ElectronTable table = a.table == "peng" ? ElectronTable::Peng : ElectronTable::Lobato;
  if (a.qmax > 0 && a.smax > 0) throw InputError("", 0, "--qmax/--smax", "give one of --qmax and --smax, not both");
  PdfOptions opt;
  if (a.smax > 0) opt.s_max = a.smax;
  else if (a.qmax > 0) opt.s_max = s_from_q(a.qmax);
  else opt.s_max = rad == Radiation::Electron ? 2.5 : (rad == Radiation::Xray ? s_from_q(22.0) : s_from_q(30.0));
  require_positive("--smax/--qmax", opt.s_max, "Å⁻¹");
  require_positive("--ds", a.ds, "Å⁻¹");
  require_positive("--dr", a.dr, "Å");
  require_positive("--rmax", a.rmax, "Å");
  if (!(a.rmin >= 0) || a.rmin >= a.rmax) {
    std::ostringstream m;
    m << "--rmin " << a.rmin << " Å must be >= 0 and below --rmax " << a.rmax << " Å";
    throw InputError("", 0, "--rmin", m.str());
  }
  if (!(a.smin >= 0) || a.smin >= opt.s_max) {
    std::ostringstream m;
    m << "--smin " << a.smin << " Å⁻¹ must be >= 0 and below s_max " << opt.s_max << " Å⁻¹";
    throw InputError("", 0, "--smin", m.str());
  }
  opt.s_min = a.smin;
  opt.ds = a.ds;
  opt.r_min = a.rmin;
  opt.r_max = a.rmax;
  opt.dr = a.dr;
  opt.damping = parse_damping(a.damping);
  opt.r_window = !a.no_r_window;

  const StructureFormat fmt = a.format == "auto" ? StructureFormat::Auto : parse_format_name(a.format);
  const Structure s = read_structure(a.file, fmt);
  const auto sf = make_scattering_factors(rad, table);

  const bool cluster = !s.cell.any_periodic();
  std::string method = a.method;
  if (method == "auto") method = cluster ? "debye" : "partials";
  if (method == "debye" && !cluster)
    throw InputError(a.file, 0, "--method", "the Debye equation needs a finite cluster; this structure is periodic");
  if (method == "debye" && a.partials)
    throw InputError(a.file, 0, "--partials", "pair contributions come from the partials method (--method partials)");

  PdfResult res;
  std::unique_ptr<PartialPdfs> partials;
  double rp = 0;
  if (method == "partials") {
    const double radius = s.cell.minimum_image_radius();
    rp = a.rmax_partials > 0 ? a.rmax_partials : std::max(a.rmax, 30.0);
    if (a.rmax_partials <= 0 && !a.images && rp > radius) rp = radius;
    if (!a.images && rp > radius) {
      std::ostringstream m;
      m << "r_max " << rp << " Å is beyond what the periodic images support: the minimum-image radius "
        << "(half the smallest perpendicular cell width) is " << radius
        << " Å. Use --images for a crystal, or a smaller --rmax/--rmax-partials";
      throw InputError(a.file, 0, "--rmax-partials", m.str());
    }
    if (a.rmax > rp + 1e-9) {
      std::ostringstream m;
      m << "--rmax " << a.rmax << " Å is beyond the partial PDFs' r_max " << rp << " Å";
      if (!cluster && !a.images) m << " (the minimum-image radius of the cell); use --images for a crystal";
      throw InputError(a.file, 0, "--rmax", m.str());
    }
    PartialPdfOptions po;
    po.r_max = rp;
    po.dr = a.partial_dr;
    po.allow_images = a.images;
    po.cluster_density = a.cluster_density;
    po.threads = a.threads;
    partials = std::make_unique<PartialPdfs>(compute_partial_pdfs(s, po));
    res = experimental_pdf(*partials, *sf, opt);
  } else if (method == "debye") {
    res = debye_pdf(s, *sf, opt);
  } else {
    throw InputError("", 0, "--method", "unknown method '" + method + "' (auto, partials, debye)");
  }

  std::ostringstream meta;
  std::vector<std::pair<std::string, std::string>> attrs;
  auto add = [&](const std::string& k, const std::string& v) {
    meta << "# " << k << ": " << v << "\n";
    attrs.emplace_back(k, v);
  };
  auto num = [](double v) {
    std::ostringstream o;
    o << std::setprecision(8) << v;
    return o.str();
  };
  add("program", "sedpdf pdf");
  add("structure", a.file);
  add("formula", s.formula());
  add("radiation", radiation_name(rad));
  add("scattering_factors", sf->name() + " (" + sf->units() + ")");
  add("method", method == "debye" ? "Debye equation (finite cluster)" : "partial g_ab(r) -> Faber-Ziman S(s)");
  add("s_max_A-1", num(opt.s_max));
  add("Q_max_A-1", num(q_from_s(opt.s_max)));
  add("s_min_A-1", num(opt.s_min));
  add("ds_A-1", num(opt.ds));
  add("damping", damping_name(opt.damping));
  if (partials) {
    add("partials_r_max_A", num(rp));
    add("partials_dr_A", num(a.partial_dr));
    add("number_density_A-3", num(partials->number_density));
    add("r_window", opt.r_window ? "Lorch window in r for S_ab(s)" : "none");
  }
  add("units", "r in Å, G(r) in Å⁻², s = 2sinθ/λ in Å⁻¹, Q = 2πs");
  add("definition", "G(r) = 8π ∫_0^s_max φ(s) D(s) sin(2πsr) ds, φ(s) = s[S(s) − 1] (Faber–Ziman)");

  if (kind == OutKind::Csv) write_csv(a.output, a, res, meta.str());
  else write_h5(a.output, a, res, partials.get(), attrs, sf->units());
  if (!a.sq_output.empty()) write_sq_csv(a.sq_output, a, res, meta.str());
  out << "wrote " << a.output << " (" << radiation_name(rad) << " G(r), s_max " << std::setprecision(4)
      << opt.s_max << " Å⁻¹ = Q_max " << q_from_s(opt.s_max) << " Å⁻¹, " << res.r.size() << " points"
      << (a.partials ? ", " + std::to_string(res.G_pair.size()) + " pair contributions" : std::string()) << ")\n";
}

}  // namespace

void register_pdf(CLI::App& app, std::ostream& out) {
  auto a = std::make_shared<PdfArgs>();
  auto* c = app.add_subcommand(
      "pdf",
      "Pair distribution function G(r) (Å⁻²) of a structure as an X-ray, electron or neutron experiment with a "
      "given s_max would measure it: partial g_ab(r) → Faber–Ziman S(s) with s-dependent f(s) weights → "
      "G(r) = 8π∫φ(s)D(s)sin(2πsr)ds. Finite clusters use the Debye equation.");
  c->add_option("file", a->file, "structure file (extxyz, cif, lammps data, prismatic xyz)")->required();
  c->add_option("-o,--output", a->output, "output file: .csv (G(r) table) or .h5 (G(r), S(s), φ(s), partials)")
      ->required();
  c->add_option("--format", a->format, "input format: auto|extxyz|cif|lammps|prismatic")->capture_default_str();
  c->add_option("--radiation", a->radiation, "xray | electron | neutron")
      ->check(CLI::IsMember({"xray", "x-ray", "electron", "neutron"}))
      ->capture_default_str();
  c->add_option("--electron-factors", a->table, "electron factors: lobato (Lobato & Van Dyck 2014) | peng (C4322)")
      ->check(CLI::IsMember({"lobato", "peng"}))
      ->capture_default_str();
  auto* q = c->add_option("--qmax", a->qmax, "Q_max (Å⁻¹, Q = 4π sinθ/λ); default X-ray 22, neutron 30");
  auto* sm = c->add_option("--smax", a->smax, "s_max (Å⁻¹, s = 2 sinθ/λ); default electron 2.5");
  q->excludes(sm);
  c->add_option("--smin", a->smin, "s_min (Å⁻¹): φ replaced by a line to 0 below it (003 step 6)")
      ->capture_default_str();
  c->add_option("--ds", a->ds, "s step of the model S(s) (Å⁻¹); the piecewise-linear transform attenuates a peak at r by sinc²(πr·ds)")->capture_default_str();
  c->add_option("--rmin", a->rmin, "first r (Å)")->capture_default_str();
  c->add_option("--rmax", a->rmax, "last r (Å)")->capture_default_str();
  c->add_option("--dr", a->dr, "r step (Å)")->capture_default_str();
  c->add_option("--damping", a->damping, "none | lorch | exp:B (D(s) = exp(−B s²), B in Å²)")->capture_default_str();
  c->add_flag("--partials", a->partials, "also write the contribution of each element pair (Σ = G)");
  c->add_option("--sq", a->sq_output, "also write S(s), φ(s), ⟨f⟩, ⟨f²⟩ to this .csv");
  c->add_option("--rmax-partials", a->rmax_partials,
                "r_max of the partial g_ab(r) (Å); default max(--rmax, 30) capped at the minimum-image radius");
  c->add_option("--partial-dr", a->partial_dr, "bin width of g_ab(r) (Å)")->capture_default_str();
  c->add_flag("--images", a->images, "allow r beyond the minimum-image radius (periodic images; crystals)");
  c->add_flag("--no-r-window", a->no_r_window, "no Lorch window in r when transforming g_ab(r) to S_ab(s)");
  c->add_option("--method", a->method, "auto | partials | debye (debye: finite clusters only)")
      ->check(CLI::IsMember({"auto", "partials", "debye"}))
      ->capture_default_str();
  c->add_option("--cluster-density", a->cluster_density,
                "number density of a finite cluster (atoms/Å³); default from its equivalent sphere");
  c->add_option("--threads", a->threads, "OpenMP threads (0 = all)")->capture_default_str();
  c->callback([a, &out]() { run_pdf(*a, out); });
}

}  // namespace sedpdf::cli
