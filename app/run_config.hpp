// app/run_config.hpp — the configuration of `sedpdf run CONFIG.toml` (examples/nanoscale2022.toml): the
// sections shared with `sedpdf simulate` ([specimen] [probe] [scan] [detector] [dose] [inelastic] [output],
// app/simulate_config.hpp) plus [fast], [multislice] and [study], parsed into a StudyConfig. Keys, units and
// defaults: docs/study.md.
#pragma once
#include <cstddef>
#include <string>

#include "sedpdf/validate/study.hpp"

namespace sedpdf::cli {

/// Scan size (positions per side) of the built-in `sedpdf run` default: 32 × 32 at 5.5 nm (003's step) around
/// the interface and the inclusion of the nanoscale2022 particle; measured run time in docs/study.md.
constexpr std::size_t kDefaultRunScan = 32;

/// Reads and validates a study configuration. Throws InputError naming the file, line and key for a missing
/// file, unknown keys, bad values or a bad specimen — before anything is computed or written.
StudyConfig load_run_config(const std::string& path);

}  // namespace sedpdf::cli
