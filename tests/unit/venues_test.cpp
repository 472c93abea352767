#include <simdjson.h>
#include <time.h>

#include <boost/asio/steady_timer.hpp>
#include <catch2/catch.hpp>
#include <fstream>
#include <random>
#include <sstream>

#include "core/event_encoder.h"
#include "feed/replay.h"
#include "io/capture_line.h"
#include "net/busy_poll.h"
#include "test_util.h"
#include "venues/alpaca/alpaca_orders.h"
#include "venues/binance/binance_parser.h"
#include "venues/deribit/deribit.h"
#include "venues/network_gateway.h"
#include "venues/okx/instrument.h"
#include "venues/okx/okx.h"
#include "venues/venue.h"

using ot::FrameKind;
using ot::test::Padded;
using ot::test::Recorder;

TEST_CASE("Binance spot depth diffs, snapshots, bookTicker and aggTrade", "[venues][binance]") {
  auto parser = ot::binance::make_parser(ot::binance::Market::spot, false);
  Recorder rec;
  Padded diff(
      R"({"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512068,"s":"NKNUSDT","U":499869750,"u":499869752,"b":[["0.35130000","6195.00000000"]],"a":[]}})");
  REQUIRE(parser->parse(diff.view(), 7, rec).kind == FrameKind::data);
  REQUIRE(rec.books.size() == 1);
  const auto& b = rec.books[0];
  CHECK(b.venue == "binance");
  CHECK(b.symbol == "NKNUSDT");
  CHECK_FALSE(b.snapshot);
  CHECK(b.first_seq == 499869750);
  CHECK(b.seq == 499869752);
  CHECK_FALSE(b.prev_seq);
  CHECK(b.ts == 1633998512068000000LL);
  CHECK(b.bids ==
        std::vector<std::pair<std::string, std::string>>{{"0.35130000", "6195.00000000"}});

  Padded snap(
      R"({"stream":"nknusdt@depthSnapshot","generated":true,"data":{"lastUpdateId":499869752,"bids":[["0.35210000","672.00000000"]],"asks":[["0.35300000","1.00000000"]]}})");
  REQUIRE(parser->parse(snap.view(), 8, rec).kind == FrameKind::data);
  CHECK(rec.books[1].snapshot);
  CHECK(rec.books[1].symbol == "NKNUSDT");
  CHECK(rec.books[1].seq == 499869752);

  Padded ticker(
      R"({"stream":"nknusdt@bookTicker","data":{"u":499869770,"s":"NKNUSDT","b":"0.35200000","B":"1144.00000000","a":"0.35280000","A":"2187.00000000"}})");
  REQUIRE(parser->parse(ticker.view(), 9, rec).kind == FrameKind::data);
  CHECK(rec.quotes[0] == std::vector<std::string>{"NKNUSDT", "0.35200000", "1144.00000000",
                                                  "0.35280000", "2187.00000000"});

  Padded agg(
      R"({"stream":"lrcbtc@aggTrade","data":{"e":"aggTrade","E":1633998520372,"s":"LRCBTC","a":13318932,"p":"0.00000832","q":"1060.00000000","f":16426474,"l":16426474,"T":1633998520371,"m":true,"M":true}})");
  REQUIRE(parser->parse(agg.view(), 10, rec).kind == FrameKind::data);
  CHECK(rec.trades[0] ==
        std::vector<std::string>{"LRCBTC", "0.00000832", "1060.00000000", "sell", "13318932"});
  CHECK(parser->venue() == "binance");

  Padded kline(R"({"stream":"lrcbtc@kline_1m","data":{"e":"kline"}})");
  CHECK(parser->parse(kline.view(), 11, rec).kind == FrameKind::skipped);
}

TEST_CASE("Binance futures frames switch the venue and carry pu", "[venues][binance]") {
  auto parser = ot::binance::make_parser(ot::binance::Market::spot, false);
  Recorder rec;
  Padded diff(
      R"({"stream":"sushiusdt@depth@100ms","data":{"e":"depthUpdate","E":1626992741037,"T":1626992741024,"s":"SUSHIUSDT","U":600859599090,"u":600859600917,"pu":600859598061,"b":[["7.5040","813"]],"a":[]}})");
  REQUIRE(parser->parse(diff.view(), 1, rec).kind == FrameKind::data);
  CHECK(parser->venue() == "binance-futures");
  CHECK(rec.books[0].venue == "binance-futures");
  CHECK(rec.books[0].prev_seq == 600859598061);
  CHECK(rec.books[0].ts == 1626992741024000000LL);  // transaction time
}

TEST_CASE("malformed and unknown Binance frames are errors", "[venues][binance][errors]") {
  auto parser = ot::binance::make_parser(ot::binance::Market::spot, true);
  Recorder rec;
  for (
      const char* bad :
      {R"({"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","E":1633998512068,"s":"NKNUSDT","U":4)",
       "\x01\x02garbage",
       R"({"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","s":"NKNUSDT","U":"x","u":2,"b":[],"a":[]}})",
       R"({"stream":"nknusdt@depth@100ms","data":{"e":"depthUpdate","s":"NKNUSDT","U":1,"u":2,"b":[[1,2]],"a":[]}})",
       R"({"stream":"nknusdt@whatever","data":{}})", R"({"hello":"world"})", R"([1,2,3])", ""}) {
    Padded p(bad);
    auto r = parser->parse(p.view(), 1, rec);
    CHECK(r.kind == FrameKind::error);
    CHECK_FALSE(r.error.empty());
  }
  CHECK(rec.books.empty());
  Padded ack(R"({"result":null,"id":1})");
  CHECK(parser->parse(ack.view(), 1, rec).kind == FrameKind::control);
}

