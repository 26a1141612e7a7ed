// `sedpdf specimen build SPECIMEN.toml` — a composite specimen (field, thickness profile, phase geometry,
// support film) whose atoms are generated on demand: writes its ground truth (per scan position phase
// thicknesses and fractions, field rasters) to HDF5, a summary, and optionally the atoms of a small region.
// Keys and the file layout: docs/specimens.md; an example: examples/specimen_nanoscale2022.toml.
#include <CLI/CLI.hpp>
#include <toml++/toml.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <ostream>
#include <set>
#include <sstream>

#include "commands.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/structures/specimen.hpp"
#include "sedpdf/structures/specimen_truth.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;
constexpr double kNm = 10.0;  // Å per nm

/// Typed access to a TOML file with errors that name the file, line and key.
class Toml {
 public:
  explicit Toml(std::string file) : file_(std::move(file)) {}
  const std::string& file() const { return file_; }

  [[noreturn]] void fail(const toml::node* n, const std::string& key, const std::string& what) const {
    throw InputError(file_, n ? n->source().begin.line : 0, key, what);
  }
  /// Every key of `t` must be in `allowed`.
  void only(const toml::table& t, const std::string& where, std::initializer_list<const char*> allowed) const {
    for (auto&& [k, v] : t) {
      const std::string key(k.str());
      bool ok = false;
      for (const char* a : allowed) ok |= key == a;
      if (!ok) {
        std::string list;
        for (const char* a : allowed) list += std::string(list.empty() ? "" : ", ") + a;
        fail(&v, where.empty() ? key : where + "." + key,
             "unknown key '" + key + "'" + (where.empty() ? "" : " in [" + where + "]") + " (known: " + list + ")");
      }
    }
  }
  const toml::table* table(const toml::table& t, const std::string& key, const std::string& where, bool required) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(nullptr, where, "missing table [" + where + "]");
      return nullptr;
    }
    if (!n->is_table()) fail(n, where, "must be a table");
    return n->as_table();
  }
  double number(const toml::table& t, const std::string& key, const std::string& where, bool required,
                double def = 0) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(nullptr, where + key, "missing (a number)");
      return def;
    }
    auto v = n->value<double>();
    if (!v || !std::isfinite(*v)) fail(n, where + key, "must be a finite number");
    return *v;
  }
  double positive(const toml::table& t, const std::string& key, const std::string& where, bool required,
                  double def = 0) const {
    const double v = number(t, key, where, required, def);
    if (t.get(key) && !(v > 0)) fail(t.get(key), where + key, "must be positive, got " + fmt(v));
    return v;
  }
  double non_negative(const toml::table& t, const std::string& key, const std::string& where, bool required,
                      double def = 0) const {
    const double v = number(t, key, where, required, def);
    if (t.get(key) && !(v >= 0)) fail(t.get(key), where + key, "must be >= 0, got " + fmt(v));
    return v;
  }
  std::string string(const toml::table& t, const std::string& key, const std::string& where, bool required,
                     const std::string& def = "") const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(nullptr, where + key, "missing (a string)");
      return def;
    }
    auto v = n->value<std::string>();
    if (!v) fail(n, where + key, "must be a string");
    return *v;
  }
  std::vector<double> numbers(const toml::table& t, const std::string& key, const std::string& where, bool required,
                              size_t count, std::vector<double> def = {}) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(nullptr, where + key, "missing (an array of " + std::to_string(count) + " numbers)");
      return def;
    }
    const toml::array* a = n->as_array();
    if (!a || (count && a->size() != count))
      fail(n, where + key, "must be an array of " + std::to_string(count) + " numbers");
    std::vector<double> out;
    for (const toml::node& e : *a) {
      auto v = e.value<double>();
      if (!v || !std::isfinite(*v)) fail(n, where + key, "must hold finite numbers");
      out.push_back(*v);
    }
    return out;
  }
  std::vector<std::string> strings(const toml::table& t, const std::string& key, const std::string& where,
                                   bool required) const {
    const toml::node* n = t.get(key);
    if (!n) {
      if (required) fail(nullptr, where + key, "missing (an array of strings)");
      return {};
    }
    const toml::array* a = n->as_array();
    if (!a) fail(n, where + key, "must be an array of strings");
    std::vector<std::string> out;
    for (const toml::node& e : *a) {
      auto v = e.value<std::string>();
      if (!v) fail(n, where + key, "must hold strings");
      out.push_back(*v);
    }
    return out;
  }
  /// Array of tables (or none).
  std::vector<const toml::table*> tables(const toml::table& t, const std::string& key, const std::string& where) const {
    std::vector<const toml::table*> out;
    const toml::node* n = t.get(key);
    if (!n) return out;
    const toml::array* a = n->as_array();
    if (!a) fail(n, where, "must be an array of tables [[" + where + "]]");
    for (const toml::node& e : *a) {
      if (!e.is_table()) fail(&e, where, "must be an array of tables [[" + where + "]]");
      out.push_back(e.as_table());
    }
    return out;
  }
  static std::string fmt(double v) {
    std::ostringstream s;
    s << v;
    return s.str();
  }

 private:
  std::string file_;
};

