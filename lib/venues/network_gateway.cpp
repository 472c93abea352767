#include "venues/network_gateway.h"

#include <fmt/format.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/time.h"
#include "net/busy_poll.h"
#include "net/client.h"

namespace ot {

bool OrderBudget::take() {
  const Nanos t = mono_ns();
  tokens_ = std::min(per_10s_, tokens_ + static_cast<double>(t - at_) * 1e-10 * per_10s_);
  at_ = t;
  if (tokens_ < 1) return false;
  tokens_ -= 1;
  return true;
}

std::chrono::milliseconds reconnect_delay(int attempt) {
  return std::chrono::milliseconds(std::min(30000, 250 << std::min(attempt, 7)));
}

void ThreadedGateway::report_reject(const OwnedOrder& o, std::string_view venue,
                                    std::string reason) {
  OwnedExec e;
  e.id = o.id;
  e.venue = venue;
  e.symbol = o.symbol;
  e.strategy = o.strategy;
  e.reason = std::move(reason);
  e.exec.side = o.order.side;
  e.exec.status = ExecStatus::rejected;
  e.exec.filled = Decimal{0, 0};
  e.exec.leaves = Decimal{0, 0};
  e.exec.order_price = o.order.price;
  e.exec.ts = now_ns();
  report(std::move(e));
}

ThreadedGateway::ThreadedGateway() : wake_fd_(::eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) {}

ThreadedGateway::~ThreadedGateway() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void ThreadedGateway::stop() {
  io_.stop();
  if (thread_.joinable()) thread_.join();
}

void ThreadedGateway::start(bool inline_io, bool busy) {
  busy_ = busy;
  if (busy_) net::set_busy_poll_usec(net::kBusyPollUsec);
  work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor());
  boost::asio::post(io_, [this] { run(); });
  inline_ = inline_io;
  if (inline_) {
    run_ready();
  } else {
    thread_ = std::thread([this] {
      if (busy_) {
        net::run_spinning(io_);
      } else {
        io_.run();
      }
    });
  }
}

void ThreadedGateway::post(std::function<void()> fn) {
  if (inline_ && !running_) {
    // The engine's thread is the network thread: run it now, not after a
    // turn of the event loop. (Gateways post only requests, which do not
    // depend on the handlers that may be ready.)
    fn();
    run_ready();
    return;
  }
  boost::asio::post(io_, std::move(fn));
  if (inline_) run_ready();
}

void ThreadedGateway::run_ready() {
  if (running_) return;  // the loop already running picks it up
  running_ = true;
  io_.poll();
  running_ = false;
  io_at_ = mono_ns();
}

bool ThreadedGateway::has_items() {
  std::lock_guard<std::mutex> lock(mu_);
  return !items_.empty();
}

bool ThreadedGateway::spin_io(const std::function<bool()>& ready, int timeout_ms) {
  const Nanos until = mono_ns() + Nanos{timeout_ms} * 1'000'000;
  running_ = inline_;
  bool got = false;
  for (unsigned i = 1; !(got = ready()) && !has_items(); ++i) {
    // Inline, the venue's sockets are polled here (epoll_wait with no
    // timeout); else the network thread spins on its own.
    if (inline_) io_.poll();
    if ((i & 63) == 0 && mono_ns() >= until) break;
  }
  running_ = false;
  if (inline_) io_at_ = mono_ns();
  return got;
}

