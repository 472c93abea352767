#include "backtest/backtest.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <deque>
#include <mutex>
#include <thread>

#include "backtest/candles.h"
#include "book/book_engine.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/json_out.h"
#include "core/string_map.h"
#include "exec/exec_engine.h"
#include "exec/paper.h"
#include "feed/replay.h"
#include "io/input.h"
#include "io/output.h"
#include "risk/positions.h"
#include "risk/risk_engine.h"
#include "store/location.h"
#include "store/record_key.h"
#include "strat/runner.h"

namespace ot {

double BacktestResult::metric(std::string_view name) const {
  for (const auto& [k, v] : metrics) {
    if (k == name) return v;
  }
  return std::nan("");
}

namespace {

constexpr Nanos kSecond = 1'000'000'000LL;
constexpr Nanos kFundingPeriod = 8 * 3600 * kSecond;
constexpr double kYear = 365.0 * 86400 * 1e9;

// Keeps the lines written to it (market events delayed for the strategy).
class Capture final : public LineSink {
 public:
  void write_line(std::string_view, std::string_view line) override { last.assign(line); }
  bool wants_topic() const override { return false; }
  std::string last;
};

std::string json_number(double v) {
  if (!std::isfinite(v)) return "null";
  if (v == 0) return "0";
  return fmt::format("{:.10g}", v);
}

struct Lot {
  double qty;  // signed
  Nanos t;
};

struct Instrument {
  std::string venue, symbol;
  std::size_t index = 0;
  double mid = 0;
  bool inverse = false;
  double size = 1;  // contract size: one unit of qty in coin (linear) or USD (inverse)
  Amount realized;  // as of the last fill
  std::deque<Lot> lots;
  std::optional<double> funding_rate;
  double mark = 0;
};

class Run final : public EventListener {
 public:
  Run(const BacktestConfig& c, Diagnostics& diag, BacktestResult& r)
      : c_(c),
        diag_(diag),
        r_(r),
        market_decoder_({EventType::book, EventType::trade, EventType::status, EventType::ticker}) {
  }

  bool setup() {
    std::string err;
    if (!c_.limits_file.empty() && !load_limits(c_.limits_file, limits_, err)) {
      diag_.error("", err);
      return false;
    }
    PaperConfig pc;
    pc.order_latency = c_.order_latency.fixed();
    pc.report_latency = c_.report_latency.fixed();
    pc.order_latency_sample = c_.order_latency.sampler(c_.seed);
    pc.report_latency_sample = c_.report_latency.sampler(c_.seed + 1);
    pc.maker_fee = c_.maker_fee;
    pc.taker_fee = c_.taker_fee;
    market_sampler_ = c_.market_latency.sampler(c_.seed + 2);
    paper_ = std::make_unique<PaperVenue>(pc);
    exec_ = std::make_unique<ExecEngine>(*paper_, null_, diag_);
    paper_->set_listener(*exec_);
    exec_->set_report_listener([this](const Exec& e, std::string_view) { on_report(e); }, false);
    risk_ = std::make_unique<RiskEngine>(limits_, rejects_, diag_);
    const std::vector<std::string> symbols =
        c_.symbols.empty() ? std::vector<std::string>{""} : c_.symbols;
    for (const auto& sym : symbols) {
      auto s = make_strategy(c_.strategy);
      if (!s) {
        diag_.error("", "unknown strategy '" + c_.strategy + "'");
        return false;
      }
      auto params = std::make_unique<Params>();
      s->params(*params);
      if (!c_.config_file.empty() &&
          !load_strategy_config(c_.config_file, c_.strategy, *params, err)) {
        diag_.error("", err);
        return false;
      }
      for (const auto& [k, v] : c_.params) {
        if (!params->set(k, v, err)) {
          diag_.error("", "--param " + k + "=" + v + ": " + err);
          return false;
        }
      }
      // Candle files name no instrument: the strategy trades the candles'.
      const bool candles = !c_.data.empty() && is_candle_file(c_.data.front());
      for (const auto& e : params->entries()) {
        if (!candles || params->get(e) != "") continue;
        if (e.name == "symbol") params->set("symbol", c_.candle_symbol, err);
        if (e.name == "venue") params->set("venue", c_.candle_venue, err);
      }
      if (!sym.empty() && !params->set("symbol", sym, err)) {
        diag_.error("", err);
        return false;
      }
      if (!s->validate(err)) {
        diag_.error("", c_.strategy + ": " + err);
        return false;
      }
      // The instrument it trades is reported from its first market event.
      Target target;
      for (const auto& e : params->entries()) {
        if (e.name == "symbol") target.symbol = params->get(e);
        if (e.name == "venue") target.venue = params->get(e);
      }
      if (!target.symbol.empty()) targets_.push_back(std::move(target));
      RunnerOptions ro;
      ro.id_prefix = c_.strategy + (sym.empty() ? "" : "-" + sym);
      ro.session = "bt";
      auto runner = std::make_unique<StrategyRunner>(*s, null_, diag_, ro);
      runner->set_order_sink(&sink_);
      strategies_.push_back(std::move(s));
      params_.push_back(std::move(params));
      runners_.push_back(std::move(runner));
    }
    sink_.run = this;
    BookEngineOptions bo;
    book_ = std::make_unique<BookEngine>(bo, book_out_, diag_);
    book_->set_top_listener([this](const TopOfBookEvent& t) {
      if (hold_top_) {
        held_top_ = t;  // handed on once the venue has seen the same event
      } else {
        on_top(t);
      }
    });
    if (!delayed()) {
      // The strategy sees the venue's book as it is: one book for both.
      paper_->set_book_source([this](std::string_view venue, std::string_view symbol) {
        const BookEngine::Entry* e = book_->find(venue, symbol);
        return e != nullptr && e->book.valid() ? &e->book.book() : nullptr;
      });
    }
    for (auto& r : runners_) r->start();
    return true;
  }

