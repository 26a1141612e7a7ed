// sedpdf ica-limit — what ICA can return from a set of reference PDFs themselves (validate/ica_limit.hpp): the
// check to make before a 4D-STEM ePDF experiment whose phases are to be unmixed by PCA → ICA. The references
// are G(r) tables (e.g. `sedpdf pdf` outputs, or measured PDFs), sampled by ICA on a uniform r grid as the
// study samples the per-pixel ePDFs; the scores are Pearson correlations over a window, as the study's.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "commands.hpp"
#include "output_files.hpp"
#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/text.hpp"
#include "sedpdf/validate/ica_limit.hpp"
#include "sedpdf/validate/metrics.hpp"
#include "sedpdf/validate/report_sections.hpp"

namespace sedpdf::cli {
namespace {

struct IcaLimitArgs {
  std::vector<std::string> files;
  std::string column;
  std::vector<std::string> names;
  std::vector<double> r_range{1.0, 15.0};
  double r_step = 0.2;
  std::vector<double> window{1.5, 10.0};
  std::string contrast = "logcosh";
  uint64_t seed = 1;
  std::string output;
};

struct Curve {
  std::vector<double> r, G;
};

/// Reads r and one G column of a CSV table: lines starting with '#' are comments, the first other line the
/// header; the r column is "r_A" (or the first column), the G column `column`, else "G_A-2", else the only
/// column whose name starts with "G". r must increase; every value finite.
Curve read_curve(const std::string& path, const std::string& column) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "", "cannot open the reference PDF file");
  detail::LineReader lines(in, path);
  std::string line;
  std::vector<std::string> header;
  while (lines.next(line)) {
    if (line.empty() || line[0] == '#') continue;
    header = detail::split_csv(line);
    break;
  }
  const std::size_t hl = lines.line_no();
  if (header.size() < 2) throw InputError(path, hl, "header", "needs a header line with an r column and a G column");
  std::size_t ir = 0, ig = header.size();
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == "r_A") ir = i;
  if (!column.empty()) {
    for (std::size_t i = 0; i < header.size(); ++i)
      if (header[i] == column) ig = i;
    if (ig == header.size()) throw InputError(path, hl, "--column", "no column '" + column + "' in the header");
  } else {
    std::vector<std::size_t> gs;
    for (std::size_t i = 0; i < header.size(); ++i) {
      if (header[i] == "G_A-2") ig = i;
      if (!header[i].empty() && header[i][0] == 'G') gs.push_back(i);
    }
    if (ig == header.size()) {
      if (gs.size() != 1) {
        std::string list;
        for (std::size_t i : gs) list += (list.empty() ? "" : ", ") + header[i];
        throw InputError(path, hl, "--column",
                         gs.empty() ? "no G column in the header" : "several G columns (" + list + "): choose one with --column");
      }
      ig = gs[0];
    }
  }
  Curve c;
  while (lines.next(line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> cells = detail::split_csv(line);
    const std::size_t ln = lines.line_no();
    if (cells.size() != header.size())
      throw InputError(path, ln, "", std::to_string(cells.size()) + " values for " + std::to_string(header.size()) + " columns");
    const double r = detail::finite_or_throw(cells[ir], path, ln, header[ir]);
    const double g = detail::finite_or_throw(cells[ig], path, ln, header[ig]);
    if (!c.r.empty() && !(r > c.r.back()))
      throw InputError(path, ln, header[ir], "r must increase (" + cells[ir] + " after " + fixed(c.r.back(), 6) + ")");
    c.r.push_back(r);
    c.G.push_back(g);
  }
  if (c.r.size() < 2) throw InputError(path, lines.line_no(), "", "fewer than two data rows");
  return c;
}

