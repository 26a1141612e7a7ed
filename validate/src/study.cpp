// One scenario end to end (see study.hpp and docs/study.md).
#include "sedpdf/validate/study.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iomanip>
#include <limits>
#include <map>
#include <memory>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sedpdf/reduce/pipeline.hpp"
#include "sedpdf/simulate/data4d_format.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/multislice_source.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/specimen_truth.hpp"
#include "sedpdf/validate/maps.hpp"
#include "sedpdf/validate/observations.hpp"
#include "sedpdf/validate/report.hpp"
#include "sedpdf/validate/report_sections.hpp"
#include "study_parts.hpp"

namespace sedpdf {

namespace {

using namespace study_detail;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

double seconds_since(Clock::time_point t) { return std::chrono::duration<double>(Clock::now() - t).count(); }



/// Inelastic material of a model (composition and densities from the model, plasmon settings from config).
InelasticMaterial inelastic_material(const std::string& name, const Structure& model, double default_ep,
                                     const StudyConfig& c) {
  InelasticMaterial m;
  m.name = name;
  m.plasmon_energy_eV = default_ep;
  for (const StudyPhaseInelastic& pi : c.phase_inelastic)
    if (pi.name == name) {
      if (pi.plasmon_energy_eV > 0) m.plasmon_energy_eV = pi.plasmon_energy_eV;
      m.plasmon_mfp_A = pi.plasmon_mfp_A;
    }
  m.mass_density_g_cm3 = model.mass_density_g_cm3();
  m.number_density = model.number_density();
  for (const CompositionEntry& e : model.composition()) m.composition.push_back({e.element, e.fraction});
  return m;
}

/// Per-position ground truth on the scan.
GroundTruth scan_truth(const Specimen& sp, const ScanSpec& scan, double fwhm) {
  return compute_ground_truth(sp, scan_grid(scan), fwhm);
}

/// Everything about the binned grid the reduction used.
struct BinnedGrid {
  std::size_t nx = 0, ny = 0, bin = 1;
  double step = 0;                    // Å
  std::vector<double> cx, cy;         // centre of each binned pixel (Å), per column / row
  std::vector<std::vector<double>> thickness;  // per phase, ny × nx (Å), mean over the block
  std::vector<double> total;          // ny × nx (Å)
  std::vector<int> labels;            // ny × nx
};

BinnedGrid bin_truth(const GroundTruth& t, const ScanSpec& scan, std::size_t bin, double min_thickness) {
  BinnedGrid b;
  b.bin = bin;
  b.nx = (scan.nx + bin - 1) / bin;
  b.ny = (scan.ny + bin - 1) / bin;
  b.step = scan.step_A * static_cast<double>(bin);
  const std::size_t np = t.thickness.size();
  b.thickness.assign(np, std::vector<double>(b.nx * b.ny, 0.0));
  b.total.assign(b.nx * b.ny, 0.0);
  b.labels.assign(b.nx * b.ny, -1);
  for (std::size_t bx = 0; bx < b.nx; ++bx) {
    const std::size_t x0 = bx * bin, x1 = std::min(scan.nx, x0 + bin);
    b.cx.push_back(0.5 * (scan.x(x0) + scan.x(x1 - 1)));
  }
  for (std::size_t by = 0; by < b.ny; ++by) {
    const std::size_t y0 = by * bin, y1 = std::min(scan.ny, y0 + bin);
    b.cy.push_back(0.5 * (scan.y(y0) + scan.y(y1 - 1)));
  }
  for (std::size_t by = 0; by < b.ny; ++by)
    for (std::size_t bx = 0; bx < b.nx; ++bx) {
      const std::size_t o = by * b.nx + bx;
      std::size_t n = 0;
      for (std::size_t iy = by * bin; iy < std::min(scan.ny, by * bin + bin); ++iy)
        for (std::size_t ix = bx * bin; ix < std::min(scan.nx, bx * bin + bin); ++ix) {
          const std::size_t q = iy * scan.nx + ix;
          for (std::size_t p = 0; p < np; ++p) b.thickness[p][o] += t.thickness[p][q];
          b.total[o] += t.thickness_total[q];
          ++n;
        }
      const double inv = 1.0 / static_cast<double>(std::max<std::size_t>(n, 1));
      b.total[o] *= inv;
      int best = -1;
      double best_t = 0;
      for (std::size_t p = 0; p < np; ++p) {
        b.thickness[p][o] *= inv;
        if (b.thickness[p][o] > best_t) {
          best_t = b.thickness[p][o];
          best = static_cast<int>(p);
        }
      }
      b.labels[o] = b.total[o] >= min_thickness ? best : -1;
    }
  return b;
}

/// Exact distance (Å) of every binned pixel centre to the nearest interface between two phases, from the
/// specimen's column phases on a fine raster (10 Å or finer) and the exact distance transform.
std::vector<double> interface_distances(const Specimen& sp, const BinnedGrid& b) {
  const double field = std::max(sp.spec().field_x, sp.spec().field_y);
  const double step = std::max(10.0, field / 2000.0);
  const GroundTruth fm = field_maps(sp, step);
  LabelMap lm;
  lm.nx = fm.nx();
  lm.ny = fm.ny();
  lm.step = step;
  lm.labels.resize(fm.phase_map.size());
  for (std::size_t i = 0; i < fm.phase_map.size(); ++i) lm.labels[i] = static_cast<int>(fm.phase_map[i]);
  const std::vector<double> d = distance_to_interface(lm, false);
  std::vector<double> out(b.nx * b.ny, 1e300);
  for (std::size_t by = 0; by < b.ny; ++by)
    for (std::size_t bx = 0; bx < b.nx; ++bx) {
      // Pixel centres of field_maps are at (i + ½)·step.
      const auto ix = static_cast<std::size_t>(std::clamp(std::floor(b.cx[bx] / step), 0.0, static_cast<double>(lm.nx - 1)));
      const auto iy = static_cast<std::size_t>(std::clamp(std::floor(b.cy[by] / step), 0.0, static_cast<double>(lm.ny - 1)));
      const int here = lm.labels[iy * lm.nx + ix];
      // A column with no specimen (e.g. the particle edge) has distance 0 in the transform: use the
      // nearest specimen column's value instead (search a small neighbourhood).
      double v = d[iy * lm.nx + ix];
      if (here < 0) {
        v = 1e300;
        for (int r = 1; r <= 3 && v >= 1e299; ++r)
          for (int dy = -r; dy <= r; ++dy)
            for (int dx = -r; dx <= r; ++dx) {
              const long jx = static_cast<long>(ix) + dx, jy = static_cast<long>(iy) + dy;
              if (jx < 0 || jy < 0 || jx >= static_cast<long>(lm.nx) || jy >= static_cast<long>(lm.ny)) continue;
              const std::size_t q = static_cast<std::size_t>(jy) * lm.nx + static_cast<std::size_t>(jx);
              if (lm.labels[q] >= 0) v = std::min(v, d[q]);
            }
      }
      out[by * b.nx + bx] = v;
    }
  return out;
}

double mean_of(const std::vector<double>& v) {
  if (v.empty()) return kNaN;
  return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size());
}

double pearson_plain(const std::vector<double>& a, const std::vector<double>& b) {
  const std::size_t n = a.size();
  if (n < 3) return kNaN;
  const double ma = mean_of(a), mb = mean_of(b);
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return (saa > 0 && sbb > 0) ? sab / std::sqrt(saa * sbb) : kNaN;
}

struct RegionProfile {
  std::vector<double> r, G, G_sigma;
  std::vector<double> s, I, I_sigma;  ///< the summed profile the chain reduced, and its counting σ
  std::vector<double> phi, phi_sigma;  ///< its corrected φ(s) and the counting σ of φ (empty if not written)
  double plural_events = -1;           ///< the chain's plural deconvolution: events per electron (−1: off)
};

/// Amplitude of a measured φ(s) relative to the kinematic φ of `ref` over [s_lo, ref's s_max] (finite points
/// only); NaN when fewer than two points or a zero reference remain.
double phi_amplitude_vs_kinematic(const PhaseReference& ref, const std::vector<double>& s, const std::vector<double>& phi,
                                  double s_lo) {
  try {
    const Curve m = finite_part(Curve{s, phi, {}}, {s_lo, ref.electron.s_max});
    if (m.x.size() < 2 || ref.electron.scattering.s.size() < 2) return kNaN;
    return amplitude_ratio(m.x, m.y, interpolate_linear(ref.electron.scattering.s, ref.electron.scattering.phi, m.x));
  } catch (const std::invalid_argument&) {
    return kNaN;
  }
}

/// Area-averaged ePDF over a mask of scan positions (reduce_4d region mode).
RegionProfile reduce_region(const std::string& scan_file, const std::string& out_file, const std::vector<uint8_t>& mask,
                            const ReductionParams& chain) {
  ReduceOptions ro;
  ro.input.path = scan_file;
  ro.output = out_file;
  ro.bin = 1;
  ro.chain = chain;
  ro.region.enabled = true;
  ro.region.scan_mask = mask;
  reduce_4d(ro);
  H5Reader h(out_file);
  RegionProfile p;
  p.r = h.read("/region/r");
  p.G = h.read("/region/G");
  if (h.exists("/region/G_sigma")) p.G_sigma = h.read("/region/G_sigma");
  p.s = h.read("/region/s");
  p.I = h.read("/region/I");
  if (h.exists("/region/I_sigma")) p.I_sigma = h.read("/region/I_sigma");
  p.phi = h.read("/region/phi");
  if (h.exists("/region/phi_sigma")) p.phi_sigma = h.read("/region/phi_sigma");
  if (chain.plural_deconvolution) p.plural_events = h.attribute_double("/region", "plural_events");
  return p;
}

/// Error bars of the area average's peak positions (propagated_peak_sigmas through the region's own chain):
/// per peak of the area average in `pc` (epdf_sigma), per reference peak of `pc` (the σ of the area average's
/// peak matched to it; NaN where unmatched) and of the first shell. Returns a note instead when the profile
/// has no variance or the chain does not reproduce the region's G(r).
std::string peak_position_sigmas(const RegionProfile& rp, const ReductionParams& rc, const PeakComparison& pc,
                                 double first_shell_position, std::vector<double>& sigma, std::vector<double>& epdf_sigma,
                                 double& first_shell_sigma) {
  sigma.assign(pc.reference_peaks.size(), std::numeric_limits<double>::quiet_NaN());
  epdf_sigma.assign(pc.peaks.size(), std::numeric_limits<double>::quiet_NaN());
  first_shell_sigma = std::numeric_limits<double>::quiet_NaN();
  if (rp.I_sigma.size() != rp.I.size()) return "no counting variance in the region file";
  std::vector<double> var(rp.I.size());
  for (std::size_t i = 0; i < var.size(); ++i) var[i] = rp.I_sigma[i] * rp.I_sigma[i];
  {
    const std::vector<double> G = ChainPlan(rp.s, rc).reduce(rp.I, &var).G;
    double gmax = 0, dmax = 0;
    for (std::size_t k = 0; k < G.size() && k < rp.G.size(); ++k) {
      gmax = std::max(gmax, std::fabs(rp.G[k]));
      dmax = std::max(dmax, std::fabs(G[k] - rp.G[k]));
    }
    if (G.size() != rp.G.size() || !(dmax <= 1e-9 * gmax + 1e-12))
      return "the chain does not reproduce the region's G(r) (largest difference " + fmt(dmax, 3) + " Å⁻²)";
  }
  // The derivatives need G only near the peaks and no σ(G): the same chain on a shorter r range of the same
  // r lattice, without the variance propagation (the variance still weights the fit), and only the bins the
  // chain reads (up to the fit window's and the transform's end) are perturbed.
  ReductionParams fast = rc;
  fast.propagate_variance = false;
  fast.r_min = rc.r_min + std::floor((0.8 - rc.r_min) / rc.dr) * rc.dr;
  fast.r_max = std::min(rc.r_max, rc.r_min + std::ceil((8.4 - rc.r_min) / rc.dr) * rc.dr);
  const ChainPlan plan(rp.s, fast);
  auto reduce = [&](const std::vector<double>& I) { return plan.reduce(I, &var).G; };
  const std::vector<double> r_fast = plan.reduce(rp.I, &var).r;
  std::vector<double> var_used = var;
  const double ds = rp.s.size() > 1 ? rp.s[1] - rp.s[0] : 0.0;
  for (std::size_t i = 0; i < var_used.size(); ++i)
    if (rp.s[i] > std::max(rc.fit_s_hi, rc.s_max) + 2 * ds) var_used[i] = 0;
  std::vector<double> pos{first_shell_position};
  for (const PeakInfo& q : pc.peaks) pos.push_back(q.position);
  try {
    const std::vector<double> sg = propagated_peak_sigmas(reduce, r_fast, rp.I, var_used, pos);
    first_shell_sigma = sg[0];
    for (std::size_t j = 0; j < pc.peaks.size(); ++j) epdf_sigma[j] = sg[j + 1];
  } catch (const std::invalid_argument& e) {
    return e.what();
  }
  // A matched reference peak's offset is to one of pc.peaks exactly (compare_peak_positions).
  for (std::size_t i = 0; i < pc.reference_peaks.size(); ++i) {
    if (!std::isfinite(pc.offsets[i])) continue;
    const double at = pc.reference_peaks[i].position + pc.offsets[i];
    for (std::size_t j = 0; j < pc.peaks.size(); ++j)
      if (std::fabs(pc.peaks[j].position - at) <= 1e-9) sigma[i] = epdf_sigma[j];
  }
  return "";
}

/// Groups of the delete-one-group jackknife of the area averages' peak positions (peak_position_jackknife).
constexpr std::size_t kJackknifeGroups = 8;

/// Jackknife error bars of an area average (jackknife_sigma, peaks.hpp).
struct RegionJackknife {
  std::vector<double> peak_sigma;  ///< per peak of the comparison's curve (Å; NaN where a peak is lost)
  double first_shell_sigma = kNaN; ///< Å
  std::vector<double> G_sigma;     ///< per r of the region's G(r) (Å⁻²)
  std::string note;                ///< why nothing was computed (empty when computed)
};

/// The positions `pos` split into kJackknifeGroups interleaved groups (every K-th in raster order, so each
/// group spans the whole area and its thickness range), each group's summed profile reduced once
/// (reduce_region into `scratch`); leaving group g out is the total minus it, reduced by the region's own
/// chain; every peak of pc.peaks and the first shell re-located within ±0.15 Å, and G(r) kept. Unlike the
/// counting σ it holds every position-to-position variation of the measurement: counting noise, the speckle
/// of each position's finite illuminated volume, the thickness mix. A note instead when there are fewer than
/// 2 positions per group.
RegionJackknife region_jackknife(const std::string& scan_file, const fs::path& scratch, const std::vector<std::size_t>& pos,
                                 std::size_t n_scan, const ReductionParams& rc, const RegionProfile& rp, const PeakComparison& pc,
                                 double first_shell_position) {
  RegionJackknife out;
  out.peak_sigma.assign(pc.peaks.size(), kNaN);
  const std::size_t k = kJackknifeGroups;
  if (pos.size() < 2 * k) {
    out.note = std::to_string(pos.size()) + " positions: fewer than 2 per jackknife group (" + std::to_string(k) + " groups)";
    return out;
  }
  std::vector<double> at{first_shell_position};
  for (const PeakInfo& q : pc.peaks) at.push_back(q.position);
  std::vector<std::vector<double>> loo(at.size());  // per peak: the K leave-one-out positions
  std::vector<std::vector<double>> loo_G;            // per group: the leave-one-out G(r)
  const ChainPlan plan(rp.s, rc);
  const bool with_var = rp.I_sigma.size() == rp.I.size();
  for (std::size_t g = 0; g < k; ++g) {
    std::vector<uint8_t> mask(n_scan, 0);
    for (std::size_t j = g; j < pos.size(); j += k) mask[pos[j]] = 1;
    const RegionProfile part = reduce_region(scan_file, scratch.string(), mask, rc);
    if (part.I.size() != rp.I.size()) {
      out.note = "a jackknife group's profile has " + std::to_string(part.I.size()) + " bins, not " + std::to_string(rp.I.size());
      return out;
    }
    std::vector<double> I(rp.I.size()), var;
    for (std::size_t i = 0; i < I.size(); ++i) I[i] = rp.I[i] - part.I[i];
    if (with_var && part.I_sigma.size() == part.I.size()) {
      var.resize(I.size());
      for (std::size_t i = 0; i < I.size(); ++i)
        var[i] = std::max(0.0, rp.I_sigma[i] * rp.I_sigma[i] - part.I_sigma[i] * part.I_sigma[i]);
    }
    ReducedProfile red = plan.reduce(I, var.empty() ? nullptr : &var);
    for (std::size_t q = 0; q < at.size(); ++q) {
      try {
        loo[q].push_back(nearest_peak(red.r, red.G, at[q], {at[q] - 0.15, at[q] + 0.15}).position);
      } catch (const std::invalid_argument&) {
        loo[q].push_back(kNaN);
      }
    }
    loo_G.push_back(std::move(red.G));
  }
  std::error_code ec;
  fs::remove(scratch, ec);
  out.first_shell_sigma = jackknife_sigma(loo[0]);
  for (std::size_t j = 0; j < pc.peaks.size(); ++j) out.peak_sigma[j] = jackknife_sigma(loo[j + 1]);
  if (loo_G.front().size() == rp.G.size()) {
    out.G_sigma.resize(rp.G.size());
    std::vector<double> v(k);
    for (std::size_t i = 0; i < rp.G.size(); ++i) {
      for (std::size_t g = 0; g < k; ++g) v[g] = loo_G[g][i];
      out.G_sigma[i] = jackknife_sigma(v);
    }
  }
  return out;
}

/// The interface width seen in the maps of a half-space specimen (DatasetStudy::interface_widths and the σ
/// expected through the probe footprint and the binned pixel); nothing for other geometries.
void study_interface_widths(const StudyConfig& cfg, const Specimen& sp, const BinnedGrid& bg,
                            const std::vector<std::size_t>& pixels, const std::vector<unsigned char>& decomposed,
                            DatasetStudy& ds) {
  if (cfg.specimen.geometry.kind != PhaseGeometry::Kind::HalfSpaces) return;
  const PhaseGeometry& g = cfg.specimen.geometry;
  const double phi = g.normal_angle_deg * kPi / 180, cb = std::cos(g.inclination_deg * kPi / 180);
  const double max_d = 8 * cfg.probe_diameter_A;  // ± 40 nm at the 003 probe: 3–4 binned pixels per side
  const double sp_probe = cfg.truth_probe_fwhm_A / 2.3548, px = bg.step, sg = g.width / std::sqrt(2 * kPi);
  ds.interface_sigma_expected_A = std::sqrt(sp_probe * sp_probe + px * px / 12 + sg * sg);
  ds.interface_true_width_10_90_A = 1.0226 * g.width;
  const std::size_t npx = bg.nx * bg.ny;
  std::vector<double> dist(npx, std::numeric_limits<double>::quiet_NaN());
  for (std::size_t pix : pixels) {
    const double x = bg.cx[pix % bg.nx], y = bg.cy[pix / bg.nx];
    bool near_inclusion = false;
    for (const Inclusion& inc : g.inclusions)
      near_inclusion = near_inclusion || std::hypot(x - inc.x, y - inc.y) < inc.radius + max_d;
    const double d = (std::cos(phi) * (x - g.x) + std::sin(phi) * (y - g.y)) / cb;
    if (!near_inclusion && std::fabs(d) <= max_d) dist[pix] = d;
  }
  auto fit_map = [&](const std::string& name, int phase, const std::vector<double>& map) {
    InterfaceWidth iw;
    iw.map = name;
    iw.phase = phase;
    std::vector<std::pair<double, double>> pts;
    for (std::size_t q = 0; q < npx; ++q)
      if (!std::isnan(dist[q]) && !std::isnan(map[q])) pts.emplace_back(dist[q], map[q]);
    std::sort(pts.begin(), pts.end());
    std::vector<double> xs, ys;
    for (const auto& [a, b] : pts) {
      xs.push_back(a);
      ys.push_back(b);
    }
    iw.points = xs.size();
    try {
      iw.fit = fit_erf_edge(xs, ys);
      iw.ok = iw.fit.converged;
    } catch (const std::invalid_argument&) {
      iw.ok = false;  // fewer than 5 pixels near the interface
    }
    ds.interface_widths.push_back(iw);
  };
  // Phase fraction: each loading vector projected between the two classes' means (maps.hpp).
  fit_map("phase fraction", -1, phase_fraction_map(ds.loadings, ds.verdict.predicted.labels, decomposed, g.first, g.second));
  for (int p : {g.first, g.second}) {
    const int c = static_cast<std::size_t>(p) < ds.verdict.component_of_phase.size()
                      ? ds.verdict.component_of_phase[static_cast<std::size_t>(p)]
                      : -1;
    if (c >= 0) fit_map("component of " + sp.phase_name(static_cast<std::size_t>(p)), p, ds.loadings[static_cast<std::size_t>(c)]);
  }
}

/// The first inclusion inside the scan: its pixels' labels and loadings against a ring around it
/// (DatasetStudy::inclusion).
void study_inclusion(const StudyConfig& cfg, const Specimen& sp, const BinnedGrid& bg, DatasetStudy& ds) {
  for (const Inclusion& inc : cfg.specimen.geometry.inclusions) {
    const double xs0 = cfg.scan.x0_A, xs1 = cfg.scan.x(cfg.scan.nx - 1);
    const double ys0 = cfg.scan.y0_A, ys1 = cfg.scan.y(cfg.scan.ny - 1);
    if (inc.x < xs0 || inc.x > xs1 || inc.y < ys0 || inc.y > ys1) continue;
    InclusionStudy& is = ds.inclusion;
    is.present = true;
    is.phase = inc.phase;
    is.phase_name = sp.phase_name(static_cast<std::size_t>(inc.phase));
    is.x_A = inc.x;
    is.y_A = inc.y;
    is.radius_A = inc.radius;
    const int comp = ds.verdict.component_of_phase.size() > static_cast<std::size_t>(inc.phase)
                         ? ds.verdict.component_of_phase[static_cast<std::size_t>(inc.phase)]
                         : -1;
    std::vector<double> in_load, ring_load;
    for (std::size_t by = 0; by < bg.ny; ++by)
      for (std::size_t bx = 0; bx < bg.nx; ++bx) {
        const std::size_t o = by * bg.nx + bx;
        const double d = std::hypot(bg.cx[bx] - inc.x, bg.cy[by] - inc.y);
        const int pred = ds.verdict.predicted.labels[o];
        if (d < inc.radius) {
          ++is.pixels_inside;
          if (pred == inc.phase) ++is.pixels_inside_correct;
          if (comp >= 0) in_load.push_back(ds.loadings[static_cast<std::size_t>(comp)][o]);
        } else if (d >= inc.radius + cfg.probe_diameter_A && d <= 3 * inc.radius + cfg.probe_diameter_A &&
                   bg.labels[o] >= 0) {
          ++is.ring_pixels;
          if (pred == bg.labels[o]) ++is.ring_correct;
          if (comp >= 0) ring_load.push_back(ds.loadings[static_cast<std::size_t>(comp)][o]);
        }
      }
    is.loading_contrast = mean_of(in_load) - mean_of(ring_load);
    const double ring_acc = is.ring_pixels ? static_cast<double>(is.ring_correct) / static_cast<double>(is.ring_pixels) : 0.0;
    is.found = is.pixels_inside_correct >= 1 && ring_acc >= 0.9;
    break;
  }
}

/// Thickness bands of one phase: its pure positions `pos` (scan indices; thickness per position in
/// `thickness`, Å) split into cfg.thickness_bands bands of equal counts, thinnest first; each band's area
/// average reduced with `rc` into the scratch file `band_file` (removed again; with one band the phase's own
/// area average ph.G/ph.phi is reused), its first peak and φ amplitude on the kinematic φ of `ref`, and the
/// mean loading of the phase's component over its scored pixels (lt thickness, ll loading per pixel) in the
/// band's thickness range. `progress(b)` before each band's reduction. Appends to ph.bands.
void study_thickness_bands(const StudyConfig& cfg, const std::vector<double>& thickness, std::vector<std::size_t> pos,
                           const std::string& scan_file, const fs::path& band_file, const ReductionParams& rc,
                           const PhaseReference& ref, const std::vector<double>& lt, const std::vector<double>& ll,
                           const std::function<void(std::size_t)>& progress, PhaseStudy& ph) {
  std::sort(pos.begin(), pos.end(), [&](std::size_t a, std::size_t b) { return thickness[a] < thickness[b]; });
  const std::size_t nb = std::min(cfg.thickness_bands, pos.size());
  for (std::size_t b = 0; b < nb; ++b) {
    const std::size_t lo = b * pos.size() / nb, hi = (b + 1) * pos.size() / nb;
    if (hi <= lo) continue;
    ThicknessBand band;
    std::vector<uint8_t> bm(thickness.size(), 0);
    double s = 0;
    for (std::size_t i = lo; i < hi; ++i) {
      bm[pos[i]] = 1;
      s += thickness[pos[i]];
    }
    band.positions = hi - lo;
    band.thickness_lo_A = thickness[pos[lo]];
    band.thickness_hi_A = thickness[pos[hi - 1]];
    band.thickness_mean_A = s / static_cast<double>(hi - lo);
    if (nb > 1) {
      progress(b);
      RegionProfile bp = reduce_region(scan_file, band_file.string(), bm, rc);
      fs::remove(band_file);
      band.G = interpolate_linear(bp.r, bp.G, ph.r);
      band.phi = bp.s == ph.s ? bp.phi : interpolate_linear(bp.s, bp.phi, ph.s);
    } else {
      band.G = ph.G;
      band.phi = ph.phi;
    }
    band.phi_amplitude = phi_amplitude_vs_kinematic(ref, ph.s, band.phi, rc.s_min);
    try {
      const PeakInfo fpk = first_peak(ph.r, band.G, {1.0, 2.3});
      band.first_peak_position = fpk.position;
      band.first_peak_height = fpk.height;
    } catch (const std::invalid_argument&) {
      band.first_peak_position = band.first_peak_height = kNaN;
    }
    // Loadings of the phase's component over its scored pixels in this thickness range.
    std::vector<double> bl;
    const double tlo = b == 0 ? -1e300 : band.thickness_lo_A;
    const double thi = b + 1 == nb ? 1e300 : band.thickness_hi_A;
    for (std::size_t i = 0; i < lt.size(); ++i)
      if (lt[i] >= tlo && lt[i] <= thi) bl.push_back(ll[i]);
    band.pixels = bl.size();
    band.mean_loading = mean_of(bl);
    ph.bands.push_back(std::move(band));
  }
}

}  // namespace

