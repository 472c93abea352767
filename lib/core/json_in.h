// Reading JSON strings on the hot path without unescaping: decimal text is
// taken straight from the document (a view into the caller's buffer, valid as
// long as the buffer). Header-only; needs simdjson.
#pragma once

#include <simdjson.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <string_view>
#include <vector>

#include "core/decimal.h"
#include "core/swar.h"

namespace ot {

// Reads with simdjson's error codes, never its exceptions: every function
// here returns simdjson::SUCCESS, or the code of the first thing wrong, and
// leaves its output unspecified then. A parser walks a document with these
// and returns the first error it meets.
using JsonValue = simdjson::simdjson_result<simdjson::ondemand::value>;

// The text of a JSON string value. Strings without escapes (all prices and
// sizes) come out as a view into the document itself; anything else goes
// through simdjson's unescaping. INCORRECT_TYPE if the value is not a
// string.
inline simdjson::error_code string_text(JsonValue v, std::string_view& out) {
  std::string_view tok;
  if (auto e = v.raw_json_token().get(tok)) return e;
  while (!tok.empty() &&
         (tok.back() == ' ' || tok.back() == '\n' || tok.back() == '\r' || tok.back() == '\t')) {
    tok.remove_suffix(1);
  }
  if (tok.size() < 2 || tok.front() != '"' || tok.back() != '"') return simdjson::INCORRECT_TYPE;
  tok = tok.substr(1, tok.size() - 2);
  if (!swar::contains_padded(tok, '\\')) {
    out = tok;
    return simdjson::SUCCESS;
  }
  return v.get_string().get(out);
}

// A value of the type of `out`: a string (unescaped), an int64 or a bool;
// into an optional, set only on success.
inline simdjson::error_code read(JsonValue v, std::string_view& out) {
  return v.get_string().get(out);
}
inline simdjson::error_code read(JsonValue v, std::int64_t& out) { return v.get_int64().get(out); }
inline simdjson::error_code read(JsonValue v, bool& out) { return v.get_bool().get(out); }
template <class T>
simdjson::error_code read(JsonValue v, std::optional<T>& out) {
  T x{};
  const auto e = read(std::move(v), x);
  if (e == simdjson::SUCCESS) out = x;
  return e;
}

}  // namespace ot

