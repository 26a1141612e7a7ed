// `sedpdf simulate multislice CONFIG.toml` — the multislice forward model (issue 4) on a composite specimen:
// windowed multislice per probe position (simulate/multislice.hpp), optional inelastic redistribution on
// the simulation grid (simulate/inelastic.hpp), resampling onto the counting detector and streamed,
// resumable 4D HDF5 output through run_scan (simulate/scan.hpp). Shared sections: simulate_config.hpp; the
// [multislice] section is parsed here (keys: docs/multislice.md, "Configuration").
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/inelastic.hpp"
#include "sedpdf/simulate/multislice.hpp"
#include "sedpdf/simulate/multislice_source.hpp"
#include "sedpdf/simulate/scan.hpp"
#include "sedpdf/structures/error.hpp"
#include "simulate_config.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;

struct MultisliceArgs {
  std::string config, output;
  int threads = 0;
  bool no_resume = false, quiet = false;
};

/// [multislice] → MultisliceParams. s_max and pixel default from the detector (inscribed ring).
MultisliceParams parse_multislice(const SimulateConfig& c, const DetectorModel& det, std::map<std::string, std::string>& echo) {
  const toml::node* n = c.root.get("multislice");
  if (n && !n->is_table()) throw InputError(c.file, 0, "multislice", "must be a table [multislice]");
  const TomlSection t(c.file, n ? n->as_table() : nullptr, "multislice");
  t.only({"slice_thickness_A", "pixel_A", "s_max_A-1", "window_A", "thicknesses_nm", "phonon_configurations",
          "phonon_u_A2", "phonon_seed", "focal_samples", "source_samples", "fft_threads", "fft_measure",
          "cache_limit_MB"});
  MultisliceParams p;
  p.slice_thickness_A = t.positive("slice_thickness_A", 2.0);
  p.s_max = t.positive("s_max_A-1", detector_inscribed_s(det));
  p.pixel_A = t.positive("pixel_A", std::min(0.1, 1.0 / (3.0 * p.s_max)));
  p.window_A = t.non_negative("window_A", 0.0);
  if (t.has("thicknesses_nm")) {
    const toml::array* a = t.table()->get("thicknesses_nm")->as_array();
    if (!a || a->empty()) t.fail("thicknesses_nm", "must be a non-empty array of depths (nm)");
    for (const toml::node& e : *a) {
      auto v = e.value<double>();
      if (!v || !(*v > 0)) t.fail("thicknesses_nm", "every depth must be a positive number (nm)");
      p.thicknesses_A.push_back(*v * 10.0);
    }
  }
  const int64_t nc = t.integer("phonon_configurations", 0);
  if (nc < 0) t.fail("phonon_configurations", "must be >= 0, got " + std::to_string(nc));
  p.phonons.configurations = static_cast<size_t>(nc);
  p.phonons.default_u_A2 = t.non_negative("phonon_u_A2", p.phonons.default_u_A2);
  const int64_t ps = t.integer("phonon_seed", static_cast<int64_t>(c.seed));
  if (ps < 0) t.fail("phonon_seed", "must be a non-negative integer");
  p.phonons.seed = static_cast<uint64_t>(ps);
  p.focal_samples = static_cast<int>(t.integer("focal_samples", 1));
  p.source_samples = static_cast<int>(t.integer("source_samples", 1));
  p.fft_threads = static_cast<int>(t.integer("fft_threads", 1));
  p.fft_measure = t.boolean("fft_measure", false);
  p.cache_limit_MB = t.non_negative("cache_limit_MB", p.cache_limit_MB);
  try {
    p.check();
  } catch (const std::invalid_argument& e) {
    throw InputError(c.file, 0, "multislice", e.what());
  }
  echo["multislice.slice_thickness_A"] = format_number(p.slice_thickness_A, 6);
  echo["multislice.pixel_A"] = format_number(p.pixel_A, 6);
  echo["multislice.s_max_A-1"] = format_number(p.s_max, 6);
  echo["multislice.window_A"] = format_number(p.window_A, 6);
  std::string th;
  for (double x : p.thicknesses_A) th += (th.empty() ? "" : ",") + format_number(x / 10.0, 6);
  echo["multislice.thicknesses_nm"] = th;
  echo["multislice.phonon_configurations"] = std::to_string(p.phonons.configurations);
  echo["multislice.phonon_u_A2"] = format_number(p.phonons.default_u_A2, 6);
  echo["multislice.phonon_seed"] = std::to_string(p.phonons.seed);
  echo["multislice.focal_samples"] = std::to_string(p.focal_samples);
  echo["multislice.source_samples"] = std::to_string(p.source_samples);
  echo["multislice.fft_threads"] = std::to_string(p.fft_threads);
  return p;
}

