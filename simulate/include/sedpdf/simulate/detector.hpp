// sedpdf/simulate/detector.hpp — where the stored pixels of a diffraction frame lie on the detector
// (chip layouts with inter-chip gaps), the s calibration, and pixel masks (gaps, dead and hot pixels).
//
// Conventions (docs/reduction.md, "Detector, centre and azimuthal integration"):
// - A frame is stored row-major, ny rows × nx columns; stored pixel (i, j) is row i, column j.
// - Positions are in *physical pixel units* on the sensor plane: x along columns, y along rows, with
//   the centre of stored pixel (0, 0) at (0, 0). Each pixel is the unit square centred on its position
//   (x ± ½, y ± ½) — the numpy / py4DSTEM / pyxem convention (centre of mass of a one-pixel image lands
//   on the pixel's indices).
// - Inter-chip gaps are insensitive area. A layout either leaves them out of the stored frame (columns
//   and rows after a gap are shifted by the gap width: "quad_medipix3", 512 × 512 as the Merlin readout
//   writes it) or stores them as pixels that are always masked ("quad_medipix3_515", 515 × 515 as in
//   pipelines that insert the gap cross). Both give the same physical geometry.
// - s of a point at distance r (physical pixels) from the beam centre: s = r·Δs (the linear small-angle
//   calibration used by Laulainen et al. 2022 and pyxem), or, when a wavelength is set, the exact
//   flat-detector mapping s = (2/λ)·sin(½·atan(r·λ·Δs)), with Δs then the calibration at the centre.
//
// (Moved from reduce/ to simulate/: the forward models place their patterns on these pixels; reduce/
// includes it through sedpdf/reduce/detector.hpp.)
//
// The quad Medipix3 geometry: four 256 × 256 chips separated by 3-pixel gaps, total area equivalent to
// 515 × 515 pixels, Δs = 0.011 Å⁻¹/pixel at 200 kV; single chip: 256 × 256, Δs = 0.016 Å⁻¹ at 300 kV
// (Laulainen et al., Nanoscale 14 (2022) 16524, Experimental section).
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <type_traits>
#include <vector>

namespace sedpdf {

class Mask;

/// How a quad-chip frame is stored (see the header comment).
enum class QuadStorage {
  Compact512,  ///< 512 × 512 stored pixels, gaps absent (positions after a gap shifted by 3)
  WithGaps515  ///< 515 × 515 stored pixels, the 3 gap rows and columns present and masked
};

/// The pixel grid of one detector: stored frame shape, physical position of every stored row and
/// column, the gap pixels (if stored), and the s calibration.
class DetectorGeometry {
 public:
  DetectorGeometry() = default;

  /// A plain grid of ny × nx contiguous pixels.
  /// @param ds  s per pixel at the centre (Å⁻¹/pixel), > 0
  /// Throws std::invalid_argument for an empty grid or ds not finite and > 0.
  static DetectorGeometry uniform(size_t ny, size_t nx, double ds, const std::string& name = "uniform");
  /// Quad Medipix3 (2 × 2 chips of 256 × 256, 3-pixel gaps; Laulainen et al. 2022).
  /// @param ds  Å⁻¹ per pixel (0.011 in the 200 kV dataset of 003)
  static DetectorGeometry quad_medipix3(double ds, QuadStorage storage = QuadStorage::Compact512);
  /// One 256 × 256 Medipix3 chip (the 300 kV dataset of 003: ds = 0.016 Å⁻¹/pixel).
  static DetectorGeometry single_256(double ds);
  /// By name: "quad_medipix3" (= 512 × 512 compact), "quad_medipix3_515", "single_256".
  /// Throws std::invalid_argument naming an unknown preset and listing the known ones.
  static DetectorGeometry preset(const std::string& name, double ds);

  size_t ny() const { return row_pos_.size(); }
  size_t nx() const { return col_pos_.size(); }
  size_t n_pixels() const { return ny() * nx(); }
  double ds() const { return ds_; }                 ///< Å⁻¹ per pixel (at the centre)
  const std::string& layout() const { return layout_; }
  /// Physical y (rows) / x (columns) of the centre of stored row i / column j (pixel units).
  double row_position(size_t i) const { return row_pos_[i]; }
  double col_position(size_t j) const { return col_pos_[j]; }
  const std::vector<double>& row_positions() const { return row_pos_; }
  const std::vector<double>& col_positions() const { return col_pos_; }
  /// Stored rows / columns that lie in a chip gap (always masked); empty for compact layouts.
  const std::vector<size_t>& gap_rows() const { return gap_rows_; }
  const std::vector<size_t>& gap_cols() const { return gap_cols_; }
  /// Mask with the stored gap pixels set (all clear for layouts that do not store gaps).
  Mask gap_mask() const;

  /// Electron wavelength λ (Å) for the exact flat-detector s mapping; 0 (default) = linear s = r·Δs.
  /// Throws std::invalid_argument for λ < 0 or not finite.
  void set_wavelength(double lambda);
  double wavelength() const { return lambda_; }
  /// s (Å⁻¹) at distance r (physical pixels) from the centre; see the header comment.
  double s_of_radius(double r) const;
  /// Inverse of s_of_radius: r (pixels) at which the scattering vector is s (Å⁻¹). Throws
  /// std::invalid_argument when s is beyond 90° scattering for the set wavelength.
  double radius_of_s(double s) const;
  /// Relative solid angle of a pixel at distance r: cos³(2θ) for a flat detector normal to the beam
  /// (1 when no wavelength is set). Applied per pixel centre as in pyFAI (Ashiotis et al., J. Appl.
  /// Cryst. 48 (2015) 510).
  double solid_angle(double r) const;

