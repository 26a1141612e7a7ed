#include "sedpdf/simulate/data4d_format.hpp"

#include <cstdio>

namespace sedpdf {

std::string count_type_name(CountType t) { return t == CountType::UInt16 ? "uint16" : "uint32"; }

std::string config_fingerprint(const std::string& text) {
  // FNV-1a, 64 bit (Fowler, Noll, Vo; offset basis 14695981039346656037, prime 1099511628211).
  std::uint64_t h = 14695981039346656037ULL;
  for (unsigned char c : text) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

}  // namespace sedpdf
