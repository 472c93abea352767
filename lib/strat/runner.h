// Drives one Strategy from an event stream: market events pass through to
// the output (before any order they trigger, so a downstream paper venue
// sees the market the strategy saw), the strategy's orders, cancels and
// amends are written after them, and execution reports for its own orders
// (from the stream or the executions endpoint) update its order states and
// positions before the strategy hears of them.
//
// Reports from the endpoint carry `seq`: a repeat is ignored, a jump is
// reported (something was lost upstream) as a `status` gap event.
//
// Threading: single-threaded.
#pragma once

#include <functional>
#include <string>
#include <unordered_map>
#include <vector>

#include "core/diagnostics.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/string_map.h"
#include "strat/strategy.h"

namespace ot {

struct RunnerOptions {
  // Client order ids are "<prefix>-<session>-<n>": unique per strategy
  // instance and run. Defaults: the strategy's name, and "0".
  std::string id_prefix;
  std::string session = "0";
  // Which top-of-book events the strategy sees: "bbo" (ot-book's, from a
  // validated book), "quote" (the venue's own), or "any".
  std::string top_source = "bbo";
};

struct RunnerStats {
  std::uint64_t lines = 0, malformed = 0, orders = 0, cancels = 0, amends = 0, reports = 0,
                fills = 0, feedback_gaps = 0;
};

class StrategyRunner final : public StrategyContext {
 public:
  StrategyRunner(Strategy& strategy, LineSink& out, Diagnostics& diag, RunnerOptions options);

  void start();
  // A line of the main stream (followed by kLinePadding readable bytes).
  bool process_line(std::string_view line, std::string_view source, std::uint64_t line_number);
  // A line from the executions endpoint.
  void process_feedback(std::string_view line);
  // Fused use: a report from the executions endpoint as a struct.
  void on_feedback(const Exec& e);
  // Fused use: a top of book as a struct (as a bbo line would give it).
  void on_top(const TopOfBookEvent& t);
  // Fused use: a trade and a status event as structs.
  void on_trade(const Trade& t);
  void on_status(const Status& s);
  // Fused use: a closed candle (forming ones are not handed on).
  void on_bar(const Candle& k);
  // Fused use: where depth() reads the book (the chain's own); without it,
  // from the stream's depth events.
  using DepthSource =
      std::function<bool(std::string_view venue, std::string_view symbol, std::size_t levels,
                         std::vector<Level>& bids, std::vector<Level>& asks)>;
  void set_depth_source(DepthSource fn) { depth_source_ = std::move(fn); }
  // Fused use: orders, cancels and amends go to this sink as structs
  // instead of lines.
  class OrderSink {
   public:
    virtual ~OrderSink() = default;
    virtual void on_order(const Order& o) = 0;
    virtual void on_cancel(const Cancel& c) = 0;
    virtual void on_amend(const Amend& a) = 0;
  };
  void set_order_sink(OrderSink* sink) { sink_ = sink; }
  // Runs the timer if it is due at `now` (and moves the clock there).
  void advance(Nanos now);
  // Lets the strategy clean up (cancel its working orders).
  void stop();
  std::optional<Nanos> timer() const { return timer_; }
  const RunnerStats& stats() const { return stats_; }

  // StrategyContext
  Nanos now() const override { return now_; }
  std::string_view submit(const OrderRequest& r) override;
  void cancel(std::string_view id) override;
  void amend(std::string_view id, std::optional<Decimal> qty,
             std::optional<Decimal> price) override;
  const OrderTracker& orders() const override { return tracker_; }
  Decimal position(std::string_view venue, std::string_view symbol) const override;
  bool depth(std::string_view venue, std::string_view symbol, std::size_t levels,
             std::vector<Level>& bids, std::vector<Level>& asks) const override;
  void set_timer(Nanos at) override { timer_ = at; }
  void note(std::string_view message) override;
  void status(std::string_view venue, std::string_view symbol, std::string_view event,
              std::string_view detail) override;

 private:
  void on_exec(const Exec& e);
  void keep_depth(const BookUpdate& d);
  void run_timer();
  void clock(Nanos t) {
    if (t > now_) now_ = t;
  }

  Strategy& strategy_;
  LineSink& out_;
  Diagnostics& diag_;
  RunnerOptions options_;
  EventDecoder decoder_;
  EventDecoder feedback_decoder_;
  DecodedEvent ev_;
  DecodedEvent fb_;
  EventEncoder encoder_;
  // Open orders and the last 1024 final ones (late or repeated reports of
  // those are still recognized); the exec engine keeps every id.
  OrderTracker tracker_{1024};
  StringMap<Decimal> positions_;
  struct Depth {
    std::vector<Level> bids, asks;
  };
  StringMap<Depth> depths_;  // the last depth event per instrument (wants_depth)
  DepthSource depth_source_;
  std::string id_;
  std::string key_;
  std::uint64_t next_id_ = 1;
  std::int64_t last_seq_ = 0;
  Nanos now_ = 0;
  std::optional<Nanos> timer_;
  RunnerStats stats_;
  OrderSink* sink_ = nullptr;
};

}  // namespace ot
