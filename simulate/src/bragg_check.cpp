// Lattice structure factor of a periodic model and the Bragg-peak test (bragg_check.hpp).
#include "sedpdf/simulate/bragg_check.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

LatticeStructureFactor lattice_structure_factor(const Structure& st, const ScatteringFactors& sf,
                                                const LatticeSOptions& opt) {
  if (!st.cell.fully_periodic())
    throw std::invalid_argument("lattice_structure_factor: structure '" + st.title + "' is not fully periodic");
  if (st.atoms.empty()) throw std::invalid_argument("lattice_structure_factor: empty structure");
  if (!std::isfinite(opt.s_min) || !std::isfinite(opt.s_max) || !std::isfinite(opt.ds) || opt.s_min < 0 ||
      opt.s_max <= opt.s_min || opt.ds <= 0) {
    std::ostringstream m;
    m << "lattice_structure_factor: bad s range s_min = " << opt.s_min << ", s_max = " << opt.s_max
      << ", ds = " << opt.ds << " (Å⁻¹)";
    throw std::invalid_argument(m.str());
  }
  // atoms grouped by element: fractional coordinates and occupancies
  std::map<int, std::vector<size_t>> by_el;
  for (size_t i = 0; i < st.atoms.size(); ++i) by_el[st.atoms[i].element.z()].push_back(i);
  std::vector<Element> els;
  std::vector<size_t> start{0};
  std::vector<double> fx, fy, fz, occ;
  std::vector<double> count;
  double n_tot = 0;
  for (const auto& [zz, idx] : by_el) {
    const Element e = Element::from_z(zz);
    if (!sf.has(e))
      throw std::invalid_argument("lattice_structure_factor: " + sf.name() + " has no factor for " + e.symbol());
    els.push_back(e);
    double c = 0;
    for (size_t i : idx) {
      const Fractional f = st.cell.fractionalize(st.atoms[i].pos);
      fx.push_back(f.x);
      fy.push_back(f.y);
      fz.push_back(f.z);
      occ.push_back(st.atoms[i].occupancy);
      c += st.atoms[i].occupancy;
    }
    count.push_back(c);
    n_tot += c;
    start.push_back(fx.size());
  }
  const size_t ne = els.size(), na = fx.size();
  // reciprocal vectors: rows of M⁻¹ (M has a, b, c as columns), so k = (M⁻¹)ᵀ (h, k, l)
  const Mat33 inv = st.cell.matrix().inverse();
  const Vec3 as(inv(0, 0), inv(0, 1), inv(0, 2)), bs(inv(1, 0), inv(1, 1), inv(1, 2)),
      cs(inv(2, 0), inv(2, 1), inv(2, 2));
  const int hmax = static_cast<int>(std::floor(opt.s_max * st.cell.vector(0).length()));
  const int kmax = static_cast<int>(std::floor(opt.s_max * st.cell.vector(1).length()));
  const int lmax = static_cast<int>(std::floor(opt.s_max * st.cell.vector(2).length()));
  // columns (h, k) of the half space h > 0, or h = 0 and k > 0, or h = k = 0 and l > 0
  std::vector<std::pair<int, int>> cols;
  for (int h = 0; h <= hmax; ++h)
    for (int k = (h == 0 ? 0 : -kmax); k <= kmax; ++k) cols.push_back({h, k});
  std::vector<double> step_re(na), step_im(na);
  for (size_t j = 0; j < na; ++j) {
    step_re[j] = std::cos(2 * kPi * fz[j]);
    step_im[j] = std::sin(2 * kPi * fz[j]);
  }
  std::vector<std::vector<std::pair<double, double>>> results(cols.size());  // (s, S(k)) per column
  const int threads = opt.threads > 0 ? opt.threads : omp_get_max_threads();
#pragma omp parallel num_threads(threads)
  {
    std::vector<double> pr(na), pi(na), f(ne);
#pragma omp for schedule(dynamic, 4)
    for (long c = 0; c < static_cast<long>(cols.size()); ++c) {
      const int h = cols[static_cast<size_t>(c)].first, k = cols[static_cast<size_t>(c)].second;
      const Vec3 hk = as * h + bs * k;
      int l0 = lmax + 1, l1 = -lmax - 1;
      for (int l = (h == 0 && k == 0 ? 1 : -lmax); l <= lmax; ++l) {
        const double s = (hk + cs * l).length();
        if (s >= opt.s_min && s <= opt.s_max) {
          l0 = std::min(l0, l);
          l1 = std::max(l1, l);
        }
      }
      if (l0 > l1) continue;
      for (size_t j = 0; j < na; ++j) {
        const double ph = 2 * kPi * (h * fx[j] + k * fy[j] + l0 * fz[j]);
        pr[j] = occ[j] * std::cos(ph);
        pi[j] = occ[j] * std::sin(ph);
      }
      auto& out = results[static_cast<size_t>(c)];
      for (int l = l0; l <= l1; ++l) {
        if (l > l0)
          for (size_t j = 0; j < na; ++j) {
            const double r = pr[j] * step_re[j] - pi[j] * step_im[j];
            pi[j] = pr[j] * step_im[j] + pi[j] * step_re[j];
            pr[j] = r;
          }
        const double s = (hk + cs * l).length();
        if (s < opt.s_min || s > opt.s_max) continue;
        double fre = 0, fim = 0, fm = 0, f2 = 0;
        for (size_t e = 0; e < ne; ++e) {
          double are = 0, aim = 0;
          for (size_t j = start[e]; j < start[e + 1]; ++j) {
            are += pr[j];
            aim += pi[j];
          }
          const double fe = sf.f(els[e], s);
          fre += fe * are;
          fim += fe * aim;
          fm += count[e] / n_tot * fe;
          f2 += count[e] / n_tot * fe * fe;
        }
        out.push_back({s, 1.0 + ((fre * fre + fim * fim) / n_tot - f2) / (fm * fm)});
      }
    }
  }
  LatticeStructureFactor res;
  res.factors_name = sf.name();
  const size_t nb = static_cast<size_t>(std::ceil((opt.s_max - opt.s_min) / opt.ds - 1e-9));
  std::vector<double> sum(nb, 0.0), sum2(nb, 0.0);
  res.n_k.assign(nb, 0);
  for (const auto& col : results)
    for (const auto& [s, S] : col) {
      const size_t b = std::min(nb - 1, static_cast<size_t>((s - opt.s_min) / opt.ds));
      sum[b] += S;
      sum2[b] += S * S;
      ++res.n_k[b];
    }
  for (size_t b = 0; b < nb; ++b) {
    res.s.push_back(opt.s_min + (static_cast<double>(b) + 0.5) * opt.ds);
    const double n = static_cast<double>(res.n_k[b]);
    const double mean = n > 0 ? sum[b] / n : 0.0;
    res.S.push_back(mean);
    const double var = n > 1 ? std::max(0.0, (sum2[b] - n * mean * mean) / (n - 1)) : 0.0;
    res.sigma.push_back(n > 0 ? std::sqrt(var / n) : 0.0);
    double fm = 0, f2 = 0;
    for (size_t e = 0; e < ne; ++e) {
      const double fe = sf.f(els[e], res.s.back());
      fm += count[e] / n_tot * fe;
      f2 += count[e] / n_tot * fe * fe;
    }
    res.f2_over_f_sq.push_back(f2 / (fm * fm));
  }
  return res;
}