struct ScanConfig {
  ScanGrid grid;
  double probe_fwhm = 0;  // Å
};

struct SpecimenConfig {
  SpecimenSpec spec;
  std::vector<std::string> model_paths;
  ScanConfig scan;
  double map_step = 10;  // Å
};

std::string resolve_model(const Toml& cfg, const toml::table& t, const std::string& key, const std::string& where) {
  const std::string raw = cfg.string(t, key, where, true);
  const fs::path p(raw);
  std::vector<fs::path> tried;
  if (p.is_absolute()) {
    tried.push_back(p);
  } else {
    tried.push_back(fs::path(cfg.file()).parent_path() / p);  // beside the config first
    tried.push_back(fs::current_path() / p);                  // then the working directory
  }
  for (const fs::path& c : tried)
    if (fs::is_regular_file(c)) return c.lexically_normal().string();
  std::string list;
  for (const fs::path& c : tried) list += (list.empty() ? "" : " or ") + c.lexically_normal().string();
  cfg.fail(t.get(key), where + key, "model file '" + raw + "' not found (looked for " + list + ")");
}

int phase_ref(const Toml& cfg, const toml::table& t, const std::string& key, const std::string& where,
              const std::string& name, const std::vector<PhaseModelSpec>& phases) {
  for (size_t p = 0; p < phases.size(); ++p)
    if (phases[p].name == name) return static_cast<int>(p);
  std::string list;
  for (const auto& ph : phases) list += (list.empty() ? "" : ", ") + ph.name;
  cfg.fail(t.get(key), where + key, "unknown phase '" + name + "' (defined: " + list + ")");
}

