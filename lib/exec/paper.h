// The paper venue: matches orders against the market data carried in the
// stream, with queue position, latency and fees. The same model serves
// `ot-exec --venue paper`, ot-sim's order entry and ot-backtest.
//
// Clock: the stream's. Each market event moves the venue's clock to its
// receive time (its venue time if it has none); an order arrives at its own
// `ts` plus the order latency, and its reports are delivered once the clock
// passes their venue time plus the report latency. With zero latencies
// everything happens at once, in stream order. Identical input gives
// identical output.
//
// Queue model (L2 data, our orders are not in the venue's book):
//   - a limit order that does not cross rests behind the size displayed at
//     its price when it arrives (queue_ahead);
//   - a trade at our price by an aggressor on the other side first eats
//     queue_ahead, the rest fills us (maker); a trade through our price fills
//     us up to its size;
//   - when the displayed size at our price shrinks below queue_ahead
//     (cancels ahead of us), queue_ahead shrinks with it;
//   - when the other side's best reaches our price the market has traded
//     through us: the rest fills at our price (maker);
//   - orders that cross take liquidity level by level up to their limit
//     (taker), each level's size at most once until the venue changes it.
// Candle data (bars instead of a book): an order that reaches the venue
// before a bar opens is matched against that bar — market orders, and limit
// orders the open already crosses, fill at the open (taker); a resting
// limit order fills at its price when the bar trades through it (low below
// a buy, high above a sell; touching is not enough: the queue is unknown)
// (maker). Market and ioc orders wait for the next bar instead of expiring.
// Time in force: gtc rests; ioc and market orders expire their remainder;
// fok expires unless the whole quantity is available at once; post_only is
// rejected if it would cross; reduce_only is rejected on arrival unless the
// venue's own fills on that market hold at least its quantity on the other
// side. Orders that order_problem() refuses are rejected. Fees: qty × price
// × rate (maker or taker; a negative rate is a rebate) on linear contracts,
// in the quote currency; on inverse contracts qty × size / price × rate, in
// the coin.
//
// Threading: single-threaded.
#pragma once

#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "book/l2_book.h"
#include "core/string_map.h"
#include "exec/gateway.h"

namespace ot {

struct PaperConfig {
  Nanos order_latency = 0;   // order leaves us → reaches the venue
  Nanos report_latency = 0;  // venue sends a report → it reaches us
  Decimal maker_fee{0, 0};   // rate, e.g. 0.0002
  Decimal taker_fee{0, 0};
  // When set, each order's (report's) latency is drawn from these instead
  // (ot-backtest's sampled models); delivery stays in order either way.
  std::function<Nanos()> order_latency_sample;
  std::function<Nanos()> report_latency_sample;
};

class PaperVenue final : public Gateway {
 public:
  explicit PaperVenue(PaperConfig config);
  ~PaperVenue() override;

  void submit(const Order& o) override;
  void cancel(const Cancel& c) override;
  void amend(const Amend& a) override;
  bool takes_market_data() const override { return true; }
  void on_book(const BookUpdate& u) override;
  void on_trade(const Trade& t) override;
  // Fused use (ot-backtest without market-data latency): match against the
  // book engine's books instead of keeping copies. `source` returns the
  // current book of an instrument (nullptr while it has none or it is
  // invalid); it is asked on every book event, which must reach the book
  // engine before this venue.
  void set_book_source(std::function<const L2Book*(std::string_view, std::string_view)> source) {
    book_source_ = std::move(source);
  }
  // A bar of candle data: the clock moves to its open, orders are matched,
  // then the clock moves to its close.
  void on_candle(const Candle& c);
  void restore(const TrackedOrder& o) override;
  void poll(Nanos now) override;
  // End of input: orders still on their way expire ("input ended before the
  // order reached the venue"), cancels and amends on their way are refused
  // (cancel_reject / amend_reject), and every report still in flight is
  // delivered.
  std::size_t finish() override;

  Nanos now() const { return now_; }
  std::size_t working_orders() const { return working_.size(); }
  // Book the venue matches `venue`/`symbol` against (nullptr if none yet).
  const L2Book* book(std::string_view venue, std::string_view symbol) const;

 private:
  struct Market;
  struct Working;
  struct Pending;
  struct Report;

  void send(Pending p, Nanos made);
  void arrive(Pending& p);
  void accept(std::unique_ptr<Working> w);
  void take(Working& w, Market& m);
  void rest(std::unique_ptr<Working> w, Market& m);
  void fill(Working& w, const Decimal& price, const Decimal& qty, Liquidity liq);
  void report(const Working& w, ExecStatus status, std::string_view reason);
  void reject(const Pending& p, std::string_view reason);
  void venue_status(std::string_view event, std::string_view id, std::string_view detail);
  void check_resting(Market& m);
  void remove_final();
  void deliver(Nanos until);
  void set_clock(Nanos t);
  Nanos report_time();
  Market* market_for(std::string_view venue, std::string_view symbol);

  PaperConfig config_;
  Nanos now_ = 0;
  Nanos last_order_at_ = 0;
  Nanos last_report_at_ = 0;
  std::uint64_t next_venue_id_ = 1;
  std::uint64_t next_trade_id_ = 1;
  StringMap<std::unique_ptr<Market>> markets_;
  StringMap<Market*> by_symbol_;
  RecentKeys<Market> recent_markets_;              // the last few looked up
  std::vector<std::unique_ptr<Working>> working_;  // resting, arrival order
  std::deque<Pending> pending_;                    // in flight to the venue
  std::deque<Report> reports_;                     // in flight to us
  StringMap<bool> seen_ids_;
  std::string key_;
  std::function<const L2Book*(std::string_view, std::string_view)> book_source_;
};

}  // namespace ot
