// The study end to end at reduced size (validate/study.hpp): a two-phase specimen with an abrupt interface,
// the fast model on a small detector, 2 × 2 binning, PCA → ICA, comparisons and the report.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <cstdio>
#include <filesystem>
#include <string>
#include <unistd.h>

#include "sedpdf/structures/h5.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/report_sections.hpp"
#include "sedpdf/validate/study.hpp"
#include "sedpdf/validate/sweep.hpp"

namespace sedpdf {
namespace {

namespace fs = std::filesystem;

const Structure& zif_model() {
  static const Structure s = read_structure(std::string(SEDPDF_REPO_DATA) + "/models/agZIF62_default.extxyz");
  return s;
}
const Structure& glass_model() {
  static const Structure s = read_structure(std::string(SEDPDF_REPO_DATA) + "/models/phosphate_default.extxyz");
  return s;
}

fs::path temp_dir(const std::string& name) {
  const fs::path p = fs::temp_directory_path() / ("sedpdf_" + name + "_" + std::to_string(getpid()));
  fs::remove_all(p);
  return p;
}

/// 16 × 16 positions at 5.5 nm over a 60–100 nm wedge (the thickness range of the default run's area),
/// agZIF-62 left of x = 44 nm, glass right of it, on the 10 nm film of 003, 10 e⁻/Å²; a 160 × 160 detector at
/// 0.036 Å⁻¹/pixel (s to 2.88 Å⁻¹ inscribed), so a pattern costs 1/10 of 003's.
StudyConfig tiny_study(const fs::path& out) {
  StudyConfig c = nanoscale2022_default(zif_model(), glass_model(), 16, 16);
  SpecimenSpec& s = c.specimen;
  s.field_x = s.field_y = 880;
  s.thickness = ThicknessGeometry{};
  s.thickness.kind = ThicknessGeometry::Kind::Wedge;
  s.thickness.thickness_min = 600;
  s.thickness.thickness_max = 1000;
  s.thickness.angle_deg = 90;  // thickness rises along y, across both phases
  s.geometry.inclusions.clear();
  s.geometry.x = 440;
  s.geometry.y = 440;
  s.geometry.normal_angle_deg = 0;
  s.film.thickness = 100;
  c.scan.x0_A = c.scan.y0_A = 27.5;
  c.detector.layout = "uniform";
  c.detector.uniform_nx = c.detector.uniform_ny = 160;
  c.detector.ds = 0.036;
  c.output_dir = out.string();
  c.draw_figures = false;
  c.thickness_bands = 2;
  c.seed = 7;
  return c;
}

TEST(Study, TinyScenarioEndToEnd) {
  const fs::path out = temp_dir("study");
  StudyConfig c = tiny_study(out);
  std::size_t progress_calls = 0;
  c.progress = [&](const StudyProgress&) { ++progress_calls; };
  const StudyResult r = run_study(c);
  ASSERT_EQ(r.datasets.size(), 1u);
  const DatasetStudy& d = r.datasets[0];
  EXPECT_GT(progress_calls, 5u);
  EXPECT_EQ(d.binned_nx, 8u);
  EXPECT_EQ(d.binned_ny, 8u);
  EXPECT_EQ(d.failed_pixels, 0u);
  // PCA finds the two phases; ICA components are matched one to one. With the continuous inelastic join
  // (simulate/inelastic.hpp) the data hold both phase ePDFs: the best combination of the two components reaches
  // 0.94–0.95 (agZIF-62) and 0.91–0.92 (glass) against the kinematic ePDFs (seeds 3, 5, 7), the area averages
  // 0.93–0.94 and 0.91–0.92; FastICA returns 0.84–0.86 and 0.57–0.59 — the rotation it picks for two
  // anti-correlated ePDFs of complementary phases is not the phases' (docs/study.md) — so the ICA values are
  // pinned from below as regression guards, not the acceptance values of issue 8.
  EXPECT_EQ(d.pca_components, 2) << d.pca_reason;
  ASSERT_EQ(d.verdict.phase_pearson.size(), 2u);
  std::printf("[study] ICA %.3f / %.3f, ceiling %.3f / %.3f, area vs kinematic %.3f / %.3f, classification %.3f "
              "(largest loading %.3f)\n", d.verdict.phase_pearson[0], d.verdict.phase_pearson[1],
              d.verdict.subspace_pearson[0], d.verdict.subspace_pearson[1],
              d.phases.size() == 2 ? d.phases[0].pearson_area_vs_kinematic : -1.0,
              d.phases.size() == 2 ? d.phases[1].pearson_area_vs_kinematic : -1.0, d.verdict.classification.accuracy,
              d.verdict.classification_largest.accuracy);
  EXPECT_GE(d.verdict.phase_pearson[0], 0.8);
  EXPECT_GE(d.verdict.phase_pearson[1], 0.45);
  EXPECT_GE(d.verdict.subspace_pearson[0], 0.9);
  EXPECT_GE(d.verdict.subspace_pearson[1], 0.88);
  // The same cube unmixed by VCA (pure pixels; no uncorrelated-sources constraint).
  ASSERT_EQ(d.vca_pearson.size(), 2u);
  std::printf("[study] VCA %.3f / %.3f\n", d.vca_pearson[0], d.vca_pearson[1]);
  EXPECT_GE(d.vca_pearson[0], 0.88);  // 0.922 / 0.908 at seed 7 (default run: 0.938 / 0.912)
  EXPECT_GE(d.vca_pearson[1], 0.88);
  EXPECT_NE(d.verdict.component_of_phase[0], d.verdict.component_of_phase[1]);
  // Which rotations ICA can return: the study's FastICA result is one of the enumerated solutions of its data
  // span, exactly one solution is ICA's own choice, and ICA of the noise-free references is reported.
  ASSERT_FALSE(d.ica_solutions.empty());
  std::size_t chosen = 0;
  double nearest = 1e9;
  for (const IcaStationaryPoint& q : d.ica_solutions) {
    chosen += q.preferred ? 1 : 0;
    ASSERT_EQ(q.pearson.size(), 2u);
    nearest = std::min(nearest, std::fabs(q.pearson[0] - d.verdict.phase_pearson[0]) +
                                    std::fabs(q.pearson[1] - d.verdict.phase_pearson[1]));
    std::printf("[study] ICA solution at %.1f deg: %.3f / %.3f, negentropy %.4g%s\n", q.angle_rad * 57.29578, q.pearson[0],
                q.pearson[1], q.negentropy, q.preferred ? " (ICA's choice)" : "");
  }
  EXPECT_EQ(chosen, 1u);
  EXPECT_LT(nearest, 1e-3);
  EXPECT_EQ(d.ica_reference.k, 2u) << d.ica_reference_note;
  EXPECT_FALSE(d.ica_reference.stationary.empty());
  EXPECT_GE(d.ica_reference.best_smallest, d.ica_reference.preferred_smallest);
  // ICA of the references at other per-pixel dampings: at the run's own damping it is the same computation (the
  // references transformed directly onto the grid instead of interpolated from the 0.01 Å one); undamped, ICA's
  // own choice returns both phases (0.95 for the shipped models, docs/study.md).
  ASSERT_EQ(d.ica_reference_vs_damping.size(), std::size(kIcaDampingScan));
  for (const DatasetStudy::DampingIcaLimit& q : d.ica_reference_vs_damping) {
    std::printf("[study] ICA of the references at b = %.1f: choice %.3f, best %.3f\n", q.b, q.choice, q.best);
    if (q.b == c.chain.damping.b) {
      EXPECT_NEAR(q.choice, d.ica_reference.preferred_smallest, 2e-3);
    }
  }
  EXPECT_GT(d.ica_reference_vs_damping.front().choice, 0.9);
  EXPECT_TRUE(fs::exists(out / "tables" / "ica_reference_vs_damping.csv"));
  EXPECT_TRUE(fs::exists(out / "tables" / "ica_solutions.csv"));
  EXPECT_EQ(d.ica_scan_data.size(), 180u);
  EXPECT_EQ(d.ica_scan_references.size(), 180u);
  EXPECT_TRUE(fs::exists(out / "figures" / "ica_rotation.csv"));
  // Classification outside one probe diameter of the interface (k-means on the loading vectors: 1.000 for the
  // three seeds, while the largest-loading rule gives 0.70–0.86 on these rotations).
  EXPECT_GE(d.verdict.classification.accuracy, 0.95) << d.verdict.summary;
  EXPECT_EQ(d.verdict.classification.n_scored, 64u);
  EXPECT_TRUE(d.verdict.maps_ok) << d.verdict.summary;
  // The interface: the phase fraction steps across it like the abrupt interface seen through the probe
  // footprint and the binned pixel (σ expected 3.82 nm).
  ASSERT_EQ(d.interface_widths.size(), 3u);
  for (const InterfaceWidth& iw : d.interface_widths)
    std::printf("[study] interface, %s: %zu pixels, sigma %.2f nm (expected %.2f), 10-90 %.2f nm, x0 %.2f nm\n",
                iw.map.c_str(), iw.points, iw.fit.sigma / 10, d.interface_sigma_expected_A / 10, iw.fit.width_10_90 / 10,
                iw.fit.x0 / 10);
  const InterfaceWidth& fr = d.interface_widths[0];  // the phase fraction: independent of ICA's rotation
  EXPECT_EQ(fr.map, "phase fraction");
  EXPECT_TRUE(fr.ok);
  EXPECT_GT(fr.points, 30u);
  EXPECT_NEAR(fr.fit.sigma, d.interface_sigma_expected_A, 0.3 * d.interface_sigma_expected_A);
  EXPECT_LT(std::fabs(fr.fit.x0), 0.5 * d.binned_step_A);  // within half a binned pixel of the true interface
  EXPECT_NEAR(fr.fit.high - fr.fit.low, 1.0, 0.15);       // from one class mean to the other
  EXPECT_NEAR(d.interface_sigma_expected_A, std::sqrt(std::pow(50 / 2.3548, 2) + 110.0 * 110.0 / 12), 1e-9);
  // Area averages: the first shell of each phase's ePDF within 0.1 Å of the kinematic ePDF's.
  ASSERT_EQ(d.phases.size(), 2u);
  for (const PhaseStudy& ph : d.phases) {
    EXPECT_GT(ph.positions, 20u) << ph.name;
    EXPECT_LT(std::fabs(ph.peaks_vs_kinematic.first_shell_offset), 0.1) << ph.name;
    // The noise-free kinematic ePDF itself against the X-ray PDF: electron pair weights move the agZIF-62 Zn–N
    // peak out by ~0.065 Å (2.074 vs 2.009 Å), the glass's P–O by ~0.04 Å (the models, not the experiment).
    std::printf("[study] %s: kinematic ePDF itself vs X-ray first shell %+.3f A, peaks to 8 A %zu/%zu\n", ph.name.c_str(),
                ph.kinematic_vs_xray.first_shell_offset, ph.kinematic_vs_xray.n_matched,
                ph.kinematic_vs_xray.reference_peaks.size());
    EXPECT_GT(ph.kinematic_vs_xray.first_shell_offset, 0.02) << ph.name;
    EXPECT_LT(ph.kinematic_vs_xray.first_shell_offset, 0.09) << ph.name;
    // Error bars of the area average's peak positions (counting noise through the chain).
    std::printf("[study] %s: first shell %+.3f +- %.4f A\n", ph.name.c_str(), ph.peaks_vs_xray.first_shell_offset,
                ph.first_shell_sigma_A);
    EXPECT_TRUE(ph.peak_sigma_note.empty()) << ph.peak_sigma_note;
    EXPECT_GT(ph.first_shell_sigma_A, 0.0) << ph.name;
    EXPECT_LT(ph.first_shell_sigma_A, 0.05) << ph.name;
    ASSERT_EQ(ph.peak_sigma_A.size(), ph.peaks_vs_xray.reference_peaks.size());
    for (std::size_t i = 0; i < ph.peak_sigma_A.size(); ++i)
      EXPECT_EQ(std::isfinite(ph.peak_sigma_A[i]), std::isfinite(ph.peaks_vs_xray.offsets[i])) << ph.name << " peak " << i;
    // Per peak of the area average too, every one finite; a matched X-ray peak carries its ePDF peak's σ.
    const PeakComparison& px = ph.peaks_vs_xray;
    ASSERT_EQ(ph.epdf_peak_sigma_A.size(), px.peaks.size());
    ASSERT_EQ(px.peak_offsets.size(), px.peaks.size());
    for (std::size_t j = 0; j < px.peaks.size(); ++j) {
      EXPECT_TRUE(std::isfinite(ph.epdf_peak_sigma_A[j])) << ph.name << " ePDF peak " << j;
      for (std::size_t i = 0; i < px.reference_peaks.size(); ++i) {
        if (std::isfinite(px.offsets[i]) && std::fabs(px.reference_peaks[i].position + px.offsets[i] - px.peaks[j].position) < 1e-12) {
          EXPECT_EQ(ph.peak_sigma_A[i], ph.epdf_peak_sigma_A[j]);
        }
      }
    }
    // The jackknife over 8 groups of the positions holds the counting noise and more (speckle, thickness mix).
    EXPECT_TRUE(ph.jackknife_note.empty()) << ph.jackknife_note;
    ASSERT_EQ(ph.epdf_peak_sigma_jackknife_A.size(), px.peaks.size());
    std::printf("[study] %s: first shell sigma counting %.4f A, jackknife %.4f A\n", ph.name.c_str(), ph.first_shell_sigma_A,
                ph.first_shell_sigma_jackknife_A);
    EXPECT_GT(ph.first_shell_sigma_jackknife_A, 0.5 * ph.first_shell_sigma_A) << ph.name;
    EXPECT_LT(ph.first_shell_sigma_jackknife_A, 0.05) << ph.name;
    // σ of G(r) by the jackknife against the counting σ propagated by the chain, rms over 1–10 Å.
    ASSERT_EQ(ph.G_sigma_jackknife.size(), ph.G.size());
    ASSERT_EQ(ph.G_sigma.size(), ph.G.size());
    double sj = 0, sc = 0, nr = 0;
    for (std::size_t i = 0; i < ph.r.size(); ++i)
      if (ph.r[i] >= 1 && ph.r[i] <= 10) {
        sj += ph.G_sigma_jackknife[i] * ph.G_sigma_jackknife[i];
        sc += ph.G_sigma[i] * ph.G_sigma[i];
        ++nr;
      }
    std::printf("[study] %s: rms sigma(G) 1-10 A: jackknife %.4f, counting %.4f\n", ph.name.c_str(), std::sqrt(sj / nr),
                std::sqrt(sc / nr));
    EXPECT_GT(sj, 0.5 * 0.5 * sc) << ph.name;
    std::printf("[study] %s: ePDF peaks to 8 A at an X-ray peak %zu/%zu, X-ray peaks found %zu/%zu\n", ph.name.c_str(),
                px.n_peaks_at_reference, px.peaks.size(), px.n_matched, px.reference_peaks.size());
    EXPECT_GT(ph.pearson_area_vs_kinematic, 0.88) << ph.name;  // 0.91–0.92 (glass), 0.93–0.94 (agZIF-62) measured
    EXPECT_EQ(ph.bands.size(), 2u);
  }
  // 003's observations of its measured data (observations.hpp): 7 statements for agZIF-62, 6 for the glass.
  // What the phase MODELS show does not depend on the scan's size: the agZIF-62 model reproduces the Fig. 2b/2d
  // statements but not the 5 Å ePDF peak 003 assigns to Zn–H; the glass model reproduces the 0.7/0.8 Å⁻¹
  // intensity reversal and the broadened ~3.5 Å peaks but not G(r) peaks at 2.6/4.9/6.4 Å (its X-ray PDF has
  // 2.45, 4.68, 6.26 Å: no maximum within 0.2 Å of 4.9).
  ASSERT_EQ(r.observations.size(), 13u);
  auto models = [&](const std::string& phase, const std::string& words) {
    for (const ObservationCheck& o : r.observations)
      if (o.phase == phase && o.statement.find(words) != std::string::npos) {
        std::printf("[study] 003 %s %s: models %s (%s), data %s (%s)\n", phase.c_str(), o.source.c_str(),
                    observation_status_name(o.models_status).c_str(), o.models.c_str(),
                    observation_status_name(o.data_status).c_str(), o.data.c_str());
        return o.models_status;
      }
    ADD_FAILURE() << "no observation '" << words << "' for " << phase;
    return ObservationStatus::NotMeasured;
  };
  const ObservationStatus yes = ObservationStatus::Reproduced, no = ObservationStatus::NotReproduced;
  const std::string zif = d.phases[0].name, glass = d.phases[1].name;
  EXPECT_EQ(models(zif, "0.6, 0.8 and 1.0"), yes);
  EXPECT_EQ(models(zif, "low s peaks"), yes);
  EXPECT_EQ(models(zif, "N1–Zn"), yes);
  EXPECT_EQ(models(zif, "around 6 Å"), yes);
  EXPECT_EQ(models(zif, "around 5 Å"), no);
  EXPECT_EQ(models(glass, "reversed"), yes);
  EXPECT_EQ(models(glass, "broadened"), yes);
  EXPECT_EQ(models(glass, "2.6, 4.9 and 6.4"), no);
  EXPECT_FALSE(d.phases[0].phi_sigma.empty());  // the region file carries σ(φ)
  EXPECT_EQ(d.phases[0].phi_sigma.size(), d.phases[0].phi.size());
  EXPECT_TRUE(fs::exists(out / "tables" / "observations_003.csv"));
  // Report and data files.
  EXPECT_TRUE(fs::exists(out / "report.html"));
  EXPECT_TRUE(fs::exists(out / "study.h5"));
  EXPECT_TRUE(fs::exists(out / "scan.h5"));
  EXPECT_TRUE(fs::exists(out / "reduced.h5"));
  EXPECT_TRUE(fs::exists(out / "decomposition.h5"));
  EXPECT_TRUE(fs::exists(out / "tables" / "acceptance.csv"));
  // The peaks item reads the ePDF's peaks (PeakComparison::peaks_at_reference), one table per side.
  for (const PhaseStudy& ph : d.phases) {
    for (const StudyResult::Check& chk : r.checks) {
      if (chk.item.rfind(ph.name + ": peaks to 8 Å", 0) == 0) {
        EXPECT_EQ(chk.pass, ph.peaks_vs_xray.peaks_at_reference()) << chk.measured;
      }
    }
    const std::string stem = "area_averaged_" + report_tag(ph.name) + "__" + std::to_string(ph.positions) + "_positions_";
    EXPECT_TRUE(fs::exists(out / "tables" / (stem + "_peaks.csv"))) << stem;
    EXPECT_TRUE(fs::exists(out / "tables" / (stem + "_epdf_peaks.csv"))) << stem;
  }
  // The answers in words follow the verdict (answers.hpp): 3 per phase with bands, PCA, ICA, maps.
  ASSERT_EQ(r.answers.size(), 9u);
  for (const StudyAnswer& a : r.answers) std::printf("[study] %s %s\n", a.question.c_str(), a.answer.c_str());
  for (const StudyAnswer& a : r.answers)
    if (a.question == "Did ICA recover the phases' ePDFs?") {
      EXPECT_EQ(a.positive, d.verdict.spectra_ok);
      // the data hold both phases here (ceilings >= 0.9 asserted above), so a failure is ICA's
      if (!a.positive) {
        EXPECT_EQ(a.answer.find("the data do not hold"), std::string::npos) << a.answer;
      }
    } else if (a.question == "Are the phase maps right?") {
      EXPECT_EQ(a.positive, d.verdict.maps_ok);
    }
  EXPECT_TRUE(fs::exists(out / "tables" / "answers.csv"));
  EXPECT_NE(r.summary.find("what this run says"), std::string::npos);
  EXPECT_FALSE(fs::exists(out.string() + ".work"));
  fs::remove_all(out);
}

TEST(Study, InterfaceWidthFollowsAGradedInterface) {
  // The tiny scenario with a graded interface (width 20 nm: σ_graded = 8.0 nm, 10–90 % 20.5 nm): the phase
  // fraction's erf edge widens to the expected √(σ_probe² + pixel²/12 + σ_graded²) = 8.85 nm (abrupt: 3.82 nm).
  const fs::path out = temp_dir("study_graded");
  StudyConfig c = tiny_study(out);
  c.specimen.geometry.width = 200;
  c.thickness_bands = 1;
  const StudyResult r = run_study(c);
  const DatasetStudy& d = r.datasets.at(0);
  EXPECT_NEAR(d.interface_sigma_expected_A, 88.5, 0.1);
  EXPECT_NEAR(d.interface_true_width_10_90_A, 204.5, 0.1);
  ASSERT_EQ(d.interface_widths.size(), 3u);
  for (const InterfaceWidth& iw : d.interface_widths)
    std::printf("[study graded] %s: sigma %.2f nm (expected %.2f), x0 %.2f nm\n", iw.map.c_str(), iw.fit.sigma / 10,
                d.interface_sigma_expected_A / 10, iw.fit.x0 / 10);
  const InterfaceWidth& fr = d.interface_widths[0];
  EXPECT_TRUE(fr.ok);
  EXPECT_NEAR(fr.fit.sigma, d.interface_sigma_expected_A, 0.3 * d.interface_sigma_expected_A);
  EXPECT_LT(std::fabs(fr.fit.x0), 0.5 * d.binned_step_A);
  fs::remove_all(out);
}

TEST(Study, PluralDeconvolutionRaisesTheSingleScatteringAmplitude) {
  // The tiny scenario (60–100 nm wedge on a 10 nm film, uniform detector: the disc recorded) twice, with and
  // without the plural deconvolution: the area averages keep more of the kinematic φ's amplitude with it
  // (docs/study.md: e^{−x} of it without; on the 300 kV example 0.45 → 0.65).
  const fs::path out = temp_dir("study_plural");
  StudyConfig c = tiny_study(out);
  c.thickness_bands = 1;
  const StudyResult plain = run_study(c);
  fs::remove_all(out);
  c.chain.plural_deconvolution = true;
  const StudyResult dec = run_study(c);
  const auto& p0 = plain.datasets.at(0).phases;
  const auto& p1 = dec.datasets.at(0).phases;
  ASSERT_EQ(p0.size(), p1.size());
  for (std::size_t k = 0; k < p0.size(); ++k) {
    std::printf("[study plural] %s: phi amplitude %.3f -> %.3f\n", p0[k].name.c_str(), p0[k].phi_amplitude,
                p1[k].phi_amplitude);
    EXPECT_GT(p1[k].phi_amplitude, p0[k].phi_amplitude + 0.1) << p0[k].name;
    EXPECT_LT(p1[k].phi_amplitude, 1.05) << p0[k].name;
  }
  H5Reader h((out / ("region_" + p1[0].name + ".h5")).string());
  const double x = h.attribute_double("/region", "plural_events");
  EXPECT_TRUE(x > 0.1 && x < 3) << x;
  EXPECT_EQ(p1[0].plural_events, x);  // carried into the study's numbers (and the report's paragraph)
  EXPECT_EQ(p0[0].plural_events, -1.0);
  fs::remove_all(out);
}

TEST(Study, VadfMaskFindsTheParticleOnTheFilm) {
  // The tiny scenario's phases in an ellipsoidal particle (up to 100 nm) on the 10 nm film, with bare film
  // around it: the decomposed pixels chosen from the data alone (VADF above the film's level,
  // reduce/particle_mask.hpp) against the ground-truth particle (thicker than 10 nm).
  const fs::path out = temp_dir("study_vadf");
  StudyConfig c = tiny_study(out);
  c.specimen.thickness = ThicknessGeometry{};
  c.specimen.thickness.kind = ThicknessGeometry::Kind::Particles;
  EllipsoidParticle e;
  e.x = e.y = 440;
  e.semi_a = 380;
  e.semi_b = 300;
  e.thickness = 1000;
  c.specimen.thickness.particles.push_back(e);
  c.particle_mask = ParticleMaskSource::Vadf;
  c.thickness_bands = 1;
  const StudyResult r = run_study(c);
  const DatasetStudy& d = r.datasets.at(0);
  ASSERT_EQ(d.mask_source, ParticleMaskSource::Vadf);
  EXPECT_TRUE(d.vadf_mask.automatic);
  std::printf("[study vadf] film %.4f ± %.4f, threshold %.4f (Otsu %.4f): %zu pixels, %zu of %zu truth; ICA %.3f / %.3f, "
              "VCA %.3f / %.3f, classification %.3f\n", d.vadf_mask.film_level, d.vadf_mask.film_sigma,
              d.vadf_mask.threshold, d.vadf_mask.otsu, d.vadf_mask.n_inside, d.mask_and_truth_pixels,
              d.truth_particle_pixels, d.verdict.phase_pearson[0], d.verdict.phase_pearson[1], d.vca_pearson[0],
              d.vca_pearson[1], d.verdict.classification.accuracy);
  EXPECT_EQ(d.pixels_decomposed, d.vadf_mask.n_inside);
  EXPECT_GE(d.truth_particle_pixels, 20u);
  EXPECT_LE(d.truth_particle_pixels, 50u);
  // Every ground-truth particle pixel is found, and no bare-film pixel is taken: the extra pixels are the
  // particle's rim, thinner than 10 nm but not zero (seed 7: 44 = 36 + 8 rim pixels).
  EXPECT_EQ(d.mask_and_truth_pixels, d.truth_particle_pixels);
  std::size_t bare = 0, rim = 0;
  for (std::size_t q = 0; q < d.truth_thickness.size(); ++q) {
    if (!d.vadf_mask.inside[q] || d.truth_labels[q] >= 0) continue;
    (d.truth_thickness[q] > 0 ? rim : bare) += 1;
  }
  EXPECT_EQ(bare, 0u);
  EXPECT_EQ(rim, d.vadf_mask.n_inside - d.mask_and_truth_pixels);
  EXPECT_NEAR(d.vadf_mask.threshold, d.vadf_mask.film_level + 5 * d.vadf_mask.film_sigma, 1e-12);
  // With the rim the film's G(r) enters the cube as a third signal: the same data unmix worse than with the
  // ground-truth mask (seed 7: classification 0.50, ICA 0.68 / 0.28, VCA 0.79 / 0.00; with the 36 particle
  // pixels alone 0.97, 0.88 / 0.41, 0.92 / 0.71; docs/study.md) — the reason the truth mask stays the study's
  // default. Not asserted: a finding, not a property of the mask.
  fs::remove_all(out);
}

namespace {
/// Mean VADF of the reduced file over the binned pixels of one ground-truth phase.
double mean_vadf(const std::string& reduced, const std::vector<int>& labels, int phase) {
  const std::vector<double> v = H5Reader(reduced).read("/reduced/vadf");
  double s = 0;
  int n = 0;
  for (std::size_t i = 0; i < v.size() && i < labels.size(); ++i)
    if (labels[i] == phase) s += v[i], ++n;
  return n > 0 ? s / n : std::nan("");
}
}  // namespace

TEST(Study, SecondScanWithBeamDamage) {
  // The tiny scenario scanned twice (10 + 10 e⁻/Å²), the second scan analysed alone and compared with the first.
  // Control: no damage — the two scans differ by counting noise only. Damaged: agZIF-62 loses its order beyond
  // 2.5 Å (σ = 0.4 Å, D_c = 10 e⁻/Å²: f̄ = 0.37 in scan 1, 0.77 in scan 2) with its Zn–N bonds kept; the glass
  // loses 30 % of the damaged mass without disorder.
  const fs::path out = temp_dir("study_damage");
  StudyConfig c = tiny_study(out);
  c.second_scan = true;
  c.second_scan_data = SecondScanData::Second;
  c.thickness_bands = 1;
  const StudyResult r0 = run_study(c);
  ASSERT_EQ(r0.datasets.size(), 2u);
  const DatasetStudy& n1 = r0.datasets[1];
  EXPECT_DOUBLE_EQ(n1.dose_before, 10.0);
  EXPECT_NEAR(n1.dose, 10.0, 1e-9);
  EXPECT_EQ(n1.damaged_fraction, (std::vector<double>{0.0, 0.0}));
  const double vz0 = mean_vadf(r0.datasets[0].reduced_file, r0.datasets[0].truth_labels, 1);
  const double vz1 = mean_vadf(n1.reduced_file, n1.truth_labels, 1);

  DamageModel zif, glass;
  zif.critical_dose = glass.critical_dose = 10;
  zif.pair_sigma_A = 0.4;
  zif.r_intact_A = 2.5;
  glass.mass_loss = 0.3;
  c.damage = {{"agZIF62", zif}, {"phosphate", glass}};
  const StudyResult r = run_study(c);
  ASSERT_EQ(r.datasets.size(), 2u);
  const DatasetStudy& d0 = r.datasets[0];
  const DatasetStudy& d1 = r.datasets[1];
  const double f1 = 1 - (1 - std::exp(-1.0)), f2 = 1 - (std::exp(-1.0) - std::exp(-2.0));
  EXPECT_NEAR(d0.damaged_fraction[0], f1, 1e-12);
  EXPECT_NEAR(d1.damaged_fraction[0], f2, 1e-12);
  EXPECT_NEAR(d1.damaged_fraction[1], f2, 1e-12);
  const double vd0 = mean_vadf(d0.reduced_file, d0.truth_labels, 1), vd1 = mean_vadf(d1.reduced_file, d1.truth_labels, 1);
  std::printf("[study damage] control: scan 2 vs 1 Pearson %.4f / %.4f, max|dG| %.3f / %.3f, first peak %.3f / %.3f, "
              "glass VADF %.4f -> %.4f\n", n1.scan_pearson[0], n1.scan_pearson[1], n1.scan_max_abs_dG[0],
              n1.scan_max_abs_dG[1], n1.scan_first_peak_ratio[0], n1.scan_first_peak_ratio[1], vz0, vz1);
  std::printf("[study damage] damaged: scan 2 vs 1 Pearson %.4f / %.4f, max|dG| %.3f / %.3f, first peak %.3f / %.3f, "
              "glass VADF %.4f -> %.4f\n", d1.scan_pearson[0], d1.scan_pearson[1], d1.scan_max_abs_dG[0],
              d1.scan_max_abs_dG[1], d1.scan_first_peak_ratio[0], d1.scan_first_peak_ratio[1], vd0, vd1);
  // Seed 7: control 0.987 / 0.977, max |ΔG| 0.095 Å⁻², first peak 1.005, glass VADF 0.2640 → 0.2637; damaged
  // 0.943 / 0.978, 0.263 Å⁻², 0.991, glass VADF 0.2419 → 0.2166 (docs/study.md).
  // The control's scans agree to counting noise; with damage the agZIF-62 ePDF changes beyond it, its first
  // shell (bonds below r_intact) does not; the glass thins (VADF) while its ePDF keeps its shape.
  EXPECT_GT(n1.scan_pearson[0], 0.97);
  EXPECT_LT(d1.scan_pearson[0], n1.scan_pearson[0] - 0.02);
  EXPECT_GT(d1.scan_max_abs_dG[0], 2 * n1.scan_max_abs_dG[0]);
  EXPECT_NEAR(d1.scan_first_peak_ratio[0], 1.0, 0.1);
  EXPECT_NEAR(vz1 / vz0, 1.0, 0.01);
  EXPECT_LT(vd1 / vd0, 0.97);
  EXPECT_GT(d1.scan_pearson[1], 0.95);
  EXPECT_TRUE(fs::exists(out / "region_agZIF62_scan2.h5"));
  fs::remove_all(out);
}

TEST(Study, RejectsBadParameters) {
  const fs::path out = temp_dir("study_bad");
  StudyConfig c = tiny_study(out);
  c.scan.nx = 0;
  EXPECT_THROW(run_study(c), std::invalid_argument);
  c = tiny_study(out);
  c.bin = 0;
  EXPECT_THROW(run_study(c), std::invalid_argument);
  // Damage: an unknown phase, a bad value, the multislice engine; a second scan alone below the first's dose.
  DamageModel dm;
  dm.critical_dose = 10;
  c = tiny_study(out);
  c.damage = {{"quartz", dm}};
  EXPECT_THROW(run_study(c), std::invalid_argument);
  c.damage = {{"agZIF62", dm}};
  c.damage[0].second.mass_loss = 1.5;
  EXPECT_THROW(run_study(c), std::invalid_argument);
  c.damage[0].second.mass_loss = 0;
  c.engine = StudyEngine::Multislice;
  EXPECT_THROW(run_study(c), std::invalid_argument);
  c = tiny_study(out);
  c.second_scan = true;
  c.second_scan_data = SecondScanData::Second;
  c.second_scan_cumulative_dose = 8;
  EXPECT_THROW(run_study(c), std::invalid_argument);
  // The plural deconvolution on the quad detector, whose gap cross holds the disc: refused before simulating.
  c = tiny_study(out);
  c.detector.layout = "quad_medipix3";
  c.chain.plural_deconvolution = true;
  try {
    run_study(c);
    ADD_FAILURE() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gap cross"), std::string::npos) << e.what();
  }
  EXPECT_FALSE(fs::exists(out));
}

TEST(Sweep, ReplicateToRadius) {
  // ZIF-zni's DFT cell (23.4 × 23.4 × 12.5 Å) needs 2 × 2 × 4 copies for a 20 Å minimum-image radius.
  const Structure zni = read_structure(std::string(SEDPDF_REPO_DATA) + "/structures/ZIF-zni_DFT_Widmer2019.cif");
  const Structure big = replicate_to_radius(zni, 20.5);
  EXPECT_GE(big.cell.minimum_image_radius(), 20.5);
  EXPECT_EQ(big.size() % zni.size(), 0u);
  EXPECT_NEAR(big.number_density(), zni.number_density(), 1e-12);
  EXPECT_NEAR(big.cell.volume() / zni.cell.volume(), static_cast<double>(big.size() / zni.size()), 1e-9);
}

/// The two default phases on a 16 × 16 scan with a 160 × 160 detector (0.036 Å⁻¹/pixel).
SweepConfig small_sweep() {
  SweepConfig c;
  c.phases = {{"agZIF62", zif_model(), {}}, {"phosphate", glass_model(), {}}};
  c.scan_n = 16;
  c.detector.layout = "uniform";
  c.detector.uniform_nx = c.detector.uniform_ny = 160;
  c.detector.ds = 0.036;
  return c;
}

/// The sweep point both sweep-point tests start from: 100 e⁻/Å², a 40 nm slab, domains of 12 probe diameters.
SweepPoint large_domain_point() {
  SweepPoint pt;
  pt.dose = 100;
  pt.thickness_A = 400;
  pt.domain_ratio = 12;
  return pt;
}

TEST(Sweep, DomainSizeSeparatesGoodMapsFromBad) {
  // Two phases in 60 nm domains (12 probe diameters) of a 40 nm slab on the 10 nm film at 100 e⁻/Å²: the
  // loading maps classify the pixels (0.92–0.97 over seeds 1, 5, 9; 30 nm domains: 0.77–0.89, the pixels are
  // 11 nm) and the agZIF-62 component matches its ePDF. Domains of half the probe size (every pixel mixed): the
  // maps fail (0.47).
  SweepConfig c = small_sweep();
  const SweepPoint good = large_domain_point();
  const SweepPointResult g = run_sweep_point(c, good);
  EXPECT_EQ(g.pca_components, 2) << g.summary;
  EXPECT_GT(g.pixels, 60u);
  EXPECT_GE(g.accuracy, 0.85) << g.summary;
  SweepPoint bad = good;
  bad.domain_ratio = 0.5;
  const SweepPointResult b = run_sweep_point(c, bad);
  EXPECT_FALSE(b.success) << b.summary;
  EXPECT_FALSE(b.maps_ok && b.spectra_ok) << b.summary;
  EXPECT_LT(b.accuracy, g.accuracy - 0.2) << b.summary;
  // VCA on the same data: pure pixels exist with large domains, not with domains half the probe.
  std::printf("[sweep] VCA min Pearson: domains 12 × probe %.3f (ICA %.3f), 0.5 × probe %.3f (ICA %.3f)\n",
              g.min_vca_pearson, g.min_pearson, b.min_vca_pearson, b.min_pearson);
  EXPECT_TRUE(std::isfinite(g.min_vca_pearson));
  EXPECT_GT(g.min_vca_pearson, b.min_vca_pearson);
  // ICA of the references themselves: a property of the phase set, the same at both points.
  EXPECT_TRUE(std::isfinite(g.ica_reference_choice));
  EXPECT_EQ(g.ica_reference_choice, b.ica_reference_choice);
  EXPECT_GE(g.ica_reference_best, g.ica_reference_choice);
  EXPECT_THROW(run_sweep_point(c, SweepPoint{0, 400, 6, 2}), std::invalid_argument);
  EXPECT_THROW(run_sweep_point(c, SweepPoint{10, 400, 6, 3}), std::invalid_argument);
}

TEST(Sweep, BeamDamageClosesTheDoseWindow) {
  // The good point of the test above at 100 e⁻/Å², with and without a damage model on agZIF-62 (D_c = 10 e⁻/Å²:
  // f̄(0, 100) = 0.90; its pairs beyond 2.5 Å smeared by 0.4 Å): with damage the data no longer hold the intact
  // phase's ePDF — the subspace ceiling falls — while the maps, which only need the phases to differ, stay.
  SweepConfig c = small_sweep();
  const SweepPoint pt = large_domain_point();
  const SweepPointResult intact = run_sweep_point(c, pt);
  c.phases[0].damage.critical_dose = 10;
  c.phases[0].damage.pair_sigma_A = 0.4;
  c.phases[0].damage.r_intact_A = 2.5;
  const SweepPointResult damaged = run_sweep_point(c, pt);
  std::printf("[sweep damage] ceiling %.3f -> %.3f, VCA %.3f -> %.3f, accuracy %.3f -> %.3f\n", intact.min_subspace_pearson,
              damaged.min_subspace_pearson, intact.min_vca_pearson, damaged.min_vca_pearson, intact.accuracy, damaged.accuracy);
  EXPECT_GT(intact.min_subspace_pearson, 0.9);
  EXPECT_LT(damaged.min_subspace_pearson, intact.min_subspace_pearson - 0.1);
  EXPECT_GE(damaged.accuracy, intact.accuracy - 0.05);
  c.phases[0].damage.mass_loss = 1;
  EXPECT_THROW(run_sweep_point(c, pt), std::invalid_argument);
}

TEST(Sweep, PixelDampingChangesIcasChoice) {
  // The per-pixel damping is an analysis choice: the references follow it, and ICA's own choice on them moves
  // (shipped models: smallest Pearson 0.62 at b = 1.0, 0.88 at b = 0.3; docs/cli.md, sedpdf ica-limit). Unset
  // (NaN), the point takes the configuration's chain damping: identical results.
  SweepConfig c = small_sweep();
  SweepPoint pt = large_domain_point();
  const SweepPointResult unset = run_sweep_point(c, pt);
  pt.damping_b = c.chain.damping.b;
  const SweepPointResult same = run_sweep_point(c, pt);
  EXPECT_EQ(same.min_pearson, unset.min_pearson);
  EXPECT_EQ(same.ica_reference_choice, unset.ica_reference_choice);
  EXPECT_EQ(same.accuracy, unset.accuracy);
  pt.damping_b = 1.0;
  const SweepPointResult b10 = run_sweep_point(c, pt);
  pt.damping_b = 0.3;
  const SweepPointResult b03 = run_sweep_point(c, pt);
  std::printf("[sweep damping] ICA of the references: b = 1.0 %.3f, b = 0.3 %.3f; data ICA %.3f / %.3f, ceiling %.3f / %.3f, "
              "VCA %.3f / %.3f\n", b10.ica_reference_choice, b03.ica_reference_choice, b10.min_pearson, b03.min_pearson,
              b10.min_subspace_pearson, b03.min_subspace_pearson, b10.min_vca_pearson, b03.min_vca_pearson);
  EXPECT_GT(b03.ica_reference_choice, b10.ica_reference_choice + 0.1);
  EXPECT_NE(b03.reference_similarity, b10.reference_similarity);
  pt.damping_b = -0.5;
  EXPECT_THROW(run_sweep_point(c, pt), std::invalid_argument);
  pt.damping_b = std::numeric_limits<double>::infinity();
  EXPECT_THROW(run_sweep_point(c, pt), std::invalid_argument);
}

TEST(Sweep, BlendMakesThePhasesAlike) {
  // The glass domains take a growing volume fraction of agZIF-62 (SweepAxis::Blend): the references of the two
  // phases grow alike (Pearson over 1.5–10 Å from −0.45 towards 1), and the maps, which need the phases to differ,
  // lose the glass domains; at blend 0 the point is the unblended one.
  SweepConfig c = small_sweep();
  SweepPoint pt = large_domain_point();
  pt.dose = 10;
  const SweepPointResult plain = run_sweep_point(c, pt);
  std::vector<SweepPointResult> res;
  for (double w : {0.0, 0.5, 0.8, 0.95}) {
    pt.blend = w;
    res.push_back(run_sweep_point(c, pt));
    std::printf("[sweep blend] w = %.2f: reference similarity %.3f, accuracy %.3f, ceiling %.3f, ICA %.3f, VCA %.3f\n", w,
                res.back().reference_similarity, res.back().accuracy, res.back().min_subspace_pearson, res.back().min_pearson,
                res.back().min_vca_pearson);
  }
  EXPECT_EQ(res[0].min_pearson, plain.min_pearson);
  EXPECT_EQ(res[0].accuracy, plain.accuracy);
  EXPECT_EQ(res[0].ica_reference_choice, plain.ica_reference_choice);
  EXPECT_LT(res[0].reference_similarity, -0.3);
  for (std::size_t i = 1; i < res.size(); ++i) EXPECT_GT(res[i].reference_similarity, res[i - 1].reference_similarity);
  EXPECT_GT(res.back().reference_similarity, 0.9);
  EXPECT_LT(res.back().accuracy, res[0].accuracy - 0.2);
  // ICA of the references follows the blended references (cached per blend, not per phase count only).
  EXPECT_NE(res[2].ica_reference_choice, res[0].ica_reference_choice);
  pt.blend = 1.0;
  EXPECT_THROW(run_sweep_point(c, pt), std::invalid_argument);
  pt.blend = -0.1;
  EXPECT_THROW(run_sweep_point(c, pt), std::invalid_argument);
}

}  // namespace
}  // namespace sedpdf
