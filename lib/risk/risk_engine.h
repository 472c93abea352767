// The engine behind ot-risk: a gate between strategies and ot-exec.
//
//   - orders are checked against the shared order rules (order_problem),
//     reduce_only against the position, then the limits (risk/limits.h):
//     approved ones pass on, a rejected one becomes an `exec` with status
//     rejected and a reason (ot-exec passes it to the executions endpoint,
//     so the strategy hears it); an unreadable order, cancel or amend, a
//     re-sent id and a refused amend are answered by id as refusal() says
//     (order_tracker.h) and not passed on;
//   - executions (from the endpoint, or the stream) update order states and
//     positions; `position` events go out on each fill, and on mark changes
//     at most once a second per instrument;
//   - loss limits (daily loss since UTC midnight, drawdown from the peak)
//     and the kill switch (kill(), a kill file, a `control` event
//     {"command":"kill"}) cancel every open order, reject new ones and say
//     so in a `status` event until {"command":"resume"};
//   - options, on any venue that describes them (Deribit, OKX): greeks from
//     each `ticker` (risk/greeks.h), portfolio greeks per venue and
//     underlying as `greeks` events, gamma and vega limits on new option
//     orders, and delta hedging in the configured future or perpetual when
//     |delta − target| leaves the band (sized in the hedge's contracts and
//     lots: USD for coin-margined ones).
//
// Time is the stream's: the latest event's time.
// Threading: single-threaded.
#pragma once

#include <memory>
#include <string>
#include <unordered_map>

#include "core/diagnostics.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/string_map.h"
#include "exec/order_tracker.h"
#include "risk/greeks.h"
#include "risk/limits.h"
#include "risk/positions.h"

namespace ot {

struct RiskEngineStats {
  // invalid: orders refused before any limit (order_problem), also among rejected.
  // adopted: orders first heard of from their executions (approved before a
  // restart, or sent around the gate).
  std::uint64_t lines = 0, malformed = 0, invalid = 0, orders = 0, approved = 0, rejected = 0,
                cancels = 0, fills = 0, kills = 0, hedges = 0, adopted = 0;
};

class RiskEngine {
 public:
  RiskEngine(RiskLimits limits, LineSink& out, Diagnostics& diag);
  ~RiskEngine();

  bool process_line(std::string_view line, std::string_view source, std::uint64_t line_number);
  // Fused use: checks an order given as a struct. True if approved (the
  // caller sends it on); false if rejected (the reject went to the output).
  bool approve(const Order& o);
  // Fused use: market data as structs.
  void on_top_of_book(const TopOfBookEvent& t) { on_top(t); }
  void process_feedback(std::string_view line);
  // Fused use: a report from the executions endpoint as a struct.
  void on_feedback(const Exec& e);
  // Trips the kill switch (idempotent).
  void kill(std::string_view reason);
  void resume(std::string_view reason);
  // Trips the kill switch if the limits' kill file exists.
  void check_kill_file();
  // The same, at most once per 100 ms of `mono_now` (monotonic ns), so that
  // a caller may ask on every wake-up without a stat(2) per message.
  void poll_kill_file(Nanos mono_now);
  bool killed() const { return killed_; }

  const PositionBook& positions() const { return positions_; }
  const OrderTracker& orders() const { return tracker_; }
  const RiskEngineStats& stats() const { return stats_; }
  // Portfolio greeks of "venue:UNDERLYING" (nullptr if none).
  const OptionsPortfolio* portfolio(std::string_view key) const { return options_.portfolio(key); }

 private:
  void on_order(const Order& o, std::string_view line);
  // Why `o` breaks a limit (empty if it does not); `replaces` names an open
  // order it amends, whose own exposure does not count. The order rules
  // (order_problem) are the caller's to check first.
  std::string check(const Order& o, std::string_view replaces = {});
  // Answers `request` (an order, or a cancel or amend as request_of gives
  // it) with refusal(): rejected, or its order's state restated.
  void reject(const Order& request, std::string_view reason);
  void on_exec(const Exec& e);
  void on_top(const TopOfBookEvent& t);
  void on_ticker(const Ticker& t);
  void emit_position(const PositionState& p);
  void update_pnl();
  void recompute_greeks(std::string_view venue, const std::string& underlying);
  void hedge(std::string_view venue, const std::string& underlying, const GreekLimits& g,
             const OptionsPortfolio& pf);
  void status(std::string_view event, std::string_view detail);
  std::optional<Decimal> mid(std::string_view venue, std::string_view symbol) const;
  static std::string key(std::string_view venue, std::string_view symbol);
  // The same "venue:symbol" key built in key_ (no allocation once grown).
  std::string_view mark_key(std::string_view venue, std::string_view symbol) const;

  RiskLimits limits_;
  LineSink& out_;
  Diagnostics& diag_;
  EventDecoder decoder_;
  EventDecoder feedback_decoder_;
  DecodedEvent ev_, fb_;
  EventEncoder encoder_;
  // Open orders and the last 1024 final ones; the exec engine behind the
  // gate keeps every id and refuses any reuse.
  OrderTracker tracker_{1024};
  PositionBook positions_;
  StringMap<Decimal> mids_;
  RecentKeys<Decimal> recent_mids_;
  TermsCache terms_;
  StringMap<Nanos> position_emitted_;
  OptionsBook options_;
  StringMap<std::string> hedge_orders_;  // portfolio → working hedge id
  Nanos now_ = 0;
  double tokens_ = 0;
  Nanos tokens_at_ = 0;
  bool killed_ = false;
  Nanos kill_file_checked_ = -1;  // monotonic; -1: never
  std::string kill_reason_;
  std::int64_t day_ = -1;
  Amount day_start_pnl_, peak_pnl_;
  bool have_peak_ = false;
  std::int64_t last_seq_ = 0;
  std::uint64_t next_hedge_ = 1;
  std::string id_;
  mutable std::string key_;  // scratch "venue:symbol" (mark_key)
  RiskEngineStats stats_;
};

}  // namespace ot
