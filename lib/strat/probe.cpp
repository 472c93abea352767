// Tick-to-trade probe: for every top-of-book change of its instrument (or
// of every instrument, without --symbol), one IOC buy of `qty` at the best
// bid — an order that cannot trade (it does not cross) but goes all the way
// to the venue. ot-sim matches it to the frame that caused it by symbol and
// price; see bench/tick_to_trade.py.
#include "strat/common.h"
#include "strat/strategies.h"

namespace ot::strat {
namespace {

class Probe final : public Strategy {
 public:
  std::string_view name() const override { return "probe"; }

  void params(Params& p) override {
    p.add("venue", venue_, "venue (empty: any)");
    p.add("symbol", symbol_, "instrument (empty: every instrument)");
    p.add("qty", qty_, "order size");
  }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!symbol_.empty() && !is_for(e.venue, e.symbol, venue_, symbol_)) return;
    if (!e.has_bid) return;
    OrderRequest r;
    r.venue = e.venue;
    r.symbol = e.symbol;
    r.side = Side::buy;
    r.qty = qty_;
    r.price = e.bid;
    r.tif = Tif::ioc;
    ctx.submit(r);
  }

 private:
  std::string venue_, symbol_;
  Decimal qty_{1, 3};
};

}  // namespace

std::unique_ptr<Strategy> make_probe() { return std::make_unique<Probe>(); }

}  // namespace ot::strat