namespace ot {

namespace detail {

// Eight ASCII digits as a number, or -1 if any of the eight bytes is not a
// digit: a few word operations instead of eight multiply-adds (Binance
// writes eight decimals on every spot price and size).
inline std::int64_t eight_digits(const char* p) {
  std::uint64_t w;
  std::memcpy(&w, p, 8);
  const std::uint64_t v = w - 0x3030303030303030ULL;  // bytes 0..9 when digits
  // '0'..'9' are the bytes whose high nibble is 3 and stays 3 after adding 6.
  if ((w & 0xF0F0F0F0F0F0F0F0ULL) != 0x3030303030303030ULL ||
      ((w + 0x0606060606060606ULL) & 0xF0F0F0F0F0F0F0F0ULL) != 0x3030303030303030ULL) {
    return -1;
  }
  std::uint64_t x = (v * (10 * 256 + 1)) >> 8;  // pairs
  x = ((x & 0x00FF00FF00FF00FFULL) * (100 * 65536 + 1)) >> 16;
  return static_cast<std::int64_t>(((x & 0x0000FFFF0000FFFFULL) * (10000 * (1ULL << 32) + 1)) >>
                                   32);
}

// Reads "digits[.digits]" at p into `value` (left unread beyond 18 digits),
// stopping at the first other byte, which the caller checks (and makes sure
// there is one before `limit`).
inline const char* read_plain_decimal(const char* p, const char* const limit, Decimal& value) {
  const char* const start = p;
  std::uint64_t m = 0;
  unsigned d;
  while ((d = static_cast<unsigned>(*p - '0')) <= 9) m = m * 10 + d, ++p;
  const char* const int_end = p;
  int scale = 0;
  if (*p == '.') {
    const char* const frac = ++p;
    if (limit - p >= 8) {
      if (const std::int64_t eight = eight_digits(p); eight >= 0) {
        m = m * 100000000 + static_cast<std::uint64_t>(eight);
        p += 8;
      }
    }
    while ((d = static_cast<unsigned>(*p - '0')) <= 9) m = m * 10 + d, ++p;
    scale = static_cast<int>(p - frac);
  }
  const auto digits = static_cast<std::size_t>(int_end - start) + static_cast<std::size_t>(scale);
  if (digits != 0 && digits <= 18) value = Decimal{static_cast<std::int64_t>(m), scale};
  return p;
}

// The closing quote of a JSON string's text starting at p, if the text is
// plain: ASCII, no escapes, no control bytes. nullptr at anything else (left
// to a reader that validates it) or when no quote comes before `limit`.
inline const char* plain_text_end(const char* p, const char* const limit) {
  for (; p != limit && *p != '"'; ++p) {
    const auto c = static_cast<unsigned char>(*p);
    if (c == '\\' || c < 0x20 || c >= 0x80) return nullptr;
  }
  return p != limit ? p : nullptr;
}

// Canonical levels only ([["p","q"],...] with plain decimals, no
// whitespace; with `extra_members`, further plain string members are
// skipped and flagged) starting at p, which must be '['; reads no byte at or past
// `limit`, whose last byte must be neither a digit nor '.'. Returns one past
// the closing ']', or nullptr (with `out` unspecified) at the first byte that
// is not canonical.
template <class Level>
inline const char* scan_canonical_levels(const char* p, const char* const limit,
                                         std::vector<Level>& out, bool* extra_members = nullptr) {
  out.clear();
  if (limit - p < 2 || *p != '[') return nullptr;
  ++p;
  if (*p == ']') return p + 1;
  for (;;) {
    if (limit - p < 4 || p[0] != '[' || p[1] != '"') return nullptr;
    Level& l = out.emplace_back();
    const char* q = read_plain_decimal(p + 2, limit, l.price_value);
    l.price = std::string_view(p + 2, static_cast<std::size_t>(q - p - 2));
    if (limit - q < 4 || q[0] != '"' || q[1] != ',' || q[2] != '"') return nullptr;
    p = read_plain_decimal(q + 3, limit, l.qty_value);
    l.qty = std::string_view(q + 3, static_cast<std::size_t>(p - q - 3));
    // Further members (OKX: liquidated orders, order count), skipped when
    // the caller takes them: plain strings only.
    while (extra_members != nullptr && limit - p >= 3 && p[0] == '"' && p[1] == ',' &&
           p[2] == '"') {
      if ((p = plain_text_end(p + 3, limit)) == nullptr) return nullptr;
      *extra_members = true;
    }
    if (limit - p < 3 || p[0] != '"' || p[1] != ']') return nullptr;
    p += 2;
    if (*p == ',') {
      ++p;
      continue;
    }
    return *p == ']' ? p + 1 : nullptr;
  }
}

}  // namespace detail

// Reads a frame laid out exactly as a venue writes it, byte by byte, for
// the hot path that skips simdjson. Every read returns false at the first
// byte off that layout (whitespace, an escape, a control byte, anything not
// ASCII, a number that is not a plain integer), and the caller then hands
// the frame to simdjson, which validates it and reports any error. The
// frame's last byte must be '}' or ']', so that digit loops stop inside it.
struct ExactReader {
  const char* p;
  const char* end;

