// Appends compact JSON to a caller-owned std::string. No allocation once the
// string has grown to the largest record. Not thread-safe (a value type).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/decimal.h"

namespace ot {

class JsonOut {
 public:
  // `inside_object`: the buffer already holds "{..." with at least one member,
  // so the next key gets a comma.
  explicit JsonOut(std::string& buf, bool inside_object = false)
      : buf_(buf), need_comma_(inside_object) {}

  void begin_object() { open('{'); }
  void end_object() { close('}'); }
  void begin_array() { open('['); }
  void end_array() { close(']'); }
  // Writes "key": (with a comma if needed); follow it with a value.
  void key(std::string_view k);
  void string(std::string_view s);
  void integer(std::int64_t v);
  void boolean(bool v);
  void null();
  // A value already written as JSON, appended as it is.
  void raw(std::string_view json);
  // A decimal as a JSON string ("7.6110"), the contract for prices and sizes.
  void decimal(const Decimal& d);
  // A model output (greeks) as a JSON number with up to `digits` significant
  // digits; non-finite values are written as null.
  void number(double v, int digits = 10);

  void field(std::string_view k, std::string_view s) { key(k), string(s); }
  void field(std::string_view k, std::int64_t v) { key(k), integer(v); }
  void field(std::string_view k, const Decimal& d) { key(k), decimal(d); }

 private:
  void comma() {
    if (need_comma_) buf_.push_back(',');
  }
  void open(char c) {
    comma();
    buf_.push_back(c);
    need_comma_ = false;
  }
  void close(char c) {
    buf_.push_back(c);
    need_comma_ = true;
  }
  std::string& buf_;
  bool need_comma_ = false;
};

// Appends `s` JSON-escaped (without quotes).
void append_escaped(std::string& buf, std::string_view s);

}  // namespace ot