InelasticMaterial material_of(const std::string& name, const Structure& model, double default_ep, const SimulateConfig& c) {
  InelasticMaterial m;
  m.name = name;
  m.plasmon_energy_eV = default_ep;
  if (auto it = c.phase_inelastic.find(name); it != c.phase_inelastic.end()) {
    if (it->second.plasmon_energy_eV > 0) m.plasmon_energy_eV = it->second.plasmon_energy_eV;
    m.plasmon_mfp_A = it->second.plasmon_mfp_A;
  }
  m.mass_density_g_cm3 = model.mass_density_g_cm3();
  m.number_density = model.number_density();
  for (const CompositionEntry& e : model.composition()) m.composition.push_back({e.element, e.fraction});
  return m;
}

void run_multislice(const MultisliceArgs& a, std::ostream& out) {
  SimulateConfig c = load_simulate_config(a.config, {"multislice"}, {"fast"});
  const double lambda = electron_wavelength(c.probe.energy_keV * 1e3);
  const DetectorModel det(c.detector, lambda);
  std::map<std::string, std::string> echo;
  const MultisliceParams mp = parse_multislice(c, det, echo);
  std::unique_ptr<Specimen> sp;
  try {
    sp = std::make_unique<Specimen>(c.specimen);
  } catch (const std::invalid_argument& e) {
    throw InputError(c.specimen_file, 0, "", e.what());
  }
  std::unique_ptr<WindowedMultislice> engine;
  std::unique_ptr<MultisliceSource> src;
  // Inelastic post-processing on the simulation grid: column composition of the phases (and the film) up
  // to each output depth (the specimen part scaled linearly with the depth reached in the column).
  InelasticParams ip = c.inelastic;
  for (size_t p = 0; p < sp->phase_count(); ++p) ip.materials.push_back(material_of(sp->phase_name(p), c.specimen.phases[p].model, 23.0, c));
  if (sp->has_film()) ip.materials.push_back(material_of("carbon_film", sp->film_model(), 25.0, c));
  const bool inelastic = ip.plasmon || ip.incoherent;
  std::vector<double> depths = mp.thicknesses_A;
  std::sort(depths.begin(), depths.end());
  const Specimen* spp = sp.get();
  MultisliceSource::PostProcess post;
  if (inelastic)
    post = [ip, depths, spp](size_t o, double x, double y, SimPattern& pat) {
      const ColumnThickness ct = spp->column_thickness(x, y);
      const double film = spp->spec().film.thickness;
      double f_film = 1, f_spec = 1;
      if (!depths.empty()) {
        const double z = depths[o];
        f_film = film > 0 ? std::min(1.0, z / film) : 1.0;
        f_spec = ct.total > 0 ? std::clamp((z - film) / ct.total, 0.0, 1.0) : 0.0;
      }
      std::vector<double> t;
      for (double v : ct.phase) t.push_back(v * f_spec);
      if (spp->has_film()) t.push_back(film * f_film);
      ReciprocalGrid g;
      g.ny = g.nx = pat.n;
      g.ds = pat.dk;
      g.centre_x = g.centre_y = static_cast<double>(pat.n / 2);
      apply_inelastic(ip, t, g, pat.intensity);
    };
  try {
    engine = std::make_unique<WindowedMultislice>(*sp, c.probe, mp);
    src = std::make_unique<MultisliceSource>(*engine, det, post);
  } catch (const std::invalid_argument& e) {
    throw InputError(a.config, 0, "multislice", e.what());
  }
  const std::string output = a.output.empty() ? c.output : a.output;
  std::vector<std::string> paths;
  if (mp.thicknesses_A.size() <= 1) {
    paths.push_back(output);
  } else {
    const fs::path o(output);
    for (double d : depths)
      paths.push_back((o.parent_path() / (o.stem().string() + "_t" + format_number(d / 10.0, 6) + "nm" + o.extension().string())).string());
  }
  const WaveGrid& g = engine->grid();
  out << "sedpdf simulate multislice: " << a.config << "\n";
  out << "  specimen " << c.specimen_file << ", " << c.scan.nx << " × " << c.scan.ny << " positions, step "
      << c.scan.step_A / 10 << " nm; probe " << c.probe.energy_keV << " kV, α " << c.probe.alpha_mrad << " mrad, d "
      << probe_diameter_A(c.probe) / 10 << " nm\n";
  out << "  window " << engine->window_A() / 10 << " nm, grid " << g.n << "² × " << g.pixel_A << " Å (band limit "
      << g.band_limit() << " Å⁻¹), slices " << mp.slice_thickness_A << " Å, phonon configurations "
      << std::max<size_t>(1, mp.phonons.configurations) << ", outputs " << paths.size() << "\n";
  ScanOptions opt;
  opt.seed = c.seed;
  opt.threads = a.threads;
  opt.with_expected = c.with_expected;
  opt.convergence_mrad = c.probe.alpha_mrad;
  opt.truth_probe_fwhm_A = c.truth_probe_fwhm_A;
  opt.writer.config_hash = config_fingerprint(c.text);
  opt.writer.parameters = c.parameters;
  for (const auto& [k, v] : echo) opt.writer.parameters[k] = v;
  opt.writer.parameters["model"] = "multislice";
  opt.writer.parameters["truth_probe_fwhm_A"] = format_number(c.truth_probe_fwhm_A, 6);
  opt.writer.deflate = c.deflate;
  opt.writer.resume = c.resume && !a.no_resume;
  opt.progress = scan_progress_printer(out, a.quiet);
  const ScanResult r = run_scan(c.scan, *src, det, sp.get(), paths, opt);
  for (const auto& p : r.paths) out << "wrote " << p << "\n";
  out << "  " << r.computed << " positions computed, " << r.skipped << " resumed, "
      << static_cast<double>(r.computed) / std::max(r.seconds, 1e-9) << " positions/s\n";
}

}  // namespace

void register_simulate_multislice(CLI::App& simulate, std::ostream& out) {
  auto args = std::make_shared<MultisliceArgs>();
  auto* ms = simulate.add_subcommand(
      "multislice",
      "Multislice forward model: windowed multislice per probe position (frozen phonons, partial coherence, "
      "thickness series), inelastic redistribution, counting detector, resumable 4D HDF5. Keys: docs/multislice.md");
  ms->add_option("config", args->config, "simulation TOML file ([specimen] [probe] [scan] [detector] [dose] "
                                          "[inelastic] [output] [multislice])")
      ->required();
  ms->add_option("-o,--output", args->output, "output HDF5 file (default: [output] file or <config stem>.h5)");
  ms->add_option("--threads", args->threads, "threads over probe positions (0: OpenMP default)")->capture_default_str();
  ms->add_flag("--no-resume", args->no_resume, "start over instead of resuming <output>.partial");
  ms->add_flag("-q,--quiet", args->quiet, "no progress line");
  ms->callback([args, &out]() { run_multislice(*args, out); });
}

}  // namespace sedpdf::cli
