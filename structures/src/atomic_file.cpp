#include "sedpdf/structures/atomic_file.hpp"

#include <atomic>
#include <cstdio>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <unistd.h>

namespace sedpdf {

void write_file_atomically(const std::string& path, const std::function<void(const std::string&)>& write) {
  namespace fs = std::filesystem;
  static std::atomic<unsigned> counter{0};
  const fs::path dest(path);
  const fs::path dir = dest.has_parent_path() ? dest.parent_path() : fs::path(".");
  if (!fs::is_directory(dir))
    throw std::runtime_error(path + ": output directory '" + dir.string() + "' does not exist");
  const fs::path tmp = dir / ("." + dest.filename().string() + ".tmp" + std::to_string(::getpid()) + "_" +
                              std::to_string(counter++));
  try {
    write(tmp.string());
  } catch (...) {
    std::error_code ec;
    fs::remove(tmp, ec);
    throw;
  }
  std::error_code ec;
  fs::rename(tmp, dest, ec);
  if (ec) {
    fs::remove(tmp, ec);
    throw std::runtime_error(path + ": cannot move finished output into place: " + ec.message());
  }
}

void write_text_atomically(const std::string& path, const std::function<void(std::ostream&)>& write) {
  write_file_atomically(path, [&](const std::string& tmp) {
    std::ofstream out(tmp);
    if (!out) throw std::runtime_error(path + ": cannot open for writing");
    out.precision(10);
    write(out);
    out.flush();
    if (!out) throw std::runtime_error(path + ": write failed (disk full?)");
  });
}

}  // namespace sedpdf
