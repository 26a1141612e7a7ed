// Ground truth of composite specimens: per-position phase thicknesses (optionally over a Gaussian probe
// footprint), field rasters, volumes, and the HDF5 layout of specimen_truth.hpp.
#include "sedpdf/structures/specimen_truth.hpp"

#include "sedpdf/structures/error.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace sedpdf {

namespace {

void finish(GroundTruth& g) {
  const size_t n = g.thickness_total.size(), np = g.thickness.size();
  g.fraction.assign(np, std::vector<double>(n, 0.0));
  g.phase_map.assign(n, -1.0);
  for (size_t i = 0; i < n; ++i) {
    double sum = 0;
    for (size_t p = 0; p < np; ++p) sum += g.thickness[p][i];
    if (!(sum > 0)) continue;
    size_t best = 0;
    for (size_t p = 0; p < np; ++p) {
      g.fraction[p][i] = g.thickness[p][i] / sum;
      if (g.thickness[p][i] > g.thickness[best][i]) best = p;
    }
    g.phase_map[i] = static_cast<double>(best);
  }
}

GroundTruth empty_truth(const Specimen& s) {
  GroundTruth g;
  for (size_t p = 0; p < s.phase_count(); ++p) g.phase_names.push_back(s.phase_name(p));
  g.film_thickness = s.has_film() ? s.spec().film.thickness : 0.0;
  g.z0 = s.z0();
  return g;
}

}  // namespace

GroundTruth compute_ground_truth(const Specimen& s, const ScanGrid& grid, double probe_fwhm) {
  if (grid.nx == 0 || grid.ny == 0) throw std::invalid_argument("ground truth: the scan grid is empty");
  if (!(grid.step_x > 0) || !(grid.step_y > 0) || !std::isfinite(grid.step_x) || !std::isfinite(grid.step_y))
    throw std::invalid_argument("ground truth: scan steps must be positive (Å), got " + format_number(grid.step_x, 6) + ", " +
                                format_number(grid.step_y, 6));
  if (!(probe_fwhm >= 0) || !std::isfinite(probe_fwhm))
    throw std::invalid_argument("ground truth: probe FWHM must be >= 0 Å, got " + format_number(probe_fwhm, 6));
  const double fx = s.spec().field_x, fy = s.spec().field_y;
  for (double x : {grid.x(0), grid.x(grid.nx - 1)})
    if (!(x >= 0 && x <= fx))
      throw std::invalid_argument("ground truth: scan x = " + format_number(x / 10, 6) + " nm lies outside the field 0.." +
                                  format_number(fx / 10, 6) + " nm");
  for (double y : {grid.y(0), grid.y(grid.ny - 1)})
    if (!(y >= 0 && y <= fy))
      throw std::invalid_argument("ground truth: scan y = " + format_number(y / 10, 6) + " nm lies outside the field 0.." +
                                  format_number(fy / 10, 6) + " nm");
  GroundTruth g = empty_truth(s);
  g.probe_fwhm = probe_fwhm;
  for (size_t i = 0; i < grid.nx; ++i) g.x.push_back(grid.x(i));
  for (size_t j = 0; j < grid.ny; ++j) g.y.push_back(grid.y(j));
  const size_t n = grid.nx * grid.ny, np = s.phase_count();
  g.thickness_total.assign(n, 0.0);
  g.thickness.assign(np, std::vector<double>(n, 0.0));
  // Footprint quadrature: the 987-point Fibonacci lattice (k + ½)/N, frac(k·610/N) on the unit square
  // mapped to the plane by the Box–Muller transform r = σ sqrt(−2 ln(1 − u₁)), θ = 2πu₂, equal weights
  // (a rank-1 lattice, Sloan & Joe, Lattice Methods for Multiple Integration, 1994). Unlike a product
  // grid it has no rows an edge can line up with: for a straight edge at any angle and offset the
  // fraction is within 0.005 of the Gaussian CDF (measured over 6 angles × 81 offsets).
  std::vector<double> ox = {0}, oy = {0}, w = {1};
  if (probe_fwhm > 0) {
    constexpr int kN = 987, kG = 610;
    const double sigma = probe_fwhm / (2 * std::sqrt(2 * std::log(2.0)));
    ox.assign(kN, 0.0);
    oy.assign(kN, 0.0);
    w.assign(kN, 1.0 / kN);
    for (int k = 0; k < kN; ++k) {
      const double u1 = (k + 0.5) / kN, u2 = static_cast<double>((static_cast<long>(k) * kG) % kN) / kN;
      const double r = sigma * std::sqrt(-2 * std::log(1 - u1)), th = 2 * kPi * u2;
      ox[static_cast<size_t>(k)] = r * std::cos(th);
      oy[static_cast<size_t>(k)] = r * std::sin(th);
    }
  }
#pragma omp parallel for schedule(dynamic)
  for (int64_t idx = 0; idx < static_cast<int64_t>(n); ++idx) {
    const size_t k = static_cast<size_t>(idx);
    const double x = g.x[k % grid.nx], y = g.y[k / grid.nx];
    for (size_t q = 0; q < w.size(); ++q) {
      const ColumnThickness c = s.column_thickness(x + ox[q], y + oy[q]);
      g.thickness_total[k] += w[q] * c.total;
      for (size_t p = 0; p < np; ++p) g.thickness[p][k] += w[q] * c.phase[p];
    }
  }
  finish(g);
  return g;
}

