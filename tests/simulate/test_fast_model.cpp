// Fast statistical forward model: Hankel machinery (analytic transform, conservation), kinematic limit,
// plural-scattering fractions, speckle statistics, determinism at any thread count, bad input.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <numeric>
#include <set>

#include "fixtures/fast_model_setup.hpp"
#include "fixtures/two_phase_specimen.hpp"
#include "sedpdf/simulate/bessel.hpp"
#include "sedpdf/simulate/electron_optics.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/constants.hpp"
#include "sedpdf/structures/h5.hpp"

using namespace sedpdf;
namespace fs = std::filesystem;

TEST(FastModel, HankelTransformOfGaussianIsAnalytic) {
  // f(s) = exp(−s²/(2σ²)) → f̂(q) = 2πσ² exp(−2π²σ²q²).
  const double sigma = 0.3, h = 0.002;
  std::vector<double> f(3000);
  for (size_t k = 0; k < f.size(); ++k) f[k] = std::exp(-std::pow(static_cast<double>(k) * h, 2) / (2 * sigma * sigma));
  const std::vector<double> q = {0.0, 0.5, 1.0, 2.0};
  const auto fh = hankel_transform(f, h, q);
  for (size_t j = 0; j < q.size(); ++j) {
    const double ref = 2 * kPi * sigma * sigma * std::exp(-2 * kPi * kPi * sigma * sigma * q[j] * q[j]);
    EXPECT_NEAR(fh[j], ref, 1e-9) << q[j];
  }
}

TEST(FastModel, MaterialsAndConservation) {
  const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  FastModelParams p = test_fixtures::fast_test_params();
  p.inelastic.incoherent = false;
  const FastModel fm(test_fixtures::fast_test_materials(), p, det);
  ASSERT_EQ(fm.n_materials(), 2u);
  for (size_t m = 0; m < 2; ++m) {
    const auto& inf = fm.material(m);
    EXPECT_GT(inf.mfp_elastic_A, 200) << inf.name;   // hundreds of Å to µm at 200 kV
    EXPECT_LT(inf.mfp_elastic_A, 20000) << inf.name;
    EXPECT_GT(inf.mfp_plasmon_A, 300) << inf.name;
  }
  // Zn-rich material scatters more strongly per atom: shorter elastic MFP per atom density.
  EXPECT_LT(fm.material(1).mfp_elastic_A * fm.material(1).number_density,
            fm.material(0).mfp_elastic_A * fm.material(0).number_density);
  // No specimen: the disc alone; everything lands on the 2.9 Å⁻¹ wide detector.
  for (double t : {0.0, 300.0}) {
    std::vector<double> tot, coh, frac;
    fm.annuli({t, 0.0}, tot, coh);
    double sum = std::accumulate(tot.begin(), tot.end(), 0.0);
    // What scatters beyond the detector corner (s > 2.04 Å⁻¹ along the edges) is lost; the thin case keeps all.
    if (t == 0) {
      EXPECT_NEAR(sum, 1.0, 2e-3);
    }
    fm.mean_pattern({t, 0.0}, frac);
    const double psum = std::accumulate(frac.begin(), frac.end(), 0.0);
    EXPECT_GT(psum, 0.97);
    EXPECT_LE(psum, sum + 2e-3);
  }
}

TEST(FastModel, KinematicLimitMatchesSingleScattering) {
  const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  FastModelParams p = test_fixtures::fast_test_params();
  p.inelastic.plasmon = false;
  p.inelastic.incoherent = false;
  const FastModel fm(test_fixtures::fast_test_materials(), p, det);
  const double t = 10;  // Å: x ≈ 0.005
  std::vector<double> tot, coh;
  fm.annuli({t, 0.0}, tot, coh);
  const auto& inf = fm.material(0);
  const auto& e = fm.annulus_edges();
  // Independent: ρ(γλ)²[⟨f²⟩ + ⟨f⟩²(S − 1)] from the scattering factors and the model S(s).
  const auto sf = make_scattering_factors(Radiation::Electron);
  const Composition comp = Composition::of(test_fixtures::oxide_model());
  const double gl = lorentz_factor(200e3) * electron_wavelength(200e3);
  for (double s0 : {0.4, 0.8, 1.3, 1.9}) {
    // Sum 3 annuli (0.09 Å⁻¹) around s0.
    double got = 0, want = 0;
    const size_t b0 = static_cast<size_t>(s0 / (e[1] - e[0]));
    for (size_t b = b0; b < b0 + 3; ++b) {
      got += tot[b];
      for (int k = 0; k < 10; ++k) {
        const double s = e[b] + (k + 0.5) * (e[b + 1] - e[b]) / 10;
        const FAverages fa = composition_averages(*sf, comp, s);
        const size_t i = static_cast<size_t>(s / (inf.s[1] - inf.s[0]));
        const double S = inf.S[i];
        want += t * inf.number_density * gl * gl * (fa.f2_mean + fa.f_mean * fa.f_mean * (S - 1)) * 2 * kPi * s *
                (e[b + 1] - e[b]) / 10;
      }
    }
    EXPECT_NEAR(got / want, 1.0, 0.03) << s0;
  }
}

