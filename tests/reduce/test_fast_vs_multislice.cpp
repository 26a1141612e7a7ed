// Issue 5 acceptance: the fast statistical forward model (simulate/fast_model.hpp) against multislice
// (simulate/multislice.hpp; independent physics: projected potentials, Fresnel propagation, frozen
// phonons) on amorphous slabs of the two shipped default models, data/models/agZIF62_default.extxyz and
// data/models/phosphate_default.extxyz, and on mixed columns of the two — with the SAME probe (ProbeSpec),
// the SAME DetectorModel, the same U, and φ(s) from the reduction chain (reduce/chain.hpp), which is why this
// file lives with the reduce tests (test_simulate links only the simulate library).
//
// Set-up shared by the suite tests and the full-size run (DISABLED_FullSizeComparison; its output is in
// docs/forward_models.md, "Validation against multislice"):
// - Columns: each ≈ 50 Å periodic cube is cut into layers one cube high; every layer (and every lateral tile
//   of a k × k supercell) is an independent copy of the cube under one of its 24 proper rotations and a
//   random periodic shift, so nothing repeats along the beam (a repeated cell gives HOLZ rings) and the
//   column is still periodic laterally, as PeriodicMultislice needs.
// - Multislice: a probe (200 kV, α = 0.6 mrad as in 003) at the cell origin, pixel 0.125 Å (band limit
//   2.67 Å⁻¹), Δz = 2 Å, frozen phonons with U = 0.008 Å² for every element (the H table entry removed, so both
//   models have the same U); outputs after 2 and 6 layers (≈ 10, 30 nm; full size also 12 layers ≈ 60 nm).
// - Detector: `uniform`, odd size, Δs = the simulation's dk = 1/L, so each detector pixel is exactly one
//   simulation pixel (no resampling blur of the multislice speckle); the same DetectorModel renders the
//   fast model's patterns.
// - Fast model: the same probe, U, model structures (S(s) from their partial PDFs), no inelastic scattering
//   (multislice has none), single scattering cut at the multislice band limit (s_max).
// Metrics per case and thickness (asserted in the suite; the full-size run prints them):
// - bands (kBands) of the azimuthally averaged pattern, multislice / fast (speckle-free mean pattern): within
//   5 % + 2σ, σ the multislice band noise of its one probe position, estimated from the two Friedel-closed
//   detector sectors (Detector::sector; 1.4–3.4 % here);
// - φ(s) after the reduction chain (one-pixel rings → reduce_profile, fit 2.0 Å⁻¹ to the inscribed ring,
//   Mu2013, exp(−0.6 s²)), Pearson of the damped φ over 0.2–2.5 Å⁻¹: > 0.6 for one position (speckle-limited;
//   the acceptance's 0.98 is about area averages — see the full-size run and the docs, where it is NOT reached:
//   0.93–0.97); undamped φ and G(r) printed;
// - speckle contrast per annulus of 0.25 Å⁻¹ (rms of pixel / ring mean − 1; fast: rms over 8 seeds) within
//   20 % of the fast model's prediction for N phonon configurations (speckle_for_configurations);
// - the unscattered disc s < 0.07 Å⁻¹ within 5 %;
// - mixed columns: the non-linearity of mixing I_mix / ½(I_A + I_B) − 1 per band (±0.05; side by side below
//   0.7 Å⁻¹ ±(0.05 + 2σ)) and of the disc (±0.01). Side-by-side columns: the fast model gets the cell's
//   thickness map (ColumnMap: the mean-inner-potential phase of the two edge-on interfaces).
#include <gtest/gtest.h>

#include <array>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <memory>
#include <numeric>
#include <string>

#include "fixtures/fast_model_setup.hpp"
#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/simulate/multislice.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/io.hpp"

#include <Eigen/Dense>
#include <complex>

using namespace sedpdf;

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

/// The 24 proper rotations of a cube as (permutation, signs): new axis i = sign_i · old axis perm_i.
std::vector<std::array<int, 6>> cube_rotations() {
  std::vector<std::array<int, 6>> out;
  const int perms[6][3] = {{0, 1, 2}, {1, 2, 0}, {2, 0, 1}, {0, 2, 1}, {2, 1, 0}, {1, 0, 2}};
  const int perm_sign[6] = {1, 1, 1, -1, -1, -1};
  for (int p = 0; p < 6; ++p)
    for (int m = 0; m < 8; ++m) {
      const int s0 = (m & 1) ? -1 : 1, s1 = (m & 2) ? -1 : 1, s2 = (m & 4) ? -1 : 1;
      if (perm_sign[p] * s0 * s1 * s2 != 1) continue;
      out.push_back({perms[p][0], perms[p][1], perms[p][2], s0, s1, s2});
    }
  return out;
}

double frac_hash(uint64_t a, uint64_t b) {
  uint64_t z = a * 0x9E3779B97F4A7C15ULL + b * 0xBF58476D1CE4E5B9ULL + 0x94D049BB133111EBULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return static_cast<double>(z >> 11) * 0x1.0p-53;
}

/// Part of a layer: a cubic periodic model under rotation/shift `key`, keeping fractional x in [x_lo, x_hi).
struct Part {
  const Structure* model;
  uint64_t key;
  double x_lo = 0, x_hi = 1;
};

/// Column of layers (each one cube edge L high), lateral tiles × tiles; every (layer, tile) its own key.
Structure build_column(const std::vector<std::vector<Part>>& layers, size_t tiles, double L) {
  static const auto rots = cube_rotations();
  Structure col;
  for (size_t l = 0; l < layers.size(); ++l)
    for (size_t ty = 0; ty < tiles; ++ty)
      for (size_t tx = 0; tx < tiles; ++tx)
        for (const Part& part : layers[l]) {
          const uint64_t key = part.key * 1000 + l * 31 + ty * 7 + tx;
          const auto& r = rots[static_cast<size_t>(key % rots.size())];
          const double sh[3] = {frac_hash(key, 1), frac_hash(key, 2), frac_hash(key, 3)};
          for (const Atom& a0 : part.model->atoms) {
            const Fractional f = part.model->cell.fractionalize(a0.pos);
            const double old[3] = {f.x, f.y, f.z};
            double nf[3];
            for (int i = 0; i < 3; ++i) {
              double v = old[r[static_cast<size_t>(i)]];
              v = r[static_cast<size_t>(i) + 3] > 0 ? v : 1.0 - v;
              v += sh[i];
              nf[i] = v - std::floor(v);
            }
            if (nf[0] < part.x_lo || nf[0] >= part.x_hi) continue;
            Atom a = a0;
            a.pos = Position((static_cast<double>(tx) + nf[0]) * L, (static_cast<double>(ty) + nf[1]) * L,
                             (static_cast<double>(l) + nf[2]) * L);
            col.atoms.push_back(a);
          }
        }
  col.cell = Cell::orthorhombic(L * static_cast<double>(tiles), L * static_cast<double>(tiles),
                                L * static_cast<double>(layers.size()));
  return col;
}

double cube_edge(const Structure& s) { return s.cell.parameters()[0]; }

