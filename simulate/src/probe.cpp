// Probe wave, aberration phase, Gauss–Hermite rule and partial-coherence samples (see probe.hpp).
#include "sedpdf/simulate/probe.hpp"

#include <cmath>
#include <stdexcept>
#include <string>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fft2.hpp"
#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

void WaveGrid::check(const char* what) const {
  if (n < 2 || !(pixel_A > 0) || !std::isfinite(pixel_A))
    throw std::invalid_argument(std::string(what) + ": grid of " + std::to_string(n) + " pixels of " +
                                std::to_string(pixel_A) + " Å is not a valid simulation grid");
}

double probe_energy_eV(const ProbeSpec& p) {
  if (!(p.energy_keV > 0) || !std::isfinite(p.energy_keV))
    throw std::invalid_argument("probe energy_keV = " + std::to_string(p.energy_keV) + " must be > 0");
  return p.energy_keV * 1000.0;
}

double probe_diameter_A(const ProbeSpec& p) {
  const double lambda = electron_wavelength(probe_energy_eV(p));
  if (!(p.alpha_mrad > 0) || !std::isfinite(p.alpha_mrad))
    throw std::invalid_argument("probe alpha_mrad = " + std::to_string(p.alpha_mrad) + " must be > 0");
  if (!(p.source_size_A >= 0))
    throw std::invalid_argument("probe source_size_A = " + std::to_string(p.source_size_A) + " must be >= 0");
  const double d0 = 1.22 * lambda / (p.alpha_mrad * 1e-3);
  return std::sqrt(d0 * d0 + p.source_size_A * p.source_size_A);
}

double aberration_phase(const ProbeSpec& p, double k, double dc10_A) {
  const double lambda = electron_wavelength(probe_energy_eV(p));
  const double k2 = k * k;
  const double c30_A = p.c30_mm * 1e7;
  return kPi * lambda * k2 * ((p.c10_A + dc10_A) + 0.5 * c30_A * lambda * lambda * k2);
}

std::vector<std::complex<double>> make_probe(const ProbeSpec& p, const WaveGrid& grid, double x0_A,
                                             double y0_A, double dc10_A) {
  grid.check("make_probe");
  const double lambda = electron_wavelength(probe_energy_eV(p));
  if (!(p.alpha_mrad > 0))
    throw std::invalid_argument("probe alpha_mrad = " + std::to_string(p.alpha_mrad) + " must be > 0");
  const double kap = p.alpha_mrad * 1e-3 / lambda;  // aperture radius (Å⁻¹)
  if (kap > grid.band_limit())
    throw std::invalid_argument("probe aperture alpha/lambda = " + std::to_string(kap) +
                                " Å⁻¹ exceeds the band limit 1/(3·pixel) = " + std::to_string(grid.band_limit()) +
                                " Å⁻¹ (pixel_A = " + std::to_string(grid.pixel_A) + " too coarse)");
  if (kap < grid.dk())
    throw std::invalid_argument("probe aperture alpha/lambda = " + std::to_string(kap) +
                                " Å⁻¹ is smaller than the reciprocal pixel 1/L = " + std::to_string(grid.dk()) +
                                " Å⁻¹ (grid extent " + std::to_string(grid.extent_A()) + " Å too small)");
  const size_t n = grid.n;
  ComplexField w(n * n, Complex(0, 0));
  for (size_t iy = 0; iy < n; ++iy) {
    const double ky = grid.freq(iy);
    for (size_t ix = 0; ix < n; ++ix) {
      const double kx = grid.freq(ix);
      const double k = std::hypot(kx, ky);
      if (k > kap) continue;
      const double phase = -aberration_phase(p, k, dc10_A) - 2.0 * kPi * (kx * x0_A + ky * y0_A);
      w[iy * n + ix] = std::polar(1.0, phase);
    }
  }
  make_fftw_kernel(n)->inverse(w.data());
  double norm = 0;
  for (const Complex& c : w) norm += std::norm(c);
  const double f = 1.0 / std::sqrt(norm);
  std::vector<std::complex<double>> out(n * n);
  for (size_t i = 0; i < n * n; ++i) out[i] = w[i] * f;
  return out;
}

