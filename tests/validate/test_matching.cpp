// Optimal assignment (Hungarian) against brute force; component matching with permutation and sign.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "sedpdf/validate/matching.hpp"

using namespace sedpdf;

TEST(Matching, HungarianEqualsBruteForceOnRandomMatrices) {
  std::mt19937_64 rng(20261121);
  std::uniform_real_distribution<double> u(-1, 1);
  std::uniform_int_distribution<int> dim(1, 6);
  for (int t = 0; t < 400; ++t) {
    const int rows = dim(rng), cols = dim(rng);
    std::vector<std::vector<double>> s(static_cast<size_t>(rows), std::vector<double>(static_cast<size_t>(cols)));
    for (auto& r : s)
      for (auto& v : r) v = (t % 3 == 0) ? std::round(u(rng) * 3) : u(rng);  // ties every third matrix
    const auto h = solve_assignment(s);
    const auto b = solve_assignment_brute_force(s);
    ASSERT_EQ(h.size(), static_cast<size_t>(rows));
    EXPECT_NEAR(assignment_score(s, h), assignment_score(s, b), 1e-12) << "trial " << t;
    // a valid injective assignment with min(rows, cols) pairs
    std::vector<int> used(static_cast<size_t>(cols), 0);
    int made = 0;
    for (int c : h)
      if (c >= 0) {
        ++made;
        EXPECT_EQ(++used[static_cast<size_t>(c)], 1);
      }
    EXPECT_EQ(made, std::min(rows, cols));
  }
}

TEST(Matching, ComponentsMatchedWithPermutationAndSign) {
  std::vector<double> x;
  std::vector<std::vector<double>> ref(3);
  for (int i = 0; i < 900; ++i) {
    const double r = 1.0 + i * 0.01;
    x.push_back(r);
    ref[0].push_back(std::exp(-std::pow((r - 2.0) / 0.1, 2)) - 0.3 * std::exp(-std::pow((r - 3.1) / 0.2, 2)));
    ref[1].push_back(std::sin(2.1 * r) * std::exp(-0.1 * r));
    ref[2].push_back(std::exp(-std::pow((r - 6.0) / 0.3, 2)) + 0.5 * std::exp(-std::pow((r - 1.5) / 0.1, 2)));
  }
  std::mt19937_64 rng(7);
  std::normal_distribution<double> n(0, 0.02);
  // components: ref2 flipped, ref0 scaled, ref1 with a 10 % admixture of ref2, all noisy
  std::vector<std::vector<double>> comp(3);
  for (size_t i = 0; i < x.size(); ++i) {
    comp[0].push_back(-ref[2][i] + n(rng));
    comp[1].push_back(3 * ref[0][i] + n(rng));
    comp[2].push_back(ref[1][i] + 0.1 * ref[2][i] + n(rng));
  }
  const ComponentMatch m = match_components(x, comp, ref, {1.5, 10});
  EXPECT_EQ(m.reference_of_component, (std::vector<int>{2, 0, 1}));
  EXPECT_EQ(m.sign, (std::vector<int>{-1, 1, 1}));
  for (double c : m.correlation) EXPECT_GT(c, 0.9);
  // fewer components than references: the best-matching one is kept
  const ComponentMatch m1 = match_components(x, {comp[1]}, ref, {1.5, 10});
  EXPECT_EQ(m1.reference_of_component[0], 0);
  // more components than references: one is unmatched
  const ComponentMatch m2 = match_components(x, comp, {ref[1]}, {1.5, 10});
  EXPECT_EQ(m2.reference_of_component, (std::vector<int>{-1, -1, 0}));
  EXPECT_TRUE(std::isnan(m2.correlation[0]));
}

TEST(Matching, MatchedReferencePearsonIsPerReference) {
  // Components: reference 1 flipped, then 0.9·reference 0 + a little of reference 1; an unmatched third reference.
  std::vector<double> x, a, b, c;
  for (int i = 0; i < 400; ++i) {
    const double r = 0.5 + 0.03 * i;
    x.push_back(r);
    a.push_back(std::sin(2.0 * r) * std::exp(-0.1 * r));
    b.push_back(std::cos(3.3 * r) * std::exp(-0.2 * r));
    c.push_back(std::exp(-std::pow(r - 4.0, 2)));
  }
  Eigen::MatrixXd comp(2, 400);
  for (int j = 0; j < 400; ++j) {
    comp(0, j) = -b[static_cast<size_t>(j)];
    comp(1, j) = 0.9 * a[static_cast<size_t>(j)] + 0.1 * b[static_cast<size_t>(j)];
  }
  const Window w{1.5, 10.0};
  const std::vector<double> got = matched_reference_pearson(x, comp, {a, b, c}, w);
  ASSERT_EQ(got.size(), 3u);
  std::vector<double> c1(400);
  for (int j = 0; j < 400; ++j) c1[static_cast<size_t>(j)] = comp(1, j);
  EXPECT_NEAR(got[0], pearson(x, c1, a, w), 1e-14);
  EXPECT_NEAR(got[1], 1.0, 1e-14);  // the flipped component, sign-corrected
  EXPECT_TRUE(std::isnan(got[2]));
  EXPECT_THROW(matched_reference_pearson(std::vector<double>(x.begin(), x.end() - 1), comp, {a, b}, w), std::invalid_argument);
}