Structure scaled(const Structure& s, double L) {
  const double f = L / cube_edge(s);
  Structure o = s;
  for (Atom& a : o.atoms) a.pos = Position(a.pos.x * f, a.pos.y * f, a.pos.z * f);
  o.cell = Cell::orthorhombic(L, L, L);
  return o;
}

struct Settings {
  size_t tiles = 1;
  double pixel_A = 0.125;
  size_t configurations = 2;
  double u_A2 = 0.008;
  double alpha_mrad = 0.6;
  std::vector<size_t> output_layers = {2, 6, 12};
  size_t realisations = 1;  ///< independent columns averaged (multislice)
};

/// Radial means over detector pixels in bins of one pixel (bin j: centre radius in [j, j+1) pixels... here
/// s = r·Δs rounded to the nearest integer pixel radius), and band sums.
struct Detector {
  DetectorModel model;
  size_t n;
  double ds;
  Detector(size_t n_px, double ds_px)
      : model(test_fixtures::fast_test_detector(n_px, ds_px), electron_wavelength(200e3)),
        n(n_px),
        ds(ds_px) {}
  double s_of(size_t i) const {
    const double c = 0.5 * static_cast<double>(n - 1);
    return std::hypot(static_cast<double>(i / n) - c, static_cast<double>(i % n) - c) * ds;
  }
  /// Friedel-closed sectors: +1 where (x − c)(y − c) > 0, −1 where < 0, 0 on the axes. A pixel and its
  /// Friedel mate −k lie in the same sector; mirror images (independent speckle of a random structure) in
  /// the other — so the two sectors are two independent half-size samples of the speckle.
  int sector(size_t i) const {
    const double c = 0.5 * static_cast<double>(n - 1);
    const double p = (static_cast<double>(i / n) - c) * (static_cast<double>(i % n) - c);
    return p > 0 ? 1 : (p < 0 ? -1 : 0);
  }
  /// Intensity in [lo, hi); sector_sel = 0: all pixels, ±1: that sector only.
  double band(const std::vector<double>& f, double lo, double hi, int sector_sel = 0) const {
    double acc = 0;
    for (size_t i = 0; i < f.size(); ++i) {
      const double s = s_of(i);
      if (s >= lo && s < hi && (sector_sel == 0 || sector(i) == sector_sel)) acc += f[i];
    }
    return acc;
  }
  /// Mean per pixel in rings of one pixel: ring j holds pixels with round(r) = j; s_j = j·Δs.
  void profile(const std::vector<double>& f, std::vector<double>& s, std::vector<double>& I,
               int sector_sel = 0) const {
    const size_t m = n / 2;
    std::vector<double> sum(m, 0.0), cnt(m, 0.0);
    for (size_t i = 0; i < f.size(); ++i) {
      const size_t j = static_cast<size_t>(std::lround(s_of(i) / ds));
      if (j < m && (sector_sel == 0 || sector(i) == sector_sel)) {
        sum[j] += f[i];
        cnt[j] += 1;
      }
    }
    s.clear();
    I.clear();
    for (size_t j = 1; j < m; ++j) {
      s.push_back(static_cast<double>(j) * ds);
      I.push_back(sum[j] / cnt[j]);
    }
  }
  /// Speckle contrast of the pixels in [lo, hi): rms of (pixel / mean of its one-pixel ring − 1), so the
  /// radial slope of I(s) inside the annulus does not count as speckle.
  double contrast(const std::vector<double>& f, double lo, double hi) const {
    const size_t m = n;
    std::vector<double> sum(m, 0.0), cnt(m, 0.0);
    for (size_t i = 0; i < f.size(); ++i) {
      const size_t j = static_cast<size_t>(std::lround(s_of(i) / ds));
      sum[j] += f[i];
      cnt[j] += 1;
    }
    double s2 = 0, c = 0;
    for (size_t i = 0; i < f.size(); ++i) {
      const double s = s_of(i);
      if (s >= lo && s < hi) {
        const size_t j = static_cast<size_t>(std::lround(s / ds));
        const double v = f[i] / (sum[j] / cnt[j]) - 1;
        s2 += v * v;
        c += 1;
      }
    }
    return std::sqrt(s2 / c);
  }
};

const std::vector<double> kBands = {0.2, 0.45, 0.7, 0.9, 1.1, 1.3, 1.5, 1.7, 1.9, 2.1, 2.3, 2.5};
const std::vector<double> kAnnuli = {0.25, 0.5, 0.75, 1.0, 1.25, 1.5, 1.75, 2.0, 2.25, 2.5};

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n, mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

/// φ(s) after the reduction chain for 0.2 ≤ s ≤ 2.5: phi_corrected (fit, eq. 4, Mu2013 polynomial) and
/// phi_damped (then × exp(−0.6 s²), 003's area-average damping: what the chain transforms), and G(r).
struct ChainOut {
  std::vector<double> s, corrected, damped, G;
};
ChainOut chain_phi(const Detector& det, const std::vector<double>& frac, const Composition& comp) {
  std::vector<double> s, I;
  det.profile(frac, s, I);
  ReductionParams p;
  p.composition = comp;
  p.fit_s_lo = 2.0;
  p.fit_s_hi = std::min(2.8, s.back() - 0.01);
  p.s_max = 2.5;
  const ReducedProfile rp = reduce_profile(s, I, nullptr, p);
  ChainOut out;
  for (size_t i = 0; i < s.size(); ++i)
    if (s[i] >= 0.2 && s[i] <= 2.5) {
      out.s.push_back(s[i]);
      out.corrected.push_back(rp.phi_corrected[i]);
      out.damped.push_back(rp.phi_damped[i]);
    }
  out.G = rp.G;
  return out;
}

/// One comparison: the numbers the tests assert and the docs quote.
struct Comparison {
  std::string label;
  double t_A = 0;
  std::vector<double> band_ratio;      // multislice / fast per band of kBands
  double max_band_dev = 0;             // max |ratio − 1|
  // Pearson of φ after the chain (damped, what the chain transforms), 0.2–2.5 Å⁻¹, multislice (one
  // realisation or the average of several) against the fast model's speckle-free mean.
  double pearson_phi = 0;
  double band_noise = 0;               // rms relative band noise of multislice from the sector split
  double pearson_phi_undamped = 0;     // φ before the damping
  double pearson_G = 0;                // G(r), 0.5–20 Å
  // Damped φ Pearson over 0.2–0.8 and 0.8–2.5 Å⁻¹ (where the difference lives).
  double pearson_phi_low = 0, pearson_phi_high = 0;
  // Split-half reliability of the K-column reference (K ≥ 2; even vs odd columns): Pearson between the two
  // half averages r_hh, the Spearman–Brown reliability of the full average ρ = 2r_hh/(1 + r_hh) and the
  // ceiling sqrt(ρ) that a noise-free model can reach against the full average (NaN when K < 2).
  double split_r = std::nan(""), split_ceiling = std::nan("");
  double pearson_half0 = std::nan(""), pearson_half1 = std::nan("");
  // Speckle contrast per annulus of kAnnuli: multislice; the fast model's own (N → ∞ phonon configurations:
  // every electron its own thermal configuration); and the fast model's prediction for an average over N
  // frozen-phonon configurations, sqrt(C² + (1 − C²)/N) (see speckle_for_configurations).
  std::vector<double> contrast_ms, contrast_fast, contrast_pred;
  double max_contrast_dev = 0;         // max |ms/pred − 1|
  double disc_ms = 0, disc_fast = 0;   // intensity inside s < 0.07 Å⁻¹ (unscattered beam + a little)
  std::vector<double> ms_bands, fast_bands;  // absolute band intensities (for the mixing test)
};

