#include "bars/candle_csv.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

#include "core/decimal.h"

namespace ot {
namespace {

std::vector<std::string_view> split(std::string_view s) {
  std::vector<std::string_view> out;
  std::size_t pos = 0;
  for (;;) {
    const std::size_t c = s.find(',', pos);
    out.push_back(s.substr(pos, c == std::string_view::npos ? std::string_view::npos : c - pos));
    if (c == std::string_view::npos) break;
    pos = c + 1;
  }
  return out;
}

// Epoch seconds or milliseconds (by magnitude), or "YYYY-MM-DD HH:MM:SS[.f]".
std::optional<Nanos> parse_stamp(std::string_view t) {
  std::int64_t v = 0;
  auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (r.ec == std::errc() && r.ptr == t.data() + t.size()) {
    if (v > 100'000'000'000'000LL) return v;          // ns
    if (v > 100'000'000'000LL) return v * 1'000'000;  // ms
    return v * 1'000'000'000;                         // s
  }
  if (t.size() < 19) return std::nullopt;
  std::string iso(t);
  iso[10] = 'T';
  if (iso.back() != 'Z') iso += 'Z';
  return parse_iso8601(iso);
}

// "2024-05-01 00:01:00", with the fraction's digits when there are any.
void append_time(std::string& out, Nanos t) {
  std::string iso = format_iso8601(t);  // 2024-05-01T00:01:00.000000000Z
  iso[10] = ' ';
  iso.pop_back();
  while (iso.back() == '0') iso.pop_back();
  if (iso.back() == '.') iso.pop_back();
  out.append(iso);
}

void append_decimal(std::string& out, const Decimal& d) {
  char buf[Decimal::kMaxChars];
  out.append(buf, d.to_chars(buf));
}

}  // namespace

void append_indicator_value(std::string& out, double v) {
  if (v == 0 || !std::isfinite(v)) {
    out.push_back('0');
    return;
  }
  const int magnitude = static_cast<int>(std::floor(std::log10(std::fabs(v)))) + 1;
  const int decimals = std::clamp(12 - magnitude, 0, 18);
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed, decimals);
  std::string_view s(buf, static_cast<std::size_t>(r.ptr - buf));
  if (s.find('.') != std::string_view::npos) {
    while (s.back() == '0') s.remove_suffix(1);
    if (s.back() == '.') s.remove_suffix(1);
  }
  out.append(s);
}

void append_amount(std::string& out, const Amount& a) {
  if (auto d = a.to_decimal()) {
    append_decimal(out, *d);
  } else {
    out.append(a.to_string());  // more than 18 digits
  }
}

void append_candle_header(std::string& out, const std::vector<IndicatorSpec>& indicators) {
  out.append("timestamp,open,high,low,close,volume,close_time,trades,buy_volume,vwap");
  for (const auto& i : indicators) out.append(",").append(i.name);
}

void append_candle_row(std::string& out, const Bar& bar) {
  append_time(out, bar.start);
  for (const Decimal* d : {&bar.open, &bar.high, &bar.low, &bar.close}) {
    out.push_back(',');
    append_decimal(out, *d);
  }
  out.push_back(',');
  append_amount(out, bar.volume);
  out.push_back(',');
  append_time(out, bar.end);
  out.append(",").append(std::to_string(bar.trades)).push_back(',');
  append_amount(out, bar.buy_volume);
  out.push_back(',');
  append_decimal(out, bar.vwap());
  for (const auto& v : bar.indicators) {
    out.push_back(',');
    if (v && std::isfinite(*v)) append_indicator_value(out, *v);
  }
}

bool is_candle_file(const std::string& path) {
  std::string_view p(path);
  if (p.ends_with(".gz")) p.remove_suffix(3);
  if (p.ends_with(".zst")) p.remove_suffix(4);
  return p.ends_with(".csv");
}

CandleReader::CandleReader(std::unique_ptr<LineInput> in, std::string venue, std::string symbol)
    : in_(std::move(in)), venue_(std::move(venue)), symbol_(std::move(symbol)) {}

Result<> CandleReader::parse_row(std::string_view line, Candle& out) {
  const auto f = split(line);
  if (f.size() < 6) {
    return Error(ErrorCode::corrupt, "expected at least 6 comma-separated fields");
  }
  auto open_time = parse_stamp(f[0]);
  if (!open_time) {
    return Error(ErrorCode::corrupt, "bad time '" + std::string(f[0]) + "'");
  }
  for (int i = 1; i <= 5; ++i) {
    if (!Decimal::parse(f[i])) {
      return Error(ErrorCode::corrupt, "bad number '" + std::string(f[i]) + "'");
    }
  }
  out.venue = venue_;
  out.symbol = symbol_;
  out.open_time = *open_time;
  out.close_time = 0;
  if (binance_ && f.size() >= 7) {
    if (auto close = parse_stamp(f[6])) out.close_time = *close + 1'000'000;
  }
  if (close_column_ > 0) {
    const auto i = static_cast<std::size_t>(close_column_);
    auto close = i < f.size() ? parse_stamp(f[i]) : std::nullopt;
    if (!close || *close < *open_time) {
      return Error(ErrorCode::corrupt, "bad close_time (before the open time)");
    }
    out.close_time = *close;
  }
  out.open = f[1];
  out.high = f[2];
  out.low = f[3];
  out.close = f[4];
  out.volume = f[5];
  return {};
}

bool CandleReader::next(Candle& out, Diagnostics& diag) {
  std::string_view line;
  // Reads rows until one parses into `c` (views into `keep`). The interval
  // needs the following row's open time, so the reader runs one row ahead,
  // alternating between two row buffers.
  auto read_row = [&](Candle& c, std::string& keep) -> bool {
    while (in_->next(line)) {
      if (line.empty()) continue;
      if (!header_checked_) {
        header_checked_ = true;
        if (line.find("open") != std::string_view::npos) {  // a header
          const auto names = split(line);
          for (std::size_t i = 0; i < names.size(); ++i) {
            if (names[i] == "close_time") close_column_ = static_cast<int>(i);
          }
          continue;
        }
        binance_ = true;
      }
      keep.assign(line);
      const Result<> parsed = parse_row(keep, c);
      if (parsed) return true;
      diag.error(in_->name() + ":" + std::to_string(in_->line_number()),
                 parsed.error().message() + " (skipped)");
    }
    return false;
  };
  if (!has_pending_) {
    if (!read_row(pending_, rows_[ahead_])) return false;
    has_pending_ = true;
  }
  out = pending_;  // views into rows_[ahead_], left alone until the next call
  ahead_ ^= 1;
  has_pending_ = read_row(pending_, rows_[ahead_]);
  if (has_pending_ && interval_ == 0 && pending_.open_time > out.open_time) {
    interval_ = pending_.open_time - out.open_time;
  }
  if (out.close_time == 0) {
    out.close_time = out.open_time + (interval_ > 0 ? interval_ : 60'000'000'000LL);
  }
  return true;
}

}  // namespace ot
