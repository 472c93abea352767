// Avellaneda–Stoikov market maker (Avellaneda & Stoikov, "High-frequency
// trading in a limit order book", 2008), on a rolling horizon:
//
//   reservation  r = s − q·γ·σ²·τ
//   spread       δ = γ·σ²·τ + (2/γ)·ln(1 + γ/κ)
//   quotes       bid = r − δ/2, ask = r + δ/2
//
// with s the mid, q the inventory in lots (position / qty), σ² the mid's
// variance per second, τ the horizon in seconds. Prices are measured in
// ticks, so γ, κ and σ carry over between instruments. σ is estimated from
// the mid (an EWMA of squared one-second changes) unless given.
#include <cmath>

#include "strat/common.h"
#include "strat/strategies.h"

namespace ot::strat {
namespace {

class MarketMaker final : public Strategy {
 public:
  std::string_view name() const override { return "mm"; }

  void params(Params& p) override {
    p.add("venue", venue_, "venue of the instrument (as in the events)");
    p.add("symbol", symbol_, "instrument to quote");
    p.add("qty", qty_, "size of each quote (one lot)");
    p.add("gamma", gamma_, "risk aversion γ (per tick² of inventory risk)");
    p.add("kappa", kappa_, "order arrival decay κ (per tick of distance from the mid)");
    p.add("sigma", sigma_, "volatility σ in ticks per √second (0: estimate from the mid)");
    p.add("vol_halflife", vol_halflife_, "half-life of the σ estimate, seconds");
    p.add("horizon", horizon_, "horizon τ, seconds");
    p.add("max_inventory", max_inventory_, "stop quoting the side that adds beyond this, lots");
    p.add("min_spread_ticks", min_spread_ticks_, "narrowest quoted spread, ticks");
    p.add("requote_ticks", requote_ticks_, "replace a quote when its price moves this many ticks");
    p.add("min_requote_ms", min_requote_ms_, "leave a new quote alone at least this long, ms");
    p.add("tick", tick_, "price increment (0: learn from the prices)");
    p.add("reject_pause_ms", reject_pause_ms_, "after a reject, wait this long before quoting, ms");
  }

  Result<> validate() override {
    std::string error;
    if (symbol_.empty())
      error = "mm: --symbol is required";
    else if (qty_.mantissa <= 0)
      error = "mm: --qty must be positive";
    else if (gamma_ <= 0 || kappa_ <= 0)
      error = "mm: --gamma and --kappa must be positive";
    else if (horizon_ <= 0)
      error = "mm: --horizon must be positive";
    else if (max_inventory_ <= 0)
      error = "mm: --max-inventory must be positive";
    return error.empty() ? Result<>() : Error(ErrorCode::invalid_argument, error);
  }

  void on_start(StrategyContext&) override {
    top_.tick = tick_;
    top_.fixed_tick = !tick_.is_zero();
    if (sigma_ > 0) var_ = sigma_ * sigma_;
  }

  void on_top(const TopOfBookEvent& e, StrategyContext& ctx) override {
    if (!is_for(e.venue, e.symbol, venue_, symbol_)) return;
    if (venue_.empty()) venue_ = e.venue;
    top_.update(e);
    if (!top_.valid) return;
    estimate_vol(ctx.now());
    if (!paused_ && ctx.now() >= quiet_until_) quote(ctx);
  }

  void on_status(const Status& s, StrategyContext& ctx) override {
    if (s.symbol != symbol_ || (!venue_.empty() && s.venue != venue_)) {
      // A venue-wide disconnect also stops us.
      if (!(s.symbol.empty() && s.venue == venue_ && s.event == "disconnected")) return;
    }
    if (s.event == "book_invalid" || s.event == "gap" || s.event == "disconnected") {
      paused_ = true;
      pull(ctx, bid_);
      pull(ctx, ask_);
    } else if (s.event == "book_valid") {
      paused_ = false;
    }
  }

  void on_exec(const Exec& e, StrategyContext& ctx) override {
    for (QuoteSlot* q : {&bid_, &ask_}) {
      if (q->id == e.id && is_final(e.status)) *q = QuoteSlot{};
    }
    // A reject (risk limit, kill switch, venue) is not retried at once.
    if (e.status == ExecStatus::rejected) {
      quiet_until_ = ctx.now() + static_cast<Nanos>(reject_pause_ms_ * 1'000'000.0);
    }
  }