BraggCheck check_bragg_peaks(const LatticeStructureFactor& sk, const BraggCheckOptions& opt) {
  BraggCheck out;
  out.fwhm_limit = opt.fwhm_limit;
  out.narrowest_fwhm = 2 * opt.window;
  // the usable bins (at least 3 points), in order
  std::vector<size_t> v;
  for (size_t b = 0; b < sk.s.size(); ++b)
    if (sk.n_k[b] >= 3) v.push_back(b);
  const size_t n = v.size();
  auto S = [&](size_t i) { return sk.S[v[i]]; };
  auto s = [&](size_t i) { return sk.s[v[i]]; };
  for (size_t i = 1; i + 1 < n; ++i) {
    if (!(S(i) > S(i - 1) && S(i) >= S(i + 1))) continue;
    // bases: lowest point on each side before a higher one, within the window
    double lmin = S(i), rmin = S(i);
    size_t lb = i, rb = i;
    for (size_t j = i; j-- > 0;) {
      if (s(i) - s(j) > opt.window || S(j) > S(i)) break;
      if (S(j) < lmin) {
        lmin = S(j);
        lb = j;
      }
    }
    for (size_t j = i + 1; j < n; ++j) {
      if (s(j) - s(i) > opt.window || S(j) > S(i)) break;
      if (S(j) < rmin) {
        rmin = S(j);
        rb = j;
      }
    }
    const bool left_higher = lmin >= rmin;
    const double base = left_higher ? lmin : rmin;
    const size_t bb = left_higher ? lb : rb;
    const double prom = S(i) - base;
    (void)bb;
    const double err = std::max(0.0, base - 1 + sk.f2_over_f_sq[v[i]]) / std::sqrt(static_cast<double>(sk.n_k[v[i]]));
    const double z = err > 0 ? prom / err : (prom > 0 ? 1e300 : 0);
    if (!(prom > 0) || z <= opt.significance) continue;
    // half-prominence crossings
    const double half = S(i) - 0.5 * prom;
    double sl = s(i) - opt.window, sr = s(i) + opt.window;
    for (size_t j = i; j-- > 0;) {
      if (s(i) - s(j) > opt.window) break;
      if (S(j) < half) {
        sl = s(j) + (s(j + 1) - s(j)) * (half - S(j)) / (S(j + 1) - S(j));
        break;
      }
    }
    for (size_t j = i + 1; j < n; ++j) {
      if (s(j) - s(i) > opt.window) break;
      if (S(j) < half) {
        sr = s(j - 1) + (s(j) - s(j - 1)) * (S(j - 1) - half) / (S(j - 1) - S(j));
        break;
      }
    }
    SFeature f;
    f.s = s(i);
    f.height = S(i);
    f.prominence = prom;
    f.fwhm = sr - sl;
    f.z = z;
    out.features.push_back(f);
    out.narrowest_fwhm = std::min(out.narrowest_fwhm, f.fwhm);
    if (f.fwhm < opt.fwhm_limit) ++out.n_narrow;
  }
  out.bragg_free = out.n_narrow == 0;
  return out;
}

}  // namespace sedpdf