namespace {
// Every event a parser emits, as its NDJSON line plus the level values the
// scanner read, so two parsers can be compared byte for byte.
struct Lines final : ot::LineSink {
  void write_line(std::string_view, std::string_view line) override { text.emplace_back(line); }
  std::vector<std::string> text;
};
struct Transcript final : ot::EventListener {
  Lines lines;
  ot::EventEncoder encoder{lines};
  void on_book(const ot::BookUpdate& u) override {
    encoder.on_book(u);
    std::string v;
    for (const auto* side : {&u.bids, &u.asks}) {
      for (const auto& l : *side) {
        for (const auto& d : {l.price_decimal(), l.qty_decimal()}) {
          if (d) {
            v.append(std::to_string(d->mantissa)).append("e-").append(std::to_string(d->scale));
          }
          v.push_back(';');
        }
      }
    }
    lines.text.push_back(std::move(v));
  }
  void on_trade(const ot::Trade& t) override { encoder.on_trade(t); }
  void on_quote(const ot::Quote& q) override { encoder.on_quote(q); }
  void on_ticker(const ot::Ticker& t) override { encoder.on_ticker(t); }
  void on_status(const ot::Status& s) override { encoder.on_status(s); }
};
}  // namespace

namespace {
// The frames of captures in tests/data, then each frame that holds `marker`
// mutated at random twelve times (whitespace, a byte dropped or changed,
// escapes, non-ASCII, numbers that are not plain integers).
std::vector<std::string> mutated_frames(std::initializer_list<const char*> captures,
                                        std::initializer_list<std::string_view> markers,
                                        std::size_t& marked) {
  std::vector<std::string> frames;
  for (const char* name : captures) {
    std::ifstream in(ot::test::data_path(name));
    std::string line;
    while (std::getline(in, line)) {
      ot::Nanos recv = 0;
      std::string_view frame;
      if (ot::split_capture_line(line, recv, frame)) frames.emplace_back(frame);
    }
  }
  std::mt19937_64 rng(5);
  const std::string noise = " \t\\\"-.e0519:,{}[]x\x80\xc3";
  std::vector<std::string> cases = frames;
  marked = 0;
  for (const auto& f : frames) {
    if (std::none_of(markers.begin(), markers.end(),
                     [&](std::string_view m) { return f.find(m) != std::string::npos; })) {
      continue;
    }
    ++marked;
    for (int k = 0; k < 12; ++k) {
      std::string m = f;
      const std::size_t at = rng() % m.size();
      switch (rng() % 4) {
        case 0:
          m = m.substr(0, at) + noise[rng() % noise.size()] + m.substr(at);
          break;
        case 1:
          m.erase(at, 1);
          break;
        case 2:
          m[at] = noise[rng() % noise.size()];
          break;
        default: {  // a number's digits, or a key, changed
          const std::size_t colon = m.find(':', at);
          if (colon != std::string::npos && colon + 1 < m.size())
            m[colon + 1] = "-01x\""[rng() % 5];
          break;
        }
      }
      cases.push_back(std::move(m));
    }
  }
  return cases;
}

// The fast path must give the same result, error text and events as
// simdjson on every case, or step aside. Returns the frames taken as data.
std::size_t compare_paths(const std::vector<std::string>& cases, ot::FrameParser& fast,
                          ot::FrameParser& slow) {
  Transcript a, b;
  std::size_t data = 0;
  for (const auto& c : cases) {
    Padded frame(c);
    const auto ra = fast.parse(frame.view(), 7, a);
    const auto rb = slow.parse(frame.view(), 7, b);
    INFO("frame " << c);
    REQUIRE(ra.kind == rb.kind);
    REQUIRE(ra.error == rb.error);
    REQUIRE(a.lines.text.size() == b.lines.text.size());
    data += ra.kind == FrameKind::data;
  }
  CHECK(a.lines.text == b.lines.text);
  CHECK(fast.venue() == slow.venue());
  return data;
}
}  // namespace

TEST_CASE("Binance depth read straight from the bytes equals the simdjson path",
          "[venues][binance][fast]") {
  std::size_t depth_frames = 0;
  const auto cases = mutated_frames({"binance-futures.raw", "binance-spot.raw"},
                                    {"@depth@", "@depth\""}, depth_frames);
  REQUIRE(cases.size() > 1000);
  REQUIRE(depth_frames > 100);
  for (ot::binance::Market market : {ot::binance::Market::spot, ot::binance::Market::usdm}) {
    auto fast = ot::binance::make_parser(market, false, true);
    auto slow = ot::binance::make_parser(market, false, false);
    CHECK(compare_paths(cases, *fast, *slow) > depth_frames);
  }
}

TEST_CASE("OKX books read straight from the bytes equal the simdjson path", "[venues][okx][fast]") {
  std::size_t book_frames = 0;
  const auto cases = mutated_frames({"okx.raw"}, {"\"channel\":\"books\""}, book_frames);
  REQUIRE(book_frames >= 290);
  auto fast = ot::okx::make_parser(true);
  auto slow = ot::okx::make_parser(false);
  CHECK(compare_paths(cases, *fast, *slow) > book_frames);
}

