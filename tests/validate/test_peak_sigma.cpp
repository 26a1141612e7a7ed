// Peak positions with error bars: the propagated σ of refined ePDF peak positions (the full 003 chain on a
// Poisson-noisy profile of the agZIF-4 RMC model) against the spread of 300 Monte-Carlo realisations.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <random>
#include <string>
#include <vector>

#include "fixtures/error_message.hpp"
#include "sedpdf/reduce/chain.hpp"
#include "sedpdf/simulate/partial_pdf.hpp"
#include "sedpdf/simulate/total_scattering.hpp"
#include "sedpdf/structures/io.hpp"
#include "sedpdf/validate/peaks.hpp"

using namespace sedpdf;
using sedpdf::test_fixtures::invalid_argument_message;

TEST(PeakSigma, PropagatedPositionSigmaMatchesPoissonMonteCarlo) {
  const Structure st = read_structure(std::string(SEDPDF_REPO_DATA) + "/structures/agZIF-4_RMC_Castel2023.extxyz");
  PartialPdfOptions po;
  po.r_max = 20.0;
  po.dr = 0.01;
  const PartialPdfs partials = compute_partial_pdfs(st, po);
  std::vector<double> s;
  for (int k = 1; k <= 254; ++k) s.push_back(0.011 * k);  // the 003 detector's bins up to 2.8 Å⁻¹
  const TotalScattering ts = total_scattering(partials, LobatoFactors(), s, true);
  // A low-dose region: N atoms' worth of counts so that peak positions scatter by ~0.01 Å.
  const double N = 3.0e3, C = 1.0;
  std::vector<double> mean(s.size());
  for (std::size_t i = 0; i < s.size(); ++i)
    mean[i] = N * ts.f2_mean[i] + N * ts.f_mean[i] * ts.f_mean[i] * (ts.S[i] - 1.0) + C;
  ReductionParams p;
  p.composition = Composition::of(st);
  p.damping = parse_damping("exp:0.6");
  const ChainPlan plan(s, p);
  const std::vector<double> r = plan.reduce(mean, &mean).r;
  auto reduce = [&](const std::vector<double>& I) { return plan.reduce(I, &mean).G; };
  // The Zn–N shell (~2.0 Å), the ring C–N (~1.35 Å) and the Zn–C ~3 Å peak of the noise-free curve.
  const std::vector<double> G0 = reduce(mean);
  const std::vector<double> positions{nearest_peak(r, G0, 1.35, {1.2, 1.5}).position, nearest_peak(r, G0, 2.0, {1.85, 2.15}).position,
                                      nearest_peak(r, G0, 3.0, {2.85, 3.15}).position};
  const std::vector<double> sig = propagated_peak_sigmas(reduce, r, mean, mean, positions);
  std::mt19937_64 rng(20261121);
  const int trials = 300;
  std::vector<double> sum(positions.size(), 0.0), sum2(positions.size(), 0.0);
  std::vector<double> I(mean.size());
  for (int t = 0; t < trials; ++t) {
    for (std::size_t i = 0; i < mean.size(); ++i) I[i] = static_cast<double>(std::poisson_distribution<long>(mean[i])(rng));
    const std::vector<double> G = reduce(I);
    for (std::size_t k = 0; k < positions.size(); ++k) {
      const double x = nearest_peak(r, G, positions[k], {positions[k] - 0.15, positions[k] + 0.15}).position;
      sum[k] += x;
      sum2[k] += x * x;
    }
  }
  for (std::size_t k = 0; k < positions.size(); ++k) {
    const double m = sum[k] / trials, sd = std::sqrt((sum2[k] / trials - m * m) * trials / (trials - 1.0));
    std::printf("[peak sigma] %.3f A: propagated %.4f A, Monte Carlo %.4f A (mean shift %+.4f)\n", positions[k], sig[k], sd,
                m - positions[k]);
    EXPECT_GT(sig[k], 0.0);
    // 300 trials: the sample σ is known to ±4 %; the linearisation adds a little.
    EXPECT_NEAR(sd / sig[k], 1.0, 0.15) << positions[k];
  }
}

TEST(PeakSigma, BadInputIsNamed) {
  const std::vector<double> x{0, 1, 2, 3, 4}, I{1, 2, 3}, v{1, 1};
  auto id = [](const std::vector<double>&) { return std::vector<double>{0, 1, 3, 1, 0}; };
  EXPECT_NE(invalid_argument_message([&] { propagated_peak_sigmas(id, x, I, v, {2.0}); }).find("2 variances for 3"),
            std::string::npos);
  EXPECT_NE(invalid_argument_message([&] { propagated_peak_sigmas(id, x, I, {1, 1, 1}, {2.0}, 0); }).find("half_window"),
            std::string::npos);
  auto short_curve = [](const std::vector<double>&) { return std::vector<double>{0, 1, 0}; };
  EXPECT_NE(invalid_argument_message([&] { propagated_peak_sigmas(short_curve, x, I, {1, 1, 1}, {2.0}); }).find("3 values for 5"),
            std::string::npos);
}
