// Scan driver: file layout, ground truth, progress, resume after an interruption gives the same file,
// thread independence, bad input.
#include <gtest/gtest.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <stdexcept>

#include "fixtures/two_phase_specimen.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/scan.hpp"
#include "sedpdf/structures/h5.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

namespace {

/// Deterministic patterns: a Gaussian blob whose width and position depend on the scan position; output
/// 1 is output 0 scaled by 0.5. Optionally throws when asked for position `fail_at` (flat index).
class BlobSource : public PatternSource {
 public:
  BlobSource(const DetectorModel& d, long fail_at = -1, bool safe = false) : d_(d), fail_at_(fail_at), safe_(safe) {}
  size_t n_outputs() const override { return 2; }
  bool thread_safe() const override { return safe_; }
  void compute(size_t iy, size_t ix, double x_A, double y_A, std::vector<std::vector<double>>& f) override {
    const long flat = static_cast<long>(iy * 100 + ix);
    if (flat == fail_at_) throw std::runtime_error("simulated crash at position " + std::to_string(flat));
    ++calls;
    const auto& g = d_.geometry();
    f.assign(2, std::vector<double>(g.n_pixels(), 0.0));
    const double w = 3.0 + 0.01 * x_A + 0.02 * y_A;
    double sum = 0;
    for (size_t i = 0; i < g.ny(); ++i)
      for (size_t j = 0; j < g.nx(); ++j) {
        const double dx = g.col_position(j) - d_.centre_x() - 0.3 * double(ix);
        const double dy = g.row_position(i) - d_.centre_y();
        const double v = std::exp(-(dx * dx + dy * dy) / (2 * w * w));
        f[0][i * g.nx() + j] = v;
        sum += v;
      }
    for (size_t q = 0; q < f[0].size(); ++q) {
      f[0][q] /= sum;
      f[1][q] = 0.5 * f[0][q];
    }
  }
  std::atomic<size_t> calls{0};

 private:
  const DetectorModel& d_;
  long fail_at_;
  bool safe_;
};

DetectorSpec small_detector() {
  DetectorSpec s;
  s.layout = "uniform";
  s.uniform_ny = 24;
  s.uniform_nx = 20;
  s.ds = 0.05;
  s.dose_e_per_A2 = 5;
  s.step_A = 20;
  return s;
}

ScanSpec small_scan() {
  ScanSpec sc;
  sc.x0_A = 10;
  sc.y0_A = 10;
  sc.step_A = 20;
  sc.nx = 6;
  sc.ny = 5;
  return sc;
}

std::vector<std::string> out_paths(const std::string& stem) {
  const fs::path dir = fs::temp_directory_path() / "sedpdf_test_scan";
  fs::create_directories(dir);
  std::vector<std::string> p = {(dir / (stem + "_a.h5")).string(), (dir / (stem + "_b.h5")).string()};
  for (const auto& x : p) {
    fs::remove(x);
    fs::remove(x + ".partial");
  }
  return p;
}

void expect_same_content(const std::string& a, const std::string& b) {
  H5Reader ra(a), rb(b);
  for (const char* ds : {"/data/counts/data", "/data/expected/data", "/data/mask/data", "/sedpdf/positions_done",
                         "/data/ground_truth_thickness/data", "/data/ground_truth_phase_fraction/data"}) {
    ASSERT_TRUE(ra.exists(ds)) << ds;
    EXPECT_EQ(ra.shape(ds), rb.shape(ds)) << ds;
    EXPECT_EQ(ra.read(ds), rb.read(ds)) << ds;
  }
  for (const char* at : {"scan_step_A", "seed", "scan_size", "electrons_per_position"})
    EXPECT_EQ(ra.attribute_string("/sedpdf/parameters", at), rb.attribute_string("/sedpdf/parameters", at)) << at;
  EXPECT_EQ(ra.attribute_double("/data/counts", "ds_per_pixel_A-1"), rb.attribute_double("/data/counts", "ds_per_pixel_A-1"));
}

}  // namespace

