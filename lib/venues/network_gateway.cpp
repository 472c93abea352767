#include "venues/network_gateway.h"

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

void ThreadedGateway::start(bool inline_io) {
  work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor());
  boost::asio::post(io_, [this] { run(); });
  inline_ = inline_io;
  if (inline_) {
    run_ready();
  } else {
    thread_ = std::thread([this] { io_.run(); });
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

bool ThreadedGateway::run_io(int fd, const std::function<bool()>& ready, int timeout_ms) {
  namespace asio = boost::asio;
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
    // burst of input the venue is still served every millisecond.
    if (mono_ns() - io_at_ > 1'000'000) run_ready();
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

void RestGateway::query(std::string id) {
  ++in_flight_;
  Request r;
  r.kind = Request::query;
  r.id = std::move(id);
  enqueue(std::move(r));
}

void RestGateway::post_query(std::string id, std::function<void()> remember) {
  ++in_flight_;
  post([this, id = std::move(id), remember = std::move(remember)] {
    remember();
    Request r;
    r.kind = Request::query;
    r.id = id;
    enqueue(std::move(r));
  });
}

void RestGateway::enqueue(Request r) {
  queue_.push_back(std::move(r));
  if (wake_) wake_->cancel();
}

void RestGateway::start_requests() {
  wake_ = std::make_unique<boost::asio::steady_timer>(io());
  boost::asio::co_spawn(io(), request_loop(), boost::asio::detached);
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
      if (r.kind == Request::submit) {
        report_reject(*r.order, venue_, std::string("not sent: ") + ex.what());
      }
    } catch (const std::exception& ex) {
      report_status(venue_, "", "error", std::string("REST: ") + ex.what());
      if (r.kind == Request::submit) query(r.order->id);
    }
    --in_flight_;
  }
}

}  // namespace ot