StudyEngine parse_study_engine(const std::string& text) {
  if (text == "fast") return StudyEngine::Fast;
  if (text == "multislice") return StudyEngine::Multislice;
  throw std::invalid_argument("unknown engine '" + text + "' (fast, multislice)");
}

std::string study_engine_name(StudyEngine e) { return e == StudyEngine::Fast ? "fast" : "multislice"; }

SecondScanData parse_second_scan_data(const std::string& text) {
  if (text == "cumulative") return SecondScanData::Cumulative;
  if (text == "second") return SecondScanData::Second;
  throw std::invalid_argument("unknown second-scan data '" + text + "' (cumulative, second)");
}

ParticleMaskSource parse_particle_mask_source(const std::string& text) {
  if (text == "truth") return ParticleMaskSource::Truth;
  if (text == "vadf") return ParticleMaskSource::Vadf;
  throw std::invalid_argument("unknown particle mask '" + text + "' (truth, vadf)");
}

std::string particle_mask_source_name(ParticleMaskSource m) { return m == ParticleMaskSource::Truth ? "truth" : "vadf"; }

DecomposeOptions study_decompose_defaults() {
  DecomposeOptions d;
  d.method = DecompositionMethod::Ica;
  d.pca.criterion = CountCriterion::ParallelAnalysis;
  d.pca.pa_trials = 20;
  return d;
}