bool ThreadedGateway::run_io(int fd, const std::function<bool()>& ready, int timeout_ms) {
  namespace asio = boost::asio;
  if (busy_ && !running_) return spin_io(ready, timeout_ms);
  if (!inline_) {
    // The network thread signals reports on the wake descriptor.
    pollfd fds[2] = {{fd, POLLIN, 0}, {wake_fd_, POLLIN, 0}};
    ::poll(fds, 2, timeout_ms);
    return ready();
  }
  if (running_) return ready();
  if (fd != watch_fd_) {
    watch_.reset();
    watch_fd_ = -1;
    if (fd >= 0) {
      // A duplicate, so that closing the watch leaves the caller's open.
      const int dup = ::dup(fd);
      try {
        if (dup >= 0) watch_ = std::make_unique<asio::posix::stream_descriptor>(io_, dup);
        watch_fd_ = fd;
      } catch (const boost::system::system_error&) {
        ::close(dup);  // not pollable (a regular file): ready() is asked every millisecond
      }
    }
  }
  auto fired = std::make_shared<bool>(false);
  auto arm = [&] {
    *fired = false;
    watch_->async_wait(asio::posix::stream_descriptor::wait_read,
                       [fired](const boost::system::error_code&) { *fired = true; });
  };
  running_ = true;
  bool got = ready();
  if (!got && watch_) arm();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  while (!got && !has_items()) {
    const auto step =
        watch_ ? until
               : std::min(until, std::chrono::steady_clock::now() + std::chrono::milliseconds(1));
    if (io_.run_one_until(step) == 0 && std::chrono::steady_clock::now() >= until) break;
    if (!watch_ || *fired) {
      got = ready();
      // ZeroMQ's descriptor also signals other state changes: wait again.
      if (!got && watch_) arm();
    }
  }
  if (watch_ && !*fired) {
    watch_->cancel();
    io_.poll();  // the cancelled wait completes
  }
  running_ = false;
  io_at_ = mono_ns();
  return got || ready();
}

void ThreadedGateway::push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(item));
  }
  if (inline_) return;  // pushed on the engine's own thread: nothing to wake
  const std::uint64_t one = 1;
  [[maybe_unused]] auto n = ::write(wake_fd_, &one, sizeof one);
}

void ThreadedGateway::report(OwnedExec e) {
  Item i;
  i.exec = std::move(e);
  push(std::move(i));
}

void ThreadedGateway::report_status(std::string venue, std::string symbol, std::string event,
                                    std::string detail) {
  Item i;
  i.is_status = true;
  i.venue = std::move(venue);
  i.symbol = std::move(symbol);
  i.event = std::move(event);
  i.detail = std::move(detail);
  push(std::move(i));
}

