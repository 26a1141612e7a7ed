// The streaming reduction driver (reduce/pipeline.hpp): per-pixel cubes equal an independent direct
// reduction of hand-summed bins, region mode, bounded buffers for two scan sizes, and bad input that
// fails before anything is written.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "fixtures/scan4d.hpp"
#include "sedpdf/reduce/pipeline.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

using namespace sedpdf;
using namespace sedpdf::test_fixtures;
namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() / ("sedpdf_test_pipeline_" + name);
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

ReductionParams chain_params(const ScanSpec& sp) {
  ReductionParams p;
  p.composition = Composition::parse(sp.composition);
  p.fit_s_lo = 2.0;
  p.fit_s_hi = 2.8;
  p.s_min = 0.18;
  p.s_max = 2.5;
  p.r_min = 0.5;
  p.r_max = 10;
  p.dr = 0.01;
  return p;
}

ReduceOptions options(const std::string& in, const std::string& out, const ScanSpec& sp) {
  ReduceOptions o;
  o.input.path = in;
  o.output = out;
  o.bin = 2;
  o.chain = chain_params(sp);
  o.batch = 4;
  return o;
}

// Independent reduction of one summed frame: the integrator and chain called directly.
struct Direct {
  std::vector<double> s, I, G;
  double N, C, vadf;
  std::vector<double> phi_sigma;  ///< σ(φ) of the chain from the profile's counting variance
};

Direct direct(const std::vector<double>& frame, const ScanSpec& sp, const ReductionParams& p, double vin, double vout) {
  IntegrationSetup su;
  su.geometry = DetectorGeometry::uniform(sp.det, sp.det, sp.ds);
  su.mask = Mask(sp.det, sp.det);
  su.centre = {sp.cx, sp.cy};
  su.axis = default_axis(su.geometry, su.mask, su.centre);
  const auto ig = make_integrator(su, IntegratorBackend::Reference);  // the oracle backend
  const AzimuthalProfile prof = ig->integrate(frame, true);
  std::vector<double> var(prof.size());
  for (size_t k = 0; k < prof.size(); ++k) var[k] = prof.variance[k] / (prof.norm[k] * prof.norm[k]);
  const ReducedProfile rp = reduce_profile(prof.s, prof.mean, &var, p);
  double ring = 0, total = 0;
  for (size_t k = 0; k < prof.size(); ++k)
    if (prof.s[k] >= vin && prof.s[k] < vout) ring += prof.sum[k];
  for (double v : frame) total += v;
  return {prof.s, prof.mean, rp.G, rp.fit.N, rp.fit.C, ring / total, rp.phi_sigma};
}

// Hand sum of the counts over scan rows y0 … y0 + ny − 1 and columns x0 … x0 + nx − 1 (clipped to the scan).
std::vector<double> rect_sum(const ScanSpec& sp, const std::vector<double>& base, size_t y0, size_t x0, size_t ny,
                             size_t nx, size_t& count) {
  std::vector<double> f(base.size(), 0.0);
  count = 0;
  for (size_t iy = y0; iy < std::min(sp.scan_ny, y0 + ny); ++iy)
    for (size_t ix = x0; ix < std::min(sp.scan_nx, x0 + nx); ++ix) {
      const auto c = counts_at(sp, base, iy, ix);
      for (size_t k = 0; k < f.size(); ++k) f[k] += c[k];
      ++count;
    }
  return f;
}

std::vector<double> bin_sum(const ScanSpec& sp, const std::vector<double>& base, size_t by, size_t bx, size_t n,
                            size_t& count) {
  return rect_sum(sp, base, by * n, bx * n, n, n, count);
}

double rel_diff(const std::vector<double>& a, const std::vector<double>& b) {
  double num = 0, den = 0;
  for (size_t k = 0; k < a.size(); ++k) {
    if (!std::isfinite(a[k]) && !std::isfinite(b[k])) continue;
    num = std::max(num, std::abs(a[k] - b[k]));
    den = std::max(den, std::abs(b[k]));
  }
  return num / den;
}

bool only_file(const fs::path& dir, const std::string& name) {
  for (const auto& e : fs::directory_iterator(dir))
    if (e.path().filename() != name && e.path().extension() != ".h5") return false;
  return true;
}

}  // namespace

