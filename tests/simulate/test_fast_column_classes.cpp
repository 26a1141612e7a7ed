// Fast model, column classes at laterally inhomogeneous positions (fast_model.hpp, physics 4c): every electron
// is attenuated and plurally (and inelastically) scattered by the column it crosses, so a probe on an edge-on
// interface gives the intensity-weighted SUM of the two uniform columns' patterns — not the pattern of the
// probe-averaged column, whose plural terms hold cross terms p_A ⊛ p_B that no electron suffers and whose
// attenuation e^{−x̄} misses Jensen's excess Σ w_c e^{−x_c} − e^{−x̄}. Checked against the uniform-column
// code path (an independent evaluation: no map, no classes), with plural scattering on and off and with the
// plasmon and incoherent terms on; the class bookkeeping on a wedge; switches and bad parameters.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

#include "fixtures/fast_model_setup.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fast_model.hpp"

using namespace sedpdf;

namespace {

using test_fixtures::interface_map;  // material 0 (t0 Å) | material 1 (t1 Å), the probe on the interface

/// MIP and envelope off: the beam is the disc and the pair terms are the bulk ones, so the classes are the only
/// difference from the probe-averaged column.
FastModelParams classes_only(bool plural) {
  FastModelParams p = test_fixtures::fast_test_params();
  p.mean_inner_potential = false;
  p.domain_envelope = false;
  p.column_classes = true;  // an option, off by default
  p.plural = plural;
  return p;
}

const DetectorModel& detector() {
  static const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  return det;
}

}  // namespace

TEST(FastColumnClasses, InterfaceIsTheWeightedSumOfItsColumns) {
  for (bool plural : {true, false}) {
    const FastModel fm(test_fixtures::fast_test_materials(), classes_only(plural), detector());
    ASSERT_TRUE(fm.params().inelastic.plasmon && fm.params().inelastic.incoherent);
    const ColumnMap map = interface_map(600, 400);
    const BeamDistribution bd = fm.beam(map);
    ASSERT_EQ(bd.class_weight.size(), 2u);
    // The probe is centred between sample columns 127 and 128: half its intensity on each side.
    EXPECT_NEAR(bd.class_weight[0] + bd.class_weight[1], 1.0, 1e-12);
    EXPECT_NEAR(bd.class_weight[0], 0.5, 1e-9);
    // Classes in key order: (0, 400) then (600, 0); each exactly its side's thicknesses.
    const std::vector<double> side1 = bd.class_t[0], side0 = bd.class_t[1];
    EXPECT_NEAR(side0[0], 600, 1e-9);
    EXPECT_NEAR(side0[1], 0, 1e-12);
    EXPECT_NEAR(side1[0], 0, 1e-12);
    EXPECT_NEAR(side1[1], 400, 1e-9);
    std::vector<double> tot, coh, tot0, coh0, tot1, coh1, tot_avg, coh_avg;
    fm.annuli(bd, tot, coh);
    fm.annuli(side0, tot0, coh0);
    fm.annuli(side1, tot1, coh1);
    fm.annuli(bd.mean_t, tot_avg, coh_avg);
    const double w0 = bd.class_weight[1], w1 = bd.class_weight[0];
    // Exact but for the Hankel transform's Gaussian split at q = 0 (its width comes from Î's own curvature,
    // so the transform of a sum differs from the sum of transforms at the O(dq⁶) level): per annulus within
    // 1e-4 of its value where it holds ≥ 1e-6 of the electrons, and 1e-7 of all electrons anywhere (measured
    // 2.4e-5 and 1.7e-8; the probe-averaged column differs by 0.7 % of the electrons).
    double max_rel = 0, max_abs = 0, max_rel_coh = 0, dev_avg = 0, sum = 0;
    for (size_t b = 0; b < tot.size(); ++b) {
      const double expect = w0 * tot0[b] + w1 * tot1[b];
      const double expect_coh = w0 * coh0[b] + w1 * coh1[b];
      sum += expect;
      if (expect > 1e-6) max_rel = std::max(max_rel, std::fabs(tot[b] - expect) / expect);
      max_abs = std::max(max_abs, std::fabs(tot[b] - expect));
      if (expect_coh > 1e-6) max_rel_coh = std::max(max_rel_coh, std::fabs(coh[b] - expect_coh) / expect_coh);
      dev_avg += std::fabs(tot_avg[b] - expect);
    }
    std::printf("plural %d: classes vs weighted sum max rel %.2e (abs %.2e); probe-averaged column off by %.3g of %.3g\n",
                static_cast<int>(plural), max_rel, max_abs, dev_avg, sum);
    EXPECT_LT(max_rel, 1e-4) << "plural " << plural;
    EXPECT_LT(max_abs, 1e-7) << "plural " << plural;
    EXPECT_LT(max_rel_coh, 1e-12) << "plural " << plural;
    // The probe-averaged column differs (by the cross terms and Jensen's excess): visibly, not hugely.
    EXPECT_GT(dev_avg, 1e-4 * sum) << "plural " << plural;
    EXPECT_LT(dev_avg, 0.05 * sum) << "plural " << plural;
    // Jensen: more electrons stay in the undiffracted disc (first annuli) than e^{−x̄} says.
    EXPECT_GT(tot[0], tot_avg[0]) << "plural " << plural;
  }
}

