// Loading-map scores: distance transform against brute force, interface bands, classification, erf fits.
#include <gtest/gtest.h>

#include <array>

#include <cmath>
#include <random>
#include <string>

#include "sedpdf/validate/maps.hpp"

using namespace sedpdf;

TEST(Maps, DistanceTransformEqualsBruteForce) {
  std::mt19937_64 rng(11);
  std::bernoulli_distribution b(0.07);
  const size_t nx = 23, ny = 17;
  for (int t = 0; t < 5; ++t) {
    std::vector<bool> f(nx * ny);
    for (size_t p = 0; p < f.size(); ++p) f[p] = b(rng);
    if (t == 4) f.assign(nx * ny, false);  // no feature at all
    const auto d = squared_distance_transform(f, nx, ny);
    for (size_t j = 0; j < ny; ++j)
      for (size_t i = 0; i < nx; ++i) {
        double best = 1e300;
        for (size_t q = 0; q < f.size(); ++q)
          if (f[q]) {
            const double dx = double(i) - double(q % nx), dy = double(j) - double(q / nx);
            best = std::min(best, dx * dx + dy * dy);
          }
        EXPECT_EQ(d[j * nx + i], best) << i << "," << j;
      }
  }
}

TEST(Maps, InterfaceDistanceOfStraightBoundary) {
  LabelMap m;
  m.nx = 20;
  m.ny = 8;
  m.step = 11.0;
  for (size_t j = 0; j < m.ny; ++j)
    for (size_t i = 0; i < m.nx; ++i) m.labels.push_back(i < 10 ? 0 : 1);
  const auto d = distance_to_interface(m);
  for (size_t j = 0; j < m.ny; ++j)
    for (size_t i = 0; i < m.nx; ++i) EXPECT_NEAR(d[j * m.nx + i], std::abs(double(i) - 9.5) * 11.0, 1e-12);
  // vacuum rows at the top: ignored unless asked for
  for (size_t i = 0; i < m.nx; ++i) m.labels[i] = -1;
  const auto d2 = distance_to_interface(m);
  EXPECT_NEAR(d2[5 * m.nx + 2], 7.5 * 11.0, 1e-12);
  EXPECT_EQ(d2[2], 0.0);
  const auto d3 = distance_to_interface(m, true);
  EXPECT_NEAR(d3[5 * m.nx + 2], 4.5 * 11.0, 1e-12);  // 5 rows from the vacuum row 0, minus half a pixel
}

TEST(Maps, ClassificationExcludesInterfaceBand) {
  LabelMap truth;
  truth.nx = 30;
  truth.ny = 10;
  truth.step = 10.0;
  for (size_t j = 0; j < truth.ny; ++j)
    for (size_t i = 0; i < truth.nx; ++i) truth.labels.push_back(i < 15 ? 0 : 1);
  truth.labels[0] = -1;
  LabelMap pred = truth;
  // errors only in the two columns next to the interface (distance 5 and 15 Å)
  for (size_t j = 0; j < truth.ny; ++j) {
    pred.labels[j * truth.nx + 14] = 1;
    pred.labels[j * truth.nx + 15] = 0;
    pred.labels[j * truth.nx + 16] = 0;
  }
  const auto s0 = classification_accuracy(pred, truth, 0.0);
  EXPECT_EQ(s0.n_scored, 299u);
  EXPECT_EQ(s0.n_excluded_no_phase, 1u);
  EXPECT_EQ(s0.n_correct, 299u - 30u);
  const auto s1 = classification_accuracy(pred, truth, 20.0);  // drops columns 13..16 (5, 15 Å)
  EXPECT_EQ(s1.n_excluded_interface, 40u);
  EXPECT_DOUBLE_EQ(s1.accuracy, 1.0);
  EXPECT_DOUBLE_EQ(s1.per_phase_accuracy[1], 1.0);
}

TEST(Maps, ClassifyByLoadingsUsesAssignmentAndSign) {
  // component 0 ↔ phase 1 with flipped sign, component 1 ↔ phase 0
  const std::vector<std::vector<double>> L{{-0.9, -0.1, 0.2}, {0.1, 0.8, -0.5}};
  const LabelMap m = classify_by_loadings(L, 3, 1, 1.0, {1, 0}, {-1, 1});
  EXPECT_EQ(m.labels, (std::vector<int>{1, 0, 1}));  // pixel 2: −0.2 (phase 1) beats −0.5 (phase 0)
  const LabelMap m2 = classify_by_loadings(L, 3, 1, 1.0, {1, 0}, {-1, 1}, 0.0);
  EXPECT_EQ(m2.labels, (std::vector<int>{1, 0, -1}));
  EXPECT_NEAR(map_correlation({1, 2, 3, 4}, {2, 4, 6, 8.0}), 1.0, 1e-14);
  EXPECT_NEAR(map_correlation({1, 2, 3, 4}, {2, 4, 6, -100.0}, {true, true, true, false}), 1.0, 1e-14);
}

