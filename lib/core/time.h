// Nanosecond timestamps since the Unix epoch, and the capture line format's
// ISO-8601 stamps ("2021-10-12T00:28:32.0633569Z", 100 ns resolution).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace ot {

using Nanos = std::int64_t;

// Wall clock (CLOCK_REALTIME) in nanoseconds.
Nanos now_ns() noexcept;
// Monotonic clock in nanoseconds, for pacing and deadlines.
Nanos mono_ns() noexcept;

// Venue milliseconds as nanoseconds; nullopt when they do not fit (beyond
// the year 2262).
inline std::optional<Nanos> ns_from_ms(std::int64_t ms) noexcept {
  constexpr std::int64_t kLimit = INT64_MAX / 1'000'000;
  if (ms > kLimit || ms < -kLimit) return std::nullopt;
  return ms * 1'000'000;
}

// |a − b| <= tolerance, without overflow whatever a and b are (clock skew
// checks on times a client sent).
inline bool within(std::int64_t a, std::int64_t b, std::int64_t tolerance) noexcept {
  const __int128 d = static_cast<__int128>(a) - b;
  return d <= tolerance && d >= -tolerance;
}

// Days since 1970-01-01 of a civil date (proleptic Gregorian calendar;
// Howard Hinnant's civil-days algorithm).
std::int64_t days_from_civil(int year, unsigned month, unsigned day) noexcept;

// Parses "YYYY-MM-DDTHH:MM:SS[.fffffffff]Z" (digits past the ninth
// fractional one are dropped); nullopt when malformed, for a day the month
// does not have (2021-02-31), a second of 60, and times that 64-bit
// nanoseconds cannot hold (after 2262-04-11T23:47:16.854775807Z).
std::optional<Nanos> parse_iso8601(std::string_view text) noexcept;
// "2022-05-13T16:27:05.507260300Z" (UTC, nine fractional digits).
std::string format_iso8601(Nanos t);

// Writes the 28-character capture stamp (7 fractional digits) into `out`,
// which must hold 28 bytes; returns one past the last byte.
char* format_capture_stamp(char* out, Nanos t) noexcept;

}  // namespace ot
