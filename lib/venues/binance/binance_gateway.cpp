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

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <map>

#include "core/amount.h"
#include "core/time.h"
#include "net/client.h"
#include "venues/binance/binance_orders.h"

namespace ot::binance {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

ApiError api_error(const net::Response& r) { return parse_api_error(r.status, r.body); }

class BinanceGateway final : public RestGateway {
 public:
  BinanceGateway(Market market, GatewayOptions o)
      : RestGateway(std::string(venue_name(market))),
        market_(market),
        o_(std::move(o)),
        tls_(net::make_client_tls(o_.ca_file)),
        rest_url_(*net::parse_url(o_.rest_url)),
        ws_url_(*net::parse_url(o_.ws_url)),
        budget_(per_10s()) {}
  ~BinanceGateway() override { stop(); }

  // ---- engine thread ----
  void restore(const TrackedOrder& t) override {
    post_query(t.id, [this, order = OwnedOrder(t.as_order()), filled = t.filled,
                      status = t.status]() mutable {
      auto& k = known_[order.id];
      k.order = std::make_shared<OwnedOrder>(std::move(order));
      k.filled = filled;
      k.status = status;
      k.notional = Amount{};
    });
  }

 private:
  struct Known {
    std::shared_ptr<OwnedOrder> order;
    Decimal filled{0, 0};
    Amount notional;
    ExecStatus status = ExecStatus::new_;
  };

  double per_10s() const {
    if (o_.orders_per_10s > 0) return o_.orders_per_10s;
    return market_ == Market::spot ? 50 : 300;  // Binance's documented order limits
  }

  // ---- network thread ----
  void run() override {
    http_ = std::make_unique<net::HttpClient>(io().get_executor(), rest_url_, tls_);
    // Listen keys on their own connection: one request at a time on each.
    key_http_ = std::make_unique<net::HttpClient>(io().get_executor(), rest_url_, tls_);
    start_requests();
    asio::co_spawn(io(), stream_loop(), asio::detached);
    asio::co_spawn(io(), keepalive_loop(), asio::detached);
  }

  std::string venue() const { return std::string(venue_name(market_)); }

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
      backoff_until_ = mono_ns() + static_cast<Nanos>(s) * 1'000'000'000;
      report_status(venue(), "", "rate_limited",
                    fmt::format("HTTP {}: backing off for {} s", r.status, s));
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

