// sedpdf/simulate/detector_model.hpp — the counting detector of a forward model: pixel grid in s (chip
// layouts of simulate/detector.hpp), intensity-conserving resampling from the simulation grid, dose,
// optional MTF, constant background, Poisson counting with a counter-based RNG, counter saturation.
//
// Physics and conventions (docs/forward_models.md, "Detector"):
// - Mapping simulation → detector: the small-angle linear calibration s = r·Δs (r in physical pixels
//   from the beam centre) that the reduction chain and 003 use; a simulation pixel is the square
//   k ± dk/2 (SimPattern). The fraction of incident electrons falling in a detector pixel is the sum over
//   simulation pixels of their value × (overlap area / simulation pixel area); the overlap of two
//   axis-aligned squares factorises into x and y overlap lengths, so the resampling is two sparse 1-D
//   passes and exact. Intensity landing in chip gaps (insensitive area) or outside the chips is lost.
// - Electrons per scan position: N = dose × step² (dose in e⁻/Å², step in Å), or, when a beam current
//   is given, N = I·τ/e (I in pA, dwell τ in s); the dose recorded is then N / step².
//   003: 3.4 pA × 1 ms = 2.12 × 10⁴ e⁻ per position, step 55 Å → 7.0 e⁻/Å² (≈ 10 stated).
// - Expected counts: E = N·(MTF ⊛ fraction) + C (C = constant background, counts/pixel); gap pixels 0.
// - MTF (optional): a Gaussian point-spread function of standard deviation σ (pixels) applied to the
//   expected signal, MTF(f) = exp(−2π²σ²f²) (f in cycles/pixel), i.e. a charge-sharing blur as used for
//   hybrid pixel detectors in e.g. McMullan et al., Ultramicroscopy 109 (2009) 1144 (their Fig. 6 fits);
//   it is applied on the stored pixel grid before counting (it does not model the different noise transfer
//   of charge sharing, documented as a limitation).
// - Counts: Poisson(E) drawn per pixel from a counter-based generator keyed by (seed, position index,
//   pixel index) (SplitMix64 finaliser, Steele et al., OOPSLA 2014), so results do not depend on threads
//   or order; then clipped at the saturation count (counter full) when one is set, and at the stored
//   type's maximum.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sedpdf/simulate/data4d_format.hpp"
#include "sedpdf/simulate/detector.hpp"
#include "sedpdf/simulate/sim_pattern.hpp"

namespace sedpdf {

/// Parameters of the detector model. Defaults: the quad Medipix3 of the 200 kV data set of 003.
struct DetectorSpec {
  /// "quad_medipix3" (512 × 512 stored, gaps absent), "quad_medipix3_515" (gaps stored, masked),
  /// "single_256", or "uniform" (uniform_ny × uniform_nx contiguous pixels).
  std::string layout = "quad_medipix3";
  size_t uniform_ny = 0, uniform_nx = 0;  ///< pixels, "uniform" only
  double ds = 0.011;                      ///< Å⁻¹ per pixel (> 0)
  /// Beam centre in physical pixel coordinates (simulate/detector.hpp); NaN = the middle of the
  /// physical area ((first + last position)/2 along each axis).
  double centre_x_px = Data4DCalibration::kUnknown, centre_y_px = Data4DCalibration::kUnknown;
  double dose_e_per_A2 = 10;   ///< e⁻/Å² (used when beam_current_pA = 0), > 0
  double beam_current_pA = 0;  ///< > 0: electrons per position = I·dwell/e instead of dose × step²
  double dwell_s = 1e-3;       ///< dwell time per position (s), with beam_current_pA
  double step_A = 55;          ///< scan step (Å), > 0: area per position = step²
  double background = 0;       ///< constant background C (counts per pixel, ≥ 0)
  double saturation = 0;       ///< counter saturation (counts); 0 = none
  double mtf_sigma_px = 0;     ///< Gaussian PSF σ (pixels); 0 = no MTF
  CountType count_type = CountType::UInt16;