TEST(Maps, ErfFitRecoversWidth) {
  const double sigma = 25.0, x0 = 201.7;
  std::vector<double> x, y, yn;
  std::mt19937_64 rng(3);
  std::normal_distribution<double> noise(0, 0.01);
  for (int i = 0; i < 80; ++i) {
    x.push_back(i * 5.5);  // the 003 scan step
    y.push_back(0.1 + 0.85 * 0.5 * (1 + std::erf((x.back() - x0) / (std::sqrt(2.0) * sigma))));
    yn.push_back(y.back() + noise(rng));
  }
  const ErfFit f = fit_erf_edge(x, y);
  EXPECT_TRUE(f.converged);
  EXPECT_NEAR(f.sigma, sigma, 1e-6 * sigma);
  EXPECT_NEAR(f.x0, x0, 1e-6);
  EXPECT_NEAR(f.width_10_90, 2.5631031311 * sigma, 1e-4);
  const ErfFit g = fit_erf_edge(x, yn);
  EXPECT_NEAR(g.sigma, sigma, 0.02 * sigma);
  // a falling edge
  std::vector<double> yf;
  for (double v : y) yf.push_back(1.0 - v);
  const ErfFit h = fit_erf_edge(x, yf);
  EXPECT_NEAR(h.sigma, sigma, 1e-6 * sigma);
  EXPECT_GT(h.low, h.high);
}

TEST(Maps, ErfFitAcrossAMapBoundaryViaLineProfile) {
  // a map whose value is an erf of the distance to a tilted line; profile normal to it.
  const size_t nx = 60, ny = 40;
  const double step = 11.0, sigma = 30.0;
  const double nxv = std::cos(0.3), nyv = std::sin(0.3), c = 330.0;  // n·p = c
  std::vector<double> map(nx * ny);
  for (size_t j = 0; j < ny; ++j)
    for (size_t i = 0; i < nx; ++i) {
      const double px = (double(i) + 0.5) * step, py = (double(j) + 0.5) * step;
      map[j * nx + i] = 0.5 * (1 + std::erf((nxv * px + nyv * py - c) / (std::sqrt(2.0) * sigma)));
    }
  const double fx = c * nxv, fy = c * nyv;  // foot of the normal on the line
  std::vector<double> dist;
  const auto prof = line_profile(map, nx, ny, step, fx - 150 * nxv, fy - 150 * nyv, fx + 150 * nxv, fy + 150 * nyv,
                                 121, &dist);
  const ErfFit f = fit_erf_edge(dist, prof);
  EXPECT_NEAR(f.sigma, sigma, 0.02 * sigma);
  EXPECT_NEAR(f.x0, 150.0, 1.0);
}

TEST(Maps, InterfaceEdgeFitOfAnInclusion) {
  // a circular inclusion (phase 1, radius 200 Å) in phase 0; the loading of phase 1 blurs its edge with σ = 30 Å
  const size_t nx = 80, ny = 80;
  const double step = 11.0, sigma = 30.0, R = 200.0, cx = 440.0, cy = 440.0;
  LabelMap t;
  t.nx = nx;
  t.ny = ny;
  t.step = step;
  std::vector<double> map;
  for (size_t j = 0; j < ny; ++j)
    for (size_t i = 0; i < nx; ++i) {
      const double x = (double(i) + 0.5) * step, y = (double(j) + 0.5) * step;
      const double dist = R - std::hypot(x - cx, y - cy);  // > 0 inside
      t.labels.push_back(dist > 0 ? 1 : 0);
      map.push_back(0.05 + 0.9 * 0.5 * (1 + std::erf(dist / (std::sqrt(2.0) * sigma))));
    }
  const ErfFit f = interface_edge_fit(map, t, 0, 1, 150.0);
  EXPECT_NEAR(f.sigma, sigma, 0.05 * sigma);  // pixel-centre distances quantise the curved boundary
  EXPECT_NEAR(f.x0, 0.0, 0.25 * step);
  EXPECT_NEAR(f.high - f.low, 0.9, 0.02);
  EXPECT_THROW(interface_edge_fit(map, t, 0, 2, 150.0), std::invalid_argument);
}

