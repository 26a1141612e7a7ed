// sedpdf/structures/specimen_truth.hpp — ground truth of a composite specimen: per scan position the
// thickness of each phase under the probe and the phase fractions; rasters of the whole field; the HDF5
// layout the forward models copy into their outputs (docs/specimens.md):
//   <group>/x (nx), <group>/y (ny)                     scan / pixel centres (Å)
//   <group>/thickness_total (ny × nx)                   specimen thickness, film excluded (Å)
//   <group>/thickness/<phase> (ny × nx)                 thickness of each phase (Å)
//   <group>/fraction/<phase> (ny × nx)                  thickness_<phase> / thickness_total (0 where no specimen)
//   <group>/phase_map (ny × nx)                         index of the phase with the largest thickness, −1 none
// Attributes on <group>: phase_names (comma-separated, index order), probe_fwhm_A, film_thickness_A,
// z0_A, definition texts, units on every dataset. Arrays are row-major with y the slow index.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/specimen.hpp"

namespace sedpdf {

/// A rectangular scan: positions (x0 + i·step_x, y0 + j·step_y), i < nx, j < ny (Å).
struct ScanGrid {
  double x0 = 0, y0 = 0;
  double step_x = 0, step_y = 0;
  size_t nx = 0, ny = 0;
  double x(size_t i) const { return x0 + static_cast<double>(i) * step_x; }
  double y(size_t j) const { return y0 + static_cast<double>(j) * step_y; }
};

struct GroundTruth {
  std::vector<std::string> phase_names;
  std::vector<double> x, y;                       ///< Å
  std::vector<double> thickness_total;            ///< ny × nx (Å)
  std::vector<std::vector<double>> thickness;     ///< per phase, ny × nx (Å)
  std::vector<std::vector<double>> fraction;      ///< per phase, ny × nx
  std::vector<double> phase_map;                  ///< ny × nx, phase index or −1
  double probe_fwhm = 0;                          ///< Å (0: single columns)
  double film_thickness = 0;                      ///< Å
  double z0 = 0;                                  ///< Å
  size_t nx() const { return x.size(); }
  size_t ny() const { return y.size(); }
};

/// Ground truth on a scan grid. probe_fwhm > 0 (Å) averages the column thicknesses over a Gaussian
/// footprint of that FWHM (σ = FWHM/2.3548; 987 equal-weight points of a Fibonacci lattice mapped by
/// Box–Muller, to ±3.9σ: the fraction behind a straight edge is within 0.005 of the exact Gaussian
/// integral; columns outside the field count as empty). Throws std::invalid_argument for an empty grid, a
/// non-positive step, a position outside the field or a negative FWHM.
GroundTruth compute_ground_truth(const Specimen& s, const ScanGrid& grid, double probe_fwhm = 0);

/// The raster of the whole field at pixel `step` (Å): pixel centres (i + ½)·step, columns (no footprint).
/// Throws std::invalid_argument for step <= 0 or more than 4096 pixels along an axis.
GroundTruth field_maps(const Specimen& s, double step);

/// Writes `truth` under `group` (created, with its parents) in the layout above.
void write_ground_truth(H5Writer& h5, const GroundTruth& truth, const std::string& group = "/ground_truth");

/// Volumes (Å³): of each phase (index order), then the film, integrating column thicknesses by the
/// midpoint rule on a raster of pixel `step` (Å) over the field.
struct SpecimenVolumes {
  std::vector<double> phase;      ///< Å³ per phase
  double film = 0;                ///< Å³
  double total = 0;               ///< Σ phase (film excluded)
  double mean_thickness = 0;      ///< total / field area (Å)
  double projected_area = 0;      ///< area where t > 0 (Å²)
  double estimated_atoms = 0;     ///< Σ volume × model number density, film included
};
SpecimenVolumes specimen_volumes(const Specimen& s, double step);

}  // namespace sedpdf
