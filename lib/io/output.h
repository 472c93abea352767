// Line-oriented outputs: stdout, files (.gz/.zst by extension) and ZeroMQ PUB.
#pragma once

#include <csignal>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>

#include "core/event_encoder.h"
#include "io/input.h"

namespace ot {

class LineOutput : public LineSink {
 public:
  // Appends '\n' on stream outputs; on ZeroMQ sends [topic, line].
  void write_line(std::string_view topic, std::string_view line) override = 0;
  // Pushes buffered bytes to the OS. Returns false if the output failed
  // (closed pipe, full disk); error() then says why.
  virtual bool flush() = 0;
  virtual bool ok() const = 0;
  virtual const std::string& error() const = 0;
};

struct OutputOptions {
  // Flush after every line (live streams); otherwise flush when the buffer is
  // full and at close.
  bool flush_each_line = false;
  // ZeroMQ outputs: before the first message, wait up to this long for a
  // first subscriber (PUB/SUB drops what is sent before a subscription
  // arrives), so a consumer started first gets the whole stream.
  int subscriber_wait_ms = 1000;
  // PUB (fan-out, a slow subscriber may miss data) or PUSH (the order path:
  // never drops; a send waits for the consumer).
  bool push = false;
  // PUB without loss for the executions endpoint: no high-water mark, no
  // drop when a subscriber is slow, and before the first message wait (up
  // to subscriber_wait_ms; -1 without limit) for this many subscribers.
  bool no_drop = false;
  int min_subscribers = 1;
  // shm:// outputs: push or no_drop make the ring reliable (the producer
  // waits for room; min_subscribers readers must join before anything is
  // overwritten), else it carries market data (never waits). A wait for
  // room ends, failing the output, once *stop is set (a stop signal).
  const volatile std::sig_atomic_t* stop = nullptr;
};

// Writes all `n` bytes at `p` to `fd`, again after EINTR and short writes.
// False on an error (errno says which).
bool write_all(int fd, const char* p, std::size_t n);

// In-process sinks for fused chains (ot-backtest, bench/tick_chain).
// Discards every line.
class NullLineSink final : public LineSink {
 public:
  void write_line(std::string_view, std::string_view) override {}
  bool wants_topic() const override { return false; }
  bool discards() const override { return true; }
};

// Hands each line, followed by kLinePadding bytes (the parsers' padding),
// to a function, synchronously. The view is valid for the call; a line
// written from inside the call replaces it (callers that re-enter keep a
// copy first).
class PaddedLineSink final : public LineSink {
 public:
  explicit PaddedLineSink(std::function<void(std::string_view)> fn) : fn_(std::move(fn)) {}
  void write_line(std::string_view, std::string_view line) override {
    buf_.assign(line);
    const std::size_t n = buf_.size();
    buf_.append(kLinePadding, '\0');
    fn_(std::string_view(buf_.data(), n));
  }
  bool wants_topic() const override { return false; }

 private:
  std::function<void(std::string_view)> fn_;
  std::string buf_;
};

// Opens `uri`: "-" (stdout), a path, "tcp://…" / "ipc://…" (ZeroMQ PUB,
// bound), "nats://…" (io/nats.h) or "shm://…" (io/shm_ring.h). Errors: not_found / io_error (the
// file, a NATS server that cannot be reached), invalid_argument (a
// malformed endpoint, or one that cannot be bound).
Result<std::unique_ptr<LineOutput>> open_output(const std::string& uri,
                                                const OutputOptions& options = {});

}  // namespace ot
