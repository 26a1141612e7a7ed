// `sedpdf study SWEEP.toml` — unmixing limits: success of PCA → ICA vs dose, thickness, domain size / probe size
// and number of phases, as phase diagrams in a report (validate/sweep.hpp). Keys: docs/study.md ("Sweeps");
// an example: examples/sweep_unmixing.toml.
#include <CLI/CLI.hpp>
#include <toml++/toml.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "sedpdf/structures/build_phosphate.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/sweep.hpp"
#include "simulate_config.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;
constexpr double kNm = 10.0;

struct StudyArgs {
  std::string config, output;
  int threads = 0;
  bool quiet = false, no_figures = false;
};

int line_of(const toml::node* n) { return n ? static_cast<int>(n->source().begin.line) : 0; }

std::vector<double> value_list(const std::string& file, const toml::table& t, const std::string& key,
                               const std::string& where, bool zero_allowed = false) {
  const toml::node* n = t.get(key);
  if (!n) throw InputError(file, line_of(&t), where + "." + key, "missing (an array of numbers)");
  const toml::array* a = n->as_array();
  if (!a || a->empty()) throw InputError(file, line_of(n), where + "." + key, "must be a non-empty array of numbers");
  std::vector<double> out;
  for (const toml::node& e : *a) {
    auto v = e.value<double>();
    if (!v || !(*v > 0 || (zero_allowed && *v == 0)))
      throw InputError(file, line_of(n), where + "." + key,
                       zero_allowed ? "values must be non-negative numbers" : "values must be positive numbers");
    out.push_back(*v);
  }
  return out;
}

fs::path resolve(const std::string& file, const std::string& raw) {
  fs::path p(raw);
  if (p.is_absolute()) return p;
  const fs::path beside = fs::path(file).parent_path() / p;
  if (fs::exists(beside)) return beside.lexically_normal();
  return (fs::current_path() / p).lexically_normal();
}

