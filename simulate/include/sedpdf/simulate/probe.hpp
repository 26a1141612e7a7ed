// sedpdf/simulate/probe.hpp — the convergent electron probe of a STEM / scanning-diffraction experiment:
// its parameters (ProbeSpec), its size, its wave on a periodic real-space grid, and the incoherent
// samples that model partial spatial and temporal coherence.
//
// Aberration phase, Krivanek's notation (Krivanek et al., Ultramicroscopy 78 (1999) 1; Kirkland,
// Advanced Computing in Electron Microscopy, 2nd ed. (2010), eq. 2.10 with Δf = −C10):
//     χ(k) = (2π/λ) [ ½ C10 (λk)² + ¼ C30 (λk)⁴ ] = π λ k² (C10 + ½ C30 λ² k²),   k = |k| = s (Å⁻¹).
// Sign: C10 = −Δf of Kirkland (his χ = πλk²(½Csλ²k² − Δf)). C10 < 0 is underfocus (weaker lens): the
// crossover lies |C10| below the entrance surface; C10 > 0 puts it C10 above, i.e. the probe at the
// entrance surface equals the focused probe propagated by C10 through vacuum (tested). Scherzer: C10 =
// −sqrt(4/3·C30·λ). C30 = Cs > 0 for an uncorrected round lens.
// Probe (Kirkland eq. 5.47, with the Fourier convention ψ(r) = Σ_k Ψ(k) exp(+2πi k·r)):
//     ψ(r) = N Σ_k A(k) exp(−iχ(k)) exp(−2πi k·r₀) exp(2πi k·r),   A(k) = 1 for λk ≤ α else 0,
// N such that Σ_pixels |ψ|² = 1 (the wave carries one incident electron).
#pragma once
#include <complex>
#include <cstddef>
#include <vector>

namespace sedpdf {

/// Probe-forming optics. Defaults = the 003 experiment (200 kV, α ≈ 0.6 mrad, no aberrations).
struct ProbeSpec {
  double energy_keV = 200;       ///< accelerating voltage (keV, i.e. kV), > 0
  double alpha_mrad = 0.6;       ///< convergence semi-angle (mrad), > 0
  double c10_A = 0;              ///< C10 (Å), Krivanek sign: C10 = −Δf (Kirkland); < 0 = underfocus
  double c30_mm = 0;             ///< C30 = Cs (mm)
  double source_size_A = 0;      ///< Gaussian effective source size at the specimen, FWHM (Å); 0 = coherent
  double focal_spread_A = 0;     ///< focal spread: defocus distribution exp(−(δ/Δ)²), Δ = 1/e half width (Å)
};

/// Electron energy of a probe in eV (energy_keV·1000). Throws std::invalid_argument for ≤ 0.
double probe_energy_eV(const ProbeSpec& p);

/// Probe diameter (Å): the diameter of the first dark ring of the aberration-free Airy disc,
/// d₀ = 1.22 λ/α (the disc holds 83.8 % of the intensity; Born & Wolf, Principles of Optics, §8.5.2;
/// Williams & Carter, Transmission Electron Microscopy (2009) eq. 6.13), combined in quadrature with the
/// source size: d = sqrt(d₀² + source_size_A²). Aberrations are not included (at α = 0.6 mrad they are
/// negligible). Throws std::invalid_argument for α ≤ 0, energy ≤ 0 or a negative source size.
double probe_diameter_A(const ProbeSpec& p);

/// χ(k) (rad) at spatial frequency k (Å⁻¹) with extra defocus dc10_A (Å) added to C10 (see above).
double aberration_phase(const ProbeSpec& p, double k, double dc10_A = 0);

/// A square periodic simulation grid: n × n pixels of `pixel_A` (Å); extent L = n·pixel_A; reciprocal
/// pixel dk = 1/L (Å⁻¹); Nyquist 1/(2·pixel); band limit (2/3 antialiasing, Kirkland 2010 §6.8) k_b =
/// (2/3)·Nyquist = 1/(3·pixel).
struct WaveGrid {
  size_t n = 0;
  double pixel_A = 0;
  double extent_A() const { return static_cast<double>(n) * pixel_A; }
  double dk() const { return 1.0 / extent_A(); }
  double band_limit() const { return 1.0 / (3.0 * pixel_A); }
  /// Signed frequency (Å⁻¹) of FFT index i (FFTW order: 0..n/2−1, then −n/2..−1).
  double freq(size_t i) const {
    const long long m = static_cast<long long>(i) < static_cast<long long>((n + 1) / 2)
                            ? static_cast<long long>(i)
                            : static_cast<long long>(i) - static_cast<long long>(n);
    return static_cast<double>(m) * dk();
  }
  /// Throws std::invalid_argument naming `what` for n < 2 or a non-positive pixel.
  void check(const char* what) const;
};

/// The probe wave on `grid` centred at (x0_A, y0_A) (Å, grid frame; the grid is periodic, the centre may
/// lie anywhere), with extra defocus dc10_A (Å), normalised Σ|ψ|² = 1; n·n values, row-major (row ↔ y),
/// built in reciprocal space and inverse-transformed with FFTW. Throws std::invalid_argument if the
/// aperture α/λ exceeds the band limit k_b (naming both: pixel too coarse) or α/λ < dk (grid extent too
/// small to resolve the aperture).
std::vector<std::complex<double>> make_probe(const ProbeSpec& p, const WaveGrid& grid, double x0_A,
                                             double y0_A, double dc10_A = 0);

/// Gauss–Hermite rule: nodes x_i and weights w_i with Σ w_i g(x_i) ≈ ∫ exp(−x²) g(x) dx, exact for
/// polynomials of degree ≤ 2n − 1 (Golub & Welsch 1969 / Newton on the Hermite recurrence). n in 1..64.
struct QuadratureRule {
  std::vector<double> nodes, weights;
};
QuadratureRule gauss_hermite(int n);

/// One incoherent member of a partially coherent probe: the probe shifted by (dx, dy) (Å) with extra
/// defocus dc10 (Å) and weight w (Σ w = 1). Diffraction intensities are averaged over the samples
/// (incoherent sum), not multiplied by an envelope: for a diffraction pattern of an inhomogeneous
/// specimen the source size acts as an incoherent average over probe positions, and the focal spread as
/// an incoherent average over defocus (Kirkland 2010 §3.3.3, §5.4 for images; the same ensemble here).
struct ProbeSample {
  double dx_A = 0, dy_A = 0, dc10_A = 0, weight = 1;
};
/// Samples for the source size (Gaussian of FWHM source_size_A: σ = FWHM/(2·sqrt(2 ln 2)); n_source
/// Gauss–Hermite nodes per axis, positions √2·σ·x_i) and the focal spread (defocus distribution
/// exp(−(δ/Δ)²): n_focal nodes, δ = Δ·x_i) — a product rule of n_source²·n_focal members. A zero source
/// size or focal spread uses one node on that axis. Throws std::invalid_argument for n < 1 or n > 64.
std::vector<ProbeSample> partial_coherence_samples(const ProbeSpec& p, int n_focal, int n_source);

}  // namespace sedpdf
