// Tests of the atomic scattering factors and composition averages against published values, a second
// parameterisation (Lobato & Van Dyck 2014 vs Peng 1996) and hand-computed averages.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <string>
#include <unistd.h>

#include "sedpdf/simulate/scattering_factors.hpp"
#include "sedpdf/structures/error.hpp"

using namespace sedpdf;

namespace {

Element el(const char* sym) { return Element::parse(sym); }

/// A temporary file removed at scope exit.
struct TempFile {
  std::filesystem::path path;
  explicit TempFile(const std::string& name, const std::string& content) {
    path = std::filesystem::temp_directory_path() /
           ("sedpdf_test_" + std::to_string(::getpid()) + "_" + name);
    std::ofstream(path) << content;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove(path, ec);
  }
};

const char* kHeader =
    "# test table\n"
    "Z,symbol,a1,a2,a3,a4,a5,b1,b2,b3,b4,b5\n";

/// Constant f per element, to check the averages by hand.
class ConstantFactors final : public ScatteringFactors {
 public:
  double f(Element e, double) const override {
    if (e == Element::parse("Zn")) return 3.0;
    if (e == Element::parse("N")) return 1.0;
    throw std::invalid_argument("not tabulated");
  }
  bool has(Element e) const override { return e.z() == 30 || e.z() == 7; }
  std::string name() const override { return "constant"; }
  std::string units() const override { return "Å"; }
  Radiation radiation() const override { return Radiation::Electron; }
};

}  // namespace

// ------------------------------------------------------------------------------------------------
TEST(Lobato, ZincAtZeroIsTwiceSumOfA) {
  // Lobato & Van Dyck (2014) eq. (13) at s = 0: f = 2 Σ aᵢ; for Zn from the published table 6.0656 Å.
  LobatoFactors lo;
  const auto& c = lo.coefficients(el("Zn"));
  const double two_sum = 2 * (c[0] + c[1] + c[2] + c[3] + c[4]);
  EXPECT_NEAR(lo.f(el("Zn"), 0.0), 6.0656, 1e-4);
  EXPECT_NEAR(lo.f(el("Zn"), 0.0), two_sum, 1e-12);
  EXPECT_EQ(lo.units(), "Å");
  EXPECT_EQ(lo.radiation(), Radiation::Electron);
}

TEST(Lobato, TableCoversHydrogenToLawrencium) {
  LobatoFactors lo;
  for (int z = 1; z <= 103; ++z) EXPECT_TRUE(lo.has(Element::from_z(z))) << z;
  EXPECT_FALSE(lo.has(Element::from_z(104)));
  EXPECT_THROW(lo.f(Element::from_z(104), 0.5), std::invalid_argument);
}

TEST(Lobato, AgreesWithPengWithinThreePercent) {
  // Two independent parameterisations of the same (Hartree–Fock) electron scattering factors:
  // Lobato & Van Dyck 2014 vs Peng et al. 1996 (ITC Vol. C table 4.3.2.2, gemmi C4322).
  // Pure relative tolerance, no absolute floor. Measured maxima over 0 ≤ s ≤ 3 Å⁻¹ (step 0.01):
  // H 2.03 % (s = 2.58), C 0.50 %, N 1.59 % (s = 0), O 2.30 % (s = 0), F 1.31 % (s = 0),
  // Na 1.40 % (s = 3), Al 0.98 %, P 1.46 % (s = 0), Zn 0.99 %.
  LobatoFactors lo;
  PengFactors pe;
  for (const char* sym : {"H", "C", "N", "O", "F", "Na", "Al", "P", "Zn"}) {
    double worst = 0, s_worst = 0;
    for (int i = 0; i <= 300; ++i) {
      const double s = 0.01 * i;
      const double a = lo.f(el(sym), s), b = pe.f(el(sym), s);
      const double rel = std::fabs(a - b) / std::fabs(b);
      if (rel > worst) {
        worst = rel;
        s_worst = s;
      }
    }
    EXPECT_LT(worst, 0.03) << sym << " deviates most at s = " << s_worst;
  }
}

TEST(Lobato, DecreasesWithS) {
  // Neutral-atom electron factors fall monotonically with s (screened Coulomb potential).
  LobatoFactors lo;
  for (const char* sym : {"H", "C", "O", "Zn"}) {
    double prev = lo.f(el(sym), 0.0);
    for (int i = 1; i <= 600; ++i) {
      const double cur = lo.f(el(sym), 0.01 * i);
      ASSERT_LT(cur, prev) << sym << " at s = " << 0.01 * i;
      prev = cur;
    }
  }
}

