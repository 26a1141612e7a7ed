// sedpdf/validate/answers.hpp — the questions a user brings to a study (BRIEF, "Who uses it and for what"),
// answered in words from the study's own numbers: the first table of the report.
//
// Each answer is derived from quantities the study measured (DatasetStudy, PhaseStudy); nothing is fixed in
// advance. The rules, with the thresholds of the acceptance criteria (UnmixingCriteria, compare_peak_positions):
//  1. "Does the area-averaged ePDF reproduce the phase's electron PDF?" — against the noise-free kinematic ePDF at
//     the same s range and damping, three properties: shape (Pearson over the criterion's window >= min_pearson),
//     peak positions (at the same resolution both ways: every kinematic peak to 8 Å has a measured peak within
//     0.1 Å, and every measured peak to 8 Å is within 0.1 Å of a kinematic one) and scale (the unscaled φ(s)
//     on the kinematic φ(s), amplitude_ratio, >= 0.8). "yes" when all hold, "no" when none does, else "in <those
//     that hold>; not in <the others>".
//  2. "Does it agree with the X-ray PDF (003's comparison)?" — first shell within ±0.05 Å and every peak of the
//     ePDF to 8 Å within ±0.1 Å of an X-ray peak (the acceptance as worded: the ePDF's peak positions; X-ray
//     peaks finer than the ePDF's s range resolves are counted in the evidence, not required): "yes"; else which
//     of the two holds, and whether perfect electron data (the kinematic ePDF at the same resolution) would fail
//     as well (then the difference is the electron vs X-ray pair weighting and the ePDF's s range, not the
//     experiment) or would pass (then it is the experiment's doing). When peaks differ, the X-ray PDF at the
//     ePDF's resolution splits the two causes: its peaks and the ePDF's all paired → resolution alone; some not →
//     pair weighting. With the first shell's jackknife σ (the realisation noise), a first shell within 2σ of the
//     limit is flagged: another realisation may fall on the other side.
//  3. "Did PCA find one component per phase?" — the automatic count against the number of phases.
//  4. "Did ICA recover the phases' ePDFs?" — every matched component >= min_pearson: "yes". Otherwise the ceiling
//     (the best any rotation of the same PCA span reaches) separates the two causes: ceiling below min_pearson →
//     "no: the data do not hold them"; ceiling above → "no: ICA's rotation", completed by ICA of the noise-free
//     references (when ICA's own choice there is also below min_pearson, perfect data fail too: a limit of ICA
//     for this set of phases) and by the pure-pixel unmixing (VCA) of the same cube.
//  5. "Are the phase maps right?" — classification accuracy >= min_accuracy outside one probe diameter of an
//     interface (k-means on the loading vectors) and, when the specimen has one, the inclusion found.
//  6. "Does thickness change the ePDF and the loadings?" (per phase with >= 2 thickness bands) — thinnest vs
//     thickest band: the mean loading, the φ(s) amplitude and the first peak's position and height; "yes" when the
//     loading falls by more than 5 % (003: "decrease in component weighting in the thickest regions"); the
//     evidence adds "peak positions stay, heights fall" when the φ amplitude falls by more than 5 %, the first peak
//     moves by at most 0.05 Å and its height drops.
#pragma once
#include <string>
#include <vector>

#include "sedpdf/validate/sweep_criteria.hpp"

namespace sedpdf {

struct DatasetStudy;  // study.hpp

struct StudyAnswer {
  std::string question;  ///< e.g. "Did ICA recover the phases' ePDFs?"
  std::string answer;    ///< short: "yes", "no: ICA's rotation, not the data", …
  std::string evidence;  ///< the numbers behind it, in words
  bool positive = false; ///< the answer is a plain yes (for colouring; "yes" to the thickness question too)
};

/// The answers for one analysed dataset, in the order above (per-phase questions once per phase with an area
/// average). `phase_names` are the study's phases in reference order; `c` the criteria the study applied.
std::vector<StudyAnswer> study_answers(const DatasetStudy& d, const std::vector<std::string>& phase_names,
                                       const UnmixingCriteria& c = {});

}  // namespace sedpdf