TEST(FastModel, PluralScatteringFractionIsPoisson) {
  const DetectorModel det(test_fixtures::fast_test_detector(160, 0.03), electron_wavelength(200e3));
  FastModelParams p = test_fixtures::fast_test_params();
  p.inelastic.plasmon = false;
  p.inelastic.incoherent = false;
  const FastModel fm(test_fixtures::fast_test_materials(), p, det);
  const double lam = fm.material(0).mfp_elastic_A;
  for (double x : {0.3, 1.0, 2.0}) {
    std::vector<double> tot, coh;
    fm.annuli({x * lam, 0.0}, tot, coh);
    // Unscattered: the disc (s_α = 0.024 Å⁻¹) inside 0.06 Å⁻¹; e^{−x} of the electrons
    // plus the little scattered there.
    const auto& e = fm.annulus_edges();
    double inner = 0;
    for (size_t b = 0; e[b + 1] <= 0.0601; ++b) inner += tot[b];
    EXPECT_NEAR(inner, std::exp(-x), 0.02 * std::exp(-x) + 0.01) << x;
    // The coherent (speckle-carrying) part is the singly scattered fraction x e^{−x}, minus what falls
    // inside the inner annuli and off the detector.
    const double c = std::accumulate(coh.begin(), coh.end(), 0.0);
    EXPECT_NEAR(c, x * std::exp(-x), 0.1 * x * std::exp(-x)) << x;
  }
}

TEST(FastModel, MixedColumnsMixNonLinearly) {
  const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  const FastModel fm(test_fixtures::fast_test_materials(), test_fixtures::fast_test_params(), det);
  auto excess = [&](double t) {
    std::vector<double> a, b, m, c;
    fm.annuli({t, 0}, a, c);
    fm.annuli({0, t}, b, c);
    fm.annuli({t / 2, t / 2}, m, c);
    double d = 0, n = 0;
    for (size_t k = 10; k < a.size(); ++k) {
      d += std::fabs(m[k] - 0.5 * (a[k] + b[k]));
      n += m[k];
    }
    return d / n;
  };
  const double thin = excess(20), thick = excess(3000);
  EXPECT_LT(thin, 0.01);
  EXPECT_GT(thick, 3 * thin);
}

TEST(FastModel, SpeckleStatistics) {
  DetectorSpec ds = test_fixtures::fast_test_detector(128, 0.011);
  const DetectorModel det(ds, electron_wavelength(200e3));
  FastModelParams p = test_fixtures::fast_test_params();
  p.inelastic.incoherent = false;
  const FastModel fm(test_fixtures::fast_test_materials(), p, det);
  const std::vector<double> t = {200, 0};
  // Profile mode: over positions a bin's expected counts have mean smooth + coherent and variance
  // coherent² / (M · grains) (a sum of `grains` independent Gamma(M) speckles; M = 1 for a coherent probe).
  std::vector<double> smooth, coh, e;
  fm.profile_parts(t, smooth, coh);
  for (size_t b : {20u, 40u, 80u}) {
    const double grains = fm.bin_speckle_grains(b, t);
    // Grains: bin area × n_z / (π s_α²), n_z = 1 + 2λ s s_α t.
    const double lambda = electron_wavelength(200e3), sa = 0.6e-3 / lambda;
    const double nz = 1 + 2 * lambda * fm.bin_s()[b] * sa * 200;
    EXPECT_NEAR(grains, std::max(1.0, fm.bin_pixels()[b] * 0.011 * 0.011 * nz / (kPi * sa * sa)), 1e-9);
    double s1 = 0, s2 = 0;
    const int n = 2000;
    for (int k = 0; k < n; ++k) {
      fm.profile_expected(t, 7, static_cast<uint64_t>(k), e);
      s1 += e[b];
      s2 += e[b] * e[b];
    }
    const double mean = s1 / n, var = s2 / n - mean * mean;
    const double want_var = coh[b] * coh[b] / grains;
    EXPECT_NEAR(mean, smooth[b] + coh[b], 4 * std::sqrt(want_var / n)) << b;
    EXPECT_NEAR(var / want_var, 1.0, 0.12) << b;
  }
  // 2-D: the speckle multiplies the coherent part by factors of mean 1: the average of many speckled
  // patterns approaches the speckle-free one (here summed over a band of annuli).
  std::vector<double> f, f0, acc;
  fm.mean_pattern(t, f0);
  acc.assign(f0.size(), 0.0);
  for (int k = 0; k < 40; ++k) {
    fm.pattern(t, 3, static_cast<uint64_t>(k), f);
    for (size_t q = 0; q < f.size(); ++q) acc[q] += f[q] / 40;
  }
  double band = 0, band0 = 0, dev = 0;
  for (size_t i = 0; i < 128; ++i)
    for (size_t j = 0; j < 128; ++j) {
      const double r = std::hypot(double(i) - 63.5, double(j) - 63.5);
      if (r > 20 && r < 60) {
        band += acc[i * 128 + j];
        band0 += f0[i * 128 + j];
        dev += std::pow(f[i * 128 + j] - f0[i * 128 + j], 2);
      }
    }
  EXPECT_NEAR(band / band0, 1.0, 0.02);
  EXPECT_GT(dev, 0);  // one pattern is speckled
}