TEST(Peng, ZincAtZeroIsSumOfA) {
  // ITC Vol. C table 4.3.2.2, Zn: Σ aᵢ = 0.4288 + 1.2646 + 1.4472 + 1.8294 + 1.0934 = 6.0634 Å.
  PengFactors pe;
  EXPECT_NEAR(pe.f(el("Zn"), 0.0), 6.0634, 1e-9);
  EXPECT_FALSE(pe.has(Element::from_z(100)));
  EXPECT_THROW(pe.f(Element::from_z(100), 0.0), std::invalid_argument);
}

TEST(Xray, ZincAtHalfInverseAngstromSinThetaOverLambda) {
  // IT92 f₀(Zn) at sinθ/λ = 0.5 Å⁻¹ (s = 1 Å⁻¹) is 14.55 e (ITC Vol. C table 6.1.1.4).
  XrayFactors xr;
  EXPECT_NEAR(xr.f(el("Zn"), 1.0), 14.55, 0.01);
  EXPECT_EQ(xr.units(), "e");
}

TEST(Xray, AtZeroEqualsAtomicNumber) {
  // f₀(0) = Σ aᵢ + c ≈ Z (the fit is within 0.12 % of Z, gemmi it92.hpp).
  XrayFactors xr;
  for (const char* sym : {"H", "C", "N", "O", "F", "Na", "Al", "P"})
    EXPECT_NEAR(xr.f(el(sym), 0.0), el(sym).z(), 0.05) << sym;
}

TEST(Neutron, SearsLengths) {
  // Sears, Neutron News 3 (1992) 26: bound coherent scattering lengths (fm).
  NeutronFactors nf;
  EXPECT_NEAR(nf.f(el("H"), 0.0), -3.739, 1e-6);
  EXPECT_NEAR(nf.f(el("C"), 0.0), 6.646, 1e-6);
  EXPECT_NEAR(nf.f(el("N"), 0.0), 9.36, 1e-6);
  EXPECT_NEAR(nf.f(el("O"), 0.0), 5.803, 1e-6);
  EXPECT_NEAR(nf.f(el("Zn"), 0.0), 5.680, 1e-6);
  EXPECT_NEAR(nf.f(el("P"), 0.0), 5.13, 1e-6);
  // Independent of s.
  EXPECT_DOUBLE_EQ(nf.f(el("Zn"), 2.0), nf.f(el("Zn"), 0.0));
  EXPECT_EQ(nf.units(), "fm");
}

TEST(ScatteringFactors, FactoryAndRadiationNames) {
  EXPECT_EQ(make_scattering_factors(Radiation::Electron)->name(), LobatoFactors().name());
  EXPECT_EQ(make_scattering_factors(Radiation::Electron, ElectronTable::Peng)->name(), PengFactors().name());
  EXPECT_EQ(make_scattering_factors(Radiation::Xray)->radiation(), Radiation::Xray);
  EXPECT_EQ(make_scattering_factors(Radiation::Neutron)->radiation(), Radiation::Neutron);
  for (Radiation r : {Radiation::Xray, Radiation::Electron, Radiation::Neutron})
    EXPECT_EQ(parse_radiation(radiation_name(r)), r);
  EXPECT_EQ(parse_radiation("X-ray"), Radiation::Xray);
  try {
    parse_radiation("gamma");
    FAIL() << "no exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("gamma"), std::string::npos);
  }
}

TEST(ScatteringFactors, DataDirHoldsTheTableAndHonoursEnvironment) {
  const std::string dir = data_dir();
  EXPECT_TRUE(std::filesystem::is_regular_file(std::filesystem::path(dir) / "scattering" /
                                               "lobato_vandyck_2014.csv"));
  const char* old = std::getenv("SEDPDF_DATA_DIR");
  const std::string saved = old ? old : "";
  ::setenv("SEDPDF_DATA_DIR", "/nonexistent/sedpdf-data", 1);
  try {
    data_dir();
    ADD_FAILURE() << "no exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/sedpdf-data"), std::string::npos);
  }
  ::setenv("SEDPDF_DATA_DIR", SEDPDF_REPO_DATA, 1);
  EXPECT_EQ(data_dir(), std::string(SEDPDF_REPO_DATA));
  if (old)
    ::setenv("SEDPDF_DATA_DIR", saved.c_str(), 1);
  else
    ::unsetenv("SEDPDF_DATA_DIR");
}

