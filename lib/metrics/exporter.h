// The metrics endpoint: an HTTP server (Boost.Beast) on a thread of its
// own, answering
//   GET /metrics   the registry in the text exposition format 0.0.4;
//   GET /healthz   200 "ok": the process is alive;
//   GET /readyz    200 "ready", or 503 with the reason the program gives;
// anything else 404. One request per connection at a time, keep-alive
// honoured; a slow client cannot stall the program (its own thread).
//
// Threading: start() and the destructor on the owner's thread; the ready
// check runs on the exporter's thread.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "core/result.h"
#include "metrics/metrics.h"

namespace ot::metrics {

// Whether the program is ready, and if not why (into `why`).
using ReadyCheck = std::function<bool(std::string& why)>;

class Exporter {
 public:
  // Listens on `addr`: "HOST:PORT" or ":PORT" (all interfaces); port 0
  // takes a free one (port() says which). invalid_argument for a bad
  // address, io_error when it cannot listen.
  static Result<std::unique_ptr<Exporter>> start(const std::string& addr, Registry& registry,
                                                 ReadyCheck ready);
  ~Exporter();
  std::uint16_t port() const;

 private:
  struct Impl;
  explicit Exporter(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ot::metrics