TEST_CASE("OKX books carry the venue checksum, and ours matches it", "[venues][okx]") {
  auto parser = ot::okx::make_parser();
  Recorder rec;
  Padded snap(ot::test::read_file(ot::test::data_path("okx-snapshot-frame.json")));
  REQUIRE(parser->parse(snap.view(), 1, rec).kind == FrameKind::data);
  REQUIRE(rec.books.size() == 1);
  const auto& b = rec.books[0];
  CHECK(b.snapshot);
  CHECK(b.symbol == "BTC-USD-220527");
  REQUIRE(b.checksum);
  std::vector<ot::PriceLevel> bids, asks;
  for (auto& [p, q] : b.bids) bids.push_back({p, q});
  for (auto& [p, q] : b.asks) asks.push_back({p, q});
  CHECK(ot::okx::checksum(bids, asks) == *b.checksum);
  // One level less and the checksum must differ.
  bids.erase(bids.begin());
  CHECK(ot::okx::checksum(bids, asks) != *b.checksum);

  Padded pong("pong");
  CHECK(parser->parse(pong.view(), 1, rec).kind == FrameKind::control);
  Padded sub(R"({"event":"subscribe","arg":{"channel":"books","instId":"BTC-USDT"}})");
  CHECK(parser->parse(sub.view(), 1, rec).kind == FrameKind::control);
  Padded trade(
      R"({"arg":{"channel":"trades","instId":"BTC-USD-220527"},"data":[{"instId":"BTC-USD-220527","tradeId":"7849","px":"30218.8","sz":"1","side":"buy","ts":"1652459199958"}]})");
  REQUIRE(parser->parse(trade.view(), 1, rec).kind == FrameKind::data);
  CHECK(rec.trades[0] == std::vector<std::string>{"BTC-USD-220527", "30218.8", "1", "buy", "7849"});
  Padded bad(R"({"arg":{"channel":42},"data":[]})");
  CHECK(parser->parse(bad.view(), 1, rec).kind == FrameKind::error);
}

TEST_CASE("Deribit numbers keep the venue's digits", "[venues][deribit]") {
  auto parser = ot::deribit::make_parser();
  Recorder rec;
  Padded book(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.ETH-30JUL21-2800-C.raw","data":{"type":"change","timestamp":1626993723632,"prev_change_id":13169025645,"instrument_name":"ETH-30JUL21-2800-C","change_id":13169025700,"bids":[["delete",0.0015,0.0],["change",0.001,862.0]],"asks":[["new",1e-05,5]]}}})");
  REQUIRE(parser->parse(book.view(), 1, rec).kind == FrameKind::data);
  const auto& b = rec.books[0];
  CHECK(b.seq == 13169025700);
  CHECK(b.prev_seq == 13169025645);
  CHECK(b.bids ==
        std::vector<std::pair<std::string, std::string>>{{"0.0015", "0"}, {"0.001", "862.0"}});
  CHECK(b.asks[0].first == "1e-05");
  Padded ticker(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"ticker.ETH-30JUL21-2800-C.raw","data":{"underlying_price":2003.61,"timestamp":1626993723632,"mark_price":0.001972,"mark_iv":120.74,"last_price":null,"instrument_name":"ETH-30JUL21-2800-C","greeks":{"vega":0.20072,"delta":0.03127}}}})");
  REQUIRE(parser->parse(ticker.view(), 1, rec).kind == FrameKind::data);
  const auto& f = rec.tickers[0].second;
  CHECK(f[static_cast<int>(ot::TickerField::mark_iv)] == "120.74");
  CHECK(f[static_cast<int>(ot::TickerField::delta)] == "0.03127");
  CHECK(f[static_cast<int>(ot::TickerField::last)].empty());
  Padded hb(R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})");
  CHECK(parser->parse(hb.view(), 1, rec).kind == FrameKind::control);
  Padded wrong(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"book.X.raw","data":{"type":"change","change_id":"x","bids":[],"asks":[]}}})");
  CHECK(parser->parse(wrong.view(), 1, rec).kind == FrameKind::error);
}

TEST_CASE("the registry knows every venue and guesses captures", "[venues][registry]") {
  for (auto name : {"binance", "binance-futures", "binance-delivery", "okx", "deribit"}) {
    const ot::Venue* v = ot::find_venue(name);
    REQUIRE(v != nullptr);
    CHECK(v->name() == name);
  }
  CHECK(ot::find_venue("bybit") == nullptr);
  CHECK(ot::make_detected_parser(R"({"jsonrpc":"2.0"})")->venue() == "deribit");
  CHECK(ot::make_detected_parser(R"({"arg":{}})")->venue() == "okx");
  CHECK(ot::make_detected_parser(R"({"stream":"x"})")->venue() == "binance");
  CHECK(ot::make_detected_parser("garbage") == nullptr);
}

