// `sedpdf reduce CONFIG.toml` — the reduction chain over a 4D-STEM file (per pixel with n × n scan
// binning, or area-averaged over a region): I(s), φ(s), G(r), N, C and a thickness proxy, streamed to an
// HDF5 file. The configuration keys are documented in examples/reduce_003.toml and docs/cli.md;
// any key can be overridden on the command line with --set table.key=value.
#include <CLI/CLI.hpp>
#include <toml++/toml.h>
#include <unistd.h>

#include <omp.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <iostream>
#include <map>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "sedpdf/reduce/pipeline.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

namespace sedpdf::cli {

namespace {

// The keys each table accepts (unknown keys are errors naming the key and the file).
const std::map<std::string, std::set<std::string>>& known_keys() {
  static const std::map<std::string, std::set<std::string>> k = {
      {"input", {"file", "dataset", "mask_file", "mask_dataset", "mask_nonzero_is_masked"}},
      {"calibration",
       {data4d::kCalEnergy, data4d::kCalWavelength, data4d::kCalDs, data4d::kCalCentreX, data4d::kCalCentreY,
        data4d::kCalConvergence, data4d::kCalDose, data4d::kCalStepX, data4d::kCalStepY, data4d::kCalLayout}},
      {"output", {"file"}},
      {"scan", {"binning"}},
      {"region", {"y0", "x0", "ny", "nx", "mask_file", "mask_dataset"}},
      {"detector", {"layout", "exact_s_mapping"}},
      {"centre", {"mode", "x_px", "y_px", "patterns", "fit_ellipse"}},
      {"integration", {"bin_width_A-1", "s_max_A-1", "use_variance"}},
      {"chain",
       {"composition", "factors", "fit_s_lo_A-1", "fit_s_hi_A-1", "weighted_fit", "correction", "poly_degree",
        "rpoly_A", "damping", "s_min_A-1", "s_max_A-1", "r_min_A", "r_max_A", "dr_A", "transform", "ds_fine_A-1",
        "propagate_variance", "plural_deconvolution", "plural_s_alpha_A-1"}},
      {"vadf", {"s_inner_A-1", "s_outer_A-1"}},
      {"run", {"batch", "threads"}},
  };
  return k;
}

class Config {
 public:
  Config(toml::table t, std::string file) : t_(std::move(t)), file_(std::move(file)) {}

  void check_keys() const {
    for (auto&& [k, v] : t_) {
      const std::string key(k.str());
      const auto it = known_keys().find(key);
      if (it == known_keys().end() || !v.is_table())
        throw InputError(file_, line(v), key, "unknown table (known: input, calibration, output, scan, region, "
                                              "detector, centre, integration, chain, vadf, run)");
      for (auto&& [k2, v2] : *v.as_table())
        if (!it->second.count(std::string(k2.str())))
          throw InputError(file_, line(v2), key + "." + std::string(k2.str()), "unknown key");
    }
  }

  bool has(const std::string& table, const std::string& key) const { return node(table, key) != nullptr; }
  bool has_table(const std::string& table) const { return t_[table].is_table(); }

  std::optional<double> number(const std::string& table, const std::string& key) const {
    const toml::node* n = node(table, key);
    if (!n) return std::nullopt;
    if (auto v = n->value<double>()) return *v;
    throw InputError(file_, line(*n), table + "." + key, "must be a number");
  }
  double number(const std::string& table, const std::string& key, double def) const {
    return number(table, key).value_or(def);
  }
  size_t count(const std::string& table, const std::string& key, size_t def) const {
    const toml::node* n = node(table, key);
    if (!n) return def;
    const auto v = n->value_exact<int64_t>();
    if (!v || *v < 0) throw InputError(file_, line(*n), table + "." + key, "must be a non-negative integer");
    return static_cast<size_t>(*v);
  }
  std::string text(const std::string& table, const std::string& key, const std::string& def = "") const {
    const toml::node* n = node(table, key);
    if (!n) return def;
    if (auto v = n->value_exact<std::string>()) return *v;
    throw InputError(file_, line(*n), table + "." + key, "must be a string");
  }
  bool flag(const std::string& table, const std::string& key, bool def) const {
    const toml::node* n = node(table, key);
    if (!n) return def;
    if (auto v = n->value_exact<bool>()) return *v;
    throw InputError(file_, line(*n), table + "." + key, "must be true or false");
  }
  /// Wraps a parse of a value (e.g. a damping string) so the error names the key and line.
  template <class F>
  auto parsed(const std::string& table, const std::string& key, F&& f) const {
    try {
      return f();
    } catch (const std::invalid_argument& e) {
      const toml::node* n = node(table, key);
      throw InputError(file_, n ? line(*n) : 0, table + "." + key, e.what());
    }
  }

