// House style for messages built from library text (simdjson, CLI11):
// lowercase first letter (unless the word is an acronym), no trailing period.
#pragma once

#include <cctype>
#include <string>
#include <string_view>

namespace ot {

// prefix + what, in house style: "Invalid input." -> "invalid input",
// "JSON document ended early." -> "JSON document ended early".
inline std::string house_message(std::string_view prefix, std::string_view what) {
  while (!what.empty() && (what.back() == '.' || what.back() == ' ')) what.remove_suffix(1);
  std::string msg(prefix);
  const std::size_t first = msg.size();
  msg.append(what);
  if (msg.size() > first + 1 && std::islower(static_cast<unsigned char>(msg[first + 1]))) {
    msg[first] = static_cast<char>(std::tolower(static_cast<unsigned char>(msg[first])));
  }
  return msg;
}

}  // namespace ot
