// Which CPUs a program runs on: `--cpu 3` keeps a latency-critical program
// on a core of its own (with the kernel told to leave that core alone:
// isolcpus=, nohz_full=, or a cpuset), `--cpu 2,3` or `--cpu 0-3` on a few.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"

namespace ot {

// "3", "2,3", "0-3,8" (the kernel's cpulist format); nullopt unless every
// part is a CPU number or an ascending range of them below 1024.
std::optional<std::vector<int>> parse_cpu_list(std::string_view text);

// Binds the calling thread, and so every thread it starts later, to `cpus`
// (sched_setaffinity). Call it first thing, before threads are started.
// invalid_argument if the list is malformed or names a CPU this machine or
// cpuset lacks; another error if the kernel refuses otherwise.
Result<> pin_to_cpus(std::string_view list);

}  // namespace ot