  /// table.key = value; value parsed as TOML (number, bool, string, …), else taken as a string.
  void set(const std::string& assignment) {
    const auto eq = assignment.find('=');
    const auto dot = assignment.find('.');
    if (eq == std::string::npos || dot == std::string::npos || dot > eq)
      throw InputError("", 0, "--set", "'" + assignment + "' is not of the form table.key=value");
    const std::string table = trim(assignment.substr(0, dot)), key = trim(assignment.substr(dot + 1, eq - dot - 1));
    const std::string value = trim(assignment.substr(eq + 1));
    try {
      toml::table parsed = toml::parse("v = " + value);
      table_for(table).insert_or_assign(key, *parsed.get("v"));
    } catch (const toml::parse_error&) {
      table_for(table).insert_or_assign(key, value);
    }
  }
  void set_string(const std::string& table, const std::string& key, const std::string& value) {
    table_for(table).insert_or_assign(key, value);
  }

  std::string dump() const {
    std::ostringstream s;
    s << t_;
    return s.str();
  }
  const std::string& file() const { return file_; }

 private:
  static std::string trim(const std::string& s) {
    const auto a = s.find_first_not_of(" \t"), b = s.find_last_not_of(" \t");
    return a == std::string::npos ? "" : s.substr(a, b - a + 1);
  }
  toml::table& table_for(const std::string& table) {
    if (!t_[table].as_table()) t_.insert_or_assign(table, toml::table{});
    return *t_[table].as_table();
  }
  static size_t line(const toml::node& n) { return n.source().begin.line; }
  const toml::node* node(const std::string& table, const std::string& key) const {
    const toml::table* tab = t_[table].as_table();
    return tab ? tab->get(key) : nullptr;
  }
  toml::table t_;
  std::string file_;
};

/// done/total, rate and ETA on a terminal; silent otherwise.
class Progress {
 public:
  explicit Progress(bool enabled) : enabled_(enabled), t0_(std::chrono::steady_clock::now()) {}
  void operator()(size_t done, size_t total) {
    if (!enabled_) return;
    const double dt = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    const double rate = dt > 0 ? static_cast<double>(done) / dt : 0;
    const double eta = rate > 0 ? static_cast<double>(total - done) / rate : 0;
    const long e = std::lround(eta);
    std::fprintf(stderr, "\rreduce: %zu/%zu binned pixels  %.1f /s  ETA %ld:%02ld   ", done, total, rate, e / 60, e % 60);
    if (done == total) std::fprintf(stderr, "\n");
    std::fflush(stderr);
  }

