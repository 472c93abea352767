// ot-exec's gateway to Binance spot, USD-M and COIN-M futures: signed REST
// orders (HMAC-SHA256 over the query string, timestamp + recvWindow, key in
// X-MBX-APIKEY) on a kept-alive connection, one request at a time in order;
// executions from the user data stream (listen key, /ws/<key>, kept alive
// every 30 minutes). Rate limits: a local budget of orders per 10 s, the
// venue's used weight watched, 429/418 answered by backing off for
// Retry-After; -1021 (clock skew) by measuring the server's clock and
// retrying once. After a reconnect or a restart, open orders are queried
// and any difference is reported.
#include "venues/binance/binance_gateway.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/time.h"
#include "net/client.h"
#include "venues/binance/binance_orders.h"

namespace ot::binance {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

ApiError api_error(const net::Response& r) { return parse_api_error(r.status, r.body); }

// Binance's documented order limits, per 10 s.
double default_orders_per_10s(Market m) { return m == Market::spot ? 50 : 300; }

class BinanceGateway final : public RestGateway {
 public:
  BinanceGateway(Market market, GatewayOptions o)
      : RestGateway(std::string(venue_name(market)), "user data stream", std::move(o),
                    default_orders_per_10s(market)),
        market_(market) {}
  ~BinanceGateway() override { stop(); }

 private:
  // ---- network thread ----
  void on_start() override {
    // Listen keys on their own connection: one request at a time on each.
    key_http_ = std::make_unique<net::HttpClient>(io().get_executor(), rest_url_, tls_);
    asio::co_spawn(io(), keepalive_loop(), asio::detached);
  }

  // A signed request; returns the response (network errors throw).
  asio::awaitable<net::Response> signed_request(std::string_view method, std::string_view path,
                                                std::string params) {
    params += fmt::format("&recvWindow={}&timestamp={}", o_.recv_window_ms,
                          now_ns() / 1'000'000 + clock_offset_ms_);
    const std::string sig = sign(params, "", o_.credentials.secret);
    const std::string target = fmt::format("{}?{}&signature={}", path, params, sig);
    net::Response r = co_await http_->request(method, target, key_header(), "", 10s);
    watch_limits(r);
    co_return r;
  }

  // (Built outside coroutine expressions: GCC 12 miscompiles brace-init
  // lists inside them.)
  net::Headers key_header() const {
    net::Headers h;
    h.emplace_back("X-MBX-APIKEY", o_.credentials.key);
    return h;
  }

  void watch_limits(const net::Response& r) {
    const std::string w = r.header("x-mbx-used-weight-1m");
    if (!w.empty()) used_weight_ = std::atoi(w.c_str());
    if (r.status == 429 || r.status == 418) {
      const std::string ra = r.header("retry-after");
      const int s = ra.empty() ? (r.status == 418 ? 120 : 10) : std::atoi(ra.c_str());
      back_off(s, fmt::format("HTTP {}", r.status));
    }
  }

  asio::awaitable<void> sync_clock() {
    try {
      const std::string path = market_ == Market::spot   ? "/api/v3/time"
                               : market_ == Market::usdm ? "/fapi/v1/time"
                                                         : "/dapi/v1/time";
      const Nanos sent = now_ns();
      const net::Headers none;
      net::Response r = co_await http_->request("GET", path, none, "", 5s);
      const Nanos got = now_ns();
      simdjson::dom::parser p;
      const std::int64_t server = p.parse(r.body)["serverTime"].get_int64().value();
      clock_offset_ms_ = server - (sent + got) / 2 / 1'000'000;
    } catch (const std::exception&) {
    }
  }

