// Atomic scattering factors: Lobato & Van Dyck 2014 (bundled CSV), Peng 1996 / ITC C 4.3.2.2, IT92 and
// Sears 1992 neutron lengths (gemmi tables). Formulas and sources are in scattering_factors.hpp.
#include "sedpdf/simulate/scattering_factors.hpp"

#include <gemmi/c4322.hpp>
#include <gemmi/it92.hpp>
#include <gemmi/neutron92.hpp>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>
#include <system_error>

#include "coefficient_table.hpp"
#include "sedpdf/structures/error.hpp"
#include "sedpdf/structures/text.hpp"

namespace sedpdf {

namespace {

constexpr int kMaxZ = 118;
constexpr const char* kLobatoRelPath = "scattering/lobato_vandyck_2014.csv";
constexpr const char* kLobatoWhat = "Lobato & Van Dyck scattering-factor table";

/// Parses the whole of `text` as a finite double (locale independent); false otherwise.
bool parse_finite(std::string_view text, double& value) { return detail::parse_double(text, value) && std::isfinite(value); }

}  // namespace

namespace detail {

CoefficientTable read_coefficient_csv(const std::string& path, const std::string& what, bool zero_terms_allowed) {
  std::ifstream in(path);
  if (!in) throw InputError(path, 0, "", "cannot open the " + what);
  static const char* const kDefaultNames[12] = {"Z",  "symbol", "a1", "a2", "a3", "a4",
                                                "a5", "b1",     "b2", "b3", "b4", "b5"};
  std::vector<std::string> names(std::begin(kDefaultNames), std::end(kDefaultNames));
  CoefficientTable table;
  std::string line;
  size_t line_no = 0;
  bool seen_first = false;
  size_t rows = 0;
  while (std::getline(in, line)) {
    ++line_no;
    const std::string_view t = detail::trim(line);
    if (t.empty() || t[0] == '#') continue;
    std::vector<std::string> fields = detail::split_csv(t);
    if (!seen_first) {
      seen_first = true;
      if (detail::to_lower(fields[0]) == "z") {  // header row
        if (fields.size() != 12)
          throw InputError(path, line_no, "",
                           "header has " + std::to_string(fields.size()) + " fields, expected 12 (Z,symbol,a1..a5,b1..b5)");
        names = fields;
        continue;
      }
    }
    if (fields.size() != 12)
      throw InputError(path, line_no, "",
                       "row has " + std::to_string(fields.size()) + " fields, expected 12 (Z,symbol,a1..a5,b1..b5)");
    double zd = 0;
    if (!parse_finite(fields[0], zd) || zd != std::floor(zd) || zd < 1 || zd > kMaxZ)
      throw InputError(path, line_no, names[0], "'" + fields[0] + "' is not an atomic number 1.." +
                                                    std::to_string(kMaxZ));
    const int z = static_cast<int>(zd);
    const Element el = Element::from_z(z);
    if (detail::to_lower(fields[1]) != detail::to_lower(el.symbol()))
      throw InputError(path, line_no, names[1],
                       "symbol '" + fields[1] + "' does not match Z = " + std::to_string(z) + " (" + el.symbol() + ")");
    if (table.present[z])
      throw InputError(path, line_no, names[0], "element " + el.symbol() + " (Z = " + std::to_string(z) + ") appears twice");
    std::array<double, 10> c{};
    for (size_t i = 0; i < 10; ++i) {
      const std::string& f = fields[2 + i];
      if (!parse_finite(f, c[i]))
        throw InputError(path, line_no, names[2 + i], "'" + f + "' is not a finite number");
      if (i >= 5 && !(c[i] > 0) && !(zero_terms_allowed && c[i] == 0 && c[i - 5] == 0))
        throw InputError(path, line_no, names[2 + i], "b coefficient '" + f + "' must be positive (Å²)");
    }
    table.coef[z] = c;
    table.present[z] = true;
    ++rows;
  }
  if (rows == 0) throw InputError(path, 0, "", "the " + what + " has no data rows");
  return table;
}

}  // namespace detail

namespace {

/// The bundled table, read once (function-local static: thread-safe initialisation, C++11 §6.7).
const detail::CoefficientTable& default_lobato_table() {
  static const detail::CoefficientTable table =
      detail::read_coefficient_csv(data_dir() + "/" + kLobatoRelPath, kLobatoWhat, false);
  return table;
}

gemmi::El to_gemmi(Element e) { return static_cast<gemmi::El>(e.z()); }

[[noreturn]] void not_tabulated(const ScatteringFactors& sf, Element e) {
  throw std::invalid_argument("element '" + e.symbol() + "' (Z = " + std::to_string(e.z()) +
                              ") is not tabulated in " + sf.name());
}

bool valid_z(Element e, int max_z) { return e.z() >= 1 && e.z() <= max_z; }

}  // namespace

// ---------------------------------------------------------------------------------------------------
std::string radiation_name(Radiation r) {
  switch (r) {
    case Radiation::Xray: return "xray";
    case Radiation::Electron: return "electron";
    case Radiation::Neutron: return "neutron";
  }
  return "unknown";
}

Radiation parse_radiation(const std::string& name) {
  const std::string n = detail::to_lower(detail::trim(name));
  if (n == "xray" || n == "x-ray" || n == "x_ray" || n == "x") return Radiation::Xray;
  if (n == "electron" || n == "electrons" || n == "e") return Radiation::Electron;
  if (n == "neutron" || n == "neutrons" || n == "n") return Radiation::Neutron;
  throw std::invalid_argument("unknown radiation '" + name + "' (expected xray, electron or neutron)");
}

// ---------------------------------------------------------------------------------------------------
std::string data_dir() {
  namespace fs = std::filesystem;
  std::error_code ec;
  auto holds_table = [&ec](const fs::path& dir) { return fs::is_regular_file(dir / kLobatoRelPath, ec); };
  if (const char* env = std::getenv("SEDPDF_DATA_DIR"); env && *env) {
    if (holds_table(env)) return env;
    throw std::runtime_error(std::string("SEDPDF_DATA_DIR='") + env + "' does not contain " + kLobatoRelPath);
  }
  std::vector<fs::path> candidates;
#ifdef SEDPDF_DATA_DIR
  candidates.emplace_back(SEDPDF_DATA_DIR);  // source tree data/ (set by CMake for the build tree)
#endif
#ifdef SEDPDF_INSTALL_DATA_DIR
  candidates.emplace_back(SEDPDF_INSTALL_DATA_DIR);
#endif
  // Installed layout relative to the running program: <prefix>/bin/exe -> <prefix>/share/sedpdf.
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec && exe.has_parent_path()) candidates.push_back(exe.parent_path().parent_path() / "share" / "sedpdf");
  candidates.emplace_back("/usr/local/share/sedpdf");
  candidates.emplace_back("/usr/share/sedpdf");
  std::string tried;
  for (const fs::path& d : candidates) {
    if (holds_table(d)) return d.string();
    tried += (tried.empty() ? "" : ", ") + d.string();
  }
  throw std::runtime_error(std::string("cannot find the sedpdf data directory (") + kLobatoRelPath +
                           "); tried " + tried + "; set SEDPDF_DATA_DIR to the folder that holds it");
}

