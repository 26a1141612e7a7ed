// Multislice core, periodic-supercell and windowed engines (see multislice.hpp).
#include "sedpdf/simulate/multislice.hpp"

#include <algorithm>
#include <cmath>
#include <functional>
#include <iomanip>
#include <sstream>
#include <stdexcept>
#include <string>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

// ---------------------------------------------------------------------------------------------------
// Core
// ---------------------------------------------------------------------------------------------------

ComplexField fresnel_propagator(const WaveGrid& grid, double wavelength_A, double dz_A, double scale) {
  grid.check("fresnel_propagator");
  const size_t n = grid.n;
  const double kb2 = grid.band_limit() * grid.band_limit();
  ComplexField p(n * n);
  for (size_t iy = 0; iy < n; ++iy) {
    const double ky = grid.freq(iy);
    for (size_t ix = 0; ix < n; ++ix) {
      const double kx = grid.freq(ix), k2 = kx * kx + ky * ky;
      p[iy * n + ix] = k2 <= kb2 ? std::polar(scale, -kPi * wavelength_A * dz_A * k2) : Complex(0, 0);
    }
  }
  return p;
}

FresnelPropagator::FresnelPropagator(const WaveGrid& grid, double wavelength_A, double dz_A, double scale) {
  grid.check("FresnelPropagator");
  n_ = grid.n;
  px_.resize(n_);
  py_.resize(n_);
  segments_.resize(n_);
  const double kb2 = grid.band_limit() * grid.band_limit();
  for (size_t i = 0; i < n_; ++i) {
    const double k = grid.freq(i);
    px_[i] = std::polar(1.0, -kPi * wavelength_A * dz_A * k * k);
    py_[i] = std::polar(scale, -kPi * wavelength_A * dz_A * k * k);
  }
  for (size_t iy = 0; iy < n_; ++iy) {
    const double ky = grid.freq(iy);
    // Columns inside the disc: FFT order holds non-negative frequencies first, so the inside set is a
    // prefix [0, a) and a suffix [b, n).
    size_t a = 0;
    while (a < n_ && grid.freq(a) >= 0 && grid.freq(a) * grid.freq(a) + ky * ky <= kb2) ++a;
    size_t b = n_;
    while (b > a && grid.freq(b - 1) < 0 && grid.freq(b - 1) * grid.freq(b - 1) + ky * ky <= kb2) --b;
    if (a > 0) segments_[iy].push_back({0, a});
    if (b < n_) segments_[iy].push_back({b, n_});
  }
}

void FresnelPropagator::apply(Complex* psi) const {
  for (size_t iy = 0; iy < n_; ++iy) {
    Complex* row = psi + iy * n_;
    size_t done = 0;
    const double yr = py_[iy].real(), yi = py_[iy].imag();
    for (const auto& [b, e] : segments_[iy]) {
      for (size_t j = done; j < b; ++j) row[j] = Complex(0, 0);
      double* x = reinterpret_cast<double*>(row);
      const double* p = reinterpret_cast<const double*>(px_.data());
      for (size_t j = b; j < e; ++j) {
        const double pr = p[2 * j] * yr - p[2 * j + 1] * yi, pi = p[2 * j] * yi + p[2 * j + 1] * yr;
        const double ar = x[2 * j], ai = x[2 * j + 1];
        x[2 * j] = ar * pr - ai * pi;
        x[2 * j + 1] = ar * pi + ai * pr;
      }
      done = e;
    }
    for (size_t j = done; j < n_; ++j) row[j] = Complex(0, 0);
  }
}

ComplexField FresnelPropagator::table() const {
  ComplexField t(n_ * n_, Complex(1, 0));
  apply(t.data());
  return t;
}

