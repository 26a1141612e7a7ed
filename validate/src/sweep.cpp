// Unmixing-limit sweeps (see sweep.hpp and docs/study.md, "Sweeps").
#include "sedpdf/validate/sweep.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/specimen.hpp"
#include "sedpdf/structures/specimen_truth.hpp"
#include "sedpdf/validate/ica_limit.hpp"
#include "sedpdf/validate/references.hpp"
#include "sedpdf/validate/report.hpp"
#include "sedpdf/validate/report_sections.hpp"

namespace sedpdf {

namespace {

using Clock = std::chrono::steady_clock;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string fmt(double v, int prec = 4) {
  std::ostringstream s;
  s << std::setprecision(prec) << v;
  return s.str();
}

/// Caches shared by the points of a sweep: forward models per phase count, references per phase, ground
/// truth per geometry.
class SweepEngine {
 public:
  explicit SweepEngine(const SweepConfig& c) : c_(c) {
    if (c_.phases.empty()) throw std::invalid_argument("sweep: no phases given");
    if (c_.scan_n < 2) throw std::invalid_argument("sweep: scan_n must be >= 2, got " + std::to_string(c_.scan_n));
    if (!(c_.step_A > 0)) throw std::invalid_argument("sweep: step_A must be positive, got " + fmt(c_.step_A));
    if (c_.bin < 1) throw std::invalid_argument("sweep: bin must be >= 1");
    if (c_.detector.background != 0)
      throw std::invalid_argument("sweep: detector background must be 0 (expected counts are scaled with the dose)");
    for (const SweepPhase& ph : c_.phases) ph.damage.check("sweep phase " + ph.name);
    lambda_ = electron_wavelength(c_.probe.energy_keV * 1e3);
  }

