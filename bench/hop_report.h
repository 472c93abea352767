// How the hop benchmarks (ot-bench-hops, ot-bench-tcp) print a latency:
// one line, so that bench/tick_to_trade.py reads them all alike.
#pragma once

#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

// "<what> over <n> <unit>[, G us apart]: p50 …, p99 …, p99.9 …" of the
// times `ns` (nanoseconds) divided by `per` (2: a round trip's one way).
inline void report_hop(const std::string& what, const char* unit, std::vector<long long> ns,
                       double per, int gap_us) {
  std::sort(ns.begin(), ns.end());
  auto at = [&](double p) {
    return static_cast<double>(
               ns[std::min(ns.size() - 1, static_cast<std::size_t>(p * ns.size()))]) /
           per / 1000.0;
  };
  const std::string how = gap_us > 0 ? ", " + std::to_string(gap_us) + " us apart" : "";
  std::printf("%s over %zu %s%s: p50 %.2f us, p99 %.2f us, p99.9 %.2f us\n", what.c_str(),
              ns.size(), unit, how.c_str(), at(0.5), at(0.99), at(0.999));
  std::fflush(stdout);
}
