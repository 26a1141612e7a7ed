// sedpdf/simulate/multislice_source.hpp — the multislice engine as a PatternSource for the scan driver
// (simulate/scan.hpp): each output (thickness) of MultisliceEngine::run is optionally post-processed on
// the simulation grid (e.g. the inelastic model of simulate/inelastic.hpp) and resampled onto the detector
// pixels with DetectorModel::resample (intensity-conserving).
#pragma once
#include <functional>
#include <vector>

#include "sedpdf/simulate/detector_model.hpp"
#include "sedpdf/simulate/multislice.hpp"
#include "sedpdf/simulate/scan.hpp"

namespace sedpdf {

/// Largest s (Å⁻¹) of a full ring on the detector: the distance from the beam centre to the nearest edge
/// of the pixel area (the inscribed circle; 2.8 Å⁻¹ for the 003 quad Medipix3 at 0.011 Å⁻¹/pixel).
double detector_inscribed_s(const DetectorModel& d);

class MultisliceSource final : public PatternSource {
 public:
  /// Called for every output pattern before resampling: (output index, probe x, probe y, pattern).
  using PostProcess = std::function<void(size_t output, double x_A, double y_A, SimPattern& p)>;
  /// Both must outlive the source. Throws std::invalid_argument when the detector's inscribed s exceeds
  /// the engine's band limit 1/(3·pixel) (naming both): the simulation would leave a ring of the detector
  /// empty. (Detector corners beyond the band limit receive no simulated intensity, only background.)
  MultisliceSource(const MultisliceEngine& engine, const DetectorModel& detector, PostProcess post = {});
  size_t n_outputs() const override { return engine_.n_outputs(); }
  void compute(size_t iy, size_t ix, double x_A, double y_A, std::vector<std::vector<double>>& fractions) override;
  bool thread_safe() const override { return true; }

 private:
  const MultisliceEngine& engine_;
  const DetectorModel& detector_;
  PostProcess post_;
};

}  // namespace sedpdf
