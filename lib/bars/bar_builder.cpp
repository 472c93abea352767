#include "bars/bar_builder.h"

#include <algorithm>
#include <charconv>
#include <limits>

namespace ot {

namespace {

constexpr int kVwapScale = 10;

// a += b, held at the end of the range rather than overflowing (hostile
// input: a bar's sums have no other bound).
void add_held(Amount& a, const Amount& b) {
  if (__builtin_add_overflow(a.units, b.units, &a.units)) {
    a.units =
        b.units > 0 ? std::numeric_limits<__int128>::max() : std::numeric_limits<__int128>::min();
  }
}

Nanos floor_to(Nanos t, Nanos step) {
  const Nanos r = t % step;
  return r < 0 ? t - r - step : t - r;
}

}  // namespace

std::string_view bar_kind_name(BarKind k) {
  switch (k) {
    case BarKind::time:
      return "time";
    case BarKind::tick:
      return "tick";
    case BarKind::volume:
      return "volume";
    case BarKind::dollar:
      return "dollar";
  }
  return "time";
}

std::optional<BarKind> parse_bar_kind(std::string_view s) {
  for (BarKind k : {BarKind::time, BarKind::tick, BarKind::volume, BarKind::dollar}) {
    if (bar_kind_name(k) == s) return k;
  }
  return std::nullopt;
}

Result<Nanos> parse_interval(std::string_view s) {
  std::int64_t n = 0;
  auto r = std::from_chars(s.data(), s.data() + s.size(), n);
  const std::string_view unit(r.ptr, static_cast<std::size_t>(s.data() + s.size() - r.ptr));
  constexpr Nanos kSecond = 1'000'000'000LL;
  Nanos scale = 0;
  if (unit == "ms") scale = 1'000'000LL;
  if (unit == "s") scale = kSecond;
  if (unit == "m") scale = 60 * kSecond;
  if (unit == "h") scale = 3600 * kSecond;
  if (unit == "d") scale = 86400 * kSecond;
  // At most 366 days: a whole number of units that nanoseconds can hold.
  if (r.ec != std::errc() || r.ptr == s.data() || scale == 0 || n < 1 ||
      n > Nanos{366} * 86400 * kSecond / scale) {
    return Error(ErrorCode::invalid_argument,
                 "bad interval '" + std::string(s) + "' (a whole number and ms, s, m, h or d: 1m)");
  }
  return n * scale;
}

Result<> make_bar_spec(const BarSpecWords& w, BarSpec& spec) {
  const std::string &kind = w.kind, &interval = w.interval, &size = w.size;
  auto bad = [](std::string message) {
    return Error(ErrorCode::invalid_argument, std::move(message));
  };
  auto k = parse_bar_kind(kind);
  if (!k) return bad("--kind: expected time, tick, volume or dollar, got '" + kind + "'");
  spec.kind = *k;
  if (w.source != "trade" && w.source != "mid") {
    return bad("--source: expected trade or mid, got '" + w.source + "'");
  }
  spec.source = w.source == "mid" ? BarSource::mid : BarSource::trade;
  if (w.empty != "fill" && w.empty != "skip") {
    return bad("--empty: expected fill or skip, got '" + w.empty + "'");
  }
  spec.fill_empty = w.empty == "fill";
  if (spec.kind == BarKind::time) {
    if (!size.empty()) {
      return bad("--size is for tick, volume and dollar bars (time bars: --interval)");
    }
    auto i = parse_interval(interval.empty() ? "1m" : interval);
    if (!i) return bad("--interval: " + i.error().message());
    spec.interval = *i;
    spec.label = interval.empty() ? "1m" : interval;
  } else {
    if (!interval.empty()) return bad("--interval is for time bars (--kind " + kind + ": --size)");
    if (size.empty()) return bad("--kind " + kind + " needs --size");
    auto n = Decimal::parse(size);
    if (n && spec.kind == BarKind::tick) {  // "7.0" is 7 trades
      while (n->scale > 0 && n->mantissa % 10 == 0) n->mantissa /= 10, --n->scale;
    }
    if (!n || n->mantissa <= 0 || (spec.kind == BarKind::tick && n->scale != 0)) {
      return bad("--size: expected a positive " +
                 std::string(spec.kind == BarKind::tick ? "whole number" : "decimal") + ", got '" +
                 size + "'");
    }
    spec.size = *n;
    spec.label = size;
    if (spec.source == BarSource::mid && spec.kind != BarKind::tick) {
      return bad("--source mid has no volume: time or tick bars only");
    }
  }
  auto list = parse_indicators(w.indicators);
  if (!list) return bad("--indicators: " + list.error().message());
  spec.indicators = std::move(list).value();
  return {};
}

Decimal Bar::vwap() const {
  // Sums held at the end of the range (hostile input) have no vwap.
  constexpr __int128 kHeld = static_cast<__int128>(1) << 120;
  if (volume.is_zero() || volume.units >= kHeld || notional.units >= kHeld) return close;
  const Amount v = notional.divided_by(volume);
  // 10 decimals, fewer when the value needs the digits (1e8 and up).
  for (int scale = kVwapScale; scale >= 0; --scale) {
    if (auto d = v.to_decimal(scale)) return *d;
  }
  return close;
}

BarBuilder::BarBuilder(const BarSpec& spec, std::string venue, std::string symbol)
    : spec_(spec), venue_(std::move(venue)), symbol_(std::move(symbol)) {
  indicators_.reserve(spec.indicators.size());
  for (const auto& i : spec.indicators) indicators_.emplace_back(i);
  values_.resize(indicators_.size());
  bar_.venue = venue_;
  bar_.symbol = symbol_;
  bar_.indicators = values_;
  size_ = Amount::of(spec.size);
  // Tick bars count whole trades: "7.0" is 7, and at least 1.
  if (spec.kind == BarKind::tick) {
    tick_size_ = std::max<std::int64_t>(1, static_cast<std::int64_t>(spec.size.to_double()));
  }
}

void BarBuilder::start_bar(Nanos start, const Decimal& price) {
  bar_.start = start;
  bar_.end = spec_.kind == BarKind::time ? start + spec_.interval : start;
  bar_.open = bar_.high = bar_.low = bar_.close = price;
  bar_.volume = bar_.buy_volume = Amount{};
  bar_.notional = Amount{};
  bar_.trades = 0;
  open_ = true;
}

void BarBuilder::add(Nanos ts, Nanos recv, const Decimal& price, const Decimal& qty,
                     Side aggressor) {
  if (compare(price, bar_.high) > 0) bar_.high = price;
  if (compare(price, bar_.low) < 0) bar_.low = price;
  bar_.close = price;
  ++bar_.trades;
  bar_.recv = recv;
  if (qty.mantissa != 0) {
    const Amount q = Amount::of(qty);
    add_held(bar_.volume, q);
    if (aggressor == Side::buy) add_held(bar_.buy_volume, q);
    add_held(bar_.notional, Amount::product(price, qty));
  }
  if (spec_.kind == BarKind::time) {
    if (ts < bar_.start) ++late_;
  } else if (ts > bar_.end) {
    bar_.end = ts;
  }
}

bool BarBuilder::full() const {
  switch (spec_.kind) {
    case BarKind::time:
      return false;
    case BarKind::tick:
      return static_cast<std::int64_t>(bar_.trades) >= tick_size_;
    case BarKind::volume:
      return bar_.volume >= size_;
    case BarKind::dollar:
      return bar_.notional >= size_;
  }
  return false;
}

BarSample BarBuilder::sample() const {
  return BarSample{bar_.start, bar_.close.to_double(), bar_.volume.to_double(),
                   bar_.notional.to_double()};
}

void BarBuilder::close_bar(BarSink& sink) {
  const BarSample s = sample();
  for (std::size_t i = 0; i < indicators_.size(); ++i) values_[i] = indicators_[i].update(s);
  bar_.ts = bar_.end;
  bar_.forming = false;
  sink.on_bar(bar_);
  last_close_ = bar_.close;
  open_ = false;
}

void BarBuilder::fill_to(Nanos start, BarSink& sink) {
  if (!spec_.fill_empty || !last_close_ || bar_.end >= start) return;
  const auto gaps = static_cast<std::uint64_t>((start - bar_.end) / spec_.interval);
  if (gaps > spec_.max_fill) {
    unfilled_ += gaps;
    return;
  }
  const Nanos recv = bar_.recv;
  for (Nanos t = bar_.end; t < start; t += spec_.interval) {
    start_bar(t, *last_close_);
    bar_.recv = recv;
    close_bar(sink);
  }
}

void BarBuilder::on_trade(Nanos ts, Nanos recv, const Decimal& price, const Decimal& qty,
                          Side aggressor, BarSink& sink) {
  if (spec_.kind == BarKind::time) {
    if (open_ && ts >= bar_.end) {
      bar_.recv = recv;  // known now
      close_bar(sink);
      fill_to(floor_to(ts, spec_.interval), sink);
    }
    if (!open_) start_bar(floor_to(ts, spec_.interval), price);
    add(ts, recv, price, qty, aggressor);
    return;
  }
  if (!open_) start_bar(ts, price);
  add(ts, recv, price, qty, aggressor);
  if (full()) close_bar(sink);
}

void BarBuilder::on_mid(Nanos ts, Nanos recv, const Decimal& mid, BarSink& sink) {
  on_trade(ts, recv, mid, Decimal{0, 0}, Side::buy, sink);
}

bool BarBuilder::write_forming(BarSink& sink) {
  if (!open_) return false;
  const BarSample s = sample();
  for (std::size_t i = 0; i < indicators_.size(); ++i) values_[i] = indicators_[i].peek(s);
  bar_.ts = bar_.end;
  bar_.forming = true;
  sink.on_bar(bar_);
  bar_.forming = false;
  return true;
}

void BarBuilder::finish(BarSink& sink) {
  if (open_) close_bar(sink);
}

}  // namespace ot
