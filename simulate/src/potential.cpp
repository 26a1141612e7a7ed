// Band-limited projected potentials (reciprocal-space superposition of Lobato f_e), transmission
// functions and frozen-phonon displacements (see potential.hpp).
#include "sedpdf/simulate/potential.hpp"

#include <boost/math/special_functions/bessel.hpp>
#include <cmath>
#include <stdexcept>
#include <string>

#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

namespace {
constexpr double kTauPixels = 1.5;   // Gaussian spreading width (pixels)
constexpr int kSpreadRadius = 9;     // truncation (pixels) = 6τ

uint64_t splitmix(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}
double unit_open(uint64_t h) {  // (0, 1)
  return (static_cast<double>(h >> 11) + 0.5) * (1.0 / 9007199254740992.0);
}
}  // namespace

double potential_constant_VA2() {
  const double hc = constants::kHc_eVAngstrom, mc2 = constants::kElectronRestEnergy_eV;
  return hc * hc / (2.0 * kPi * mc2);
}

double FrozenPhonons::u_of(const Atom& a) const {
  if (use_atom_u_iso && a.u_iso > 0) return a.u_iso;
  auto it = u_A2_by_z.find(a.element.z());
  return it != u_A2_by_z.end() ? it->second : default_u_A2;
}

void FrozenPhonons::check() const {
  auto bad = [](double u) { return !(u >= 0) || !std::isfinite(u); };
  if (bad(default_u_A2))
    throw std::invalid_argument("frozen phonons: default_u_A2 = " + std::to_string(default_u_A2) + " must be >= 0");
  for (const auto& [z, u] : u_A2_by_z)
    if (bad(u))
      throw std::invalid_argument("frozen phonons: U = " + std::to_string(u) + " Å² for Z = " + std::to_string(z) +
                                  " must be >= 0");
}

Position displaced_position(const FrozenPhonons& fp, const Atom& a, size_t config) {
  if (fp.configurations == 0) return a.pos;
  const double u = fp.u_of(a);
  if (u <= 0) return a.pos;
  const double s = std::sqrt(u);
  uint64_t h = splitmix(fp.seed ^ 0x5EDF0F0ULL);
  h = splitmix(h ^ static_cast<uint64_t>(config));
  for (int k = 0; k < 3; ++k) h = splitmix(h ^ static_cast<uint64_t>(std::llround(a.pos[k] * 1e4)));
  double g[4];
  for (int k = 0; k < 2; ++k) {  // Box–Muller
    const double u1 = unit_open(h = splitmix(h)), u2 = unit_open(h = splitmix(h));
    const double r = std::sqrt(-2.0 * std::log(u1));
    g[2 * k] = r * std::cos(2.0 * kPi * u2);
    g[2 * k + 1] = r * std::sin(2.0 * kPi * u2);
  }
  return Position(a.pos.x + s * g[0], a.pos.y + s * g[1], a.pos.z + s * g[2]);
}

SlicePotentialBuilder::SlicePotentialBuilder(const WaveGrid& grid, double energy_eV, const ScatteringFactors& sf,
                                             const std::vector<Element>& elements)
    : grid_(grid) {
  grid_.check("SlicePotentialBuilder");
  sigma_ = interaction_constant(energy_eV);
  if (sf.radiation() != Radiation::Electron)
    throw std::invalid_argument("SlicePotentialBuilder: scattering factors '" + sf.name() + "' are not electron factors");
  const size_t n = grid_.n, nh = n / 2 + 1;
  const double tau = kTauPixels * grid_.pixel_A;
  const double C = potential_constant_VA2();
  const double kb = grid_.band_limit();
  const double pre = C / (2.0 * kPi * tau * tau * static_cast<double>(n) * static_cast<double>(n));
  elem_index_.assign(130, -1);
  for (const Element& e : elements) {
    const int z = e.z();
    if (z < 0 || z >= 130) throw std::invalid_argument("SlicePotentialBuilder: bad element Z = " + std::to_string(z));
    if (elem_index_[z] >= 0) continue;
    if (!sf.has(e))
      throw std::invalid_argument("SlicePotentialBuilder: no scattering factor for element " + e.symbol() + " in " + sf.name());
    elem_index_[z] = static_cast<int>(tables_.size());
    RealField tab(n * nh, 0.0);
    for (size_t iy = 0; iy < n; ++iy) {
      const double ky = grid_.freq(iy);
      for (size_t ix = 0; ix < nh; ++ix) {
        const double kx = static_cast<double>(ix) * grid_.dk();
        const double k2 = kx * kx + ky * ky;
        if (k2 > kb * kb) continue;
        tab[iy * nh + ix] = pre * sf.f(e, std::sqrt(k2)) * std::exp(2.0 * kPi * kPi * tau * tau * k2);
      }
    }
    tables_.push_back(std::move(tab));
  }
  band_.assign(n * n, 0);
  for (size_t iy = 0; iy < n; ++iy)
    for (size_t ix = 0; ix < n; ++ix) {
      const double kx = grid_.freq(ix), ky = grid_.freq(iy);
      band_[iy * n + ix] = kx * kx + ky * ky <= kb * kb ? 1 : 0;
    }
  spread_.assign(n * n, 0.0);
  half_.assign(n * nh, Complex(0, 0));
  acc_.assign(n * nh, Complex(0, 0));
  full_.assign(n * n, Complex(0, 0));
  fft_ = make_fftw_kernel(n);
}