TEST_CASE("sessions speak each venue's subscription protocol", "[venues][session]") {
  ot::Subscription sub{{"BTCUSDT"}, {true, true, false, false}};
  auto bn = ot::find_venue("binance")->make_session(sub);
  auto msgs = bn->on_connected();
  REQUIRE(msgs.size() == 1);
  CHECK(msgs[0].text ==
        R"({"method":"SUBSCRIBE","params":["btcusdt@depth@100ms","btcusdt@aggTrade"],"id":1})");
  CHECK(*bn->snapshot_target("BTCUSDT") == "/api/v3/depth?symbol=BTCUSDT&limit=1000");
  CHECK(*ot::find_venue("binance-futures")->make_session(sub)->snapshot_target("BTCUSDT") ==
        "/fapi/v1/depth?symbol=BTCUSDT&limit=1000");
  CHECK(bn->max_session_age().value() < std::chrono::hours(24));

  auto okx = ot::find_venue("okx")->make_session(
      ot::Subscription{{"BTC-USDT"}, {true, false, false, false}});
  CHECK(okx->on_connected()[0].text ==
        R"({"op":"subscribe","args":[{"channel":"books","instId":"BTC-USDT"}]})");
  CHECK(okx->keepalive()->text == "ping");
  // Options' volatilities and greeks come once per family, with tickers.
  auto opt = ot::find_venue("okx")->make_session(ot::Subscription{
      {"BTC-USD-250328-92000-C", "BTC-USD-250328-92000-P", "ETH-USD-250328-3000-C"},
      {false, false, false, true}});
  CHECK(opt->on_connected()[0].text ==
        R"({"op":"subscribe","args":[{"channel":"tickers","instId":"BTC-USD-250328-92000-C"},)"
        R"({"channel":"opt-summary","instFamily":"BTC-USD"},)"
        R"({"channel":"tickers","instId":"BTC-USD-250328-92000-P"},)"
        R"({"channel":"tickers","instId":"ETH-USD-250328-3000-C"},)"
        R"({"channel":"opt-summary","instFamily":"ETH-USD"}]})");
  CHECK(okx->resubscribe_book("BTC-USDT").size() == 2);

  auto der = ot::find_venue("deribit")->make_session(
      ot::Subscription{{"BTC-PERPETUAL"}, {true, false, false, false}});
  auto dm = der->on_connected();
  REQUIRE(dm.size() == 2);
  CHECK(dm[0].text.find("public/set_heartbeat") != std::string::npos);
  CHECK(dm[1].text.find("book.BTC-PERPETUAL.100ms") != std::string::npos);
  auto reply =
      der->reply_to(R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"test_request"}})");
  REQUIRE(reply);
  CHECK(reply->text.find("public/test") != std::string::npos);
  CHECK_FALSE(
      der->reply_to(R"({"jsonrpc":"2.0","method":"heartbeat","params":{"type":"heartbeat"}})"));
}

namespace {
struct Collect final : ot::LineSink {
  void write_line(std::string_view, std::string_view line) override { lines.emplace_back(line); }
  std::vector<std::string> lines;
};
}  // namespace

TEST_CASE("OKX opt-summary pushes become option tickers, IVs in percent", "[venues][okx]") {
  std::ifstream in(ot::test::data_path("okx/ws_opt_summary.json"));
  std::stringstream items;
  items << in.rdbuf();
  Padded frame(R"({"arg":{"channel":"opt-summary","instFamily":"BTC-USD"},"data":)" + items.str() +
               "}");
  auto parser = ot::find_venue("okx")->make_parser();
  Collect sink;
  ot::EventEncoder enc(sink);
  REQUIRE(parser->parse(frame.view(), 7, enc).kind == FrameKind::data);
  REQUIRE(sink.lines.size() == 2);
  CHECK(sink.lines[0] ==
        R"({"type":"ticker","venue":"okx","symbol":"BTC-USD-250328-92000-C",)"
        R"("ts":1711612800000000000,"recv":7,"underlying":"92150.50","mark_iv":"53",)"
        R"("bid_iv":"52","ask_iv":"55","delta":"0.5312","gamma":"0.0000134","vega":"0.0038",)"
        R"("theta":"-0.0015"})");
  CHECK_THAT(sink.lines[1], Catch::Contains(R"("symbol":"BTC-USD-250328-92000-P")") &&
                                Catch::Contains(R"("mark_iv":"52")"));
  Padded nameless(
      R"({"arg":{"channel":"opt-summary","instFamily":"BTC-USD"},"data":[{"markVol":"0.5"}]})");
  CHECK(parser->parse(nameless.view(), 8, enc).kind == FrameKind::error);
  Padded bad_vol(
      R"({"arg":{"channel":"opt-summary","instFamily":"BTC-USD"},"data":[{"instId":"BTC-USD-250328-92000-C","markVol":"x"}]})");
  CHECK(parser->parse(bad_vol.view(), 9, enc).kind == FrameKind::error);
  CHECK(sink.lines.size() == 2);
  // A volatility key repeated: the last one counts, each kept in its slot.
  Padded repeated(
      R"({"arg":{"channel":"opt-summary","instFamily":"BTC-USD"},"data":[{"instId":"BTC-USD-250328-92000-C",)"
      R"("markVol":"0.1","bidVol":"0.2","askVol":"0.3","markVol":"0.4","bidVol":"0.5","askVol":"0.6"}]})");
  REQUIRE(parser->parse(repeated.view(), 10, enc).kind == FrameKind::data);
  REQUIRE(sink.lines.size() == 3);
  CHECK_THAT(sink.lines[2], Catch::Contains(R"("mark_iv":"40","bid_iv":"50","ask_iv":"60")"));
}

TEST_CASE("Binance levels are copied verbatim only when already canonical",
          "[venues][binance][codec]") {
  auto parser = ot::binance::make_parser(ot::binance::Market::spot, true);
  Collect sink;
  ot::EventEncoder enc(sink);
  const std::string expected =
      R"({"type":"book","venue":"binance","symbol":"X","ts":1000000,"recv":1,"snapshot":false,)"
      R"("first_seq":5,"seq":6,"bids":[["0.5990","3.08500000"],["0.5998","0"]],"asks":[]})";
  Padded compact(
      R"({"stream":"x@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[["0.5990","3.08500000"],["0.5998","0"]],"a":[]}})");
  REQUIRE(parser->parse(compact.view(), 1, enc).kind == FrameKind::data);
  // Whitespace and extra members are normalized away by the level-by-level path.
  Padded spaced(
      R"({"stream":"x@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[ ["0.5990", "3.08500000"] , ["0.5998","0"]],"a":[ ]}})");
  REQUIRE(parser->parse(spaced.view(), 1, enc).kind == FrameKind::data);
  REQUIRE(sink.lines.size() == 2);
  CHECK(sink.lines[0] == expected);
  CHECK(sink.lines[1] == expected);
  Padded escaped(
      R"({"stream":"x@depth@100ms","data":{"e":"depthUpdate","E":1,"s":"X","U":5,"u":6,"b":[["0.5\u0039","1"]],"a":[]}})");
  CHECK(parser->parse(escaped.view(), 1, enc).kind == FrameKind::error);
}