  /// Throws std::invalid_argument unless a frame of `n` values matches ny × nx; `what` names the frame.
  void check_frame_size(size_t n, const std::string& what = "frame") const;

 private:
  std::vector<double> row_pos_, col_pos_;
  std::vector<size_t> gap_rows_, gap_cols_;
  double ds_ = 0;
  double lambda_ = 0;
  std::string layout_;
};

/// A per-pixel exclusion mask over the stored frame: 1 = excluded (gap, dead, hot or user-masked),
/// 0 = used (the pyFAI convention).
class Mask {
 public:
  Mask() = default;
  /// ny × nx, nothing masked.
  Mask(size_t ny, size_t nx) : ny_(ny), nx_(nx), m_(ny * nx, 0) {}
  /// From values, one per pixel (row-major): nonzero = masked, or, with nonzero_is_masked = false,
  /// nonzero = good (the py4DSTEM / boolean "valid" convention). Non-finite values are masked.
  static Mask from_values(size_t ny, size_t nx, const std::vector<double>& v, bool nonzero_is_masked = true);

  size_t ny() const { return ny_; }
  size_t nx() const { return nx_; }
  size_t size() const { return m_.size(); }
  bool empty() const { return m_.empty(); }
  bool masked(size_t i, size_t j) const { return m_[i * nx_ + j] != 0; }
  bool masked(size_t index) const { return m_[index] != 0; }
  /// Pixel (row i, column j); any integer types (a template, so set(3, 7) is not taken for the flat form).
  template <class I, class J, std::enable_if_t<std::is_integral_v<I> && std::is_integral_v<J> && !std::is_same_v<J, bool>, int> = 0>
  void set(I i, J j, bool excluded = true) {
    m_[static_cast<size_t>(i) * nx_ + static_cast<size_t>(j)] = excluded ? 1 : 0;
  }
  /// By flat index i·nx + j.
  void set(size_t index, bool excluded = true) { m_[index] = excluded ? 1 : 0; }
  void set_index(size_t index, bool excluded = true) { m_[index] = excluded ? 1 : 0; }
  const std::vector<uint8_t>& data() const { return m_; }
  size_t count() const;  ///< number of masked pixels
  /// Union with another mask of the same shape (throws std::invalid_argument naming both shapes).
  Mask& operator|=(const Mask& o);

 private:
  size_t ny_ = 0, nx_ = 0;
  std::vector<uint8_t> m_;
};

/// The geometry's gap mask, or `user` ∪ gaps when `user` is non-empty; throws std::invalid_argument if
/// `user` does not have the geometry's shape.
Mask effective_mask(const DetectorGeometry& g, const Mask& user);

/// Reads a mask from a 2-D dataset of any integer or floating type in an HDF5 file.
/// @param nonzero_is_masked  true: nonzero = excluded (pyFAI, sedpdf); false: nonzero = valid pixel
/// Throws InputError naming the file and dataset for a missing dataset, a rank other than 2, or a shape
/// different from the geometry's ny × nx (naming both shapes).
Mask read_mask_h5(const std::string& path, const std::string& dataset, const DetectorGeometry& g,
                  bool nonzero_is_masked = true);

/// Writes a mask as a 2-D dataset (values 0/1, 1 = excluded) with attribute "convention".
void write_mask_h5(const std::string& path, const std::string& dataset, const Mask& m);

/// Options of find_bad_pixels().
struct BadPixelOptions {
  size_t window = 5;           ///< side of the square median window (odd, ≥ 3), stored pixels
  double hot_sigma = 10;       ///< a pixel is hot when (v − median) / σ > hot_sigma
  bool poisson = true;         ///< σ = √(median + 1) (counts); false: σ = 1.4826·MAD of (v − median)
  double dead_fraction = 0.0;  ///< a pixel is dead when v ≤ dead_fraction · median …
  double dead_min_median = 25; ///< … and the local median ≥ this (so dark regions are not flagged)
};

/// Result of find_bad_pixels().
struct BadPixels {
  Mask hot;          ///< pixels flagged as hot
  Mask dead;         ///< pixels flagged as dead
  double sigma = 0;  ///< robust σ used when poisson = false (0 otherwise)
};

/// Flags hot and dead pixels in a sum (or mean) image by a robust local test: each unmasked pixel is
/// compared with the median of the unmasked pixels in the window around it (the pixel itself left
/// out), v − median scaled by σ (Poisson: √(median + 1); otherwise the global robust σ = 1.4826 × the
/// median absolute deviation of v − median, Rousseeuw & Croux, JASA 88 (1993) 1273). Pixels already
/// in `known` (e.g. gaps, the direct beam region) are neither tested nor used as neighbours.
/// Throws std::invalid_argument for a wrong image size or an even/too small window.
BadPixels find_bad_pixels(const std::vector<double>& image, const DetectorGeometry& g, const Mask& known,
                          const BadPixelOptions& opt = {});

}  // namespace sedpdf
