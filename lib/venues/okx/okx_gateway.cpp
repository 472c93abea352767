// ot-exec's gateway to OKX v5: signed REST orders (POST /api/v5/trade/order,
// cancel-order, amend-order by clOrdId; base64 HMAC-SHA256 of timestamp +
// method + path + body with the OK-ACCESS-* headers) on a kept-alive
// connection, one request at a time in order; executions from the private
// WebSocket's `orders` channel after a login with the same kind of
// signature, kept alive with "ping". A local budget of orders per 10 s
// (default 300, OKX's 60 per 2 s per instrument), 429 / 50011 answered by
// backing off; reconnects and restarts query every open order
// (GET /api/v5/trade/order) and report what was missed.
#include "venues/okx/okx_gateway.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <boost/asio/use_awaitable.hpp>

#include "core/time.h"
#include "net/client.h"
#include "net/crypto.h"
#include "venues/okx/okx_orders.h"

namespace ot::okx {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class OkxGateway final : public RestGateway {
 public:
  // 300 per 10 s: OKX's 60 orders per 2 s per instrument.
  explicit OkxGateway(GatewayOptions o) : RestGateway("okx", "orders channel", std::move(o), 300) {
    if (ws_url_.target == "/") ws_url_.target = "/ws/v5/private";
  }
  ~OkxGateway() override { stop(); }

 private:
  net::Headers auth(std::string_view method, const std::string& path, const std::string& body) {
    const std::string ts = iso_timestamp(now_ns());
    net::Headers h;
    h.emplace_back("OK-ACCESS-KEY", o_.credentials.key);
    h.emplace_back("OK-ACCESS-SIGN", rest_signature(o_.credentials.secret, ts, method, path, body));
    h.emplace_back("OK-ACCESS-TIMESTAMP", ts);
    h.emplace_back("OK-ACCESS-PASSPHRASE", o_.credentials.passphrase);
    h.emplace_back("Content-Type", "application/json");
    return h;
  }

  static std::string failure(const net::Response& r) { return answer_failure(r.status, r.body); }

  asio::awaitable<net::Response> post_signed(const std::string& path, const std::string& body) {
    const net::Headers h = auth("POST", path, body);
    net::Response res = co_await http_->request("POST", path, h, body, 10s);
    if (res.status == 429) back_off(2, "HTTP 429");
    co_return res;
  }

  asio::awaitable<void> send_order(const OwnedOrder& o) override {
    net::Response res = co_await post_signed("/api/v5/trade/order", order_body(o.view()));
    const std::string why = failure(res);
    if (!why.empty()) reject(o, why);
  }

  asio::awaitable<bool> send_cancel(Known& k) override {
    const OwnedOrder& o = *k.order;
    net::Response res =
        co_await post_signed("/api/v5/trade/cancel-order",
                             fmt::format(R"({{"instId":"{}","clOrdId":"{}"}})", o.symbol, o.id));
    const std::string why = failure(res);
    if (why.empty()) co_return true;
    report_status("okx", o.symbol, "cancel_reject", o.id + ": " + why);
    co_return false;
  }

  asio::awaitable<bool> send_amend(Known& k, const std::optional<Decimal>& qty,
                                   const std::optional<Decimal>& price) override {
    const OwnedOrder& o = *k.order;
    std::string body = fmt::format(R"({{"instId":"{}","clOrdId":"{}")", o.symbol, o.id);
    if (qty) body += fmt::format(R"(,"newSz":"{}")", qty->to_string());
    if (price) body += fmt::format(R"(,"newPx":"{}")", price->to_string());
    body += "}";
    net::Response res = co_await post_signed("/api/v5/trade/amend-order", body);
    const std::string why = failure(res);
    if (why.empty()) co_return true;
    report_status("okx", o.symbol, "amend_reject", o.id + ": " + why);
    co_return false;
  }

  asio::awaitable<void> query_order(Known& k) override {
    const OwnedOrder& o = *k.order;
    const std::string path =
        fmt::format("/api/v5/trade/order?instId={}&clOrdId={}", o.symbol, o.id);
    const net::Headers h = auth("GET", path, "");
    net::Response res = co_await http_->request("GET", path, h, "", 10s);
    if (res.body.find("\"51603\"") != std::string::npos) {
      reject(o, "not at the venue (the request did not arrive)");
      co_return;
    }
    for (auto& ev : parse_orders(res.body)) on_queried(k, report_of(ev));
  }

  asio::awaitable<void> open_stream(net::WsClient& ws) override {
    co_await ws.connect(ws_url_, 10s);
    const std::string ts = std::to_string(now_ns() / 1'000'000'000);
    const std::string sign =
        net::hmac_sha256_base64(o_.credentials.secret, ts + "GET/users/self/verify");
    co_await ws.write(fmt::format(
        R"({{"op":"login","args":[{{"apiKey":"{}","passphrase":"{}","timestamp":"{}","sign":"{}"}}]}})",
        o_.credentials.key, o_.credentials.passphrase, ts, sign));
    const std::string answer = co_await ws.read();
    if (answer.find("\"login\"") == std::string::npos) {
      report_status("okx", "", "error", "login refused: " + answer.substr(0, 160));
      throw std::runtime_error("login refused");
    }
    co_await ws.write(R"({"op":"subscribe","args":[{"channel":"orders","instType":"ANY"}]})");
    last_ping_ = mono_ns();
  }

  // The session stays alive with a "ping" every 20 s.
  asio::awaitable<void> keep_alive(net::WsClient& ws) override {
    if (mono_ns() - last_ping_ > 20'000'000'000) {
      co_await ws.write("ping");
      last_ping_ = mono_ns();
    }
  }

  void on_message(const std::string& text) override {
    if (text == "pong") return;
    for (auto& ev : parse_orders(text)) {
      if (Known* k = find(ev.id)) on_report(*k, report_of(ev));  // else not placed by us
    }
  }

  Nanos last_ping_ = 0;
};

}  // namespace

Result<std::unique_ptr<Gateway>> make_gateway(GatewayOptions o) {
  if (o.rest_url.empty()) o.rest_url = "https://www.okx.com";
  if (o.ws_url.empty()) o.ws_url = "wss://ws.okx.com:8443/ws/v5/private";
  if (!net::parse_url(o.rest_url) || !net::parse_url(o.ws_url)) {
    return Error(ErrorCode::invalid_argument, "bad --rest-url or --ws-url");
  }
  if (o.credentials.passphrase.empty()) {
    return Error(
        ErrorCode::invalid_argument,
        "OKX needs a passphrase: set OT_OKX_PASSPHRASE or put passphrase = … in the key file");
  }
  return start_gateway<OkxGateway>(std::move(o));
}

}  // namespace ot::okx