TEST(FastModel, DeterministicAtAnyThreadCount) {
  const Specimen sp(test_fixtures::two_phase_spec(200, 300));
  DetectorSpec ds = test_fixtures::fast_test_detector(48, 0.05);
  ds.step_A = 20;
  const DetectorModel det(ds, electron_wavelength(200e3));
  // Every window meets the interface (x = 100 Å) or the field edge: all positions take the mean-inner-
  // potential path, determinism included; a small MIP window (80 Å, 168² maps) keeps the test fast.
  FastModelParams prm = test_fixtures::fast_test_params();
  prm.mip_window_A = 80;
  const FastModel fm(test_fixtures::fast_test_materials(), prm, det);
  ScanSpec sc;
  sc.x0_A = 40;
  sc.y0_A = 40;
  sc.step_A = 20;
  sc.nx = 8;  // x = 40 .. 180 Å: the probe footprint (FWHM 10 Å) stays inside the 200 Å field
  sc.ny = 3;
  const fs::path dir = fs::temp_directory_path() / "sedpdf_test_fast";
  fs::create_directories(dir);
  std::vector<std::vector<double>> counts;
  std::vector<std::vector<double>> profiles;
  for (int threads : {1, 2}) {
    FastPatternSource src(fm, sp, sc, {0, 1}, -1, 10, 11);
    ScanOptions opt;
    opt.seed = 11;
    opt.threads = threads;
    const std::string path = (dir / ("fast_t" + std::to_string(threads) + ".h5")).string();
    fs::remove(path);
    fs::remove(path + ".partial");
    run_scan(sc, src, det, &sp, {path}, opt);
    counts.push_back(H5Reader(path).read("/data/counts/data"));
    const std::string ppath = (dir / ("prof_t" + std::to_string(threads) + ".h5")).string();
    run_profile_scan(sc, src, fm, ppath, opt, &sp);
    profiles.push_back(H5Reader(ppath).read("/profiles/counts"));
    // Oxide on the left, zinc on the right: the thickness seen by the source.
    EXPECT_NEAR(src.thickness(0, 0)[0], 300, 1e-6);
    EXPECT_NEAR(src.thickness(0, 7)[1], 300, 1e-6);
    EXPECT_TRUE(src.inhomogeneous(1, 3) && src.inhomogeneous(1, 7));  // the interface; the field edge
  }
  EXPECT_EQ(counts[0], counts[1]);
  EXPECT_EQ(profiles[0], profiles[1]);
  // Profile counts = Σ of Poisson pixel counts: the scan totals agree within Poisson error.
  H5Reader h((dir / "fast_t1.h5").string());
  const double c2d = std::accumulate(counts[0].begin(), counts[0].end(), 0.0);
  const double c1d = std::accumulate(profiles[0].begin(), profiles[0].end(), 0.0);
  EXPECT_NEAR(c1d / c2d, 1.0, 5 / std::sqrt(c2d) + 0.01);
}

