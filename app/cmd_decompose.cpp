// `sedpdf decompose CONFIG.toml` — unmixing of a reduced cube (per scan position G(r), φ(s) or I(s)) by
// PCA, PCA + FastICA or NMF into component signals and loading maps (docs/unmixing.md; file layouts in
// docs/formats.md). The TOML config names the input, output and every parameter; unknown keys are
// errors naming the key and the file.
#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <sstream>
#include <string>

#include "commands.hpp"
#include "sedpdf/reduce/decompose.hpp"
#include "sedpdf/reduce/particle_mask.hpp"
#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;

/// Typed access to one TOML table that remembers which keys were read, so the rest can be reported as
/// unknown. Errors are InputError(config file, line, key, message).
class TableReader {
 public:
  TableReader(const toml::table& t, std::string file, std::string prefix)
      : t_(t), file_(std::move(file)), prefix_(std::move(prefix)) {}

  const toml::node* node(const std::string& key) {
    known_.insert(key);
    return t_.get(key);
  }
  size_t line(const toml::node* n) const { return n ? n->source().begin.line : 0; }
  [[noreturn]] void fail(const toml::node* n, const std::string& key, const std::string& what) const {
    throw InputError(file_, line(n), prefix_ + key, what);
  }

  std::optional<std::string> string(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (auto v = n->value<std::string>(); v && n->is_string()) return *v;
    fail(n, key, "must be a string");
  }
  std::optional<double> number(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (n->is_floating_point() || n->is_integer()) return n->value<double>();
    fail(n, key, "must be a number");
  }
  std::optional<int64_t> integer(const std::string& key, int64_t lo, int64_t hi) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_integer()) fail(n, key, "must be an integer");
    const int64_t v = *n->value<int64_t>();
    if (v < lo || v > hi)
      fail(n, key, "must be in " + std::to_string(lo) + " .. " + std::to_string(hi) + ", got " + std::to_string(v));
    return v;
  }
  std::optional<bool> boolean(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return std::nullopt;
    if (!n->is_boolean()) fail(n, key, "must be true or false");
    return n->value<bool>();
  }
  /// A string key parsed by `parse` (a library parse_* function throwing std::invalid_argument).
  template <class Parse>
  auto choice(const std::string& key, Parse parse) -> std::optional<decltype(parse(std::string()))> {
    const std::optional<std::string> s = string(key);
    if (!s) return std::nullopt;
    try {
      return parse(*s);
    } catch (const std::invalid_argument& e) {
      fail(t_.get(key), key, e.what());
    }
  }
  const toml::table* table(const std::string& key) {
    const toml::node* n = node(key);
    if (!n) return nullptr;
    if (!n->is_table()) fail(n, key, "must be a table [" + key + "]");
    return n->as_table();
  }
  /// Every key not read is an error naming it.
  void reject_unknown() const {
    for (const auto& [k, v] : t_) {
      const std::string key(k.str());
      if (!known_.count(key)) {
        std::string list;
        for (const std::string& s : known_) list += (list.empty() ? "" : ", ") + s;
        throw InputError(file_, v.source().begin.line, prefix_ + key, "unknown key (known here: " + list + ")");
      }
    }
  }

 private:
  const toml::table& t_;
  std::string file_, prefix_;
  std::set<std::string> known_;
};

struct DecomposeConfig {
  std::string config, input, output;
  CubeSelection selection;
  DecomposeOptions options;
  /// specimen_mask = "vadf": decompose only the positions above a VADF threshold (reduce/particle_mask.hpp).
  bool vadf_mask = false;
  std::string vadf_dataset = "/reduced/vadf";
  ParticleMaskOptions vadf;
};

std::string resolve(const std::string& config, const std::string& p) {
  const fs::path path(p);
  if (path.is_absolute()) return p;
  return (fs::path(config).parent_path() / path).lexically_normal().string();
}

