#include "core/time.h"

#include <time.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <limits>

namespace ot {

std::int64_t days_from_civil(int y, unsigned m, unsigned d) noexcept {
  y -= m <= 2;
  const std::int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

namespace {

void civil_from_days(std::int64_t z, int& y, unsigned& m, unsigned& d) noexcept {
  z += 719468;
  const std::int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) noexcept {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (std::size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

int days_in_month(int y, int m) noexcept {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : kDays[m - 1];
}

void put2(char* p, unsigned v) noexcept {
  p[0] = static_cast<char>('0' + v / 10);
  p[1] = static_cast<char>('0' + v % 10);
}

}  // namespace

Nanos now_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

Nanos mono_ns() noexcept {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<Nanos>(ts.tv_sec) * 1'000'000'000 + ts.tv_nsec;
}

std::optional<Nanos> parse_iso8601(std::string_view s) noexcept {
  // Stamps come by the million, nearly all of one day: the date part is
  // checked and converted once per day (per thread), then compared.
  thread_local char last_date[10] = {};
  thread_local std::int64_t last_days = 0;
  thread_local bool have_date = false;
  int y, mo, d, h, mi, se;
  if (s.size() < 20 || s[10] != 'T' || !digits(s, 11, 2, h) || s[13] != ':' ||
      !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, se)) {
    return std::nullopt;
  }
  std::int64_t days;
  if (have_date && std::memcmp(s.data(), last_date, sizeof last_date) == 0) {
    days = last_days;
  } else {
    if (!digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) {
      return std::nullopt;
    }
    days = days_from_civil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d));
    std::memcpy(last_date, s.data(), sizeof last_date);
    last_days = days;
    have_date = true;
  }
  // No leap seconds: the venues' own clocks (and Unix time) have none.
  if (h > 23 || mi > 59 || se > 59) return std::nullopt;
  std::size_t i = 19;
  Nanos frac = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    int n = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
      if (n < 9) frac = frac * 10 + (s[i] - '0'), ++n;
      ++i;
    }
    if (n == 0) return std::nullopt;
    for (; n < 9; ++n) frac *= 10;
  }
  if (i + 1 != s.size() || s[i] != 'Z') return std::nullopt;
  // Past 2262-04-11T23:47:16.854775807Z (or before 1677) nanoseconds since
  // the epoch no longer fit in 64 bits.
  const __int128 t =
      (static_cast<__int128>(days) * 86400 + (h * 60 + mi) * 60 + se) * 1'000'000'000 + frac;
  if (t > std::numeric_limits<Nanos>::max() || t < std::numeric_limits<Nanos>::min()) {
    return std::nullopt;
  }
  return static_cast<Nanos>(t);
}

char* format_capture_stamp(char* out, Nanos t) noexcept {
  std::int64_t secs = t / 1'000'000'000;
  std::int64_t ns = t % 1'000'000'000;
  if (ns < 0) ns += 1'000'000'000, --secs;
  std::int64_t days = secs / 86400;
  std::int64_t rem = secs % 86400;
  if (rem < 0) rem += 86400, --days;
  int y;
  unsigned m, d;
  civil_from_days(days, y, m, d);
  out[0] = static_cast<char>('0' + y / 1000 % 10);
  out[1] = static_cast<char>('0' + y / 100 % 10);
  out[2] = static_cast<char>('0' + y / 10 % 10);
  out[3] = static_cast<char>('0' + y % 10);
  out[4] = '-';
  put2(out + 5, m);
  out[7] = '-';
  put2(out + 8, d);
  out[10] = 'T';
  put2(out + 11, static_cast<unsigned>(rem / 3600));
  out[13] = ':';
  put2(out + 14, static_cast<unsigned>(rem / 60 % 60));
  out[16] = ':';
  put2(out + 17, static_cast<unsigned>(rem % 60));
  out[19] = '.';
  std::int64_t f = ns / 100;
  for (int k = 26; k >= 20; --k) out[k] = static_cast<char>('0' + f % 10), f /= 10;
  out[27] = 'Z';
  return out + 28;
}

std::string format_iso8601(Nanos t) {
  constexpr Nanos kSec = 1'000'000'000;
  Nanos secs = t / kSec, frac = t % kSec;
  if (frac < 0) frac += kSec, --secs;
  const std::time_t tt = static_cast<std::time_t>(secs);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  char buf[48];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ", tm.tm_year + 1900,
                tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<long long>(frac));
  return buf;
}

}  // namespace ot
