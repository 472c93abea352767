#include "bars/bar_engine.h"

#include <cmath>

#include "bars/candle_csv.h"
#include "core/event_tally.h"
#include "core/json_out.h"

namespace ot {

namespace {

// (bid + ask) / 2, exact: one more decimal when the sum is odd (but never
// past a Decimal's 18).
Decimal mid_of(const Decimal& bid, const Decimal& ask) {
  Decimal sum = add(bid, ask);
  if (sum.mantissa % 2 == 0 || sum.scale >= 18) return Decimal{sum.mantissa / 2, sum.scale};
  return Decimal{sum.mantissa * 5, sum.scale + 1};
}

}  // namespace

struct BarEngine::Instrument {
  std::string venue, symbol;
  std::unique_ptr<BarBuilder> builder;  // null: no bars (CSV holds another one)
};

BarEngine::BarEngine(BarEngineOptions options, LineSink& out, Diagnostics& diag)
    : opt_(std::move(options)),
      out_(out),
      diag_(diag),
      decoder_(opt_.spec.source == BarSource::mid ? EventTypes{EventType::bbo, EventType::quote}
                                                  : EventTypes{EventType::trade}) {
  if (opt_.format == BarFormat::csv) write_csv_header();
}

BarEngine::~BarEngine() = default;

bool BarEngine::process_line(std::string_view line, std::string_view source,
                             std::uint64_t line_number) {
  place_.set(source, line_number);
  ++stats_.lines;
  if (is_blank(line)) return true;
  if (auto decoded = decoder_.decode(line, decoded_); !decoded) {
    ++stats_.malformed;
    diag_.error(place_.text(), decoded.error().message());
    return false;
  }
  // The event first, then the bars it closes.
  if (opt_.format == BarFormat::events) pass_on(out_, decoded_, line);
  if (!decoded_.decoded) return true;
  if (decoded_.kind == EventType::trade) {
    on_trade(decoded_.trade);
  } else {
    on_top(decoded_.top);
  }
  return true;
}

BarEngine::Instrument* BarEngine::instrument(std::string_view venue, std::string_view symbol) {
  if ((!opt_.venue.empty() && venue != opt_.venue) ||
      (!opt_.symbol.empty() && symbol != opt_.symbol)) {
    return nullptr;
  }
  key_.assign(venue).push_back('\0');
  key_.append(symbol);
  auto it = instruments_.find(key_);
  if (it != instruments_.end()) return it->second.get();
  if (opt_.max_instruments > 0 && instruments_.size() >= opt_.max_instruments) {
    if (!cap_reported_) {
      cap_reported_ = true;
      diag_.error(std::string(venue) + " " + std::string(symbol),
                  "more than " + std::to_string(opt_.max_instruments) +
                      " instruments: no bars for the others (--max-instruments)");
    }
    ++stats_.skipped;
    return nullptr;
  }
  auto inst = std::make_unique<Instrument>();
  inst->venue = venue;
  inst->symbol = symbol;
  if (opt_.format == BarFormat::csv && csv_instrument_ != nullptr) {
    diag_.warning(inst->venue + " " + inst->symbol,
                  "a candle CSV holds one instrument (" + csv_instrument_->venue + " " +
                      csv_instrument_->symbol + "): no bars for this one (choose with --symbol)");
  } else {
    inst->builder = std::make_unique<BarBuilder>(opt_.spec, inst->venue, inst->symbol);
    if (opt_.format == BarFormat::csv) csv_instrument_ = inst.get();
  }
  Instrument* raw = inst.get();
  order_.push_back(raw);
  instruments_.emplace(key_, std::move(inst));
  return raw;
}

void BarEngine::on_trade(const Trade& t) {
  const Nanos ts = t.ts.value_or(t.recv);
  auto price = Decimal::parse(t.price);
  auto qty = Decimal::parse(t.qty);
  const char* problem = nullptr;
  if (ts == 0) problem = "trade without ts or recv";
  if (ts < 0 || ts > kMaxBarTime) problem = "trade time out of range";
  if (!price || price->mantissa <= 0) problem = "trade price is not a positive decimal";
  if (!qty || qty->mantissa < 0) problem = "trade qty is not a decimal of at least 0";
  if (problem == nullptr && qty->to_double() > kMaxTradeQty) problem = "trade qty out of range";
  if (problem == nullptr && price->to_double() * qty->to_double() > kMaxTradeValue) {
    problem = "trade value (price * qty) out of range";
  }
  if (problem != nullptr) {
    ++stats_.skipped;
    diag_.error(place_.text(), std::string(problem) + " (not in a bar)");
    return;
  }
  Instrument* inst = instrument(t.venue, t.symbol);
  if (inst == nullptr || !inst->builder) return;
  BarBuilder& b = *inst->builder;
  const std::uint64_t unfilled = b.unfilled();
  b.on_trade(ts, t.recv, *price, *qty, t.side, *this);
  ++stats_.trades;
  if (b.unfilled() != unfilled) {
    diag_.warning(place_.text(), std::to_string(b.unfilled() - unfilled) +
                                     " empty intervals not written: a gap longer than " +
                                     std::to_string(opt_.spec.max_fill) + " bars");
  }
  if (opt_.forming) b.write_forming(*this);
}

void BarEngine::on_top(const TopOfBookEvent& q) {
  if (!q.has_bid || !q.has_ask) return;  // no mid with an empty side
  const Nanos ts = q.ts != 0 ? q.ts : q.recv;
  if (ts <= 0 || ts > kMaxBarTime) {
    ++stats_.skipped;
    diag_.error(place_.text(), "top of book without a time in range (not in a bar)");
    return;
  }
  const Decimal mid = mid_of(q.bid, q.ask);
  if (mid.mantissa <= 0) {
    ++stats_.skipped;
    diag_.error(place_.text(), "top of book with a mid that is not positive (not in a bar)");
    return;
  }
  Instrument* inst = instrument(q.venue, q.symbol);
  if (inst == nullptr || !inst->builder) return;
  inst->builder->on_mid(ts, q.recv, mid, *this);
  ++stats_.trades;
  if (opt_.forming) inst->builder->write_forming(*this);
}

void BarEngine::finish() {
  for (Instrument* inst : order_) {
    if (inst->builder) inst->builder->finish(*this);
  }
  stats_.late = stats_.unfilled = 0;
  for (Instrument* inst : order_) {
    if (!inst->builder) continue;
    stats_.late += inst->builder->late();
    stats_.unfilled += inst->builder->unfilled();
  }
}

void BarEngine::write_csv_header() {
  line_.clear();
  append_candle_header(line_, opt_.spec.indicators);
  out_.write_line("", line_);
}

void BarEngine::on_bar(const Bar& bar) {
  if (!bar.forming) ++stats_.bars;
  line_.clear();
  if (opt_.format == BarFormat::csv) {
    if (bar.forming) return;
    append_candle_row(line_, bar);
    out_.write_line("", line_);
    return;
  }
  JsonOut j(line_);
  j.begin_object();
  j.field("type", "bar");
  j.field("venue", bar.venue);
  j.field("symbol", bar.symbol);
  j.field("ts", bar.ts);
  if (bar.recv != 0) j.field("recv", bar.recv);
  j.field("kind", bar_kind_name(opt_.spec.kind));
  j.field(opt_.spec.kind == BarKind::time ? "interval" : "size", opt_.spec.label);
  j.field("source", opt_.spec.source == BarSource::mid ? "mid" : "trade");
  j.field("start", bar.start);
  j.field("end", bar.end);
  j.field("open", bar.open);
  j.field("high", bar.high);
  j.field("low", bar.low);
  j.field("close", bar.close);
  for (const auto& [name, v] :
       {std::pair{"volume", &bar.volume}, {"buy_volume", &bar.buy_volume}}) {
    text_.clear();
    append_amount(text_, *v);
    j.field(name, text_);
  }
  j.field("trades", static_cast<std::int64_t>(bar.trades));
  j.field("vwap", bar.vwap());
  if (bar.forming) j.key("forming"), j.boolean(true);
  // Indicator names are plain words: no escaping.
  for (std::size_t i = 0; i < bar.indicators.size(); ++i) {
    line_.append(",\"").append(opt_.spec.indicators[i].name).append("\":");
    if (const auto& v = bar.indicators[i]; v && std::isfinite(*v)) {
      line_.push_back('"');
      append_indicator_value(line_, *v);
      line_.push_back('"');
    } else {
      line_.append("null");
    }
  }
  line_.push_back('}');
  if (out_.wants_topic()) {
    topic_.assign("bar.").append(bar.venue).append(".").append(bar.symbol);
  }
  out_.write_line(topic_, line_);
  tally_out(EventType::bar, bar.venue);
}

}  // namespace ot
