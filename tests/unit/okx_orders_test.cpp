// OKX order entry (venues/okx/okx_orders): signatures, order bodies and the
// orders channel.
#include "venues/okx/okx_orders.h"

#include <catch2/catch.hpp>

#include "test_util.h"

using ot::Decimal;
using namespace ot::test;

TEST_CASE("OKX signatures, order bodies and the orders channel", "[venues][okx]") {
  // base64(HMAC-SHA256(secret, timestamp + method + path + body)), the value
  // computed independently with openssl.
  CHECK(ot::okx::rest_signature("secret", "2020-12-08T09:08:57.715Z", "POST", "/api/v5/trade/order",
                                R"({"instId":"BTC-USDT"})") ==
        "I64FCA5BpQbPVAu81/jgcqwMMz/badKJDsMDOMpXB0Y=");
  CHECK(ot::okx::iso_timestamp(1607418537715000000) == "2020-12-08T09:08:57.715Z");
  ot::Order o;
  o.id = "mm1";
  o.venue = "okx";
  o.symbol = "BTC-USDT";
  o.side = ot::Side::buy;
  o.qty = dec("0.01");
  o.price = dec("30000.1");
  o.tif = ot::Tif::post_only;
  CHECK(
      ot::okx::order_body(o) ==
      R"({"instId":"BTC-USDT","tdMode":"cash","clOrdId":"mm1","side":"buy","ordType":"post_only","sz":"0.01","px":"30000.1"})");
  o.symbol = "BTC-USDT-SWAP";
  CHECK(ot::okx::order_body(o).find(R"("tdMode":"cross")") != std::string::npos);
  // The venue's own push of a filled market order.
  auto evs = ot::okx::parse_orders(ot::test::read_file(ot::test::data_path("okx/ws_orders.json")));
  REQUIRE(evs.size() == 1);
  evs[0].bind();
  CHECK(evs[0].exec.id == "001BTCUSDT20250106001");
  CHECK(evs[0].exec.status == ot::ExecStatus::filled);
  CHECK(evs[0].exec.qty->to_string() == "0.03");
  CHECK(evs[0].exec.price->to_string() == "103698.9");
  CHECK(evs[0].exec.fee->to_string() == "0.021776769");  // OKX writes a cost as negative
  CHECK(evs[0].exec.liquidity == ot::Liquidity::maker);
  CHECK(evs[0].exec.trade_id == "1518905529");
  // What the simulator writes, the gateway reads back.
  const std::string push =
      R"({"arg":{"channel":"orders","instType":"ANY"},"data":[)" +
      ot::okx::order_json(
          o, "77", "partially_filled", dec("0.004"), dec("30000.1"),
          ot::okx::OrderFill{dec("30000.1"), dec("0.004"), dec("0.06"), ot::Liquidity::maker, "9"},
          "", 1607418537715) +
      "]}";
  evs = ot::okx::parse_orders(push);
  REQUIRE(evs.size() == 1);
  evs[0].bind();
  CHECK(evs[0].exec.status == ot::ExecStatus::partial);
  CHECK(evs[0].exec.leaves.to_string() == "0.006");
  CHECK(evs[0].exec.fee->to_string() == "0.06");
  CHECK(evs[0].exec.venue_id == "77");
  CHECK(ot::okx::parse_orders(R"({"event":"login","code":"0"})").empty());
}
