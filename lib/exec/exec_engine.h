// The engine behind ot-exec: reads the event stream, sends orders, cancels
// and amends to a Gateway, tracks every order's state, journals the order
// traffic and publishes execution reports — on the output stream and on the
// executions endpoint that feeds ot-risk and ot-strat back.
//
//   - market events go to the gateway (the paper venue matches on them) and
//     pass through;
//   - an order whose client id was seen before (in this run or in the
//     journal) is not sent again: re-sending is idempotent, and the order's
//     state is restated;
//   - every order, cancel or amend that is not sent (unreadable, refused by
//     order_problem, an unknown id) is answered by id (refusal() in
//     order_tracker.h);
//   - `exec` events from upstream (ot-risk's rejects) pass through and are
//     published on the executions endpoint too, so the strategy hears them;
//   - every published report carries `seq`, the endpoint's own sequence
//     number (continuing across restarts), so a subscriber can prove it
//     missed nothing.
//
// Threading: single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/diagnostics.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/string_map.h"
#include "exec/gateway.h"
#include "exec/journal.h"
#include "exec/order_tracker.h"
#include "metrics/metrics.h"

namespace ot {

struct ExecEngineStats {
  std::uint64_t lines = 0;
  std::uint64_t malformed = 0;
  std::uint64_t orders = 0;
  std::uint64_t duplicate_orders = 0;
  std::uint64_t cancels = 0;
  std::uint64_t amends = 0;
  std::uint64_t reports = 0;
  std::uint64_t fills = 0;
  std::uint64_t refused_reports = 0;
  std::uint64_t refused = 0;  // orders, cancels and amends answered without being sent
  std::uint64_t restored = 0;
};

class ExecEngine final : public ExecListener {
 public:
  ExecEngine(Gateway& gateway, LineSink& out, Diagnostics& diag);

  // Where reports are also published (the executions endpoint); optional.
  void set_fills(LineSink* fills) { fills_ = fills; }
  // Fused use: every published report also as a struct (with its `seq`)
  // and its line, to `fn`, synchronously; the views are valid for the call.
  // With `lines` false the listener takes the struct alone (the line is
  // empty), and when no output, journal or fills sink reads lines either,
  // none is built.
  void set_report_listener(std::function<void(const Exec&, std::string_view line)> fn,
                           bool lines = true) {
    report_listener_ = std::move(fn);
    report_lines_ = lines;
  }
  // Opens the journal, replays it into the order tracker and hands orders
  // it shows as open to the gateway to reconcile. The last kRepublish
  // reports journaled are published again on the sinks that deduplicate
  // (LineSink::deduplicates(): JetStream), so one journaled just before a
  // kill still reaches the executions stream, once. Call before any input,
  // after set_fills().
  Result<> open_journal(const std::string& path, bool sync);

  // One input line (followed by kLinePadding readable bytes). False if it
  // was malformed (reported and skipped).
  bool process_line(std::string_view line, std::string_view source, std::uint64_t line_number);
  // Fused use: orders, cancels and amends as structs (what process_line
  // does with their lines). `where` names them in messages.
  void submit(const Order& o, std::string_view where = "order");
  void cancel(const Cancel& c, std::string_view where = "cancel");
  void amend(const Amend& a, std::string_view where = "amend");
  // Advances the gateway's time-driven work.
  void poll(Nanos now) { gateway_.poll(now); }
  // End of input: the gateway settles what is in flight on the stream's
  // clock (Gateway::finish), with a warning for requests that never
  // reached the venue.
  void finish();

  // Open orders and the most recent final ones (kKeepFinal); every client
  // order id ever used is remembered apart (ids_used()), compactly, so a
  // long session neither grows by a whole order record per order nor lets
  // an id be used twice.
  const OrderTracker& orders() const { return tracker_; }
  std::size_t ids_used() const { return used_.size(); }
  static constexpr std::size_t kKeepFinal = 65536;
  // At least the JetStream publisher's window of unacknowledged messages.
  static constexpr std::size_t kRepublish = 4096;
  const ExecEngineStats& stats() const { return stats_; }
  // Observes each order's time from its submit to its first report (an
  // ack, a reject or a fill) in `h`, on the monotonic clock; null: none.
  void set_ack_latency(metrics::Histogram* h) { ack_latency_ = h; }
  // Output or journal failure (the run must stop: nothing may go unrecorded).
  const std::string& fatal() const { return fatal_; }

  void on_exec(const Exec& e) override;
  void on_venue_status(const Status& s) override;

 private:
  class Capture final : public LineSink {
   public:
    void write_line(std::string_view topic, std::string_view line) override {
      topic_.assign(topic);
      line_.assign(line);
    }
    std::string topic_, line_;
  };
  void publish(const Exec& e, bool journal);
  // Answers a request that is not sent (see refusal() in order_tracker.h).
  void refuse(const Order& request, std::string_view reason);
  // The work of submit/cancel/amend; `line` is the event's own text when it
  // came as a line (journaled as is), empty when it came as a struct.
  void do_submit(Order o, std::string_view line, std::string_view where);
  void do_cancel(Cancel c, std::string_view line, std::string_view where);
  void do_amend(Amend a, std::string_view line, std::string_view where);
  void journal_event(std::string_view line, const auto& event);
  // Why a cancel or amend names no order the tracker holds.
  std::string_view unknown_id(std::string_view id) const;
  void journal(std::string_view line);
  std::string where(std::string_view source, std::uint64_t line_number) const;

  Gateway& gateway_;
  LineSink& out_;
  LineSink* fills_ = nullptr;
  std::function<void(const Exec&, std::string_view)> report_listener_;
  bool report_lines_ = true;
  Diagnostics& diag_;
  OrderTracker tracker_{kKeepFinal};
  CompactStringSet used_;  // every client order id of the session
  Journal journal_;
  EventDecoder decoder_;
  DecodedEvent ev_;
  Capture capture_;
  EventEncoder encoder_;
  EventEncoder journal_encoder_;  // not counted as output
  metrics::Histogram* ack_latency_ = nullptr;
  std::unordered_map<std::string, Nanos> sent_at_;  // orders awaiting their first report
  std::int64_t seq_ = 0;
  Nanos last_ts_ = 0;
  ExecEngineStats stats_;
  std::string fatal_;
};

}  // namespace ot