  // ------------------------------------------------------------ market events

  void on_book(const BookUpdate& u) override {
    const Nanos t = u.recv != 0 ? u.recv : u.ts.value_or(now_);
    before(t);
    if (delayed()) {
      paper_->on_book(u);
      return delay(t, [&](EventEncoder& e) { e.on_book(u); });
    }
    // The shared book first, then the venue matches on it, and only then
    // does the strategy hear of the new top (no look-ahead).
    hold_top_ = true;
    book_->apply(u);
    hold_top_ = false;
    paper_->on_book(u);
    if (held_top_) {
      const TopOfBookEvent t = *held_top_;
      held_top_.reset();
      on_top(t);
    }
  }

  void on_trade(const Trade& tr) override {
    const Nanos t = tr.recv != 0 ? tr.recv : tr.ts.value_or(now_);
    before(t);
    paper_->on_trade(tr);
    if (delayed()) return delay(t, [&](EventEncoder& e) { e.on_trade(tr); });
    for (auto& r : runners_) r->on_trade(tr);
  }

  void on_quote(const Quote&) override {}

  void on_ticker(const Ticker& tk) override {
    const Nanos t = tk.recv != 0 ? tk.recv : tk.ts.value_or(now_);
    before(t);
    const std::string_view rate = tk.fields[static_cast<int>(TickerField::funding_rate)];
    if (rate.empty()) return;
    Instrument& in = instrument(tk.venue, tk.symbol, false);
    if (auto d = Decimal::parse(rate)) in.funding_rate = d->to_double();
    const std::string_view mark = tk.fields[static_cast<int>(TickerField::mark)];
    if (auto d = Decimal::parse(mark)) in.mark = d->to_double();
  }

  void on_status(const Status& s) override {
    before(s.ts != 0 ? s.ts : now_);
    if (delayed()) return delay(now_, [&](EventEncoder& e) { e.on_status(s); });
    book_->apply_status(s);
    for (auto& r : runners_) r->on_status(s);
  }

  void on_candle(const Candle& k) {
    if (bar_ == 0 && c_.bar == 0) bar_ = k.close_time - k.open_time;  // returns per bar
    // Until the first close the instrument is priced at the first open.
    if (Instrument& in = instrument(k.venue, k.symbol, false); in.mid <= 0) {
      if (auto open = Decimal::parse(k.open)) in.mid = open->to_double();
    }
    before(k.open_time);
    paper_->on_candle(k);
    // The strategy sees the bar at its close, as a top of book at the close;
    // the equity point at the close is taken after it, priced at that close.
    before(k.close_time, false);
    auto close = Decimal::parse(k.close);
    auto volume = Decimal::parse(k.volume);
    if (close && volume) {
      TopOfBookEvent t;
      t.venue = k.venue;
      t.symbol = k.symbol;
      t.ts = t.recv = k.close_time;
      t.bid = t.ask = *close;
      t.bid_qty = t.ask_qty = *volume;
      t.has_bid = t.has_ask = true;
      on_top(t);
    }
    sample_until(k.close_time, true);
  }

