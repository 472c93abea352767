// ot-dash's web server (Boost.Beast, a thread of its own): the page and its
// assets, compiled into the program, and one WebSocket per browser.
//
// Access: every request carries the access token, as `?token=` (the URL
// printed at start; the page is then given it as a cookie, HttpOnly and
// SameSite=Strict, for its assets and its WebSocket) or that cookie. No
// token: 401; a wrong one: 403. A WebSocket whose Origin is not this
// server's own (http[s]://Host) is refused with 403. The token never
// appears in a log.
//
// The WebSocket carries JSON messages. The server sends
//   {"type":"snapshot","seq":N,"views":{...},"instrument":{...}|null}
//   {"type":"update","seq":N,"views":{...changed...},"instrument":...}
//   {"type":"sent"|"refused",...}       (replies to commands, order_desk.h)
// with seq counting up by one per message. At most one message is in
// flight per browser, and a view is rendered only when its version moved,
// at most every `conflate_ms`: a slow or stalled browser gets fewer, newer
// updates and never grows the server's memory or slows its input. The page
// sends {"op":"watch","venue","symbol","interval"} to choose the instrument
// of its ladder and chart, {"op":"resync"} after a gap in seq (answered by a
// snapshot), {"op":"report","name"} for a backtest report's charts (answered
// {"type":"report","data":...}; snapshots list the reports), and the
// commands of order_desk.h, which --read-only refuses.
//
// Threading: the state and the desk are used under `mu`, which the owner
// holds when it applies events.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>

#include "core/result.h"
#include "dash/dash_state.h"
#include "dash/order_desk.h"
#include "dash/reports.h"

namespace ot::dash {

struct ServerOptions {
  std::string listen = "127.0.0.1:8080";         // HOST:PORT; port 0 takes a free one
  std::string token;                             // required on every request
  bool read_only = false;                        // refuse order entry
  std::string cert, key;                         // PEM: serve https:// and wss://
  int conflate_ms = 50;                          // at most one update per browser this often
  const std::vector<Report>* reports = nullptr;  // backtest reports (--report)
};

class DashServer {
 public:
  // Listens and serves from a thread of its own. invalid_argument for a bad
  // address, io_error when it cannot listen or read the certificate.
  static Result<std::unique_ptr<DashServer>> start(const ServerOptions& options, DashState& state,
                                                   OrderDesk& desk, std::mutex& mu);
  ~DashServer();
  std::uint16_t port() const;
  // Browsers connected now.
  std::size_t clients() const;

 private:
  struct Impl;
  explicit DashServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ot::dash
