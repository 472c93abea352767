// ot-dash's state (lib/dash): what each view shows after a stream of
// events, read back from the JSON the browser gets.
#include <simdjson.h>

#include <catch2/catch.hpp>
#include <string>

#include "dash/dash_state.h"
#include "dash/order_desk.h"

using namespace ot;
using namespace ot::dash;

namespace {

constexpr Nanos kT0 = 1'700'000'000'000'000'000LL;  // 2023-11-14T22:13:20Z
constexpr Nanos kSec = 1'000'000'000;

struct Fixture {
  DashState state{DashOptions{.levels = 2, .tape = 3}};
  EventDecoder decoder{{EventType::book, EventType::depth, EventType::bbo, EventType::quote,
                        EventType::trade, EventType::status, EventType::exec}};
  DecodedEvent ev;
  Nanos now = 1;

  void feed(std::string line) {
    const std::size_t n = line.size();
    line.append(64, '\0');
    const std::string_view view(line.data(), n);
    if (!decoder.decode(view, ev)) {
      state.malformed("test");
      return;
    }
    state.apply(ev, view, now);
  }
  simdjson::dom::element view(View v) {
    text.clear();
    state.write(v, text);
    return parser.parse(text);
  }
  simdjson::dom::element instrument(std::string_view interval = "1m") {
    text.clear();
    REQUIRE(state.write_instrument("okx", "BTC-USDT", interval, text));
    return parser.parse(text);
  }
  std::string text;
  simdjson::dom::parser parser;
};

std::string trade(Nanos ts, const char* price, const char* qty, const char* side) {
  return R"({"type":"trade","venue":"okx","symbol":"BTC-USDT","ts":)" + std::to_string(ts) +
         R"(,"price":")" + price + R"(","qty":")" + qty + R"(","side":")" + side + "\"}";
}

}  // namespace

TEST_CASE("dash: the ladder follows book snapshots, deltas and depth events", "[dash]") {
  Fixture f;
  const auto v0 = f.state.version(View::instruments);
  f.feed(R"({"type":"book","venue":"okx","symbol":"BTC-USDT","snapshot":true,)"
         R"("bids":[["100","1"],["99","2"],["98","3"]],"asks":[["101","1"],["102","2"]]})");
  CHECK(f.state.version(View::instruments) > v0);
  const auto iv = f.state.instrument_version("okx", "BTC-USDT");
  f.feed(
      R"({"type":"book","venue":"okx","symbol":"BTC-USDT","bids":[["100","0"],["99.5","4"]],"asks":[]})");
  CHECK(f.state.instrument_version("okx", "BTC-USDT") > iv);
  auto i = f.instrument();
  auto bids = i["bids"].get_array();
  REQUIRE(bids.size() == 2);  // two levels asked for
  CHECK(double(bids.at(0).at(0)) == 99.5);
  CHECK(double(bids.at(0).at(1)) == 4);
  CHECK(double(bids.at(1).at(0)) == 99);
  CHECK(double(i["asks"].at(0).at(0)) == 101);
  // A depth event replaces the book whole.
  f.feed(
      R"({"type":"depth","venue":"okx","symbol":"BTC-USDT","bids":[["97","1"]],"asks":[["103","5"]]})");
  i = f.instrument();
  CHECK(i["bids"].get_array().size() == 1);
  CHECK(double(i["bids"].at(0).at(0)) == 97);
  CHECK(double(i["asks"].at(0).at(0)) == 103);
  std::string none;
  CHECK_FALSE(f.state.write_instrument("okx", "ETH-USDT", "1m", none));
}