// ---------------------------------------------------------------------------------------------------
LobatoFactors::LobatoFactors() {
  const detail::CoefficientTable& t = default_lobato_table();
  coef_ = t.coef;
  present_ = t.present;
}

LobatoFactors::LobatoFactors(const std::string& csv_path) {
  detail::CoefficientTable t = detail::read_coefficient_csv(csv_path, kLobatoWhat, false);
  coef_ = std::move(t.coef);
  present_ = std::move(t.present);
}

bool LobatoFactors::has(Element e) const {
  return e.z() >= 1 && static_cast<size_t>(e.z()) < present_.size() && present_[e.z()];
}

const std::array<double, 10>& LobatoFactors::coefficients(Element e) const {
  if (!has(e)) not_tabulated(*this, e);
  return coef_[e.z()];
}

// Lobato & Van Dyck (2014) eq. (13): f(s) = Σᵢ aᵢ (2 + bᵢs²)/(1 + bᵢs²)², s = 2 sinθ/λ.
double LobatoFactors::f(Element e, double s) const {
  const std::array<double, 10>& c = coefficients(e);
  const double s2 = s * s;
  double sum = 0;
  for (int i = 0; i < 5; ++i) {
    const double bs2 = c[5 + i] * s2;
    const double d = 1 + bs2;
    sum += c[i] * (2 + bs2) / (d * d);
  }
  return sum;
}

// Peng et al. (1996), ITC Vol. C table 4.3.2.2: f(s) = Σᵢ aᵢ exp(−bᵢ (s/2)²); gemmi takes (sinθ/λ)².
bool PengFactors::has(Element e) const { return valid_z(e, kMaxZ) && gemmi::C4322<double>::has(to_gemmi(e)); }
double PengFactors::f(Element e, double s) const {
  if (!has(e)) not_tabulated(*this, e);
  return gemmi::C4322<double>::get(to_gemmi(e)).calculate_sf(0.25 * s * s);
}

// IT92 (ITC Vol. C table 6.1.1.4): f₀ = Σᵢ aᵢ exp(−bᵢ (sinθ/λ)²) + c.
bool XrayFactors::has(Element e) const { return valid_z(e, kMaxZ) && gemmi::IT92<double>::has(to_gemmi(e)); }
double XrayFactors::f(Element e, double s) const {
  if (!has(e)) not_tabulated(*this, e);
  return gemmi::IT92<double>::get(to_gemmi(e)).calculate_sf(0.25 * s * s);
}

// Sears (1992): bound coherent scattering length, fm, independent of s.
bool NeutronFactors::has(Element e) const {
  return valid_z(e, kMaxZ) && gemmi::Neutron92<double>::has(to_gemmi(e));
}
double NeutronFactors::f(Element e, double /*s*/) const {
  if (!has(e)) not_tabulated(*this, e);
  return gemmi::Neutron92<double>::get_(to_gemmi(e));
}

std::unique_ptr<ScatteringFactors> make_scattering_factors(Radiation r, ElectronTable table) {
  switch (r) {
    case Radiation::Xray: return std::make_unique<XrayFactors>();
    case Radiation::Neutron: return std::make_unique<NeutronFactors>();
    case Radiation::Electron:
      if (table == ElectronTable::Peng) return std::make_unique<PengFactors>();
      return std::make_unique<LobatoFactors>();
  }
  throw std::invalid_argument("unknown radiation " + std::to_string(static_cast<int>(r)));
}

}  // namespace sedpdf
