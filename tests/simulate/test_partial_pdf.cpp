// Partial PDFs: crystal shells (fcc Cu), ideal gas, finite cluster shape function, kernel agreement,
// thread-count determinism, and the aZIF-4 RMC glass (Castel 2023).
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/structures/io.hpp"
#include "fixtures/lattices.hpp"

using namespace sedpdf;
using sedpdf::test_fixtures::fcc;

namespace {


Structure random_box(const Cell& cell, size_t n, uint64_t seed, bool two_elements, bool frac_occ) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);
  Structure s;
  s.title = "random";
  s.cell = cell;
  for (size_t i = 0; i < n; ++i) {
    Atom a;
    a.element = Element::from_z(two_elements && u(rng) < 0.3 ? 30 : 7);
    a.pos = cell.orthogonalize(Fractional(u(rng), u(rng), u(rng)));
    if (frac_occ) a.occupancy = 0.2 + 0.8 * u(rng);
    s.atoms.push_back(a);
  }
  return s;
}

size_t argmax_in(const PartialPdfs& p, const std::vector<double>& g, double lo, double hi) {
  size_t best = 0;
  double bv = -1;
  for (size_t k = 0; k < g.size(); ++k)
    if (p.r[k] >= lo && p.r[k] <= hi && g[k] > bv) {
      bv = g[k];
      best = k;
    }
  return best;
}

// The minimum of g between bins lo and hi; on a plateau of equal values (zero between crystal
// shells) its centre, so that the tails of the neighbouring peaks stay outside.
size_t minimum_between(const std::vector<double>& g, size_t lo, size_t hi) {
  double v = g[lo];
  for (size_t k = lo; k <= hi; ++k) v = std::min(v, g[k]);
  size_t first = hi, last = lo;
  for (size_t k = lo; k <= hi; ++k)
    if (g[k] == v) {
      first = std::min(first, k);
      last = std::max(last, k);
    }
  return (first + last) / 2;
}

}  // namespace

TEST(PartialPdf, FccCopperShells) {
  const double a = 3.615;  // Å
  for (double sigma : {0.0, 0.02}) {
    const Structure s = fcc(a, 6, sigma, 21);
    ASSERT_EQ(s.size(), 864u);
    PartialPdfOptions opt;
    opt.r_max = 7.0;
    opt.dr = 0.01;
    const PartialPdfs p = compute_partial_pdfs(s, opt);
    ASSERT_EQ(p.elements.size(), 1u);
    EXPECT_TRUE(p.periodic);
    EXPECT_NEAR(p.number_density, 4 / (a * a * a), 1e-12);
    const auto& g = p.g[0];
    const auto n = p.running_coordination(0, 0);
    const size_t p1 = argmax_in(p, g, 1.5, 3.0);
    EXPECT_NEAR(p.r[p1], a / std::sqrt(2.0), opt.dr) << "sigma " << sigma;
    const size_t p2 = argmax_in(p, g, p.r[p1] + 0.5, 4.0);
    EXPECT_NEAR(p.r[p2], a, opt.dr);
    const size_t p3 = argmax_in(p, g, p.r[p2] + 0.5, 4.8);
    EXPECT_NEAR(p.r[p3], a * std::sqrt(1.5), opt.dr);
    const size_t m1 = minimum_between(g, p1, p2);
    EXPECT_NEAR(n[m1], 12.0, 1e-9) << "first minimum at " << p.r[m1];
    const size_t m2 = minimum_between(g, p2, p3);
    EXPECT_NEAR(n[m2], 18.0, 1e-9) << "second minimum at " << p.r[m2];
    if (sigma > 0) std::printf("fcc Cu, sigma %.2f A: minima at %.3f and %.3f A\n", sigma, p.r[m1], p.r[m2]);
    // the last shells within 7 Å: 12 (a√2/2) + 6 (a) + 24 (a√1.5) + 12 (a√2) + 24 (a√2.5) + 8 (a√3)
    // + 48 (a√3.5, 6.763 Å) = 134
    EXPECT_NEAR(n.back(), 134.0, 1e-9);
  }
}