  SweepPointResult run(const SweepPoint& pt) {
    const auto t0 = Clock::now();
    SweepPointResult res;
    res.point = pt;
    if (pt.n_phases < 1 || static_cast<std::size_t>(pt.n_phases) > c_.phases.size())
      throw std::invalid_argument("sweep: n_phases = " + std::to_string(pt.n_phases) + " but " +
                                  std::to_string(c_.phases.size()) + " phases are defined");
    if (!(pt.dose > 0)) throw std::invalid_argument("sweep: dose must be positive, got " + fmt(pt.dose));
    if (!(pt.thickness_A > 0)) throw std::invalid_argument("sweep: thickness must be positive, got " + fmt(pt.thickness_A));
    if (!(pt.domain_ratio > 0)) throw std::invalid_argument("sweep: domain ratio must be positive, got " + fmt(pt.domain_ratio));
    if (!(pt.blend >= 0 && pt.blend < 1)) throw std::invalid_argument("sweep: blend fraction must be in [0, 1), got " + fmt(pt.blend));
    if (!std::isnan(pt.damping_b) && !(pt.damping_b >= 0 && std::isfinite(pt.damping_b)))
      throw std::invalid_argument("sweep: per-pixel damping b must be >= 0 Å², got " + fmt(pt.damping_b));
    const Damping damping = damping_of(pt);
    res.point.damping_b = damping.b;  // the value in effect, for the tables
    const std::size_t np = static_cast<std::size_t>(pt.n_phases);
    const Truth& truth = truth_for(pt);
    const Model& model = model_for(np);
    const std::size_t n = c_.scan_n;
    const std::size_t nbx = (n + c_.bin - 1) / c_.bin;
    const std::size_t npix = nbx * nbx;

    // Expected counts per position (profile-only mode), summed over the bins, scaled to the dose, counted.
    std::vector<std::vector<double>> ts(n * n);
    std::vector<uint64_t> ids(n * n);
    // Material thicknesses: each phase split into its intact and (with a damage model) damaged state at the
    // point's dose, then the film (the material order of model_for).
    std::vector<StateWeights> sw;
    for (std::size_t p = 0; p < np; ++p) sw.push_back(state_weights(c_.phases[p].damage, 0.0, pt.dose));
    // With a blend, a fraction pt.blend of every other phase's thickness is the first phase's material.
    for (std::size_t q = 0; q < n * n; ++q) {
      ts[q].assign(model.n_materials, 0.0);
      std::vector<double> mat(np, 0.0);
      for (std::size_t p = 0; p < np; ++p) {
        const double moved = p > 0 ? pt.blend * truth.thickness[q][p] : 0.0;
        mat[p] += truth.thickness[q][p] - moved;
        mat[0] += moved;
      }
      for (std::size_t p = 0; p < np; ++p) {
        ts[q][p] = sw[p].intact * mat[p];
        if (model.damaged[p] >= 0) ts[q][static_cast<std::size_t>(model.damaged[p])] = sw[p].damaged * mat[p];
      }
      if (c_.film_thickness_A > 0) ts[q].back() = c_.film_thickness_A;
      ids[q] = q;
    }
    std::vector<std::vector<double>> expected;
    const uint64_t seed = counter_hash(c_.seed, static_cast<uint64_t>(pt.dose * 1000), static_cast<uint64_t>(pt.thickness_A),
                                       static_cast<uint64_t>(pt.domain_ratio * 1000) * 8 + np);
    model.fm->profile_expected_batch(ts, seed, ids, expected);
    const double scale = pt.dose / model.dose_ref;
    const std::vector<double>& bin_s = model.fm->bin_s();
    const std::vector<double>& bin_px = model.fm->bin_pixels();
    // s grid of the chain: bins with pixels up to the fit window's end.
    std::vector<std::size_t> use;
    for (std::size_t b = 0; b < bin_s.size(); ++b)
      if (bin_px[b] > 0 && bin_s[b] <= c_.chain.fit_s_hi + 0.5 * c_.detector.ds &&
          (use.empty() || bin_s[b] > bin_s[use.back()]))
        use.push_back(b);
    std::vector<double> s;
    for (std::size_t b : use) s.push_back(bin_s[b]);
    ReductionParams chain = c_.chain;
    chain.damping = damping;
    if (chain.composition.elements.empty()) chain.composition = model.composition;
    const ChainPlan plan(s, chain);
    const std::vector<double>& r = plan.transform().r();
    std::vector<std::size_t> rcols;
    const double dr = r.size() > 1 ? (r.back() - r.front()) / static_cast<double>(r.size() - 1) : 1.0;
    const auto stride = static_cast<std::size_t>(
        std::max(1.0, c_.decompose_r_step_A > 0 ? std::round(c_.decompose_r_step_A / dr) : 1.0));
    for (std::size_t j = 0; j < r.size(); ++j)
      if (r[j] >= c_.decompose_window.lo && r[j] <= c_.decompose_window.hi &&
          (rcols.empty() || j - rcols.front() >= stride * rcols.size()))
        rcols.push_back(j);

    std::vector<std::vector<double>> G(npix);
    std::vector<int> labels(npix, -1);
    std::vector<std::vector<double>> fractions(np, std::vector<double>(npix, 0.0));
    std::size_t failed = 0;
    for (std::size_t by = 0; by < nbx; ++by)
      for (std::size_t bx = 0; bx < nbx; ++bx) {
        const std::size_t o = by * nbx + bx;
        std::vector<double> sum(bin_s.size(), 0.0), th(np, 0.0);
        double tot = 0;
        for (std::size_t iy = by * c_.bin; iy < std::min(n, by * c_.bin + c_.bin); ++iy)
          for (std::size_t ix = bx * c_.bin; ix < std::min(n, bx * c_.bin + c_.bin); ++ix) {
            const std::size_t q = iy * n + ix;
            for (std::size_t b = 0; b < sum.size(); ++b) sum[b] += expected[q][b] * scale;
            for (std::size_t p = 0; p < np; ++p) th[p] += truth.thickness[q][p];
            tot += truth.total[q];
          }
        std::vector<uint32_t> counts;
        model.fm->profile_counts(sum, seed ^ 0x9e3779b97f4a7c15ULL, o, counts);
        std::vector<double> I(s.size()), var(s.size());
        for (std::size_t i = 0; i < use.size(); ++i) {
          const double npx = bin_px[use[i]];
          I[i] = counts[use[i]] / npx;
          var[i] = std::max<double>(counts[use[i]], 1.0) / (npx * npx);
        }
        int best = -1;
        double bt = 0;
        for (std::size_t p = 0; p < np; ++p) {
          fractions[p][o] = tot > 0 ? th[p] / tot : 0.0;
          if (th[p] > bt) {
            bt = th[p];
            best = static_cast<int>(p);
          }
        }
        labels[o] = best;
        try {
          const ReducedProfile rp = plan.reduce(I, &var);
          std::vector<double> g;
          for (std::size_t j : rcols) g.push_back(rp.G[j]);
          bool finite = true;
          for (double v : g) finite &= std::isfinite(v);
          if (finite) G[o] = std::move(g);
          else ++failed;
        } catch (const std::invalid_argument&) {
          ++failed;
        }
      }
    std::vector<std::size_t> rows;
    for (std::size_t o = 0; o < npix; ++o)
      if (!G[o].empty()) rows.push_back(o);
    res.pixels = rows.size();
    if (rows.size() < 3) {
      res.summary = "fewer than 3 pixels reduced (" + std::to_string(failed) + " failed)";
      res.min_pearson = res.min_subspace_pearson = res.min_vca_pearson = res.accuracy = kNaN;
      res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      return res;
    }
    Eigen::MatrixXd X(static_cast<Eigen::Index>(rows.size()), static_cast<Eigen::Index>(rcols.size()));
    for (std::size_t i = 0; i < rows.size(); ++i)
      for (std::size_t j = 0; j < rcols.size(); ++j)
        X(static_cast<Eigen::Index>(i), static_cast<Eigen::Index>(j)) = G[rows[i]][j];
    std::vector<double> rw;
    for (std::size_t j : rcols) rw.push_back(r[j]);
    DecomposeOptions dopt = c_.decompose;
    dopt.threads = c_.threads;
    if (dopt.seed == 0) dopt.seed = c_.seed;
    if (c_.components_from_phases) dopt.n_components = pt.n_phases;
    Decomposition dec;
    try {
      dec = decompose(X, dopt);
    } catch (const std::invalid_argument& e) {
      res.summary = std::string("decomposition failed: ") + e.what();
      res.min_pearson = res.min_subspace_pearson = res.min_vca_pearson = res.accuracy = kNaN;
      res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
      return res;
    }
    res.components_used = dec.pca.count.n_components;
    res.pca_components = dec.pca.count.n_components;
    if (!dec.pca.count.automatic) {  // the automatic count, for the table
      PcaOptions po = dopt.pca;
      po.n_components = 0;
      po.seed = dopt.seed;
      po.threads = dopt.threads;
      try {
        res.pca_components = pca(X, po).count.n_components;
      } catch (const std::invalid_argument&) {
        res.pca_components = -1;
      }
    }
    UnmixingInput in;
    in.r = rw;
    for (Eigen::Index k = 0; k < dec.components.rows(); ++k) {
      std::vector<double> comp(rw.size());
      for (std::size_t j = 0; j < rw.size(); ++j) comp[j] = dec.components(k, static_cast<Eigen::Index>(j));
      in.components.push_back(std::move(comp));
      std::vector<double> map(npix, 0.0);
      for (std::size_t i = 0; i < rows.size(); ++i) map[rows[i]] = dec.loadings(static_cast<Eigen::Index>(i), k);
      in.loadings.push_back(std::move(map));
    }
    in.decomposed.assign(npix, 0);
    for (std::size_t row : rows) in.decomposed[row] = 1;
    for (std::size_t p = 0; p < np; ++p) {
      const PdfResult& ref = phase_pdf(p, pt.blend, damping);
      in.phase_names.push_back(c_.phases[p].name);
      in.references.push_back(interpolate_linear(ref.r, ref.G, rw));
    }
    in.truth.nx = in.truth.ny = nbx;
    in.truth.step = c_.step_A * static_cast<double>(c_.bin);
    in.truth.labels = labels;
    for (std::size_t o = 0; o < npix; ++o)
      if (G[o].empty()) in.truth.labels[o] = -1;  // not decomposed: not scored
    in.truth_fractions = fractions;
    UnmixingCriteria crit = c_.criteria;
    crit.exclusion_distance = c_.probe_diameter_A;
    try {
      const UnmixingVerdict v = evaluate_unmixing(in, crit);
      res.success = v.success;
      res.spectra_ok = v.spectra_ok;
      res.maps_ok = v.maps_ok;
      res.accuracy = v.classification.accuracy;
      res.min_pearson = 1;
      for (double x : v.phase_pearson) res.min_pearson = std::isfinite(x) ? std::min(res.min_pearson, x) : kNaN;
      res.reference_similarity = kNaN;
      for (std::size_t i = 0; i < np; ++i)
        for (std::size_t j = i + 1; j < np && v.reference_pearson.size() == np * np; ++j)
          if (!(v.reference_pearson[i * np + j] <= res.reference_similarity)) res.reference_similarity = v.reference_pearson[i * np + j];
      res.min_subspace_pearson = 1;
      for (double x : v.subspace_pearson)
        res.min_subspace_pearson = std::isfinite(x) ? std::min(res.min_subspace_pearson, x) : kNaN;
      res.summary = v.summary;
    } catch (const std::invalid_argument& e) {
      res.summary = std::string("evaluation failed: ") + e.what();
      res.min_pearson = res.min_subspace_pearson = res.min_vca_pearson = res.accuracy = kNaN;
    }
    // The same data and count by VCA, matched to the same references.
    res.min_vca_pearson = kNaN;
    try {
      DecomposeOptions vo = dopt;
      vo.method = DecompositionMethod::Vca;
      vo.n_components = static_cast<int>(dec.components.rows());
      const std::vector<double> per = matched_reference_pearson(rw, decompose(X, vo).components, in.references, crit.window);
      res.min_vca_pearson = 1;
      for (double x : per) res.min_vca_pearson = std::isfinite(x) ? std::min(res.min_vca_pearson, x) : kNaN;
    } catch (const std::invalid_argument&) {
      // dependent endmembers (no pure pixels of some phase): left NaN
    }
    // ICA on the references themselves (the phase set's own limit for this algorithm; cached per phase count).
    res.ica_reference_choice = res.ica_reference_best = kNaN;
    if (dopt.method == DecompositionMethod::Ica && dopt.ica_domain == IcaDomain::Signals && np >= 2) {
      const auto key = std::make_tuple(np, pt.blend, damping.b);
      auto it = ica_refs_.find(key);
      if (it == ica_refs_.end()) {
        ReferenceIcaLimit lim;
        try {
          FastIcaSettings fs = dopt.fastica;
          fs.seed = dopt.seed;
          lim = reference_ica_limit(rw, in.references, crit.window, fs);
        } catch (const std::invalid_argument&) {
          lim.preferred_smallest = lim.best_smallest = kNaN;  // dependent references: not defined
        }
        it = ica_refs_.emplace(key, lim).first;
      }
      res.ica_reference_choice = it->second.preferred_smallest;
      res.ica_reference_best = it->second.best_smallest;
    }
    res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
    return res;
  }

