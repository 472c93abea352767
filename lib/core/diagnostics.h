// Where library components report problems: the programs print them on
// stderr in the house format, tests collect them. Components never print.
#pragma once

#include <cstdint>
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

}  // namespace ot
