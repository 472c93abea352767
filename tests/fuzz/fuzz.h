// Shared by the libFuzzer harnesses: each defines LLVMFuzzerTestOneInput,
// linked either with libFuzzer (scripts/fuzz.sh) or with regress_main.cpp,
// which runs it over the saved inputs in tests/fuzz/corpus/<harness>/ as
// part of the normal tests.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

namespace ot::fuzz {

// The input as text, followed by the 64 readable bytes parsers may read.
struct Padded {
  Padded(const std::uint8_t* data, std::size_t size)
      : text(reinterpret_cast<const char*>(data), size), n(size) {
    text.append(64, '\0');
  }
  std::string_view view() const { return {text.data(), n}; }
  std::string text;
  std::size_t n;
};

// A harness's own check failed: abort, so that libFuzzer saves the input.
[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "fuzz check failed: %s\n", what);
  std::abort();
}

// The first byte chooses among `n` variants; the rest is the input proper.
inline unsigned pick(const std::uint8_t*& data, std::size_t& size, unsigned n) {
  if (size == 0) return 0;
  const unsigned v = data[0] % n;
  ++data, --size;
  return v;
}

}  // namespace ot::fuzz
