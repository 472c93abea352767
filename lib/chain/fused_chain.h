// The trading chain fused in one process: ot-book's engine, one or more
// strategies, ot-risk's engine and ot-exec's engine over a venue gateway,
// the very components the separate programs run, handed structs instead of
// lines. ot-backtest (over the paper venue, on a simulated clock),
// ot-tick-chain (over a live gateway) and the trainer all drive this one.
//
//   market events → BookEngine → top of book → RiskEngine (marks), the
//   top observer, then each strategy → orders → the order observer →
//   RiskEngine::approve → ExecEngine → Gateway → reports → each strategy,
//   RiskEngine, then the report listener.
//
// Ordering guarantees:
//   - with `venue_sees_market`, a book update reaches the gateway (when it
//     takes market data) after the book and before any strategy hears of
//     the new top, so an order it triggers meets the market it was decided
//     on, never an older one and never a newer one (no look-ahead);
//   - reports are handed on one at a time in the venue's order: a report
//     made while one is being handled (a strategy answered with an order
//     that filled at once) waits, in an owned copy, until the first has
//     reached every listener;
//   - risk's own rejects go through the exec engine, so strategies hear of
//     them as reports like any other.
//
// Threading: single-threaded; every call and callback on the caller's
// thread. The gateway's own threads stay inside it (Gateway::poll).
#pragma once

#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

#include "book/book_engine.h"
#include "core/diagnostics.h"
#include "exec/exec_engine.h"
#include "io/output.h"
#include "risk/risk_engine.h"
#include "strat/runner.h"

namespace ot {

struct FusedChainOptions {
  RiskLimits limits;
  // Market events given to the chain also go to the gateway (see above).
  // Off when the caller feeds the venue itself (a market-latency model: the
  // venue sees the market before the strategies do).
  bool venue_sees_market = true;
  BookEngineOptions book;
};

class FusedChain final : private StrategyRunner::OrderSink {
 public:
  // The gateway must outlive the chain; the chain becomes its listener.
  FusedChain(Gateway& venue, FusedChainOptions options, Diagnostics& diag);
  ~FusedChain() override;

  // Adds a strategy (owned by the caller, outliving the chain) with its
  // runner options; before start(). Returns its runner.
  StrategyRunner& add_strategy(Strategy& strategy, const RunnerOptions& options);
  // Starts the strategies (they may set timers or send orders at once).
  void start();
  // Lets the strategies clean up (cancel what they have working).
  void stop();

  // Market events as structs, each into the book, the gateway (see
  // venue_sees_market) and the strategies.
  void on_book(const BookUpdate& u);
  void on_trade(const Trade& t);
  void on_status(const Status& s);
  // A closed candle, to the strategies (a backtest on candles hands it on
  // before the top of book at its close).
  void on_bar(const Candle& k);
  // A book update before the strategies listen (a backtest window's
  // warm-up): into the book and the gateway; no strategy hears of it.
  void warm_book(const BookUpdate& u);
  // A top of book from outside the chain's book (a candle's close).
  void on_top(const TopOfBookEvent& t);

  // Runs every strategy timer due by `t`, earliest first, each after the
  // gateway was polled to the timer's time (never before `not_before`).
  void run_timers(Nanos t, Nanos not_before);
  // Advances the gateway's time-driven work to `now` (latency queues,
  // network) and delivers what it reported.
  void poll(Nanos now) { exec_->poll(now); }

  // Callbacks, all optional. The top observer sees every top of book after
  // risk and before the strategies; the order observer every order a
  // strategy sends, before risk judges it; the report listener every
  // report after the strategies and risk.
  void set_top_observer(std::function<void(const TopOfBookEvent&)> fn) { top_fn_ = std::move(fn); }
  void set_order_observer(std::function<void(const Order&)> fn) { order_fn_ = std::move(fn); }
  void set_report_listener(std::function<void(const Exec&)> fn) { report_fn_ = std::move(fn); }

  BookEngine& book() { return *book_; }
  RiskEngine& risk() { return *risk_; }
  ExecEngine& exec() { return *exec_; }
  const std::vector<std::unique_ptr<StrategyRunner>>& strategies() const { return runners_; }

 private:
  // StrategyRunner::OrderSink
  void on_order(const Order& o) override;
  void on_cancel(const Cancel& c) override;
  void on_amend(const Amend& a) override;

  void deliver_top(const TopOfBookEvent& t);
  void on_report(const Exec& e);
  void handle_report(const Exec& e);

  Gateway& venue_;
  const bool venue_sees_market_;
  Diagnostics& diag_;
  NullLineSink null_;
  // Risk's rejects, as lines, into the exec engine.
  PaddedLineSink rejects_;
  // The book engine's status lines (book_invalid, book_valid) to the strategies.
  PaddedLineSink book_out_;
  std::unique_ptr<ExecEngine> exec_;
  std::unique_ptr<RiskEngine> risk_;
  std::unique_ptr<BookEngine> book_;
  std::vector<std::unique_ptr<StrategyRunner>> runners_;
  std::function<void(const TopOfBookEvent&)> top_fn_;
  std::function<void(const Order&)> order_fn_;
  std::function<void(const Exec&)> report_fn_;
  bool hold_top_ = false;
  bool warming_ = false;
  std::optional<TopOfBookEvent> held_top_;
  bool draining_ = false;
  std::deque<OwnedExec> reports_;
};

}  // namespace ot