/// Speckle contrast of an average over N frozen-phonon configurations, from the fast model's contrast C (its
/// speckle-carrying, Debye–Waller-damped coherent fraction; N → ∞). Within one configuration the whole
/// scattered wave is coherent (a static object): with c the configuration-independent (static) intensity
/// and t the rest (thermal diffuse and plural, c + t = 1), the configuration average of fully developed
/// speckle has Var = c² + (t² + 2ct)/N = c² + (1 − c²)/N (law of total variance: given the static amplitude a,
/// E[I|a] = |a|² + t, Var[I|a] = t² + 2|a|²t). With c = C: sqrt(C² + (1 − C²)/N).
/// Averaging K independent columns (independent static and thermal speckle) divides the variance by K.
double speckle_for_configurations(double C, size_t N, size_t K = 1) {
  const double c2 = std::min(1.0, C * C);
  return std::sqrt((C * C + (1 - c2) / static_cast<double>(std::max<size_t>(N, 1))) /
                   static_cast<double>(std::max<size_t>(K, 1)));
}

struct CaseResult {
  std::vector<Comparison> cmp;  // one per output
  double seconds_multislice = 0, seconds_fast_pattern = 0, seconds_fast_setup = 0;
};

/// Runs multislice on `column` and the fast model with thicknesses `t_of_output(depth)` per material; with
/// `map_of` (side-by-side columns) the fast model gets the thickness map of the cell under the probe
/// (ColumnMap: the mean-inner-potential phase), its probe-averaged thicknesses still `thicknesses(depth)`.
CaseResult compare(const std::string& label, const std::function<Structure(size_t)>& column, size_t realisations,
                   const std::vector<FastMaterial>& mats,
                   const std::function<std::vector<double>(double)>& thicknesses, const Composition& comp,
                   const Settings& st, double L, const std::function<ColumnMap(double)>& map_of = nullptr) {
  ProbeSpec pr;
  pr.alpha_mrad = st.alpha_mrad;
  MultisliceParams mp;
  mp.pixel_A = st.pixel_A;
  mp.s_max = 1.0 / (3.0 * st.pixel_A) - 1e-6;
  mp.slice_thickness_A = 2.0;
  for (size_t k : st.output_layers) mp.thicknesses_A.push_back(static_cast<double>(k) * L - 1e-6);
  mp.phonons.configurations = st.configurations;
  mp.phonons.u_A2_by_z.clear();
  mp.phonons.default_u_A2 = st.u_A2;
  mp.cache_limit_MB = 0;
  CaseResult res;
  auto t0 = Clock::now();
  // Multislice averaged over `realisations` independent columns (independent speckle, as an area average).
  std::unique_ptr<PeriodicMultislice> ms_ptr;
  std::vector<SimPattern> pats, halves[2];
  size_t half_n[2] = {0, 0};
  for (size_t k = 0; k < realisations; ++k) {
    ms_ptr = std::make_unique<PeriodicMultislice>(column(k), pr, mp);
    const std::vector<SimPattern> one = ms_ptr->run(0, 0);
    std::vector<SimPattern>& h = halves[k % 2];
    if (h.empty()) {
      h = one;
    } else {
      for (size_t o = 0; o < h.size(); ++o)
        for (size_t i = 0; i < one[o].intensity.size(); ++i) h[o].intensity[i] += one[o].intensity[i];
    }
    ++half_n[k % 2];
  }
  pats = halves[0];
  for (size_t o = 0; o < pats.size() && half_n[1] > 0; ++o)
    for (size_t i = 0; i < pats[o].intensity.size(); ++i) pats[o].intensity[i] += halves[1][o].intensity[i];
  for (SimPattern& sp : pats)
    for (double& v : sp.intensity) v /= static_cast<double>(realisations);
  for (int h = 0; h < 2; ++h)
    for (SimPattern& sp : halves[h])
      for (double& v : sp.intensity) v /= static_cast<double>(half_n[h]);
  const PeriodicMultislice& ms = *ms_ptr;
  res.seconds_multislice = seconds_since(t0) / static_cast<double>(realisations);

  const double dk = ms.grid().dk();
  size_t n_det = 2 * static_cast<size_t>(std::floor(std::min(2.8, ms.grid().band_limit()) / dk)) + 1;
  const Detector det(n_det, dk);

  FastModelParams fp;
  fp.probe = pr;
  fp.thermal_u_A2 = st.u_A2;
  fp.inelastic.plasmon = false;
  fp.inelastic.incoherent = false;
  // Multislice holds first-order scattering only inside its band limit (docs/multislice.md, Potentials):
  // the fast model's single-scattering distribution is cut at the same s, so both lose the same electrons.
  fp.s_max = ms.grid().band_limit();
  t0 = Clock::now();
  const FastModel fm(mats, fp, det.model);
  res.seconds_fast_setup = seconds_since(t0);

  for (size_t o = 0; o < pats.size(); ++o) {
    Comparison c;
    c.label = label;
    c.t_A = ms.depths_A()[o];
    const std::vector<double> t = thicknesses(c.t_A);
    std::unique_ptr<ColumnMap> map;
    if (map_of) {
      map = std::make_unique<ColumnMap>(map_of(c.t_A));
      map->mean_t = t;
    }
    std::vector<double> f_ms, f_fast, f_sp;
    det.model.resample(pats[o], f_ms);
    if (map) {
      const BeamDistribution bd = fm.beam(*map);
      std::printf("[%s t = %.1f nm] fast model: MIP phase range %.3f rad (%s)\n", label.c_str(), c.t_A / 10,
                  bd.phase_range_rad, bd.uniform ? "uniform" : "beam from the map");
      fm.mean_pattern(*map, f_fast);
      {  // diagnostic: the same without the thick-object refinement (projected, atomically smoothed phase)
        FastModelParams p2 = fp;
        p2.mip_thick_object = !fp.mip_thick_object;
        const FastModel fm2(mats, p2, det.model);
        std::vector<double> f2;
        fm2.mean_pattern(*map, f2);
        std::printf("[%s t = %.1f nm] mip_thick_object = %d: band ratio ms/fast:", label.c_str(), c.t_A / 10,
                    static_cast<int>(p2.mip_thick_object));
        for (size_t b = 0; b + 1 < kBands.size(); ++b)
          std::printf(" %.3f", det.band(f_ms, kBands[b], kBands[b + 1]) / det.band(f2, kBands[b], kBands[b + 1]));
        std::printf("; disc %.4f\n", det.band(f_ms, 0, 0.07) / det.band(f2, 0, 0.07));
      }
    } else {
      fm.mean_pattern(t, f_fast);
    }
    for (size_t b = 0; b + 1 < kBands.size(); ++b) {
      const double a = det.band(f_ms, kBands[b], kBands[b + 1]), f = det.band(f_fast, kBands[b], kBands[b + 1]);
      c.ms_bands.push_back(a);
      c.fast_bands.push_back(f);
      c.band_ratio.push_back(a / f);
      c.max_band_dev = std::max(c.max_band_dev, std::fabs(a / f - 1));
      const double h1 = det.band(f_ms, kBands[b], kBands[b + 1], 1), h2 = det.band(f_ms, kBands[b], kBands[b + 1], -1);
      c.band_noise += std::pow((h1 - h2) / (h1 + h2), 2) / static_cast<double>(kBands.size() - 1);
    }
    c.band_noise = std::sqrt(c.band_noise);
    c.disc_ms = det.band(f_ms, 0, 0.07);
    c.disc_fast = det.band(f_fast, 0, 0.07);
    const ChainOut ch_ms = chain_phi(det, f_ms, comp), ch_fast = chain_phi(det, f_fast, comp);
    c.pearson_phi = pearson(ch_ms.damped, ch_fast.damped);
    c.pearson_phi_undamped = pearson(ch_ms.corrected, ch_fast.corrected);
    c.pearson_G = pearson(ch_ms.G, ch_fast.G);
    if (map) {  // diagnostic: the same with the column classes (physics 4c) switched the other way
      FastModelParams p2 = fp;
      p2.column_classes = !fp.column_classes;
      const FastModel fm2(mats, p2, det.model);
      std::vector<double> f2;
      fm2.mean_pattern(*map, f2);
      const ChainOut ch2 = chain_phi(det, f2, comp);
      std::printf("[%s t = %.1f nm] column_classes = %d: Pearson phi %.4f (default %.4f); band ratio ms/fast:", label.c_str(),
                  c.t_A / 10, static_cast<int>(p2.column_classes), pearson(ch_ms.damped, ch2.damped), c.pearson_phi);
      for (size_t b = 0; b + 1 < kBands.size(); ++b)
        std::printf(" %.3f", det.band(f_ms, kBands[b], kBands[b + 1]) / det.band(f2, kBands[b], kBands[b + 1]));
      std::printf("\n");
    }
    {
      std::vector<double> lo_a, lo_b, hi_a, hi_b;
      for (size_t i = 0; i < ch_ms.s.size(); ++i) {
        (ch_ms.s[i] < 0.8 ? lo_a : hi_a).push_back(ch_ms.damped[i]);
        (ch_ms.s[i] < 0.8 ? lo_b : hi_b).push_back(ch_fast.damped[i]);
      }
      c.pearson_phi_low = pearson(lo_a, lo_b);
      c.pearson_phi_high = pearson(hi_a, hi_b);
    }
    ChainOut ch_half[2];
    if (half_n[1] > 0) {
      std::vector<double> f_h[2];
      for (int h = 0; h < 2; ++h) {
        det.model.resample(halves[h][o], f_h[h]);
        ch_half[h] = chain_phi(det, f_h[h], comp);
      }
      c.split_r = pearson(ch_half[0].damped, ch_half[1].damped);
      c.split_ceiling = std::sqrt(2 * c.split_r / (1 + c.split_r));
      c.pearson_half0 = pearson(ch_half[0].damped, ch_fast.damped);
      c.pearson_half1 = pearson(ch_half[1].damped, ch_fast.damped);
    }
    if (const char* dump = std::getenv("SEDPDF_CMP_DUMP")) {  // curves for the docs (φ, damped φ)
      FILE* fo = std::fopen((std::string(dump) + "_" + std::to_string(res.cmp.size()) + "_" + label.substr(0, 4) + ".txt").c_str(), "w");
      if (fo) {
        for (size_t i = 0; i < ch_ms.damped.size(); ++i)
          std::fprintf(fo, "%zu %g %g %g %g %g %g %g\n", i, ch_ms.corrected[i], ch_fast.corrected[i], ch_ms.damped[i],
                       ch_fast.damped[i], ch_ms.s[i], half_n[1] > 0 ? ch_half[0].damped[i] : 0.0,
                       half_n[1] > 0 ? ch_half[1].damped[i] : 0.0);
        std::fclose(fo);
      }
    }
    c.contrast_ms.assign(kAnnuli.size() - 1, 0.0);
    c.contrast_fast.assign(kAnnuli.size() - 1, 0.0);
    c.contrast_pred.assign(kAnnuli.size() - 1, 0.0);
    const int seeds = 8;
    for (int k = 0; k < seeds; ++k) {
      auto tp = Clock::now();
      if (map)
        fm.pattern(*map, 17, static_cast<uint64_t>(k), f_sp);
      else
        fm.pattern(t, 17, static_cast<uint64_t>(k), f_sp);
      res.seconds_fast_pattern += seconds_since(tp) / (seeds * static_cast<double>(pats.size()));
      for (size_t a = 0; a + 1 < kAnnuli.size(); ++a) {
        const double cf = det.contrast(f_sp, kAnnuli[a], kAnnuli[a + 1]);
        c.contrast_fast[a] += cf * cf / seeds;
      }
    }
    for (size_t a = 0; a + 1 < kAnnuli.size(); ++a) {
      c.contrast_fast[a] = std::sqrt(c.contrast_fast[a]);
      c.contrast_ms[a] = det.contrast(f_ms, kAnnuli[a], kAnnuli[a + 1]);
      c.contrast_pred[a] = speckle_for_configurations(c.contrast_fast[a], st.configurations, st.realisations);
      c.max_contrast_dev = std::max(c.max_contrast_dev, std::fabs(c.contrast_ms[a] / c.contrast_pred[a] - 1));
    }
    res.cmp.push_back(c);
  }
  return res;
}

