// Counting detector model (see sedpdf/simulate/detector_model.hpp).
#include "sedpdf/simulate/detector_model.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf {

namespace {

constexpr double kElementaryChargeC = 1.602176634e-19;  // C (SI 2019 exact)

/// SplitMix64 finaliser (Steele, Lea & Flood, OOPSLA 2014).
inline uint64_t mix64(uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}
inline double to_unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

/// Poisson variate from the stream `key`: u_j = unit(mix64(key + j·golden)).
uint64_t poisson_from_key(double mean, uint64_t key) {
  if (!(mean > 0)) return 0;
  uint64_t j = 0;
  auto next = [&]() { return to_unit(mix64(key + 0x632BE59BD9B4E019ULL * (++j))); };
  if (mean < 30) {
    // Inversion by sequential search (Devroye, Non-Uniform Random Variate Generation, 1986, X.3.3).
    const double u = next();
    // e^{−λ} ≥ 1 − λ: for u below 1 − λ the answer is 0 without the exponential (most pixels at low dose).
    if (u < 1 - mean) return 0;
    double p = std::exp(-mean), F = p;
    uint64_t k = 0;
    while (u > F) {
      ++k;
      p *= mean / static_cast<double>(k);
      F += p;
      if (p < 1e-300 && static_cast<double>(k) > mean) break;  // guard against rounding of F near 1
    }
    return k;
  }
  // PTRS, Hörmann (1993), as in numpy's random_poisson_ptrs.
  const double slam = std::sqrt(mean), loglam = std::log(mean);
  const double b = 0.931 + 2.53 * slam;
  const double a = -0.059 + 0.02483 * b;
  const double invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const double vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const double U = next() - 0.5;
    const double V = next();
    const double us = 0.5 - std::fabs(U);
    const double kd = std::floor((2 * a / us + b) * U + mean + 0.43);
    if (us >= 0.07 && V <= vr) return static_cast<uint64_t>(kd);
    if (kd < 0 || (us < 0.013 && V > us)) continue;
    if (std::log(V) + std::log(invalpha) - std::log(a / (us * us) + b) <=
        -mean + kd * loglam - std::lgamma(kd + 1))
      return static_cast<uint64_t>(kd);
  }
}

}  // namespace

uint64_t counter_hash(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  return mix64(mix64(mix64(mix64(seed) ^ a) ^ b) ^ c);
}

double counter_uniform(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) {
  return to_unit(counter_hash(seed, a, b, c));
}

uint64_t counter_poisson(double mean, uint64_t seed, uint64_t a, uint64_t b) {
  if (!(mean >= 0) || !std::isfinite(mean))
    throw std::invalid_argument("Poisson mean " + format_number(mean) + " must be finite and >= 0");
  return poisson_from_key(mean, mix64(mix64(mix64(seed) ^ a) ^ b));
}

// ---------------------------------------------------------------- DetectorSpec

double DetectorSpec::electrons_per_position() const {
  if (!(std::isfinite(step_A) && step_A > 0))
    throw std::invalid_argument("detector: scan step " + format_number(step_A) + " Å must be finite and > 0");
  if (beam_current_pA != 0) {
    if (!(std::isfinite(beam_current_pA) && beam_current_pA > 0))
      throw std::invalid_argument("detector: beam current " + format_number(beam_current_pA) + " pA must be > 0");
    if (!(std::isfinite(dwell_s) && dwell_s > 0))
      throw std::invalid_argument("detector: dwell time " + format_number(dwell_s) + " s must be > 0");
    return beam_current_pA * 1e-12 * dwell_s / kElementaryChargeC;
  }
  if (!(std::isfinite(dose_e_per_A2) && dose_e_per_A2 > 0))
    throw std::invalid_argument("detector: dose " + format_number(dose_e_per_A2) + " e⁻/Å² must be finite and > 0");
  return dose_e_per_A2 * step_A * step_A;
}

double DetectorSpec::dose() const { return electrons_per_position() / (step_A * step_A); }

// ---------------------------------------------------------------- DetectorModel

