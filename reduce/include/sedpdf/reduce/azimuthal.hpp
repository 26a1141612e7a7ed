// sedpdf/reduce/azimuthal.hpp — step 1 of the reduction chain: azimuthal integration of a diffraction
// frame about the beam centre onto a calibrated s axis, I(s) (Laulainen et al., Nanoscale 14 (2022)
// 16524, Fig. 1 and Experimental; they used pyFAI within pyxem).
//
// Exact pixel splitting: every pixel is a unit square (detector.hpp); its share in s bin k is the exact
// area of its intersection with the annulus between the bin's edges, divided by its area. With an
// elliptical distortion the square is mapped by A^½ (centre.hpp) to a parallelogram of the same area
// and the annulus becomes circular. The area of a convex polygon ∩ a disk is computed analytically as
// the sum over edges of the signed area of (triangle origin–edge) ∩ disk, each a sum of triangles and
// circular sectors (no sampling; error ≈ 10⁻¹³ of a pixel).
//
// For each bin k over the unmasked pixels p with overlap fractions f_pk:
//   sum_k  = Σ_p f_pk I_p            (counts in the bin)
//   area_k = Σ_p f_pk                (unmasked area, pixels)
//   norm_k = Σ_p f_pk Ω_p            (area weighted by the relative solid angle, = area_k by default)
//   mean_k = sum_k / norm_k          (intensity per unit unmasked pixel area; NaN where norm_k = 0)
//   var_k  = Σ_p f_pk² I_p           (Poisson variance of sum_k, on request)
// so masked pixels (gaps, dead, hot) are left out and the normalisation uses only the unmasked area.
// Σ_k sum_k = Σ unmasked counts when the s window covers the detector (counts are conserved).
//
// The fractions are precomputed once as a CSR sparse matrix (row = s bin, columns = pixel index,
// values = f_pk), applied to every frame — the approach of pyFAI (Kieffer & Wright, Powder Diffr. 28
// (2013) S339; Kieffer & Ashiotis, arXiv:1412.6367 (2014); Ashiotis et al., J. Appl. Cryst. 48 (2015)
// 510). A plain per-pixel integrator that recomputes the same splitting for every frame sits behind the
// same interface as the oracle for tests (the OpenMM reference-platform pattern, DESIGN.md).
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/reduce/centre.hpp"
#include "sedpdf/reduce/detector.hpp"

namespace sedpdf {

/// Uniform s bins: edges s_min + k·(s_max − s_min)/n_bins, k = 0..n_bins (Å⁻¹).
struct SAxis {
  double s_min = 0;   ///< lower edge of the first bin (Å⁻¹)
  double s_max = 0;   ///< upper edge of the last bin (Å⁻¹)
  size_t n_bins = 0;
  double width() const { return (s_max - s_min) / static_cast<double>(n_bins); }
  double edge(size_t k) const { return s_min + static_cast<double>(k) * width(); }
  double centre(size_t k) const { return s_min + (static_cast<double>(k) + 0.5) * width(); }
  std::vector<double> edges() const;
  std::vector<double> centres() const;
  /// Throws std::invalid_argument naming the values unless 0 ≤ s_min < s_max, both finite, n_bins > 0.
  void validate() const;
};

/// Everything that fixes the integration: geometry, mask, centre, distortion and s bins.
struct IntegrationSetup {
  DetectorGeometry geometry;
  Mask mask;                         ///< user mask (stored gap pixels are added automatically); may be empty
  BeamCentre centre;                 ///< physical pixel coordinates
  EllipticalDistortion distortion;   ///< ratio 1 = none
  SAxis axis;
  bool solid_angle = false;          ///< normalise by Σ f·Ω (needs geometry.wavelength() > 0 to matter)
};

/// The default s axis: bins of one pixel's Δs from 0 to the farthest unmasked pixel corner (rounded
/// down to whole bins).
SAxis default_axis(const DetectorGeometry& g, const Mask& mask, const BeamCentre& c,
                   const EllipticalDistortion& e = {});

/// Smallest and largest s (Å⁻¹) covered by any unmasked pixel for this centre and distortion.
void detector_s_range(const DetectorGeometry& g, const Mask& mask, const BeamCentre& c,
                      const EllipticalDistortion& e, double& s_near, double& s_far);

/// An azimuthally integrated profile (see the header comment for the definitions).
struct AzimuthalProfile {
  std::vector<double> s;         ///< bin centres (Å⁻¹)
  std::vector<double> mean;      ///< intensity per unit unmasked pixel area; NaN for an empty bin
  std::vector<double> sum;       ///< Σ f·I (counts)
  std::vector<double> area;      ///< Σ f over unmasked pixels (pixels); 0 = empty bin
  std::vector<double> norm;      ///< Σ f·Ω (pixels), the denominator of mean
  std::vector<double> variance;  ///< Σ f²·I (counts²), only when requested (else empty)
  double bin_width = 0;          ///< Å⁻¹