void print(const CaseResult& r) {
  for (const Comparison& c : r.cmp) {
    std::printf("[%s t = %.1f nm] max band dev %.3f (ms noise %.3f) | Pearson phi %.4f, undamped %.4f, G %.4f | "
                "max contrast dev %.3f | disc ms %.4f fast %.4f\n",
                c.label.c_str(), c.t_A / 10, c.max_band_dev, c.band_noise, c.pearson_phi, c.pearson_phi_undamped,
                c.pearson_G, c.max_contrast_dev, c.disc_ms, c.disc_fast);
    std::printf("  Pearson phi 0.2-0.8 %.4f, 0.8-2.5 %.4f | split half r_hh %.4f -> ceiling sqrt(2r/(1+r)) %.4f; "
                "fast vs halves %.4f %.4f\n",
                c.pearson_phi_low, c.pearson_phi_high, c.split_r, c.split_ceiling, c.pearson_half0, c.pearson_half1);
    std::printf("  band ratio ms/fast:");
    for (double v : c.band_ratio) std::printf(" %.3f", v);
    std::printf("\n  contrast ms:  ");
    for (double v : c.contrast_ms) std::printf(" %.3f", v);
    std::printf("\n  contrast fast:");
    for (double v : c.contrast_fast) std::printf(" %.3f", v);
    std::printf("\n  contrast pred:");
    for (double v : c.contrast_pred) std::printf(" %.3f", v);
    std::printf("\n");
  }
  std::printf("  time: multislice %.2f s (all outputs, %s), fast set-up %.2f s, fast 2-D speckled pattern %.4f s\n",
              r.seconds_multislice, "one position", r.seconds_fast_setup, r.seconds_fast_pattern);
  std::fflush(stdout);
}