// ------------------------------------------------------------------------------------------------
TEST(LobatoCsv, ReadsCustomTable) {
  TempFile t("good.csv", std::string(kHeader) + "\n# comment\n8,O,1,0.5,0,0,0,1,2,3,4,5\r\n");
  LobatoFactors lo(t.path.string());
  EXPECT_TRUE(lo.has(el("O")));
  EXPECT_FALSE(lo.has(el("H")));
  EXPECT_DOUBLE_EQ(lo.f(el("O"), 0.0), 3.0);
  // s = 1: 1·(2+1)/(1+1)² + 0.5·(2+2)/(1+2)² = 0.75 + 2/9.
  EXPECT_NEAR(lo.f(el("O"), 1.0), 0.75 + 2.0 / 9.0, 1e-14);
  EXPECT_THROW(lo.f(el("H"), 0.0), std::invalid_argument);
}

TEST(LobatoCsv, MalformedNumberNamesLineAndField) {
  TempFile t("badnum.csv", std::string(kHeader) + "1,H,1,1,1,1,1,1,1,1,1,1\n8,O,1,0.5,abc,0,0,1,2,3,4,5\n");
  try {
    LobatoFactors lo(t.path.string());
    FAIL() << "no exception";
  } catch (const InputError& e) {
    EXPECT_EQ(e.file(), t.path.string());
    EXPECT_EQ(e.line(), 4u);
    EXPECT_EQ(e.field(), "a3");
    EXPECT_NE(std::string(e.what()).find("abc"), std::string::npos);
  }
}

TEST(LobatoCsv, WrongFieldCountSymbolAndDuplicates) {
  {
    TempFile t("short.csv", std::string(kHeader) + "8,O,1,0.5,0,0,0,1,2,3,4\n");
    try {
      LobatoFactors lo(t.path.string());
      FAIL() << "no exception";
    } catch (const InputError& e) {
      EXPECT_EQ(e.line(), 3u);
      EXPECT_NE(std::string(e.what()).find("11 fields"), std::string::npos);
    }
  }
  {
    TempFile t("sym.csv", std::string(kHeader) + "8,N,1,0.5,0,0,0,1,2,3,4,5\n");
    try {
      LobatoFactors lo(t.path.string());
      FAIL() << "no exception";
    } catch (const InputError& e) {
      EXPECT_EQ(e.line(), 3u);
      EXPECT_EQ(e.field(), "symbol");
    }
  }
  {
    TempFile t("dup.csv", std::string(kHeader) + "8,O,1,0,0,0,0,1,2,3,4,5\n8,O,1,0,0,0,0,1,2,3,4,5\n");
    EXPECT_THROW(LobatoFactors(t.path.string()), InputError);
  }
  {
    TempFile t("negb.csv", std::string(kHeader) + "8,O,1,0,0,0,0,1,-2,3,4,5\n");
    try {
      LobatoFactors lo(t.path.string());
      FAIL() << "no exception";
    } catch (const InputError& e) {
      EXPECT_EQ(e.field(), "b2");
    }
  }
  {
    // A term with a = b = 0 (allowed for the five-term fits of the incoherent table) is still an error in the
    // Lobato table, whose five terms are all used.
    TempFile t("zero.csv", std::string(kHeader) + "8,O,1,0,0,0,0,1,2,3,4,0\n");
    try {
      LobatoFactors lo(t.path.string());
      FAIL() << "no exception";
    } catch (const InputError& e) {
      EXPECT_EQ(e.field(), "b5");
    }
  }
  {
    TempFile t("empty.csv", "# nothing\n");
    EXPECT_THROW(LobatoFactors(t.path.string()), InputError);
  }
  EXPECT_THROW(LobatoFactors("/nonexistent/lobato.csv"), InputError);
}

// ------------------------------------------------------------------------------------------------
TEST(Composition, ParsePhosphateFormula) {
  // BRIEF.md: Na 1.206 : P 1.340 : Al 0.825 : O 4.448 : F 1.485.
  const Composition c = Composition::parse("Na1.206P1.340Al0.825O4.448F1.485");
  const double total = 1.206 + 1.340 + 0.825 + 4.448 + 1.485;
  ASSERT_EQ(c.elements.size(), 5u);
  const std::pair<const char*, double> expect[] = {{"O", 4.448}, {"F", 1.485}, {"Na", 1.206},
                                                   {"Al", 0.825}, {"P", 1.340}};  // sorted by Z
  double sum = 0;
  for (size_t i = 0; i < 5; ++i) {
    EXPECT_EQ(c.elements[i], el(expect[i].first));
    EXPECT_NEAR(c.fractions[i], expect[i].second / total, 1e-14);
    sum += c.fractions[i];
  }
  EXPECT_NEAR(sum, 1.0, 1e-14);
}