  explicit ExactReader(std::string_view frame)
      : p(frame.data()), end(frame.data() + frame.size()) {}
  bool at_end() const { return p == end; }
  // The next bytes are exactly `s` (consumed).
  bool literal(std::string_view s) {
    if (static_cast<std::size_t>(end - p) < s.size() || std::string_view(p, s.size()) != s) {
      return false;
    }
    p += s.size();
    return true;
  }
  bool byte(char c) { return p != end && *p == c ? (++p, true) : false; }
  // A string's text up to its closing quote, p just past the opening one.
  bool text(std::string_view& v) {
    const char* close = detail::plain_text_end(p, end);
    if (close == nullptr) return false;
    v = std::string_view(p, static_cast<std::size_t>(close - p));
    p = close + 1;
    return true;
  }
  // A quoted string.
  bool string(std::string_view& v) { return byte('"') && text(v); }
  // After an object member read (`ok`): `more` when a comma follows,
  // `done` when `close` follows and ends the frame, `off` otherwise.
  enum class Next { more, done, off };
  Next after_member(bool ok, std::string_view close) {
    if (!ok || at_end()) return Next::off;
    if (byte(',')) return Next::more;
    return literal(close) && at_end() ? Next::done : Next::off;
  }
  // "key": (the key's text into `k`).
  bool key(std::string_view& k) { return string(k) && byte(':'); }
  // A JSON integer of at most 18 digits (no leading zeros, as JSON says).
  template <class Int>
  bool integer(Int& v) {
    const bool negative = p != end && *p == '-';
    p += negative;
    const char* start = p;
    std::int64_t x = 0;
    unsigned d;
    // Digits past the 18th are counted, not added: they would overflow.
    while ((d = static_cast<unsigned>(*p - '0')) <= 9) {
      if (p - start < 18) x = x * 10 + d;
      ++p;
    }
    const auto n = p - start;
    if (n == 0 || n > 18 || (n > 1 && *start == '0')) return false;
    v = negative ? -x : x;
    return true;
  }
  // Price levels in the canonical layout (detail::scan_canonical_levels);
  // `raw` gets their text.
  template <class Level>
  bool levels(std::vector<Level>& out, std::string_view* raw = nullptr,
              bool* extra_members = nullptr) {
    const char* start = p;
    const char* q = detail::scan_canonical_levels(p, end, out, extra_members);
    if (q == nullptr) return false;
    p = q;
    if (raw != nullptr) *raw = std::string_view(start, static_cast<std::size_t>(p - start));
    return true;
  }
};

// Scans a compact JSON array of string arrays, [["p","q",...],...], as
// venues send price levels, taking the first two strings of each inner array
// as price and size (views into `raw`). Whitespace between tokens is allowed;
// anything else (numbers, escapes, nesting, fewer than two strings) is
// rejected with INCORRECT_TYPE (and `out` unspecified). A hand-written hot path: it replaces one
// On-Demand step per element with a single pass over the bytes, and reads
// the digits of plain decimals ("36999.99") on the way, so that consumers do
// not parse the text again (Level::price_value / qty_value; scale -1 where
// the text is anything else, or has more than 18 digits).
// Gives whether `raw` is canonical: no whitespace and exactly two members
// per level, so that the text itself is the levels' encoding in ot-events(7).
template <class Level>
inline simdjson::simdjson_result<bool> scan_string_levels(std::string_view raw,
                                                          std::vector<Level>& out) {
  bool extra = false;
  if (!raw.empty() && raw.back() == ']' &&
      detail::scan_canonical_levels(raw.data(), raw.data() + raw.size(), out, &extra) ==
          raw.data() + raw.size()) {
    return !extra;
  }
  bool canonical = true;
  const char* p = raw.data();
  const char* const end = p + raw.size();
  auto skip_ws = [&] {
    while (p != end && (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t'))
      ++p, canonical = false;
  };
  auto expect = [&](char c) {
    skip_ws();
    if (p == end || *p != c) return false;
    ++p;
    return true;
  };
  // Plain decimals are read by the canonical path's reader, which stops at
  // the first other byte: safe when the text cannot end inside a number.
  const bool bounded = !raw.empty() && raw.back() == ']';
  // A string into `text`; `value` gets its decimal value when it is a plain
  // decimal.
  auto string = [&](std::string_view& text, Decimal* value) {
    if (!expect('"')) return false;
    const char* start = p;
    if (value != nullptr && bounded) {
      Decimal v{0, -1};
      const char* q = detail::read_plain_decimal(p, end, v);
      if (*q == '"') {
        *value = v;
        p = q + 1;
        text = std::string_view(start, static_cast<std::size_t>(q - start));
        return true;
      }
    }
    for (; p != end && *p != '"'; ++p) {
      if (*p == '\\' || static_cast<unsigned char>(*p) < 0x20) return false;
    }
    if (p == end) return false;
    text = std::string_view(start, static_cast<std::size_t>(p++ - start));
    return true;
  };
  constexpr auto kBad = simdjson::INCORRECT_TYPE;
  out.clear();
  if (!expect('[')) return kBad;
  skip_ws();
  if (p != end && *p == ']') return canonical;
  for (;;) {
    Level l;
    if (!expect('[') || !string(l.price, &l.price_value) || !expect(',') ||
        !string(l.qty, &l.qty_value)) {
      return kBad;
    }
    skip_ws();
    while (p != end && *p == ',') {  // further members (OKX: liquidated, orders)
      ++p;
      std::string_view ignored;
      if (!string(ignored, nullptr)) return kBad;
      skip_ws();
      canonical = false;
    }
    if (!expect(']')) return kBad;
    out.push_back(l);
    skip_ws();
    if (p != end && *p == ',') {
      ++p;
      continue;
    }
    if (!expect(']')) return kBad;
    skip_ws();
    if (p != end) return kBad;
    return canonical;
  }
}

}  // namespace ot
