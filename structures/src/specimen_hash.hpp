// specimen_hash.hpp (internal) — counter-based randomness for on-demand specimens: every random choice
// (tile rotation and offset, brick boundaries, Voronoi seeds, graded-interface cells, overlap priorities)
// is a pure function of (seed, purpose, indices), so any part of the specimen can be generated alone.
// Mixing: SplitMix64 (Steele, Lea & Flood, OOPSLA 2014), the finaliser also used by java.util.SplittableRandom.
#pragma once
#include <cstdint>
#include <initializer_list>

namespace sedpdf::specimen_detail {

inline uint64_t mix64(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// Hash of a seed and a list of 64-bit keys (signed indices are cast).
inline uint64_t hash_keys(uint64_t seed, std::initializer_list<uint64_t> keys) {
  uint64_t h = mix64(seed + 0x9e3779b97f4a7c15ULL);
  for (uint64_t k : keys) h = mix64(h ^ (k + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2)));
  return h;
}

inline uint64_t key(int64_t v) { return static_cast<uint64_t>(v); }

/// Uniform double in [0, 1) from 53 bits of a hash.
inline double unit(uint64_t h) { return static_cast<double>(h >> 11) * 0x1.0p-53; }

/// SplitMix64 stream seeded by a hash: a short sequence of uniforms.
struct Stream {
  uint64_t state;
  explicit Stream(uint64_t s) : state(s) {}
  uint64_t next() {
    state += 0x9e3779b97f4a7c15ULL;
    return mix64(state);
  }
  double uniform() { return unit(next()); }
};

// Purposes (distinct constants keep the streams independent).
enum Purpose : uint64_t {
  kSlabX = 1,
  kShiftY = 2,
  kShiftZ = 3,
  kTile = 4,
  kVoronoi = 5,
  kGraded = 6,
  kPriority = 7,
  kFilm = 8,
};

}  // namespace sedpdf::specimen_detail