TEST(Pipeline, PerPixelCubesEqualDirectReductionOfEachBin) {
  const fs::path dir = temp_dir("perpixel");
  ScanSpec sp;  // 6 × 5 scan: with 2 × 2 binning the last column of bins holds 2 patterns
  const std::string in = (dir / "scan.h5").string(), out = (dir / "reduced.h5").string();
  write_scan(in, sp);
  ReduceOptions o = options(in, out, sp);
  size_t calls = 0, last_done = 0;
  o.progress = [&](size_t done, size_t total) {
    ++calls;
    last_done = done;
    EXPECT_EQ(total, 9u);
  };
  o.metadata = {{"config_text", "bin = 2"}};
  const ReduceSummary sum = reduce_4d(o);
  EXPECT_EQ(sum.out_ny, 3u);
  EXPECT_EQ(sum.out_nx, 3u);
  EXPECT_EQ(sum.patterns_read, 30u);
  EXPECT_EQ(sum.n_failed, 0u) << sum.first_failure;
  EXPECT_EQ(sum.centre_source, "file");
  EXPECT_EQ(calls, 3u);  // 9 bins in batches of 4
  EXPECT_EQ(last_done, 9u);
  ASSERT_TRUE(fs::exists(out));
  EXPECT_TRUE(only_file(dir, "reduced.h5"));  // no temporary left

  H5Reader h(out);
  const auto s = h.read("/reduced/s");
  const auto r = h.read("/reduced/r");
  EXPECT_EQ(h.shape("/reduced/I"), (std::vector<size_t>{3, 3, s.size()}));
  EXPECT_EQ(h.shape("/reduced/phi"), (std::vector<size_t>{3, 3, s.size()}));
  EXPECT_EQ(h.shape("/reduced/G"), (std::vector<size_t>{3, 3, r.size()}));
  EXPECT_EQ(h.shape("/reduced/vadf"), (std::vector<size_t>{3, 3}));
  EXPECT_EQ(h.attribute_string("/reduced/s", "units"), "Å⁻¹");
  EXPECT_EQ(h.attribute_string("/reduced", "scan_binning"), "2");
  EXPECT_EQ(h.attribute_string("/reduced", "chain_damping").rfind("exp:0.", 0), 0u);
  EXPECT_EQ(h.attribute_string("/reduced", "centre_source"), "file");
  EXPECT_EQ(h.attribute_string("/", "config_text"), "bin = 2");
  const auto np = h.read("/reduced/n_patterns");
  EXPECT_EQ(np[0], 4);
  EXPECT_EQ(np[2], 2);  // (0, 2): columns 4 only
  EXPECT_EQ(np[8], 2);  // (2, 2)

  const std::vector<double> base = base_pattern(sp);
  for (size_t by = 0; by < 3; ++by)
    for (size_t bx = 0; bx < 3; ++bx) {
      size_t count = 0;
      const Direct d = direct(bin_sum(sp, base, by, bx, 2, count), sp, o.chain, o.vadf_s_inner, o.vadf_s_outer);
      ASSERT_EQ(d.s.size(), s.size());
      const auto I = h.read_slab("/reduced/I", {by, bx, 0}, {1, 1, s.size()});
      const auto G = h.read_slab("/reduced/G", {by, bx, 0}, {1, 1, r.size()});
      EXPECT_LT(rel_diff(I, d.I), 1e-12) << by << "," << bx;
      EXPECT_LT(rel_diff(G, d.G), 1e-9) << by << "," << bx;
      EXPECT_NEAR(h.read_slab("/reduced/N", {by, bx}, {1, 1})[0], d.N, 1e-9 * d.N);
      EXPECT_NEAR(h.read_slab("/reduced/C", {by, bx}, {1, 1})[0], d.C, 1e-7 * std::abs(d.N));
      EXPECT_NEAR(h.read_slab("/reduced/vadf", {by, bx}, {1, 1})[0], d.vadf, 1e-12);
      // The model has one pair distance r0: the first peak of G is there.
      const size_t peak = static_cast<size_t>(std::max_element(G.begin(), G.end()) - G.begin());
      EXPECT_NEAR(r[peak], sp.r0, 0.03);
    }
}

TEST(Pipeline, GlobalCentreFromTheData) {
  const fs::path dir = temp_dir("centre");
  ScanSpec sp;
  sp.scan_ny = sp.scan_nx = 2;
  const std::string in = (dir / "scan.h5").string(), out = (dir / "reduced.h5").string();
  write_scan(in, sp, {}, /*with_centre=*/false);
  ReduceOptions o = options(in, out, sp);
  const ReduceSummary sum = reduce_4d(o);  // Auto → Global (no centre in the file)
  EXPECT_EQ(sum.centre_source, "global");
  EXPECT_NEAR(sum.centre.x, sp.cx, 0.05);
  EXPECT_NEAR(sum.centre.y, sp.cy, 0.05);
  o.centre_mode = CentreMode::File;  // but the file has none
  EXPECT_THROW(reduce_4d(o), InputError);
}