StudyConfig nanoscale2022_default(const Structure& agzif_model, const Structure& phosphate_model, std::size_t nx,
                                  std::size_t ny) {
  // The particle of examples/specimen_nanoscale2022.toml (lengths in Å here).
  StudyConfig c;
  SpecimenSpec& s = c.specimen;
  s.field_x = s.field_y = 3500;
  s.seed = 2022;
  s.phases.push_back({"agZIF62", agzif_model, 0.0});
  s.phases.push_back({"phosphate", phosphate_model, 0.0});
  s.thickness.kind = ThicknessGeometry::Kind::Particles;
  EllipsoidParticle e;
  e.x = 1750;
  e.y = 1750;
  e.semi_a = 1500;
  e.semi_b = 1100;
  e.angle_deg = 15;
  e.thickness = 1000;
  s.thickness.particles.push_back(e);
  s.geometry.kind = PhaseGeometry::Kind::HalfSpaces;
  s.geometry.first = 0;
  s.geometry.second = 1;
  s.geometry.x = 1600;
  s.geometry.y = 1750;
  s.geometry.normal_angle_deg = 10;
  Inclusion inc;
  inc.shape = Inclusion::Shape::Cylinder;
  inc.phase = 0;
  inc.x = 2500;
  inc.y = 1600;
  inc.radius = 120;
  s.geometry.inclusions.push_back(inc);
  s.film.thickness = 100;
  s.film.density_g_cm3 = 2.0;
  // Scan: 5.5 nm steps (003), centred between the interface and the inclusion, inside the field.
  c.scan.step_A = 55;
  c.scan.nx = nx;
  c.scan.ny = ny;
  auto origin = [&](double centre, std::size_t n, double field) {
    const double half = 0.5 * static_cast<double>(n - 1) * c.scan.step_A;
    return std::clamp(centre - half, 0.5 * c.scan.step_A, std::max(0.5 * c.scan.step_A, field - 2 * half - 0.5 * c.scan.step_A));
  };
  c.scan.x0_A = origin(1760, nx, s.field_x);
  c.scan.y0_A = origin(1730, ny, s.field_y);
  c.truth_probe_fwhm_A = 50;
  c.probe_diameter_A = 50;
  c.detector = DetectorSpec{};  // quad Medipix3, 0.011 Å⁻¹, 10 e⁻/Å²
  // Chain: 003 per pixel; composition = the scan's volume average (set in run_study when empty).
  c.chain.damping = Damping{Damping::Exp, 1.0, 0.0};
  return c;
}

