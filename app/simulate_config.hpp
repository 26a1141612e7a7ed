// app/simulate_config.hpp — the configuration shared by the `sedpdf simulate` subcommands (fast, multislice):
// TOML sections [specimen] [probe] [scan] [detector] [dose] [inelastic] [output], parsed into the plain
// structs of the simulate library. Each subcommand parses its own section ([fast], [multislice]) from
// SimulateConfig::root. Keys, units and defaults: docs/forward_models.md, "Configuration".
#pragma once
#include <toml++/toml.h>

#include <cstdint>
#include <map>
#include <ostream>
#include <string>
#include <vector>

#include "sedpdf/simulate/damage.hpp"
#include "sedpdf/simulate/detector_model.hpp"
#include "sedpdf/simulate/fast_model.hpp"
#include "sedpdf/simulate/inelastic.hpp"
#include "sedpdf/simulate/probe.hpp"
#include "sedpdf/simulate/scan.hpp"
#include "sedpdf/structures/specimen.hpp"

namespace sedpdf::cli {

/// Per-phase inelastic settings from [[inelastic.phase]] (name = a specimen phase or "carbon_film").
struct PhaseInelasticConfig {
  double plasmon_energy_eV = 0;  ///< 0 = the default for the material
  double plasmon_mfp_A = 0;      ///< 0 = Iakoubovskii estimate
};

struct SimulateConfig {
  std::string file;   ///< the configuration file
  std::string text;   ///< its text (stored in the output's metadata)
  toml::table root;   ///< the parsed file, for the subcommand's own section
  std::string specimen_file;
  SpecimenSpec specimen;
  ProbeSpec probe;
  ScanSpec scan;
  double truth_probe_fwhm_A = 0;  ///< ground truth averaged over this Gaussian FWHM (Å)
  DetectorSpec detector;
  InelasticParams inelastic;      ///< switches and angles (materials are set by the subcommand)
  std::map<std::string, PhaseInelasticConfig> phase_inelastic;
  std::string output;             ///< output HDF5 path (resolved beside the working directory)
  uint64_t seed = 1;
  int deflate = 4;
  bool with_expected = true;
  bool resume = true;
  /// Every setting as "section.key" → value text, for /sedpdf/parameters.
  std::map<std::string, std::string> parameters;
};

/// Reads and validates a simulate configuration. `own_sections` are the root tables the calling
/// subcommand parses itself (e.g. {"fast"}); `other_sections` are accepted and ignored (the other
/// subcommands' tables, e.g. {"multislice"}), so one file can drive both. Throws InputError naming the file,
/// line and key for a missing file, unknown keys, bad values, a missing or invalid specimen, an unknown
/// detector layout, zero or negative dose, or a scan outside the specimen's field.
SimulateConfig load_simulate_config(const std::string& path, const std::vector<std::string>& own_sections,
                                    const std::vector<std::string>& other_sections);

/// Typed access to one TOML table with errors naming file, line and key (for the subcommands' sections).
class TomlSection {
 public:
  TomlSection(std::string file, const toml::table* table, std::string name);
  bool has(const std::string& key) const;
  double number(const std::string& key, double def) const;
  double positive(const std::string& key, double def) const;
  double non_negative(const std::string& key, double def) const;
  bool boolean(const std::string& key, bool def) const;
  int64_t integer(const std::string& key, int64_t def) const;
  std::string string(const std::string& key, const std::string& def) const;
  std::vector<double> numbers(const std::string& key, size_t count, const std::vector<double>& def) const;
  /// The tables of the array of tables `key` (TOML [[name.key]]), each a section named "name.key"; none when
  /// the key is absent. Fails naming the key unless it is an array of tables.
  std::vector<TomlSection> tables(const std::string& key) const;
  /// Throws InputError for keys of the table not in `allowed`.
  void only(const std::vector<std::string>& allowed) const;
  [[noreturn]] void fail(const std::string& key, const std::string& what) const;
  const toml::table* table() const { return t_; }

 private:
  std::string file_, name_;
  const toml::table* t_;
};

/// The physics keys of a [fast] section (`sedpdf simulate fast` and `sedpdf run`; docs/forward_models.md)
/// into `p`, each with its default; `extra` are further keys the caller reads itself (e.g. "profiles").
/// Unknown keys fail naming the key and the file.
void read_fast_section(const TomlSection& f, FastModelParams& p, const std::vector<std::string>& extra = {});

/// The section's `incoherent_model` ("hartree_fock", the default, or "lenz"); an unknown value fails naming
/// the key, the value and the file.
IncoherentModel read_incoherent_model(const TomlSection& t);

/// The section's key `key` ("continuous", the default, or "cutoff": how the plasmon and closure parts of the
/// inelastic scattering are joined, simulate/inelastic.hpp); an unknown value fails naming key, value and file.
InelasticJoin read_inelastic_join(const TomlSection& t, const std::string& key);

/// The beam-damage model's keys of one phase's table (simulate/damage.hpp; docs/forward_models.md):
/// critical_dose_e_per_A2 (required, > 0), pair_sigma_A (0), r_intact_A (2.5), mass_loss (0, < 1); a bad value
/// fails naming its key, the phase and the file. The caller restricts the table's keys.
DamageModel read_damage_model(const TomlSection& t, const std::string& phase);

/// Reads a specimen configuration (the `sedpdf specimen build` format; defined in app/cmd_specimen.cpp).
SpecimenSpec load_specimen_spec(const std::string& path);

/// The scan progress line (positions done/total, rate, ETA), printed in place on a terminal only: empty
/// (no progress) when `quiet` or when `out` is not a terminal's standard output.
ScanProgressCallback scan_progress_printer(std::ostream& out, bool quiet);

}  // namespace sedpdf::cli
