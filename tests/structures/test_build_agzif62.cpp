// agZIF-62 builder and ZIF structure analysis: templates against the DFT crystal, option checks,
// the acceptance criteria of issue 3 on a model built here (64 Zn) and on the shipped default model
// (540 Zn), determinism, and the analyser on structures with known defects.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <stdexcept>
#include <string>

#include "sedpdf/structures/build_agzif62.hpp"
#include "sedpdf/structures/io.hpp"

namespace {

using namespace sedpdf;

const std::string kData = SEDPDF_REPO_DATA;
const std::string kZif62 = kData + "/structures/ZIF-62_DFT_Widmer2019.extxyz";
const std::string kZif4 = kData + "/structures/ZIF-4_DFT_Widmer2019.cif";
const std::string kRmc = kData + "/structures/agZIF-4_RMC_Castel2023.extxyz";
const std::string kDefault = kData + "/models/agZIF62_default.extxyz";

// The acceptance criteria of issue 3 for an agZIF-62 model at the target density.
void expect_acceptance(const Structure& s, const ZifStructureStats& st, double target_density, size_t n_zn) {
  EXPECT_EQ(st.n_zn, n_zn);
  EXPECT_GE(st.frac_zn_four_n, 0.98);
  EXPECT_GE(st.mean_zn_n, 1.97);
  EXPECT_LE(st.mean_zn_n, 2.02);
  EXPECT_NEAR(st.mean_n_zn_n, 109.0, 3.0);
  EXPECT_EQ(st.n_im, n_zn * 7 / 4);
  EXPECT_EQ(st.n_bim, n_zn / 4);
  EXPECT_EQ(st.n_other_fragments, 0u);
  EXPECT_EQ(st.n_linkers_intact, st.n_im + st.n_bim);
  EXPECT_LE(st.max_linker_bond_dev, 0.05);
  EXPECT_EQ(st.n_linkers_bridging, st.n_im + st.n_bim);
  EXPECT_EQ(st.n_heavy_violations, 0u);
  EXPECT_EQ(st.n_h_violations, 0u);
  EXPECT_GE(st.min_heavy_contact, 2.2);
  EXPECT_GE(st.min_h_contact, 1.8);
  EXPECT_GE(st.zn_zn_first_peak, 5.8);
  EXPECT_LE(st.zn_zn_first_peak, 6.1);
  EXPECT_NEAR(s.mass_density_g_cm3(), target_density, 0.01 * target_density);
  // exact formula Zn(Im)1.75(bIm)0.25 = Zn C5.25 H4.875 N4 ... per Zn: C 3·1.75 + 7·0.25 = 7, H 3·1.75 + 5·0.25 = 6.5
  size_t c = 0, h = 0, n = 0, zn = 0;
  for (const Atom& a : s.atoms) {
    c += a.element.z() == 6;
    h += a.element.z() == 1;
    n += a.element.z() == 7;
    zn += a.element.z() == 30;
  }
  EXPECT_EQ(zn, n_zn);
  EXPECT_EQ(c, 7 * n_zn);
  EXPECT_EQ(2 * h, 13 * n_zn);
  EXPECT_EQ(n, 4 * n_zn);
}

}  // namespace

// The rigid templates reproduce every linker of the two DFT crystals (they were averaged from ZIF-62;
// ZIF-4 is an independent check of the Im geometry) and the BRIEF's bond lengths.
TEST(AgZif62Templates, MatchTheDftCrystals) {
  const ZifStructureStats z62 = analyse_zif_structure(read_structure(kZif62));
  EXPECT_EQ(z62.n_im, 28u);
  EXPECT_EQ(z62.n_bim, 4u);
  EXPECT_EQ(z62.n_linkers_intact, 32u);
  EXPECT_LT(z62.max_linker_bond_dev, 0.005);
  const ZifStructureStats z4 = analyse_zif_structure(read_structure(kZif4));
  EXPECT_EQ(z4.n_im, 32u);
  EXPECT_EQ(z4.n_linkers_intact, 32u);
  EXPECT_LT(z4.max_linker_bond_dev, 0.03);
  for (ZifLinkerKind k : {ZifLinkerKind::Im, ZifLinkerKind::BIm}) {
    const LinkerTemplate& t = zif_linker_template(k);
    for (const auto& [a, b] : t.bonds) {
      const double r = (t.positions[static_cast<size_t>(b)] - t.positions[static_cast<size_t>(a)]).length();
      const bool ch = t.elements[static_cast<size_t>(a)].z() == 1 || t.elements[static_cast<size_t>(b)].z() == 1;
      if (ch) {
        EXPECT_NEAR(r, 1.09, 0.015) << t.name;
      } else {
        // BRIEF: ring bonds ≈ 1.34–1.43 Å (the DFT bIm has one C–C of 1.432 Å)
        EXPECT_GE(r, 1.34 - 0.01) << t.name;
        EXPECT_LE(r, 1.43 + 0.01) << t.name;
      }
    }
    for (const Vec3& lp : t.lone_pair) EXPECT_NEAR(lp.length(), 1.0, 1e-12);
    EXPECT_NEAR(t.lone_pair[0].z, 0.0, 1e-12);
    // mirror symmetry: N1 and N3 lone pairs are mirror images (x → −x)
    EXPECT_NEAR(t.lone_pair[0].x, -t.lone_pair[1].x, 1e-12);
    EXPECT_NEAR(t.lone_pair[0].y, t.lone_pair[1].y, 1e-12);
  }
  // Zn–Zn across an ideal Im (Zn on both lone-pair axes at 1.99 Å): BRIEF 5.9–6.0 Å
  EXPECT_NEAR(zif_linker_template(ZifLinkerKind::Im).ideal_zn_zn(1.99), 6.0, 0.05);
  // formula mass per Zn of Zn(Im)1.75(bIm)0.25 (BRIEF: 212.03 g/mol)
  const double m = Element::from_z(30).mass() + 1.75 * zif_linker_template(ZifLinkerKind::Im).mass() +
                   0.25 * zif_linker_template(ZifLinkerKind::BIm).mass();
  EXPECT_NEAR(m, 212.03, 0.05);
}

