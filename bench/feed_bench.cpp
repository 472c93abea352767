// Microbenchmarks of the hot path, each next to its limit measured in the
// same run:
//   BM_BareExtract   simdjson On-Demand extraction of the same frames (limit)
//   BM_FeedNormalize ot-feed's work per frame: parse + book sync + encode
//   BM_FlatArrayBook a minimal flat-array L2 book on pre-parsed integers (limit)
//   BM_BookApply     ot-book's L2Book, from the venue's text / from decimals
//   BM_FrameOutcome  one OKX trade frame parsed, well-formed (0) or lacking
//                    its price (1): what a malformed frame costs the parser,
//                    which abandons it by a simdjson exception
// The capture comes from OT_BENCH_CAPTURE (default bench/data/big.raw).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "bench_util.h"
#include "book/l2_book.h"
#include "core/event_decoder.h"
#include "core/event_encoder.h"
#include "feed/book_sync.h"
#include "metrics/event_meter.h"
#include "venues/venue.h"

namespace {

using ot::bench::Capture;

const Capture& capture() {
  static const Capture c = [] {
    const char* env = std::getenv("OT_BENCH_CAPTURE");
    return ot::bench::load_capture(env != nullptr ? env : "bench/data/big.raw");
  }();
  return c;
}

struct NullSink final : ot::LineSink {
  void write_line(std::string_view, std::string_view line) override { bytes += line.size() + 1; }
  std::uint64_t bytes = 0;
};

// Per-frame latency percentiles from individual timings (ns).
void percentiles(benchmark::State& state, std::vector<std::int64_t>& t) {
  if (t.empty()) return;
  std::sort(t.begin(), t.end());
  auto at = [&](double q) {
    return static_cast<double>(t[static_cast<std::size_t>(q * (t.size() - 1))]);
  };
  state.counters["p50_ns"] = at(0.5);
  state.counters["p99_ns"] = at(0.99);
  state.counters["p999_ns"] = at(0.999);
}

void frames_counters(benchmark::State& state, const Capture& c) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * c.frames.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * c.bytes));
  state.counters["ns_per_frame"] =
      benchmark::Counter(static_cast<double>(state.iterations() * c.frames.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_BareExtract(benchmark::State& state) {
  const Capture& c = capture();
  simdjson::ondemand::parser parser;
  std::uint64_t sum = 0;
  for (auto _ : state) {
    for (std::size_t i = 0; i < c.frames.size(); ++i)
      sum += ot::bench::bare_extract(parser, c.frame(i));
  }
  benchmark::DoNotOptimize(sum);
  frames_counters(state, c);
  std::vector<std::int64_t> t;
  t.reserve(c.frames.size());
  for (std::size_t i = 0; i < c.frames.size(); ++i) {
    const auto a = ot::mono_ns();
    sum += ot::bench::bare_extract(parser, c.frame(i));
    t.push_back(ot::mono_ns() - a);
  }
  percentiles(state, t);
}
BENCHMARK(BM_BareExtract)->Unit(benchmark::kMillisecond);

void BM_FeedNormalize(benchmark::State& state) {
  const Capture& c = capture();
  NullSink sink;
  auto run_once = [&](std::vector<std::int64_t>* t) {
    // Fresh state per pass, as a replay of the file would have.
    std::size_t first = 0;  // the first frame that tells the venue
    std::unique_ptr<ot::FrameParser> parser;
    while (!parser && first < c.frames.size()) parser = ot::make_detected_parser(c.frame(first++));
    ot::EventEncoder encoder(sink);
    // The venue's own rules: OKX books are checksummed on the way through.
    ot::BookSyncGuard guard(ot::find_venue(parser->venue())->book_rules(), encoder, nullptr);
    for (std::size_t i = 0; i < c.frames.size(); ++i) {
      const auto a = t != nullptr ? ot::mono_ns() : 0;
      parser->parse(c.frame(i), c.recv[i], guard);
      if (t != nullptr) t->push_back(ot::mono_ns() - a);
    }
  };
  for (auto _ : state) run_once(nullptr);
  benchmark::DoNotOptimize(sink.bytes);
  frames_counters(state, c);
  std::vector<std::int64_t> t;
  t.reserve(c.frames.size());
  run_once(&t);
  percentiles(state, t);
}
BENCHMARK(BM_FeedNormalize)->Unit(benchmark::kMillisecond);

void BM_FrameOutcome(benchmark::State& state) {
  const bool malformed = state.range(0) != 0;
  std::string frame =
      R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{"instId":"BTC-USDT",)"
      R"("tradeId":"242720720",)" +
      std::string(malformed ? "" : R"("px":"30212.5",)") +
      R"("sz":"0.0012","side":"sell","ts":"1652459225503"}]})";
  const std::size_t n = frame.size();
  frame.append(64, ' ');
  auto parser = ot::find_venue("okx")->make_parser();
  struct Count final : ot::EventListener {
    void on_book(const ot::BookUpdate&) override {}
    void on_trade(const ot::Trade&) override { ++trades; }
    void on_quote(const ot::Quote&) override {}
    void on_ticker(const ot::Ticker&) override {}
    void on_status(const ot::Status&) override {}
    std::uint64_t trades = 0;
  } out;
  std::uint64_t failed = 0;
  for (auto _ : state) {
    const ot::FrameResult r = parser->parse(std::string_view(frame.data(), n), 1, out);
    failed += r.kind == ot::FrameKind::error;
  }
  benchmark::DoNotOptimize(out.trades);
  if ((failed > 0) != malformed) state.SkipWithError("the frame did not parse as intended");
  state.counters["ns_per_frame"] =
      benchmark::Counter(static_cast<double>(state.iterations()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_FrameOutcome)->Arg(0)->Arg(1);

// Level updates of the capture, in order: (symbol index, side, price, qty).
struct LevelUpdate {
  int book;
  ot::BookSide side;
  std::string price, qty;
  ot::Decimal p, q;
  std::int64_t pi, qi;  // at a fixed scale of 8, for the flat-array limit
};

const std::vector<LevelUpdate>& level_updates() {
  static const std::vector<LevelUpdate> u = [] {
    std::vector<LevelUpdate> out;
    struct Collect final : ot::EventListener {
      std::vector<LevelUpdate>* out;
      std::vector<std::string> symbols;
      void on_book(const ot::BookUpdate& b) override {
        auto it = std::find(symbols.begin(), symbols.end(), b.symbol);
        if (it == symbols.end()) it = symbols.insert(symbols.end(), std::string(b.symbol));
        const int k = static_cast<int>(it - symbols.begin());
        for (auto side : {ot::BookSide::bid, ot::BookSide::ask}) {
          for (const auto& l : side == ot::BookSide::bid ? b.bids : b.asks) {
            LevelUpdate x{k, side, std::string(l.price), std::string(l.qty), {}, {}, 0, 0};
            x.p = *ot::Decimal::parse(x.price);
            x.q = *ot::Decimal::parse(x.qty);
            x.pi = x.p.at_scale(8);
            x.qi = x.q.at_scale(8);
            out->push_back(std::move(x));
          }
        }
      }
      void on_trade(const ot::Trade&) override {}
      void on_quote(const ot::Quote&) override {}
      void on_ticker(const ot::Ticker&) override {}
      void on_status(const ot::Status&) override {}
    } collect;
    collect.out = &out;
    const Capture& c = capture();
    auto parser = ot::make_detected_parser(c.frame(0));
    for (std::size_t i = 0; i < c.frames.size(); ++i) parser->parse(c.frame(i), c.recv[i], collect);
    return out;
  }();
  return u;
}

// The decoded updates, packed: what a book consumes per level (both the
// limits and L2Book read exactly this).
struct Packed {
  ot::Decimal p, q;
  std::uint8_t book;
  ot::BookSide side;
};

const std::vector<Packed>& packed_updates() {
  static const std::vector<Packed> v = [] {
    std::vector<Packed> out;
    for (const auto& x : level_updates()) {
      out.push_back(Packed{x.p, x.q, static_cast<std::uint8_t>(x.book), x.side});
    }
    return out;
  }();
  return v;
}

// The limit: a flat sorted array per side of (price, qty) integers, best at
// the back, binary search, insert/erase in place.
struct FlatBook {
  std::vector<std::pair<std::int64_t, std::int64_t>> side[2];
  void apply(int s, std::int64_t key, std::int64_t qty) {
    auto& v = side[s];
    auto it = std::lower_bound(v.begin(), v.end(), key,
                               [](const auto& l, std::int64_t k) { return l.first < k; });
    if (it != v.end() && it->first == key) {
      if (qty == 0)
        v.erase(it);
      else
        it->second = qty;
    } else if (qty != 0) {
      v.insert(it, {key, qty});
    }
  }
};

void level_counters(benchmark::State& state, std::size_t n) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.counters["ns_per_level"] =
      benchmark::Counter(static_cast<double>(state.iterations() * n),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_FlatArrayBook(benchmark::State& state) {
  const auto& u = level_updates();
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<FlatBook> books(8);
    state.ResumeTiming();
    for (const auto& x : u) {
      books[x.book].apply(x.side == ot::BookSide::bid ? 0 : 1,
                          x.side == ot::BookSide::bid ? x.pi : -x.pi, x.qi);
    }
    benchmark::DoNotOptimize(books.data());
  }
  level_counters(state, u.size());
}
BENCHMARK(BM_FlatArrayBook)->Unit(benchmark::kMillisecond);

// The tighter limit: per book and side, a dense array of sizes indexed by
// price tick over the whole span the capture visits (tick and span known in
// advance, untimed), with the best index tracked: one store per update.
void BM_TickArrayBook(benchmark::State& state) {
  const auto& u = level_updates();
  struct Side {
    std::int64_t tick = 0, lo = 0;
    std::vector<std::int64_t> qty;
    std::int64_t best = -1;
  };
  std::vector<Side> proto(16);
  for (const auto& x : u) {
    Side& s = proto[static_cast<std::size_t>(x.book * 2 + (x.side == ot::BookSide::bid ? 0 : 1))];
    s.tick = std::gcd(s.tick, x.pi);
  }
  std::vector<std::int64_t> lo(16, INT64_MAX), hi(16, INT64_MIN);
  for (const auto& x : u) {
    const auto k = static_cast<std::size_t>(x.book * 2 + (x.side == ot::BookSide::bid ? 0 : 1));
    lo[k] = std::min(lo[k], x.pi / proto[k].tick);
    hi[k] = std::max(hi[k], x.pi / proto[k].tick);
  }
  for (std::size_t k = 0; k < 16; ++k) {
    if (proto[k].tick == 0) continue;
    proto[k].lo = lo[k];
    proto[k].qty.assign(static_cast<std::size_t>(hi[k] - lo[k] + 1), 0);
  }
  const auto& pk = packed_updates();
  // Indexes precomputed too: the limit is the store and the best tracking.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> where(u.size());
  for (std::size_t i = 0; i < u.size(); ++i) {
    const auto k =
        static_cast<std::size_t>(u[i].book * 2 + (u[i].side == ot::BookSide::bid ? 0 : 1));
    std::int64_t idx = u[i].pi / proto[k].tick - proto[k].lo;
    if (u[i].side == ot::BookSide::ask)
      idx = static_cast<std::int64_t>(proto[k].qty.size()) - 1 - idx;
    where[i] = {static_cast<std::uint32_t>(k), static_cast<std::uint32_t>(idx)};
  }
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<Side> books = proto;
    state.ResumeTiming();
    for (std::size_t i = 0; i < pk.size(); ++i) {
      Side& s = books[where[i].first];
      const std::int64_t idx = where[i].second;
      const std::int64_t q = pk[i].q.mantissa;
      s.qty[static_cast<std::size_t>(idx)] = q;
      if (q != 0) {
        if (idx > s.best) s.best = idx;
      } else if (idx == s.best) {
        while (s.best >= 0 && s.qty[static_cast<std::size_t>(s.best)] == 0) --s.best;
      }
    }
    benchmark::DoNotOptimize(books.data());
  }
  level_counters(state, u.size());
}
BENCHMARK(BM_TickArrayBook)->Unit(benchmark::kMillisecond);

void BM_BookApplyDecimal(benchmark::State& state) {
  const auto& pk = packed_updates();
  for (auto _ : state) {
    // Fresh books each pass, built outside the timing (their first pages
    // would otherwise be counted as level updates).
    state.PauseTiming();
    std::vector<ot::L2Book> books(8);
    state.ResumeTiming();
    for (const auto& x : pk) books[x.book].apply(x.side, x.p, x.q);
    benchmark::DoNotOptimize(books.data());
  }
  level_counters(state, pk.size());
}
BENCHMARK(BM_BookApplyDecimal)->Unit(benchmark::kMillisecond);

void BM_BookApplyText(benchmark::State& state) {
  const auto& u = level_updates();
  for (auto _ : state) {
    state.PauseTiming();
    std::vector<ot::L2Book> books(8);
    state.ResumeTiming();
    for (const auto& x : u) books[x.book].apply(x.side, x.price, x.qty);
    benchmark::DoNotOptimize(books.data());
  }
  level_counters(state, u.size());
}
BENCHMARK(BM_BookApplyText)->Unit(benchmark::kMillisecond);

// Metrics on the hot path: an event counted by type and venue where the
// decoder or encoder already holds both (EventMeter: a comparison with the
// type's last venue, a relaxed add, a relaxed store of the coarse clock),
// next to the one relaxed atomic add it is compared with.
const std::vector<std::string>& event_lines() {
  static const std::vector<std::string> lines = [] {
    std::vector<std::string> out;
    const char* venues[] = {"binance", "okx", "deribit"};
    const char* types[] = {"book", "trade", "bbo"};
    for (int i = 0; i < 4096; ++i) {
      out.push_back(std::string(R"({"type":")") + types[i % 3] + R"(","venue":")" +
                    venues[(i / 3) % 3] + R"(","symbol":"BTCUSDT","ts":1,"price":"1"})");
    }
    return out;
  }();
  return lines;
}

// The lines' (type, venue) pairs, as the decoder hands them to the tally;
// with argument 1, every venue is the first one (a one-venue stream).
void BM_MeterEvent(benchmark::State& state) {
  ot::metrics::Registry r;
  ot::metrics::EventMeter meter(r, 100);
  struct Item {
    ot::EventType kind;
    std::string venue;
  };
  std::vector<Item> items;
  for (const auto& l : event_lines()) {
    const auto t = l.find("\"type\":\"") + 8, v = l.find("\"venue\":\"") + 9;
    items.push_back(
        {ot::event_type_of(l.substr(t, l.find('"', t) - t)), l.substr(v, l.find('"', v) - v)});
  }
  for (auto _ : state) {
    for (const auto& i : items) meter.in(i.kind, i.venue, {});
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items.size()));
}
BENCHMARK(BM_MeterEvent)->Arg(1)->Arg(3);

// What the tally's cost compares with: decoding the same lines.
void BM_DecodeLine(benchmark::State& state) {
  std::vector<std::string> lines;
  for (const auto& l : event_lines()) lines.push_back(l + std::string(64, '\0'));
  ot::EventDecoder decoder({ot::EventType::book, ot::EventType::trade, ot::EventType::bbo});
  ot::DecodedEvent ev;
  for (auto _ : state) {
    for (const auto& l : lines) {
      auto r = decoder.decode(std::string_view(l.data(), l.size() - 64), ev);
      benchmark::DoNotOptimize(r);
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_DecodeLine);

void BM_AtomicIncrement(benchmark::State& state) {
  ot::metrics::Registry r;
  ot::metrics::Counter& c = r.counter("ot_x_total", "x");
  const auto& lines = event_lines();
  for (auto _ : state) {
    for (std::size_t i = 0; i < lines.size(); ++i) c.inc();
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * lines.size()));
}
BENCHMARK(BM_AtomicIncrement);

}  // namespace

BENCHMARK_MAIN();