 private:
  struct Truth {
    std::vector<std::vector<double>> thickness;  // per position, per phase (Å)
    std::vector<double> total;
  };
  struct Model {
    std::unique_ptr<DetectorModel> det;
    std::unique_ptr<FastModel> fm;
    double dose_ref = 1;
    Composition composition;
    std::vector<int> damaged;     ///< per phase: index of its damaged-state material, −1 without damage
    std::size_t n_materials = 0;  ///< phases, damaged states, film
  };

  const Truth& truth_for(const SweepPoint& pt) {
    const auto key = std::make_tuple(pt.thickness_A, pt.domain_ratio, pt.n_phases);
    auto it = truths_.find(key);
    if (it != truths_.end()) return it->second;
    const std::size_t np = static_cast<std::size_t>(pt.n_phases);
    SpecimenSpec spec;
    spec.field_x = spec.field_y = static_cast<double>(c_.scan_n) * c_.step_A;
    spec.seed = c_.seed;
    for (std::size_t p = 0; p < np; ++p) spec.phases.push_back({c_.phases[p].name, c_.phases[p].model, 0.0});
    spec.thickness.kind = ThicknessGeometry::Kind::Slab;
    spec.thickness.thickness = pt.thickness_A;
    if (np == 1) {
      spec.geometry.kind = PhaseGeometry::Kind::Uniform;
    } else {
      spec.geometry.kind = PhaseGeometry::Kind::Voronoi;
      spec.geometry.mean_size = pt.domain_ratio * c_.probe_diameter_A;
      for (std::size_t p = 0; p < np; ++p) spec.geometry.voronoi_phases.push_back(static_cast<int>(p));
    }
    const Specimen sp(spec);
    ScanGrid g;
    g.x0 = g.y0 = 0.5 * c_.step_A;
    g.step_x = g.step_y = c_.step_A;
    g.nx = g.ny = c_.scan_n;
    const GroundTruth gt = compute_ground_truth(sp, g, c_.truth_probe_fwhm_A);
    Truth t;
    t.total = gt.thickness_total;
    t.thickness.resize(gt.thickness_total.size());
    for (std::size_t q = 0; q < t.thickness.size(); ++q)
      for (std::size_t p = 0; p < np; ++p) t.thickness[q].push_back(gt.thickness[p][q]);
    return truths_.emplace(key, std::move(t)).first->second;
  }

