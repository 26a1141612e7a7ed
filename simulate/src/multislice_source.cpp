// MultisliceSource: multislice engine → detector fractions for run_scan (see multislice_source.hpp).
#include "sedpdf/simulate/multislice_source.hpp"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

namespace sedpdf {

double detector_inscribed_s(const DetectorModel& d) {
  const DetectorGeometry& g = d.geometry();
  double lo_x = 1e300, hi_x = -1e300, lo_y = 1e300, hi_y = -1e300;
  for (size_t j = 0; j < g.nx(); ++j) {
    lo_x = std::min(lo_x, g.col_position(j) - 0.5);
    hi_x = std::max(hi_x, g.col_position(j) + 0.5);
  }
  for (size_t i = 0; i < g.ny(); ++i) {
    lo_y = std::min(lo_y, g.row_position(i) - 0.5);
    hi_y = std::max(hi_y, g.row_position(i) + 0.5);
  }
  const double r = std::min({d.centre_x() - lo_x, hi_x - d.centre_x(), d.centre_y() - lo_y, hi_y - d.centre_y()});
  return std::max(0.0, r) * d.spec().ds;
}

MultisliceSource::MultisliceSource(const MultisliceEngine& engine, const DetectorModel& detector, PostProcess post)
    : engine_(engine), detector_(detector), post_(std::move(post)) {
  const double need = detector_inscribed_s(detector), kb = engine.grid().band_limit();
  if (need > kb * (1 + 1e-9))
    throw std::invalid_argument("multislice: the detector reaches s = " + std::to_string(need) +
                                " Å⁻¹ (inscribed circle) beyond the band limit 1/(3·pixel) = " + std::to_string(kb) +
                                " Å⁻¹ of the simulation grid (pixel " + std::to_string(engine.grid().pixel_A) +
                                " Å); use pixel_A <= " + std::to_string(1.0 / (3.0 * need)) + " or a smaller s range");
}

void MultisliceSource::compute(size_t, size_t, double x_A, double y_A, std::vector<std::vector<double>>& fractions) {
  std::vector<SimPattern> pats = engine_.run(x_A, y_A);
  fractions.resize(pats.size());
  for (size_t o = 0; o < pats.size(); ++o) {
    if (post_) post_(o, x_A, y_A, pats[o]);
    detector_.resample(pats[o], fractions[o]);
  }
}

}  // namespace sedpdf
