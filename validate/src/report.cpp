#include "sedpdf/validate/report.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/error.hpp"

extern char** environ;

namespace sedpdf {

namespace fs = std::filesystem;

namespace {

void check_name(const std::string& name) {
  bool ok = !name.empty() && name[0] != '.';
  for (char c : name)
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.');
  if (!ok) throw std::invalid_argument("report: bad table/figure name '" + name + "' (letters, digits, _ - .)");
}

std::string html_escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&': o += "&amp;"; break;
      case '<': o += "&lt;"; break;
      case '>': o += "&gt;"; break;
      case '"': o += "&quot;"; break;
      default: o += c;
    }
  }
  return o;
}

std::string json_escape(const std::string& s) {
  std::string o = "\"";
  for (char c : s) {
    switch (c) {
      case '"': o += "\\\""; break;
      case '\\': o += "\\\\"; break;
      case '\n': o += "\\n"; break;
      case '\t': o += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          char b[8];
          std::snprintf(b, sizeof b, "\\u%04x", c);
          o += b;
        } else {
          o += c;
        }
    }
  }
  return o + "\"";
}

std::string csv_cell(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string o = "\"";
  for (char c : s) o += c == '"' ? std::string("\"\"") : std::string(1, c);
  return o + "\"";
}

std::string num6(double v) {
  if (std::isnan(v)) return "nan";
  char b[32];
  std::snprintf(b, sizeof b, "%.6g", v);
  return b;
}

std::string json_num(double v) { return std::isfinite(v) ? format_number(v) : "null"; }

std::string json_array(const std::vector<double>& v) {
  std::string o = "[";
  for (std::size_t i = 0; i < v.size(); ++i) o += (i ? ", " : "") + json_num(v[i]);
  return o + "]";
}

void write_matrix_csv(const std::string& path, const std::vector<double>& v, std::size_t nx, std::size_t ny) {
  write_text_atomically(path, [&](std::ostream& out) {
    for (std::size_t j = 0; j < ny; ++j) {
      for (std::size_t i = 0; i < nx; ++i) out << (i ? "," : "") << format_number(v[j * nx + i]);
      out << '\n';
    }
  });
}

// Runs argv[0] (searched in PATH) with stdout+stderr to log_path; returns the exit status, 127 if it
// could not be started, 128+signal if killed.
int run_process(const std::vector<std::string>& args, const std::string& log_path, const std::string& mpl_dir) {
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  std::vector<std::string> env_store;
  for (char** e = environ; e && *e; ++e)
    if (std::string(*e).rfind("MPLCONFIGDIR=", 0) != 0 && std::string(*e).rfind("MPLBACKEND=", 0) != 0)
      env_store.emplace_back(*e);
  env_store.push_back("MPLCONFIGDIR=" + mpl_dir);
  env_store.push_back("MPLBACKEND=Agg");
  std::vector<char*> envp;
  for (auto& e : env_store) envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  pid_t pid = 0;
  const int rc = posix_spawnp(&pid, argv[0], &fa, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return 127;
  int status = 0;
  while (waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 127;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 127;
}

std::string tail_of_file(const std::string& path, std::size_t max_chars) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.size() > max_chars) s = "…" + s.substr(s.size() - max_chars);
  return s;
}

}  // namespace

ReportWriter::ReportWriter(std::string title) : title_(std::move(title)) {}

void ReportWriter::section(const std::string& title) {
  Item it;
  it.kind = Item::Section;
  it.text = title;
  items_.push_back(std::move(it));
}

void ReportWriter::paragraph(const std::string& text) {
  Item it;
  it.kind = Item::Paragraph;
  it.text = text;
  items_.push_back(std::move(it));
}

void ReportWriter::table(const std::string& name, const std::string& caption, const std::vector<std::string>& header,
                         const std::vector<std::vector<std::string>>& rows) {
  check_name(name);
  for (std::size_t i = 0; i < rows.size(); ++i)
    if (rows[i].size() != header.size()) {
      std::ostringstream m;
      m << "report table '" << name << "': row " << i << " has " << rows[i].size() << " cells, header "
        << header.size();
      throw std::invalid_argument(m.str());
    }
  for (const Item& it : items_)
    if (it.kind == Item::Table && it.name == name) throw std::invalid_argument("report: duplicate table '" + name + "'");
  Item it;
  it.kind = Item::Table;
  it.name = name;
  it.text = caption;
  it.header = header;
  it.rows = rows;
  items_.push_back(std::move(it));
}

