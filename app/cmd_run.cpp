// `sedpdf run [CONFIG.toml]` — the main job: the 2022 study (Laulainen et al., Nanoscale 2022, "003") end to
// end — specimen → forward model → reduction → PCA/ICA → comparisons with X-ray references and the ground
// truth → out/run/report.html. Without a file it runs the built-in nanoscale2022 default at a reduced scan
// size (minutes on 2 cores); with a file (examples/nanoscale2022.toml) anything up to the full scan.
// Keys and what is compared: docs/study.md.
#include <CLI/CLI.hpp>
#include <unistd.h>

#include <cmath>
#include <filesystem>
#include <iomanip>
#include <iostream>
#include <memory>
#include <ostream>
#include <sstream>

#include "commands.hpp"
#include "run_config.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/realisations.hpp"
#include "sedpdf/validate/study.hpp"

namespace sedpdf::cli {

namespace {

namespace fs = std::filesystem;

struct RunArgs {
  std::string config, output;
  int threads = 0;
  int size = 0;
  long long seed = -1;  ///< −1: the scenario's own ([output] seed; the built-in default's is 1)
  int realisations = 1; ///< > 1: the study repeated with seeds seed, seed + 1, … (realisations.hpp)
  bool quiet = false, no_figures = false;
};

/// Progress: one line per stage (always), a \r-updated counter within a stage on a terminal.
StudyProgressCallback study_printer(std::ostream& out, bool quiet) {
  if (quiet) return {};
  const bool tty = &out == &std::cout && isatty(STDOUT_FILENO);
  auto last = std::make_shared<std::string>();
  auto counter = std::make_shared<bool>(false);
  return [&out, tty, last, counter](const StudyProgress& p) {
    const std::string key = p.stage + "|" + (p.total > 1 ? std::string() : p.message);
    if (key != *last) {
      if (*counter) out << "\n";
      *counter = false;
      *last = key;
      out << "[" << std::fixed << std::setprecision(1) << std::setw(6) << p.elapsed_s << " s] " << p.stage << ": "
          << p.message << std::defaultfloat << "\n"
          << std::flush;
      return;
    }
    if (tty && p.total > 1) {
      out << "\r    " << p.done << "/" << p.total << " " << p.message << ", ETA " << std::fixed << std::setprecision(0)
          << p.eta_s << " s   " << std::defaultfloat << std::flush;
      *counter = true;
    }
  };
}

/// The study repeated over `n` independent realisations (seeds cfg.seed, cfg.seed + 1, …): each run's report
/// in <output_dir>/seed_<s>/ (without the 4D scan), the ensemble's report.html with the summary tables beside
/// them. The runs go to <output_dir>.realisations.work/ and move into place with the ensemble's report only when
/// every run has finished, so a failed or interrupted ensemble leaves an earlier output untouched.
void run_realisations(const StudyConfig& cfg, int n, bool draw_figures, std::ostream& out) {
  const fs::path stage(cfg.output_dir + ".realisations.work");
  std::error_code ec;
  fs::remove_all(stage, ec);
  fs::create_directories(stage);
  // A failure anywhere removes the staged runs (and their .work directories) and leaves `output_dir` as it was.
  struct StageGuard {
    fs::path dir;
    bool keep = false;
    ~StageGuard() {
      std::error_code e;
      if (!keep) fs::remove_all(dir, e);
    }
  } guard{stage};
  std::vector<uint64_t> seeds;
  std::vector<StudyResult> runs;
  std::vector<std::string> run_dirs;
  for (int i = 0; i < n; ++i) {
    StudyConfig c = cfg;
    c.seed = cfg.seed + static_cast<uint64_t>(i);
    run_dirs.push_back("seed_" + std::to_string(c.seed));
    c.output_dir = (stage / run_dirs.back()).string();
    c.keep_4d = false;
    out << "realisation " << (i + 1) << "/" << n << ": seed " << c.seed << "\n" << std::flush;
    StudyResult r = run_study(c);
    for (DatasetStudy& d : r.datasets) {  // keep the numbers the summary reads, not the cubes
      d.components.clear();
      d.loadings.clear();
    }
    seeds.push_back(c.seed);
    runs.push_back(std::move(r));
  }
  const RealisationSummary sum = summarise_realisations(seeds, runs);
  ReportWriter w("sedpdf run: " + cfg.name + ", " + std::to_string(n) + " realisations");
  add_realisations_section(w, sum);
  ReportOptions ro;
  ro.draw_figures = draw_figures;
  ro.before_commit = [&](const std::string& dir) {
    for (const std::string& d : run_dirs) fs::rename(stage / d, fs::path(dir) / d);
  };
  const ReportOutcome o = w.write(cfg.output_dir, ro);
  out << realisations_text(sum) << "wrote " << o.html << (o.figures_drawn ? "" : " (figures not drawn: " + o.figure_note + ")")
      << " and one report per seed beside it\n";
}

void run_run(const RunArgs& a, std::ostream& out) {
  StudyConfig cfg;
  std::string source;
  if (a.config.empty()) {
    const std::string models = data_dir() + "/models/";
    const std::string zif = models + "agZIF62_default.extxyz", phos = models + "phosphate_default.extxyz";
    for (const std::string& f : {zif, phos})
      if (!fs::is_regular_file(f))
        throw InputError(f, 0, "", "default phase model not found (set SEDPDF_DATA_DIR to the data/ directory)");
    const std::size_t n = a.size > 0 ? static_cast<std::size_t>(a.size) : kDefaultRunScan;
    cfg = nanoscale2022_default(read_structure(zif), read_structure(phos), n, n);
    cfg.output_dir = "out/run";
    cfg.metadata.push_back({"config", "built-in nanoscale2022 default, " + std::to_string(n) + " × " + std::to_string(n)});
    source = "built-in nanoscale2022 default (" + std::to_string(n) + " × " + std::to_string(n) + " positions)";
  } else {
    cfg = load_run_config(a.config);
    source = a.config;
    if (a.size > 0) throw InputError(a.config, 0, "--size", "--size applies to the built-in default only; set [scan] size");
  }
  if (!a.output.empty()) cfg.output_dir = a.output;
  if (a.threads) cfg.threads = a.threads;
  if (a.seed >= 0) cfg.seed = static_cast<uint64_t>(a.seed);
  if (a.no_figures) cfg.draw_figures = false;
  cfg.progress = study_printer(out, a.quiet);

  if (a.realisations > 1) {
    out << "sedpdf run: " << source << ", " << a.realisations << " realisations\n" << std::flush;
    run_realisations(cfg, a.realisations, cfg.draw_figures, out);
    return;
  }
  out << "sedpdf run: " << source << "\n"
      << "  " << cfg.scan.nx << " × " << cfg.scan.ny << " positions at " << cfg.scan.step_A / 10 << " nm, "
      << study_engine_name(cfg.engine) << " model, " << cfg.probe.energy_keV << " kV, " << cfg.probe.alpha_mrad
      << " mrad, " << cfg.detector.layout << ", " << cfg.bin << " × " << cfg.bin << " binning → " << cfg.output_dir
      << "/\n"
      << std::flush;
  const StudyResult r = run_study(cfg);
  out << r.summary;
  out << "wrote " << r.report_html << (r.figures_drawn ? "" : " (figures not drawn: " + r.figure_note + ")") << " in "
      << std::fixed << std::setprecision(1) << r.seconds_total << " s\n"
      << std::defaultfloat;
}

}  // namespace

void register_run(CLI::App& app, std::ostream& out) {
  auto args = std::make_shared<RunArgs>();
  auto* run = app.add_subcommand(
      "run",
      "The main job: the 2022 STEM-ePDF study end to end (specimen → forward model → reduction → PCA/ICA → "
      "comparison with X-ray references and the ground truth → report.html). Without CONFIG: the built-in "
      "nanoscale2022 default at a reduced scan (minutes on 2 cores) into out/run/. Keys: docs/study.md, "
      "examples/nanoscale2022.toml");
  run->add_option("config", args->config, "study TOML file (e.g. examples/nanoscale2022.toml); none: built-in default");
  run->add_option("-o,--output", args->output, "report directory (default: out/run or [study] output_dir)");
  run->add_option("--size", args->size, "built-in default only: scan of N × N positions (default " +
                                            std::to_string(kDefaultRunScan) + ")");
  run->add_option("--seed", args->seed,
                  "another realisation of the same experiment: the seed of the speckle and counting noise (and of PCA/ICA "
                  "when the scenario leaves theirs at 0); the specimen's atoms keep their own seed; default: the scenario's "
                  "[output] seed (built-in default: 1)")
      ->check(CLI::NonNegativeNumber);
  run->add_option("--realisations", args->realisations,
                  "repeat the study over N independent realisations (seeds --seed, --seed + 1, …: new speckle and counting "
                  "noise, the same specimen) and summarise how often each acceptance item passes and the spread of the key "
                  "numbers (report.html, tables/realisations_summary.csv; one report per seed in seed_<s>/, without the 4D "
                  "scan)")
      ->check(CLI::Range(2, 1000));
  run->add_option("--threads", args->threads, "OpenMP threads (0: default)")->capture_default_str();
  run->add_flag("--no-figures", args->no_figures, "write CSVs instead of drawing PNGs");
  run->add_flag("-q,--quiet", args->quiet, "no progress lines");
  run->callback([args, &out]() { run_run(*args, out); });
}

}  // namespace sedpdf::cli
