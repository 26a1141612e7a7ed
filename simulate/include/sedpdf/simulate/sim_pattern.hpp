#pragma once
#include <cstddef>
#include <vector>
namespace sedpdf {
/// A diffraction intensity on a square simulation grid in reciprocal space (the multislice output).
/// n × n values, row-major (row index ↔ k_y, column ↔ k_x), zero frequency at index (n/2, n/2)
/// (i.e. fftshifted); dk = sampling (Å⁻¹ per pixel, k in the BRIEF convention |k| = s = 2 sinθ/λ);
/// values = fraction of the incident electrons in each pixel (Σ = 1 without absorption, inside the band limit).
struct SimPattern {
  size_t n = 0;
  double dk = 0;
  std::vector<double> intensity;
};
}  // namespace sedpdf