TEST(Maps, PhaseFractionIsIndependentOfTheMixingOfTheMaps) {
  // 40 pixels: 10 pure a, 10 pure b, 20 mixtures with known fraction f of b; two "true" maps (1 − f, f)
  // plus a constant offset, then mixed by an invertible matrix (a sum / difference rotation, as ICA returns).
  // The fraction map recovers f exactly for any mixing; unused pixels are NaN; bad sizes are refused.
  const std::size_t n = 40;
  std::vector<int> labels(n, -1);
  std::vector<uint8_t> use(n, 1);
  std::vector<double> f(n);
  for (std::size_t q = 0; q < n; ++q) {
    f[q] = q < 10 ? 0.0 : (q < 20 ? 1.0 : 0.05 * static_cast<double>(q - 20));
    labels[q] = q < 10 ? 0 : (q < 20 ? 1 : (f[q] < 0.5 ? 0 : 1));
  }
  use[39] = 0;
  for (const auto& A : std::vector<std::array<double, 4>>{{1, 0, 0, 1}, {0.7, 0.7, -0.4, 0.4}, {2.0, -1.0, 0.3, 1.5}}) {
    std::vector<std::vector<double>> L(2, std::vector<double>(n));
    for (std::size_t q = 0; q < n; ++q) {
      const double t0 = 1 - f[q] + 0.2, t1 = f[q] + 0.2;
      L[0][q] = A[0] * t0 + A[1] * t1;
      L[1][q] = A[2] * t0 + A[3] * t1;
    }
    const std::vector<double> fr = phase_fraction_map(L, labels, use, 0, 1);
    // Class means: a = mean over labels 0 (f = 0 ×10 and 0 … 0.45), b likewise; the fraction is affine in f.
    double fa = 0, fb = 0, na = 0, nb = 0;
    for (std::size_t q = 0; q + 1 < n; ++q) (labels[q] == 0 ? (fa += f[q], na += 1) : (fb += f[q], nb += 1));
    fa /= na;
    fb /= nb;
    for (std::size_t q = 0; q + 1 < n; ++q) EXPECT_NEAR(fr[q], (f[q] - fa) / (fb - fa), 1e-12) << q;
    EXPECT_TRUE(std::isnan(fr[39]));
  }
  EXPECT_THROW(phase_fraction_map({std::vector<double>(3)}, std::vector<int>(4), std::vector<uint8_t>(4), 0, 1),
               std::invalid_argument);
  EXPECT_THROW(phase_fraction_map({}, labels, use, 0, 1), std::invalid_argument);
  // One class empty: all NaN.
  const std::vector<double> none = phase_fraction_map({f}, std::vector<int>(n, 0), use, 0, 1);
  EXPECT_TRUE(std::isnan(none[0]));
}

TEST(Maps, KMeansFindsTheOptimalPartition) {
  // Three blobs of 4 points in the plane: the k-means partition equals the one of least within-cluster sum of
  // squares found by enumerating all 3¹² assignments, and the centroids are its cluster means.
  std::mt19937_64 rng(5);
  std::normal_distribution<double> n(0, 0.35);
  const double cx[3] = {0, 2, 1}, cy[3] = {0, 0, 1.7};
  std::vector<std::vector<double>> pts;
  for (int i = 0; i < 12; ++i) pts.push_back({cx[i % 3] + n(rng), cy[i % 3] + n(rng)});
  auto cost_of = [&](const std::vector<int>& a) {
    double sx[3] = {0, 0, 0}, sy[3] = {0, 0, 0}, c[3] = {0, 0, 0}, cost = 0;
    for (size_t i = 0; i < pts.size(); ++i) {
      sx[a[i]] += pts[i][0];
      sy[a[i]] += pts[i][1];
      c[a[i]] += 1;
    }
    for (size_t i = 0; i < pts.size(); ++i)
      cost += std::pow(pts[i][0] - sx[a[i]] / c[a[i]], 2) + std::pow(pts[i][1] - sy[a[i]] / c[a[i]], 2);
    return cost;
  };
  double best = 1e300;
  std::vector<int> a(12, 0), best_a;
  for (int code = 0; code < 531441; ++code) {
    int x = code, used = 0;
    for (int i = 0; i < 12; ++i) {
      a[static_cast<size_t>(i)] = x % 3;
      used |= 1 << (x % 3);
      x /= 3;
    }
    if (used != 7) continue;
    const double c = cost_of(a);
    if (c < best) {
      best = c;
      best_a = a;
    }
  }
  std::vector<std::vector<double>> cent;
  const std::vector<int> got = kmeans(pts, 3, 1, 10, &cent);
  EXPECT_NEAR(cost_of(got), best, 1e-12);
  // Same partition up to the numbering; numbering canonical (clusters in the order of their first point).
  for (size_t i = 0; i < 12; ++i)
    for (size_t j = 0; j < 12; ++j) EXPECT_EQ(got[i] == got[j], best_a[i] == best_a[j]) << i << " " << j;
  EXPECT_EQ(got[0], 0);
  for (int q = 0; q < 3; ++q) {
    double mx = 0, my = 0, c = 0;
    for (size_t i = 0; i < 12; ++i)
      if (got[i] == q) {
        mx += pts[i][0];
        my += pts[i][1];
        c += 1;
      }
    EXPECT_NEAR(cent[static_cast<size_t>(q)][0], mx / c, 1e-12);
    EXPECT_NEAR(cent[static_cast<size_t>(q)][1], my / c, 1e-12);
  }
  EXPECT_EQ(kmeans(pts, 3, 1, 10), got);  // deterministic
  EXPECT_EQ(kmeans(pts, 1, 1, 1), std::vector<int>(12, 0));
}

TEST(Maps, KMeansRejectsBadInput) {
  const std::vector<std::vector<double>> pts = {{0, 0}, {1, 1}, {1, 1}};
  EXPECT_THROW(kmeans(pts, 0), std::invalid_argument);
  EXPECT_THROW(kmeans(pts, 3), std::invalid_argument);  // two distinct points
  EXPECT_THROW(kmeans({{0, 0}, {1}}, 1), std::invalid_argument);
  try {
    kmeans({{0, 0}, {1, std::nan("")}}, 2);
    FAIL() << "NaN accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("point 1"), std::string::npos) << e.what();
  }
}