namespace {

/// a[i] ← a[i]·b[i] written out on the interleaved doubles (std::complex operator* keeps the C99 Annex G
/// NaN/∞ recovery, which costs a branch per element and blocks vectorisation).
inline void multiply_in_place(Complex* a, const Complex* b, size_t nn) {
  double* x = reinterpret_cast<double*>(a);
  const double* y = reinterpret_cast<const double*>(b);
  for (size_t i = 0; i < nn; ++i) {
    const double ar = x[2 * i], ai = x[2 * i + 1], br = y[2 * i], bi = y[2 * i + 1];
    x[2 * i] = ar * br - ai * bi;
    x[2 * i + 1] = ar * bi + ai * br;
  }
}

/// ψ ← P·F[t·ψ] (reciprocal space on return).
inline void transmit_forward(Complex* psi, const Complex* t, const FresnelPropagator& prop, size_t nn, Fft2Kernel& fft) {
  multiply_in_place(psi, t, nn);
  fft.forward(psi);
  prop.apply(psi);
}

inline void add_intensity(const Complex* psi_k, size_t nn, double w, std::vector<double>& acc) {
  const double* x = reinterpret_cast<const double*>(psi_k);
  for (size_t i = 0; i < nn; ++i) acc[i] += w * (x[2 * i] * x[2 * i] + x[2 * i + 1] * x[2 * i + 1]);
}

}  // namespace

void multislice_propagate(ComplexField& psi, const std::vector<const ComplexField*>& slices,
                          const FresnelPropagator& propagator, Fft2Kernel& fft, const std::vector<size_t>& record_after,
                          double weight, std::vector<std::vector<double>>& accum) {
  const size_t n = fft.n(), nn = n * n;
  if (psi.size() != nn || propagator.n() != n)
    throw std::invalid_argument("multislice_propagate: wave (" + std::to_string(psi.size()) + " values) or propagator (" +
                                std::to_string(propagator.n()) + "²) does not match the " + std::to_string(n) + "² FFT");
  if (accum.size() != record_after.size())
    throw std::invalid_argument("multislice_propagate: " + std::to_string(accum.size()) + " accumulators for " +
                                std::to_string(record_after.size()) + " outputs");
  for (size_t j = 0; j < record_after.size(); ++j) {
    if (record_after[j] >= slices.size() || (j > 0 && record_after[j] < record_after[j - 1]))
      throw std::invalid_argument("multislice_propagate: output after slice " + std::to_string(record_after[j]) +
                                  " out of order or beyond the " + std::to_string(slices.size()) + " slices");
    if (accum[j].size() != nn) accum[j].assign(nn, 0.0);
  }
  for (const ComplexField* t : slices)
    if (!t || t->size() != nn) throw std::invalid_argument("multislice_propagate: a transmission function has the wrong size");
  // The propagator carries 1/n²: |ψP|² = |Ψ|²/n⁴, and the fraction per pixel is |Ψ|²/n² = n²|ψP|².
  const double w = weight * static_cast<double>(nn);
  size_t next = 0;
  for (size_t i = 0; i < slices.size(); ++i) {
    transmit_forward(psi.data(), slices[i]->data(), propagator, nn, fft);
    while (next < record_after.size() && record_after[next] == i) add_intensity(psi.data(), nn, w, accum[next++]);
    fft.inverse(psi.data());
  }
}

SimPattern to_sim_pattern(const WaveGrid& grid, const std::vector<double>& v) {
  const size_t n = grid.n;
  if (v.size() != n * n) throw std::invalid_argument("to_sim_pattern: " + std::to_string(v.size()) + " values for a " +
                                                     std::to_string(n) + "² grid");
  SimPattern p;
  p.n = n;
  p.dk = grid.dk();
  p.intensity.assign(n * n, 0.0);
  const size_t h = n / 2;
  for (size_t iy = 0; iy < n; ++iy)
    for (size_t ix = 0; ix < n; ++ix) p.intensity[((iy + h) % n) * n + (ix + h) % n] = v[iy * n + ix];
  return p;
}

