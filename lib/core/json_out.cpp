#include "core/json_out.h"

#include <charconv>
#include <cmath>

#include "core/swar.h"

namespace ot {

namespace {
// Bytes that need escaping inside a JSON string.
struct EscapeTable {
  bool needs[256] = {};
  constexpr EscapeTable() {
    for (int c = 0; c < 0x20; ++c) needs[c] = true;
    needs[static_cast<unsigned char>('"')] = true;
    needs[static_cast<unsigned char>('\\')] = true;
  }
};
constexpr EscapeTable kEscape;
}  // namespace

void append_escaped(std::string& buf, std::string_view s) {
  if (!swar::needs_json_escape(s)) {
    buf.append(s);
    return;
  }
  std::size_t start = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (!kEscape.needs[c]) continue;
    buf.append(s.data() + start, i - start);
    start = i + 1;
    switch (c) {
      case '"':
        buf.append("\\\"");
        break;
      case '\\':
        buf.append("\\\\");
        break;
      case '\n':
        buf.append("\\n");
        break;
      case '\r':
        buf.append("\\r");
        break;
      case '\t':
        buf.append("\\t");
        break;
      default: {
        static constexpr char kHex[] = "0123456789abcdef";
        char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 15]};
        buf.append(esc, 6);
      }
    }
  }
  buf.append(s.data() + start, s.size() - start);
}

void JsonOut::key(std::string_view k) {
  comma();
  buf_.push_back('"');
  buf_.append(k);
  buf_.append("\":", 2);
  need_comma_ = false;
}

void JsonOut::string(std::string_view s) {
  comma();
  buf_.push_back('"');
  append_escaped(buf_, s);
  buf_.push_back('"');
  need_comma_ = true;
}

void JsonOut::integer(std::int64_t v) {
  comma();
  char tmp[24];
  auto r = std::to_chars(tmp, tmp + sizeof tmp, v);
  buf_.append(tmp, r.ptr);
  need_comma_ = true;
}

void JsonOut::decimal(const Decimal& d) {
  comma();
  char tmp[Decimal::kMaxChars + 2];
  tmp[0] = '"';
  char* end = d.to_chars(tmp + 1);
  *end++ = '"';
  buf_.append(tmp, end);
  need_comma_ = true;
}

void JsonOut::number(double v, int digits) {
  comma();
  if (!std::isfinite(v)) {
    buf_.append("null");
  } else {
    char tmp[40];
    auto r = std::to_chars(tmp, tmp + sizeof tmp, v, std::chars_format::general, digits);
    buf_.append(tmp, r.ptr);
  }
  need_comma_ = true;
}

void JsonOut::null() { raw("null"); }

void JsonOut::raw(std::string_view json) {
  comma();
  buf_.append(json);
  need_comma_ = true;
}

void JsonOut::boolean(bool v) {
  comma();
  buf_.append(v ? "true" : "false");
  need_comma_ = true;
}

}  // namespace ot
