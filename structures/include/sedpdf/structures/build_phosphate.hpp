// sedpdf/structures/build_phosphate.hpp — periodic models of the sodium fluoro-aluminophosphate glass
// family (1−x)([Na2O]z[P2O5])–x([AlO3/2][AlF3]y) of Longley et al., Nat. Commun. 11 (2020) (000) and
// Laulainen et al., Nanoscale 14 (2022) 16524 (003), whose glass is 0.67[(Na2O)0.9(P2O5)]–0.33[(AlO1.5)(AlF3)1.5].
//
// Method (docs/builders.md, section "Phosphate glass"): a constrained network builder.
//  1. Composition → atom counts, exact to the nearest atom and charge neutral (round_phosphate_composition).
//  2. Bond budget from the counts (phosphate_bond_budget): every O is bonded to one or two P (PO4
//     tetrahedra; Brow, J. Non-Cryst. Solids 263–264 (2000) 1), so there are 4 N_P − N_O P–O–P bridges.
//  3. P skeleton: the bridges join nearest P, dimers first, then chains (the "binary" Q¹/Q² model).
//  4. PO4 tetrahedra on the skeleton; Al, F and Na inserted where there is most room.
//  5. Simulated annealing (Kirkpatrick, Gelatt & Vecchi, Science 220 (1983) 671) by Langevin dynamics
//     (BAOAB, Leimkuhler & Matthews 2013) under a constrained potential: fixed PO4 and P–O–P bonds
//     (harmonic + Urey–Bradley), Al–O/Al–F and Na–O/Na–F Morse attractions (the form of Pedone et al.,
//     J. Phys. Chem. B 110 (2006) 11780) centred on the target bond lengths, closest-approach walls
//     between all other pairs (as in reverse Monte Carlo, McGreevy, J. Phys.: Condens. Matter 13 (2001)
//     R877). The anion–anion walls cap Al at six ligands.
//  6. Biased cycles: a matching (greedy + augmenting paths) proposes ligands for the Al still short of
//     six; weak springs pull them in while everything else anneals at low temperature.
//  7. Bonds are read from the geometry, the last octahedra completed, and the bonded model relaxed with
//     FIRE (Bitzek et al., Phys. Rev. Lett. 97 (2006) 170201) under a valence force field.
// Target geometry (../shared/BRIEF.md, "The materials"): P–O(P) 1.60, P–O non-bridging 1.48–1.50,
// O–O 2.52, P–P 2.93 Å; Al–O 1.89, Al–F 1.80 Å; Na–O 2.35–2.45 Å. Deterministic for a seed (single
// thread, std::mt19937_64 with our own uniform deviates).
#pragma once
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/element.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

// ------------------------------------------------------------------------------------------------
// Composition
// ------------------------------------------------------------------------------------------------

/// Amounts of Na, P, Al, O, F on any common scale (atoms per formula unit, moles, atoms).
struct PhosphateComposition {
  double na = 0, p = 0, al = 0, o = 0, f = 0;
  double total() const { return na + p + al + o + f; }
  /// Σ formal charges with Na⁺, P⁵⁺, Al³⁺, O²⁻, F⁻ (same scale as the amounts).
  double charge() const { return na + 5 * p + 3 * al - 2 * o - f; }
  /// Σ positive charges (same scale), the reference for the neutrality tolerance.
  double cation_charge() const { return na + 5 * p + 3 * al; }
  /// Scaled to Σ = 1 (atomic fractions); throws std::invalid_argument if the total is not positive.
  PhosphateComposition fractions() const;
  /// Mean atomic mass (g/mol) with the standard atomic weights of element.hpp.
  double mean_mass_g_per_mol() const;
  /// "Na 1.206 : P 1.340 : ..." with `prec` decimals.
  std::string ratio_string(int prec = 3) const;
};

/// The glass of 003, 0.67[(Na2O)0.9(P2O5)]–0.33[(AlO1.5)(AlF3)1.5]: Na 1.206 : P 1.340 : Al 0.825 :
/// O 4.448 : F 1.485 (BRIEF).
PhosphateComposition default_phosphate_composition();