TEST_CASE("alpaca: order body, trade updates, order objects, errors", "[venues][alpaca]") {
  ot::Order o;
  o.id = "mm-1";
  o.symbol = "BTC/USD";
  o.side = ot::Side::sell;
  o.qty = *ot::Decimal::parse("0.010");
  o.price = *ot::Decimal::parse("30261.5");
  o.kind = ot::OrderKind::limit;
  o.tif = ot::Tif::gtc;
  CHECK(
      ot::alpaca::order_body(o) ==
      R"({"symbol":"BTC/USD","qty":"0.010","side":"sell","type":"limit","time_in_force":"gtc","limit_price":"30261.5","client_order_id":"mm-1"})");
  o.kind = ot::OrderKind::market;
  o.price.reset();
  CHECK(ot::alpaca::order_body(o).find(
            R"("type":"market","time_in_force":"ioc","client_order_id")") != std::string::npos);

  // A partial fill as the trade_updates stream sends it.
  const std::string fill =
      R"({"stream":"trade_updates","data":{"event":"partial_fill","execution_id":"e-7",)"
      R"("position_qty":"0.004","price":"30261.5","qty":"0.004","timestamp":"2022-05-13T16:27:05.507260Z",)"
      R"("order":{"id":"61e69015-8549-4bfd-b9c3-01e75843f47d","client_order_id":"mm-1",)"
      R"("updated_at":"2022-05-13T16:27:05.507Z","symbol":"BTC/USD","qty":"0.01",)"
      R"("filled_qty":"0.004","filled_avg_price":"30261.5","type":"limit","side":"sell",)"
      R"("time_in_force":"gtc","limit_price":"30261.5","status":"partially_filled","replaces":null}}})";
  auto ev = ot::alpaca::parse_trade_update(fill);
  REQUIRE(ev.size() == 1);
  const ot::Exec& e = ev[0].exec;
  CHECK(e.id == "mm-1");
  CHECK(e.venue_id == "61e69015-8549-4bfd-b9c3-01e75843f47d");
  CHECK(e.status == ot::ExecStatus::partial);
  CHECK(e.side == ot::Side::sell);
  CHECK(e.price->to_string() == "30261.5");
  CHECK(e.qty->to_string() == "0.004");
  CHECK(e.filled.to_string() == "0.004");
  CHECK(e.leaves.to_string() == "0.006");
  CHECK(e.trade_id == "e-7");
  CHECK(e.ts == 1652459225507260000);
  // Acknowledgements and events without a change give nothing.
  CHECK(ot::alpaca::parse_trade_update(
            R"({"stream":"authorization","data":{"status":"authorized","action":"authenticate"}})")
            .empty());
  CHECK(
      ot::alpaca::parse_trade_update(
          R"({"stream":"trade_updates","data":{"event":"pending_new","order":{"id":"x","client_order_id":"c","qty":"1","filled_qty":"0","status":"pending_new"}}})")
          .empty());
  // A REST order object after a replace.
  auto st = ot::alpaca::parse_order(
      R"({"id":"new-id","client_order_id":"mm-1","symbol":"BTC/USD","qty":"3","filled_qty":"0","filled_avg_price":null,"side":"buy","limit_price":"30001","status":"new","replaces":"old-id"})");
  REQUIRE(st);
  CHECK(st->replaces == "old-id");
  CHECK(st->exec.status == ot::ExecStatus::new_);
  CHECK(st->exec.leaves.to_string() == "3");
  CHECK(!st->exec.avg_price);
  CHECK(!ot::alpaca::parse_order("[]"));
  CHECK(ot::alpaca::error_text(422, R"({"code":40010001,"message":"qty must be > 0"})") ==
        "alpaca 40010001: qty must be > 0");
  CHECK(ot::alpaca::error_text(502, "<html>") == "alpaca HTTP 502: <html>");
}

namespace {

// An instrument's contract size as text, "unknown" if nothing gives it.
std::string size(std::string_view venue, std::string_view symbol) {
  auto s = ot::contract_size(venue, symbol);
  return s ? s->to_string() : std::string("unknown");
}

}  // namespace

