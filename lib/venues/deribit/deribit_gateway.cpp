// ot-exec's gateway to Deribit: JSON-RPC 2.0 over one WebSocket.
// public/auth with client_signature; private/buy and private/sell with our
// client order id as the label; cancels and amends by label
// (private/cancel_by_label, private/edit_by_label); executions from the
// user.orders and user.trades notifications (acks, amends, cancels and
// rejects from the first, fills with price, amount, fee and liquidity from
// the second). Heartbeats: public/set_heartbeat and an answer to every
// test_request. Rate limits: a local budget of orders per 10 s, and
// too_many_requests (10028) answered by backing off. On reconnect the
// session authenticates, resubscribes and asks for the state of every open
// order (private/get_order_state_by_label); fills it missed are reported as
// one fill for the difference.
#include "venues/deribit/deribit_gateway.h"

#include <fmt/format.h>

#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <deque>
#include <map>
#include <random>

#include "core/amount.h"
#include "core/time.h"
#include "net/client.h"
#include "venues/deribit/deribit_orders.h"

namespace ot::deribit {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

class DeribitGateway final : public ThreadedGateway {
 public:
  explicit DeribitGateway(GatewayOptions o)
      : o_(std::move(o)),
        tls_(net::make_client_tls(o_.ca_file)),
        url_(*net::parse_url(o_.ws_url)),
        budget_(per_10s()) {
    if (url_.target == "/") url_.target = "/ws/api/v2";
  }
  ~DeribitGateway() override { stop(); }

  void submit(const Order& o) override {
    ++in_flight_;
    post([this, order = OwnedOrder(o)]() mutable {
      send_order(std::make_shared<OwnedOrder>(std::move(order)));
    });
  }
  void cancel(const Cancel& c) override {
    ++in_flight_;
    post([this, id = std::string(c.id)] {
      call("private/cancel_by_label", fmt::format(R"({{"label":"{}"}})", id),
           Pending{Pending::cancel, id});
    });
  }
  void amend(const Amend& a) override {
    ++in_flight_;
    post([this, id = std::string(a.id), qty = a.qty, price = a.price] {
      auto it = known_.find(id);
      if (it == known_.end()) {
        --in_flight_;
        return report_status("deribit", "", "amend_reject", id + ": not an order of this gateway");
      }
      const Order o = it->second.order->view();
      std::string p = fmt::format(R"({{"label":"{}","instrument_name":"{}","amount":{})", id,
                                  o.symbol, qty.value_or(it->second.qty).to_string());
      const std::optional<Decimal> px = price ? price : it->second.price;
      if (px) p += ",\"price\":" + px->to_string();
      call("private/edit_by_label", p + "}", Pending{Pending::amend, id});
    });
  }
  void restore(const TrackedOrder& t) override {
    post([this, order = OwnedOrder(t.as_order()), filled = t.filled]() mutable {
      Known& k = known_[order.id];
      k.order = std::make_shared<OwnedOrder>(std::move(order));
      k.qty = k.order->order.qty;
      k.price = k.order->order.price;
      k.filled = filled;
      k.acked = true;
    });
  }
  bool busy() const override { return in_flight_.load() > 0 || (has_open_ && !up_); }

 private:
  struct Pending {
    enum Kind { order, cancel, amend, query, other } kind = other;
    std::string label;
  };
  struct Known {
    std::shared_ptr<OwnedOrder> order;
    Decimal qty, filled{0, 0};
    std::optional<Decimal> price;
    Amount notional;
    bool acked = false, final = false;
  };

  double per_10s() const { return o_.orders_per_10s > 0 ? o_.orders_per_10s : 100; }

  void run() override {
    wake_ = std::make_unique<asio::steady_timer>(io());
    asio::co_spawn(io(), session(), asio::detached);
    asio::co_spawn(io(), writer(), asio::detached);
    asio::co_spawn(io(), expire_waiting(), asio::detached);
  }

