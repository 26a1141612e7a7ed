// sedpdf/structures/build_agzif62.hpp — a periodic model of the melt-quenched glass agZIF-62,
// Zn(Im)₁.₇₅(bIm)₀.₂₅ (Im = imidazolate C₃H₃N₂⁻, bIm = benzimidazolate C₇H₅N₂⁻), built as a continuous
// random network of tetrahedral Zn joined by rigid linkers; and a structural analysis of any zinc
// imidazolate framework model (coordination, bond lengths and angles, linker integrity, contacts).
//
// Method (docs/builders.md, section "agZIF-62", gives the details and the numbers measured):
//  1. Zn network: N nodes placed at random in a cubic box of the target density, joined into a
//     4-connected net (greedy nearest pairs, then migration of the unsaturated ends along the net), then
//     annealed by Metropolis bond switches in the manner of Wooten, Winer & Weaire, Phys. Rev. Lett. 54
//     (1985) 1392, started from random positions as in Barkema & Mousseau, Phys. Rev. B 62 (2000) 4985,
//     each switch followed by a local relaxation of a coarse-grained Keating-like potential (Keating,
//     Phys. Rev. 145 (1966) 637) of Zn nodes and one bead per link at its ring centre: Zn–Zn links of
//     5.94 Å (the mean bridged Zn–Zn of the DFT ZIF-62 and ZIF-4 crystals), the Zn–bead arms, tetrahedral angles between the Zn → bead vectors
//     (= the Zn–N bonds), and repulsions between non-bonded Zn and beads. No three-membered rings.
//  2. Decoration: every link gets a rigid linker, exactly N/4 of the 2N links a bIm (the rest Im), so
//     the formula is exactly Zn(Im)₁.₇₅(bIm)₀.₂₅. Linker geometries are the mean of the 28 Im and 4 bIm
//     of the DFT-optimised ZIF-62 crystal (Widmer et al., Nature Mater. 18 (2019) 370; the structure in
//     data/structures), C₂ᵥ-symmetrised and made planar. Each linker is placed with its two N on the
//     Zn–Zn link, its ring towards the link's bead of stage 1, and the best of three turns kept.
//  3. Relaxation: FIRE minimisation (Bitzek et al., Phys. Rev. Lett. 97 (2006) 170201) of Zn positions
//     and rigid-body linkers under a valence force field — Zn–N stretch, N–Zn–N bend to the tetrahedral
//     angle, alignment of each Zn–N bond with the nitrogen lone pair (the external bisector of C–N–C) —
//     plus a soft repulsion between non-bonded atoms, at fixed box (the target density); then a short
//     simulated anneal (rigid-body dynamics cooled to 0) and a final quench.
// Linkers are rigid, so their internal geometry is exactly the reference. Deterministic for a seed
// (std::mt19937_64, single-threaded).
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

enum class ZifLinkerKind { Im, BIm };

/// A rigid imidazolate-type linker in its body frame (Å): the midpoint of the two N at the origin, x
/// along N1 → N3, the C2 carbon (between the two N) towards +y, the ring in the plane z = 0.
struct LinkerTemplate {
  ZifLinkerKind kind = ZifLinkerKind::Im;
  std::string name;                        ///< "Im" or "bIm"
  std::vector<Element> elements;
  std::vector<Vec3> positions;             ///< Å, body frame
  std::array<int, 2> nitrogen{{0, 0}};     ///< indices of N1 and N3 (the Zn-binding atoms)
  std::vector<std::pair<int, int>> bonds;  ///< covalent bonds (index pairs)
  /// Unit vectors (body frame) of the N1 and N3 lone pairs: the external bisector of the C–N–C angle.
  std::array<Vec3, 2> lone_pair;
  double mass() const;                     ///< g/mol
  /// Zn–Zn distance (Å) when both Zn sit on the lone-pair axes at distance zn_n (Å) from their N.
  double ideal_zn_zn(double zn_n) const;
};

