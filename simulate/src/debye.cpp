// The Debye scattering equation for finite clusters, exact and over a pair-distance histogram.
// Formulas, error bounds and sources are in total_scattering.hpp.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>

#include "sedpdf/structures/constants.hpp"
#include "sedpdf/simulate/total_scattering.hpp"

namespace sedpdf {

namespace {


/// What both Debye variants need: element type per atom, f per type per s, self term, pair-type table.
struct DebyeSetup {
  std::vector<int> type;                 // per atom, −1 for occupancy 0
  int ntypes = 0;
  std::vector<std::vector<double>> f;    // [type][s]
  std::vector<double> self;              // Σ_i o_i f_i²(s)
  std::vector<int> pair_type;            // [ta·ntypes + tb] -> index of (min, max)
  int npair_types = 0;
  std::vector<std::pair<int, int>> pairs;
};

DebyeSetup setup(const Structure& c, const ScatteringFactors& sf, const std::vector<double>& s, const char* who) {
  if (c.cell.any_periodic())
    throw std::invalid_argument(std::string(who) + ": '" + c.title +
                                "' has a periodic axis; the Debye equation is for finite clusters only");
  for (size_t k = 0; k < s.size(); ++k)
    if (!std::isfinite(s[k]))
      throw std::invalid_argument(std::string(who) + ": s[" + std::to_string(k) + "] is not finite");
  DebyeSetup d;
  std::vector<Element> els = c.elements();
  d.ntypes = static_cast<int>(els.size());
  for (const Element& e : els)
    if (!sf.has(e))
      throw std::invalid_argument(std::string(who) + ": " + sf.name() + " has no factor for " + e.symbol());
  d.type.assign(c.atoms.size(), -1);
  for (size_t i = 0; i < c.atoms.size(); ++i) {
    const Atom& a = c.atoms[i];
    if (!std::isfinite(a.pos.x) || !std::isfinite(a.pos.y) || !std::isfinite(a.pos.z))
      throw std::invalid_argument(std::string(who) + ": atom " + std::to_string(i) + " has a non-finite position");
    if (a.occupancy <= 0) continue;
    d.type[i] = static_cast<int>(std::lower_bound(els.begin(), els.end(), a.element) - els.begin());
  }
  d.f.assign(els.size(), std::vector<double>(s.size()));
  for (size_t t = 0; t < els.size(); ++t)
    for (size_t k = 0; k < s.size(); ++k) d.f[t][k] = sf.f(els[t], s[k]);
  d.self.assign(s.size(), 0.0);
  for (size_t i = 0; i < c.atoms.size(); ++i) {
    if (d.type[i] < 0) continue;
    const auto& ft = d.f[static_cast<size_t>(d.type[i])];
    for (size_t k = 0; k < s.size(); ++k) d.self[k] += c.atoms[i].occupancy * ft[k] * ft[k];
  }
  d.pair_type.assign(static_cast<size_t>(d.ntypes * d.ntypes), -1);
  for (int a = 0; a < d.ntypes; ++a)
    for (int b = a; b < d.ntypes; ++b) {
      d.pair_type[static_cast<size_t>(a * d.ntypes + b)] = d.pair_type[static_cast<size_t>(b * d.ntypes + a)] =
          d.npair_types++;
      d.pairs.emplace_back(a, b);
    }
  return d;
}

/// Row ranges [start_c, start_{c+1}) of the upper triangle i < j split into `chunks` parts with about
/// equal pair counts; depends only on n and chunks.
std::vector<size_t> row_chunks(size_t n, size_t chunks) {
  std::vector<size_t> start{0};
  const double total = 0.5 * static_cast<double>(n) * static_cast<double>(n > 0 ? n - 1 : 0);
  double done = 0;
  for (size_t i = 0; i < n; ++i) {
    done += static_cast<double>(n - 1 - i);
    if (start.size() < chunks && done >= total * static_cast<double>(start.size()) / static_cast<double>(chunks))
      start.push_back(i + 1);
  }
  while (start.size() <= chunks) start.push_back(n);
  start.back() = n;
  return start;
}

/// I(s) = self + 2 Σ_{pair types} f_a f_b A_ab(s) from per-type sums A (layout [pt·ns + k]).
std::vector<double> combine(const DebyeSetup& d, const std::vector<double>& acc, size_t ns) {
  std::vector<double> out = d.self;
  for (int pt = 0; pt < d.npair_types; ++pt) {
    const auto& fa = d.f[static_cast<size_t>(d.pairs[static_cast<size_t>(pt)].first)];
    const auto& fb = d.f[static_cast<size_t>(d.pairs[static_cast<size_t>(pt)].second)];
    for (size_t k = 0; k < ns; ++k) out[k] += 2.0 * fa[k] * fb[k] * acc[static_cast<size_t>(pt) * ns + k];
  }
  return out;
}

constexpr size_t kBlock = 8;      // pairs whose recurrences run together
constexpr size_t kRestart = 64;   // recurrence restarted from std::sin/std::cos every kRestart nodes

/// row[k] += Σ_m w_m sin(q_k r_m)/(q_k r_m) over the pairs (w, r); on a uniform grid (step dq in q)
/// by the angle-addition recurrence, restarted every kRestart nodes (rounding drift ~1e-14).
void add_pair_block(const std::vector<double>& w, const std::vector<double>& r, const std::vector<double>& q,
                    const std::vector<double>& inv_q, bool uniform, double dq, double* row) {
  const size_t ns = q.size();
  for (size_t b = 0; b < w.size(); b += kBlock) {
    const size_t m_end = std::min(kBlock, w.size() - b);
    double wr[kBlock], wv[kBlock], rr[kBlock], sn[kBlock], cs[kBlock], rs[kBlock], rc[kBlock];
    for (size_t m = 0; m < kBlock; ++m) {
      const bool real = m < m_end;
      wv[m] = real ? w[b + m] : 0.0;
      rr[m] = real ? r[b + m] : 1.0;
      wr[m] = wv[m] / rr[m];
      sn[m] = 0;
      cs[m] = 1;
    }
    double wsum = 0;
    for (size_t m = 0; m < kBlock; ++m) wsum += wv[m];
    if (!uniform) {
      for (size_t k = 0; k < ns; ++k) {
        if (q[k] == 0) {
          row[k] += wsum;
          continue;
        }
        double acc = 0;
        for (size_t m = 0; m < m_end; ++m) acc += wr[m] * std::sin(q[k] * rr[m]);
        row[k] += acc * inv_q[k];
      }
      continue;
    }
    for (size_t m = 0; m < kBlock; ++m) {
      rs[m] = std::sin(dq * rr[m]);
      rc[m] = std::cos(dq * rr[m]);
    }
    for (size_t k = 0; k < ns; ++k) {
      if (k % kRestart == 0) {
        for (size_t m = 0; m < m_end; ++m) {
          sn[m] = std::sin(q[k] * rr[m]);
          cs[m] = std::cos(q[k] * rr[m]);
        }
      } else {
        for (size_t m = 0; m < kBlock; ++m) {
          const double t = sn[m] * rc[m] + cs[m] * rs[m];
          cs[m] = cs[m] * rc[m] - sn[m] * rs[m];
          sn[m] = t;
        }
      }
      if (q[k] == 0) {
        row[k] += wsum;
      } else {
        double acc = 0;
        for (size_t m = 0; m < kBlock; ++m) acc += wr[m] * sn[m];
        row[k] += acc * inv_q[k];
      }
    }
  }
}

}  // namespace

std::vector<double> debye_intensity(const Structure& cluster, const ScatteringFactors& sf,
                                    const std::vector<double>& s) {
  const DebyeSetup d = setup(cluster, sf, s, "debye_intensity");
  const size_t n = cluster.atoms.size(), ns = s.size();
  const size_t per_chunk = static_cast<size_t>(d.npair_types) * ns;
  if (n < 2 || ns == 0) return d.self;
  // A fixed number of chunks (≤ 64, and ≤ 4·10⁶ accumulator doubles in all), independent of threads.
  const size_t chunks = std::max<size_t>(1, std::min<size_t>({64, n - 1, 4000000 / std::max<size_t>(1, per_chunk)}));
  const std::vector<size_t> start = row_chunks(n, chunks);
  std::vector<double> acc(chunks * per_chunk, 0.0);

  // q_k = 2πs_k; on a uniform grid sin(q_k r) follows by angle addition, restarted every 32 nodes.
  std::vector<double> q(ns), inv_q(ns);
  for (size_t k = 0; k < ns; ++k) {
    q[k] = 2 * kPi * s[k];
    inv_q[k] = q[k] != 0 ? 1.0 / q[k] : 0.0;
  }
  double h = ns > 1 ? (s.back() - s.front()) / static_cast<double>(ns - 1) : 0.0;
  bool uniform = ns > 2 && h > 0;
  for (size_t k = 0; uniform && k < ns; ++k)
    if (std::fabs(s[k] - (s.front() + static_cast<double>(k) * h)) > 1e-10 * h) uniform = false;
  const double dq = 2 * kPi * h;

  const long nchunks = static_cast<long>(chunks);
  const size_t npt = static_cast<size_t>(d.npair_types);
#pragma omp parallel
  {
    // Per row i, the pairs (i, j > i) grouped by pair type, then summed in blocks of kBlock pairs
    // whose sin/cos recurrences run side by side (independent chains, vectorisable).
    std::vector<std::vector<double>> lw(npt), lr(npt);
#pragma omp for schedule(dynamic, 1)
    for (long c = 0; c < nchunks; ++c) {
      double* a = acc.data() + static_cast<size_t>(c) * per_chunk;
      for (size_t i = start[static_cast<size_t>(c)]; i < start[static_cast<size_t>(c) + 1]; ++i) {
        if (d.type[i] < 0) continue;
        const Atom& ai = cluster.atoms[i];
        for (size_t t = 0; t < npt; ++t) {
          lw[t].clear();
          lr[t].clear();
        }
        for (size_t j = i + 1; j < n; ++j) {
          if (d.type[j] < 0) continue;
          const Atom& aj = cluster.atoms[j];
          const double w = ai.occupancy * aj.occupancy;
          const double r = (aj.pos - ai.pos).length();
          const size_t pt = static_cast<size_t>(d.pair_type[static_cast<size_t>(d.type[i] * d.ntypes + d.type[j])]);
          if (r < 1e-12) {  // coincident sites: sinc = 1
            for (size_t k = 0; k < ns; ++k) a[pt * ns + k] += w;
            continue;
          }
          lw[pt].push_back(w);
          lr[pt].push_back(r);
        }
        for (size_t pt = 0; pt < npt; ++pt) add_pair_block(lw[pt], lr[pt], q, inv_q, uniform, dq, a + pt * ns);
      }
    }
  }
  for (size_t c = 1; c < chunks; ++c)
    for (size_t m = 0; m < per_chunk; ++m) acc[m] += acc[c * per_chunk + m];
  acc.resize(per_chunk);
  return combine(d, acc, ns);
}

std::vector<double> debye_intensity_binned(const Structure& cluster, const ScatteringFactors& sf,
                                           const std::vector<double>& s, double bin_width) {
  if (!(bin_width > 0) || !std::isfinite(bin_width))
    throw std::invalid_argument("debye_intensity_binned: bin_width must be positive, got " + std::to_string(bin_width));
  const DebyeSetup d = setup(cluster, sf, s, "debye_intensity_binned");
  const size_t n = cluster.atoms.size(), ns = s.size();
  if (n < 2 || ns == 0) return d.self;
  // Largest distance <= the bounding-box diagonal.
  Vec3 lo = cluster.atoms[0].pos, hi = cluster.atoms[0].pos;
  for (const Atom& a : cluster.atoms)
    for (int k = 0; k < 3; ++k) {
      lo[k] = std::min(lo[k], a.pos[k]);
      hi[k] = std::max(hi[k], a.pos[k]);
    }
  const double d_max = (hi - lo).length();
  const size_t nbins = static_cast<size_t>(d_max / bin_width) + 2;
  if (static_cast<double>(nbins) * d.npair_types > 5e8)
    throw std::invalid_argument("debye_intensity_binned: bin_width " + std::to_string(bin_width) +
                                " Å gives too many bins for a cluster " + std::to_string(d_max) + " Å across");
  const size_t per_chunk = 2 * nbins * static_cast<size_t>(d.npair_types);  // Σw and Σw·r per bin
  const size_t chunks = std::max<size_t>(1, std::min<size_t>({8, n - 1, 64000000 / per_chunk}));
  const std::vector<size_t> start = row_chunks(n, chunks);
  std::vector<double> hist(chunks * per_chunk, 0.0);
  const long nchunks = static_cast<long>(chunks);
#pragma omp parallel for schedule(dynamic, 1)
  for (long c = 0; c < nchunks; ++c) {
    double* hst = hist.data() + static_cast<size_t>(c) * per_chunk;
    for (size_t i = start[static_cast<size_t>(c)]; i < start[static_cast<size_t>(c) + 1]; ++i) {
      if (d.type[i] < 0) continue;
      for (size_t j = i + 1; j < n; ++j) {
        if (d.type[j] < 0) continue;
        const double w = cluster.atoms[i].occupancy * cluster.atoms[j].occupancy;
        const double r = (cluster.atoms[j].pos - cluster.atoms[i].pos).length();
        const size_t bin = std::min(nbins - 1, static_cast<size_t>(r / bin_width));
        const size_t pt = static_cast<size_t>(d.pair_type[static_cast<size_t>(d.type[i] * d.ntypes + d.type[j])]);
        double* cell = hst + 2 * (pt * nbins + bin);
        cell[0] += w;
        cell[1] += w * r;
      }
    }
  }
  for (size_t c = 1; c < chunks; ++c)
    for (size_t m = 0; m < per_chunk; ++m) hist[m] += hist[c * per_chunk + m];
  // Non-empty bins per pair type: weight and mean distance; then the same block sum as the exact path,
  // one pair type per task (each writes its own row: no reduction, thread-count independent).
  std::vector<double> q(ns), inv_q(ns);
  for (size_t k = 0; k < ns; ++k) {
    q[k] = 2 * kPi * s[k];
    inv_q[k] = q[k] != 0 ? 1.0 / q[k] : 0.0;
  }
  double h = ns > 1 ? (s.back() - s.front()) / static_cast<double>(ns - 1) : 0.0;
  bool uniform = ns > 2 && h > 0;
  for (size_t k = 0; uniform && k < ns; ++k)
    if (std::fabs(s[k] - (s.front() + static_cast<double>(k) * h)) > 1e-10 * h) uniform = false;
  std::vector<double> acc(static_cast<size_t>(d.npair_types) * ns, 0.0);
  const long npt = d.npair_types;
#pragma omp parallel for schedule(dynamic, 1)
  for (long pt = 0; pt < npt; ++pt) {
    std::vector<double> w, r;
    for (size_t b = 0; b < nbins; ++b) {
      const double wb = hist[2 * (static_cast<size_t>(pt) * nbins + b)];
      if (wb == 0) continue;
      const double rb = hist[2 * (static_cast<size_t>(pt) * nbins + b) + 1] / wb;
      if (rb < 1e-12) {
        for (size_t k = 0; k < ns; ++k) acc[static_cast<size_t>(pt) * ns + k] += wb;
        continue;
      }
      w.push_back(wb);
      r.push_back(rb);
    }
    add_pair_block(w, r, q, inv_q, uniform, 2 * kPi * h, acc.data() + static_cast<size_t>(pt) * ns);
  }
  return combine(d, acc, ns);
}

}  // namespace sedpdf
