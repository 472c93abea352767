#include "backtest/backtest.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <limits>
#include <mutex>
#include <thread>

#include "backtest/data.h"
#include "backtest/ledger.h"
#include "backtest/summary.h"
#include "bars/candle_csv.h"
#include "chain/fused_chain.h"
#include "core/owned_events.h"
#include "exec/paper.h"

namespace ot {

double BacktestResult::metric(std::string_view name) const {
  for (const auto& [k, v] : metrics) {
    if (k == name) return v;
  }
  return std::nan("");
}

namespace {

constexpr Nanos kSecond = 1'000'000'000LL;

// A strategy built and configured as BacktestConfig says: its defaults,
// then the config file's section, then the --param values, then (for one
// instance per symbol) the symbol. invalid_argument for an unknown strategy
// or a parameter it refuses.
struct ConfiguredStrategy {
  std::unique_ptr<Strategy> strategy;
  std::unique_ptr<Params> params;
  std::string venue, symbol;  // what it trades, as configured (venue empty: any)
};

Result<ConfiguredStrategy> configure(const BacktestConfig& c, const std::string& sym) {
  auto s = c.make_strategy ? c.make_strategy() : make_strategy(c.strategy);
  if (!s) return Error(ErrorCode::invalid_argument, "unknown strategy '" + c.strategy + "'");
  auto params = std::make_unique<Params>();
  s->params(*params);
  if (!c.config_file.empty()) {
    if (auto loaded = load_strategy_config(c.config_file, c.strategy, *params); !loaded) {
      return loaded.error();
    }
  }
  for (const auto& [k, v] : c.params) {
    if (auto set = params->set(k, v); !set) return set.error().within("--param " + k + "=" + v);
  }
  // Candle files name no instrument: the strategy trades the candles'.
  const bool candles = !c.data.empty() && is_candle_file(c.data.front());
  for (const auto& e : params->entries()) {
    if (!candles || params->get(e) != "") continue;
    // (Text parameters take any value.)
    if (e.name == "symbol") (void)params->set("symbol", c.candle_symbol);
    if (e.name == "venue") (void)params->set("venue", c.candle_venue);
  }
  if (!sym.empty()) {
    if (auto set = params->set("symbol", sym); !set) return set.error();
  }
  if (auto valid = s->validate(); !valid) return valid.error().within(c.strategy);
  ConfiguredStrategy out;
  for (const auto& e : params->entries()) {
    if (e.name == "symbol") out.symbol = params->get(e);
    if (e.name == "venue") out.venue = params->get(e);
  }
  out.strategy = std::move(s);
  out.params = std::move(params);
  return out;
}

// One run: the data into the fused chain over the paper venue, on the
// data's clock (each event's receive time). Each market event reaches the
// paper venue at its time and the chain `market_latency` later, kept
// meanwhile as an owned copy.
class Run final : public MarketDataListener {
 public:
  Run(const BacktestConfig& c, Diagnostics& diag, BacktestResult& r) : c_(c), diag_(diag), r_(r) {}