  const Model& model_for(std::size_t np) {
    auto it = models_.find(np);
    if (it != models_.end()) return it->second;
    Model m;
    DetectorSpec d = c_.detector;
    d.step_A = c_.step_A;
    d.beam_current_pA = 0;
    d.dose_e_per_A2 = m.dose_ref;
    m.det = std::make_unique<DetectorModel>(d, lambda_);
    std::vector<FastMaterial> mats;
    std::map<int, double> atoms;
    std::map<int, Element> el;
    for (std::size_t p = 0; p < np; ++p) {
      FastMaterial fmat;
      fmat.name = c_.phases[p].name;
      fmat.model = c_.phases[p].model;
      fmat.inelastic.name = fmat.name;
      mats.push_back(fmat);
      const double rho = fmat.model.number_density();
      for (const CompositionEntry& e : fmat.model.composition()) {
        atoms[e.element.z()] += rho * e.fraction;
        el.emplace(e.element.z(), e.element);
      }
    }
    double sum = 0;
    for (auto& [z, a] : atoms) sum += a;
    for (auto& [z, a] : atoms) {
      m.composition.elements.push_back(el.at(z));
      m.composition.fractions.push_back(a / sum);
    }
    m.damaged.assign(np, -1);
    for (std::size_t p = 0; p < np; ++p) {
      const DamageModel& dm = c_.phases[p].damage;
      if (!dm.active()) continue;
      m.damaged[p] = static_cast<int>(mats.size());
      mats.push_back(damaged_state(mats[p], dm));
    }
    if (c_.film_thickness_A > 0) {
      FastMaterial f;
      f.name = "carbon_film";
      f.model = amorphous_carbon_model(2.0, 25.0, 1.4, c_.seed);
      f.inelastic.name = f.name;
      f.inelastic.plasmon_energy_eV = 25.0;
      mats.push_back(f);
    }
    FastModelParams fp = c_.fast;
    fp.probe = c_.probe;
    fp.inelastic = c_.inelastic;
    fp.inelastic.energy_eV = c_.probe.energy_keV * 1e3;
    fp.inelastic.convergence_mrad = c_.probe.alpha_mrad;
    fp.threads = c_.threads;
    m.n_materials = mats.size();
    m.fm = std::make_unique<FastModel>(mats, fp, *m.det);
    return models_.emplace(np, std::move(m)).first->second;
  }

  /// The chain's damping at a point: the configuration's, or exp(−b s²) with the point's b.
  Damping damping_of(const SweepPoint& pt) const {
    if (std::isnan(pt.damping_b)) return c_.chain.damping;
    return Damping{Damping::Exp, pt.damping_b, 0.0};
  }