void SlicePotentialBuilder::spread_one(double x, double y, double w) {
  const size_t n = grid_.n;
  const long long nn = static_cast<long long>(n);
  const double u = x / grid_.pixel_A, v = y / grid_.pixel_A;
  const long long ix0 = static_cast<long long>(std::floor(u)) - kSpreadRadius;
  const long long iy0 = static_cast<long long>(std::floor(v)) - kSpreadRadius;
  constexpr int m = 2 * kSpreadRadius + 2;
  double gx[m], gy[m];
  size_t cx[m];
  const double inv = 1.0 / (2.0 * kTauPixels * kTauPixels);
  for (int i = 0; i < m; ++i) {
    const double dxp = static_cast<double>(ix0 + i) - u, dyp = static_cast<double>(iy0 + i) - v;
    gx[i] = std::abs(dxp) <= kSpreadRadius ? std::exp(-dxp * dxp * inv) : 0.0;
    gy[i] = std::abs(dyp) <= kSpreadRadius ? w * std::exp(-dyp * dyp * inv) : 0.0;
    cx[i] = static_cast<size_t>(((ix0 + i) % nn + nn) % nn);
  }
  for (int j = 0; j < m; ++j) {
    if (gy[j] == 0) continue;
    double* row = spread_.data() + static_cast<size_t>(((iy0 + j) % nn + nn) % nn) * n;
    for (int i = 0; i < m; ++i) row[cx[i]] += gy[j] * gx[i];
  }
}

void SlicePotentialBuilder::projected_potential_xy(const std::vector<Element>& elem, const std::vector<double>& x,
                                                   const std::vector<double>& y, const std::vector<double>& occ,
                                                   RealField& v) {
  const size_t n = grid_.n, nh = n / 2 + 1;
  if (x.size() != elem.size() || y.size() != elem.size() || occ.size() != elem.size())
    throw std::invalid_argument("projected_potential_xy: sizes of elements, x, y, occupancy differ");
  std::vector<int> idx(elem.size());
  std::vector<char> used(tables_.size(), 0);
  for (size_t j = 0; j < elem.size(); ++j) {
    const int z = elem[j].z();
    idx[j] = (z >= 0 && z < 130) ? elem_index_[z] : -1;
    if (idx[j] < 0)
      throw std::invalid_argument("projected_potential: element " + elem[j].symbol() +
                                  " was not given to the SlicePotentialBuilder");
    used[idx[j]] = 1;
  }
  std::fill(acc_.begin(), acc_.end(), Complex(0, 0));
  for (size_t e = 0; e < tables_.size(); ++e) {
    if (!used[e]) continue;
    std::fill(spread_.begin(), spread_.end(), 0.0);
    for (size_t j = 0; j < elem.size(); ++j)
      if (idx[j] == static_cast<int>(e)) spread_one(x[j], y[j], occ[j]);
    fftw_r2c(n, spread_.data(), half_.data());
    const RealField& tab = tables_[e];
    for (size_t i = 0; i < n * nh; ++i) acc_[i] += tab[i] * half_[i];
  }
  v.resize(n * n);
  fftw_c2r(n, acc_.data(), v.data());
}

void SlicePotentialBuilder::projected_potential(const std::vector<Atom>& atoms, const std::vector<size_t>& which,
                                                RealField& v) {
  std::vector<Element> el;
  std::vector<double> x, y, o;
  const size_t m = which.empty() ? atoms.size() : which.size();
  el.reserve(m);
  x.reserve(m);
  y.reserve(m);
  o.reserve(m);
  for (size_t i = 0; i < m; ++i) {
    const Atom& a = atoms[which.empty() ? i : which[i]];
    el.push_back(a.element);
    x.push_back(a.pos.x);
    y.push_back(a.pos.y);
    o.push_back(a.occupancy);
  }
  projected_potential_xy(el, x, y, o, v);
}

void SlicePotentialBuilder::transmission(const RealField& v, ComplexField& t) {
  const size_t n = grid_.n, nn = n * n;
  if (v.size() != nn) throw std::invalid_argument("transmission: potential of wrong size " + std::to_string(v.size()));
  t.resize(nn);
  for (size_t i = 0; i < nn; ++i) t[i] = std::polar(1.0, sigma_ * v[i]);
  fft_->forward(t.data());
  const double inv = 1.0 / static_cast<double>(nn);
  for (size_t i = 0; i < nn; ++i) t[i] = band_[i] ? t[i] * inv : Complex(0, 0);
  fft_->inverse(t.data());
}

double lobato_projected_potential(const LobatoFactors& lf, Element e, double r) {
  if (!(r > 0)) throw std::invalid_argument("lobato_projected_potential: r = " + std::to_string(r) + " must be > 0");
  const auto& c = lf.coefficients(e);
  double sum = 0;
  for (int i = 0; i < 5; ++i) {
    const double a = c[i], b = c[5 + i];
    if (a == 0 || b <= 0) continue;
    const double sb = std::sqrt(b), x = 2.0 * kPi * r / sb;
    sum += a * (2.0 * kPi / b * boost::math::cyl_bessel_k(0, x) +
                2.0 * kPi * kPi * r / (b * sb) * boost::math::cyl_bessel_k(1, x));
  }
  return potential_constant_VA2() * sum;
}

std::vector<std::vector<size_t>> assign_slices(const std::vector<Atom>& atoms, double z0, double dz, size_t count) {
  if (!(dz > 0) || count == 0)
    throw std::invalid_argument("assign_slices: slice thickness " + std::to_string(dz) + " Å and count " +
                                std::to_string(count) + " must be positive");
  std::vector<std::vector<size_t>> out(count);
  for (size_t j = 0; j < atoms.size(); ++j) {
    const double f = std::floor((atoms[j].pos.z - z0) / dz);
    long long k = std::isfinite(f) ? static_cast<long long>(f) : 0;
    if (k < 0) k = 0;
    if (k >= static_cast<long long>(count)) k = static_cast<long long>(count) - 1;
    out[static_cast<size_t>(k)].push_back(j);
  }
  return out;
}

}  // namespace sedpdf
