#include "feed/replay.h"

#include <time.h>

#include <thread>

#include "core/time.h"
#include "feed/book_sync.h"
#include "io/capture_line.h"
#include "venues/venue.h"

namespace ot {
namespace {

// Counts what flows out so the stats can say how many events were written.
class CountingListener final : public EventListener {
 public:
  CountingListener(EventListener& inner, std::uint64_t& count) : inner_(inner), count_(count) {}
  void on_book(const BookUpdate& u) override { ++count_, inner_.on_book(u); }
  void on_trade(const Trade& t) override { ++count_, inner_.on_trade(t); }
  void on_quote(const Quote& q) override { ++count_, inner_.on_quote(q); }
  void on_ticker(const Ticker& t) override { ++count_, inner_.on_ticker(t); }
  void on_status(const Status& s) override { ++count_, inner_.on_status(s); }

 private:
  EventListener& inner_;
  std::uint64_t& count_;
};

struct Source {
  LineInput* in = nullptr;
  std::string_view line;
  Nanos recv = 0;
  std::string_view frame;
  bool has_line = false;
  bool disconnect = false;
  std::unique_ptr<FrameParser> parser;
  std::unique_ptr<BookSyncGuard> guard;
  metrics::Counter* parse_errors = nullptr;  // of its venue, once a frame was read
};

void sleep_until_mono(Nanos t) {
  const Nanos now = mono_ns();
  if (t <= now) return;
  std::this_thread::sleep_for(std::chrono::nanoseconds(t - now));
}

bool replay_impl(std::vector<std::unique_ptr<LineInput>>& inputs, const ReplayOptions& options,
                 EventListener& events, LineSink* raw_out, Diagnostics& diag, ReplayStats& stats) {
  CountingListener counted(events, stats.events);
  std::vector<Source> sources(inputs.size());
  bool ok = true;
  std::string where, bad_level;
  metrics::Runtime* rt = options.runtime;
  metrics::StageTimer stage(rt != nullptr ? rt->stage("frame_to_event") : nullptr);
  // Errors before a source's venue is known count under --venue's, or
  // "unknown".
  metrics::Counter* unknown_errors =
      rt != nullptr ? rt->parse_errors(options.venue.empty() ? "unknown" : options.venue) : nullptr;
  auto count_error = [&](Source& s) {
    ++stats.errors;
    if (metrics::Counter* c = s.parse_errors != nullptr ? s.parse_errors : unknown_errors) c->inc();
  };

  // Reads the next usable line of a source (skipping bad stamps).
  auto advance = [&](Source& s) {
    s.has_line = false;
    std::string_view line;
    while (s.in->next(line)) {
      ++stats.lines;
      if (line.empty()) {
        s.has_line = s.disconnect = true;
        return;
      }
      if (!split_capture_line(line, s.recv, s.frame)) {
        count_error(s);
        where = s.in->name() + ":" + std::to_string(s.in->line_number());
        diag.error(where, "not a capture line (expected 'YYYY-MM-DDTHH:MM:SS.fffffffZ <frame>')");
        continue;
      }
      s.line = line;
      s.has_line = true;
      s.disconnect = false;
      return;
    }
    if (!s.in->error().empty()) {
      diag.error(s.in->name(), s.in->error());
      ok = false;
    }
  };

  for (std::size_t i = 0; i < inputs.size(); ++i) {
    sources[i].in = inputs[i].get();
    advance(sources[i]);
  }
  const Venue* fixed = options.venue.empty() ? nullptr : find_venue(options.venue);
  Nanos first_recv = 0, start_mono = 0;
  bool started = false;

  for (;;) {
    Source* next = nullptr;
    for (auto& s : sources) {
      if (!s.has_line) continue;
      if (next == nullptr || (!s.disconnect && !next->disconnect && s.recv < next->recv) ||
          s.disconnect) {
        next = &s;
        if (s.disconnect) break;
      }
    }
    if (next == nullptr) break;
    Source& s = *next;
    if (s.disconnect) {
      ++stats.disconnects;
      if (raw_out) raw_out->write_line({}, {});
      if (s.guard) {
        s.guard->reset_all();
        Status st{s.parser->venue(), {}, s.recv, "disconnected", "capture marks a disconnect"};
        counted.on_status(st);
      }
      advance(s);
      continue;
    }
    if (options.speed > 0) {
      if (!started) {
        started = true;
        first_recv = s.recv;
        start_mono = mono_ns();
      }
      sleep_until_mono(start_mono + static_cast<Nanos>(static_cast<double>(s.recv - first_recv) /
                                                       options.speed));
    }
    ++stats.frames;
    if (raw_out) {
      raw_out->write_line({}, s.line);
      advance(s);
      continue;
    }
    if (!s.parser) {
      if (fixed != nullptr) {
        s.parser = fixed->make_parser();
      } else {
        s.parser = make_detected_parser(s.frame);
      }
      if (!s.parser) {
        count_error(s);
        where = s.in->name() + ":" + std::to_string(s.in->line_number());
        diag.error(where, "cannot tell the venue from this frame (use --venue)");
        advance(s);
        continue;
      }
      const Venue* v = find_venue(s.parser->venue());
      s.guard = std::make_unique<BookSyncGuard>(v != nullptr ? v->book_rules() : BookRules{},
                                                counted, nullptr);
    }
    stage.begin();
    FrameResult r = s.parser->parse(s.frame, s.recv, *s.guard);
    stage.end();
    // A detected parser knows its venue for sure once it has read a frame
    // (Binance spot or USD-M).
    if (rt != nullptr && s.parse_errors == nullptr) {
      s.parse_errors = rt->parse_errors(s.parser->venue());
    }
    switch (r.kind) {
      case FrameKind::data:
        break;
      case FrameKind::control:
        ++stats.control;
        break;
      case FrameKind::skipped:
        ++stats.skipped;
        break;
      case FrameKind::error:
        count_error(s);
        where = s.in->name() + ":" + std::to_string(s.in->line_number());
        diag.error(where, r.error);
        break;
    }
    if (s.guard->take_error(bad_level)) {
      count_error(s);
      diag.error(s.in->name() + ":" + std::to_string(s.in->line_number()), bad_level);
    }
    advance(s);
  }
  for (auto& s : sources) {
    if (!s.guard) continue;
    SyncStats g = s.guard->stats();
    stats.gaps += g.gaps;
    stats.checksum_mismatches += g.checksum_mismatches;
    stats.checksums_verified += g.checksums_verified;
  }
  return ok;
}

}  // namespace

bool run_replay(std::vector<std::unique_ptr<LineInput>>& inputs, const ReplayOptions& options,
                LineSink& out, Diagnostics& diag, ReplayStats& stats) {
  EventEncoder encoder(out);
  return replay_impl(inputs, options, encoder, options.raw ? &out : nullptr, diag, stats);
}

bool run_replay(std::vector<std::unique_ptr<LineInput>>& inputs, const ReplayOptions& options,
                EventListener& out, Diagnostics& diag, ReplayStats& stats) {
  return replay_impl(inputs, options, out, nullptr, diag, stats);
}

}  // namespace ot
