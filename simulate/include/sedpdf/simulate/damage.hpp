// sedpdf/simulate/damage.hpp — a beam-damage MODEL for repeated low-dose scans (003: a second scan of the
// same area, cumulative 20 e⁻/Å²). It is a model with assumed parameters, not a simulation of radiolysis:
// docs/forward_models.md, "Beam damage (a model)".
//
// Two states per phase, intact and damaged, with first-order single-hit kinetics: after a dose D the intact
// fraction is exp(−D / D_c) (the exponential fading of a diffraction signal that defines the critical dose D_c:
// R. F. Egerton, P. Li & M. Malac, Micron 35 (2004) 399; R. F. Egerton, Micron 119 (2019) 72). A pattern recorded
// while the dose rises from D_a to D_b sees, averaged over its exposure, the damaged fraction
//     f̄(D_a, D_b) = 1 − D_c (e^{−D_a/D_c} − e^{−D_b/D_c}) / (D_b − D_a)     (D_b > D_a; f(D_a) if equal).
// The damaged state keeps its bonds and loses order beyond them — the picture 003 draws for its ePDFs:
// radiolysis of the linkers and displacement, "substantial bond-breaking occurring only at much higher
// doses", and mass loss "primarily in the inorganic glass":
//   - pair distances r ≥ r_intact are smeared by a Gaussian of σ (the pair counts of every partial are
//     convolved, so they are conserved; pairs below r_intact are unchanged);
//   - the damaged material keeps (1 − mass_loss) of its mass per area (thickness × (1 − mass_loss) at the
//     intact density).
// In the forward model a column of phase thickness t then holds (1 − f̄) t of the intact material and
// f̄ (1 − mass_loss) t of the damaged one, scattered together (plural and inelastic scattering as for any
// two materials in a column; as two materials they share no pair correlations — damaged regions are taken to
// be larger than the pair-correlation range). Using f̄ in the column instead of averaging the patterns over the exposure
// neglects the pattern's curvature in f — second order in the spread of f over one scan, small when the
// dose of one scan is below D_c.
#pragma once
#include <limits>
#include <string>

#include "sedpdf/simulate/partial_pdf.hpp"

namespace sedpdf {

struct DamageModel {
  double critical_dose = std::numeric_limits<double>::infinity();  ///< D_c (e⁻/Å²) > 0; ∞ = no damage
  double pair_sigma_A = 0;   ///< damaged state: Gaussian σ (Å) added to pair distances ≥ r_intact_A
  double r_intact_A = 2.5;   ///< Å: shorter pairs (bonds) keep their distances
  double mass_loss = 0;      ///< [0, 1): fraction of the mass the damaged state has lost

  bool active() const { return critical_dose < std::numeric_limits<double>::infinity(); }
  /// Throws std::invalid_argument naming the field for D_c ≤ 0 or NaN, σ < 0, r_intact < 0, mass_loss
  /// outside [0, 1), or non-finite values; `what` prefixes the message (e.g. the phase).
  void check(const std::string& what) const;
};

/// Exposure-averaged damaged fraction f̄ while the dose rises from dose_from to dose_to (e⁻/Å²; header
/// formula; 0 for an inactive model). Throws std::invalid_argument for negative or decreasing doses.
double damaged_fraction(const DamageModel& m, double dose_from, double dose_to);

/// A phase's two states in a column while the dose rises from dose_from to dose_to: the damaged fraction f̄
/// and the thickness weights of the states, intact 1 − f̄ and damaged f̄ (1 − mass_loss) (header). Throws as
/// damaged_fraction.
struct StateWeights {
  double damaged_fraction = 0;
  double intact = 1, damaged = 0;
};
StateWeights state_weights(const DamageModel& m, double dose_from, double dose_to);

/// Partial PDFs with every pair at distance ≥ r_intact_A smeared by a Gaussian of σ (header): the pair counts
/// of each bin at or beyond r_intact are spread over the bins by the bin integrals of N(r; r_k, σ), those below
/// stay, and g = counts / uniform counts is recomputed. Beyond r_max the histogram is continued by the uniform
/// count (g = 1) for 8 σ, so pairs smear in from there as they smear out; what falls below r = 0 is lost
/// (none when r_intact ≫ σ). Pair counts are conserved exactly across any r whose ± 8 σ holds no pairs.
/// σ = 0 returns the input. Throws std::invalid_argument for finite clusters (periodic models only), σ < 0
/// or r_intact < 0.
PartialPdfs smear_pairs_beyond(const PartialPdfs& p, double sigma_A, double r_intact_A);

}  // namespace sedpdf