RadialProfile radial_average(const SimPattern& p, double ds, double s_max) {
  if (!(ds > 0) || !(s_max > 0)) throw std::invalid_argument("radial_average: ds and s_max must be > 0");
  const size_t m = static_cast<size_t>(std::ceil(s_max / ds));
  RadialProfile r;
  r.s.assign(m, 0.0);
  r.mean.assign(m, 0.0);
  r.count.assign(m, 0.0);
  const double c = static_cast<double>(p.n / 2);
  for (size_t iy = 0; iy < p.n; ++iy)
    for (size_t ix = 0; ix < p.n; ++ix) {
      const double k = std::hypot((static_cast<double>(ix) - c) * p.dk, (static_cast<double>(iy) - c) * p.dk);
      const size_t b = static_cast<size_t>(k / ds);
      if (b >= m || k >= s_max) continue;
      r.s[b] += k;
      r.mean[b] += p.intensity[iy * p.n + ix];
      r.count[b] += 1;
    }
  for (size_t b = 0; b < m; ++b)
    if (r.count[b] > 0) {
      r.s[b] /= r.count[b];
      r.mean[b] /= r.count[b];
    } else {
      r.s[b] = (static_cast<double>(b) + 0.5) * ds;
    }
  return r;
}

// ---------------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------------

namespace {
std::string fmt(double v) {
  std::ostringstream o;
  o << std::setprecision(6) << v;
  return o.str();
}
}  // namespace

void MultisliceParams::check() const {
  auto num = [](double v) { return fmt(v); };
  if (!(slice_thickness_A > 0) || !std::isfinite(slice_thickness_A))
    throw std::invalid_argument("multislice slice_thickness_A = " + num(slice_thickness_A) + " must be > 0");
  if (!(pixel_A > 0) || !std::isfinite(pixel_A))
    throw std::invalid_argument("multislice pixel_A = " + num(pixel_A) + " must be > 0");
  if (!(s_max > 0) || !std::isfinite(s_max))
    throw std::invalid_argument("multislice s_max = " + num(s_max) + " Å⁻¹ must be > 0");
  const double kb = 1.0 / (3.0 * pixel_A);
  if (s_max > kb * (1 + 1e-12))
    throw std::invalid_argument("multislice s_max = " + num(s_max) + " Å⁻¹ lies beyond the band limit 1/(3·pixel_A) = " +
                                num(kb) + " Å⁻¹ of pixel_A = " + num(pixel_A) + " Å; use pixel_A <= " +
                                num(1.0 / (3.0 * s_max)) + " Å");
  if (!(window_A >= 0) || !std::isfinite(window_A))
    throw std::invalid_argument("multislice window_A = " + num(window_A) + " must be >= 0 (0 = automatic)");
  for (double t : thicknesses_A)
    if (!(t > 0) || !std::isfinite(t))
      throw std::invalid_argument("multislice thickness " + num(t) + " Å in the thickness series must be > 0");
  if (focal_samples < 1 || focal_samples > 64 || source_samples < 1 || source_samples > 64)
    throw std::invalid_argument("multislice focal_samples = " + std::to_string(focal_samples) + ", source_samples = " +
                                std::to_string(source_samples) + " must lie in 1..64");
  if (fft_threads < 1) throw std::invalid_argument("multislice fft_threads = " + std::to_string(fft_threads) + " must be >= 1");
  if (!(cache_limit_MB >= 0)) throw std::invalid_argument("multislice cache_limit_MB = " + num(cache_limit_MB) + " must be >= 0");
  phonons.check();
}

MultisliceEngine::~MultisliceEngine() = default;

// ---------------------------------------------------------------------------------------------------
// Shared engine machinery
// ---------------------------------------------------------------------------------------------------

namespace {

struct Workspace {
  std::unique_ptr<Fft2Kernel> fft;
  std::unique_ptr<SlicePotentialBuilder> builder;
  std::vector<ComplexField> waves;
  RealField v;
  ComplexField t;
};

class WorkspacePool {
 public:
  using Factory = std::function<std::unique_ptr<Workspace>()>;
  explicit WorkspacePool(Factory f) : factory_(std::move(f)) {}
  std::unique_ptr<Workspace> acquire() {
    {
      std::lock_guard<std::mutex> lock(m_);
      if (!free_.empty()) {
        auto w = std::move(free_.back());
        free_.pop_back();
        return w;
      }
    }
    return factory_();
  }
  void release(std::unique_ptr<Workspace> w) {
    std::lock_guard<std::mutex> lock(m_);
    free_.push_back(std::move(w));
  }

