// TWAP: works a parent order of `qty` over `duration` seconds in `slices`
// equal child orders, starting with the first top of book. At each slice
// it sends what is due by then and not yet filled (so a miss is caught up
// by the next slice) as a marketable IOC limit at the touch, `slippage_ticks`
// beyond it at most and never past `limit`. Done when filled or when the
// duration is over (the shortfall is reported).
#include "strat/common.h"
#include "strat/strategies.h"

namespace ot::strat {
namespace {

class Twap final : public Strategy {
 public:
  std::string_view name() const override { return "twap"; }

  void params(Params& p) override {
    p.add("venue", venue_, "venue of the instrument (as in the events)");
    p.add("symbol", symbol_, "instrument to trade");
    p.add("side", side_text_, "buy or sell");
    p.add("qty", qty_, "parent order quantity");
    p.add("duration", duration_s_, "seconds to work the order over");
    p.add("slices", slices_, "number of child orders");
    p.add("limit", limit_, "worst price accepted (0: none)");
    p.add("slippage_ticks", slippage_ticks_, "how far past the touch a child may go, ticks");
  }

  Result<> validate() override {
    std::string error;
    auto side = parse_side(side_text_);
    if (symbol_.empty())
      error = "twap: --symbol is required";
    else if (!side)
      error = "twap: --side is buy or sell";
    else if (qty_.mantissa <= 0)
      error = "twap: --qty must be positive";
    else if (duration_s_ <= 0)
      error = "twap: --duration must be positive";
    else if (slices_ < 1)
      error = "twap: --slices must be at least 1";
    if (side) side_ = *side;
    return error.empty() ? Result<>() : Error(ErrorCode::invalid_argument, error);
  }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!is_for(e.venue, e.symbol, venue_, symbol_)) return;
    if (venue_.empty()) venue_ = e.venue;
    top_.update(e);
    if (start_ == 0 && top_.valid) {
      start_ = ctx.now();
      on_timer(start_, ctx);
    }
  }

  void on_exec(const Exec& e, StrategyContext& ctx) override {
    if (e.qty && e.qty->mantissa > 0) filled_ = add(filled_, *e.qty);
    if (compare(filled_, qty_) >= 0 && !done_) {
      done_ = true;
      ctx.note("twap: parent order filled");
    }
  }

  void on_timer(Nanos, StrategyContext& ctx) override {
    if (done_) return;
    const Nanos step = static_cast<Nanos>(duration_s_ * 1e9 / static_cast<double>(slices_));
    ++slice_;
    // Quantity due after this slice, at the parent's scale (the last is exact).
    const Decimal due{qty_.mantissa * std::min<std::int64_t>(slice_, slices_) / slices_,
                      qty_.scale};
    const Decimal want = sub(due, filled_);
    if (want.mantissa > 0 && top_.valid && !working(ctx)) {
      const Decimal touch = side_ == Side::buy ? top_.ask : top_.bid;
      const Decimal slip{slippage_ticks_ * top_.tick.mantissa, top_.tick.scale};
      Decimal price = side_ == Side::buy ? add(touch, slip) : sub(touch, slip);
      if (!limit_.is_zero()) {
        if (side_ == Side::buy && compare(price, limit_) > 0) price = limit_;
        if (side_ == Side::sell && compare(price, limit_) < 0) price = limit_;
      }
      OrderRequest r;
      r.venue = venue_;
      r.symbol = symbol_;
      r.side = side_;
      r.qty = want;
      r.price = price;
      r.tif = Tif::ioc;
      child_ = std::string(ctx.submit(r));
    }
    if (slice_ <= slices_) {
      ctx.set_timer(start_ + step * slice_);
    } else if (!done_) {
      done_ = true;
      ctx.note("twap: duration over, filled " + filled_.to_string() + " of " + qty_.to_string());
    }
  }

 private:
  bool working(StrategyContext& ctx) const {
    const TrackedOrder* o = child_.empty() ? nullptr : ctx.orders().find(child_);
    return o != nullptr && o->open();
  }

  std::string venue_, symbol_, side_text_ = "buy";
  Side side_ = Side::buy;
  Decimal qty_{1, 0};
  double duration_s_ = 600;
  std::int64_t slices_ = 10, slippage_ticks_ = 0;
  Decimal limit_{0, 0};

  Top top_;
  Nanos start_ = 0;
  std::int64_t slice_ = 0;
  Decimal filled_{0, 0};
  std::string child_;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<Strategy> make_twap() { return std::make_unique<Twap>(); }

}  // namespace ot::strat