void ReportWriter::table(const std::string& name, const std::string& caption, const std::vector<std::string>& header,
                         const std::vector<std::vector<double>>& rows) {
  std::vector<std::vector<std::string>> s;
  for (const auto& r : rows) {
    std::vector<std::string> row;
    for (double v : r) row.push_back(num6(v));
    s.push_back(row);
  }
  table(name, caption, header, s);
}

namespace {
void add_figure_item(std::vector<ReportWriter::Item>& items, std::vector<ReportWriter::Figure>& figures,
                     ReportWriter::Figure f) {
  check_name(f.name);
  for (const auto& g : figures)
    if (g.name == f.name) throw std::invalid_argument("report: duplicate figure '" + f.name + "'");
  ReportWriter::Item it;
  it.kind = ReportWriter::Item::Figure;
  it.figure = figures.size();
  it.text = f.caption;
  figures.push_back(std::move(f));
  items.push_back(std::move(it));
}
}  // namespace

void ReportWriter::line_figure(const std::string& name, const std::string& caption,
                               const std::vector<PanelAxes>& panels, const std::vector<Series>& series) {
  if (panels.empty()) throw std::invalid_argument("report figure '" + name + "': no panels");
  for (const Series& s : series) {
    if (s.x.size() != s.y.size())
      throw std::invalid_argument("report figure '" + name + "': series '" + s.label + "' has x and y of different lengths");
    if (s.panel < 0 || static_cast<std::size_t>(s.panel) >= panels.size())
      throw std::invalid_argument("report figure '" + name + "': series '" + s.label + "' on panel " +
                                  std::to_string(s.panel) + " of " + std::to_string(panels.size()));
  }
  Figure f;
  f.name = name;
  f.caption = caption;
  f.kind = "lines";
  f.axes = panels;
  f.series = series;
  add_figure_item(items_, figures_, std::move(f));
}

void ReportWriter::image_figure(const std::string& name, const std::string& caption,
                                const std::vector<ImagePanel>& panels) {
  if (panels.empty()) throw std::invalid_argument("report figure '" + name + "': no panels");
  for (const ImagePanel& p : panels)
    if (p.nx == 0 || p.ny == 0 || p.values.size() != p.nx * p.ny) {
      std::ostringstream m;
      m << "report figure '" << name << "': panel '" << p.title << "' has " << p.values.size() << " values for "
        << p.nx << " x " << p.ny;
      throw std::invalid_argument(m.str());
    }
  Figure f;
  f.name = name;
  f.caption = caption;
  f.kind = "images";
  f.images = panels;
  add_figure_item(items_, figures_, std::move(f));
}

void ReportWriter::scree_figure(const std::string& name, const std::string& caption,
                                const std::vector<double>& variances, int n_significant, const std::string& ylabel) {
  if (variances.empty()) throw std::invalid_argument("report figure '" + name + "': no variances");
  Figure f;
  f.name = name;
  f.caption = caption;
  f.kind = "scree";
  f.values = variances;
  f.n_significant = n_significant;
  f.ylabel = ylabel;
  add_figure_item(items_, figures_, std::move(f));
}

void ReportWriter::phase_map_figure(const std::string& name, const std::string& caption, const std::string& xlabel,
                                    const std::vector<double>& x, bool xlog, const std::string& ylabel,
                                    const std::vector<double>& y, bool ylog, const std::vector<double>& z,
                                    const std::string& zlabel, const std::vector<double>& success_mask, double zmin,
                                    double zmax) {
  if (x.empty() || y.empty() || z.size() != x.size() * y.size() ||
      (!success_mask.empty() && success_mask.size() != z.size())) {
    std::ostringstream m;
    m << "report figure '" << name << "': " << z.size() << " values (mask " << success_mask.size() << ") for a "
      << x.size() << " x " << y.size() << " grid";
    throw std::invalid_argument(m.str());
  }
  Figure f;
  f.name = name;
  f.caption = caption;
  f.kind = "phase_map";
  f.xlabel = xlabel;
  f.ylabel = ylabel;
  f.zlabel = zlabel;
  f.x = x;
  f.y = y;
  f.values = z;
  f.mask = success_mask;
  f.xlog = xlog;
  f.ylog = ylog;
  f.zmin = zmin;
  f.zmax = zmax;
  add_figure_item(items_, figures_, std::move(f));
}