 private:
  bool enabled_;
  std::chrono::steady_clock::time_point t0_;
};

struct ReduceArgs {
  std::string config, input, dataset, output, region;
  std::vector<std::string> sets;
  size_t bin = 0;
  bool quiet = false;
};

ReduceOptions build_options(const Config& c) {
  ReduceOptions o;
  c.check_keys();
  o.input.path = c.text("input", "file");
  if (o.input.path.empty()) throw InputError(c.file(), 0, "input.file", "no input file (set it or use --input)");
  o.input.dataset = c.text("input", "dataset");
  o.input.mask_path = c.text("input", "mask_file");
  o.input.mask_dataset = c.text("input", "mask_dataset");
  o.input.mask_nonzero_is_masked = c.flag("input", "mask_nonzero_is_masked", true);
  Data4DCalibration& cal = o.input.calibration;
  const std::pair<const char*, double*> cal_keys[] = {
      {data4d::kCalEnergy, &cal.energy_eV},       {data4d::kCalWavelength, &cal.wavelength_A},
      {data4d::kCalDs, &cal.ds_per_px},           {data4d::kCalCentreX, &cal.centre_x_px},
      {data4d::kCalCentreY, &cal.centre_y_px},    {data4d::kCalConvergence, &cal.convergence_mrad},
      {data4d::kCalDose, &cal.dose_e_per_A2},     {data4d::kCalStepX, &cal.scan_step_x_A},
      {data4d::kCalStepY, &cal.scan_step_y_A}};
  for (const auto& [key, dst] : cal_keys)
    if (auto v = c.number("calibration", key)) *dst = *v;
  cal.detector_layout = c.text("calibration", data4d::kCalLayout);

  o.output = c.text("output", "file");
  if (o.output.empty()) throw InputError(c.file(), 0, "output.file", "no output file (set it or use -o)");
  o.bin = c.count("scan", "binning", 2);
  if (c.has_table("region")) {
    o.region.enabled = true;
    const std::string mf = c.text("region", "mask_file");
    if (!mf.empty()) {
      H5Reader r(mf);
      const std::string md = c.text("region", "mask_dataset");
      if (md.empty()) throw InputError(c.file(), 0, "region.mask_dataset", "required with region.mask_file");
      for (double v : r.read(md)) o.region.scan_mask.push_back(v != 0 ? 1 : 0);
    } else {
      o.region.y0 = c.count("region", "y0", 0);
      o.region.x0 = c.count("region", "x0", 0);
      o.region.ny = c.count("region", "ny", 0);
      o.region.nx = c.count("region", "nx", 0);
    }
  }
  o.detector = c.text("detector", "layout");
  o.exact_s_mapping = c.flag("detector", "exact_s_mapping", false);
  o.centre_mode = c.parsed("centre", "mode", [&] { return parse_centre_mode(c.text("centre", "mode", "auto")); });
  o.fixed_centre.x = c.number("centre", "x_px", std::nan(""));
  o.fixed_centre.y = c.number("centre", "y_px", std::nan(""));
  if (o.centre_mode == CentreMode::Fixed && !(std::isfinite(o.fixed_centre.x) && std::isfinite(o.fixed_centre.y)))
    throw InputError(c.file(), 0, "centre.x_px", "centre mode 'fixed' needs centre.x_px and centre.y_px");
  o.centre_patterns = c.count("centre", "patterns", 64);
  o.fit_ellipse = c.flag("centre", "fit_ellipse", false);
  o.s_bin_width = c.number("integration", "bin_width_A-1", 0);
  o.integration_s_max = c.number("integration", "s_max_A-1", 0);
  o.use_variance = c.flag("integration", "use_variance", true);

  ReductionParams& p = o.chain;
  const std::string comp = c.text("chain", "composition");
  if (comp.empty()) throw InputError(c.file(), 0, "chain.composition", "required (atomic fractions, e.g. \"Si:1,O:2\")");
  p.composition = c.parsed("chain", "composition", [&] { return Composition::parse(comp); });
  const std::string factors = c.text("chain", "factors", "lobato");
  if (factors == "lobato") p.factors = ElectronTable::Lobato;
  else if (factors == "peng") p.factors = ElectronTable::Peng;
  else throw InputError(c.file(), 0, "chain.factors", "'" + factors + "' is not lobato or peng");
  p.fit_s_lo = c.number("chain", "fit_s_lo_A-1", p.fit_s_lo);
  p.fit_s_hi = c.number("chain", "fit_s_hi_A-1", p.fit_s_hi);
  p.weighted_fit = c.flag("chain", "weighted_fit", p.weighted_fit);
  p.correction = c.parsed("chain", "correction", [&] { return parse_correction(c.text("chain", "correction", "mu2013")); });
  p.poly_degree = static_cast<int>(c.count("chain", "poly_degree", static_cast<size_t>(p.poly_degree)));
  p.rpoly = c.number("chain", "rpoly_A", p.rpoly);
  if (c.has("chain", "damping"))
    p.damping = c.parsed("chain", "damping", [&] { return parse_damping(c.text("chain", "damping")); });
  p.s_min = c.number("chain", "s_min_A-1", p.s_min);
  p.s_max = c.number("chain", "s_max_A-1", p.s_max);
  p.r_min = c.number("chain", "r_min_A", p.r_min);
  p.r_max = c.number("chain", "r_max_A", p.r_max);
  p.dr = c.number("chain", "dr_A", p.dr);
  p.transform = c.parsed("chain", "transform", [&] { return parse_transform(c.text("chain", "transform", "resampled")); });
  p.ds_fine = c.number("chain", "ds_fine_A-1", p.ds_fine);
  p.propagate_variance = c.flag("chain", "propagate_variance", p.propagate_variance);
  p.plural_deconvolution = c.flag("chain", "plural_deconvolution", p.plural_deconvolution);
  p.plural.s_alpha = c.number("chain", "plural_s_alpha_A-1", 0.0);  // 0: α/λ from the calibration
  if (!(p.plural.s_alpha >= 0) || !std::isfinite(p.plural.s_alpha))
    throw InputError(c.file(), 0, "chain.plural_s_alpha_A-1",
                     "must be >= 0 (the disc radius α/λ in 1/Å; 0: from the calibration), got " +
                         std::to_string(p.plural.s_alpha));
  o.vadf_s_inner = c.number("vadf", "s_inner_A-1", o.vadf_s_inner);
  o.vadf_s_outer = c.number("vadf", "s_outer_A-1", o.vadf_s_outer);
  o.batch = c.count("run", "batch", o.batch);
  return o;
}

void run_reduce(const ReduceArgs& a, std::ostream& out) {
  toml::table t;
  if (!a.config.empty()) {
    try {
      t = toml::parse_file(a.config);
    } catch (const toml::parse_error& e) {
      throw InputError(a.config, e.source().begin.line, "", std::string(e.description()));
    }
  }
  Config c(std::move(t), a.config);
  if (!a.input.empty()) c.set_string("input", "file", a.input);
  if (!a.dataset.empty()) c.set_string("input", "dataset", a.dataset);
  if (!a.output.empty()) c.set_string("output", "file", a.output);
  if (a.bin) c.set("scan.binning=" + std::to_string(a.bin));
  if (!a.region.empty()) {
    std::stringstream ss(a.region);
    std::vector<std::string> parts;
    for (std::string p; std::getline(ss, p, ',');) parts.push_back(p);
    if (parts.size() != 4) throw InputError("", 0, "--region", "'" + a.region + "' is not Y0,X0,NY,NX");
    const char* names[] = {"y0", "x0", "ny", "nx"};
    for (int k = 0; k < 4; ++k) c.set(std::string("region.") + names[k] + "=" + parts[k]);
  }
  for (const std::string& s : a.sets) c.set(s);
  ReduceOptions o = build_options(c);
  const size_t threads = c.count("run", "threads", 0);
  if (threads > 0) omp_set_num_threads(static_cast<int>(threads));
  o.metadata = {{"sedpdf_command", "reduce"},
                {"config_file", a.config},
                {"config_toml", c.dump()},
                {"threads", std::to_string(threads > 0 ? threads : static_cast<size_t>(omp_get_max_threads()))}};
  Progress progress(!a.quiet && ::isatty(STDERR_FILENO));
  o.progress = [&](size_t done, size_t total) { progress(done, total); };
  const ReduceSummary s = reduce_4d(o);
  out << "reduce: " << o.input.path << " → " << o.output << "\n";
  if (o.region.enabled)
    out << "  region: " << s.patterns_read << " patterns summed → one profile";
  else
    out << "  " << s.out_ny << " × " << s.out_nx << " binned pixels (" << o.bin << " × " << o.bin << "), "
        << s.patterns_read << " patterns";
  out << "; " << s.n_s << " s bins, " << s.n_r << " r points\n";
  out << "  centre (" << std::fixed << std::setprecision(3) << s.centre.x << ", " << s.centre.y << ") px from "
      << s.centre_source << "; buffers " << std::setprecision(1) << static_cast<double>(s.buffer_bytes) / (1 << 20)
      << " MiB; " << std::setprecision(2) << s.seconds << " s\n";
  out.unsetf(std::ios::floatfield);
  if (s.n_failed) out << "  warning: the chain failed for " << s.n_failed << " binned pixels (NaN); first: "
                      << s.first_failure << "\n";
}

}  // namespace

void register_reduce(CLI::App& app, std::ostream& out) {
  auto args = std::make_shared<ReduceArgs>();
  CLI::App* sub = app.add_subcommand(
      "reduce",
      "Reduce 4D-STEM data: azimuthal integration → I(s) → φ(s) → G(r) per (binned) scan pixel, or\n"
      "area-averaged over a region; writes HDF5 cubes (s in Å⁻¹, r in Å, G in Å⁻²). Keys of CONFIG.toml:\n"
      "see examples/reduce_003.toml; every key can be overridden with --set table.key=value.");
  sub->add_option("config", args->config, "TOML configuration (examples/reduce_003.toml)");
  sub->add_option("--input", args->input, "input HDF5 file (input.file)");
  sub->add_option("--dataset", args->dataset, "4-D dataset (scan_y, scan_x, det_y, det_x) in the input (input.dataset)");
  sub->add_option("-o,--output", args->output, "output HDF5 file (output.file)");
  sub->add_option("--bin", args->bin, "n × n scan binning (scan.binning; 003: 2)");
  sub->add_option("--region", args->region, "area-averaged mode over scan rows/columns Y0,X0,NY,NX (region.*)");
  sub->add_option("--set", args->sets, "override a key: table.key=value (e.g. chain.damping=exp:1.0)");
  sub->add_flag("-q,--quiet", args->quiet, "no progress display");
  sub->callback([args, &out] { run_reduce(*args, out); });
}

}  // namespace sedpdf::cli
