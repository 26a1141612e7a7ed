// The configuration shared by the `sedpdf simulate` subcommands (see simulate_config.hpp).
#include "simulate_config.hpp"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <sstream>

#include <unistd.h>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf::cli {

namespace fs = std::filesystem;

namespace {
constexpr double kNm = 10.0;  // Å per nm

std::string fmt(double v) {
  std::ostringstream s;
  s.precision(10);
  s << v;
  return s.str();
}

int line_of(const toml::node* n) { return n ? static_cast<int>(n->source().begin.line) : 0; }

/// Flattens a table into "prefix.key" → text (arrays of tables get an index).
void flatten(const toml::table& t, const std::string& prefix, std::map<std::string, std::string>& out) {
  for (auto&& [k, v] : t) {
    const std::string key = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
    if (const toml::table* sub = v.as_table()) {
      flatten(*sub, key, out);
    } else if (const toml::array* a = v.as_array(); a && !a->empty() && a->front().is_table()) {
      for (size_t i = 0; i < a->size(); ++i) flatten(*(*a)[i].as_table(), key + "[" + std::to_string(i) + "]", out);
    } else {
      if (auto str = v.value<std::string>(); str && v.is_string()) {
        out[key] = *str;
      } else {
        std::ostringstream s;
        v.visit([&s](auto&& x) { s << x; });
        out[key] = s.str();
      }
    }
  }
}
}  // namespace

TomlSection::TomlSection(std::string file, const toml::table* table, std::string name)
    : file_(std::move(file)), name_(std::move(name)), t_(table) {}

void TomlSection::fail(const std::string& key, const std::string& what) const {
  const toml::node* n = (t_ && !key.empty()) ? t_->get(key) : nullptr;
  throw InputError(file_, line_of(n), key.empty() ? name_ : name_ + "." + key, what);
}

bool TomlSection::has(const std::string& key) const { return t_ && t_->get(key); }

double TomlSection::number(const std::string& key, double def) const {
  if (!has(key)) return def;
  auto v = t_->get(key)->value<double>();
  if (!v || !std::isfinite(*v)) fail(key, "must be a finite number");
  return *v;
}
double TomlSection::positive(const std::string& key, double def) const {
  const double v = number(key, def);
  if (has(key) && !(v > 0)) fail(key, "must be positive, got " + fmt(v));
  return v;
}
double TomlSection::non_negative(const std::string& key, double def) const {
  const double v = number(key, def);
  if (has(key) && !(v >= 0)) fail(key, "must be >= 0, got " + fmt(v));
  return v;
}
bool TomlSection::boolean(const std::string& key, bool def) const {
  if (!has(key)) return def;
  auto v = t_->get(key)->value<bool>();
  if (!v) fail(key, "must be true or false");
  return *v;
}
int64_t TomlSection::integer(const std::string& key, int64_t def) const {
  if (!has(key)) return def;
  auto v = t_->get(key)->value<int64_t>();
  if (!v) fail(key, "must be an integer");
  return *v;
}
std::string TomlSection::string(const std::string& key, const std::string& def) const {
  if (!has(key)) return def;
  auto v = t_->get(key)->value<std::string>();
  if (!v) fail(key, "must be a string");
  return *v;
}
std::vector<double> TomlSection::numbers(const std::string& key, size_t count, const std::vector<double>& def) const {
  if (!has(key)) return def;
  const toml::array* a = t_->get(key)->as_array();
  if (!a || (count && a->size() != count)) fail(key, "must be an array of " + std::to_string(count) + " numbers");
  std::vector<double> out;
  for (const toml::node& e : *a) {
    auto v = e.value<double>();
    if (!v || !std::isfinite(*v)) fail(key, "must hold finite numbers");
    out.push_back(*v);
  }
  return out;
}
std::vector<TomlSection> TomlSection::tables(const std::string& key) const {
  std::vector<TomlSection> out;
  if (!has(key)) return out;
  const std::string what = "must be an array of tables [[" + name_ + "." + key + "]]";
  const toml::array* a = t_->get(key)->as_array();
  if (!a) fail(key, what);
  for (const toml::node& e : *a) {
    if (!e.is_table()) fail(key, what);
    out.emplace_back(file_, e.as_table(), name_ + "." + key);
  }
  return out;
}

DamageModel read_damage_model(const TomlSection& t, const std::string& phase) {
  if (!t.has("critical_dose_e_per_A2")) t.fail("critical_dose_e_per_A2", "is required (e⁻/Å²)");
  DamageModel dm;
  dm.critical_dose = t.positive("critical_dose_e_per_A2", 0);
  dm.pair_sigma_A = t.non_negative("pair_sigma_A", 0);
  dm.r_intact_A = t.non_negative("r_intact_A", 2.5);
  dm.mass_loss = t.non_negative("mass_loss", 0);
  try {
    dm.check(phase);
  } catch (const std::invalid_argument& err) {
    t.fail("mass_loss", err.what());  // the only value the typed reads above let through
  }
  return dm;
}