GroundTruth field_maps(const Specimen& s, double step) {
  if (!(step > 0) || !std::isfinite(step))
    throw std::invalid_argument("field maps: pixel step must be positive (Å), got " + format_number(step, 6));
  const double fx = s.spec().field_x, fy = s.spec().field_y;
  const double nxd = std::ceil(fx / step - 1e-9), nyd = std::ceil(fy / step - 1e-9);
  if (nxd > 4096 || nyd > 4096)
    throw std::invalid_argument("field maps: a step of " + format_number(step / 10, 6) + " nm gives " + format_number(nxd, 6) + " × " +
                                format_number(nyd, 6) + " pixels (at most 4096 per axis)");
  const size_t nx = static_cast<size_t>(nxd), ny = static_cast<size_t>(nyd);
  GroundTruth g = empty_truth(s);
  for (size_t i = 0; i < nx; ++i) g.x.push_back((static_cast<double>(i) + 0.5) * step);
  for (size_t j = 0; j < ny; ++j) g.y.push_back((static_cast<double>(j) + 0.5) * step);
  const size_t n = nx * ny, np = s.phase_count();
  g.thickness_total.assign(n, 0.0);
  g.thickness.assign(np, std::vector<double>(n, 0.0));
#pragma omp parallel for schedule(dynamic, 64)
  for (int64_t idx = 0; idx < static_cast<int64_t>(n); ++idx) {
    const size_t k = static_cast<size_t>(idx);
    const ColumnThickness c = s.column_thickness(g.x[k % nx], g.y[k / nx]);
    g.thickness_total[k] = c.total;
    for (size_t p = 0; p < np; ++p) g.thickness[p][k] = c.phase[p];
  }
  finish(g);
  return g;
}

void write_ground_truth(H5Writer& h5, const GroundTruth& t, const std::string& group) {
  // create the group and its parents
  for (size_t pos = 1; pos <= group.size(); ++pos)
    if (pos == group.size() || group[pos] == '/') {
      const std::string part = group.substr(0, pos);
      if (H5Lexists(h5.id(), part.c_str(), H5P_DEFAULT) <= 0) h5.group(part);
    }
  const size_t nx = t.nx(), ny = t.ny();
  h5.dataset(group + "/x", t.x, "Å");
  h5.dataset(group + "/y", t.y, "Å");
  h5.dataset(group + "/thickness_total", t.thickness_total, ny, nx, "Å");
  h5.attribute(group + "/thickness_total", "definition", "specimen column thickness t(x, y), support film excluded");
  h5.group(group + "/thickness");
  h5.group(group + "/fraction");
  for (size_t p = 0; p < t.phase_names.size(); ++p) {
    h5.dataset(group + "/thickness/" + t.phase_names[p], t.thickness[p], ny, nx, "Å");
    h5.dataset(group + "/fraction/" + t.phase_names[p], t.fraction[p], ny, nx, "1");
  }
  h5.attribute(group + "/thickness", "definition",
               "thickness of each phase in the column (integral along z of the phase probability)");
  h5.attribute(group + "/fraction", "definition", "thickness of the phase / sum over phases (0 where no specimen)");
  h5.dataset(group + "/phase_map", t.phase_map, ny, nx, "");
  h5.attribute(group + "/phase_map", "definition", "index of the phase with the largest thickness; -1: no specimen");
  std::string names;
  for (size_t p = 0; p < t.phase_names.size(); ++p) names += (p ? "," : "") + t.phase_names[p];
  h5.attribute(group, "phase_names", names);
  h5.attribute(group, "probe_fwhm_A", t.probe_fwhm);
  h5.attribute(group, "film_thickness_A", t.film_thickness);
  h5.attribute(group, "z0_A", t.z0);
  h5.attribute(group, "layout", "2-D arrays are (ny, nx), row-major, y the slow index; x, y in Å");
}

SpecimenVolumes specimen_volumes(const Specimen& s, double step) {
  if (!(step > 0) || !std::isfinite(step))
    throw std::invalid_argument("specimen volumes: step must be positive (Å), got " + format_number(step, 6));
  const double fx = s.spec().field_x, fy = s.spec().field_y;
  const size_t nx = static_cast<size_t>(std::ceil(fx / step - 1e-9)), ny = static_cast<size_t>(std::ceil(fy / step - 1e-9));
  const size_t np = s.phase_count();
  SpecimenVolumes v;
  v.phase.assign(np, 0.0);
  // Per-row sums, added in row order afterwards: the result does not depend on the thread count.
  std::vector<double> row_vol(ny * np, 0.0), row_area(ny, 0.0);
#pragma omp parallel for schedule(dynamic, 16)
  for (int64_t jj = 0; jj < static_cast<int64_t>(ny); ++jj) {
    const size_t j = static_cast<size_t>(jj);
    const double y0 = static_cast<double>(j) * step, y1 = std::min(fy, y0 + step);
    for (size_t i = 0; i < nx; ++i) {
      const double x0 = static_cast<double>(i) * step, x1 = std::min(fx, x0 + step);
      const double a = (x1 - x0) * (y1 - y0);
      const ColumnThickness c = s.column_thickness(0.5 * (x0 + x1), 0.5 * (y0 + y1));
      if (c.total > 0) row_area[j] += a;
      for (size_t p = 0; p < np; ++p) row_vol[j * np + p] += a * c.phase[p];
    }
  }
  std::vector<double> vol(np, 0.0);
  double area = 0;
  for (size_t j = 0; j < ny; ++j) {
    area += row_area[j];
    for (size_t p = 0; p < np; ++p) vol[p] += row_vol[j * np + p];
  }
  v.phase = vol;
  for (double p : v.phase) v.total += p;
  v.film = s.has_film() ? fx * fy * s.spec().film.thickness : 0.0;
  v.mean_thickness = v.total / (fx * fy);
  v.projected_area = area;
  for (size_t p = 0; p < np; ++p) v.estimated_atoms += v.phase[p] * s.number_density(p);
  if (s.has_film()) v.estimated_atoms += v.film * s.number_density(np);
  return v;
}

}  // namespace sedpdf