  const PhaseReference& reference(std::size_t p, const Damping& d) {
    const auto key = std::make_tuple(p, static_cast<int>(d.kind), d.b, d.delta);
    auto it = refs_.find(key);
    if (it != refs_.end()) return it->second;
    const Structure big = replicate_to_radius(c_.phases[p].model, 20.5);
    // The kinematic ePDF at the per-pixel chain's resolution (s_min, s_max, damping).
    ReferenceOptions o;
    o.electron.s_min = c_.chain.s_min;
    o.electron.s_max = c_.chain.s_max;
    o.electron.damping = d;
    o.xray_at_electron_resolution = false;
    return refs_.emplace(key, compute_phase_reference(big, c_.phases[p].name, o)).first->second;
  }

  /// The kinematic ePDF of phase p as it sits in the point's domains: with a blend w (p > 0), the mixture of
  /// w (volume) of the first phase and 1 − w of p, at the atom fraction x = wρ₀ / (wρ₀ + (1 − w)ρ_p).
  const PdfResult& phase_pdf(std::size_t p, double blend, const Damping& d) {
    if (p == 0 || blend == 0) return reference(p, d).electron;
    const auto key = std::make_tuple(p, blend, static_cast<int>(d.kind), d.b, d.delta);
    auto it = blends_.find(key);
    if (it != blends_.end()) return it->second;
    const double r0 = c_.phases[0].model.number_density(), rp = c_.phases[p].model.number_density();
    const double x = blend * r0 / (blend * r0 + (1 - blend) * rp);
    return blends_.emplace(key, blend_pdf(reference(0, d).electron, reference(p, d).electron, x, c_.chain.s_min)).first->second;
  }

