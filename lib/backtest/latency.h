// Latency models for backtests: a fixed delay or one drawn from a
// distribution, reproducibly (seeded).
//
//   "0", "250us", "1.5ms", "2s"       fixed (a bare number is nanoseconds)
//   "uniform:100us,2ms"               uniform between the two
//   "normal:1ms,200us"                mean, standard deviation (cut at 0)
//   "lognormal:800us,0.5"             median, sigma of the log
//   "file:lat.txt"                    drawn from samples, one per line, in
//                                     nanoseconds (e.g. ot-sim --latency-log)
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "core/time.h"

namespace ot {

class LatencyModel {
 public:
  // Parses a spec; invalid_argument when malformed or a file is unreadable.
  static Result<LatencyModel> parse(std::string_view spec);
  // A sampler with its own generator seeded with `seed`; empty when the
  // model is a fixed delay (use fixed()).
  std::function<Nanos()> sampler(std::uint64_t seed) const;
  bool is_fixed() const { return kind_ == Kind::fixed; }
  Nanos fixed() const { return a_; }
  const std::string& spec() const { return spec_; }

 private:
  enum class Kind { fixed, uniform, normal, lognormal, samples };
  Kind kind_ = Kind::fixed;
  Nanos a_ = 0;
  double b_ = 0;
  std::shared_ptr<const std::vector<Nanos>> samples_;
  std::string spec_ = "0";
};

// "250us", "1.5ms", "2s", "100ns", "42" (ns); nullopt when malformed.
std::optional<Nanos> parse_duration(std::string_view text);

}  // namespace ot
