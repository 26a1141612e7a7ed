// The streaming reduction driver (see sedpdf/reduce/pipeline.hpp).
#include "sedpdf/reduce/pipeline.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

namespace sedpdf {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr size_t kMapRun = 256;  // chunk length of the 2-D maps along x

// A chunked float64 (or uint8) dataset written one scan pixel at a time; its chunk cache holds exactly
// one chunk (a run of pixels along x), which the raster order fills before moving on.
class OutArray {
 public:
  OutArray(hid_t file, const std::string& path, size_t ny, size_t nx, size_t n, hid_t file_type,
           const std::string& units)
      : path_(path), n_(n) {
    // Cubes: one chunk per scan pixel (1, 1, n); maps: runs of up to kMapRun pixels along x.
    std::vector<hsize_t> dims = {ny, nx}, chunk = {1, n > 1 ? 1 : std::min<hsize_t>(nx, kMapRun)};
    if (n > 1) {
      dims.push_back(n);
      chunk.push_back(n);
    }
    hid_t space = H5Screate_simple(static_cast<int>(dims.size()), dims.data(), nullptr);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    H5Pset_chunk(dcpl, static_cast<int>(chunk.size()), chunk.data());
    if (file_type == H5T_IEEE_F64LE) {
      const double fill = kNaN;
      H5Pset_fill_value(dcpl, H5T_NATIVE_DOUBLE, &fill);
    }
    // The chunk cache holds one chunk of the largest size this dataset kind can have, so the bytes it
    // may hold do not depend on the scan size.
    cache_bytes_ = (n > 1 ? n : kMapRun) * H5Tget_size(file_type) + 1024;
    hid_t dapl = H5Pcreate(H5P_DATASET_ACCESS);
    H5Pset_chunk_cache(dapl, 101, cache_bytes_, 1.0);
    ds_ = H5Dcreate2(file, path.c_str(), file_type, space, H5P_DEFAULT, dcpl, dapl);
    H5Pclose(dapl);
    H5Pclose(dcpl);
    H5Sclose(space);
    if (ds_ < 0) throw std::runtime_error("HDF5: cannot create " + path);
    if (!units.empty()) {
      hid_t ty = H5Tcopy(H5T_C_S1);
      H5Tset_size(ty, units.size());
      H5Tset_cset(ty, H5T_CSET_UTF8);
      hid_t sp = H5Screate(H5S_SCALAR);
      hid_t a = H5Acreate2(ds_, "units", ty, sp, H5P_DEFAULT, H5P_DEFAULT);
      H5Awrite(a, ty, units.c_str());
      H5Aclose(a);
      H5Sclose(sp);
      H5Tclose(ty);
    }
  }
  ~OutArray() {
    if (ds_ >= 0) H5Dclose(ds_);
  }
  OutArray(const OutArray&) = delete;
  OutArray& operator=(const OutArray&) = delete;

  void write(size_t y, size_t x, const double* v) {
    hsize_t off[3] = {y, x, 0}, cnt[3] = {1, 1, n_};
    const int rank = n_ > 1 ? 3 : 2;
    hid_t fs = H5Dget_space(ds_);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, nullptr, cnt, nullptr);
    hid_t ms = H5Screate_simple(rank, cnt, nullptr);
    const herr_t st = H5Dwrite(ds_, H5T_NATIVE_DOUBLE, ms, fs, H5P_DEFAULT, v);
    H5Sclose(ms);
    H5Sclose(fs);
    if (st < 0) throw std::runtime_error("HDF5: writing " + path_ + " failed (disk full?)");
  }
  void write(size_t y, size_t x, double v) { write(y, x, &v); }
  size_t cache_bytes() const { return cache_bytes_; }

 private:
  std::string path_;
  size_t n_;
  hid_t ds_ = -1;
  size_t cache_bytes_ = 0;
};

// The result of one binned pattern.
struct BinResult {
  std::vector<double> I, phi, G;
  double N = kNaN, C = kNaN, vadf = kNaN, cx = kNaN, cy = kNaN;
  bool failed = false;
  std::string error;
};