void TomlSection::only(const std::vector<std::string>& allowed) const {
  if (!t_) return;
  for (auto&& [k, v] : *t_) {
    const std::string key(k.str());
    bool ok = false;
    for (const auto& a : allowed) ok |= key == a;
    if (!ok) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      throw InputError(file_, line_of(&v), name_.empty() ? key : name_ + "." + key,
                       "unknown key '" + key + "'" + (name_.empty() ? "" : " in [" + name_ + "]") + " (known: " + list + ")");
    }
  }
}

void read_fast_section(const TomlSection& f, FastModelParams& p, const std::vector<std::string>& extra) {
  std::vector<std::string> keys{"s_max_A-1", "ds_model_A-1", "pdf_r_max_A", "thermal_u_A2", "plural", "speckle",
                                "speckle_modes", "mean_inner_potential", "domain_envelope", "column_classes",
                                "column_class_A"};
  keys.insert(keys.end(), extra.begin(), extra.end());
  f.only(keys);
  p.s_max = f.positive("s_max_A-1", 6.0);
  p.ds_model = f.positive("ds_model_A-1", 0.0025);
  p.pdf_r_max = f.positive("pdf_r_max_A", 25.0);
  p.thermal_u_A2 = f.non_negative("thermal_u_A2", 0.0);
  p.plural = f.boolean("plural", true);
  p.speckle = f.boolean("speckle", true);
  p.speckle_modes = f.non_negative("speckle_modes", 0.0);
  p.mean_inner_potential = f.boolean("mean_inner_potential", true);
  p.domain_envelope = f.boolean("domain_envelope", true);
  p.column_classes = f.boolean("column_classes", false);
  p.column_class_A = f.positive("column_class_A", 20.0);
}

InelasticJoin read_inelastic_join(const TomlSection& t, const std::string& key) {
  const std::string join = t.string(key, "continuous");
  try {
    return parse_inelastic_join(join);
  } catch (const std::invalid_argument& e) {
    t.fail(key, e.what());
  }
}

IncoherentModel read_incoherent_model(const TomlSection& t) {
  const std::string model = t.string("incoherent_model", "hartree_fock");
  try {
    return parse_incoherent_model(model);
  } catch (const std::invalid_argument& e) {
    t.fail("incoherent_model", e.what());
  }
}

