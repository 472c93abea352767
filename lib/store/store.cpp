#include "store/store.h"

#include <charconv>
#include <cstdio>
#include <string>

#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "core/event_tally.h"
#include "io/input.h"
#include "store/file_store.h"
#include "store/record_key.h"

namespace ot {

bool run_write(LineInput& in, RecordSink& sink, const WriteOptions& options, Diagnostics& diag,
               WriteStats& stats, const volatile std::sig_atomic_t* stop) {
  EventKeyReader events;
  RawKeyReader raw(options.venue);
  std::string where;
  bool ok = true;
  auto flush = [&](bool wait) {
    if (!ok) return;
    if (auto flushed = wait ? sink.flush() : sink.start_flush(); !flushed) {
      diag.error("", flushed.error().message());
      ok = false;
    }
  };
  // A quiet input: what is queued goes in now. A durable consumer acks what
  // it delivered right after this hook, so the flush waits for the commit
  // there; elsewhere it commits while the input waits on.
  const bool acks = !in.source().empty();
  in.set_idle_hook(
      [&] {
        flush(acks);
        if (options.on_wait) options.on_wait();
      },
      0);  // a burst is batched whole
  if (stop) {
    in.set_wait_hook([&](const LineInput::WaitTarget& t) {
      for (;;) {
        if (*stop) return LineInput::WaitResult::stop;
        if (wait_readable(t, 200)) return LineInput::WaitResult::ready;
        if (options.on_wait) options.on_wait();
      }
    });
  }
  std::uint64_t committed = 0;  // stream sequences start at 1
  if (!in.source().empty()) {
    auto resumed = sink.resume(in.source());
    if (!resumed) {
      diag.error("", resumed.error().message());
      return false;
    }
    committed = resumed->value_or(0);
  }
  metrics::StageTimer stage(options.stage_latency);
  std::string_view line;
  RecordKey key;
  while (ok && !(stop && *stop) && in.next(line)) {
    ++stats.lines;
    if (const auto position = in.position()) {
      if (*position <= committed) {
        ++stats.repeated;
        continue;
      }
      sink.set_position(*position);
    }
    // Events are parsed in place; an empty line is a disconnect in a capture.
    if (!options.raw && is_blank(line)) continue;
    const Result<> keyed = options.raw ? raw.key(line, key) : events.key(line, now_ns(), key);
    EventTally* tally = event_tally();
    if (!keyed) {
      if (tally != nullptr) tally->malformed();
      ++stats.malformed;
      where = in.name() + ":" + std::to_string(in.line_number());
      diag.error(where, keyed.error().message() + " (skipped)");
      continue;
    }
    if (tally != nullptr) tally->in(event_type_of(key.type), key.venue, line);
    if (!matches(options.filter, key.venue.empty() ? "_" : key.venue,
                 key.symbol.empty() ? "_" : key.symbol, key.type)) {
      ++stats.filtered;
      continue;
    }
    stage.begin();
    const Result<> appended = sink.append(key, line);
    stage.end();
    if (!appended) {
      ++stats.refused;
      diag.error(in.name() + ":" + std::to_string(in.line_number()),
                 appended.error().message() + " (skipped)");
      continue;
    }
    ++stats.stored;
    if (sink.pending_bytes() >= options.flush_bytes) flush(false);
  }
  if (!in.error().empty()) {
    diag.error(in.name(), in.error());
  }
  if (auto closed = sink.close(); !closed) {
    if (ok) diag.error("", closed.error().message());
    ok = false;
  }
  return ok;
}

void append_record_prefix(std::string& out, Nanos time, std::uint64_t seq) {
  char num[24];
  out.append(num, std::to_chars(num, num + sizeof num, time).ptr);
  out += ' ';
  out.append(num, std::to_chars(num, num + sizeof num, seq).ptr);
  out += ' ';
}

std::optional<Nanos> parse_time_arg(std::string_view text) {
  Nanos v = 0;
  auto r = std::from_chars(text.data(), text.data() + text.size(), v);
  if (r.ec == std::errc() && r.ptr == text.data() + text.size()) return v;
  if (text.size() == 10) {
    std::string iso(text);
    iso += "T00:00:00Z";
    return parse_iso8601(iso);
  }
  return parse_iso8601(text);
}

std::string format_time(Nanos t) { return format_iso8601(t); }

std::string format_series(const std::vector<StoredSeries>& rows, bool json) {
  std::string out;
  char line[1024];
  if (!json) {
    std::snprintf(line, sizeof line, "%-16s %-20s %-8s %-24s %-24s %5s %10s %12s %12s\n", "VENUE",
                  "SYMBOL", "TYPE", "FROM", "TO", "DAYS", "RECORDS", "BYTES", "RAW_BYTES");
    out += line;
  }
  for (const auto& s : rows) {
    if (json) {
      std::snprintf(
          line, sizeof line,
          "{\"venue\":\"%s\",\"symbol\":\"%s\",\"type\":\"%s\",\"from\":%lld,\"to\":%lld,"
          "\"days\":%llu,\"records\":%llu,\"bytes\":%llu,\"raw_bytes\":%llu}\n",
          s.venue.c_str(), s.symbol.c_str(), s.type.c_str(), static_cast<long long>(s.first),
          static_cast<long long>(s.last), static_cast<unsigned long long>(s.days),
          static_cast<unsigned long long>(s.records), static_cast<unsigned long long>(s.bytes),
          static_cast<unsigned long long>(s.raw_bytes));
      out += line;
    } else {
      std::snprintf(
          line, sizeof line, "%-16s %-20s %-8s %-24.23s %-24.23s %5llu %10llu %12llu %12llu\n",
          s.venue.c_str(), s.symbol.c_str(), s.type.c_str(), format_time(s.first).c_str(),
          format_time(s.last).c_str(), static_cast<unsigned long long>(s.days),
          static_cast<unsigned long long>(s.records), static_cast<unsigned long long>(s.bytes),
          static_cast<unsigned long long>(s.raw_bytes));
      out += line;
    }
  }
  return out;
}

bool run_read(RecordSource& source, LineSink& out, Diagnostics& diag, std::uint64_t& records) {
  StoredRecord r;
  std::string topic;
  const bool topics = out.wants_topic();
  while (source.next(r)) {
    if (topics) {
      topic.assign(r.type);
      topic += '.';
      topic += r.venue;
      topic += '.';
      topic += r.symbol;
    }
    out.write_line(topic, r.line);
    ++records;
  }
  if (!source.error().empty()) {
    diag.error("", source.error());
    return false;
  }
  return true;
}

}  // namespace ot