  bool setup() {
    FusedChainOptions fo;
    if (!c_.limits_file.empty()) {
      auto limits = load_limits(c_.limits_file);
      if (!limits) {
        diag_.error("", limits.error().message());
        return false;
      }
      fo.limits = std::move(limits).value();
    }
    fo.venue_sees_market = !delayed();
    PaperConfig pc;
    pc.order_latency = c_.order_latency.fixed();
    pc.report_latency = c_.report_latency.fixed();
    pc.order_latency_sample = c_.order_latency.sampler(c_.seed);
    pc.report_latency_sample = c_.report_latency.sampler(c_.seed + 1);
    pc.maker_fee = c_.maker_fee;
    pc.taker_fee = c_.taker_fee;
    market_sampler_ = c_.market_latency.sampler(c_.seed + 2);
    paper_ = std::make_unique<PaperVenue>(pc);
    chain_ = std::make_unique<FusedChain>(*paper_, std::move(fo), diag_);
    ledger_ = std::make_unique<Ledger>(chain_->risk().positions(), c_.capital, c_.bar, r_);
    const std::vector<std::string> symbols =
        c_.symbols.empty() ? std::vector<std::string>{""} : c_.symbols;
    for (const auto& sym : symbols) {
      auto configured = configure(c_, sym);
      if (!configured) {
        diag_.error("", configured.error().message());
        return false;
      }
      ConfiguredStrategy s = std::move(configured).value();
      // The instrument it trades is reported from its first market event.
      if (!s.symbol.empty()) ledger_->add_target(s.venue, s.symbol);
      RunnerOptions ro;
      ro.id_prefix = c_.strategy + (sym.empty() ? "" : "-" + sym);
      ro.session = "bt";
      chain_->add_strategy(*s.strategy, ro);
      strategies_.push_back(std::move(s));
    }
    chain_->set_top_observer([this](const TopOfBookEvent& t) { ledger_->on_top(t); });
    chain_->set_order_observer([this](const Order& o) { ledger_->on_order(o); });
    chain_->set_report_listener([this](const Exec& e) { ledger_->on_report(e); });
    if (!delayed()) {
      // The strategy sees the venue's book as it is: one book for both.
      paper_->set_book_source([this](std::string_view venue, std::string_view symbol) {
        const BookEngine::Entry* e = chain_->book().find(venue, symbol);
        return e != nullptr && e->book.valid() ? &e->book.book() : nullptr;
      });
    }
    chain_->start();
    return true;
  }

  // ------------------------------------------------------------ market events

  void on_book(const BookUpdate& u) override {
    const Nanos t = u.recv != 0 ? u.recv : u.ts.value_or(now_);
    if (const Window w = window(t); w != Window::in) {
      if (w == Window::before) chain_->warm_book(u);
      return;
    }
    before(t);
    if (!delayed()) return chain_->on_book(u);
    paper_->on_book(u);
    delay(t, u);
  }

  void on_trade(const Trade& tr) override {
    const Nanos t = tr.recv != 0 ? tr.recv : tr.ts.value_or(now_);
    if (window(t) != Window::in) return;
    before(t);
    if (!delayed()) return chain_->on_trade(tr);
    paper_->on_trade(tr);
    delay(t, tr);
  }

  void on_quote(const Quote&) override {}

  void on_ticker(const Ticker& tk) override {
    const Nanos t = tk.recv != 0 ? tk.recv : tk.ts.value_or(now_);
    if (window(t) != Window::in) return;
    before(t);
    ledger_->on_ticker(tk);
  }

  void on_status(const Status& s) override {
    if (s.ts != 0 && window(s.ts) == Window::after) return;
    before(s.ts != 0 ? s.ts : now_);
    if (!delayed()) return chain_->on_status(s);
    delay(now_, s);
  }

  void on_candle(const Candle& k) override {
    // The strategy sees a candle at its close: the close decides.
    if (window(k.close_time) != Window::in) return;
    ledger_->on_candle(k);
    before(k.open_time);
    paper_->on_candle(k);
    // The strategy sees the bar at its close, as a top of book at the close;
    // the equity point at the close is taken after it, priced at that close.
    before(k.close_time, false);
    auto close = Decimal::parse(k.close);
    auto volume = Decimal::parse(k.volume);
    chain_->on_bar(k);
    if (close && volume) {
      TopOfBookEvent t;
      t.venue = k.venue;
      t.symbol = k.symbol;
      t.ts = t.recv = k.close_time;
      t.bid = t.ask = *close;
      t.bid_qty = t.ask_qty = *volume;
      t.has_bid = t.has_ask = true;
      chain_->on_top(t);
    }
    ledger_->advance(k.close_time, true);
  }

  void finish() {
    before(now_);
    flush_delayed(std::numeric_limits<Nanos>::max());
    chain_->stop();
    // Twice: the second delivers what the first one's reports made the
    // strategies send.
    chain_->poll(now_ + kSecond);
    chain_->poll(now_ + kSecond);
    ledger_->finish(now_);
    summarize(c_, *strategies_.front().params, *ledger_, chain_->risk().positions(), now_, r_);
  }

 private:
  // Everything due before an event at `t`: delayed market data, timers,
  // funding, equity samples (the one at `t` itself too unless
  // `sample_at_t` is false: the caller takes it after the event).
  void before(Nanos t, bool sample_at_t = true) {
    if (t < now_) t = now_;
    ledger_->begin(t);
    flush_delayed(t);
    chain_->run_timers(t, now_);
    ledger_->advance(t, sample_at_t);
    now_ = t;
  }