  size_t size() const { return s.size(); }
  bool covered(size_t k) const { return norm[k] > 0; }
  /// mean[k], or std::out_of_range / std::domain_error naming the bin and its s for an empty bin.
  double checked_mean(size_t k) const;
  /// Poisson standard error of mean[k]: √variance / norm (requires the variance; NaN if empty).
  double sigma_mean(size_t k) const;
  /// Throws std::domain_error naming the first empty bin (index and s) whose centre lies in
  /// [s_lo, s_hi], and std::invalid_argument if the window holds no bin centre at all.
  void require_coverage(double s_lo, double s_hi) const;
};

/// Element types of frames accepted by the integrators.
enum class PixelType { UInt16, UInt32, Float32, Float64 };

template <class T> struct PixelTypeOf;
template <> struct PixelTypeOf<uint16_t> { static constexpr PixelType value = PixelType::UInt16; };
template <> struct PixelTypeOf<uint32_t> { static constexpr PixelType value = PixelType::UInt32; };
template <> struct PixelTypeOf<float> { static constexpr PixelType value = PixelType::Float32; };
template <> struct PixelTypeOf<double> { static constexpr PixelType value = PixelType::Float64; };

/// A read-only view of n_frames frames of frame_pixels values each, contiguous, row-major.
struct FrameBatch {
  const void* data = nullptr;
  PixelType type = PixelType::Float64;
  size_t n_frames = 1;
  size_t frame_pixels = 0;
  template <class T>
  static FrameBatch of(const T* p, size_t n_frames, size_t frame_pixels) {
    return {p, PixelTypeOf<T>::value, n_frames, frame_pixels};
  }
  template <class T>
  static FrameBatch of(const std::vector<T>& v) {
    return {v.data(), PixelTypeOf<T>::value, 1, v.size()};
  }
};

/// The CSR matrix of overlap fractions: row k holds the pixels of bin k in ascending pixel order.
struct CsrMatrix {
  size_t n_rows = 0, n_cols = 0;
  std::vector<uint64_t> row_start;  ///< n_rows + 1 offsets into col / value
  std::vector<uint32_t> col;        ///< stored pixel index i·nx + j
  std::vector<double> value;        ///< overlap fraction f (0, 1]
  size_t nnz() const { return value.size(); }
};

/// Integration backends.
enum class IntegratorBackend { Csr, Reference };

/// Azimuthal integrator interface; implementations: CSR (fast) and the per-pixel reference.
/// Thread safety: const methods may be called concurrently.
class AzimuthalIntegrator {
 public:
  virtual ~AzimuthalIntegrator() = default;
  const IntegrationSetup& setup() const { return setup_; }
  size_t n_bins() const { return setup_.axis.n_bins; }
  size_t frame_pixels() const { return setup_.geometry.n_pixels(); }
  const std::vector<double>& s() const { return s_; }        ///< bin centres (Å⁻¹)
  const std::vector<double>& area() const { return area_; }  ///< Σ f per bin (pixels)
  const std::vector<double>& norm() const { return norm_; }  ///< Σ f·Ω per bin (pixels)
  virtual const char* name() const = 0;

