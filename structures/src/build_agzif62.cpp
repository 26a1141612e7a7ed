// agZIF-62 builder: linker templates, options, and the three stages (network, decoration, relaxation).
#include "sedpdf/structures/build_agzif62.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "build_agzif62_internal.hpp"
#include "sedpdf/structures/constants.hpp"

namespace sedpdf {

namespace {

// Zn–Zn length of the links of the stage-1 network (Å): the mean bridged Zn–Zn of the DFT ZIF-62 and
// ZIF-4 crystals of Widmer et al. 2019 (5.965 and 5.914 Å, measured by analyse_zif_structure).
constexpr double kNetworkLinkLength = 5.94;

// Body-frame coordinates (Å) of the linkers: the mean of the 28 Im and the 4 bIm of the DFT-optimised
// ZIF-62 crystal (Widmer et al., Nature Mater. 18 (2019) 370; data/structures/
// ZIF-62_DFT_Widmer2019.extxyz), each molecule expressed in the frame defined in build_agzif62.hpp and
// averaged together with its mirror image x → −x (C₂ᵥ symmetrisation); out-of-plane components (all
// < 0.005 Å) set to 0. tests/structures/test_build_agzif62.cpp re-derives the bond lengths from the file.
struct TemplateAtom {
  int z;
  double x, y;
};
// Im: N1, N3, C2, C5, C4, H2, H5, H4.
constexpr TemplateAtom kIm[] = {
    {7, -1.12846, 0.0},      {7, 1.12846, 0.0},       {6, 0.0, 0.75276},       {6, -0.69699, -1.32128},
    {6, 0.69699, -1.32128},  {1, 0.0, 1.85056},       {1, -1.40873, -2.15488}, {1, 1.40873, -2.15488}};
constexpr int kImBonds[][2] = {{0, 2}, {1, 2}, {0, 3}, {1, 4}, {3, 4}, {2, 5}, {3, 6}, {4, 7}};
// bIm: N1, N3, C2, C7a, C3a, C7, C4, C6, C5, H2, H7, H4, H6, H5.
constexpr TemplateAtom kBIm[] = {
    {7, -1.14161, 0.0},      {7, 1.14161, 0.0},       {6, 0.0, 0.73140},       {6, -0.71595, -1.33035},
    {6, 0.71595, -1.33035},  {6, -1.44802, -2.54014}, {6, 1.44802, -2.54014},  {6, -0.71240, -3.74016},
    {6, 0.71240, -3.74016},  {1, 0.0, 1.83059},       {1, -2.54928, -2.53703}, {1, 2.54928, -2.53703},
    {1, -1.25255, -4.70041}, {1, 1.25255, -4.70041}};
constexpr int kBImBonds[][2] = {{0, 2}, {1, 2}, {0, 3}, {1, 4}, {3, 4}, {3, 5}, {4, 6}, {5, 7},
                                {6, 8}, {7, 8}, {2, 9}, {5, 10}, {6, 11}, {7, 12}, {8, 13}};

template <size_t NA, size_t NB>
LinkerTemplate make_template(ZifLinkerKind kind, const char* name, const TemplateAtom (&atoms)[NA],
                             const int (&bonds)[NB][2]) {
  LinkerTemplate t;
  t.kind = kind;
  t.name = name;
  for (const auto& a : atoms) {
    t.elements.push_back(Element::from_z(a.z));
    t.positions.emplace_back(a.x, a.y, 0.0);
  }
  for (const auto& b : bonds) t.bonds.emplace_back(b[0], b[1]);
  t.nitrogen = {{0, 1}};
  for (int e = 0; e < 2; ++e) {
    const int n = t.nitrogen[static_cast<size_t>(e)];
    Vec3 sum;
    for (const auto& b : t.bonds) {
      const int o = b.first == n ? b.second : (b.second == n ? b.first : -1);
      if (o < 0) continue;
      const Vec3 d = t.positions[static_cast<size_t>(o)] - t.positions[static_cast<size_t>(n)];
      sum += d / d.length();
    }
    t.lone_pair[static_cast<size_t>(e)] = -sum / sum.length();
  }
  return t;
}

}  // namespace

double LinkerTemplate::mass() const {
  double m = 0;
  for (const Element& e : elements) m += e.mass();
  return m;
}

double LinkerTemplate::ideal_zn_zn(double zn_n) const {
  const Vec3 z1 = positions[static_cast<size_t>(nitrogen[0])] + lone_pair[0] * zn_n;
  const Vec3 z3 = positions[static_cast<size_t>(nitrogen[1])] + lone_pair[1] * zn_n;
  return (z3 - z1).length();
}

const LinkerTemplate& zif_linker_template(ZifLinkerKind kind) {
  static const LinkerTemplate im = make_template(ZifLinkerKind::Im, "Im", kIm, kImBonds);
  static const LinkerTemplate bim = make_template(ZifLinkerKind::BIm, "bIm", kBIm, kBImBonds);
  return kind == ZifLinkerKind::Im ? im : bim;
}

void validate(const AgZif62Options& opt) {
  std::ostringstream m;
  if (opt.n_zn < kAgZif62MinZn || opt.n_zn > kAgZif62MaxZn) {
    m << "agZIF-62: number of Zn " << opt.n_zn << " is outside " << kAgZif62MinZn << ".." << kAgZif62MaxZn;
    throw std::invalid_argument(m.str());
  }
  if (opt.n_zn % 4 != 0) {
    m << "agZIF-62: number of Zn " << opt.n_zn
      << " is not a multiple of 4 (the formula Zn(Im)1.75(bIm)0.25 needs n_zn/4 bIm exactly; nearest allowed: "
      << opt.n_zn / 4 * 4 << " or " << (opt.n_zn / 4 + 1) * 4 << ")";
    throw std::invalid_argument(m.str());
  }
  if (!std::isfinite(opt.density_g_cm3) || opt.density_g_cm3 < kAgZif62MinDensity ||
      opt.density_g_cm3 > kAgZif62MaxDensity) {
    m << "agZIF-62: density " << opt.density_g_cm3 << " g/cm³ is outside the range the builder supports, "
      << kAgZif62MinDensity << "–" << kAgZif62MaxDensity << " g/cm³ (glass ≈ 1.55–1.60, crystal ≈ 1.26–1.28)";
    throw std::invalid_argument(m.str());
  }
  if (!std::isfinite(opt.zn_n) || opt.zn_n < 1.8 || opt.zn_n > 2.2) {
    m << "agZIF-62: Zn–N length " << opt.zn_n << " Å is outside 1.8–2.2 Å";
    throw std::invalid_argument(m.str());
  }
  if (!std::isfinite(opt.b_iso) || opt.b_iso < 0) {
    m << "agZIF-62: B_iso " << opt.b_iso << " Å² must be finite and >= 0";
    throw std::invalid_argument(m.str());
  }
  if (opt.switches_per_zn < 0 || opt.max_relax_steps <= 0 || opt.anneal_steps < 0) {
    m << "agZIF-62: switches_per_zn " << opt.switches_per_zn << " and anneal_steps " << opt.anneal_steps
      << " must be >= 0 and max_relax_steps " << opt.max_relax_steps << " > 0";
    throw std::invalid_argument(m.str());
  }
}

AgZif62Model build_agzif62(const AgZif62Options& opt) {
  using namespace agzif62_detail;
  using clock = std::chrono::steady_clock;
  validate(opt);
  const int n = opt.n_zn;
  const int n_bim = n / 4;
  const int n_links = 2 * n;
  const LinkerTemplate& im = zif_linker_template(ZifLinkerKind::Im);
  const LinkerTemplate& bim = zif_linker_template(ZifLinkerKind::BIm);
  // mass per Zn: Zn + 1.75 Im + 0.25 bIm (212.03 g/mol, BRIEF.md)
  const double mass = n * Element::from_z(30).mass() + (n_links - n_bim) * im.mass() + n_bim * bim.mass();
  const double volume = mass / (kAvogadro * opt.density_g_cm3) * 1e24;  // Å³
  const double L = std::cbrt(volume);

  AgZif62Model model;
  AgZif62BuildInfo& info = model.info;
  info.box_A = L;
  info.n_zn = n;
  info.n_bim = n_bim;
  info.n_im = n_links - n_bim;
  info.link_length_A = im.ideal_zn_zn(opt.zn_n);

  Random rng(opt.seed);
  NetworkParams np;
  // Links of the network a little shorter than the ideal span: in the DFT crystals the Zn sit ~6° off
  // the lone-pair axes and bridged Zn–Zn is 5.965 Å (ZIF-62) and 5.914 Å (ZIF-4), not the ideal 6.02.
  np.link = kNetworkLinkLength;
  info.network_link_target_A = np.link;
  {
    // Zn–ring centre distance: ring centre = mean of the five ring atoms (template indices 0..4)
    Vec3 centre;
    for (size_t k = 0; k < 5; ++k) centre += im.positions[k];
    centre = centre / 5.0;
    const Vec3 zn1 = im.positions[static_cast<size_t>(im.nitrogen[0])] + im.lone_pair[0] * opt.zn_n;
    np.arm = (zn1 - centre).length();
  }
  np.switches_per_node = opt.switches_per_zn;
  const auto t0 = clock::now();
  const NodeNetwork net = build_node_network(n, L, np, rng, info, opt.log);
  info.ring_counts = smallest_ring_per_angle(net, 8);
  const auto t1 = clock::now();
  info.seconds_network = std::chrono::duration<double>(t1 - t0).count();

  // exactly n/4 of the links bIm, chosen by a seeded shuffle
  if (static_cast<int>(net.links.size()) != n_links)
    throw std::runtime_error("agZIF-62 builder: internal error, the Zn network has " +
                             std::to_string(net.links.size()) + " links, expected " + std::to_string(n_links));
  std::vector<size_t> order(net.links.size());
  std::iota(order.begin(), order.end(), 0);
  for (size_t k = order.size(); k > 1; --k) std::swap(order[k - 1], order[rng.index(k)]);  // Fisher–Yates
  std::vector<ZifLinkerKind> kinds(net.links.size(), ZifLinkerKind::Im);
  for (int k = 0; k < n_bim; ++k) kinds[order[static_cast<size_t>(k)]] = ZifLinkerKind::BIm;

  RelaxParams rp;
  rp.zn_n = opt.zn_n;
  rp.max_steps = opt.max_relax_steps;
  rp.anneal_steps = opt.anneal_steps;
  model.structure = decorate_and_relax(net, kinds, rp, rng, info, opt.log);
  info.seconds_relax = std::chrono::duration<double>(clock::now() - t1).count();

  Structure& s = model.structure;
  std::ostringstream title;
  title << "agZIF-62 glass model Zn(Im)1.75(bIm)0.25, " << n << " Zn, " << opt.density_g_cm3
        << " g/cm3, seed " << opt.seed << " (sedpdf structure build agzif62)";
  s.title = title.str();
  const double u = u_from_b(opt.b_iso);
  for (Atom& a : s.atoms) a.u_iso = u;
  return model;
}

}  // namespace sedpdf