  // An event line (followed by kLinePadding bytes) from an event file or the store.
  void on_line(std::string_view line, std::string_view where) {
    if (!market_decoder_.decode(line, ev_, err_)) {
      diag_.error(where, err_ + " (skipped)");
      return;
    }
    if (!ev_.decoded) return;
    // Counted as the capture path counts: the market events the chain takes.
    if (ev_.kind == EventType::book || ev_.kind == EventType::trade ||
        ev_.kind == EventType::ticker) {
      ++r_.events;
    }
    switch (ev_.kind) {
      case EventType::book:
        on_book(ev_.book);
        break;
      case EventType::trade:
        on_trade(ev_.trade);
        break;
      case EventType::status:
        on_status(ev_.status);
        break;
      case EventType::ticker:
        on_ticker(ev_.ticker);
        break;
      default:
        break;
    }
  }

  void count_event() { ++r_.events; }

  void finish() {
    before(now_);
    flush_delayed(std::numeric_limits<Nanos>::max());
    for (auto& r : runners_) r->stop();
    paper_->poll(now_ + kSecond);
    exec_->poll(now_ + kSecond);
    sample(now_, true);
    summarize();
  }

  Nanos now() const { return now_; }

 private:
  // ------------------------------------------------------------ the chain

  struct Sink final : StrategyRunner::OrderSink {
    Run* run = nullptr;
    void on_order(const Order& o) override {
      ++run->orders_;
      run->instrument(o.venue, o.symbol, true);
      if (run->risk_->approve(o)) run->exec_->submit(o);
    }
    void on_cancel(const Cancel& c) override { run->exec_->cancel(c); }
    void on_amend(const Amend& a) override { run->exec_->amend(a); }
  };

  void on_top(const TopOfBookEvent& t) {
    risk_->on_top_of_book(t);
    if (t.has_bid && t.has_ask) {
      Instrument* in = find_instrument(t.venue, t.symbol);
      if (!in) in = &instrument(t.venue, t.symbol, false);
      in->mid = (t.bid.to_double() + t.ask.to_double()) / 2;
      if (in->mark == 0 || !in->funding_rate) in->mark = in->mid;
    }
    for (auto& r : runners_) r->on_top(t);
  }

  // Executions from the exec engine, as the endpoint would carry them,
  // handed on in order: a report made while one is being handled (the
  // strategy answered with an order that filled at once) waits its turn,
  // in a copy that owns its strings.
  void on_report(const Exec& e) {
    if (draining_) {
      reports_.emplace_back(e);
      return;
    }
    draining_ = true;
    handle_report(e);
    while (!reports_.empty()) {
      OwnedExec r = std::move(reports_.front());
      reports_.pop_front();
      r.bind();
      handle_report(r.exec);
    }
    draining_ = false;
  }

  void handle_report(const Exec& e) {
    for (auto& runner : runners_) runner->on_feedback(e);
    risk_->on_feedback(e);
    account(e);
  }

  void account(const Exec& e) {
    if (!e.qty || !e.price) return;
    Instrument& in = instrument(e.venue, e.symbol, true);
    const double px = e.price->to_double(), qty = e.qty->to_double();
    const double units = qty * in.size;  // in coin (linear) or USD (inverse)
    ++fills_count_;
    volume_ += in.inverse ? units : px * units;
    if (e.fee) fees_ += Amount::of(*e.fee);
    const PositionState* p = risk_->positions().find(e.venue, e.symbol);
    if (p) {
      Amount delta = p->realized;
      delta -= in.realized;
      if (!delta.is_zero()) {
        ++closing_fills_;
        if (delta.to_double() > 0) ++wins_;
      }
      in.realized = p->realized;
    }
    // Holding time, first in first out.
    double q = e.side == Side::buy ? qty : -qty;
    while (q != 0 && !in.lots.empty() && (in.lots.front().qty > 0) != (q > 0)) {
      Lot& lot = in.lots.front();
      const double m = std::min(std::abs(q), std::abs(lot.qty));
      holding_sum_ += m * static_cast<double>(e.ts - lot.t);
      holding_qty_ += m;
      lot.qty += lot.qty > 0 ? -m : m;
      q += q > 0 ? -m : m;
      if (std::abs(lot.qty) < 1e-12) in.lots.pop_front();
      if (std::abs(q) < 1e-12) q = 0;
    }
    if (q != 0) in.lots.push_back(Lot{q, e.ts});
    r_.fills.push_back(FillPoint{e.ts, in.index, e.side == Side::buy, px, qty});
    fill_encoder_.write(e);  // the line the exec engine would publish
    r_.fill_lines.emplace_back(fill_line_.last);
  }