void run_ica_limit(const IcaLimitArgs& a, std::ostream& out) {
  const std::size_t k = a.files.size();
  if (k < 2) throw InputError("", 0, "files", "give at least two reference PDF files");
  if (!a.names.empty() && a.names.size() != k)
    throw InputError("", 0, "--names", std::to_string(a.names.size()) + " names for " + std::to_string(k) + " files");
  const double lo = a.r_range[0], hi = a.r_range[1];
  if (!(lo >= 0 && hi > lo)) throw InputError("", 0, "--r-range", "must be LO HI with 0 <= LO < HI (Å)");
  if (!(a.r_step > 0) || (hi - lo) / a.r_step < 8)
    throw InputError("", 0, "--r-step", "must be positive and give at least 8 samples over --r-range");
  const Window win{a.window[0], a.window[1]};
  if (!(win.lo >= lo && win.hi <= hi && win.hi > win.lo))
    throw InputError("", 0, "--window", "must be LO HI inside --r-range");
  FastIcaSettings fs;
  try {
    fs.nonlinearity = parse_ica_nonlinearity(a.contrast);
  } catch (const std::invalid_argument& e) {
    throw InputError("", 0, "--contrast", e.what());
  }
  fs.seed = a.seed;
  if (!a.output.empty() && std::filesystem::path(a.output).extension() != ".csv")
    throw InputError("", 0, "-o", "output '" + a.output + "' must end in .csv");

  // The grid ICA samples, as the study's decomposition grid: lo, lo + step, … <= hi.
  std::vector<double> r;
  for (std::size_t i = 0;; ++i) {
    const double x = lo + static_cast<double>(i) * a.r_step;
    if (x > hi + 1e-9) break;
    r.push_back(x);
  }
  std::vector<std::vector<double>> refs;
  std::vector<std::string> names;
  for (std::size_t i = 0; i < k; ++i) {
    const Curve c = read_curve(a.files[i], a.column);
    if (c.r.front() > lo + 1e-9 || c.r.back() < r.back() - 1e-9)
      throw InputError(a.files[i], 0, "r", "covers " + fixed(c.r.front(), 3) + "–" + fixed(c.r.back(), 3) +
                                              " Å, not the whole --r-range " + fixed(lo, 3) + "–" + fixed(hi, 3) + " Å");
    refs.push_back(interpolate_linear(c.r, c.G, r));
    names.push_back(a.names.empty() ? std::filesystem::path(a.files[i]).stem().string() : a.names[i]);
  }
  ReferenceIcaLimit L;
  try {
    L = reference_ica_limit(r, refs, win, fs);
  } catch (const std::invalid_argument& e) {
    throw InputError("", 0, "files", e.what());
  }

  out << "ICA (FastICA, " << a.contrast << ", seed " << a.seed << ") of " << k << " reference PDFs sampled at " << r.size()
      << " points, " << fixed(lo, 2) << "–" << fixed(hi, 2) << " Å; Pearson over " << fixed(win.lo, 2) << "–"
      << fixed(win.hi, 2) << " Å:\n";
  for (std::size_t i = 0; i < k; ++i)
    for (std::size_t j = i + 1; j < k; ++j)
      out << "  references " << names[i] << " and " << names[j] << " correlate " << fixed(pearson(r, refs[i], refs[j], win), 3)
          << "\n";
  if (k == 2) out << "  two uncorrelated outputs can reach at most " << fixed(L.uncorrelated_cap, 3) << " each\n";
  out << "  ICA's own choice: ";
  if (k == 2) {
    for (const IcaStationaryPoint& q : L.stationary)
      if (q.preferred)
        for (std::size_t i = 0; i < k; ++i) out << (i ? ", " : "") << names[i] << " " << fixed(q.pearson[i], 3);
  } else {
    for (std::size_t i = 0; i < k; ++i) out << (i ? ", " : "") << names[i] << " " << fixed(L.pearson[i], 3);
  }
  out << " (smallest " << fixed(L.preferred_smallest, 3) << ")\n"
      << "  best of its solutions: smallest " << fixed(L.best_smallest, 3)
      << (k == 2 ? " (of " + std::to_string(L.stationary.size()) + " stationary rotations)" : " (of " + std::to_string(L.starts) + " seeded runs)")
      << "\n";
  out << (L.preferred_smallest >= 0.9
              ? "  → ICA returns every reference with Pearson >= 0.9 from perfect data of these phases.\n"
              : "  → ICA's own choice misses 0.9 on perfect data of these phases: noise-free, thin, perfectly mixed data would "
                "not pass a 0.9 criterion by ICA either (docs/study.md, docs/validation.md).\n");
  if (!a.output.empty()) {
    write_text_atomically(a.output, [&](std::ostream& f) {
      f << "# program: sedpdf ica-limit\n# contrast: " << a.contrast << "\n# r_range_A: " << lo << " " << hi
        << "\n# r_step_A: " << a.r_step << "\n# window_A: " << win.lo << " " << win.hi << "\n";
      f << "solution,angle_deg,negentropy,maximum,preferred";
      for (const std::string& n : names) f << ",pearson_" << n;
      f << "\n";
      if (k == 2) {
        for (std::size_t s = 0; s < L.stationary.size(); ++s) {
          const IcaStationaryPoint& q = L.stationary[s];
          f << s + 1 << "," << q.angle_rad * 180 / std::acos(-1.0) << "," << q.negentropy << "," << (q.maximum ? 1 : 0) << ","
            << (q.preferred ? 1 : 0);
          for (double p : q.pearson) f << "," << p;
          f << "\n";
        }
      } else {
        f << "1,,,," << 1;
        for (double p : L.pearson) f << "," << p;
        f << "\n";
      }
    });
    out << "wrote " << a.output << "\n";
  }
}

}  // namespace

void register_ica_limit(CLI::App& app, std::ostream& out) {
  auto a = std::make_shared<IcaLimitArgs>();
  auto* c = app.add_subcommand(
      "ica-limit",
      "What PCA → ICA can return from the phases' reference PDFs themselves (perfect data): their correlations, "
      "ICA's own choice and the best rotation it could converge to, scored by Pearson over a window. Check it before "
      "trusting ICA components of a composite (docs/validation.md).");
  c->add_option("files", a->files, "reference G(r) tables (CSV: '#' comments, a header with r_A and a G column)")
      ->required();
  c->add_option("--column", a->column, "G column to read (default G_A-2, or the only column starting with G)");
  c->add_option("--names", a->names, "names of the references, one per file (default: the file stems)")->delimiter(',');
  c->add_option("--r-range", a->r_range, "r range ICA samples (Å)")->expected(2)->capture_default_str();
  c->add_option("--r-step", a->r_step, "r step ICA samples (Å); the study's default 0.2")->capture_default_str();
  c->add_option("--window", a->window, "r window of the Pearson scores (Å)")->expected(2)->capture_default_str();
  c->add_option("--contrast", a->contrast, "FastICA contrast: logcosh | exp | cube")->capture_default_str();
  c->add_option("--seed", a->seed, "FastICA seed")->capture_default_str();
  c->add_option("-o,--output", a->output, "also write every solution (angle, negentropy, Pearson per reference) to this .csv");
  c->callback([a, &out]() { run_ica_limit(*a, out); });
}

}  // namespace sedpdf::cli
