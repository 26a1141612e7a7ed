// Fast statistical forward model (see sedpdf/simulate/fast_model.hpp and docs/forward_models.md).
#include "sedpdf/simulate/fast_model.hpp"

#include "sedpdf/simulate/bessel.hpp"

#include <omp.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <memory>
#include <mutex>
#include <sstream>
#include <stdexcept>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fft2.hpp"
#include "sedpdf/simulate/potential.hpp"
#include "sedpdf/simulate/damage.hpp"
#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/specimen_truth.hpp"

namespace sedpdf {

namespace {

constexpr uint64_t kSpeckleStream = 0x5EC1E5EEDULL;  // separates speckle from Poisson streams

inline double unit_from(uint64_t seed, uint64_t a, uint64_t b, uint64_t c) { return counter_uniform(seed, a, b, c); }

/// Gamma(k, 1) variate, k ≥ 1, from the counter stream (seed, a, b, ·): Marsaglia & Tsang, ACM TOMS 26
/// (2000) 363, with Box–Muller normals.
double counter_gamma(double k, uint64_t seed, uint64_t a, uint64_t b) {
  const double d = k - 1.0 / 3.0, c = 1.0 / std::sqrt(9.0 * d);
  uint64_t j = 0;
  for (;;) {
    const double u1 = unit_from(seed, a, b, j++), u2 = unit_from(seed, a, b, j++);
    const double x = std::sqrt(-2.0 * std::log(1.0 - u1)) * std::cos(2 * kPi * u2);
    double v = 1 + c * x;
    if (v <= 0) continue;
    v = v * v * v;
    const double u = unit_from(seed, a, b, j++);
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (std::log(1.0 - u + 1e-300) < 0.5 * x * x + d * (1 - v + std::log(v))) return d * v;
  }
}

}  // namespace

std::vector<double> hankel_transform(const std::vector<double>& f, double h, const std::vector<double>& q) {
  std::vector<double> out(q.size(), 0.0);
  const size_t n = f.size();
  for (size_t j = 0; j < q.size(); ++j) {
    double acc = 0;
    for (size_t k = 1; k < n; ++k) {
      const double s = static_cast<double>(k) * h;
      const double w = (k + 1 == n) ? 0.5 : 1.0;
      acc += w * f[k] * s * bessel_j0(2 * kPi * q[j] * s);
    }
    // Euler–Maclaurin end correction at s = 0 (the integrand f·s·J₀ has slope f(0) there).
    out[j] = 2 * kPi * h * acc + kPi * h * h * f[0] / 6;
  }
  return out;
}

FastModel::FastModel(std::vector<FastMaterial> materials, const FastModelParams& params, const DetectorModel& detector)
    : params_(params), det_(detector) {
  if (materials.empty()) throw std::invalid_argument("fast model: no materials");
  if (!(params.s_max > 0.5 && params.ds_model > 0 && params.ds_model < 0.1))
    throw std::invalid_argument("fast model: s_max " + format_number(params.s_max) + " Å⁻¹ / ds_model " + format_number(params.ds_model) +
                                " Å⁻¹ out of range");
  if (!(params.thermal_u_A2 >= 0)) throw std::invalid_argument("fast model: thermal U " + format_number(params.thermal_u_A2) + " Å² < 0");
  if (!(params.probe.alpha_mrad > 0)) throw std::invalid_argument("fast model: convergence semi-angle " + format_number(params.probe.alpha_mrad) + " mrad must be > 0");
  const double energy = params.probe.energy_keV * 1e3;
  if (!(energy > 0)) throw std::invalid_argument("fast model: beam energy " + format_number(params.probe.energy_keV) + " keV must be > 0");
  lambda_ = electron_wavelength(energy);
  sigma_ = interaction_constant(energy);
  if (!(params.mip_tolerance_rad > 0) || !(params.mip_window_A >= 0) || !(params.mip_pixel_A > 0))
    throw std::invalid_argument("fast model: MIP tolerance " + format_number(params.mip_tolerance_rad) + " rad, window " +
                                format_number(params.mip_window_A) + " Å, pixel " + format_number(params.mip_pixel_A) +
                                " Å: tolerance and pixel must be > 0, window >= 0");
  if (!(params.column_class_A > 0) || !std::isfinite(params.column_class_A))
    throw std::invalid_argument("fast model: column_class_A " + format_number(params.column_class_A) + " Å must be > 0");
  const double gamma = lorentz_factor(energy);
  s_alpha_ = params.probe.alpha_mrad * 1e-3 / lambda_;
  const double d_probe = probe_diameter_A(params.probe);
  modes_ = params.speckle_modes > 0 ? params.speckle_modes
                                    : 1 + std::pow(params.probe.source_size_A / std::max(d_probe, 1e-9), 2);
  params_.inelastic.energy_eV = energy;
  params_.inelastic.convergence_mrad = params.probe.alpha_mrad;
  params_.inelastic.materials.clear();

  // 1. Materials: S(s), single-scattering densities, mean free paths.
  const auto sf = make_scattering_factors(Radiation::Electron);
  const std::vector<double> s = uniform_grid(0, params.s_max, params.ds_model);
  const double h = s[1] - s[0];
  std::vector<std::vector<double>> pair_density;  // per material: the interference part ρ(γλ)²⟨f⟩²(S − 1)·DW
  for (FastMaterial& m : materials) {
    if (m.model.atoms.empty() || !m.model.cell.fully_periodic())
      throw std::invalid_argument("fast model: material '" + m.name + "' needs a non-empty, fully periodic model");
    FastMaterialInfo inf;
    inf.name = m.name;
    inf.number_density = m.model.number_density();
    inf.mass_density = m.model.mass_density_g_cm3();
    PartialPdfOptions po;
    po.dr = params.pdf_dr;
    po.r_max = std::min(params.pdf_r_max, m.model.cell.minimum_image_radius() - 1e-6);
    po.threads = params.threads;
    const PartialPdfs pp = smear_pairs_beyond(compute_partial_pdfs(m.model, po), m.smear_sigma_A, m.smear_r_intact_A);
    const TotalScattering ts = total_scattering(pp, *sf, s, true);
    inf.s = s;
    inf.S = ts.S;
    inf.d_coherent.resize(s.size());
    inf.d_thermal.resize(s.size());
    const double pref = inf.number_density * (gamma * lambda_) * (gamma * lambda_);
    double inv_mfp = 0;
    std::vector<double>& pd = pair_density.emplace_back(s.size());
    for (size_t k = 0; k < s.size(); ++k) {
      const double dw = std::exp(-4 * kPi * kPi * params.thermal_u_A2 * s[k] * s[k]);
      const double f1 = ts.f_mean[k], f2 = ts.f2_mean[k];
      pd[k] = pref * f1 * f1 * (ts.S[k] - 1) * dw;
      inf.d_coherent[k] = pref * std::max(0.0, (f2 + f1 * f1 * (ts.S[k] - 1)) * dw);
      inf.d_thermal[k] = pref * f2 * (1 - dw);
      const double w = (k == 0 || k + 1 == s.size()) ? 0.5 : 1.0;
      inv_mfp += w * (inf.d_coherent[k] + inf.d_thermal[k]) * 2 * kPi * s[k] * h;
    }
    inv_mfp += kPi * h * h * (inf.d_coherent[0] + inf.d_thermal[0]) / 6;  // end correction (hankel_transform)
    inf.mfp_elastic_A = 1 / inv_mfp;
    // Mean inner potential V₀ = C ρ ⟨f_e(0)⟩ (Kirkland 2010 eqs. 5.8–5.9; f_e non-relativistic, σ carries γ).
    inf.mean_inner_potential_V = potential_constant_VA2() * inf.number_density * ts.f_mean[0];
    {
      std::vector<double> fr(s.size());
      for (size_t k = 0; k < s.size(); ++k) fr[k] = ts.f_mean[0] > 0 ? ts.f_mean[k] / ts.f_mean[0] : 0.0;
      fe_ratio_.push_back(std::move(fr));
    }
    InelasticMaterial im = m.inelastic;
    im.name = m.name;
    im.number_density = inf.number_density;
    im.mass_density_g_cm3 = inf.mass_density;
    im.composition.clear();
    for (const CompositionEntry& c : m.model.composition()) im.composition.emplace_back(c.element, c.fraction);
    inf.mfp_plasmon_A = plasmon_mfp(im, params_.inelastic);
    inf.incoherent_per_A = incoherent_probability_per_A(im, params_.inelastic);
    const InelasticEvents ev = inelastic_events(im, params_.inelastic);
    inf.handover_s = ev.s_x;
    if (params_.inelastic.join == InelasticJoin::Continuous) {
      inf.inelastic_per_A = ev.total_per_A();  // core and tail, both as events
    } else {
      inf.inelastic_per_A = ev.lorentz_per_A;  // the Lorentzian as events, the closure part as a background
      inf.background_per_A = ev.tail_per_A;
    }
    events_.push_back(ev);
    params_.inelastic.materials.push_back(im);
    info_.push_back(std::move(inf));
  }

  // 2. Annuli over the detector, pixel → annulus weights and radial bins.
  const DetectorGeometry& g = det_.geometry();
  const double ds = g.ds(), aw = ds;  // annulus width: one pixel
  double rmax = 0;
  for (double y : {g.row_positions().front() - 0.5, g.row_positions().back() + 0.5})
    for (double x : {g.col_positions().front() - 0.5, g.col_positions().back() + 0.5})
      rmax = std::max(rmax, std::hypot(x - det_.centre_x(), y - det_.centre_y()));
  const size_t nb = static_cast<size_t>(std::ceil(rmax * ds / aw)) + 2;
  edges_.resize(nb + 1);
  for (size_t b = 0; b <= nb; ++b) edges_[b] = static_cast<double>(b) * aw;
  const std::vector<uint8_t> gap = det_.gap_mask();
  const size_t npx = g.n_pixels(), nx = g.nx();
  px_start_.assign(1, 0);
  px_s_.resize(npx);
  px_phi_.resize(npx);
  // Sub-sampling of a pixel at distance rc (pixels) from the centre: m × m points.
  auto m_of = [](double rc) { return rc < 3 ? 64 : (rc < 8 ? 16 : (rc < 24 ? 4 : 2)); };
  // Areas of the annuli as the sub-sampling sees them over the physical bounding box (gaps included): an
  // annulus inside the box is normalised by its sampled area (so its intensity is spread exactly), others
  // by the exact area (what falls outside the box is lost).
  std::vector<double> area_s(nb, 0.0);
  const double x_lo = g.col_positions().front(), x_hi = g.col_positions().back();
  const double y_lo = g.row_positions().front(), y_hi = g.row_positions().back();
  for (double Yp = y_lo; Yp <= y_hi + 1e-9; Yp += 1)
    for (double Xp = x_lo; Xp <= x_hi + 1e-9; Xp += 1) {
      const double X = Xp - det_.centre_x(), Y = Yp - det_.centre_y();
      const int m = m_of(std::hypot(X, Y));
      for (int a = 0; a < m; ++a)
        for (int b = 0; b < m; ++b) {
          const auto k = static_cast<size_t>(std::hypot(X - 0.5 + (b + 0.5) / m, Y - 0.5 + (a + 0.5) / m) * ds / aw);
          if (k < nb) area_s[k] += ds * ds / (m * m);
        }
    }
  const double r_in = std::min(std::min(det_.centre_x() - (x_lo - 0.5), (x_hi + 0.5) - det_.centre_x()),
                               std::min(det_.centre_y() - (y_lo - 0.5), (y_hi + 0.5) - det_.centre_y())) * ds;
  std::vector<std::map<uint32_t, double>> bin_map;
  for (size_t p = 0; p < npx; ++p) {
    const double X = g.col_position(p % nx) - det_.centre_x(), Y = g.row_position(p / nx) - det_.centre_y();
    const double rc = std::hypot(X, Y);
    px_s_[p] = rc * ds;
    px_phi_[p] = std::atan2(Y, X);
    if (!gap[p]) {
      const int m = m_of(rc);
      std::map<uint32_t, double> acc;
      for (int a = 0; a < m; ++a)
        for (int b = 0; b < m; ++b) {
          const double xs = X - 0.5 + (b + 0.5) / m, ys = Y - 0.5 + (a + 0.5) / m;
          const auto k = static_cast<uint32_t>(std::hypot(xs, ys) * ds / aw);
          acc[k] += 1.0 / (m * m);
        }
      const size_t bin = static_cast<size_t>(rc);
      if (bin_map.size() <= bin) {
        bin_map.resize(bin + 1);
        bin_s_.resize(bin + 1, 0.0);
        bin_pixels_.resize(bin + 1, 0.0);
      }
      bin_s_[bin] += px_s_[p];
      bin_pixels_[bin] += 1;
      for (const auto& [k, frac] : acc) {
        const double area = (edges_[k + 1] <= r_in && area_s[k] > 0)
                                ? area_s[k]
                                : kPi * (edges_[k + 1] * edges_[k + 1] - edges_[k] * edges_[k]);
        const double w = frac * ds * ds / area;
        px_ann_.push_back(k);
        px_w_.push_back(static_cast<float>(w));
        bin_map[bin][k] += w;
      }
    }
    px_start_.push_back(px_ann_.size());
  }
  for (size_t b = 0; b < bin_s_.size(); ++b) {
    if (bin_pixels_[b] > 0) bin_s_[b] /= bin_pixels_[b];
    else bin_s_[b] = (static_cast<double>(b) + 0.5) * ds;
    bin_ann_.emplace_back(bin_map[b].begin(), bin_map[b].end());
  }

  // 3. Hankel grid: dq = 1/(2 s_ext) (no aliasing of a pattern confined to s < s_ext), q ≤ q_max. The
  //    Hankel variable q (Å) is the real-space distance of the pair-distribution function, so a window W(q)
  //    multiplies G(r) by W(r): W = exp(−ln(10⁶)(q/q_max)⁸) is flat (> 0.99) to 0.4 q_max and 10⁻⁶ at q_max,
  //    q_max = max(1.2/Δs, 60 Å) — G(r) to ≥ 24 Å untouched, no ringing from the truncation.
  const double s_ext = std::max(params.s_max, edges_.back()) + 1.0;
  const double dq = 1 / (2 * s_ext);
  const double q_max = std::max(1.2 / ds, 60.0);
  const size_t nq = static_cast<size_t>(q_max / dq) + 1;
  q_.resize(nq);
  for (size_t j = 0; j < nq; ++j) q_[j] = static_cast<double>(j) * dq;
  disc_.resize(nq);
  window_.resize(nq);
  for (size_t j = 0; j < nq; ++j) {
    const double x = 2 * kPi * q_[j] * s_alpha_;
    const double d = j == 0 ? 1.0 : 2 * bessel_j1(x) / x;
    disc_[j] = d;
    window_[j] = std::exp(-std::log(1e6) * std::pow(q_[j] / q_max, 8));
  }
  c_matrix_.assign((nb + 1) * nq, 0.0);
  const int threads = params.threads > 0 ? params.threads : omp_get_max_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
  for (long b = 0; b <= static_cast<long>(nb); ++b) {
    const double r = edges_[static_cast<size_t>(b)];
    for (size_t j = 1; j < nq; ++j) {
      const double w = (j + 1 == nq) ? 0.5 : 1.0;
      c_matrix_[static_cast<size_t>(b) * nq + j] = w * dq * 2 * kPi * r * bessel_j1(2 * kPi * q_[j] * r);
    }
  }
  // MIP rings: nodes s_r = r·w (w = a quarter annulus) up to 2 Å⁻¹ (or the detector), J₀(2π q_j s_r).
  if (params.mean_inner_potential) {
    ring_w_ = aw / 4;
    n_rings_ = static_cast<size_t>(std::ceil(std::min(2.0, edges_.back()) / ring_w_)) + 2;
    ring_j0_.assign(n_rings_ * nq, 0.0);
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
    for (long r = 0; r < static_cast<long>(n_rings_); ++r) {
      const double sr = static_cast<double>(r) * ring_w_;
      for (size_t j = 0; j < nq; ++j)
        ring_j0_[static_cast<size_t>(r) * nq + j] = bessel_j0(2 * kPi * q_[j] * sr);
    }
  }
  // p̂ per material (resolved up to q = 1/(4h); beyond, p̂ = 0: the singly scattered distribution has no
  // structure finer than 4h), K̂ per material.
  const size_t nm = info_.size();
  p_hat_.assign(nm, std::vector<double>(nq, 0.0));
  pair_hat_.assign(nm, std::vector<double>(nq, 0.0));
  k_hat_.assign(nm, std::vector<double>(nq, 1.0));
  const double q_res = 1 / (4 * h);
  std::vector<std::vector<double>> pnorm(nm), ppair(nm);
  for (size_t m = 0; m < nm; ++m) {
    pnorm[m].resize(s.size());
    ppair[m].resize(s.size());
    for (size_t k = 0; k < s.size(); ++k) {
      pnorm[m][k] = (info_[m].d_coherent[k] + info_[m].d_thermal[k]) * info_[m].mfp_elastic_A;
      ppair[m][k] = pair_density[m][k] * info_[m].mfp_elastic_A;
    }
  }
#pragma omp parallel for num_threads(threads) schedule(dynamic, 4)
  for (long jl = 0; jl < static_cast<long>(nq); ++jl) {
    const size_t j = static_cast<size_t>(jl);
    if (q_[j] > q_res) continue;
    std::vector<double> acc(nm, 0.0), accp(nm, 0.0);
    for (size_t k = 1; k < s.size(); ++k) {
      const double w = (k + 1 == s.size() ? 0.5 : 1.0) * s[k] * bessel_j0(2 * kPi * q_[j] * s[k]);
      for (size_t m = 0; m < nm; ++m) {
        acc[m] += w * pnorm[m][k];
        accp[m] += w * ppair[m][k];
      }
    }
    for (size_t m = 0; m < nm; ++m) {
      p_hat_[m][j] = 2 * kPi * h * acc[m] + kPi * h * h * pnorm[m][0] / 6;
      pair_hat_[m][j] = 2 * kPi * h * accp[m] + kPi * h * h * ppair[m][0] / 6;
    }
  }
  if (params_.inelastic.join == InelasticJoin::Continuous) {
    // Joint kernel: K̂ = [r_L K̂_L(q; s_E, s_x) + ∫_{s_x}^{s_t} D(s) J₀(2πqs) 2πs ds] / (r_L + r_tail), the
    // closure tail D on its own Simpson grid from s_x (its edge is not a node of the model grid) to s_t, the
    // model's reach; K̂(0) < 1 is what leaves the grid (lost, like the elastic scattering beyond s_t).
    const double s_t = std::max(params.s_max, edges_.back());
    for (size_t m = 0; m < nm; ++m) {
      const InelasticEvents& ev = events_[m];
      const double rate = ev.total_per_A();
      if (!(rate > 0)) continue;
      const InelasticMaterial& im = params_.inelastic.materials[m];
      std::vector<double> ts, tw;  // tail nodes s and Simpson weights × D(s) 2πs
      if (ev.tail_per_A > 0 && s_t > ev.s_x) {
        size_t n = std::max<size_t>(2000, static_cast<size_t>(16 * q_.back() * (s_t - ev.s_x)));
        n += n % 2;
        const double hs = (s_t - ev.s_x) / static_cast<double>(n);
        ts.resize(n + 1);
        tw.resize(n + 1);
        for (size_t k = 0; k <= n; ++k) {
          ts[k] = ev.s_x + hs * static_cast<double>(k);
          const double w = (k == 0 || k == n) ? 1.0 : (k % 2 ? 4.0 : 2.0);
          tw[k] = w * hs / 3 * joint_density(ev, im, params_.inelastic, std::max(ts[k], ev.s_x * (1 + 1e-12))) * 2 * kPi * ts[k];
        }
      }
      std::vector<double>& kh = k_hat_[m];
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
      for (long jl = 0; jl < static_cast<long>(nq); ++jl) {
        const size_t j = static_cast<size_t>(jl);
        double tail = 0;
        for (size_t k = 0; k < ts.size(); ++k) tail += tw[k] * bessel_j0(2 * kPi * q_[j] * ts[k]);
        const double core = ev.lorentz_per_A > 0 ? ev.lorentz_per_A * plasmon_kernel_hankel(q_[j], ev.s_E, ev.s_x) : 0.0;
        kh[j] = (core + tail) / rate;
      }
    }
  } else if (params_.inelastic.plasmon) {
    for (size_t m = 0; m < nm; ++m) {
      const InelasticEvents& ev = events_[m];
      std::vector<double>& kh = k_hat_[m];
#pragma omp parallel for num_threads(threads) schedule(dynamic, 8)
      for (long j = 0; j < static_cast<long>(nq); ++j)
        kh[static_cast<size_t>(j)] = plasmon_kernel_hankel(q_[static_cast<size_t>(j)], ev.s_E, ev.s_c);
    }
  }
  // Coherent single-scattering and background distributions per annulus (4-point midpoint rule).
  coh_ann_.assign(nm, std::vector<double>(nb, 0.0));
  bg_ann_.assign(nm, std::vector<double>(nb, 0.0));
  for (size_t m = 0; m < nm; ++m)
    for (size_t b = 0; b < nb; ++b) {
      double c = 0, bg = 0;
      for (int k = 0; k < 4; ++k) {
        const double sm = edges_[b] + (k + 0.5) * aw / 4;
        const double u = sm / h;
        const size_t i = static_cast<size_t>(u);
        double dc = 0;
        if (i + 1 < s.size()) dc = (1 - (u - static_cast<double>(i))) * info_[m].d_coherent[i] + (u - static_cast<double>(i)) * info_[m].d_coherent[i + 1];
        const double ring = 2 * kPi * sm * aw / 4;
        c += dc * ring;
        if (info_[m].background_per_A > 0)
          bg += incoherent_background_density(params_.inelastic.materials[m], params_.inelastic, sm) * ring;
      }
      coh_ann_[m][b] = c * info_[m].mfp_elastic_A;
      bg_ann_[m][b] = info_[m].background_per_A > 0 ? bg / info_[m].background_per_A : 0.0;
    }
}

void FastModel::annuli(const std::vector<double>& t, std::vector<double>& total, std::vector<double>& coherent) const {
  std::vector<std::vector<double>> tot, coh;
  annuli_batch({t}, tot, coh);
  total = std::move(tot[0]);
  coherent = std::move(coh[0]);
}

void FastModel::annuli_batch(const std::vector<std::vector<double>>& ts, std::vector<std::vector<double>>& totals,
                             std::vector<std::vector<double>>& coherents) const {
  annuli_core(ts, std::vector<const BeamDistribution*>(ts.size(), nullptr), totals, coherents);
}

void FastModel::annuli_core(const std::vector<std::vector<double>>& ts, const std::vector<const BeamDistribution*>& beams,
                            std::vector<std::vector<double>>& totals, std::vector<std::vector<double>>& coherents) const {
  const size_t nm = info_.size(), nbat = ts.size();
  const size_t nq = q_.size(), nb = edges_.size() - 1;
  std::vector<std::vector<double>> ih(nbat, std::vector<double>(nq));
  std::vector<double> i0(nbat), aq(nbat), xs(nbat), ys(nbat), pincs(nbat);
  std::vector<std::vector<double>> xms(nbat, std::vector<double>(nm));
  std::vector<std::vector<double>> xcoh(nbat);  // column classes: Σ_c w_c e^{−x_c−y_c} x_{c,m} (else empty)
  std::vector<double> p0s(nbat);                // unscattered fraction
  for (size_t i = 0; i < nbat; ++i) {
    const std::vector<double>& t = ts[i];
    if (t.size() != nm)
      throw std::invalid_argument("fast model: " + std::to_string(t.size()) + " thicknesses for " + std::to_string(nm) + " materials");
    double x = 0, y = 0, pinc = 0;
    std::vector<double> ym(nm);
    std::vector<double>& xm = xms[i];
    for (size_t m = 0; m < nm; ++m) {
      if (!(std::isfinite(t[m]) && t[m] >= 0)) throw std::invalid_argument("fast model: thickness " + format_number(t[m]) + " Å must be >= 0");
      xm[m] = t[m] / info_[m].mfp_elastic_A;
      ym[m] = t[m] * info_[m].inelastic_per_A;
      x += xm[m];
      y += ym[m];
      pinc += t[m] * info_[m].background_per_A;
    }
    if (pinc >= 1)
      throw std::invalid_argument("fast model: incoherent scattering probability " + format_number(pinc) + " >= 1 at this thickness");
    std::vector<double>& h = ih[i];
    // The beam's angular distribution: the disc D̂, or B̂ of a laterally inhomogeneous column (physics 4a).
    const bool mip = beams[i] != nullptr && !beams[i]->uniform;
    if (mip && (beams[i]->b_hat.size() != nq || beams[i]->delta_annuli.size() != nb))
      throw std::invalid_argument("fast model: beam distribution of another model (" + std::to_string(beams[i]->b_hat.size()) +
                                  " transform points, " + std::to_string(nq) + " expected)");
    const std::vector<double>& disc = mip ? beams[i]->b_hat : disc_;
    const std::vector<std::vector<double>>* env = beams[i] != nullptr && !beams[i]->pair_envelope.empty()
                                                      ? &beams[i]->pair_envelope : nullptr;
    if (env && (env->size() != nm || std::any_of(env->begin(), env->end(), [&](const std::vector<double>& e) {
                  return !e.empty() && e.size() != nq;
                })))
      throw std::invalid_argument("fast model: domain envelope of another model or material count");
    // Column classes (physics 4c): each class attenuated and plurally scattered by its own column.
    const BeamDistribution* bd = beams[i];
    const bool classes = bd != nullptr && bd->class_weight.size() >= 2;
    std::vector<double> cw, cx, cy;          // per class: weight, x_c, y_c
    std::vector<std::vector<double>> cxm, cym;  // per class and material
    double unscattered = std::exp(-x - y);
    if (classes) {
      if (bd->class_t.size() != bd->class_weight.size() ||
          std::any_of(bd->class_t.begin(), bd->class_t.end(), [&](const std::vector<double>& v) { return v.size() != nm; }))
        throw std::invalid_argument("fast model: column classes of another model or material count");
      unscattered = 0;
      for (size_t c = 0; c < bd->class_weight.size(); ++c) {
        std::vector<double> a(nm), b(nm);
        double xc = 0, yc = 0, pc = 0;
        for (size_t m = 0; m < nm; ++m) {
          const double tc = bd->class_t[c][m];
          if (!(std::isfinite(tc) && tc >= 0)) throw std::invalid_argument("fast model: column class thickness " + format_number(tc) + " Å must be >= 0");
          a[m] = tc / info_[m].mfp_elastic_A;
          b[m] = tc * info_[m].inelastic_per_A;
          xc += a[m];
          yc += b[m];
          pc += tc * info_[m].background_per_A;
        }
        if (pc >= 1)
          throw std::invalid_argument("fast model: incoherent scattering probability " + format_number(pc) + " >= 1 in a column class");
        // The class's own share not scattered incoherently, (1 − p_c)/(1 − p̄): the total below multiplies by
        // (1 − p̄), and p̄ = Σ_c w_c p_c (p is linear in t), so these weights still sum to 1.
        cw.push_back(bd->class_weight[c] * (1 - pc) / (1 - pinc));
        cx.push_back(xc);
        cy.push_back(yc);
        cxm.push_back(std::move(a));
        cym.push_back(std::move(b));
        unscattered += cw.back() * std::exp(-xc - yc);
      }
      xcoh[i].assign(nm, 0.0);
      for (size_t c = 0; c < cw.size(); ++c)
        for (size_t m = 0; m < nm; ++m) xcoh[i][m] += cw[c] * std::exp(-cx[c] - cy[c]) * cxm[c][m];
    }
    std::vector<double> pa(nm), kb(nm);
    for (size_t j = 0; j < nq; ++j) {
      double full;
      if (!classes) {
        double el = 0, pl = 0;
        for (size_t m = 0; m < nm; ++m) {
          el += xm[m] * p_hat_[m][j];
          pl += ym[m] * (k_hat_[m][j] - 1);
        }
        // The domain envelope acts on the pair (interference) part only; an atom is always in its own phase.
        if (env)
          for (size_t m = 0; m < nm; ++m)
            if (!(*env)[m].empty()) el += xm[m] * ((*env)[m][j] - 1.0) * pair_hat_[m][j];
        full = params_.plural ? disc[j] * std::exp(el - x + pl) : disc[j] * std::exp(pl - x) * (1 + el);
      } else {
        for (size_t m = 0; m < nm; ++m) {
          pa[m] = p_hat_[m][j];
          if (env && !(*env)[m].empty()) pa[m] += ((*env)[m][j] - 1.0) * pair_hat_[m][j];
          kb[m] = k_hat_[m][j] - 1;
        }
        double sum = 0;
        for (size_t c = 0; c < cw.size(); ++c) {
          double el = 0, pl = 0;
          for (size_t m = 0; m < nm; ++m) {
            el += cxm[c][m] * pa[m];
            pl += cym[c][m] * kb[m];
          }
          sum += cw[c] * (params_.plural ? std::exp(el - cx[c] + pl) : std::exp(pl - cx[c]) * (1 + el));
        }
        full = disc[j] * sum;
      }
      // The unscattered beam (e^{−x−y}, or Σ_c w_c e^{−x_c−y_c})·disc is integrated over the annuli exactly
      // below; the windowed transform carries the rest (no sharp disc edge left to ring).
      h[j] = (full - unscattered * disc[j]) * window_[j];
    }
    p0s[i] = unscattered;
    // C(r) = ∫ Î(q) 2πr J₁(2πqr) dq by the trapezoid rule after subtracting G(q) = Î(0) exp(−a q²) with
    // a = (Î(0) − Î(dq))/dq², whose C is analytic, Î(0)(1 − exp(−π²r²/a)): the remainder is O(q⁴) at q = 0,
    // so the rule's end corrections (which grow as r², r⁴ …) vanish to O(dq⁶).
    i0[i] = h[0];
    aq[i] = std::max((h[0] - h[1]) / (q_[1] * q_[1]), 1e-6);
    // exp(−a q_j²) by the recurrence g_j = g_{j−1}·r_j, r_j = r_{j−1}·e^{−2a dq²} (q_j = j·dq).
    {
      const double dq = q_[1], c2 = std::exp(-2 * aq[i] * dq * dq);
      double g = 1, r = std::exp(-aq[i] * dq * dq);
      for (size_t j = 0; j < nq; ++j) {
        if (j % 64 == 0) {  // restart from the exponential to keep rounding small
          g = std::exp(-aq[i] * q_[j] * q_[j]);
          r = std::exp(-aq[i] * dq * dq * static_cast<double>(2 * j + 1));
        }
        h[j] -= i0[i] * g;
        g *= r;
        r *= c2;
      }
    }
    xs[i] = x;
    ys[i] = y;
    pincs[i] = pinc;
  }
  // One pass over the matrix for the whole batch: Î stored transposed (q-major) so the inner loop runs over
  // the batch with independent accumulators.
  std::vector<double> iht(nq * nbat);
  for (size_t i = 0; i < nbat; ++i)
    for (size_t j = 0; j < nq; ++j) iht[j * nbat + i] = ih[i][j];
  std::vector<std::vector<double>> c(nbat, std::vector<double>(nb + 1));
  std::vector<double> acc(nbat);
  for (size_t b = 0; b <= nb; ++b) {
    const double* row = &c_matrix_[b * nq];
    const double r2 = kPi * kPi * edges_[b] * edges_[b];
    std::fill(acc.begin(), acc.end(), 0.0);
    if (nbat == 1) {
      // Four independent partial sums (the adds are otherwise latency-bound).
      const double* h = iht.data();
      double a0 = 0, a1 = 0, a2 = 0, a3 = 0;
      size_t j = 0;
      for (; j + 4 <= nq; j += 4) {
        a0 += row[j] * h[j];
        a1 += row[j + 1] * h[j + 1];
        a2 += row[j + 2] * h[j + 2];
        a3 += row[j + 3] * h[j + 3];
      }
      for (; j < nq; ++j) a0 += row[j] * h[j];
      acc[0] = (a0 + a1) + (a2 + a3);
    } else {
      for (size_t j = 0; j < nq; ++j) {
        const double rj = row[j];
        const double* h = &iht[j * nbat];
        for (size_t i = 0; i < nbat; ++i) acc[i] += rj * h[i];
      }
    }
    for (size_t i = 0; i < nbat; ++i) c[i][b] = acc[i] + i0[i] * -std::expm1(-r2 / aq[i]);
  }
  totals.resize(nbat);
  coherents.resize(nbat);
  for (size_t i = 0; i < nbat; ++i) {
    std::vector<double>& total = totals[i];
    std::vector<double>& coherent = coherents[i];
    total.resize(nb);
    coherent.assign(nb, 0.0);
    const double pinc = pincs[i];
    const double coh_w = std::exp(-xs[i] - ys[i]) * (1 - pinc);
    const double p0 = p0s[i], sa2 = s_alpha_ * s_alpha_;
    for (size_t b = 0; b < nb; ++b) {
      double disc = p0 * (std::min(edges_[b + 1] * edges_[b + 1], sa2) - std::min(edges_[b] * edges_[b], sa2)) / sa2;
      if (beams[i] != nullptr && !beams[i]->uniform) disc += p0 * beams[i]->delta_annuli[b];
      double v = (c[i][b + 1] - c[i][b] + disc) * (1 - pinc);
      for (size_t m = 0; m < nm; ++m) {
        v += ts[i][m] * info_[m].background_per_A * bg_ann_[m][b];
        coherent[b] += xcoh[i].empty() ? coh_w * xms[i][m] * coh_ann_[m][b] : (1 - pinc) * xcoh[i][m] * coh_ann_[m][b];
      }
      total[b] = std::max(v, 0.0);
      coherent[b] = std::min(coherent[b], total[b]);
    }
  }
}

void FastModel::mean_pattern(const std::vector<double>& t, std::vector<double>& fraction) const {
  std::vector<double> tot, coh;
  annuli(t, tot, coh);
  fraction_from_annuli(tot, fraction);
}

void FastModel::fraction_from_annuli(const std::vector<double>& tot, std::vector<double>& fraction) const {
  const size_t npx = px_s_.size();
  fraction.assign(npx, 0.0);
  for (size_t p = 0; p < npx; ++p) {
    double v = 0;
    for (size_t k = px_start_[p]; k < px_start_[p + 1]; ++k) v += px_w_[k] * tot[px_ann_[k]];
    fraction[p] = v;
  }
}

void FastModel::speckle_cell(double s, double phi, double t_total, uint64_t& cell, double& grains_per_pixel) const {
  // Cells of side a = √π s_α (area π s_α², the aperture disc), radially shrunk by n_z = 1 + 2λ s s_α t:
  // ring coordinate u(s) = ∫₀^s n_z ds'/a = (s + λ s_α t s²)/a; sectors of arc length ≈ a.
  const double a = std::sqrt(kPi) * s_alpha_;
  const double k = lambda_ * s_alpha_ * t_total;
  const double ring = std::floor((s + k * s * s) / a);
  const double u_mid = ring + 0.5;
  const double s_mid = k > 0 ? (-1 + std::sqrt(1 + 4 * k * u_mid * a)) / (2 * k) : u_mid * a;
  const double nsec = std::max(1.0, std::floor(2 * kPi * s_mid / a));
  const double sector = std::floor((phi + kPi) / (2 * kPi) * nsec);
  cell = (static_cast<uint64_t>(ring) << 24) ^ static_cast<uint64_t>(sector);
  const double nz = 1 + 2 * lambda_ * s * s_alpha_ * t_total;
  const double ds = det_.geometry().ds();
  grains_per_pixel = ds * ds * nz / (kPi * s_alpha_ * s_alpha_);
}

namespace {
/// Gamma(k)/k speckle factor (mean 1, variance 1/k); k = 1: exponential, −ln(1 − u).
double speckle_factor(double k, uint64_t seed, uint64_t a, uint64_t b) {
  if (k == 1.0) return -std::log1p(-counter_uniform(seed, a, b, 0));
  return counter_gamma(k, seed, a, b) / k;
}
}  // namespace

void FastModel::pattern(const std::vector<double>& t, uint64_t seed, uint64_t position, std::vector<double>& fraction) const {
  if (!params_.speckle) return mean_pattern(t, fraction);
  std::vector<double> tot, coh;
  annuli(t, tot, coh);
  pattern_from_annuli(t, tot, coh, seed, position, fraction);
}

void FastModel::pattern_from_annuli(const std::vector<double>& t, const std::vector<double>& tot,
                                    const std::vector<double>& coh, uint64_t seed, uint64_t position,
                                    std::vector<double>& fraction) const {
  double ttot = 0;
  for (double v : t) ttot += v;
  const uint64_t sseed = counter_hash(seed, kSpeckleStream, 0, 0);
  const size_t npx = px_s_.size();
  fraction.assign(npx, 0.0);
  // Speckle cells (see speckle_cell): ring index from u(s), sectors per ring tabulated for this thickness.
  const double a = std::sqrt(kPi) * s_alpha_;
  const double kq = lambda_ * s_alpha_ * ttot;
  const double ds = det_.geometry().ds();
  const double g_px = ds * ds / (kPi * s_alpha_ * s_alpha_);
  std::vector<double> nsec;
  std::vector<size_t> ring_first;  // index of the ring's first cell in `cell_g`
  std::vector<double> cell_g;      // the speckle factor of each cell, drawn on first use (NaN: not yet)
  for (size_t p = 0; p < npx; ++p) {
    if (px_start_[p] == px_start_[p + 1]) continue;
    double vt = 0, vc = 0;
    for (size_t k = px_start_[p]; k < px_start_[p + 1]; ++k) {
      vt += px_w_[k] * tot[px_ann_[k]];
      vc += px_w_[k] * coh[px_ann_[k]];
    }
    double g = 1;
    if (vc > 0) {
      const double sp = px_s_[p];
      const double gpp = g_px * (1 + 2 * lambda_ * sp * s_alpha_ * ttot);
      if (gpp > 1) {  // the pixel integrates several grains: its own Gamma(M·grains)
        g = speckle_factor(modes_ * gpp, sseed, position, (1ULL << 62) | p);
      } else {
        const size_t ring = static_cast<size_t>((sp + kq * sp * sp) / a);
        if (ring >= nsec.size()) {
          const size_t old = nsec.size();
          nsec.resize(ring + 1);
          for (size_t r = old; r <= ring; ++r) {
            const double u_mid = static_cast<double>(r) + 0.5;
            const double s_mid = kq > 0 ? (-1 + std::sqrt(1 + 4 * kq * u_mid * a)) / (2 * kq) : u_mid * a;
            nsec[r] = std::max(1.0, std::floor(2 * kPi * s_mid / a));
            ring_first.push_back(cell_g.size());
            cell_g.resize(cell_g.size() + static_cast<size_t>(nsec[r]), std::nan(""));
          }
        }
        const size_t sector = std::min(static_cast<size_t>(nsec[ring]) - 1,
                                       static_cast<size_t>((px_phi_[p] + kPi) / (2 * kPi) * nsec[ring]));
        double& gc = cell_g[ring_first[ring] + sector];
        if (std::isnan(gc)) {
          const uint64_t cell = (static_cast<uint64_t>(ring) << 24) ^ static_cast<uint64_t>(sector);
          gc = speckle_factor(modes_, sseed, position, cell);
        }
        g = gc;
      }
    }
    fraction[p] = (vt - vc) + g * vc;
  }
}

namespace {
/// |FFT[p·o]|²/Σ for a probe p and an object transmission o on the grid, normalised to Σ = 1.
std::vector<double> beam_from_probe(const std::vector<std::complex<double>>& p, const WaveGrid& grid, const ComplexField& o) {
  const size_t npx = grid.n * grid.n;
  ComplexField w(npx);
  for (size_t i = 0; i < npx; ++i) w[i] = p[i] * o[i];
  make_fftw_kernel(grid.n)->forward(w.data());
  std::vector<double> b(npx);
  double sum = 0;
  for (size_t i = 0; i < npx; ++i) {
    b[i] = std::norm(w[i]);
    sum += b[i];
  }
  // |o| = 1: Parseval gives Σ = n² (make_probe normalises Σ|p|² = 1); the thick-object filter changes |o|.
  for (double& v : b) v /= sum;
  return b;
}
/// Azimuthal average of a real lag field a (n × n, FFTW order: lag index i ↔ i or i − n pixels) on nodes at
/// k pixels (tent weights), k = 0 … n/2.
std::vector<double> radial_lag_average(const RealField& a, size_t n) {
  const size_t nr = n / 2 + 2;
  std::vector<double> sum(nr, 0.0), wsum(nr, 0.0);
  for (size_t iy = 0; iy < n; ++iy) {
    const double dy = static_cast<double>(iy <= n / 2 ? static_cast<long>(iy) : static_cast<long>(iy) - static_cast<long>(n));
    for (size_t ix = 0; ix < n; ++ix) {
      const double dx = static_cast<double>(ix <= n / 2 ? static_cast<long>(ix) : static_cast<long>(ix) - static_cast<long>(n));
      const double u = std::hypot(dx, dy);
      const auto k = static_cast<size_t>(u);
      if (k + 1 >= nr) continue;
      const double f = u - static_cast<double>(k);
      sum[k] += (1 - f) * a[iy * n + ix];
      wsum[k] += 1 - f;
      sum[k + 1] += f * a[iy * n + ix];
      wsum[k + 1] += f;
    }
  }
  std::vector<double> out(nr - 1, 0.0);
  for (size_t k = 0; k + 1 < nr; ++k) out[k] = wsum[k] > 0 ? sum[k] / wsum[k] : 0.0;
  return out;
}

/// Column classes (fast_model.hpp, physics 4c): the map's pixels grouped by their thickness vector rounded to
/// `quantum` Å per material; per class the probe-intensity weight and the intensity-weighted mean thickness
/// of each material. Classes below 1e-6 of the intensity are dropped (their share goes to the others), and
/// every material's class thicknesses are rescaled so that Σ_c w_c t_c = out.mean_t (the probe average the
/// caller set), which keeps the single-scattering (linear) terms exactly those of the probe-averaged column.
/// One class left: none stored (the probe-averaged column is then exact).
void column_classes(const std::vector<std::complex<double>>& probe, const ColumnMap& map, double quantum,
                    BeamDistribution& out) {
  const size_t npx = map.n * map.n, nm = map.t.size();
  using Acc = std::map<std::vector<long>, std::pair<double, std::vector<double>>>;  // key → (Σw, Σ w t)
  Acc acc;
  std::vector<long> key(nm);
  Acc::iterator last = acc.end();  // neighbouring pixels mostly share their class: skip the tree look-up
  for (size_t i = 0; i < npx; ++i) {
    const double w = std::norm(probe[i]);
    if (!(w > 0)) continue;
    for (size_t m = 0; m < nm; ++m) key[m] = std::lround(map.t[m][i] / quantum);
    if (last == acc.end() || last->first != key) {
      last = acc.try_emplace(key, 0.0, std::vector<double>(nm, 0.0)).first;
    }
    auto& a = last->second;
    a.first += w;
    for (size_t m = 0; m < nm; ++m) a.second[m] += w * map.t[m][i];
  }
  double wsum = 0;
  for (const auto& [k, a] : acc) wsum += a.first;
  std::vector<double> wt;
  std::vector<std::vector<double>> tt;
  for (const auto& [k, a] : acc) {
    if (!(a.first > 1e-6 * wsum)) continue;
    wt.push_back(a.first);
    std::vector<double> t(nm);
    for (size_t m = 0; m < nm; ++m) t[m] = a.second[m] / a.first;
    tt.push_back(std::move(t));
  }
  if (wt.size() < 2) return;
  double kept = 0;
  for (double w : wt) kept += w;
  for (double& w : wt) w /= kept;
  for (size_t m = 0; m < nm; ++m) {
    double mean = 0;
    for (size_t c = 0; c < wt.size(); ++c) mean += wt[c] * tt[c][m];
    const double f = mean > 0 ? out.mean_t[m] / mean : 0.0;
    for (size_t c = 0; c < wt.size(); ++c) tt[c][m] = mean > 0 ? tt[c][m] * f : out.mean_t[m];
  }
  out.class_weight = std::move(wt);
  out.class_t = std::move(tt);
}

/// Domain envelopes E_p(q) (fast_model.hpp, physics 4b) on the Hankel grid q for the wave ψ = P·o on the
/// map (o = nullptr: o = 1). `spectrum`, when given, is |FFT ψ|² already computed (the beam distribution,
/// any scale), so that ψ's own autocorrelation needs one inverse transform only. Materials with a constant
/// map get an empty entry (E = 1).
std::vector<std::vector<double>> domain_envelopes(const std::vector<std::complex<double>>& probe, const ComplexField* o,
                                                  const ColumnMap& map, const std::vector<double>& q,
                                                  const std::vector<double>* spectrum = nullptr) {
  const size_t n = map.n, npx = n * n, nm = map.t.size();
  const auto fft = make_fftw_kernel(n);
  // Re ACF by Wiener–Khinchin: IFFT of the power spectrum, azimuthally averaged; the scale cancels in E.
  auto acf_of_power = [&](ComplexField& w) {
    fft->inverse(w.data());
    RealField re(npx);
    for (size_t i = 0; i < npx; ++i) re[i] = w[i].real();
    return radial_lag_average(re, n);
  };
  auto acf = [&](const std::vector<double>* t) {
    ComplexField w(npx);
    for (size_t i = 0; i < npx; ++i) {
      Complex v = probe[i];
      if (o) v *= (*o)[i];
      if (t) v *= std::sqrt((*t)[i]);
      w[i] = v;
    }
    fft->forward(w.data());
    for (Complex& c : w) c = Complex(std::norm(c), 0.0);
    return acf_of_power(w);
  };
  std::vector<double> a_all;
  if (spectrum) {
    ComplexField w(npx);
    for (size_t i = 0; i < npx; ++i) w[i] = Complex((*spectrum)[i], 0.0);
    a_all = acf_of_power(w);
  } else {
    a_all = acf(nullptr);
  }
  std::vector<std::vector<double>> env(nm);
  for (size_t m = 0; m < nm; ++m) {
    const std::vector<double>& t = map.t[m];
    if (std::all_of(t.begin(), t.end(), [&](double v) { return v == t[0]; })) continue;
    const std::vector<double> a_m = acf(&t);
    if (!(a_m[0] > 0)) continue;  // no phase m under the probe: x_m = 0, E irrelevant
    std::vector<double>& e = env[m];
    e.assign(q.size(), 1.0);
    // Where the probe's own ACF has decayed (< 1e-3 of its peak) the ratio is noise and carries no weight
    // (the beam factor B̂ ≈ A/A(0) multiplies it): hold the last reliable value.
    double last = 1.0;
    const double kmax = static_cast<double>(a_all.size() - 1);
    for (size_t j = 0; j < q.size(); ++j) {
      const double u = q[j] / map.pixel_A;
      if (u >= kmax) {
        e[j] = last;
        continue;
      }
      const auto k = static_cast<size_t>(u);
      const double f = u - static_cast<double>(k);
      const double aa = (1 - f) * a_all[k] + f * a_all[k + 1];
      const double am = (1 - f) * a_m[k] + f * a_m[k + 1];
      if (!(std::fabs(aa) > 1e-3 * a_all[0])) {
        e[j] = last;
        continue;
      }
      last = std::clamp(am / a_m[0] * a_all[0] / aa, 0.0, 1.5);
      e[j] = last;
    }
  }
  return env;
}

}  // namespace

std::vector<double> beam_angular_distribution(const ProbeSpec& probe, const WaveGrid& grid, double x0_A, double y0_A,
                                              const std::vector<double>& phase_rad) {
  grid.check("beam_angular_distribution");
  if (phase_rad.size() != grid.n * grid.n)
    throw std::invalid_argument("beam_angular_distribution: " + std::to_string(phase_rad.size()) + " phase samples for a " +
                                std::to_string(grid.n) + " × " + std::to_string(grid.n) + " grid");
  ComplexField o(phase_rad.size());
  for (size_t i = 0; i < o.size(); ++i) {
    if (!std::isfinite(phase_rad[i])) throw std::invalid_argument("beam_angular_distribution: phase " + format_number(phase_rad[i]) + " rad");
    o[i] = std::polar(1.0, phase_rad[i]);
  }
  return beam_from_probe(make_probe(probe, grid, x0_A, y0_A), grid, o);
}

FastModel::MapGrid FastModel::cached_grid(const WaveGrid& grid, double x0_A, double y0_A) const {
  // One entry (the last grid and position): FastPatternSource asks for the same one at every position.
  std::lock_guard<std::mutex> lock(probe_cache_->mutex);
  ProbeCache& c = *probe_cache_;
  if (!c.grid.probe || c.n != grid.n || c.pixel != grid.pixel_A || c.x0 != x0_A || c.y0 != y0_A) {
    c.grid.probe = std::make_shared<const std::vector<std::complex<double>>>(make_probe(params_.probe, grid, x0_A, y0_A));
    auto k = std::make_shared<std::vector<double>>(grid.n * grid.n);
    for (size_t iy = 0; iy < grid.n; ++iy)
      for (size_t ix = 0; ix < grid.n; ++ix) (*k)[iy * grid.n + ix] = std::hypot(grid.freq(ix), grid.freq(iy));
    c.grid.kabs = std::move(k);
    c.n = grid.n;
    c.pixel = grid.pixel_A;
    c.x0 = x0_A;
    c.y0 = y0_A;
  }
  return c.grid;
}

BeamDistribution FastModel::beam(const ColumnMap& map) const {
  const size_t nm = info_.size(), n = map.n;
  if (n < 2 || !(map.pixel_A > 0) || !std::isfinite(map.probe_x_A) || !std::isfinite(map.probe_y_A))
    throw std::invalid_argument("fast model: column map of " + std::to_string(n) + " × " + std::to_string(n) + " samples of " +
                                format_number(map.pixel_A) + " Å (needs n >= 2, pixel > 0, a finite probe position)");
  if (map.t.size() != nm)
    throw std::invalid_argument("fast model: column map with " + std::to_string(map.t.size()) + " thickness maps for " +
                                std::to_string(nm) + " materials");
  if (!map.mean_t.empty() && map.mean_t.size() != nm)
    throw std::invalid_argument("fast model: column map with " + std::to_string(map.mean_t.size()) + " mean thicknesses for " +
                                std::to_string(nm) + " materials");
  const size_t npx = n * n;
  BeamDistribution out;
  std::vector<double> phi(npx, 0.0);
  bool constant = true;
  for (size_t m = 0; m < nm; ++m) {
    const std::vector<double>& t = map.t[m];
    if (t.size() != npx)
      throw std::invalid_argument("fast model: thickness map of material '" + info_[m].name + "' has " + std::to_string(t.size()) +
                                  " samples, " + std::to_string(npx) + " expected");
    const double k = sigma_ * info_[m].mean_inner_potential_V;
    for (size_t i = 0; i < npx; ++i) {
      if (!(std::isfinite(t[i]) && t[i] >= 0))
        throw std::invalid_argument("fast model: column map thickness " + format_number(t[i]) + " Å of material '" + info_[m].name +
                                    "' must be >= 0");
      phi[i] += k * t[i];
      constant = constant && t[i] == t[0];
    }
  }
  const auto [lo, hi] = std::minmax_element(phi.begin(), phi.end());
  out.phase_range_rad = *hi - *lo;
  out.uniform = !(params_.mean_inner_potential && out.phase_range_rad >= params_.mip_tolerance_rad);
  const WaveGrid grid{n, map.pixel_A};
  MapGrid mg;
  if (!map.mean_t.empty()) {
    for (double v : map.mean_t)
      if (!(std::isfinite(v) && v >= 0)) throw std::invalid_argument("fast model: mean thickness " + format_number(v) + " Å must be >= 0");
    out.mean_t = map.mean_t;
  } else if (constant) {
    for (size_t m = 0; m < nm; ++m) out.mean_t.push_back(map.t[m][0]);
  } else {  // probe-intensity weights
    mg = cached_grid(grid, map.probe_x_A, map.probe_y_A);
    out.mean_t.assign(nm, 0.0);
    for (size_t i = 0; i < npx; ++i) {
      const double w = std::norm((*mg.probe)[i]);
      for (size_t m = 0; m < nm; ++m) out.mean_t[m] += w * map.t[m][i];
    }
  }
  const bool any_varies = !constant;
  if (params_.column_classes && any_varies) {
    if (!mg.probe) mg = cached_grid(grid, map.probe_x_A, map.probe_y_A);
    column_classes(*mg.probe, map, params_.column_class_A, out);
  }
  if (out.uniform) {
    if (params_.domain_envelope && any_varies) {
      if (!mg.probe) mg = cached_grid(grid, map.probe_x_A, map.probe_y_A);
      out.pair_envelope = domain_envelopes(*mg.probe, nullptr, map, q_);
    }
    return out;
  }

  // B(k) = |FT[P e^{iφ}]|² on the map's reciprocal grid, minus the disc sampled on the same grid.
  if (!mg.probe) mg = cached_grid(grid, map.probe_x_A, map.probe_y_A);
  const std::vector<double>& kabs = *mg.kabs;
  // The coarse potential of an amorphous medium whose atom centres fill the map: the thickness map of each
  // material convolved with its mean atomic potential, i.e. the phase spectrum
  //   φ(g) = σ Σ_p C ρ_p ⟨f_e,p(|g|)⟩ t_p(g)        (Kirkland 2010 eq. 5.9 per Fourier component)
  // — a step is smoothed over the atomic size (⟨f_e(g)⟩/⟨f_e(0)⟩ ≈ 0.7 at 0.3 Å⁻¹ for light elements).
  // Materials with a constant map add a constant phase only and are skipped.
  RealField phi_c(npx, 0.0);
  {
    const size_t nh = n / 2 + 1;  // real-to-complex transforms: n × (n/2 + 1) half spectrum
    ComplexField acc(n * nh, Complex(0, 0)), tm(n * nh);
    RealField tr(npx);
    const double h_s = info_[0].s[1] - info_[0].s[0];
    for (size_t m = 0; m < nm; ++m) {
      const std::vector<double>& t = map.t[m];
      if (std::all_of(t.begin(), t.end(), [&](double v) { return v == t[0]; })) continue;
      std::copy(t.begin(), t.end(), tr.begin());
      fftw_r2c(n, tr.data(), tm.data());
      const std::vector<double>& fr = fe_ratio_[m];
      const double k = sigma_ * info_[m].mean_inner_potential_V / static_cast<double>(npx);
      for (size_t iy = 0; iy < n; ++iy)
        for (size_t ix = 0; ix < nh; ++ix) {
          const double u = kabs[iy * n + ix] / h_s;  // ix ≤ n/2: the same |k| as the full grid
          const auto j = static_cast<size_t>(u);
          const double f = j + 1 < fr.size() ? fr[j] + (u - static_cast<double>(j)) * (fr[j + 1] - fr[j]) : fr.back();
          acc[iy * nh + ix] += tm[iy * nh + ix] * (k * f);
        }
    }
    fftw_c2r(n, acc.data(), phi_c.data());
  }
  ComplexField o(npx);
  for (size_t i = 0; i < npx; ++i) o[i] = std::polar(1.0, phi_c[i]);
  if (params_.mip_thick_object) {
    // The coarse potential is a wall of height T along the beam (T = the largest total thickness on the map),
    // not a thin phase grating: kinematically, its scattering at object frequency g carries the shape factor
    // of a rod of length T, sinc(πζT), ζ = λg²/2 the excitation error (Ewald sphere; Cowley, Diffraction
    // Physics, 3rd ed. 1995, ch. 5). Applied to the spectrum of O = e^{iφ}; the intensity it removes stays in
    // the zero order (|O(0)| raised), so Σ|O|² is conserved. Checked against a plane-wave multislice of the
    // coarse potential (50 Å slices, Fresnel propagation between them): the scattered fraction of a
    // thickness grating 150 Å thick agrees within 0.3 % (Δφ = 0.05, 0.3, 1 rad; 0.6 % without the atomic
    // smoothing at 1 rad). The probe hardly changes over T (depth of field λ/α² ≈ 7 µm at 200 kV and
    // 0.6 mrad), so the exit wave is P·O.
    double T = 0;
    for (size_t i = 0; i < npx; ++i) {
      double tt = 0;
      for (size_t m = 0; m < nm; ++m) tt += map.t[m][i];
      T = std::max(T, tt);
    }
    const auto fft = make_fftw_kernel(n);
    fft->forward(o.data());
    double removed = 0;
    for (size_t iy = 0; iy < n; ++iy)
      for (size_t ix = 0; ix < n; ++ix) {
        if (ix == 0 && iy == 0) continue;
        const double g = kabs[iy * n + ix];
        const double x = kPi * lambda_ * g * g * T / 2;
        const double a = x < 1e-8 ? 1.0 : std::sin(x) / x;
        Complex& c = o[iy * n + ix];
        removed += std::norm(c) * (1 - a * a);
        c *= a;
      }
    const double o0 = std::abs(o[0]);
    o[0] = o0 > 0 ? o[0] * std::sqrt(1 + removed / (o0 * o0)) : Complex(std::sqrt(removed), 0);
    fft->inverse(o.data());  // the overall scale cancels in beam_from_probe's normalisation
  }
  const std::vector<double> b = beam_from_probe(*mg.probe, grid, o);
  if (params_.domain_envelope && any_varies) out.pair_envelope = domain_envelopes(*mg.probe, &o, map, q_, &b);
  size_t n_in = 0;
  for (size_t iy = 0; iy < n; ++iy)
    for (size_t ix = 0; ix < n; ++ix)
      if (!(kabs[iy * n + ix] > s_alpha_)) ++n_in;  // make_probe's aperture test (the same hypot)
  const double b_disc = 1.0 / static_cast<double>(std::max<size_t>(n_in, 1));
  const size_t nb = edges_.size() - 1, nq = q_.size();
  const double aw = edges_[1] - edges_[0], dk = grid.dk();
  out.delta_annuli.assign(nb, 0.0);
  std::vector<double> ring(n_rings_, 0.0);
  const double s_sub = 4 * s_alpha_ + 2 * dk;  // sub-sample pixels near the beam (4 × 4 points)
  for (size_t iy = 0; iy < n; ++iy) {
    const double ky = grid.freq(iy);
    for (size_t ix = 0; ix < n; ++ix) {
      const double kx = grid.freq(ix), sk = kabs[iy * n + ix];
      const double d = b[iy * n + ix] - (sk > s_alpha_ ? 0.0 : b_disc);
      if (d == 0) continue;
      // Rings: linear (tent) weights between the nodes r·w and (r + 1)·w.
      const double u = sk / ring_w_;
      const auto r = static_cast<size_t>(u);
      if (r + 1 < n_rings_) {
        const double f = u - static_cast<double>(r);
        ring[r] += d * (1 - f);
        ring[r + 1] += d * f;
      }
      // Annuli: the pixel's value spread over its square.
      if (sk < s_sub) {
        for (int a = 0; a < 4; ++a)
          for (int c = 0; c < 4; ++c) {
            const double sx = kx + (c - 1.5) * dk / 4, sy = ky + (a - 1.5) * dk / 4;
            const auto k = static_cast<size_t>(std::hypot(sx, sy) / aw);
            if (k < nb) out.delta_annuli[k] += d / 16;
          }
      } else {
        const auto k = static_cast<size_t>(sk / aw);
        if (k < nb) out.delta_annuli[k] += d;
      }
    }
  }
  out.b_hat = disc_;
  for (size_t r = 0; r < n_rings_; ++r) {
    const double v = ring[r];
    if (v == 0) continue;
    const double* row = &ring_j0_[r * nq];
    for (size_t j = 0; j < nq; ++j) out.b_hat[j] += v * row[j];
  }
  return out;
}

void FastModel::annuli(const BeamDistribution& beam, std::vector<double>& total, std::vector<double>& coherent) const {
  std::vector<std::vector<double>> tot, coh;
  annuli_core({beam.mean_t}, {&beam}, tot, coh);
  total = std::move(tot[0]);
  coherent = std::move(coh[0]);
}

void FastModel::annuli(const ColumnMap& map, std::vector<double>& total, std::vector<double>& coherent) const {
  annuli(beam(map), total, coherent);
}

void FastModel::mean_pattern(const ColumnMap& map, std::vector<double>& fraction) const {
  std::vector<double> tot, coh;
  annuli(map, tot, coh);
  fraction_from_annuli(tot, fraction);
}

void FastModel::pattern(const BeamDistribution& b, uint64_t seed, uint64_t position, std::vector<double>& fraction) const {
  std::vector<double> tot, coh;
  annuli(b, tot, coh);
  if (!params_.speckle) return fraction_from_annuli(tot, fraction);
  pattern_from_annuli(b.mean_t, tot, coh, seed, position, fraction);
}

void FastModel::pattern(const ColumnMap& map, uint64_t seed, uint64_t position, std::vector<double>& fraction) const {
  pattern(beam(map), seed, position, fraction);
}

void FastModel::profile_parts(const ColumnMap& map, std::vector<double>& smooth, std::vector<double>& coherent) const {
  std::vector<double> tot, coh;
  annuli(map, tot, coh);
  bins_from_annuli(tot, coh, smooth, coherent);
}

void FastModel::profile_expected(const BeamDistribution& b, uint64_t seed, uint64_t position,
                                 std::vector<double>& expected) const {
  std::vector<double> tot, coh, cb;
  annuli(b, tot, coh);
  bins_from_annuli(tot, coh, expected, cb);
  add_bin_speckle(b.mean_t, cb, seed, position, expected);
}

void FastModel::profile_expected(const ColumnMap& map, uint64_t seed, uint64_t position, std::vector<double>& expected) const {
  profile_expected(beam(map), seed, position, expected);
}

double FastModel::bin_speckle_grains(size_t b, const std::vector<double>& t) const {
  double ttot = 0;
  for (double v : t) ttot += v;
  const double s = bin_s_.at(b), ds = det_.geometry().ds();
  const double nz = 1 + 2 * lambda_ * s * s_alpha_ * ttot;
  return std::max(1.0, bin_pixels_[b] * ds * ds * nz / (kPi * s_alpha_ * s_alpha_));
}

void FastModel::bins_from_annuli(const std::vector<double>& tot, const std::vector<double>& coh,
                                 std::vector<double>& smooth, std::vector<double>& coherent) const {
  const double N = det_.spec().electrons_per_position(), C = det_.spec().background;
  smooth.assign(bin_s_.size(), 0.0);
  coherent.assign(bin_s_.size(), 0.0);
  for (size_t b = 0; b < bin_s_.size(); ++b) {
    double vt = 0, vc = 0;
    for (const auto& [k, w] : bin_ann_[b]) {
      vt += w * tot[k];
      vc += w * coh[k];
    }
    smooth[b] = N * (vt - vc) + C * bin_pixels_[b];
    coherent[b] = N * vc;
  }
}

void FastModel::profile_parts(const std::vector<double>& t, std::vector<double>& smooth,
                              std::vector<double>& coherent) const {
  std::vector<double> tot, coh;
  annuli(t, tot, coh);
  bins_from_annuli(tot, coh, smooth, coherent);
}

void FastModel::add_bin_speckle(const std::vector<double>& t, const std::vector<double>& coh, uint64_t seed,
                                uint64_t position, std::vector<double>& expected) const {
  const uint64_t sseed = counter_hash(seed, kSpeckleStream, 0, 0);
  for (size_t b = 0; b < expected.size(); ++b) {
    double g = 1;
    if (params_.speckle && coh[b] > 0)
      g = speckle_factor(modes_ * bin_speckle_grains(b, t), sseed, position, (1ULL << 61) | b);
    expected[b] += g * coh[b];
  }
}

void FastModel::profile_expected(const std::vector<double>& t, uint64_t seed, uint64_t position,
                                 std::vector<double>& expected) const {
  std::vector<double> coh;
  profile_parts(t, expected, coh);
  add_bin_speckle(t, coh, seed, position, expected);
}

void FastModel::profile_expected_batch(const std::vector<std::vector<double>>& ts, uint64_t seed,
                                       const std::vector<uint64_t>& positions,
                                       std::vector<std::vector<double>>& expected) const {
  if (positions.size() != ts.size())
    throw std::invalid_argument("fast model: " + std::to_string(positions.size()) + " positions for " +
                                std::to_string(ts.size()) + " columns");
  std::vector<std::vector<double>> tot, coh;
  annuli_batch(ts, tot, coh);
  expected.resize(ts.size());
  std::vector<double> cb;
  for (size_t i = 0; i < ts.size(); ++i) {
    bins_from_annuli(tot[i], coh[i], expected[i], cb);
    add_bin_speckle(ts[i], cb, seed, positions[i], expected[i]);
  }
}

void FastModel::profile_counts(const std::vector<double>& expected, uint64_t seed, uint64_t position,
                               std::vector<uint32_t>& counts) const {
  counts.resize(expected.size());
  for (size_t b = 0; b < expected.size(); ++b)
    counts[b] = static_cast<uint32_t>(std::min<uint64_t>(counter_poisson(expected[b], seed, position, b), 4294967295ULL));
}

// ---------------------------------------------------------------- sources and profile scans

FastMaterial damaged_state(const FastMaterial& intact, const DamageModel& d) {
  FastMaterial m = intact;
  m.name += "_damaged";
  m.inelastic.name = m.name;
  m.smear_sigma_A = d.pair_sigma_A;
  m.smear_r_intact_A = d.r_intact_A;
  return m;
}

namespace {
std::vector<FastPatternSource::PhaseParts> single_parts(const std::vector<int>& material_of_phase) {
  std::vector<FastPatternSource::PhaseParts> parts;
  for (int m : material_of_phase) parts.push_back({{m, 1.0}});
  return parts;
}
}  // namespace

FastPatternSource::FastPatternSource(const FastModel& model, const Specimen& specimen, const ScanSpec& scan,
                                     std::vector<int> material_of_phase, int film_material, double probe_fwhm_A,
                                     uint64_t seed)
    : FastPatternSource(model, specimen, scan, single_parts(material_of_phase), film_material, probe_fwhm_A, seed) {}

FastPatternSource::FastPatternSource(const FastModel& model, const Specimen& specimen, const ScanSpec& scan,
                                     std::vector<PhaseParts> materials_of_phase, int film_material,
                                     double probe_fwhm_A, uint64_t seed)
    : model_(model), specimen_(&specimen), parts_(std::move(materials_of_phase)), film_material_(film_material),
      nx_(scan.nx), x0_(scan.x0_A), y0_(scan.y0_A), step_(scan.step_A), seed_(seed) {
  if (parts_.size() != specimen.phase_count())
    throw std::invalid_argument("fast model: " + std::to_string(parts_.size()) + " material indices for " +
                                std::to_string(specimen.phase_count()) + " specimen phases");
  for (const PhaseParts& pp : parts_)
    for (const auto& [m, w] : pp) {
      if (m < 0 || static_cast<size_t>(m) >= model.n_materials())
        throw std::invalid_argument("fast model: material index " + std::to_string(m) + " out of range");
      if (!(w >= 0) || !std::isfinite(w))
        throw std::invalid_argument("fast model: material " + std::to_string(m) + " has weight " + std::to_string(w) +
                                    " in a phase (need finite, >= 0)");
    }
  const GroundTruth gt = compute_ground_truth(specimen, scan_grid(scan), probe_fwhm_A);
  t_.assign(scan.nx * scan.ny, std::vector<double>(model.n_materials(), 0.0));
  for (size_t k = 0; k < t_.size(); ++k) {
    for (size_t p = 0; p < specimen.phase_count(); ++p)
      for (const auto& [m, w] : parts_[p]) t_[k][static_cast<size_t>(m)] += w * gt.thickness[p][k];
    if (film_material >= 0 && specimen.has_film()) t_[k][static_cast<size_t>(film_material)] += specimen.spec().film.thickness;
  }
  if (!model.params().mean_inner_potential) return;
  // Inhomogeneous windows: φ = σ Σ V₀ t on a raster of the field covered by all windows (one pass).
  const double win = mip_window();
  const double rstep = std::max(4.0, (win + step_ * static_cast<double>(std::max(scan.nx, scan.ny))) / 4096);
  const double xr0 = x0_ - win / 2 - rstep, yr0 = y0_ - win / 2 - rstep;
  const auto nrx = static_cast<size_t>(std::ceil((step_ * static_cast<double>(scan.nx - 1) + win) / rstep)) + 3;
  const auto nry = static_cast<size_t>(std::ceil((step_ * static_cast<double>(scan.ny - 1) + win) / rstep)) + 3;
  std::vector<double> phi(nrx * nry);
  const int threads = model.params().threads > 0 ? model.params().threads : omp_get_max_threads();
#pragma omp parallel for num_threads(threads) schedule(dynamic, 4)
  for (long a = 0; a < static_cast<long>(nry); ++a)
    for (size_t b = 0; b < nrx; ++b) {
      const auto au = static_cast<size_t>(a);
      phi[au * nrx + b] = phase_at(xr0 + static_cast<double>(b) * rstep, yr0 + static_cast<double>(au) * rstep);
    }
  mip_.assign(t_.size(), 0);
  const double tol = model.params().mip_tolerance_rad;
  for (size_t iy = 0; iy < scan.ny; ++iy)
    for (size_t ix = 0; ix < scan.nx; ++ix) {
      const double x = scan.x(ix), y = scan.y(iy);
      const auto b0 = static_cast<size_t>(std::max(0.0, std::floor((x - win / 2 - xr0) / rstep)));
      const auto b1 = std::min(nrx - 1, static_cast<size_t>(std::ceil((x + win / 2 - xr0) / rstep)));
      const auto a0 = static_cast<size_t>(std::max(0.0, std::floor((y - win / 2 - yr0) / rstep)));
      const auto a1 = std::min(nry - 1, static_cast<size_t>(std::ceil((y + win / 2 - yr0) / rstep)));
      double lo = phi[a0 * nrx + b0], hi = lo;
      for (size_t a = a0; a <= a1; ++a)
        for (size_t b = b0; b <= b1; ++b) {
          lo = std::min(lo, phi[a * nrx + b]);
          hi = std::max(hi, phi[a * nrx + b]);
        }
      mip_[iy * nx_ + ix] = hi - lo >= tol ? 1 : 0;
    }
}

double FastPatternSource::mip_window() const {
  const double w = model_.params().mip_window_A;
  return w > 0 ? w : 4 * probe_diameter_A(model_.params().probe);
}

std::vector<double> FastPatternSource::column_at(double x, double y) const {
  std::vector<double> t(model_.n_materials(), 0.0);
  const ColumnThickness c = specimen_->column_thickness(x, y);
  for (size_t p = 0; p < c.phase.size(); ++p)
    for (const auto& [m, w] : parts_[p]) t[static_cast<size_t>(m)] += w * c.phase[p];
  if (film_material_ >= 0 && specimen_->has_film()) t[static_cast<size_t>(film_material_)] += specimen_->spec().film.thickness;
  return t;
}

double FastPatternSource::phase_at(double x, double y) const {
  const std::vector<double> t = column_at(x, y);
  const double sigma = interaction_constant(model_.params().probe.energy_keV * 1e3);
  double phi = 0;
  for (size_t m = 0; m < t.size(); ++m) phi += sigma * model_.material(m).mean_inner_potential_V * t[m];
  return phi;
}

ColumnMap FastPatternSource::column_map(size_t iy, size_t ix) const {
  const size_t nm = model_.n_materials();
  const double win = mip_window();
  ColumnMap map;
  map.n = fft_friendly_size(static_cast<size_t>(std::ceil(win / model_.params().mip_pixel_A)));
  map.pixel_A = win / static_cast<double>(map.n);
  map.probe_x_A = map.probe_y_A = 0.5 * win;
  map.mean_t = t_.at(iy * nx_ + ix);
  const double X0 = x0_ + static_cast<double>(ix) * step_ - 0.5 * win, Y0 = y0_ + static_cast<double>(iy) * step_ - 0.5 * win;
  const size_t n = map.n, c = 8;  // coarse cells of c × c pixels
  const size_t nc = (n + c - 1) / c + 1;
  map.t.assign(nm, std::vector<double>(n * n, 0.0));
  // Coarse nodes, then per cell: bilinear interpolation, or every pixel sampled where the cell centre departs
  // from the bilinear value by ≥ tolerance/4 in φ (an interface, an edge or curvature crosses the cell).
  std::vector<std::vector<double>> node(nc * nc);
  std::vector<double> node_phi(nc * nc);
  const double sigma = interaction_constant(model_.params().probe.energy_keV * 1e3);
  auto phase_of = [&](const std::vector<double>& t) {
    double v = 0;
    for (size_t m = 0; m < nm; ++m) v += sigma * model_.material(m).mean_inner_potential_V * t[m];
    return v;
  };
  const double h = map.pixel_A;
  for (size_t a = 0; a < nc; ++a)
    for (size_t b = 0; b < nc; ++b) {
      node[a * nc + b] = column_at(X0 + static_cast<double>(b * c) * h, Y0 + static_cast<double>(a * c) * h);
      node_phi[a * nc + b] = phase_of(node[a * nc + b]);
    }
  const double tol = model_.params().mip_tolerance_rad / 4;
  for (size_t a = 0; a + 1 < nc; ++a)
    for (size_t b = 0; b + 1 < nc; ++b) {
      const size_t i00 = a * nc + b, i01 = i00 + 1, i10 = i00 + nc, i11 = i10 + 1;
      const double fc = static_cast<double>(c) / 2;
      const std::vector<double> centre = column_at(X0 + (static_cast<double>(b * c) + fc) * h, Y0 + (static_cast<double>(a * c) + fc) * h);
      const double pred = 0.25 * (node_phi[i00] + node_phi[i01] + node_phi[i10] + node_phi[i11]);
      const bool fine = std::fabs(phase_of(centre) - pred) >= tol;
      for (size_t i = a * c; i < std::min(n, (a + 1) * c); ++i)
        for (size_t j = b * c; j < std::min(n, (b + 1) * c); ++j) {
          if (fine) {
            const std::vector<double> t = column_at(X0 + static_cast<double>(j) * h, Y0 + static_cast<double>(i) * h);
            for (size_t m = 0; m < nm; ++m) map.t[m][i * n + j] = t[m];
          } else {
            const double u = static_cast<double>(j - b * c) / static_cast<double>(c), v = static_cast<double>(i - a * c) / static_cast<double>(c);
            for (size_t m = 0; m < nm; ++m)
              map.t[m][i * n + j] = (1 - v) * ((1 - u) * node[i00][m] + u * node[i01][m]) + v * ((1 - u) * node[i10][m] + u * node[i11][m]);
          }
        }
    }
  return map;
}

void FastPatternSource::compute(size_t iy, size_t ix, double, double, std::vector<std::vector<double>>& fractions) {
  fractions.resize(1);
  const size_t k = iy * nx_ + ix;
  if (inhomogeneous(iy, ix))
    model_.pattern(model_.beam(column_map(iy, ix)), seed_, k, fractions[0]);
  else
    model_.pattern(t_[k], seed_, k, fractions[0]);
}

void FastPatternSource::profile_expected(size_t iy, size_t ix, uint64_t seed, std::vector<double>& expected) const {
  const size_t k = iy * nx_ + ix;
  if (inhomogeneous(iy, ix))
    model_.profile_expected(model_.beam(column_map(iy, ix)), seed, k, expected);
  else
    model_.profile_expected(t_[k], seed, k, expected);
}

double run_profile_scan(const ScanSpec& scan, FastPatternSource& source, const FastModel& model, const std::string& path,
                        const ScanOptions& options, const Specimen* truth) {
  const auto t0 = std::chrono::steady_clock::now();
  if (scan.nx == 0 || scan.ny == 0) throw std::invalid_argument("profile scan: empty scan");
  const size_t npos = scan.nx * scan.ny, nb = model.n_bins();
  std::vector<double> counts(npos * nb), expected(npos * nb);
  const int threads = options.threads > 0 ? options.threads : omp_get_max_threads();
  const size_t chunk = 256;
  size_t done = 0;
  for (size_t c0 = 0; c0 < npos; c0 += chunk) {
    const size_t c1 = std::min(npos, c0 + chunk);
    const size_t nbatch = (c1 - c0 + 15) / 16;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (long bl = 0; bl < static_cast<long>(nbatch); ++bl) {
      const size_t k0 = c0 + static_cast<size_t>(bl) * 16, k1 = std::min(c1, k0 + 16);
      std::vector<std::vector<double>> ts, eb, e(k1 - k0);
      std::vector<uint64_t> pos;
      for (size_t k = k0; k < k1; ++k) {
        if (source.inhomogeneous(k / scan.nx, k % scan.nx)) continue;  // MIP path, below
        ts.push_back(source.thickness(k / scan.nx, k % scan.nx));
        pos.push_back(k);
      }
      model.profile_expected_batch(ts, options.seed, pos, eb);
      for (size_t i = 0; i < pos.size(); ++i) e[pos[i] - k0] = std::move(eb[i]);
      for (size_t k = k0; k < k1; ++k)
        if (source.inhomogeneous(k / scan.nx, k % scan.nx)) source.profile_expected(k / scan.nx, k % scan.nx, options.seed, e[k - k0]);
      std::vector<uint32_t> n;
      for (size_t k = k0; k < k1; ++k) {
        model.profile_counts(e[k - k0], options.seed, k, n);
        for (size_t b = 0; b < nb; ++b) {
          expected[k * nb + b] = e[k - k0][b];
          counts[k * nb + b] = n[b];
        }
      }
    }
    done = c1;
    if (options.progress) {
      ScanProgress pr;
      pr.total = npos;
      pr.done = done;
      pr.elapsed_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      pr.rate_per_s = pr.elapsed_s > 0 ? static_cast<double>(done) / pr.elapsed_s : 0;
      pr.eta_s = pr.rate_per_s > 0 ? static_cast<double>(npos - done) / pr.rate_per_s : 0;
      options.progress(pr);
    }
  }
  write_file_atomically(path, [&](const std::string& tmp) {
    H5Writer h(tmp);
    h.attribute("/", "creator", "sedpdf simulate fast (profile mode)");
    h.group("/profiles");
    h.dataset("/profiles/s", model.bin_s(), "Å⁻¹");
    h.dataset("/profiles/n_pixels", model.bin_pixels(), "pixels");
    h.dataset("/profiles/counts", counts, npos, nb, "counts");
    h.dataset("/profiles/expected", expected, npos, nb, "counts");
    h.attribute("/profiles", "definition",
                "per scan position (row-major, y slow) and radial bin j (pixel centres at radius j..j+1 pixels from the "
                "beam centre, gaps excluded): counts and expected counts summed over the bin's pixels; divide by n_pixels "
                "for the azimuthal mean per pixel");
    h.attribute("/profiles", "scan_nx", static_cast<double>(scan.nx));
    h.attribute("/profiles", "scan_ny", static_cast<double>(scan.ny));
    h.attribute("/profiles", "ds_per_pixel_A-1", model.detector().spec().ds);
    h.attribute("/profiles", "dose_e_per_A2", model.detector().spec().dose());
    h.attribute("/profiles", "scan_step_A", scan.step_A);
    h.group("/sedpdf");
    h.group("/sedpdf/parameters");
    for (const auto& [k, v] : options.writer.parameters) h.attribute("/sedpdf/parameters", k, v);
    h.attribute("/sedpdf/parameters", "seed", std::to_string(options.seed));
    if (truth) {
      write_ground_truth(h, compute_ground_truth(*truth, scan_grid(scan), options.truth_probe_fwhm_A), "/ground_truth");
    }
    h.close();
  });
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace sedpdf