  asio::awaitable<void> expire_waiting() {
    for (;;) {
      asio::steady_timer t(io());
      t.expires_after(200ms);
      co_await t.async_wait(asio::use_awaitable);
      while (!waiting_.empty() && mono_ns() - waiting_.front().second > 5'000'000'000) {
        --in_flight_;
        reject(*waiting_.front().first, "not sent: no Deribit session for 5 s");
        waiting_.pop_front();
      }
    }
  }

  // ---- requests ----
  void call(std::string_view method, const std::string& params, Pending p) {
    const std::int64_t id = next_id_++;
    pending_[id] = std::move(p);
    outbox_.push_back(fmt::format(R"({{"jsonrpc":"2.0","id":{},"method":"{}","params":{}}})", id,
                                  method, params));
    wake_->cancel();
  }

  void reject(const OwnedOrder& o, std::string reason) {
    report_reject(o, "deribit", std::move(reason));
  }

  void send_order(std::shared_ptr<OwnedOrder> o) {
    if (known_.count(o->id) != 0) {
      --in_flight_;
      return;  // never twice
    }
    if (!up_) {
      // Sent once the session is up; rejected if that takes over 5 s.
      waiting_.emplace_back(std::move(o), mono_ns());
      return;
    }
    if (mono_ns() < backoff_until_) {
      --in_flight_;
      return reject(*o, "not sent: the venue asked to back off (too_many_requests)");
    }
    if (!budget_.take()) {
      --in_flight_;
      return reject(
          *o, fmt::format("not sent: order rate budget of {} per 10 s spent", budget_.per_10s()));
    }
    Known& k = known_[o->id];
    k.order = o;
    k.qty = o->order.qty;
    k.price = o->order.price;
    has_open_ = true;
    call(o->order.side == Side::buy ? "private/buy" : "private/sell", order_params(o->view()),
         Pending{Pending::order, o->id});
  }

  asio::awaitable<void> writer() {
    for (;;) {
      if (outbox_.empty() || !ws_ || !up_writer_) {
        wake_->expires_after(1h);
        co_await wake_->async_wait(asio::as_tuple(asio::use_awaitable));
        continue;
      }
      std::string msg = std::move(outbox_.front());
      outbox_.pop_front();
      try {
        co_await ws_->write(msg);
      } catch (const std::exception&) {
        up_writer_ = false;  // the session loop reconnects
      }
    }
  }

  // ---- the session ----
  asio::awaitable<void> session() {
    int attempt = 0;
    for (;;) {
      ws_ = std::make_unique<net::WsClient>(io().get_executor(), tls_);
      try {
        co_await ws_->connect(url_, 10s);
        // Authenticate before anything else is written.
        const std::int64_t ts = now_ns() / 1'000'000;
        const std::string nonce = fmt::format("{:016x}", std::random_device{}() * 2654435761ULL);
        const std::string sig = client_signature(o_.credentials.secret, ts, nonce, "");
        co_await ws_->write(fmt::format(
            R"({{"jsonrpc":"2.0","id":0,"method":"public/auth","params":{{"grant_type":"client_signature","client_id":"{}","timestamp":{},"signature":"{}","nonce":"{}","data":""}}}})",
            o_.credentials.key, ts, sig, nonce));
        std::string first = co_await ws_->read();
        if (first.find("\"error\"") != std::string::npos) {
          report_status("deribit", "", "error", "authentication refused: " + first.substr(0, 200));
          throw std::runtime_error("authentication refused");
        }
        co_await ws_->write(
            R"({"jsonrpc":"2.0","id":1,"method":"private/subscribe","params":{"channels":["user.orders.any.any.raw","user.trades.any.any.raw"]}})");
        co_await ws_->write(
            R"({"jsonrpc":"2.0","id":2,"method":"public/set_heartbeat","params":{"interval":10}})");
        attempt = 0;
        up_ = up_writer_ = true;
        report_status("deribit", "", "connected", "private session");
        // What happened to open orders while we were away.
        for (auto it = known_.begin(); it != known_.end(); ++it) {
          if (it->second.order && !it->second.final && it->second.acked) {
            const std::string cur =
                it->second.order->symbol.substr(0, it->second.order->symbol.find('-'));
            call("private/get_order_state_by_label",
                 fmt::format(R"({{"currency":"{}","label":"{}"}})", cur, it->first),
                 Pending{Pending::query, it->first});
            ++in_flight_;
          }
        }
        auto waiting = std::move(waiting_);
        waiting_.clear();
        for (auto& w : waiting) send_order(std::move(w.first));
        wake_->cancel();
        for (;;) {
          const std::string text = co_await ws_->read();
          on_message(text);
        }
      } catch (const std::exception& e) {
        report_status("deribit", "", "disconnected", std::string("private session: ") + e.what());
      }
      up_ = up_writer_ = false;
      // Requests that will never be answered.
      for (auto it = pending_.begin(); it != pending_.end(); ++it) {
        if (it->second.kind == Pending::order) {
          auto k = known_.find(it->second.label);
          if (k != known_.end() && !k->second.acked) {
            reject(*k->second.order, "the session dropped before the venue answered");
            k->second.final = true;
          }
        }
        if (it->second.kind != Pending::other) --in_flight_;
      }
      pending_.clear();
      outbox_.clear();
      asio::steady_timer t(io());
      t.expires_after(reconnect_delay(attempt++));
      co_await t.async_wait(asio::use_awaitable);
    }
  }