  // Orders wait for the user data stream (RestGateway), then for a synced
  // clock; each waits for the next minute when the used weight is close to
  // the venue's limit.
  asio::awaitable<void> before_first() override { co_await sync_clock(); }
  asio::awaitable<void> before_each() override {
    const int weight_limit = market_ == Market::spot ? 6000 : 2400;
    if (used_weight_ > weight_limit * 9 / 10) {
      asio::steady_timer t(io());
      t.expires_after(std::chrono::seconds(60 - (now_ns() / 1'000'000'000) % 60));
      co_await t.async_wait(asio::use_awaitable);
      used_weight_ = 0;
    }
  }

  asio::awaitable<void> send_order(const OwnedOrder& o) override {
    const OrderApi api = order_api(market_);
    const std::string params = new_order_params(o.view(), market_);
    net::Response res = co_await signed_request("POST", api.order, params);
    if (res.status == 400 && api_error(res).code == -1021) {
      co_await sync_clock();
      res = co_await signed_request("POST", api.order, params);
    }
    // Success: the user data stream reports the order's life.
    if (res.status != 200) reject(o, api_error(res).text());
  }

  static std::string order_params(const OwnedOrder& o) {
    return fmt::format("symbol={}&origClientOrderId={}", o.symbol, o.id);
  }

  asio::awaitable<bool> send_cancel(Known& k) override {
    const OwnedOrder& o = *k.order;
    net::Response res =
        co_await signed_request("DELETE", order_api(market_).order, order_params(o));
    if (res.status == 200) co_return true;
    report_status(venue(), o.symbol, "cancel_reject", o.id + ": " + api_error(res).text());
    co_return false;
  }

  asio::awaitable<bool> send_amend(Known& k, const std::optional<Decimal>& new_qty,
                                   const std::optional<Decimal>& new_price) override {
    const OwnedOrder& o = *k.order;
    const Decimal qty = new_qty.value_or(o.order.qty);
    const std::optional<Decimal> price = new_price ? new_price : o.order.price;
    std::string params =
        order_params(o) + fmt::format("&side={}&quantity={}",
                                      o.order.side == Side::buy ? "BUY" : "SELL", qty.to_string());
    if (price) params += "&price=" + price->to_string();
    net::Response res = co_await signed_request("PUT", order_api(market_).order, params);
    if (res.status == 200) co_return true;
    report_status(venue(), o.symbol, "amend_reject", o.id + ": " + api_error(res).text());
    co_return false;
  }

  asio::awaitable<void> query_order(Known& k) override {
    const OwnedOrder& o = *k.order;
    net::Response res = co_await signed_request("GET", order_api(market_).order, order_params(o));
    if (res.status != 200) {
      const ApiError e = api_error(res);
      if (e.code == -2013)
        reject(o, "not at the venue (the request did not arrive)");
      else
        report_status(venue(), o.symbol, "error", o.id + ": query: " + e.text());
      co_return;
    }
    const auto a = parse_query_answer(res.body);
    if (!a) co_return;
    OwnedExec e;
    e.symbol = o.symbol;
    e.exec.side = o.order.side;
    e.exec.status = a->status;
    e.exec.filled = a->filled;
    e.exec.leaves = a->leaves;
    e.exec.order_price = o.order.price;
    e.exec.avg_price = a->avg_price;
    e.exec.ts = now_ns();
    on_queried(k, std::move(e));
  }

  asio::awaitable<void> open_stream(net::WsClient& ws) override {
    const OrderApi api = order_api(market_);
    net::Response r =
        co_await key_http_->request("POST", std::string(api.listen_key), key_header(), "", 10s);
    if (r.status != 200) throw std::runtime_error("listen key: " + api_error(r).text());
    simdjson::dom::parser p;
    listen_key_ = std::string(p.parse(r.body)["listenKey"].get_string().value());
    net::Url url = ws_url_;
    url.target = std::string(api.user_stream) + listen_key_;
    co_await ws.connect(url, 10s);
  }

  asio::awaitable<void> keepalive_loop() {
    for (;;) {
      asio::steady_timer t(io());
      t.expires_after(30min);
      co_await t.async_wait(asio::use_awaitable);
      if (listen_key_.empty()) continue;
      try {
        co_await key_http_->request("PUT", std::string(order_api(market_).listen_key), key_header(),
                                    "", 10s);
      } catch (const std::exception&) {
      }
    }
  }

  void on_message(const std::string& text) override {
    std::string kind;
    auto ev = parse_order_event(text, market_, &kind);
    if (!ev) {
      if (kind == "listenKeyExpired") {
        report_status(venue(), "", "disconnected", "listen key expired");
      }
      return;
    }
    Known* k = find(ev->id);
    if (k == nullptr) return;  // not placed by us
    on_report(*k, report_of(*ev));
  }

  Market market_;
  std::unique_ptr<net::HttpClient> key_http_;
  std::string listen_key_;
  std::int64_t clock_offset_ms_ = 0;
  int used_weight_ = 0;
};

}  // namespace

Result<std::unique_ptr<Gateway>> make_gateway(Market m, GatewayOptions o) {
  if (o.rest_url.empty()) {
    o.rest_url = m == Market::spot   ? "https://api.binance.com"
                 : m == Market::usdm ? "https://fapi.binance.com"
                                     : "https://dapi.binance.com";
  }
  if (o.ws_url.empty()) {
    o.ws_url = m == Market::spot   ? "wss://stream.binance.com:9443"
               : m == Market::usdm ? "wss://fstream.binance.com"
                                   : "wss://dstream.binance.com";
  }
  if (!net::parse_url(o.rest_url) || !net::parse_url(o.ws_url)) {
    return Error(ErrorCode::invalid_argument, "bad --rest-url or --ws-url");
  }
  return start_gateway<BinanceGateway>(std::move(o), m);
}

}  // namespace ot::binance