TEST(FastColumnClasses, WedgeBookkeepingAndSwitches) {
  const FastModel fm(test_fixtures::fast_test_materials(), classes_only(true), detector());
  // A wedge of material 0, 100 → 355 Å across the window, on a uniform 50 Å of material 1.
  ColumnMap map = interface_map(0, 0);
  const size_t n = map.n;
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < n; ++j) {
      map.t[0][i * n + j] = 100 + static_cast<double>(j);
      map.t[1][i * n + j] = 50;
    }
  const BeamDistribution bd = fm.beam(map);
  // 20 Å classes of material 0 (100 … 355 Å: keys 5 … 18), material 1 one key: 14 classes.
  EXPECT_EQ(bd.class_weight.size(), 14u);
  EXPECT_NEAR(std::accumulate(bd.class_weight.begin(), bd.class_weight.end(), 0.0), 1.0, 1e-12);
  for (size_t m = 0; m < 2; ++m) {
    double mean = 0;
    for (size_t c = 0; c < bd.class_weight.size(); ++c) mean += bd.class_weight[c] * bd.class_t[c][m];
    EXPECT_NEAR(mean, bd.mean_t[m], 1e-9 * bd.mean_t[m]) << m;
  }
  for (const auto& t : bd.class_t) EXPECT_NEAR(t[1], 50, 1e-9);
  // A probe-averaged thickness given by the caller is kept: the classes are rescaled to it.
  ColumnMap given = map;
  given.mean_t = {0.9 * bd.mean_t[0], 50};
  const BeamDistribution bg = fm.beam(given);
  double mean0 = 0;
  for (size_t c = 0; c < bg.class_weight.size(); ++c) mean0 += bg.class_weight[c] * bg.class_t[c][0];
  EXPECT_NEAR(mean0, given.mean_t[0], 1e-9 * mean0);
  // Uniform maps and column_classes = false (the default): no classes, the probe-averaged column's pattern.
  ColumnMap uni = map;
  for (auto& t : uni.t) std::fill(t.begin(), t.end(), 120.0);
  EXPECT_TRUE(fm.beam(uni).class_weight.empty());
  EXPECT_FALSE(FastModelParams{}.column_classes);
  FastModelParams off = classes_only(true);
  off.column_classes = false;
  const FastModel fm_off(test_fixtures::fast_test_materials(), off, detector());
  const BeamDistribution b_off = fm_off.beam(map);
  EXPECT_TRUE(b_off.class_weight.empty());
  std::vector<double> t_map, c_map, t_avg, c_avg;
  fm_off.annuli(b_off, t_map, c_map);
  fm_off.annuli(b_off.mean_t, t_avg, c_avg);
  ASSERT_EQ(t_map.size(), t_avg.size());
  for (size_t b = 0; b < t_map.size(); ++b) EXPECT_EQ(t_map[b], t_avg[b]) << b;
}

TEST(FastColumnClasses, BadParametersAndClasses) {
  FastModelParams p = classes_only(true);
  p.column_class_A = 0;
  try {
    const FastModel fm(test_fixtures::fast_test_materials(), p, detector());
    FAIL() << "column_class_A = 0 accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("column_class_A"), std::string::npos) << e.what();
  }
  const FastModel fm(test_fixtures::fast_test_materials(), classes_only(true), detector());
  BeamDistribution bd = fm.beam(interface_map(300, 300));
  ASSERT_EQ(bd.class_t.size(), 2u);
  bd.class_t[0].push_back(1.0);  // three thicknesses for two materials
  std::vector<double> tot, coh;
  EXPECT_THROW(fm.annuli(bd, tot, coh), std::invalid_argument);
  bd = fm.beam(interface_map(300, 300));
  bd.class_t[1][0] = -5;
  EXPECT_THROW(fm.annuli(bd, tot, coh), std::invalid_argument);
}