  void on_message(const std::string& text) {
    if (text.find("\"test_request\"") != std::string::npos) {
      outbox_.push_back(R"({"jsonrpc":"2.0","id":3,"method":"public/test","params":{}})");
      wake_->cancel();
      return;
    }
    if (text.find("\"method\":\"subscription\"") != std::string::npos) {
      for (auto& ev : parse_private(text)) on_private(ev);
      return;
    }
    auto answer = parse_rpc_answer(text);
    if (!answer) return;
    auto it = pending_.find(answer->id);
    if (it == pending_.end()) return;
    const Pending pend = it->second;
    pending_.erase(it);
    if (pend.kind != Pending::other) --in_flight_;
    if (answer->failed) {
      const std::string text_err = answer->error_text();
      if (answer->error_code == 10028) {
        backoff_until_ = mono_ns() + 1'000'000'000;
        report_status("deribit", "", "rate_limited", "too_many_requests: backing off for 1 s");
      }
      auto k = known_.find(pend.label);
      if (pend.kind == Pending::order && k != known_.end()) {
        k->second.final = true;
        reject(*k->second.order, text_err);
      } else if (pend.kind == Pending::cancel) {
        report_status("deribit", "", "cancel_reject", pend.label + ": " + text_err);
      } else if (pend.kind == Pending::amend) {
        report_status("deribit", "", "amend_reject", pend.label + ": " + text_err);
      }
      return;
    }
    if (pend.kind == Pending::cancel && answer->result == "0") {
      report_status("deribit", "", "cancel_reject", pend.label + ": not open at the venue");
    }
    if (pend.kind == Pending::query) reconcile(pend.label, answer->result);
  }

  void reconcile(const std::string& label, std::string_view result) {
    auto k = known_.find(label);
    if (k == known_.end()) return;
    auto states = parse_order_states(result);
    if (!states) {
      report_status("deribit", "", "error",
                    label + ": unreadable order state after a reconnect: " +
                        std::string(result.substr(0, 200)));
      return;
    }
    if (states->empty()) {
      k->second.final = true;
      return reject(*k->second.order, "not at the venue (the request did not arrive)");
    }
    // As an order notification, with a fill for what we missed.
    PrivateEvent& ev = states->front();
    Known& kn = k->second;
    if (auto m = missed_fill(ev.exec.filled, ev.exec.avg_price, kn.filled, kn.notional)) {
      PrivateEvent fill = ev;
      fill.is_trade = true;
      fill.state = is_final(ev.exec.status) ? "filled" : "open";
      fill.exec.qty = m->qty;
      fill.exec.price = m->price;
      fill.exec.fee = Decimal{0, 0};
      on_private(fill, "reconciled after a reconnect");
    }
    on_private(ev);
  }