  // ------------------------------------------------------------ the clock

  // Everything due before an event at `t`: delayed market data, timers,
  // funding, equity samples (the one at `t` itself too unless
  // `sample_at_t` is false: the caller takes it after the event).
  void before(Nanos t, bool sample_at_t = true) {
    if (t < now_) t = now_;
    if (start_ == 0) {
      start_ = t;
      if (bar_ == 0 && c_.bar > 0) bar_ = c_.bar;
      sample(t, false);  // the starting capital
    }
    flush_delayed(t);
    run_timers(t);
    if (bar_ == 0 && t - start_ >= 0) bar_ = c_.bar > 0 ? c_.bar : kSecond;
    while (next_funding_ <= t) {
      if (next_funding_ > 0) pay_funding();
      next_funding_ = (t / kFundingPeriod + 1) * kFundingPeriod;
    }
    sample_until(t, sample_at_t);
    now_ = t;
  }

  // The equity points due by `t` (at `t` itself when `inclusive`).
  void sample_until(Nanos t, bool inclusive) {
    if (next_sample_ == 0) next_sample_ = (t / bar_ + 1) * bar_;
    while (next_sample_ < t || (inclusive && next_sample_ == t)) {
      sample(next_sample_, false);
      next_sample_ += bar_;
    }
  }

  void run_timers(Nanos t) {
    for (;;) {
      StrategyRunner* due = nullptr;
      for (auto& r : runners_) {
        if (r->timer() && *r->timer() <= t && (!due || *r->timer() < *due->timer())) due = r.get();
      }
      if (!due) return;
      const Nanos at = std::max(*due->timer(), now_);
      paper_->poll(at);
      due->advance(at);
    }
  }

  bool delayed() const { return !c_.market_latency.is_fixed() || c_.market_latency.fixed() > 0; }

  template <class Fn>
  void delay(Nanos t, Fn encode) {
    encode(delay_encoder_);
    const Nanos lat = market_sampler_ ? market_sampler_() : c_.market_latency.fixed();
    const Nanos at = std::max(t + lat, queue_.empty() ? t : queue_.back().first);
    queue_.emplace_back(at, capture_.last);
  }

  void flush_delayed(Nanos t) {
    while (!queue_.empty() && queue_.front().first <= t) {
      auto [at, line] = std::move(queue_.front());
      queue_.pop_front();
      run_timers(at);
      paper_->poll(at);
      line.append(kLinePadding, '\0');
      const std::string_view l(line.data(), line.size() - kLinePadding);
      if (l.starts_with("{\"type\":\"book\"") || l.starts_with("{\"type\":\"status\"")) {
        book_->process_line(l, "delayed", 0);
      }
      if (!l.starts_with("{\"type\":\"book\"")) {
        for (auto& r : runners_) r->process_line(l, "delayed", 0);
      }
    }
  }

  void pay_funding() {
    for (auto& in : instruments_) {
      if (!in->funding_rate || in->mark <= 0) continue;
      const PositionState* p = risk_->positions().find(in->venue, in->symbol);
      if (!p || p->qty.is_zero()) continue;
      const double qty = p->qty.to_double() * in->size;
      funding_ -=
          in->inverse ? qty / in->mark * *in->funding_rate : qty * in->mark * *in->funding_rate;
    }
  }

  double pnl() const { return risk_->positions().equity_pnl().to_double() + funding_; }

  void sample(Nanos t, bool last) {
    if (last && !r_.equity.empty() && r_.equity.back().t == t) r_.equity.pop_back();
    EquityPoint p;
    p.t = t;
    p.equity = c_.capital + pnl();
    peak_ = std::max(peak_, p.equity);
    p.drawdown = peak_ > 0 ? (peak_ - p.equity) / peak_ : 0;
    for (const auto& in : instruments_) {
      if (!traded(*in)) continue;
      const PositionState* ps = risk_->positions().find(in->venue, in->symbol);
      p.position.push_back(ps ? ps->qty.to_double() : 0);
      p.price.push_back(in->mid);
    }
    r_.equity.push_back(std::move(p));
  }

