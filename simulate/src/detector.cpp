// Detector geometry, s calibration and masks (see sedpdf/simulate/detector.hpp).
#include "sedpdf/simulate/detector.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

namespace sedpdf {

namespace {

void check_ds(double ds) {
  if (!(std::isfinite(ds) && ds > 0))
    throw std::invalid_argument("detector: pixel size ds = " + format_number(ds) + " Å⁻¹/pixel must be finite and > 0");
}

/// Physical positions of n_chips chips of `chip` pixels separated by `gap` pixels, the stored pixels
/// being the chip pixels only (compact) or the chip and gap pixels (with_gaps).
void chip_axis(size_t n_chips, size_t chip, size_t gap, bool with_gaps, std::vector<double>& pos,
               std::vector<size_t>& gap_idx) {
  pos.clear();
  gap_idx.clear();
  size_t x = 0;
  for (size_t c = 0; c < n_chips; ++c) {
    if (c > 0) {
      for (size_t k = 0; k < gap; ++k, ++x) {
        if (with_gaps) {
          gap_idx.push_back(pos.size());
          pos.push_back(static_cast<double>(x));
        }
      }
    }
    for (size_t k = 0; k < chip; ++k, ++x) pos.push_back(static_cast<double>(x));
  }
}

}  // namespace

// ---------------------------------------------------------------- DetectorGeometry

DetectorGeometry DetectorGeometry::uniform(size_t ny, size_t nx, double ds, const std::string& name) {
  check_ds(ds);
  if (ny == 0 || nx == 0)
    throw std::invalid_argument("detector: empty pixel grid " + std::to_string(ny) + " × " + std::to_string(nx));
  DetectorGeometry g;
  chip_axis(1, ny, 0, false, g.row_pos_, g.gap_rows_);
  chip_axis(1, nx, 0, false, g.col_pos_, g.gap_cols_);
  g.ds_ = ds;
  g.layout_ = name;
  return g;
}

DetectorGeometry DetectorGeometry::quad_medipix3(double ds, QuadStorage storage) {
  check_ds(ds);
  // 2 × 2 Medipix3 chips of 256 × 256 pixels with 3-pixel gaps (515 × 515 area; Laulainen et al. 2022).
  const bool with_gaps = storage == QuadStorage::WithGaps515;
  DetectorGeometry g;
  chip_axis(2, 256, 3, with_gaps, g.row_pos_, g.gap_rows_);
  chip_axis(2, 256, 3, with_gaps, g.col_pos_, g.gap_cols_);
  g.ds_ = ds;
  g.layout_ = with_gaps ? "quad_medipix3_515" : "quad_medipix3";
  return g;
}

DetectorGeometry DetectorGeometry::single_256(double ds) { return uniform(256, 256, ds, "single_256"); }

DetectorGeometry DetectorGeometry::preset(const std::string& name, double ds) {
  if (name == "quad_medipix3") return quad_medipix3(ds, QuadStorage::Compact512);
  if (name == "quad_medipix3_515") return quad_medipix3(ds, QuadStorage::WithGaps515);
  if (name == "single_256") return single_256(ds);
  throw std::invalid_argument("detector: unknown layout '" + name +
                              "' (known: quad_medipix3, quad_medipix3_515, single_256)");
}

Mask DetectorGeometry::gap_mask() const {
  Mask m(ny(), nx());
  for (size_t i : gap_rows_)
    for (size_t j = 0; j < nx(); ++j) m.set(i, j);
  for (size_t j : gap_cols_)
    for (size_t i = 0; i < ny(); ++i) m.set(i, j);
  return m;
}

void DetectorGeometry::set_wavelength(double lambda) {
  if (!(std::isfinite(lambda) && lambda >= 0))
    throw std::invalid_argument("detector: wavelength " + format_number(lambda) + " Å must be finite and ≥ 0");
  lambda_ = lambda;
}

double DetectorGeometry::s_of_radius(double r) const {
  if (lambda_ <= 0) return r * ds_;
  // Flat detector normal to the beam: tan 2θ = r·p/L with p/L = λ·Δs (so ds/dr = Δs at r = 0);
  // s = 2 sinθ/λ (BRIEF.md conventions).
  const double two_theta = std::atan(r * lambda_ * ds_);
  return 2.0 * std::sin(0.5 * two_theta) / lambda_;
}

double DetectorGeometry::radius_of_s(double s) const {
  if (lambda_ <= 0) return s / ds_;
  const double x = 0.5 * s * lambda_;  // sin θ
  if (!(x < std::sqrt(0.5)))           // 2θ must stay below 90°
    throw std::invalid_argument("detector: s = " + format_number(s) + " Å⁻¹ is beyond 90° scattering for λ = " +
                                format_number(lambda_) + " Å");
  const double theta = std::asin(x);
  return std::tan(2.0 * theta) / (lambda_ * ds_);
}

double DetectorGeometry::solid_angle(double r) const {
  if (lambda_ <= 0) return 1.0;
  const double c = std::cos(std::atan(r * lambda_ * ds_));
  return c * c * c;
}

void DetectorGeometry::check_frame_size(size_t n, const std::string& what) const {
  if (n != n_pixels())
    throw std::invalid_argument(what + " has " + std::to_string(n) + " pixels but the detector '" + layout_ +
                                "' stores " + std::to_string(ny()) + " × " + std::to_string(nx()) + " = " +
                                std::to_string(n_pixels()));
}

// ---------------------------------------------------------------- Mask

Mask Mask::from_values(size_t ny, size_t nx, const std::vector<double>& v, bool nonzero_is_masked) {
  if (v.size() != ny * nx)
    throw std::invalid_argument("mask: " + std::to_string(v.size()) + " values for a " + std::to_string(ny) +
                                " × " + std::to_string(nx) + " grid");
  Mask m(ny, nx);
  for (size_t k = 0; k < v.size(); ++k) {
    const bool nonzero = v[k] != 0;
    m.m_[k] = (!std::isfinite(v[k]) || nonzero == nonzero_is_masked) ? 1 : 0;
  }
  return m;
}

size_t Mask::count() const {
  size_t n = 0;
  for (uint8_t b : m_) n += b != 0;
  return n;
}

Mask& Mask::operator|=(const Mask& o) {
  if (o.ny_ != ny_ || o.nx_ != nx_)
    throw std::invalid_argument("mask: cannot combine a " + std::to_string(ny_) + " × " + std::to_string(nx_) +
                                " mask with a " + std::to_string(o.ny_) + " × " + std::to_string(o.nx_) + " one");
  for (size_t k = 0; k < m_.size(); ++k) m_[k] = static_cast<uint8_t>(m_[k] | o.m_[k]);
  return *this;
}

Mask effective_mask(const DetectorGeometry& g, const Mask& user) {
  Mask m = g.gap_mask();
  if (!user.empty()) {
    if (user.ny() != g.ny() || user.nx() != g.nx())
      throw std::invalid_argument("mask is " + std::to_string(user.ny()) + " × " + std::to_string(user.nx()) +
                                  " but the detector '" + g.layout() + "' stores " + std::to_string(g.ny()) +
                                  " × " + std::to_string(g.nx()) + " pixels");
    m |= user;
  }
  return m;
}

Mask read_mask_h5(const std::string& path, const std::string& dataset, const DetectorGeometry& g,
                  bool nonzero_is_masked) {
  H5Reader r(path);
  if (!r.exists(dataset)) throw InputError(path, 0, dataset, "mask dataset not found");
  const std::vector<size_t> shape = r.shape(dataset);
  if (shape.size() != 2)
    throw InputError(path, 0, dataset, "a mask must be a 2-D dataset, this one has rank " + std::to_string(shape.size()));
  if (shape[0] != g.ny() || shape[1] != g.nx())
    throw InputError(path, 0, dataset,
                     "mask shape " + std::to_string(shape[0]) + " × " + std::to_string(shape[1]) + " differs from the detector '" +
                         g.layout() + "' (" + std::to_string(g.ny()) + " × " + std::to_string(g.nx()) + ")");
  return Mask::from_values(g.ny(), g.nx(), r.read(dataset), nonzero_is_masked);
}

void write_mask_h5(const std::string& path, const std::string& dataset, const Mask& m) {
  H5Writer w(path);
  hsize_t dims[2] = {m.ny(), m.nx()};
  hid_t space = H5Screate_simple(2, dims, nullptr);
  hid_t lcpl = H5Pcreate(H5P_LINK_CREATE);
  H5Pset_create_intermediate_group(lcpl, 1);
  hid_t ds = H5Dcreate2(w.id(), dataset.c_str(), H5T_STD_U8LE, space, lcpl, H5P_DEFAULT, H5P_DEFAULT);
  H5Pclose(lcpl);
  H5Sclose(space);
  if (ds < 0) throw std::runtime_error("HDF5: cannot create mask dataset " + dataset + " in " + path);
  const herr_t st = H5Dwrite(ds, H5T_NATIVE_UINT8, H5S_ALL, H5S_ALL, H5P_DEFAULT, m.data().data());
  H5Dclose(ds);
  if (st < 0) throw std::runtime_error("HDF5: writing mask dataset " + dataset + " in " + path + " failed");
  w.attribute(dataset, "convention", "1 = excluded pixel (gap, dead, hot or user-masked), 0 = used");
  w.close();
}

// ---------------------------------------------------------------- bad pixels

BadPixels find_bad_pixels(const std::vector<double>& image, const DetectorGeometry& g, const Mask& known,
                          const BadPixelOptions& opt) {
  g.check_frame_size(image.size(), "bad-pixel image");
  if (opt.window < 3 || opt.window % 2 == 0)
    throw std::invalid_argument("bad pixels: window " + std::to_string(opt.window) + " must be odd and ≥ 3");
  if (!(opt.hot_sigma > 0))
    throw std::invalid_argument("bad pixels: hot_sigma " + format_number(opt.hot_sigma) + " must be > 0");
  const Mask skip = effective_mask(g, known);
  const size_t ny = g.ny(), nx = g.nx(), n = ny * nx;
  const long h = static_cast<long>(opt.window / 2);
  std::vector<double> med(n, std::nan("")), res(n, std::nan(""));

#pragma omp parallel
  {
    std::vector<double> buf;
    buf.reserve(opt.window * opt.window);
#pragma omp for schedule(static)
    for (long i = 0; i < static_cast<long>(ny); ++i) {
      for (long j = 0; j < static_cast<long>(nx); ++j) {
        const size_t p = static_cast<size_t>(i) * nx + static_cast<size_t>(j);
        if (skip.masked(p) || !std::isfinite(image[p])) continue;
        buf.clear();
        for (long a = std::max(0L, i - h); a <= std::min(static_cast<long>(ny) - 1, i + h); ++a)
          for (long b = std::max(0L, j - h); b <= std::min(static_cast<long>(nx) - 1, j + h); ++b) {
            const size_t q = static_cast<size_t>(a) * nx + static_cast<size_t>(b);
            if (q == p || skip.masked(q) || !std::isfinite(image[q])) continue;
            buf.push_back(image[q]);
          }
        if (buf.size() < 3) continue;
        const size_t mid = buf.size() / 2;
        std::nth_element(buf.begin(), buf.begin() + static_cast<long>(mid), buf.end());
        double m = buf[mid];
        if (buf.size() % 2 == 0) m = 0.5 * (m + *std::max_element(buf.begin(), buf.begin() + static_cast<long>(mid)));
        med[p] = m;
        res[p] = image[p] - m;
      }
    }
  }

  BadPixels out;
  out.hot = Mask(ny, nx);
  out.dead = Mask(ny, nx);
  double sigma = 0;
  if (!opt.poisson) {
    std::vector<double> r;
    for (double v : res)
      if (std::isfinite(v)) r.push_back(v);
    if (r.empty()) return out;
    auto median = [](std::vector<double> v) {
      const size_t mid = v.size() / 2;
      std::nth_element(v.begin(), v.begin() + static_cast<long>(mid), v.end());
      return v[mid];
    };
    const double m = median(r);
    for (double& v : r) v = std::abs(v - m);
    sigma = 1.4826 * median(r);  // consistent with σ for Gaussian noise (Rousseeuw & Croux 1993)
    if (sigma == 0) {            // sparse integer data: most residuals exactly 0; fall back to the rms
      double ss = 0;
      for (double v : r) ss += v * v;
      sigma = std::sqrt(ss / static_cast<double>(r.size()));
    }
    if (sigma == 0) return out;  // a perfectly smooth image has no outliers
    out.sigma = sigma;
  }
  for (size_t p = 0; p < n; ++p) {
    if (!std::isfinite(res[p])) continue;
    const double s = opt.poisson ? std::sqrt(std::max(med[p], 0.0) + 1.0) : sigma;
    if (res[p] / s > opt.hot_sigma) out.hot.set_index(p);
    if (med[p] >= opt.dead_min_median && image[p] <= opt.dead_fraction * med[p]) out.dead.set_index(p);
  }
  return out;
}

}  // namespace sedpdf
