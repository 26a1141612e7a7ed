#include <CLI/CLI.hpp>

#include <exception>
#include <ostream>

#include "commands.hpp"
#include "sedpdf/structures/error.hpp"

namespace sedpdf::cli {

int run_cli(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
  CLI::App app{
      "sedpdf — simulation and validation of electron pair distribution functions (ePDF).\n"
      "Units: lengths in Å, reciprocal space s = 2 sinθ/λ in Å⁻¹ (Q = 2πs), angles in mrad."};
  app.name("sedpdf");
  app.require_subcommand(1);
  app.set_help_all_flag("--help-all", "Help for every subcommand");
  register_structure(app, out);
  register_pdf(app, out);
  register_decompose(app, out);
  register_reduce(app, out);
  register_specimen(app, out);
  register_simulate(app, out);
  register_run(app, out);
  register_study(app, out);
  register_ica_limit(app, out);
  std::vector<std::string> rev(args.rbegin(), args.rend());
  try {
    app.parse(rev);
  } catch (const CLI::CallForHelp& e) {
    out << app.help();
    return 0;
  } catch (const CLI::CallForAllHelp& e) {
    out << app.help("", CLI::AppFormatMode::All);
    return 0;
  } catch (const CLI::ParseError& e) {
    // Subcommand help (`sedpdf pdf --help`) arrives here as a CallForHelp raised inside a subcommand.
    if (e.get_exit_code() == 0) {
      const CLI::App* sub = nullptr;
      for (const CLI::App* s : app.get_subcommands()) sub = s;
      while (sub && !sub->get_subcommands().empty()) sub = sub->get_subcommands().back();
      out << (sub ? sub->help() : app.help());
      return 0;
    }
    err << "sedpdf: " << e.what() << "\n";
    return 2;
  } catch (const InputError& e) {
    err << "sedpdf: error: " << e.what() << "\n";
    return 1;
  } catch (const std::exception& e) {
    err << "sedpdf: error: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace sedpdf::cli
