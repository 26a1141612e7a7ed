// sedpdf/validate/report.hpp — the report of a validation run: sections of text, tables (CSV), figures
// (their numbers as CSV, PNGs drawn by matplotlib via validate/report/plot_report.py in a python3
// subprocess) and report.html referencing them (DESIGN.md "Reports: an HTML page with PNG figures plus the
// numbers as CSV/HDF5").
//
// Layout of a report directory:
//   report.html, tables/<name>.csv, figures/<name>*.csv, figures/<name>.png, figures/figures.json (the
//   figure spec), figures/plot_report.py (the script, so figures can be redrawn), figures/plot_log.txt.
// Atomicity: everything is written into a temporary sibling directory which replaces the target only when
// complete (rename), so a run that fails leaves an earlier report untouched. If python3 or matplotlib is
// missing, the report is still written, with the CSVs and a note in place of each figure.
#pragma once
#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace sedpdf {

/// One curve of a line figure.
struct Series {
  std::string label;
  std::vector<double> x, y;
  int panel = 0;  ///< sub-plot index (0-based)
};

/// Axis labels of a line-figure panel.
struct PanelAxes {
  std::string title, xlabel, ylabel;
};

/// One 2-D map (row-major ny × nx, y the slow index).
struct ImagePanel {
  std::string title;
  std::size_t nx = 0, ny = 0;
  std::vector<double> values;
  double step = 1;           ///< pixel size (Å); axes drawn in nm
  bool categorical = false;  ///< phase labels (−1 none): discrete colours
  std::string colormap = "viridis";
};

struct ReportOptions {
  std::string python = "python3";  ///< interpreter (searched in PATH); a missing one gives a note, not an error
  std::string script;              ///< plotting script; empty = the copy built into the library
  bool draw_figures = true;        ///< false: CSVs and notes only
  /// Called with the temporary report directory just before it replaces the target: callers add files of
  /// their own (e.g. an HDF5 of all numbers) so that they appear atomically with the report. If it throws,
  /// the temporary directory is removed, an earlier report stays untouched, and the exception propagates.
  std::function<void(const std::string& directory)> before_commit;
};

struct ReportOutcome {
  std::string html;             ///< path of report.html
  bool figures_drawn = false;   ///< every PNG was drawn
  std::string figure_note;      ///< why not (empty when drawn)
  std::vector<std::string> files;  ///< every file written, relative to the report directory
};

class ReportWriter {
 public:
  explicit ReportWriter(std::string title);

  /// Starts a new section (an <h2>).
  void section(const std::string& title);
  /// A paragraph of plain text (HTML-escaped) in the current section.
  void paragraph(const std::string& text);
  /// A table written to tables/<name>.csv and shown in the page. Every row has header.size() cells.
  /// Throws std::invalid_argument for a ragged table or a bad name (letters, digits, '_', '-', '.').
  void table(const std::string& name, const std::string& caption, const std::vector<std::string>& header,
             const std::vector<std::vector<std::string>>& rows);
  /// Numbers formatted with %.6g.
  void table(const std::string& name, const std::string& caption, const std::vector<std::string>& header,
             const std::vector<std::vector<double>>& rows);
  /// Curves, one panel per entry of `panels` (e.g. G(r) and φ(s) overlays side by side).
  void line_figure(const std::string& name, const std::string& caption, const std::vector<PanelAxes>& panels,
                   const std::vector<Series>& series);
  /// Maps side by side (loading maps beside the ground truth).
  void image_figure(const std::string& name, const std::string& caption, const std::vector<ImagePanel>& panels);
  /// Scree plot of PCA variances (component 1..n), with a marker after the n_significant-th.
  void scree_figure(const std::string& name, const std::string& caption, const std::vector<double>& variances,
                    int n_significant, const std::string& ylabel = "explained variance");
  /// Sweep phase diagram: z[j·nx + i] at (x[i], y[j]), optional success mask (1/0) labelled on the cells.
  void phase_map_figure(const std::string& name, const std::string& caption, const std::string& xlabel,
                        const std::vector<double>& x, bool xlog, const std::string& ylabel,
                        const std::vector<double>& y, bool ylog, const std::vector<double>& z,
                        const std::string& zlabel, const std::vector<double>& success_mask = {},
                        double zmin = 0, double zmax = 1);

  /// Writes the report into `directory` (replacing an earlier one only on success). Throws
  /// std::runtime_error naming the path for I/O failures; an unusable python/matplotlib is not an error.
  ReportOutcome write(const std::string& directory, const ReportOptions& options = {}) const;

  const std::string& title() const { return title_; }

  struct Item;
  struct Figure;

 private:
  std::string title_;
  std::vector<Item> items_;
  std::vector<Figure> figures_;
};

/// The plotting script built into the library (identical to validate/report/plot_report.py).
const std::string& builtin_plot_script();

// Internals exposed for the tests.
struct ReportWriter::Figure {
  std::string name, caption, kind;
  std::vector<PanelAxes> axes;
  std::vector<Series> series;
  std::vector<ImagePanel> images;
  std::vector<double> values;  ///< scree variances / phase-map z
  int n_significant = 0;
  std::string xlabel, ylabel, zlabel;
  std::vector<double> x, y, mask;
  bool xlog = false, ylog = false;
  double zmin = 0, zmax = 1;
};
struct ReportWriter::Item {
  enum Kind { Section, Paragraph, Table, Figure } kind = Paragraph;
  std::string text;  ///< section title / paragraph / table caption
  std::string name;  ///< table name
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  std::size_t figure = 0;  ///< index into figures_
};

}  // namespace sedpdf
