#include "metrics/runtime.h"

#include <systemd/sd-daemon.h>

#include <chrono>

namespace ot::metrics {

Result<std::unique_ptr<Runtime>> Runtime::start(const RuntimeOptions& options, ReadyCheck ready) {
  std::unique_ptr<Runtime> rt(new Runtime(options.symbol_cap));
  Runtime* raw = rt.get();
  if (!ready) ready = [raw](std::string& why) { return raw->default_ready(why); };
  if (!options.listen.empty()) {
    auto started = Exporter::start(options.listen, registry(), std::move(ready));
    if (!started) return started.error();
    rt->exporter_ = std::move(started).value();
  }
  // The meter counts for the exporter and the watchdog; with neither,
  // nothing is counted.
  std::uint64_t usec = 0;
  const bool watchdog = sd_watchdog_enabled(0, &usec) > 0 && usec > 0;
  if (rt->exporter_ || watchdog) install_event_tally(&rt->meter_);
  if (watchdog) rt->watchdog_ = std::thread([raw, usec] { raw->watchdog(usec / 2); });
  return rt;
}

Runtime::~Runtime() {
  sd_notify(0, "STOPPING=1");
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (watchdog_.joinable()) watchdog_.join();
  exporter_.reset();
  install_event_tally(nullptr);
}

void Runtime::ready() { sd_notify(0, "READY=1"); }

Histogram* Runtime::stage(std::string_view name) const {
  if (!exporter_) return nullptr;
  return &registry().histogram(
      "ot_stage_latency_seconds",
      "Latency of a processing stage, sampled one pass in StageTimer::kSampleEvery.",
      {{"stage", std::string(name)}});
}

Counter* Runtime::parse_errors(std::string_view venue) const {
  if (!exporter_) return nullptr;
  return &registry().counter(
      "ot_parse_errors_total",
      "Frames and capture lines that could not be parsed, and book levels refused, by venue.",
      {{"venue", std::string(venue)}});
}

bool Runtime::default_ready(std::string& why) const {
  if (ended_.load(std::memory_order_relaxed)) {
    why = "input ended";
    return false;
  }
  if (meter_.lines_in() == 0 && meter_.events() == 0) {
    why = "no input yet";
    return false;
  }
  return true;
}

void Runtime::watchdog(std::uint64_t interval_us) {
  std::uint64_t last_progress = ~std::uint64_t{0};
  std::unique_lock<std::mutex> lock(mu_);
  while (
      !cv_.wait_for(lock, std::chrono::microseconds(interval_us), [this] { return stopping_; })) {
    const std::uint64_t lines = meter_.lines_in();
    const std::uint64_t progress = lines + meter_.events() + beats_.load(std::memory_order_relaxed);
    const bool waiting = idle_at_.load(std::memory_order_relaxed) == lines + 1;
    if (progress != last_progress || waiting) sd_notify(0, "WATCHDOG=1");
    last_progress = progress;
  }
}

}  // namespace ot::metrics