TEST(Pipeline, RegionModeReducesTheSumOfTheRegion) {
  const fs::path dir = temp_dir("region");
  ScanSpec sp;
  const std::string in = (dir / "scan.h5").string(), out = (dir / "region.h5").string();
  write_scan(in, sp);
  ReduceOptions o = options(in, out, sp);
  o.region.enabled = true;
  o.region.y0 = 1;
  o.region.x0 = 2;
  o.region.ny = 3;
  o.region.nx = 2;
  const ReduceSummary sum = reduce_4d(o);
  EXPECT_EQ(sum.patterns_read, 6u);
  size_t count = 0;
  const std::vector<double> f = rect_sum(sp, base_pattern(sp), 1, 2, 3, 2, count);
  ASSERT_EQ(count, 6u);
  const Direct d = direct(f, sp, o.chain, o.vadf_s_inner, o.vadf_s_outer);
  H5Reader h(out);
  EXPECT_LT(rel_diff(h.read("/region/I"), d.I), 1e-12);
  EXPECT_LT(rel_diff(h.read("/region/G"), d.G), 1e-9);
  EXPECT_NEAR(h.attribute_double("/region", "N"), d.N, 1e-9 * d.N);
  EXPECT_EQ(h.attribute_double("/region", "n_patterns"), 6);
  EXPECT_TRUE(h.exists("/region/G_sigma"));
  // σ(φ) of the region: the chain's, from the summed pattern's Poisson variance (finite where φ is measured).
  const std::vector<double> phs = h.read("/region/phi_sigma");
  ASSERT_EQ(phs.size(), d.phi_sigma.size());
  std::size_t finite = 0;
  for (std::size_t k = 0; k < phs.size(); ++k) {
    ASSERT_EQ(std::isfinite(phs[k]), std::isfinite(d.phi_sigma[k])) << k;
    if (!std::isfinite(phs[k])) continue;
    ++finite;
    EXPECT_NEAR(phs[k], d.phi_sigma[k], 1e-9 * std::fabs(d.phi_sigma[k]) + 1e-15) << k;
  }
  EXPECT_GT(finite, phs.size() / 2);

  // The same region as a mask of scan positions.
  o.region.scan_mask.assign(sp.scan_ny * sp.scan_nx, 0);
  for (size_t iy = 1; iy < 4; ++iy)
    for (size_t ix = 2; ix < 4; ++ix) o.region.scan_mask[iy * sp.scan_nx + ix] = 1;
  o.output = (dir / "region_mask.h5").string();
  reduce_4d(o);
  H5Reader h2(o.output);
  EXPECT_LT(rel_diff(h2.read("/region/G"), d.G), 1e-9);
  EXPECT_EQ(h2.shape("/region/scan_mask"), (std::vector<size_t>{6, 5}));
}

// The plural deconvolution inside the driver: the disc radius α/λ taken from the file's calibration, the
// region's G equal to the direct reduction with the same chain, the events per electron recorded.
TEST(Pipeline, PluralDeconvolutionUsesTheCalibratedDisc) {
  const fs::path dir = temp_dir("plural");
  ScanSpec sp;
  const std::string in = (dir / "scan.h5").string(), out = (dir / "region.h5").string();
  write_scan(in, sp);
  ReduceOptions o = options(in, out, sp);
  o.region.enabled = true;
  o.region.y0 = 0;
  o.region.x0 = 0;
  o.region.ny = 2;
  o.region.nx = 2;
  o.chain.plural_deconvolution = true;  // s_alpha 0: from the calibration
  reduce_4d(o);
  size_t count = 0;
  const std::vector<double> f = rect_sum(sp, base_pattern(sp), 0, 0, 2, 2, count);
  ReductionParams p = o.chain;
  p.plural.s_alpha = 0.6e-3 / electron_wavelength(200e3);
  const Direct d = direct(f, sp, p, o.vadf_s_inner, o.vadf_s_outer);
  const Direct plain = direct(f, sp, chain_params(sp), o.vadf_s_inner, o.vadf_s_outer);  // 003's chain
  H5Reader h(out);
  EXPECT_LT(rel_diff(h.read("/region/G"), d.G), 1e-9);
  EXPECT_GT(rel_diff(h.read("/region/G"), plain.G), 1e-3);  // the deconvolution changed something
  const double x = h.attribute_double("/region", "plural_events");
  EXPECT_TRUE(x > 0 && std::isfinite(x)) << x;
  EXPECT_EQ(h.attribute_string("/region", "chain_plural_deconvolution"), "true");
  EXPECT_NEAR(std::stod(h.attribute_string("/region", "chain_plural_s_alpha_per_A")), p.plural.s_alpha, 1e-12);
}

