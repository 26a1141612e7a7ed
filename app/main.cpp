// sedpdf — simulation and validation of electron pair distribution functions of amorphous composites.
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  return sedpdf::cli::run_cli(args, std::cout, std::cerr);
}
