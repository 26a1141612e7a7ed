// app/commands.hpp — the `sedpdf` subcommands. Each lives in its own file (cmd_*.cpp) and registers its
// options on a CLI11 app; run_cli() is the whole program, usable in-process by tests.
#pragma once
#include <iosfwd>
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace sedpdf::cli {

/// Runs the command line; returns the process exit status (0 success, 1 bad input or failure,
/// 2 usage error). Messages go to `out` / `err`.
int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

// Subcommand registration; each returns a callback flag set when the subcommand was chosen.
void register_structure(CLI::App& app, std::ostream& out);
void register_pdf(CLI::App& app, std::ostream& out);
void register_decompose(CLI::App& app, std::ostream& out);
void register_reduce(CLI::App& app, std::ostream& out);
void register_specimen(CLI::App& app, std::ostream& out);
void register_simulate(CLI::App& app, std::ostream& out);
void register_run(CLI::App& app, std::ostream& out);
void register_study(CLI::App& app, std::ostream& out);
void register_ica_limit(CLI::App& app, std::ostream& out);
/// Adds `multislice` under the `simulate` parent (app/cmd_simulate_multislice.cpp).
void register_simulate_multislice(CLI::App& simulate, std::ostream& out);
/// Adds every `structure build <material>` builder to `build` (app/cmd_builders.cpp).
void register_builders(CLI::App& build, std::ostream& out);

}  // namespace sedpdf::cli
