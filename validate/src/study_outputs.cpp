// The outputs of a finished study (see study.hpp): the acceptance checks of issue 8, the inputs of 003's
// observations, the report's sections and study.h5 — the parts of run_study that only read its results.
#include "study_parts.hpp"

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <limits>
#include <sstream>

#include "sedpdf/structures/h5.hpp"
#include "sedpdf/validate/report_sections.hpp"

namespace sedpdf::study_detail {

namespace {
namespace fs = std::filesystem;
const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string fixed(double v, int prec) {
  std::ostringstream s;
  s << std::fixed << std::setprecision(prec) << v;
  return s.str();
}

std::string yes_no(bool b) { return b ? "yes" : "no"; }

/// How the decomposed pixels were chosen and how they agree with the ground-truth particle.
std::string mask_sentence(const DatasetStudy& ds) {
  const std::size_t n = ds.mask_source == ParticleMaskSource::Vadf ? ds.vadf_mask.n_inside : ds.truth_particle_pixels;
  std::string t = ds.mask_source == ParticleMaskSource::Truth ? "Mask: the ground-truth particle."
                                                              : "Mask: VADF > " + fmt(ds.vadf_mask.threshold, 4);
  if (ds.mask_source == ParticleMaskSource::Vadf) {
    if (ds.vadf_mask.automatic)
      t += " = the bare film's level " + fmt(ds.vadf_mask.film_level, 4) + " + " +
           fmt((ds.vadf_mask.threshold - ds.vadf_mask.film_level) / ds.vadf_mask.film_sigma, 3) + " × its σ " +
           fmt(ds.vadf_mask.film_sigma, 2) + " (automatic; Otsu split " + fmt(ds.vadf_mask.otsu, 4) + ")";
    t += ": " + std::to_string(n) + " pixels, holding " + std::to_string(ds.mask_and_truth_pixels) + " of the " +
         std::to_string(ds.truth_particle_pixels) + " ground-truth particle pixels (thicker than the scoring limit), " +
         std::to_string(n - ds.mask_and_truth_pixels) + " others.";
  }
  return t;
}
}  // namespace

std::string fmt(double v, int prec) {
  std::ostringstream s;
  s << std::setprecision(prec) << v;
  return s.str();
}


std::string dose_label(double dose) { return fmt(dose, 3) + " e⁻/Å²"; }


std::vector<StudyResult::Check> acceptance_checks(const DatasetStudy& d0, const std::vector<std::string>& names) {
  std::vector<StudyResult::Check> checks;
  const std::size_t np = names.size();
  for (const PhaseStudy& ph : d0.phases) {
    if (ph.r.empty()) {
      checks.push_back({ph.name + ": area-averaged ePDF", "no pure positions of the phase in the scan", false});
      continue;
    }
    const PeakComparison& pc = ph.peaks_vs_xray;
    checks.push_back({ph.name + ": first-shell peak within ±0.05 Å of the X-ray PDF's",
                          "offset " + fixed(pc.first_shell_offset, 3) +
                              (std::isfinite(ph.first_shell_sigma_A) ? " ± " + fixed(ph.first_shell_sigma_A, 3) + " (1σ, counting noise)" : "") +
                              (std::isfinite(ph.first_shell_sigma_jackknife_A)
                                   ? " ± " + fixed(ph.first_shell_sigma_jackknife_A, 3) + " (1σ, jackknife over the positions: counting, speckle, thickness mix)"
                                   : "") +
                              " Å (vs X-ray at ePDF resolution: " +
                              fixed(ph.peaks_vs_xray_matched.first_shell_offset, 3) + " Å; vs kinematic ePDF: " +
                              fixed(ph.peaks_vs_kinematic.first_shell_offset, 3) + " Å; the noise-free kinematic ePDF itself vs X-ray: " +
                              fixed(ph.kinematic_vs_xray.first_shell_offset, 3) + " Å)",
                          pc.first_shell_ok});
    // The item as worded: the ePDF's peak positions within ±0.1 Å of the X-ray PDF's (PeakComparison: counted
    // from the ePDF's peaks; the X-ray peaks it does not resolve are counted beside it).
    const auto own = [](const PeakComparison& c) {
      return std::to_string(c.n_peaks_at_reference) + "/" + std::to_string(c.peaks.size());
    };
    const auto found = [](const PeakComparison& c) {
      return std::to_string(c.n_matched) + "/" + std::to_string(c.reference_peaks.size());
    };
    checks.push_back({ph.name + ": peaks to 8 Å within ±0.1 Å of the X-ray PDF's",
                      "the ePDF's peaks at an X-ray peak: " + own(pc) + ", max |offset| " + fixed(pc.max_abs_peak_offset, 3) +
                          " Å; X-ray peaks found in the ePDF: " + found(pc) + " (at the ePDF's resolution: ePDF peaks at an X-ray peak " +
                          own(ph.peaks_vs_xray_matched) + ", X-ray peaks found " + found(ph.peaks_vs_xray_matched) +
                          "; vs kinematic ePDF: " + own(ph.peaks_vs_kinematic) + ", " + found(ph.peaks_vs_kinematic) + ", max " +
                          fixed(std::max(ph.peaks_vs_kinematic.max_abs_offset, ph.peaks_vs_kinematic.max_abs_peak_offset), 3) +
                          " Å; the noise-free kinematic ePDF itself vs X-ray: " + own(ph.kinematic_vs_xray) + ", " +
                          found(ph.kinematic_vs_xray) + ")",
                      pc.peaks_at_reference()});
  }
  checks.push_back({"PCA reports " + std::to_string(np) + " significant components",
                        std::to_string(d0.pca_components) + " (" + d0.pca_reason + ")",
                        d0.pca_components == static_cast<int>(np)});
  {
    std::string m;
    for (std::size_t p = 0; p < np; ++p)
      m += (p ? "; " : "") + names[p] + " r = " + fixed(d0.verdict.phase_pearson.size() > p ? d0.verdict.phase_pearson[p] : kNaN, 3) +
           " (ceiling of the PCA subspace " + fixed(d0.verdict.subspace_pearson.size() > p ? d0.verdict.subspace_pearson[p] : kNaN, 3) + ")";
    if (np == 2 && d0.verdict.reference_pearson.size() == 4)
      m += "; references correlated " + fixed(d0.verdict.reference_pearson[1], 2);
    if (d0.vca_pearson.size() == np) {
      m += "; pure-pixel unmixing (VCA) of the same cube:";
      for (std::size_t p = 0; p < np; ++p) m += std::string(p ? "," : "") + " " + names[p] + " " + fixed(d0.vca_pearson[p], 3);
    }
    const ReferenceIcaLimit& L = d0.ica_reference;
    if (L.k == np && L.pearson.size() == np) {
      m += "; the same ICA on the noise-free reference ePDFs themselves:";
      for (std::size_t p = 0; p < np; ++p) m += std::string(p ? "," : "") + " " + names[p] + " " + fixed(L.pearson[p], 3);
      if (!L.stationary.empty()) {
        for (const IcaStationaryPoint& q : L.stationary)
          if (q.preferred) m += " — there, too, ICA's own objective (largest negentropy of its " + std::to_string(L.stationary.size()) +
                                " solutions) picks smaller Pearson " + fixed(q.smallest, 3);
        m += "; best of them " + fixed(L.best_smallest, 3);
      } else
        m += " (best of " + std::to_string(L.starts) + " starts: smallest Pearson " + fixed(L.best_smallest, 3) + ")";
    }
    checks.push_back({"ICA components match the right phases (Pearson >= 0.9 over 1.5–10 Å vs the kinematic ePDF at the chain's resolution)", m,
                          d0.verdict.spectra_ok});
  }
  checks.push_back(
      {"loading maps classify >= 95 % of pixels outside one probe diameter of an interface",
       fixed(100 * d0.verdict.classification.accuracy, 1) + " % of " + std::to_string(d0.verdict.classification.n_scored) +
           " pixels by k-means on the loading vectors (label-map exclusion: " +
           fixed(100 * d0.classification_labelmap.accuracy, 1) + " % of " + std::to_string(d0.classification_labelmap.n_scored) +
           "; each pixel by its largest loading: " + fixed(100 * d0.verdict.classification_largest.accuracy, 1) + " %)",
       d0.verdict.maps_ok});
  if (d0.inclusion.present)
    checks.push_back({"the inclusion (" + d0.inclusion.phase_name + ", r = " + fmt(d0.inclusion.radius_A / 10, 3) +
                              " nm) is found",
                          std::to_string(d0.inclusion.pixels_inside_correct) + "/" + std::to_string(d0.inclusion.pixels_inside) +
                              " pixels inside labelled " + d0.inclusion.phase_name + ", ring " +
                              std::to_string(d0.inclusion.ring_correct) + "/" + std::to_string(d0.inclusion.ring_pixels) +
                              " correct, loading contrast " + fmt(d0.inclusion.loading_contrast, 3),
                          d0.inclusion.found});
  for (const PhaseStudy& ph : d0.phases)
    if (ph.bands.size() >= 2)
      checks.push_back({ph.name + ": loadings lower in the thickest region than in thin regions",
                            "mean loading " + fmt(ph.bands.front().mean_loading, 3) + " at " +
                                fmt(ph.bands.front().thickness_mean_A / 10, 3) + " nm → " +
                                fmt(ph.bands.back().mean_loading, 3) + " at " + fmt(ph.bands.back().thickness_mean_A / 10, 3) +
                                " nm (ratio " + fmt(ph.bands.back().mean_loading / ph.bands.front().mean_loading, 3) +
                                "); first-peak height of G " + fmt(ph.bands.front().first_peak_height, 3) + " → " +
                                fmt(ph.bands.back().first_peak_height, 3) + " Å⁻²; amplitude of φ(s) on the kinematic φ " +
                                fmt(ph.bands.front().phi_amplitude, 3) + " → " + fmt(ph.bands.back().phi_amplitude, 3) +
                                " (ratio " + fmt(ph.bands.back().phi_amplitude / ph.bands.front().phi_amplitude, 3) +
                                ": plural and inelastic scattering, docs/study.md)",
                            ph.loading_lower_in_thickest});

  return checks;
}

std::vector<ObservationPhaseData> observation_inputs(const DatasetStudy& d0) {
  std::vector<ObservationPhaseData> od;
  for (const PhaseStudy& ph : d0.phases) {
    const PhaseReference& ref = ph.reference;
    ObservationPhaseData o;
    o.name = ph.name;
    o.material = material_003(ref.partials.elements);
    if (o.material == Material003::Other || ph.r.empty()) continue;
    o.phi_xray = {ref.xray.scattering.s, ref.xray.scattering.phi, {}};
    o.phi_kinematic = {ref.electron.scattering.s, ref.electron.scattering.phi, {}};
    o.phi_area = {ph.s, ph.phi, ph.phi_sigma};
    o.r = ph.r;
    o.G_xray = interpolate_linear(ref.xray.r, ref.xray.G, ph.r);
    if (!ref.xray_matched.r.empty()) o.G_xray_matched = interpolate_linear(ref.xray_matched.r, ref.xray_matched.G, ph.r);
    o.G_kinematic = interpolate_linear(ref.electron.r, ref.electron.G, ph.r);
    o.G_area = ph.G;
    o.G_area_sigma = ph.G_sigma;
    for (const ThicknessBand& b : ph.bands) {
      o.band_first_peaks.emplace_back(b.first_peak_position, b.first_peak_height);
      o.band_thickness_A.push_back(b.thickness_mean_A);
    }
    if (ph.component >= 0 && static_cast<std::size_t>(ph.component) < d0.components.size()) {
      o.component_r = d0.r;
      o.component = d0.components[static_cast<std::size_t>(ph.component)];
    }
    od.push_back(std::move(o));
  }
  return od;
}

void add_study_sections(ReportWriter& w, const StudyReportInputs& in) {
  const StudyConfig& cfg = in.cfg;
  const StudyResult& res = in.res;
  const std::vector<PhaseReference>& refs = in.refs;
  const std::vector<PdfResult>& pixel_refs = in.pixel_refs;
  const std::size_t np = in.phase_names.size();
  const DatasetStudy& d0 = res.datasets.front();
  const bool second_alone = in.second_alone, damaged = in.damaged;
  const std::vector<DamageModel>& damage_of_phase = in.damage_of_phase;
  const std::vector<double>& doses = in.doses;
  w.section("Summary");
  w.paragraph("Scenario " + cfg.name + ": " + std::to_string(cfg.scan.nx) + " × " + std::to_string(cfg.scan.ny) +
              " scan positions at " + fmt(cfg.scan.step_A / 10, 3) + " nm, " + study_engine_name(cfg.engine) +
              " forward model, " + fmt(cfg.probe.energy_keV, 4) + " kV, " + fmt(cfg.probe.alpha_mrad, 3) + " mrad, detector " +
              cfg.detector.layout + " at " + fmt(cfg.detector.ds, 3) + " Å⁻¹/pixel, " + dose_label(doses[0]) + "; reduced with " +
              std::to_string(cfg.bin) + " × " + std::to_string(cfg.bin) +
              " binning and the 003 chain (Mu 2013 polynomial, exp damping b = " + fmt(cfg.chain.damping.b, 3) +
              " per pixel, " + fmt(cfg.region_damping_b, 3) + " for area averages" +
              (cfg.chain.plural_deconvolution
                   ? std::string("; NOT 003: plural scattering removed first by Fourier-log deconvolution, disc radius ") +
                         fmt(cfg.chain.plural.s_alpha, 3) + " Å⁻¹, docs/reduction.md"
                   : std::string()) +
              "); PCA → ICA on G(r) over " +
              fmt(cfg.decompose_window.lo, 3) + "–" + fmt(cfg.decompose_window.hi, 3) + " Å over " +
              (cfg.particle_mask == ParticleMaskSource::Truth
                   ? std::string("the particle's binned pixels by the ground truth (thicker than ") +
                         fmt(cfg.min_thickness_A / 10, 3) + " nm)"
                   : std::string("the binned pixels above a VADF threshold (data only)")) +
              "; pixels thinner than " + fmt(cfg.min_thickness_A / 10, 3) +
              " nm (ground truth) are not scored. Definitions and criteria: docs/study.md.");
  if (!res.answers.empty()) {
    std::vector<std::vector<std::string>> rows;
    for (const StudyAnswer& a : res.answers) rows.push_back({a.question, a.answer, a.evidence});
    w.table("answers",
            "What this run says: the questions a user brings, answered from this run's numbers (rules in "
            "validate/answers.hpp; the acceptance items of issue 8 follow)",
            {"question", "answer", "evidence"}, rows);
  }
  {
    std::vector<std::vector<std::string>> rows;
    for (const auto& c : res.checks) rows.push_back({c.item, c.measured, c.pass ? "pass" : "FAIL"});
    w.table("acceptance", "Issue 8 acceptance items on this run", {"item", "measured", "result"}, rows);
  }
  if (!res.observations.empty()) add_observations_section(w, res.observations);
  for (const PhaseReference& ref : refs) add_reference_section(w, ref);
  for (const PhaseStudy& ph : d0.phases)
    if (!ph.r.empty())
    {
      add_epdf_comparison(w, "area-averaged " + ph.name + " (" + std::to_string(ph.positions) + " positions)", ph.r, ph.G,
                          ph.reference, {{1.5, 10.0}, {1.5, 5.0}, {5.0, 10.0}}, {1.0, 2.3}, ph.peak_sigma_A,
                          MeasuredPhi{ph.s, ph.phi, ph.phi_sigma, cfg.chain.s_min},
                          EpdfPeakSigmas{ph.epdf_peak_sigma_A, ph.epdf_peak_sigma_jackknife_A});
      if (ph.plural_events >= 0)
        w.paragraph("Plural scattering removed before the fit (Fourier-log deconvolution, docs/reduction.md): " +
                    fmt(ph.plural_events, 3) + " scattering events per electron (the unscattered disc holds " +
                    fmt(100 * std::exp(-ph.plural_events), 3) + " % of the counts); φ and G above are of the "
                    "single-event profile.");
    }
  for (const DatasetStudy& ds : res.datasets) {
    w.section("Unmixing, " + ds.label);
    w.paragraph(std::to_string(ds.pixels_decomposed) + " binned pixels of " + fmt(ds.binned_step_A / 10, 3) +
                " nm decomposed (" + std::to_string(ds.failed_pixels) + " failed reductions). " + mask_sentence(ds) +
                " PCA: " + ds.pca_reason);
    UnmixingInput uin;
    uin.r = ds.r;
    uin.components = ds.components;
    for (std::size_t p = 0; p < np; ++p) {
      uin.phase_names.push_back(in.phase_names[p]);
      uin.references.push_back(interpolate_linear(pixel_refs[p].r, pixel_refs[p].G, ds.r));
    }
    uin.loadings = ds.loadings;
    uin.truth.nx = ds.binned_nx;
    uin.truth.ny = ds.binned_ny;
    uin.truth.step = ds.binned_step_A;
    uin.truth.labels = ds.truth_labels;
    // The components and loadings were sign-corrected already: show them with positive signs.
    UnmixingVerdict v = ds.verdict;
    std::fill(v.match.sign.begin(), v.match.sign.end(), 1);
    for (double& c : v.match.correlation) c = std::fabs(c);
    if (&ds == &res.datasets.front()) {
      add_unmixing_section(w, uin, v, cfg.criteria, ds.pca_variance_ratio, ds.pca_components);
      add_ica_solutions_section(w, ds.ica_solutions, ds.ica_scan_data, ds.ica_reference, ds.ica_scan_references, uin.phase_names,
                                cfg.criteria.window, ds.ica_reference_note);
      if (!ds.ica_reference_vs_damping.empty()) {
        std::vector<std::vector<std::string>> rows;
        for (const DatasetStudy::DampingIcaLimit& q : ds.ica_reference_vs_damping)
          rows.push_back({fmt(q.b, 3) + (q.b == cfg.chain.damping.b ? " (this run)" : ""), fixed(q.choice, 3), fixed(q.best, 3)});
        w.table("ica_reference_vs_damping",
                "ICA of the noise-free reference ePDFs at other per-pixel dampings exp(−b s²) (the chain's s range kept): the "
                "smallest per-phase Pearson of ICA's own choice and of its best solution. 003 damps single pixels with b ≈ "
                "0.6–1.0; docs/study.md, \"The per-pixel damping\"",
                {"b (Å²)", "ICA's choice", "best solution"}, rows);
      }
    } else {
      // add_unmixing_section names its figures and tables itself: a second dataset gets its own short section.
      std::vector<std::vector<std::string>> rows;
      for (std::size_t p = 0; p < np; ++p)
        rows.push_back({in.phase_names[p], std::to_string(p < v.component_of_phase.size() ? v.component_of_phase[p] : -1),
                        fmt(p < v.phase_pearson.size() ? v.phase_pearson[p] : kNaN)});
      rows.push_back({"classification", fmt(v.classification.accuracy), std::to_string(v.classification.n_scored) + " pixels"});
      rows.push_back({"success", v.success ? "yes" : "no", v.summary});
      const std::string sfx = second_alone ? "_scan2" : "_cumulative";
      const std::string what = second_alone ? "the second scan" : "the cumulative dataset";
      w.table("unmixing" + sfx, "Unmixing of " + what + " (" + ds.label + ")",
              {"phase / item", "component / value", "Pearson / note"}, rows);
      std::vector<ImagePanel> panels;
      std::vector<double> truth_l(ds.truth_labels.begin(), ds.truth_labels.end());
      std::vector<double> pred_l(v.predicted.labels.begin(), v.predicted.labels.end());
      panels.push_back({"ground truth", ds.binned_nx, ds.binned_ny, truth_l, ds.binned_step_A, true, "tab10"});
      panels.push_back({"classified", ds.binned_nx, ds.binned_ny, pred_l, ds.binned_step_A, true, "tab10"});
      for (std::size_t c = 0; c < ds.loadings.size(); ++c)
        panels.push_back({"loading " + std::to_string(c + 1), ds.binned_nx, ds.binned_ny, ds.loadings[c], ds.binned_step_A, false,
                          "viridis"});
      w.image_figure("maps" + sfx, ds.label + ": loading maps beside the ground truth", panels);
    }
    if (!ds.interface_widths.empty()) {
      std::vector<std::vector<std::string>> rows;
      for (const InterfaceWidth& iw : ds.interface_widths)
        rows.push_back({iw.map, std::to_string(iw.points),
                        iw.ok ? fmt(iw.fit.sigma / 10, 3) : "—", iw.ok ? fmt(iw.fit.width_10_90 / 10, 3) : "—",
                        iw.ok ? fmt(iw.fit.x0 / 10, 3) : "—", fmt(ds.interface_sigma_expected_A / 10, 3),
                        fmt(2.5631 * ds.interface_sigma_expected_A / 10, 3)});
      w.table("interface" + std::string(&ds == &res.datasets.front() ? "" : (second_alone ? "_scan2" : "_cumulative")),
              "Interface width: erf edge across the planar interface of the phase fraction (loading vectors projected "
              "between the two classes' means: independent of ICA's rotation) and of each phase's matched component "
              "(binned pixels within " +
                  fmt(8 * cfg.probe_diameter_A / 10, 3) + " nm of it, away from inclusions; maps.hpp fit_erf_edge). The "
                  "specimen's own 10–90 % width is " + fmt(ds.interface_true_width_10_90_A / 10, 3) +
                  " nm; expected through the probe footprint and the binned pixel: σ = √(σ_probe² + pixel²/12 + "
                  "σ_graded²)",
              {"map", "pixels", "σ (nm)", "10–90 % (nm)", "edge offset x₀ (nm)", "expected σ (nm)", "expected 10–90 % (nm)"},
              rows);
    }
    if (ds.inclusion.present) {
      const InclusionStudy& is = ds.inclusion;
      w.table("inclusion" + std::string(&ds == &res.datasets.front() ? "" : (second_alone ? "_scan2" : "_cumulative")),
              "The " + is.phase_name + " inclusion at (" + fmt(is.x_A / 10, 4) + ", " + fmt(is.y_A / 10, 4) + ") nm, radius " +
                  fmt(is.radius_A / 10, 3) + " nm: found when >= 1 pixel inside is labelled " + is.phase_name +
                  " and >= 90 % of the ring R + probe … 3R + probe is labelled correctly",
              {"pixels inside", "labelled correctly", "ring pixels", "ring correct", "loading contrast", "found"},
              std::vector<std::vector<std::string>>{{std::to_string(is.pixels_inside), std::to_string(is.pixels_inside_correct),
                                                     std::to_string(is.ring_pixels), std::to_string(is.ring_correct),
                                                     fmt(is.loading_contrast, 4), yes_no(is.found)}});
    }
  }
  // Beam damage (a model) and the second scan alone.
  if (damaged || second_alone) {
    w.section("Beam damage (a model) and the second scan");
    std::string txt =
        "Two states per phase, intact and damaged, with first-order kinetics: the intact fraction after a dose D is "
        "exp(−D/D_c); a scan recorded while the dose rises from D_a to D_b sees the exposure-averaged damaged fraction "
        "f̄. The damaged state keeps its pairs shorter than r_intact and has the longer ones smeared by a Gaussian of σ, "
        "and keeps (1 − mass loss) of its mass; each column holds (1 − f̄) t of the intact phase and f̄ (1 − mass loss) t "
        "of the damaged one (simulate/damage.hpp, docs/forward_models.md). The parameters are assumptions, not "
        "measurements:";
    for (std::size_t p = 0; p < np; ++p) {
      const DamageModel& dm = damage_of_phase[p];
      txt += " " + in.phase_names[p] + (dm.active() ? ": D_c = " + fmt(dm.critical_dose, 4) + " e⁻/Å², σ = " +
                                                         fmt(dm.pair_sigma_A, 3) + " Å beyond " + fmt(dm.r_intact_A, 3) +
                                                         " Å, mass loss " + fmt(dm.mass_loss, 3) + ";"
                                                   : ": not damaged;");
    }
    w.paragraph(txt);
    std::vector<std::vector<std::string>> rows;
    for (const DatasetStudy& ds : res.datasets)
      for (std::size_t p = 0; p < np; ++p) {
        const auto at = [&](const std::vector<double>& v) { return p < v.size() ? fmt(v[p], 4) : std::string("nan"); };
        rows.push_back({ds.label, in.phase_names[p], fmt(ds.dose_before, 4) + " → " + fmt(ds.dose_before + ds.dose, 4),
                        at(ds.damaged_fraction), at(ds.scan_pearson), at(ds.scan_max_abs_dG), at(ds.scan_first_peak_ratio)});
      }
    w.table("damage", "Per dataset and phase: the dose interval, the damaged fraction f̄, and (second scan alone) its area "
                      "average against the first scan's over 1.5–10 Å",
            {"dataset", "phase", "dose (e⁻/Å²)", "damaged fraction", "Pearson vs scan 1", "max |ΔG| (Å⁻²)",
             "first-peak height / scan 1"},
            rows);
    if (second_alone && res.datasets.size() > 1) {
      std::vector<Series> series;
      std::vector<PanelAxes> panels;
      for (std::size_t p = 0; p < np && p < res.datasets[1].phases.size(); ++p) {
        const PhaseStudy& a = res.datasets[0].phases[p];
        const PhaseStudy& b = res.datasets[1].phases[p];
        if (a.r.empty() || b.r.empty()) continue;
        const int panel = static_cast<int>(panels.size());
        panels.push_back({a.name, "r (Å)", "G(r) (Å⁻²)"});
        series.push_back({"scan 1", a.r, a.G, panel});
        series.push_back({"scan 2", b.r, b.G, panel});
      }
      if (!panels.empty())
        w.line_figure("scans", "Area-averaged ePDFs of the first and the second scan of the same area (003 Fig. 4)", panels,
                      series);
    }
  }
  // Thickness.
  w.section("ePDF and loadings vs thickness");
  w.paragraph("Multiple and inelastic scattering lower the ePDF peaks with thickness while their positions stay (003, "
              "discussion of Fig. 3 and ESI Fig. 11): a pixel's G(r) is then not a fixed mixture of the phase signals, "
              "and ICA assigns the thick pixels a lower loading. Below: area-averaged ePDFs of each phase over bands of "
              "equal numbers of pure positions (thinnest first), the first-peak height, their φ(s) and its amplitude on "
              "the kinematic φ (the share of the single-scattering interference signal the chain keeps: the N⟨f²⟩ + C fit "
              "counts every scattering event, only single events carry the interference term, so plural elastic "
              "scattering alone leaves ≈ exp(−t/λ_el), and the incoherent inelastic background lowers it further), and "
              "the mean loading of the phase's matched ICA component over its pixels in the same thickness range.");
  for (const PhaseStudy& ph : d0.phases) {
    if (ph.bands.empty()) continue;
    std::vector<Series> series;
    std::vector<std::vector<double>> rows;
    // φ(s) per band from the chain's s_min to its s_max, beside the kinematic φ (the single-scattering limit).
    std::vector<double> ks, kp;
    const PdfResult& kin = ph.reference.electron;
    for (std::size_t i = 0; i < kin.scattering.s.size(); ++i)
      if (kin.scattering.s[i] >= cfg.chain.s_min) {
        ks.push_back(kin.scattering.s[i]);
        kp.push_back(kin.scattering.phi[i]);
      }
    auto phi_of = [&](const std::vector<double>& phi) {
      return phi.size() == ph.s.size() ? finite_part(Curve{ph.s, phi, {}}, {cfg.chain.s_min, kin.s_max}) : Curve{};
    };
    bool with_phi = !ks.empty();
    for (const ThicknessBand& b : ph.bands) with_phi = with_phi && phi_of(b.phi).x.size() >= 2;
    for (const ThicknessBand& b : ph.bands) {
      series.push_back({fmt(b.thickness_mean_A / 10, 3) + " nm", ph.r, b.G, 0});
      if (with_phi) {
        const Curve c = phi_of(b.phi);
        series.push_back({fmt(b.thickness_mean_A / 10, 3) + " nm", c.x, c.y, 1});
      }
      rows.push_back({b.thickness_lo_A / 10, b.thickness_hi_A / 10, b.thickness_mean_A / 10, static_cast<double>(b.positions),
                      b.first_peak_position, b.first_peak_height, b.phi_amplitude, static_cast<double>(b.pixels),
                      b.mean_loading});
    }
    std::vector<PanelAxes> axes{{ph.name + ": G(r)", "r (Å)", "G(r) (Å⁻²)"}};
    if (with_phi) {
      series.push_back({"kinematic (single scattering)", ks, kp, 1});
      axes.push_back({ph.name + ": φ(s)", "s (Å⁻¹)", "φ(s) (Å⁻¹)"});
    }
    w.line_figure("thickness_" + report_tag(ph.name),
                  ph.name + ": area-averaged G(r)" + (with_phi ? " and φ(s)" : "") + " per thickness band", axes, series);
    w.table("thickness_" + report_tag(ph.name),
            ph.name + ": thickness bands (Pearson of loading vs thickness over the phase's pixels: " +
                fmt(ph.loading_thickness_correlation, 3) + "; phi amplitude: least-squares amplitude of the band's phi(s) on "
                "the kinematic phi over " + fmt(cfg.chain.s_min, 3) + "-" + fmt(kin.s_max, 3) +
                " 1/A, 1 = single scattering; the whole area average: " + fmt(ph.phi_amplitude, 3) + ")",
            {"t_lo (nm)", "t_hi (nm)", "t_mean (nm)", "positions", "first peak r (Å)", "first peak G (Å⁻²)",
             "phi amplitude", "binned pixels", "mean loading"},
            rows);
  }
  {
    std::vector<std::vector<std::string>> rows;
    for (const DatasetStudy& ds : res.datasets)
      rows.push_back({ds.label, fixed(ds.seconds_simulate, 1), fixed(ds.seconds_reduce, 1), fixed(ds.seconds_unmix, 1),
                      fixed(ds.seconds_regions, 1)});
    w.section("Run");
    w.table("timings", "Seconds per stage (references: " + fixed(res.seconds_references, 1) + " s)",
            {"dataset", "simulate", "reduce", "unmix", "area averages"}, rows);
    std::vector<std::vector<std::string>> files;
    for (const std::string& name : in.files) files.push_back({name});
    w.table("files", "HDF5 files of this run (layouts: docs/formats.md)", {"file"}, files);
  }

}

void write_study_h5(const std::string& path, const StudyConfig& cfg, const StudyResult& res,
                    const std::vector<std::string>& names, bool second_alone) {
  {
    if (fs::exists(path)) fs::remove(path);
    H5Writer h(path);
    h.attribute("/", "creator", "sedpdf study");
    h.attribute("/", "name", cfg.name);
    for (const auto& [k, v] : cfg.metadata) h.attribute("/", k, v);
    for (std::size_t di = 0; di < res.datasets.size(); ++di) {
      const DatasetStudy& ds = res.datasets[di];
      const std::string g = "/dataset" + std::to_string(di);
      h.group(g);
      h.attribute(g, "label", ds.label);
      h.attribute(g, "dose_e_per_A2", ds.dose);
      h.attribute(g, "dose_before_e_per_A2", ds.dose_before);
      h.dataset(g + "/damaged_fraction", ds.damaged_fraction, "1");
      for (const InterfaceWidth& iw : ds.interface_widths) {
        const std::string t =
            iw.phase < 0 ? std::string("interface_fraction") : "interface_" + report_tag(names[static_cast<std::size_t>(iw.phase)]);
        h.attribute(g, t + "_sigma_A", iw.ok ? iw.fit.sigma : kNaN);
        h.attribute(g, t + "_width_10_90_A", iw.ok ? iw.fit.width_10_90 : kNaN);
        h.attribute(g, t + "_x0_A", iw.ok ? iw.fit.x0 : kNaN);
      }
      if (!ds.interface_widths.empty()) h.attribute(g, "interface_sigma_expected_A", ds.interface_sigma_expected_A);
      if (second_alone && di > 0) {
        h.dataset(g + "/scan_pearson", ds.scan_pearson, "1");
        h.dataset(g + "/scan_max_abs_dG", ds.scan_max_abs_dG, "Å⁻²");
        h.dataset(g + "/scan_first_peak_ratio", ds.scan_first_peak_ratio, "1");
      }
      h.attribute(g, "pca_components", static_cast<double>(ds.pca_components));
      h.attribute(g, "success", ds.verdict.success ? 1.0 : 0.0);
      h.attribute(g, "classification_accuracy", ds.verdict.classification.accuracy);
      h.attribute(g, "particle_mask", particle_mask_source_name(ds.mask_source));
      h.attribute(g, "pixels_decomposed", static_cast<double>(ds.pixels_decomposed));
      h.attribute(g, "truth_particle_pixels", static_cast<double>(ds.truth_particle_pixels));
      h.attribute(g, "mask_and_truth_pixels", static_cast<double>(ds.mask_and_truth_pixels));
      if (ds.mask_source == ParticleMaskSource::Vadf) {
        h.attribute(g, "vadf_threshold", ds.vadf_mask.threshold);
        h.attribute(g, "vadf_film_level", ds.vadf_mask.film_level);
        h.attribute(g, "vadf_film_sigma", ds.vadf_mask.film_sigma);
      }
      h.attribute(g, "summary", ds.verdict.summary);
      h.dataset(g + "/r", ds.r, "Å");
      h.dataset(g + "/pca_variance_ratio", ds.pca_variance_ratio, "1");
      for (std::size_t c = 0; c < ds.components.size(); ++c) {
        h.dataset(g + "/component" + std::to_string(c), ds.components[c], "Å⁻²");
        h.dataset(g + "/loading" + std::to_string(c), ds.loadings[c], "1");
      }
      std::vector<double> lab(ds.truth_labels.begin(), ds.truth_labels.end());
      h.dataset(g + "/truth_labels", lab, "1");
      std::vector<double> pred(ds.verdict.predicted.labels.begin(), ds.verdict.predicted.labels.end());
      h.dataset(g + "/predicted_labels", pred, "1");
      h.dataset(g + "/truth_thickness", ds.truth_thickness, "Å");
      h.dataset(g + "/phase_pearson", ds.verdict.phase_pearson, "1");
      h.dataset(g + "/vca_phase_pearson", ds.vca_pearson, "1");
      if (!ds.ica_reference_vs_damping.empty()) {
        std::vector<double> bb, ch, be;
        for (const DatasetStudy::DampingIcaLimit& q : ds.ica_reference_vs_damping) {
          bb.push_back(q.b);
          ch.push_back(q.choice);
          be.push_back(q.best);
        }
        h.dataset(g + "/ica_reference_damping_b", bb, "Å²");
        h.dataset(g + "/ica_reference_damping_choice", ch, "1");
        h.dataset(g + "/ica_reference_damping_best", be, "1");
      }
      h.dataset(g + "/subspace_pearson", ds.verdict.subspace_pearson, "1");
      h.dataset(g + "/reference_pearson", ds.verdict.reference_pearson, "1");
      for (std::size_t p = 0; p < ds.references.size(); ++p)
        h.dataset(g + "/reference_" + report_tag(names[p]), ds.references[p], "Å⁻²");
      if (ds.ica_reference.k > 0) {
        h.dataset(g + "/ica_reference_pearson", ds.ica_reference.pearson, "1");
        h.attribute(g, "ica_reference_best_smallest_pearson", ds.ica_reference.best_smallest);
      } else {
        h.attribute(g, "ica_reference_note", ds.ica_reference_note);
      }
      for (const PhaseStudy& ph : ds.phases) {
        if (ph.r.empty()) continue;
        const std::string pg = g + "/" + report_tag(ph.name);
        h.group(pg);
        h.dataset(pg + "/r", ph.r, "Å");
        h.dataset(pg + "/G_area", ph.G, "Å⁻²");
        if (ph.G_sigma_jackknife.size() == ph.G.size()) h.dataset(pg + "/G_area_sigma_jackknife", ph.G_sigma_jackknife, "Å⁻²");
        h.dataset(pg + "/G_xray", interpolate_linear(ph.reference.xray.r, ph.reference.xray.G, ph.r), "Å⁻²");
        h.dataset(pg + "/G_kinematic", interpolate_linear(ph.reference.electron.r, ph.reference.electron.G, ph.r), "Å⁻²");
        h.attribute(pg, "first_shell_offset_A", ph.peaks_vs_xray.first_shell_offset);
        {
          // Peak positions both ways (PeakComparison): the ePDF's peaks with their offset to the nearest X-ray
          // peak, the X-ray peaks with the offset of the nearest ePDF peak (NaN: none within 0.2 Å).
          const PeakComparison& pc = ph.peaks_vs_xray;
          std::vector<double> ep, xp;
          for (const PeakInfo& q : pc.peaks) ep.push_back(q.position);
          for (const PeakInfo& q : pc.reference_peaks) xp.push_back(q.position);
          if (!ep.empty()) {
            h.dataset(pg + "/epdf_peaks", ep, "Å");
            h.dataset(pg + "/epdf_peak_offsets", pc.peak_offsets, "Å");
            if (ph.epdf_peak_sigma_A.size() == ep.size()) h.dataset(pg + "/epdf_peak_sigma_counting", ph.epdf_peak_sigma_A, "Å");
            if (ph.epdf_peak_sigma_jackknife_A.size() == ep.size())
              h.dataset(pg + "/epdf_peak_sigma_jackknife", ph.epdf_peak_sigma_jackknife_A, "Å");
            h.attribute(pg, "first_shell_sigma_counting_A", ph.first_shell_sigma_A);
            h.attribute(pg, "first_shell_sigma_jackknife_A", ph.first_shell_sigma_jackknife_A);
          }
          if (!xp.empty()) {
            h.dataset(pg + "/xray_peaks", xp, "Å");
            h.dataset(pg + "/xray_peak_offsets", pc.offsets, "Å");
          }
        }
        h.attribute(pg, "positions", static_cast<double>(ph.positions));
        if (!ph.s.empty()) {
          h.dataset(pg + "/s", ph.s, "Å⁻¹");
          h.dataset(pg + "/phi_area", ph.phi, "Å⁻¹");
          h.dataset(pg + "/phi_kinematic",
                    interpolate_linear(ph.reference.electron.scattering.s, ph.reference.electron.scattering.phi, ph.s), "Å⁻¹");
          h.attribute(pg, "phi_amplitude", ph.phi_amplitude);
        }
        for (std::size_t b = 0; b < ph.bands.size(); ++b) {
          h.dataset(pg + "/G_band" + std::to_string(b), ph.bands[b].G, "Å⁻²");
          if (!ph.bands[b].phi.empty()) h.dataset(pg + "/phi_band" + std::to_string(b), ph.bands[b].phi, "Å⁻¹");
          h.attribute(pg, "band" + std::to_string(b) + "_phi_amplitude", ph.bands[b].phi_amplitude);
          h.attribute(pg, "band" + std::to_string(b) + "_thickness_mean_A", ph.bands[b].thickness_mean_A);
          h.attribute(pg, "band" + std::to_string(b) + "_mean_loading", ph.bands[b].mean_loading);
        }
      }
    }
    h.close();
  }
}

}  // namespace sedpdf::study_detail
