// Composite specimens: validation, the exact geometry (thickness, phases, column integrals), and the
// random-packing models of the support film. Atom generation is in specimen_fill.cpp.
#include "sedpdf/structures/specimen.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/analysis.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"
#include "specimen_hash.hpp"

namespace sedpdf {

using namespace specimen_detail;

namespace {

constexpr double kDeg = kPi / 180.0;
constexpr int64_t kIndexLimit = (int64_t{1} << 19) - 4;  // tile indices are packed in 20 bits

[[noreturn]] void bad(const std::string& field, const std::string& what) {
  throw std::invalid_argument("specimen: " + field + ": " + what);
}

void require_positive(const std::string& field, double v, const char* unit) {
  if (!(v > 0) || !std::isfinite(v)) bad(field, "must be a positive number (" + std::string(unit) + "), got " + format_number(v, 6));
}

void require_in_field(const std::string& field, double x, double y, double fx, double fy) {
  if (!(x >= 0 && x <= fx && y >= 0 && y <= fy))
    bad(field, "point (" + format_number(x / 10, 6) + " nm, " + format_number(y / 10, 6) + " nm) lies outside the field 0.." + format_number(fx / 10, 6) +
                   " × 0.." + format_number(fy / 10, 6) + " nm");
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Overlap rule
// ------------------------------------------------------------------------------------------------

void OverlapRule::set(Element a, Element b, double d) {
  if (!(d >= 0) || !std::isfinite(d))
    throw std::invalid_argument("minimum distance " + a.symbol() + "-" + b.symbol() + " = " + format_number(d, 6) +
                                " Å is not a distance");
  explicit_pairs[{std::min(a.z(), b.z()), std::max(a.z(), b.z())}] = d;
}

double OverlapRule::min_distance(Element a, Element b) const {
  auto it = explicit_pairs.find({std::min(a.z(), b.z()), std::max(a.z(), b.z())});
  if (it != explicit_pairs.end()) return it->second;
  const double floor = (a.z() == 1 || b.z() == 1) ? hydrogen_floor : heavy_floor;
  return std::max(covalent_scale * (covalent_radius(a) + covalent_radius(b)), floor);
}

// ------------------------------------------------------------------------------------------------
// Random packings
// ------------------------------------------------------------------------------------------------

Structure rsa_model(const std::vector<RsaSpecies>& species, double box, uint64_t seed) {
  require_positive("rsa box", box, "Å");
  double rmax = 0, vol = 0;
  size_t total = 0;
  for (const RsaSpecies& sp : species) {
    require_positive("rsa radius of " + sp.element.symbol(), sp.radius, "Å");
    rmax = std::max(rmax, sp.radius);
    vol += static_cast<double>(sp.count) * 4.0 / 3.0 * kPi * sp.radius * sp.radius * sp.radius;
    total += sp.count;
  }
  if (total == 0) bad("rsa count", "must be at least 1");
  const double eta = vol / (box * box * box);
  if (eta > 0.3)
    bad("rsa", "packing fraction " + format_number(eta, 6) + " of " + std::to_string(total) + " spheres in a " + format_number(box, 6) +
                   " Å cube exceeds 0.3 (RSA jams at ≈ 0.38)");
  Structure s;
  s.title = "RSA packing";
  s.cell = Cell::orthorhombic(box, box, box);
  // Cell grid with bins >= the largest contact distance: a candidate is checked against its bin and the
  // 26 neighbours (all bins when the grid is too coarse for that).
  const int nb = std::max(1, static_cast<int>(std::floor(box / (2 * rmax))));
  const bool grid = nb >= 3;
  const int n = grid ? nb : 1;
  const double bw = box / n;
  std::vector<std::vector<uint32_t>> bins(static_cast<size_t>(n) * n * n);
  std::vector<double> rad;
  Stream rng(hash_keys(seed, {0x525341ULL}));
  auto bin_of = [&](double v) { return std::min(n - 1, static_cast<int>(v / bw)); };
  s.atoms.reserve(total);
  for (const RsaSpecies& sp : species)
    for (size_t a = 0; a < sp.count; ++a) {
      for (size_t tries = 0;; ++tries) {
        if (tries > 1000000)
          bad("rsa", "could not place atom " + std::to_string(s.atoms.size()) + " in 10⁶ tries");
        const Position p(rng.uniform() * box, rng.uniform() * box, rng.uniform() * box);
        const int b[3] = {bin_of(p.x), bin_of(p.y), bin_of(p.z)};
        bool ok = true;
        const int lo = grid ? -1 : 0, hi = grid ? 1 : 0;
        for (int dx = lo; dx <= hi && ok; ++dx)
          for (int dy = lo; dy <= hi && ok; ++dy)
            for (int dz = lo; dz <= hi && ok; ++dz) {
              const int bx = (b[0] + dx + n) % n, by = (b[1] + dy + n) % n, bz = (b[2] + dz + n) % n;
              for (uint32_t j : bins[(static_cast<size_t>(bz) * n + by) * n + bx]) {
                Vec3 d = p - s.atoms[j].pos;
                for (int k = 0; k < 3; ++k) {
                  if (d[k] > 0.5 * box) d[k] -= box;
                  else if (d[k] < -0.5 * box) d[k] += box;
                }
                const double m = sp.radius + rad[j];
                if (d.length_sq() < m * m) {
                  ok = false;
                  break;
                }
              }
            }
        if (!ok) continue;
        Atom at;
        at.element = sp.element;
        at.pos = p;
        bins[(static_cast<size_t>(b[2]) * n + b[1]) * n + b[0]].push_back(static_cast<uint32_t>(s.atoms.size()));
        s.atoms.push_back(at);
        rad.push_back(sp.radius);
        break;
      }
    }
  return s;
}

Structure amorphous_carbon_model(double density_g_cm3, double box, double min_distance, uint64_t seed) {
  require_positive("film density_g_cm3", density_g_cm3, "g/cm³");
  require_positive("film box", box, "Å");
  const Element c = Element::parse("C");
  // atoms = ρ_mass N_A V / M, V in cm³ = Å³ · 1e-24
  const double n = density_g_cm3 * kAvogadro * 1e-24 * box * box * box / c.mass();
  const size_t count = static_cast<size_t>(std::llround(n));
  require_positive("film min_distance", min_distance, "Å");
  Structure s = rsa_model({{c, std::max<size_t>(count, 1), min_distance / 2}}, box, seed);
  s.title = "amorphous carbon (RSA hard spheres, d = " + format_number(min_distance, 6) + " Å)";
  return s;
}

// ------------------------------------------------------------------------------------------------
// Construction
// ------------------------------------------------------------------------------------------------

Specimen::Specimen(SpecimenSpec spec) : spec_(std::move(spec)) {
  const SpecimenSpec& s = spec_;
  require_positive("field x", s.field_x, "Å");
  require_positive("field y", s.field_y, "Å");
  if (s.phases.empty()) bad("phases", "at least one phase is needed");
  if (s.phases.size() > 15) bad("phases", std::to_string(s.phases.size()) + " phases; at most 15 are supported");
  const int nph = static_cast<int>(s.phases.size());
  for (size_t p = 0; p < s.phases.size(); ++p) {
    const PhaseModelSpec& ph = s.phases[p];
    const std::string f = "phase '" + ph.name + "'";
    if (ph.name.empty()) bad("phase " + std::to_string(p), "has no name");
    if (ph.name == "carbon_film") bad(f, "the name 'carbon_film' is reserved for the support film");
    for (size_t q = 0; q < p; ++q)
      if (s.phases[q].name == ph.name) bad(f, "defined twice");
    if (ph.model.atoms.empty()) bad(f, "its model has no atoms");
    if (!ph.model.cell.fully_periodic() || !(ph.model.cell.volume() > 0))
      bad(f, "its model must be fully periodic with a positive cell volume (it is tiled)");
    if (!(ph.tile_size >= 0) || !std::isfinite(ph.tile_size))
      bad(f + " tile size", "must be >= 0 Å (0 = the model cell), got " + format_number(ph.tile_size, 6));
  }
  auto check_phase = [&](const std::string& field, int p) {
    if (p < 0 || p >= nph) bad(field, "phase index " + std::to_string(p) + " out of range 0.." + std::to_string(nph - 1));
  };

  // Thickness.
  const ThicknessGeometry& t = s.thickness;
  switch (t.kind) {
    case ThicknessGeometry::Kind::Slab:
      require_positive("thickness", t.thickness, "Å");
      max_thickness_ = t.thickness;
      break;
    case ThicknessGeometry::Kind::Wedge:
      if (!(t.thickness_min >= 0) || !std::isfinite(t.thickness_min))
        bad("thickness min", "must be >= 0 Å, got " + format_number(t.thickness_min, 6));
      require_positive("thickness max", t.thickness_max, "Å");
      if (t.thickness_max < t.thickness_min)
        bad("thickness max", format_number(t.thickness_max, 6) + " Å is below thickness min " + format_number(t.thickness_min, 6) + " Å");
      if (!std::isfinite(t.angle_deg)) bad("thickness angle", "not finite");
      max_thickness_ = t.thickness_max;
      break;
    case ThicknessGeometry::Kind::Particles:
      if (t.particles.empty()) bad("particles", "at least one particle is needed");
      for (size_t k = 0; k < t.particles.size(); ++k) {
        const EllipsoidParticle& e = t.particles[k];
        const std::string f = "particle " + std::to_string(k + 1);
        require_in_field(f + " centre", e.x, e.y, s.field_x, s.field_y);
        require_positive(f + " semi-axis a", e.semi_a, "Å");
        require_positive(f + " semi-axis b", e.semi_b, "Å");
        require_positive(f + " thickness", e.thickness, "Å");
        if (!std::isfinite(e.angle_deg)) bad(f + " angle", "not finite");
        max_thickness_ = std::max(max_thickness_, e.thickness);
      }
      break;
  }

  // Phase geometry.
  const PhaseGeometry& g = s.geometry;
  switch (g.kind) {
    case PhaseGeometry::Kind::Uniform:
      check_phase("uniform phase", g.phase);
      break;
    case PhaseGeometry::Kind::HalfSpaces: {
      check_phase("half-spaces first phase", g.first);
      check_phase("half-spaces second phase", g.second);
      if (g.first == g.second) bad("half-spaces", "the two phases must differ");
      require_in_field("half-spaces point", g.x, g.y, s.field_x, s.field_y);
      if (!std::isfinite(g.normal_angle_deg)) bad("half-spaces normal angle", "not finite");
      if (!(std::fabs(g.inclination_deg) < 89.0))
        bad("half-spaces inclination", "must lie within ±89°, got " + format_number(g.inclination_deg, 6));
      if (!(g.width >= 0) || !std::isfinite(g.width)) bad("half-spaces width", "must be >= 0 Å, got " + format_number(g.width, 6));
      require_positive("half-spaces graded cell", g.graded_cell, "Å");
      const double phi = g.normal_angle_deg * kDeg, beta = g.inclination_deg * kDeg;
      normal_ = Vec3(std::cos(phi) * std::cos(beta), std::sin(phi) * std::cos(beta), std::sin(beta));
      break;
    }
    case PhaseGeometry::Kind::Voronoi: {
      require_positive("voronoi mean size", g.mean_size, "Å");
      if (g.voronoi_phases.empty()) bad("voronoi phases", "at least one phase is needed");
      for (int p : g.voronoi_phases) check_phase("voronoi phases", p);
      std::vector<double> fr = g.voronoi_fractions;
      if (fr.empty()) fr.assign(g.voronoi_phases.size(), 1.0);
      if (fr.size() != g.voronoi_phases.size())
        bad("voronoi fractions", std::to_string(fr.size()) + " fractions for " +
                                     std::to_string(g.voronoi_phases.size()) + " phases");
      double sum = 0;
      for (double f : fr) {
        if (!(f >= 0) || !std::isfinite(f)) bad("voronoi fractions", "must be >= 0, got " + format_number(f, 6));
        sum += f;
      }
      if (!(sum > 0)) bad("voronoi fractions", "sum to zero");
      double c = 0;
      for (double f : fr) voronoi_cum_.push_back(c += f / sum);
      voronoi_cum_.back() = 1.0;
      // mean cell area 1/λ = π d²/4 = G²
      voronoi_cell_ = g.mean_size * std::sqrt(kPi) / 2.0;
      if (s.field_x / voronoi_cell_ > 1e6 || s.field_y / voronoi_cell_ > 1e6)
        bad("voronoi mean size", format_number(g.mean_size, 6) + " Å is too small for the field");
      break;
    }
  }
  for (size_t k = 0; k < g.inclusions.size(); ++k) {
    const Inclusion& inc = g.inclusions[k];
    const std::string f = "inclusion " + std::to_string(k + 1);
    check_phase(f + " phase", inc.phase);
    require_in_field(f + " centre", inc.x, inc.y, s.field_x, s.field_y);
    require_positive(f + " radius", inc.radius, "Å");
    if (!std::isfinite(inc.z)) bad(f + " z", "not finite");
  }

  if (!(s.tile_jitter >= 0 && s.tile_jitter <= 0.4)) bad("tile jitter", "must lie in 0..0.4, got " + format_number(s.tile_jitter, 6));
  // Film.
  const CarbonFilmSpec& fm = s.film;
  if (!(fm.thickness >= 0) || !std::isfinite(fm.thickness))
    bad("film thickness", "must be >= 0 Å, got " + format_number(fm.thickness, 6));
  if (fm.thickness > 0) {
    require_positive("film density", fm.density_g_cm3, "g/cm³");
    require_positive("film box", fm.box, "Å");
    require_positive("film min distance", fm.min_distance, "Å");
    if (fm.box < 4 * fm.min_distance) bad("film box", format_number(fm.box, 6) + " Å is smaller than 4 × the minimum distance");
    film_model_ = amorphous_carbon_model(fm.density_g_cm3, fm.box, fm.min_distance, hash_keys(s.seed, {kFilm}));
  }
  // Half-space reference height (needs z0 and the largest thickness).
  z_ref_ = z0() + max_thickness_ / 2;

  // Overlap rule and tables.
  if (!(s.overlap.covalent_scale >= 0) || !(s.overlap.heavy_floor >= 0) || !(s.overlap.hydrogen_floor >= 0))
    bad("overlap", "scale and floors must be >= 0");

  auto add_grid = [&](const Structure& m, double tile) {
    TileGrid tg;
    tg.m = m.cell.matrix();
    tg.minv = tg.m.inverse();
    double w = std::numeric_limits<double>::infinity();
    for (int k = 0; k < 3; ++k) w = std::min(w, m.cell.perpendicular_width(k));
    // Largest brick: (1 + 2·jitter)T × T × T; its half-diagonal must not exceed W/2 (see the fill).
    const double shape = std::sqrt((1 + 2 * spec_.tile_jitter) * (1 + 2 * spec_.tile_jitter) + 2.0);
    tg.size = tile > 0 ? tile : w / shape;
    if (tg.size * shape > w * (1 + 1e-12))
      bad("tile size " + format_number(tile / 10, 6) + " nm",
          "too large for a model cell " + format_number(w / 10, 6) + " nm wide: the largest tile, (1 + 2·jitter)T × T × T, must fit "
          "in the cell's inscribed sphere, T <= " + format_number(w / shape / 10, 6) + " nm (jitter " + format_number(spec_.tile_jitter, 6) + ")");
    for (const Atom& a : m.atoms) {
      Fractional f = m.cell.fractionalize(a.pos);
      for (int k = 0; k < 3; ++k) {
        f[k] -= std::floor(f[k]);
        if (f[k] >= 1.0) f[k] = 0.0;
      }
      tg.frac.push_back(f);
      tg.cart.push_back(m.cell.orthogonalize(f));
      auto it = std::find(elements_.begin(), elements_.end(), a.element);
      if (it == elements_.end()) {
        elements_.push_back(a.element);
        it = elements_.end() - 1;
      }
      tg.elem.push_back(static_cast<uint16_t>(it - elements_.begin()));
      tg.occ.push_back(a.occupancy);
      tg.uiso.push_back(a.u_iso);
    }
    // Blocks of about 5 Å along each cell vector.
    for (int k = 0; k < 3; ++k)
      tg.nsub[k] = std::max(1, static_cast<int>(std::lround(m.cell.perpendicular_width(k) / 5.0)));
    const size_t nblocks = static_cast<size_t>(tg.nsub[0]) * tg.nsub[1] * tg.nsub[2];
    std::vector<uint32_t> block_of(tg.frac.size());
    tg.block_start.assign(nblocks + 1, 0);
    for (size_t a = 0; a < tg.frac.size(); ++a) {
      int b[3];
      for (int k = 0; k < 3; ++k) b[k] = std::min(tg.nsub[k] - 1, static_cast<int>(tg.frac[a][k] * tg.nsub[k]));
      block_of[a] = static_cast<uint32_t>((b[2] * tg.nsub[1] + b[1]) * tg.nsub[0] + b[0]);
      ++tg.block_start[block_of[a] + 1];
    }
    for (size_t b = 0; b < nblocks; ++b) tg.block_start[b + 1] += tg.block_start[b];
    tg.block_atoms.resize(tg.frac.size());
    {
      std::vector<uint32_t> fill(tg.block_start.begin(), tg.block_start.end() - 1);
      for (size_t a = 0; a < tg.frac.size(); ++a) tg.block_atoms[fill[block_of[a]]++] = static_cast<uint32_t>(a);
    }
    const Vec3 ea = m.cell.vector(0) / tg.nsub[0], eb = m.cell.vector(1) / tg.nsub[1], ec = m.cell.vector(2) / tg.nsub[2];
    for (const Vec3& d : {ea + eb + ec, ea + eb - ec, ea - eb + ec, ea - eb - ec})
      tg.block_radius = std::max(tg.block_radius, 0.5 * d.length() * (1 + 1e-9));
    tiles_.push_back(std::move(tg));
  };
  for (const PhaseModelSpec& ph : s.phases) add_grid(ph.model, ph.tile_size);
  if (has_film()) add_grid(film_model_, 0.0);
  for (size_t p = 0; p < tiles_.size(); ++p) {
    const double T = tiles_[p].size;
    const std::string f = p < s.phases.size() ? "phase '" + s.phases[p].name + "' tile size" : "film tile size";
    if (!(T >= 5.0)) bad(f, format_number(T, 6) + " Å is below 5 Å");
    const double zext = z0() + max_thickness_;
    if (s.field_x / T > static_cast<double>(kIndexLimit) / 2 || s.field_y / T > static_cast<double>(kIndexLimit) / 2 ||
        zext / T > static_cast<double>(kIndexLimit) / 2)
      bad(f, format_number(T, 6) + " Å is too small for a field of " + format_number(s.field_x, 6) + " × " + format_number(s.field_y, 6) + " Å");
  }
  const size_t ne = elements_.size();
  dmin_.assign(ne * ne, 0.0);
  for (size_t a = 0; a < ne; ++a)
    for (size_t b = 0; b < ne; ++b) {
      const double d = s.overlap.min_distance(elements_[a], elements_[b]);
      dmin_[a * ne + b] = d;
      dmin_max_ = std::max(dmin_max_, d);
    }
}

int Specimen::phase_index(const std::string& name) const {
  for (size_t p = 0; p < spec_.phases.size(); ++p)
    if (spec_.phases[p].name == name) return static_cast<int>(p);
  return -1;
}

double Specimen::number_density(size_t p) const {
  if (p < spec_.phases.size()) return spec_.phases[p].model.number_density();
  if (p == spec_.phases.size() && has_film()) return film_model_.number_density();
  throw std::out_of_range("specimen: no phase " + std::to_string(p));
}

size_t Specimen::state_bytes() const {
  size_t b = sizeof(*this);
  auto structure_bytes = [](const Structure& st) { return st.atoms.capacity() * sizeof(Atom) + st.title.capacity(); };
  for (const PhaseModelSpec& ph : spec_.phases) b += sizeof(ph) + ph.name.capacity() + structure_bytes(ph.model);
  b += structure_bytes(film_model_);
  for (const TileGrid& tg : tiles_)
    b += sizeof(tg) + tg.frac.capacity() * sizeof(Fractional) + tg.cart.capacity() * sizeof(Position) +
         tg.elem.capacity() * sizeof(uint16_t) + (tg.occ.capacity() + tg.uiso.capacity()) * sizeof(double) +
         (tg.block_start.capacity() + tg.block_atoms.capacity()) * sizeof(uint32_t);
  b += elements_.capacity() * sizeof(Element) + dmin_.capacity() * sizeof(double);
  b += spec_.thickness.particles.capacity() * sizeof(EllipsoidParticle);
  b += spec_.geometry.inclusions.capacity() * sizeof(Inclusion);
  b += (spec_.geometry.voronoi_phases.capacity() + voronoi_cum_.capacity()) * sizeof(double);
  b += spec_.geometry.voronoi_fractions.capacity() * sizeof(double);
  b += spec_.overlap.explicit_pairs.size() * 64;
  return b;
}

// ------------------------------------------------------------------------------------------------
// Thickness
// ------------------------------------------------------------------------------------------------

namespace {

double particle_thickness(const EllipsoidParticle& e, double x, double y) {
  const double c = std::cos(e.angle_deg * kDeg), s = std::sin(e.angle_deg * kDeg);
  const double dx = x - e.x, dy = y - e.y;
  const double u = (c * dx + s * dy) / e.semi_a, v = (-s * dx + c * dy) / e.semi_b;
  const double q = 1.0 - u * u - v * v;
  return q > 0 ? e.thickness * std::sqrt(q) : 0.0;
}

}  // namespace

double Specimen::thickness_at(double x, double y) const {
  if (!(x >= 0 && x < spec_.field_x && y >= 0 && y < spec_.field_y)) return 0.0;
  const ThicknessGeometry& t = spec_.thickness;
  switch (t.kind) {
    case ThicknessGeometry::Kind::Slab:
      return t.thickness;
    case ThicknessGeometry::Kind::Wedge: {
      const double c = std::cos(t.angle_deg * kDeg), s = std::sin(t.angle_deg * kDeg);
      const double u = c * x + s * y;
      const double u_lo = std::min(0.0, c * spec_.field_x) + std::min(0.0, s * spec_.field_y);
      const double u_hi = std::max(0.0, c * spec_.field_x) + std::max(0.0, s * spec_.field_y);
      const double f = u_hi > u_lo ? std::clamp((u - u_lo) / (u_hi - u_lo), 0.0, 1.0) : 0.5;
      return t.thickness_min + (t.thickness_max - t.thickness_min) * f;
    }
    case ThicknessGeometry::Kind::Particles: {
      double m = 0;
      for (const EllipsoidParticle& e : t.particles) m = std::max(m, particle_thickness(e, x, y));
      return m;
    }
  }
  return 0.0;
}

double Specimen::max_thickness_in_rect(double x0, double x1, double y0, double y1) const {
  x0 = std::max(x0, 0.0);
  y0 = std::max(y0, 0.0);
  x1 = std::min(x1, spec_.field_x);
  y1 = std::min(y1, spec_.field_y);
  if (!(x0 < x1 && y0 < y1)) return 0.0;
  const ThicknessGeometry& t = spec_.thickness;
  switch (t.kind) {
    case ThicknessGeometry::Kind::Slab:
      return t.thickness;
    case ThicknessGeometry::Kind::Wedge:
      // linear (clamped) in x, y: the maximum is at a corner; corners on the far edge are evaluated
      // just inside the field.
      {
        const double xe = std::nextafter(x1, x0), ye = std::nextafter(y1, y0);
        return std::max({thickness_at(x0, y0), thickness_at(xe, y0), thickness_at(x0, ye), thickness_at(xe, ye)});
      }
    case ThicknessGeometry::Kind::Particles: {
      double m = 0;
      for (const EllipsoidParticle& e : t.particles) {
        const double c = std::cos(e.angle_deg * kDeg), s = std::sin(e.angle_deg * kDeg);
        const double hx = std::sqrt(e.semi_a * e.semi_a * c * c + e.semi_b * e.semi_b * s * s);
        const double hy = std::sqrt(e.semi_a * e.semi_a * s * s + e.semi_b * e.semi_b * c * c);
        if (e.x + hx > x0 && e.x - hx < x1 && e.y + hy > y0 && e.y - hy < y1) m = std::max(m, e.thickness);
      }
      return m;
    }
  }
  return max_thickness_;
}

// ------------------------------------------------------------------------------------------------
// Phases
// ------------------------------------------------------------------------------------------------

VoronoiDomain Specimen::voronoi_nearest(double x, double y) const {
  const double G = voronoi_cell_;
  const int64_t ci = static_cast<int64_t>(std::floor(x / G)), cj = static_cast<int64_t>(std::floor(y / G));
  const PhaseGeometry& g = spec_.geometry;
  double best = std::numeric_limits<double>::infinity();
  VoronoiDomain dom;
  auto visit = [&](int64_t a, int64_t b) {
    Stream rng(hash_keys(spec_.seed, {kVoronoi, key(a), key(b)}));
    // Poisson(1) seed count by inversion (Devroye, Non-Uniform Random Variate Generation, 1986, §X.3).
    const double u = rng.uniform();
    int n = 0;
    double pk = std::exp(-1.0), cdf = pk;
    while (u > cdf && n < 40) {
      ++n;
      pk /= n;
      cdf += pk;
    }
    for (int m = 0; m < n; ++m) {
      const double sx = (static_cast<double>(a) + rng.uniform()) * G;
      const double sy = (static_cast<double>(b) + rng.uniform()) * G;
      const double up = rng.uniform();
      const double d2 = (sx - x) * (sx - x) + (sy - y) * (sy - y);
      if (d2 < best) {
        best = d2;
        size_t k = 0;
        while (k + 1 < voronoi_cum_.size() && up >= voronoi_cum_[k]) ++k;
        dom.phase = g.voronoi_phases[k];
        dom.seed_x = sx;
        dom.seed_y = sy;
        dom.id = hash_keys(0, {key(a), key(b), key(m)});
      }
    }
  };
  // Rings of cells at Chebyshev distance r; a seed in ring r + 1 is at least r·G away from any point of
  // the centre cell, so the search stops once the best distance is within r·G.
  for (int64_t r = 0; r < 64; ++r) {
    if (r == 0) {
      visit(ci, cj);
    } else {
      for (int64_t d = -r; d <= r; ++d) {
        visit(ci + d, cj - r);
        visit(ci + d, cj + r);
      }
      for (int64_t d = -r + 1; d <= r - 1; ++d) {
        visit(ci - r, cj + d);
        visit(ci + r, cj + d);
      }
    }
    const double rg = static_cast<double>(r) * G;
    if (best <= rg * rg) return dom;
  }
  throw std::runtime_error("specimen: no Voronoi seed found near (" + format_number(x, 6) + ", " + format_number(y, 6) + ") Å");
}

VoronoiDomain Specimen::voronoi_domain(double x, double y) const {
  if (spec_.geometry.kind != PhaseGeometry::Kind::Voronoi)
    throw std::logic_error("specimen: voronoi_domain on a geometry that is not Voronoi");
  return voronoi_nearest(x, y);
}

int Specimen::base_phase_at(const Position& p) const {
  const PhaseGeometry& g = spec_.geometry;
  switch (g.kind) {
    case PhaseGeometry::Kind::Uniform:
      return g.phase;
    case PhaseGeometry::Kind::Voronoi:
      return voronoi_nearest(p.x, p.y).phase;
    case PhaseGeometry::Kind::HalfSpaces: {
      const double d = normal_.dot(Vec3(p.x - g.x, p.y - g.y, p.z - z_ref_));
      if (g.width <= 0) return d >= 0 ? g.second : g.first;
      // Beyond ±3 widths the assignment is certain (P differs from 0 or 1 by < 1e-13).
      if (d >= 3 * g.width) return g.second;
      if (d <= -3 * g.width) return g.first;
      const double P = 0.5 * (1.0 + std::erf(std::sqrt(kPi) * d / g.width));
      const double c = g.graded_cell;
      const double u = unit(hash_keys(spec_.seed, {kGraded, key(static_cast<int64_t>(std::floor(p.x / c))),
                                                   key(static_cast<int64_t>(std::floor(p.y / c))),
                                                   key(static_cast<int64_t>(std::floor(p.z / c)))}));
      return u < P ? g.second : g.first;
    }
  }
  return g.phase;
}

double Specimen::sphere_centre_z(const Inclusion& inc) const {
  return z0() + (inc.z >= 0 ? inc.z : thickness_at(inc.x, inc.y) / 2);
}

int Specimen::assigned_phase(const Position& p) const {
  const auto& incs = spec_.geometry.inclusions;
  for (size_t k = incs.size(); k-- > 0;) {
    const Inclusion& inc = incs[k];
    const double dx = p.x - inc.x, dy = p.y - inc.y;
    double r2 = dx * dx + dy * dy;
    if (inc.shape == Inclusion::Shape::Sphere) {
      const double dz = p.z - sphere_centre_z(inc);
      r2 += dz * dz;
    }
    if (r2 < inc.radius * inc.radius) return inc.phase;
  }
  return base_phase_at(p);
}

int Specimen::phase_at(const Position& p) const {
  const double t = thickness_at(p.x, p.y);
  if (!(t > 0) || p.z < z0() || p.z >= z0() + t) return -1;
  return assigned_phase(p);
}

double Specimen::base_column(double x, double y, double za, double zb, std::vector<double>& out) const {
  const PhaseGeometry& g = spec_.geometry;
  const double len = zb - za;
  switch (g.kind) {
    case PhaseGeometry::Kind::Uniform:
      out[g.phase] += len;
      break;
    case PhaseGeometry::Kind::Voronoi:
      out[voronoi_nearest(x, y).phase] += len;
      break;
    case PhaseGeometry::Kind::HalfSpaces: {
      // d(z) = d_xy + (z − z_ref) sin β along the column.
      const double dxy = normal_.x * (x - g.x) + normal_.y * (y - g.y);
      const double sb = normal_.z;
      double second = 0;
      if (std::fabs(sb) < 1e-12) {
        const double d = dxy + (0.5 * (za + zb) - z_ref_) * sb;
        second = g.width <= 0 ? (d >= 0 ? len : 0.0) : len * 0.5 * (1.0 + std::erf(std::sqrt(kPi) * d / g.width));
      } else if (g.width <= 0) {
        const double zs = z_ref_ - dxy / sb;  // d = 0 here
        second = sb > 0 ? std::max(0.0, zb - std::max(za, zs)) : std::max(0.0, std::min(zb, zs) - za);
      } else {
        // ∫P dd with P = ½[1 + erf(kd)], k = √π/w:  A(d) = ½d + ½[d erf(kd) + exp(−k²d²)/(k√π)].
        const double k = std::sqrt(kPi) / g.width;
        auto A = [&](double d) {
          return 0.5 * d + 0.5 * (d * std::erf(k * d) + std::exp(-k * k * d * d) / (k * std::sqrt(kPi)));
        };
        const double da = dxy + (za - z_ref_) * sb, db = dxy + (zb - z_ref_) * sb;
        second = std::clamp((A(db) - A(da)) / sb, 0.0, len);
      }
      out[g.second] += second;
      out[g.first] += len - second;
      break;
    }
  }
  return len;
}

ColumnThickness Specimen::column_thickness(double x, double y) const {
  ColumnThickness c;
  c.phase.assign(spec_.phases.size(), 0.0);
  c.total = thickness_at(x, y);
  if (!(c.total > 0)) return c;
  const double za = z0(), zb = z0() + c.total;
  const auto& incs = spec_.geometry.inclusions;
  // Segments of the column covered by each inclusion.
  std::vector<std::pair<double, double>> seg(incs.size(), {0.0, 0.0});
  std::vector<double> cuts = {za, zb};
  for (size_t k = 0; k < incs.size(); ++k) {
    const Inclusion& inc = incs[k];
    const double r2 = (x - inc.x) * (x - inc.x) + (y - inc.y) * (y - inc.y);
    if (!(r2 < inc.radius * inc.radius)) continue;
    double lo = za, hi = zb;
    if (inc.shape == Inclusion::Shape::Sphere) {
      const double h = std::sqrt(inc.radius * inc.radius - r2), zc = sphere_centre_z(inc);
      lo = std::max(za, zc - h);
      hi = std::min(zb, zc + h);
    }
    if (hi > lo) {
      seg[k] = {lo, hi};
      cuts.push_back(lo);
      cuts.push_back(hi);
    }
  }
  std::sort(cuts.begin(), cuts.end());
  cuts.erase(std::unique(cuts.begin(), cuts.end()), cuts.end());
  for (size_t s = 0; s + 1 < cuts.size(); ++s) {
    const double lo = cuts[s], hi = cuts[s + 1];
    if (!(hi > lo)) continue;
    const double mid = 0.5 * (lo + hi);
    int owner = -1;
    for (size_t k = incs.size(); k-- > 0;)
      if (seg[k].second > seg[k].first && mid > seg[k].first && mid < seg[k].second) {
        owner = incs[k].phase;
        break;
      }
    if (owner >= 0)
      c.phase[owner] += hi - lo;
    else
      base_column(x, y, lo, hi, c.phase);
  }
  return c;
}

bool Specimen::phase_possible(int p, double x0, double x1, double y0, double y1, double zlo, double zhi) const {
  const PhaseGeometry& g = spec_.geometry;
  for (const Inclusion& inc : g.inclusions) {
    if (inc.phase != p) continue;
    if (inc.x + inc.radius <= x0 || inc.x - inc.radius >= x1 || inc.y + inc.radius <= y0 ||
        inc.y - inc.radius >= y1)
      continue;
    if (inc.shape == Inclusion::Shape::Sphere) {
      const double zc = sphere_centre_z(inc);
      if (zc + inc.radius <= zlo || zc - inc.radius >= zhi) continue;
    }
    return true;
  }
  switch (g.kind) {
    case PhaseGeometry::Kind::Uniform:
      return p == g.phase;
    case PhaseGeometry::Kind::Voronoi:
      return std::find(g.voronoi_phases.begin(), g.voronoi_phases.end(), p) != g.voronoi_phases.end();
    case PhaseGeometry::Kind::HalfSpaces: {
      if (p != g.first && p != g.second) return false;
      double dlo = std::numeric_limits<double>::infinity(), dhi = -dlo;
      for (int c = 0; c < 8; ++c) {
        const Vec3 q((c & 1) ? x1 : x0, (c & 2) ? y1 : y0, (c & 4) ? zhi : zlo);
        const double d = normal_.dot(Vec3(q.x - g.x, q.y - g.y, q.z - z_ref_));
        dlo = std::min(dlo, d);
        dhi = std::max(dhi, d);
      }
      const double m = g.width > 0 ? 3 * g.width : 0.0;
      return p == g.first ? dlo < m : dhi >= -m;
    }
  }
  return true;
}

int Specimen::uniform_phase_in(double x0, double x1, double y0, double y1, double zlo, double zhi) const {
  const PhaseGeometry& g = spec_.geometry;
  for (const Inclusion& inc : g.inclusions) {
    if (inc.x + inc.radius <= x0 || inc.x - inc.radius >= x1 || inc.y + inc.radius <= y0 ||
        inc.y - inc.radius >= y1)
      continue;
    if (inc.shape == Inclusion::Shape::Sphere) {
      const double zc = sphere_centre_z(inc);
      if (zc + inc.radius <= zlo || zc - inc.radius >= zhi) continue;
    }
    return -1;
  }
  switch (g.kind) {
    case PhaseGeometry::Kind::Uniform:
      return g.phase;
    case PhaseGeometry::Kind::Voronoi: {
      // Voronoi cells are convex: a rectangle whose four corners share the nearest seed lies in that cell.
      const VoronoiDomain d = voronoi_nearest(x0, y0);
      const double xe = std::nextafter(x1, x0), ye = std::nextafter(y1, y0);
      if (voronoi_nearest(xe, y0).id != d.id || voronoi_nearest(x0, ye).id != d.id ||
          voronoi_nearest(xe, ye).id != d.id)
        return -1;
      return d.phase;
    }
    case PhaseGeometry::Kind::HalfSpaces: {
      double dlo = std::numeric_limits<double>::infinity(), dhi = -dlo;
      for (int c = 0; c < 8; ++c) {
        const Vec3 q((c & 1) ? x1 : x0, (c & 2) ? y1 : y0, (c & 4) ? zhi : zlo);
        const double d = normal_.dot(Vec3(q.x - g.x, q.y - g.y, q.z - z_ref_));
        dlo = std::min(dlo, d);
        dhi = std::max(dhi, d);
      }
      const double m = g.width > 0 ? 3 * g.width : 0.0;
      if (dlo >= m) return g.second;
      if (dhi < -m) return g.first;  // (abrupt: d < 0 everywhere; graded: d < −3w, certain)
      return -1;
    }
  }
  return -1;
}

}  // namespace sedpdf