ReportOutcome ReportWriter::write(const std::string& directory, const ReportOptions& options) const {
  static std::atomic<int> counter{0};
  const fs::path target = fs::absolute(fs::path(directory)).lexically_normal();
  fs::path parent = target.parent_path();
  const std::string leaf = target.filename().string();
  if (leaf.empty() || leaf == "." || leaf == "..")
    throw std::runtime_error("report: bad output directory '" + directory + "'");
  std::error_code ec;
  fs::create_directories(parent, ec);
  if (ec) throw std::runtime_error("report: cannot create '" + parent.string() + "': " + ec.message());
  const std::string tag = std::to_string(::getpid()) + "-" + std::to_string(counter++);
  const fs::path tmp = parent / ("." + leaf + ".tmp-" + tag);
  fs::remove_all(tmp, ec);
  fs::create_directories(tmp / "tables", ec);
  if (!ec) fs::create_directories(tmp / "figures", ec);
  if (ec) throw std::runtime_error("report: cannot create '" + tmp.string() + "': " + ec.message());

  ReportOutcome out;
  try {
    // ---- tables
    for (const Item& it : items_) {
      if (it.kind != Item::Table) continue;
      const std::string rel = "tables/" + it.name + ".csv";
      write_text_atomically((tmp / rel).string(), [&](std::ostream& o) {
        for (std::size_t i = 0; i < it.header.size(); ++i) o << (i ? "," : "") << csv_cell(it.header[i]);
        o << '\n';
        for (const auto& r : it.rows) {
          for (std::size_t i = 0; i < r.size(); ++i) o << (i ? "," : "") << csv_cell(r[i]);
          o << '\n';
        }
      });
      out.files.push_back(rel);
    }
    // ---- figure data + spec
    std::vector<std::vector<std::string>> figure_csvs(figures_.size());
    std::ostringstream spec;
    spec << "{\n  \"title\": " << json_escape(title_) << ",\n  \"figures\": [";
    for (std::size_t k = 0; k < figures_.size(); ++k) {
      const Figure& f = figures_[k];
      spec << (k ? ",\n" : "\n") << "    {\"name\": " << json_escape(f.name) << ", \"kind\": " << json_escape(f.kind)
           << ", \"png\": " << json_escape(f.name + ".png");
      if (f.kind == "lines") {
        const std::string csv = f.name + ".csv";
        write_text_atomically((tmp / "figures" / csv).string(), [&](std::ostream& o) {
          o << "panel,series,x,y\n";
          std::vector<int> index_in_panel(f.axes.size(), 0);
          for (const Series& s : f.series) {
            const int si = index_in_panel[static_cast<std::size_t>(s.panel)]++;
            for (std::size_t i = 0; i < s.x.size(); ++i)
              o << s.panel << ',' << si << ',' << format_number(s.x[i]) << ',' << format_number(s.y[i]) << '\n';
          }
        });
        figure_csvs[k].push_back(csv);
        spec << ", \"csv\": " << json_escape(csv) << ", \"panels\": [";
        for (std::size_t p = 0; p < f.axes.size(); ++p) {
          spec << (p ? ", " : "") << "{\"title\": " << json_escape(f.axes[p].title)
               << ", \"xlabel\": " << json_escape(f.axes[p].xlabel) << ", \"ylabel\": " << json_escape(f.axes[p].ylabel)
               << ", \"series\": [";
          bool first = true;
          for (const Series& s : f.series)
            if (static_cast<std::size_t>(s.panel) == p) {
              spec << (first ? "" : ", ") << json_escape(s.label);
              first = false;
            }
          spec << "]}";
        }
        spec << "]";
      } else if (f.kind == "images") {
        spec << ", \"panels\": [";
        for (std::size_t p = 0; p < f.images.size(); ++p) {
          const ImagePanel& im = f.images[p];
          const std::string csv = f.name + "_panel" + std::to_string(p) + ".csv";
          write_matrix_csv((tmp / "figures" / csv).string(), im.values, im.nx, im.ny);
          figure_csvs[k].push_back(csv);
          spec << (p ? ", " : "") << "{\"title\": " << json_escape(im.title) << ", \"csv\": " << json_escape(csv)
               << ", \"step\": " << json_num(im.step) << ", \"categorical\": " << (im.categorical ? "true" : "false")
               << ", \"cmap\": " << json_escape(im.colormap) << "}";
        }
        spec << "]";
      } else if (f.kind == "scree") {
        const std::string csv = f.name + ".csv";
        write_text_atomically((tmp / "figures" / csv).string(), [&](std::ostream& o) {
          for (std::size_t i = 0; i < f.values.size(); ++i) o << (i + 1) << ',' << format_number(f.values[i]) << '\n';
        });
        figure_csvs[k].push_back(csv);
        spec << ", \"csv\": " << json_escape(csv) << ", \"n_significant\": " << f.n_significant
             << ", \"ylabel\": " << json_escape(f.ylabel);
      } else {  // phase_map
        const std::string csv = f.name + ".csv";
        write_matrix_csv((tmp / "figures" / csv).string(), f.values, f.x.size(), f.y.size());
        figure_csvs[k].push_back(csv);
        spec << ", \"csv\": " << json_escape(csv);
        if (!f.mask.empty()) {
          const std::string mcsv = f.name + "_success.csv";
          write_matrix_csv((tmp / "figures" / mcsv).string(), f.mask, f.x.size(), f.y.size());
          figure_csvs[k].push_back(mcsv);
          spec << ", \"mask_csv\": " << json_escape(mcsv);
        }
        spec << ", \"x\": " << json_array(f.x) << ", \"y\": " << json_array(f.y) << ", \"xlog\": "
             << (f.xlog ? "true" : "false") << ", \"ylog\": " << (f.ylog ? "true" : "false")
             << ", \"xlabel\": " << json_escape(f.xlabel) << ", \"ylabel\": " << json_escape(f.ylabel)
             << ", \"zlabel\": " << json_escape(f.zlabel) << ", \"vmin\": " << json_num(f.zmin)
             << ", \"vmax\": " << json_num(f.zmax);
      }
      spec << "}";
      for (const auto& c : figure_csvs[k]) out.files.push_back("figures/" + c);
    }
    spec << "\n  ]\n}\n";
    const fs::path spec_path = tmp / "figures" / "figures.json";
    write_text_atomically(spec_path.string(), [&](std::ostream& o) { o << spec.str(); });
    out.files.push_back("figures/figures.json");
    const fs::path script_copy = tmp / "figures" / "plot_report.py";
    write_text_atomically(script_copy.string(), [&](std::ostream& o) { o << builtin_plot_script(); });
    out.files.push_back("figures/plot_report.py");

    // ---- draw
    std::vector<bool> drawn(figures_.size(), false);
    if (figures_.empty()) {
      out.figures_drawn = true;
    } else if (!options.draw_figures) {
      out.figure_note = "figure drawing was switched off; the figure data are in the CSV files";
    } else {
      const std::string script = options.script.empty() ? script_copy.string() : options.script;
      const fs::path log = tmp / "figures" / "plot_log.txt";
      const fs::path mpl = tmp / ".mplconfig";
      // The default "python3" may be a PATH interpreter without matplotlib (a pyenv or venv); Debian's
      // python3-matplotlib lives with /usr/bin/python3, which is tried next.
      std::vector<std::string> candidates{options.python};
      if (options.python == "python3" && fs::exists("/usr/bin/python3")) candidates.push_back("/usr/bin/python3");
      int rc = 127;
      std::string used, tried;
      for (const std::string& py : candidates) {
        fs::create_directories(mpl, ec);
        rc = run_process({py, script, spec_path.string()}, log.string(), mpl.string());
        fs::remove_all(mpl, ec);
        used = py;
        tried += (tried.empty() ? "'" : ", '") + py + "'";
        if (rc != 127 && rc != 3) break;
      }
      out.files.push_back("figures/plot_log.txt");
      bool all = true;
      for (std::size_t k = 0; k < figures_.size(); ++k) {
        drawn[k] = rc != 127 && fs::exists(tmp / "figures" / (figures_[k].name + ".png"));
        all = all && drawn[k];
        if (drawn[k]) out.files.push_back("figures/" + figures_[k].name + ".png");
      }
      out.figures_drawn = all;
      if (rc == 127) {
        const std::string t = fs::exists(log) ? tail_of_file(log.string(), 400) : std::string();
        out.figure_note = "python interpreter " + tried + " could not be started" + (t.empty() ? std::string() : ": " + t);
      } else if (rc == 3) {
        out.figure_note = "matplotlib is not installed for " + tried +
                          " (Debian: apt-get install python3-matplotlib); " + tail_of_file(log.string(), 300);
      } else if (!all) {
        out.figure_note = "the plotting script ('" + used + "') exited with status " + std::to_string(rc) +
                          "; see figures/plot_log.txt: " + tail_of_file(log.string(), 400);
      }
    }

    // ---- html
    const fs::path html = tmp / "report.html";
    write_text_atomically(html.string(), [&](std::ostream& o) {
      o << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>" << html_escape(title_)
        << "</title>\n<style>\nbody{font-family:sans-serif;max-width:1200px;margin:2em auto;line-height:1.4}\n"
           "table{border-collapse:collapse;margin:0.5em 0}td,th{border:1px solid #bbb;padding:2px 6px;"
           "text-align:right}th{background:#eee}\n.note{background:#fff3cd;border:1px solid #e0c36c;padding:0.5em}\n"
           "figure{margin:1em 0}img{max-width:100%}\n</style>\n</head>\n<body>\n<h1>"
        << html_escape(title_) << "</h1>\n";
      if (!out.figures_drawn && !figures_.empty())
        o << "<p class=\"note\">Figures were not drawn: " << html_escape(out.figure_note)
          << ". The numbers behind every figure are in the CSV files linked below; redraw with "
             "<code>python3 figures/plot_report.py figures/figures.json</code>.</p>\n";
      for (const Item& it : items_) {
        switch (it.kind) {
          case Item::Section: o << "<h2>" << html_escape(it.text) << "</h2>\n"; break;
          case Item::Paragraph: o << "<p>" << html_escape(it.text) << "</p>\n"; break;
          case Item::Table: {
            o << "<table>\n<caption>" << html_escape(it.text) << " (<a href=\"tables/" << html_escape(it.name)
              << ".csv\">CSV</a>)</caption>\n<tr>";
            for (const auto& h : it.header) o << "<th>" << html_escape(h) << "</th>";
            o << "</tr>\n";
            for (const auto& r : it.rows) {
              o << "<tr>";
              for (const auto& c : r) o << "<td>" << html_escape(c) << "</td>";
              o << "</tr>\n";
            }
            o << "</table>\n";
            break;
          }
          case Item::Figure: {
            const Figure& f = figures_[it.figure];
            o << "<figure>\n";
            if (drawn[it.figure])
              o << "<img src=\"figures/" << html_escape(f.name) << ".png\" alt=\"" << html_escape(f.caption) << "\">\n";
            else
              o << "<p class=\"note\">Figure '" << html_escape(f.name) << "' not drawn.</p>\n";
            o << "<figcaption>" << html_escape(f.caption) << " Data:";
            for (const auto& c : figure_csvs[it.figure])
              o << " <a href=\"figures/" << html_escape(c) << "\">" << html_escape(c) << "</a>";
            o << "</figcaption>\n</figure>\n";
            break;
          }
        }
      }
      o << "</body>\n</html>\n";
    });
    out.files.push_back("report.html");

    if (options.before_commit) options.before_commit(tmp.string());

    // ---- swap into place
    const fs::path old = parent / ("." + leaf + ".old-" + tag);
    const bool had = fs::exists(target);
    if (had) {
      fs::rename(target, old, ec);
      if (ec) throw std::runtime_error("report: cannot move the earlier report '" + target.string() + "' aside: " +
                                       ec.message());
    }
    fs::rename(tmp, target, ec);
    if (ec) {
      std::error_code ec2;
      if (had) fs::rename(old, target, ec2);
      throw std::runtime_error("report: cannot rename '" + tmp.string() + "' to '" + target.string() +
                               "': " + ec.message());
    }
    if (had) fs::remove_all(old, ec);
  } catch (...) {
    std::error_code ec2;
    fs::remove_all(tmp, ec2);
    throw;
  }
  out.html = (target / "report.html").string();
  return out;
}

}  // namespace sedpdf