/// Element amounts of a composition expression in the glass notation, e.g.
/// "0.67[(Na2O)0.9(P2O5)]-0.33[(AlO1.5)(AlF3)1.5]", "0.67[Na2O]0.9[P2O5] – 0.33[AlO3/2][AlF3]1.5",
/// "Na1.206P1.340Al0.825O4.448F1.485", "NaPO3". Grammar (whitespace ignored):
///   expr := term (sep term)*          sep  := '-' | '+' | '–' | '—' | '−' | '·'   (all mean "and")
///   term := [number] unit+            a leading number multiplies the whole term
///   unit := (Element | '(' expr ')' | '[' expr ']' | '{' expr '}') [number]
///   number := decimal ['/' decimal]  ("3/2"); Unicode subscript digits (₀…₉) count as digits.
/// A number right after an element or a closing bracket is its subscript; at the start of a term it is
/// the term's coefficient. Throws InputError(field = `field`) naming the position and the problem.
std::map<Element, double> parse_formula_expression(const std::string& text,
                                                   const std::string& field = "composition");

/// parse_formula_expression restricted to Na, P, Al, O, F, checked for charge neutrality (|Σq| below
/// 0.1 % of the cation charge, enough for ratios given to three decimals) and for the presence of P and O. Throws InputError naming the problem.
PhosphateComposition parse_phosphate_composition(const std::string& text);

/// The three glasses of 000 (Methods): NaPO3 + AlF3 batches of 80 g.
struct PhosphateBatchPreset {
  std::string name;    ///< "base", "na-deficient", "al-rich"
  std::string batch;   ///< e.g. "NaPO3=66.3g,AlF3=13.7g"
};
const std::vector<PhosphateBatchPreset>& phosphate_batch_presets();

/// Composition of a melt batch "NaPO3=66.3g,AlF3=13.7g" (compound=amount; amounts in g, mg, kg, mol or
/// mmol; compounds are formula expressions) or a preset name of phosphate_batch_presets(). Molar
/// masses from the standard atomic weights. The result is the nominal batch composition (no loss of
/// fluorine or sodium in the melt); it is checked like parse_phosphate_composition. Throws InputError
/// (field "batch").
PhosphateComposition phosphate_composition_from_batch(const std::string& spec);

/// Integer atom counts.
struct PhosphateAtomCounts {
  long na = 0, p = 0, al = 0, o = 0, f = 0;
  long total() const { return na + p + al + o + f; }
  long charge() const { return na + 5 * p + 3 * al - 2 * o - f; }
  PhosphateComposition as_composition() const {
    return {static_cast<double>(na), static_cast<double>(p), static_cast<double>(al), static_cast<double>(o),
            static_cast<double>(f)};
  }
};

/// Atom counts for about `n_atoms` atoms. Rule: with ideal counts x_e = n_atoms · c_e (c_e atomic
/// fractions), choose integers n_e, each within floor(x_e) − 2 … ceil(x_e) + 2 (0 for an absent
/// element), with Σ q_e n_e = 0 exactly (Na⁺, P⁵⁺, Al³⁺, O²⁻, F⁻), minimising first max_e |n_e − x_e|,
/// then Σ (n_e − x_e)², then the counts in the order Na, P, Al, O, F (for determinism). When all five
/// elements are present a neutral choice of floor/ceil always exists (the subset sums of the charges
/// {1, 5, 3, −2, −1} cover every integer from −3 to 9, and Σ q_e frac(x_e) lies in (−3, 9)), so every
/// count is within one atom of ideal. Throws std::invalid_argument if n_atoms < 1 or no neutral choice
/// exists in the window.
PhosphateAtomCounts round_phosphate_composition(const PhosphateComposition& c, double n_atoms);