TEST_CASE("instruments in common terms, as OKX's instruments lists give them",
          "[venues][instruments]") {
  // Kind, family, settlement currency, margin, expiry, strike, right and lot,
  // field by field against OKX's own answers.
  for (const char* file :
       {"okx/http_get_instruments_swap.json", "okx/http_get_instruments_futures.json",
        "okx/http_get_instruments_option.json", "okx/http_get_instruments_spot.json"}) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.load(ot::test::data_path(file)).get(doc) == simdjson::SUCCESS);
    int checked = 0;
    for (auto item : doc["data"].get_array()) {
      auto text = [&](const char* key) {
        std::string_view v;
        return item[key].get(v) == simdjson::SUCCESS ? std::string(v) : std::string();
      };
      const std::string id = text("instId"), type = text("instType");
      INFO(id);
      const auto in = ot::describe_instrument("okx", id);
      REQUIRE(in);
      if (type == "SPOT") {
        CHECK(in->kind == ot::InstrumentKind::spot);
        CHECK(in->underlying == id);
        CHECK(in->currency == text("quoteCcy"));
        CHECK_FALSE(in->inverse);
        ++checked;
        continue;
      }
      CHECK(in->kind == (type == "SWAP"      ? ot::InstrumentKind::perpetual
                         : type == "FUTURES" ? ot::InstrumentKind::future
                                             : ot::InstrumentKind::option));
      CHECK(in->underlying == text("instFamily"));
      CHECK(in->currency == text("settleCcy"));
      // Coin-margined: settled in the coin the family is priced in.
      CHECK(in->inverse == (text("settleCcy") + "-USD" == text("instFamily")));
      CHECK(ot::is_inverse("okx", id) == (text("ctType") == "inverse"));
      if (in->lot) CHECK(in->lot->to_string() == text("lotSz"));
      if (type != "SWAP") {
        CHECK(in->expiry == std::stoll(text("expTime")) * 1'000'000);
      }
      if (type == "OPTION") {
        CHECK(in->strike == std::stod(text("stk")));
        CHECK(in->right == (text("optType") == "C" ? ot::OptionRight::call : ot::OptionRight::put));
      }
      ++checked;
    }
    CHECK(checked > 0);
  }
  CHECK_FALSE(ot::describe_instrument("okx", "BTC-USD-241317-92000-C"));  // no 13th month
  CHECK_FALSE(ot::describe_instrument("okx", "BTC-USD-241217-0-C"));
}

