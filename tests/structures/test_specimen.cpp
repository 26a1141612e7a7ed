// Composite specimens: geometry against analytic areas and volumes, ground truth, on-demand atoms
// (determinism, overlaps, memory independent of the field), bad input.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <iostream>
#include <map>
#include <set>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures/random_packing.hpp"
#include "sedpdf/structures/specimen.hpp"
#include "sedpdf/structures/specimen_truth.hpp"

using namespace sedpdf;
namespace tf = sedpdf::test_fixtures;

namespace {

constexpr double nm = 10.0;  // Å per nm

// Two small periodic "phases": a ZIF-like RSA packing (Zn, N, C, H) and a glass-like one (Na, P, O),
// 20 Å cubes (tiled at 20 Å).
const Structure& zif_model() {
  static const Structure s = [] {
    Structure m = tf::random_packing(20.0, tf::zif_like_species(36), 11);
    m.title = "zif-like";
    return m;
  }();
  return s;
}
const Structure& glass_model() {
  static const Structure s = [] {
    Structure m = tf::random_packing(20.0, {{"P", 60, 0.8}, {"Na", 55, 0.9}, {"O", 200, 0.75}}, 12);
    m.title = "glass-like";
    return m;
  }();
  return s;
}

SpecimenSpec base_spec(double fx_nm, double fy_nm) {
  SpecimenSpec s;
  s.field_x = fx_nm * nm;
  s.field_y = fy_nm * nm;
  s.seed = 7;
  s.phases = {{"zif", zif_model(), 0.0}, {"glass", glass_model(), 0.0}};
  s.thickness.kind = ThicknessGeometry::Kind::Slab;
  s.thickness.thickness = 10 * nm;
  s.geometry.kind = PhaseGeometry::Kind::Uniform;
  s.geometry.phase = 0;
  return s;
}

// Area of the part of the rectangle [0, W] × [0, H] where n·(p − p0) >= 0 (Sutherland–Hodgman clip
// of the rectangle by the half-plane, then the shoelace formula).
double clipped_area(double W, double H, double nx, double ny, double x0, double y0) {
  std::vector<std::pair<double, double>> poly = {{0, 0}, {W, 0}, {W, H}, {0, H}}, out;
  auto f = [&](const std::pair<double, double>& p) { return nx * (p.first - x0) + ny * (p.second - y0); };
  for (size_t i = 0; i < poly.size(); ++i) {
    const auto& a = poly[i];
    const auto& b = poly[(i + 1) % poly.size()];
    const double fa = f(a), fb = f(b);
    if (fa >= 0) out.push_back(a);
    if ((fa >= 0) != (fb >= 0)) {
      const double t = fa / (fa - fb);
      out.push_back({a.first + t * (b.first - a.first), a.second + t * (b.second - a.second)});
    }
  }
  double area = 0;
  for (size_t i = 0; i < out.size(); ++i) {
    const auto& a = out[i];
    const auto& b = out[(i + 1) % out.size()];
    area += a.first * b.second - b.first * a.second;
  }
  return std::fabs(area) / 2;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// Geometry against analytic areas and volumes
// ------------------------------------------------------------------------------------------------

TEST(Specimen, HalfSpacesAtAngleReproduceClippedArea) {
  SpecimenSpec s = base_spec(200, 100);
  s.geometry.kind = PhaseGeometry::Kind::HalfSpaces;
  s.geometry.first = 0;
  s.geometry.second = 1;
  s.geometry.x = 120 * nm;
  s.geometry.y = 40 * nm;
  s.geometry.normal_angle_deg = 30;
  const Specimen sp(s);
  const double phi = 30 * kPi / 180;
  const double a_second = clipped_area(2000, 1000, std::cos(phi), std::sin(phi), 1200, 400);
  const SpecimenVolumes v = specimen_volumes(sp, 0.5 * nm);
  const double t = 10 * nm;
  EXPECT_NEAR(v.phase[1] / t, a_second, 2e-3 * a_second);
  EXPECT_NEAR(v.phase[0] / t, 2000.0 * 1000.0 - a_second, 2e-3 * a_second);
  EXPECT_NEAR(v.total, 2000.0 * 1000.0 * t, 1e-9 * v.total);
  // points on either side
  EXPECT_EQ(sp.phase_at(Position(1200 + 50 * std::cos(phi), 400 + 50 * std::sin(phi), 50)), 1);
  EXPECT_EQ(sp.phase_at(Position(1200 - 50 * std::cos(phi), 400 - 50 * std::sin(phi), 50)), 0);
  EXPECT_EQ(sp.phase_at(Position(1200, 400, 150)), -1);  // above the slab
}

TEST(Specimen, InclinedInterfaceColumnsAreStackedAnalytically) {
  // Interface plane tilted 45° from the beam: a column at in-plane distance D from the interface line
  // holds `second` over the part of the column where D cos β + (z − z_ref) sin β >= 0.
  SpecimenSpec s = base_spec(100, 100);
  s.geometry.kind = PhaseGeometry::Kind::HalfSpaces;
  s.geometry.x = 50 * nm;
  s.geometry.y = 50 * nm;
  s.geometry.normal_angle_deg = 0;
  s.geometry.inclination_deg = 45;
  const Specimen sp(s);
  const double t = 100, zref = 50;  // Å
  for (double D : {-80.0, -30.0, 0.0, 20.0, 49.0, 70.0}) {
    const ColumnThickness c = sp.column_thickness(500 + D, 300);
    const double zs = std::clamp(zref - D, 0.0, t);  // d = 0 at z = z_ref − D (cos = sin)
    EXPECT_NEAR(c.phase[1], t - zs, 1e-9) << D;
    EXPECT_NEAR(c.phase[0] + c.phase[1], t, 1e-9);
  }
  // graded: the analytic ∫P dz against a midpoint quadrature of P along the column
  s.geometry.width = 3 * nm;
  const Specimen sg(s);
  for (double D : {-40.0, -10.0, 0.0, 15.0, 35.0}) {
    const ColumnThickness c = sg.column_thickness(500 + D, 300);
    double q = 0;
    const int n = 20000;
    for (int k = 0; k < n; ++k) {
      const double z = (k + 0.5) * t / n;
      const double d = (D + (z - zref)) / std::sqrt(2.0);
      q += 0.5 * (1 + std::erf(std::sqrt(kPi) * d / 30.0)) * t / n;
    }
    EXPECT_NEAR(c.phase[1], q, 1e-6) << D;
  }
}

TEST(Specimen, GradedInterfaceAssignsAtomsWithErfProbability) {
  SpecimenSpec s = base_spec(100, 100);
  s.geometry.kind = PhaseGeometry::Kind::HalfSpaces;
  s.geometry.x = 50 * nm;
  s.geometry.y = 50 * nm;
  s.geometry.width = 6 * nm;
  s.geometry.graded_cell = 1 * nm;
  const Specimen sp(s);
  // One sample per 1 nm assignment cell (cells are independent): the fraction of `second` in bins of
  // the distance d from the interface follows P(d) = ½[1 + erf(√π d/w)].
  for (double d_nm : {-6.0, -3.0, -1.0, 0.0, 1.0, 3.0, 6.0}) {
    int hits = 0, n = 0;
    const double x = 500 + (d_nm + 0.5) * nm;  // cell centre at distance d + 0.5 nm
    for (int iy = 0; iy < 100; ++iy)
      for (int iz = 0; iz < 10; ++iz) {
        hits += sp.phase_at(Position(x, (iy + 0.5) * nm, (iz + 0.5) * nm)) == 1;
        ++n;
      }
    const double P = 0.5 * (1 + std::erf(std::sqrt(kPi) * (d_nm + 0.5) / 6.0));
    const double sigma = std::sqrt(P * (1 - P) / n) + 1e-3;
    EXPECT_NEAR(static_cast<double>(hits) / n, P, 4 * sigma) << d_nm;
  }
}

TEST(Specimen, CircularInclusionAndSphereVolumes) {
  SpecimenSpec s = base_spec(200, 200);
  s.geometry.inclusions.push_back({Inclusion::Shape::Cylinder, 1, 70 * nm, 90 * nm, 30 * nm, -1});
  Inclusion sph{Inclusion::Shape::Sphere, 1, 150 * nm, 140 * nm, 4 * nm, -1};
  s.geometry.inclusions.push_back(sph);
  const Specimen sp(s);
  const SpecimenVolumes v = specimen_volumes(sp, 0.25 * nm);
  const double cyl = kPi * 300.0 * 300.0 * 100.0, ball = 4.0 / 3.0 * kPi * 40.0 * 40.0 * 40.0;
  EXPECT_NEAR(v.phase[1], cyl + ball, 2e-3 * (cyl + ball));
  const double area = v.phase[1] / 100.0;  // (the sphere adds 0.7 % of the cylinder's volume)
  std::cout << "[specimen] inclusion area " << area << " Å² vs πR² = " << kPi * 300 * 300
            << "; sphere+cylinder volume " << v.phase[1] << " vs " << cyl + ball << " Å³\n";
  // The sphere alone: its central column holds 2R of phase 1, centred in the slab.
  const ColumnThickness c = sp.column_thickness(1500, 1400);
  EXPECT_NEAR(c.phase[1], 80.0, 1e-9);
  EXPECT_NEAR(c.phase[0], 20.0, 1e-9);
  EXPECT_EQ(sp.phase_at(Position(1500, 1400, 50)), 1);
  EXPECT_EQ(sp.phase_at(Position(1500, 1400, 5)), 0);
}

TEST(Specimen, EllipsoidalParticlesVolume) {
  SpecimenSpec s = base_spec(350, 350);
  s.thickness.kind = ThicknessGeometry::Kind::Particles;
  s.thickness.particles = {{120 * nm, 150 * nm, 80 * nm, 50 * nm, 25, 60 * nm},
                           {270 * nm, 260 * nm, 40 * nm, 30 * nm, -40, 100 * nm}};
  const Specimen sp(s);
  const SpecimenVolumes v = specimen_volumes(sp, 0.5 * nm);
  const double v1 = 4.0 / 3.0 * kPi * 800 * 500 * 300, v2 = 4.0 / 3.0 * kPi * 400 * 300 * 500;
  EXPECT_NEAR(v.total, v1 + v2, 1e-3 * (v1 + v2));
  EXPECT_NEAR(v.projected_area, kPi * (800 * 500 + 400 * 300), 3e-3 * kPi * (800 * 500 + 400 * 300));
  EXPECT_DOUBLE_EQ(sp.thickness_at(1200, 1500), 600.0);
  EXPECT_DOUBLE_EQ(sp.max_thickness(), 1000.0);
  std::cout << "[specimen] ellipsoids: raster volume " << v.total << " Å³ vs analytic " << v1 + v2 << " ("
            << (v.total / (v1 + v2) - 1) * 100 << " %)\n";
}

TEST(Specimen, WedgeMeanThickness) {
  SpecimenSpec s = base_spec(300, 200);
  s.thickness.kind = ThicknessGeometry::Kind::Wedge;
  s.thickness.thickness_min = 10 * nm;
  s.thickness.thickness_max = 90 * nm;
  s.thickness.angle_deg = 30;
  const Specimen sp(s);
  const SpecimenVolumes v = specimen_volumes(sp, 1 * nm);
  EXPECT_NEAR(v.mean_thickness, 50 * nm, 1e-6 * 50 * nm);
  EXPECT_NEAR(sp.thickness_at(0, 0), 100.0, 1e-9);
  EXPECT_NEAR(sp.thickness_at(3000 - 1e-9, 2000 - 1e-9), 900.0, 1e-6);
}

TEST(Specimen, VoronoiDomainsHaveTheConfiguredMeanSize) {
  SpecimenSpec s = base_spec(2000, 2000);
  s.geometry.kind = PhaseGeometry::Kind::Voronoi;
  s.geometry.mean_size = 40 * nm;
  s.geometry.voronoi_phases = {0, 1};
  s.geometry.voronoi_fractions = {0.3, 0.7};
  const Specimen sp(s);
  const double step = 2.5 * nm;
  const int n = 800;
  struct Dom {
    double area = 0, sx = 0, sy = 0;
    int phase = 0;
  };
  std::map<uint64_t, Dom> doms;
  double area_phase0 = 0;
  for (int j = 0; j < n; ++j)
    for (int i = 0; i < n; ++i) {
      const VoronoiDomain d = sp.voronoi_domain((i + 0.5) * step, (j + 0.5) * step);
      Dom& e = doms[d.id];
      e.area += step * step;
      e.sx = d.seed_x;
      e.sy = d.seed_y;
      e.phase = d.phase;
      if (d.phase == 0) area_phase0 += step * step;
    }
  double sum = 0;
  int count = 0;
  for (const auto& [id, d] : doms)
    if (d.sx > 5000 && d.sx < 15000 && d.sy > 5000 && d.sy < 15000) {
      sum += d.area;
      ++count;
    }
  const double mean_area = sum / count, expected = kPi * 400 * 400 / 4;
  const double mean_size = std::sqrt(4 * mean_area / kPi) / nm;
  std::cout << "[specimen] Voronoi: " << count << " inner domains, mean equivalent diameter " << mean_size
            << " nm (configured 40 nm); phase-0 area fraction " << area_phase0 / (20000.0 * 20000.0)
            << " (configured 0.3)\n";
  EXPECT_NEAR(mean_area, expected, 0.08 * expected);
  EXPECT_NEAR(area_phase0 / (20000.0 * 20000.0), 0.3, 0.04);
  // The phase geometry agrees with the domain map.
  EXPECT_EQ(sp.phase_at(Position(7000, 9000, 20)), sp.voronoi_domain(7000, 9000).phase);
}

TEST(Specimen, GroundTruthFootprintAveragesAcrossAnInterface) {
  SpecimenSpec s = base_spec(100, 100);
  s.geometry.kind = PhaseGeometry::Kind::HalfSpaces;
  s.geometry.x = 50 * nm;
  s.geometry.y = 50 * nm;
  const Specimen sp(s);
  ScanGrid grid{300, 500, 20, 10, 21, 1};  // x from 30 to 70 nm across the interface at 50 nm
  const double fwhm = 5 * nm, sigma = fwhm / 2.354820045;
  const GroundTruth g = compute_ground_truth(sp, grid, fwhm);
  ASSERT_EQ(g.nx(), 21u);
  ASSERT_EQ(g.ny(), 1u);
  for (size_t i = 0; i < g.nx(); ++i) {
    const double d = g.x[i] - 500;
    const double expected = 0.5 * (1 + std::erf(d / (sigma * std::sqrt(2.0))));  // Gaussian CDF
    EXPECT_NEAR(g.fraction[1][i], expected, 0.006) << d;
    EXPECT_NEAR(g.fraction[0][i] + g.fraction[1][i], 1.0, 1e-12);
    EXPECT_NEAR(g.thickness_total[i], 100.0, 1e-9);
    if (d != 0) {
      EXPECT_EQ(g.phase_map[i], d > 0 ? 1.0 : 0.0) << d;
    }
  }
  // single columns: a step function
  const GroundTruth g0 = compute_ground_truth(sp, grid, 0);
  EXPECT_EQ(g0.fraction[1][0], 0.0);
  EXPECT_EQ(g0.fraction[1][20], 1.0);
  // a scan that leaves the field
  EXPECT_THROW(compute_ground_truth(sp, ScanGrid{0, 0, 60, 60, 20, 2}, 0), std::invalid_argument);
  EXPECT_THROW(compute_ground_truth(sp, grid, -1), std::invalid_argument);
  // field maps: pixel centres, no specimen outside particles
  const GroundTruth m = field_maps(sp, 10 * nm);
  EXPECT_EQ(m.nx(), 10u);
  EXPECT_DOUBLE_EQ(m.x[0], 50.0);
}

// ------------------------------------------------------------------------------------------------
// Atoms on demand
// ------------------------------------------------------------------------------------------------

namespace {

SpecimenSpec composite_spec() {
  SpecimenSpec s = base_spec(60, 60);
  s.thickness.thickness = 6 * nm;
  s.geometry.kind = PhaseGeometry::Kind::HalfSpaces;
  s.geometry.x = 30 * nm;
  s.geometry.y = 30 * nm;
  s.geometry.normal_angle_deg = 20;
  s.geometry.width = 1 * nm;
  s.geometry.graded_cell = 0.5 * nm;
  s.geometry.inclusions.push_back({Inclusion::Shape::Sphere, 0, 33 * nm, 28 * nm, 1.5 * nm, -1});
  s.film.thickness = 1.5 * nm;
  return s;
}

bool same_atoms(const std::vector<SpecimenAtom>& a, const std::vector<SpecimenAtom>& b, std::string& why) {
  if (a.size() != b.size()) {
    why = "sizes " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
    return false;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    const Atom &x = a[i].atom, &y = b[i].atom;
    if (x.element != y.element || std::memcmp(&x.pos, &y.pos, sizeof(Position)) != 0 || x.phase != y.phase ||
        a[i].source != b[i].source || a[i].model_index != b[i].model_index) {
      why = "atom " + std::to_string(i) + " differs";
      return false;
    }
  }
  return true;
}

}  // namespace

TEST(Specimen, SameSeedSameAtomsRegardlessOfRegionOrderAndThreads) {
  const Specimen sp(composite_spec());
  // Region A alone, then A cut out of a larger region B generated first, at different thread counts.
  const double ax0 = 290, ax1 = 350, ay0 = 270, ay1 = 330;  // Å, across the interface and the sphere
  const auto big = sp.generate_box(200, 420, 180, 400, nullptr, 2);
  const auto a1 = sp.generate_box(ax0, ax1, ay0, ay1, nullptr, 1);
  std::vector<SpecimenAtom> cut;
  for (const auto& x : big)
    if (x.atom.pos.x >= ax0 && x.atom.pos.x < ax1 && x.atom.pos.y >= ay0 && x.atom.pos.y < ay1) cut.push_back(x);
  std::string why;
  EXPECT_TRUE(same_atoms(a1, cut, why)) << why;
  const auto a2 = sp.generate_box(ax0, ax1, ay0, ay1, nullptr, 2);
  EXPECT_TRUE(same_atoms(a1, a2, why)) << why;
  // a second specimen object with the same seed
  const Specimen sp2(composite_spec());
  EXPECT_TRUE(same_atoms(a1, sp2.generate_box(ax0, ax1, ay0, ay1), why)) << why;
  // two adjacent halves give the whole
  auto left = sp.generate_box(ax0, 320, ay0, ay1), right = sp.generate_box(320, ax1, ay0, ay1);
  EXPECT_EQ(left.size() + right.size(), a1.size());
  // another seed gives other atoms
  SpecimenSpec other = composite_spec();
  other.seed = 8;
  EXPECT_FALSE(same_atoms(a1, Specimen(other).generate_box(ax0, ax1, ay0, ay1), why));
  // every phase and the film are present
  std::set<int> phases;
  for (const auto& x : a1) phases.insert(x.atom.phase);
  EXPECT_EQ(phases, (std::set<int>{0, 1, 2}));
}

TEST(Specimen, OverlapsRemovedAcrossTileAndPhaseBoundaries) {
  const Specimen sp(composite_spec());
  GenerationStats st;
  auto atoms = sp.generate_box(290, 350, 270, 330, &st);
  ASSERT_GT(atoms.size(), 10000u);
  // Brute force over all pairs (sorted by x, so the loop stops 3 Å away): atoms from different sources
  // are never closer than their minimum distance; atoms from one source keep the model's distances.
  std::sort(atoms.begin(), atoms.end(),
            [](const SpecimenAtom& a, const SpecimenAtom& b) { return a.atom.pos.x < b.atom.pos.x; });
  size_t cross_close = 0, cross_pairs_checked = 0, violations = 0;
  double min_same = 1e9;
  for (size_t i = 0; i < atoms.size(); ++i)
    for (size_t j = i + 1; j < atoms.size() && atoms[j].atom.pos.x - atoms[i].atom.pos.x <= 3.0; ++j) {
      const Vec3 d = atoms[j].atom.pos - atoms[i].atom.pos;
      const double r2 = d.length_sq();
      if (r2 > 9.0) continue;
      const double r = std::sqrt(r2);
      if (atoms[i].source == atoms[j].source) {
        min_same = std::min(min_same, r);
        continue;
      }
      ++cross_pairs_checked;
      const double dm = sp.min_distance(atoms[i].atom.element, atoms[j].atom.element);
      if (r < dm - 1e-12) ++violations;
      if (r < dm * 1.15) ++cross_close;
    }
  EXPECT_EQ(violations, 0u);
  EXPECT_GT(cross_close, 50u);  // the boundaries are there and densely populated right up to d_min
  EXPECT_GT(min_same, 0.99);    // the fixture's own closest pairs (H–H at 1.0 Å) survive inside tiles
  EXPECT_GT(st.removed_overlap, 0u);
  std::cout << "[specimen] overlap: " << st.candidates << " candidates, " << st.removed_overlap
            << " removed (" << 100.0 * static_cast<double>(st.removed_overlap) / static_cast<double>(st.candidates) << " %), " << cross_pairs_checked
            << " cross-source pairs within 3 Å, " << st.tiles << " tiles\n";
}

TEST(Specimen, DensityNearModelDensityAndPhaseThicknessFromAtoms) {
  // A 45°-inclined interface: a column holds both phases stacked. Counting atoms of each phase in a
  // 4 × 4 nm column and dividing by ρ_phase × area must give the ground-truth phase thicknesses
  // (minus the overlap deficit, a few per cent).
  SpecimenSpec s = base_spec(40, 40);
  s.thickness.thickness = 8 * nm;
  s.geometry.kind = PhaseGeometry::Kind::HalfSpaces;
  s.geometry.x = 20 * nm;
  s.geometry.y = 20 * nm;
  s.geometry.inclination_deg = 45;
  const Specimen sp(s);
  const double x0 = 180, x1 = 220, y0 = 180, y1 = 220, area = 1600;
  const auto atoms = sp.atoms_in_box(x0, x1, y0, y1);
  std::vector<double> count(2, 0.0);
  for (const Atom& a : atoms) count[a.phase] += 1;
  double t_truth[2] = {0, 0};
  const int n = 40;
  for (int i = 0; i < n; ++i)
    for (int j = 0; j < n; ++j) {
      const ColumnThickness c = sp.column_thickness(x0 + (i + 0.5) * 1.0, y0 + (j + 0.5) * 1.0);
      t_truth[0] += c.phase[0] / (n * n);
      t_truth[1] += c.phase[1] / (n * n);
    }
  for (int p = 0; p < 2; ++p) {
    const double t_atoms = count[p] / (sp.number_density(p) * area);
    std::cout << "[specimen] phase " << p << ": thickness from atoms " << t_atoms << " Å, ground truth "
              << t_truth[p] << " Å (" << (t_atoms / t_truth[p] - 1) * 100 << " %)\n";
    EXPECT_NEAR(t_atoms, t_truth[p], 0.12 * t_truth[p]);
    EXPECT_LT(t_atoms, t_truth[p] * 1.01);  // overlap removal only lowers the density
  }
}

TEST(Specimen, ColumnMemoryDoesNotGrowWithTheField) {
  // The same 5 × 5 nm probe column, 20 nm thick, in a 100 nm and a 10 µm field.
  auto make = [](double field_nm) {
    SpecimenSpec s = base_spec(field_nm, field_nm);
    s.thickness.thickness = 20 * nm;
    s.geometry.kind = PhaseGeometry::Kind::Voronoi;
    s.geometry.mean_size = 30 * nm;
    // two phases with the same model, so that both columns hold the same density whichever domain
    // they fall in
    s.phases[1] = {"zif_b", zif_model(), 0.0};
    s.geometry.voronoi_phases = {0, 1};
    s.film.thickness = 2 * nm;
    return s;
  };
  const Specimen small(make(100)), large(make(10000));
  EXPECT_EQ(small.state_bytes(), large.state_bytes());
  GenerationStats a, b;
  const double cs = 500, cl = 50000;  // field centres (Å)
  const auto t0 = std::chrono::steady_clock::now();
  const auto atoms_small = small.generate_box(cs - 25, cs + 25, cs - 25, cs + 25, &a);
  const auto t1 = std::chrono::steady_clock::now();
  const auto atoms_large = large.generate_box(cl - 25, cl + 25, cl - 25, cl + 25, &b);
  const auto t2 = std::chrono::steady_clock::now();
  std::cout << "[specimen] column 5×5×20 nm: field 100 nm: " << a.atoms << " atoms, " << a.candidates
            << " candidates, " << a.tiles << " tiles, peak " << a.peak_bytes / 1024 << " KiB, "
            << std::chrono::duration<double>(t1 - t0).count() * 1e3 << " ms; field 10 µm: " << b.atoms << " atoms, "
            << b.candidates << " candidates, " << b.tiles << " tiles, peak " << b.peak_bytes / 1024 << " KiB, "
            << std::chrono::duration<double>(t2 - t1).count() * 1e3 << " ms; state " << small.state_bytes()
            << " bytes\n";
  EXPECT_NEAR(static_cast<double>(b.candidates), static_cast<double>(a.candidates), 0.15 * static_cast<double>(a.candidates));
  EXPECT_LT(static_cast<double>(b.peak_bytes), 1.3 * static_cast<double>(a.peak_bytes));
  // Estimated atoms of the large specimen ≈ 10⁸ × 2.2, never generated.
  const SpecimenVolumes v = specimen_volumes(large, 50 * nm);
  EXPECT_GT(v.estimated_atoms, 1e11);
}

TEST(Specimen, CarbonFilmModelHasTheDensityAndMinimumDistance) {
  const Structure c = amorphous_carbon_model(2.0, 25.0, 1.4, 3);
  EXPECT_NEAR(c.mass_density_g_cm3(), 2.0, 0.002);
  double dmin = 1e9;
  for (size_t i = 0; i < c.size(); ++i)
    for (size_t j = i + 1; j < c.size(); ++j) dmin = std::min(dmin, c.cell.distance(c.atoms[i].pos, c.atoms[j].pos));
  EXPECT_GE(dmin, 1.4);
  EXPECT_LT(dmin, 1.45);
  EXPECT_THROW(rsa_model({{Element::parse("C"), 5000, 0.7}}, 20.0, 1), std::invalid_argument);  // too dense
  // multi-species: contact distances r_a + r_b respected under periodic boundaries
  const Structure m = rsa_model({{Element::parse("Zn"), 50, 0.95}, {Element::parse("H"), 300, 0.5}}, 20.0, 4);
  ASSERT_EQ(m.size(), 350u);
  for (size_t i = 0; i < m.size(); ++i)
    for (size_t j = i + 1; j < m.size(); ++j) {
      const double r = m.cell.distance(m.atoms[i].pos, m.atoms[j].pos);
      const double need = (m.atoms[i].element.z() == 30 ? 0.95 : 0.5) + (m.atoms[j].element.z() == 30 ? 0.95 : 0.5);
      ASSERT_GE(r, need - 1e-12);
    }
}

TEST(Specimen, BadSpecificationsNameTheField) {
  auto expect_error = [](SpecimenSpec s, const std::string& needle) {
    try {
      Specimen sp(std::move(s));
      ADD_FAILURE() << "no error for " << needle;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
    }
  };
  SpecimenSpec s = base_spec(100, 100);
  s.thickness.thickness = -5;
  expect_error(s, "thickness");
  s = base_spec(100, 100);
  s.geometry.inclusions.push_back({Inclusion::Shape::Cylinder, 1, 1500, 300, 50, -1});
  expect_error(s, "inclusion 1 centre");
  s = base_spec(100, 100);
  s.geometry.phase = 5;
  expect_error(s, "phase index 5");
  s = base_spec(100, 100);
  s.phases[1].model.cell = Cell();
  expect_error(s, "fully periodic");
  s = base_spec(100, 100);
  s.phases[1].name = "zif";
  expect_error(s, "defined twice");
  s = base_spec(100, 100);
  s.thickness.kind = ThicknessGeometry::Kind::Particles;
  s.thickness.particles = {{-100, 300, 200, 200, 0, 500}};
  expect_error(s, "particle 1 centre");
  s = base_spec(100, 100);
  s.geometry.kind = PhaseGeometry::Kind::Voronoi;
  s.geometry.mean_size = 0;
  s.geometry.voronoi_phases = {0};
  expect_error(s, "voronoi mean size");
  s = base_spec(100, 100);
  s.field_x = 0;
  expect_error(s, "field x");
  const Specimen ok(base_spec(100, 100));
  EXPECT_THROW(ok.generate_box(10, 5, 0, 10), std::invalid_argument);
  EXPECT_THROW(ok.voronoi_domain(1, 1), std::logic_error);
}
