#include "backtest/data.h"

#include <sys/stat.h>

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include "bars/candle_csv.h"
#include "core/event_decoder.h"
#include "feed/replay.h"
#include "io/input.h"
#include "store/location.h"
#include "store/record_key.h"

namespace ot {

namespace {

// Reports progress at most every 64k events: the bytes read so far (as
// `bytes` counts them) over the input's size.
class Progress {
 public:
  Progress(const ProgressFn& fn, std::uint64_t total) : fn_(fn), total_(total) {}
  void tick() {
    if (!fn_ || total_ == 0 || !bytes || (++n_ & 0xffff) != 0) return;
    fn_(std::min(1.0, static_cast<double>(bytes()) / static_cast<double>(total_)));
  }
  std::function<std::uint64_t()> bytes;

 private:
  const ProgressFn& fn_;
  std::uint64_t total_;
  std::uint64_t n_ = 0;
};

std::uint64_t bytes_read(const std::vector<std::unique_ptr<LineInput>>& inputs) {
  std::uint64_t n = 0;
  for (const auto& in : inputs) n += in->bytes_read();
  return n;
}

// Counts the market events, reports progress and forwards.
class Counted final : public EventListener {
 public:
  Counted(MarketDataListener& out, BacktestResult& r, Progress& progress)
      : out_(out), r_(r), progress_(progress) {}
  void on_book(const BookUpdate& u) override { step(), out_.on_book(u); }
  void on_trade(const Trade& t) override { step(), out_.on_trade(t); }
  void on_quote(const Quote& q) override { out_.on_quote(q); }
  void on_ticker(const Ticker& t) override { step(), out_.on_ticker(t); }
  void on_status(const Status& s) override { out_.on_status(s); }

 private:
  void step() {
    ++r_.events;
    progress_.tick();
  }
  MarketDataListener& out_;
  BacktestResult& r_;
  Progress& progress_;
};

// Event lines (from event files or the store) into structs.
class LineReader {
 public:
  LineReader(MarketDataListener& out, Diagnostics& diag, BacktestResult& r)
      : out_(out),
        diag_(diag),
        r_(r),
        decoder_({EventType::book, EventType::trade, EventType::status, EventType::ticker,
                  EventType::bar}) {}

  // A line followed by kLinePadding bytes.
  void on_line(std::string_view line, std::string_view where) {
    if (auto decoded = decoder_.decode(line, ev_); !decoded) {
      diag_.error(where, decoded.error().message() + " (skipped)");
      return;
    }
    if (!ev_.decoded) return;
    switch (ev_.kind) {
      case EventType::book:
        ++r_.events;
        return out_.on_book(ev_.book);
      case EventType::trade:
        ++r_.events;
        return out_.on_trade(ev_.trade);
      case EventType::ticker:
        ++r_.events;
        return out_.on_ticker(ev_.ticker);
      case EventType::status:
        return out_.on_status(ev_.status);
      case EventType::bar:  // closed bars only, as a candle file holds
        if (ev_.bar.forming) return;
        ++r_.events;
        return out_.on_candle(ev_.bar);
      default:
        return;
    }
  }

