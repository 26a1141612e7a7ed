// The study's answers in words (answers.hpp): each rule on hand-built study results, one branch at a time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "sedpdf/validate/answers.hpp"
#include "sedpdf/validate/study.hpp"

using namespace sedpdf;

namespace {

// `found` of the reference's `of` peaks found in the curve; the curve has `own_of` peaks (default: `found`),
// `own_at` of them at a reference peak (default: all).
PeakComparison peaks(std::size_t found, std::size_t of, bool first_ok, double first_offset = 0.03,
                     std::size_t own_at = ~std::size_t{0}, std::size_t own_of = ~std::size_t{0}) {
  PeakComparison p;
  p.reference_peaks.resize(of);
  p.n_matched = found;
  p.peaks.resize(own_of == ~std::size_t{0} ? found : own_of);
  p.n_peaks_at_reference = own_at == ~std::size_t{0} ? p.peaks.size() : own_at;
  p.positions_ok = first_ok && p.peaks_at_reference();
  p.first_shell_ok = first_ok;
  p.first_shell_offset = first_offset;
  p.max_abs_offset = 0.02;
  p.all_ok = first_ok && found == of;
  return p;
}

ThicknessBand band(double t_nm, double loading, double amplitude, double peak_at, double height) {
  ThicknessBand b;
  b.thickness_mean_A = 10 * t_nm;
  b.mean_loading = loading;
  b.phi_amplitude = amplitude;
  b.first_peak_position = peak_at;
  b.first_peak_height = height;
  return b;
}

// A study in which everything works: two phases, both area averages right, ICA and maps passing.
DatasetStudy all_good() {
  DatasetStudy d;
  for (const char* n : {"A", "B"}) {
    PhaseStudy ph;
    ph.name = n;
    ph.r = {1.0, 2.0};
    ph.positions = 100;
    ph.pearson_area_vs_kinematic = 0.97;
    ph.peaks_vs_kinematic = peaks(5, 5, true);
    ph.phi_amplitude = 0.95;
    ph.peaks_vs_xray = peaks(6, 6, true);
    ph.kinematic_vs_xray = peaks(6, 6, true);
    ph.bands = {band(40, 0.50, 0.9, 1.50, 1.2), band(90, 0.40, 0.7, 1.51, 1.0)};
    d.phases.push_back(ph);
  }
  d.pca_components = 2;
  d.verdict.spectra_ok = d.verdict.maps_ok = true;
  d.verdict.phase_pearson = {0.95, 0.93};
  d.verdict.subspace_pearson = {0.96, 0.95};
  d.verdict.reference_pearson = {1.0, -0.45, -0.45, 1.0};
  d.verdict.classification.accuracy = 0.99;
  d.verdict.classification.n_scored = 200;
  d.ica_reference.k = 2;
  d.ica_reference.preferred_smallest = 0.95;
  d.ica_reference.best_smallest = 0.97;
  d.vca_pearson = {0.94, 0.92};
  return d;
}

const std::vector<std::string> kNames = {"A", "B"};

const StudyAnswer& find(const std::vector<StudyAnswer>& v, const std::string& words, std::size_t nth = 0) {
  for (const StudyAnswer& a : v)
    if (a.question.find(words) != std::string::npos && nth-- == 0) return a;
  static StudyAnswer none;
  ADD_FAILURE() << "no question containing '" << words << "'";
  return none;
}

}  // namespace

TEST(Answers, OneQuestionPerPhaseAndStudyWideOnes) {
  DatasetStudy d = all_good();
  std::vector<StudyAnswer> v = study_answers(d, kNames);
  // per phase: ePDF, X-ray, thickness (2 × 3) + PCA, ICA, maps
  ASSERT_EQ(v.size(), 9u);
  for (const StudyAnswer& a : v) {
    EXPECT_TRUE(a.positive) << a.question << " → " << a.answer;
    EXPECT_EQ(a.answer.rfind("yes", 0), 0u) << a.question << " → " << a.answer;
    EXPECT_FALSE(a.evidence.empty());
  }
  EXPECT_NE(find(v, "ePDF of A reproduce").evidence.find("Pearson 0.970 over 1.5–10 Å"), std::string::npos);
  // A phase without an area average asks nothing of it; a single thickness band asks no thickness question.
  d.phases[1].r.clear();
  d.phases[0].bands.resize(1);
  v = study_answers(d, kNames);
  EXPECT_EQ(v.size(), 2u + 3u + 1u);
}