DetectorModel::DetectorModel(DetectorSpec spec, double wavelength_A) : spec_(std::move(spec)), lambda_(wavelength_A) {
  if (!(std::isfinite(lambda_) && lambda_ > 0))
    throw std::invalid_argument("detector: wavelength " + format_number(lambda_) + " Å must be finite and > 0");
  if (spec_.layout == "uniform") {
    if (spec_.uniform_ny == 0 || spec_.uniform_nx == 0)
      throw std::invalid_argument("detector: layout 'uniform' needs a pixel count, got " +
                                  std::to_string(spec_.uniform_ny) + " × " + std::to_string(spec_.uniform_nx));
    geom_ = DetectorGeometry::uniform(spec_.uniform_ny, spec_.uniform_nx, spec_.ds, "uniform");
  } else {
    if (spec_.layout != "quad_medipix3" && spec_.layout != "quad_medipix3_515" && spec_.layout != "single_256")
      throw std::invalid_argument("detector: unknown layout '" + spec_.layout +
                                  "' (known: quad_medipix3, quad_medipix3_515, single_256, uniform)");
    geom_ = DetectorGeometry::preset(spec_.layout, spec_.ds);  // checks ds
  }
  electrons_ = spec_.electrons_per_position();
  if (!(std::isfinite(spec_.background) && spec_.background >= 0))
    throw std::invalid_argument("detector: background " + format_number(spec_.background) + " counts/pixel must be >= 0");
  if (!(std::isfinite(spec_.saturation) && spec_.saturation >= 0))
    throw std::invalid_argument("detector: saturation " + format_number(spec_.saturation) + " counts must be >= 0 (0 = none)");
  if (!(std::isfinite(spec_.mtf_sigma_px) && spec_.mtf_sigma_px >= 0))
    throw std::invalid_argument("detector: MTF σ " + format_number(spec_.mtf_sigma_px) + " pixels must be >= 0 (0 = none)");
  const auto& rp = geom_.row_positions();
  const auto& cp = geom_.col_positions();
  cx_ = std::isnan(spec_.centre_x_px) ? 0.5 * (cp.front() + cp.back()) : spec_.centre_x_px;
  cy_ = std::isnan(spec_.centre_y_px) ? 0.5 * (rp.front() + rp.back()) : spec_.centre_y_px;
  if (!std::isfinite(cx_) || !std::isfinite(cy_))
    throw std::invalid_argument("detector: beam centre must be finite");
  const Mask m = geom_.gap_mask();
  gap_ = m.data();
  if (spec_.mtf_sigma_px > 0) {
    const long r = static_cast<long>(std::ceil(4 * spec_.mtf_sigma_px));
    double sum = 0;
    for (long k = -r; k <= r; ++k) {
      const double x = static_cast<double>(k) / spec_.mtf_sigma_px;
      psf_.push_back(std::exp(-0.5 * x * x));
      sum += psf_.back();
    }
    for (double& v : psf_) v /= sum;
  }
}

std::vector<uint8_t> DetectorModel::gap_mask() const { return gap_; }

Data4DCalibration DetectorModel::calibration(double convergence_mrad) const {
  Data4DCalibration c;
  // Invert λ = hc / sqrt(E(2mc² + E)) (Kirkland 2010 eq. 2.5) for E.
  const double mc2 = constants::kElectronRestEnergy_eV;
  const double pc = constants::kHc_eVAngstrom / lambda_;
  c.energy_eV = -mc2 + std::sqrt(mc2 * mc2 + pc * pc);
  c.wavelength_A = lambda_;
  c.ds_per_px = spec_.ds;
  c.centre_x_px = cx_;
  c.centre_y_px = cy_;
  c.convergence_mrad = convergence_mrad;
  c.dose_e_per_A2 = spec_.dose();
  c.scan_step_x_A = c.scan_step_y_A = spec_.step_A;
  c.detector_layout = geom_.layout();
  return c;
}

double DetectorModel::pixel_s(size_t p) const {
  const size_t i = p / geom_.nx(), j = p % geom_.nx();
  return std::hypot(pixel_sx(j), pixel_sy(i));
}

DetectorModel::AxisWeights DetectorModel::axis_weights(const std::vector<double>& pos, double centre, size_t n,
                                                       double dk) const {
  AxisWeights w;
  w.start.push_back(0);
  const double half = static_cast<double>(n / 2);
  for (double p : pos) {
    const double lo = (p - 0.5 - centre) * spec_.ds, hi = lo + spec_.ds;  // Å⁻¹
    // Simulation pixel b covers [(b − n/2 − ½)dk, (b − n/2 + ½)dk).
    const long b0 = static_cast<long>(std::floor(lo / dk + half + 0.5));
    const long b1 = static_cast<long>(std::floor(hi / dk + half + 0.5));
    for (long b = std::max(0L, b0); b <= std::min(static_cast<long>(n) - 1, b1); ++b) {
      const double e0 = (static_cast<double>(b) - half - 0.5) * dk, e1 = e0 + dk;
      const double ov = std::min(hi, e1) - std::max(lo, e0);
      if (ov > 0) {
        w.src.push_back(static_cast<size_t>(b));
        w.w.push_back(ov / dk);
      }
    }
    w.start.push_back(w.src.size());
  }
  return w;
}

