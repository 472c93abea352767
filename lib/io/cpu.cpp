#include "io/cpu.h"

#include <sched.h>

#include <cerrno>
#include <charconv>
#include <cstring>

namespace ot {

namespace {

constexpr int kMaxCpus = 1024;

std::optional<int> cpu_number(std::string_view s) {
  int v = -1;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (s.empty() || ec != std::errc() || end != s.data() + s.size() || v < 0 || v >= kMaxCpus) {
    return std::nullopt;
  }
  return v;
}

}  // namespace

std::optional<std::vector<int>> parse_cpu_list(std::string_view text) {
  std::vector<int> cpus;
  while (true) {
    const std::size_t comma = text.find(',');
    const std::string_view part = text.substr(0, comma);
    const std::size_t dash = part.find('-');
    const auto first = cpu_number(part.substr(0, dash));
    const auto last = dash == std::string_view::npos ? first : cpu_number(part.substr(dash + 1));
    if (!first || !last || *last < *first) return std::nullopt;
    for (int c = *first; c <= *last; ++c) cpus.push_back(c);
    if (comma == std::string_view::npos) break;
    text.remove_prefix(comma + 1);
  }
  return cpus;
}

Result<> pin_to_cpus(std::string_view list) {
  const auto cpus = parse_cpu_list(list);
  if (!cpus) {
    return Error(
        ErrorCode::invalid_argument,
        "--cpu: expected CPU numbers such as 3, 2,3 or 0-3, not '" + std::string(list) + "'");
  }
  cpu_set_t set;
  CPU_ZERO(&set);
  for (int c : *cpus) CPU_SET(c, &set);
  if (::sched_setaffinity(0, sizeof set, &set) != 0) {
    // EINVAL: a CPU this machine or cpuset lacks, the caller's mistake.
    return os_error("--cpu " + std::string(list), errno);
  }
  return {};
}

}  // namespace ot