Composition scan_average_composition(const Specimen& sp, const ScanSpec& scan) {
  const GroundTruth t = scan_truth(sp, scan, 0.0);
  std::map<int, double> atoms;  // Z → atoms (per Å² of scan, arbitrary scale)
  std::map<int, Element> el;
  for (std::size_t p = 0; p < sp.phase_count(); ++p) {
    double vol = 0;
    for (double v : t.thickness[p]) vol += v;
    if (!(vol > 0)) continue;
    const double rho = sp.number_density(p);
    for (const CompositionEntry& e : sp.spec().phases[p].model.composition()) {
      atoms[e.element.z()] += vol * rho * e.fraction;
      el.emplace(e.element.z(), e.element);
    }
  }
  if (atoms.empty()) throw std::invalid_argument("scan_average_composition: the scan holds no specimen");
  Composition c;
  double sum = 0;
  for (auto& [z, n] : atoms) sum += n;
  for (auto& [z, n] : atoms) {
    c.elements.push_back(el.at(z));
    c.fractions.push_back(n / sum);
  }
  return c;
}

StudyResult run_study(const StudyConfig& config) {
  const auto t_start = Clock::now();
  StudyConfig cfg = config;
  if (cfg.scan.nx == 0 || cfg.scan.ny == 0) throw std::invalid_argument("study: empty scan (nx or ny is 0)");
  if (!(cfg.scan.step_A > 0)) throw std::invalid_argument("study: scan step must be positive, got " + fmt(cfg.scan.step_A));
  if (cfg.bin < 1) throw std::invalid_argument("study: bin must be >= 1");
  if (cfg.output_dir.empty()) throw std::invalid_argument("study: output_dir is empty");
  if (cfg.thickness_bands < 1) throw std::invalid_argument("study: thickness_bands must be >= 1");
  if (cfg.chain.plural_deconvolution && cfg.detector.layout.rfind("quad_medipix3", 0) == 0)
    throw std::invalid_argument("study: plural_deconvolution needs the unscattered disc recorded, but the " +
                                cfg.detector.layout + " layout centres it on its 3-pixel gap cross (use single_256 or "
                                "uniform)");
  if (!(cfg.probe_diameter_A >= 0)) throw std::invalid_argument("study: probe_diameter_A must be >= 0");
  bool damaged = false;
  for (const auto& [name, dm] : cfg.damage) {
    bool known = false;
    for (const PhaseModelSpec& ph : cfg.specimen.phases) known |= ph.name == name;
    if (!known) throw std::invalid_argument("study: damage for unknown phase '" + name + "'");
    dm.check("study phase " + name);
    damaged |= dm.active();
  }
  if (damaged && cfg.engine != StudyEngine::Fast)
    throw std::invalid_argument("study: the beam-damage model is implemented in the fast model only (engine = \"fast\")");
  {
    DetectorSpec d = cfg.detector;
    d.step_A = cfg.scan.step_A;
    if (cfg.second_scan && cfg.second_scan_data == SecondScanData::Second && !(cfg.second_scan_cumulative_dose > d.dose()))
      throw std::invalid_argument("study: second_scan_cumulative_dose " + fmt(cfg.second_scan_cumulative_dose) +
                                  " e⁻/Å² must exceed the first scan's dose " + fmt(d.dose()) + " for the second scan alone");
  }

  auto report = [&](const std::string& stage, std::size_t done, std::size_t total, double eta, const std::string& msg) {
    if (!cfg.progress) return;
    StudyProgress p;
    p.stage = stage;
    p.done = done;
    p.total = total;
    p.elapsed_s = seconds_since(t_start);
    p.eta_s = eta;
    p.message = msg;
    cfg.progress(p);
  };

  const Specimen sp(cfg.specimen);
  const std::size_t np = sp.phase_count();
  if (cfg.chain.composition.elements.empty()) cfg.chain.composition = scan_average_composition(sp, cfg.scan);
  const double lambda = electron_wavelength(cfg.probe.energy_keV * 1e3);
  if (cfg.chain.plural_deconvolution && !(cfg.chain.plural.s_alpha > 0))
    cfg.chain.plural.s_alpha = cfg.probe.alpha_mrad * 1e-3 / lambda;  // the aperture disc α/λ
  cfg.criteria.exclusion_distance = cfg.probe_diameter_A;

  const fs::path out_dir(cfg.output_dir);
  const fs::path work = fs::path(cfg.output_dir + ".work");
  fs::create_directories(work);

  StudyResult res;
  res.output_dir = cfg.output_dir;

  // ---- references ----
  auto t0 = Clock::now();
  std::vector<PhaseReference> refs;
  for (std::size_t p = 0; p < np; ++p) {
    report("references", p, np, 0, "X-ray and kinematic electron PDFs of " + sp.phase_name(p));
    // The kinematic ePDF (and the X-ray PDF at electron resolution) over the area averages' own s range and
    // damping, so a peak offset between an area average and its reference is never one of resolution.
    ReferenceOptions o;
    o.electron.s_min = cfg.chain.s_min;
    o.electron.s_max = cfg.chain.s_max;
    o.electron.damping = Damping{Damping::Exp, cfg.region_damping_b, 0.0};
    refs.push_back(compute_phase_reference(cfg.specimen.phases[p].model, sp.phase_name(p), o));
  }
  // The kinematic ePDF at the per-pixel chain's resolution (s_min, s_max, damping): the reference of the
  // unmixed components, which come from per-pixel G(r) reduced with those parameters.
  std::vector<PdfResult> pixel_refs;
  for (std::size_t p = 0; p < np; ++p) {
    ReferenceOptions o;
    o.electron.s_min = cfg.chain.s_min;
    o.electron.s_max = cfg.chain.s_max;
    o.electron.damping = cfg.chain.damping;
    o.xray_at_electron_resolution = false;
    pixel_refs.push_back(compute_phase_reference(refs[p].partials, sp.phase_name(p), o).electron);
  }
  res.seconds_references = seconds_since(t0);

  // Ground truth (per position, binned) and interface distances.
  const GroundTruth truth = scan_truth(sp, cfg.scan, cfg.truth_probe_fwhm_A);
  const BinnedGrid bg = bin_truth(truth, cfg.scan, cfg.bin, cfg.min_thickness_A);
  const std::vector<double> idist = interface_distances(sp, bg);

  // Materials of the forward model.
  std::vector<FastMaterial> mats;
  std::vector<int> mat_of_phase;
  for (std::size_t p = 0; p < np; ++p) {
    FastMaterial m;
    m.name = sp.phase_name(p);
    m.model = cfg.specimen.phases[p].model;
    m.inelastic = inelastic_material(m.name, m.model, 23.0, cfg);
    mat_of_phase.push_back(static_cast<int>(mats.size()));
    mats.push_back(std::move(m));
  }
  // Beam-damaged states (simulate/damage.hpp): one more material per damaged phase, its pairs beyond r_intact
  // smeared; the columns share each phase's thickness between the two states per dataset.
  std::vector<DamageModel> damage_of_phase(np);
  std::vector<int> damaged_mat_of_phase(np, -1);
  for (std::size_t p = 0; p < np; ++p)
    for (const auto& [name, dm] : cfg.damage)
      if (name == sp.phase_name(p)) damage_of_phase[p] = dm;
  for (std::size_t p = 0; p < np; ++p) {
    if (!damage_of_phase[p].active()) continue;
    damaged_mat_of_phase[p] = static_cast<int>(mats.size());
    mats.push_back(damaged_state(mats[static_cast<std::size_t>(mat_of_phase[p])], damage_of_phase[p]));
  }
  int film = -1;
  if (sp.has_film()) {
    FastMaterial m;
    m.name = "carbon_film";
    m.model = sp.film_model();
    m.inelastic = inelastic_material(m.name, m.model, 25.0, cfg);
    film = static_cast<int>(mats.size());
    mats.push_back(std::move(m));
  }

  // Datasets: (dose, dose received before it).
  std::vector<double> doses, doses_before;
  {
    DetectorSpec d = cfg.detector;
    d.step_A = cfg.scan.step_A;
    doses.push_back(d.dose());
    doses_before.push_back(0);
  }
  const bool second_alone = cfg.second_scan && cfg.second_scan_data == SecondScanData::Second;
  if (cfg.second_scan) {
    if (!(cfg.second_scan_cumulative_dose > 0))
      throw std::invalid_argument("study: second_scan_cumulative_dose must be positive, got " +
                                  fmt(cfg.second_scan_cumulative_dose));
    if (second_alone) {
      doses.push_back(cfg.second_scan_cumulative_dose - doses[0]);
      doses_before.push_back(doses[0]);
    } else {
      doses.push_back(cfg.second_scan_cumulative_dose);
      doses_before.push_back(0);
    }
  }

  std::vector<std::pair<fs::path, std::string>> to_move;  // work file → name in the report directory

  for (std::size_t di = 0; di < doses.size(); ++di) {
    DatasetStudy ds;
    ds.dose = doses[di];
    ds.dose_before = doses_before[di];
    ds.label = di == 0 ? "scan 1, " + dose_label(ds.dose)
                       : (second_alone ? "scan 2, " + dose_label(ds.dose) + " after " + dose_label(ds.dose_before)
                                       : "cumulative, " + dose_label(ds.dose));
    const std::string tag = di == 0 ? "" : (second_alone ? "_scan2" : "_cumulative");
    // Each phase's column: (1 − f̄) of the intact material and f̄ (1 − mass loss) of the damaged one.
    std::vector<FastPatternSource::PhaseParts> parts(np);
    for (std::size_t p = 0; p < np; ++p) {
      const StateWeights w = state_weights(damage_of_phase[p], ds.dose_before, ds.dose_before + ds.dose);
      ds.damaged_fraction.push_back(w.damaged_fraction);
      parts[p].push_back({mat_of_phase[p], w.intact});
      if (damaged_mat_of_phase[p] >= 0) parts[p].push_back({damaged_mat_of_phase[p], w.damaged});
    }
    DetectorSpec dspec = cfg.detector;
    dspec.step_A = cfg.scan.step_A;
    if (di > 0) {
      dspec.beam_current_pA = 0;
      dspec.dose_e_per_A2 = ds.dose;
    }
    const DetectorModel det(dspec, lambda);
    const uint64_t seed = di == 0 ? cfg.seed : counter_hash(cfg.seed, 0x5ecd, di, 0);

    // ---- simulate ----
    t0 = Clock::now();
    const fs::path scan_file = work / ("scan" + tag + ".h5");
    {
      std::ostringstream fp;
      fp << "study|" << study_engine_name(cfg.engine) << "|" << seed << "|" << ds.dose << "|" << cfg.scan.x0_A << ","
         << cfg.scan.y0_A << "," << cfg.scan.step_A << "," << cfg.scan.nx << "," << cfg.scan.ny << "|"
         << dspec.layout << dspec.ds << "|" << cfg.probe.energy_keV << "," << cfg.probe.alpha_mrad << "|"
         << cfg.specimen.seed << "|" << cfg.truth_probe_fwhm_A;
      for (const auto& [k, v] : cfg.metadata) fp << "|" << k << "=" << v;
      fp << std::setprecision(17) << "|speckle_seed:" << cfg.seed;
      for (std::size_t p = 0; p < np; ++p)
        if (damage_of_phase[p].active())
          fp << "|damage" << p << ":" << damage_of_phase[p].critical_dose << "," << damage_of_phase[p].pair_sigma_A << ","
             << damage_of_phase[p].r_intact_A << "," << damage_of_phase[p].mass_loss << "," << ds.dose_before;
      ScanOptions opt;
      opt.seed = seed;
      opt.threads = cfg.threads;
      opt.with_expected = false;
      opt.convergence_mrad = cfg.probe.alpha_mrad;
      opt.truth_probe_fwhm_A = cfg.truth_probe_fwhm_A;
      opt.writer.config_hash = config_fingerprint(fp.str());
      opt.writer.parameters["model"] = study_engine_name(cfg.engine);
      opt.writer.parameters["study"] = cfg.name;
      opt.writer.parameters["dose_e_per_A2"] = fmt(ds.dose, 10);
      opt.writer.deflate = cfg.deflate;
      opt.writer.resume = true;
      const std::string stage = "simulate" + tag;
      opt.progress = [&](const ScanProgress& p) {
        std::ostringstream m;
        m << std::fixed << std::setprecision(1) << p.rate_per_s << " patterns/s";
        report(stage, p.done, p.total, p.eta_s, m.str());
      };
      // A finished scan of an earlier, failed run with the same settings is reused.
      const fs::path stamp = work / ("scan" + tag + ".fingerprint");
      bool reuse = false;
      if (fs::exists(scan_file) && fs::exists(stamp)) {
        std::ifstream in(stamp);
        std::string line;
        std::getline(in, line);
        reuse = line == opt.writer.config_hash;
      }
      if (!reuse && fs::exists(scan_file)) fs::remove(scan_file);
      if (reuse) {
        report(stage, 1, 1, 0, "using the finished scan " + scan_file.string());
      } else if (cfg.engine == StudyEngine::Fast) {
        FastModelParams fparams = cfg.fast;
        fparams.probe = cfg.probe;
        fparams.inelastic = cfg.inelastic;
        fparams.inelastic.energy_eV = cfg.probe.energy_keV * 1e3;
        fparams.inelastic.convergence_mrad = cfg.probe.alpha_mrad;
        fparams.threads = cfg.threads;
        report(stage, 0, cfg.scan.nx * cfg.scan.ny, 0, "fast model set-up (S(s) of every material)");
        const FastModel fm(mats, fparams, det);
        // The speckle is the specimen's (its atoms under the probe): every scan of the area draws it from the
        // study's seed, while the counting noise (opt.seed) is the dataset's own.
        FastPatternSource src(fm, sp, cfg.scan, parts, film, cfg.truth_probe_fwhm_A, cfg.seed);
        run_scan(cfg.scan, src, det, &sp, {scan_file.string()}, opt);
      } else {
        InelasticParams ip = cfg.inelastic;
        ip.energy_eV = cfg.probe.energy_keV * 1e3;
        ip.convergence_mrad = cfg.probe.alpha_mrad;
        ip.materials.clear();
        for (const FastMaterial& m : mats) ip.materials.push_back(m.inelastic);
        MultisliceParams mp = cfg.multislice;
        mp.thicknesses_A.clear();  // one output: the whole column
        const Specimen* spp = &sp;
        MultisliceSource::PostProcess post;
        if (ip.plasmon || ip.incoherent)
          post = [ip, spp](std::size_t, double x, double y, SimPattern& pat) {
            const ColumnThickness ct = spp->column_thickness(x, y);
            std::vector<double> t = ct.phase;
            if (spp->has_film()) t.push_back(spp->spec().film.thickness);
            ReciprocalGrid g;
            g.ny = g.nx = pat.n;
            g.ds = pat.dk;
            g.centre_x = g.centre_y = static_cast<double>(pat.n / 2);
            apply_inelastic(ip, t, g, pat.intensity);
          };
        report(stage, 0, cfg.scan.nx * cfg.scan.ny, 0, "multislice set-up");
        const WindowedMultislice engine(sp, cfg.probe, mp);
        MultisliceSource src(engine, det, post);
        run_scan(cfg.scan, src, det, &sp, {scan_file.string()}, opt);
      }
      std::ofstream(stamp) << opt.writer.config_hash << "\n";
    }
    ds.seconds_simulate = seconds_since(t0);

    // ---- reduce (per binned pixel) ----
    t0 = Clock::now();
    const fs::path reduced_file = work / ("reduced" + tag + ".h5");
    {
      ReduceOptions ro;
      ro.input.path = scan_file.string();
      ro.output = reduced_file.string();
      ro.bin = cfg.bin;
      ro.chain = cfg.chain;
      const std::string stage = "reduce" + tag;
      const auto tr = Clock::now();
      ro.progress = [&](std::size_t done, std::size_t total) {
        const double el = seconds_since(tr);
        const double eta = done > 0 ? el * static_cast<double>(total - done) / static_cast<double>(done) : 0.0;
        report(stage, done, total, eta, "binned pixels reduced");
      };
      for (const auto& [k, v] : cfg.metadata) ro.metadata.push_back({k, v});
      const ReduceSummary rs = reduce_4d(ro);
      ds.failed_pixels = rs.n_failed;
    }
    ds.seconds_reduce = seconds_since(t0);

    // ---- unmix: PCA → ICA on the G(r) cube over the particle ----
    t0 = Clock::now();
    report("unmix" + tag, 0, 1, 0, "PCA → ICA");
    CubeSelection sel;
    sel.dataset = "/reduced/G";
    sel.abscissa = "/reduced/r";
    sel.abscissa_min = cfg.decompose_window.lo;
    sel.abscissa_max = cfg.decompose_window.hi;
    sel.exclude = "/reduced/failed";
    SignalCube cube = read_signal_cube(reduced_file.string(), sel);
    if (cube.nx != bg.nx || cube.ny != bg.ny)
      throw std::logic_error("study: reduced cube " + std::to_string(cube.ny) + " × " + std::to_string(cube.nx) +
                             " differs from the binned truth " + std::to_string(bg.ny) + " × " + std::to_string(bg.nx));
    {
      // Keep the particle only: ground-truth thickness >= min_thickness_A, or the VADF mask (data only).
      const std::size_t npix = bg.nx * bg.ny;
      std::vector<uint8_t> inside(npix, 0);
      ds.mask_source = cfg.particle_mask;
      if (cfg.particle_mask == ParticleMaskSource::Vadf) {
        std::vector<double> vadf = H5Reader(reduced_file.string()).read("/reduced/vadf");
        if (vadf.size() != npix)
          throw std::logic_error("study: /reduced/vadf holds " + std::to_string(vadf.size()) + " values for " +
                                 std::to_string(npix) + " binned pixels");
        std::vector<uint8_t> valid(npix, 0);
        for (std::size_t q : cube.pixel) valid[q] = 1;  // not failed
        try {
          ds.vadf_mask = vadf_particle_mask(vadf, valid, cfg.vadf_mask);
        } catch (const std::invalid_argument& e) {
          throw std::invalid_argument("study [study] particle_mask = \"vadf\" on " + reduced_file.string() + ": " + e.what());
        }
        inside = ds.vadf_mask.inside;
      } else {
        for (std::size_t q = 0; q < npix; ++q) inside[q] = bg.labels[q] >= 0 ? 1 : 0;
      }
      ds.truth_particle_pixels = ds.mask_and_truth_pixels = 0;
      for (std::size_t q = 0; q < npix; ++q) {
        ds.truth_particle_pixels += bg.labels[q] >= 0 ? 1 : 0;
        ds.mask_and_truth_pixels += (bg.labels[q] >= 0 && inside[q]) ? 1 : 0;
      }
      try {
        keep_pixels(cube, inside);
      } catch (const std::invalid_argument& e) {
        throw std::invalid_argument("study: too few binned pixels inside the particle (" +
                                    particle_mask_source_name(cfg.particle_mask) + " mask): " + e.what());
      }
    }
    if (cfg.decompose_r_step_A > 0 && cube.abscissa.size() > 2) {
      const double dr = (cube.abscissa.back() - cube.abscissa.front()) / static_cast<double>(cube.abscissa.size() - 1);
      const auto stride = static_cast<std::size_t>(std::max(1.0, std::round(cfg.decompose_r_step_A / dr)));
      if (stride > 1) {
        std::vector<double> ab;
        for (std::size_t j = 0; j < cube.abscissa.size(); j += stride) ab.push_back(cube.abscissa[j]);
        Eigen::MatrixXd sub(cube.data.rows(), static_cast<Eigen::Index>(ab.size()));
        for (std::size_t j = 0; j < ab.size(); ++j) sub.col(static_cast<Eigen::Index>(j)) = cube.data.col(static_cast<Eigen::Index>(j * stride));
        cube.data = std::move(sub);
        cube.abscissa = std::move(ab);
      }
    }
    ds.pixels_decomposed = cube.pixel.size();
    ds.binned_nx = bg.nx;
    ds.binned_ny = bg.ny;
    ds.binned_step_A = bg.step;
    DecomposeOptions dopt = cfg.decompose;
    dopt.threads = cfg.threads;
    if (dopt.seed == 0) dopt.seed = cfg.seed;
    const Decomposition dec = decompose(cube, dopt);
    const fs::path dec_file = work / ("decomposition" + tag + ".h5");
    write_decomposition(dec_file.string(), cube, dec, dopt, cfg.metadata);
    ds.pca_components = dec.pca.count.n_components;
    ds.pca_reason = dec.pca.count.reason;
    for (Eigen::Index i = 0; i < dec.pca.explained_variance_ratio.size() && i < 20; ++i)
      ds.pca_variance_ratio.push_back(dec.pca.explained_variance_ratio(i));
    ds.r = cube.abscissa;
    const std::size_t k = static_cast<std::size_t>(dec.components.rows());
    const std::size_t npix = bg.nx * bg.ny;
    for (std::size_t c = 0; c < k; ++c) {
      std::vector<double> comp(ds.r.size());
      for (std::size_t j = 0; j < ds.r.size(); ++j) comp[j] = dec.components(static_cast<Eigen::Index>(c), static_cast<Eigen::Index>(j));
      ds.components.push_back(std::move(comp));
      std::vector<double> map(npix, 0.0);
      for (std::size_t i = 0; i < cube.pixel.size(); ++i)
        map[cube.pixel[i]] = dec.loadings(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(c));
      ds.loadings.push_back(std::move(map));
    }
    ds.truth_labels = bg.labels;
    ds.truth_thickness = bg.total;
    ds.interface_distance = idist;

    UnmixingInput uin;
    uin.r = ds.r;
    uin.components = ds.components;
    for (std::size_t p = 0; p < np; ++p) {
      uin.phase_names.push_back(sp.phase_name(p));
      uin.references.push_back(interpolate_linear(pixel_refs[p].r, pixel_refs[p].G, ds.r));
      std::vector<double> fr(npix, 0.0);
      for (std::size_t i = 0; i < npix; ++i) fr[i] = bg.total[i] > 0 ? bg.thickness[p][i] / bg.total[i] : 0.0;
      uin.truth_fractions.push_back(std::move(fr));
    }
    uin.loadings = ds.loadings;
    uin.decomposed.assign(npix, 0);
    for (std::size_t pix : cube.pixel) uin.decomposed[pix] = 1;
    // Truth labels with the interface band (exact distance < one probe diameter) marked −1, so the criterion
    // scores exactly the pixels farther than a probe diameter from the true interface.
    LabelMap scored;
    scored.nx = bg.nx;
    scored.ny = bg.ny;
    scored.step = bg.step;
    scored.labels = bg.labels;
    for (std::size_t i = 0; i < npix; ++i)
      if (scored.labels[i] >= 0 && idist[i] < cfg.probe_diameter_A) scored.labels[i] = -1;
    uin.truth = scored;
    UnmixingCriteria crit = cfg.criteria;
    crit.exclusion_distance = 0;
    ds.verdict = evaluate_unmixing(uin, crit);
    ds.references = uin.references;
    {
      LabelMap full;
      full.nx = bg.nx;
      full.ny = bg.ny;
      full.step = bg.step;
      full.labels = bg.labels;
      ds.classification_labelmap = classification_accuracy(ds.verdict.predicted, full, cfg.probe_diameter_A);
    }
    // The same cube and count by VCA (pure pixels), matched to the same references: what an unmixing that
    // does not force uncorrelated components returns.
    ds.vca_pearson.assign(np, std::numeric_limits<double>::quiet_NaN());
    try {
      DecomposeOptions vo = dopt;
      vo.method = DecompositionMethod::Vca;
      vo.n_components = static_cast<int>(k);
      ds.vca_pearson = matched_reference_pearson(ds.r, decompose(cube, vo).components, uin.references, crit.window);
    } catch (const std::invalid_argument&) {
      // no pure pixels of some component (dependent endmembers): left NaN
    } catch (const InputError&) {
      // the same, reported through the cube's file (decompose(SignalCube) names it): left NaN
    }
    // ICA of the references themselves on the same grid: what this algorithm returns from perfect data.
    if (dopt.method != DecompositionMethod::Ica || dopt.ica_domain != IcaDomain::Signals) {
      ds.ica_reference_note = "not computed: the decomposition is not ICA in the signals domain";
    } else if (np < 2) {
      ds.ica_reference_note = "not computed: one phase";
    } else {
      try {
        FastIcaSettings fs = dopt.fastica;
        fs.seed = dopt.seed;
        ds.ica_reference = reference_ica_limit(ds.r, uin.references, crit.window, fs);
        // The same at other per-pixel dampings: each reference's φ(s) transformed again onto the decomposition
        // grid with exp(−b s²).
        for (double b : kIcaDampingScan) {
          std::vector<std::vector<double>> rb;
          for (const PdfResult& ref : pixel_refs)
            rb.push_back(measured_pdf_from_phi(ref.scattering.s, ref.scattering.phi, cfg.chain.s_min, ds.r,
                                               Damping{Damping::Exp, b, 0.0}, ref.s_max));
          const ReferenceIcaLimit Lb = reference_ica_limit(ds.r, rb, crit.window, fs);
          ds.ica_reference_vs_damping.push_back({b, Lb.preferred_smallest, Lb.best_smallest});
        }
        if (k == 2) {
          ds.ica_solutions = ica_stationary_points(ds.r, ds.components, uin.references, crit.window, fs);
          ds.ica_scan_data = ica_rotation_scan(ds.r, ds.components, uin.references, crit.window, fs);
          if (np == 2) ds.ica_scan_references = ica_rotation_scan(ds.r, uin.references, uin.references, crit.window, fs);
        }
      } catch (const std::invalid_argument& e) {
        ds.ica_reference = ReferenceIcaLimit{};
        ds.ica_reference_vs_damping.clear();
        ds.ica_reference_note = std::string("not computed: ") + e.what();
      }
    }
    // Sign-correct the components and loadings to their matches.
    for (std::size_t c = 0; c < k && c < ds.verdict.match.sign.size(); ++c)
      if (ds.verdict.match.sign[c] < 0) {
        for (double& v : ds.components[c]) v = -v;
        for (double& v : ds.loadings[c]) v = -v;
      }
    ds.seconds_unmix = seconds_since(t0);

    // ---- the interface width (erf edge across a planar interface) and the inclusion ----
    study_interface_widths(cfg, sp, bg, cube.pixel, uin.decomposed, ds);
    study_inclusion(cfg, sp, bg, ds);

    // ---- area averages per phase and per thickness band (first dataset) ----
    t0 = Clock::now();
    for (std::size_t p = 0; p < np; ++p) {
      PhaseStudy ph;
      ph.name = sp.phase_name(p);
      ph.reference = refs[p];
      const int comp = ds.verdict.component_of_phase.size() > p ? ds.verdict.component_of_phase[p] : -1;
      ph.component = comp;
      ph.pearson_component = p < ds.verdict.phase_pearson.size() ? ds.verdict.phase_pearson[p] : kNaN;
      // Loadings vs thickness over the phase's scored pixels.
      std::vector<double> lt, ll;
      for (std::size_t i = 0; i < npix; ++i)
        if (scored.labels[i] == static_cast<int>(p) && comp >= 0) {
          lt.push_back(bg.total[i]);
          ll.push_back(ds.loadings[static_cast<std::size_t>(comp)][i]);
        }
      ph.loading_thickness_correlation = pearson_plain(lt, ll);
      if (di == 0 || second_alone) {
        // Pure positions of the phase.
        std::vector<std::size_t> pos;
        for (std::size_t q = 0; q < truth.thickness_total.size(); ++q)
          if (truth.thickness_total[q] >= cfg.min_thickness_A && truth.fraction[p][q] >= cfg.pure_fraction) pos.push_back(q);
        ph.positions = pos.size();
        if (!pos.empty()) {
          std::vector<uint8_t> mask(truth.thickness_total.size(), 0);
          double tsum = 0;
          for (std::size_t q : pos) {
            mask[q] = 1;
            tsum += truth.thickness_total[q];
          }
          ph.mean_thickness_A = tsum / static_cast<double>(pos.size());
          report("regions", p, np, 0, "area-averaged ePDF of " + ph.name);
          ReductionParams rc = cfg.chain;
          rc.damping = Damping{Damping::Exp, cfg.region_damping_b, 0.0};
          // The area average of one phase is reduced with that phase's own composition (003: the composition
          // determined for each phase; the per-pixel cube keeps the average composition, as 003's ICA did).
          if (cfg.region_phase_composition) rc.composition = Composition::of(cfg.specimen.phases[p].model);
          const fs::path rf = work / ("region_" + report_tag(ph.name) + tag + ".h5");
          RegionProfile rp = reduce_region(scan_file.string(), rf.string(), mask, rc);
          to_move.push_back({rf, rf.filename().string()});
          ph.r = rp.r;
          ph.G = rp.G;
          ph.G_sigma = rp.G_sigma;
          ph.s = rp.s;
          ph.phi = rp.phi;
          ph.phi_sigma = rp.phi_sigma;
          ph.phi_amplitude = phi_amplitude_vs_kinematic(refs[p], ph.s, ph.phi, rc.s_min);
          ph.plural_events = rp.plural_events;
          const std::vector<double> gx = interpolate_linear(refs[p].xray.r, refs[p].xray.G, ph.r);
          const std::vector<double> ge = interpolate_linear(refs[p].electron.r, refs[p].electron.G, ph.r);
          ph.peaks_vs_xray = compare_peak_positions(ph.r, ph.G, gx);
          if (!refs[p].xray_matched.r.empty())
            ph.peaks_vs_xray_matched =
                compare_peak_positions(ph.r, ph.G, interpolate_linear(refs[p].xray_matched.r, refs[p].xray_matched.G, ph.r));
          ph.peaks_vs_kinematic = compare_peak_positions(ph.r, ph.G, ge);
          ph.kinematic_vs_xray = compare_peak_positions(ph.r, ge, gx);
          ph.peak_sigma_note =
              peak_position_sigmas(rp, rc, ph.peaks_vs_xray,
                                   first_peak(ph.r, gx, {1.0, 2.3}).position + ph.peaks_vs_xray.first_shell_offset,
                                   ph.peak_sigma_A, ph.epdf_peak_sigma_A, ph.first_shell_sigma_A);
          report("regions", p, np, 0, ph.name + ": jackknife of the peak positions");
          {
            RegionJackknife jk =
                region_jackknife(scan_file.string(), work / "jackknife.h5", pos, truth.thickness_total.size(), rc, rp,
                                 ph.peaks_vs_xray, first_peak(ph.r, gx, {1.0, 2.3}).position + ph.peaks_vs_xray.first_shell_offset);
            ph.epdf_peak_sigma_jackknife_A = std::move(jk.peak_sigma);
            ph.first_shell_sigma_jackknife_A = jk.first_shell_sigma;
            ph.G_sigma_jackknife = std::move(jk.G_sigma);
            ph.jackknife_note = jk.note;
          }
          ph.pearson_area_vs_kinematic = pearson(ph.r, ph.G, ge, {1.5, 10.0});
          ph.pearson_area_vs_xray = pearson(ph.r, ph.G, gx, {1.5, 10.0});
          // Thickness bands (equal numbers of positions, thinnest first), for the first scan.
          if (di > 0) pos.clear();
          const auto band_progress = [&](std::size_t b) {
            report("regions", p, np, 0, ph.name + ": thickness band " + std::to_string(b + 1));
          };
          study_thickness_bands(cfg, truth.thickness_total, std::move(pos), scan_file.string(), work / "band.h5", rc,
                                refs[p], lt, ll, band_progress, ph);
          if (ph.bands.size() >= 2)
            ph.loading_lower_in_thickest = ph.bands.back().mean_loading < ph.bands.front().mean_loading;
        }
      }
      ds.phases.push_back(std::move(ph));
    }
    // The second scan alone against the first (003 Fig. 4): its area averages on the first's r grid.
    ds.scan_pearson.assign(np, kNaN);
    ds.scan_max_abs_dG.assign(np, kNaN);
    ds.scan_first_peak_ratio.assign(np, kNaN);
    if (di > 0 && second_alone && !res.datasets.empty()) {
      const DatasetStudy& first = res.datasets.front();
      for (std::size_t p = 0; p < np && p < first.phases.size(); ++p) {
        const PhaseStudy& a = first.phases[p];
        const PhaseStudy& b = ds.phases[p];
        if (a.r.empty() || b.r.empty()) continue;
        const std::vector<double> gb = interpolate_linear(b.r, b.G, a.r);
        ds.scan_pearson[p] = pearson(a.r, gb, a.G, {1.5, 10.0});
        double m = 0;
        for (std::size_t j = 0; j < a.r.size(); ++j)
          if (a.r[j] >= 1.5 && a.r[j] <= 10.0) m = std::max(m, std::fabs(gb[j] - a.G[j]));
        ds.scan_max_abs_dG[p] = m;
        try {
          ds.scan_first_peak_ratio[p] = first_peak(a.r, gb, {1.0, 2.3}).height / first_peak(a.r, a.G, {1.0, 2.3}).height;
        } catch (const std::invalid_argument&) {
          // no first peak: left NaN
        }
      }
    }
    ds.seconds_regions = seconds_since(t0);

    ds.scan_file = (out_dir / scan_file.filename()).string();
    ds.reduced_file = (out_dir / reduced_file.filename()).string();
    ds.decomposition_file = (out_dir / dec_file.filename()).string();
    if (cfg.keep_4d) to_move.push_back({scan_file, scan_file.filename().string()});
    to_move.push_back({reduced_file, reduced_file.filename().string()});
    to_move.push_back({dec_file, dec_file.filename().string()});
    res.datasets.push_back(std::move(ds));
  }

  // ---- acceptance checks (first dataset) and 003's observations (observations.hpp) ----
  const DatasetStudy& d0 = res.datasets.front();
  std::vector<std::string> phase_names;
  for (std::size_t p = 0; p < np; ++p) phase_names.push_back(sp.phase_name(p));
  res.checks = acceptance_checks(d0, phase_names);
  res.answers = study_answers(d0, phase_names, cfg.criteria);
  res.observations = check_003_observations(observation_inputs(d0));
  // ---- report ----
  t0 = Clock::now();
  report("report", 0, 1, 0, "writing the report");
  ReportWriter w("sedpdf study: " + cfg.name);
  {
    StudyReportInputs in{cfg, res, refs, pixel_refs, phase_names, damage_of_phase, doses, second_alone, damaged, {}};
    for (const auto& [from, name] : to_move) in.files.push_back(name);
    add_study_sections(w, in);
  }
  // Numbers as HDF5.
  const fs::path study_h5 = work / "study.h5";
  write_study_h5(study_h5.string(), cfg, res, phase_names, second_alone);
  to_move.push_back({study_h5, "study.h5"});

  ReportOptions ropt;
  ropt.draw_figures = cfg.draw_figures;
  ropt.before_commit = [&](const std::string& dir) {
    for (const auto& [from, name] : to_move) fs::rename(from, fs::path(dir) / name);
  };
  fs::create_directories(out_dir.has_parent_path() ? out_dir.parent_path() : fs::path("."));
  const ReportOutcome ro = w.write(cfg.output_dir, ropt);
  res.report_html = ro.html;
  res.figures_drawn = ro.figures_drawn;
  res.figure_note = ro.figure_note;
  std::error_code ec;
  fs::remove_all(work, ec);
  res.seconds_report = seconds_since(t0);
  res.seconds_total = seconds_since(t_start);
  // Final paths.
  for (DatasetStudy& ds : res.datasets) {
    if (!cfg.keep_4d) ds.scan_file.clear();
  }

  std::ostringstream sum;
  sum << "what this run says (report: first table; evidence there):\n";
  for (const StudyAnswer& a : res.answers) sum << "  " << a.question << " " << a.answer << "\n";
  sum << "acceptance (issue 8):\n";
  for (const auto& c : res.checks) sum << "  [" << (c.pass ? "pass" : "FAIL") << "] " << c.item << ": " << c.measured << "\n";
  if (!res.observations.empty()) sum << observations_summary(res.observations);
  res.summary = sum.str();
  report("done", 1, 1, 0, "report " + res.report_html);
  return res;
}

}  // namespace sedpdf