  static bool traded(const Instrument& in) { return in.index != kUntraded; }

  Instrument* find_instrument(std::string_view venue, std::string_view symbol) {
    if (Instrument* in = recent_.find(venue, symbol)) return in;
    key_.assign(venue).push_back('\x1f');
    key_.append(symbol);
    auto it = by_key_.find(key_);
    return it == by_key_.end() ? nullptr : recent_.put(venue, symbol, it->second);
  }

  Instrument& instrument(std::string_view venue, std::string_view symbol, bool trading) {
    Instrument* in = find_instrument(venue, symbol);
    if (!in) {
      auto owned = std::make_unique<Instrument>();
      owned->venue = venue;
      owned->symbol = symbol;
      owned->index = kUntraded;
      owned->inverse = is_inverse(venue, symbol);
      owned->size = contract_size(venue, symbol).value_or(Decimal{1, 0}).to_double();
      in = owned.get();
      by_key_.emplace(key_, in);
      instruments_.push_back(std::move(owned));
      trading = trading || std::any_of(targets_.begin(), targets_.end(), [&](const Target& t) {
                  return t.symbol == symbol && (t.venue.empty() || t.venue == venue);
                });
    }
    if (trading && !traded(*in)) {
      in->index = r_.symbols.size();
      r_.symbols.push_back(in->venue + " " + in->symbol);
    }
    return *in;
  }

  // ------------------------------------------------------------ the summary

  void summarize() {
    std::vector<double> rets;
    for (std::size_t i = 1; i < r_.equity.size(); ++i) {
      rets.push_back((r_.equity[i].equity - r_.equity[i - 1].equity) / c_.capital);
    }
    double mean = 0, var = 0, down = 0;
    for (double x : rets) mean += x;
    if (!rets.empty()) mean /= static_cast<double>(rets.size());
    for (double x : rets) {
      var += (x - mean) * (x - mean);
      down += std::min(x, 0.0) * std::min(x, 0.0);
    }
    const double n = static_cast<double>(rets.size());
    const double sd = n > 1 ? std::sqrt(var / (n - 1)) : 0;
    const double dd = n > 0 ? std::sqrt(down / n) : 0;
    const double per_year = bar_ > 0 ? kYear / static_cast<double>(bar_) : 0;
    const double sharpe = sd > 0 ? mean / sd * std::sqrt(per_year) : 0;
    const double sortino = dd > 0 ? mean / dd * std::sqrt(per_year) : 0;
    double max_dd = 0;
    for (const auto& p : r_.equity) max_dd = std::max(max_dd, p.drawdown);
    const double total = pnl();
    double realized = 0, unrealized = 0;
    for (const PositionState* p : risk_->positions().all()) {
      realized += p->realized.to_double();
      unrealized += p->unrealized().to_double();
    }
    const double fees = fees_.to_double();
    auto& m = r_.metrics;
    m = {{"pnl", total},
         {"return", total / c_.capital},
         {"sharpe", sharpe},
         {"sortino", sortino},
         {"max_drawdown", max_dd},
         {"fills", static_cast<double>(fills_count_)},
         {"orders", static_cast<double>(orders_)},
         {"volume", volume_},
         {"fees", fees},
         {"funding", funding_},
         {"realized", realized},
         {"unrealized", unrealized},
         {"turnover", volume_ / c_.capital},
         {"win_rate", closing_fills_ > 0 ? static_cast<double>(wins_) / closing_fills_ : 0},
         {"avg_holding_s", holding_qty_ > 0 ? holding_sum_ / holding_qty_ / 1e9 : 0},
         {"events", static_cast<double>(r_.events)}};
    std::string s = "{\"strategy\":\"" + c_.strategy + "\",\"params\":{";
    bool first = true;
    for (const auto& e : params_.front()->entries()) {
      if (!c_.symbols.empty() && e.name == "symbol") continue;
      s += (first ? "\"" : ",\"") + e.name + "\":\"" + json_escape(params_.front()->get(e)) + "\"";
      first = false;
    }
    s += "}";
    if (!c_.symbols.empty()) {
      s += ",\"symbols\":[";
      for (std::size_t i = 0; i < c_.symbols.size(); ++i) {
        s += (i ? ",\"" : "\"") + json_escape(c_.symbols[i]) + "\"";
      }
      s += "]";
    }
    s += fmt::format(",\"start\":{},\"end\":{}", start_, now_);
    for (const auto& [k, v] : m) s += ",\"" + k + "\":" + json_number(v);
    s += ",\"positions\":{";
    first = true;
    for (const auto& in : instruments_) {
      if (!traded(*in)) continue;
      const PositionState* p = risk_->positions().find(in->venue, in->symbol);
      s += (first ? "\"" : ",\"") + json_escape(in->venue + " " + in->symbol) + "\":\"" +
           (p ? p->qty.to_string(8) : std::string("0")) + "\"";
      first = false;
    }
    s += "}}";
    r_.summary = std::move(s);
  }