TEST_CASE("instruments in common terms: Deribit and Binance names", "[venues][instruments]") {
  auto o = ot::describe_instrument("deribit", "BTC-27DEC24-60000-C");
  REQUIRE(o);
  CHECK(o->kind == ot::InstrumentKind::option);
  CHECK(o->underlying == "BTC");
  CHECK(o->currency == "BTC");
  CHECK(o->inverse);
  CHECK_FALSE(o->usd_quantity());
  CHECK(o->strike == 60000);
  CHECK(o->call());
  // 2024-12-27 08:00:00 UTC
  CHECK(o->expiry == 1735286400LL * 1'000'000'000LL);
  auto p = ot::describe_instrument("deribit", "ETH-5JAN25-3500-P");
  REQUIRE(p);
  CHECK(p->right == ot::OptionRight::put);
  CHECK(p->expiry == 1736064000LL * 1'000'000'000LL);
  auto x = ot::describe_instrument("deribit", "XRP_USDC-30JUN25-0d625-C");
  REQUIRE(x);
  CHECK(x->strike == Approx(0.625));
  CHECK(x->underlying == "XRP_USDC");
  CHECK(x->currency == "USDC");
  CHECK_FALSE(x->inverse);
  auto f = ot::describe_instrument("deribit", "BTC-27DEC24");
  REQUIRE(f);
  CHECK(f->kind == ot::InstrumentKind::future);
  CHECK(f->lot->to_string() == "10");
  auto perp = ot::describe_instrument("deribit", "ETH-PERPETUAL");
  REQUIRE(perp);
  CHECK(perp->kind == ot::InstrumentKind::perpetual);
  CHECK(perp->usd_quantity());
  CHECK(perp->lot->to_string() == "1");
  CHECK(perp->contract_size->to_string() == "1");
  CHECK_FALSE(ot::describe_instrument("deribit", "BTC_USDC-PERPETUAL")->lot);
  for (const char* bad : {"", "BTC", "BTC-32DEC24-1-C", "BTC-27XXX24-1-C", "BTC-27DEC24-1-X",
                          "BTC-27DEC24-abc-C", "-PERPETUAL"}) {
    CHECK_FALSE(ot::describe_instrument("deribit", bad));
  }
  auto spot = ot::describe_instrument("binance", "BTCUSDT");
  REQUIRE(spot);
  CHECK(spot->kind == ot::InstrumentKind::spot);
  auto usdm = ot::describe_instrument("binance-futures", "BTCUSDT_250328");
  REQUIRE(usdm);
  CHECK(usdm->kind == ot::InstrumentKind::future);
  CHECK(usdm->underlying == "BTCUSDT");
  CHECK(usdm->currency == "USDT");
  CHECK(usdm->expiry == 1743148800LL * 1'000'000'000LL);  // 2025-03-28 08:00 UTC
  auto coinm = ot::describe_instrument("binance-delivery", "ETHUSD_PERP");
  REQUIRE(coinm);
  CHECK(coinm->kind == ot::InstrumentKind::perpetual);
  CHECK(coinm->currency == "ETH");
  CHECK(coinm->usd_quantity());
  CHECK(coinm->contract_size->to_string() == "10");
  CHECK_FALSE(ot::describe_instrument("binance-delivery", "BTCUSDT"));
  CHECK_FALSE(ot::describe_instrument("nowhere", "BTC-PERPETUAL"));
  // A size given at start-up wins over the venue's rule (an instrument no other
  // case uses: the sizes are process-wide).
  REQUIRE(ot::set_contract_size("okx", "WIF-USDT-SWAP", ot::Decimal{1000, 0}));
  CHECK(ot::describe_instrument("okx", "WIF-USDT-SWAP")->contract_size->to_string() == "1000");
}

TEST_CASE("contract sizes from the venues' rules", "[venues][contracts]") {
  using ot::okx::InstrumentName;
  auto n = ot::okx::parse_instrument("BTC-USD-241227-60000-C");
  CHECK(n.kind == InstrumentName::option);
  CHECK(n.base == "BTC");
  CHECK(n.quote == "USD");
  CHECK(ot::okx::parse_instrument("BTC-USD-241227").kind == InstrumentName::futures);
  CHECK(ot::okx::parse_instrument("ETH-USDT-SWAP").kind == InstrumentName::swap);
  CHECK(ot::okx::parse_instrument("BTC-USDT").kind == InstrumentName::spot);
  for (const char* bad : {"BTC", "BTC--SWAP", "BTC-USD-2412", "BTC-USD-241227-60000-X", ""}) {
    CHECK(ot::okx::parse_instrument(bad).kind == InstrumentName::unknown);
  }
  // Against OKX's own instruments lists: ctVal × ctMult, and ctType.
  for (const char* file :
       {"okx/http_get_instruments_swap.json", "okx/http_get_instruments_futures.json",
        "okx/http_get_instruments_option.json"}) {
    simdjson::dom::parser parser;
    simdjson::dom::element doc;
    REQUIRE(parser.load(ot::test::data_path(file)).get(doc) == simdjson::SUCCESS);
    int checked = 0;
    for (auto inst : doc["data"].get_array()) {
      const std::string_view id = inst["instId"].get_string().value();
      const auto ct_val = ot::Decimal::parse(inst["ctVal"].get_string().value());
      const auto ct_mult = ot::Decimal::parse(inst["ctMult"].get_string().value());
      REQUIRE((ct_val && ct_mult));
      const double want = ct_val->to_double() * ct_mult->to_double();
      INFO(id);
      REQUIRE(ot::contract_size("okx", id));
      CHECK(ot::contract_size("okx", id)->to_double() == Approx(want));
      CHECK(ot::is_inverse("okx", id) == (inst["ctType"].get_string().value() == "inverse"));
      ++checked;
    }
    CHECK(checked > 0);
  }
  CHECK(size("okx", "BTC-USD-SWAP") == "100");
  CHECK(size("okx", "BTC-USD-241227") == "100");
  CHECK(size("okx", "ETH-USD-SWAP") == "10");
  CHECK(size("okx", "BTC-USDT-SWAP") == "0.01");
  CHECK(size("okx", "ETH-USDT-SWAP") == "0.1");
  CHECK(size("okx", "BTC-USD-241217-92000-C") == "0.01");
  CHECK(size("okx", "BTC-USDT") == "1");
  CHECK(size("okx", "PEPE-USDT-SWAP") == "unknown");
  CHECK(size("binance-delivery", "BTCUSD_PERP") == "100");
  CHECK(size("binance-delivery", "ETHUSD_241227") == "10");
  CHECK(size("binance-futures", "BTCUSDT") == "1");
  CHECK(size("deribit", "BTC-PERPETUAL") == "1");
  CHECK(size("nowhere", "X") == "1");
  CHECK_FALSE(ot::is_inverse("okx", "BTC-USD-241227-60000-C"));  // options are valued in coin
  CHECK(ot::is_inverse("okx", "BTC-USD-241227"));
  CHECK_FALSE(ot::set_contract_size("okx", "PEPE-USDT-SWAP", ot::Decimal{0, 0}));
  CHECK(ot::set_contract_size("okx", "PEPE-USDT-SWAP", ot::Decimal{1000000, 0}));
  CHECK(size("okx", "PEPE-USDT-SWAP") == "1000000");
  CHECK(ot::set_contract_size("okx:SHIB-USDT-SWAP=1000000"));
  CHECK(size("okx", "SHIB-USDT-SWAP") == "1000000");
  for (const char* bad :
       {"okx:SHIB-USDT-SWAP", ":X=1", "okx:=1", "okx:X=", "okx:X=-1", "okx:X=a", "okxX=1"}) {
    CHECK_FALSE(ot::set_contract_size(bad));
  }
}

TEST_CASE("contract sizes from the venues' instruments lists", "[venues][contracts]") {
  using ot::test::data_path;
  // OKX: every contract of the lists, ctVal × ctMult; spot pairs have none.
  std::vector<std::pair<std::string, std::string>> got;
  auto each = [&](std::string_view id, const ot::Decimal& s) {
    got.emplace_back(id, s.to_string());
  };
  const ot::Venue* okx = ot::find_venue("okx");
  REQUIRE(okx);
  for (const char* file :
       {"okx/http_get_instruments_option.json", "okx/http_get_instruments_swap.json",
        "okx/ws_instruments.json", "okx/http_get_instruments_spot.json"}) {
    INFO(file);
    CHECK(okx->read_contract_sizes(ot::test::read_file(data_path(file)), each));
  }
  const std::vector<std::pair<std::string, std::string>> want = {{"BTC-USD-241217-92000-C", "0.01"},
                                                                 {"BTC-USD-241217-92000-P", "0.01"},
                                                                 {"BTC-USD-241217-94000-C", "0.01"},
                                                                 {"BTC-USD-241217-94000-P", "0.01"},
                                                                 {"BTC-USD-SWAP", "100"},
                                                                 {"ETH-USDT-SWAP", "0.1"},
                                                                 {"BTC-USDT-SWAP", "0.01"},
                                                                 {"BTC-USDT-SWAP", "0.01"}};
  CHECK(got == want);

  // Loading a file gives the sizes to the process, also where the venue's
  // rules know none; a later list or set_contract_size() corrects one.
  ot::test::TempDir dir;
  const std::string list = dir.path + "/okx.json";
  ot::test::write_file(list, R"({"code":"0","msg":"","data":[
    {"instType":"SWAP","instId":"ORDI-USDT-SWAP","ctVal":"1000","ctMult":"1","ctType":"linear"},
    {"instType":"FUTURES","instId":"SOL-USDT-250328","ctVal":"1","ctMult":"0.1","ctType":"linear"},
    {"instType":"SPOT","instId":"ORDI-USDT","ctVal":"","ctMult":"","ctType":""}]})");
  CHECK(size("okx", "ORDI-USDT-SWAP") == "unknown");
  CHECK(ot::test::must(ot::load_instruments("okx:" + list)) == 2);
  CHECK(size("okx", "ORDI-USDT-SWAP") == "1000");
  CHECK(size("okx", "SOL-USDT-250328") == "0.1");
  CHECK(size("okx", "ORDI-USDT") == "1");

  // Binance COIN-M: GET /dapi/v1/exchangeInfo, "contractSize" per symbol.
  const std::string info = dir.path + "/dapi.json";
  ot::test::write_file(info, R"({"timezone":"UTC","serverTime":1,"symbols":[
    {"symbol":"BTCUSD_PERP","pair":"BTCUSD","contractType":"PERPETUAL","contractSize":100,
     "marginAsset":"BTC","contractStatus":"TRADING"},
    {"symbol":"XYZUSD_PERP","pair":"XYZUSD","contractType":"PERPETUAL","contractSize":5,
     "marginAsset":"XYZ","contractStatus":"TRADING"}]})");
  CHECK(size("binance-delivery", "XYZUSD_PERP") == "10");  // the rule for coins other than BTC
  CHECK(ot::test::must(ot::load_instruments("binance-delivery:" + info)) == 2);
  CHECK(size("binance-delivery", "XYZUSD_PERP") == "5");
  CHECK(size("binance-delivery", "BTCUSD_PERP") == "100");

  // What is wrong is said, and nothing is loaded.
  const std::string bad = dir.path + "/bad.json";
  auto error_of = [&](std::string_view venue, std::string_view body) {
    ot::test::write_file(bad, body);
    const auto l = ot::load_instruments(std::string(venue) + ":" + bad);
    REQUIRE_FALSE(l);
    return l.error().message();
  };
  using Catch::Matchers::Contains;
  CHECK_THAT(error_of("okx", R"({"code":"51001","msg":"Instrument ID does not exist","data":[]})"),
             Contains("code 51001: Instrument ID does not exist"));
  CHECK_THAT(error_of("okx", "{\"data\":"), Contains("not JSON"));
  CHECK_THAT(error_of("okx", R"({"code":"0"})"), Contains("no \"data\""));
  CHECK_THAT(error_of("okx", R"({"code":"0","data":[{"instType":"SWAP","instId":"A-B-SWAP",
             "ctVal":"0","ctMult":"1"}]})"),
             Contains("A-B-SWAP: ctVal '0'"));
  CHECK_THAT(error_of("okx", R"({"code":"0","data":[{"instType":"SWAP","instId":"A-B-SWAP"}]})"),
             Contains("A-B-SWAP: no ctVal"));
  CHECK_THAT(error_of("binance-delivery", R"({"code":-1121,"msg":"Invalid symbol."})"),
             Contains("code -1121: Invalid symbol."));
  CHECK_THAT(
      error_of("binance-delivery", R"({"symbols":[{"symbol":"BTCUSDT","status":"TRADING"}]})"),
      Contains("no symbol or contractSize"));
  CHECK_THAT(error_of("binance-futures", R"({"symbols":[]})"),
             Contains("binance-futures quantities are already in the coin"));
  CHECK_THAT(error_of("deribit", R"({"result":[]})"), Contains("no contract sizes to load"));
  CHECK_THAT(ot::load_instruments("nowhere:" + bad).error().message(),
             Contains("unknown venue 'nowhere'"));
  CHECK_THAT(ot::load_instruments("okx:" + dir.path + "/missing.json").error().message(),
             Contains("missing.json: cannot read"));
  CHECK(ot::load_instruments("okx.json").error().is_usage());
  CHECK_THAT(ot::load_instruments("okx.json").error().message(), Contains("expected VENUE:FILE"));
}

