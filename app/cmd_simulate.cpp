// `sedpdf simulate …` — forward models of a 4D-STEM experiment on a composite specimen. This file creates
// the `simulate` parent and `simulate fast CONFIG.toml` (the fast statistical model, issue 5); `simulate
// multislice` lives in cmd_simulate_multislice.cpp. Shared configuration: simulate_config.hpp; keys and the
// physics: docs/forward_models.md.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/simulate/scan.hpp"
#include "sedpdf/structures/error.hpp"
#include "simulate_config.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;

struct FastArgs {
  std::string config, output;
  int threads = 0;
  bool profiles = false, no_resume = false, quiet = false;
};

void run_fast(const FastArgs& a, std::ostream& out) {
  SimulateConfig c = load_simulate_config(a.config, {"fast"}, {"multislice"});
  // [fast]
  const toml::node* fn = c.root.get("fast");
  if (fn && !fn->is_table()) throw InputError(a.config, 0, "fast", "must be a table [fast]");
  const TomlSection f(a.config, fn ? fn->as_table() : nullptr, "fast");
  FastModelParams fp;
  fp.probe = c.probe;
  read_fast_section(f, fp, {"profiles"});
  fp.inelastic = c.inelastic;
  fp.threads = a.threads;
  const bool profiles = a.profiles || f.boolean("profiles", false);
  const std::string output = a.output.empty() ? c.output : a.output;

  std::unique_ptr<Specimen> sp;
  try {
    sp = std::make_unique<Specimen>(c.specimen);
  } catch (const std::invalid_argument& e) {
    throw InputError(c.specimen_file, 0, "", e.what());
  }
  const double lambda = electron_wavelength(c.probe.energy_keV * 1e3);
  const DetectorModel det(c.detector, lambda);

  // Materials: the specimen's phases, then the film.
  std::vector<FastMaterial> mats;
  std::vector<int> mat_of_phase;
  auto inelastic_of = [&](const std::string& name, double default_ep) {
    InelasticMaterial im;
    im.name = name;
    im.plasmon_energy_eV = default_ep;
    if (auto it = c.phase_inelastic.find(name); it != c.phase_inelastic.end()) {
      if (it->second.plasmon_energy_eV > 0) im.plasmon_energy_eV = it->second.plasmon_energy_eV;
      im.plasmon_mfp_A = it->second.plasmon_mfp_A;
    }
    return im;
  };
  for (size_t p = 0; p < sp->phase_count(); ++p) {
    FastMaterial m;
    m.name = sp->phase_name(p);
    m.model = c.specimen.phases[p].model;
    m.inelastic = inelastic_of(m.name, 23.0);
    mat_of_phase.push_back(static_cast<int>(mats.size()));
    mats.push_back(std::move(m));
  }
  int film = -1;
  if (sp->has_film()) {
    FastMaterial m;
    m.name = "carbon_film";
    m.model = sp->film_model();
    m.inelastic = inelastic_of(m.name, 25.0);
    film = static_cast<int>(mats.size());
    mats.push_back(std::move(m));
  }
  const auto t0 = std::chrono::steady_clock::now();
  std::unique_ptr<FastModel> fm;
  try {
    fm = std::make_unique<FastModel>(mats, fp, det);
  } catch (const std::invalid_argument& e) {
    throw InputError(a.config, 0, "fast", e.what());
  }
  const double setup_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  FastPatternSource src(*fm, *sp, c.scan, mat_of_phase, film, c.truth_probe_fwhm_A, c.seed);

  out << "sedpdf simulate fast: " << a.config << "\n";
  out << "  specimen " << c.specimen_file << ", " << c.scan.nx << " × " << c.scan.ny << " positions, step "
      << c.scan.step_A / 10 << " nm; detector " << det.geometry().layout() << " " << det.geometry().ny() << " × "
      << det.geometry().nx() << ", Δs " << c.detector.ds << " Å⁻¹, " << c.detector.electrons_per_position()
      << " e⁻/position (" << c.detector.dose() << " e⁻/Å²)\n";
  for (size_t m = 0; m < fm->n_materials(); ++m) {
    const auto& i = fm->material(m);
    out << "  " << std::left << std::setw(14) << i.name << std::right << " ρ " << std::setprecision(4)
        << i.mass_density << " g/cm³, λ_el " << i.mfp_elastic_A / 10 << " nm, λ_pl " << i.mfp_plasmon_A / 10
        << " nm, incoherent (" << incoherent_model_name(c.inelastic.incoherent_model) << ") "
        << i.incoherent_per_A * 1000 << " per 100 nm beyond θ_c; " << inelastic_join_name(c.inelastic.join)
        << " join at " << i.handover_s << " Å⁻¹, " << i.inelastic_per_A * 1000 << " inelastic events per 100 nm\n"
        << std::setprecision(6);
  }
  out << "  set-up " << std::setprecision(3) << setup_s << " s\n" << std::setprecision(6);

  ScanOptions opt;
  opt.seed = c.seed;
  opt.threads = a.threads;
  opt.with_expected = c.with_expected;
  opt.convergence_mrad = c.probe.alpha_mrad;
  opt.truth_probe_fwhm_A = c.truth_probe_fwhm_A;
  opt.writer.config_hash = config_fingerprint(c.text + (profiles ? "#profiles" : ""));
  opt.writer.parameters = c.parameters;
  opt.writer.parameters["model"] = "fast";
  opt.writer.parameters["truth_probe_fwhm_A"] = std::to_string(c.truth_probe_fwhm_A);
  opt.writer.deflate = c.deflate;
  opt.writer.resume = c.resume && !a.no_resume;
  opt.progress = scan_progress_printer(out, a.quiet);
  if (profiles) {
    const double s = run_profile_scan(c.scan, src, *fm, output, opt, sp.get());
    const double n = static_cast<double>(c.scan.nx * c.scan.ny);
    out << "wrote " << output << " (profiles: " << fm->n_bins() << " radial bins), " << n / std::max(s, 1e-9)
        << " profiles/s\n";
  } else {
    const ScanResult r = run_scan(c.scan, src, det, sp.get(), {output}, opt);
    out << "wrote " << output << " (" << r.computed << " positions computed, " << r.skipped << " resumed), "
        << static_cast<double>(r.computed) / std::max(r.seconds, 1e-9) << " patterns/s\n";
  }
}

}  // namespace