/// How the anions are shared, from the counts (all integers, numbers of atoms or bonds):
struct PhosphateBondBudget {
  long p_o_p = 0;       ///< O bridging two P: 4 N_P − N_O (every O on one or two P)
  long o_single = 0;    ///< O on exactly one P: 2 N_O − 4 N_P
  long al_slots = 0;    ///< 6 N_Al (Al only six-fold)
  long f_on_al = 0;     ///< F bonded to Al: min(N_F, 6 N_Al)
  long f_bridging = 0;  ///< of those, F shared by two Al (only when the O cannot fill the octahedra)
  long f_free = 0;      ///< F not on Al (near Na only)
  long p_o_al = 0;      ///< O shared by one P and one Al (Al–O–P)
  long o_nonbridging = 0;  ///< O on one P and no Al (P–O⁻···Na⁺)
  long al_unfilled = 0;    ///< Al corners left empty (an O- and F-poor composition); 0 normally
  /// Mean number of P–O–P bridges per P (Qⁿ mean n) = 2 p_o_p / N_P = 8 − 2 N_O/N_P.
  double mean_qn = 0;
  /// Qⁿ fractions (n = 0..4) of the "binary" chain model (Van Wazer; Brow 2000 §2): only the two Qⁿ
  /// species adjacent to the mean.
  std::array<double, 5> binary_qn{};
};
/// Throws std::invalid_argument if N_P = 0 or the O/P ratio is outside 2 … 4 (a PO4 network cannot
/// take the O, or there is O left that no P can hold: free oxide ions are not modelled).
PhosphateBondBudget phosphate_bond_budget(const PhosphateAtomCounts& n);

// ------------------------------------------------------------------------------------------------
// Builder
// ------------------------------------------------------------------------------------------------

struct PhosphateBuildOptions {
  PhosphateComposition composition = default_phosphate_composition();
  double n_atoms = 10000;        ///< target number of atoms (the rounding may add or remove a few)
  double density_g_cm3 = 2.6;    ///< mass density (g/cm³); BRIEF: 2.5–2.7; accepted 2.0–3.5
  uint64_t seed = 1;             ///< random seed; the model is a deterministic function of all options
  int anneal_steps = 3000;       ///< Langevin steps of the simulated annealing (≈ 1 fs each)
  double anneal_kt_hot = 0.25;   ///< thermostat kT of the first third of the annealing (eV)
  double anneal_kt_cold = 0.01;  ///< kT at the end of the linear cooling (eV)
  int bias_cycles = 12;          ///< biased cycles (500 Langevin steps at kT 0.03 eV each)
  int max_relax_steps = 10000;   ///< FIRE steps of the final bonded relaxation
};

