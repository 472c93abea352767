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
#include "venues/alpaca/alpaca_orders.h"

namespace ot::alpaca {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class AlpacaGateway final : public RestGateway {
 public:
  explicit AlpacaGateway(GatewayOptions o)
      : RestGateway("alpaca"),
        o_(std::move(o)),
        tls_(net::make_client_tls(o_.ca_file)),
        rest_url_(*net::parse_url(o_.rest_url)),
        ws_url_(*net::parse_url(o_.ws_url)),
        budget_(o_.orders_per_10s > 0 ? o_.orders_per_10s : 33) {
    if (ws_url_.target == "/") ws_url_.target = "/stream";
  }
  ~AlpacaGateway() override { stop(); }

  void restore(const TrackedOrder& t) override {
    post_query(t.id, [this, order = OwnedOrder(t.as_order()), filled = t.filled,
                      notional = t.notional, venue_id = t.venue_id]() mutable {
      Known& k = known_[order.id];
      k.order = std::make_shared<OwnedOrder>(std::move(order));
      k.filled = filled;
      k.notional = notional;
      k.venue_id = venue_id;
      if (!venue_id.empty()) by_venue_id_[venue_id] = k.order->id;
    });
  }

 private:
  struct Known {
    std::shared_ptr<OwnedOrder> order;
    std::string venue_id;  // the latest in a chain of replacements
    Decimal filled{0, 0};
    Amount notional;
    bool final = false;
  };

  void run() override {
    http_ = std::make_unique<net::HttpClient>(io().get_executor(), rest_url_, tls_);
    start_requests();
    asio::co_spawn(io(), stream_loop(), asio::detached);
  }

  net::Headers headers() const {
    net::Headers h;
    h.emplace_back("APCA-API-KEY-ID", o_.credentials.key);
    h.emplace_back("APCA-API-SECRET-KEY", o_.credentials.secret);
    h.emplace_back("Content-Type", "application/json");
    return h;
  }

  void reject(const OwnedOrder& o, std::string reason) {
    known_[o.id].final = true;
    report_reject(o, "alpaca", std::move(reason));
  }

  void note_rate_limit(const net::Response& res) {
    if (res.status != 429) return;
    backoff_until_ = mono_ns() + 2'000'000'000;
    report_status("alpaca", "", "rate_limited", "HTTP 429: backing off for 2 s");
  }

  asio::awaitable<void> handle(Request& r) override {
    if (r.kind == Request::submit) {
      const OwnedOrder& o = *r.order;
      if (known_.count(o.id) != 0 && known_[o.id].order) co_return;  // never twice
      known_[o.id].order = r.order;
      if (o.order.tif == Tif::post_only) {
        reject(o, "not sent: alpaca has no post-only orders");
        co_return;
      }
      if (mono_ns() < backoff_until_) {
        reject(o, "not sent: the venue asked to back off");
        co_return;
      }
      if (!budget_.take()) {
        reject(o,
               fmt::format("not sent: order rate budget of {} per 10 s spent", budget_.per_10s()));
        co_return;
      }
      net::Response res =
          co_await http_->request("POST", "/v2/orders", headers(), order_body(o.view()), 10s);
      note_rate_limit(res);
      if (res.status != 200) {
        reject(o, error_text(res.status, res.body));
        co_return;
      }
      if (auto st = parse_order(res.body)) learn(o.id, st->venue_id);
      co_return;
    }
    auto it = known_.find(r.id);
    if (it == known_.end() || !it->second.order) {
      report_status("alpaca", "", r.kind == Request::amend ? "amend_reject" : "cancel_reject",
                    r.id + ": not an order of this gateway");
      co_return;
    }
    Known& k = it->second;
    const OwnedOrder& o = *k.order;
    if (r.kind == Request::query) co_return co_await reconcile(k);
    if (k.venue_id.empty()) {
      // Not acknowledged yet: learn its venue id first.
      co_await reconcile(k);
      if (k.venue_id.empty()) {
        report_status("alpaca", o.symbol,
                      r.kind == Request::cancel ? "cancel_reject" : "amend_reject",
                      o.id + ": the venue does not know the order");
        co_return;
      }
    }
    const std::string path = "/v2/orders/" + k.venue_id;
    if (r.kind == Request::cancel) {
      net::Response res = co_await http_->request("DELETE", path, headers(), "", 10s);
      note_rate_limit(res);
      if (res.status != 204 && res.status != 200) {
        report_status("alpaca", o.symbol, "cancel_reject",
                      o.id + ": " + error_text(res.status, res.body));
      }
      co_return;
    }
    std::string body = "{";
    if (r.qty) body += fmt::format(R"("qty":"{}")", r.qty->to_string());
    if (r.price)
      body += fmt::format(R"({}"limit_price":"{}")", r.qty ? "," : "", r.price->to_string());
    body += "}";
    net::Response res = co_await http_->request("PATCH", path, headers(), body, 10s);
    note_rate_limit(res);
    if (res.status != 200) {
      report_status("alpaca", o.symbol, "amend_reject",
                    o.id + ": " + error_text(res.status, res.body));
      co_return;
    }
    if (auto st = parse_order(res.body)) learn(o.id, st->venue_id);
  }