/// The Im (C₃H₃N₂) or bIm (C₇H₅N₂) template, from the DFT ZIF-62 crystal of Widmer et al. 2019
/// (mean over its 28 Im / 4 bIm after alignment, C₂ᵥ-symmetrised, z set to 0).
const LinkerTemplate& zif_linker_template(ZifLinkerKind kind);

/// Densities (g/cm³) the builder accepts: from the crystal's density (ZIF-62 and ZIF-4 are 1.26–1.29;
/// the random net is not built for open frameworks below) to beyond the densest known Zn(Im)₂
/// polymorph (ZIF-zni, ≈ 1.56) and the glass (1.55–1.60).
constexpr double kAgZif62MinDensity = 1.2;
constexpr double kAgZif62MaxDensity = 1.8;
constexpr int kAgZif62MinZn = 16;
constexpr int kAgZif62MaxZn = 4000;

struct AgZif62Options {
  int n_zn = 540;               ///< number of Zn, 16..4000, a multiple of 4 (bIm = n_zn / 4 exactly)
  double density_g_cm3 = 1.57;  ///< target mass density (g/cm³), [kAgZif62MinDensity, kAgZif62MaxDensity]
  uint64_t seed = 1;            ///< seed of the std::mt19937_64 stream
  double zn_n = 1.99;           ///< equilibrium Zn–N bond length (Å)
  double b_iso = 0;             ///< isotropic B (Å²) stored on every atom (U = B/8π²); 0 = static
  int switches_per_zn = 40;     ///< bond-switch attempts per Zn in the network anneal
  int max_relax_steps = 20000;  ///< cap on FIRE steps per minimisation
  int anneal_steps = 5000;      ///< steps of the simulated anneal between the minimisations (0 = none)
  /// Progress lines ("network: ..."); may be empty. Called from the building thread only.
  std::function<void(const std::string&)> log;
};

/// Throws std::invalid_argument naming the value for n_zn outside 16..4000 or not a multiple of 4, a
/// density that is not finite or outside [kAgZif62MinDensity, kAgZif62MaxDensity], zn_n outside
/// 1.8–2.2 Å, a negative or non-finite b_iso, or non-positive iteration counts.
void validate(const AgZif62Options& opt);

/// Diagnostics of one build.
struct AgZif62BuildInfo {
  double box_A = 0;                     ///< cubic box edge (Å)
  int n_zn = 0, n_im = 0, n_bim = 0;    ///< Zn and linkers
  double link_length_A = 0;             ///< Zn–Zn distance one Im spans ideally (Å)
  double network_link_target_A = 0;     ///< Zn–Zn link length of the stage-1 network (Å)
  // network stage
  int switches_attempted = 0, switches_accepted = 0;
  double network_mean_link_A = 0, network_rms_link_dev_A = 0;  ///< Zn–Zn along links (Å)
  double network_mean_angle_deg = 0, network_sd_angle_deg = 0; ///< Zn–Zn–Zn (degrees)
  std::vector<int> ring_counts;  ///< index k: number of k-membered primitive rings (k <= 8) of the Zn net
  // relaxation stage
  int relax_steps = 0;           ///< FIRE steps in total
  int fixup_rounds = 0;          ///< re-placement rounds for linkers left in close contacts
  double final_energy = 0;       ///< force-field energy (arbitrary units) after relaxation
  double max_overlap_A = 0;      ///< largest σ − r over repelled pairs after relaxation (Å)
  double seconds_network = 0, seconds_relax = 0;  ///< wall time of the stages
};

struct AgZif62Model {
  Structure structure;  ///< Zn first (molecule 0), then the linkers (molecule id 1..2N, label Im/bIm)
  AgZif62BuildInfo info;
};

/// Builds the model. Throws std::invalid_argument for bad options (see validate), std::runtime_error if
/// the network cannot be completed (should not happen in the allowed range).
AgZif62Model build_agzif62(const AgZif62Options& opt);

