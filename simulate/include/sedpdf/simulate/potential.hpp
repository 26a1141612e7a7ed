// sedpdf/simulate/potential.hpp — projected potentials and transmission functions of the slices of a
// multislice calculation, and frozen-phonon displacements.
//
// Projection method: every atom is assigned whole to the slice that holds its z (infinite projection,
// Kirkland 2010 §6.4), and the slice's projected potential is built in reciprocal space from the electron
// scattering factors. The 3-D potential of an atom is V(q) = C f_e(q) with C = h²/(2π m₀ e) = 2π a₀ e
// = 47.878 V·Å² (first Born approximation; Kirkland 2010 eqs. 5.8–5.9), so its projection has the 2-D
// transform C f_e(|k|) and a slice of area A on a periodic n × n grid has the Fourier coefficients
//     v(k) = (C/A) Σ_e f_e(|k|) S_e(k),   S_e(k) = Σ_{j ∈ e} o_j exp(−2πi k·r_j)
// (o = occupancy), with f_e the Lobato & Van Dyck (Acta Cryst. A70 (2014) 636) parameterisation
// (simulate/scattering_factors.hpp). S_e is computed as in a type-1 non-uniform FFT: atoms are spread on
// the grid as Gaussians of width τ = 1.5 pixels (truncated at 6τ), FFT'd, and divided by the Gaussian's
// transform 2πτ² exp(−2π²τ²k²). Only |k| ≤ k_b = 1/(3·pixel) (the 2/3 band limit) is kept: there the
// aliased images of the Gaussian are below 4e-7 of the signal, so v is the exact band-limited projected
// potential (tested against the direct sum) — no real-space sampling of the singular atomic potential.
// Consequence: first-order scattering beyond k_b is not modelled (the intensity stays in the band).
// Transmission function (Kirkland 2010 eq. 6.85): t(r) = exp(iσ v(r)), σ = interaction_constant (relativistic),
// then band-limited to k ≤ k_b (2/3 antialiasing, Kirkland 2010 §6.8). Note σC = γλ: σ v(k) = γλ f_e S/A.
//
// Frozen phonons (Loane, Xu & Silcox, Acta Cryst. A47 (1991) 267; Kirkland 2010 §7.6): each atom is
// displaced by an isotropic Gaussian with ⟨u_x²⟩ = U per axis; patterns of N configurations are averaged
// incoherently. The displacement of an atom is a hash of (seed, configuration, its position quantised to
// 1e-4 Å), so it does not depend on the order of the atoms, on the window that holds them or on threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <vector>

#include "sedpdf/simulate/fft2.hpp"
#include "sedpdf/simulate/probe.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

/// C = h²/(2π m₀ e) (V·Å²) = (hc)²/(2π m₀c²) with CODATA 2018 constants (47.8783 V·Å²).
double potential_constant_VA2();

/// Isotropic frozen-phonon displacements.
struct FrozenPhonons {
  /// Number of configurations averaged incoherently; 0 = static atoms (no displacement, one pass).
  size_t configurations = 0;
  uint64_t seed = 1;
  /// U (Å², mean-square displacement along one axis) per element (Z → U). Default table: H 0.025 Å²,
  /// every other element `default_u_A2`. These are rough room-temperature values (B = 8π²U ≈ 0.6 Å² for
  /// the heavier atoms; U of organic H in X-ray refinements is 1.2–1.5 × that of its carrier, and its
  /// zero-point motion adds more) — the glass models carry their static disorder in the positions.
  std::map<int, double> u_A2_by_z = {{1, 0.025}};
  double default_u_A2 = 0.008;
  /// Use an atom's own u_iso when it is > 0 (models that carry one) instead of the table.
  bool use_atom_u_iso = true;
  /// U of an atom (Å²).
  double u_of(const Atom& a) const;
  /// Throws std::invalid_argument naming the value for a negative or non-finite U.
  void check() const;
};

/// Atom `a` displaced for configuration `config` (config counts from 0). configurations = 0: unchanged.
Position displaced_position(const FrozenPhonons& fp, const Atom& a, size_t config);

/// Builds band-limited projected potentials and transmission functions on one grid for one set of
/// elements. Not thread-safe (owns scratch buffers): one builder per thread.
class SlicePotentialBuilder {
 public:
  /// energy_eV: electron energy (for σ); elements: every element that may occur (tables are precomputed);
  /// sf: electron scattering factors in Å (Lobato by default in the engines). Throws std::invalid_argument
  /// for a bad grid, energy, or an element sf lacks (naming it).
  SlicePotentialBuilder(const WaveGrid& grid, double energy_eV, const ScatteringFactors& sf,
                        const std::vector<Element>& elements);

  const WaveGrid& grid() const { return grid_; }
  double sigma() const { return sigma_; }  ///< interaction constant σ (rad/(V·Å))

  /// Projected potential v (V·Å) on the grid of the atoms `atoms[i]` for i in `which` (all atoms when
  /// `which` is empty and all_if_empty), positions in the grid frame (Å), periodic with the grid extent;
  /// z is ignored. Throws std::invalid_argument for an element not given to the constructor.
  void projected_potential(const std::vector<Atom>& atoms, const std::vector<size_t>& which, RealField& v);
  /// The same from explicit positions (x, y in Å) with elements and occupancies.
  void projected_potential_xy(const std::vector<Element>& elem, const std::vector<double>& x,
                              const std::vector<double>& y, const std::vector<double>& occ, RealField& v);
  /// t = band-limit[exp(iσ v)] (complex, n·n).
  void transmission(const RealField& v, ComplexField& t);

 private:
  WaveGrid grid_;
  double sigma_ = 0;
  std::vector<int> elem_index_;          // Z → index into tables_, −1 if absent
  std::vector<RealField> tables_;        // per element: C f(k) exp(2π²τ²k²)/(2πτ² n²) on n × (n/2+1), 0 beyond k_b
  std::vector<unsigned char> band_;      // n·n mask: 1 inside k_b
  RealField spread_;                     // n·n
  ComplexField half_, acc_, full_;       // n·(n/2+1), n·(n/2+1), n·n
  std::unique_ptr<Fft2Kernel> fft_;
  void spread_one(double x, double y, double w);
};

/// Projected potential of one atom in closed form (V·Å) at distance r (Å) from its centre, from the
/// Lobato form: each term a(2 + bs²)/(1 + bs²)² = a[1/(1+bs²) + 1/(1+bs²)²] has the 2-D inverse transform
/// a[(2π/b) K₀(2πr/√b) + (2π² r/b^{3/2}) K₁(2πr/√b)] (Lobato & Van Dyck 2014, eq. for the projected
/// potential; K Bessel functions), times C. Used by the tests as an independent check. r > 0.
double lobato_projected_potential(const LobatoFactors& lf, Element e, double r_A);

/// Slicing: atom j goes into slice floor((z_j − z0)/dz), clamped to [0, count − 1].
std::vector<std::vector<size_t>> assign_slices(const std::vector<Atom>& atoms, double z0_A, double dz_A,
                                               size_t count);

}  // namespace sedpdf
