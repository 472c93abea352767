// Decodes NDJSON event lines (man/ot-events.7) for the programs that consume
// them. Only the types a consumer needs are decoded into structs; the rest
// are identified by `type` and left for pass-through.
//
// Threading: one decoder per thread; decoded views are valid until the next
// decode() call.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/events.h"

namespace ot {

struct DecodedEvent {
  std::string_view type;  // "book", "status", "trade", ... (empty if absent)
  BookUpdate book;        // valid when type == "book"
  Status status;          // valid when type == "status"
};

class EventDecoder {
 public:
  EventDecoder();
  ~EventDecoder();
  // `line` must be followed by kLinePadding readable bytes. Returns false and
  // sets `error` when the line is not a JSON object with a string `type`, or
  // a book/status event has a field of the wrong type.
  bool decode(std::string_view line, DecodedEvent& out, std::string& error);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ot
