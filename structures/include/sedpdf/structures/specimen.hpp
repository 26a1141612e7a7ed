// sedpdf/structures/specimen.hpp — composite specimens: a field of view with a thickness profile, a phase
// geometry and an optional amorphous carbon support film, filled with randomly rotated copies of periodic
// phase models. Atoms are generated on demand for the region a probe sees; the specimen is never held
// whole (a 350 × 350 × 100 nm particle holds ~10⁹ atoms). docs/specimens.md describes every rule below
// with its effect on the structure; this header states what each call does.
//
// Frame: x, y in the field [0, field_x) × [0, field_y) (Å); the beam travels along +z. The carbon film,
// when present, occupies z ∈ [0, t_film); the specimen column at (x, y) occupies
// z ∈ [z0, z0 + t(x, y)) with z0 = t_film (0 without a film): the particle lies flat on the film, its
// thickness profile t(x, y) is the column length (what the forward models need), not a 3-D shape.
//
// Filling: each phase has its own grid of tiles ("staggered bricks": x-slab boundaries at (i + a_i)·T with
// a jitter |a_i| <= tile_jitter·T, y boundaries at (j + b_i)·T shifted per slab, z boundaries at
// (k + c_ij)·T shifted per column, so the tile boundaries form no periodic lattice). Each tile holds one
// periodic cell of the phase model — the cell centred on a random offset o, so every model atom appears
// exactly once — under its own uniformly random rotation (Shoemake, "Uniform random rotations", Graphics
// Gems III, 1992), centred on the brick; rotation and offset are drawn from a hash of (seed, phase, tile
// index), so any tile is generated independently and deterministically. The brick must fit in the
// cell's inscribed sphere (T·sqrt((1 + 2·jitter)² + 2) <= W, W the smallest perpendicular width of the
// cell): then it is filled without holes and without two periodic images of one atom, so a tile carries
// no periodicity of the model. An atom of phase p is kept where the phase
// geometry assigns p to its position and it lies inside the thickness profile and the field.
// Overlaps: of any two atoms from different tiles (or phases) closer than the pair's minimum distance
// (OverlapRule), the one with the larger priority hash is dropped — every atom that has such a partner
// with a smaller hash is removed (a local rule: no cascade, so a region's atoms do not depend on what
// else is generated).
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

/// An ellipsoidal particle lying on the support: elliptical outline with semi-axes a, b (Å) rotated by
/// angle_deg (a from the x axis towards y), column thickness t = thickness·sqrt(1 − (u/a)² − (v/b)²)
/// (u, v the in-plane coordinates along the axes), i.e. an ellipsoid of semi-axes a, b, thickness/2
/// whose volume is (4/3)π·a·b·(thickness/2).
struct EllipsoidParticle {
  double x = 0, y = 0;          ///< centre (Å), inside the field
  double semi_a = 0, semi_b = 0;  ///< in-plane semi-axes (Å), > 0
  double angle_deg = 0;         ///< orientation of the a axis from x (degrees)
  double thickness = 0;         ///< largest column thickness, at the centre (Å), > 0
};

/// Thickness profile t(x, y) (Å); zero outside the field.
struct ThicknessGeometry {
  enum class Kind { Slab, Wedge, Particles };
  Kind kind = Kind::Slab;
  double thickness = 0;  ///< Slab: uniform thickness (Å)
  /// Wedge: t rises linearly from thickness_min to thickness_max across the field along the direction
  /// angle_deg (from x towards y): t = t_min + (t_max − t_min)(u − u_lo)/(u_hi − u_lo), u the coordinate
  /// along that direction and u_lo, u_hi its extremes over the field's corners. Mean = (t_min + t_max)/2.
  double thickness_min = 0, thickness_max = 0, angle_deg = 0;
  /// Particles: t = max over the particles (overlapping outlines merge; the thicker column wins).
  std::vector<EllipsoidParticle> particles;
};

/// An inclusion of one phase painted over the base phase geometry (later inclusions over earlier ones).
/// Abrupt boundaries.
struct Inclusion {
  enum class Shape { Cylinder, Sphere };
  Shape shape = Shape::Cylinder;  ///< Cylinder: through the whole column (circular in projection)
  int phase = 0;                  ///< index into SpecimenSpec::phases
  double x = 0, y = 0;            ///< centre (Å), inside the field
  double radius = 0;              ///< Å, > 0
  /// Sphere only: height of the centre above the specimen bottom z0 (Å); a negative value means "half
  /// the column thickness at the centre".
  double z = -1;
};