const Structure& zif_model() {
  static const Structure s = read_structure(std::string(SEDPDF_REPO_DATA) + "/models/agZIF62_default.extxyz");
  return s;
}
const Structure& phosphate_model() {
  static const Structure s = read_structure(std::string(SEDPDF_REPO_DATA) + "/models/phosphate_default.extxyz");
  return s;
}

FastMaterial material(const std::string& name, const Structure& s) {
  FastMaterial m;
  m.name = name;
  m.model = s;
  return m;
}

/// Pure-phase case: 12 layers of `model`.
CaseResult pure_case(const std::string& label, const Structure& model, const Settings& st) {
  const double L = cube_edge(model);
  auto col = [&](size_t k) {
    std::vector<std::vector<Part>> layers;
    for (size_t l = 0; l < st.output_layers.back(); ++l) layers.push_back({Part{&model, 11 + l + 100 * k}});
    return build_column(layers, st.tiles, L);
  };
  return compare(label, col, st.realisations, {material(label, model)}, [](double t) { return std::vector<double>{t}; },
                 Composition::of(model), st, L);
}

/// Mixed cases on the agZIF-62 lateral period: the phosphate model scaled isotropically to its edge.
/// stacked: layers alternate A, B (so every output holds half of each); side: each layer is A for
/// fractional x < ½ and B beyond (both under the probe, side by side, at every depth).
CaseResult mixed_case(const std::string& label, bool side_by_side, const Structure& a, const Structure& b,
                      const Settings& st) {
  const double L = cube_edge(a);
  auto col = [&](size_t k) {
    std::vector<std::vector<Part>> layers;
    for (size_t l = 0; l < st.output_layers.back(); ++l) {
      if (side_by_side)
        layers.push_back({Part{&a, 50 + l + 100 * k, 0.0, 0.5}, Part{&b, 80 + l + 100 * k, 0.5, 1.0}});
      else
        layers.push_back({Part{(l % 2 == 0) ? &a : &b, 50 + l + 100 * k}});
    }
    return build_column(layers, st.tiles, L);
  };
  Structure both = a;
  both.atoms.insert(both.atoms.end(), b.atoms.begin(), b.atoms.end());
  // Side by side: the fast model gets the same periodic cell as multislice — agZIF-62 for 0 < x < L/2,
  // phosphate for L/2 < x < L (two interfaces per period, at x = 0 and L/2), the probe at the origin; the
  // samples on the interfaces (x = 0, L/2) half of each.
  std::function<ColumnMap(double)> map_of;
  if (side_by_side)
    map_of = [L](double t) {
      ColumnMap m;
      m.n = 100;
      m.pixel_A = L / static_cast<double>(m.n);
      m.t.assign(2, std::vector<double>(m.n * m.n, 0.0));
      for (size_t i = 0; i < m.n; ++i)
        for (size_t j = 0; j < m.n; ++j) {
          const double fa = (j == 0 || j == m.n / 2) ? 0.5 : (j < m.n / 2 ? 1.0 : 0.0);
          m.t[0][i * m.n + j] = fa * t;
          m.t[1][i * m.n + j] = (1 - fa) * t;
        }
      return m;
    };
  return compare(label, col, st.realisations, {material("agZIF62", a), material("phosphate_scaled", b)},
                 [](double t) { return std::vector<double>{0.5 * t, 0.5 * t}; }, Composition::of(both), st, L, map_of);
}

/// Relative non-linearity of mixing per band: I_mix / ½(I_A + I_B) − 1.
std::vector<double> mixing_excess(const std::vector<double>& mix, const std::vector<double>& a,
                                  const std::vector<double>& b) {
  std::vector<double> e;
  for (size_t k = 0; k < mix.size(); ++k) e.push_back(mix[k] / (0.5 * (a[k] + b[k])) - 1);
  return e;
}

// Suite-size results (one computation for all tests of this file).
struct Suite {
  CaseResult zif, phos, stacked, side;
  Structure phos_scaled;
  Suite() {
    Settings st;  // 1 × 1 tile, pixel 0.125 Å, 2 phonon configurations, α = 0.6 mrad; 10 and 30 nm
    st.output_layers = {2, 6};
    phos_scaled = scaled(phosphate_model(), cube_edge(zif_model()));
    zif = pure_case("agZIF62", zif_model(), st);
    phos = pure_case("phosphate (scaled to 49.47 Å)", phos_scaled, st);
    stacked = mixed_case("stacked", false, zif_model(), phos_scaled, st);
    side = mixed_case("side by side", true, zif_model(), phos_scaled, st);
    for (const CaseResult* r : {&zif, &phos, &stacked, &side}) print(*r);
  }
};
const Suite& suite() {
  static const Suite s;
  return s;
}

/// The acceptance tolerances of issue 5. `from_band`: first band of kBands checked; check_disc: the
/// unscattered disc (all cases check everything since the mean-inner-potential path, see MixedColumns).
void expect_agreement(const CaseResult& r, size_t from_band = 0, bool check_disc = true) {
  // φ of ONE multislice probe position carries its speckle (measured contrast 0.7–1 per pixel, ~100 grains
  // per 0.02 Å⁻¹ ring): single-realisation Pearson values are 0.63–0.88 (suite). The 0.98 of the acceptance
  // is for area averages: DISABLED_FullSizeComparison averages independent columns (docs).
  const double min_pearson = 0.6;
  for (const Comparison& c : r.cmp) {
    const std::string where = c.label + " at " + std::to_string(c.t_A / 10) + " nm";
    // 5 % beyond the speckle noise of the one multislice realisation (2σ, σ from the sector split).
    for (size_t b = from_band; b < c.band_ratio.size(); ++b)
      EXPECT_NEAR(c.band_ratio[b], 1.0, 0.05 + 2 * c.band_noise) << where << ", band from " << kBands[b] << " Å⁻¹";
    EXPECT_GT(c.pearson_phi, min_pearson) << where;
    EXPECT_LT(c.max_contrast_dev, 0.20) << where;
    if (check_disc) {
      EXPECT_NEAR(c.disc_ms / c.disc_fast, 1.0, 0.05) << where;
    }
  }
}

/// Mean inner potential (V) of a model: V₀ = (h²/2πm₀e)·ρ·⟨f_e(0)⟩ (Kirkland 2010 eq. 5.9 for C = h²/2πm₀e
/// = 47.878 V·Å²; ρ in atoms/Å³, f_e(0) Lobato–Van Dyck in Å).
double mean_inner_potential(const Structure& s) {
  const auto sf = make_scattering_factors(Radiation::Electron);
  return 47.878 * s.number_density() * composition_averages(*sf, Composition::of(s), 0.0).f_mean;
}

}  // namespace