  void on_stop(StrategyContext& ctx) override {
    pull(ctx, bid_);
    pull(ctx, ask_);
  }

 private:
  struct QuoteSlot {
    std::string id;
    Decimal price;
    Nanos placed = 0;
    bool canceling = false;
  };

  void estimate_vol(Nanos now) {
    const double mid = top_.mid() / top_.tick_size();
    if (last_sample_ == 0) {
      last_sample_ = now;
      last_mid_ = mid;
      return;
    }
    const double dt = static_cast<double>(now - last_sample_) * 1e-9;
    if (dt < 1.0) return;
    const double r = mid - last_mid_;
    last_sample_ = now;
    last_mid_ = mid;
    if (sigma_ > 0) return;
    const double a = 1.0 - std::exp(-dt * std::log(2.0) / vol_halflife_);
    var_ += a * (r * r / dt - var_);
  }

  void quote(StrategyContext& ctx) {
    const double tick = top_.tick_size();
    const double s = top_.mid() / tick;
    const double q = ctx.position(venue_, symbol_).to_double() / qty_.to_double();
    const double r = s - q * gamma_ * var_ * horizon_;
    const double spread = gamma_ * var_ * horizon_ + (2.0 / gamma_) * std::log1p(gamma_ / kappa_);
    const double half = std::max(spread, static_cast<double>(min_spread_ticks_)) / 2.0;
    const std::int64_t best_bid = std::llround(top_.bid.to_double() / tick);
    const std::int64_t best_ask = std::llround(top_.ask.to_double() / tick);
    // Never cross: a bid at most one tick under the ask, and the other way.
    const std::int64_t bid = std::min<std::int64_t>(std::floor(r - half), best_ask - 1);
    const std::int64_t ask = std::max<std::int64_t>(std::ceil(r + half), best_bid + 1);
    const bool want_bid = q < max_inventory_ && bid > 0;
    const bool want_ask = q > -max_inventory_;
    place(ctx, bid_, Side::buy, want_bid, Decimal{bid * top_.tick.mantissa, top_.tick.scale});
    place(ctx, ask_, Side::sell, want_ask, Decimal{ask * top_.tick.mantissa, top_.tick.scale});
  }

  void place(StrategyContext& ctx, QuoteSlot& slot, Side side, bool wanted, const Decimal& price) {
    if (!slot.id.empty()) {
      if (slot.canceling) return;  // wait for the cancel to land
      const bool moved = std::llabs(sub(price, slot.price).at_scale(top_.tick.scale) /
                                    top_.tick.mantissa) >= requote_ticks_;
      const bool young =
          ctx.now() - slot.placed < static_cast<Nanos>(min_requote_ms_ * 1'000'000.0);
      if (wanted && (!moved || young)) return;
      pull(ctx, slot);
      return;
    }
    if (!wanted) return;
    OrderRequest r;
    r.venue = venue_;
    r.symbol = symbol_;
    r.side = side;
    r.qty = qty_;
    r.price = price;
    r.tif = Tif::post_only;
    slot = QuoteSlot{std::string(ctx.submit(r)), price, ctx.now(), false};
  }

  void pull(StrategyContext& ctx, QuoteSlot& slot) {
    if (slot.id.empty() || slot.canceling) return;
    // The report may arrive inside cancel() (a fused run) and clear the slot.
    slot.canceling = true;
    const std::string id = slot.id;
    ctx.cancel(id);
  }

  std::string venue_, symbol_;
  Decimal qty_{1, 0};
  double gamma_ = 0.1, kappa_ = 1.5, sigma_ = 0, vol_halflife_ = 60, horizon_ = 60;
  double max_inventory_ = 5;
  std::int64_t min_spread_ticks_ = 1, requote_ticks_ = 1;
  double min_requote_ms_ = 0, reject_pause_ms_ = 1000;
  Decimal tick_{0, 0};

  Top top_;
  bool paused_ = false;
  Nanos quiet_until_ = 0;
  double var_ = 1.0;  // ticks² per second, until estimated
  double last_mid_ = 0;
  Nanos last_sample_ = 0;
  QuoteSlot bid_, ask_;
};

}  // namespace

std::unique_ptr<Strategy> make_market_maker() { return std::make_unique<MarketMaker>(); }

}  // namespace ot::strat