TEST(Scan, WritesCompleteFilesWithTruthAndProgress) {
  const Specimen sp(test_fixtures::two_phase_spec(200, 300));
  const DetectorModel det(small_detector(), electron_wavelength(200e3));
  BlobSource src(det);
  ScanOptions opt;
  opt.seed = 3;
  opt.writer.config_hash = "test";
  opt.writer.parameters["note"] = "unit test";
  size_t last_done = 0, calls = 0;
  opt.progress = [&](const ScanProgress& p) {
    EXPECT_GE(p.done, last_done);
    last_done = p.done;
    ++calls;
    EXPECT_EQ(p.total, 30u);
  };
  const auto paths = out_paths("complete");
  const ScanResult r = run_scan(small_scan(), src, det, &sp, paths, opt);
  EXPECT_EQ(r.computed, 30u);
  EXPECT_EQ(last_done, 30u);
  EXPECT_GT(calls, 0u);
  for (const auto& p : paths) {
    EXPECT_TRUE(fs::exists(p));
    EXPECT_FALSE(fs::exists(p + ".partial"));
  }
  H5Reader h(paths[0]);
  EXPECT_EQ(h.shape("/data/counts/data"), (std::vector<size_t>{5, 6, 24, 20}));
  EXPECT_EQ(h.attribute_string("/sedpdf/parameters", "note"), "unit test");
  EXPECT_NEAR(h.attribute_double("/data/counts", "dose_e_per_A2"), 5.0, 1e-12);
  // Ground truth: oxide left of x = 100 Å, zinc right; slab 300 Å.
  const auto th = h.read("/data/ground_truth_thickness/data");  // (5, 6, 2)
  EXPECT_NEAR(th[(0 * 6 + 0) * 2 + 0], 300.0, 1e-9);  // x = 10
  EXPECT_NEAR(th[(0 * 6 + 5) * 2 + 1], 300.0, 1e-9);  // x = 110
  // Σ expected of output 1 = half of output 0 (same pattern, half intensity): dose is honoured.
  H5Reader h1(paths[1]);
  const auto e0 = h.read("/data/expected/data"), e1 = h1.read("/data/expected/data");
  double s0 = 0, s1 = 0;
  for (size_t q = 0; q < e0.size(); ++q) {
    s0 += e0[q];
    s1 += e1[q];
  }
  EXPECT_NEAR(s1 / s0, 0.5, 1e-6);
  EXPECT_NEAR(s0 / 30, 5 * 20.0 * 20.0, 0.01 * 2000);  // electrons per position (blob inside the detector)
  // Outputs use different random streams.
  EXPECT_NE(h.read("/data/counts/data"), h1.read("/data/counts/data"));
}

TEST(Scan, InterruptedRunResumesToTheSameFile) {
  const Specimen sp(test_fixtures::two_phase_spec(200, 300));
  const DetectorModel det(small_detector(), electron_wavelength(200e3));
  ScanOptions opt;
  opt.seed = 99;
  opt.writer.config_hash = "resume-test";
  const auto ref = out_paths("ref");
  {
    BlobSource src(det);
    run_scan(small_scan(), src, det, &sp, ref, opt);
  }
  const auto paths = out_paths("resumed");
  {
    BlobSource crashing(det, 2 * 100 + 3);  // dies at (iy, ix) = (2, 3)
    EXPECT_THROW(run_scan(small_scan(), crashing, det, &sp, paths, opt), std::runtime_error);
    EXPECT_EQ(crashing.calls.load(), 15u);  // 2 full rows of 6 + 3
  }
  for (const auto& p : paths) {
    EXPECT_FALSE(fs::exists(p)) << "an interrupted run must not leave a file that reads as complete";
    EXPECT_TRUE(fs::exists(p + ".partial"));
  }
  BlobSource src(det);
  const ScanResult r = run_scan(small_scan(), src, det, &sp, paths, opt);
  EXPECT_EQ(r.skipped, 15u);
  EXPECT_EQ(r.computed, 15u);
  EXPECT_EQ(src.calls.load(), 15u);  // finished positions are not recomputed
  for (size_t o = 0; o < 2; ++o) expect_same_content(ref[o], paths[o]);
}

TEST(Scan, ThreadCountDoesNotChangeTheFile) {
  const DetectorModel det(small_detector(), electron_wavelength(200e3));
  ScanOptions opt;
  opt.seed = 4;
  const auto a = out_paths("t1"), b = out_paths("t2");
  BlobSource s1(det, -1, true), s2(det, -1, true);
  opt.threads = 1;
  run_scan(small_scan(), s1, det, nullptr, a, opt);
  opt.threads = 2;
  opt.batch = 7;
  run_scan(small_scan(), s2, det, nullptr, b, opt);
  H5Reader ra(a[0]), rb(b[0]);
  EXPECT_EQ(ra.read("/data/counts/data"), rb.read("/data/counts/data"));
  EXPECT_EQ(ra.read("/data/expected/data"), rb.read("/data/expected/data"));
}

TEST(Scan, BadInput) {
  const DetectorModel det(small_detector(), electron_wavelength(200e3));
  BlobSource src(det);
  ScanOptions opt;
  ScanSpec sc = small_scan();
  EXPECT_THROW(run_scan(sc, src, det, nullptr, std::vector<std::string>{"only_one.h5"}, opt),
               std::invalid_argument);
  sc.nx = 0;
  EXPECT_THROW(run_scan(sc, src, det, nullptr, out_paths("bad2"), opt), std::invalid_argument);
  sc = small_scan();
  sc.step_A = 30;  // differs from the detector's dose step
  EXPECT_THROW(run_scan(sc, src, det, nullptr, out_paths("bad3"), opt), std::invalid_argument);
}
