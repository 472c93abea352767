// The strategy interface: events in, orders and cancels out, its own
// executions back. A strategy is a plain object driven by a StrategyRunner
// (ot-strat, and the backtester fused in one process): it never reads or
// writes a stream, never looks at a clock, never touches a socket, so the
// same object behaves identically live, over pipes and in a backtest.
//
// Writing one:
//
//   class Pinger final : public ot::Strategy {
//    public:
//     std::string_view name() const override { return "pinger"; }
//     void params(ot::Params& p) override { p.add("qty", qty_, "order size"); }
//     void on_top(const ot::TopOfBookEvent& b, ot::StrategyContext& ctx) override {
//       if (!sent_) ctx.submit({b.venue, b.symbol, ot::Side::buy, qty_, b.bid});
//       sent_ = true;
//     }
//    private:
//     ot::Decimal qty_{1, 0};
//     bool sent_ = false;
//   };
//
// and register it in lib/strat/registry.cpp (or construct it yourself and
// hand it to a StrategyRunner).
//
// Threading: all calls come from the runner's thread, in stream order.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "book/l2_book.h"
#include "core/amount.h"
#include "core/orders.h"
#include "core/result.h"
#include "exec/order_tracker.h"

namespace ot {

// Named, typed parameters of a strategy, settable from flags, a config file
// or `--param k=v`.
class Params {
 public:
  enum class Kind { real, integer, text, decimal, flag };
  struct Entry {
    std::string name, help;
    Kind kind;
    void* target;
  };
  void add(std::string name, double& v, std::string help);
  void add(std::string name, std::int64_t& v, std::string help);
  void add(std::string name, std::string& v, std::string help);
  void add(std::string name, Decimal& v, std::string help);
  void add(std::string name, bool& v, std::string help);
  // Parses `value` into the parameter `name`. invalid_argument for an
  // unknown name or a value of the wrong type.
  Result<> set(std::string_view name, std::string_view value);
  // The current value as text.
  std::string get(const Entry& e) const;
  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

// Reads the [section] table of a strategy TOML file (ot-backtest --config)
// into `params` (dashes in keys read as underscores). invalid_argument
// (with the file and line) for a file that is not TOML, a value of another
// type than string, integer, float or boolean, or one `params` refuses; a
// file without the section sets nothing.
Result<> load_strategy_config(const std::string& path, std::string_view section, Params& params);

// What a strategy asks for.
struct OrderRequest {
  std::string_view venue;
  std::string_view symbol;
  Side side = Side::buy;
  Decimal qty;
  std::optional<Decimal> price;  // none: a market order
  Tif tif = Tif::gtc;
  bool reduce_only = false;
};

class StrategyContext {
 public:
  virtual ~StrategyContext() = default;
  // Time of the event being handled (ns since the epoch).
  virtual Nanos now() const = 0;
  // Sends an order; returns its client order id (valid until the next call).
  virtual std::string_view submit(const OrderRequest& r) = 0;
  virtual void cancel(std::string_view id) = 0;
  // New price and/or quantity for a resting order.
  virtual void amend(std::string_view id, std::optional<Decimal> qty,
                     std::optional<Decimal> price) = 0;
  // This strategy's orders and their states: every open order and the last
  // 1024 final ones (older final orders are forgotten).
  virtual const OrderTracker& orders() const = 0;
  // Net position from this strategy's own fills (positive long).
  virtual Decimal position(std::string_view venue, std::string_view symbol) const = 0;
  // The instrument's book, best first, at most `levels` a side, into `bids`
  // and `asks` (cleared first); false, with both empty, when no valid book
  // is known. Fused (ot-backtest, ot-tick-chain): the chain's own book as
  // of the event being handled. ot-strat: the last depth event of the
  // stream (ot-book --emit depth=N), kept only for a strategy whose
  // wants_depth() is true, and dropped when a status event says the book
  // went invalid.
  virtual bool depth(std::string_view venue, std::string_view symbol, std::size_t levels,
                     std::vector<Level>& bids, std::vector<Level>& asks) const = 0;
  // Calls on_timer once the clock reaches `at` (one pending timer; a new
  // call replaces it).
  virtual void set_timer(Nanos at) = 0;
  // A note for the operator (stderr in ot-strat; the report in a backtest).
  virtual void note(std::string_view message) = 0;
  // A `status` event about the strategy itself (`event` such as
  // "strategy_halted", with a detail): in ot-strat it goes into the output
  // stream, where ot-dash, ot-store and the logs see it, and to stderr; in
  // a fused run it is a note.
  virtual void status(std::string_view venue, std::string_view symbol, std::string_view event,
                      std::string_view detail) = 0;
};

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string_view name() const = 0;
  // The `strategy` field of its orders (default: the name); valid after
  // validate(). A learned strategy adds its model's hash.
  virtual std::string_view tag() const { return name(); }
  // Declares the parameters; called once, before on_start.
  virtual void params(Params& p) = 0;
  // After parameters are set: validate them (an error stops the run).
  virtual Result<> validate() { return {}; }
  virtual void on_start(StrategyContext&) {}
  // Top of book: `bbo` from ot-book or a venue `quote`.
  virtual void on_top(const TopOfBookEvent&, StrategyContext&) {}
  virtual void on_trade(const Trade&, StrategyContext&) {}
  // A closed candle: ot-bars' `bar` events in ot-strat; in a backtest on
  // candle files each row, just before the top of book at its close.
  virtual void on_bar(const Candle&, StrategyContext&) {}
  // A book became invalid or valid again, a venue disconnected, ...
  virtual void on_status(const Status&, StrategyContext&) {}
  // The strategy reads the book's depth (StrategyContext::depth).
  virtual bool wants_depth() const { return false; }
  // Reports for this strategy's own orders, including risk rejects.
  virtual void on_exec(const Exec&, StrategyContext&) {}
  virtual void on_timer(Nanos /*now*/, StrategyContext&) {}
  // End of input or a stop signal: the place to cancel what is working.
  virtual void on_stop(StrategyContext&) {}
};

struct StrategyFactory {
  std::string name;
  std::string summary;
  std::function<std::unique_ptr<Strategy>()> create;
};
// The built-in strategies: mm, momentum, meanrev, twap, probe.
const std::vector<StrategyFactory>& builtin_strategies();
std::unique_ptr<Strategy> make_strategy(std::string_view name);

}  // namespace ot