TEST(AgZif62Options, BadValuesAreRejectedWithTheValueNamed) {
  auto msg = [](AgZif62Options o) {
    try {
      validate(o);
    } catch (const std::invalid_argument& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  AgZif62Options o;
  EXPECT_EQ(msg(o), "");
  for (int n : {0, 12, 4004, -4}) {
    o = {};
    o.n_zn = n;
    EXPECT_NE(msg(o).find(std::to_string(n)), std::string::npos) << n;
  }
  o = {};
  o.n_zn = 18;
  EXPECT_NE(msg(o).find("multiple of 4"), std::string::npos);
  EXPECT_NE(msg(o).find("16 or 20"), std::string::npos);
  for (double d : {0.0, -1.0, 1.19, 1.81, 3.0, std::nan(""), HUGE_VAL}) {
    o = {};
    o.density_g_cm3 = d;
    EXPECT_NE(msg(o).find("density"), std::string::npos) << d;
  }
  o = {};
  o.b_iso = -1;
  EXPECT_NE(msg(o), "");
  EXPECT_THROW(build_agzif62(o), std::invalid_argument);
}

// One 64-Zn model built here (≈ 4 s): every criterion of issue 3 that needs no scattering (the PDF
// peaks and Rw are in tests/app/test_build_agzif62.cpp), and the bookkeeping of the model.
TEST(AgZif62Small, MeetsTheAcceptanceCriteria) {
  AgZif62Options o;
  o.n_zn = 64;
  o.seed = 7;
  const AgZif62Model model = build_agzif62(o);
  const Structure& s = model.structure;
  const ZifStructureStats st = analyse_zif_structure(s);
  expect_acceptance(s, st, 1.57, 64);

  const AgZif62BuildInfo& i = model.info;
  EXPECT_EQ(i.n_im, 112);
  EXPECT_EQ(i.n_bim, 16);
  EXPECT_EQ(i.ring_counts.size(), 9u);
  EXPECT_EQ(i.ring_counts[3], 0);  // no three-membered rings
  EXPECT_NEAR(i.box_A * i.box_A * i.box_A, s.cell.volume(), 1e-6);

  // Zn tetrahedral, bound along the N lone pairs
  EXPECT_DOUBLE_EQ(st.frac_zn_four_n, 1.0);
  EXPECT_LT(st.max_zn_n, 2.3);
  EXPECT_LT(st.mean_lone_pair_dev, 15.0);
  EXPECT_NEAR(st.mean_zn_n_c, 127.0, 3.0);  // DFT crystals: 126.8–127.0°
  EXPECT_NEAR(st.mean_zn_zn_bridged, 5.94, 0.1);

  // molecule ids and labels
  for (size_t k = 0; k < 64; ++k) {
    EXPECT_EQ(s.atoms[k].element.z(), 30);
    EXPECT_EQ(s.atoms[k].molecule, 0);
  }
  int max_mol = 0;
  size_t bim_atoms = 0;
  for (const Atom& a : s.atoms) {
    max_mol = std::max(max_mol, a.molecule);
    bim_atoms += a.label == "bIm";
  }
  EXPECT_EQ(max_mol, 128);
  EXPECT_EQ(bim_atoms, 16u * 14u);
}

TEST(AgZif62Build, IsDeterministicForASeed) {
  AgZif62Options o;
  o.n_zn = 16;
  o.seed = 11;
  const Structure a = build_agzif62(o).structure;
  const Structure b = build_agzif62(o).structure;
  ASSERT_EQ(a.size(), b.size());
  for (size_t i = 0; i < a.size(); ++i) {
    EXPECT_EQ(a.atoms[i].element, b.atoms[i].element);
    EXPECT_EQ(a.atoms[i].pos.x, b.atoms[i].pos.x);
    EXPECT_EQ(a.atoms[i].pos.y, b.atoms[i].pos.y);
    EXPECT_EQ(a.atoms[i].pos.z, b.atoms[i].pos.z);
  }
  o.seed = 12;
  const Structure c = build_agzif62(o).structure;
  double diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff += (a.atoms[i].pos - c.atoms[i].pos).length();
  EXPECT_GT(diff, 1.0);
  // the smallest model still meets the local criteria
  const ZifStructureStats st = analyse_zif_structure(a);
  EXPECT_GE(st.frac_zn_four_n, 0.98);
  EXPECT_EQ(st.n_heavy_violations + st.n_h_violations, 0u);
  EXPECT_NEAR(a.mass_density_g_cm3(), 1.57, 0.0157);
}

TEST(AgZif62Build, OtherDensitiesInTheAllowedRange) {
  for (double rho : {1.2, 1.8}) {
    AgZif62Options o;
    o.n_zn = 32;
    o.density_g_cm3 = rho;
    o.seed = 3;
    const Structure s = build_agzif62(o).structure;
    const ZifStructureStats st = analyse_zif_structure(s);
    EXPECT_NEAR(s.mass_density_g_cm3(), rho, 0.01 * rho);
    EXPECT_GE(st.frac_zn_four_n, 0.98) << rho;
    EXPECT_EQ(st.n_heavy_violations + st.n_h_violations, 0u) << rho;
  }
}

// The analyser sees defects: a stretched ring bond, a broken linker, an extra close contact; and
// reports the RMC model's known imperfections.
TEST(ZifAnalysis, DetectsDefects) {
  Structure s = read_structure(kZif62);
  // stretch one C–H by 0.1 Å: that linker is no longer intact (bond deviation 0.1 > 0.05)
  size_t h = 0;
  while (s.atoms[h].element.z() != 1) ++h;
  size_t c_near = 0;
  double best = 1e9;
  for (size_t i = 0; i < s.size(); ++i)
    if (s.atoms[i].element.z() == 6) {
      const double r = s.cell.distance(s.atoms[i].pos, s.atoms[h].pos);
      if (r < best) {
        best = r;
        c_near = i;
      }
    }
  const Vec3 d = s.cell.minimum_image(s.atoms[h].pos - s.atoms[c_near].pos);
  s.atoms[h].pos = Position(s.atoms[h].pos + d / d.length() * 0.1);
  ZifStructureStats st = analyse_zif_structure(s);
  EXPECT_EQ(st.n_linkers_intact, 31u);
  EXPECT_NEAR(st.max_linker_bond_dev, 0.1, 0.002);
  // move that H far away: the linker becomes an unrecognised fragment plus a lone H
  s.atoms[h].pos = Position(s.atoms[h].pos + d / d.length() * 1.0);
  st = analyse_zif_structure(s);
  EXPECT_EQ(st.n_im + st.n_bim, 31u);
  EXPECT_EQ(st.n_other_fragments, 2u);
  // an extra H 1.5 Å from a Zn, opposite one of its Zn–N bonds (≈ 2.1 Å from the other three N)
  Structure t = read_structure(kZif62);
  size_t zn = 0;
  while (t.atoms[zn].element.z() != 30) ++zn;
  Vec3 to_n(1e9, 0, 0);
  for (const Atom& a : t.atoms)
    if (a.element.z() == 7) {
      const Vec3 v = t.cell.minimum_image(a.pos - t.atoms[zn].pos);
      if (v.length() < to_n.length()) to_n = v;
    }
  ASSERT_LT(to_n.length(), 2.1);
  Atom x;
  x.element = Element::from_z(1);
  x.pos = Position(t.atoms[zn].pos - to_n / to_n.length() * 1.5);
  t.atoms.push_back(x);
  st = analyse_zif_structure(t);
  EXPECT_GE(st.n_h_violations, 1u);
  EXPECT_LT(st.min_h_contact, 1.8);
}

TEST(ZifAnalysis, RmcGlassReference) {
  // The RMC a_gZIF-4 model (Castel 2023): its known imperfections, which the builder's models avoid.
  const ZifStructureStats st = analyse_zif_structure(read_structure(kRmc));
  EXPECT_EQ(st.n_zn, 512u);
  EXPECT_NEAR(st.density_g_cm3, 1.581, 0.001);
  EXPECT_LT(st.frac_zn_four_n, 0.9);           // 82.6 % (23 three-coordinated Zn, the rest broken links)
  EXPECT_NEAR(st.mean_n_zn_n, 109.4, 0.5);
  EXPECT_GT(st.n_other_fragments, 100u);       // broken imidazolates
  EXPECT_GT(st.n_h_violations, 0u);
  EXPECT_NEAR(st.zn_zn_first_peak, 5.92, 0.1);
}

// The shipped default model (data/models/agZIF62_default.extxyz, built by the command in
// data/models/README.md): the acceptance criteria at >= 500 Zn.
TEST(AgZif62Default, ShippedModelMeetsTheAcceptanceCriteria) {
  ASSERT_TRUE(std::filesystem::exists(kDefault)) << kDefault;
  const Structure s = read_structure(kDefault);
  const ZifStructureStats st = analyse_zif_structure(s);
  EXPECT_GE(st.n_zn, 500u);
  EXPECT_GE(s.size(), 9000u);
  expect_acceptance(s, st, 1.57, 540);
}