  const SweepConfig& c_;
  double lambda_ = 0;
  std::map<std::tuple<double, double, int>, Truth> truths_;
  std::map<std::size_t, Model> models_;
  std::map<std::tuple<std::size_t, double, double>, ReferenceIcaLimit> ica_refs_;  // (phases, blend, damping b)
  std::map<std::tuple<std::size_t, int, double, double>, PhaseReference> refs_;     // (phase, damping)
  std::map<std::tuple<std::size_t, double, int, double, double>, PdfResult> blends_;
};

}  // namespace

SweepAxis parse_sweep_axis(const std::string& t) {
  if (t == "dose_e_per_A2") return SweepAxis::Dose;
  if (t == "thickness_nm") return SweepAxis::Thickness;
  if (t == "domain_probe_ratio") return SweepAxis::DomainRatio;
  if (t == "phases") return SweepAxis::PhaseCount;
  if (t == "blend_fraction") return SweepAxis::Blend;
  if (t == "damping_pixel_b_A2") return SweepAxis::Damping;
  throw std::invalid_argument("unknown sweep axis '" + t +
                              "' (dose_e_per_A2, thickness_nm, domain_probe_ratio, phases, blend_fraction, damping_pixel_b_A2)");
}

std::string sweep_axis_name(SweepAxis a) {
  switch (a) {
    case SweepAxis::Dose: return "dose_e_per_A2";
    case SweepAxis::Thickness: return "thickness_nm";
    case SweepAxis::DomainRatio: return "domain_probe_ratio";
    case SweepAxis::PhaseCount: return "phases";
    case SweepAxis::Blend: return "blend_fraction";
    case SweepAxis::Damping: return "damping_pixel_b_A2";
  }
  return "";
}

std::string sweep_axis_label(SweepAxis a) {
  switch (a) {
    case SweepAxis::Dose: return "dose (e⁻/Å²)";
    case SweepAxis::Thickness: return "thickness (nm)";
    case SweepAxis::DomainRatio: return "domain size / probe size";
    case SweepAxis::PhaseCount: return "number of phases";
    case SweepAxis::Blend: return "blend fraction (first phase in the others)";
    case SweepAxis::Damping: return "per-pixel damping b (Å²)";
  }
  return "";
}

double SweepPoint::get(SweepAxis a) const {
  switch (a) {
    case SweepAxis::Dose: return dose;
    case SweepAxis::Thickness: return thickness_A / 10.0;
    case SweepAxis::DomainRatio: return domain_ratio;
    case SweepAxis::PhaseCount: return n_phases;
    case SweepAxis::Blend: return blend;
    case SweepAxis::Damping: return damping_b;
  }
  return 0;
}

void SweepPoint::set(SweepAxis a, double v) {
  switch (a) {
    case SweepAxis::Dose: dose = v; break;
    case SweepAxis::Thickness: thickness_A = v * 10.0; break;
    case SweepAxis::DomainRatio: domain_ratio = v; break;
    case SweepAxis::PhaseCount: n_phases = static_cast<int>(std::lround(v)); break;
    case SweepAxis::Blend: blend = v; break;
    case SweepAxis::Damping: damping_b = v; break;
  }
}

Structure replicate_structure(const Structure& s, int na, int nb, int nc) {
  if (!s.cell.fully_periodic()) throw std::invalid_argument("replicate_structure: the structure is not fully periodic");
  if (na < 1 || nb < 1 || nc < 1) throw std::invalid_argument("replicate_structure: counts must be >= 1");
  const Vec3 a = s.cell.vector(0), b = s.cell.vector(1), c = s.cell.vector(2);
  Structure out;
  out.title = s.title;
  out.cell = Cell::from_vectors(a * static_cast<double>(na), b * static_cast<double>(nb), c * static_cast<double>(nc));
  out.atoms.reserve(s.atoms.size() * static_cast<std::size_t>(na * nb * nc));
  for (int i = 0; i < na; ++i)
    for (int j = 0; j < nb; ++j)
      for (int k = 0; k < nc; ++k) {
        const Vec3 shift = a * static_cast<double>(i) + b * static_cast<double>(j) + c * static_cast<double>(k);
        for (Atom at : s.atoms) {
          at.pos += shift;
          out.atoms.push_back(at);
        }
      }
  return out;
}

Structure replicate_to_radius(const Structure& s, double r) {
  if (!s.cell.fully_periodic()) throw std::invalid_argument("replicate_to_radius: the structure is not fully periodic");
  if (s.cell.minimum_image_radius() >= r) return s;
  // The minimum-image radius is half the smallest perpendicular width; widths scale with the counts.
  const double vol = s.cell.volume();
  int n[3];
  for (int i = 0; i < 3; ++i) {
    const Vec3 u = s.cell.vector((i + 1) % 3), v = s.cell.vector((i + 2) % 3);
    const double width = vol / u.cross(v).length();
    n[i] = std::max(1, static_cast<int>(std::ceil(2 * r / width)));
  }
  return replicate_structure(s, n[0], n[1], n[2]);
}

std::vector<std::string> sweep_findings(const std::vector<SweepMapResult>& maps, const UnmixingCriteria& crit) {
  std::vector<std::string> out;
  const double thr = crit.min_pearson;
  for (std::size_t mi = 0; mi < maps.size(); ++mi) {
    const SweepMapResult& mr = maps[mi];
    const std::size_t nx = mr.map.xs.size(), n = mr.points.size();
    if (n == 0 || nx == 0 || n != nx * mr.map.ys.size()) continue;
    const std::string xn = sweep_axis_name(mr.map.x), yn = sweep_axis_name(mr.map.y);
    std::size_t success = 0, maps_ok = 0, spectra_ok = 0, data_limited = 0, rotation_limited = 0, vca_ok = 0;
    bool refs_fail_all = true, refs_known = false;
    for (const SweepPointResult& p : mr.points) {
      success += p.success;
      maps_ok += p.maps_ok;
      spectra_ok += p.spectra_ok;
      if (!p.spectra_ok) {
        if (p.min_subspace_pearson >= thr) ++rotation_limited;
        else ++data_limited;  // below the threshold, or not evaluated (NaN)
      }
      vca_ok += p.min_vca_pearson >= thr;
      if (std::isfinite(p.ica_reference_choice)) {
        refs_known = true;
        refs_fail_all = refs_fail_all && p.ica_reference_choice < thr;
      }
    }
    std::string s = "Map " + std::to_string(mi + 1) + " (" + xn + " × " + yn + "): the criterion is met at " +
                    std::to_string(success) + " of " + std::to_string(n) + " points";
    if (success > 0 && success <= 6) {
      std::string where;
      for (std::size_t j = 0; j < mr.map.ys.size(); ++j)
        for (std::size_t i = 0; i < nx; ++i)
          if (mr.points[j * nx + i].success)
            where += (where.empty() ? "" : "; ") + xn + " = " + fmt(mr.map.xs[i]) + ", " + yn + " = " + fmt(mr.map.ys[j]);
      s += " (" + where + ")";
    }
    s += ". ";
    // The maps alone: per y, the first x at which they pass.
    std::string per_y;
    for (std::size_t j = 0; j < mr.map.ys.size(); ++j) {
      std::string first = "never";
      for (std::size_t i = 0; i < nx; ++i)
        if (mr.points[j * nx + i].maps_ok) {
          first = "first at " + xn + " = " + fmt(mr.map.xs[i]);
          break;
        }
      per_y += (j ? "; " : "") + yn + " = " + fmt(mr.map.ys[j]) + ": " + first;
    }
    s += "The loading maps alone (criterion 2) pass at " + std::to_string(maps_ok) + " (" + per_y + "). ";
    s += "The component spectra (criterion 1) pass at " + std::to_string(spectra_ok) + ".";
    if (spectra_ok < n) {
      s += " Of the " + std::to_string(n - spectra_ok) + " points where they fail, the data hold every phase at " +
           std::to_string(rotation_limited) + " (the best rotation of the same components reaches " + fmt(thr) +
           ": the unmixing's rotation fails there, not the data) and do not at " + std::to_string(data_limited) +
           " (noise, thickness or mixing limit the data).";
      s += " VCA of the same data passes at " + std::to_string(vca_ok) + ".";
    }
    if (refs_known && refs_fail_all)
      s += " ICA of the noise-free reference ePDFs is below " + fmt(thr) +
           " for every phase set of this map: no data of these phases can pass criterion (1) by ICA's own choice.";
    out.push_back(s);
  }
  return out;
}

SweepPointResult run_sweep_point(const SweepConfig& config, const SweepPoint& point) {
  SweepEngine e(config);
  return e.run(point);
}

SweepResult run_sweep(const SweepConfig& config) {
  const auto t0 = Clock::now();
  SweepEngine eng(config);
  SweepResult res;
  std::size_t total = 0, done = 0;
  for (const SweepMap& m : config.maps) {
    if (m.xs.empty() || m.ys.empty()) throw std::invalid_argument("sweep: a map has an empty axis");
    if (m.x == m.y) throw std::invalid_argument("sweep: a map's two axes are the same (" + sweep_axis_name(m.x) + ")");
    total += m.xs.size() * m.ys.size();
  }
  for (const SweepMap& m : config.maps) {
    SweepMapResult mr;
    mr.map = m;
    for (double yv : m.ys)
      for (double xv : m.xs) {
        SweepPoint p = config.base;
        p.set(m.x, xv);
        p.set(m.y, yv);
        if (config.progress)
          config.progress({done, total, std::chrono::duration<double>(Clock::now() - t0).count(),
                           sweep_axis_name(m.x) + " = " + fmt(xv) + ", " + sweep_axis_name(m.y) + " = " + fmt(yv)});
        mr.points.push_back(eng.run(p));
        ++done;
      }
    res.maps.push_back(std::move(mr));
  }

  // Report.
  res.findings = sweep_findings(res.maps, config.criteria);
  ReportWriter w("sedpdf study: " + config.name);
  w.section("What this sweep says");
  for (const std::string& f : res.findings) w.paragraph(f);
  w.section("Criterion");
  w.paragraph("Unmixing of a point succeeds when (1) every phase is matched (optimal assignment on |Pearson|) by an ICA "
              "component whose Pearson correlation with that phase's kinematic ePDF over " +
              fmt(config.criteria.window.lo) + "–" + fmt(config.criteria.window.hi) + " Å is >= " +
              fmt(config.criteria.min_pearson) + ", and (2) the loading maps classify >= " +
              fmt(100 * config.criteria.min_accuracy) + " % of the pixels farther than one probe diameter (" +
              fmt(config.probe_diameter_A / 10) + " nm) from an interface correctly — each binned pixel labelled by k-means on its loading vector, each cluster "
              "taking the phase its mean spectrum matches, a rule that holds for any mixing of the components "
              "(validate/sweep_criteria.hpp). " +
              std::string(config.components_from_phases ? "ICA is given as many components as the point has phases (the automatic PCA "
                                                "count is reported beside it). "
                                              : "ICA is given the automatic PCA count (parallel analysis). ") +
                        "Beside the criterion the tables give the smallest Pearson of the same data unmixed by VCA (pure-pixel "
                        "endmembers, docs/unmixing.md) with the same count: where it passes and ICA does not, the rotation "
                        "is ICA's limit, not the data's; and the smallest Pearson ICA returns from the noise-free reference "
                        "ePDFs themselves (the solution its own objective, the negentropy approximation, prefers; "
                        "validate/ica_limit.hpp): below the threshold, no data of that phase set can pass criterion (1) by ICA. " +
              "Each point: a " + fmt(static_cast<double>(config.scan_n)) + " × " + fmt(static_cast<double>(config.scan_n)) +
              " scan at " + fmt(config.step_A / 10) + " nm of a slab on a " + fmt(config.film_thickness_A / 10) +
              " nm carbon film, phases in Voronoi domains of mean size ratio × probe diameter, fast model in "
              "profile-only mode (exact counting statistics of the azimuthal profiles), " + std::to_string(config.bin) +
              " × " + std::to_string(config.bin) + " binning, the 003 chain, PCA → ICA on G(r) " +
              fmt(config.decompose_window.lo) + "–" + fmt(config.decompose_window.hi) + " Å.");
  {
    std::vector<std::vector<std::string>> rows;
    for (const SweepPhase& p : config.phases)
      rows.push_back({p.name, p.model.formula(), std::to_string(p.model.size()), fmt(p.model.mass_density_g_cm3())});
    w.table("phases", "Phases (the first n are used for n phases)", {"name", "formula", "atoms", "density (g/cm³)"}, rows);
  }
  const SweepPoint& b = config.base;
  w.paragraph("Base point: dose " + fmt(b.dose) + " e⁻/Å², thickness " + fmt(b.thickness_A / 10) + " nm, domain/probe " +
              fmt(b.domain_ratio) + ", " + std::to_string(b.n_phases) + " phases" +
              (b.blend > 0 ? ", blend fraction " + fmt(b.blend) : std::string()) + ".");
  {
    // ICA of the references themselves, per phase count: the phase set's own limit for this ICA.
    std::map<std::tuple<int, double, double>, std::tuple<double, double, double>> per_set;  // (phases, blend, damping)
    for (const SweepMapResult& mr : res.maps)
      for (const SweepPointResult& p : mr.points)
        if (std::isfinite(p.ica_reference_choice))
          per_set[{p.point.n_phases, p.point.blend, p.point.damping_b}] = {p.reference_similarity, p.ica_reference_choice,
                                                                            p.ica_reference_best};
    if (!per_set.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const auto& [k, v] : per_set)
        rows.push_back({std::to_string(std::get<0>(k)), fmt(std::get<1>(k)), fmt(std::get<2>(k)), fmt(std::get<0>(v)),
                        fmt(std::get<1>(v)), fmt(std::get<2>(v))});
      w.table("ica_of_references",
              "ICA of the noise-free reference ePDFs themselves (smallest per-phase Pearson over the criterion's window), per phase "
              "set (number of phases, blend fraction) and per-pixel damping: the "
              "solution ICA's objective prefers, and the best of its solutions (two phases: every stationary point of the "
              "contrast; more: 8 seeded runs). Below the threshold no data of that phase set pass criterion (1) by ICA's own choice.",
              {"phases", "blend fraction", "damping b (Å²)", "reference similarity (max Pearson)", "ICA's choice", "best solution"},
              rows);
    }
  }
  for (std::size_t mi = 0; mi < res.maps.size(); ++mi) {
    const SweepMapResult& mr = res.maps[mi];
    const std::string tag = "map" + std::to_string(mi + 1) + "_" + sweep_axis_name(mr.map.x) + "_vs_" + sweep_axis_name(mr.map.y);
    w.section("Map " + std::to_string(mi + 1) + ": " + sweep_axis_label(mr.map.x) + " × " + sweep_axis_label(mr.map.y));
    std::vector<double> acc, pear, succ;
    std::vector<std::vector<std::string>> rows;
    for (const SweepPointResult& p : mr.points) {
      acc.push_back(std::isfinite(p.accuracy) ? p.accuracy : 0.0);
      pear.push_back(std::isfinite(p.min_pearson) ? std::max(0.0, p.min_pearson) : 0.0);
      succ.push_back(p.success ? 1.0 : 0.0);
      rows.push_back({fmt(p.point.dose), fmt(p.point.thickness_A / 10), fmt(p.point.domain_ratio), std::to_string(p.point.n_phases),
                      fmt(p.point.blend), fmt(p.point.damping_b),
                      fmt(p.reference_similarity), std::to_string(p.pca_components), std::to_string(p.components_used), fmt(p.min_pearson), fmt(p.min_subspace_pearson), fmt(p.min_vca_pearson), fmt(p.ica_reference_choice), fmt(p.accuracy), p.success ? "yes" : "no",
                      fmt(p.seconds, 3), p.summary});
    }
    const auto logscale = [](SweepAxis a) {
      return a != SweepAxis::PhaseCount && a != SweepAxis::Blend && a != SweepAxis::Damping;
    };
    const bool xlog = logscale(mr.map.x), ylog = logscale(mr.map.y);
    w.phase_map_figure(tag + "_accuracy", "Classification accuracy (cells marked where unmixing succeeds)",
                       sweep_axis_label(mr.map.x), mr.map.xs, xlog, sweep_axis_label(mr.map.y), mr.map.ys, ylog, acc,
                       "accuracy", succ, 0, 1);
    w.phase_map_figure(tag + "_pearson", "Smallest per-phase Pearson of the matched ICA components (1.5–10 Å)",
                       sweep_axis_label(mr.map.x), mr.map.xs, xlog, sweep_axis_label(mr.map.y), mr.map.ys, ylog, pear,
                       "min Pearson", succ, 0, 1);
    w.table(tag, "Every point of map " + std::to_string(mi + 1),
            {"dose (e⁻/Å²)", "thickness (nm)", "domain/probe", "phases", "blend fraction", "damping b (Å²)",
             "reference similarity (max Pearson)",
             "PCA count (automatic)", "ICA components", "min Pearson", "min subspace ceiling", "min Pearson (VCA)", "min Pearson (ICA of the references)", "accuracy", "success",
             "seconds", "summary"},
            rows);
    // Where it fails: for every y, the smallest x with success (the boundary).
    std::vector<std::vector<std::string>> brow;
    for (std::size_t j = 0; j < mr.map.ys.size(); ++j) {
      std::string first = "none";
      for (std::size_t i = 0; i < mr.map.xs.size(); ++i)
        if (mr.points[j * mr.map.xs.size() + i].success) {
          first = fmt(mr.map.xs[i]);
          break;
        }
      std::string first_maps = "none";
      for (std::size_t i = 0; i < mr.map.xs.size(); ++i)
        if (mr.points[j * mr.map.xs.size() + i].maps_ok) {
          first_maps = fmt(mr.map.xs[i]);
          break;
        }
      brow.push_back({fmt(mr.map.ys[j]), first, first_maps});
    }
    w.table(tag + "_boundary", "Smallest " + sweep_axis_label(mr.map.x) + " at which unmixing succeeds, per " +
                                   sweep_axis_label(mr.map.y),
            {sweep_axis_label(mr.map.y), "first success at " + sweep_axis_label(mr.map.x),
             "first map success (criterion 2 alone)"},
            brow);
  }
  ReportOptions ro;
  ro.draw_figures = config.draw_figures;
  const ReportOutcome out = w.write(config.output_dir, ro);
  res.report_html = out.html;
  res.figures_drawn = out.figures_drawn;
  res.seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  return res;
}

}  // namespace sedpdf