// One test for the whole suite-size comparison (one multislice column per case; a single test so that ctest,
// which runs each test in its own process, computes it once):
// - pure agZIF-62: the 49.47 Å default model, one lateral cell, 6 independent layers; 10 and 30 nm;
// - pure phosphate: the default model scaled to the agZIF-62 edge (50.79 → 49.47 Å, 2.6 → 2.81 g/cm³) so that the
//   same scaled model serves the mixed columns; both models see the same scaled structure;
// - mixed columns: stacked (alternating ≈ 5 nm layers, half of each phase at every output) and side by side
//   (left/right halves of the cell under the 51 Å probe); agreement as for pure phases, and the non-linearity of
//   mixing — I_mix / ½(I_A + I_B) − 1 per band and for the unscattered disc — agrees between the models.
TEST(FastVsMultislice, SlabsAndMixedColumns) {
  expect_agreement(suite().zif);
  expect_agreement(suite().phos);
  const Suite& s = suite();
  expect_agreement(s.stacked);
  // Side by side: an edge-on interface under the probe is a phase step σ ΔV₀ t of the beam (the mean inner
  // potentials differ), which diffracts the direct beam to s ≲ 0.2 Å⁻¹ with a tail to ~0.7 Å⁻¹; the fast model
  // gets the cell's thickness map (ColumnMap, the mean-inner-potential path) and is checked everywhere,
  // disc included (docs/forward_models.md, "Validation against multislice").
  expect_agreement(s.side);
  const double v_a = mean_inner_potential(zif_model()), v_b = mean_inner_potential(s.phos_scaled);
  std::printf("mean inner potentials: agZIF62 %.2f V, phosphate (scaled) %.2f V; phase step per 10 nm %.2f rad\n",
              v_a, v_b, interaction_constant(200e3) * std::fabs(v_a - v_b) * 100);
  for (const CaseResult* mix : {&s.stacked, &s.side})
    for (size_t o = 0; o < mix->cmp.size(); ++o) {
      const Comparison& m = mix->cmp[o];
      const auto e_ms = mixing_excess(m.ms_bands, s.zif.cmp[o].ms_bands, s.phos.cmp[o].ms_bands);
      const auto e_fast = mixing_excess(m.fast_bands, s.zif.cmp[o].fast_bands, s.phos.cmp[o].fast_bands);
      const double d_ms = m.disc_ms / (0.5 * (s.zif.cmp[o].disc_ms + s.phos.cmp[o].disc_ms)) - 1;
      const double d_fast = m.disc_fast / (0.5 * (s.zif.cmp[o].disc_fast + s.phos.cmp[o].disc_fast)) - 1;
      std::printf("[%s t = %.1f nm] disc non-linearity ms %.4f fast %.4f; band excess ms/fast:", m.label.c_str(),
                  m.t_A / 10, d_ms, d_fast);
      for (size_t k = 0; k < e_ms.size(); ++k) std::printf(" %.3f/%.3f", e_ms[k], e_fast[k]);
      std::printf("\n");
      // Side by side, the single multislice columns are noisy (band noise σ = 2.6–3.4 %, three references:
      // side and both pure columns) and the two bands below 0.7 Å⁻¹ also carry the refraction at the
      // interfaces (excess up to 9 %): the tolerance is 5 % + 2σ, σ the side column's band noise, as for the
      // bands themselves (measured at 30 nm: 0.45–0.7 Å⁻¹ multislice +6.0 %, fast +0.7 %, σ = 2.6 %; at 10 nm
      // 0.9–1.1 Å⁻¹ +4.9 % and −0.3 % with the domain envelope, σ = 3.4 %). Averaged over 40 columns the
      // side-by-side bands agree within 1.1–1.8 % at 10–60 nm (docs/forward_models.md).
      const bool side = mix == &s.side;
      for (size_t k = 0; k < e_ms.size(); ++k) {
        const double tol = side ? 0.05 + 2 * m.band_noise : 0.05;
        EXPECT_NEAR(e_ms[k], e_fast[k], tol) << m.label << " band " << k;
      }
      EXPECT_NEAR(d_ms, d_fast, 0.01) << m.label;
    }
}

// Full size (run once, by hand: test_reduce --gtest_also_run_disabled_tests
// --gtest_filter='*FullSize*'; ≈ 10 min on 2 shared cores): the default models at 10, 30 and 60 nm,
// the pure phosphate unscaled, the multislice pattern averaged over 6 (pure) or 3 (mixed) independent
// columns — an area average, as 003 averages regions. Prints the tables of docs/forward_models.md,
// "Validation against multislice".
// Side by side only, at full size (K = 3, 10/30/60 nm; by hand, ≈ 2–3 min): the mean-inner-potential path with
// and without the thick-object refinement (printed per thickness).
TEST(FastVsMultislice, DISABLED_SideBySideThreeColumns) {
  Settings st;
  st.realisations = 3;
  const Structure ps = scaled(phosphate_model(), cube_edge(zif_model()));
  print(mixed_case("side by side", true, zif_model(), ps, st));
}

TEST(FastVsMultislice, DISABLED_FullSizeComparison) {
  Settings st;  // 1 × 1 tile, pixel 0.125 Å, 2 configurations; 10, 30, 60 nm; 6 independent columns averaged
  st.realisations = 6;
  const Structure ps = scaled(phosphate_model(), cube_edge(zif_model()));
  print(pure_case("agZIF62", zif_model(), st));
  print(pure_case("phosphate", phosphate_model(), st));
  st.realisations = 3;
  print(mixed_case("stacked", false, zif_model(), ps, st));
  print(mixed_case("side by side", true, zif_model(), ps, st));
}

