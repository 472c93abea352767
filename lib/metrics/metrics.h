// Prometheus metrics: counters, gauges and latency histograms by name and
// labels, in one registry per process. A component asks for its series
// once (registry lookups take a lock and may allocate) and keeps the
// reference; an update on the hot path is then one relaxed atomic
// operation (a histogram: two, the bucket and the sum). The exporter's
// thread renders the registry in the text exposition format 0.0.4 on a
// scrape (metrics/exporter.h).
//
// Names follow Prometheus' conventions (ot_events_in_total, _seconds);
// labels stay bounded: venue, type, reason, and symbol through a
// LabelCap, never an order id.
//
// Threading: every member is safe from any thread; series live as long as
// the registry.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/time.h"

namespace ot::metrics {

// Label names and values, in the order given (rendered sorted by name).
using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(std::uint64_t n = 1) noexcept { v_.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<std::uint64_t> v_{0};
};

class Gauge {
 public:
  void set(double v) noexcept { v_.store(v, std::memory_order_relaxed); }
  void add(double d) noexcept { v_.fetch_add(d, std::memory_order_relaxed); }
  double value() const noexcept { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> v_{0};
};

// Latencies with fixed buckets from 1 µs to 1 s (1-2-5 steps), in seconds
// on the wire; observed in nanoseconds.
class Histogram {
 public:
  static constexpr std::array<Nanos, 19> kBoundsNs = {
      1'000,      2'000,       5'000,       10'000,      20'000,       50'000,     100'000,
      200'000,    500'000,     1'000'000,   2'000'000,   5'000'000,    10'000'000, 20'000'000,
      50'000'000, 100'000'000, 200'000'000, 500'000'000, 1'000'000'000};
  // The bounds as `le` labels, written as Prometheus' own clients do.
  static constexpr std::array<std::string_view, 19> kBoundsText = {
      "1e-06", "2e-06", "5e-06", "1e-05", "2e-05", "5e-05", "0.0001", "0.0002", "0.0005", "0.001",
      "0.002", "0.005", "0.01",  "0.02",  "0.05",  "0.1",   "0.2",    "0.5",    "1"};

  void observe_ns(Nanos ns) noexcept {
    std::size_t i = 0;
    while (i < kBoundsNs.size() && ns > kBoundsNs[i]) ++i;
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_ns_.fetch_add(ns > 0 ? static_cast<std::uint64_t>(ns) : 0, std::memory_order_relaxed);
  }
  // Observations in bucket i (not cumulative); the last is past 1 s.
  std::uint64_t bucket(std::size_t i) const noexcept {
    return counts_[i].load(std::memory_order_relaxed);
  }
  std::uint64_t count() const noexcept;
  std::uint64_t sum_ns() const noexcept { return sum_ns_.load(std::memory_order_relaxed); }

 private:
  std::array<std::atomic<std::uint64_t>, kBoundsNs.size() + 1> counts_{};
  std::atomic<std::uint64_t> sum_ns_{0};
};

// Times a stage on one pass in kSampleEvery (two clock reads on that pass,
// a count and a branch on the others): begin() before, end() after.
class StageTimer {
 public:
  static constexpr unsigned kSampleEvery = 16;
  explicit StageTimer(Histogram* h = nullptr) : h_(h) {}
  void begin() noexcept {
    if (h_ != nullptr && ++n_ % kSampleEvery == 0) t0_ = mono_ns();
  }
  void end() noexcept {
    if (t0_ == 0) return;
    h_->observe_ns(mono_ns() - t0_);
    t0_ = 0;
  }

 private:
  Histogram* h_;
  unsigned n_ = 0;
  Nanos t0_ = 0;
};

class Registry {
 public:
  // The series of `name` with `labels`, made on first use. `help` is the
  // family's (the first one given stays). A name used with another type
  // throws std::logic_error (a programming error).
  Counter& counter(std::string_view name, std::string_view help, const Labels& labels = {});
  Gauge& gauge(std::string_view name, std::string_view help, const Labels& labels = {});
  Histogram& histogram(std::string_view name, std::string_view help, const Labels& labels = {});

  // Hooks of `owner`, until forget(owner). on_scrape: runs before each
  // rendering (gauges computed at scrape time: an age). on_tick: runs
  // every kTickMs on the exporter's thread (tick()), for work that must
  // not wait for a scrape, such as noting when counts last moved.
  static constexpr int kTickMs = 50;
  void on_scrape(const void* owner, std::function<void()> fn);
  void on_tick(const void* owner, std::function<void()> fn);
  void forget(const void* owner);
  void tick();

  // Every family, sorted by name, in the text exposition format.
  std::string render();

 private:
  enum class Type { counter, gauge, histogram };
  struct Series {
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
  };
  struct Family {
    Type type = Type::counter;
    std::string help;
    std::map<Labels, Series> series;  // labels sorted by name
  };
  Series& series(std::string_view name, std::string_view help, Type type, const Labels& labels);

  std::mutex mu_;
  std::map<std::string, Family, std::less<>> families_;
  struct Hook {
    const void* owner;
    bool tick;  // else scrape
    std::function<void()> fn;
  };
  void run_hooks(bool tick);
  std::vector<Hook> hooks_;
};

// The process's registry.
Registry& registry();

// Bounds a label's values: the first `cap` distinct values keep their
// name, later ones read "other". Not for the hot path (a lookup).
class LabelCap {
 public:
  explicit LabelCap(std::size_t cap) : cap_(cap) {}
  std::string_view operator()(std::string_view value);

 private:
  std::size_t cap_;
  std::mutex mu_;
  std::deque<std::string> seen_;  // stable: the views handed out stay valid
};

// Writes a label value or HELP text escaped as the format wants (\\, \",
// \n; HELP: \\ and \n only).
void append_label_value(std::string& out, std::string_view v);

}  // namespace ot::metrics
