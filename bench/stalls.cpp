// ot-bench-stalls: how often, and for how long, this machine takes the CPU
// away from a thread that never gives it up — the floor under any latency
// tail measured here. One thread per listed CPU, pinned, doing nothing but
// read the monotonic clock in a loop for S seconds, all at once (as the
// busy-polled programs of a chain keep every vCPU busy). A gap between two
// reads is time the thread did not run: an interrupt, or the hypervisor
// running something else on the vCPU (a guest that is not told of steal
// time cannot see it any other way).
//
// Per CPU: the gaps over 10 µs, 50 µs, 200 µs and 1 ms, the longest, and
// the share of the time lost in gaps over 10 µs.
//
//   ot-bench-stalls [--cpus 0,1] [--seconds 10]
#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "core/time.h"
#include "io/cpu.h"

namespace {

struct alignas(64) Stalls {  // one per thread, a cache line apart
  int cpu = 0;
  bool pinned = false;
  long over10 = 0, over50 = 0, over200 = 0, over1000 = 0;
  ot::Nanos longest = 0, lost = 0;
};

void watch(Stalls& s, ot::Nanos duration) {
  s.pinned = static_cast<bool>(ot::pin_to_cpus(std::to_string(s.cpu)));
  ot::Nanos last = ot::mono_ns();
  const ot::Nanos end = last + duration;
  while (last < end) {
    const ot::Nanos now = ot::mono_ns();
    const ot::Nanos gap = now - last;
    last = now;
    if (gap <= 10'000) continue;
    ++s.over10;
    s.lost += gap;
    s.longest = std::max(s.longest, gap);
    if (gap > 50'000) ++s.over50;
    if (gap > 200'000) ++s.over200;
    if (gap > 1'000'000) ++s.over1000;
  }
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage = "usage: ot-bench-stalls [--cpus LIST] [--seconds S]\n";
  std::string cpus = "0,1";
  double seconds = 10;
  for (int i = 1; i < argc; i += 2) {
    const std::string flag = argv[i];
    if (i + 1 >= argc || (flag != "--cpus" && flag != "--seconds")) {
      std::fprintf(stderr, "ot-bench-stalls: error: bad option %s\n%s", flag.c_str(), usage);
      return 2;
    }
    if (flag == "--cpus") {
      cpus = argv[i + 1];
    } else {
      seconds = std::atof(argv[i + 1]);
    }
  }
  const auto list = ot::parse_cpu_list(cpus);
  if (!list || seconds <= 0) {
    std::fprintf(stderr,
                 "ot-bench-stalls: error: --cpus takes a CPU list (0,1 or 0-3), "
                 "--seconds a positive number\n%s",
                 usage);
    return 2;
  }
  std::vector<Stalls> all(list->size());
  for (std::size_t i = 0; i < all.size(); ++i) all[i].cpu = (*list)[i];
  const auto duration = static_cast<ot::Nanos>(seconds * 1e9);
  std::vector<std::thread> threads;
  threads.reserve(all.size());
  for (Stalls& s : all) threads.emplace_back(watch, std::ref(s), duration);
  for (std::thread& t : threads) t.join();
  for (const Stalls& s : all) {
    if (!s.pinned) {
      std::fprintf(stderr, "ot-bench-stalls: error: cannot run on cpu %d\n", s.cpu);
      return 1;
    }
    std::printf(
        "stalls of a spinning thread on cpu %d (%zu at once, %g s): over 10 us %ld, "
        "over 50 us %ld, over 200 us %ld, over 1 ms %ld, longest %.2f ms, time lost "
        "%.2f%%\n",
        s.cpu, all.size(), seconds, s.over10, s.over50, s.over200, s.over1000,
        static_cast<double>(s.longest) / 1e6,
        100.0 * static_cast<double>(s.lost) / static_cast<double>(duration));
  }
  return 0;
}