TEST(Pipeline, BuffersDoNotGrowWithScanSize) {
  const fs::path dir = temp_dir("memory");
  size_t bytes[2], reads[2];
  const size_t n[2] = {4, 12};
  for (int k = 0; k < 2; ++k) {
    ScanSpec sp;
    sp.scan_ny = sp.scan_nx = n[k];
    const std::string in = (dir / ("scan" + std::to_string(k) + ".h5")).string();
    write_scan(in, sp);
    ReduceOptions o = options(in, (dir / ("out" + std::to_string(k) + ".h5")).string(), sp);
    const ReduceSummary sum = reduce_4d(o);
    bytes[k] = sum.buffer_bytes;
    reads[k] = sum.patterns_read;
  }
  EXPECT_EQ(reads[0], 16u);
  EXPECT_EQ(reads[1], 144u);
  EXPECT_EQ(bytes[0], bytes[1]);
  // Two batches of 4 binned 64 × 64 frames (doubles) are the largest part; the total stays within 2 MiB.
  EXPECT_GT(bytes[0], 2u * 4 * 64 * 64 * 8);
  EXPECT_LT(bytes[0], 2u << 20);
  // Reading on a second thread changes nothing in the output.
  ScanSpec sp;
  sp.scan_ny = sp.scan_nx = n[1];
  ReduceOptions o = options((dir / "scan1.h5").string(), (dir / "serial.h5").string(), sp);
  o.overlap_io = false;
  const ReduceSummary serial = reduce_4d(o);
  EXPECT_LT(serial.buffer_bytes, bytes[1]);
  EXPECT_EQ(H5Reader((dir / "serial.h5").string()).read("/reduced/G"), H5Reader((dir / "out1.h5").string()).read("/reduced/G"));
}

TEST(Pipeline, BadInputFailsBeforeWritingAnything) {
  const fs::path dir = temp_dir("bad");
  ScanSpec sp;
  sp.scan_ny = sp.scan_nx = 2;
  const std::string in = (dir / "scan.h5").string(), out = (dir / "out.h5").string();
  write_scan(in, sp);
  auto expect_no_output = [&](const ReduceOptions& o, const std::string& must_contain) {
    try {
      reduce_4d(o);
      ADD_FAILURE() << "no error for: " << must_contain;
    } catch (const std::exception& e) {
      EXPECT_NE(std::string(e.what()).find(must_contain), std::string::npos) << e.what();
    }
    EXPECT_FALSE(fs::exists(out));
    for (const auto& e : fs::directory_iterator(dir))
      EXPECT_NE(e.path().filename().string().rfind(".out.h5", 0), 0u) << "temporary left: " << e.path();
  };
  {  // chain window beyond the data
    ReduceOptions o = options(in, out, sp);
    o.chain.s_max = 6;
    expect_no_output(o, "s_max");
  }
  {  // fit window beyond the data
    ReduceOptions o = options(in, out, sp);
    o.chain.fit_s_lo = 5;
    o.chain.fit_s_hi = 6;
    expect_no_output(o, "5");
  }
  {  // VADF annulus beyond the data
    ReduceOptions o = options(in, out, sp);
    o.vadf_s_outer = 9;
    expect_no_output(o, "VADF");
  }
  {  // a ring the chain needs is entirely masked
    std::vector<std::uint8_t> mask(sp.det * sp.det, 0);
    for (size_t i = 0; i < sp.det; ++i)
      for (size_t j = 0; j < sp.det; ++j) {
        const double r = std::hypot(static_cast<double>(j) - sp.cx, static_cast<double>(i) - sp.cy);
        if (r > 1.0 / sp.ds - 2 && r < 1.3 / sp.ds + 2) mask[i * sp.det + j] = 1;
      }
    const std::string masked = (dir / "masked.h5").string();
    write_scan(masked, sp, mask);
    ReduceOptions o = options(masked, out, sp);
    expect_no_output(o, "masked");
  }
  {  // wrong rank (a named dataset that is 4-D? no: the mask, 2-D)
    ReduceOptions o = options(in, out, sp);
    o.input.dataset = "/data/mask/data";
    expect_no_output(o, "rank 2");
  }
  {  // missing calibration: a copy of the data without Δs
    const std::string raw = (dir / "raw.h5").string();
    H5Reader h(in);
    const auto v = h.read("/data/counts/data");
    {
      H5Writer w(raw);
      w.dataset_nd("/cube", v, {2, 2, sp.det, sp.det});
      w.close();
    }
    ReduceOptions o = options(raw, out, sp);
    o.input.dataset = "/cube";
    expect_no_output(o, data4d::kCalDs);
    o.input.calibration.ds_per_px = sp.ds;  // given in the configuration: runs, centre from the data
    o.output = (dir / "ok.h5").string();
    const ReduceSummary s = reduce_4d(o);
    EXPECT_EQ(s.centre_source, "global");
    EXPECT_TRUE(fs::exists(o.output));
  }
  {  // an existing output survives a failed run untouched
    { std::ofstream(out) << "previous"; }
    ReduceOptions o = options(in, out, sp);
    o.chain.s_max = 6;
    EXPECT_THROW(reduce_4d(o), std::invalid_argument);
    std::ifstream f(out);
    std::string text;
    f >> text;
    EXPECT_EQ(text, "previous");
  }
}
