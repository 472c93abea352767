// Reading JSON strings on the hot path without unescaping: decimal text is
// taken straight from the document (a view into the caller's buffer, valid as
// long as the buffer). Header-only; needs simdjson.
#pragma once

#include <simdjson.h>

#include <string_view>

#include "core/swar.h"

namespace ot {

// The text of a JSON string value. Strings without escapes (all prices and
// sizes) come out as a view into the document itself; anything else goes
// through simdjson's unescaping. Throws simdjson_error(INCORRECT_TYPE) if the
// value is not a string.
inline std::string_view string_text(simdjson::ondemand::value v) {
  std::string_view tok = v.raw_json_token();
  while (!tok.empty() && (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' ||
                          tok.back() == '\t')) {
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