TEST(Answers, AreaAverageAgainstTheKinematicEpdf) {
  DatasetStudy d = all_good();
  d.phases[0].phi_amplitude = 0.42;  // shape and peaks right, amplitude lost (plural / inelastic scattering)
  d.phases[1].pearson_area_vs_kinematic = 0.95;
  d.phases[1].peaks_vs_kinematic = peaks(3, 5, true);
  d.phases[1].phi_amplitude = 0.33;
  const std::vector<StudyAnswer> v = study_answers(d, kNames);
  const StudyAnswer& a = find(v, "ePDF of A reproduce");
  EXPECT_EQ(a.answer, "in shape and peak positions; not in scale");
  EXPECT_FALSE(a.positive);
  EXPECT_NE(a.evidence.find("0.420 × the kinematic"), std::string::npos) << a.evidence;
  EXPECT_NE(a.evidence.find("plural and inelastic"), std::string::npos);
  EXPECT_EQ(find(v, "ePDF of B reproduce").answer, "in shape; not in every peak position and scale");
  // Every kinematic peak found but one peak of the area average where the kinematic ePDF has none: at the same
  // resolution that is a wrong peak position too.
  d.phases[0].peaks_vs_kinematic = peaks(5, 5, true, 0.03, 5, 6);
  const StudyAnswer a2 = find(study_answers(d, kNames), "ePDF of A reproduce");
  EXPECT_EQ(a2.answer, "in shape; not in every peak position and scale");
  EXPECT_NE(a2.evidence.find("found within 0.1 Å: 5/5 (largest offset 0.020 Å), the area average's at one of its peaks: 5/6"),
            std::string::npos) << a2.evidence;
  d.phases[0].peaks_vs_kinematic = peaks(5, 5, true);
  // Nothing right: a plain no; with the deconvolution on, the evidence says what is left.
  d.phases[1].pearson_area_vs_kinematic = 0.5;
  d.phases[1].plural_events = 0.6;
  const StudyAnswer b = find(study_answers(d, kNames), "ePDF of B reproduce");
  EXPECT_EQ(b.answer, "no");
  EXPECT_NE(b.evidence.find("after the plural-scattering deconvolution"), std::string::npos) << b.evidence;
}

