// Hash maps keyed by std::string that look up by std::string_view without
// building a string (no allocation on the hot path).
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

namespace ot {

struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept {
    return std::hash<std::string_view>{}(s);
  }
};

template <class V>
using StringMap = std::unordered_map<std::string, V, StringHash, std::equal_to<>>;

}  // namespace ot
