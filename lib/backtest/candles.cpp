#include "backtest/candles.h"

#include <charconv>
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

}  // namespace

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
        if (line.find("open") != std::string_view::npos) continue;  // a header
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
