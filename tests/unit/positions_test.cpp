// Positions and PnL (risk/positions).
#include "risk/positions.h"

#include <catch2/catch.hpp>

#include "test_util.h"
#include "venues/venue.h"

using ot::Decimal;
using namespace ot::test;

TEST_CASE("positions: average cost, realized and unrealized PnL", "[risk][positions]") {
  ot::PositionBook b;
  b.fill("binance", "BTCUSDT", ot::Side::buy, dec("100"), dec("2"), dec("0.1"), 1);
  b.fill("binance", "BTCUSDT", ot::Side::buy, dec("110"), dec("2"), dec("0.1"), 2);
  const auto* p = b.find("binance", "BTCUSDT");
  CHECK(p->avg_price().to_string() == "105");
  b.fill("binance", "BTCUSDT", ot::Side::sell, dec("120"), dec("3"), dec("0.1"), 3);
  CHECK(p->qty.to_string() == "1");
  CHECK(p->realized.to_string() == "45");  // 3 × (120 − 105)
  b.fill("binance", "BTCUSDT", ot::Side::sell, dec("90"), dec("3"), dec("0"), 4);  // through zero
  CHECK(p->qty.to_string() == "-2");
  CHECK(p->realized.to_string() == "30");  // + 1 × (90 − 105)
  CHECK(p->avg_price().to_string() == "90");
  b.mark("binance", "BTCUSDT", dec("80"));
  CHECK(p->unrealized().to_string() == "20");
  CHECK(b.equity_pnl().to_string() == "49.7");
  // Inverse: 1000 USD long at 40000, closed at 50000: 1000 × (1/40000 − 1/50000) coin.
  b.fill("deribit", "BTC-PERPETUAL", ot::Side::buy, dec("40000"), dec("1000"), dec("0"), 5);
  const auto* inv = b.find("deribit", "BTC-PERPETUAL");
  CHECK(inv->inverse);
  b.mark("deribit", "BTC-PERPETUAL", dec("50000"));
  CHECK(inv->unrealized().to_string() == "0.005");
  b.fill("deribit", "BTC-PERPETUAL", ot::Side::sell, dec("50000"), dec("1000"), dec("0"), 6);
  CHECK(inv->realized.to_string() == "0.005");
  CHECK(inv->qty.is_zero());
  CHECK(ot::is_inverse("okx", "BTC-USD-SWAP"));
  CHECK_FALSE(ot::is_inverse("okx", "BTC-USDT-SWAP"));
  CHECK_FALSE(ot::is_inverse("deribit", "BTC-27DEC24-60000-C"));
  CHECK(ot::is_inverse("deribit", "BTC-27DEC24"));
}

TEST_CASE("positions value contracts at their size", "[risk][positions][contracts]") {
  ot::PositionBook b;
  // OKX BTC-USDT-SWAP: 100 contracts of 0.01 BTC bought at 30000, sold at
  // 30100: 1 BTC × 100 USDT.
  b.fill("okx", "BTC-USDT-SWAP", ot::Side::buy, dec("30000"), dec("100"), dec("0"), 1);
  const auto* lin = b.find("okx", "BTC-USDT-SWAP");
  CHECK(lin->avg_price().to_string() == "30000");
  b.mark("okx", "BTC-USDT-SWAP", dec("30050"));
  CHECK(lin->unrealized().to_string() == "50");
  b.fill("okx", "BTC-USDT-SWAP", ot::Side::sell, dec("30100"), dec("100"), dec("0"), 2);
  CHECK(lin->realized.to_string() == "100");
  CHECK(lin->qty.is_zero());
  // Binance COIN-M BTCUSD_PERP: 10 contracts of 100 USD long at 40000,
  // closed at 50000: 1000 × (1/40000 − 1/50000) BTC.
  b.fill("binance-delivery", "BTCUSD_PERP", ot::Side::buy, dec("40000"), dec("10"), dec("0"), 3);
  const auto* inv = b.find("binance-delivery", "BTCUSD_PERP");
  CHECK(inv->inverse);
  CHECK(inv->avg_price().to_string() == "40000");
  CHECK(inv->as_event().qty.to_string() == "10");  // the venue's units
  b.fill("binance-delivery", "BTCUSD_PERP", ot::Side::sell, dec("50000"), dec("10"), dec("0"), 4);
  CHECK(inv->realized.to_string() == "0.005");
  // OKX BTC-USD-SWAP is 100 USD a contract, like Binance's.
  b.fill("okx", "BTC-USD-SWAP", ot::Side::sell, dec("50000"), dec("1"), dec("0"), 5);
  b.mark("okx", "BTC-USD-SWAP", dec("40000"));
  CHECK(b.find("okx", "BTC-USD-SWAP")->unrealized().to_string() ==
        "0.0005");  // 100/40000 − 100/50000
  // Unknown sizes are valued at 1 and say so.
  b.fill("okx", "DOGE-USDT-SWAP", ot::Side::buy, dec("0.1"), dec("10"), dec("0"), 6);
  CHECK_FALSE(b.find("okx", "DOGE-USDT-SWAP")->size_known);
}