  void reject(const OwnedOrder& o, std::string reason) {
    known_[o.id].status = ExecStatus::rejected;
    report_reject(o, o.venue, std::move(reason));
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

  asio::awaitable<void> handle(Request& r) override {
    const OrderApi api = order_api(market_);
    if (r.kind == Request::submit) {
      const OwnedOrder& o = *r.order;
      if (known_.count(o.id) != 0 && known_[o.id].order) {
        co_return;  // already sent: never twice
      }
      if (mono_ns() < backoff_until_) {
        reject(o, fmt::format("not sent: the venue asked to back off ({} s left)",
                              (backoff_until_ - mono_ns()) / 1'000'000'000 + 1));
        co_return;
      }
      if (!budget_.take()) {
        reject(o,
               fmt::format("not sent: order rate budget of {} per 10 s spent", budget_.per_10s()));
        co_return;
      }
      known_[o.id].order = r.order;
      const std::string params = new_order_params(o.view(), market_);
      net::Response res = co_await signed_request("POST", api.order, params);
      if (res.status == 400 && api_error(res).code == -1021) {
        co_await sync_clock();
        res = co_await signed_request("POST", api.order, params);
      }
      if (res.status != 200) {
        reject(o, api_error(res).text());
      }
      // Success: the user data stream reports the order's life.
      co_return;
    }
    auto it = known_.find(r.id);
    if (it == known_.end() || !it->second.order) {
      report_status(venue(), "", r.kind == Request::amend ? "amend_reject" : "cancel_reject",
                    r.id + ": not an order of this gateway");
      co_return;
    }
    const OwnedOrder& o = *it->second.order;
    const std::string base = fmt::format("symbol={}&origClientOrderId={}", o.symbol, o.id);
    if (r.kind == Request::cancel) {
      net::Response res = co_await signed_request("DELETE", api.order, base);
      if (res.status != 200) {
        report_status(venue(), o.symbol, "cancel_reject", o.id + ": " + api_error(res).text());
      }
    } else if (r.kind == Request::amend) {
      const Decimal qty = r.qty.value_or(o.order.qty);
      const std::optional<Decimal> price = r.price ? r.price : o.order.price;
      std::string params =
          base + fmt::format("&side={}&quantity={}", o.order.side == Side::buy ? "BUY" : "SELL",
                             qty.to_string());
      if (price) params += "&price=" + price->to_string();
      net::Response res = co_await signed_request("PUT", api.order, params);
      if (res.status != 200) {
        report_status(venue(), o.symbol, "amend_reject", o.id + ": " + api_error(res).text());
      }
    } else {
      co_await reconcile_one(it->second);
    }
  }

  // Asks the venue for an order's state and reports what we missed.
  asio::awaitable<void> reconcile_one(Known& k) {
    const OwnedOrder& o = *k.order;
    const OrderApi api = order_api(market_);
    net::Response res = co_await signed_request(
        "GET", api.order, fmt::format("symbol={}&origClientOrderId={}", o.symbol, o.id));
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
    e.id = o.id;
    e.venue = o.venue;
    e.symbol = o.symbol;
    e.strategy = o.strategy;
    e.exec.side = o.order.side;
    e.exec.filled = a->filled;
    e.exec.order_price = o.order.price;
    e.exec.avg_price = a->avg_price;
    e.exec.ts = now_ns();
    e.exec.status = a->status;
    e.exec.leaves = a->leaves;
    // Fills we did not hear about: one report for the difference, at the
    // average price of what was missed.
    const Decimal missed = sub(a->filled, k.filled);
    if (missed.mantissa > 0 && a->avg_price) {
      const Amount total = Amount::product(*a->avg_price, a->filled);
      const Amount missed_value = total - k.notional;
      e.exec.qty = missed;
      e.exec.price = missed_value.divided_by(Amount::of(missed)).to_decimal(8);
      e.reason = "reconciled after a reconnect";
    }
    k.filled = a->filled;
    k.status = e.exec.status;
    report(std::move(e));
  }

  asio::awaitable<void> stream_loop() {
    const OrderApi api = order_api(market_);
    int attempt = 0;
    for (;;) {
      net::WsClient ws(io().get_executor(), tls_);
      try {
        net::Response r =
            co_await key_http_->request("POST", std::string(api.listen_key), key_header(), "", 10s);
        if (r.status != 200) throw std::runtime_error("listen key: " + api_error(r).text());
        simdjson::dom::parser p;
        listen_key_ = std::string(p.parse(r.body)["listenKey"].get_string().value());
        net::Url url = ws_url_;
        url.target = std::string(api.user_stream) + listen_key_;
        co_await ws.connect(url, 10s);
        attempt = 0;
        report_status(venue(), "", "connected", "user data stream");
        stream_up_ = true;
        // Anything that happened while we were away.
        // (No structured bindings here: GCC 12 miscompiles them in coroutines.)
        for (auto it = known_.begin(); it != known_.end(); ++it) {
          if (it->second.order && !is_final(it->second.status)) {
            query(it->first);
          }
        }
        reconnecting_ = false;
        for (;;) {
          const std::string text = co_await ws.read();
          on_stream(text);
        }
      } catch (const std::exception& e) {
        report_status(venue(), "", "disconnected", std::string("user data stream: ") + e.what());
        stream_failed_ = true;
        for (auto it = known_.begin(); it != known_.end(); ++it) {
          if (it->second.order && !is_final(it->second.status)) reconnecting_ = true;
        }
      }
      ws.close();
      asio::steady_timer t(io());
      t.expires_after(reconnect_delay(attempt++));
      co_await t.async_wait(asio::use_awaitable);
    }
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

  void on_stream(const std::string& text) {
    std::string kind;
    auto ev = parse_order_event(text, market_, &kind);
    if (!ev) {
      if (kind == "listenKeyExpired") {
        report_status(venue(), "", "disconnected", "listen key expired");
      }
      return;
    }
    auto it = known_.find(ev->id);
    if (it == known_.end() || !it->second.order) return;  // not placed by us
    Known& k = it->second;
    if (ev->exec.qty && ev->exec.price)
      k.notional += Amount::product(*ev->exec.price, *ev->exec.qty);
    k.filled = ev->exec.filled;
    k.status = ev->exec.status;
    OwnedExec e;
    e.id = ev->id;
    e.venue = venue();
    e.symbol = ev->symbol;
    e.reason = ev->reason;
    e.venue_id = ev->venue_id;
    e.trade_id = ev->trade_id;
    e.strategy = k.order->strategy;
    e.exec = ev->exec;
    report(std::move(e));
  }

  Market market_;
  GatewayOptions o_;
  asio::ssl::context tls_;
  net::Url rest_url_, ws_url_;
  std::unique_ptr<net::HttpClient> http_, key_http_;
  std::map<std::string, Known> known_;
  std::string listen_key_;
  std::int64_t clock_offset_ms_ = 0;
  int used_weight_ = 0;
  Nanos backoff_until_ = 0;
  OrderBudget budget_;
};

}  // namespace

std::unique_ptr<Gateway> make_gateway(Market m, GatewayOptions o, std::string& error) {
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
    error = "bad --rest-url or --ws-url";
    return nullptr;
  }
  return start_gateway<BinanceGateway>(std::move(o), m);
}

}  // namespace ot::binance
