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

// fnv1a64 of four texts at once, the same values: their multiplies
// interleaved, so that each waits on its own chain, not on one another's
// (about four times the speed of four calls on long texts).
inline void fnv1a64_4(const std::string_view (&in)[4], std::uint64_t (&out)[4]) {
  std::size_t common = in[0].size();
  for (const auto& s : in) common = s.size() < common ? s.size() : common;
  std::uint64_t h[4] = {kFnv1aBasis, kFnv1aBasis, kFnv1aBasis, kFnv1aBasis};
  for (std::size_t i = 0; i < common; ++i) {
    for (int k = 0; k < 4; ++k) {
      h[k] ^= static_cast<unsigned char>(in[k][i]);
      h[k] *= 0x100000001b3ULL;
    }
  }
  for (int k = 0; k < 4; ++k) out[k] = fnv1a64(in[k].substr(common), h[k]);
}

}  // namespace ot
