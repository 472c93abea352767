#include "features/features.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "core/decimal.h"

namespace ot::features {

namespace {

constexpr double kBps = 1e4;

// "1s", "250ms", "7ns": the largest whole unit.
std::string duration_text(Nanos ns) {
  if (ns % kSecond == 0) return std::to_string(ns / kSecond) + "s";
  if (ns % 1'000'000 == 0) return std::to_string(ns / 1'000'000) + "ms";
  return std::to_string(ns) + "ns";
}

std::optional<Nanos> parse_duration(std::string_view s) {
  Nanos unit = 0;
  std::string_view digits;
  for (const auto& [suffix, u] :
       {std::pair<std::string_view, Nanos>{"ms", 1'000'000}, {"ns", 1}, {"s", kSecond}}) {
    if (s.size() > suffix.size() && s.ends_with(suffix)) {
      unit = u;
      digits = s.substr(0, s.size() - suffix.size());
      break;
    }
  }
  Nanos n = 0;
  if (unit == 0 ||
      std::from_chars(digits.data(), digits.data() + digits.size(), n).ptr !=
          digits.data() + digits.size() ||
      n <= 0 || n > std::numeric_limits<Nanos>::max() / unit) {
    return std::nullopt;
  }
  return n * unit;
}

template <class T, class Fn>
std::string joined(const std::vector<T>& xs, Fn&& text) {
  std::string out;
  for (const T& x : xs) {
    if (!out.empty()) out.push_back(',');
    out += text(x);
  }
  return out;
}

// Splits "a,b,c" and parses each with `parse`; false on any failure.
template <class T, class Parse>
bool parse_list(std::string_view s, std::vector<T>& out, Parse&& parse) {
  out.clear();
  while (!s.empty()) {
    const std::size_t comma = s.find(',');
    const auto v = parse(s.substr(0, comma));
    if (!v) return false;
    out.push_back(*v);
    s = comma == std::string_view::npos ? std::string_view() : s.substr(comma + 1);
  }
  return !out.empty();
}

std::optional<std::size_t> parse_count(std::string_view s) {
  std::size_t n = 0;
  if (std::from_chars(s.data(), s.data() + s.size(), n).ptr != s.data() + s.size() || n == 0 ||
      n > 1000) {
    return std::nullopt;
  }
  return n;
}

double log_ratio(double a, double b) { return a > 0 && b > 0 ? std::log(a / b) : 0.0; }

std::string version_word() {
  std::string v("v");
  v += std::to_string(kVersion);
  return v;
}

}  // namespace

Nanos longest_window(const FeatureConfig& c) {
  Nanos longest = c.vol_window;
  for (Nanos w : c.windows) longest = std::max(longest, w);
  return longest;
}

std::string describe(const FeatureConfig& c) {
  std::string out = version_word();
  out += " depths=";
  out += joined(c.depths, [](std::size_t d) { return std::to_string(d); });
  out += " windows=";
  out += joined(c.windows, duration_text);
  out += " vol=";
  out += duration_text(c.vol_window);
  out += '/';
  out += duration_text(c.vol_step);
  out += " fill_cap=";
  out += duration_text(c.fill_cap);
  out += " bars=";
  out += std::to_string(c.bar_lookback);
  return out;
}

Result<FeatureConfig> parse_description(std::string_view line) {
  auto bad = [&](std::string_view why) {
    return Error(ErrorCode::invalid_argument,
                 "feature set '" + std::string(line) + "': " + std::string(why));
  };
  const std::string version = version_word();
  FeatureConfig c;
  bool first = true;
  std::string_view rest = line;
  while (!rest.empty()) {
    const std::size_t space = rest.find(' ');
    const std::string_view word = rest.substr(0, space);
    rest = space == std::string_view::npos ? std::string_view() : rest.substr(space + 1);
    if (first) {
      if (word != version) return bad("made by another feature version than " + version);
      first = false;
      continue;
    }
    const std::size_t eq = word.find('=');
    const std::string_view key = word.substr(0, eq);
    const std::string_view value = eq == std::string_view::npos ? "" : word.substr(eq + 1);
    bool ok = false;
    if (key == "depths") {
      ok = parse_list(value, c.depths, parse_count);
    } else if (key == "windows") {
      ok = parse_list(value, c.windows, parse_duration);
    } else if (key == "vol") {
      const std::size_t slash = value.find('/');
      const auto w = parse_duration(value.substr(0, slash));
      const auto s =
          slash == std::string_view::npos ? std::nullopt : parse_duration(value.substr(slash + 1));
      ok = w && s && *s <= *w;
      if (ok) c.vol_window = *w, c.vol_step = *s;
    } else if (key == "fill_cap") {
      const auto d = parse_duration(value);
      ok = d.has_value();
      if (ok) c.fill_cap = *d;
    } else if (key == "bars") {
      const auto n = parse_count(value);
      ok = n.has_value();
      if (ok) c.bar_lookback = *n;
    }
    if (!ok) return bad("cannot read '" + std::string(word) + "'");
  }
  if (first) return bad("empty");
  return c;
}

FeatureSet::FeatureSet(FeatureConfig config) : c_(std::move(config)) {
  names_ = {"spread_bps", "micro_mid_bps"};
  for (std::size_t d : c_.depths) names_.push_back("imbalance_" + std::to_string(d));
  for (Nanos w : c_.windows) names_.push_back("flow_" + duration_text(w));
  for (Nanos w : c_.windows) names_.push_back("signed_volume_" + duration_text(w));
  for (Nanos w : c_.windows) names_.push_back("return_" + duration_text(w) + "_bps");
  names_.insert(names_.end(), {"volatility_bps", "inventory", "since_fill_s", "bar_return_bps",
                               "bar_range_bps", "bar_log_volume"});
  names_.push_back("bar_return_" + std::to_string(c_.bar_lookback) + "_bps");
  imbalance_.assign(c_.depths.size(), 0.0);
  for (Nanos w : c_.windows) flows_.push_back(Flow{w, {}, 0, 0});
  if (!c_.windows.empty()) {
    longest_ = *std::max_element(c_.windows.begin(), c_.windows.end());
    slot_ = std::max<Nanos>(1, *std::min_element(c_.windows.begin(), c_.windows.end()) / 100);
  }
}

void FeatureSet::step_mid(Nanos ts) {
  if (step_end_ == 0 || ts < step_end_) return;
  const auto keep = static_cast<std::size_t>(std::max<Nanos>(1, c_.vol_window / c_.vol_step));
  auto push = [&](double r) {
    squared_.push_back(r * r);
    if (squared_.size() > keep) squared_.pop_front();
  };
  // The step that ended first closes at the mid in force; the ones after
  // it saw no change (the mid carried on): at most `keep` of them matter.
  push(log_ratio(mid_, step_mid_));
  step_mid_ = mid_;
  step_end_ += c_.vol_step;
  if (ts >= step_end_) {
    const Nanos more = (ts - step_end_) / c_.vol_step + 1;
    for (Nanos i = 0; i < std::min<Nanos>(more, static_cast<Nanos>(keep)); ++i) push(0.0);
    step_end_ += more * c_.vol_step;
  }
}

void FeatureSet::prune(Nanos now) {
  for (Flow& f : flows_) {
    while (!f.trades.empty() && f.trades.front().first <= now - f.window) {
      const double q = f.trades.front().second;
      (q > 0 ? f.bought : f.sold) -= std::fabs(q);
      f.trades.pop_front();
    }
    if (f.trades.empty()) f.bought = f.sold = 0;  // no drift left from the sums
  }
  while (mids_.size() >= 2 && mids_[1].first <= now - longest_) mids_.pop_front();
}

void FeatureSet::on_top(Nanos ts, double bid, double bid_qty, double ask, double ask_qty) {
  if (!(bid > 0 && ask > 0 && ask >= bid)) return;  // a crossed or one-sided top: kept out
  step_mid(ts);  // steps that ended before ts close at the mid they had
  bid_ = bid, ask_ = ask, bid_qty_ = bid_qty, ask_qty_ = ask_qty;
  mid_ = (bid + ask) / 2;
  if (step_end_ == 0) {  // the first mid starts the first step
    step_end_ = (ts / c_.vol_step + 1) * c_.vol_step;
    step_mid_ = mid_;
  }
  // One mid kept per slot (1/100 of the shortest window): the slot's last.
  if (!mids_.empty() && ts - mids_.back().first < slot_) {
    mids_.back().second = mid_;
  } else {
    mids_.emplace_back(ts, mid_);
  }
  prune(ts);
}

void FeatureSet::on_top(const TopOfBookEvent& t) {
  if (!t.has_bid || !t.has_ask) return;
  on_top(t.ts != 0 ? t.ts : t.recv, t.bid.to_double(), t.bid_qty.to_double(), t.ask.to_double(),
         t.ask_qty.to_double());
}

void FeatureSet::on_depth(Nanos, std::span<const Level> bids, std::span<const Level> asks) {
  for (std::size_t i = 0; i < c_.depths.size(); ++i) {
    double b = 0, a = 0;
    for (std::size_t k = 0; k < std::min(c_.depths[i], bids.size()); ++k)
      b += bids[k].qty.to_double();
    for (std::size_t k = 0; k < std::min(c_.depths[i], asks.size()); ++k)
      a += asks[k].qty.to_double();
    imbalance_[i] = b + a > 0 ? (b - a) / (b + a) : 0.0;
  }
  have_depth_ = true;
}

void FeatureSet::on_trade(Nanos ts, double price, double qty, Side aggressor) {
  if (!(price > 0 && qty > 0)) return;
  const double signed_qty = aggressor == Side::buy ? qty : -qty;
  for (Flow& f : flows_) {
    f.trades.emplace_back(ts, signed_qty);
    (aggressor == Side::buy ? f.bought : f.sold) += qty;
  }
  prune(ts);
}

void FeatureSet::on_trade(const Trade& t) {
  const auto price = Decimal::parse(t.price);
  const auto qty = Decimal::parse(t.qty);
  if (!price || !qty) return;
  on_trade(t.ts.value_or(t.recv), price->to_double(), qty->to_double(), t.side);
}

void FeatureSet::on_fill(Nanos ts, Side side, double qty) {
  inventory_ += side == Side::buy ? qty : -qty;
  last_fill_ = ts;
}

void FeatureSet::on_bar(const Bar& bar) {
  if (bar.forming) return;
  add_bar(bar.high.to_double(), bar.low.to_double(), bar.close.to_double(), bar.volume.to_double());
}

void FeatureSet::on_bar(const Candle& k) {
  if (k.forming) return;
  auto num = [](std::string_view s) {
    double v = std::nan("");
    std::from_chars(s.data(), s.data() + s.size(), v);
    return v;
  };
  const double high = num(k.high), low = num(k.low), close = num(k.close), volume = num(k.volume);
  if (std::isfinite(high) && std::isfinite(low) && std::isfinite(volume)) {
    add_bar(high, low, close, volume);
  }
}

void FeatureSet::add_bar(double high, double low, double close, double volume) {
  if (!(close > 0) || !std::isfinite(close)) return;
  closes_.push_back(close);
  if (closes_.size() > c_.bar_lookback + 1) closes_.pop_front();
  bar_range_ = (high - low) / close;
  bar_volume_ = volume;
}

void FeatureSet::compute(Nanos now, std::span<double> out) {
  step_mid(now);
  std::size_t i = 0;
  auto put = [&](double v) { out[i++] = std::isfinite(v) ? v : 0.0; };
  put(mid_ > 0 ? (ask_ - bid_) / mid_ * kBps : 0.0);
  const double top = bid_qty_ + ask_qty_;
  put(mid_ > 0 && top > 0 ? ((bid_ * ask_qty_ + ask_ * bid_qty_) / top - mid_) / mid_ * kBps : 0.0);
  for (std::size_t d = 0; d < c_.depths.size(); ++d) {
    if (have_depth_) {
      put(imbalance_[d]);
    } else {
      put(c_.depths[d] == 1 && top > 0 ? (bid_qty_ - ask_qty_) / top : 0.0);
    }
  }
  prune(now);
  for (const Flow& f : flows_) {
    const double total = f.bought + f.sold;
    put(total > 0 ? (f.bought - f.sold) / total : 0.0);
  }
  for (const Flow& f : flows_) put(f.bought - f.sold);
  for (Nanos w : c_.windows) {
    // The mid in force at now − w: the last kept at or before it.
    auto it = std::upper_bound(mids_.begin(), mids_.end(), now - w,
                               [](Nanos t, const auto& m) { return t < m.first; });
    put(it == mids_.begin() ? 0.0 : log_ratio(mid_, std::prev(it)->second) * kBps);
  }
  double sum = 0;
  for (double s : squared_) sum += s;
  put(std::sqrt(sum) * kBps);
  put(inventory_);
  put(last_fill_ == 0 ? static_cast<double>(c_.fill_cap) / kSecond
                      : static_cast<double>(std::min(now - last_fill_, c_.fill_cap)) / kSecond);
  const std::size_t n = closes_.size();
  put(n >= 2 ? log_ratio(closes_[n - 1], closes_[n - 2]) * kBps : 0.0);
  put(n >= 1 ? bar_range_ * kBps : 0.0);
  put(std::log1p(std::max(0.0, bar_volume_)));
  put(n == c_.bar_lookback + 1 ? log_ratio(closes_.back(), closes_.front()) * kBps : 0.0);
}

}  // namespace ot::features
