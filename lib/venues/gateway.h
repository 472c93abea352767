// Gateways to real venues for ot-exec: each runs its network I/O (signed
// REST, private WebSocket streams) on its own thread with an io_context;
// the engine's thread hands it orders and collects its reports through
// poll(), woken by wake_fd(). What is common lives here; what is a venue's
// under lib/venues/<venue>/.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "exec/credentials.h"
#include "exec/gateway.h"

namespace ot {

struct GatewayOptions {
  std::string venue;
  std::string rest_url;  // default: the venue's production endpoint
  std::string ws_url;
  std::string ca_file;  // also trust this certificate (ot-sim's test CA)
  Credentials credentials;
  int recv_window_ms = 5000;
  // Orders per 10 seconds the gateway allows itself (0: the venue's
  // documented default).
  double orders_per_10s = 0;
};

// The gateway for a venue; nullptr (and `error`) if there is none.
std::unique_ptr<Gateway> make_gateway(const GatewayOptions& options, std::string& error);
// Venues with a gateway, for --help.
std::string gateway_venues();

// A local budget of orders per 10 seconds (a token bucket on the
// monotonic clock), so a gateway stays under a venue's order limits.
class OrderBudget {
 public:
  explicit OrderBudget(double per_10s) : per_10s_(per_10s), tokens_(per_10s) {}
  // Takes one order's worth; false when spent.
  bool take();
  double per_10s() const { return per_10s_; }

 private:
  double per_10s_;
  double tokens_;
  Nanos at_ = 0;
};

// Wait before reconnect attempt `attempt` (0, 1, ...): 250 ms doubling to 30 s.
std::chrono::milliseconds reconnect_delay(int attempt);

// The threading every network gateway shares.
class ThreadedGateway : public Gateway {
 public:
  ~ThreadedGateway() override;
  void poll(Nanos now) override;
  int wake_fd() const override { return wake_fd_; }
  // Starts the network thread (after construction).
  void start();

 protected:
  ThreadedGateway();
  // Runs on the network thread once started: spawn the coroutines here.
  virtual void run() = 0;
  // Stops the network thread; derived destructors call it first, so the
  // thread never sees their members destroyed.
  void stop();
  boost::asio::io_context& io() { return io_; }
  // Runs `fn` on the network thread.
  void post(std::function<void()> fn);
  // From the network thread: queue a report / a status for the engine.
  void report(OwnedExec e);
  void report_status(std::string venue, std::string symbol, std::string event, std::string detail);
  // From the network thread: `o` rejected before or by the venue.
  void report_reject(const OwnedOrder& o, std::string_view venue, std::string reason);

 private:
  struct Item {
    bool is_status = false;
    OwnedExec exec;
    std::string venue, symbol, event, detail;
  };
  void push(Item item);

  boost::asio::io_context io_;
  std::unique_ptr<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work_;
  std::thread thread_;
  std::mutex mu_;
  std::deque<Item> items_;
  int wake_fd_ = -1;
};

}  // namespace ot