TEST_CASE("dash: candles at every interval, the forming one, the tape and the mid", "[dash]") {
  Fixture f;
  f.feed(trade(kT0 + 1 * kSec, "100", "1", "buy"));
  f.feed(trade(kT0 + 30 * kSec, "105", "2", "sell"));
  f.feed(trade(kT0 + 61 * kSec, "103", "1", "buy"));   // closes the first minute
  f.feed(trade(kT0 + 125 * kSec, "99", "3", "sell"));  // closes the second
  f.feed(R"({"type":"bbo","venue":"okx","symbol":"BTC-USDT","ts":)" +
         std::to_string(kT0 + 126 * kSec) +
         R"(,"bid":"98","bid_qty":"1","ask":"100","ask_qty":"2"})");
  auto i = f.instrument("1m");
  CHECK(std::string_view(i["interval"]) == "1m");
  auto candles = i["candles"].get_array();
  REQUIRE(candles.size() == 2);
  CHECK(int64_t(candles.at(0)["time"]) == (kT0 + 0 * kSec) / kSec / 60 * 60);
  CHECK(double(candles.at(0)["open"]) == 100);
  CHECK(double(candles.at(0)["high"]) == 105);
  CHECK(double(candles.at(0)["close"]) == 105);
  CHECK(double(candles.at(0)["volume"]) == 3);
  CHECK(double(candles.at(1)["close"]) == 103);
  CHECK(double(i["forming"]["close"]) == 99);  // the minute in progress
  auto tape = i["tape"].get_array();
  REQUIRE(tape.size() == 3);  // the newest three, newest first
  CHECK(double(tape.at(0)["price"]) == 99);
  CHECK(std::string_view(tape.at(0)["side"]) == "sell");
  CHECK(double(i["mids"].at(0).at(1)) == 99);
  CHECK(double(i["bid"]) == 98);
  CHECK(f.instrument("1s")["candles"].get_array().size() == 3);
  CHECK(f.instrument("1h")["candles"].get_array().size() == 0);
  CHECK(double(f.instrument("1h")["forming"]["high"]) == 105);
}

TEST_CASE("dash: orders, fills, rejects and the kill switch from the reports", "[dash]") {
  Fixture f;
  auto exec = [&](const char* id, const char* status, const char* extra) {
    f.feed(std::string(R"({"type":"exec","id":")") + id +
           R"(","venue":"okx","symbol":"BTC-USDT","side":"buy","status":")" + status +
           R"(","order_price":"100",)" + extra + R"("ts":)" + std::to_string(kT0) + "}");
  };
  exec("a", "new", R"("filled":"0","leaves":"2",)");
  exec("b", "new", R"("filled":"0","leaves":"1",)");
  auto orders = f.view(View::orders).get_array();
  REQUIRE(orders.size() == 2);
  CHECK(double(orders.at(0)["price"]) == 100);
  CHECK(f.instrument()["orders"].get_array().size() == 2);  // on the ladder
  exec("a", "partial", R"("price":"100","qty":"1","filled":"1","leaves":"1",)");
  CHECK(double(f.view(View::orders).at(0)["leaves"]) == 1);
  exec("a", "filled", R"("price":"100","qty":"1","filled":"2","leaves":"0",)");
  exec("b", "canceled", R"("filled":"0","leaves":"0",)");
  CHECK(f.view(View::orders).get_array().size() == 0);
  CHECK(f.view(View::fills).get_array().size() == 2);
  CHECK(f.instrument()["fills"].get_array().size() == 2);  // the chart's markers
  exec("c", "rejected",
       R"("filled":"0","leaves":"0","reason":"quantity 5 above max_order_qty 1",)");
  auto risk = f.view(View::risk);
  CHECK(std::string_view(risk["rejects"].at(0)["reason"]) == "quantity 5 above max_order_qty 1");
  CHECK_FALSE(bool(risk["killed"]));
  f.feed(R"({"type":"status","venue":"","event":"kill","detail":"signal SIGUSR2"})");
  CHECK(f.state.killed());
  CHECK(bool(f.view(View::risk)["killed"]));
  CHECK(std::string_view(f.view(View::risk)["kill_reason"]) == "signal SIGUSR2");
  f.feed(R"({"type":"status","event":"resume","detail":"by hand"})");
  CHECK_FALSE(f.state.killed());
}