/// Which phase is where.
struct PhaseGeometry {
  enum class Kind { Uniform, HalfSpaces, Voronoi };
  Kind kind = Kind::Uniform;
  int phase = 0;  ///< Uniform: the one phase
  /// HalfSpaces: phase `first` on one side, `second` on the other side of a plane through (x, y, z_ref),
  /// z_ref = z0 + (largest thickness)/2. Its unit normal n = (cos φ cos β, sin φ cos β, sin β) points into
  /// `second`, φ = normal_angle_deg (in-plane, from x towards y), β = inclination_deg (0: the plane
  /// contains the beam direction, an edge-on interface). width (Å) = 0: abrupt; > 0: graded, the
  /// probability of `second` at signed distance d is P(d) = ½[1 + erf(√π d / width)] (so width =
  /// 1/P′(0), the width of the linear ramp with the same central slope; 10–90 % width = 1.0226·width).
  int first = 0, second = 1;
  double x = 0, y = 0;
  double normal_angle_deg = 0, inclination_deg = 0, width = 0;
  /// Graded interfaces: atoms are assigned stochastically but deterministically by cells of this edge
  /// (Å): all atoms in one cell share one uniform number u (hash of seed and cell) and belong to
  /// `second` where u < P(d) — so the two phases never interpenetrate below this scale.
  double graded_cell = 10.0;
  /// Voronoi: columnar (2-D) Poisson–Voronoi domains of seed density λ = 4/(π·mean_size²), so the mean
  /// domain area is π·mean_size²/4 (mean_size = diameter of the circle of the mean area, Å). Each domain
  /// takes one of voronoi_phases with probabilities voronoi_fractions (empty = equal).
  double mean_size = 0;
  std::vector<int> voronoi_phases;
  std::vector<double> voronoi_fractions;
  std::vector<Inclusion> inclusions;
};

/// A phase: a name and a fully periodic model that is tiled.
struct PhaseModelSpec {
  std::string name;
  Structure model;         ///< fully periodic, any triclinic cell
  /// Tile edge T (Å); 0 = the largest allowed, W/sqrt((1 + 2·jitter)² + 2) (0.485·W at jitter 0.25, W the
  /// smallest perpendicular width of the model cell); larger values are rejected.
  double tile_size = 0;
};

/// Optional amorphous carbon support film under the specimen (z ∈ [0, thickness)). Its atoms come from
/// a periodic random-sequential-addition (RSA) hard-sphere model of carbon (amorphous_carbon_model),
/// tiled like a phase.
struct CarbonFilmSpec {
  double thickness = 0;        ///< Å; 0 = no film
  double density_g_cm3 = 2.0;  ///< mass density of the film
  double box = 25.0;           ///< edge of the periodic RSA model (Å)
  double min_distance = 1.40;  ///< hard-sphere diameter of the RSA (Å)
};

/// Minimum distance between two atoms from different tiles or phases (Å):
/// d_min(a, b) = max(covalent_scale·(r_a + r_b), floor), r the covalent radii of Cordero et al. 2008,
/// floor = hydrogen_floor when either atom is H, heavy_floor otherwise; explicit pairs override.
struct OverlapRule {
  double covalent_scale = 0.85;
  double heavy_floor = 1.6;     ///< Å
  double hydrogen_floor = 1.1;  ///< Å
  std::map<std::pair<int, int>, double> explicit_pairs;  ///< (Z_a <= Z_b) -> Å
  void set(Element a, Element b, double d);
  double min_distance(Element a, Element b) const;
};

struct SpecimenSpec {
  double field_x = 0, field_y = 0;  ///< field of view (Å)
  uint64_t seed = 1;
  std::vector<PhaseModelSpec> phases;
  ThicknessGeometry thickness;
  PhaseGeometry geometry;
  CarbonFilmSpec film;
  OverlapRule overlap;
  double tile_jitter = 0.25;       ///< |a_i| <= tile_jitter·T for the x-slab boundaries (0 .. 0.4)
  bool random_orientation = true;  ///< false: every tile holds the model unrotated and in place (a
                                   ///< periodic crystal; for tests of the tiling itself)
};

