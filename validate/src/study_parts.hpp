// Private to the validate library: the parts of run_study (study.cpp) that turn a finished analysis into its
// outputs (study_outputs.cpp) — the acceptance checks of issue 8, the inputs of 003's observations, the report's
// sections and study.h5 — and the number formatting both files use.
#pragma once
#include <string>
#include <vector>

#include "sedpdf/simulate/damage.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/validate/observations.hpp"
#include "sedpdf/validate/references.hpp"
#include "sedpdf/validate/report.hpp"
#include "sedpdf/validate/study.hpp"

namespace sedpdf::study_detail {

std::string fmt(double v, int prec = 4);  ///< %g-like with `prec` significant digits
std::string dose_label(double dose);      ///< "10 e⁻/Å²"

/// The acceptance list of issue 8 on the first dataset, each item with its measured value.
std::vector<StudyResult::Check> acceptance_checks(const DatasetStudy& d0, const std::vector<std::string>& phase_names);

/// What check_003_observations reads, per phase of 003's materials that has an area average.
std::vector<ObservationPhaseData> observation_inputs(const DatasetStudy& d0);

/// Everything the report's sections read besides the results.
struct StudyReportInputs {
  const StudyConfig& cfg;
  const StudyResult& res;                  ///< datasets, checks, observations filled
  const std::vector<PhaseReference>& refs;
  const std::vector<PdfResult>& pixel_refs;  ///< kinematic ePDF at the per-pixel chain's resolution, per phase
  const std::vector<std::string>& phase_names;
  const std::vector<DamageModel>& damage_of_phase;
  const std::vector<double>& doses;        ///< e⁻/Å² per dataset
  bool second_alone = false, damaged = false;
  std::vector<std::string> files;          ///< HDF5 files moved into the report directory
};
/// The report's sections after its title: summary, acceptance, 003's observations, references, area averages,
/// unmixing per dataset, beam damage and the second scan, thickness, run.
void add_study_sections(ReportWriter& w, const StudyReportInputs& in);

/// study.h5: every number of the report per dataset (layout: docs/study.md).
void write_study_h5(const std::string& path, const StudyConfig& cfg, const StudyResult& res,
                    const std::vector<std::string>& phase_names, bool second_alone);

}  // namespace sedpdf::study_detail
