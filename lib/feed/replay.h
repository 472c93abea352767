// `ot-feed replay`: plays captures in the tardis-compatible raw line format
// ("2021-10-12T00:28:32.0633569Z <frame>", empty line = disconnect) through
// the very parsers and book-sync rules the live feed uses.
//
// Several inputs are merged by receive time. Each input gets its own venue
// parser (named by --venue, or detected from its first frame) and its own
// BookSyncGuard; a gap makes a book invalid until the next snapshot in the
// data.
//
// Threading: single-threaded; run() blocks until the inputs end.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "book/book_engine.h"
#include "core/event_encoder.h"
#include "io/input.h"
#include "metrics/runtime.h"

namespace ot {

struct ReplayOptions {
  double speed = 0;   // 0: as fast as possible; 1: real time; 10: ten times faster
  std::string venue;  // empty: detect per input
  bool raw = false;   // write the capture lines themselves instead of events
  // Optional (--metrics): the stage "frame_to_event" timed (a frame handed
  // to its parser to its events written) and ot_parse_errors_total{venue}
  // counted; null: nothing is timed or counted.
  metrics::Runtime* runtime = nullptr;
};

struct ReplayStats {
  std::uint64_t lines = 0;
  std::uint64_t frames = 0;
  std::uint64_t events = 0;
  std::uint64_t control = 0;
  std::uint64_t skipped = 0;
  std::uint64_t errors = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t gaps = 0;
  std::uint64_t checksum_mismatches = 0;
  std::uint64_t checksums_verified = 0;
};

// Replays `inputs` into `out`. Problems with single lines are reported to
// `diag` and skipped; returns false only if an input could not be read
// (diag has the reason).
bool run_replay(std::vector<std::unique_ptr<LineInput>>& inputs, const ReplayOptions& options,
                LineSink& out, Diagnostics& diag, ReplayStats& stats);

// The same, handing the events on as structs (fused use: ot-backtest).
// `options.raw` is ignored.
bool run_replay(std::vector<std::unique_ptr<LineInput>>& inputs, const ReplayOptions& options,
                EventListener& out, Diagnostics& diag, ReplayStats& stats);

}  // namespace ot