  /// Per-bin sums Σ f·I for each frame: out is n_frames × n_bins, row-major. Throws
  /// std::invalid_argument naming both sizes when frame_pixels differs from ny × nx, or for null data.
  void sums(const FrameBatch& frames, double* out) const;
  /// Per-bin Poisson variances Σ f²·I (same layout).
  void variances(const FrameBatch& frames, double* out) const;
  /// The full profile of one frame (mean, sum, area, norm, optionally variance).
  AzimuthalProfile integrate(const FrameBatch& frame, bool with_variance = false) const;
  template <class T>
  AzimuthalProfile integrate(const std::vector<T>& frame, bool with_variance = false) const {
    return integrate(FrameBatch::of(frame), with_variance);
  }

 protected:
  explicit AzimuthalIntegrator(IntegrationSetup setup);
  /// Implementations: `frames` already checked; `squared` selects Σ f²·I instead of Σ f·I.
  virtual void do_sums(const FrameBatch& frames, double* out, bool squared) const = 0;

  IntegrationSetup setup_;  ///< with the effective mask (user ∪ gaps) of ny × nx
  std::vector<double> s_, area_, norm_;
};

/// Internal: a pixel-major (CSC) view of the matrix.
struct CscView {
  const uint32_t* start;  ///< n_cols + 1 offsets
  const uint32_t* row;    ///< bin of each entry
  const double* value;
};

/// The fast integrator: the CSR matrix applied to each frame. Fewer frames than threads (typically
/// one): OpenMP over bins (rows), frame by frame. Batches: one OpenMP region over tasks — blocks of 8
/// frames, each one pass over the same matrix in pixel-major (CSC) order streaming the frames, and
/// the remaining frames one per task by rows. Every (frame, bin) sum receives its terms in ascending
/// pixel order in all paths, so the results are bit-identical between paths, batch sizes and thread
/// counts.
class CsrIntegrator final : public AzimuthalIntegrator {
 public:
  explicit CsrIntegrator(IntegrationSetup setup);
  const char* name() const override { return "csr"; }
  const CsrMatrix& matrix() const { return m_; }

 private:
  void do_sums(const FrameBatch& frames, double* out, bool squared) const override;
  CsrMatrix m_;
  std::vector<double> value2_;  ///< f², for variances
  std::vector<uint32_t> csc_start_, csc_row_;
  std::vector<double> csc_value_, csc_value2_;
};

/// The oracle: a plain loop over pixels that recomputes each pixel's splitting for every frame.
class ReferenceIntegrator final : public AzimuthalIntegrator {
 public:
  explicit ReferenceIntegrator(IntegrationSetup setup);
  const char* name() const override { return "reference"; }

 private:
  void do_sums(const FrameBatch& frames, double* out, bool squared) const override;
};

/// Validates the setup (s axis, distortion, mask shape, s window overlapping the detector) and builds
/// the chosen integrator. Throws std::invalid_argument naming the bad values, e.g. an s window
/// [s_min, s_max] entirely outside the range [s_near, s_far] of the unmasked pixels.
std::unique_ptr<AzimuthalIntegrator> make_integrator(const IntegrationSetup& setup,
                                                     IntegratorBackend backend = IntegratorBackend::Csr);

// ---- geometry kernels, exposed for tests ----

/// A point in the plane (pixels).
struct Point2 {
  double x, y;
};

/// Exact area of the intersection of a convex polygon (vertices in either orientation) with the disk
/// of radius R centred at the origin. Result ≥ 0.
double polygon_disk_area(const Point2* vertices, size_t n, double R);

/// Overlap fractions of one pixel with the bins of `axis`: appends (bin, fraction) pairs with
/// fraction > 0 in ascending bin order. `corners` are the pixel's 4 corners relative to the centre,
/// already mapped by A^½ (so the annuli are circles of radius geometry.radius_of_s(s)).
void pixel_bin_fractions(const Point2 corners[4], const std::vector<double>& edge_radius,
                         std::vector<std::pair<uint32_t, double>>& out);

}  // namespace sedpdf
