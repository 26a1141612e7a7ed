// The unmixing stage as one call, and its HDF5 input / output (decompose.hpp, docs/formats.md).
#include "sedpdf/reduce/decompose.hpp"

#include <algorithm>
#include <cmath>
#include <iomanip>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/atomic_file.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/h5.hpp"

namespace sedpdf {

using Eigen::Index;
using Eigen::MatrixXd;
using Eigen::VectorXd;

DecompositionMethod parse_decomposition_method(const std::string& name) {
  if (name == "pca") return DecompositionMethod::Pca;
  if (name == "ica") return DecompositionMethod::Ica;
  if (name == "nmf") return DecompositionMethod::Nmf;
  if (name == "vca") return DecompositionMethod::Vca;
  throw std::invalid_argument("unknown decomposition method '" + name + "' (pca, ica, nmf, vca)");
}

std::string decomposition_method_name(DecompositionMethod m) {
  switch (m) {
    case DecompositionMethod::Pca: return "pca";
    case DecompositionMethod::Ica: return "ica";
    case DecompositionMethod::Nmf: return "nmf";
    case DecompositionMethod::Vca: return "vca";
  }
  return "?";
}

namespace {

PcaOptions pca_options(const DecomposeOptions& opt) {
  PcaOptions po = opt.pca;
  po.n_components = opt.n_components;
  po.seed = opt.seed;
  po.threads = opt.threads;
  return po;
}

double reconstruction_error(const PcaResult& P) {
  double kept = 0;
  for (Index i = 0; i < P.components.rows(); ++i) kept += P.singular_values(i) * P.singular_values(i);
  return P.total_sum_squares > 0 ? std::sqrt(std::max(P.total_sum_squares - kept, 0.0) / P.total_sum_squares) : 0.0;
}

std::vector<double> to_vector(const VectorXd& v) { return std::vector<double>(v.data(), v.data() + v.size()); }

std::string last_path_part(const std::string& p) {
  const auto slash = p.rfind('/');
  return slash == std::string::npos ? p : p.substr(slash + 1);
}

}  // namespace

Decomposition decompose(const MatrixXd& X, const DecomposeOptions& opt) {
  Decomposition d;
  d.method = opt.method;
  const PcaOptions po = pca_options(opt);
  switch (opt.method) {
    case DecompositionMethod::Pca: {
      d.pca = pca(X, po);
      if (d.pca.components.rows() == 0)
        throw std::invalid_argument("PCA: no component above the noise floor (" + d.pca.count.reason +
                                    "); set n_components to force a count");
      d.loadings = d.pca.scores;
      d.components = d.pca.components;
      if (d.pca.poisson) {
        d.loadings = d.pca.row_scale.asDiagonal() * d.loadings;
        d.components = d.components * d.pca.col_scale.asDiagonal();
      }
      d.contribution_ratio = d.pca.explained_variance_ratio.head(d.pca.components.rows());
      d.relative_error = reconstruction_error(d.pca);
      break;
    }
    case DecompositionMethod::Ica: {
      IcaOptions io;
      io.pca = po;
      io.fastica = opt.fastica;
      io.fastica.seed = opt.seed;
      io.domain = opt.ica_domain;
      IcaResult r = fastica(X, io);
      d.components = std::move(r.components);
      d.loadings = std::move(r.loadings);
      d.contribution_ratio = std::move(r.contribution_ratio);
      d.unmixing = std::move(r.unmixing);
      d.converged = r.run.converged;
      d.iterations = r.run.iterations;
      d.final_change = r.run.final_change;
      d.component_iterations = r.run.component_iterations;
      d.component_changes = r.run.component_changes;
      d.message = r.run.message;
      d.pca = std::move(r.pca);
      d.relative_error = reconstruction_error(d.pca);
      break;
    }
    case DecompositionMethod::Vca: {
      VcaOptions vo;
      vo.pca = po;
      vo.extreme_fraction = opt.vca_extreme_fraction;
      vo.seed = opt.seed;
      VcaResult r = vca(X, vo);
      d.components = std::move(r.components);
      d.loadings = std::move(r.loadings);
      d.contribution_ratio = std::move(r.contribution_ratio);
      d.pca = std::move(r.pca);
      d.relative_error = reconstruction_error(d.pca);
      break;
    }
    case DecompositionMethod::Nmf: {
      NmfOptions no;
      no.n_components = opt.n_components;
      no.solver = opt.nmf_solver;
      no.init = opt.nmf_init;
      no.max_iter = opt.nmf_max_iter;
      no.tol = opt.nmf_tol;
      no.seed = opt.seed;
      no.threads = opt.threads;
      no.count = po;
      NmfResult r = nmf(X, no);
      d.components = std::move(r.components);
      d.loadings = std::move(r.loadings);
      d.contribution_ratio = std::move(r.contribution_ratio);
      d.converged = r.converged;
      d.iterations = r.iterations;
      d.final_change = r.final_change;
      d.component_iterations.assign(static_cast<size_t>(d.components.rows()), r.iterations);
      d.component_changes.assign(static_cast<size_t>(d.components.rows()), r.final_change);
      d.message = r.message;
      d.relative_error = r.relative_error;
      d.pca = std::move(r.pca);
      break;
    }
  }
  return d;
}

// ---------------------------------------------------------------------------------------------------

std::string SignalCube::describe(Index row, Index col) const {
  std::ostringstream o;
  const size_t pix = pixel.at(static_cast<size_t>(row));
  o << "pixel (y=" << pix / nx << ", x=" << pix % nx << "), " << last_path_part(selection.abscissa) << " = "
    << std::setprecision(6) << abscissa.at(static_cast<size_t>(col));
  if (!abscissa_units.empty()) o << " " << abscissa_units;
  return o.str();
}

void keep_pixels(SignalCube& cube, const std::vector<uint8_t>& keep) {
  if (keep.size() != cube.ny * cube.nx)
    throw std::invalid_argument("keep_pixels: " + std::to_string(keep.size()) + " flags for a " + std::to_string(cube.ny) +
                                " × " + std::to_string(cube.nx) + " scan");
  std::vector<Eigen::Index> rows;
  for (Eigen::Index i = 0; i < static_cast<Eigen::Index>(cube.pixel.size()); ++i)
    if (keep[cube.pixel[static_cast<size_t>(i)]] != 0) rows.push_back(i);
  if (rows.size() < 3)
    throw std::invalid_argument("keep_pixels: " + std::to_string(rows.size()) + " scan positions left (need at least 3)");
  Eigen::MatrixXd data(static_cast<Eigen::Index>(rows.size()), cube.data.cols());
  std::vector<size_t> pix;
  pix.reserve(rows.size());
  std::fill(cube.used.begin(), cube.used.end(), 0);
  for (size_t i = 0; i < rows.size(); ++i) {
    data.row(static_cast<Eigen::Index>(i)) = cube.data.row(rows[i]);
    pix.push_back(cube.pixel[static_cast<size_t>(rows[i])]);
    cube.used[pix.back()] = 1;
  }
  cube.data = std::move(data);
  cube.pixel = std::move(pix);
}

SignalCube read_signal_cube(const std::string& path, const CubeSelection& sel) {
  H5Reader h(path);
  SignalCube c;
  c.file = path;
  c.selection = sel;
  if (!h.exists(sel.dataset))
    throw InputError(path, 0, sel.dataset,
                     "no such dataset (a reduced cube has e.g. /reduced/G of shape (ny, nx, n_r); see docs/formats.md)");
  const std::vector<size_t> dims = h.shape(sel.dataset);
  if (dims.size() != 2 && dims.size() != 3)
    throw InputError(path, 0, sel.dataset,
                     "has rank " + std::to_string(dims.size()) + "; expected (ny, nx, n) or (n_pixels, n)");
  c.ny = dims.size() == 3 ? dims[0] : 1;
  c.nx = dims.size() == 3 ? dims[1] : dims[0];
  const size_t n_all = dims.back();
  if (!h.exists(sel.abscissa)) throw InputError(path, 0, sel.abscissa, "no such dataset (the abscissa of " + sel.dataset + ")");
  const std::vector<size_t> adims = h.shape(sel.abscissa);
  if (adims.size() != 1 || adims[0] != n_all)
    throw InputError(path, 0, sel.abscissa,
                     "must be 1-D with " + std::to_string(n_all) + " values (the last dimension of " + sel.dataset + ")");
  const std::vector<double> a = h.read(sel.abscissa);
  for (size_t i = 0; i < a.size(); ++i) {
    if (!std::isfinite(a[i])) throw InputError(path, 0, sel.abscissa, "value " + std::to_string(i) + " is not finite");
    if (i > 0 && !(a[i] > a[i - 1]))
      throw InputError(path, 0, sel.abscissa, "must be strictly increasing; value " + std::to_string(i) + " = " +
                                                  format_number(a[i], 6) + " follows " + format_number(a[i - 1], 6));
  }
  if (h.has_attribute(sel.abscissa, "units")) c.abscissa_units = h.attribute_string(sel.abscissa, "units");
  if (h.has_attribute(sel.dataset, "units")) c.data_units = h.attribute_string(sel.dataset, "units");
  size_t i0 = 0, i1 = a.size();
  while (i0 < a.size() && a[i0] < sel.abscissa_min) ++i0;
  while (i1 > i0 && a[i1 - 1] > sel.abscissa_max) --i1;
  if (i1 - i0 < 2)
    throw InputError(path, 0, sel.abscissa,
                     "the window [" + format_number(sel.abscissa_min, 6) + ", " + format_number(sel.abscissa_max, 6) + "] " + c.abscissa_units +
                         " holds " + std::to_string(i1 - i0) + " point(s) of " + format_number(a.front(), 6) + " .. " +
                         format_number(a.back(), 6) + "; at least 2 are needed");
  c.abscissa.assign(a.begin() + static_cast<std::ptrdiff_t>(i0), a.begin() + static_cast<std::ptrdiff_t>(i1));
  c.abscissa_offset = i0;
  const size_t npix = c.ny * c.nx, n = i1 - i0;

  c.used.assign(npix, 1);
  // mask: non-zero = use; exclude: non-zero = leave out.
  auto apply_map = [&](const std::string& name, bool keep_nonzero, const char* what) {
    if (name.empty()) return;
    if (!h.exists(name)) throw InputError(path, 0, name, std::string("no such dataset (") + what + ")");
    const std::vector<size_t> md = h.shape(name);
    const bool ok = (dims.size() == 3 && md.size() == 2 && md[0] == c.ny && md[1] == c.nx) ||
                    (dims.size() == 2 && md.size() == 1 && md[0] == c.nx);
    if (!ok)
      throw InputError(path, 0, name,
                       "shape differs from the scan shape (" + std::to_string(c.ny) + ", " + std::to_string(c.nx) + ")");
    const std::vector<double> m = h.read(name);
    for (size_t i = 0; i < npix; ++i) {
      if (!std::isfinite(m[i])) throw InputError(path, 0, name, "entry " + std::to_string(i) + " is not finite");
      if ((m[i] != 0) != keep_nonzero) c.used[i] = 0;
    }
  };
  apply_map(sel.mask, true, "the mask of scan positions: non-zero = use");
  apply_map(sel.exclude, false, "the scan positions to leave out: non-zero = excluded");
  for (size_t i = 0; i < npix; ++i)
    if (c.used[i]) c.pixel.push_back(i);
  if (c.pixel.size() < 2)
    throw InputError(path, 0, !sel.mask.empty() ? sel.mask : (!sel.exclude.empty() ? sel.exclude : sel.dataset),
                     std::to_string(c.pixel.size()) + " scan position(s) to decompose; at least 2 are needed");

  std::vector<size_t> off(dims.size(), 0), cnt(dims);
  off.back() = i0;
  cnt.back() = n;
  const std::vector<double> v = h.read_slab(sel.dataset, off, cnt);
  c.data.resize(static_cast<Index>(c.pixel.size()), static_cast<Index>(n));
  for (size_t r = 0; r < c.pixel.size(); ++r)
    for (size_t j = 0; j < n; ++j) c.data(static_cast<Index>(r), static_cast<Index>(j)) = v[c.pixel[r] * n + j];
  if (!std::isfinite(c.data.sum()))
    for (Index r = 0; r < c.data.rows(); ++r)
      for (Index j = 0; j < c.data.cols(); ++j)
        if (!std::isfinite(c.data(r, j)))
          throw InputError(path, 0, sel.dataset,
                           "non-finite value " + format_number(c.data(r, j), 6) + " at " + c.describe(r, j) +
                               "; leave such positions out with `exclude` (e.g. /reduced/failed) or `mask`, or narrow the abscissa "
                               "window");
  return c;
}

Decomposition decompose(const SignalCube& cube, const DecomposeOptions& opt) {
  const bool needs_non_negative = opt.method == DecompositionMethod::Nmf || opt.pca.poisson;
  if (needs_non_negative && cube.data.size() > 0 && cube.data.minCoeff() < 0)
    for (Index r = 0; r < cube.data.rows(); ++r)
      for (Index j = 0; j < cube.data.cols(); ++j)
        if (cube.data(r, j) < 0)
          throw InputError(cube.file, 0, cube.selection.dataset,
                           std::string(opt.method == DecompositionMethod::Nmf ? "NMF" : "Poisson scaling") +
                               " needs non-negative data, but the value at " + cube.describe(r, j) + " is " +
                               format_number(cube.data(r, j), 6) + " (use I(s) for NMF; G(r) and φ(s) change sign)");
  try {
    return decompose(cube.data, opt);
  } catch (const std::invalid_argument& e) {
    throw InputError(cube.file, 0, cube.selection.dataset, e.what());
  }
}

void write_decomposition(const std::string& path, const SignalCube& cube, const Decomposition& d,
                         const DecomposeOptions& opt,
                         const std::vector<std::pair<std::string, std::string>>& extra_attributes) {
  const Index k = d.components.rows(), n = d.components.cols();
  const size_t npix = cube.ny * cube.nx;
  const PcaResult& P = d.pca;
  write_file_atomically(path, [&](const std::string& tmp) {
    H5Writer h(tmp);
    const std::string g = "/decomposition";
    h.group(g);
    auto attr = [&](const std::string& name, const std::string& v) { h.attribute(g, name, v); };
    auto attr_num = [&](const std::string& name, double v) { h.attribute(g, name, v); };
    attr("program", "sedpdf decompose");
    attr("method", decomposition_method_name(d.method));
    attr("model", "X (scan positions × abscissa) ≈ loadings · components" +
                      std::string(P.centered ? " + mean" : "") +
                      (P.poisson ? "; PCA on X / (row_scale · col_scaleᵀ) (Keenan & Kotula 2004)" : ""));
    attr("convention",
         "sign: loadings mostly positive (|Σ L| >= 0.1 Σ|L|) → Σ L > 0, else the largest |component value| "
         "positive; ICA/NMF: max |loading| = 1, components in data units; order: decreasing ||L_i||²·||C_i||²");
    for (const auto& [key, value] : extra_attributes) attr(key, value);
    // input
    attr("input_file", cube.file);
    attr("input_dataset", cube.selection.dataset);
    attr("input_abscissa", cube.selection.abscissa);
    attr_num("abscissa_min", cube.selection.abscissa_min);
    attr_num("abscissa_max", cube.selection.abscissa_max);
    attr_num("abscissa_offset", static_cast<double>(cube.abscissa_offset));
    attr("input_mask", cube.selection.mask.empty() ? "none" : cube.selection.mask);
    attr("input_exclude", cube.selection.exclude.empty() ? "none" : cube.selection.exclude);
    attr_num("n_positions_used", static_cast<double>(cube.pixel.size()));
    // parameters
    attr_num("n_components", static_cast<double>(k));
    attr("n_components_requested", opt.n_components == 0 ? "auto" : std::to_string(opt.n_components));
    attr("seed", std::to_string(opt.seed));
    attr_num("threads", opt.threads);
    attr("pca_center", opt.pca.center ? "true" : "false");
    attr("pca_poisson", opt.pca.poisson ? "true" : "false");
    attr("pca_solver_requested", svd_solver_name(opt.pca.solver));
    attr("pca_solver", P.solver);
    attr_num("pca_oversampling", opt.pca.oversampling);
    attr_num("pca_power_iterations", opt.pca.power_iterations);
    attr_num("pca_max_components", opt.pca.max_components);
    attr("count_criterion_requested", count_criterion_name(opt.pca.criterion));
    attr_num("tw_quantile", opt.pca.tw_quantile);
    attr_num("pa_trials", opt.pca.pa_trials);
    attr_num("pa_quantile", opt.pca.pa_quantile);
    if (d.method == DecompositionMethod::Ica) {
      attr("ica_nonlinearity", ica_nonlinearity_name(opt.fastica.nonlinearity));
      attr_num("ica_alpha", opt.fastica.alpha);
      attr("ica_algorithm", ica_algorithm_name(opt.fastica.algorithm));
      attr_num("ica_max_iter", opt.fastica.max_iter);
      attr_num("ica_tol", opt.fastica.tol);
      attr("ica_domain", ica_domain_name(opt.ica_domain));
    }
    if (d.method == DecompositionMethod::Vca) attr_num("vca_extreme_fraction", opt.vca_extreme_fraction);
    if (d.method == DecompositionMethod::Nmf) {
      attr("nmf_solver", nmf_solver_name(opt.nmf_solver));
      attr("nmf_init", nmf_init_name(opt.nmf_init));
      attr_num("nmf_max_iter", opt.nmf_max_iter);
      attr_num("nmf_tol", opt.nmf_tol);
    }
    // the count and its reason
    const ComponentCount& cc = P.count;
    attr("count_criterion", cc.criterion);
    attr("count_automatic", cc.automatic ? "true" : "false");
    attr("count_reason", cc.reason);
    attr_num("mp_count", cc.mp_count);
    attr_num("noise_sigma", cc.noise_sigma);
    attr_num("mp_edge", cc.mp_edge);
    attr_num("mp_threshold", cc.mp_threshold);
    attr_num("pa_count", cc.pa_count);
    attr("criteria_agree", cc.criteria_agree ? "true" : "false");
    // convergence
    attr("converged", d.converged ? "true" : "false");
    attr_num("iterations", d.iterations);
    attr_num("final_change", d.final_change);
    attr("convergence_message", d.message.empty() ? "converged" : d.message);
    attr_num("relative_error", d.relative_error);

    const std::string ax = last_path_part(cube.selection.abscissa);
    h.dataset(g + "/abscissa", cube.abscissa, cube.abscissa_units);
    h.attribute(g + "/abscissa", "name", ax);
    std::vector<double> comp(static_cast<size_t>(k * n));
    for (Index i = 0; i < k; ++i)
      for (Index j = 0; j < n; ++j) comp[static_cast<size_t>(i * n + j)] = d.components(i, j);
    h.dataset_nd(g + "/components", comp, {static_cast<size_t>(k), static_cast<size_t>(n)}, cube.data_units);
    h.attribute(g + "/components", "dims", "(component, " + ax + ")");
    std::vector<double> maps(static_cast<size_t>(k) * npix, std::numeric_limits<double>::quiet_NaN());
    for (Index i = 0; i < k; ++i)
      for (size_t r = 0; r < cube.pixel.size(); ++r)
        maps[static_cast<size_t>(i) * npix + cube.pixel[r]] = d.loadings(static_cast<Index>(r), i);
    h.dataset_nd(g + "/loadings", maps, {static_cast<size_t>(k), cube.ny, cube.nx});
    h.attribute(g + "/loadings", "dims", "(component, y, x); NaN = position not decomposed (mask)");
    std::vector<double> used(cube.used.begin(), cube.used.end());
    h.dataset_nd(g + "/used", used, {cube.ny, cube.nx});
    h.dataset(g + "/singular_values", to_vector(P.singular_values));
    h.dataset(g + "/explained_variance", to_vector(P.explained_variance));
    h.dataset(g + "/explained_variance_ratio", to_vector(P.explained_variance_ratio));
    h.dataset(g + "/contribution_ratio", to_vector(d.contribution_ratio));
    std::vector<double> above(cc.above_mp.begin(), cc.above_mp.end());
    if (!above.empty()) h.dataset(g + "/above_mp_threshold", above);
    if (!cc.pa_thresholds.empty()) {
      h.dataset(g + "/pa_thresholds", cc.pa_thresholds);
      std::vector<double> apa(cc.above_pa.begin(), cc.above_pa.end());
      h.dataset(g + "/above_pa_threshold", apa);
    }
    if (P.centered) h.dataset(g + "/mean", to_vector(P.mean));
    if (P.poisson) {
      h.dataset(g + "/col_scale", to_vector(P.col_scale));
      std::vector<double> rs(npix, std::numeric_limits<double>::quiet_NaN());
      for (size_t r = 0; r < cube.pixel.size(); ++r) rs[cube.pixel[r]] = P.row_scale(static_cast<Index>(r));
      h.dataset_nd(g + "/row_scale", rs, {cube.ny, cube.nx});
    }
    if (!d.component_iterations.empty()) {
      h.dataset(g + "/component_iterations",
                std::vector<double>(d.component_iterations.begin(), d.component_iterations.end()));
      h.dataset(g + "/component_changes", d.component_changes);
    }
    if (d.unmixing.size() > 0) {
      std::vector<double> w(static_cast<size_t>(d.unmixing.size()));
      for (Index i = 0; i < d.unmixing.rows(); ++i)
        for (Index j = 0; j < d.unmixing.cols(); ++j) w[static_cast<size_t>(i * d.unmixing.cols() + j)] = d.unmixing(i, j);
      h.dataset_nd(g + "/unmixing", w, {static_cast<size_t>(d.unmixing.rows()), static_cast<size_t>(d.unmixing.cols())});
    }
    h.close();
  });
}

}  // namespace sedpdf