void ThreadedGateway::poll(Nanos now) {
  if (inline_) {
    // I/O that ran within the last millisecond (waiting for input, sending
    // a request) is enough; otherwise give it a turn, so that during a long
    // burst of input the venue is still served every millisecond. Busy,
    // every 10 us (a caller that spins polls often: a fused chain on each
    // idle turn of its loop, ot-exec after each line): the venue's answer
    // to a request is read soon after it arrives, not by the next request,
    // which would wait behind it on the connection.
    if (mono_ns() - io_at_ > (busy_ ? 10'000 : 1'000'000)) run_ready();
  } else {
    std::uint64_t count = 0;
    [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
  }
  std::deque<Item> items;
  {
    std::lock_guard<std::mutex> lock(mu_);
    items.swap(items_);
  }
  for (Item& i : items) {
    if (i.is_status) {
      Status s;
      s.venue = i.venue;
      s.symbol = i.symbol;
      s.ts = now;
      s.event = i.event;
      s.detail = i.detail;
      listener().on_venue_status(s);
    } else {
      i.exec.bind();
      listener().on_exec(i.exec.exec);
    }
  }
}

std::optional<MissedFill> missed_fill(const Decimal& filled,
                                      const std::optional<Decimal>& avg_price,
                                      const Decimal& known_filled, const Amount& known_notional) {
  const Decimal missed = sub(filled, known_filled);
  if (missed.mantissa <= 0 || !avg_price) return std::nullopt;
  const Amount value = Amount::product(*avg_price, filled) - known_notional;
  const auto price = value.divided_by(Amount::of(missed)).to_decimal(8);
  if (!price) return std::nullopt;
  return MissedFill{missed, *price};
}

RestGateway::RestGateway(std::string venue, std::string stream, GatewayOptions o,
                         double orders_per_10s)
    : o_(std::move(o)),
      tls_(net::make_client_tls(o_.ca_file)),
      rest_url_(*net::parse_url(o_.rest_url)),
      ws_url_(*net::parse_url(o_.ws_url)),
      venue_(std::move(venue)),
      stream_(std::move(stream)),
      budget_(o_.orders_per_10s > 0 ? o_.orders_per_10s : orders_per_10s) {}

RestGateway::~RestGateway() = default;

void RestGateway::submit(const Order& o) {
  ++in_flight_;
  post([this, order = OwnedOrder(o)]() mutable {
    Request r;
    r.kind = Request::submit;
    r.order = std::make_shared<OwnedOrder>(std::move(order));
    enqueue(std::move(r));
  });
}

void RestGateway::cancel(const Cancel& c) {
  ++in_flight_;
  post([this, id = std::string(c.id)] {
    Request r;
    r.kind = Request::cancel;
    r.id = id;
    enqueue(std::move(r));
  });
}

void RestGateway::amend(const Amend& a) {
  ++in_flight_;
  post([this, id = std::string(a.id), qty = a.qty, price = a.price] {
    Request r;
    r.kind = Request::amend;
    r.id = id;
    r.qty = qty;
    r.price = price;
    enqueue(std::move(r));
  });
}

void RestGateway::restore(const TrackedOrder& t) {
  ++in_flight_;
  post([this, order = OwnedOrder(t.as_order()), filled = t.filled, notional = t.notional,
        venue_id = t.venue_id, final = !t.open()]() mutable {
    Known& k = known_[order.id];
    k.order = std::make_shared<OwnedOrder>(std::move(order));
    k.filled = filled;
    k.notional = notional;
    k.venue_id = venue_id;
    k.final = final;
    on_restore(k);
    Request r;
    r.kind = Request::query;
    r.id = k.order->id;
    enqueue(std::move(r));
  });
}

void RestGateway::query(std::string id) {
  ++in_flight_;
  Request r;
  r.kind = Request::query;
  r.id = std::move(id);
  enqueue(std::move(r));
}

void RestGateway::enqueue(Request r) {
  queue_.push_back(std::move(r));
  if (wake_) wake_->cancel();
}

RestGateway::Known* RestGateway::find(const std::string& id) {
  auto it = known_.find(id);
  return it == known_.end() || !it->second.order ? nullptr : &it->second;
}

bool RestGateway::any_open() const {
  for (auto it = known_.begin(); it != known_.end(); ++it) {
    if (it->second.order && !it->second.final) return true;
  }
  return false;
}

void RestGateway::settle(Known& k, int n) {
  n = std::min(n, k.owed);  // a final report may have settled all
  k.owed -= n;
  owed_ -= n;
}

void RestGateway::reject(const OwnedOrder& o, std::string reason) {
  Known& k = known_[o.id];
  k.final = true;
  settle(k, k.owed);
  report_reject(o, venue_, std::move(reason));
}

void RestGateway::back_off(int seconds, const std::string& why) {
  backoff_until_ = mono_ns() + static_cast<Nanos>(seconds) * 1'000'000'000;
  report_status(venue_, "", "rate_limited", fmt::format("{}: backing off for {} s", why, seconds));
}

void RestGateway::on_report(Known& k, OwnedExec e) {
  if (k.final) return;
  if (e.exec.qty && e.exec.price) k.notional += Amount::product(*e.exec.price, *e.exec.qty);
  k.filled = e.exec.filled;
  k.final = is_final(e.exec.status);
  // A final report settles whatever was owed; "amended" one amend.
  if (k.final) {
    settle(k, k.owed);
  } else if (e.reason == "amended" && k.owed > 0) {
    settle(k, 1);
  }
  e.id = k.order->id;
  e.venue = venue_;
  e.strategy = k.order->strategy;
  report(std::move(e));
}

void RestGateway::on_queried(Known& k, OwnedExec e) {
  if (auto m = missed_fill(e.exec.filled, e.exec.avg_price, k.filled, k.notional)) {
    e.exec.qty = m->qty;
    e.exec.price = m->price;
    e.exec.fee.reset();  // not told: the venue's fill history has it
    e.reason = "reconciled after a reconnect";
  } else {
    e.exec.qty.reset();
    e.exec.price.reset();
  }
  on_report(k, std::move(e));
}

void RestGateway::run() {
  http_ = std::make_unique<net::HttpClient>(io().get_executor(), rest_url_, tls_);
  wake_ = std::make_unique<boost::asio::steady_timer>(io());
  on_start();  // first: a spawned loop may run at once
  boost::asio::co_spawn(io(), request_loop(), boost::asio::detached);
  boost::asio::co_spawn(io(), stream_loop(), boost::asio::detached);
}

boost::asio::awaitable<void> RestGateway::stream_loop() {
  namespace asio = boost::asio;
  int attempt = 0;
  for (;;) {
    net::WsClient ws(io().get_executor(), tls_);
    try {
      co_await open_stream(ws);
      attempt = 0;
      stream_up_ = true;
      report_status(venue_, "", "connected", stream_);
      // Anything that happened while we were away.
      for (auto it = known_.begin(); it != known_.end(); ++it) {
        if (it->second.order && !it->second.final) query(it->first);
      }
      reconnecting_ = false;
      for (;;) {
        const std::string text = co_await ws.read();
        co_await keep_alive(ws);
        on_message(text);
      }
    } catch (const std::exception& e) {
      report_status(venue_, "", "disconnected", stream_ + ": " + e.what());
      stream_failed_ = true;
      reconnecting_ = any_open();
    }
    ws.close();
    asio::steady_timer t(io());
    t.expires_after(reconnect_delay(attempt++));
    co_await t.async_wait(asio::use_awaitable);
  }
}

boost::asio::awaitable<void> RestGateway::handle(Request& r) {
  if (r.kind == Request::submit) {
    const OwnedOrder& o = *r.order;
    if (find(o.id) != nullptr) co_return;  // already sent: never twice
    known_[o.id].order = r.order;
    const std::string refused = refusal(o);
    if (!refused.empty()) {
      reject(o, "not sent: " + refused);
    } else if (mono_ns() < backoff_until_) {
      reject(o, fmt::format("not sent: the venue asked to back off ({} s left)",
                            (backoff_until_ - mono_ns()) / 1'000'000'000 + 1));
    } else if (!budget_.take()) {
      reject(o, fmt::format("not sent: order rate budget of {} per 10 s spent", budget_.per_10s()));
    } else {
      co_await send_order(o);
    }
    co_return;
  }
  Known* k = find(r.id);
  if (k == nullptr) {
    if (r.kind != Request::query) {
      report_status(venue_, "", r.kind == Request::amend ? "amend_reject" : "cancel_reject",
                    r.id + ": not an order of this gateway");
    }
    co_return;
  }
  if (r.kind == Request::query) {
    co_await query_order(*k);
    co_return;
  }
  // Its report is owed from now (it may come before the answer) until it
  // comes, or the venue did not take the request. A final order owes none.
  if (!k->final) {
    ++k->owed;
    ++owed_;
  }
  bool taken = false;
  try {
    taken = r.kind == Request::cancel ? co_await send_cancel(*k)
                                      : co_await send_amend(*k, r.qty, r.price);
  } catch (...) {
    settle(*k, 1);
    throw;
  }
  if (!taken) settle(*k, 1);
}

boost::asio::awaitable<void> RestGateway::request_loop() {
  namespace asio = boost::asio;
  using namespace std::chrono_literals;
  // Listen before sending (up to 10 s, unless the stream was refused).
  for (int i = 0; i < 200 && !stream_up_ && !stream_failed_; ++i) {
    asio::steady_timer t(io());
    t.expires_after(50ms);
    co_await t.async_wait(asio::use_awaitable);
  }
  co_await before_first();
  for (;;) {
    if (queue_.empty()) {
      wake_->expires_after(1h);
      co_await wake_->async_wait(asio::as_tuple(asio::use_awaitable));
      continue;
    }
    Request r = std::move(queue_.front());
    queue_.pop_front();
    co_await before_each();
    try {
      co_await handle(r);
    } catch (const net::NotSent& ex) {
      // Certainly not at the venue: the order is rejected, not queried.
      report_status(venue_, "", "error", std::string("REST: ") + ex.what());
      if (r.kind == Request::submit) reject(*r.order, std::string("not sent: ") + ex.what());
    } catch (const std::exception& ex) {
      report_status(venue_, "", "error", std::string("REST: ") + ex.what());
      if (r.kind == Request::submit) query(r.order->id);
    }
    --in_flight_;
  }
}

}  // namespace ot