  // Where a file's event falls against the trading window (stored data
  // comes filtered by the store).
  enum class Window { before, in, after };
  Window window(Nanos t) const {
    if (c_.data.empty()) return Window::in;
    if (c_.filter.from && t < *c_.filter.from) return Window::before;
    if (c_.filter.to && t >= *c_.filter.to) return Window::after;
    return Window::in;
  }

  bool delayed() const { return !c_.market_latency.is_fixed() || c_.market_latency.fixed() > 0; }

  // An event at `t` for the chain, `market_latency` later (never before
  // the one queued last).
  template <class Event>
  void delay(Nanos t, const Event& ev) {
    const Nanos lat = market_sampler_ ? market_sampler_() : c_.market_latency.fixed();
    const Nanos at = std::max(t + lat, queue_.empty() ? t : queue_.back().first);
    queue_.emplace_back(at, std::make_unique<OwnedMarketEvent>(ev));
  }

  // The delayed market events due by `t`, into the chain at their time.
  void flush_delayed(Nanos t) {
    while (!queue_.empty() && queue_.front().first <= t) {
      auto [at, ev] = std::move(queue_.front());
      queue_.pop_front();
      chain_->run_timers(at, now_);
      chain_->poll(at);
      switch (ev->kind()) {
        case OwnedMarketEvent::Kind::book:
          chain_->on_book(ev->book());
          break;
        case OwnedMarketEvent::Kind::trade:
          chain_->on_trade(ev->trade());
          break;
        case OwnedMarketEvent::Kind::status:
          chain_->on_status(ev->status());
          break;
      }
    }
  }

  const BacktestConfig& c_;
  Diagnostics& diag_;
  BacktestResult& r_;
  std::unique_ptr<PaperVenue> paper_;
  std::unique_ptr<FusedChain> chain_;
  std::unique_ptr<Ledger> ledger_;
  std::vector<ConfiguredStrategy> strategies_;
  std::function<Nanos()> market_sampler_;
  std::deque<std::pair<Nanos, std::unique_ptr<OwnedMarketEvent>>> queue_;
  Nanos now_ = 0;
};

}  // namespace

bool run_backtest(const BacktestConfig& c, BacktestResult& result, Diagnostics& outer,
                  const ProgressFn& progress) {
  // A setup that succeeds reports no error, so in a run that succeeds
  // every error is a record, line or frame skipped.
  CountingDiagnostics diag(outer);
  Run run(c, diag, result);
  if (!run.setup()) {
    result.config_error = true;
    return false;
  }
  if (!play_data(c, run, diag, progress, result)) return false;
  run.finish();
  result.dropped = diag.errors();
  if (progress) progress(1.0);
  return true;
}

std::vector<char> run_grid(
    const BacktestConfig& base,
    const std::vector<std::vector<std::pair<std::string, std::string>>>& combos, unsigned jobs,
    const std::function<std::unique_ptr<Diagnostics>()>& make_diag,
    std::vector<BacktestResult>& results, const ProgressFn& progress) {
  results.assign(combos.size(), BacktestResult{});
  std::vector<char> ok(combos.size(), 0);
  std::atomic<std::size_t> next{0}, done{0};
  std::mutex progress_mutex;
  auto report = [&](double within) {
    if (!progress) return;
    std::lock_guard<std::mutex> lock(progress_mutex);
    progress((static_cast<double>(done.load()) + within) / static_cast<double>(combos.size()));
  };
  auto worker = [&] {
    for (std::size_t i; (i = next++) < combos.size();) {
      BacktestConfig c = base;
      c.params = combos[i];
      auto diag = make_diag();
      // Within-run progress only when there is one run.
      ok[i] = static_cast<char>(run_backtest(
          c, results[i], *diag, combos.size() == 1 ? ProgressFn(report) : ProgressFn()));
      ++done;
      report(0);
    }
  };
  std::vector<std::thread> pool;
  const std::size_t threads = std::min<std::size_t>(std::max(1u, jobs), combos.size());
  for (std::size_t j = 1; j < threads; ++j) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  return ok;
}

}  // namespace ot
