// Where library components report problems: the programs print them on
// stderr in the house format, tests collect them. Components never print.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace ot {

class Diagnostics {
 public:
  virtual ~Diagnostics() = default;
  // One message without program name or newline, e.g.
  // "okx BTC-USDT: checksum mismatch at seq 812 (book marked invalid)".
  virtual void error(std::string_view where, std::string_view message) = 0;
  virtual void warning(std::string_view where, std::string_view message) = 0;
};

// Passes messages on to another Diagnostics, counting the errors (each one
// a record, line or frame dropped, where a component reports them so).
class CountingDiagnostics final : public Diagnostics {
 public:
  explicit CountingDiagnostics(Diagnostics& inner) : inner_(inner) {}
  void error(std::string_view where, std::string_view message) override {
    ++errors_;
    inner_.error(where, message);
  }
  void warning(std::string_view where, std::string_view message) override {
    inner_.warning(where, message);
  }
  std::uint64_t errors() const { return errors_; }

 private:
  Diagnostics& inner_;
  std::uint64_t errors_ = 0;
};

// Where a line came from, as messages name it ("<stdin>:12"; the source
// alone for line 0). The text is built only when there is something to
// report; `source` must outlive the next text().
class LinePlace {
 public:
  void set(std::string_view source, std::uint64_t line) {
    source_ = source;
    line_ = line;
  }
  const std::string& text() {
    text_.assign(source_);
    if (line_ > 0) text_.append(":").append(std::to_string(line_));
    return text_;
  }

 private:
  std::string_view source_;
  std::uint64_t line_ = 0;
  std::string text_;
};

}  // namespace ot