DetectorGeometry choose_geometry(const ReduceOptions& o, const Data4DReader& rd, double ds) {
  const std::string name = o.detector.empty() ? rd.calibration().detector_layout : o.detector;
  const bool from_file = o.detector.empty();
  if (name.empty() || name == "uniform") return DetectorGeometry::uniform(rd.det_ny(), rd.det_nx(), ds);
  DetectorGeometry g;
  try {
    g = DetectorGeometry::preset(name, ds);
  } catch (const std::invalid_argument& e) {
    if (from_file) return DetectorGeometry::uniform(rd.det_ny(), rd.det_nx(), ds);  // e.g. "custom"
    throw InputError("", 0, "detector", e.what());
  }
  if (g.ny() != rd.det_ny() || g.nx() != rd.det_nx()) {
    if (from_file) return DetectorGeometry::uniform(rd.det_ny(), rd.det_nx(), ds);
    throw InputError(rd.path(), 0, "detector",
                     "layout '" + name + "' has " + std::to_string(g.ny()) + "×" + std::to_string(g.nx()) +
                         " pixels, the data " + std::to_string(rd.det_ny()) + "×" + std::to_string(rd.det_nx()));
  }
  return g;
}

// Every bin whose centre lies in [lo, hi] must see some unmasked pixel area.
void require_rings(const AzimuthalIntegrator& integ, double lo, double hi, const std::string& what) {
  const auto& s = integ.s();
  const auto& norm = integ.norm();
  for (size_t k = 0; k < s.size(); ++k)
    if (s[k] >= lo && s[k] <= hi && !(norm[k] > 0))
      throw std::invalid_argument("every pixel is masked in the ring s = " + format_number(s[k], 17) + " Å⁻¹ (integration bin " +
                                  std::to_string(k) + "), inside the " + what + " window [" + format_number(lo, 17) + ", " +
                                  format_number(hi, 17) + "] Å⁻¹");
}

// Positions of the scan that take part: the region (rectangle or mask) or everything.
bool in_region(const ReduceRegion& r, size_t nx, size_t iy, size_t ix) {
  if (!r.enabled) return true;
  if (!r.scan_mask.empty()) return r.scan_mask[iy * nx + ix] != 0;
  return iy >= r.y0 && iy < r.y0 + r.ny && ix >= r.x0 && ix < r.x0 + r.nx;
}

}  // namespace

std::string centre_mode_name(CentreMode m) {
  switch (m) {
    case CentreMode::Auto: return "auto";
    case CentreMode::File: return "file";
    case CentreMode::Fixed: return "fixed";
    case CentreMode::Global: return "global";
    default: return "per_pattern";
  }
}

CentreMode parse_centre_mode(const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (CentreMode m : {CentreMode::Auto, CentreMode::File, CentreMode::Fixed, CentreMode::Global, CentreMode::PerPattern})
    if (t == centre_mode_name(m)) return m;
  throw std::invalid_argument("centre mode '" + text + "' is not one of auto, file, fixed, global, per_pattern");
}