TEST(PartialPdf, ImagesOfOneCellEqualTheSupercell) {
  // g(r) of the 4-atom conventional cell with allow_images must equal that of a 6×6×6 supercell
  const double a = 3.615;
  PartialPdfOptions opt;
  opt.r_max = 7.0;
  opt.dr = 0.01;
  const PartialPdfs big = compute_partial_pdfs(fcc(a, 6, 0, 1), opt);
  EXPECT_THROW(compute_partial_pdfs(fcc(a, 1, 0, 1), opt), std::invalid_argument);
  opt.allow_images = true;
  const PartialPdfs one = compute_partial_pdfs(fcc(a, 1, 0, 1), opt);
  const AllPairsKernel ref;
  const PartialPdfs one_ref = compute_partial_pdfs(fcc(a, 1, 0, 1), opt, &ref);
  ASSERT_EQ(one.g[0].size(), big.g[0].size());
  double gmax = 0, diff = 0, diff_ref = 0;
  for (size_t k = 0; k < big.g[0].size(); ++k) {
    gmax = std::max(gmax, big.g[0][k]);
    diff = std::max(diff, std::abs(one.g[0][k] - big.g[0][k]));
    diff_ref = std::max(diff_ref, std::abs(one_ref.g[0][k] - big.g[0][k]));
  }
  EXPECT_LE(diff, 1e-12 * gmax);
  EXPECT_LE(diff_ref, 1e-12 * gmax);
}

TEST(PartialPdf, IdealGasTendsToOne) {
  const size_t n = 20000;
  const double rho = 0.05;  // atoms/Å³
  const double L = std::cbrt(static_cast<double>(n) / rho);
  const Structure s = random_box(Cell::orthorhombic(L, L, L), n, 1234, false, false);
  PartialPdfOptions opt;
  opt.r_max = 10.0;
  opt.dr = 0.05;
  const PartialPdfs p = compute_partial_pdfs(s, opt);
  const double V = L * L * L;
  const double N = static_cast<double>(n);
  // expected unordered pairs per bin for uniform independent positions: N(N−1)/2 · ΔV/V; their
  // variance equals the mean (Poisson) because in a periodic box each atom's pair probability is
  // exactly ΔV/V wherever it sits.
  double chi2 = 0, sum_g = 0, var_sum = 0;
  int bins = 0;
  for (size_t k = 0; k < p.r.size(); ++k) {
    if (p.r[k] < 3.0 || p.r[k] > 10.0) continue;
    const double r1 = p.r[k] - opt.dr / 2, r2 = p.r[k] + opt.dr / 2;
    const double expect = N * (N - 1) / 2 * 4 * kPi / 3 * (r2 * r2 * r2 - r1 * r1 * r1) / V;
    const double c = p.pair_counts[0][k];
    chi2 += (c - expect) * (c - expect) / expect;
    sum_g += p.g[0][k];
    const double sigma_g = p.g[0][k] / std::sqrt(expect);  // relative counting error of the bin
    var_sum += sigma_g * sigma_g;
    ++bins;
  }
  const double mean_g = sum_g / bins;
  const double sigma_mean = std::sqrt(var_sum) / bins;
  std::printf("ideal gas: mean g(3..10 Å) = %.6f ± %.6f, chi2/bin = %.3f over %d bins\n", mean_g,
              sigma_mean, chi2 / bins, bins);
  // the N_a N_b normalisation gives 1 − 1/N = 0.99995, far inside 3σ ≈ 2e-3
  EXPECT_LT(std::abs(mean_g - 1.0), 3 * sigma_mean);
  EXPECT_GT(chi2 / bins, 1.0 - 5 * std::sqrt(2.0 / bins));
  EXPECT_LT(chi2 / bins, 1.0 + 5 * std::sqrt(2.0 / bins));
}

