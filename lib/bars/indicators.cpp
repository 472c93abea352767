#include "bars/indicators.h"

#include <charconv>
#include <cmath>

namespace ot {

namespace {

constexpr Nanos kDay = 86'400'000'000'000LL;

struct KindName {
  std::string_view word;
  IndicatorKind kind;
};
constexpr KindName kKinds[] = {{"sma", IndicatorKind::sma},
                               {"ema", IndicatorKind::ema},
                               {"rsi", IndicatorKind::rsi},
                               {"vol", IndicatorKind::vol},
                               {"vwap", IndicatorKind::vwap}};

Result<IndicatorSpec> parse_one(std::string_view item) {
  const std::size_t colon = item.find(':');
  const std::string_view word = item.substr(0, colon);
  IndicatorSpec spec;
  const KindName* found = nullptr;
  for (const auto& k : kKinds) {
    if (k.word == word) found = &k;
  }
  if (found == nullptr) {
    return Error(ErrorCode::invalid_argument,
                 "unknown indicator '" + std::string(word) + "' (sma, ema, rsi, vol, vwap)");
  }
  spec.kind = found->kind;
  if (colon == std::string_view::npos) {
    if (spec.kind != IndicatorKind::vwap) {
      return Error(
          ErrorCode::invalid_argument,
          "indicator '" + std::string(word) + "' needs a period (" + std::string(word) + ":N)");
    }
    spec.kind = IndicatorKind::vwap_day;
    spec.name = "vwap_day";
    return spec;
  }
  const std::string_view n = item.substr(colon + 1);
  auto r = std::from_chars(n.data(), n.data() + n.size(), spec.period);
  if (r.ec != std::errc() || r.ptr != n.data() + n.size() || spec.period < 1 ||
      spec.period > 100000) {
    return Error(ErrorCode::invalid_argument,
                 "indicator '" + std::string(item) + "': the period must be 1 to 100000");
  }
  spec.name = std::string(word) + "_" + std::string(n);
  return spec;
}

}  // namespace

Result<std::vector<IndicatorSpec>> parse_indicators(std::string_view list) {
  std::vector<IndicatorSpec> out;
  std::size_t pos = 0;
  while (pos <= list.size() && !list.empty()) {
    const std::size_t comma = std::min(list.find(',', pos), list.size());
    auto spec = parse_one(list.substr(pos, comma - pos));
    if (!spec) return spec.error();
    for (const auto& s : out) {
      if (s.name == spec->name) {
        return Error(ErrorCode::invalid_argument, "indicator '" + s.name + "' given twice");
      }
    }
    out.push_back(std::move(spec).value());
    pos = comma + 1;
  }
  return out;
}

void Indicator::Window::push(double x) {
  const std::size_t size = values.size();
  nonzero = nonzero_with(x);
  if (count == size) {
    sum -= values[head];
    values[head] = x;
    head = (head + 1) % size;
  } else {
    values[(head + count) % size] = x;
    ++count;
  }
  sum += x;
  if (head == 0 && count == size) {  // a lap: sum afresh
    sum = 0;
    for (double v : values) sum += v;
  }
}

Indicator::Indicator(const IndicatorSpec& spec) : spec_(spec) {
  const auto n = static_cast<std::size_t>(spec.period);
  switch (spec.kind) {
    case IndicatorKind::sma:
    case IndicatorKind::vol:
      a_.values.resize(n);
      break;
    case IndicatorKind::vwap:
      a_.values.resize(n);
      b_.values.resize(n);
      break;
    default:
      break;
  }
}

Indicator::Next Indicator::next(const BarSample& bar) const {
  Next out;
  State& s = out.state;
  s = state_;
  ++s.bars;
  const double n = spec_.period;
  const double x = bar.close;
  switch (spec_.kind) {
    case IndicatorKind::sma:
      out.push_a = x;
      if (a_.full_with(1)) out.value = a_.sum_with(x) / n;
      break;
    case IndicatorKind::ema:
      if (s.bars < static_cast<std::uint64_t>(spec_.period)) {
        s.seed_gain += x;
      } else if (s.bars == static_cast<std::uint64_t>(spec_.period)) {
        s.ema = (s.seed_gain + x) / n;
        out.value = s.ema;
      } else {
        s.ema += 2.0 / (n + 1.0) * (x - s.ema);
        out.value = s.ema;
      }
      break;
    case IndicatorKind::rsi: {
      if (!s.prev_close) break;
      const double change = x - *s.prev_close;
      const double gain = change > 0 ? change : 0, loss = change < 0 ? -change : 0;
      const std::uint64_t changes = s.bars - 1, period = static_cast<std::uint64_t>(spec_.period);
      if (changes < period) {
        s.seed_gain += gain;
        s.seed_loss += loss;
        break;
      }
      if (changes == period) {
        s.avg_gain = (s.seed_gain + gain) / n;
        s.avg_loss = (s.seed_loss + loss) / n;
      } else {
        s.avg_gain = (s.avg_gain * (n - 1) + gain) / n;
        s.avg_loss = (s.avg_loss * (n - 1) + loss) / n;
      }
      if (s.avg_loss == 0) {
        out.value = s.avg_gain == 0 ? 50.0 : 100.0;
      } else {
        out.value = 100.0 - 100.0 / (1.0 + s.avg_gain / s.avg_loss);
      }
      break;
    }
    case IndicatorKind::vol: {
      if (!s.prev_close) break;
      const double r = *s.prev_close > 0 && x > 0 ? std::log(x / *s.prev_close) : 0.0;
      out.push_a = r * r;
      if (a_.full_with(1)) out.value = std::sqrt(std::max(0.0, a_.sum_with(r * r)));
      break;
    }
    case IndicatorKind::vwap: {
      out.push_a = bar.notional;
      out.push_b = bar.volume;
      // No bar of the window with volume: null (the sum may keep a
      // rounding leftover, not a volume).
      if (a_.full_with(1) && b_.nonzero_with(bar.volume) > 0) {
        out.value = a_.sum_with(bar.notional) / b_.sum_with(bar.volume);
      }
      break;
    }
    case IndicatorKind::vwap_day: {
      const std::int64_t day = bar.start >= 0 ? bar.start / kDay : (bar.start + 1) / kDay - 1;
      if (day != s.day) s.day = day, s.day_notional = 0, s.day_volume = 0;
      s.day_notional += bar.notional;
      s.day_volume += bar.volume;
      if (s.day_volume > 0) out.value = s.day_notional / s.day_volume;
      break;
    }
  }
  s.prev_close = x;
  return out;
}

std::optional<double> Indicator::update(const BarSample& bar) {
  Next n = next(bar);
  state_ = n.state;
  if (n.push_a) a_.push(*n.push_a);
  if (n.push_b) b_.push(*n.push_b);
  return n.value;
}

std::optional<double> Indicator::peek(const BarSample& bar) const { return next(bar).value; }

}  // namespace ot
