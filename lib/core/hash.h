// FNV-1a, 64 bits: a hash that is the same on every host and build (unlike
// std::hash), for identities that leave the process (message ids, stored
// digests).
#pragma once

#include <cstdint>
#include <string_view>

namespace ot {

inline constexpr std::uint64_t kFnv1aBasis = 0xcbf29ce484222325ULL;

// Continues hash `h` over `bytes` (start from kFnv1aBasis).
constexpr std::uint64_t fnv1a64(std::string_view bytes, std::uint64_t h = kFnv1aBasis) {
  for (const char c : bytes) {
    h ^= static_cast<unsigned char>(c);
    h *= 0x100000001b3ULL;
  }
  return h;
}

}  // namespace ot