TEST(PartialPdf, FiniteClusterFollowsSphereShapeFunction) {
  // uniform random sphere, radius 25 Å: g(r) → γ₀(r) = 1 − 3r/(2D) + r³/(2D³) (Farrow & Billinge 2009)
  const double R = 25.0;
  const size_t n = 4000;
  std::mt19937_64 rng(77);
  std::uniform_real_distribution<double> u(-1.0, 1.0);
  Structure s;
  s.title = "sphere";
  while (s.size() < n) {
    const Vec3 v(u(rng), u(rng), u(rng));
    if (v.length_sq() > 1) continue;
    Atom a;
    a.element = Element::from_z(14);
    a.pos = Position(v * R);
    s.atoms.push_back(a);
  }
  PartialPdfOptions opt;
  opt.r_max = 45.0;
  opt.dr = 0.5;
  const PartialPdfs p = compute_partial_pdfs(s, opt);
  EXPECT_FALSE(p.periodic);
  EXPECT_NEAR(p.cluster_diameter, 2 * R, 0.02 * 2 * R);
  EXPECT_NEAR(p.number_density, n / (4 * kPi / 3 * R * R * R), 0.06 * n / (4 * kPi / 3 * R * R * R));
  auto gamma0 = [](double r, double D) { return r <= D ? 1 - 1.5 * r / D + 0.5 * std::pow(r / D, 3) : 0.0; };
  // with the true density, g follows γ₀ for the true diameter; with the derived one, γ₀(D)
  PartialPdfOptions opt_true = opt;
  opt_true.cluster_density = n / (4 * kPi / 3 * R * R * R);
  const PartialPdfs pt = compute_partial_pdfs(s, opt_true);
  for (double lo = 5; lo < 40; lo += 5) {
    double sg = 0, sgt = 0, s0 = 0, s0t = 0;
    for (size_t k = 0; k < p.r.size(); ++k)
      if (p.r[k] >= lo && p.r[k] < lo + 5) {
        const double w = p.r[k] * p.r[k];  // shell weights
        sg += w * p.g[0][k];
        sgt += w * pt.g[0][k];
        s0 += w * gamma0(p.r[k], p.cluster_diameter);
        s0t += w * gamma0(p.r[k], 2 * R);
      }
    EXPECT_NEAR(sgt / s0t, 1.0, 0.03) << "window " << lo << " Å, true density";
    EXPECT_NEAR(sg / s0, 1.0, 0.05) << "window " << lo << " Å, equivalent sphere";
  }
}

TEST(PartialPdf, CellListEqualsAllPairs) {
  const Cell cell = Cell::from_parameters(20, 22, 24, 70, 100, 115);
  Structure s = random_box(cell, 600, 99, true, true);
  s.atoms[5].occupancy = 0;                       // an absent site
  s.atoms[7].pos += cell.vector(0) * 2.0;         // an atom outside the cell
  Atom ghost = s.atoms[3];                        // an element present only with zero occupancy
  ghost.element = Element::from_z(8);
  ghost.occupancy = 0;
  s.atoms.push_back(ghost);
  const AllPairsKernel ref;
  const CellListKernel fast;
  for (bool images : {false, true}) {
    PartialPdfOptions opt;
    opt.dr = 0.02;
    opt.allow_images = images;
    opt.r_max = images ? 1.3 * cell.perpendicular_width(0) : 0.95 * cell.minimum_image_radius();
    const PartialPdfs a = compute_partial_pdfs(s, opt, &ref);
    const PartialPdfs b = compute_partial_pdfs(s, opt, &fast);
    ASSERT_EQ(a.elements.size(), 2u);  // N and Zn; O has zero occupancy
    ASSERT_EQ(a.pairs.size(), 3u);
    for (size_t p = 0; p < a.pairs.size(); ++p) {
      double hmax = 0, diff = 0, total = 0;
      for (size_t k = 0; k < a.r.size(); ++k) {
        hmax = std::max(hmax, std::abs(a.pair_counts[p][k]));
        diff = std::max(diff, std::abs(a.pair_counts[p][k] - b.pair_counts[p][k]));
        diff = std::max(diff, std::abs(a.g[p][k] - b.g[p][k]) / std::max(1.0, std::abs(a.g[p][k])) * hmax);
        total += a.pair_counts[p][k];
      }
      EXPECT_GT(total, 0);
      EXPECT_LE(diff, 1e-12 * hmax) << "pair " << p << " images " << images;
    }
  }
}

