#include "io/capture_line.h"

namespace ot {

bool split_capture_line(std::string_view line, Nanos& recv, std::string_view& frame) {
  if (line.size() < 30 || line[28] != ' ') return false;
  auto t = parse_iso8601(line.substr(0, 28));
  if (!t) return false;
  recv = *t;
  frame = line.substr(29);
  return true;
}

}  // namespace ot