  /// Electrons per scan position. Throws std::invalid_argument for a bad dose/current/step.
  double electrons_per_position() const;
  /// Dose per position (e⁻/Å²) = electrons_per_position / step².
  double dose() const;
};

class DetectorModel {
 public:
  /// Validates `spec` (throws std::invalid_argument naming the bad field: unknown layout, ds, dose,
  /// step, negative background/saturation/σ, empty uniform grid). wavelength_A: electron wavelength (Å),
  /// > 0, recorded in the calibration.
  DetectorModel(DetectorSpec spec, double wavelength_A);

  const DetectorSpec& spec() const { return spec_; }
  const DetectorGeometry& geometry() const { return geom_; }
  double wavelength() const { return lambda_; }
  double centre_x() const { return cx_; }  ///< physical pixels
  double centre_y() const { return cy_; }
  size_t n_pixels() const { return geom_.n_pixels(); }
  /// 1 = gap pixel (stored but insensitive), 0 = sensitive; ny × nx.
  std::vector<uint8_t> gap_mask() const;
  /// Calibration for the 4D file (energy from the wavelength, Δs, centre, dose, step, layout).
  Data4DCalibration calibration(double convergence_mrad) const;
  /// s (Å⁻¹) of the centre of stored pixel p (row-major), linear calibration.
  double pixel_s(size_t p) const;
  /// s_x, s_y (Å⁻¹) of the centre of stored pixel (i, j).
  double pixel_sx(size_t j) const { return (geom_.col_position(j) - cx_) * spec_.ds; }
  double pixel_sy(size_t i) const { return (geom_.row_position(i) - cy_) * spec_.ds; }

  /// Resample a SimPattern onto the detector pixels, conserving intensity (exact overlap areas of sim
  /// pixels with detector pixels); output = fraction of incident electrons per pixel. Throws
  /// std::invalid_argument for an empty pattern, dk ≤ 0 or a size mismatch.
  void resample(const SimPattern& p, std::vector<double>& fraction) const;
  /// Expected counts per pixel: electrons_per_position × MTF(fraction) + C ; gap pixels 0.
  void expected(const std::vector<double>& fraction, std::vector<float>& expected) const;
  /// Poisson counts of `expected` with saturation, from a counter-based RNG keyed by (seed, position)
  /// so the result is independent of threads and order. Gap pixels 0.
  void count(const std::vector<float>& expected, uint64_t seed, uint64_t position_index,
             std::vector<uint32_t>& counts) const;

 private:
  struct AxisWeights {  // detector index d ← simulation index s with weight w (overlap / dk)
    std::vector<size_t> start;  // CSR over detector indices
    std::vector<size_t> src;
    std::vector<double> w;
  };
  AxisWeights axis_weights(const std::vector<double>& pos, double centre, size_t n, double dk) const;

  DetectorSpec spec_;
  DetectorGeometry geom_;
  double lambda_ = 0;
  double cx_ = 0, cy_ = 0;
  double electrons_ = 0;
  std::vector<uint8_t> gap_;
  std::vector<double> psf_;  // 1-D Gaussian kernel (normalised), radius = psf_.size()/2
};

/// A uniform random number in [0, 1) from a counter-based hash of (seed, a, b, c): SplitMix64 finaliser
/// applied to a combination of the keys (Steele, Lea & Flood, OOPSLA 2014). Pure function.
double counter_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
/// 64-bit hash of (seed, a, b, c) (the same construction).
uint64_t counter_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);
/// A Poisson variate of mean `mean` (≥ 0) drawn from the counter stream (seed, a, b, 0), (seed, a, b,
/// 1), …: inversion for mean < 30, otherwise the PTRS transformed rejection of Hörmann, Insurance Math.
/// Econ. 12 (1993) 39. Deterministic in its keys.
uint64_t counter_poisson(double mean, uint64_t seed, uint64_t a, uint64_t b);

}  // namespace sedpdf