TEST(PartialPdf, BitIdenticalAcrossThreadCounts) {
  const Cell cell = Cell::from_parameters(30, 31, 33, 85, 95, 100);
  const Structure s = random_box(cell, 3000, 5, true, true);
  PartialPdfOptions opt;
  opt.r_max = 12.0;
  opt.dr = 0.01;
  opt.threads = 1;
  const PartialPdfs one = compute_partial_pdfs(s, opt);
  for (int t : {2, 3}) {
    opt.threads = t;
    const PartialPdfs many = compute_partial_pdfs(s, opt);
    for (size_t p = 0; p < one.pairs.size(); ++p) {
      EXPECT_TRUE(one.pair_counts[p] == many.pair_counts[p]) << "pair " << p << " threads " << t;
      EXPECT_TRUE(one.g[p] == many.g[p]) << "pair " << p << " threads " << t;
    }
  }
}

TEST(PartialPdf, Accessors) {
  const Structure s = random_box(Cell::orthorhombic(20, 20, 20), 400, 3, true, false);
  PartialPdfOptions opt;
  opt.r_max = 9.0;
  opt.dr = 0.1;
  const PartialPdfs p = compute_partial_pdfs(s, opt);
  ASSERT_EQ(p.elements.size(), 2u);
  EXPECT_EQ(p.elements[0].symbol(), "N");
  EXPECT_EQ(p.elements[1].symbol(), "Zn");
  EXPECT_EQ(p.element_index(Element::parse("Zn")), 1);
  EXPECT_EQ(p.element_index(Element::parse("O")), -1);
  EXPECT_EQ(p.pair_index(0, 1), p.pair_index(1, 0));
  EXPECT_EQ(p.pair_index(1, 1), 2);
  EXPECT_THROW(p.pair_index(0, 2), std::out_of_range);
  EXPECT_NEAR(p.fractions[0] + p.fractions[1], 1.0, 1e-15);
  EXPECT_NEAR(p.r.front(), 0.05, 1e-12);
  EXPECT_EQ(p.r.size(), 90u);
  // n_ab N_a = n_ba N_b (the same pairs counted from either side)
  const auto nab = p.running_coordination(0, 1), nba = p.running_coordination(1, 0);
  EXPECT_NEAR(nab.back() * p.counts[0], nba.back() * p.counts[1], 1e-9);
  // Σ_ab c_a c_b g_ab: total g with number-fraction weights, = Σ_a c_a n_a(r) / (4πr²dr ρ₀)
  std::vector<double> w = {p.fractions[0] * p.fractions[0], p.fractions[0] * p.fractions[1],
                           p.fractions[1] * p.fractions[0], p.fractions[1] * p.fractions[1]};
  const auto gt = p.total_g(w);
  const double V = 8000;
  for (size_t k = 0; k < p.r.size(); k += 7) {
    double all = 0;
    for (const auto& pc : p.pair_counts) all += pc[k];
    const double r1 = p.r[k] - 0.05, r2 = p.r[k] + 0.05;
    const double expect = 2 * all * V / (p.n_atoms * p.n_atoms * 4 * kPi / 3 * (r2 * r2 * r2 - r1 * r1 * r1));
    EXPECT_NEAR(gt[k], expect, 1e-9 * (1 + expect));
  }
  EXPECT_THROW(p.total_g({1.0}), std::invalid_argument);
}

