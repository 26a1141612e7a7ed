// Partial pair distribution functions: pair histograms (two kernels) and their normalisation.
// Formulas and sources: see partial_pdf.hpp.
#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/structures/constants.hpp"

#include <omp.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <sstream>
#include <stdexcept>

#include "sedpdf/structures/neighbors.hpp"

namespace sedpdf {

namespace {

// Chunks of home bins for the deterministic parallel reduction: at most this many, fewer if the
// per-chunk histograms would exceed kChunkMemory bytes in all.
constexpr size_t kMaxChunks = 64;
constexpr double kChunkMemory = 256.0 * 1024 * 1024;

int pair_slot(int a, int b, int n) {
  if (a > b) std::swap(a, b);
  return a * n - a * (a - 1) / 2 + (b - a);
}

/// Checks shared by the kernels; returns the number of bins per pair.
size_t check_kernel_args(const Structure& s, const std::vector<int>& type_of_atom, int ntypes,
                         double r_max, double dr, const std::vector<double>& hist) {
  if (ntypes <= 0) {
    std::ostringstream m;
    m << "pair histogram: ntypes = " << ntypes << " must be positive";
    throw std::invalid_argument(m.str());
  }
  if (type_of_atom.size() != s.atoms.size()) {
    std::ostringstream m;
    m << "pair histogram: " << type_of_atom.size() << " atom types given for " << s.atoms.size()
      << " atoms";
    throw std::invalid_argument(m.str());
  }
  for (size_t i = 0; i < type_of_atom.size(); ++i)
    if (type_of_atom[i] < -1 || type_of_atom[i] >= ntypes) {
      std::ostringstream m;
      m << "pair histogram: atom " << i + 1 << " has type " << type_of_atom[i] << " outside [-1, "
        << ntypes - 1 << "]";
      throw std::invalid_argument(m.str());
    }
  if (!(std::isfinite(r_max) && r_max > 0 && std::isfinite(dr) && dr > 0)) {
    std::ostringstream m;
    m << "pair histogram: r_max = " << r_max << " Å and dr = " << dr
      << " Å must be positive and finite";
    throw std::invalid_argument(m.str());
  }
  const size_t npairs = static_cast<size_t>(ntypes) * static_cast<size_t>(ntypes + 1) / 2;
  if (hist.empty() || hist.size() % npairs != 0) {
    std::ostringstream m;
    m << "pair histogram: histogram size " << hist.size() << " is not a positive multiple of the "
      << npairs << " element pairs";
    throw std::invalid_argument(m.str());
  }
  return hist.size() / npairs;
}

std::vector<int> pair_table(int ntypes) {
  std::vector<int> t(static_cast<size_t>(ntypes) * ntypes);
  for (int a = 0; a < ntypes; ++a)
    for (int b = 0; b < ntypes; ++b) t[static_cast<size_t>(a) * ntypes + b] = pair_slot(a, b, ntypes);
  return t;
}

}  // namespace

size_t pdf_bin_count(double r_max, double dr) {
  if (!(std::isfinite(r_max) && std::isfinite(dr) && dr > 0 && r_max > 0)) {
    std::ostringstream m;
    m << "pdf_bin_count: r_max = " << r_max << " Å and dr = " << dr << " Å must be positive and finite";
    throw std::invalid_argument(m.str());
  }
  const double x = r_max / dr;
  const double n = std::ceil(x - 1e-9);
  if (n > 1e9) {
    std::ostringstream m;
    m << "pdf_bin_count: r_max / dr = " << x << " bins is too many";
    throw std::invalid_argument(m.str());
  }
  return std::max<size_t>(1, static_cast<size_t>(n));
}

// ---------------------------------------------------------------------------------------------------
// AllPairsKernel

void AllPairsKernel::accumulate(const Structure& s, const std::vector<int>& type_of_atom, int ntypes,
                                double r_max, double dr, bool allow_images, int /*threads*/,
                                std::vector<double>& hist) const {
  const size_t nbins = check_kernel_args(s, type_of_atom, ntypes, r_max, dr, hist);
  const Cell& cell = s.cell;
  if (cell.any_periodic() && !cell.has_vectors())
    throw std::invalid_argument("pair histogram: structure '" + s.title +
                                "' is marked periodic but has no lattice vectors");
  if (!allow_images && cell.any_periodic() && r_max > cell.minimum_image_radius()) {
    std::ostringstream m;
    m << "pair histogram: r_max = " << r_max << " Å exceeds the minimum-image radius "
      << cell.minimum_image_radius() << " Å of the cell; set allow_images = true to count every "
      << "periodic image within r_max";
    throw std::invalid_argument(m.str());
  }
  const bool has_cell = cell.has_vectors();
  const Mat33 m = has_cell ? cell.matrix() : Mat33();
  const Mat33 inv = has_cell ? m.inverse() : Mat33();
  bool per[3];
  double rw[3];  // r_max in units of the perpendicular width
  for (int k = 0; k < 3; ++k) {
    per[k] = has_cell && cell.periodic(k);
    rw[k] = per[k] ? r_max / cell.perpendicular_width(k) : 0.0;
  }
  const std::vector<int> ptab = pair_table(ntypes);
  const double r2max = r_max * r_max;
  const double inv_dr = 1.0 / dr;  // the same bin rule as CellListKernel
  const size_t n = s.atoms.size();
  std::vector<Vec3> f(n);
  for (size_t i = 0; i < n; ++i) f[i] = inv * s.atoms[i].pos;

  for (size_t i = 0; i < n; ++i) {
    const int ti = type_of_atom[i];
    if (ti < 0) continue;
    for (size_t j = i; j < n; ++j) {
      const int tj = type_of_atom[j];
      if (tj < 0) continue;
      const double w = s.atoms[i].occupancy * s.atoms[j].occupancy;
      double* h = hist.data() + static_cast<size_t>(ptab[static_cast<size_t>(ti) * ntypes + tj]) * nbins;
      Vec3 df = f[j] - f[i];
      int lo[3], hi[3];
      for (int k = 0; k < 3; ++k) {
        if (per[k]) {
          df[k] -= std::round(df[k]);
          // the image s_k can lie within r_max only if |Δf_k + s_k| W_k <= r_max
          lo[k] = static_cast<int>(std::ceil(-rw[k] - df[k]));
          hi[k] = static_cast<int>(std::floor(rw[k] - df[k]));
        } else {
          lo[k] = hi[k] = 0;
        }
      }
      for (int a = lo[0]; a <= hi[0]; ++a)
        for (int b = lo[1]; b <= hi[1]; ++b)
          for (int c = lo[2]; c <= hi[2]; ++c) {
            // the atom's own images: each ± pair once (lexicographically positive shift), not itself
            if (i == j && !(a > 0 || (a == 0 && (b > 0 || (b == 0 && c > 0))))) continue;
            const Vec3 d = m * Vec3(df.x + a, df.y + b, df.z + c);
            const double r2 = d.length_sq();
            if (!(r2 <= r2max && r2 > 0.0)) continue;
            size_t bin = static_cast<size_t>(std::sqrt(r2) * inv_dr);
            if (bin >= nbins) bin = nbins - 1;
            h[bin] += w;
          }
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// CellListKernel

void CellListKernel::accumulate(const Structure& s, const std::vector<int>& type_of_atom, int ntypes,
                                double r_max, double dr, bool allow_images, int threads,
                                std::vector<double>& hist) const {
  const size_t nbins = check_kernel_args(s, type_of_atom, ntypes, r_max, dr, hist);
  const NeighborSearch search(s, NeighborOptions{r_max, allow_images});
  // Per-atom data in the search's slot order (atoms sorted by bin), read contiguously in the pair
  // loop; row[t_i·ntypes + t_j] = first histogram element of the pair (t_i, t_j).
  const std::vector<uint32_t>& atom_of = search.slot_atoms();
  const size_t n = atom_of.size();
  std::vector<int> type(n);
  std::vector<double> occ(n);
  for (size_t k = 0; k < n; ++k) {
    type[k] = type_of_atom[atom_of[k]];
    occ[k] = s.atoms[atom_of[k]].occupancy;
  }
  std::vector<size_t> row(static_cast<size_t>(ntypes) * ntypes);
  const std::vector<int> ptab = pair_table(ntypes);
  for (size_t k = 0; k < row.size(); ++k) row[k] = static_cast<size_t>(ptab[k]) * nbins;

  const size_t nb = search.bin_count();
  const double hist_bytes = static_cast<double>(hist.size()) * sizeof(double);
  const size_t mem_chunks = static_cast<size_t>(std::max(1.0, std::floor(kChunkMemory / hist_bytes)));
  const size_t nchunks = std::max<size_t>(1, std::min({nb, kMaxChunks, mem_chunks}));
  std::vector<std::vector<double>> partial(nchunks);
  const int nthreads = threads > 0 ? threads : omp_get_max_threads();
  const double inv_dr = 1.0 / dr;
  const size_t last = nbins - 1;
  const int* tp = type.data();
  const double* wp = occ.data();
  const size_t* rp = row.data();
  const size_t nt = static_cast<size_t>(ntypes);
  const long long nchunks_ll = static_cast<long long>(nchunks);

#pragma omp parallel for schedule(dynamic, 1) num_threads(nthreads)
  for (long long c = 0; c < nchunks_ll; ++c) {
    const size_t cu = static_cast<size_t>(c);
    std::vector<double>& h = partial[cu];
    h.assign(hist.size(), 0.0);
    double* hp = h.data();
    const size_t b0 = cu * nb / nchunks, b1 = (cu + 1) * nb / nchunks;
    for (size_t b = b0; b < b1; ++b)
      search.for_each_slot_pair_in_bin(b, [hp, tp, wp, rp, nt, inv_dr, last](size_t i, size_t j, const Vec3&,
                                                                            double r2) {
        const int ti = tp[i], tj = tp[j];
        if ((ti | tj) < 0) return;
        size_t bin = static_cast<size_t>(std::sqrt(r2) * inv_dr);
        if (bin > last) bin = last;
        hp[rp[static_cast<size_t>(ti) * nt + static_cast<size_t>(tj)] + bin] += wp[i] * wp[j];
      });
  }
  for (size_t c = 0; c < nchunks; ++c)
    for (size_t k = 0; k < hist.size(); ++k) hist[k] += partial[c][k];
}

// ---------------------------------------------------------------------------------------------------
// PartialPdfs

int PartialPdfs::pair_index(int a, int b) const {
  const int n = static_cast<int>(elements.size());
  if (a < 0 || b < 0 || a >= n || b >= n) {
    std::ostringstream m;
    m << "PartialPdfs::pair_index: element indices (" << a << ", " << b << ") outside [0, " << n << ")";
    throw std::out_of_range(m.str());
  }
  return pair_slot(a, b, n);
}

int PartialPdfs::element_index(Element e) const {
  for (size_t i = 0; i < elements.size(); ++i)
    if (elements[i] == e) return static_cast<int>(i);
  return -1;
}

std::vector<double> PartialPdfs::running_coordination(int a, int b) const {
  const int p = pair_index(a, b);
  const std::vector<double>& pc = pair_counts[static_cast<size_t>(p)];
  // ordered count of b around a: P_ab for a ≠ b, 2 P_aa for a = b; per a centre
  const double scale = (a == b ? 2.0 : 1.0) / counts[static_cast<size_t>(a)];
  std::vector<double> out(pc.size());
  double sum = 0;
  for (size_t k = 0; k < pc.size(); ++k) {
    sum += pc[k];
    out[k] = sum * scale;
  }
  return out;
}

std::vector<double> PartialPdfs::total_g(const std::vector<double>& w) const {
  const size_t n = elements.size();
  if (w.size() != n * n) {
    std::ostringstream m;
    m << "PartialPdfs::total_g: " << w.size() << " weights given, expected " << n * n
      << " (ordered pairs of " << n << " elements)";
    throw std::invalid_argument(m.str());
  }
  std::vector<double> out(r.size(), 0.0);
  for (size_t a = 0; a < n; ++a)
    for (size_t b = 0; b < n; ++b) {
      const double wab = w[a * n + b];
      if (wab == 0) continue;
      const std::vector<double>& gab =
          g[static_cast<size_t>(pair_index(static_cast<int>(a), static_cast<int>(b)))];
      for (size_t k = 0; k < out.size(); ++k) out[k] += wab * gab[k];
    }
  return out;
}

PartialPdfs compute_partial_pdfs(const Structure& s, const PartialPdfOptions& opt,
                                 const PairHistogramKernel* kernel) {
  const std::string who = "partial PDFs of '" + s.title + "': ";
  if (!std::isfinite(opt.dr) || !(opt.dr > 0)) {
    std::ostringstream m;
    m << who << "dr = " << opt.dr << " Å must be positive and finite";
    throw std::invalid_argument(m.str());
  }
  if (!std::isfinite(opt.r_max) || !(opt.r_max > opt.dr)) {
    std::ostringstream m;
    m << who << "r_max = " << opt.r_max << " Å must be finite and larger than dr = " << opt.dr << " Å";
    throw std::invalid_argument(m.str());
  }
  if (!std::isfinite(opt.cluster_density) || opt.cluster_density < 0) {
    std::ostringstream m;
    m << who << "cluster_density = " << opt.cluster_density
      << " atoms/Å³ must be finite and >= 0 (0 = from the equivalent sphere)";
    throw std::invalid_argument(m.str());
  }
  if (s.atoms.empty()) throw std::invalid_argument(who + "the structure has no atoms");
  s.validate("partial PDFs of '" + s.title + "'");

  PartialPdfs out;
  out.dr = opt.dr;
  out.r_max = opt.r_max;
  for (const CompositionEntry& c : s.composition())
    if (c.count > 0) {
      out.elements.push_back(c.element);
      out.counts.push_back(c.count);
    }
  for (double c : out.counts) out.n_atoms += c;
  if (out.elements.empty() || !(out.n_atoms > 0))
    throw std::invalid_argument(who + "total occupancy is zero (every atom has occupancy 0)");
  for (double c : out.counts) out.fractions.push_back(c / out.n_atoms);
  const int ne = static_cast<int>(out.elements.size());

  std::vector<int> type(s.atoms.size(), -1);
  for (size_t i = 0; i < s.atoms.size(); ++i)
    if (s.atoms[i].occupancy > 0) type[i] = out.element_index(s.atoms[i].element);

  // Density and the volume V = N / ρ₀ that normalises the pair counts.
  const Cell& cell = s.cell;
  if (cell.fully_periodic()) {
    if (!cell.has_vectors())
      throw std::invalid_argument(who + "the structure is marked periodic but has no lattice vectors");
    out.periodic = true;
    out.number_density = out.n_atoms / cell.volume();
  } else if (cell.any_periodic()) {
    const auto& p = cell.periodic_flags();
    std::ostringstream m;
    m << who << "mixed periodicity (pbc = " << (p[0] ? 'T' : 'F') << ' ' << (p[1] ? 'T' : 'F') << ' '
      << (p[2] ? 'T' : 'F') << "): slabs and wires are not supported for g(r) yet (no unambiguous "
      << "number density); make the structure fully periodic or a finite cluster";
    throw std::invalid_argument(m.str());
  } else {
    out.periodic = false;
    // Equivalent sphere from the occupancy-weighted radius of gyration: D = 2 sqrt(5/3) R_g.
    Vec3 centre;
    for (const Atom& a : s.atoms) centre += a.pos * a.occupancy;
    centre = centre / out.n_atoms;
    double rg2 = 0;
    for (const Atom& a : s.atoms) rg2 += a.occupancy * (a.pos - centre).length_sq();
    rg2 /= out.n_atoms;
    out.cluster_diameter = 2.0 * std::sqrt(5.0 / 3.0 * rg2);
    if (opt.cluster_density > 0) {
      out.number_density = opt.cluster_density;
    } else {
      const double d = out.cluster_diameter;
      if (!(d > 0)) {
        std::ostringstream m;
        m << who << "finite cluster with zero radius of gyration: its density cannot be derived; set "
          << "cluster_density (atoms/Å³)";
        throw std::invalid_argument(m.str());
      }
      out.number_density = out.n_atoms / (kPi * d * d * d / 6.0);
    }
  }
  const double volume = out.n_atoms / out.number_density;

  const size_t nbins = pdf_bin_count(opt.r_max, opt.dr);
  for (int a = 0; a < ne; ++a)
    for (int b = a; b < ne; ++b) out.pairs.emplace_back(a, b);
  const size_t npairs = out.pairs.size();
  std::vector<double> hist(npairs * nbins, 0.0);
  const CellListKernel default_kernel;
  if (!kernel) kernel = &default_kernel;
  kernel->accumulate(s, type, ne, opt.r_max, opt.dr, opt.allow_images, opt.threads, hist);

  out.r.resize(nbins);
  std::vector<double> shell(nbins);
  for (size_t k = 0; k < nbins; ++k) {
    const double r1 = static_cast<double>(k) * opt.dr;
    const double r2 = std::min(static_cast<double>(k + 1) * opt.dr, opt.r_max);
    out.r[k] = 0.5 * (r1 + r2);
    shell[k] = 4.0 * kPi / 3.0 * (r2 * r2 * r2 - r1 * r1 * r1);
  }
  out.pair_counts.resize(npairs);
  out.g.resize(npairs);
  for (size_t p = 0; p < npairs; ++p) {
    const auto [a, b] = out.pairs[p];
    const double factor = (a == b ? 2.0 : 1.0) * volume /
                          (out.counts[static_cast<size_t>(a)] * out.counts[static_cast<size_t>(b)]);
    out.pair_counts[p].assign(hist.begin() + static_cast<std::ptrdiff_t>(p * nbins),
                              hist.begin() + static_cast<std::ptrdiff_t>((p + 1) * nbins));
    out.g[p].resize(nbins);
    for (size_t k = 0; k < nbins; ++k) out.g[p][k] = factor * out.pair_counts[p][k] / shell[k];
  }
  return out;
}

}  // namespace sedpdf