/// Parses the sweep file; throws InputError (file, line, key) before any work.
SweepConfig load_sweep_config(const std::string& path) {
  if (!fs::is_regular_file(path)) throw InputError(path, 0, "", "sweep configuration file not found");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<int>(e.source().begin.line), "", std::string(e.description()));
  }
  SweepConfig c;
  const TomlSection top(path, &root, "");
  top.only({"name", "output_dir", "seed", "threads", "draw_figures", "phase", "experiment", "base", "map", "criteria"});
  c.name = top.string("name", fs::path(path).stem().string());
  c.output_dir = top.string("output_dir", "out/study");
  const int64_t seed = top.integer("seed", 1);
  if (seed < 0) top.fail("seed", "must be a non-negative integer");
  c.seed = static_cast<uint64_t>(seed);
  const int64_t th = top.integer("threads", 0);
  if (th < 0) top.fail("threads", "must be >= 0");
  c.threads = static_cast<int>(th);
  c.draw_figures = top.boolean("draw_figures", true);

  // [[phase]]: name + model file, or a phosphate glass built from a batch (000's Al-rich glass).
  const toml::node* pn = root.get("phase");
  if (!pn || !pn->is_array()) throw InputError(path, line_of(pn), "phase", "at least two [[phase]] tables are needed");
  for (const toml::node& e : *pn->as_array()) {
    if (!e.is_table()) throw InputError(path, line_of(&e), "phase", "must be an array of tables [[phase]]");
    const TomlSection t(path, e.as_table(), "phase");
    t.only({"name", "model", "phosphate_batch", "atoms", "density_g_cm3", "seed", "critical_dose_e_per_A2", "pair_sigma_A",
            "r_intact_A", "mass_loss"});
    SweepPhase ph;
    ph.name = t.string("name", "");
    if (ph.name.empty()) t.fail("name", "missing (a string)");
    for (const SweepPhase& q : c.phases)
      if (q.name == ph.name) t.fail("name", "phase '" + ph.name + "' defined twice");
    if (t.has("model") == t.has("phosphate_batch"))
      t.fail("model", "give either model = \"file\" or phosphate_batch = \"preset or batch\" for phase '" + ph.name + "'");
    if (t.has("model")) {
      const fs::path p = resolve(path, t.string("model", ""));
      if (!fs::is_regular_file(p)) t.fail("model", "model file '" + p.string() + "' not found");
      try {
        ph.model = read_structure(p.string());
      } catch (const InputError& err) {
        t.fail("model", std::string("phase '") + ph.name + "': " + err.what());
      }
      if (!ph.model.cell.fully_periodic()) t.fail("model", "model " + p.string() + " is not fully periodic");
      if (t.has("atoms") || t.has("density_g_cm3")) t.fail("atoms", "atoms / density_g_cm3 go with phosphate_batch only");
    } else {
      PhosphateBuildOptions o;
      try {
        o.composition = phosphate_composition_from_batch(t.string("phosphate_batch", ""));
      } catch (const std::invalid_argument& err) {
        t.fail("phosphate_batch", err.what());
      }
      o.n_atoms = t.positive("atoms", 3000);
      o.density_g_cm3 = t.positive("density_g_cm3", 2.6);
      const int64_t s = t.integer("seed", 1);
      if (s < 0) t.fail("seed", "must be >= 0");
      o.seed = static_cast<uint64_t>(s);
      try {
        ph.model = build_phosphate_glass(o).structure;
      } catch (const std::invalid_argument& err) {
        t.fail("phosphate_batch", err.what());
      }
    }
    // Beam damage (a model, simulate/damage.hpp): active when a critical dose is given.
    if (t.has("critical_dose_e_per_A2")) {
      ph.damage = read_damage_model(t, ph.name);
    } else {
      for (const char* k : {"pair_sigma_A", "r_intact_A", "mass_loss"})
        if (t.has(k)) t.fail(k, "belongs to the damage model: give critical_dose_e_per_A2 too");
    }
    c.phases.push_back(std::move(ph));
  }
  if (c.phases.size() < 2) throw InputError(path, line_of(pn), "phase", "at least two [[phase]] tables are needed");

  // [experiment]
  auto section = [&](const std::string& name) {
    const toml::node* n = root.get(name);
    if (n && !n->is_table()) throw InputError(path, line_of(n), name, "must be a table [" + name + "]");
    return TomlSection(path, n ? n->as_table() : nullptr, name);
  };
  const TomlSection x = section("experiment");
  x.only({"energy_keV", "alpha_mrad", "detector", "ds_per_pixel_A-1", "detector_size", "scan_size", "step_nm", "binning",
          "film_thickness_nm", "probe_diameter_nm", "truth_probe_fwhm_nm", "decompose_r_A", "damping_pixel_b_A2",
          "plasmon", "incoherent", "incoherent_model", "inelastic_join", "speckle", "components_from_phases"});
  c.probe.energy_keV = x.positive("energy_keV", 200);
  c.probe.alpha_mrad = x.positive("alpha_mrad", 0.6);
  c.detector.layout = x.string("detector", "quad_medipix3");
  if (c.detector.layout == "uniform") {
    const auto sz = x.numbers("detector_size", 2, {});
    if (sz.empty() || !(sz[0] >= 1 && sz[1] >= 1)) x.fail("detector_size", "layout \"uniform\" needs detector_size = [ny, nx]");
    c.detector.uniform_ny = static_cast<std::size_t>(sz[0]);
    c.detector.uniform_nx = static_cast<std::size_t>(sz[1]);
  } else if (c.detector.layout != "quad_medipix3" && c.detector.layout != "quad_medipix3_515" &&
             c.detector.layout != "single_256") {
    x.fail("detector", "unknown detector '" + c.detector.layout + "' (quad_medipix3, quad_medipix3_515, single_256, uniform)");
  }
  c.detector.ds = x.positive("ds_per_pixel_A-1", c.detector.layout == "single_256" ? 0.016 : 0.011);
  const int64_t sn = x.integer("scan_size", 32);
  if (sn < 4 || sn > 512) x.fail("scan_size", "must be 4..512 positions per side");
  c.scan_n = static_cast<std::size_t>(sn);
  c.step_A = x.positive("step_nm", 5.5) * kNm;
  const int64_t bin = x.integer("binning", 2);
  if (bin < 1 || bin > 16) x.fail("binning", "must be 1..16");
  c.bin = static_cast<std::size_t>(bin);
  c.film_thickness_A = x.non_negative("film_thickness_nm", 10) * kNm;
  c.probe_diameter_A = x.positive("probe_diameter_nm", 5) * kNm;
  c.truth_probe_fwhm_A = x.positive("truth_probe_fwhm_nm", 5) * kNm;
  const auto win = x.numbers("decompose_r_A", 2, {1.0, 15.0});
  if (!(win[0] >= 0 && win[1] > win[0])) x.fail("decompose_r_A", "must be [lo, hi] with 0 <= lo < hi (Å)");
  c.decompose_window = {win[0], win[1]};
  c.chain.damping = Damping{Damping::Exp, x.non_negative("damping_pixel_b_A2", 1.0), 0.0};
  c.inelastic.plasmon = x.boolean("plasmon", true);
  c.inelastic.incoherent = x.boolean("incoherent", true);
  c.inelastic.incoherent_model = read_incoherent_model(x);
  c.inelastic.join = read_inelastic_join(x, "inelastic_join");
  c.fast.speckle = x.boolean("speckle", true);
  c.components_from_phases = x.boolean("components_from_phases", true);

  // [base]
  const TomlSection b = section("base");
  b.only({"dose_e_per_A2", "thickness_nm", "domain_probe_ratio", "phases", "blend_fraction"});
  c.base.dose = b.positive("dose_e_per_A2", 10);
  c.base.thickness_A = b.positive("thickness_nm", 50) * kNm;
  c.base.domain_ratio = b.positive("domain_probe_ratio", 5);
  c.base.n_phases = static_cast<int>(b.integer("phases", 2));
  c.base.blend = b.number("blend_fraction", 0.0);
  if (!(c.base.blend >= 0 && c.base.blend < 1)) b.fail("blend_fraction", "must be in [0, 1) (volume fraction)");
  if (c.base.n_phases < 2 || static_cast<std::size_t>(c.base.n_phases) > c.phases.size())
    b.fail("phases", "must be 2.." + std::to_string(c.phases.size()) + " (the [[phase]] tables defined)");

  // [[map]]
  const toml::node* mn = root.get("map");
  if (!mn || !mn->is_array()) throw InputError(path, line_of(mn), "map", "at least one [[map]] (x, x_values, y, y_values) is needed");
  for (const toml::node& e : *mn->as_array()) {
    if (!e.is_table()) throw InputError(path, line_of(&e), "map", "must be an array of tables [[map]]");
    const TomlSection t(path, e.as_table(), "map");
    t.only({"x", "x_values", "y", "y_values"});
    SweepMap m;
    try {
      m.x = parse_sweep_axis(t.string("x", ""));
    } catch (const std::invalid_argument& err) {
      t.fail("x", err.what());
    }
    try {
      m.y = parse_sweep_axis(t.string("y", ""));
    } catch (const std::invalid_argument& err) {
      t.fail("y", err.what());
    }
    if (m.x == m.y) t.fail("y", "x and y must be different axes");
    const auto zero_ok = [](SweepAxis a) { return a == SweepAxis::Blend || a == SweepAxis::Damping; };
    m.xs = value_list(path, *e.as_table(), "x_values", "map", zero_ok(m.x));
    m.ys = value_list(path, *e.as_table(), "y_values", "map", zero_ok(m.y));
    for (SweepAxis a : {m.x, m.y}) {
      if (a == SweepAxis::Blend)
        for (double v : (a == m.x ? m.xs : m.ys))
          if (!(v >= 0 && v < 1)) t.fail(a == m.x ? "x_values" : "y_values", "blend fractions must be in [0, 1)");
      if (a == SweepAxis::PhaseCount)
        for (double v : (a == m.x ? m.xs : m.ys))
          if (v != std::floor(v) || v < 2 || v > static_cast<double>(c.phases.size()))
            t.fail(a == m.x ? "x_values" : "y_values",
                   "phase counts must be integers 2.." + std::to_string(c.phases.size()));
    }
    c.maps.push_back(std::move(m));
  }
  // [criteria]
  const TomlSection cr = section("criteria");
  cr.only({"min_pearson", "min_accuracy", "r_window_A"});
  c.criteria.min_pearson = cr.number("min_pearson", 0.9);
  c.criteria.min_accuracy = cr.number("min_accuracy", 0.95);
  const auto rw = cr.numbers("r_window_A", 2, {1.5, 10.0});
  c.criteria.window = {rw[0], rw[1]};
  // Parameters the library checks (detector) are checked here too, before any work.
  try {
    DetectorSpec d = c.detector;
    d.step_A = c.step_A;
    DetectorModel check(d, 0.025);
  } catch (const std::invalid_argument& err) {
    throw InputError(path, 0, "experiment", err.what());
  }
  return c;
}