  static std::string json_escape(std::string_view v) {
    std::string out;
    append_escaped(out, v);
    return out;
  }

  static constexpr std::size_t kUntraded = static_cast<std::size_t>(-1);
  struct Target {
    std::string venue, symbol;  // venue empty: any
  };
  std::vector<Target> targets_;  // the strategies' instruments

  const BacktestConfig& c_;
  Diagnostics& diag_;
  BacktestResult& r_;
  RiskLimits limits_;
  NullLineSink null_;
  PaddedLineSink rejects_{[this](std::string_view l) { exec_->process_line(l, "risk", 0); }};
  PaddedLineSink book_out_{[this](std::string_view l) {
    // Book validity changes (book_invalid / book_valid) reach the strategies.
    if (l.starts_with("{\"type\":\"status\"")) {
      for (auto& r : runners_) r->process_line(l, "book", 0);
    }
  }};
  Capture capture_;
  EventEncoder delay_encoder_{capture_};  // market events for the strategy, delayed
  Capture fill_line_;
  EventEncoder fill_encoder_{fill_line_};
  std::unique_ptr<PaperVenue> paper_;
  std::unique_ptr<ExecEngine> exec_;
  std::unique_ptr<RiskEngine> risk_;
  std::unique_ptr<BookEngine> book_;
  std::vector<std::unique_ptr<Strategy>> strategies_;
  std::vector<std::unique_ptr<Params>> params_;
  std::vector<std::unique_ptr<StrategyRunner>> runners_;
  Sink sink_;
  EventDecoder market_decoder_;
  DecodedEvent ev_;
  std::string err_, key_;
  std::function<Nanos()> market_sampler_;
  std::deque<std::pair<Nanos, std::string>> queue_;
  std::deque<OwnedExec> reports_;
  bool draining_ = false;
  bool hold_top_ = false;
  std::optional<TopOfBookEvent> held_top_;
  std::vector<std::unique_ptr<Instrument>> instruments_;
  StringMap<Instrument*> by_key_;
  RecentKeys<Instrument> recent_;
  Nanos now_ = 0, start_ = 0, bar_ = 0, next_sample_ = 0, next_funding_ = 0;
  double peak_ = 0, volume_ = 0, funding_ = 0, holding_sum_ = 0, holding_qty_ = 0;
  Amount fees_;
  std::uint64_t fills_count_ = 0, orders_ = 0, closing_fills_ = 0, wins_ = 0;
};

// Reports progress at most every 64k events.
class Progress {
 public:
  Progress(const ProgressFn& fn, std::uint64_t total) : fn_(fn), total_(total) {}
  template <class BytesFn>
  void tick(BytesFn bytes) {
    if (!fn_ || total_ == 0 || (++n_ & 0xffff) != 0) return;
    fn_(std::min(1.0, static_cast<double>(bytes()) / static_cast<double>(total_)));
  }

 private:
  const ProgressFn& fn_;
  std::uint64_t total_;
  std::uint64_t n_ = 0;
};

// A listener that counts, reports progress and forwards.
class Counted final : public EventListener {
 public:
  Counted(Run& run, std::function<void()> tick) : run_(run), tick_(std::move(tick)) {}
  void on_book(const BookUpdate& u) override { step(), run_.on_book(u); }
  void on_trade(const Trade& t) override { step(), run_.on_trade(t); }
  void on_quote(const Quote& q) override { run_.on_quote(q); }
  void on_ticker(const Ticker& t) override { step(), run_.on_ticker(t); }
  void on_status(const Status& s) override { run_.on_status(s); }