TEST(Composition, ParseFormsAgree) {
  const Composition a = Composition::parse("ZnC12H10N4");
  const Composition b = Composition::parse("Zn:1, C:12, H:10, N:4");
  const Composition c = Composition::parse("C12 H10 N4 Zn");
  const Composition d = Composition::parse("C6H5N2C6H5N2Zn");  // repeated elements are summed
  ASSERT_EQ(a.elements.size(), 4u);
  for (const Composition* x : {&b, &c, &d}) {
    ASSERT_EQ(x->elements.size(), 4u);
    for (size_t i = 0; i < 4; ++i) {
      EXPECT_EQ(x->elements[i], a.elements[i]);
      EXPECT_NEAR(x->fractions[i], a.fractions[i], 1e-15);
    }
  }
  EXPECT_EQ(a.elements[0], el("H"));
  EXPECT_NEAR(a.fractions[0], 10.0 / 27.0, 1e-15);
  EXPECT_NEAR(a.fractions[3], 1.0 / 27.0, 1e-15);  // Zn
}

TEST(Composition, BadTokensAreNamed) {
  const std::pair<const char*, const char*> cases[] = {
      {"Zn:1,Xx:2", "Xx:2"}, {"ZnQ2N4", "Q2"},   {"Zn:abc", "Zn:abc"}, {"zn2N4", "zn2"},
      {"Zn:1,,N:4", "''"},   {"Zn:-1", "Zn:-1"}, {"ZnN4x", "N4x"},     {"Zn1.2.3", "Zn1.2.3"},
      {"Zn0", "Zn0"}};
  for (const auto& [text, token] : cases) {
    try {
      Composition::parse(text);
      ADD_FAILURE() << "no exception for " << text;
    } catch (const std::invalid_argument& e) {
      EXPECT_NE(std::string(e.what()).find(token), std::string::npos) << text << " -> " << e.what();
    }
  }
  EXPECT_THROW(Composition::parse("   "), std::invalid_argument);
}

TEST(Composition, OfStructure) {
  Structure s;
  s.title = "ZnN4";
  Atom zn;
  zn.element = el("Zn");
  Atom n;
  n.element = el("N");
  s.atoms = {zn, n, n, n, n};
  s.atoms[4].occupancy = 0.5;  // occupancy-weighted: Zn 1, N 3.5
  const Composition c = Composition::of(s);
  ASSERT_EQ(c.elements.size(), 2u);
  EXPECT_EQ(c.elements[0], el("N"));
  EXPECT_NEAR(c.fractions[0], 3.5 / 4.5, 1e-15);
  EXPECT_NEAR(c.fractions[1], 1.0 / 4.5, 1e-15);
  EXPECT_THROW(Composition::of(Structure{}), std::invalid_argument);
}

TEST(Composition, AveragesByHand) {
  // Zn:N = 1:4 with f(Zn) = 3, f(N) = 1: ⟨f⟩ = 0.2·3 + 0.8·1 = 1.4, ⟨f²⟩ = 0.2·9 + 0.8·1 = 2.6.
  const Composition c = Composition::parse("Zn:1,N:4");
  const FAverages a = composition_averages(ConstantFactors(), c, 0.7);
  EXPECT_NEAR(a.f_mean, 1.4, 1e-15);
  EXPECT_NEAR(a.f2_mean, 2.6, 1e-15);
  // Same with the Lobato table at s = 0.5 Å⁻¹, computed element by element.
  LobatoFactors lo;
  const double fzn = lo.f(el("Zn"), 0.5), fn = lo.f(el("N"), 0.5);
  const FAverages b = composition_averages(lo, c, 0.5);
  EXPECT_NEAR(b.f_mean, 0.2 * fzn + 0.8 * fn, 1e-14);
  EXPECT_NEAR(b.f2_mean, 0.2 * fzn * fzn + 0.8 * fn * fn, 1e-14);
}

TEST(Composition, CauchySchwarz) {
  // ⟨f²⟩ ≥ ⟨f⟩² (equality only for a single element), electrons, X-rays and neutrons.
  const Composition glass = Composition::parse("Na1.206P1.340Al0.825O4.448F1.485");
  const Composition zif = Composition::parse("ZnC12H10N4");
  const Composition zn = Composition::parse("Zn");
  for (Radiation r : {Radiation::Electron, Radiation::Xray, Radiation::Neutron}) {
    const auto sf = make_scattering_factors(r);
    for (int i = 0; i <= 30; ++i) {
      const double s = 0.1 * i;
      for (const Composition* c : {&glass, &zif}) {
        const FAverages a = composition_averages(*sf, *c, s);
        EXPECT_GT(a.f2_mean, a.f_mean * a.f_mean) << radiation_name(r) << " s = " << s;
      }
      const FAverages one = composition_averages(*sf, zn, s);
      EXPECT_NEAR(one.f2_mean, one.f_mean * one.f_mean, 1e-12 * one.f2_mean);
    }
  }
}