void DetectorModel::resample(const SimPattern& p, std::vector<double>& fraction) const {
  if (p.n == 0 || p.intensity.size() != p.n * p.n)
    throw std::invalid_argument("detector: simulation pattern has " + std::to_string(p.intensity.size()) +
                                " values for n = " + std::to_string(p.n));
  if (!(std::isfinite(p.dk) && p.dk > 0))
    throw std::invalid_argument("detector: simulation sampling dk " + format_number(p.dk) + " Å⁻¹ must be > 0");
  const AxisWeights wx = axis_weights(geom_.col_positions(), cx_, p.n, p.dk);
  const AxisWeights wy = axis_weights(geom_.row_positions(), cy_, p.n, p.dk);
  const size_t ny = geom_.ny(), nx = geom_.nx(), n = p.n;
  // Rows of the simulation grid that reach the detector.
  std::vector<char> row_used(n, 0);
  for (size_t a : wy.src) row_used[a] = 1;
  std::vector<double> t(n * nx, 0.0);  // t[a][j] = Σ_b wx(j, b) I(a, b)
  for (size_t a = 0; a < n; ++a) {
    if (!row_used[a]) continue;
    const double* row = &p.intensity[a * n];
    double* out = &t[a * nx];
    for (size_t j = 0; j < nx; ++j) {
      double s = 0;
      for (size_t k = wx.start[j]; k < wx.start[j + 1]; ++k) s += wx.w[k] * row[wx.src[k]];
      out[j] = s;
    }
  }
  fraction.assign(ny * nx, 0.0);
  for (size_t i = 0; i < ny; ++i) {
    double* out = &fraction[i * nx];
    for (size_t k = wy.start[i]; k < wy.start[i + 1]; ++k) {
      const double w = wy.w[k];
      const double* tr = &t[wy.src[k] * nx];
      for (size_t j = 0; j < nx; ++j) out[j] += w * tr[j];
    }
  }
  for (size_t q = 0; q < fraction.size(); ++q)
    if (gap_[q]) fraction[q] = 0;
}

void DetectorModel::expected(const std::vector<double>& fraction, std::vector<float>& expected) const {
  geom_.check_frame_size(fraction.size(), "detector fraction pattern");
  const size_t ny = geom_.ny(), nx = geom_.nx();
  expected.resize(ny * nx);
  if (psf_.empty()) {
    for (size_t q = 0; q < fraction.size(); ++q)
      expected[q] = gap_[q] ? 0.0f
                            : static_cast<float>(electrons_ * std::max(0.0, fraction[q]) + spec_.background);
    return;
  }
  // Separable Gaussian PSF on the stored grid (truncated at the edges).
  const long r = static_cast<long>(psf_.size() / 2);
  std::vector<double> tmp(ny * nx, 0.0), out(ny * nx, 0.0);
  for (size_t i = 0; i < ny; ++i)
    for (size_t j = 0; j < nx; ++j) {
      const double v = gap_[i * nx + j] ? 0.0 : std::max(0.0, fraction[i * nx + j]);
      if (v == 0) continue;
      for (long k = -r; k <= r; ++k) {
        const long jj = static_cast<long>(j) + k;
        if (jj >= 0 && jj < static_cast<long>(nx)) tmp[i * nx + static_cast<size_t>(jj)] += v * psf_[static_cast<size_t>(k + r)];
      }
    }
  for (size_t i = 0; i < ny; ++i)
    for (long k = -r; k <= r; ++k) {
      const long ii = static_cast<long>(i) + k;
      if (ii < 0 || ii >= static_cast<long>(ny)) continue;
      const double w = psf_[static_cast<size_t>(k + r)];
      const double* src = &tmp[i * nx];
      double* dst = &out[static_cast<size_t>(ii) * nx];
      for (size_t j = 0; j < nx; ++j) dst[j] += w * src[j];
    }
  for (size_t q = 0; q < out.size(); ++q)
    expected[q] = gap_[q] ? 0.0f : static_cast<float>(electrons_ * out[q] + spec_.background);
}

void DetectorModel::count(const std::vector<float>& expected, uint64_t seed, uint64_t position_index,
                          std::vector<uint32_t>& counts) const {
  geom_.check_frame_size(expected.size(), "expected-count pattern");
  counts.resize(expected.size());
  const uint64_t type_max = spec_.count_type == CountType::UInt16 ? 65535u : 4294967295u;
  uint64_t cap = type_max;
  if (spec_.saturation > 0) cap = std::min<uint64_t>(cap, static_cast<uint64_t>(std::floor(spec_.saturation)));
  const uint64_t pattern_key = mix64(mix64(seed) ^ position_index);
  for (size_t q = 0; q < expected.size(); ++q) {
    if (gap_[q]) {
      counts[q] = 0;
      continue;
    }
    const double e = expected[q];
    if (!(e >= 0) || !std::isfinite(e))
      throw std::invalid_argument("detector: expected count " + format_number(e) + " at pixel " + std::to_string(q) +
                                  " must be finite and >= 0");
    const uint64_t k = poisson_from_key(e, mix64(pattern_key ^ q));
    counts[q] = static_cast<uint32_t>(std::min(k, cap));
  }
}

}  // namespace sedpdf
