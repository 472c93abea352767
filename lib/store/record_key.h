// Where a line goes in a store: the key of an event line (man/ot-events.7)
// or of a raw capture line (the venue's frame, for `--raw`).
//
// Threading: one extractor per thread; the key's views are valid until the
// next call.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "core/result.h"
#include "store/file_store.h"

namespace ot {

class FrameParser;

// Event lines: `type` (required), `venue`, `symbol`, and the record time:
// `recv`, else `ts`, else `fallback` (the writer's clock).
class EventKeyReader {
 public:
  EventKeyReader();
  ~EventKeyReader();
  // `line` must be followed by kLinePadding readable bytes. corrupt when it
  // is not a JSON object with a string `type`, or a time field is not an
  // integer.
  Result<> key(std::string_view line, Nanos fallback, RecordKey& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Capture lines ("<28-char stamp> <frame>", empty = disconnect): the venue
// (named, or detected from the first frame), the symbol of the frame's
// first event (parsed with the venue's own parser; none for subscription
// replies, heartbeats and disconnects), type "raw", time = the stamp (a
// disconnect takes the previous line's).
class RawKeyReader {
 public:
  explicit RawKeyReader(std::string venue = {});
  ~RawKeyReader();
  // `line` must be followed by kLinePadding readable bytes. corrupt for a
  // line that is not a capture line; invalid_argument when the venue is
  // unknown or cannot be told.
  Result<> key(std::string_view line, RecordKey& out);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ot