TEST(Answers, XrayComparisonSaysWhetherPerfectElectronDataWouldPass) {
  DatasetStudy d = all_good();
  // A: every peak the ePDF has is at an X-ray peak; one X-ray peak is finer than it resolves → agrees.
  d.phases[0].peaks_vs_xray = peaks(5, 6, true, 0.039);
  d.phases[0].kinematic_vs_xray = peaks(5, 6, true, 0.065);
  d.phases[0].peaks_vs_xray_matched = peaks(5, 5, true);
  d.phases[1].peaks_vs_xray = peaks(6, 6, false, 0.08);
  d.phases[1].kinematic_vs_xray = peaks(6, 6, true, 0.01);  // perfect data pass: the experiment's doing
  std::vector<StudyAnswer> v = study_answers(d, kNames);
  const StudyAnswer& a = find(v, "A agree with the X-ray");
  EXPECT_EQ(a.answer, "yes");
  EXPECT_TRUE(a.positive);
  EXPECT_NE(a.evidence.find("First shell +0.039 Å"), std::string::npos) << a.evidence;
  EXPECT_NE(a.evidence.find("within 0.1 Å of an X-ray peak: 5/5; the X-ray PDF's peaks to 8 Å found in the ePDF: 5/6"),
            std::string::npos) << a.evidence;
  EXPECT_NE(a.evidence.find("has 5 peaks to 8 Å; the ePDF's at one of them: 5/5, of them found: 5/5: the differences are "
                            "resolution alone"),
            std::string::npos) << a.evidence;
  const StudyAnswer& b = find(v, "B agree with the X-ray");
  EXPECT_EQ(b.answer, "in the peaks to 8 Å; not in the first shell — the experiment's doing: perfect electron data would agree");
  EXPECT_EQ(b.evidence.find("before any experiment"), std::string::npos);
  EXPECT_EQ(b.evidence.find("s range and damping has"), std::string::npos);  // nothing differs: no resolution clause
  // A with two of its five peaks off the X-ray's, and the kinematic ePDF off as well: pair weighting.
  d.phases[0].peaks_vs_xray = peaks(2, 6, true, 0.039, 2, 5);
  d.phases[0].kinematic_vs_xray = peaks(3, 6, false, 0.065, 3, 5);
  d.phases[0].peaks_vs_xray_matched = peaks(2, 5, true, 0.03, 2, 5);
  v = study_answers(d, kNames);
  const StudyAnswer& c = find(v, "A agree with the X-ray");
  EXPECT_EQ(c.answer, "in the first shell; not in every peak to 8 Å — nor would perfect electron data");
  EXPECT_FALSE(c.positive);
  EXPECT_NE(c.evidence.find("first shell +0.065 Å, its peaks at an X-ray peak 3/5, X-ray peaks found 3/6"), std::string::npos)
      << c.evidence;
  EXPECT_NE(c.evidence.find("before any experiment"), std::string::npos);
  EXPECT_NE(c.evidence.find("the ePDF's at one of them: 2/5, of them found: 2/5: the differences left are the electron vs "
                            "X-ray weighting"),
            std::string::npos) << c.evidence;
  // The realisation σ of the first shell: +0.039 ± 0.006 is within 2σ of the 0.05 Å limit, ± 0.002 is not.
  d.phases[0].first_shell_sigma_jackknife_A = 0.006;
  StudyAnswer e = find(study_answers(d, kNames), "A agree with the X-ray");
  EXPECT_NE(e.evidence.find("First shell +0.039 ± 0.006 (1σ, jackknife) Å"), std::string::npos) << e.evidence;
  EXPECT_NE(e.evidence.find("within 2σ of the ±0.05 Å limit"), std::string::npos) << e.evidence;
  d.phases[0].first_shell_sigma_jackknife_A = 0.002;
  e = find(study_answers(d, kNames), "A agree with the X-ray");
  EXPECT_EQ(e.evidence.find("within 2σ"), std::string::npos) << e.evidence;
  // Without the matched-resolution comparison, no claim about the cause.
  d.phases[0].peaks_vs_xray_matched = PeakComparison{};
  EXPECT_EQ(find(study_answers(d, kNames), "A agree with the X-ray").evidence.find("s range and damping has"), std::string::npos);
}