SpecimenConfig parse_config(const Toml& cfg, const toml::table& root) {
  SpecimenConfig c;
  SpecimenSpec& s = c.spec;
  cfg.only(root, "", {"seed", "field_nm", "phase", "thickness", "phases", "film", "overlap", "tiles", "scan", "maps"});
  if (const toml::node* n = root.get("seed")) {
    auto v = n->value<int64_t>();
    if (!v || *v < 0) cfg.fail(n, "seed", "must be a non-negative integer");
    s.seed = static_cast<uint64_t>(*v);
  }
  const std::vector<double> field = cfg.numbers(root, "field_nm", "", true, 2);
  for (int k = 0; k < 2; ++k)
    if (!(field[static_cast<size_t>(k)] > 0)) cfg.fail(root.get("field_nm"), "field_nm", "sizes must be positive (nm)");
  s.field_x = field[0] * kNm;
  s.field_y = field[1] * kNm;

  // Phases and their models.
  const auto phases = cfg.tables(root, "phase", "phase");
  if (phases.empty()) cfg.fail(nullptr, "phase", "at least one [[phase]] (name, model) is needed");
  for (const toml::table* t : phases) {
    cfg.only(*t, "phase", {"name", "model", "tile_nm"});
    PhaseModelSpec ph;
    ph.name = cfg.string(*t, "name", "phase.", true);
    for (const PhaseModelSpec& q : s.phases)
      if (q.name == ph.name) cfg.fail(t->get("name"), "phase.name", "phase '" + ph.name + "' defined twice");
    if (ph.name == "carbon_film") cfg.fail(t->get("name"), "phase.name", "'carbon_film' is reserved for the film");
    const std::string path = resolve_model(cfg, *t, "model", "phase.");
    try {
      ph.model = read_structure(path);
    } catch (const InputError& e) {
      throw InputError(cfg.file(), t->get("model")->source().begin.line, "phase.model",
                       "phase '" + ph.name + "': " + e.what());
    }
    if (!ph.model.cell.fully_periodic())
      cfg.fail(t->get("model"), "phase.model", "phase '" + ph.name + "': model " + path + " is not fully periodic");
    ph.tile_size = cfg.non_negative(*t, "tile_nm", "phase.", false, 0.0) * kNm;
    c.model_paths.push_back(path);
    s.phases.push_back(std::move(ph));
  }

  // Thickness.
  {
    const toml::table& t = *cfg.table(root, "thickness", "thickness", true);
    const std::string kind = cfg.string(t, "kind", "thickness.", true);
    if (kind == "slab") {
      cfg.only(t, "thickness", {"kind", "thickness_nm"});
      s.thickness.kind = ThicknessGeometry::Kind::Slab;
      s.thickness.thickness = cfg.positive(t, "thickness_nm", "thickness.", true) * kNm;
    } else if (kind == "wedge") {
      cfg.only(t, "thickness", {"kind", "thickness_min_nm", "thickness_max_nm", "angle_deg"});
      s.thickness.kind = ThicknessGeometry::Kind::Wedge;
      s.thickness.thickness_min = cfg.non_negative(t, "thickness_min_nm", "thickness.", true) * kNm;
      s.thickness.thickness_max = cfg.positive(t, "thickness_max_nm", "thickness.", true) * kNm;
      s.thickness.angle_deg = cfg.number(t, "angle_deg", "thickness.", false, 0.0);
    } else if (kind == "particles") {
      cfg.only(t, "thickness", {"kind", "particle"});
      s.thickness.kind = ThicknessGeometry::Kind::Particles;
      const auto parts = cfg.tables(t, "particle", "thickness.particle");
      if (parts.empty()) cfg.fail(&t, "thickness.particle", "kind = \"particles\" needs [[thickness.particle]] tables");
      for (const toml::table* p : parts) {
        cfg.only(*p, "thickness.particle", {"centre_nm", "semi_axes_nm", "angle_deg", "thickness_nm"});
        const std::string w = "thickness.particle.";
        const auto ctr = cfg.numbers(*p, "centre_nm", w, true, 2);
        const auto ax = cfg.numbers(*p, "semi_axes_nm", w, true, 2);
        if (!(ax[0] > 0 && ax[1] > 0)) cfg.fail(p->get("semi_axes_nm"), w + "semi_axes_nm", "must be positive (nm)");
        EllipsoidParticle e;
        e.x = ctr[0] * kNm;
        e.y = ctr[1] * kNm;
        if (!(e.x >= 0 && e.x <= s.field_x && e.y >= 0 && e.y <= s.field_y))
          cfg.fail(p->get("centre_nm"), w + "centre_nm",
                   "centre (" + Toml::fmt(ctr[0]) + ", " + Toml::fmt(ctr[1]) + ") nm lies outside the field");
        e.semi_a = ax[0] * kNm;
        e.semi_b = ax[1] * kNm;
        e.angle_deg = cfg.number(*p, "angle_deg", w, false, 0.0);
        e.thickness = cfg.positive(*p, "thickness_nm", w, true) * kNm;
        s.thickness.particles.push_back(e);
      }
    } else {
      cfg.fail(t.get("kind"), "thickness.kind", "unknown kind '" + kind + "' (slab, wedge, particles)");
    }
  }

  // Phase geometry.
  {
    const toml::table* tp = cfg.table(root, "phases", "phases", false);
    PhaseGeometry& g = s.geometry;
    const std::string w = "phases.";
    if (!tp) {
      if (s.phases.size() != 1)
        cfg.fail(nullptr, "phases", "missing table [phases] (needed with more than one phase)");
      g.kind = PhaseGeometry::Kind::Uniform;
      g.phase = 0;
    } else {
      const toml::table& t = *tp;
      const std::string kind = cfg.string(t, "kind", w, true);
      if (kind == "uniform") {
        cfg.only(t, "phases", {"kind", "phase", "inclusion"});
        g.kind = PhaseGeometry::Kind::Uniform;
        g.phase = phase_ref(cfg, t, "phase", w, cfg.string(t, "phase", w, true), s.phases);
      } else if (kind == "half_spaces") {
        cfg.only(t, "phases", {"kind", "phases", "point_nm", "normal_angle_deg", "inclination_deg", "width_nm",
                               "graded_cell_nm", "inclusion"});
        g.kind = PhaseGeometry::Kind::HalfSpaces;
        const auto names = cfg.strings(t, "phases", w, true);
        if (names.size() != 2) cfg.fail(t.get("phases"), w + "phases", "half_spaces needs two phases [first, second]");
        g.first = phase_ref(cfg, t, "phases", w, names[0], s.phases);
        g.second = phase_ref(cfg, t, "phases", w, names[1], s.phases);
        const auto pt = cfg.numbers(t, "point_nm", w, true, 2);
        g.x = pt[0] * kNm;
        g.y = pt[1] * kNm;
        if (!(g.x >= 0 && g.x <= s.field_x && g.y >= 0 && g.y <= s.field_y))
          cfg.fail(t.get("point_nm"), w + "point_nm",
                   "point (" + Toml::fmt(pt[0]) + ", " + Toml::fmt(pt[1]) + ") nm lies outside the field");
        g.normal_angle_deg = cfg.number(t, "normal_angle_deg", w, false, 0.0);
        g.inclination_deg = cfg.number(t, "inclination_deg", w, false, 0.0);
        g.width = cfg.non_negative(t, "width_nm", w, false, 0.0) * kNm;
        g.graded_cell = cfg.positive(t, "graded_cell_nm", w, false, 1.0) * kNm;
      } else if (kind == "voronoi") {
        cfg.only(t, "phases", {"kind", "phases", "mean_size_nm", "fractions", "inclusion"});
        g.kind = PhaseGeometry::Kind::Voronoi;
        for (const std::string& n : cfg.strings(t, "phases", w, true))
          g.voronoi_phases.push_back(phase_ref(cfg, t, "phases", w, n, s.phases));
        g.mean_size = cfg.positive(t, "mean_size_nm", w, true) * kNm;
        g.voronoi_fractions = cfg.numbers(t, "fractions", w, false, g.voronoi_phases.size());
        for (double f : g.voronoi_fractions)
          if (!(f >= 0)) cfg.fail(t.get("fractions"), w + "fractions", "must be >= 0");
      } else {
        cfg.fail(t.get("kind"), "phases.kind", "unknown kind '" + kind + "' (uniform, half_spaces, voronoi)");
      }
      for (const toml::table* it : cfg.tables(t, "inclusion", "phases.inclusion")) {
        const std::string wi = "phases.inclusion.";
        cfg.only(*it, "phases.inclusion", {"phase", "centre_nm", "radius_nm", "shape", "z_nm"});
        Inclusion inc;
        inc.phase = phase_ref(cfg, *it, "phase", wi, cfg.string(*it, "phase", wi, true), s.phases);
        const auto ctr = cfg.numbers(*it, "centre_nm", wi, true, 2);
        inc.x = ctr[0] * kNm;
        inc.y = ctr[1] * kNm;
        if (!(inc.x >= 0 && inc.x <= s.field_x && inc.y >= 0 && inc.y <= s.field_y))
          cfg.fail(it->get("centre_nm"), wi + "centre_nm",
                   "centre (" + Toml::fmt(ctr[0]) + ", " + Toml::fmt(ctr[1]) + ") nm lies outside the field");
        inc.radius = cfg.positive(*it, "radius_nm", wi, true) * kNm;
        const std::string shape = cfg.string(*it, "shape", wi, false, "cylinder");
        if (shape == "cylinder") {
          inc.shape = Inclusion::Shape::Cylinder;
          if (it->get("z_nm")) cfg.fail(it->get("z_nm"), wi + "z_nm", "only a sphere has a centre height");
        } else if (shape == "sphere") {
          inc.shape = Inclusion::Shape::Sphere;
          inc.z = it->get("z_nm") ? cfg.non_negative(*it, "z_nm", wi, false) * kNm : -1.0;
        } else {
          cfg.fail(it->get("shape"), wi + "shape", "unknown shape '" + shape + "' (cylinder, sphere)");
        }
        g.inclusions.push_back(inc);
      }
    }
  }

  // Film.
  if (const toml::table* t = cfg.table(root, "film", "film", false)) {
    cfg.only(*t, "film", {"thickness_nm", "density_g_cm3", "box_nm", "min_distance_A"});
    s.film.thickness = cfg.non_negative(*t, "thickness_nm", "film.", true) * kNm;
    s.film.density_g_cm3 = cfg.positive(*t, "density_g_cm3", "film.", false, 2.0);
    s.film.box = cfg.positive(*t, "box_nm", "film.", false, 2.5) * kNm;
    s.film.min_distance = cfg.positive(*t, "min_distance_A", "film.", false, 1.4);
  }
  // Overlap rule.
  if (const toml::table* t = cfg.table(root, "overlap", "overlap", false)) {
    cfg.only(*t, "overlap", {"covalent_scale", "heavy_floor_A", "hydrogen_floor_A", "pairs_A"});
    s.overlap.covalent_scale = cfg.non_negative(*t, "covalent_scale", "overlap.", false, 0.85);
    s.overlap.heavy_floor = cfg.non_negative(*t, "heavy_floor_A", "overlap.", false, 1.6);
    s.overlap.hydrogen_floor = cfg.non_negative(*t, "hydrogen_floor_A", "overlap.", false, 1.1);
    if (const toml::table* pt = cfg.table(*t, "pairs_A", "overlap.pairs_A", false))
      for (auto&& [k, v] : *pt) {
        const std::string key(k.str());
        const auto dash = key.find('-');
        auto d = v.value<double>();
        if (dash == std::string::npos || !d || !(*d >= 0))
          cfg.fail(&v, "overlap.pairs_A." + key, "expected \"A-B\" = distance in Å (>= 0)");
        try {
          s.overlap.set(Element::parse(key.substr(0, dash)), Element::parse(key.substr(dash + 1)), *d);
        } catch (const std::invalid_argument& e) {
          cfg.fail(&v, "overlap.pairs_A." + key, e.what());
        }
      }
  }
  if (const toml::table* t = cfg.table(root, "tiles", "tiles", false)) {
    cfg.only(*t, "tiles", {"jitter", "random_orientation"});
    s.tile_jitter = cfg.non_negative(*t, "jitter", "tiles.", false, 0.25);
    if (const toml::node* n = t->get("random_orientation")) {
      auto b = n->value<bool>();
      if (!b) cfg.fail(n, "tiles.random_orientation", "must be true or false");
      s.random_orientation = *b;
    }
  }

  // Scan (default: the 003 scan step 5.5 nm over the field, single columns) and maps.
  {
    ScanGrid& gr = c.scan.grid;
    gr.step_x = gr.step_y = 55.0;
    if (const toml::table* t = cfg.table(root, "scan", "scan", false)) {
      cfg.only(*t, "scan", {"origin_nm", "step_nm", "size", "probe_fwhm_nm"});
      const auto step = cfg.numbers(*t, "step_nm", "scan.", false, 2, {5.5, 5.5});
      if (!(step[0] > 0 && step[1] > 0)) cfg.fail(t->get("step_nm"), "scan.step_nm", "steps must be positive (nm)");
      gr.step_x = step[0] * kNm;
      gr.step_y = step[1] * kNm;
      const auto origin = cfg.numbers(*t, "origin_nm", "scan.", false, 2, {step[0] / 2, step[1] / 2});
      gr.x0 = origin[0] * kNm;
      gr.y0 = origin[1] * kNm;
      if (const toml::node* n = t->get("size")) {
        const toml::array* a = n->as_array();
        if (!a || a->size() != 2) cfg.fail(n, "scan.size", "must be [nx, ny] (positive integers)");
        for (int k = 0; k < 2; ++k) {
          auto v = (*a)[static_cast<size_t>(k)].value<int64_t>();
          if (!v || *v <= 0) cfg.fail(n, "scan.size", "must be [nx, ny] (positive integers)");
          (k == 0 ? gr.nx : gr.ny) = static_cast<size_t>(*v);
        }
      }
      c.scan.probe_fwhm = cfg.non_negative(*t, "probe_fwhm_nm", "scan.", false, 0.0) * kNm;
    } else {
      gr.x0 = gr.step_x / 2;
      gr.y0 = gr.step_y / 2;
    }
    if (gr.nx == 0) gr.nx = static_cast<size_t>(std::max(1.0, std::floor((s.field_x - gr.x0) / gr.step_x) + 1));
    if (gr.ny == 0) gr.ny = static_cast<size_t>(std::max(1.0, std::floor((s.field_y - gr.y0) / gr.step_y) + 1));
    const double xe = gr.x(gr.nx - 1), ye = gr.y(gr.ny - 1);
    if (gr.x0 < 0 || gr.y0 < 0 || xe > s.field_x || ye > s.field_y)
      cfg.fail(root.get("scan") ? root.get("scan") : nullptr, "scan",
               "the scan (" + Toml::fmt(gr.x0 / kNm) + ".." + Toml::fmt(xe / kNm) + " × " + Toml::fmt(gr.y0 / kNm) +
                   ".." + Toml::fmt(ye / kNm) + " nm) leaves the field " + Toml::fmt(s.field_x / kNm) + " × " +
                   Toml::fmt(s.field_y / kNm) + " nm");
  }
  if (const toml::table* t = cfg.table(root, "maps", "maps", false)) {
    cfg.only(*t, "maps", {"step_nm"});
    c.map_step = cfg.positive(*t, "step_nm", "maps.", false, 1.0) * kNm;
  }
  return c;
}

