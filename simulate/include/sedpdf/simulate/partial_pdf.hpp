// sedpdf/simulate/partial_pdf.hpp — partial pair distribution functions g_ab(r) of a structure.
//
// Definitions (Faber & Ziman, Phil. Mag. 11 (1965) 153; Keen, J. Appl. Cryst. 34 (2001) 172, eq. 8):
// n_ab(r) dr = mean number of b atoms at distance r..r+dr from an a atom = 4π r² dr ρ₀ c_b g_ab(r).
// With occupancy-weighted counts N_a = Σ_{i∈a} occ_i and pair counts P_ab(bin) = Σ occ_i occ_j over
// unordered pairs (images included) whose distance falls in the bin, a periodic cell of volume V gives
//     g_ab = (1 + δ_ab) · P_ab · V / (N_a N_b · ΔV_shell),   ΔV_shell = 4π/3 (r₂³ − r₁³)  (exact shell).
// The ordered count of a = b pairs is twice the unordered count. The normalisation uses N_a N_b, not
// N_a (N_a − 1): for an ideal gas of N_a atoms g_aa → 1 − 1/N_a (the finite-N bias, below 10⁻³ for
// the structures simulated here); this keeps g_ab exactly symmetric and total_g() consistent with the
// Faber–Ziman sum over ordered pairs.
//
// Finite clusters (no periodic direction): V is replaced by N/ρ₀, ρ₀ = PartialPdfOptions::
// cluster_density or, when that is 0, the density of the equivalent uniform sphere of diameter
// D = 2·sqrt(5/3)·R_g (R_g the occupancy-weighted radius of gyration; a uniform sphere of radius R has
// R_g² = 3R²/5). The resulting g_ab(r) then tends to the sphere's shape function
// γ₀(r) = 1 − 3r/(2D) + r³/(2D³) for r <= D (0 beyond) instead of 1 at large r
// (Farrow & Billinge, Acta Cryst. A65 (2009) 232, eq. 13); D is reported in cluster_diameter.
// Slabs (some but not all directions periodic) are rejected: no unambiguous volume yet.
//
// The pair histogram is a kernel behind PairHistogramKernel (DESIGN.md): AllPairsKernel is the O(N²)
// reference, CellListKernel the O(N) production kernel; both give the same histogram.
#pragma once
#include <cstddef>
#include <string>
#include <utility>
#include <vector>

#include "sedpdf/structures/element.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

struct PartialPdfOptions {
  double r_max = 20.0;          ///< largest r (Å); pairs with r <= r_max are binned
  double dr = 0.01;             ///< bin width (Å); the last bin is shorter if r_max/dr is not whole
  bool allow_images = false;    ///< allow r_max beyond the minimum-image radius (periodic images)
  double cluster_density = 0;   ///< ρ₀ for finite clusters (atoms/Å³); 0 = from the equivalent sphere
  int threads = 0;              ///< OpenMP threads; 0 = OpenMP default
};

struct PartialPdfs {
  std::vector<Element> elements;   ///< elements with non-zero occupancy, sorted by Z
  std::vector<double> counts;      ///< N_a = Σ occupancy of element a
  std::vector<double> fractions;   ///< c_a = N_a / N
  double n_atoms = 0;              ///< N = Σ occupancy
  double number_density = 0;       ///< ρ₀ (atoms/Å³)
  bool periodic = true;            ///< false: finite cluster
  double cluster_diameter = 0;     ///< Å, equivalent-sphere diameter D (clusters only)
  double dr = 0;                   ///< bin width (Å)
  double r_max = 0;                ///< Å
  std::vector<double> r;           ///< bin centres (Å)
  /// (a, b), a <= b, indices into `elements`, in the order (0,0), (0,1) .. (0,n−1), (1,1) ..
  std::vector<std::pair<int, int>> pairs;
  /// per pair per bin: Σ occ_i occ_j over unordered pairs (a ≠ b: i ∈ a, j ∈ b; a = b: i < j, plus
  /// each ± pair of periodic self-images once)
  std::vector<std::vector<double>> pair_counts;
  std::vector<std::vector<double>> g;  ///< g_ab(r) per pair, dimensionless