SimulateConfig load_simulate_config(const std::string& path, const std::vector<std::string>& own_sections,
                                    const std::vector<std::string>& other_sections) {
  SimulateConfig c;
  c.file = path;
  if (!fs::is_regular_file(path)) throw InputError(path, 0, "", "configuration file not found");
  {
    std::ifstream in(path);
    std::ostringstream s;
    s << in.rdbuf();
    c.text = s.str();
  }
  try {
    c.root = toml::parse(c.text, path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, static_cast<int>(e.source().begin.line), "", std::string(e.description()));
  }
  std::vector<std::string> allowed = {"specimen", "probe", "scan", "detector", "dose", "inelastic", "output"};
  for (const auto& s : own_sections) allowed.push_back(s);
  for (const auto& s : other_sections) allowed.push_back(s);
  const TomlSection root(path, &c.root, "");
  root.only(allowed);
  auto section = [&](const std::string& name) -> TomlSection {
    const toml::node* n = c.root.get(name);
    if (n && !n->is_table()) throw InputError(path, line_of(n), name, "must be a table [" + name + "]");
    return TomlSection(path, n ? n->as_table() : nullptr, name);
  };

  // [specimen]
  {
    const TomlSection t = section("specimen");
    if (!t.table()) throw InputError(path, 0, "specimen", "missing table [specimen] (file = \"specimen.toml\")");
    t.only({"file"});
    if (!t.has("file")) t.fail("file", "missing: the specimen configuration (sedpdf specimen build format)");
    const std::string raw = t.string("file", "");
    fs::path p(raw);
    if (p.is_relative()) {
      const fs::path beside = fs::path(path).parent_path() / p;
      p = fs::is_regular_file(beside) ? beside : fs::current_path() / p;
    }
    if (!fs::is_regular_file(p)) t.fail("file", "specimen file '" + raw + "' not found (looked beside the config and in the working directory)");
    c.specimen_file = p.lexically_normal().string();
    c.specimen = load_specimen_spec(c.specimen_file);
  }
  // [probe]
  {
    const TomlSection t = section("probe");
    t.only({"energy_keV", "alpha_mrad", "c10_A", "c30_mm", "source_size_A", "focal_spread_A"});
    c.probe.energy_keV = t.positive("energy_keV", 200);
    c.probe.alpha_mrad = t.positive("alpha_mrad", 0.6);
    c.probe.c10_A = t.number("c10_A", 0);
    c.probe.c30_mm = t.number("c30_mm", 0);
    c.probe.source_size_A = t.non_negative("source_size_A", 0);
    c.probe.focal_spread_A = t.non_negative("focal_spread_A", 0);
  }
  const double lambda = electron_wavelength(c.probe.energy_keV * 1e3);
  // [scan]
  {
    const TomlSection t = section("scan");
    t.only({"origin_nm", "step_nm", "size", "truth_probe_fwhm_nm"});
    const double step = t.positive("step_nm", 5.5);
    c.scan.step_A = step * kNm;
    const auto origin = t.numbers("origin_nm", 2, {step / 2, step / 2});
    c.scan.x0_A = origin[0] * kNm;
    c.scan.y0_A = origin[1] * kNm;
    if (t.has("size")) {
      const toml::array* a = t.table()->get("size")->as_array();
      if (!a || a->size() != 2) t.fail("size", "must be [nx, ny] (positive integers)");
      for (size_t k = 0; k < 2; ++k) {
        auto v = (*a)[k].value<int64_t>();
        if (!v || *v <= 0) t.fail("size", "must be [nx, ny] (positive integers)");
        (k == 0 ? c.scan.nx : c.scan.ny) = static_cast<size_t>(*v);
      }
    } else {
      c.scan.nx = static_cast<size_t>(std::max(1.0, std::floor((c.specimen.field_x - c.scan.x0_A) / c.scan.step_A) + 1));
      c.scan.ny = static_cast<size_t>(std::max(1.0, std::floor((c.specimen.field_y - c.scan.y0_A) / c.scan.step_A) + 1));
    }
    const double xe = c.scan.x(c.scan.nx - 1), ye = c.scan.y(c.scan.ny - 1);
    if (c.scan.x0_A < 0 || c.scan.y0_A < 0 || xe > c.specimen.field_x || ye > c.specimen.field_y)
      t.fail("", "the scan (" + fmt(c.scan.x0_A / kNm) + ".." + fmt(xe / kNm) + " × " + fmt(c.scan.y0_A / kNm) + ".." +
                     fmt(ye / kNm) + " nm) leaves the specimen field " + fmt(c.specimen.field_x / kNm) + " × " +
                     fmt(c.specimen.field_y / kNm) + " nm");
    // Default ground-truth footprint: the probe's Airy-disc intensity FWHM 1.029 λ/α (Born & Wolf 8.5.2),
    // source size added in quadrature.
    const double airy = 1.029 * lambda / (c.probe.alpha_mrad * 1e-3);
    c.truth_probe_fwhm_A = t.has("truth_probe_fwhm_nm") ? t.non_negative("truth_probe_fwhm_nm", 0) * kNm
                                                        : std::hypot(airy, c.probe.source_size_A);
  }
  // [detector]
  {
    const TomlSection t = section("detector");
    t.only({"layout", "size", "ds_per_pixel_A-1", "centre_px", "background_counts", "saturation_counts", "mtf_sigma_px",
            "counts"});
    DetectorSpec& d = c.detector;
    d.layout = t.string("layout", "quad_medipix3");
    if (d.layout != "quad_medipix3" && d.layout != "quad_medipix3_515" && d.layout != "single_256" && d.layout != "uniform")
      t.fail("layout", "unknown detector '" + d.layout + "' (known: quad_medipix3, quad_medipix3_515, single_256, uniform)");
    if (d.layout == "uniform") {
      const auto sz = t.numbers("size", 2, {});
      if (sz.empty()) t.fail("size", "layout \"uniform\" needs size = [ny, nx]");
      if (!(sz[0] >= 1 && sz[1] >= 1 && sz[0] == std::floor(sz[0]) && sz[1] == std::floor(sz[1])))
        t.fail("size", "must be two positive integers [ny, nx]");
      d.uniform_ny = static_cast<size_t>(sz[0]);
      d.uniform_nx = static_cast<size_t>(sz[1]);
    } else if (t.has("size")) {
      t.fail("size", "only layout \"uniform\" takes a size");
    }
    d.ds = t.positive("ds_per_pixel_A-1", d.layout == "single_256" ? 0.016 : 0.011);
    if (t.has("centre_px")) {
      const auto cc = t.numbers("centre_px", 2, {});
      d.centre_x_px = cc[0];
      d.centre_y_px = cc[1];
    }
    d.background = t.non_negative("background_counts", 0);
    d.saturation = t.non_negative("saturation_counts", 0);
    d.mtf_sigma_px = t.non_negative("mtf_sigma_px", 0);
    const std::string ct = t.string("counts", "uint16");
    if (ct == "uint16") d.count_type = CountType::UInt16;
    else if (ct == "uint32") d.count_type = CountType::UInt32;
    else t.fail("counts", "must be \"uint16\" or \"uint32\", got '" + ct + "'");
    d.step_A = c.scan.step_A;
  }
  // [dose]
  {
    const TomlSection t = section("dose");
    t.only({"dose_e_per_A2", "beam_current_pA", "dwell_ms"});
    DetectorSpec& d = c.detector;
    if (t.has("beam_current_pA")) {
      if (t.has("dose_e_per_A2")) t.fail("dose_e_per_A2", "give either dose_e_per_A2 or beam_current_pA (+ dwell_ms), not both");
      d.beam_current_pA = t.number("beam_current_pA", 0);
      if (!(d.beam_current_pA > 0)) t.fail("beam_current_pA", "must be positive, got " + fmt(d.beam_current_pA));
      d.dwell_s = t.number("dwell_ms", 1.0) * 1e-3;
      if (!(d.dwell_s > 0)) t.fail("dwell_ms", "must be positive, got " + fmt(d.dwell_s * 1e3));
    } else {
      d.dose_e_per_A2 = t.number("dose_e_per_A2", 10);
      if (!(d.dose_e_per_A2 > 0)) t.fail("dose_e_per_A2", "the dose must be positive, got " + fmt(d.dose_e_per_A2) + " e⁻/Å²");
    }
  }
  // [inelastic]
  {
    const TomlSection t = section("inelastic");
    t.only({"plasmon", "incoherent", "incoherent_model", "join", "cutoff_mrad", "collection_mrad", "phase"});
    c.inelastic.plasmon = t.boolean("plasmon", true);
    c.inelastic.incoherent = t.boolean("incoherent", true);
    c.inelastic.incoherent_model = read_incoherent_model(t);
    c.inelastic.join = read_inelastic_join(t, "join");
    c.inelastic.cutoff_mrad = t.non_negative("cutoff_mrad", 0);
    c.inelastic.collection_mrad = t.positive("collection_mrad", 100);
    c.inelastic.energy_eV = c.probe.energy_keV * 1e3;
    c.inelastic.convergence_mrad = c.probe.alpha_mrad;
    for (const TomlSection& p : t.tables("phase")) {
      p.only({"name", "plasmon_energy_eV", "plasmon_mfp_nm"});
      const std::string name = p.string("name", "");
      bool known = name == "carbon_film";
      for (const auto& ph : c.specimen.phases) known |= ph.name == name;
      if (!known) p.fail("name", "unknown phase '" + name + "' (the specimen's phases or carbon_film)");
      PhaseInelasticConfig pc;
      pc.plasmon_energy_eV = p.positive("plasmon_energy_eV", 0);
      pc.plasmon_mfp_A = p.positive("plasmon_mfp_nm", 0) * kNm;
      c.phase_inelastic[name] = pc;
    }
  }
  // [output]
  {
    const TomlSection t = section("output");
    t.only({"file", "seed", "deflate", "with_expected", "resume"});
    c.output = t.string("file", fs::path(path).stem().string() + ".h5");
    const int64_t seed = t.integer("seed", 1);
    if (seed < 0) t.fail("seed", "must be a non-negative integer");
    c.seed = static_cast<uint64_t>(seed);
    const int64_t dl = t.integer("deflate", 4);
    if (dl < 0 || dl > 9) t.fail("deflate", "must be 0..9");
    c.deflate = static_cast<int>(dl);
    c.with_expected = t.boolean("with_expected", true);
    c.resume = t.boolean("resume", true);
  }
  // Validate the detector and the specimen now, so bad input fails before any work.
  try {
    DetectorModel check(c.detector, lambda);
  } catch (const std::invalid_argument& e) {
    throw InputError(path, 0, "detector", e.what());
  }
  flatten(c.root, "", c.parameters);
  c.parameters["config_file"] = path;
  c.parameters["specimen.file_resolved"] = c.specimen_file;
  return c;
}

ScanProgressCallback scan_progress_printer(std::ostream& out, bool quiet) {
  const bool tty = !quiet && &out == &std::cout && isatty(STDOUT_FILENO);
  if (!tty) return {};
  return [&out](const ScanProgress& p) {
    out << "\r  " << p.done << "/" << p.total << " positions, " << std::setprecision(3) << p.rate_per_s << " /s, ETA "
        << std::fixed << std::setprecision(0) << p.eta_s << " s   " << std::defaultfloat << std::setprecision(6)
        << std::flush;
    if (p.done == p.total) out << "\n";
  };
}

}  // namespace sedpdf::cli