 private:
  void step() {
    run_.count_event();
    tick_();
  }
  Run& run_;
  std::function<void()> tick_;
};

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

bool is_event_file(const std::string& path) {
  std::string_view p(path);
  if (p.ends_with(".gz")) p.remove_suffix(3);
  if (p.ends_with(".zst")) p.remove_suffix(4);
  return p.ends_with(".ndjson") || p.ends_with(".jsonl");
}

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
  std::string err;
  std::uint64_t total = 0;
  for (const auto& f : c.data) total += file_size(f);
  Progress prog(progress, total);

  if (!c.store_dir.empty() || !c.db_url.empty()) {
    StoreLocation at;
    at.files.dir = c.store_dir;
    at.pg.url = c.db_url;
    at.pg.schema = c.db_schema;
    auto src = open_store_source(at, c.filter, err);
    if (!src) {
      diag.error("", err);
      return false;
    }
    StoredRecord rec;
    std::string padded;
    while (src->next(rec)) {
      padded.assign(rec.line);
      padded.append(kLinePadding, '\0');
      run.on_line(std::string_view(padded.data(), rec.line.size()), "store");
    }
    if (!src->error().empty()) {
      diag.error("", src->error());
      return false;
    }
  } else {
    std::size_t captures = 0, events = 0, candles = 0;
    for (const auto& f : c.data) {
      if (is_candle_file(f)) {
        ++candles;
      } else if (is_event_file(f)) {
        ++events;
      } else {
        ++captures;
      }
    }
    if ((captures > 0) + (events > 0) + (candles > 0) > 1) {
      diag.error("", "captures, event files and candle files cannot be mixed in one run");
      return false;
    }
    std::vector<std::unique_ptr<LineInput>> inputs;
    for (const auto& f : c.data) {
      auto in = open_input(f, err);
      if (!in) {
        diag.error("", err);
        return false;
      }
      report_bad_lines(*in, diag);
      inputs.push_back(std::move(in));
    }
    auto bytes = [&] {
      std::uint64_t n = 0;
      for (const auto& in : inputs) n += in->bytes_read();
      return n;
    };
    if (captures > 0) {
      Counted counted(run, [&] { prog.tick(bytes); });
      ReplayOptions ro;
      ReplayStats rs;
      if (!run_replay(inputs, ro, counted, diag, rs)) return false;
    } else if (events > 0) {
      // Several event files merge by time (recv, else ts); each input keeps
      // its current line in its own buffer.
      struct Head {
        LineInput* in;
        std::string_view line;
        Nanos time = 0;
        bool live = false;
      };
      std::vector<Head> heads;
      for (auto& in : inputs) heads.push_back(Head{in.get(), {}, 0, false});
      EventKeyReader keys;
      RecordKey key;
      std::string where, err;
      auto advance = [&](Head& h) {
        h.live = false;
        while (h.in->next(h.line)) {
          if (h.line.empty()) continue;
          // A line without a time sorts as "now" in its file's order; the
          // decoder reports malformed lines when they are handed on.
          h.time = keys.key(h.line, h.time, key, err) ? key.time : h.time;
          h.live = true;
          return;
        }
      };
      for (auto& h : heads) advance(h);
      for (;;) {
        Head* next = nullptr;
        for (auto& h : heads) {
          if (h.live && (next == nullptr || h.time < next->time)) next = &h;
        }
        if (next == nullptr) break;
        prog.tick(bytes);
        where = next->in->name() + ":" + std::to_string(next->in->line_number());
        run.on_line(next->line, where);
        advance(*next);
      }
      for (auto& in : inputs) {
        if (!in->error().empty()) {
          diag.error("", in->error());
          return false;
        }
      }
    } else {
      for (auto& in : inputs) {
        CandleReader reader(std::move(in), c.candle_venue, c.candle_symbol);
        Candle k;
        while (reader.next(k, diag)) {
          run.count_event();
          prog.tick(bytes);
          run.on_candle(k);
        }
        if (!reader.input().error().empty()) {
          diag.error("", reader.input().error());
          return false;
        }
      }
    }
    for (const auto& f : c.data) result.bytes += file_size(f);
  }
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
      ok[i] = run_backtest(c, results[i], *diag,
                           combos.size() == 1 ? ProgressFn(report) : ProgressFn());
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