std::array<double, 4> parse_region(const std::string& text) {
  std::array<double, 4> r{};
  std::stringstream ss(text);
  std::string item;
  size_t k = 0;
  while (std::getline(ss, item, ',')) {
    if (k >= 4) break;
    try {
      size_t used = 0;
      r[k] = std::stod(item, &used);
      if (used != item.size() || !std::isfinite(r[k])) throw std::invalid_argument(item);
    } catch (const std::exception&) {
      throw InputError("", 0, "--region", "'" + text + "' must be x0,x1,y0,y1 in nm");
    }
    ++k;
  }
  if (k != 4 || std::getline(ss, item)) throw InputError("", 0, "--region", "'" + text + "' must be x0,x1,y0,y1 in nm");
  if (!(r[0] < r[1] && r[2] < r[3]))
    throw InputError("", 0, "--region", "'" + text + "': need x0 < x1 and y0 < y1 (nm)");
  return r;
}

bool has_ext(const std::string& path, std::initializer_list<const char*> exts) {
  std::string e = fs::path(path).extension().string();
  std::transform(e.begin(), e.end(), e.begin(), [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  for (const char* x : exts)
    if (e == x) return true;
  return false;
}

struct SpecimenArgs {
  std::string config, output, summary, region, region_output;
  int threads = 0;
  double max_region_atoms = 2e6;
};

void run_build(const SpecimenArgs& a, std::ostream& out) {
  // 1. Everything that can fail on bad input happens before anything is written.
  const std::string output = a.output.empty() ? fs::path(a.config).stem().string() + ".h5" : a.output;
  if (!has_ext(output, {".h5", ".hdf5"})) throw InputError("", 0, "-o", "output '" + output + "' must end in .h5 or .hdf5");
  const std::string summary_path =
      a.summary.empty() ? (fs::path(output).parent_path() / (fs::path(output).stem().string() + "_summary.txt")).string()
                        : a.summary;
  std::string region_out;
  std::array<double, 4> region{};
  if (!a.region.empty()) {
    region = parse_region(a.region);
    region_out = a.region_output.empty()
                     ? (fs::path(output).parent_path() / (fs::path(output).stem().string() + "_region.extxyz")).string()
                     : a.region_output;
    if (!has_ext(region_out, {".extxyz", ".xyz"}))
      throw InputError("", 0, "--region-output", "'" + region_out + "' must end in .extxyz or .xyz");
  } else if (!a.region_output.empty()) {
    throw InputError("", 0, "--region-output", "needs --region x0,x1,y0,y1");
  }
  if (!fs::is_regular_file(a.config)) throw InputError(a.config, 0, "", "configuration file not found");
  toml::table root;
  try {
    root = toml::parse_file(a.config);
  } catch (const toml::parse_error& e) {
    throw InputError(a.config, e.source().begin.line, "", std::string(e.description()));
  }
  const Toml cfg(a.config);
  const SpecimenConfig c = parse_config(cfg, root);
  std::unique_ptr<Specimen> sp;
  try {
    sp = std::make_unique<Specimen>(c.spec);
  } catch (const std::invalid_argument& e) {
    throw InputError(a.config, 0, "", e.what());
  }
  if (!a.region.empty()) {
    const double fx = c.spec.field_x / kNm, fy = c.spec.field_y / kNm;
    if (region[0] < 0 || region[1] > fx || region[2] < 0 || region[3] > fy)
      throw InputError("", 0, "--region", "region " + a.region + " nm leaves the field 0.." + Toml::fmt(fx) + " × 0.." +
                                              Toml::fmt(fy) + " nm");
  }
  std::ostringstream cfg_text;
  {
    std::ifstream in(a.config);
    cfg_text << in.rdbuf();
  }

  // 2. Ground truth, maps and volumes (exact geometry, no atoms).
  const GroundTruth truth = compute_ground_truth(*sp, c.scan.grid, c.scan.probe_fwhm);
  const GroundTruth maps = field_maps(*sp, c.map_step);
  const SpecimenVolumes vol = specimen_volumes(*sp, std::min(c.map_step, 10.0));
  const size_t np = sp->phase_count();

  // 3. Region atoms (checked against the size limit before generating).
  Structure region_structure;
  GenerationStats gst;
  double region_seconds = 0;
  if (!a.region.empty()) {
    const double x0 = region[0] * kNm, x1 = region[1] * kNm, y0 = region[2] * kNm, y1 = region[3] * kNm;
    double rho_max = 0;
    for (size_t p = 0; p < np; ++p) rho_max = std::max(rho_max, sp->number_density(p));
    double est = (x1 - x0) * (y1 - y0) * sp->max_thickness() * rho_max;
    if (sp->has_film()) est += (x1 - x0) * (y1 - y0) * c.spec.film.thickness * sp->number_density(np);
    if (est > a.max_region_atoms)
      throw InputError("", 0, "--region",
                       "region " + a.region + " nm may hold up to " + Toml::fmt(std::round(est)) + " atoms (limit " +
                           Toml::fmt(a.max_region_atoms) + ", --max-region-atoms); choose a smaller region");
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Atom> atoms = sp->atoms_in_box(x0, x1, y0, y1, &gst, a.threads);
    region_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double ztop = sp->z0() + sp->max_thickness();
    region_structure.title = "sedpdf specimen region x " + Toml::fmt(region[0]) + ".." + Toml::fmt(region[1]) +
                             " nm, y " + Toml::fmt(region[2]) + ".." + Toml::fmt(region[3]) +
                             " nm (positions relative to the region corner; phase = index, " + std::to_string(np) +
                             " = carbon film)";
    region_structure.cell = Cell::from_vectors(Vec3(x1 - x0, 0, 0), Vec3(0, y1 - y0, 0), Vec3(0, 0, std::max(ztop, 1.0)),
                                               {false, false, false});
    for (Atom& at : atoms) at.pos = Position(at.pos - Vec3(x0, y0, 0));
    region_structure.atoms = std::move(atoms);
  }

  // 4. Summary text.
  std::ostringstream sum;
  sum << std::setprecision(6);
  sum << "sedpdf specimen: " << a.config << "\n";
  sum << "field:            " << c.spec.field_x / kNm << " × " << c.spec.field_y / kNm << " nm, seed " << c.spec.seed
      << "\n";
  sum << "thickness:        max " << sp->max_thickness() / kNm << " nm, mean over the field " << vol.mean_thickness / kNm
      << " nm, projected area " << vol.projected_area / 100 << " nm² (" << 100 * vol.projected_area /
                                                                                  (c.spec.field_x * c.spec.field_y)
      << " % of the field)\n";
  sum << "film:             " << (sp->has_film() ? Toml::fmt(c.spec.film.thickness / kNm) + " nm amorphous carbon (RSA, " +
                                                       Toml::fmt(c.spec.film.density_g_cm3) + " g/cm³)"
                                                 : std::string("none"))
      << "\n";
  sum << "phases:\n  name              model density      tile (nm)   volume (nm³)     volume fraction\n";
  for (size_t p = 0; p < np; ++p) {
    char line[256];
    std::snprintf(line, sizeof line, "  %-16s %8.4f g/cm³ %9.3f %16.6g %12.4f\n", sp->phase_name(p).c_str(),
                  c.spec.phases[p].model.mass_density_g_cm3(), sp->tile_size(p) / kNm, vol.phase[p] / 1000.0,
                  vol.total > 0 ? vol.phase[p] / vol.total : 0.0);
    sum << line;
  }
  for (size_t p = 0; p < np; ++p) sum << "  model " << sp->phase_name(p) << ": " << c.model_paths[p] << "\n";
  sum << "estimated atoms:  " << std::setprecision(4) << vol.estimated_atoms << " (specimen"
      << (sp->has_film() ? " + film" : "") << "; generated on demand, never held whole)\n"
      << std::setprecision(6);
  sum << "scan:             " << truth.nx() << " × " << truth.ny() << " positions, origin (" << c.scan.grid.x0 / kNm
      << ", " << c.scan.grid.y0 / kNm << ") nm, step (" << c.scan.grid.step_x / kNm << ", " << c.scan.grid.step_y / kNm
      << ") nm, probe FWHM " << c.scan.probe_fwhm / kNm << " nm\n";
  sum << "maps:             " << maps.nx() << " × " << maps.ny() << " pixels of " << c.map_step / kNm << " nm\n";
  if (!a.region.empty())
    sum << "region:           " << region_structure.size() << " atoms (" << gst.candidates << " generated, "
        << gst.removed_overlap << " removed by the overlap rule, " << gst.tiles << " tiles, " << std::setprecision(3)
        << region_seconds << " s)\n";

  // 5. Write.
  write_file_atomically(output, [&](const std::string& tmp) {
    H5Writer h(tmp);
    h.attribute("/", "creator", "sedpdf specimen build");
    h.attribute("/", "config_file", a.config);
    h.attribute("/", "config", cfg_text.str());
    h.attribute("/", "seed", static_cast<double>(c.spec.seed));
    write_ground_truth(h, truth, "/ground_truth");
    h.attribute("/ground_truth", "scan_origin_x_A", c.scan.grid.x0);
    h.attribute("/ground_truth", "scan_origin_y_A", c.scan.grid.y0);
    h.attribute("/ground_truth", "scan_step_x_A", c.scan.grid.step_x);
    h.attribute("/ground_truth", "scan_step_y_A", c.scan.grid.step_y);
    write_ground_truth(h, maps, "/maps");
    h.attribute("/maps", "pixel_A", c.map_step);
    h.group("/summary");
    h.dataset("/summary/phase_volume", vol.phase, "Å³");
    std::vector<double> frac;
    for (double v : vol.phase) frac.push_back(vol.total > 0 ? v / vol.total : 0.0);
    h.dataset("/summary/phase_volume_fraction", frac, "1");
    std::vector<double> rho;
    for (size_t p = 0; p < np; ++p) rho.push_back(sp->number_density(p));
    h.dataset("/summary/phase_number_density", rho, "Å⁻³");
    h.attribute("/summary", "estimated_atoms", vol.estimated_atoms);
    h.attribute("/summary", "mean_thickness_A", vol.mean_thickness);
    h.attribute("/summary", "projected_area_A2", vol.projected_area);
    h.attribute("/summary", "film_volume_A3", vol.film);
    std::string names, models;
    for (size_t p = 0; p < np; ++p) {
      names += (p ? "," : "") + sp->phase_name(p);
      models += (p ? "," : "") + c.model_paths[p];
    }
    h.attribute("/summary", "phase_names", names);
    h.attribute("/summary", "phase_models", models);
    h.attribute("/summary", "text", sum.str());
  });
  if (!a.region.empty()) write_structure(region_structure, region_out, StructureFormat::ExtXyz);
  write_text_atomically(summary_path, [&](std::ostream& o) { o << sum.str(); });
  out << sum.str();
  out << "wrote " << output << " (/ground_truth, /maps, /summary), " << summary_path;
  if (!a.region.empty()) out << ", " << region_out;
  out << "\n";
}

}  // namespace

SpecimenSpec load_specimen_spec(const std::string& path) {
  if (!fs::is_regular_file(path)) throw InputError(path, 0, "", "specimen configuration file not found");
  toml::table root;
  try {
    root = toml::parse_file(path);
  } catch (const toml::parse_error& e) {
    throw InputError(path, e.source().begin.line, "", std::string(e.description()));
  }
  return parse_config(Toml(path), root).spec;
}

void register_specimen(CLI::App& app, std::ostream& out) {
  auto* sp = app.add_subcommand("specimen", "Composite specimens: field, thickness profile, phase geometry, support "
                                            "film, atoms generated on demand, ground truth");
  sp->require_subcommand(1);
  auto args = std::make_shared<SpecimenArgs>();
  auto* build = sp->add_subcommand(
      "build",
      "Build a specimen from a TOML file (lengths in nm where the key says _nm, Å where it says _A) and write its "
      "ground truth to HDF5: per scan position the thickness (Å) of each phase and the phase fractions, field "
      "rasters of thickness and phase; plus a summary (estimated atoms, phase volume fractions) and, with --region, "
      "the atoms of a small region as extended XYZ. Layout: docs/specimens.md");
  build->add_option("config", args->config, "specimen TOML file")->required();
  build->add_option("-o,--output", args->output, "ground-truth HDF5 file (.h5; default: <config stem>.h5)");
  build->add_option("--summary", args->summary, "summary text file (default: <output stem>_summary.txt)");
  build->add_option("--region", args->region, "x0,x1,y0,y1 (nm): also write the atoms of this region (full depth)");
  build->add_option("--region-output", args->region_output,
                    "extended XYZ file for --region (default: <output stem>_region.extxyz)");
  build->add_option("--max-region-atoms", args->max_region_atoms, "refuse regions that may hold more atoms")
      ->capture_default_str();
  build->add_option("--threads", args->threads, "OpenMP threads for the region atoms (0: default)")
      ->capture_default_str();
  build->callback([args, &out]() { run_build(*args, out); });
}

}  // namespace sedpdf::cli
