// sedpdf/simulate/multislice.hpp — the multislice forward model: a probe (or plane wave) propagated through
// the slices of a specimen, diffraction intensities at several depths (thickness series), averaged
// incoherently over frozen-phonon configurations and partial-coherence samples.
//
// Algorithm (Cowley & Moodie, Acta Cryst. 10 (1957) 609; Kirkland 2010 eq. 6.92):
//     ψ_{i+1}(r) = F⁻¹[ P(k) · F[ t_i(r) ψ_i(r) ] ],   P(k) = exp(−iπλΔz k²)  for |k| ≤ k_b, 0 beyond,
// t_i the band-limited transmission function of slice i (potential.hpp), k_b = 1/(3·pixel) (2/3 band limit
// on both t and P, so the product t·ψ never aliases into the band; Kirkland 2010 §6.8). Fourier convention
// ψ(r) = Σ Ψ(k) exp(+2πi k·r), F = FFTW's forward transform. The diffraction intensity after slice i is
// |Ψ_{i+1}(k)|²/n² (fraction of the incident electrons per reciprocal pixel; P is a phase, so it does not
// change it); several depths come out of one pass. Two FFTs per slice per wave.
//
// Modes: PeriodicMultislice — a periodic supercell (orthogonal cell, square in x–y); the cell is repeated
// along the beam to reach the thickness. WindowedMultislice — large specimens (structures/specimen.hpp):
// each probe position is propagated through a square window of the specimen centred on it, treated as
// periodic; atoms from Specimen::atoms_in_box. docs/multislice.md has the error vs window size, slice
// thickness and sampling (measured) and the threading measurements.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/simulate/fft2.hpp"
#include "sedpdf/simulate/potential.hpp"
#include "sedpdf/simulate/probe.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/sim_pattern.hpp"
#include "sedpdf/structures/specimen.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

// ---------------------------------------------------------------------------------------------------
// The core (pure functions)
// ---------------------------------------------------------------------------------------------------

/// P(k) = scale · exp(−iπλΔz k²) for |k| ≤ k_b, 0 beyond, on `grid` in FFT order. wavelength and dz in Å.
ComplexField fresnel_propagator(const WaveGrid& grid, double wavelength_A, double dz_A, double scale = 1.0);

/// The same propagator applied without an n² table: P = p_x(k_x)·p_y(k_y) (the Fresnel phase separates)
/// inside the band-limit disc, whose extent on each row is precomputed; the wave is the only n² stream.
class FresnelPropagator {
 public:
  FresnelPropagator(const WaveGrid& grid, double wavelength_A, double dz_A, double scale = 1.0);
  size_t n() const { return n_; }
  /// ψ(k) ← P(k)·ψ(k), ψ in FFT order (n·n).
  void apply(Complex* psi) const;
  /// The n² table (equal to fresnel_propagator to rounding).
  ComplexField table() const;

 private:
  size_t n_ = 0;
  std::vector<Complex> px_, py_;
  std::vector<std::vector<std::pair<size_t, size_t>>> segments_;  // row → [begin, end) column ranges inside
};

/// Propagates psi (real space, n·n, any normalisation) through `slices` (transmission functions, in order;
/// pointers may repeat). `propagator` must be made with scale = 1/n² (the inverse FFT's normalisation is
/// folded into it). After slice i for each i in record_after (ascending, < slices.size()),
/// weight·|Ψ(k)|²/n² is ADDED to accum[j] (n·n, FFT order, zero frequency at index 0). On return psi is
/// the wave after the last slice in real space. Throws std::invalid_argument for inconsistent sizes.
void multislice_propagate(ComplexField& psi, const std::vector<const ComplexField*>& slices,
                          const FresnelPropagator& propagator, Fft2Kernel& fft, const std::vector<size_t>& record_after,
                          double weight, std::vector<std::vector<double>>& accum);

/// n·n intensities in FFT order → SimPattern (fftshifted: zero frequency at (n/2, n/2)), dk = grid.dk().
SimPattern to_sim_pattern(const WaveGrid& grid, const std::vector<double>& fft_order);

/// Azimuthal average of a SimPattern: mean intensity per pixel in rings of width ds (Å⁻¹) about the zero
/// frequency, ring m covering [m·ds, (m+1)·ds), up to s_max; s = the mean |k| of the pixels of each ring.
/// (For tests and the documentation; the reduction chain has its own integrator on detector pixels.)
struct RadialProfile {
  std::vector<double> s, mean, count;
};
RadialProfile radial_average(const SimPattern& p, double ds, double s_max);

// ---------------------------------------------------------------------------------------------------
// Engines
// ---------------------------------------------------------------------------------------------------