void register_simulate(CLI::App& app, std::ostream& out) {
  auto* sim = app.add_subcommand("simulate", "Forward models: synthetic 4D-STEM data of a composite specimen "
                                             "(fast statistical model; multislice)");
  sim->require_subcommand(1);
  auto args = std::make_shared<FastArgs>();
  auto* fast = sim->add_subcommand(
      "fast",
      "Fast statistical forward model: kinematic single scattering of each phase, plural elastic and inelastic "
      "scattering, speckle, probe blur, counting detector; writes the same 4D HDF5 layout as multislice, or with "
      "--profiles azimuthal profiles with counting statistics. Keys: docs/forward_models.md");
  fast->add_option("config", args->config, "simulation TOML file ([specimen] [probe] [scan] [detector] [dose] "
                                            "[inelastic] [output] [fast])")
      ->required();
  fast->add_option("-o,--output", args->output, "output HDF5 file (default: [output] file or <config stem>.h5)");
  fast->add_option("--threads", args->threads, "OpenMP threads (0: default)")->capture_default_str();
  fast->add_flag("--profiles", args->profiles, "profile-only mode (azimuthal profiles per position)");
  fast->add_flag("--no-resume", args->no_resume, "start over instead of resuming <output>.partial");
  fast->add_flag("-q,--quiet", args->quiet, "no progress line");
  fast->callback([args, &out]() { run_fast(*args, out); });
  register_simulate_multislice(*sim, out);  // app/cmd_simulate_multislice.cpp
}

}  // namespace sedpdf::cli
