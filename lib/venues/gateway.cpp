#include "venues/gateway.h"

#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/time.h"

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

void ThreadedGateway::start() {
  work_ =
      std::make_unique<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>>(
          io_.get_executor());
  boost::asio::post(io_, [this] { run(); });
  thread_ = std::thread([this] { io_.run(); });
}

void ThreadedGateway::post(std::function<void()> fn) { boost::asio::post(io_, std::move(fn)); }

void ThreadedGateway::push(Item item) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    items_.push_back(std::move(item));
  }
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
  std::uint64_t count = 0;
  [[maybe_unused]] auto n = ::read(wake_fd_, &count, sizeof count);
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
    } catch (const std::exception& ex) {
      report_status(venue_, "", "error", std::string("REST: ") + ex.what());
      if (r.kind == Request::submit) query(r.order->id);
    }
    --in_flight_;
  }
}

}  // namespace ot
