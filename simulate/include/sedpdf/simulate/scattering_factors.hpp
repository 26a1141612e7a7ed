// sedpdf/simulate/scattering_factors.hpp — atomic scattering factors f(s) for electrons, X-rays and
// neutrons, and their composition averages ⟨f⟩, ⟨f²⟩.
//
// s = 2 sinθ/λ = 1/d (Å⁻¹) everywhere (BRIEF.md). Units of f:
//  - electron: Å (first Born approximation, non-relativistic; multiply by γ = 1 + eV/mc² for the
//    relativistic amplitude). Lobato & Van Dyck, Acta Cryst. A70 (2014) 636, eq. (13):
//    f(s) = Σᵢ aᵢ (2 + bᵢs²)/(1 + bᵢs²)², table data/scattering/lobato_vandyck_2014.csv.
//    Second parameterisation: Peng et al., Acta Cryst. A52 (1996) 257, as tabulated in International
//    Tables Vol. C table 4.3.2.2 (gemmi/c4322.hpp): f(s) = Σᵢ aᵢ exp(−bᵢ s²/4).
//  - X-ray: electrons (e), IT92 4-Gaussian + constant fit of International Tables Vol. C table 6.1.1.4
//    (gemmi/it92.hpp), f₀(sinθ/λ) with sinθ/λ = s/2; no anomalous terms.
//  - neutron: bound coherent scattering length b (fm), Sears, Neutron News 3 (1992) 26
//    (gemmi/neutron92.hpp), independent of s.
#pragma once
#include <array>
#include <memory>
#include <string>
#include <vector>

#include "sedpdf/structures/element.hpp"
#include "sedpdf/structures/structure.hpp"

namespace sedpdf {

enum class Radiation { Xray, Electron, Neutron };
std::string radiation_name(Radiation r);
Radiation parse_radiation(const std::string& name);  ///< "xray"/"x-ray", "electron", "neutron"

/// Interface for one parameterisation of f(s).
class ScatteringFactors {
 public:
  virtual ~ScatteringFactors() = default;
  /// f of element e at s (Å⁻¹). Throws std::invalid_argument if e is not tabulated.
  virtual double f(Element e, double s) const = 0;
  virtual bool has(Element e) const = 0;
  virtual std::string name() const = 0;   ///< e.g. "Lobato & Van Dyck 2014"
  virtual std::string units() const = 0;  ///< "Å", "e", "fm"
  virtual Radiation radiation() const = 0;
};

/// Lobato & Van Dyck 2014, read from the bundled CSV (data_dir()/scattering/lobato_vandyck_2014.csv)
/// or from `csv_path`. Throws InputError naming file/line/field for a malformed table.
class LobatoFactors final : public ScatteringFactors {
 public:
  LobatoFactors();
  explicit LobatoFactors(const std::string& csv_path);
  double f(Element e, double s) const override;
  bool has(Element e) const override;
  std::string name() const override { return "Lobato & Van Dyck 2014"; }
  std::string units() const override { return "Å"; }
  Radiation radiation() const override { return Radiation::Electron; }
  /// Coefficients aᵢ (Å) and bᵢ (Å²), i = 1..5.
  const std::array<double, 10>& coefficients(Element e) const;

 private:
  std::vector<std::array<double, 10>> coef_;  // index Z; a1..a5, b1..b5
  std::vector<bool> present_;
};

/// Peng 1996 / ITC Vol. C 4.3.2.2 electron factors (gemmi C4322), Å.
class PengFactors final : public ScatteringFactors {
 public:
  double f(Element e, double s) const override;
  bool has(Element e) const override;
  std::string name() const override { return "Peng 1996 (ITC C 4.3.2.2, gemmi C4322)"; }
  std::string units() const override { return "Å"; }
  Radiation radiation() const override { return Radiation::Electron; }
};

/// IT92 X-ray form factors f₀ (gemmi IT92), electrons.
class XrayFactors final : public ScatteringFactors {
 public:
  double f(Element e, double s) const override;
  bool has(Element e) const override;
  std::string name() const override { return "IT92 (ITC C 6.1.1.4, gemmi)"; }
  std::string units() const override { return "e"; }
  Radiation radiation() const override { return Radiation::Xray; }
};

/// Neutron coherent scattering lengths (gemmi Neutron92), fm.
class NeutronFactors final : public ScatteringFactors {
 public:
  double f(Element e, double s) const override;
  bool has(Element e) const override;
  std::string name() const override { return "Sears 1992 (gemmi Neutron92)"; }
  std::string units() const override { return "fm"; }
  Radiation radiation() const override { return Radiation::Neutron; }
};

enum class ElectronTable { Lobato, Peng };
/// The default factors of a radiation (electron: Lobato unless Peng is asked for).
std::unique_ptr<ScatteringFactors> make_scattering_factors(Radiation r,
                                                           ElectronTable table = ElectronTable::Lobato);

/// Atomic fractions per element (from Structure::composition()).
struct Composition {
  std::vector<Element> elements;
  std::vector<double> fractions;  ///< c_i, sum 1
  static Composition of(const Structure& s);
  /// Parse "Zn:1,N:4,C:..." or a formula "ZnC12H10N4" / "Na1.206P1.340Al0.825O4.448F1.485";
  /// throws std::invalid_argument naming the bad token.
  static Composition parse(const std::string& text);
};

/// ⟨f⟩ = Σ cᵢ fᵢ(s) and ⟨f²⟩ = Σ cᵢ fᵢ(s)² (Faber & Ziman, Phil. Mag. 11 (1965) 153).
struct FAverages {
  double f_mean = 0;   ///< ⟨f⟩
  double f2_mean = 0;  ///< ⟨f²⟩
};
FAverages composition_averages(const ScatteringFactors& sf, const Composition& c, double s);

/// Directory of the bundled tables: $SEDPDF_DATA_DIR if set, else the source tree's data/ (build-time
/// path), else <prefix>/share/sedpdf. Throws if none holds scattering/lobato_vandyck_2014.csv.
std::string data_dir();

}  // namespace sedpdf
