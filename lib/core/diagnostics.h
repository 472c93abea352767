// Where library components report problems: the programs print them on
// stderr in the house format, tests collect them. Components never print.
#pragma once

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

}  // namespace ot