DecomposeConfig read_config(const std::string& file) {
  toml::table root;
  try {
    root = toml::parse_file(file);
  } catch (const toml::parse_error& e) {
    throw InputError(file, e.source().begin.line, "", std::string("TOML syntax: ") + std::string(e.description()));
  }
  DecomposeConfig c;
  c.config = file;
  DecomposeOptions& o = c.options;
  TableReader top(root, file, "");
  const auto input = top.string("input");
  if (!input) throw InputError(file, 0, "input", "required: the HDF5 file with the reduced cube");
  c.input = resolve(file, *input);
  const auto output = top.string("output");
  if (!output) throw InputError(file, 0, "output", "required: the HDF5 file to write (.h5)");
  c.output = resolve(file, *output);
  if (auto v = top.string("dataset")) c.selection.dataset = *v;
  if (auto v = top.string("abscissa")) c.selection.abscissa = *v;
  if (auto v = top.number("abscissa_min")) c.selection.abscissa_min = *v;
  if (auto v = top.number("abscissa_max")) c.selection.abscissa_max = *v;
  if (c.selection.abscissa_min >= c.selection.abscissa_max)
    top.fail(root.get("abscissa_min"), "abscissa_min", "must be below abscissa_max");
  if (auto v = top.string("mask")) c.selection.mask = *v;
  if (auto v = top.string("exclude")) c.selection.exclude = *v;
  if (auto v = top.string("specimen_mask")) {
    if (*v != "vadf") top.fail(root.get("specimen_mask"), "specimen_mask", "unknown mask '" + *v + "' (vadf)");
    c.vadf_mask = true;
  }
  if (auto v = top.string("vadf")) c.vadf_dataset = *v;
  if (auto v = top.number("vadf_threshold")) {
    if (!(*v >= 0) || !std::isfinite(*v)) top.fail(root.get("vadf_threshold"), "vadf_threshold", "must be a finite VADF fraction >= 0");
    c.vadf.threshold = *v;
  }
  if (auto v = top.number("vadf_film_sigmas")) {
    if (!(*v > 0) || !std::isfinite(*v)) top.fail(root.get("vadf_film_sigmas"), "vadf_film_sigmas", "must be > 0");
    c.vadf.film_sigmas = *v;
  }
  for (const char* k : {"vadf", "vadf_threshold", "vadf_film_sigmas"})
    if (!c.vadf_mask && root.get(k)) top.fail(root.get(k), k, "applies to specimen_mask = \"vadf\" only");
  if (auto v = top.choice("method", parse_decomposition_method)) o.method = *v;
  if (const toml::node* n = top.node("n_components")) {
    if (n->is_string() && *n->value<std::string>() == "auto") o.n_components = 0;
    else if (n->is_integer() && *n->value<int64_t>() >= 1 && *n->value<int64_t>() <= 100000)
      o.n_components = static_cast<int>(*n->value<int64_t>());
    else top.fail(n, "n_components", "must be \"auto\" or an integer >= 1");
  }
  if (auto v = top.integer("seed", 0, std::numeric_limits<int64_t>::max())) o.seed = static_cast<uint64_t>(*v);
  if (auto v = top.integer("threads", 0, 4096)) o.threads = static_cast<int>(*v);

  if (const toml::table* t = top.table("pca")) {
    TableReader r(*t, file, "pca.");
    PcaOptions& p = o.pca;
    if (auto v = r.boolean("center")) p.center = *v;
    if (auto v = r.boolean("poisson")) p.poisson = *v;
    if (auto v = r.choice("solver", parse_svd_solver)) p.solver = *v;
    if (auto v = r.integer("oversampling", 0, 10000)) p.oversampling = static_cast<int>(*v);
    if (auto v = r.integer("power_iterations", 0, 100)) p.power_iterations = static_cast<int>(*v);
    if (auto v = r.integer("max_components", 1, 10000)) p.max_components = static_cast<int>(*v);
    if (auto v = r.choice("criterion", parse_count_criterion)) p.criterion = *v;
    if (auto v = r.number("tw_quantile")) p.tw_quantile = *v;
    if (auto v = r.integer("pa_trials", 0, 10000)) p.pa_trials = static_cast<int>(*v);
    if (auto v = r.number("pa_quantile")) {
      if (!(*v > 0 && *v < 1)) r.fail(t->get("pa_quantile"), "pa_quantile", "must be in (0, 1)");
      p.pa_quantile = *v;
    }
    r.reject_unknown();
  }
  if (const toml::table* t = top.table("ica")) {
    TableReader r(*t, file, "ica.");
    FastIcaSettings& f = o.fastica;
    if (auto v = r.choice("nonlinearity", parse_ica_nonlinearity)) f.nonlinearity = *v;
    if (auto v = r.number("alpha")) {
      if (!(*v >= 1 && *v <= 2)) r.fail(t->get("alpha"), "alpha", "must be in [1, 2] (logcosh, Hyvärinen 1999)");
      f.alpha = *v;
    }
    if (auto v = r.choice("algorithm", parse_ica_algorithm)) f.algorithm = *v;
    if (auto v = r.integer("max_iter", 1, 100000000)) f.max_iter = static_cast<int>(*v);
    if (auto v = r.number("tol")) {
      if (!(*v > 0)) r.fail(t->get("tol"), "tol", "must be > 0");
      f.tol = *v;
    }
    if (auto v = r.choice("domain", parse_ica_domain)) o.ica_domain = *v;
    r.reject_unknown();
  }
  if (const toml::table* t = top.table("vca")) {
    TableReader r(*t, file, "vca.");
    if (auto v = r.number("extreme_fraction")) {
      if (!(*v >= 0 && *v <= 0.5)) r.fail(t->get("extreme_fraction"), "extreme_fraction", "must be in [0, 0.5]");
      o.vca_extreme_fraction = *v;
    }
    r.reject_unknown();
  }
  if (const toml::table* t = top.table("nmf")) {
    TableReader r(*t, file, "nmf.");
    if (auto v = r.choice("solver", parse_nmf_solver)) o.nmf_solver = *v;
    if (auto v = r.choice("init", parse_nmf_init)) o.nmf_init = *v;
    if (auto v = r.integer("max_iter", 1, 100000000)) o.nmf_max_iter = static_cast<int>(*v);
    if (auto v = r.number("tol")) {
      if (!(*v > 0)) r.fail(t->get("tol"), "tol", "must be > 0");
      o.nmf_tol = *v;
    }
    r.reject_unknown();
  }
  top.reject_unknown();
  return c;
}