/// A generated atom with where it came from.
struct SpecimenAtom {
  Atom atom;             ///< element, position (Å), occupancy, u_iso from the model; phase = phase index
                         ///< (phases.size() for the carbon film)
  uint64_t source = 0;   ///< tile id (phase and tile index); atoms of one source come from one model copy
  uint32_t model_index = 0;  ///< index of the atom in its model
};

/// What one generation call did (for the memory tests and the forward models' logs).
struct GenerationStats {
  size_t tiles = 0;           ///< tiles visited
  size_t candidates = 0;      ///< atoms generated in the box plus its overlap margin, before overlaps
  size_t removed_overlap = 0; ///< candidates dropped by the overlap rule (margin included)
  size_t atoms = 0;           ///< atoms returned
  size_t peak_bytes = 0;      ///< bytes of the candidate, bin and flag buffers held at the peak
};

/// Per-column thicknesses (Å): one entry per phase (SpecimenSpec::phases order).
struct ColumnThickness {
  double total = 0;                  ///< t(x, y)
  std::vector<double> phase;         ///< expected thickness of each phase (graded interfaces: ∫P dz)
};

/// Domain a point of a Voronoi geometry belongs to.
struct VoronoiDomain {
  uint64_t id = 0;
  double seed_x = 0, seed_y = 0;  ///< Å
  int phase = 0;
};

class Specimen {
 public:
  /// Validates the specification; throws std::invalid_argument naming the bad field and value (sizes
  /// or thicknesses not positive, geometry outside the field, phase indices out of range, a model that
  /// is empty or not fully periodic, a tile too small for the field, bad fractions).
  explicit Specimen(SpecimenSpec spec);

  const SpecimenSpec& spec() const { return spec_; }
  size_t phase_count() const { return spec_.phases.size(); }
  const std::string& phase_name(size_t p) const { return spec_.phases[p].name; }
  /// Index of a phase by name, −1 if none.
  int phase_index(const std::string& name) const;
  bool has_film() const { return spec_.film.thickness > 0; }
  /// The film's periodic carbon model (empty without a film).
  const Structure& film_model() const { return film_model_; }
  /// z0: bottom of the specimen = top of the film (Å).
  double z0() const { return spec_.film.thickness; }
  /// Largest column thickness of the specimen (Å, film excluded).
  double max_thickness() const { return max_thickness_; }
  /// Tile edge T of phase p (Å); p = phase_count() is the film.
  double tile_size(size_t p) const { return tiles_[p].size; }

  // ---- geometry (exact, no atoms) ----
  /// t(x, y) (Å); 0 outside the field.
  double thickness_at(double x, double y) const;
  /// Thickness of each phase in the column at (x, y) (Å): exact integrals along z of the phase
  /// probabilities (abrupt boundaries: lengths of the column segments).
  ColumnThickness column_thickness(double x, double y) const;
  /// Phase index assigned to the point (Å) as the atom filling sees it (graded interfaces: the
  /// stochastic assignment), or −1 outside the specimen (outside the field, below z0 or above the
  /// column). The film is not a phase here.
  int phase_at(const Position& p) const;
  /// The Voronoi domain of (x, y) (Voronoi geometries only; throws std::logic_error otherwise).
  VoronoiDomain voronoi_domain(double x, double y) const;

  // ---- atoms on demand ----
  /// Atoms with x ∈ [xmin, xmax), y ∈ [ymin, ymax) (Å), the full depth, film included, after overlap
  /// removal, in a canonical order (by tile, then model atom and image): the same seed gives the same
  /// atoms for a region regardless of what else was generated or in which order. Memory is proportional
  /// to the atoms in the box (plus a margin of the largest minimum distance), never to the field.
  /// threads <= 0: OpenMP default; the result does not depend on the thread count.
  std::vector<SpecimenAtom> generate_box(double xmin, double xmax, double ymin, double ymax,
                                         GenerationStats* stats = nullptr, int threads = 0) const;
  /// generate_box without provenance.
  std::vector<Atom> atoms_in_box(double xmin, double xmax, double ymin, double ymax,
                                 GenerationStats* stats = nullptr, int threads = 0) const;
  /// Minimum distance of the overlap rule for two elements (Å).
  double min_distance(Element a, Element b) const { return spec_.overlap.min_distance(a, b); }