ReduceSummary reduce_4d(const ReduceOptions& o) {
  using clock = std::chrono::steady_clock;
  const auto t0 = clock::now();
  ReduceSummary sum;
  // ---- parameters that need no data ----
  if (o.output.empty()) throw std::invalid_argument("reduce: no output file given");
  if (o.bin == 0) throw std::invalid_argument("reduce: scan binning n = 0; it must be ≥ 1");
  if (o.batch == 0) throw std::invalid_argument("reduce: batch = 0; it must be ≥ 1");
  if (!(o.vadf_s_inner >= 0 && o.vadf_s_outer > o.vadf_s_inner && std::isfinite(o.vadf_s_outer)))
    throw std::invalid_argument("reduce: VADF annulus [" + format_number(o.vadf_s_inner, 17) + ", " + format_number(o.vadf_s_outer, 17) +
                                "] Å⁻¹ must satisfy 0 ≤ inner < outer");
  if (o.s_bin_width < 0 || o.integration_s_max < 0 || !std::isfinite(o.s_bin_width) || !std::isfinite(o.integration_s_max))
    throw std::invalid_argument("reduce: s_bin_width " + format_number(o.s_bin_width, 17) + " and integration_s_max " +
                                format_number(o.integration_s_max, 17) + " Å⁻¹ must be ≥ 0 (0 = automatic)");

  Data4DReader rd(o.input);
  const Data4DCalibration& cal = rd.calibration();
  const double ds = rd.require(data4d::kCalDs, std::string("calibration.") + data4d::kCalDs);
  if (!(ds > 0)) throw InputError(rd.path(), 0, data4d::kCalDs, "Δs per pixel " + format_number(ds, 17) + " Å⁻¹ must be > 0");
  DetectorGeometry geom = choose_geometry(o, rd, ds);
  if (o.exact_s_mapping)
    geom.set_wavelength(rd.require(data4d::kCalWavelength, std::string("calibration.") + data4d::kCalEnergy));
  Mask mask(rd.det_ny(), rd.det_nx());
  for (size_t i = 0; i < rd.mask().size(); ++i)
    if (rd.mask()[i]) mask.set(i);
  const Mask eff = effective_mask(geom, mask);
  const bool counts = rd.element_type().find("int") != std::string::npos;
  const bool use_var = o.use_variance && counts;

  // ---- region ----
  const ReduceRegion& reg = o.region;
  if (reg.enabled) {
    if (!reg.scan_mask.empty()) {
      if (reg.scan_mask.size() != rd.scan_ny() * rd.scan_nx())
        throw std::invalid_argument("reduce: region scan mask has " + std::to_string(reg.scan_mask.size()) +
                                    " entries, the scan " + std::to_string(rd.scan_ny()) + "×" +
                                    std::to_string(rd.scan_nx()));
    } else if (reg.ny == 0 || reg.nx == 0 || reg.y0 + reg.ny > rd.scan_ny() || reg.x0 + reg.nx > rd.scan_nx()) {
      throw std::invalid_argument("reduce: region rows " + std::to_string(reg.y0) + "+" + std::to_string(reg.ny) +
                                  ", columns " + std::to_string(reg.x0) + "+" + std::to_string(reg.nx) +
                                  " is empty or outside the " + std::to_string(rd.scan_ny()) + "×" +
                                  std::to_string(rd.scan_nx()) + " scan");
    }
  }
  auto for_region_positions = [&](const std::function<void(size_t, size_t)>& f) {
    for (size_t iy = 0; iy < rd.scan_ny(); ++iy)
      for (size_t ix = 0; ix < rd.scan_nx(); ++ix)
        if (in_region(reg, rd.scan_nx(), iy, ix)) f(iy, ix);
  };
  size_t n_positions = 0;
  for_region_positions([&](size_t, size_t) { ++n_positions; });
  if (n_positions == 0) throw std::invalid_argument("reduce: the region holds no scan position");

  // Region mode sums every pattern first (needed for its centre anyway).
  std::vector<double> region_sum;
  if (reg.enabled) {
    region_sum.assign(rd.pattern_size(), 0.0);
    for_region_positions([&](size_t iy, size_t ix) { rd.add_pattern(iy, ix, region_sum); });
  }

  // ---- centre ----
  CentreMode mode = o.centre_mode;
  if (mode == CentreMode::Auto)
    mode = std::isfinite(cal.centre_x_px) && std::isfinite(cal.centre_y_px) ? CentreMode::File : CentreMode::Global;
  if (reg.enabled && mode == CentreMode::PerPattern) mode = CentreMode::Global;  // one pattern: its own centre
  BeamCentre centre;
  EllipticalDistortion distortion;
  if (mode == CentreMode::File) {
    centre.x = rd.require(data4d::kCalCentreX, std::string("calibration.") + data4d::kCalCentreX);
    centre.y = rd.require(data4d::kCalCentreY, std::string("calibration.") + data4d::kCalCentreY);
    sum.centre_source = rd.calibration_source(data4d::kCalCentreX);
  } else if (mode == CentreMode::Fixed) {
    centre = o.fixed_centre;
    sum.centre_source = "fixed";
  } else {
    std::vector<double> frame;
    if (reg.enabled) {
      frame = region_sum;
    } else {
      frame.assign(rd.pattern_size(), 0.0);
      const size_t k = std::max<size_t>(1, std::min(o.centre_patterns, n_positions));
      const size_t n = rd.scan_ny() * rd.scan_nx();
      for (size_t i = 0; i < k; ++i) {
        const size_t p = (2 * i + 1) * n / (2 * k);  // evenly spread, deterministic
        rd.add_pattern(p / rd.scan_nx(), p % rd.scan_nx(), frame);
      }
    }
    try {
      const CentreResult cr = find_centre(frame, geom, eff, o.centre_options);
      centre = cr.centre;
      if (o.fit_ellipse) {
        const EllipseFit ef = fit_elliptical_distortion(frame, geom, eff, centre, o.centre_options);
        centre = ef.centre;
        distortion = ef.distortion;
      }
    } catch (const std::invalid_argument& e) {
      throw InputError(rd.path(), 0, "centre", std::string("cannot find the direct-beam centre: ") + e.what());
    }
    sum.centre_source = mode == CentreMode::PerPattern ? "per_pattern" : "global";
  }
  if (!std::isfinite(centre.x) || !std::isfinite(centre.y))
    throw std::invalid_argument("reduce: beam centre (" + format_number(centre.x, 17) + ", " + format_number(centre.y, 17) + ") px is not finite");
  sum.centre = centre;

  // ---- integration axis and integrator ----
  IntegrationSetup setup;
  setup.geometry = geom;
  setup.mask = mask;
  setup.centre = centre;
  setup.distortion = distortion;
  {
    const SAxis def = default_axis(geom, eff, centre, distortion);
    const double width = o.s_bin_width > 0 ? o.s_bin_width : geom.ds();
    const double smax = o.integration_s_max > 0 ? o.integration_s_max : def.s_max;
    setup.axis.s_min = 0;
    setup.axis.n_bins = static_cast<size_t>(std::floor(smax / width + 1e-9));
    if (setup.axis.n_bins < 4)
      throw std::invalid_argument("reduce: integration axis 0–" + format_number(smax, 17) + " Å⁻¹ in bins of " + format_number(width, 17) +
                                  " Å⁻¹ has fewer than 4 bins");
    setup.axis.s_max = static_cast<double>(setup.axis.n_bins) * width;
  }
  std::unique_ptr<AzimuthalIntegrator> integ = make_integrator(setup, IntegratorBackend::Csr);
  const std::vector<double>& s = integ->s();
  const double s_top = setup.axis.s_max;
  if (o.vadf_s_outer > s_top)
    throw std::invalid_argument("reduce: VADF annulus outer edge " + format_number(o.vadf_s_outer, 17) +
                                " Å⁻¹ lies beyond the integrated data (s ≤ " + format_number(s_top, 17) + " Å⁻¹)");
  // The plural deconvolution's disc radius α/λ from the calibration unless given.
  ReductionParams chain = o.chain;
  if (chain.plural_deconvolution && !(chain.plural.s_alpha > 0))
    chain.plural.s_alpha = 1e-3 * rd.require(data4d::kCalConvergence, std::string("calibration.") + data4d::kCalConvergence) /
                           rd.require(data4d::kCalWavelength, std::string("calibration.") + data4d::kCalEnergy);
  std::unique_ptr<ChainPlan> plan;
  try {
    plan = std::make_unique<ChainPlan>(s, chain);
  } catch (const std::invalid_argument& e) {
    throw std::invalid_argument("reduce: chain parameters vs the integrated data (s = " + format_number(s.front(), 17) + " … " +
                                format_number(s.back(), 17) + " Å⁻¹ in " + std::to_string(s.size()) + " bins): " + e.what());
  }
  require_rings(*integ, o.chain.s_min, o.chain.s_max, "chain s_min–s_max");
  require_rings(*integ, o.chain.fit_s_lo, o.chain.fit_s_hi, "background fit");
  require_rings(*integ, o.vadf_s_inner, o.vadf_s_outer, "VADF");
  std::vector<size_t> vadf_bins;
  for (size_t k = 0; k < s.size(); ++k)
    if (s[k] >= o.vadf_s_inner && s[k] < o.vadf_s_outer) vadf_bins.push_back(k);
  if (vadf_bins.empty()) throw std::invalid_argument("reduce: no integration bin inside the VADF annulus");
  const std::vector<double>& r = plan->transform().r();
  const size_t n_s = s.size(), n_r = r.size(), npx = rd.pattern_size();
  sum.n_s = n_s;
  sum.n_r = n_r;

  // Parameters recorded in the output.
  std::vector<std::pair<std::string, std::string>> params = {
      {"input_file", rd.path()},
      {"input_dataset", rd.dataset()},
      {"input_element_type", rd.element_type()},
      {"input_shape", std::to_string(rd.scan_ny()) + "x" + std::to_string(rd.scan_nx()) + "x" +
                          std::to_string(rd.det_ny()) + "x" + std::to_string(rd.det_nx())},
      {"mode", reg.enabled ? "region" : "per_pixel"},
      {"scan_binning", std::to_string(o.bin)},
      {"detector_layout", geom.layout()},
      {"exact_s_mapping", o.exact_s_mapping ? "true" : "false"},
      {"centre_mode", centre_mode_name(o.centre_mode)},
      {"centre_source", sum.centre_source},
      {"centre_x_px", format_number(centre.x, 17)},
      {"centre_y_px", format_number(centre.y, 17)},
      {"ellipse_ratio", format_number(distortion.ratio, 17)},
      {"ellipse_angle_rad", format_number(distortion.angle, 17)},
      {"centre_patterns", std::to_string(o.centre_patterns)},
      {"integration_bin_width_per_A", format_number(setup.axis.width(), 17)},
      {"integration_s_max_per_A", format_number(setup.axis.s_max, 17)},
      {"integration_n_bins", std::to_string(setup.axis.n_bins)},
      {"integrator", integ->name()},
      {"masked_pixels", std::to_string(eff.count())},
      {"use_variance", use_var ? "true" : "false"},
      {"vadf_s_inner_per_A", format_number(o.vadf_s_inner, 17)},
      {"vadf_s_outer_per_A", format_number(o.vadf_s_outer, 17)},
      {"vadf_definition",
       "counts in the integration bins with centres in [inner, outer) divided by the counts of all unmasked pixels"},
      {"batch", std::to_string(o.batch)},
  };
  for (const char* name : {data4d::kCalEnergy, data4d::kCalWavelength, data4d::kCalDs, data4d::kCalConvergence,
                           data4d::kCalDose, data4d::kCalStepX, data4d::kCalStepY}) {
    Data4DCalibration tmp = cal;
    double v = kNaN;
    if (std::string(name) == data4d::kCalEnergy) v = tmp.energy_eV;
    if (std::string(name) == data4d::kCalWavelength) v = tmp.wavelength_A;
    if (std::string(name) == data4d::kCalDs) v = tmp.ds_per_px;
    if (std::string(name) == data4d::kCalConvergence) v = tmp.convergence_mrad;
    if (std::string(name) == data4d::kCalDose) v = tmp.dose_e_per_A2;
    if (std::string(name) == data4d::kCalStepX) v = tmp.scan_step_x_A;
    if (std::string(name) == data4d::kCalStepY) v = tmp.scan_step_y_A;
    if (std::isfinite(v)) {
      params.emplace_back(std::string("calibration_") + name, format_number(v, 17));
      params.emplace_back(std::string("calibration_") + name + "_source", rd.calibration_source(name));
    }
  }
  for (const auto& kv : reduction_metadata(chain)) params.emplace_back("chain_" + kv.first, kv.second);

  // Fixed buffers: reader, CSR matrix, chain plan (transform matrices).
  size_t fixed_bytes = 0;
  if (const auto* csr = dynamic_cast<const CsrIntegrator*>(integ.get()))
    fixed_bytes += csr->matrix().nnz() * (sizeof(uint32_t) + 2 * sizeof(double)) + (n_s + 1) * sizeof(uint64_t);
  fixed_bytes += 3 * n_r * plan->transform().node_count() * sizeof(double);

  // Profile, VADF and chain of one frame whose per-bin sums (and variances) are known.
  auto finish_one = [&](const double* frame, const double* sums, const double* vars, BinResult& res,
                        const AzimuthalIntegrator& ig) {
    const auto& norm = ig.norm();
    res.I.assign(n_s, kNaN);
    std::vector<double> var(use_var ? n_s : 0, kNaN);
    for (size_t k = 0; k < n_s; ++k)
      if (norm[k] > 0) {
        res.I[k] = sums[k] / norm[k];
        if (use_var) var[k] = vars[k] / (norm[k] * norm[k]);
      }
    double total = 0, ring = 0;
    const auto& m = ig.setup().mask.data();
    for (size_t p = 0; p < npx; ++p)
      if (!m[p]) total += frame[p];
    for (size_t k : vadf_bins) ring += sums[k];
    res.vadf = total > 0 ? ring / total : kNaN;
    try {
      const ReducedProfile rp = plan->reduce(res.I, use_var ? &var : nullptr);
      res.phi = rp.phi_corrected;
      res.G = rp.G;
      res.N = rp.fit.N;
      res.C = rp.fit.C;
      return rp;
    } catch (const std::exception& e) {
      res.failed = true;
      res.error = e.what();
      res.phi.assign(n_s, kNaN);
      res.G.assign(n_r, kNaN);
      return ReducedProfile{};
    }
  };
  auto reduce_one = [&](const std::vector<double>& frame, BinResult& res, const AzimuthalIntegrator& ig) {
    std::vector<double> sums(n_s), vars(use_var ? n_s : 0);
    ig.sums(FrameBatch::of(frame), sums.data());
    if (use_var) ig.variances(FrameBatch::of(frame), vars.data());
    return finish_one(frame.data(), sums.data(), vars.data(), res, ig);
  };

  write_file_atomically(o.output, [&](const std::string& tmp) {
    H5Writer w(tmp);
    for (const auto& [k, v] : o.metadata) w.attribute("/", k, v);
    w.attribute("/", "sedpdf_output", reg.enabled ? "area-averaged ePDF (region)" : "per-pixel ePDF cubes");
    const std::string grp = reg.enabled ? "/region" : "/reduced";
    w.group(grp);
    for (const auto& [k, v] : params) w.attribute(grp, k, v);
    w.dataset(grp + "/s", s, "Å⁻¹");
    w.dataset(grp + "/r", r, "Å");

    if (reg.enabled) {
      sum.out_ny = sum.out_nx = 1;
      BinResult res;
      const ReducedProfile rp = reduce_one(region_sum, res, *integ);
      if (res.failed) throw std::invalid_argument("reduce: the region's profile could not be reduced: " + res.error);
      w.dataset(grp + "/I", res.I, "counts per pixel (sum over the region)");
      std::vector<double> sig(n_s, kNaN);
      if (!rp.phi_sigma.empty() && use_var) {
        std::vector<double> vars(n_s);
        integ->variances(FrameBatch::of(region_sum), vars.data());
        for (size_t k = 0; k < n_s; ++k)
          if (integ->norm()[k] > 0) sig[k] = std::sqrt(vars[k]) / integ->norm()[k];
      }
      w.dataset(grp + "/I_sigma", sig, "counts per pixel");
      w.dataset(grp + "/phi_raw", rp.phi_raw, "Å⁻¹");
      w.dataset(grp + "/phi", rp.phi_corrected, "Å⁻¹");
      // σ of φ from the counting variance alone (N, C fixed; the polynomial correction is not propagated).
      if (!rp.phi_sigma.empty() && use_var) w.dataset(grp + "/phi_sigma", rp.phi_sigma, "Å⁻¹");
      w.dataset(grp + "/G", rp.G, "Å⁻²");
      if (!rp.G_sigma.empty()) w.dataset(grp + "/G_sigma", rp.G_sigma, "Å⁻²");
      w.attribute(grp, "N", rp.fit.N);
      w.attribute(grp, "N_err", rp.fit.N_err);
      w.attribute(grp, "C", rp.fit.C);
      w.attribute(grp, "C_err", rp.fit.C_err);
      w.attribute(grp, "vadf", res.vadf);
      if (chain.plural_deconvolution) w.attribute(grp, "plural_events", rp.diagnostics.plural_events);
      w.attribute(grp, "n_patterns", static_cast<double>(n_positions));
      if (!reg.scan_mask.empty()) {
        std::vector<double> m(reg.scan_mask.begin(), reg.scan_mask.end());
        for (auto& v : m) v = v != 0;
        w.dataset(grp + "/scan_mask", m, rd.scan_ny(), rd.scan_nx());
      } else {
        w.attribute(grp, "region_y0", static_cast<double>(reg.y0));
        w.attribute(grp, "region_x0", static_cast<double>(reg.x0));
        w.attribute(grp, "region_ny", static_cast<double>(reg.ny));
        w.attribute(grp, "region_nx", static_cast<double>(reg.nx));
      }
      sum.buffer_bytes = rd.buffer_bytes() + fixed_bytes + 2 * npx * sizeof(double);
      if (o.progress) o.progress(1, 1);
      w.close();
      return;
    }

    // ---- per pixel, streamed ----
    {
    const size_t n = o.bin;
    const size_t by_n = (rd.scan_ny() + n - 1) / n, bx_n = (rd.scan_nx() + n - 1) / n;
    sum.out_ny = by_n;
    sum.out_nx = bx_n;
    const hid_t f = w.id();
    OutArray I_out(f, grp + "/I", by_n, bx_n, n_s, H5T_IEEE_F64LE, "counts per pixel (sum over the bin)");
    OutArray phi_out(f, grp + "/phi", by_n, bx_n, n_s, H5T_IEEE_F64LE, "Å⁻¹");
    OutArray G_out(f, grp + "/G", by_n, bx_n, n_r, H5T_IEEE_F64LE, "Å⁻²");
    OutArray N_out(f, grp + "/N", by_n, bx_n, 1, H5T_IEEE_F64LE, "");
    OutArray C_out(f, grp + "/C", by_n, bx_n, 1, H5T_IEEE_F64LE, "counts per pixel");
    OutArray v_out(f, grp + "/vadf", by_n, bx_n, 1, H5T_IEEE_F64LE, "fraction of detected electrons");
    OutArray np_out(f, grp + "/n_patterns", by_n, bx_n, 1, H5T_STD_U16LE, "");
    OutArray fail_out(f, grp + "/failed", by_n, bx_n, 1, H5T_STD_U8LE, "");
    std::unique_ptr<OutArray> cx_out, cy_out;
    if (mode == CentreMode::PerPattern) {
      cx_out = std::make_unique<OutArray>(f, grp + "/centre_x", by_n, bx_n, 1, H5T_IEEE_F64LE, "pixels");
      cy_out = std::make_unique<OutArray>(f, grp + "/centre_y", by_n, bx_n, 1, H5T_IEEE_F64LE, "pixels");
    }
    w.attribute(grp + "/phi", "definition", "φ(s) = s[I − N⟨f²⟩ − C]/(N⟨f⟩²) after the low-frequency correction "
                                           "(before damping and the direct-beam ramp); 003 eqs. 1/4");
    w.attribute(grp + "/G", "definition", "G(r) = 8π ∫ φ(s) D(s) sin(2πsr) ds (003 eq. 2)");
    w.attribute(grp + "/vadf", "definition",
                "counts in s ∈ [" + format_number(o.vadf_s_inner, 17) + ", " + format_number(o.vadf_s_outer, 17) +
                    ") Å⁻¹ / counts on all unmasked pixels (thickness proxy)");
    const size_t out_bytes = I_out.cache_bytes() + phi_out.cache_bytes() + G_out.cache_bytes() +
                             N_out.cache_bytes() + C_out.cache_bytes() + v_out.cache_bytes() +
                             np_out.cache_bytes() + fail_out.cache_bytes() +
                             (cx_out ? cx_out->cache_bytes() + cy_out->cache_bytes() : 0);

    const size_t total = by_n * bx_n;
    const size_t B = o.batch;
    // Two batches of binned frames: while one is integrated and reduced (OpenMP threads), a reader
    // thread reads and bins the next (HDF5 reads and inflation overlap the computation; the Debian HDF5
    // build is thread-safe and serialises its calls).
    const int n_buf = o.overlap_io ? 2 : 1;
    std::vector<std::vector<double>> frame_sets(n_buf, std::vector<double>(B * npx));  // B frames, contiguous
    std::vector<std::vector<size_t>> count_sets(n_buf, std::vector<size_t>(B));
    std::vector<BinResult> results(B);
    std::vector<double> batch_sums(B * n_s), batch_vars(use_var ? B * n_s : 0);
    auto read_batch = [&](size_t start, int set) {
      const size_t nb = std::min(B, total - start);
      for (size_t b = 0; b < nb; ++b) {
        const size_t by = (start + b) / bx_n, bx = (start + b) % bx_n;
        count_sets[set][b] = rd.sum_block(by * n, bx * n, n, n, frame_sets[set].data() + b * npx);
      }
    };
    size_t peak = 0;
    int cur = 0;
    read_batch(0, cur);
    for (size_t start = 0; start < total; start += B) {
      const size_t nb = std::min(B, total - start);
      const double* frames = frame_sets[cur].data();
      const std::vector<size_t>& counts_in_bin = count_sets[cur];
      std::thread reader;
      std::exception_ptr read_error;
      const bool more = start + B < total;
      if (more && n_buf == 2)
        reader = std::thread([&, next = 1 - cur] {
          try {
            read_batch(start + B, next);
          } catch (...) {
            read_error = std::current_exception();
          }
        });
      struct Joiner {  // joins the reader on every exit path
        std::thread& t;
        ~Joiner() {
          if (t.joinable()) t.join();
        }
      } joiner{reader};
      // The batch through the integrator in one call per quantity (its batch path, parallel over frames).
      if (mode != CentreMode::PerPattern) {
        integ->sums(FrameBatch::of(frames, nb, npx), batch_sums.data());
        if (use_var) integ->variances(FrameBatch::of(frames, nb, npx), batch_vars.data());
      }
#pragma omp parallel for schedule(dynamic, 1)
      for (long long bl = 0; bl < static_cast<long long>(nb); ++bl) {
        const size_t b = static_cast<size_t>(bl);
        BinResult& res = results[b];
        res = BinResult{};
        if (mode == CentreMode::PerPattern) {
          try {
            const std::vector<double> frame(frames + b * npx, frames + (b + 1) * npx);
            const CentreResult cr = find_centre(frame, geom, eff, o.centre_options);
            IntegrationSetup su = setup;
            su.centre = cr.centre;
            res.cx = cr.centre.x;
            res.cy = cr.centre.y;
            const auto ig = make_integrator(su, IntegratorBackend::Reference);
            reduce_one(frame, res, *ig);
          } catch (const std::exception& e) {
            res.failed = true;
            res.error = e.what();
            res.I.assign(n_s, kNaN);
            res.phi.assign(n_s, kNaN);
            res.G.assign(n_r, kNaN);
          }
        } else {
          finish_one(frames + b * npx, batch_sums.data() + b * n_s, use_var ? batch_vars.data() + b * n_s : nullptr,
                     res, *integ);
        }
      }
      for (size_t b = 0; b < nb; ++b) {
        const size_t by = (start + b) / bx_n, bx = (start + b) % bx_n;
        const BinResult& res = results[b];
        I_out.write(by, bx, res.I.data());
        phi_out.write(by, bx, res.phi.data());
        G_out.write(by, bx, res.G.data());
        N_out.write(by, bx, res.N);
        C_out.write(by, bx, res.C);
        v_out.write(by, bx, res.vadf);
        np_out.write(by, bx, static_cast<double>(counts_in_bin[b]));
        fail_out.write(by, bx, res.failed ? 1.0 : 0.0);
        if (cx_out) {
          cx_out->write(by, bx, res.cx);
          cy_out->write(by, bx, res.cy);
        }
        if (res.failed) {
          if (sum.n_failed == 0)
            sum.first_failure = "binned pixel (" + std::to_string(by) + ", " + std::to_string(bx) + "): " + res.error;
          ++sum.n_failed;
        }
      }
      if (reader.joinable()) reader.join();
      if (read_error) std::rethrow_exception(read_error);
      if (more && n_buf == 1) read_batch(start + B, cur);
      size_t held = rd.buffer_bytes() + fixed_bytes + out_bytes;
      for (const auto& set : frame_sets) held += set.capacity() * sizeof(double);
      held += (batch_sums.capacity() + batch_vars.capacity()) * sizeof(double);
      for (size_t b = 0; b < B; ++b)
        held += (results[b].I.capacity() + results[b].phi.capacity() + results[b].G.capacity()) * sizeof(double);
      held += 3 * n_s * sizeof(double) * std::min<size_t>(B, 64);  // per-thread sums, variances, I
      peak = std::max(peak, held);
      if (o.progress) o.progress(start + nb, total);
      if (n_buf == 2) cur = 1 - cur;
    }
    if (sum.n_failed == total)
      throw std::invalid_argument("reduce: the chain failed for every binned pixel; first: " + sum.first_failure);
    w.attribute(grp, "n_failed", static_cast<double>(sum.n_failed));
    if (sum.n_failed) w.attribute(grp, "first_failure", sum.first_failure);
    sum.buffer_bytes = peak;
    }  // output datasets closed here
    w.close();
  });
  sum.patterns_read = rd.patterns_read();
  sum.seconds = std::chrono::duration<double>(clock::now() - t0).count();
  return sum;
}

}  // namespace sedpdf