std::string fmt(double v, int digits = 4) {
  std::ostringstream o;
  o << std::setprecision(digits) << v;
  return o.str();
}

void run_decompose(const std::string& config, std::ostream& out) {
  const DecomposeConfig c = read_config(config);
  SignalCube cube = read_signal_cube(c.input, c.selection);
  std::string mask_note = "none";
  if (c.vadf_mask) {
    // The specimen's positions from the data alone (reduce/particle_mask.hpp), among those selected above.
    std::vector<double> vadf;
    try {
      H5Reader h(c.input);
      if (!h.exists(c.vadf_dataset)) throw std::invalid_argument("no dataset " + c.vadf_dataset);
      vadf = h.read(c.vadf_dataset);
    } catch (const std::exception& e) {
      throw InputError(c.input, 0, "vadf", e.what());
    }
    if (vadf.size() != cube.ny * cube.nx)
      throw InputError(c.input, 0, "vadf", c.vadf_dataset + " has " + std::to_string(vadf.size()) + " values for a " +
                                               std::to_string(cube.ny) + " × " + std::to_string(cube.nx) + " scan");
    ParticleMask pm;
    try {
      pm = vadf_particle_mask(vadf, cube.used, c.vadf);
      keep_pixels(cube, pm.inside);
    } catch (const std::invalid_argument& e) {
      throw InputError(c.config, 0, "specimen_mask", std::string(e.what()) + " (" + c.vadf_dataset + " of " + c.input + ")");
    }
    mask_note = "VADF > " + fmt(pm.threshold) +
                (pm.automatic ? " (bare-film level " + fmt(pm.film_level) + " + " + fmt(c.vadf.film_sigmas) + " × σ " +
                                    fmt(pm.film_sigma, 3) + "; Otsu split " + fmt(pm.otsu) + ")"
                              : " (given)") +
                ": " + std::to_string(pm.n_inside) + " positions";
    out << "specimen mask: " << mask_note << "\n";
  }
  const std::string ax = c.selection.abscissa.substr(c.selection.abscissa.rfind('/') + 1);
  out << "decompose: " << c.input << " " << c.selection.dataset << ": " << cube.pixel.size() << " of "
      << cube.ny * cube.nx << " scan positions × " << cube.abscissa.size() << " points (" << ax << " "
      << fmt(cube.abscissa.front()) << " … " << fmt(cube.abscissa.back()) << " " << cube.abscissa_units << ")\n";
  const Decomposition d = decompose(cube, c.options);
  const PcaResult& P = d.pca;
  out << "PCA (" << P.solver << (P.centered ? ", centred" : "") << (P.poisson ? ", Poisson-scaled" : "")
      << "): leading singular values";
  for (Eigen::Index i = 0; i < std::min<Eigen::Index>(P.singular_values.size(), 8); ++i)
    out << " " << fmt(P.singular_values(i));
  out << "\ncomponents: " << d.components.rows() << " — " << P.count.reason << "\n";
  std::vector<std::string> warnings;
  if (P.count.automatic && !P.count.criteria_agree)
    warnings.push_back("the component-count criteria disagree (Marchenko–Pastur " + std::to_string(P.count.mp_count) +
                       ", parallel analysis " + std::to_string(P.count.pa_count) + "); check the scree in the output");
  if (d.method == DecompositionMethod::Ica) {
    out << "ICA (" << ica_algorithm_name(c.options.fastica.algorithm) << ", "
        << ica_nonlinearity_name(c.options.fastica.nonlinearity) << ", " << ica_domain_name(c.options.ica_domain)
        << "): " << (d.converged ? "converged" : "NOT converged") << " after " << d.iterations
        << " iterations, final change " << fmt(d.final_change, 3) << "\n";
  } else if (d.method == DecompositionMethod::Nmf) {
    out << "NMF (" << nmf_solver_name(c.options.nmf_solver) << ", " << nmf_init_name(c.options.nmf_init)
        << "): " << (d.converged ? "converged" : "NOT converged") << " after " << d.iterations
        << " iterations, relative error " << fmt(d.relative_error, 3) << "\n";
  }
  if (!d.converged) warnings.push_back(d.message);
  for (const std::string& w : warnings) out << "warning: " << w << "\n";
  std::string all_warnings;
  for (const std::string& w : warnings) all_warnings += (all_warnings.empty() ? "" : " | ") + w;
  write_decomposition(c.output, cube, d, c.options,
                      {{"config_file", c.config}, {"warnings", all_warnings.empty() ? "none" : all_warnings},
                       {"specimen_mask", mask_note}});
  out << "wrote " << c.output << " (/decomposition: components (" << d.components.rows() << ", "
      << d.components.cols() << "), loadings (" << d.components.rows() << ", " << cube.ny << ", " << cube.nx
      << "))\n";
}

}  // namespace

void register_decompose(CLI::App& app, std::ostream& out) {
  auto config = std::make_shared<std::string>();
  auto* c = app.add_subcommand(
      "decompose",
      "Unmix a reduced cube (per scan position G(r), φ(s) or I(s); HDF5, see docs/formats.md) by PCA, PCA + "
      "FastICA or NMF into component signals and loading maps, with an automatic component count "
      "(Marchenko–Pastur edge, cross-checked by parallel analysis). Everything is set in a TOML config "
      "(keys and units: docs/unmixing.md); relative paths in it are relative to the config file.");
  c->add_option("config", *config, "TOML config (input, output, method = pca|ica|nmf|vca, n_components, seed, ...)")
      ->required();
  c->callback([config, &out]() { run_decompose(*config, out); });
}

}  // namespace sedpdf::cli