void run_study_cmd(const StudyArgs& a, std::ostream& out) {
  SweepConfig c = load_sweep_config(a.config);
  if (!a.output.empty()) c.output_dir = a.output;
  if (a.threads) c.threads = a.threads;
  if (a.no_figures) c.draw_figures = false;
  std::size_t total = 0;
  for (const SweepMap& m : c.maps) total += m.xs.size() * m.ys.size();
  out << "sedpdf study: " << a.config << " — " << c.maps.size() << " maps, " << total << " points, " << c.scan_n << " × "
      << c.scan_n << " positions each\n"
      << std::flush;
  if (!a.quiet)
    c.progress = [&out](const SweepProgress& p) {
      out << "[" << std::fixed << std::setprecision(1) << std::setw(6) << p.elapsed_s << " s] point " << p.done + 1 << "/"
          << p.total << ": " << p.message << std::defaultfloat << "\n"
          << std::flush;
    };
  const SweepResult r = run_sweep(c);
  for (const std::string& f : r.findings) out << f << "\n";
  out << "wrote " << r.report_html << " in " << std::fixed << std::setprecision(1) << r.seconds << " s\n" << std::defaultfloat;
}

}  // namespace

void register_study(CLI::App& app, std::ostream& out) {
  auto args = std::make_shared<StudyArgs>();
  auto* st = app.add_subcommand(
      "study",
      "Unmixing limits: PCA → ICA success vs dose (e⁻/Å²), thickness, domain size / probe size, number of phases, "
      "PDF similarity (blend fraction) and per-pixel damping (Å²), "
      "with the fast model's profile-only mode; tables and phase diagrams in report.html. Keys: docs/study.md, "
      "examples/sweep_unmixing.toml");
  st->add_option("config", args->config, "sweep TOML file")->required();
  st->add_option("-o,--output", args->output, "report directory (default: output_dir of the file, or out/study)");
  st->add_option("--threads", args->threads, "OpenMP threads (0: default)")->capture_default_str();
  st->add_flag("--no-figures", args->no_figures, "write CSVs instead of drawing PNGs");
  st->add_flag("-q,--quiet", args->quiet, "no progress lines");
  st->callback([args, &out]() { run_study_cmd(*args, out); });
}

}  // namespace sedpdf::cli