namespace {

using namespace ot;

// A gateway whose only network event is a timer 50 µs after start: it
// reports a status, as a venue's answer would arrive on a socket.
class TimerGateway final : public ThreadedGateway {
 public:
  ~TimerGateway() override { stop(); }
  void submit(const Order&) override {}
  void cancel(const Cancel&) override {}
  void amend(const Amend&) override {}
  void restore(const TrackedOrder&) override {}

 protected:
  void run() override {
    timer_ = std::make_unique<boost::asio::steady_timer>(io(), std::chrono::microseconds(50));
    timer_->async_wait([this](const boost::system::error_code& ec) {
      if (!ec) report_status("test", "", "answered", "");
    });
  }

 private:
  std::unique_ptr<boost::asio::steady_timer> timer_;
};

struct StatusLog final : ExecListener {
  std::vector<std::string> events;
  void on_exec(const Exec&) override {}
  void on_venue_status(const Status& s) override { events.emplace_back(s.event); }
};

}  // namespace

TEST_CASE("A busy inline gateway serves its sockets on each poll of a spinning caller",
          "[net][busy]") {
  // A fused chain polls the gateway on every idle turn of its spinning
  // loop: the venue's answer must be read then, not a millisecond later
  // (when the next order would find it in the way on the connection).
  StatusLog log;
  TimerGateway g;
  g.set_listener(log);
  g.start(/*inline_io=*/true, /*busy=*/true);
  const timespec pause{0, 200'000};  // the timer is due; the last I/O ran at start
  ::nanosleep(&pause, nullptr);
  g.poll(ot::now_ns());
  net::set_busy_poll_usec(0);  // start() set it for the whole process
  CHECK(log.events == std::vector<std::string>{"answered"});
}