 private:
  Factory factory_;
  std::mutex m_;
  std::vector<std::unique_ptr<Workspace>> free_;
};

std::vector<Element> elements_of(const std::vector<Atom>& atoms) {
  std::vector<Element> e;
  for (const Atom& a : atoms)
    if (std::find(e.begin(), e.end(), a.element) == e.end()) e.push_back(a.element);
  std::sort(e.begin(), e.end());
  return e;
}

/// The loop shared by the engines: for each configuration, the waves of all partial-coherence samples go
/// through slice after slice together, so each transmission function is built (or fetched) once.
using GetTransmission = std::function<const ComplexField&(size_t config, size_t slice, Workspace& ws)>;

std::vector<std::vector<double>> run_loop(const WaveGrid& g, const ProbeSpec& probe, bool plane_wave,
                                          const std::vector<ProbeSample>& samples, size_t n_configs,
                                          size_t n_slices, const std::vector<size_t>& record_after,
                                          const FresnelPropagator& prop, double x0, double y0, Workspace& ws,
                                          const GetTransmission& get_t) {
  const size_t n = g.n, nn = n * n;
  std::vector<std::vector<double>> acc(record_after.size(), std::vector<double>(nn, 0.0));
  // Initial waves (the same for every configuration).
  std::vector<ComplexField> init(samples.size());
  for (size_t s = 0; s < samples.size(); ++s) {
    init[s].resize(nn);
    if (plane_wave) {
      std::fill(init[s].begin(), init[s].end(), Complex(1.0 / static_cast<double>(n), 0));
    } else {
      const auto w = make_probe(probe, g, x0 + samples[s].dx_A, y0 + samples[s].dy_A, samples[s].dc10_A);
      std::copy(w.begin(), w.end(), init[s].begin());
    }
  }
  ws.waves.resize(samples.size());
  const double wscale = static_cast<double>(nn) / static_cast<double>(n_configs);
  for (size_t c = 0; c < n_configs; ++c) {
    for (size_t s = 0; s < samples.size(); ++s) ws.waves[s] = init[s];
    size_t next = 0;
    for (size_t i = 0; i < n_slices; ++i) {
      const ComplexField& t = get_t(c, i, ws);
      const size_t first = next;
      while (next < record_after.size() && record_after[next] == i) ++next;
      const bool last = i + 1 == n_slices || next == record_after.size();
      for (size_t s = 0; s < samples.size(); ++s) {
        Complex* psi = ws.waves[s].data();
        transmit_forward(psi, t.data(), prop, nn, *ws.fft);
        for (size_t j = first; j < next; ++j) add_intensity(psi, nn, wscale * samples[s].weight, acc[j]);
        if (!last) ws.fft->inverse(psi);
      }
      if (next == record_after.size()) break;  // nothing more to record
    }
  }
  return acc;
}

/// Pool of per-thread workspaces (FFT plans, slice builder) of both engines; `sf` must outlive the pool.
std::unique_ptr<WorkspacePool> make_workspace_pool(const WaveGrid& g, const MultisliceParams& params, double energy,
                                                   const LobatoFactors& sf, const std::vector<Element>& elements) {
  const int threads = params.fft_threads;
  const bool measure = params.fft_measure;
  const LobatoFactors* sfp = &sf;
  return std::make_unique<WorkspacePool>([g, threads, measure, energy, elements, sfp]() {
    auto w = std::make_unique<Workspace>();
    w->fft = make_fftw_kernel(g.n, threads, measure);
    w->builder = std::make_unique<SlicePotentialBuilder>(g, energy, *sfp, elements);
    return w;
  });
}

std::vector<SimPattern> to_patterns(const WaveGrid& g, const std::vector<std::vector<double>>& acc) {
  std::vector<SimPattern> out;
  out.reserve(acc.size());
  for (const auto& a : acc) out.push_back(to_sim_pattern(g, a));
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------------
// Periodic supercell
// ---------------------------------------------------------------------------------------------------

struct PeriodicMultislice::Impl {
  ProbeSpec probe;
  MultisliceParams params;
  LobatoFactors sf;
  std::vector<Atom> atoms;  // wrapped into the cell
  std::vector<Element> elements;
  double L = 0, c = 0;
  size_t m = 1, n_total = 1, n_configs = 1;
  std::vector<ProbeSample> samples;
  std::unique_ptr<FresnelPropagator> prop;
  std::vector<ComplexField> cache;  // n_configs × m, empty when not cached
  std::unique_ptr<WorkspacePool> pool;

  void build(size_t config, size_t slice, SlicePotentialBuilder& b, RealField& v, ComplexField& t) const {
    std::vector<Atom> disp;
    disp.reserve(atoms.size() / m + 16);
    const double dz = c / static_cast<double>(m);
    for (const Atom& a : atoms) {
      Atom d = a;
      d.pos = displaced_position(params.phonons, a, config);
      double z = std::fmod(d.pos.z, c);
      if (z < 0) z += c;
      size_t k = static_cast<size_t>(z / dz);
      if (k >= m) k = m - 1;
      if (k != slice) continue;
      disp.push_back(d);
    }
    b.projected_potential(disp, {}, v);
    if (disp.empty()) std::fill(v.begin(), v.end(), 0.0);
    b.transmission(v, t);
  }
};

PeriodicMultislice::PeriodicMultislice(const Structure& cell, const ProbeSpec& probe, const MultisliceParams& params)
    : impl_(std::make_unique<Impl>()) {
  params.check();
  Impl& I = *impl_;
  I.probe = probe;
  I.params = params;
  if (cell.atoms.empty()) throw std::invalid_argument("PeriodicMultislice: no atoms in the specimen '" + cell.title + "'");
  const Vec3 a = cell.cell.vector(0), b = cell.cell.vector(1), cv = cell.cell.vector(2);
  if (!cell.cell.has_vectors() || !cell.cell.periodic(0) || !cell.cell.periodic(1))
    throw std::invalid_argument("PeriodicMultislice: the specimen '" + cell.title +
                                "' needs a cell periodic along x and y (c along z sets the repeat)");
  const double la = a.length(), lb = b.length(), lc = cv.length();
  const double tol = 1e-6 * std::max(la, lb);
  if (std::abs(a.y) > tol || std::abs(a.z) > tol || std::abs(b.x) > tol || std::abs(b.z) > tol || std::abs(cv.x) > tol ||
      std::abs(cv.y) > tol || std::abs(la - lb) > tol)
    throw std::invalid_argument("PeriodicMultislice: the cell must be orthogonal with a ∥ x, b ∥ y, |a| = |b| (got |a| = " +
                                std::to_string(la) + " Å, |b| = " + std::to_string(lb) + " Å)");
  I.L = la;
  I.c = lc;
  for (const Atom& at : cell.atoms) {
    Atom w = at;
    for (int k = 0; k < 2; ++k) {
      double x = std::fmod(w.pos[k], I.L);
      w.pos[k] = x < 0 ? x + I.L : x;
    }
    I.atoms.push_back(w);
  }
  I.elements = elements_of(I.atoms);
  const size_t n = fft_friendly_size(static_cast<size_t>(std::ceil(I.L / params.pixel_A - 1e-9)));
  grid_ = WaveGrid{n, I.L / static_cast<double>(n)};
  const double energy = probe_energy_eV(probe);
  lambda_ = electron_wavelength(energy);
  I.m = std::max<size_t>(1, static_cast<size_t>(std::llround(I.c / params.slice_thickness_A)));
  dz_ = I.c / static_cast<double>(I.m);
  std::vector<double> want = params.thicknesses_A;
  if (want.empty()) want.push_back(I.c);
  std::sort(want.begin(), want.end());
  for (double t : want) {
    const double k = std::ceil(t / dz_ - 1e-9);
    const size_t i = static_cast<size_t>(std::max(1.0, k)) - 1;
    record_after_.push_back(i);
    depths_.push_back(static_cast<double>(i + 1) * dz_);
  }
  I.n_total = record_after_.back() + 1;
  I.n_configs = std::max<size_t>(1, params.phonons.configurations);
  I.samples = params.plane_wave ? std::vector<ProbeSample>{ProbeSample{}}
                                : partial_coherence_samples(probe, params.focal_samples, params.source_samples);
  if (!params.plane_wave) probe_diameter_A(probe);  // validates the probe
  I.prop = std::make_unique<FresnelPropagator>(grid_, lambda_, dz_, 1.0 / static_cast<double>(n * n));
  I.pool = make_workspace_pool(grid_, params, energy, I.sf, I.elements);
  const double bytes = static_cast<double>(I.n_configs * I.m) * static_cast<double>(n * n) * sizeof(Complex);
  if (bytes <= params.cache_limit_MB * 1048576.0) {
    I.cache.resize(I.n_configs * I.m);
    const long long total = static_cast<long long>(I.cache.size());
    std::string error;
#pragma omp parallel
    {
      std::unique_ptr<SlicePotentialBuilder> bld;
      RealField v;
#pragma omp for schedule(dynamic)
      for (long long q = 0; q < total; ++q) {
        try {
          if (!bld) bld = std::make_unique<SlicePotentialBuilder>(grid_, energy, I.sf, I.elements);
          const size_t qq = static_cast<size_t>(q);
          I.build(qq / I.m, qq % I.m, *bld, v, I.cache[qq]);
        } catch (const std::exception& e) {
#pragma omp critical(sedpdf_ms_error)
          error = e.what();
        }
      }
    }
    if (!error.empty()) throw std::runtime_error("PeriodicMultislice: " + error);
  }
}

PeriodicMultislice::~PeriodicMultislice() = default;

std::vector<SimPattern> PeriodicMultislice::run(double x_A, double y_A) const {
  const Impl& I = *impl_;
  auto ws = I.pool->acquire();
  const GetTransmission get = [&I](size_t config, size_t slice, Workspace& w) -> const ComplexField& {
    const size_t s = slice % I.m;
    if (!I.cache.empty()) return I.cache[config * I.m + s];
    I.build(config, s, *w.builder, w.v, w.t);
    return w.t;
  };
  auto acc = run_loop(grid_, I.probe, I.params.plane_wave, I.samples, I.n_configs, I.n_total, record_after_, *I.prop,
                      x_A, y_A, *ws, get);
  I.pool->release(std::move(ws));
  return to_patterns(grid_, acc);
}

// ---------------------------------------------------------------------------------------------------
// Windowed
// ---------------------------------------------------------------------------------------------------

struct WindowedMultislice::Impl {
  const Specimen* specimen = nullptr;
  ProbeSpec probe;
  MultisliceParams params;
  LobatoFactors sf;
  std::vector<Element> elements;
  std::vector<ProbeSample> samples;
  std::unique_ptr<FresnelPropagator> prop;
  size_t n_configs = 1;
  std::unique_ptr<WorkspacePool> pool;
};

WindowedMultislice::WindowedMultislice(const Specimen& specimen, const ProbeSpec& probe, const MultisliceParams& params)
    : impl_(std::make_unique<Impl>()) {
  params.check();
  Impl& I = *impl_;
  I.specimen = &specimen;
  I.probe = probe;
  I.params = params;
  if (params.plane_wave)
    throw std::invalid_argument("WindowedMultislice: plane_wave illumination is not available in windowed mode "
                                "(use a periodic supercell)");
  if (specimen.phase_count() == 0) throw std::invalid_argument("WindowedMultislice: the specimen has no phases");
  const double d = probe_diameter_A(probe);
  window_ = params.window_A > 0 ? params.window_A : 4.0 * d;
  if (window_ < 2.0 * d)
    throw std::invalid_argument("multislice window_A = " + fmt(window_) +
                                " Å is smaller than 2 × the probe diameter (" + fmt(d) +
                                " Å); the window must hold the probe and its tails");
  const size_t n = fft_friendly_size(static_cast<size_t>(std::ceil(window_ / params.pixel_A - 1e-9)));
  grid_ = WaveGrid{n, window_ / static_cast<double>(n)};
  const double energy = probe_energy_eV(probe);
  lambda_ = electron_wavelength(energy);
  n_out_ = std::max<size_t>(1, params.thicknesses_A.size());
  for (size_t p = 0; p < specimen.phase_count(); ++p)
    for (const Element& e : specimen.spec().phases[p].model.elements())
      if (std::find(I.elements.begin(), I.elements.end(), e) == I.elements.end()) I.elements.push_back(e);
  for (const Element& e : specimen.film_model().elements())
    if (std::find(I.elements.begin(), I.elements.end(), e) == I.elements.end()) I.elements.push_back(e);
  std::sort(I.elements.begin(), I.elements.end());
  I.samples = partial_coherence_samples(probe, params.focal_samples, params.source_samples);
  I.n_configs = std::max<size_t>(1, params.phonons.configurations);
  I.prop = std::make_unique<FresnelPropagator>(grid_, lambda_, params.slice_thickness_A, 1.0 / static_cast<double>(n * n));
  I.pool = make_workspace_pool(grid_, params, energy, I.sf, I.elements);
  make_probe(probe, grid_, window_ / 2, window_ / 2);  // validates the sampling now, not at the first position
}

WindowedMultislice::~WindowedMultislice() = default;

std::vector<SimPattern> WindowedMultislice::run(double x_A, double y_A) const {
  const Impl& I = *impl_;
  const double W = window_, x0 = x_A - W / 2, y0 = y_A - W / 2;
  std::vector<Atom> atoms = I.specimen->atoms_in_box(x0, x0 + W, y0, y0 + W, nullptr, 1);
  double ztop = 0;
  for (Atom& a : atoms) {
    a.pos.x -= x0;
    a.pos.y -= y0;
    ztop = std::max(ztop, a.pos.z);
  }
  const double dz = I.params.slice_thickness_A;
  const size_t n_slices = std::max<size_t>(1, static_cast<size_t>(std::floor(ztop / dz)) + 1);
  std::vector<size_t> rec;
  if (I.params.thicknesses_A.empty()) {
    rec.push_back(n_slices - 1);
  } else {
    std::vector<double> want = I.params.thicknesses_A;
    std::sort(want.begin(), want.end());
    for (double t : want) {
      const double k = std::max(1.0, std::ceil(t / dz - 1e-9));
      rec.push_back(std::min(static_cast<size_t>(k) - 1, n_slices - 1));
    }
  }
  auto ws = I.pool->acquire();
  std::vector<std::vector<size_t>> slices;
  std::vector<Atom> disp;
  size_t current_config = static_cast<size_t>(-1);
  const GetTransmission get = [&](size_t config, size_t slice, Workspace& w) -> const ComplexField& {
    if (config != current_config) {
      disp = atoms;
      for (size_t j = 0; j < atoms.size(); ++j) disp[j].pos = displaced_position(I.params.phonons, atoms[j], config);
      slices = assign_slices(disp, 0.0, dz, n_slices);
      current_config = config;
    }
    if (slices[slice].empty()) {
      w.t.assign(grid_.n * grid_.n, Complex(1, 0));
    } else {
      w.builder->projected_potential(disp, slices[slice], w.v);
      w.builder->transmission(w.v, w.t);
    }
    return w.t;
  };
  auto acc = run_loop(grid_, I.probe, false, I.samples, I.n_configs, n_slices, rec, *I.prop, W / 2, W / 2, *ws, get);
  I.pool->release(std::move(ws));
  return to_patterns(grid_, acc);
}

}  // namespace sedpdf