TEST_CASE("dash: positions, PnL and its curve, greeks", "[dash]") {
  Fixture f;
  f.feed(trade(kT0, "100", "1", "buy"));  // the stream's clock
  CHECK(f.state.clock() == kT0);
  f.feed(R"({"type":"position","venue":"okx","symbol":"BTC-USDT","qty":"2","avg_price":"100",)"
         R"("realized_pnl":"10","unrealized_pnl":"5.5","fees":"0.5"})");
  f.feed(R"({"type":"position","venue":"deribit","symbol":"BTC-PERPETUAL","qty":"-1",)"
         R"("realized_pnl":"-1","unrealized_pnl":"0","fees":"0"})");
  f.feed(R"({"type":"greeks","venue":"deribit","underlying":"BTC","delta":0.25,"gamma":0.01,)"
         R"("vega":12.5,"theta":-3})");
  auto p = f.view(View::positions);
  auto positions = p["positions"].get_array();
  REQUIRE(positions.size() == 2);
  CHECK(std::string_view(positions.at(0)["venue"]) == "deribit");
  CHECK(double(positions.at(1)["pnl"]) == 15);  // realized + unrealized - fees
  f.now = 5 * kSec;
  f.state.tick(f.now);
  auto equity = f.view(View::positions)["equity"].get_array();
  REQUIRE(equity.size() == 1);
  CHECK(int64_t(equity.at(0).at(0)) == kT0);  // on the stream's clock
  CHECK(double(equity.at(0).at(1)) == 14);
  CHECK(double(f.view(View::greeks).at(0)["vega"]) == 12.5);
  CHECK(f.view(View::greeks).at(0)["hedge"].error() == simdjson::NO_SUCH_FIELD);  // none set
}

TEST_CASE("dash: the delta hedge's state beside the greeks", "[dash]") {
  Fixture f;
  auto greeks = [&](const char* delta) {
    f.feed(std::string(R"({"type":"greeks","venue":"deribit","underlying":"BTC","delta":)") +
           delta +
           R"(,"gamma":0,"vega":0,"theta":0,"hedge":"BTC-PERPETUAL","delta_target":0.1,)"
           R"("delta_band":0.05})");
  };
  auto hedge = [&] { return f.view(View::greeks).at(0)["hedge"]; };
  greeks("0.12");
  CHECK(std::string_view(hedge()["symbol"]) == "BTC-PERPETUAL");
  CHECK(double(hedge()["target"]) == 0.1);
  CHECK(double(hedge()["band"]) == 0.05);
  CHECK(std::string_view(hedge()["state"]) == "inside band");
  CHECK(hedge()["working"].is_null());
  CHECK(int64_t(hedge()["fills"]) == 0);
  greeks("0.5");
  CHECK(std::string_view(hedge()["state"]) == "outside band");
  // ot-risk's hedge order is acked: the hedge works.
  const std::uint64_t before = f.state.version(View::greeks);
  f.feed(R"({"type":"exec","id":"hedge-BTC-1","venue":"deribit","symbol":"BTC-PERPETUAL",)"
         R"("side":"sell","status":"new","filled":"0","leaves":"20000","strategy":"hedge"})");
  CHECK(f.state.version(View::greeks) > before);
  CHECK(std::string_view(hedge()["state"]) == "hedging");
  CHECK(std::string_view(hedge()["working"]["id"]) == "hedge-BTC-1");
  CHECK(std::string_view(hedge()["working"]["side"]) == "sell");
  // Another strategy's order in the same instrument is not a hedge.
  f.feed(R"({"type":"exec","id":"mm-1","venue":"deribit","symbol":"BTC-PERPETUAL",)"
         R"("side":"buy","status":"new","filled":"0","leaves":"10","order_price":"49000",)"
         R"("strategy":"mm"})");
  CHECK(std::string_view(hedge()["working"]["id"]) == "hedge-BTC-1");
  f.feed(R"({"type":"exec","id":"hedge-BTC-1","venue":"deribit","symbol":"BTC-PERPETUAL",)"
         R"("side":"sell","status":"filled","price":"50000","qty":"20000","filled":"20000",)"
         R"("leaves":"0","strategy":"hedge","ts":1700000000000000000})");
  greeks("0.1");
  CHECK(std::string_view(hedge()["state"]) == "inside band");
  CHECK(hedge()["working"].is_null());
  CHECK(int64_t(hedge()["fills"]) == 1);
  CHECK(double(hedge()["last"]["price"]) == 50000);
  CHECK(double(hedge()["last"]["qty"]) == 20000);
}