  // The venue's id of our order `id` (the newest replacement).
  void learn(const std::string& id, const std::string& venue_id) {
    if (venue_id.empty()) return;
    known_[id].venue_id = venue_id;
    by_venue_id_[venue_id] = id;
  }

  asio::awaitable<void> reconcile(Known& k) {
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
    const Decimal missed = sub(st->exec.filled, k.filled);
    if (missed.mantissa > 0 && st->exec.avg_price) {
      const Amount value = Amount::product(*st->exec.avg_price, st->exec.filled) - k.notional;
      st->exec.qty = missed;
      st->exec.price = value.divided_by(Amount::of(missed)).to_decimal(8);
      st->reason = "reconciled after a reconnect";
    }
    st->client_id = o.id;
    st->bind();
    on_event(*st);
  }

  asio::awaitable<void> stream_loop() {
    int attempt = 0;
    for (;;) {
      net::WsClient ws(io().get_executor(), tls_);
      try {
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
        attempt = 0;
        stream_up_ = true;
        report_status("alpaca", "", "connected", "trade_updates stream");
        for (auto it = known_.begin(); it != known_.end(); ++it) {
          if (it->second.order && !it->second.final) {
            query(it->first);
          }
        }
        reconnecting_ = false;
        for (;;) {
          const std::string text = co_await ws.read();
          for (auto& st : parse_trade_update(text)) on_event(st);
        }
      } catch (const std::exception& e) {
        report_status("alpaca", "", "disconnected", std::string("trade_updates: ") + e.what());
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

  void on_event(OrderState& st) {
    // Ours by client id, or by the venue id of an order it replaces.
    std::string id = st.client_id;
    if (known_.count(id) == 0 || !known_[id].order) {
      auto v = by_venue_id_.find(st.replaces.empty() ? st.venue_id : st.replaces);
      if (v == by_venue_id_.end()) return;  // not placed by us
      id = v->second;
    }
    Known& k = known_[id];
    if (!k.order || k.final) return;
    learn(id, st.venue_id);
    if (st.exec.qty && st.exec.price) k.notional += Amount::product(*st.exec.price, *st.exec.qty);
    k.filled = st.exec.filled;
    if (is_final(st.exec.status)) k.final = true;
    OwnedExec e;
    e.id = id;
    e.venue = "alpaca";
    e.symbol = st.symbol;
    e.reason = st.reason;
    e.venue_id = st.venue_id;
    e.trade_id = st.trade_id;
    e.strategy = k.order->strategy;
    e.exec = st.exec;
    report(std::move(e));
  }

  GatewayOptions o_;
  asio::ssl::context tls_;
  net::Url rest_url_, ws_url_;
  std::unique_ptr<net::HttpClient> http_;
  std::map<std::string, Known> known_;
  std::map<std::string, std::string> by_venue_id_;
  Nanos backoff_until_ = 0;
  OrderBudget budget_;
};

}  // namespace

std::unique_ptr<Gateway> make_gateway(GatewayOptions o, std::string& error) {
  if (o.rest_url.empty()) o.rest_url = "https://paper-api.alpaca.markets";
  if (o.ws_url.empty()) o.ws_url = "wss://paper-api.alpaca.markets/stream";
  if (!net::parse_url(o.rest_url) || !net::parse_url(o.ws_url)) {
    error = "bad --rest-url or --ws-url";
    return nullptr;
  }
  return start_gateway<AlpacaGateway>(std::move(o));
}

}  // namespace ot::alpaca
