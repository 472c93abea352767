// What ot-exec talks to: the paper venue or a real venue's API. A gateway
// takes orders, cancels and amends and reports what happens to them as
// `exec` events through its ExecListener, in the venue's order.
//
// Threading: called from the engine's thread only; a gateway with network
// I/O does it inside poll().
#pragma once

#include <cstddef>
#include <functional>

#include "core/events.h"
#include "core/orders.h"
#include "exec/order_tracker.h"

namespace ot {

class ExecListener {
 public:
  virtual ~ExecListener() = default;
  virtual void on_exec(const Exec& e) = 0;
  // Venue-side events that are not about one order's state: cancel rejects
  // ("cancel_reject"), disconnects, rate limiting.
  virtual void on_venue_status(const Status& s) = 0;
};

class Gateway {
 public:
  virtual ~Gateway() = default;
  // Where reports go (the engine that owns the gateway sets itself).
  void set_listener(ExecListener& l) { listener_ = &l; }
  virtual void submit(const Order& o) = 0;
  virtual void cancel(const Cancel& c) = 0;
  virtual void amend(const Amend& a) = 0;
  // Market data carried by the stream (the paper venue matches against it),
  // handed over only when takes_market_data(): the engine does not decode
  // book and trade lines for a gateway that ignores them.
  virtual bool takes_market_data() const { return false; }
  virtual void on_book(const BookUpdate&) {}
  virtual void on_trade(const Trade&) {}
  // After a restart: an order the journal shows as open. The gateway
  // reconciles it with the venue (a real venue is asked; the paper venue
  // puts it back on its book) and reports any difference.
  virtual void restore(const TrackedOrder& o) = 0;
  // Advances time-driven work (latency queues, network) to `now`, and
  // delivers what the venue reported since.
  virtual void poll(Nanos now) = 0;
  // The input has ended and nothing will move the clock again: a gateway
  // on the stream's clock (the paper venue) settles what is still in flight.
  // Returns how many requests it settled without them reaching the venue.
  virtual std::size_t finish() { return 0; }
  // A descriptor that becomes readable when poll() has reports to deliver
  // (network gateways: an inline one never makes it readable, as its
  // reports come in run_io() and poll()); -1 if reports only follow calls
  // (the paper venue).
  virtual int wake_fd() const { return -1; }
  // Work in flight: requests not yet answered, or reports the venue owes
  // for requests it took.
  virtual bool busy() const { return false; }
  // Whether the gateway's network I/O runs on the engine's thread, driven
  // by run_io() while the engine waits for input (and by poll()).
  virtual bool inline_io() const { return false; }
  // Where the engine waits for input: until `ready()` holds (asked whenever
  // `fd` polls readable; -1 for none), a report waits for poll(), or
  // `timeout_ms` passed; an inline gateway runs its network I/O meanwhile.
  // Returns ready(). (Without network I/O: ready() at once.)
  virtual bool run_io(int fd, const std::function<bool()>& ready, int timeout_ms) {
    (void)fd, (void)timeout_ms;
    return ready();
  }

 protected:
  ExecListener& listener() { return *listener_; }

 private:
  ExecListener* listener_ = nullptr;
};

}  // namespace ot
