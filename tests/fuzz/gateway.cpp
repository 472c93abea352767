// What the venue gateways read from a venue that may be hostile or broken:
// Binance user data stream events, error answers and order queries, OKX
// orders channel pushes, REST answers and their failures, Deribit private
// notifications, JSON-RPC answers and order states, Alpaca
// orders, trade_updates and error bodies. Each is read or ignored; what is read makes a report the
// order state machine can judge: never a negative quantity left working
// (a venue that reports more filled than ordered leaves 0; the tracker then
// refuses the report).
#include "fuzz.h"
#include "venues/alpaca/alpaca_orders.h"
#include "venues/binance/binance_orders.h"
#include "venues/deribit/deribit_orders.h"
#include "venues/okx/okx_orders.h"

namespace {
void check(const ot::Exec& e) {
  if (e.leaves.mantissa < 0) ot::fuzz::fail("a report with a negative leaves quantity");
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const unsigned which = ot::fuzz::pick(data, size, 10);
  const std::string json(reinterpret_cast<const char*>(data), size);
  switch (which) {
    case 0:
    case 1:
    case 2: {
      std::string kind;
      const auto m = which == 0   ? ot::binance::Market::spot
                     : which == 1 ? ot::binance::Market::usdm
                                  : ot::binance::Market::coinm;
      if (auto ev = ot::binance::parse_order_event(json, m, &kind)) {
        ev->bind();
        check(ev->exec);
      }
      break;
    }
    case 3:
      for (auto& ev : ot::okx::parse_orders(json)) ev.bind(), check(ev.exec);
      break;
    case 4:
      for (auto& ev : ot::deribit::parse_private(json)) ev.bind(), check(ev.exec);
      break;
    case 5:
      if (auto st = ot::alpaca::parse_order(json)) st->bind(), check(st->exec);
      for (auto& st : ot::alpaca::parse_trade_update(json)) st.bind(), check(st.exec);
      break;
    case 6:
      (void)ot::alpaca::error_text(400, json);
      break;
    case 7:
      // Binance REST: an error answer, and the order query of a reconnect.
      (void)ot::binance::parse_api_error(400, json).text();
      if (auto a = ot::binance::parse_query_answer(json)) {
        if (a->leaves.mantissa < 0) ot::fuzz::fail("a query answer with negative leaves");
      }
      break;
    case 8:
      (void)ot::okx::answer_failure(200, json);
      break;
    default:
      // Deribit JSON-RPC: an answer to a request, and the order state of a
      // reconnect.
      if (auto a = ot::deribit::parse_rpc_answer(json)) (void)a->error_text();
      if (auto st = ot::deribit::parse_order_states(json)) {
        for (auto& ev : *st) ev.bind(), check(ev.exec);
      }
      break;
  }
  return 0;
}
