// Loading a capture for the benchmarks, and the "physical limit" they are
// compared with: a bare simdjson On-Demand extraction of the same fields
// ot-feed reads from each frame, writing nothing.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.h"
#include "feed/replay.h"
#include "io/capture_line.h"
#include "io/input.h"

namespace ot::bench {

struct Capture {
  std::vector<std::string> frames;  // each with 64 bytes of padding
  std::vector<std::size_t> sizes;
  std::vector<Nanos> recv;
  std::size_t bytes = 0;
  std::string_view frame(std::size_t i) const { return {frames[i].data(), sizes[i]}; }
};

inline Capture load_capture(const std::string& path) {
  Capture c;
  auto opened = open_input(path);
  if (!opened) return c;
  auto in = std::move(opened).value();
  std::string_view line;
  while (in->next(line)) {
    Nanos t;
    std::string_view frame;
    if (!split_capture_line(line, t, frame)) continue;
    std::string f(frame);
    c.sizes.push_back(f.size());
    c.bytes += f.size();
    f.append(64, '\0');
    c.frames.push_back(std::move(f));
    c.recv.push_back(t);
  }
  return c;
}

// Visits every member of a frame (keys, strings unescaped, number and
// literal tokens) and returns a checksum of lengths so nothing is optimized
// away: the least any normalizer must do with a frame, for any venue.
inline std::uint64_t visit_all(simdjson::ondemand::value v) {
  namespace od = simdjson::ondemand;
  std::uint64_t sum = 0;
  switch (v.type()) {
    case od::json_type::object:
      for (auto field : v.get_object()) {
        sum += std::string_view(field.unescaped_key()).size();
        sum += visit_all(field.value());
      }
      break;
    case od::json_type::array:
      for (auto x : v.get_array()) sum += visit_all(x.value());
      break;
    case od::json_type::string:
      sum += std::string_view(v.get_string()).size();
      break;
    default:
      sum += std::string_view(v.raw_json_token()).size();
      break;
  }
  return sum;
}

inline std::uint64_t bare_extract(simdjson::ondemand::parser& parser, std::string_view frame) {
  namespace od = simdjson::ondemand;
  od::document doc = parser.iterate(frame.data(), frame.size(), frame.size() + 64);
  if (std::string_view(doc.raw_json_token()).empty()) return 0;
  doc.rewind();
  od::value root = doc.get_value();
  return visit_all(root);
}

}  // namespace ot::bench