// ------------------------------------------------------------------------------------------------
// Analysis of zinc imidazolate models (any source: this builder, the RMC glass, the DFT crystals)
// ------------------------------------------------------------------------------------------------

struct ZifAnalysisOptions {
  double zn_n_cutoff = 2.3;         ///< Å, Zn–N within this is a bond
  double heavy_contact_min = 2.2;   ///< Å, non-bonded heavy–heavy pairs below this are violations
  double h_contact_min = 1.8;       ///< Å, non-bonded pairs involving H below this are violations
  double linker_tolerance = 0.05;   ///< Å, largest |bond − reference| of an intact linker
  double zn_zn_bin = 0.05;          ///< Å, bin of the Zn–Zn histogram used for the first peak
};

/// Structural statistics. A linker is a connected group of non-Zn atoms under covalent bonds (C/N–C/N
/// < 1.65 Å, X–H < 1.25 Å); Im and bIm are recognised by formula, mapped onto the templates by their
/// bond graphs, and intact when every template bond is within linker_tolerance. A pair of atoms is a
/// non-bonded contact unless the two are in the same linker, are a Zn–N bond, or are a Zn and an atom of
/// a linker bound to it (Zn···C ≈ 3.0 Å is a 1–3 distance). Contacts are searched up to 4 Å (the
/// minima are reported as 4 Å when there is none closer).
struct ZifStructureStats {
  size_t n_atoms = 0, n_zn = 0;
  double density_g_cm3 = 0;
  // Zn coordination by N within zn_n_cutoff
  std::vector<double> zn_cn_fraction;  ///< index k: fraction of Zn with exactly k N
  double frac_zn_four_n = 0;           ///< fraction of Zn with exactly four N
  size_t n_zn_n = 0;
  double mean_zn_n = 0, sd_zn_n = 0, min_zn_n = 0, max_zn_n = 0;  ///< Å
  double mean_n_zn_n = 0, sd_n_zn_n = 0;                          ///< degrees, over all N–Zn–N of all Zn
  double mean_lone_pair_dev = 0, max_lone_pair_dev = 0;  ///< degrees, angle between N→Zn and the lone pair
  double mean_zn_n_c = 0;                                ///< degrees, Zn–N–C
  // linkers
  size_t n_im = 0, n_bim = 0;             ///< linkers recognised as Im / bIm
  size_t n_other_fragments = 0;           ///< groups that are neither (broken or foreign)
  size_t n_linkers_intact = 0;            ///< Im/bIm whose every bond is within linker_tolerance
  double max_linker_bond_dev = 0;         ///< Å, over all recognised linkers
  size_t n_linkers_bridging = 0;          ///< linkers whose two N bind two different Zn
  // non-bonded contacts
  double min_heavy_contact = 0;           ///< Å, shortest non-bonded heavy–heavy distance
  double min_h_contact = 0;               ///< Å, shortest non-bonded distance involving H
  size_t n_heavy_violations = 0, n_h_violations = 0;  ///< pairs below the two limits
  // Zn–Zn
  double zn_zn_first_peak = 0;            ///< Å, see analyse_zif_structure
  double mean_zn_zn_bridged = 0;          ///< Å, Zn pairs joined by a linker
  double mean_zn_zn_zn = 0, sd_zn_zn_zn = 0;  ///< degrees, angles between links at a Zn
  /// The raw values behind the distributions (name with unit → values), for histograms.
  std::vector<std::pair<std::string, std::vector<double>>> samples;
};

/// The Zn–Zn first peak is the maximum of the Zn–Zn distance histogram divided by r² (∝ g(r)), 3-bin
/// smoothed and refined by a parabola, in 4.5 Å – min(7.5 Å, minimum-image radius).
/// Throws std::invalid_argument for a structure without a fully periodic cell, with a minimum-image
/// radius below 4 Å, or without Zn.
ZifStructureStats analyse_zif_structure(const Structure& s, const ZifAnalysisOptions& opt = {});

}  // namespace sedpdf
