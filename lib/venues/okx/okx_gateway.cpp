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

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <map>

#include "core/amount.h"
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
  explicit OkxGateway(GatewayOptions o)
      : RestGateway("okx"),
        o_(std::move(o)),
        tls_(net::make_client_tls(o_.ca_file)),
        rest_url_(*net::parse_url(o_.rest_url)),
        ws_url_(*net::parse_url(o_.ws_url)),
        budget_(per_10s()) {
    if (ws_url_.target == "/") ws_url_.target = "/ws/v5/private";
  }
  ~OkxGateway() override { stop(); }

  void restore(const TrackedOrder& t) override {
    post_query(t.id, [this, order = OwnedOrder(t.as_order()), filled = t.filled]() mutable {
      Known& k = known_[order.id];
      k.order = std::make_shared<OwnedOrder>(std::move(order));
      k.filled = filled;
    });
  }

 private:
  struct Known {
    std::shared_ptr<OwnedOrder> order;
    Decimal filled{0, 0};
    Amount notional;
    bool final = false;
  };

  double per_10s() const { return o_.orders_per_10s > 0 ? o_.orders_per_10s : 300; }

  void run() override {
    http_ = std::make_unique<net::HttpClient>(io().get_executor(), rest_url_, tls_);
    start_requests();
    asio::co_spawn(io(), stream_loop(), asio::detached);
  }

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

  void reject(const OwnedOrder& o, std::string reason) {
    known_[o.id].final = true;
    report_reject(o, "okx", std::move(reason));
  }

  static std::string failure(const net::Response& r) { return answer_failure(r.status, r.body); }

  asio::awaitable<void> handle(Request& r) override {
    if (r.kind == Request::submit) {
      const OwnedOrder& o = *r.order;
      if (known_.count(o.id) != 0 && known_[o.id].order) co_return;  // never twice
      known_[o.id].order = r.order;
      if (mono_ns() < backoff_until_) {
        reject(o, "not sent: the venue asked to back off");
        co_return;
      }
      if (!budget_.take()) {
        reject(o,
               fmt::format("not sent: order rate budget of {} per 10 s spent", budget_.per_10s()));
        co_return;
      }
      const std::string path = "/api/v5/trade/order", body = order_body(o.view());
      const net::Headers h = auth("POST", path, body);
      net::Response res = co_await http_->request("POST", path, h, body, 10s);
      if (res.status == 429) {
        backoff_until_ = mono_ns() + 2'000'000'000;
        report_status("okx", "", "rate_limited", "HTTP 429: backing off for 2 s");
      }
      const std::string why = failure(res);
      if (!why.empty()) reject(o, why);
      co_return;
    }
    auto it = known_.find(r.id);
    if (it == known_.end() || !it->second.order) {
      report_status("okx", "", r.kind == Request::amend ? "amend_reject" : "cancel_reject",
                    r.id + ": not an order of this gateway");
      co_return;
    }
    const OwnedOrder& o = *it->second.order;
    if (r.kind == Request::query) co_return co_await reconcile(it->second);
    std::string path, body;
    if (r.kind == Request::cancel) {
      path = "/api/v5/trade/cancel-order";
      body = fmt::format(R"({{"instId":"{}","clOrdId":"{}"}})", o.symbol, o.id);
    } else {
      path = "/api/v5/trade/amend-order";
      body = fmt::format(R"({{"instId":"{}","clOrdId":"{}")", o.symbol, o.id);
      if (r.qty) body += fmt::format(R"(,"newSz":"{}")", r.qty->to_string());
      if (r.price) body += fmt::format(R"(,"newPx":"{}")", r.price->to_string());
      body += "}";
    }
    const net::Headers h = auth("POST", path, body);
    net::Response res = co_await http_->request("POST", path, h, body, 10s);
    const std::string why = failure(res);
    if (!why.empty()) {
      report_status("okx", o.symbol, r.kind == Request::cancel ? "cancel_reject" : "amend_reject",
                    o.id + ": " + why);
    }
  }

  asio::awaitable<void> reconcile(Known& k) {
    const OwnedOrder& o = *k.order;
    const std::string path =
        fmt::format("/api/v5/trade/order?instId={}&clOrdId={}", o.symbol, o.id);
    const net::Headers h = auth("GET", path, "");
    net::Response res = co_await http_->request("GET", path, h, "", 10s);
    if (res.body.find("\"51603\"") != std::string::npos) {
      reject(o, "not at the venue (the request did not arrive)");
      co_return;
    }
    for (auto& ev : parse_orders(res.body)) {
      const Decimal missed = sub(ev.exec.filled, k.filled);
      if (missed.mantissa > 0 && ev.exec.avg_price) {
        const Amount value = Amount::product(*ev.exec.avg_price, ev.exec.filled) - k.notional;
        ev.exec.qty = missed;
        ev.exec.price = value.divided_by(Amount::of(missed)).to_decimal(8);
        ev.exec.fee = Decimal{0, 0};
        ev.reason = "reconciled after a reconnect";
      } else {
        ev.exec.qty.reset();
        ev.exec.price.reset();
      }
      on_event(ev);
    }
  }

  asio::awaitable<void> stream_loop() {
    int attempt = 0;
    for (;;) {
      net::WsClient ws(io().get_executor(), tls_);
      try {
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
        attempt = 0;
        stream_up_ = true;
        report_status("okx", "", "connected", "private orders channel");
        for (auto it = known_.begin(); it != known_.end(); ++it) {
          if (it->second.order && !it->second.final) {
            query(it->first);
          }
        }
        reconnecting_ = false;
        Nanos last_ping = mono_ns();
        for (;;) {
          const std::string text = co_await ws.read();
          if (mono_ns() - last_ping > 20'000'000'000) {  // keep the session alive
            co_await ws.write("ping");
            last_ping = mono_ns();
          }
          if (text == "pong") continue;
          for (auto& ev : parse_orders(text)) on_event(ev);
        }
      } catch (const std::exception& e) {
        report_status("okx", "", "disconnected", std::string("private channel: ") + e.what());
        stream_failed_ = true;
        for (auto it = known_.begin(); it != known_.end(); ++it) {
          if (it->second.order && !it->second.final) reconnecting_ = true;
        }
      }
      ws.close();
      asio::steady_timer t(io());
      t.expires_after(reconnect_delay(attempt++));
      co_await t.async_wait(asio::use_awaitable);
    }
  }

  void on_event(OrderEvent& ev) {
    auto it = known_.find(ev.id);
    if (it == known_.end() || !it->second.order) return;  // not placed by us
    Known& k = it->second;
    if (k.final) return;
    if (ev.exec.qty && ev.exec.price) k.notional += Amount::product(*ev.exec.price, *ev.exec.qty);
    k.filled = ev.exec.filled;
    if (is_final(ev.exec.status)) k.final = true;
    OwnedExec e;
    e.id = ev.id;
    e.venue = "okx";
    e.symbol = ev.symbol;
    e.reason = ev.reason;
    e.venue_id = ev.venue_id;
    e.trade_id = ev.trade_id;
    e.strategy = k.order->strategy;
    e.exec = ev.exec;
    report(std::move(e));
  }

  GatewayOptions o_;
  asio::ssl::context tls_;
  net::Url rest_url_, ws_url_;
  std::unique_ptr<net::HttpClient> http_;
  std::map<std::string, Known> known_;
  Nanos backoff_until_ = 0;
  OrderBudget budget_;
};

}  // namespace

std::unique_ptr<Gateway> make_gateway(GatewayOptions o, std::string& error) {
  if (o.rest_url.empty()) o.rest_url = "https://www.okx.com";
  if (o.ws_url.empty()) o.ws_url = "wss://ws.okx.com:8443/ws/v5/private";
  if (!net::parse_url(o.rest_url) || !net::parse_url(o.ws_url)) {
    error = "bad --rest-url or --ws-url";
    return nullptr;
  }
  if (o.credentials.passphrase.empty()) {
    error = "OKX needs a passphrase: set OT_OKX_PASSPHRASE or put passphrase = … in the key file";
    return nullptr;
  }
  return start_gateway<OkxGateway>(std::move(o));
}

}  // namespace ot::okx