  // ---- bookkeeping ----
  /// Bytes of the specimen's own state (models, tables, geometry): independent of the field size.
  size_t state_bytes() const;
  /// Number density ρ₀ of phase p's model (atoms/Å³); p = phase_count() is the film.
  double number_density(size_t p) const;

 private:
  struct TileGrid {
    double size = 0;                  // T (Å)
    std::vector<Fractional> frac;     // model atoms' fractional coordinates in [0, 1)
    std::vector<Position> cart;       // M·frac (Å)
    std::vector<uint16_t> elem;       // index into elements_
    std::vector<double> occ, uiso;
    Mat33 m, minv;                    // model cell and inverse
    // The cell split into nsub³ blocks (about 5 Å); atoms listed block by block (CSR) so a tile visits
    // only the blocks that reach its region.
    int nsub[3] = {1, 1, 1};
    std::vector<uint32_t> block_start, block_atoms;
    double block_radius = 0;          // half the longest block diagonal (Å)
  };
  SpecimenSpec spec_;
  Structure film_model_;
  std::vector<TileGrid> tiles_;       // one per phase, then the film
  std::vector<Element> elements_;     // elements of all models
  std::vector<double> dmin_;          // dense table elements_ × elements_ (Å)
  double dmin_max_ = 0;
  double max_thickness_ = 0;
  double z_ref_ = 0;                  // half-space reference height (Å)
  Vec3 normal_;                       // half-space unit normal
  double voronoi_cell_ = 0;           // seed grid cell edge (Å)
  std::vector<double> voronoi_cum_;   // cumulative fractions

  struct Brick {
    int phase;                        // p (phase_count() for the film)
    int64_t i, j, k;                  // tile index
    double x0, x1, y0, y1, z0, z1;    // brick bounds (Å)
  };
  double slab_boundary(size_t p, int64_t i) const;
  int64_t slab_of(size_t p, double x) const;
  double y_shift(size_t p, int64_t i) const;
  double z_shift(size_t p, int64_t i, int64_t j) const;
  void bricks_in_box(size_t p, double x0, double x1, double y0, double y1, double z0, double z1,
                     std::vector<Brick>& out) const;
  double base_column(double x, double y, double za, double zb, std::vector<double>& out) const;
  int base_phase_at(const Position& p) const;
  /// Phase at a point inside the specimen volume (inclusions, then the base geometry).
  int assigned_phase(const Position& p) const;
  VoronoiDomain voronoi_nearest(double x, double y) const;
  double max_thickness_in_rect(double x0, double x1, double y0, double y1) const;
  bool phase_possible(int p, double x0, double x1, double y0, double y1, double z0, double z1) const;
  /// The one phase of the whole region when it can be proved cheaply, else −1.
  int uniform_phase_in(double x0, double x1, double y0, double y1, double z0, double z1) const;
  double sphere_centre_z(const Inclusion& inc) const;
};

/// One species of a random packing: `count` hard spheres of `radius` (Å); two atoms stay at least
/// r_a + r_b apart.
struct RsaSpecies {
  Element element;
  size_t count = 0;
  double radius = 0;
};

/// A periodic cubic random-sequential-addition packing (Widom 1966; Feder 1980) of hard spheres in a cube
/// of edge `box` (Å), species placed in the order given (largest first packs best), seeded; a cell list
/// makes it O(N). Throws std::invalid_argument if the packing fraction Σ N·(4/3)πr³ / box³ exceeds 0.3
/// (RSA of equal spheres jams at ≈ 0.38) or a placement needs more than 10⁶ tries.
Structure rsa_model(const std::vector<RsaSpecies>& species, double box, uint64_t seed);

/// The film's amorphous carbon: rsa_model of C at the given density (g/cm³, count rounded to the nearest
/// atom), box edge (Å) and hard-sphere diameter (Å). A random packing, not a covalent network: it has the
/// density and a first-neighbour shell at min_distance, not the 3-fold sp² coordination of real a-C.
Structure amorphous_carbon_model(double density_g_cm3, double box, double min_distance, uint64_t seed);

}  // namespace sedpdf