namespace {
// Orthonormal Hermite functions' polynomial part: p_n(x) with ∫ exp(−x²) p_n² dx = 1.
// p_0 = π^(−1/4), p_j = x sqrt(2/j) p_{j−1} − sqrt((j−1)/j) p_{j−2};  p_n' = sqrt(2n) p_{n−1}.
void hermite(int n, double x, double& pn, double& pn1) {
  double pm1 = 0, p = std::pow(kPi, -0.25);
  for (int j = 1; j <= n; ++j) {
    const double pj = x * std::sqrt(2.0 / j) * p - std::sqrt((j - 1.0) / j) * pm1;
    pm1 = p;
    p = pj;
  }
  pn = p;
  pn1 = pm1;
}
}  // namespace

QuadratureRule gauss_hermite(int n) {
  if (n < 1 || n > 64) throw std::invalid_argument("gauss_hermite: n = " + std::to_string(n) + " outside 1..64");
  QuadratureRule r;
  // All roots lie in (−sqrt(2n+1), sqrt(2n+1)); bracket sign changes on a fine scan, then Newton/bisection.
  const double lim = std::sqrt(2.0 * n + 1.0);
  const int scan = 4000 * n;
  double xa = -lim, pa, dummy;
  hermite(n, xa, pa, dummy);
  for (int i = 1; i <= scan; ++i) {
    const double xb = -lim + 2.0 * lim * i / scan;
    double pb;
    hermite(n, xb, pb, dummy);
    if ((pa < 0) != (pb < 0)) {
      double lo = xa, hi = xb, plo = pa;
      for (int it = 0; it < 200 && hi - lo > 1e-15 * (1 + std::abs(lo)); ++it) {
        const double mid = 0.5 * (lo + hi);
        double pm;
        hermite(n, mid, pm, dummy);
        if ((pm < 0) == (plo < 0)) {
          lo = mid;
          plo = pm;
        } else {
          hi = mid;
        }
      }
      double x = 0.5 * (lo + hi), pn, pn1;
      for (int it = 0; it < 3; ++it) {  // polish
        hermite(n, x, pn, pn1);
        const double d = std::sqrt(2.0 * n) * pn1;
        if (d != 0) x -= pn / d;
      }
      hermite(n, x, pn, pn1);
      const double d = std::sqrt(2.0 * n) * pn1;
      r.nodes.push_back(x);
      r.weights.push_back(2.0 / (d * d));
    }
    xa = xb;
    pa = pb;
  }
  if (static_cast<int>(r.nodes.size()) != n)
    throw std::logic_error("gauss_hermite: found " + std::to_string(r.nodes.size()) + " roots for n = " +
                           std::to_string(n));
  return r;
}

std::vector<ProbeSample> partial_coherence_samples(const ProbeSpec& p, int n_focal, int n_source) {
  if (n_focal < 1 || n_focal > 64 || n_source < 1 || n_source > 64)
    throw std::invalid_argument("partial_coherence_samples: n_focal = " + std::to_string(n_focal) +
                                ", n_source = " + std::to_string(n_source) + " must lie in 1..64");
  if (!(p.focal_spread_A >= 0) || !(p.source_size_A >= 0))
    throw std::invalid_argument("probe focal_spread_A = " + std::to_string(p.focal_spread_A) +
                                " and source_size_A = " + std::to_string(p.source_size_A) + " must be >= 0");
  if (p.focal_spread_A == 0) n_focal = 1;
  if (p.source_size_A == 0) n_source = 1;
  const QuadratureRule f = gauss_hermite(n_focal), s = gauss_hermite(n_source);
  const double sq = std::sqrt(kPi);
  const double sigma = p.source_size_A / (2.0 * std::sqrt(2.0 * std::log(2.0)));
  std::vector<ProbeSample> out;
  for (int a = 0; a < n_focal; ++a)
    for (int iy = 0; iy < n_source; ++iy)
      for (int ix = 0; ix < n_source; ++ix) {
        ProbeSample ps;
        ps.dc10_A = p.focal_spread_A * f.nodes[a];
        ps.dx_A = std::sqrt(2.0) * sigma * s.nodes[ix];
        ps.dy_A = std::sqrt(2.0) * sigma * s.nodes[iy];
        ps.weight = f.weights[a] / sq * s.weights[ix] / sq * s.weights[iy] / sq;
        out.push_back(ps);
      }
  return out;
}

}  // namespace sedpdf