 private:
  MarketDataListener& out_;
  Diagnostics& diag_;
  BacktestResult& r_;
  EventDecoder decoder_;
  DecodedEvent ev_;
};

std::uint64_t file_size(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<std::uint64_t>(st.st_size) : 0;
}

bool is_event_file(const std::string& path) {
  std::string_view p(path);
  if (p.ends_with(".gz")) p.remove_suffix(3);
  if (p.ends_with(".zst")) p.remove_suffix(4);
  return p.ends_with(".ndjson") || p.ends_with(".jsonl");
}

bool play_store(const BacktestConfig& c, LineReader& lines, Diagnostics& diag) {
  StoreLocation at;
  at.files.dir = c.store_dir;
  at.pg.url = c.db_url;
  at.pg.schema = c.db_schema;
  auto opened = open_store_source(at, c.filter);
  if (!opened) {
    diag.error("", opened.error().message());
    return false;
  }
  auto src = std::move(opened).value();
  StoredRecord rec;
  std::string padded;
  while (src->next(rec)) {
    padded.assign(rec.line);
    padded.append(kLinePadding, '\0');
    lines.on_line(std::string_view(padded.data(), rec.line.size()), "store");
  }
  if (!src->error().empty()) {
    diag.error("", src->error());
    return false;
  }
  return true;
}

bool read_to_end(const std::vector<std::unique_ptr<LineInput>>& inputs, Diagnostics& diag) {
  for (const auto& in : inputs) {
    if (!in->error().empty()) {
      diag.error("", in->error());
      return false;
    }
  }
  return true;
}

// Several event files merge by time (recv, else ts); each input keeps its
// current line in its own buffer.
bool play_events(std::vector<std::unique_ptr<LineInput>>& inputs, LineReader& lines,
                 Progress& progress, Diagnostics& diag) {
  progress.bytes = [&] { return bytes_read(inputs); };
  struct Head {
    LineInput* in;
    std::string_view line;
    Nanos time = 0;
    bool live = false;
  };
  std::vector<Head> heads;
  heads.reserve(inputs.size());
  for (auto& in : inputs) heads.push_back(Head{in.get(), {}, 0, false});
  EventKeyReader keys;
  RecordKey key;
  std::string where;
  auto advance = [&](Head& h) {
    h.live = false;
    while (h.in->next(h.line)) {
      if (h.line.empty()) continue;
      // A line without a time sorts as "now" in its file's order; the
      // decoder reports malformed lines when they are handed on.
      h.time = keys.key(h.line, h.time, key) ? key.time : h.time;
      h.live = true;
      return;
    }
  };
  for (auto& h : heads) advance(h);
  for (;;) {
    Head* next = nullptr;
    for (auto& h : heads) {
      if (h.live && (next == nullptr || h.time < next->time)) next = &h;
    }
    if (next == nullptr) break;
    progress.tick();
    where = next->in->name() + ":" + std::to_string(next->in->line_number());
    lines.on_line(next->line, where);
    advance(*next);
  }
  return read_to_end(inputs, diag);
}

bool play_candles(const BacktestConfig& c, std::vector<std::unique_ptr<LineInput>>& inputs,
                  MarketDataListener& out, Progress& progress, Diagnostics& diag,
                  BacktestResult& r) {
  std::uint64_t done = 0;  // the bytes of the files already read
  for (auto& in : inputs) {
    CandleReader reader(std::move(in), c.candle_venue, c.candle_symbol);
    progress.bytes = [&] { return done + reader.input().bytes_read(); };
    Candle k;
    while (reader.next(k, diag)) {
      ++r.events;
      progress.tick();
      out.on_candle(k);
    }
    done += reader.input().bytes_read();
    progress.bytes = nullptr;
    if (!reader.input().error().empty()) {
      diag.error("", reader.input().error());
      return false;
    }
  }
  return true;
}

}  // namespace

bool play_data(const BacktestConfig& c, MarketDataListener& out, Diagnostics& diag,
               const ProgressFn& progress, BacktestResult& r) {
  LineReader lines(out, diag, r);
  if (!c.store_dir.empty() || !c.db_url.empty()) return play_store(c, lines, diag);

  std::size_t captures = 0, events = 0, candles = 0;
  std::uint64_t total = 0;
  for (const auto& f : c.data) {
    total += file_size(f);
    if (is_candle_file(f)) {
      ++candles;
    } else if (is_event_file(f)) {
      ++events;
    } else {
      ++captures;
    }
  }
  if ((captures > 0) + (events > 0) + (candles > 0) > 1) {
    diag.error("", "captures, event files and candle files cannot be mixed in one run");
    return false;
  }
  std::vector<std::unique_ptr<LineInput>> inputs;
  for (const auto& f : c.data) {
    auto opened = open_input(f);
    if (!opened) {
      diag.error("", opened.error().message());
      return false;
    }
    auto in = std::move(opened).value();
    report_bad_lines(*in, diag);
    inputs.push_back(std::move(in));
  }
  Progress prog(progress, total);
  bool ok = true;
  if (captures > 0) {
    prog.bytes = [&] { return bytes_read(inputs); };
    Counted counted(out, r, prog);
    ReplayOptions ro;
    ReplayStats rs;
    ok = run_replay(inputs, ro, counted, diag, rs);
  } else if (events > 0) {
    ok = play_events(inputs, lines, prog, diag);
  } else {
    ok = play_candles(c, inputs, out, prog, diag, r);
  }
  if (!ok) return false;
  r.bytes += total;
  return true;
}

}  // namespace ot
