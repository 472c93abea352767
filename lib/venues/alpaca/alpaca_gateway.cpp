// ot-exec's gateway to Alpaca's Trading API v2: orders by REST (POST
// /v2/orders with the client id, DELETE /v2/orders/{id}, PATCH
// /v2/orders/{id} to replace) with the APCA-API-KEY-ID / APCA-API-SECRET-KEY
// headers, on a kept-alive connection, one request at a time in order;
// executions from the `trade_updates` stream (auth, then listen). Alpaca
// allows 200 requests a minute: a local budget of 33 orders per 10 s, and
// 429 answered by backing off. A replace makes a new venue order (its
// `replaces` names the old one): the gateway follows the chain, so the
// client order id stays the order's name. Reconnects and restarts query
// every open order (GET /v2/orders/{id}, or by client order id when the
// venue id is unknown; 404 = the order never arrived) and report what was
// missed.
#include "venues/alpaca/alpaca_gateway.h"

#include <fmt/format.h>

#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "core/time.h"
#include "net/client.h"
#include "venues/alpaca/alpaca_orders.h"

namespace ot::alpaca {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class AlpacaGateway final : public RestGateway {
 public:
  // 33 per 10 s: Alpaca allows 200 requests a minute.
  explicit AlpacaGateway(GatewayOptions o)
      : RestGateway("alpaca", "trade_updates stream", std::move(o), 33) {
    if (ws_url_.target == "/") ws_url_.target = "/stream";
  }
  ~AlpacaGateway() override { stop(); }

 private:
  net::Headers headers() const {
    net::Headers h;
    h.emplace_back("APCA-API-KEY-ID", o_.credentials.key);
    h.emplace_back("APCA-API-SECRET-KEY", o_.credentials.secret);
    h.emplace_back("Content-Type", "application/json");
    return h;
  }

  asio::awaitable<net::Response> request(std::string_view method, const std::string& path,
                                         const std::string& body) {
    net::Response res = co_await http_->request(method, path, headers(), body, 10s);
    if (res.status == 429) back_off(2, "HTTP 429");
    co_return res;
  }

  std::string refusal(const OwnedOrder& o) const override {
    return o.order.tif == Tif::post_only ? "alpaca has no post-only orders" : "";
  }

  asio::awaitable<void> send_order(const OwnedOrder& o) override {
    net::Response res = co_await request("POST", "/v2/orders", order_body(o.view()));
    if (res.status != 200) {
      reject(o, error_text(res.status, res.body));
      co_return;
    }
    if (auto st = parse_order(res.body)) learn(o.id, st->venue_id);
  }

  // Cancels and amends name the venue's id: an order not acknowledged yet
  // is looked up first. False (with a status event) if the venue does not
  // know it.
  asio::awaitable<bool> venue_id_of(Known& k, std::string_view event) {
    if (k.venue_id.empty()) co_await query_order(k);
    if (!k.venue_id.empty()) co_return true;
    report_status("alpaca", k.order->symbol, std::string(event),
                  k.order->id + ": the venue does not know the order");
    co_return false;
  }

  asio::awaitable<bool> send_cancel(Known& k) override {
    const bool known = co_await venue_id_of(k, "cancel_reject");
    if (!known) co_return false;
    net::Response res = co_await request("DELETE", "/v2/orders/" + k.venue_id, "");
    if (res.status == 204 || res.status == 200) co_return true;
    report_status("alpaca", k.order->symbol, "cancel_reject",
                  k.order->id + ": " + error_text(res.status, res.body));
    co_return false;
  }

  asio::awaitable<bool> send_amend(Known& k, const std::optional<Decimal>& qty,
                                   const std::optional<Decimal>& price) override {
    const bool known = co_await venue_id_of(k, "amend_reject");
    if (!known) co_return false;
    std::string body = "{";
    if (qty) body += fmt::format(R"("qty":"{}")", qty->to_string());
    if (price) body += fmt::format(R"({}"limit_price":"{}")", qty ? "," : "", price->to_string());
    body += "}";
    net::Response res = co_await request("PATCH", "/v2/orders/" + k.venue_id, body);
    if (res.status != 200) {
      report_status("alpaca", k.order->symbol, "amend_reject",
                    k.order->id + ": " + error_text(res.status, res.body));
      co_return false;
    }
    if (auto st = parse_order(res.body)) learn(k.order->id, st->venue_id);
    co_return true;
  }

  // The venue's id of our order `id` (the newest replacement).
  void learn(const std::string& id, const std::string& venue_id) {
    Known* k = find(id);
    if (venue_id.empty() || k == nullptr) return;
    k->venue_id = venue_id;
    by_venue_id_[venue_id] = id;
  }

  void on_restore(Known& k) override {
    if (!k.venue_id.empty()) by_venue_id_[k.venue_id] = k.order->id;
  }

  asio::awaitable<void> query_order(Known& k) override {
    const OwnedOrder& o = *k.order;
    const std::string path = k.venue_id.empty()
                                 ? "/v2/orders:by_client_order_id?client_order_id=" + o.id
                                 : "/v2/orders/" + k.venue_id;
    net::Response res = co_await http_->request("GET", path, headers(), "", 10s);
    if (res.status == 404) {
      reject(o, "not at the venue (the request did not arrive)");
      co_return;
    }
    auto st = parse_order(res.body);
    if (res.status != 200 || !st) {
      report_status("alpaca", o.symbol, "error",
                    o.id + ": order query failed: " + error_text(res.status, res.body));
      co_return;
    }
    learn(o.id, st->venue_id);
    on_queried(k, report_of(*st));
  }

  asio::awaitable<void> open_stream(net::WsClient& ws) override {
    co_await ws.connect(ws_url_, 10s);
    co_await ws.write(fmt::format(R"({{"action":"auth","key":"{}","secret":"{}"}})",
                                  o_.credentials.key, o_.credentials.secret));
    const std::string answer = co_await ws.read();
    if (answer.find("\"authorized\"") == std::string::npos) {
      report_status("alpaca", "", "error",
                    "stream authorization refused: " + answer.substr(0, 160));
      throw std::runtime_error("authorization refused");
    }
    co_await ws.write(R"({"action":"listen","data":{"streams":["trade_updates"]}})");
  }

  void on_message(const std::string& text) override {
    for (auto& st : parse_trade_update(text)) {
      // Ours by client id, or by the venue id of an order it replaces.
      Known* k = find(st.client_id);
      if (k == nullptr) {
        auto v = by_venue_id_.find(st.replaces.empty() ? st.venue_id : st.replaces);
        if (v == by_venue_id_.end()) continue;  // not placed by us
        k = find(v->second);
        if (k == nullptr) continue;
      }
      if (k->final) continue;
      learn(k->order->id, st.venue_id);
      on_report(*k, report_of(st));
    }
  }

  std::map<std::string, std::string> by_venue_id_;
};

}  // namespace

Result<std::unique_ptr<Gateway>> make_gateway(GatewayOptions o) {
  if (o.rest_url.empty()) o.rest_url = "https://paper-api.alpaca.markets";
  if (o.ws_url.empty()) o.ws_url = "wss://paper-api.alpaca.markets/stream";
  if (!net::parse_url(o.rest_url) || !net::parse_url(o.ws_url)) {
    return Error(ErrorCode::invalid_argument, "bad --rest-url or --ws-url");
  }
  return start_gateway<AlpacaGateway>(std::move(o));
}

}  // namespace ot::alpaca
