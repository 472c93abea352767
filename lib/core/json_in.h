// Reading JSON strings on the hot path without unescaping: decimal text is
// taken straight from the document (a view into the caller's buffer, valid as
// long as the buffer). Header-only; needs simdjson.
#pragma once

#include <simdjson.h>

#include <string_view>
#include <vector>

#include "core/swar.h"

namespace ot {

// The text of a JSON string value. Strings without escapes (all prices and
// sizes) come out as a view into the document itself; anything else goes
// through simdjson's unescaping. Throws simdjson_error(INCORRECT_TYPE) if the
// value is not a string.
inline std::string_view string_text(simdjson::ondemand::value v) {
  std::string_view tok = v.raw_json_token();
  while (!tok.empty() &&
         (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' || tok.back() == '\t')) {
    tok.remove_suffix(1);
  }
  if (tok.size() < 2 || tok.front() != '"' || tok.back() != '"') {
    throw simdjson::simdjson_error(simdjson::INCORRECT_TYPE);
  }
  tok = tok.substr(1, tok.size() - 2);
  if (!swar::contains_padded(tok, '\\')) return tok;
  return v.get_string();
}

}  // namespace ot

namespace ot {

// Scans a compact JSON array of string arrays, [["p","q",...],...], as
// venues send price levels, taking the first two strings of each inner array
// as price and size (views into `raw`). Whitespace between tokens is allowed;
// anything else (numbers, escapes, nesting, fewer than two strings) is
// rejected with INCORRECT_TYPE. A hand-written hot path: it replaces one
// On-Demand step per element with a single pass over the bytes.
// Returns whether `raw` is canonical: no whitespace and exactly two members
// per level, so that the text itself is the levels' encoding in ot-events(7).
template <class Level>
inline bool scan_string_levels(std::string_view raw, std::vector<Level>& out) {
  bool canonical = true;
  const char* p = raw.data();
  const char* const end = p + raw.size();
  auto fail = [] { throw simdjson::simdjson_error(simdjson::INCORRECT_TYPE); };
  auto skip_ws = [&] {
    while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
      ++p, canonical = false;
  };
  auto expect = [&](char c) {
    skip_ws();
    if (p == end || *p != c) fail();
    ++p;
  };
  auto string = [&]() -> std::string_view {
    expect('"');
    const char* start = p;
    while (p != end && *p != '"') {
      if (*p == '\\' || static_cast<unsigned char>(*p) < 0x20) fail();
      ++p;
    }
    if (p == end) fail();
    return std::string_view(start, static_cast<std::size_t>(p++ - start));
  };
  out.clear();
  expect('[');
  skip_ws();
  if (p != end && *p == ']') return canonical;
  for (;;) {
    expect('[');
    Level l;
    l.price = string();
    expect(',');
    l.qty = string();
    skip_ws();
    while (p != end && *p == ',') {  // further members (OKX: liquidated, orders)
      ++p;
      string();
      skip_ws();
      canonical = false;
    }
    expect(']');
    out.push_back(l);
    skip_ws();
    if (p != end && *p == ',') {
      ++p;
      continue;
    }
    expect(']');
    skip_ws();
    if (p != end) fail();
    return canonical;
  }
}

}  // namespace ot