/// Parameters of a multislice run (the [multislice] section of a config). Defaults from the convergence
/// study in docs/multislice.md.
struct MultisliceParams {
  double slice_thickness_A = 2.0;   ///< Δz (Å); periodic mode: rounded so the cell holds an integer number
  double pixel_A = 0.1;             ///< largest real-space pixel (Å); the grid size is rounded up to 2^a3^b5^c7^d
  double s_max = 2.8;               ///< largest s the output must hold (Å⁻¹); ≤ band limit 1/(3·pixel)
  double window_A = 0;              ///< windowed mode: window edge (Å); 0 = 4 × probe diameter
  /// Depths (Å) at which patterns are output (thickness series). Periodic mode: from the entrance
  /// surface; empty = one cell. Windowed mode: z of the specimen frame (0 = bottom of the carbon film, or
  /// of the specimen without one); empty = the exit surface of each column.
  std::vector<double> thicknesses_A;
  FrozenPhonons phonons;            ///< configurations = 0: static atoms
  int focal_samples = 1;            ///< Gauss–Hermite nodes over defocus (focal spread)
  int source_samples = 1;           ///< Gauss–Hermite nodes per axis over the source (source size)
  bool plane_wave = false;          ///< plane-wave illumination instead of the probe (tests, SAED)
  int fft_threads = 1;              ///< FFTW threads inside each transform (see docs/performance.md)
  bool fft_measure = false;         ///< FFTW_MEASURE planning (worth it for long scans)
  double cache_limit_MB = 1024;     ///< periodic mode: keep transmission functions up to this size
  /// Throws std::invalid_argument naming the field and value for Δz ≤ 0, pixel ≤ 0, s_max ≤ 0 or beyond
  /// the band limit, negative window, negative thicknesses, samples outside 1..64, threads < 1.
  void check() const;
};

/// What all engines do. run() is thread-safe (each call uses its own workspace).
class MultisliceEngine {
 public:
  virtual ~MultisliceEngine();
  virtual const WaveGrid& grid() const = 0;
  /// Number of outputs (thicknesses).
  virtual size_t n_outputs() const = 0;
  /// Diffraction patterns (one per output) for the probe centred at (x, y) (Å, specimen frame): the
  /// incoherent average over frozen-phonon configurations and partial-coherence samples; intensities are
  /// fractions of the incident electrons per pixel.
  virtual std::vector<SimPattern> run(double x_A, double y_A) const = 0;
  /// Electron wavelength (Å).
  virtual double wavelength_A() const = 0;
};

/// Periodic supercell. cell: an orthogonal cell, a ∥ x and b ∥ y of equal length L, c ∥ z (the beam);
/// atoms are wrapped into it in x, y (and z into [0, c) for slicing); x and y must be periodic. The grid is n × n with n = fft_friendly_size(⌈L/pixel_A⌉), pixel = L/n.
/// The cell is cut into m = max(1, round(c/Δz)) slices of c/m and repeated along z (frozen-phonon
/// displacements repeat with it) up to the largest requested thickness; outputs at the slice boundary at or
/// beyond each thickness (depths_A()). Transmission functions are computed in the constructor (OpenMP over
/// slices) when they fit cache_limit_MB, else per run. Throws std::invalid_argument for a cell that is not
/// orthogonal/square/periodic, an empty structure (“no atoms in the specimen”), or bad params.
class PeriodicMultislice final : public MultisliceEngine {
 public:
  PeriodicMultislice(const Structure& cell, const ProbeSpec& probe, const MultisliceParams& params);
  ~PeriodicMultislice() override;
  const WaveGrid& grid() const override { return grid_; }
  size_t n_outputs() const override { return record_after_.size(); }
  std::vector<SimPattern> run(double x_A, double y_A) const override;
  double wavelength_A() const override { return lambda_; }
  /// Actual output depths (Å).
  const std::vector<double>& depths_A() const { return depths_; }
  /// Slice thickness used (Å).
  double slice_thickness_A() const { return dz_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  WaveGrid grid_;
  double lambda_ = 0, dz_ = 0;
  std::vector<size_t> record_after_;
  std::vector<double> depths_;
};

/// Windowed mode over a Specimen (held by reference; it must outlive the engine). Window edge W =
/// params.window_A (0: 4 × probe diameter), grid n = fft_friendly_size(⌈W/pixel_A⌉), pixel = W/n. Slices of
/// Δz from z = 0 to the top of the highest atom in the window. Throws std::invalid_argument when W is
/// smaller than 2 × the probe diameter (naming both), for plane-wave illumination (not meaningful here),
/// or bad params.
class WindowedMultislice final : public MultisliceEngine {
 public:
  WindowedMultislice(const Specimen& specimen, const ProbeSpec& probe, const MultisliceParams& params);
  ~WindowedMultislice() override;
  const WaveGrid& grid() const override { return grid_; }
  size_t n_outputs() const override { return n_out_; }
  std::vector<SimPattern> run(double x_A, double y_A) const override;
  double wavelength_A() const override { return lambda_; }
  double window_A() const { return window_; }

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  WaveGrid grid_;
  double lambda_ = 0, window_ = 0;
  size_t n_out_ = 1;
};

}  // namespace sedpdf