TEST(FastModel, BatchEqualsSingle) {
  const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  const FastModel fm(test_fixtures::fast_test_materials(), test_fixtures::fast_test_params(), det);
  const std::vector<std::vector<double>> ts = {{100, 0}, {0, 250}, {300, 700}};
  std::vector<std::vector<double>> eb;
  fm.profile_expected_batch(ts, 5, {4, 9, 11}, eb);
  for (size_t i = 0; i < ts.size(); ++i) {
    std::vector<double> e;
    fm.profile_expected(ts[i], 5, i == 0 ? 4 : (i == 1 ? 9 : 11), e);
    ASSERT_EQ(e.size(), eb[i].size());
    for (size_t b = 0; b < e.size(); ++b) EXPECT_NEAR(e[b], eb[i][b], 1e-9 * (1 + e[b]));
  }
}

TEST(FastModel, BadInput) {
  const DetectorModel det(test_fixtures::fast_test_detector(), electron_wavelength(200e3));
  EXPECT_THROW(FastModel({}, test_fixtures::fast_test_params(), det), std::invalid_argument);
  const FastModel fm(test_fixtures::fast_test_materials(), test_fixtures::fast_test_params(), det);
  std::vector<double> a, b;
  EXPECT_THROW(fm.annuli({1.0}, a, b), std::invalid_argument);
  EXPECT_THROW(fm.annuli({-1.0, 0.0}, a, b), std::invalid_argument);
  FastModelParams p = test_fixtures::fast_test_params();
  p.probe.alpha_mrad = 0;
  EXPECT_THROW(FastModel(test_fixtures::fast_test_materials(), p, det), std::invalid_argument);
}

TEST(FastModel, BesselFunctionsMatchStandardLibrary) {
  for (double x = 0; x < 400; x += 0.173) {
    EXPECT_NEAR(bessel_j0(x), std::cyl_bessel_j(0.0, x), 1e-12) << x;
    EXPECT_NEAR(bessel_j1(x), std::cyl_bessel_j(1.0, x), 1e-12) << x;
  }
  EXPECT_NEAR(bessel_j1(-2.5), -std::cyl_bessel_j(1.0, 2.5), 1e-14);
}

#include "sedpdf/simulate/multislice.hpp"

// Against multislice (independent physics: projected potentials, Fresnel propagation, frozen phonons) on an
// amorphous slab of the oxide model: plane-wave multislice through 5 independent 24 Å RSA cubes stacked along
// the beam (no periodicity along z within the thickness), U = 0.005 Å² in both, 2 phonon configurations;
// the fast model without inelastic scattering and with a negligible convergence angle. Azimuthal
// averages over 0.5 Å⁻¹ bands between 0.4 and 2.4 Å⁻¹ agree within 6 % (0.1 Å⁻¹ bins scatter by ±10 % from
// the finite number of reciprocal-lattice points of one 24 Å cell; docs/forward_models.md has the full table
// at 10 and 30 nm).
TEST(FastModel, AgreesWithMultisliceOnAThinAmorphousSlab) {
  const double box = 24;
  const size_t nst = 5, n = static_cast<size_t>(0.0694 * box * box * box);
  Structure slab;
  for (size_t k = 0; k < nst; ++k) {
    const Structure c = rsa_model({{Element::parse("O"), 2 * n / 3, 0.70}, {Element::parse("Si"), n / 3, 0.60}}, box,
                                  100 + k);
    for (Atom a : c.atoms) {
      a.pos.z += static_cast<double>(k) * box;
      slab.atoms.push_back(a);
    }
  }
  slab.cell = Cell::orthorhombic(box, box, box * static_cast<double>(nst));
  ProbeSpec pr;
  MultisliceParams mp;
  mp.plane_wave = true;
  mp.pixel_A = 0.1;
  mp.s_max = 3.0;
  mp.slice_thickness_A = 2.0;
  mp.thicknesses_A = {box * static_cast<double>(nst)};
  mp.phonons.configurations = 2;
  mp.phonons.default_u_A2 = 0.005;
  const PeriodicMultislice ms(slab, pr, mp);
  const std::vector<SimPattern> pats = ms.run(0, 0);
  const double t = ms.depths_A()[0];

  DetectorSpec d = test_fixtures::fast_test_detector(480, 0.011);
  const DetectorModel det(d, electron_wavelength(200e3));
  FastMaterial m;
  m.name = "oxide";
  m.model = rsa_model({{Element::parse("O"), 2 * n / 3, 0.70}, {Element::parse("Si"), n / 3, 0.60}}, box, 11);
  FastModelParams p;
  p.probe.alpha_mrad = 0.01;
  p.inelastic.plasmon = false;
  p.inelastic.incoherent = false;
  p.thermal_u_A2 = 0.005;
  p.pdf_r_max = box / 2 - 0.1;
  const FastModel fm({m}, p, det);
  std::vector<double> tot, coh;
  fm.annuli({t}, tot, coh);
  const auto& e = fm.annulus_edges();
  const SimPattern& sp = pats[0];
  for (double lo = 0.4; lo < 2.39; lo += 0.5) {
    const double hi = lo + 0.5;
    double ms_sum = 0, fast_sum = 0;
    for (size_t i = 0; i < sp.n; ++i)
      for (size_t j = 0; j < sp.n; ++j) {
        const double s = std::hypot(double(i) - double(sp.n / 2), double(j) - double(sp.n / 2)) * sp.dk;
        if (s >= lo && s < hi) ms_sum += sp.intensity[i * sp.n + j];
      }
    // The same band from the annuli (annulus centres inside the band).
    for (size_t b = 0; b + 1 < e.size(); ++b) {
      const double c = 0.5 * (e[b] + e[b + 1]);
      if (c >= lo && c < hi) fast_sum += tot[b];
    }
    EXPECT_NEAR(ms_sum / fast_sum, 1.0, 0.06) << "band " << lo << " … " << hi << " Å⁻¹ at t = " << t << " Å";
  }
}