TEST(Answers, IcaFailureIsAttributedToTheDataOrToIca) {
  DatasetStudy d = all_good();
  d.verdict.spectra_ok = false;
  d.verdict.phase_pearson = {0.868, 0.591};
  // The data hold both phases (ceilings >= 0.9) and ICA fails on the noise-free references too.
  d.ica_reference.preferred_smallest = 0.632;
  d.ica_reference.best_smallest = 0.955;
  StudyAnswer a = find(study_answers(d, kNames), "Did ICA");
  EXPECT_EQ(a.answer, "no: a limit of ICA for these phases, not of the data");
  EXPECT_FALSE(a.positive);
  EXPECT_NE(a.evidence.find("A 0.868, B 0.591"), std::string::npos) << a.evidence;
  EXPECT_NE(a.evidence.find("smallest Pearson 0.632 (perfect data fail too"), std::string::npos) << a.evidence;
  EXPECT_NE(a.evidence.find("reaches 0.955"), std::string::npos);
  EXPECT_NE(a.evidence.find("correlate -0.450"), std::string::npos) << a.evidence;
  EXPECT_NE(a.evidence.find("A 0.940, B 0.920 — it recovers them"), std::string::npos) << a.evidence;
  // With the references at other dampings: says at which ICA's own choice would pass, or that none does.
  d.ica_reference_vs_damping = {{0.0, 0.953, 0.953}, {0.3, 0.876, 0.876}, {1.0, 0.632, 0.955}};
  a = find(study_answers(d, kNames), "Did ICA");
  EXPECT_NE(a.evidence.find("On perfect data it would pass with the per-pixel damping b = 0 Å² (0.953) — noise-free only"), std::string::npos) << a.evidence;
  d.ica_reference_vs_damping = {{0.3, 0.876, 0.876}, {1.0, 0.632, 0.955}};
  a = find(study_answers(d, kNames), "Did ICA");
  EXPECT_NE(a.evidence.find("It fails at every per-pixel damping tried (b = 0.3–1 Å²)."), std::string::npos) << a.evidence;
  d.ica_reference_vs_damping.clear();
  // ICA would pass on perfect data: the rotation on these data is the problem.
  d.ica_reference.preferred_smallest = 0.95;
  a = find(study_answers(d, kNames), "Did ICA");
  EXPECT_EQ(a.answer, "no: ICA's rotation, not the data");
  EXPECT_NE(a.evidence.find("(perfect data would pass)"), std::string::npos) << a.evidence;
  // Not computed (another ICA domain): no claim about perfect data.
  d.ica_reference.k = 0;
  a = find(study_answers(d, kNames), "Did ICA");
  EXPECT_EQ(a.answer, "no: ICA's rotation, not the data");
  EXPECT_EQ(a.evidence.find("noise-free reference"), std::string::npos);
  // The data do not hold one phase: no rotation reaches 0.9, whatever ICA does.
  d.verdict.subspace_pearson = {0.95, 0.80};
  d.vca_pearson = {0.9, 0.7};
  a = find(study_answers(d, kNames), "Did ICA");
  EXPECT_EQ(a.answer, "no: the data do not hold them");
  EXPECT_EQ(a.evidence.find("VCA"), std::string::npos);
  // A stricter criterion moves the threshold the ceilings are compared with.
  d.verdict.subspace_pearson = {0.96, 0.95};
  UnmixingCriteria strict;
  strict.min_pearson = 0.955;
  EXPECT_EQ(find(study_answers(d, kNames, strict), "Did ICA").answer, "no: the data do not hold them");
}

TEST(Answers, PcaMapsAndInclusion) {
  DatasetStudy d = all_good();
  d.pca_components = 3;
  d.inclusion.present = true;
  d.inclusion.phase_name = "A";
  d.inclusion.pixels_inside = 4;
  d.inclusion.pixels_inside_correct = 0;
  d.inclusion.ring_pixels = 24;
  d.inclusion.ring_correct = 24;
  d.inclusion.found = false;
  std::vector<StudyAnswer> v = study_answers(d, kNames);
  EXPECT_EQ(find(v, "PCA").answer, "no");
  EXPECT_NE(find(v, "PCA").evidence.find("3 significant components for 2 phases"), std::string::npos);
  EXPECT_EQ(find(v, "maps").answer, "yes, but the inclusion is missed");
  EXPECT_NE(find(v, "maps").evidence.find("99 % of 200 pixels"), std::string::npos) << find(v, "maps").evidence;
  EXPECT_NE(find(v, "maps").evidence.find("inclusion not found (0/4 pixels inside, 24/24 around it)"), std::string::npos);
  d.verdict.maps_ok = false;
  EXPECT_EQ(find(study_answers(d, kNames), "maps").answer, "no");
}

TEST(Answers, ThicknessFromTheBands) {
  DatasetStudy d = all_good();
  // B's loading rises with thickness (as with the plural deconvolution on); A's falls with a constant peak position.
  d.phases[1].bands = {band(40, 0.37, 0.6, 1.57, 0.4), band(90, 0.44, 0.7, 1.58, 0.45)};
  const std::vector<StudyAnswer> v = study_answers(d, kNames);
  const StudyAnswer& a = find(v, "thickness change the ePDF and the loadings of A");
  EXPECT_EQ(a.answer, "yes: the loading falls where thick (× 0.800)");
  EXPECT_NE(a.evidence.find("From 40 nm to 90 nm: mean loading 0.500 → 0.400 (× 0.800), φ(s) amplitude 0.900 → 0.700"),
            std::string::npos) << a.evidence;
  EXPECT_NE(a.evidence.find("Peak positions stay, heights fall"), std::string::npos);
  const StudyAnswer& b = find(v, "thickness change the ePDF and the loadings of B");
  EXPECT_EQ(b.answer, "the loading does not fall (× 1.189)");
  EXPECT_FALSE(b.positive);
  EXPECT_EQ(b.evidence.find("Peak positions stay"), std::string::npos);
}