/// Geometric statistics of a phosphate glass model, from interatomic distances only (so the same
/// numbers can be computed for any model, shipped or external). Cut-offs: P–O 1.8 Å, Al–O/F 2.2 Å,
/// Na–O/F 3.0 Å (first minimum of g_NaO in Na phosphate glasses).
struct PhosphateStats {
  PhosphateAtomCounts counts;
  double box_volume_A3 = 0;
  double density_g_cm3 = 0;
  double number_density_A3 = 0;        ///< atoms/Å³
  // P
  std::array<double, 7> p_coordination{};  ///< fraction of P with n = 0..6 O within 1.8 Å
  double p_four_fraction = 0;              ///< fraction of P with exactly four O within 1.8 Å
  double p_o_mean = 0;                     ///< mean P–O (Å), all P–O within 1.8 Å
  double p_o_bridging_mean = 0;            ///< P–O of O bonded to two P (P–O–P) (Å)
  double p_o_nonbridging_mean = 0;         ///< P–O of O bonded to one P (terminal, incl. P–O–Al) (Å)
  double p_o_al_mean = 0;                  ///< P–O of O bonded to one P and an Al (P–O–Al) (Å)
  double p_o_terminal_mean = 0;            ///< P–O of O bonded to one P and no Al (P–O⁻) (Å)
  size_t n_p_o_bridging = 0, n_p_o_nonbridging = 0, n_p_o_al = 0, n_p_o_terminal = 0;
  double o_p_o_mean_deg = 0;               ///< O–P–O angle (degrees)
  double p_o_p_mean_deg = 0;               ///< P–O–P angle (degrees)
  double p_p_bridged_mean = 0;             ///< P···P across a shared O (Å)
  double o_o_tetrahedron_mean = 0;         ///< O···O edge of a PO4 tetrahedron (Å)
  std::array<double, 5> qn{};              ///< Qⁿ fractions n = 0..4 (n = O shared with another P)
  double qn_mean = 0;
  std::array<double, 7> p_al_neighbours{}; ///< fraction of P with m = 0..6 P–O–Al links
  // Al
  std::array<double, 9> al_coordination{};  ///< fraction of Al with n = 0..8 O+F within 2.2 Å
  double al_six_fraction = 0;               ///< fraction of Al with exactly six O+F within 2.2 Å
  double al_o_mean = 0, al_f_mean = 0;      ///< Å
  double al_f_per_al = 0;                   ///< mean F neighbours of Al
  double al_o_al_p_mean_deg = 0;            ///< Al–O–P angle (degrees)
  // Na
  double na_o_peak = 0;        ///< first Na–O peak (Å): histogram 1.8–3.0 Å in 0.02 Å bins, maximum of the
                               ///< 3-bin running sum, centroid of the counts within two bins of it
  double na_o_mean = 0;        ///< mean Na–O within 3.0 Å
  double na_f_mean = 0;        ///< mean Na–F within 3.0 Å (0 if none)
  double na_coordination = 0;  ///< mean O+F within 3.0 Å of Na
  // Contacts
  double min_cation_cation = 0;  ///< shortest distance between two cations (Na, P, Al) (Å)
  double min_anion_anion = 0;    ///< shortest O/F–O/F distance (Å)
  double max_p_o_bond = 0;       ///< longest P–O within 1.8 Å
};

/// Statistics of `s` (periodic; elements other than Na, P, Al, O, F are ignored). Throws
/// std::invalid_argument for a structure without a periodic cell of minimum-image radius >= 3.2 Å.
PhosphateStats phosphate_statistics(const Structure& s);

/// What the builder did (besides the model).
struct PhosphateBuildInfo {
  PhosphateComposition ideal_counts;   ///< n_atoms · c_e before rounding
  double max_count_deviation = 0;      ///< max_e |n_e − x_e| (atoms)
  PhosphateBondBudget budget;
  double box_length_A = 0;
  long ligands_annealed = 0;           ///< Al–O/F bonds after the annealing (of 6 N_Al)
  long ligands_biased = 0;             ///< ... after the biased cycles
  long al_undercoordinated = 0;        ///< Al corners the final matching could not fill
  long network_p_p = 0;                ///< P–O–P bridges
  long network_p_al = 0;               ///< O shared by one P and one Al
  long network_al_al = 0;              ///< F shared by two Al
  int relax_steps = 0;                 ///< Langevin + FIRE steps of the annealing and relaxation
  double final_energy_eV = 0;          ///< valence force-field energy after relaxation (eV)
  double final_max_force = 0;          ///< max |F| (eV/Å)
  double seconds_network = 0, seconds_relax = 0, seconds_total = 0;
};

struct PhosphateBuildResult {
  Structure structure;
  PhosphateStats stats;
  PhosphateBuildInfo info;
};

/// Builds the model. Throws std::invalid_argument naming the value for a density outside
/// 2.0–3.5 g/cm³, a composition the network cannot hold (phosphate_bond_budget), or n_atoms too small
/// for the composition (a box narrower than 14 Å, or an element present in the composition that rounds
/// to zero atoms), or larger than 10⁶.
PhosphateBuildResult build_phosphate_glass(const PhosphateBuildOptions& opt);

/// Smallest box edge the builder accepts (Å): the structural statistics and the relaxation use
/// neighbour cut-offs up to 5.5 Å, which must stay below half the box.
constexpr double kPhosphateMinBox = 14.0;

}  // namespace sedpdf
