// The list of `sedpdf structure build <material>` builders. Each builder lives in its own
// cmd_build_<material>.cpp and is added here by one declaration and one call.
#include <CLI/CLI.hpp>

#include <ostream>

#include "commands.hpp"

namespace sedpdf::cli {

// Builder registrations (one line each).
void register_build_agzif62(CLI::App& build, std::ostream& out);
void register_build_phosphate(CLI::App& build, std::ostream& out);

void register_builders(CLI::App& build, std::ostream& out) {
  (void)build;
  (void)out;
  // Calls (one line each).
  register_build_agzif62(build, out);
  register_build_phosphate(build, out);
}

}  // namespace sedpdf::cli