// Diagnostic for the φ Pearson shortfall (run by hand like the full-size test; docs/forward_models.md): is
// the residual difference between the column-averaged multislice φ and the fast model's φ the reference's
// structure noise? Every column is built from the same cube under cube rotations, which map its reciprocal
// lattice onto itself, so the ring averages of |F(g)|² of the cube are common to all columns. Kinematic
// "lattice" pattern: I(g) = |Σ_j f_j(g) e^{−2π²U g²} e^{2πi g·r_j}|² + Σ_j f_j²(1 − e^{−4π²U g²}) on the
// reciprocal-lattice points g = (h, k)/L of the planes ⊥ x, y, z (the projections the rotated layers present),
// averaged over the three, at the detector pixels (Δs = dk). Prints Pearson of φ for multislice (10 nm,
// K columns averaged) against the fast model and against this lattice pattern.
TEST(FastVsMultislice, DISABLED_ReferenceStructureNoise) {
  const Structure& model = zif_model();
  const double L = cube_edge(model);
  Settings st;
  st.output_layers = {2};
  const size_t K = 6;
  ProbeSpec pr;
  MultisliceParams mp;
  mp.pixel_A = st.pixel_A;
  mp.s_max = 1.0 / (3.0 * st.pixel_A) - 1e-6;
  mp.thicknesses_A = {2 * L - 1e-6};
  mp.phonons.configurations = st.configurations;
  mp.phonons.u_A2_by_z.clear();
  mp.phonons.default_u_A2 = st.u_A2;
  mp.cache_limit_MB = 0;
  SimPattern avg;
  double band_limit = 0, dk = 0;
  for (size_t k = 0; k < K; ++k) {
    std::vector<std::vector<Part>> layers;
    for (size_t l = 0; l < 2; ++l) layers.push_back({Part{&model, 11 + l + 100 * k}});
    const PeriodicMultislice ms(build_column(layers, 1, L), pr, mp);
    const SimPattern p = ms.run(0, 0)[0];
    if (k == 0) {
      avg = p;
    } else {
      for (size_t i = 0; i < p.intensity.size(); ++i) avg.intensity[i] += p.intensity[i];
    }
    band_limit = ms.grid().band_limit();
    dk = ms.grid().dk();
  }
  const size_t n_det = 2 * static_cast<size_t>(std::floor(std::min(2.8, band_limit) / dk)) + 1;
  const Detector det(n_det, dk);
  std::vector<double> f_ms, f_fast;
  det.model.resample(avg, f_ms);
  FastModelParams fp;
  fp.thermal_u_A2 = st.u_A2;
  fp.inelastic.plasmon = false;
  fp.inelastic.incoherent = false;
  fp.s_max = band_limit;
  const FastModel fm({material("agZIF62", model)}, fp, det.model);
  fm.mean_pattern({2 * L}, f_fast);

  // Lattice pattern.
  const auto sf = make_scattering_factors(Radiation::Electron);
  const long H = static_cast<long>(n_det / 2);
  const size_t nh = 2 * static_cast<size_t>(H) + 1;
  std::vector<Element> elems;
  std::vector<double> counts;
  for (const CompositionEntry& ce : model.composition()) {
    elems.push_back(ce.element);
    counts.push_back(ce.count);
  }
  std::vector<double> f_lat(n_det * n_det, 0.0);
  for (int axis = 0; axis < 3; ++axis) {
    const int ax = (axis + 1) % 3, ay = (axis + 2) % 3;
    std::vector<Eigen::MatrixXcd> A;  // per element: Σ_j e^{2πi h u_j} e^{2πi k v_j}
    for (const Element& e : elems) {
      std::vector<size_t> idx;
      for (size_t j = 0; j < model.atoms.size(); ++j)
        if (model.atoms[j].element == e) idx.push_back(j);
      Eigen::MatrixXcd X(static_cast<Eigen::Index>(nh), static_cast<Eigen::Index>(idx.size())), Y = X;
      for (size_t q = 0; q < idx.size(); ++q) {
        const Fractional fr = model.cell.fractionalize(model.atoms[idx[q]].pos);
        const double u[3] = {fr.x, fr.y, fr.z};
        for (long h = -H; h <= H; ++h) {
          X(h + H, static_cast<Eigen::Index>(q)) = std::polar(1.0, 2 * kPi * static_cast<double>(h) * u[ax]);
          Y(h + H, static_cast<Eigen::Index>(q)) = std::polar(1.0, 2 * kPi * static_cast<double>(h) * u[ay]);
        }
      }
      A.push_back(Y * X.transpose());  // (k, h)
    }
    for (long kk = -H; kk <= H; ++kk)
      for (long h = -H; h <= H; ++h) {
        const double g = std::hypot(static_cast<double>(h), static_cast<double>(kk)) * dk;
        const double dw = std::exp(-4 * kPi * kPi * st.u_A2 * g * g);
        std::complex<double> F = 0;
        double self = 0;
        for (size_t e = 0; e < elems.size(); ++e) {
          const double fe = sf->f(elems[e], g);
          F += fe * A[e](kk + H, h + H);
          self += fe * fe * counts[e];
        }
        f_lat[static_cast<size_t>(kk + H) * n_det + static_cast<size_t>(h + H)] += std::norm(F) * dw + self * (1 - dw);
      }
  }
  // The probe's aperture holds the 5 beams (0, 0), (±1, 0), (0, ±1) (s_α = 0.024 Å⁻¹ > dk = 0.020): averaged
  // over random column shifts the pattern is the 5-point average of the lattice intensities.
  {
    std::vector<double> sm(f_lat.size(), 0.0);
    const long N = static_cast<long>(n_det);
    for (long y = 1; y + 1 < N; ++y)
      for (long x = 1; x + 1 < N; ++x) {
        const size_t i = static_cast<size_t>(y * N + x);
        sm[i] = (f_lat[i] + f_lat[i - 1] + f_lat[i + 1] + f_lat[i - n_det] + f_lat[i + n_det]) / 5;
      }
    f_lat = sm;
  }
  const Composition comp = Composition::of(model);
  const ChainOut a = chain_phi(det, f_ms, comp), b = chain_phi(det, f_fast, comp), c = chain_phi(det, f_lat, comp);
  // Low s only (s < 1 Å⁻¹: the Ewald sphere stays within ~1/t of the kz = 0 plane at 10 nm).
  const size_t n_low = static_cast<size_t>((1.0 - 0.2) / dk);
  auto head = [&](const std::vector<double>& v) { return std::vector<double>(v.begin(), v.begin() + static_cast<long>(n_low)); };
  std::printf("s < 1: Pearson phi (undamped) ms-fast %.4f, ms-lattice %.4f, lattice-fast %.4f\n",
              pearson(head(a.corrected), head(b.corrected)), pearson(head(a.corrected), head(c.corrected)),
              pearson(head(c.corrected), head(b.corrected)));
  std::printf("agZIF62 10 nm, multislice averaged over %zu columns: Pearson phi (damped) ms-fast %.4f, ms-lattice %.4f, "
              "lattice-fast %.4f; undamped %.4f %.4f %.4f\n",
              K, pearson(a.damped, b.damped), pearson(a.damped, c.damped), pearson(c.damped, b.damped),
              pearson(a.corrected, b.corrected), pearson(a.corrected, c.corrected), pearson(c.corrected, b.corrected));
}

