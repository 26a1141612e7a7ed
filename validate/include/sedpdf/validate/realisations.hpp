// sedpdf/validate/realisations.hpp — the study repeated over independent realisations of the same experiment
// (`sedpdf run --realisations N`: seeds s, s+1, …, the specimen fixed, the speckle and counting noise new
// each time). One run's acceptance verdict is a single draw; near a limit it is a coin flip. This summary says
// how often each acceptance item passes and what the spread of the key numbers is, so an item can be read as
// "passes reliably", "on the limit" or "fails reliably".
//
// Statistics: per number the sample mean and the sample standard deviation (n − 1 in the denominator) over the
// realisations where it is finite, with the count n; per acceptance item the number of realisations passing.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "sedpdf/validate/report.hpp"
#include "sedpdf/validate/study.hpp"

namespace sedpdf {

/// One number per realisation: mean, sample sd (NaN for n < 2), min, max over its finite values.
struct RealisationStat {
  std::string name;             ///< e.g. "agZIF62 first-shell offset vs X-ray (Å)"
  std::vector<double> values;   ///< per realisation (NaN where not measured)
  std::size_t n = 0;            ///< finite values
  double mean = 0, sd = 0, min = 0, max = 0;
};

struct RealisationSummary {
  std::vector<uint64_t> seeds;
  std::vector<std::string> items;               ///< the acceptance items (issue 8), in the first run's order
  std::vector<std::vector<int>> pass;           ///< [item][realisation]: 1 pass, 0 fail, −1 item absent in that run
  std::vector<std::size_t> passes;              ///< per item: realisations passing
  std::vector<RealisationStat> stats;           ///< the key numbers (realisation_numbers)
};

/// The key numbers of one run, named (first dataset): per phase the first-shell offset vs the X-ray PDF and its
/// counting and jackknife σ, the ePDF's peaks to 8 Å at an X-ray peak (count) and of them (count), the area
/// average's Pearson vs the kinematic ePDF; per phase the matched ICA component's Pearson and the subspace
/// ceiling; the classification accuracy; the PCA count.
std::vector<std::pair<std::string, double>> realisation_numbers(const StudyResult& r);

/// Summary over runs of the same scenario (`runs[i]` with seed `seeds[i]`). Items are matched by their text;
/// numbers by name. Throws std::invalid_argument for fewer than 2 runs or a size mismatch.
RealisationSummary summarise_realisations(const std::vector<uint64_t>& seeds, const std::vector<StudyResult>& runs);

/// The ensemble's report page: a paragraph, table "realisations_summary" (per item: realisations, passes; per
/// number: n, mean, sd, min, max), table "realisations" (one row per seed: every item's pass as 1/0, empty
/// where absent, and every number) and figure "realisations" (per seed: each phase's first-shell offset
/// against the ±0.05 Å limit, and each phase's ICA Pearson against 0.9).
void add_realisations_section(ReportWriter& w, const RealisationSummary& s);

/// A few lines for the terminal: per item "k/n pass", per number mean ± sd.
std::string realisations_text(const RealisationSummary& s);

}  // namespace sedpdf
