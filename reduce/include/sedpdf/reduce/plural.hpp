// sedpdf/reduce/plural.hpp — removal of plural elastic scattering from an azimuthally averaged diffraction
// profile that records the unscattered disc, by Fourier-log deconvolution in Hankel space.
//
// Model (Anstis, Liu & Lake, Ultramicroscopy 26 (1988) 65; the fast model's item 2, docs/forward_models.md):
// independent scattering events, Poisson in number with mean x per electron, each drawing its angle from the
// normalised single-event distribution p, all convolved with the aperture disc D (radius s_α = α/λ):
//     I = T · D ⊛ Σ_n P_n(x) p^{⊛n},   Hankel (2-D Fourier of radial functions):  Î = T D̂ exp(x(p̂ − 1)),
// so T D̂ x p̂ = T D̂ [ln(Î/(T D̂)) + x] — the Fourier-log method of EELS (Egerton, Electron Energy-Loss
// Spectroscopy in the Electron Microscope, 3rd ed. 2011, §4.2.1) applied to angles. Inelastic events enter
// the same exponent and come out as their single-event distribution (the log separates them too).
//
// Numerics (docs/reduction.md): the disc is taken out of the data and handled analytically — its counts A
// are what the disc bins hold above the scattered intensity extrapolated linearly into them, and
// x = −ln(A/T) (T: all counts, the detector's edge extended by an s⁻⁴ tail). With U = eˣ Î_sc/T (Î_sc the
// transform of the scattered part), T D̂ x p̂ = T D̂ ln(1 + U/D̂) exactly, so the single-event profile is
//     I_single = eˣ I_sc + H⁻¹[T (D̂ ln(1 + U/D̂) − U)],
// the second term vanishing like U²/D̂ where U is small: it is transformed only for q ≤ q_cut, exactly per
// bin (ring integrals of J₀), so no truncation of the disc edge or of the data enters the result.
#pragma once
#include <vector>

namespace sedpdf {

struct PluralParams {
  double s_alpha = 0;      ///< aperture (disc) radius α/λ (Å⁻¹), > 0, below the s_min of the chain
  int disc_margin_bins = 2; ///< bins beyond s_α still counted as disc (probe tails, pixel blur), >= 0
  double q_cut = 6.0;      ///< Å: the log term is transformed for q ≤ q_cut (tapered over the last 20 %)
};

struct PluralResult {
  std::vector<double> I_single;  ///< the single-event profile x(p ⊛ D)·T on the input grid (input units)
  double events = 0;             ///< x = −ln(unscattered fraction): events per electron
  double unscattered = 0;        ///< A/T
  double total = 0;              ///< T (input units × Å⁻²)
};

/// Precomputed transforms for one s grid: uniform bin centres s_i = (i + ½)h (h > 0), the bins being rings
/// [s_i − h/2, s_i + h/2]. Throws std::invalid_argument naming the value for a grid that is not of that form,
/// fewer than 8 bins beyond the disc, or bad parameters.
class PluralPlan {
 public:
  PluralPlan(const std::vector<double>& s, const PluralParams& p);
  /// I: intensity per unit detector area on the grid (counts per pixel, say), every bin finite and >= 0 —
  /// the disc must be recorded. Throws std::invalid_argument naming the first bad bin, a disc that holds no
  /// counts above the scattered intensity, or a grid mismatch.
  PluralResult apply(const std::vector<double>& I) const;
  const std::vector<double>& s() const { return s_; }

 private:
  std::vector<double> s_, area_, q_, d_hat_, wq_;
  std::vector<double> ring_;       // q × bins: ∫_ring J₀(2πqs) 2πs ds
  std::vector<double> tail_ring_;  // q: ∫_{s_end}^{∞} s⁻⁴ J₀(2πqs) 2πs ds (numerically to 4 s_end)
  std::size_t disc_bins_ = 0;
  double h_ = 0, s_end_ = 0;
  PluralParams p_;
};

/// One-off convenience: PluralPlan(s, p).apply(I).
PluralResult deconvolve_plural(const std::vector<double>& s, const std::vector<double>& I, const PluralParams& p);

}  // namespace sedpdf
