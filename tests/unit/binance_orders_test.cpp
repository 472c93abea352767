// Binance order entry (venues/binance/binance_orders): signatures, order
// parameters, user stream events, REST answers.
#include "venues/binance/binance_orders.h"

#include <catch2/catch.hpp>

#include "net/crypto.h"
#include "test_util.h"

using ot::Decimal;
using namespace ot::test;

TEST_CASE("Binance signatures equal the documented example", "[venues][binance][sign]") {
  // The key, secret, query and signature of Binance's "SIGNED endpoint
  // examples" in its REST API documentation.
  const std::string secret = "NhqPtmdSJYdKjVHjA7PZj4Mge3R5YNiP1e3UZjInClVN65XAbvqqM6A7H5fATj0j";
  const std::string query =
      "symbol=LTCBTC&side=BUY&type=LIMIT&timeInForce=GTC&quantity=1&price=0.1&recvWindow=5000&"
      "timestamp=1499827319559";
  CHECK(ot::binance::sign(query, "", secret) ==
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  // Query and body together: the same bytes, split anywhere.
  CHECK(ot::binance::sign(query.substr(0, 40), query.substr(40), secret) ==
        "c8db56825ae71d6d79447849e617115f4a920fa2acdcab2b053c4b2838bd6b71");
  CHECK(ot::net::hmac_sha256_base64("key", "The quick brown fox jumps over the lazy dog") ==
        "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=");
  CHECK(ot::net::equal_constant_time("abc", "abc"));
  CHECK_FALSE(ot::net::equal_constant_time("abc", "abd"));
}

TEST_CASE("Binance order parameters and user stream events", "[venues][binance]") {
  using ot::binance::Market;
  ot::Order o;
  o.id = "mm-x-1";
  o.venue = "binance-futures";
  o.symbol = "BTCUSDT";
  o.side = ot::Side::sell;
  o.qty = dec("0.010");
  o.price = dec("30261.5");
  o.tif = ot::Tif::post_only;
  CHECK(ot::binance::new_order_params(o, Market::usdm) ==
        "symbol=BTCUSDT&side=SELL&type=LIMIT&timeInForce=GTX&quantity=0.010&price=30261.5&"
        "newClientOrderId=mm-x-1");
  CHECK(ot::binance::new_order_params(o, Market::spot) ==
        "symbol=BTCUSDT&side=SELL&type=LIMIT_MAKER&quantity=0.010&price=30261.5&"
        "newClientOrderId=mm-x-1");
  CHECK(ot::binance::form_value("a=1&symbol=BTC%2DUSD&x=", "symbol") == "BTC-USD");
  // The venue's own samples.
  auto partial = ot::binance::parse_order_event(
      ot::test::read_file(ot::test::data_path("binance/order_update_trade_partial.json")),
      Market::usdm, nullptr);
  REQUIRE(partial);
  partial->bind();
  CHECK(partial->exec.id == "TEST");
  CHECK(partial->exec.status == ot::ExecStatus::partial);
  CHECK(partial->exec.qty->to_string() == "0.001");
  CHECK(partial->exec.price->to_string() == "7100.50");
  CHECK(partial->exec.filled.to_string() == "0.001");
  CHECK(partial->exec.leaves.to_string() == "0.001");
  CHECK(partial->exec.fee->to_string() == "0.01000000");
  CHECK(partial->exec.liquidity == ot::Liquidity::maker);
  CHECK(partial->exec.trade_id == "12345678");
  auto spot = ot::binance::parse_order_event(
      ot::test::read_file(ot::test::data_path("binance/execution_report_trade.json")), Market::spot,
      nullptr);
  REQUIRE(spot);
  spot->bind();
  CHECK(spot->exec.status == ot::ExecStatus::filled);
  CHECK(spot->exec.qty->to_string() == "1.00000000");
  CHECK(spot->exec.leaves.is_zero());
  auto canceled = ot::binance::parse_order_event(
      ot::test::read_file(ot::test::data_path("binance/execution_report_canceled.json")),
      Market::spot, nullptr);
  REQUIRE(canceled);
  canceled->bind();
  CHECK(canceled->exec.status == ot::ExecStatus::canceled);
  CHECK(canceled->exec.id == "x-TD67BGP9-T0000000000000");
  std::string kind;
  CHECK_FALSE(
      ot::binance::parse_order_event(R"({"e":"listenKeyExpired","E":1})", Market::usdm, &kind));
  CHECK(kind == "listenKeyExpired");
  CHECK_FALSE(ot::binance::parse_order_event("not json", Market::usdm, nullptr));
  // What the simulator writes, the gateway reads back.
  ot::Exec e;
  e.id = o.id;
  e.side = o.side;
  e.status = ot::ExecStatus::partial;
  e.price = dec("30261.5");
  e.qty = dec("0.004");
  e.filled = dec("0.004");
  e.leaves = dec("0.006");
  e.fee = dec("0.0242092");
  e.liquidity = ot::Liquidity::maker;
  for (Market m : {Market::usdm, Market::spot}) {
    const std::string json =
        ot::binance::order_event_json(e, o, 42, 7, m, 1'700'000'000'000'000'000);
    auto back = ot::binance::parse_order_event(json, m, nullptr);
    REQUIRE(back);
    back->bind();
    CHECK(back->exec.id == "mm-x-1");
    CHECK(back->exec.status == ot::ExecStatus::partial);
    CHECK(back->exec.qty->to_string() == "0.004");
    CHECK(back->exec.leaves.to_string() == "0.006");
    CHECK(back->exec.fee->to_string() == "0.0242092");
    CHECK(back->exec.venue_id == "42");
    CHECK(back->exec.trade_id == "7");
  }
}
