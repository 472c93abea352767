// Deribit order entry (venues/deribit/deribit_orders): client signature,
// order params, private notifications, JSON-RPC answers.
#include "venues/deribit/deribit_orders.h"

#include <catch2/catch.hpp>

#include "test_util.h"

using ot::Decimal;
using namespace ot::test;

TEST_CASE("Deribit client signature, order params and private notifications", "[venues][deribit]") {
  // HMAC-SHA256 of "timestamp\nnonce\ndata" (computed independently with
  // `printf '1576074319000\nabcd\n' | openssl dgst -sha256 -hmac secret`).
  CHECK(ot::deribit::client_signature("secret", 1576074319000, "abcd", "") ==
        "2f8be71cf381d25294b12663e428df58e95a5e968ae7d7e566bcc15ab6c4bc1a");
  ot::Order o;
  o.id = "hedge-BTC-1";
  o.venue = "deribit";
  o.symbol = "BTC-PERPETUAL";
  o.side = ot::Side::sell;
  o.qty = dec("120");
  o.kind = ot::OrderKind::market;
  o.tif = ot::Tif::ioc;
  CHECK(
      ot::deribit::order_params(o) ==
      R"({"instrument_name":"BTC-PERPETUAL","amount":120,"type":"market","label":"hedge-BTC-1","time_in_force":"immediate_or_cancel"})");
  const std::string trade =
      ot::deribit::trade_object(o, "BTC-7", "42", dec("32100.5"), dec("120"), dec("0.00000112"),
                                ot::Liquidity::taker, "filled", 1626993720915);
  auto evs = ot::deribit::parse_private(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.trades.any.any.raw","data":[)" +
      trade + "]}}");
  REQUIRE(evs.size() == 1);
  evs[0].bind();
  CHECK(evs[0].is_trade);
  CHECK(evs[0].exec.id == "hedge-BTC-1");
  CHECK(evs[0].exec.price->to_string() == "32100.5");
  CHECK(evs[0].exec.qty->to_string() == "120");
  CHECK(evs[0].exec.fee->to_string() == "0.00000112");
  CHECK(evs[0].exec.side == ot::Side::sell);
  const std::string order =
      ot::deribit::order_object(o, "BTC-7", "open", dec("20"), dec("32100.5"), 1626993720915);
  evs = ot::deribit::parse_private(
      R"({"jsonrpc":"2.0","method":"subscription","params":{"channel":"user.orders.BTC-PERPETUAL.raw","data":)" +
      order + "}}");
  REQUIRE(evs.size() == 1);
  CHECK_FALSE(evs[0].is_trade);
  CHECK(evs[0].exec.status == ot::ExecStatus::partial);
  CHECK(evs[0].exec.leaves.to_string() == "100");
  CHECK_FALSE(evs[0].exec.order_price);  // a market order's price 0 is no price
  CHECK(ot::deribit::parse_private(R"({"jsonrpc":"2.0","method":"heartbeat"})").empty());
  CHECK(ot::deribit::parse_private("garbage").empty());

  SECTION("answers to requests") {
    auto a = ot::deribit::parse_rpc_answer(R"({"jsonrpc":"2.0","id":7,"result":0})");
    REQUIRE(a);
    CHECK(a->id == 7);
    CHECK_FALSE(a->failed);
    CHECK(a->result == "0");
    a = ot::deribit::parse_rpc_answer(
        R"({"jsonrpc":"2.0","id":8,"error":{"code":10028,"message":"too_many_requests"}})");
    REQUIRE(a);
    CHECK(a->failed);
    CHECK(a->error_text() == "deribit 10028: too_many_requests");
    // An error without a code or a message is still an error: the order it
    // answers is rejected, not left waiting.
    a = ot::deribit::parse_rpc_answer(R"({"id":9,"error":{}})");
    REQUIRE(a);
    CHECK(a->failed);
    CHECK(a->error_text() == "deribit 0: (no message)");
    CHECK_FALSE(ot::deribit::parse_rpc_answer(R"({"id":"x","result":1})"));
    CHECK_FALSE(ot::deribit::parse_rpc_answer(R"({"id":3})"));
    CHECK_FALSE(ot::deribit::parse_rpc_answer("{"));
  }
  SECTION("order state after a reconnect") {
    auto st = ot::deribit::parse_order_states("[" + order + "]");
    REQUIRE(st);
    REQUIRE(st->size() == 1);
    CHECK((*st)[0].exec.filled.to_string() == "20");
    CHECK((*st)[0].label == "hedge-BTC-1");
    st = ot::deribit::parse_order_states("[]");
    REQUIRE(st);
    CHECK(st->empty());
    CHECK_FALSE(ot::deribit::parse_order_states("null"));
    CHECK_FALSE(ot::deribit::parse_order_states(R"([{"label":"x"}])"));
  }
}
