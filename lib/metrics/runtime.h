// A long-running program's operations side (man ot-metrics.7):
//   - with --metrics ADDR: the exporter (/metrics, /healthz, /readyz;
//     metrics/exporter.h), the event series (an EventMeter installed as the
//     process's tally) and the stage timers;
//   - under systemd (NOTIFY_SOCKET set): READY=1 once the program is set
//     up, WATCHDOG=1 while it is alive when the unit has WatchdogSec=, and
//     STOPPING=1 at the end.
// Alive, for the watchdog, means: lines or events moved since the last
// look, or the program is waiting for input that has nothing (waiting(),
// from the input's idle hook, with no line read since), or its event loop
// ticked (beat()). A main thread stuck in its work does none of these, and
// systemd restarts it.
//
// Threading: made and destroyed on the main thread; waiting(), beat() and
// input_ended() from any.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "core/result.h"
#include "metrics/event_meter.h"
#include "metrics/exporter.h"
#include "metrics/metrics.h"

namespace ot::metrics {

struct RuntimeOptions {
  std::string listen;  // --metrics: HOST:PORT, empty for no exporter
  std::size_t symbol_cap = 100;
};

class Runtime {
 public:
  // `ready` answers /readyz; null: ready once an event was read or
  // written, until the input ends (input_ended()). invalid_argument or io_error from the
  // exporter.
  static Result<std::unique_ptr<Runtime>> start(const RuntimeOptions& options,
                                                ReadyCheck ready = nullptr);
  ~Runtime();

  // Set up and about to work: READY=1.
  void ready();
  void waiting() noexcept { idle_at_.store(meter_.lines_in() + 1, std::memory_order_relaxed); }
  void beat() noexcept {
    beats_.store(beats_.load(std::memory_order_relaxed) + 1, std::memory_order_relaxed);
  }
  void input_ended() noexcept { ended_.store(true, std::memory_order_relaxed); }

  // The exporter's port, 0 without one.
  std::uint16_t port() const { return exporter_ ? exporter_->port() : 0; }
  // The latency histogram of a stage, ot_stage_latency_seconds{stage};
  // null without an exporter (nothing is timed).
  Histogram* stage(std::string_view name) const;
  // ot_parse_errors_total{venue}: frames from a venue or a capture that
  // could not be parsed, exported from this call on (at 0 until the first);
  // null without an exporter (nothing is counted).
  Counter* parse_errors(std::string_view venue) const;

 private:
  explicit Runtime(std::size_t symbol_cap) : meter_(registry(), symbol_cap) {}
  bool default_ready(std::string& why) const;
  void watchdog(std::uint64_t interval_us);

  EventMeter meter_;
  std::unique_ptr<Exporter> exporter_;
  std::atomic<std::uint64_t> idle_at_{0};  // lines_in() + 1 when last waiting
  std::atomic<std::uint64_t> beats_{0};
  std::atomic<bool> ended_{false};
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread watchdog_;
};

}  // namespace ot::metrics