TEST(PartialPdf, BadInput) {
  const Structure s = random_box(Cell::orthorhombic(10, 10, 10), 50, 4, false, false);
  PartialPdfOptions opt;
  opt.r_max = 4.0;
  opt.dr = 0.0;
  EXPECT_THROW(compute_partial_pdfs(s, opt), std::invalid_argument);
  opt.dr = -0.1;
  EXPECT_THROW(compute_partial_pdfs(s, opt), std::invalid_argument);
  opt.dr = std::nan("");
  EXPECT_THROW(compute_partial_pdfs(s, opt), std::invalid_argument);
  opt.dr = 0.1;
  opt.r_max = 0.1;
  EXPECT_THROW(compute_partial_pdfs(s, opt), std::invalid_argument);
  opt.r_max = INFINITY;
  EXPECT_THROW(compute_partial_pdfs(s, opt), std::invalid_argument);
  opt.r_max = 6.0;  // beyond the minimum-image radius 5 Å
  try {
    compute_partial_pdfs(s, opt);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("allow_images"), std::string::npos) << e.what();
  }
  const AllPairsKernel ref;
  EXPECT_THROW(compute_partial_pdfs(s, opt, &ref), std::invalid_argument);
  opt.r_max = 4.0;
  opt.cluster_density = -1;
  EXPECT_THROW(compute_partial_pdfs(s, opt), std::invalid_argument);
  opt.cluster_density = 0;

  Structure empty;
  empty.cell = Cell::orthorhombic(10, 10, 10);
  EXPECT_THROW(compute_partial_pdfs(empty, opt), std::invalid_argument);
  Structure zero = s;
  for (auto& a : zero.atoms) a.occupancy = 0;
  try {
    compute_partial_pdfs(zero, opt);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("occupancy"), std::string::npos) << e.what();
  }
  Structure slab = s;
  slab.cell.set_periodic({true, true, false});
  try {
    compute_partial_pdfs(slab, opt);
    FAIL() << "expected std::invalid_argument";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("slab"), std::string::npos) << e.what();
  }
  Structure single;
  single.atoms.push_back(s.atoms[0]);  // a one-atom cluster: no density to derive
  EXPECT_THROW(compute_partial_pdfs(single, opt), std::invalid_argument);
  opt.cluster_density = 0.05;
  EXPECT_NO_THROW(compute_partial_pdfs(single, opt));
}

TEST(PartialPdf, AmorphousZif4Castel2023) {
  const std::string path = std::string(SEDPDF_REPO_DATA) + "/structures/agZIF-4_RMC_Castel2023.extxyz";
  const Structure s = read_structure(path);
  ASSERT_EQ(s.size(), 8704u);
  EXPECT_NEAR(s.mass_density_g_cm3(), 1.581, 0.002);
  PartialPdfOptions opt;
  opt.r_max = 10.0;
  opt.dr = 0.01;
  const PartialPdfs p = compute_partial_pdfs(s, opt);
  const int zn = p.element_index(Element::parse("Zn"));
  const int nn = p.element_index(Element::parse("N"));
  ASSERT_GE(zn, 0);
  ASSERT_GE(nn, 0);
  const auto& g = p.g[static_cast<size_t>(p.pair_index(zn, nn))];
  const size_t peak = argmax_in(p, g, 1.5, 2.5);
  // first minimum after the peak: the lowest g between the peak and 3 Å (first such bin)
  size_t minimum = peak;
  for (size_t k = peak; k < g.size() && p.r[k] <= 3.0; ++k)
    if (g[k] < g[minimum]) minimum = k;
  const double cn = p.running_coordination(zn, nn)[minimum];
  std::printf("aZIF-4: density %.4f g/cm3, Zn-N peak %.3f A, first minimum %.3f A, CN(Zn-N) = %.4f\n",
              s.mass_density_g_cm3(), p.r[peak], p.r[minimum] + opt.dr / 2, cn);
  EXPECT_NEAR(p.r[peak], 1.99, 0.03);
  EXPECT_GE(cn, 3.9);
  EXPECT_LE(cn, 4.0);
}