  /// Index into `pairs` of (a, b) or (b, a); throws std::out_of_range for a bad index.
  int pair_index(int a, int b) const;
  /// Index of e in `elements`, −1 if absent.
  int element_index(Element e) const;
  /// Running coordination number n_ab(r): mean number of b atoms within r of an a atom; element k is
  /// the sum over bins 0..k, i.e. the count within the upper edge of bin k (r[k] + dr/2).
  std::vector<double> running_coordination(int a, int b) const;
  /// Σ over ordered pairs (a, b) of w_ab g_ab(r), weights given row-major (index a·n + b, n elements);
  /// with Faber–Ziman weights w_ab = c_a c_b f_a f_b / ⟨f⟩² this is the total g(r).
  /// Throws std::invalid_argument if the weight count is not n².
  std::vector<double> total_g(const std::vector<double>& ordered_pair_weights) const;
};

/// Number of histogram bins for (r_max, dr): ceil(r_max/dr), ignoring a rounding excess of 1e-9 bins.
size_t pdf_bin_count(double r_max, double dr);

/// Pair-distance histogram kernel.
class PairHistogramKernel {
 public:
  virtual ~PairHistogramKernel() = default;
  virtual std::string name() const = 0;
  /// hist[pair · nbins + bin] += Σ occ_i occ_j for unordered pairs {i, j-image} with 0 < r <= r_max in
  /// [bin·dr, (bin+1)·dr) (r = r_max goes to the last bin). pair = index of (type_i, type_j) in the
  /// order of PartialPdfs::pairs; nbins = hist.size() / (ntypes (ntypes+1)/2). Atoms of type −1 are
  /// skipped. r_max (Å), dr (Å); threads <= 0 means the OpenMP default. Throws std::invalid_argument
  /// for a bad type, histogram size or r_max (see NeighborSearch for the minimum-image rule).
  virtual void accumulate(const Structure& s, const std::vector<int>& type_of_atom, int ntypes,
                          double r_max, double dr, bool allow_images, int threads,
                          std::vector<double>& hist) const = 0;
};

/// Reference kernel: O(N²) loop over pairs i <= j and, for each, every lattice shift whose image can
/// lie within r_max (per periodic axis |Δf_k + s_k|·W_k <= r_max, W_k the perpendicular width).
/// Single-threaded.
class AllPairsKernel final : public PairHistogramKernel {
 public:
  std::string name() const override { return "all-pairs"; }
  void accumulate(const Structure& s, const std::vector<int>& type_of_atom, int ntypes, double r_max,
                  double dr, bool allow_images, int threads, std::vector<double>& hist) const override;
};

/// Cell-list kernel (NeighborSearch), OpenMP over home bins. The bins are split into chunks that
/// depend only on the structure (never on the thread count); each chunk fills its own histogram and
/// the chunks are summed in order, so the result is bit-identical at any thread count.
class CellListKernel final : public PairHistogramKernel {
 public:
  std::string name() const override { return "cell-list"; }
  void accumulate(const Structure& s, const std::vector<int>& type_of_atom, int ntypes, double r_max,
                  double dr, bool allow_images, int threads, std::vector<double>& hist) const override;
};

/// Partial PDFs of `s` (fully periodic, or a finite cluster with no periodic direction).
/// `kernel` = nullptr uses CellListKernel. Throws std::invalid_argument for bad options (dr <= 0,
/// r_max <= dr, non-finite values, negative cluster_density), an empty structure or one with zero
/// total occupancy, a slab (mixed periodicity), or r_max beyond the minimum-image radius without
/// allow_images.
PartialPdfs compute_partial_pdfs(const Structure& s, const PartialPdfOptions& opt = {},
                                 const PairHistogramKernel* kernel = nullptr);

}  // namespace sedpdf