// The fast model's inelastic events (continuous join: Lorentzian core to s_x, closure tail beyond) in Hankel
// space against the independent pixel-grid path (apply_inelastic, FFT convolution of pixel-integrated
// kernels) applied to the same model's pattern without inelastic scattering: ring means agree, and neither
// has a step at the hand-over.
TEST(FastModel, InelasticEventsMatchTheGridPath) {
  const size_t n = 96;
  const double ds = 0.03;
  const DetectorModel det(test_fixtures::fast_test_detector(n, ds), electron_wavelength(200e3));
  FastModelParams p = test_fixtures::fast_test_params();
  p.speckle = false;
  const FastModel with(test_fixtures::fast_test_materials(), p, det);
  FastModelParams q = p;
  q.inelastic.plasmon = q.inelastic.incoherent = false;
  const FastModel without(test_fixtures::fast_test_materials(), q, det);
  ASSERT_GT(with.material(0).inelastic_per_A, 0);
  ASSERT_LT(with.material(0).handover_s, 0.43);
  const std::vector<double> t = {600.0, 0.0};
  std::vector<double> a, b;
  with.mean_pattern(t, a);
  without.mean_pattern(t, b);
  ASSERT_EQ(a.size(), n * n);
  ReciprocalGrid g{n, n, ds, det.centre_x(), det.centre_y()};
  apply_inelastic(with.params().inelastic, t, g, b);
  const double sx = with.material(0).handover_s;
  double worst = 0;
  std::vector<double> ra, rb;
  for (double lo = 0.12; lo < 1.3; lo += 0.06) {
    double va = 0, vb = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        const double sv = std::hypot(det.pixel_sx(j), (double(i) - det.centre_y()) * ds);
        if (sv >= lo && sv < lo + 0.06) {
          va += a[i * n + j];
          vb += b[i * n + j];
        }
      }
    worst = std::max(worst, std::fabs(va / vb - 1));
    ra.push_back(va);
    rb.push_back(vb);
  }
  EXPECT_LT(worst, 0.02);
  // The same comparison with the cutoff join's fast model (Lorentzian cut at s_c, linear background): the
  // difference the test resolves.
  FastModelParams r = p;
  r.inelastic.join = InelasticJoin::Cutoff;
  const FastModel old(test_fixtures::fast_test_materials(), r, det);
  std::vector<double> c;
  old.mean_pattern(t, c);
  double worst_old = 0;
  for (size_t k = 0; k < rb.size(); ++k) {
    const double lo = 0.12 + 0.06 * double(k);
    double vc = 0;
    for (size_t i = 0; i < n; ++i)
      for (size_t j = 0; j < n; ++j) {
        const double sv = std::hypot(det.pixel_sx(j), (double(i) - det.centre_y()) * ds);
        if (sv >= lo && sv < lo + 0.06) vc += c[i * n + j];
      }
    worst_old = std::max(worst_old, std::fabs(vc / rb[k] - 1));
  }
  EXPECT_GT(worst_old, 3 * worst);
  std::printf("[inelastic] fast vs grid path, 600 Å oxide, rings 0.12–1.3 Å⁻¹: max |ratio − 1| = %.4f (cutoff join's "
              "fast model: %.4f); s_x = %.3f Å⁻¹\n", worst, worst_old, sx);
}