TEST_CASE("dash: the desk stamps orders with their venue's clock", "[dash]") {
  Fixture f;
  std::vector<std::string> sent;
  OrderDesk desk("dash-t-",
                 [&](std::string_view, std::string_view line) { sent.emplace_back(line); });
  const std::string order =
      R"({"op":"order","venue":"okx","symbol":"BTC-USDT","side":"buy","qty":"1","price":"99"})";
  auto ts_of = [&](const std::string& line) {
    simdjson::dom::parser p;
    return int64_t(p.parse(line)["ts"]);
  };
  // Before any event: the wall clock.
  CHECK_THAT(desk.handle(order, f.state, 42), Catch::Contains(R"("type":"sent")"));
  CHECK(ts_of(sent.back()) == 42);
  // Two venues replayed from different hours: an order goes out on its own
  // venue's clock (a paper venue fills on its market's), a control on the
  // latest.
  f.feed(trade(kT0, "100", "1", "buy"));
  f.feed(R"({"type":"trade","venue":"deribit","symbol":"BTC-PERPETUAL","ts":)" +
         std::to_string(kT0 + 3600 * kSec) + R"(,"price":"100","qty":"1","side":"buy"})");
  desk.handle(order, f.state, 42);
  CHECK(ts_of(sent.back()) == kT0);
  desk.handle(R"({"op":"kill"})", f.state, 42);
  CHECK(ts_of(sent.back()) == kT0 + 3600 * kSec);
  // A venue that sent nothing yet: the latest.
  desk.handle(R"({"op":"order","venue":"bybit","symbol":"X","side":"sell","qty":"1","price":"1"})",
              f.state, 42);
  CHECK(ts_of(sent.back()) == kT0 + 3600 * kSec);
}

TEST_CASE("dash: feed health per venue", "[dash]") {
  Fixture f;
  f.feed(R"({"type":"status","venue":"okx","event":"connected","detail":"x"})");
  f.feed(trade(kT0, "100", "1", "buy"));
  f.feed(R"({"type":"status","venue":"okx","symbol":"BTC-USDT","event":"gap","detail":"x"})");
  f.feed(R"({"type":"status","venue":"okx","symbol":"BTC-USDT","event":"resync","detail":"x"})");
  f.feed(
      R"({"type":"status","venue":"okx","symbol":"BTC-USDT","event":"checksum_mismatch","detail":"x"})");
  f.feed(R"({"type":"status","venue":"okx","event":"disconnected","detail":"x"})");
  f.feed("not json");
  f.now = 3 * kSec;
  const auto hv = f.state.version(View::health);
  f.state.tick(f.now);
  CHECK(f.state.version(View::health) > hv);
  auto h = f.view(View::health);
  CHECK(int64_t(h["malformed"]) == 1);
  auto okx = h["venues"].at(0);
  CHECK(std::string_view(okx["venue"]) == "okx");
  CHECK_FALSE(bool(okx["connected"]));
  CHECK(int64_t(okx["gaps"]) == 1);
  CHECK(int64_t(okx["resyncs"]) == 1);
  CHECK(int64_t(okx["checksum_mismatches"]) == 1);
  CHECK(int64_t(okx["disconnects"]) == 1);
  CHECK(int64_t(okx["events"]) == 1);  // market data; status events count apart
  CHECK(double(okx["age"]) == Approx(3.0));
}
