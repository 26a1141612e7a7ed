// The configuration of `sedpdf run CONFIG.toml` (see run_config.hpp).
#include "run_config.hpp"

#include <cmath>
#include <filesystem>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/multislice_source.hpp"
#include "sedpdf/structures/error.hpp"
#include "simulate_config.hpp"

namespace sedpdf::cli {

namespace {
constexpr double kNm = 10.0;  // Å per nm

TomlSection section(const SimulateConfig& c, const std::string& name) {
  const toml::node* n = c.root.get(name);
  if (n && !n->is_table()) throw InputError(c.file, static_cast<int>(n->source().begin.line), name, "must be a table [" + name + "]");
  return TomlSection(c.file, n ? n->as_table() : nullptr, name);
}
}  // namespace

StudyConfig load_run_config(const std::string& path) {
  const SimulateConfig c = load_simulate_config(path, {"study", "fast", "multislice", "damage"}, {});
  StudyConfig s;
  s.specimen = c.specimen;
  s.scan = c.scan;
  s.truth_probe_fwhm_A = c.truth_probe_fwhm_A;
  s.probe = c.probe;
  s.detector = c.detector;
  s.inelastic = c.inelastic;
  for (const auto& [name, pi] : c.phase_inelastic) s.phase_inelastic.push_back({name, pi.plasmon_energy_eV, pi.plasmon_mfp_A});
  s.seed = c.seed;
  s.deflate = c.deflate;
  s.metadata.push_back({"config_file", path});
  s.metadata.push_back({"config", c.text});

  // [study]
  const TomlSection t = section(c, "study");
  t.only({"name", "engine", "output_dir", "binning", "composition", "damping_pixel_b_A2", "damping_area_b_A2",
          "fit_s_lo_A-1", "fit_s_hi_A-1", "s_min_A-1", "s_max_A-1", "poly_degree", "decompose_r_A", "components",
          "pca_criterion", "decompose_r_step_A", "min_thickness_nm", "particle_mask", "vadf_threshold", "vadf_film_sigmas", "probe_diameter_nm", "thickness_bands", "pure_fraction", "second_scan",
          "second_scan_cumulative_dose_e_per_A2", "second_scan_data", "keep_4d", "draw_figures", "threads",
          "plural_deconvolution"});
  s.name = t.string("name", std::filesystem::path(path).stem().string());
  try {
    s.engine = parse_study_engine(t.string("engine", "fast"));
  } catch (const std::invalid_argument& e) {
    t.fail("engine", e.what());
  }
  s.output_dir = t.string("output_dir", "out/run");
  if (s.output_dir.empty()) t.fail("output_dir", "must not be empty");
  const int64_t bin = t.integer("binning", 2);
  if (bin < 1 || bin > 16) t.fail("binning", "must be 1..16, got " + std::to_string(bin));
  s.bin = static_cast<std::size_t>(bin);
  if (t.has("composition")) {
    try {
      s.chain.composition = Composition::parse(t.string("composition", ""));
    } catch (const std::invalid_argument& e) {
      t.fail("composition", e.what());
    }
  }
  s.chain.damping = Damping{Damping::Exp, t.non_negative("damping_pixel_b_A2", 1.0), 0.0};
  s.region_damping_b = t.non_negative("damping_area_b_A2", 0.6);
  s.chain.fit_s_lo = t.positive("fit_s_lo_A-1", 2.0);
  s.chain.fit_s_hi = t.positive("fit_s_hi_A-1", 2.8);
  if (!(s.chain.fit_s_hi > s.chain.fit_s_lo)) t.fail("fit_s_hi_A-1", "must exceed fit_s_lo_A-1");
  s.chain.s_min = t.positive("s_min_A-1", 0.18);
  s.chain.s_max = t.positive("s_max_A-1", 2.5);
  if (!(s.chain.s_max > s.chain.s_min)) t.fail("s_max_A-1", "must exceed s_min_A-1");
  const int64_t deg = t.integer("poly_degree", 4);
  if (deg < 2 || deg > 12) t.fail("poly_degree", "must be 2..12, got " + std::to_string(deg));
  s.chain.poly_degree = static_cast<int>(deg);
  // Not 003's chain: plural scattering removed first (reduce/plural.hpp); the disc radius α/λ is the probe's.
  s.chain.plural_deconvolution = t.boolean("plural_deconvolution", false);
  const auto win = t.numbers("decompose_r_A", 2, {1.0, 15.0});
  if (!(win[0] >= 0 && win[1] > win[0])) t.fail("decompose_r_A", "must be [lo, hi] with 0 <= lo < hi (Å)");
  s.decompose_window = {win[0], win[1]};
  const int64_t nc = t.integer("components", 0);
  if (nc < 0) t.fail("components", "must be >= 0 (0: automatic)");
  s.decompose.n_components = static_cast<int>(nc);
  try {
    s.decompose.pca.criterion = parse_count_criterion(t.string("pca_criterion", "parallel-analysis"));
  } catch (const std::invalid_argument& e) {
    t.fail("pca_criterion", e.what());
  }
  s.decompose_r_step_A = t.non_negative("decompose_r_step_A", 0.2);
  s.min_thickness_A = t.non_negative("min_thickness_nm", 10.0) * kNm;
  try {
    s.particle_mask = parse_particle_mask_source(t.string("particle_mask", "truth"));
  } catch (const std::invalid_argument& e) {
    t.fail("particle_mask", e.what());
  }
  if (t.has("vadf_threshold")) s.vadf_mask.threshold = t.non_negative("vadf_threshold", 0.0);
  s.vadf_mask.film_sigmas = t.positive("vadf_film_sigmas", 5.0);
  if ((t.has("vadf_threshold") || t.has("vadf_film_sigmas")) && s.particle_mask != ParticleMaskSource::Vadf)
    t.fail(t.has("vadf_threshold") ? "vadf_threshold" : "vadf_film_sigmas", "applies to particle_mask = \"vadf\" only");
  s.probe_diameter_A = t.non_negative("probe_diameter_nm", 5.0) * kNm;
  const int64_t nb = t.integer("thickness_bands", 3);
  if (nb < 1 || nb > 20) t.fail("thickness_bands", "must be 1..20");
  s.thickness_bands = static_cast<std::size_t>(nb);
  s.pure_fraction = t.positive("pure_fraction", 0.99);
  if (s.pure_fraction > 1) t.fail("pure_fraction", "must be <= 1");
  s.second_scan = t.boolean("second_scan", false);
  s.second_scan_cumulative_dose = t.positive("second_scan_cumulative_dose_e_per_A2", 20.0);
  try {
    s.second_scan_data = parse_second_scan_data(t.string("second_scan_data", "cumulative"));
  } catch (const std::invalid_argument& e) {
    t.fail("second_scan_data", e.what());
  }

  // [[damage.phase]]: the beam-damage model per phase (simulate/damage.hpp; fast engine only)
  {
    const TomlSection dsec = section(c, "damage");
    dsec.only({"phase"});
    for (const TomlSection& p : dsec.tables("phase")) {
      p.only({"name", "critical_dose_e_per_A2", "pair_sigma_A", "r_intact_A", "mass_loss"});
      const std::string name = p.string("name", "");
      bool known = false;
      for (const auto& ph : s.specimen.phases) known |= ph.name == name;
      if (!known) p.fail("name", "unknown phase '" + name + "' (the specimen's phases)");
      for (const auto& [other, dm] : s.damage)
        if (other == name) p.fail("name", "phase '" + name + "' is given twice");
      const DamageModel dm = read_damage_model(p, name);
      s.damage.push_back({name, dm});
    }
    if (!s.damage.empty() && s.engine != StudyEngine::Fast)
      dsec.fail("phase", "the beam-damage model is implemented in the fast model only ([study] engine = \"fast\")");
  }
  s.keep_4d = t.boolean("keep_4d", true);
  s.draw_figures = t.boolean("draw_figures", true);
  const int64_t th = t.integer("threads", 0);
  if (th < 0) t.fail("threads", "must be >= 0");
  s.threads = static_cast<int>(th);

  // [fast] (as `sedpdf simulate fast`, without the profile-only switch)
  const TomlSection f = section(c, "fast");
  read_fast_section(f, s.fast);

  // [multislice] (windowed over the specimen; one output at the exit surface)
  const TomlSection m = section(c, "multislice");
  m.only({"slice_thickness_A", "pixel_A", "s_max_A-1", "window_A", "phonon_configurations", "phonon_u_A2", "fft_threads"});
  {
    const double lambda = electron_wavelength(s.probe.energy_keV * 1e3);
    const DetectorModel det(s.detector, lambda);
    MultisliceParams& p = s.multislice;
    p.slice_thickness_A = m.positive("slice_thickness_A", 2.0);
    p.s_max = m.positive("s_max_A-1", detector_inscribed_s(det));
    p.pixel_A = m.positive("pixel_A", std::min(0.1, 1.0 / (3.0 * p.s_max)));
    p.window_A = m.non_negative("window_A", 0.0);
    const int64_t ncf = m.integer("phonon_configurations", 0);
    if (ncf < 0) m.fail("phonon_configurations", "must be >= 0");
    p.phonons.configurations = static_cast<std::size_t>(ncf);
    p.phonons.default_u_A2 = m.non_negative("phonon_u_A2", p.phonons.default_u_A2);
    p.phonons.seed = c.seed;
    p.fft_threads = static_cast<int>(m.integer("fft_threads", 1));
    try {
      p.check();
    } catch (const std::invalid_argument& e) {
      throw InputError(path, 0, "multislice", e.what());
    }
  }
  // The specimen must be valid before any work.
  try {
    Specimen check(s.specimen);
  } catch (const std::invalid_argument& e) {
    throw InputError(c.specimen_file, 0, "", e.what());
  }
  return s;
}

}  // namespace sedpdf::cli
