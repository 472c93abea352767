// ot-sim's venue protocols (lib/venues/*_sim.cpp) against a fake server:
// how captured frames are routed, subscriptions by URL and by message,
// snapshots served from the simulator's current book, and order entry
// checked the way the venue checks it (keys, signatures, clocks).
#include <catch2/catch.hpp>
#include <map>

#include "book/checked_book.h"
#include "core/time.h"
#include "net/crypto.h"
#include "test_util.h"
#include "venues/binance/binance_orders.h"
#include "venues/sim_protocol.h"

namespace {

using ot::test::dec;

struct FakeConnection final : ot::SimConnection {
  void send(std::string text) override { sent.push_back(std::move(text)); }
  void subscribe(const std::string& t) override {
    if (std::find(subs.begin(), subs.end(), t) == subs.end()) subs.push_back(t);
  }
  void unsubscribe(const std::string& t) override { std::erase(subs, t); }
  std::vector<std::string> topics() const override { return subs; }
  void close() override { closed = true; }
  std::vector<std::string> sent, subs;
  bool closed = false;
};

struct FakeMarket final : ot::SimMarket {
  const ot::CheckedBook* book(std::string_view symbol) const override {
    auto it = books.find(symbol);
    return it == books.end() ? nullptr : &it->second;
  }
  ot::Nanos venue_time() const override { return 1'700'000'000'000'000'000; }
  // A snapshot of two levels a side, at sequence `seq`.
  void snapshot(const std::string& symbol, std::int64_t seq) {
    const ot::PriceLevel bids[] = {{"100.5", "2", dec("100.5"), dec("2")},
                                   {"100.4", "3", dec("100.4"), dec("3")}};
    const ot::PriceLevel asks[] = {{"100.6", "1", dec("100.6"), dec("1")},
                                   {"100.7", "4", dec("100.7"), dec("4")}};
    ot::BookUpdate u;
    u.venue = "binance";
    u.symbol = symbol;
    u.snapshot = true;
    u.seq = seq;
    u.bids = bids;
    u.asks = asks;
    auto [it, added] = books.try_emplace(symbol, ot::BookRules{});
    it->second.apply(u);
  }
  std::map<std::string, ot::CheckedBook, std::less<>> books;
};

// The matching side, reduced to what the protocols ask of it.
struct FakeExchange final : ot::SimExchange {
  Answer submit(const ot::Order& o) override {
    submitted.emplace_back(o);
    tracker.add(o);
    return {};
  }
  bool cancel(std::string_view id) override {
    const ot::TrackedOrder* t = tracker.find(id);
    return t != nullptr && t->open();
  }
  bool amend(std::string_view, const std::optional<ot::Decimal>&,
             const std::optional<ot::Decimal>&) override {
    return false;
  }
  const ot::OrderTracker& orders() const override { return tracker; }
  const ot::SimAccount& account() const override { return acc; }
  ot::Nanos now() const override { return 1'700'000'000'000'000'000; }
  ot::OrderTracker tracker;
  ot::SimAccount acc;
  std::vector<ot::OwnedOrder> submitted;
};

std::unique_ptr<ot::SimProtocol> sim(std::string_view venue) {
  auto p = ot::make_sim_protocol(venue, venue);
  REQUIRE(p);
  return p;
}

// A signed Binance request: the query, then its signature.
std::string signed_target(std::string_view path, std::string query, std::string_view secret) {
  query += "&recvWindow=5000&timestamp=" + std::to_string(ot::now_ns() / 1'000'000);
  return std::string(path) + "?" + query + "&signature=" + ot::binance::sign(query, "", secret);
}

ot::SimHttpRequest request(std::string_view method, std::string_view target,
                           std::string_view key = "ot-sim-key") {
  ot::SimHttpRequest r;
  r.method = method;
  r.target = target;
  if (!key.empty()) r.headers.emplace_back("x-mbx-apikey", std::string(key));
  return r;
}

bool contains(const std::string& s, std::string_view part) {
  return s.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("ot-sim's Binance routes combined streams by topic and book", "[sim]") {
  auto p = sim("binance");
  auto depth = p->route(R"({"stream":"btcusdt@depth@100ms","data":{"u":1}})");
  REQUIRE(depth);
  CHECK(depth->topic == "btcusdt@depth@100ms");
  CHECK(depth->symbol == "BTCUSDT");
  CHECK_FALSE(depth->snapshot_only);
  auto trade = p->route(R"({"stream":"btcusdt@trade","data":{"t":1}})");
  REQUIRE(trade);
  CHECK(trade->symbol.empty());  // changes no book
  auto snap = p->route(R"({"stream":"btcusdt@depthSnapshot","data":{}})");
  REQUIRE(snap);
  CHECK(snap->snapshot_only);  // resets the book, is not replayed
  CHECK_FALSE(p->route(R"({"result":null,"id":1})"));
  CHECK_FALSE(p->route("not json"));
}

TEST_CASE("ot-sim's Binance subscribes by URL and by message", "[sim]") {
  auto p = sim("binance");
  FakeMarket m;
  FakeExchange x;
  FakeConnection c;
  p->on_open("/stream?streams=btcusdt@trade/ethusdt@depth@100ms", c, m);
  CHECK(c.subs == std::vector<std::string>{"btcusdt@trade", "ethusdt@depth@100ms"});
  p->on_message(R"({"method":"SUBSCRIBE","params":["solusdt@trade"],"id":7})", c, m, x);
  CHECK(c.sent.back() == R"({"result":null,"id":7})");
  p->on_message(R"({"method":"UNSUBSCRIBE","params":["btcusdt@trade"],"id":8})", c, m, x);
  p->on_message(R"({"method":"LIST_SUBSCRIPTIONS","id":9})", c, m, x);
  CHECK(c.sent.back() == R"({"result":["ethusdt@depth@100ms","solusdt@trade"],"id":9})");
  p->on_message("{oops", c, m, x);
  CHECK(contains(c.sent.back(), R"("code":3)"));
  p->on_message(R"({"method":"PING","id":10})", c, m, x);
  CHECK(contains(c.sent.back(), R"("code":2)"));
  CHECK(contains(c.sent.back(), R"("id":10)"));
}

TEST_CASE("ot-sim's Binance serves depth snapshots from the current book", "[sim]") {
  auto p = sim("binance");
  FakeMarket m;
  FakeExchange x;
  m.snapshot("BTCUSDT", 42);
  auto r = p->on_http(request("GET", "/api/v3/depth?symbol=BTCUSDT&limit=1", ""), m, x);
  REQUIRE(r);
  CHECK(r->status == 200);
  CHECK(r->body == R"({"lastUpdateId":42,"bids":[["100.5","2"]],"asks":[["100.6","1"]]})");
  // A newer book is what the next snapshot shows.
  m.snapshot("BTCUSDT", 43);
  r = p->on_http(request("GET", "/api/v3/depth?symbol=BTCUSDT", ""), m, x);
  REQUIRE(r);
  CHECK(contains(r->body, R"("lastUpdateId":43)"));
  CHECK(contains(r->body, R"("bids":[["100.5","2"],["100.4","3"]])"));
  r = p->on_http(request("GET", "/api/v3/depth?symbol=NOPE", ""), m, x);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(contains(r->body, "-1121"));
  CHECK_FALSE(p->on_http(request("GET", "/api/v3/nothing", ""), m, x));
}

TEST_CASE("ot-sim's Binance checks keys, signatures and clocks as Binance does", "[sim]") {
  auto p = sim("binance");
  FakeMarket m;
  FakeExchange x;
  const std::string order =
      "symbol=BTCUSDT&side=BUY&type=LIMIT_MAKER&quantity=0.5&price=100&newClientOrderId=c1";
  const std::string good = signed_target("/api/v3/order", order, "ot-sim-secret");
  auto code_of = [&](const ot::SimHttpRequest& req) {
    auto r = p->on_http(req, m, x);
    REQUIRE(r);
    return r->body;
  };
  CHECK(contains(code_of(request("POST", good, "")), "-2014"));              // no key
  CHECK(contains(code_of(request("POST", good, "someone-else")), "-2015"));  // not the account's
  const std::string forged = signed_target("/api/v3/order", order, "wrong-secret");
  CHECK(contains(code_of(request("POST", forged)), "-1022"));
  const std::string stale_query = order + "&recvWindow=5000&timestamp=1";
  const std::string stale = "/api/v3/order?" + stale_query +
                            "&signature=" + ot::binance::sign(stale_query, "", "ot-sim-secret");
  CHECK(contains(code_of(request("POST", stale)), "-1021"));
  CHECK(x.submitted.empty());  // none of those reached the matching engine

  auto r = p->on_http(request("POST", good), m, x);
  REQUIRE(r);
  CHECK(r->status == 200);
  REQUIRE(x.submitted.size() == 1);
  const ot::OwnedOrder& o = x.submitted.front();
  CHECK(o.id == "c1");
  CHECK(o.symbol == "BTCUSDT");
  CHECK(o.order.side == ot::Side::buy);
  CHECK(o.order.tif == ot::Tif::post_only);
  CHECK(o.order.qty == dec("0.5"));
  CHECK(o.order.price == dec("100"));
  CHECK(contains(r->body, R"("clientOrderId":"c1")"));
  // Queries name the order by its client id.
  r = p->on_http(
      request("GET", signed_target("/api/v3/order", "symbol=BTCUSDT&origClientOrderId=c1",
                                   "ot-sim-secret")),
      m, x);
  REQUIRE(r);
  CHECK(r->status == 200);
  r = p->on_http(
      request("GET", signed_target("/api/v3/order", "symbol=BTCUSDT&origClientOrderId=c2",
                                   "ot-sim-secret")),
      m, x);
  REQUIRE(r);
  CHECK(contains(r->body, "-2013"));
  // A malformed order never reaches the engine.
  r = p->on_http(
      request("POST", signed_target("/api/v3/order", "symbol=BTCUSDT&side=UP&type=LIMIT&quantity=1",
                                    "ot-sim-secret")),
      m, x);
  REQUIRE(r);
  CHECK(r->status == 400);
  CHECK(x.submitted.size() == 1);
}

TEST_CASE("ot-sim's OKX routes by channel and logs in with OKX's signature", "[sim]") {
  auto p = sim("okx");
  auto books = p->route(
      R"({"arg":{"channel":"books","instId":"BTC-USDT"},"action":"snapshot","data":[{}]})");
  REQUIRE(books);
  CHECK(books->topic == "books:BTC-USDT");
  CHECK(books->symbol == "BTC-USDT");
  CHECK(books->snapshot_only);
  auto trades = p->route(R"({"arg":{"channel":"trades","instId":"BTC-USDT"},"data":[{}]})");
  REQUIRE(trades);
  CHECK(trades->symbol.empty());
  CHECK_FALSE(p->route(R"({"event":"subscribe","arg":{"channel":"books"}})"));

  FakeMarket m;
  FakeExchange x;
  FakeConnection c;
  // The private channel needs a login first.
  p->on_message(R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})", c, m, x);
  CHECK(contains(c.sent.back(), "60011"));
  auto login = [&](std::string_view secret) {
    const std::string ts = std::to_string(ot::now_ns() / 1'000'000'000);
    const std::string sign = ot::net::hmac_sha256_base64(secret, ts + "GET/users/self/verify");
    return R"({"op":"login","args":[{"apiKey":"ot-sim-key","passphrase":"ot-sim-passphrase","timestamp":")" +
           ts + R"(","sign":")" + sign + R"("}]})";
  };
  p->on_message(login("wrong-secret"), c, m, x);
  CHECK(contains(c.sent.back(), "60009"));
  p->on_message(login("ot-sim-secret"), c, m, x);
  CHECK(contains(c.sent.back(), R"("event":"login")"));
  p->on_message(R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})", c, m, x);
  CHECK(contains(c.sent.back(), R"("event":"subscribe")"));
  p->on_message(R"({"op":"subscribe","args":[{"channel":"trades","instId":"ETH-USDT"}]})", c, m, x);
  CHECK(c.subs == std::vector<std::string>{"trades:ETH-USDT"});
  p->on_message(R"({"op":"dance"})", c, m, x);
  CHECK(contains(c.sent.back(), "60012"));
}

TEST_CASE("ot-sim's request helpers: query parameters and book levels", "[sim]") {
  CHECK(ot::sim_query_param("/x?a=1&symbol=BTCUSDT&b=2", "symbol") == "BTCUSDT");
  CHECK(ot::sim_query_param("/x?symbolic=1", "symbol").empty());
  CHECK(ot::sim_query_param("/x", "symbol").empty());
  FakeMarket m;
  m.snapshot("X", 1);
  const ot::L2Book& b = m.books.at("X").book();
  CHECK(ot::sim_levels_json(b, ot::BookSide::ask, 5, "[", "]", true) ==
        R"([["100.6","1"],["100.7","4"]])");
  CHECK(ot::sim_levels_json(b, ot::BookSide::bid, 1, "[", "]", false) == "[[100.5,2]]");
  CHECK(ot::make_sim_protocol("nowhere", "nowhere") == nullptr);
}