  void on_private(PrivateEvent& ev, std::string reason = {}) {
    auto k = known_.find(ev.label);
    if (k == known_.end() || !k->second.order) return;  // not placed by us
    Known& kn = k->second;
    OwnedExec e;
    e.id = ev.label;
    e.venue = "deribit";
    e.symbol = ev.symbol;
    e.venue_id = ev.order_id;
    e.trade_id = ev.trade_id;
    e.strategy = kn.order->strategy;
    e.reason = std::move(reason);
    e.exec = ev.exec;
    e.exec.order_price = kn.price;
    if (ev.is_trade) {
      if (!ev.exec.qty || !ev.exec.price) return;
      kn.filled = add(kn.filled, *ev.exec.qty);
      kn.notional += Amount::product(*ev.exec.price, *ev.exec.qty);
      kn.acked = true;
      const bool done = ev.state == "filled" || compare(kn.filled, kn.qty) >= 0;
      e.exec.status = done ? ExecStatus::filled : ExecStatus::partial;
      e.exec.filled = kn.filled;
      e.exec.leaves = done ? Decimal{0, kn.qty.scale} : sub(kn.qty, kn.filled);
      e.exec.avg_price = kn.notional.divided_by(Amount::of(kn.filled)).to_decimal(8);
      if (done) kn.final = true;
      return report(std::move(e));
    }
    // Order states: acks, amends, cancels, rejects (fills come as trades).
    if (ev.exec.status == ExecStatus::filled) return;
    if (is_final(ev.exec.status)) {
      if (kn.final) return;
      kn.final = true;
      if (e.reason.empty())
        e.reason = ev.exec.status == ExecStatus::canceled ? "canceled" : "rejected";
      e.exec.filled = kn.filled;
      return report(std::move(e));
    }
    const Decimal qty = add(ev.exec.filled, ev.exec.leaves);
    const bool amended =
        kn.acked && (compare(qty, kn.qty) != 0 || (ev.exec.order_price && kn.price &&
                                                   compare(*ev.exec.order_price, *kn.price) != 0));
    if (kn.acked && !amended) return;  // nothing new (or a repeat)
    kn.acked = true;
    kn.qty = qty;
    if (ev.exec.order_price) kn.price = ev.exec.order_price;
    e.exec.order_price = kn.price;
    e.exec.filled = kn.filled;
    e.exec.leaves = sub(kn.qty, kn.filled);
    e.exec.status = kn.filled.is_zero() ? ExecStatus::new_ : ExecStatus::partial;
    e.exec.qty.reset();
    e.exec.price.reset();
    if (amended && e.reason.empty()) e.reason = "amended";
    report(std::move(e));
  }

  GatewayOptions o_;
  asio::ssl::context tls_;
  net::Url url_;
  std::unique_ptr<net::WsClient> ws_;
  std::unique_ptr<asio::steady_timer> wake_;
  std::deque<std::string> outbox_;
  std::deque<std::pair<std::shared_ptr<OwnedOrder>, Nanos>> waiting_;
  std::map<std::int64_t, Pending> pending_;
  std::map<std::string, Known> known_;
  std::int64_t next_id_ = 100;
  bool up_ = false, up_writer_ = false, has_open_ = false;
  Nanos backoff_until_ = 0;
  OrderBudget budget_;
  std::atomic<int> in_flight_{0};
};

}  // namespace

Result<std::unique_ptr<Gateway>> make_gateway(GatewayOptions o) {
  if (o.ws_url.empty()) o.ws_url = "wss://www.deribit.com/ws/api/v2";
  if (!net::parse_url(o.ws_url)) {
    return Error(ErrorCode::invalid_argument, "bad --ws-url");
  }
  return start_gateway<DeribitGateway>(std::move(o));
}

}  // namespace ot::deribit
