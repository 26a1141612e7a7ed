// The study over independent realisations (realisations.hpp).
#include "sedpdf/validate/realisations.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>


namespace sedpdf {
namespace {

const double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string num(double v, const char* f = "%.6g") {
  if (!std::isfinite(v)) return "nan";
  char b[48];
  std::snprintf(b, sizeof b, f, v);
  return b;
}


}  // namespace

std::vector<std::pair<std::string, double>> realisation_numbers(const StudyResult& r) {
  std::vector<std::pair<std::string, double>> out;
  if (r.datasets.empty()) return out;
  const DatasetStudy& d = r.datasets.front();
  for (const PhaseStudy& ph : d.phases) {
    if (ph.r.empty()) continue;
    const PeakComparison& x = ph.peaks_vs_xray;
    out.push_back({ph.name + " first-shell offset vs X-ray (Å)", x.first_shell_offset});
    out.push_back({ph.name + " first-shell σ, counting (Å)", ph.first_shell_sigma_A});
    out.push_back({ph.name + " first-shell σ, jackknife (Å)", ph.first_shell_sigma_jackknife_A});
    out.push_back({ph.name + " ePDF peaks to 8 Å at an X-ray peak", static_cast<double>(x.n_peaks_at_reference)});
    out.push_back({ph.name + " ePDF peaks to 8 Å", static_cast<double>(x.peaks.size())});
    out.push_back({ph.name + " area average vs kinematic ePDF, Pearson 1.5–10 Å", ph.pearson_area_vs_kinematic});
  }
  for (std::size_t p = 0; p < d.phases.size(); ++p) {
    const std::string& name = d.phases[p].name;
    out.push_back({name + " ICA component, Pearson",
                   p < d.verdict.phase_pearson.size() ? d.verdict.phase_pearson[p] : kNaN});
    out.push_back({name + " subspace ceiling, Pearson",
                   p < d.verdict.subspace_pearson.size() ? d.verdict.subspace_pearson[p] : kNaN});
  }
  out.push_back({"classification accuracy", d.verdict.classification.accuracy});
  out.push_back({"PCA components", static_cast<double>(d.pca_components)});
  return out;
}

RealisationSummary summarise_realisations(const std::vector<uint64_t>& seeds, const std::vector<StudyResult>& runs) {
  if (runs.size() < 2) throw std::invalid_argument("realisations: need at least 2 runs, got " + std::to_string(runs.size()));
  if (seeds.size() != runs.size())
    throw std::invalid_argument("realisations: " + std::to_string(seeds.size()) + " seeds for " + std::to_string(runs.size()) + " runs");
  RealisationSummary s;
  s.seeds = seeds;
  const std::size_t n = runs.size();
  // Items: the first run's order, then any later run's new ones.
  for (const StudyResult& r : runs)
    for (const StudyResult::Check& c : r.checks)
      if (std::find(s.items.begin(), s.items.end(), c.item) == s.items.end()) s.items.push_back(c.item);
  s.pass.assign(s.items.size(), std::vector<int>(n, -1));
  s.passes.assign(s.items.size(), 0);
  for (std::size_t i = 0; i < n; ++i)
    for (const StudyResult::Check& c : runs[i].checks) {
      const std::size_t k = static_cast<std::size_t>(std::find(s.items.begin(), s.items.end(), c.item) - s.items.begin());
      s.pass[k][i] = c.pass ? 1 : 0;
      if (c.pass) ++s.passes[k];
    }
  // Numbers by name, in the first run's order.
  for (std::size_t i = 0; i < n; ++i)
    for (const auto& [name, v] : realisation_numbers(runs[i])) {
      auto it = std::find_if(s.stats.begin(), s.stats.end(), [&](const RealisationStat& t) { return t.name == name; });
      if (it == s.stats.end()) {
        s.stats.push_back({name, std::vector<double>(n, kNaN), 0, 0, 0, 0, 0});
        it = s.stats.end() - 1;
      }
      it->values[i] = v;
    }
  for (RealisationStat& t : s.stats) {
    double sum = 0;
    t.min = std::numeric_limits<double>::infinity();
    t.max = -t.min;
    for (double v : t.values)
      if (std::isfinite(v)) {
        ++t.n;
        sum += v;
        t.min = std::min(t.min, v);
        t.max = std::max(t.max, v);
      }
    if (t.n == 0) {
      t.mean = t.sd = t.min = t.max = kNaN;
      continue;
    }
    t.mean = sum / static_cast<double>(t.n);
    double ss = 0;
    for (double v : t.values)
      if (std::isfinite(v)) ss += (v - t.mean) * (v - t.mean);
    t.sd = t.n > 1 ? std::sqrt(ss / static_cast<double>(t.n - 1)) : kNaN;
  }
  return s;
}

void add_realisations_section(ReportWriter& w, const RealisationSummary& s) {
  const std::size_t n = s.seeds.size();
  w.section("Over " + std::to_string(n) + " realisations");
  w.paragraph("The same study repeated with seeds " + std::to_string(s.seeds.front()) + "–" + std::to_string(s.seeds.back()) +
              ": the same specimen, new speckle and counting noise each time (one report per seed in seed_<s>/). How often "
              "each acceptance item passes, and the spread of the numbers behind them (sample sd, n − 1).");
  std::vector<std::vector<std::string>> rows;
  for (std::size_t k = 0; k < s.items.size(); ++k) {
    std::size_t present = 0;
    for (int v : s.pass[k]) present += v >= 0;
    rows.push_back({"acceptance: " + s.items[k], std::to_string(present), std::to_string(s.passes[k]), "", "", "", ""});
  }
  for (const RealisationStat& t : s.stats)
    rows.push_back({t.name, std::to_string(t.n), "", num(t.mean), num(t.sd), num(t.min), num(t.max)});
  w.table("realisations_summary", "Acceptance items: realisations passing; numbers: mean, sample sd, range",
          {"quantity", "realisations", "passes", "mean", "sd", "min", "max"}, rows);
  rows.clear();
  std::vector<std::string> head{"seed"};
  for (const std::string& it : s.items) head.push_back("pass: " + it);
  for (const RealisationStat& t : s.stats) head.push_back(t.name);
  for (std::size_t i = 0; i < n; ++i) {
    std::vector<std::string> row{std::to_string(s.seeds[i])};
    for (const auto& p : s.pass) row.push_back(p[i] < 0 ? "" : p[i] ? "1" : "0");
    for (const RealisationStat& t : s.stats) row.push_back(num(t.values[i]));
    rows.push_back(row);
  }
  w.table("realisations", "Per realisation: every acceptance item (1 pass, 0 fail) and every number", head, rows);
  // Figure: the two numbers that decide items near their limits, per seed, with the limits.
  std::vector<double> x;
  for (uint64_t sd : s.seeds) x.push_back(static_cast<double>(sd));
  const std::vector<double> ends{x.front(), x.back()};
  std::vector<Series> series;
  const std::string fs_suffix = " first-shell offset vs X-ray (Å)", ica_suffix = " ICA component, Pearson";
  auto ends_with = [](const std::string& a, const std::string& b) {
    return a.size() >= b.size() && a.compare(a.size() - b.size(), b.size(), b) == 0;
  };
  for (const RealisationStat& t : s.stats) {
    if (ends_with(t.name, fs_suffix)) series.push_back({t.name.substr(0, t.name.size() - fs_suffix.size()), x, t.values, 0});
    if (ends_with(t.name, ica_suffix)) series.push_back({t.name.substr(0, t.name.size() - ica_suffix.size()), x, t.values, 1});
  }
  if (series.empty()) return;
  series.push_back({"limit +0.05 Å", ends, {0.05, 0.05}, 0});
  series.push_back({"threshold 0.9", ends, {0.9, 0.9}, 1});
  w.line_figure("realisations", "Per realisation: the first-shell offsets against the ±0.05 Å limit, and the ICA components' "
                                "Pearson against the 0.9 threshold.",
                {{"first shell vs X-ray", "seed", "offset (Å)"}, {"ICA components", "seed", "Pearson, 1.5–10 Å"}}, series);
}

std::string realisations_text(const RealisationSummary& s) {
  std::string out = "over " + std::to_string(s.seeds.size()) + " realisations (seeds " + std::to_string(s.seeds.front()) + "–" +
                    std::to_string(s.seeds.back()) + "):\n";
  for (std::size_t k = 0; k < s.items.size(); ++k) {
    std::size_t present = 0;
    for (int v : s.pass[k]) present += v >= 0;
    out += "  " + std::to_string(s.passes[k]) + "/" + std::to_string(present) + " pass: " + s.items[k] + "\n";
  }
  for (const RealisationStat& t : s.stats)
    out += "  " + t.name + ": " + num(t.mean, "%.4g") + " ± " + num(t.sd, "%.2g") + " (sd; range " + num(t.min, "%.4g") + " – " +
           num(t.max, "%.4g") + ", n = " + std::to_string(t.n) + ")\n";
  return out;
}

}  // namespace sedpdf
