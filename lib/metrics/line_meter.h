// Metrics of an event stream, from its lines: every program's events in
// and out by type and venue, the status events among them (gaps, resyncs,
// checksum mismatches, connects and disconnects) by event and venue, and
// each venue's last event age. A line is classified by its first members,
// `{"type":"…","venue":"…"` as every program writes them (man
// ot-events.7), with no JSON parse; a line of another shape counts under
// type and venue "other".
//
// Series (man ot-metrics.7):
//   ot_events_total{direction="in"|"out",type,venue}
//   ot_status_total{event,venue}          (the status events read)
//   ot_last_event_age_seconds{venue}      (since the last event read)
//   ot_malformed_lines_total              (count_malformed)
//
// Threading: one meter per stream, used from one thread; the registry's
// series are read by the exporter's thread.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/event_encoder.h"
#include "metrics/metrics.h"

namespace ot::metrics {

// (type, venue) of a line from its first members; empty views when absent.
void classify_line(std::string_view line, std::string_view& type, std::string_view& venue);

class LineMeter {
 public:
  // direction: "in" or "out". At most `max_series` (type, venue) pairs get
  // series of their own; the rest count as ("other", "other").
  LineMeter(Registry& registry, std::string direction, std::size_t max_series = 256);

  void count(std::string_view line);
  void count_malformed() { malformed_.inc(); }
  // Nanoseconds (monotonic) of the last line counted, 0 before any.
  Nanos last_line_ns() const { return last_.load(std::memory_order_relaxed); }

 private:
  struct Entry {
    std::string type, venue;
    Counter* events;
    std::atomic<Nanos>* last;  // per venue, in venues_
  };
  struct Venue {
    std::string name;
    std::unique_ptr<std::atomic<Nanos>> last;
  };
  Entry& entry(std::string_view type, std::string_view venue);
  void count_status(std::string_view line, std::string_view venue);

  Registry& registry_;
  std::string direction_;
  std::size_t max_series_;
  std::vector<Entry> entries_;
  std::vector<std::unique_ptr<Venue>> venues_;
  Entry* recent_ = nullptr;
  Counter& malformed_;
  std::atomic<Nanos> last_{0};
};

// A LineSink that meters what it passes on.
class MeteredSink final : public LineSink {
 public:
  MeteredSink(LineSink& inner, LineMeter& meter) : inner_(inner), meter_(meter) {}
  void write_line(std::string_view topic, std::string_view line) override {
    meter_.count(line);
    inner_.write_line(topic, line);
  }
  bool wants_topic() const override { return inner_.wants_topic(); }
  bool discards() const override { return inner_.discards(); }
  bool deduplicates() const override { return inner_.deduplicates(); }

 private:
  LineSink& inner_;
  LineMeter& meter_;
};

}  // namespace ot::metrics