// Experiment on the φ Pearson shortfall (run by hand like the full-size test; docs/forward_models.md,
// "Validation against multislice", experiment "independent models"): are the residual differences the
// structure noise of the ONE cube every column is built from? Here the layers of the multislice columns are
// drawn from several independently built models of each phase (the project's builders, other seeds), so that
// their finite-size structure noise averages over models as well as over columns; the fast model gets every
// model as a material with an equal share of the thickness (its speckle-free mean pattern then uses the mean
// S(s) of the models). Without the environment variables the test does nothing. Every comparison also prints
// the split-half reliability of the K-column reference (even vs odd columns; docs/forward_models.md, "how much
// of the mixed-column shortfall is the reference's own noise") and the Pearson over 0.2–0.8 and 0.8–2.5 Å⁻¹.
// - SEDPDF_PHI_MODELS_ZIF, SEDPDF_PHI_MODELS_PHOS: ':'-separated model files of one phase each (cubic cells;
//   every model is scaled isotropically to the edge of the first, so all layers share one lateral period);
// - SEDPDF_PHI_COLUMNS: independent columns averaged (default 6);
// - SEDPDF_PHI_LAYERS: ','-separated output depths in layers (default "2,6": ≈ 10 and 30 nm);
// - SEDPDF_PHI_MIXED: "stacked", "side" or "stacked,side" — also the mixed columns, from both model lists;
// - SEDPDF_PHI_PURE=0: skip the pure cases.
// Layer l of column k is model (l + k) mod M under the rotation/shift key of pure_case (11 + l + 100k), so with
// one model this is exactly the K-column pure case of DISABLED_FullSizeComparison (the control).
TEST(FastVsMultislice, DISABLED_IndependentModels) {
  auto split = [](const char* text, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (const char* p = text; *p != '\0'; ++p) {
      if (*p == sep) {
        if (!cur.empty()) out.push_back(cur);
        cur.clear();
      } else {
        cur += *p;
      }
    }
    if (!cur.empty()) out.push_back(cur);
    return out;
  };
  Settings st;
  st.realisations = 6;
  st.output_layers = {2, 6};
  if (const char* k = std::getenv("SEDPDF_PHI_COLUMNS")) st.realisations = static_cast<size_t>(std::stoul(k));
  if (const char* layers = std::getenv("SEDPDF_PHI_LAYERS")) {
    st.output_layers.clear();
    for (const std::string& v : split(layers, ',')) st.output_layers.push_back(static_cast<size_t>(std::stoul(v)));
  }
  const char* pure = std::getenv("SEDPDF_PHI_PURE");
  for (const char* var : {"SEDPDF_PHI_MODELS_ZIF", "SEDPDF_PHI_MODELS_PHOS"}) {
    const char* list = std::getenv(var);
    if (list == nullptr || (pure != nullptr && std::string(pure) == "0")) continue;
    std::vector<Structure> models;
    for (const std::string& path : split(list, ':')) models.push_back(read_structure(path));
    ASSERT_FALSE(models.empty()) << var;
    const double L = cube_edge(models[0]);
    Structure all;
    std::vector<FastMaterial> mats;
    for (size_t m = 0; m < models.size(); ++m) {
      std::printf("%s model %zu: %zu atoms, edge %.3f Å (scaled to %.3f Å)\n", var, m, models[m].atoms.size(),
                  cube_edge(models[m]), L);
      models[m] = scaled(models[m], L);
      all.atoms.insert(all.atoms.end(), models[m].atoms.begin(), models[m].atoms.end());
      mats.push_back(material("model" + std::to_string(m), models[m]));
    }
    const size_t M = models.size();
    auto col = [&](size_t k) {
      std::vector<std::vector<Part>> layers;
      for (size_t l = 0; l < st.output_layers.back(); ++l) layers.push_back({Part{&models[(l + k) % M], 11 + l + 100 * k}});
      return build_column(layers, st.tiles, L);
    };
    const std::string label = std::string(var).substr(18) + " x" + std::to_string(M) + " models";
    print(compare(label, col, st.realisations, mats,
                  [M](double t) { return std::vector<double>(M, t / static_cast<double>(M)); }, Composition::of(all), st,
                  L));
  }
  // Mixed columns from independent models (SEDPDF_PHI_MIXED = "stacked", "side" or "stacked,side"; needs both model
  // lists): as mixed_case, with layer l of column k drawn from model (l + k) mod M of its phase, every phosphate
  // model scaled to the first agZIF-62 model's edge; the fast model gets every model as a material, half the
  // thickness shared equally among each phase's models (side by side: the same split on the cell's map).
  const char* mixed = std::getenv("SEDPDF_PHI_MIXED");
  const char* zl = std::getenv("SEDPDF_PHI_MODELS_ZIF");
  const char* pl = std::getenv("SEDPDF_PHI_MODELS_PHOS");
  if (mixed == nullptr || zl == nullptr || pl == nullptr) return;
  std::vector<Structure> za, pb;
  for (const std::string& path : split(zl, ':')) za.push_back(read_structure(path));
  for (const std::string& path : split(pl, ':')) pb.push_back(read_structure(path));
  const double L = cube_edge(za[0]);
  for (Structure& m : za) m = scaled(m, L);
  for (Structure& m : pb) m = scaled(m, L);
  const size_t MA = za.size(), MB = pb.size();
  std::vector<FastMaterial> mats;
  Structure all;
  for (size_t m = 0; m < MA; ++m) mats.push_back(material("agZIF62_" + std::to_string(m), za[m]));
  for (size_t m = 0; m < MB; ++m) mats.push_back(material("phosphate_" + std::to_string(m), pb[m]));
  // Composition: every model's atoms once — half the volume each when both lists are equally long (the
  // models of one phase have the same atom count, the two phases nearly so: 9990 and 10001).
  for (const Structure& m : za) all.atoms.insert(all.atoms.end(), m.atoms.begin(), m.atoms.end());
  for (const Structure& m : pb) all.atoms.insert(all.atoms.end(), m.atoms.begin(), m.atoms.end());
  auto shares = [MA, MB](double fa, double t) {
    std::vector<double> v;
    for (size_t m = 0; m < MA; ++m) v.push_back(fa * t / static_cast<double>(MA));
    for (size_t m = 0; m < MB; ++m) v.push_back((1 - fa) * t / static_cast<double>(MB));
    return v;
  };
  for (const std::string& kind : split(mixed, ',')) {
    ASSERT_TRUE(kind == "stacked" || kind == "side") << "SEDPDF_PHI_MIXED: " << kind;
    const bool side = kind == "side";
    auto col = [&](size_t k) {
      std::vector<std::vector<Part>> layers;
      for (size_t l = 0; l < st.output_layers.back(); ++l) {
        const Structure* a = &za[(l + k) % MA];
        const Structure* b = &pb[(l + k) % MB];
        if (side)
          layers.push_back({Part{a, 50 + l + 100 * k, 0.0, 0.5}, Part{b, 80 + l + 100 * k, 0.5, 1.0}});
        else
          layers.push_back({Part{(l % 2 == 0) ? a : b, 50 + l + 100 * k}});
      }
      return build_column(layers, st.tiles, L);
    };
    std::function<ColumnMap(double)> map_of;
    if (side)
      map_of = [L, &shares](double t) {
        ColumnMap m;
        m.n = 100;
        m.pixel_A = L / static_cast<double>(m.n);
        m.t.assign(shares(0.5, 1.0).size(), std::vector<double>(m.n * m.n, 0.0));
        for (size_t i = 0; i < m.n; ++i)
          for (size_t j = 0; j < m.n; ++j) {
            const double fa = (j == 0 || j == m.n / 2) ? 0.5 : (j < m.n / 2 ? 1.0 : 0.0);
            const std::vector<double> v = shares(fa, t);
            for (size_t q = 0; q < v.size(); ++q) m.t[q][i * m.n + j] = v[q];
          }
        return m;
      };
    const std::string label = kind + " x" + std::to_string(MA) + "+" + std::to_string(MB) + " models";
    print(compare(label, col, st.realisations, mats, [&shares](double t) { return shares(0.5, t); },
                  Composition::of(all), st, L, map_of));
  }
}
