// The capture line format (tardis.dev's raw format), shared by whoever
// writes, replays, stores or serves captures:
//
//   YYYY-MM-DDTHH:MM:SS.fffffffZ <frame>
//
// a 28-character UTC receive stamp (seven fractional digits: 100 ns), one
// space, and the frame exactly as received. An empty line marks a
// disconnect. core/time.h writes the stamp (format_capture_stamp).
#pragma once

#include <string_view>

#include "core/time.h"

namespace ot {

// Splits a capture line into its receive time and frame (a view into
// `line`). False if the line does not start with a valid 28-character
// stamp and a space; `recv` and `frame` are then unchanged.
bool split_capture_line(std::string_view line, Nanos& recv, std::string_view& frame);

}  // namespace ot
