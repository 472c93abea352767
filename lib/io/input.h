// Line-oriented inputs: stdin, plain/.gz/.zst files, and ZeroMQ SUB endpoints.
//
// Every line handed out is followed by at least kLinePadding readable bytes
// (simdjson's padding requirement), so parsers can read it in place.
// Threading: one reader per thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"
#include "core/result.h"
#include "core/time.h"

namespace ot {

namespace shm {
class Consumer;
}

inline constexpr std::size_t kLinePadding = 64;

// The longest line an input hands out: 16 MiB, or $OT_MAX_LINE bytes (at
// least 4096). A longer line (a file or pipe with no newline, a huge
// message) is skipped and reported through the bad-line hook, never held
// whole: memory stays bounded and reading stays linear in the input.
std::size_t max_line_bytes();

class LineInput {
 public:
  virtual ~LineInput() = default;
  // Next line without its '\n' (and without a trailing '\r'); over-long
  // ones are reported to the bad-line hook and skipped. Returns false at end
  // of input or on a read error (then error() is non-empty). The view is
  // valid until the next call.
  virtual bool next(std::string_view& line) = 0;
  // 1-based number of the line last returned (0 for message inputs).
  virtual std::uint64_t line_number() const = 0;
  // Human-readable name for messages ("okx.raw", "<stdin>", an endpoint).
  virtual const std::string& name() const = 0;
  virtual const std::string& error() const = 0;
  // Bytes read from the file so far (compressed bytes of a compressed
  // file; 0 for message inputs), for progress against the file's size.
  virtual std::uint64_t bytes_read() const { return 0; }
  // A replayable source (a JetStream durable consumer) names itself
  // ("nats://host:port/SUBJECT?js=STREAM&durable=NAME", without
  // credentials) and gives the position (stream sequence) of the line last
  // returned, so a consumer can commit positions with what it stores and
  // skip what is delivered again after a crash. Empty and nullopt
  // elsewhere.
  virtual const std::string& source() const {
    static const std::string none;
    return none;
  }
  virtual std::optional<std::uint64_t> position() const { return std::nullopt; }
  // Called right before the input would wait for more data (an empty pipe,
  // a quiet socket): the moment to flush outputs, so a live stream is
  // delivered per record while a batch run is written in large blocks.
  // While a pipe keeps data waiting (a burst), it is also called before a
  // read once `max_interval` has passed since the last call (0: never), so
  // that what the burst caused is not held back until it ends. Files on
  // disk never wait.
  void set_idle_hook(std::function<void()> hook, Nanos max_interval = 1'000'000) {
    idle_hook_ = std::move(hook);
    idle_interval_ = max_interval;
    last_idle_ = mono_ns();
  }

  // What the input is about to wait on: a file descriptor (pipes, stdin),
  // a ZeroMQ socket handle, or a shared-memory ring's reader (io/shm_ring.h).
  // Files on disk never wait.
  struct WaitTarget {
    int fd = -1;
    void* zmq_socket = nullptr;
    shm::Consumer* shm = nullptr;
  };
  // Called after the idle hook, instead of blocking: the hook waits until
  // the target is readable while it serves other sources (the executions
  // feedback endpoint) and timers. It returns `ready` when the target is
  // readable, `again` to be called again (a timer ran), `stop` to end the
  // input as if it had reached its end (a stop signal).
  enum class WaitResult { ready, again, stop };
  void set_wait_hook(std::function<WaitResult(const WaitTarget&)> hook) {
    wait_hook_ = std::move(hook);
  }
  // Called for each line the input drops itself (longer than
  // max_line_bytes()), with its line number (0 for messages) and why.
  void set_bad_line_hook(std::function<void(std::uint64_t, std::string_view)> hook) {
    bad_line_hook_ = std::move(hook);
  }
  // Lines dropped that way so far.
  std::uint64_t bad_lines() const { return bad_lines_; }

 protected:
  void idle() {
    if (!idle_hook_) return;
    last_idle_ = mono_ns();
    idle_hook_();
  }
  // Whether the idle hook is due though the pipe holds data.
  bool idle_due() const {
    return idle_hook_ && idle_interval_ > 0 && mono_ns() - last_idle_ >= idle_interval_;
  }
  bool has_wait_hook() const { return static_cast<bool>(wait_hook_); }
  WaitResult wait(const WaitTarget& t) { return wait_hook_(t); }
  void bad_line(std::uint64_t number, std::string_view why) {
    ++bad_lines_;
    if (bad_line_hook_) bad_line_hook_(number, why);
  }

 private:
  std::function<void()> idle_hook_;
  Nanos idle_interval_ = 0, last_idle_ = 0;
  std::function<WaitResult(const WaitTarget&)> wait_hook_;
  std::function<void(std::uint64_t, std::string_view)> bad_line_hook_;
  std::uint64_t bad_lines_ = 0;
};

// Reports the lines `in` drops itself (longer than max_line_bytes()) to
// `diag` as errors ("name:line"); in.bad_lines() counts them.
void report_bad_lines(LineInput& in, Diagnostics& diag);

// ZeroMQ pattern of an endpoint: PUB/SUB for market data fan-out (a slow
// subscriber may miss data), PUSH/PULL for the order path (never drops:
// the sender blocks or queues).
enum class ZmqPattern { pubsub, pushpull };

struct InputOptions {
  ZmqPattern pattern = ZmqPattern::pubsub;
};

// Opens `uri`: "-" (stdin), a file path (".gz" and ".zst" decompressed by
// extension), "tcp://…" / "ipc://…" (ZeroMQ SUB, connect, all topics, the
// last frame of each message is the line), "nats://…" (io/nats.h) or
// "shm://…" (io/shm_ring.h; a reader named after the program unless the
// endpoint names one; a reader that fell behind a market-data ring gets a
// `gap` status line before the next record).
// Errors: not_found / io_error (the file, a NATS server that cannot be
// reached), invalid_argument (a malformed endpoint).
Result<std::unique_ptr<LineInput>> open_input(const std::string& uri,
                                              const InputOptions& options = {});

// Waits until `target` is readable or `timeout_ms` passes (-1: no limit);
// a ring spins, yields and sleeps as its endpoint says.
bool wait_readable(const LineInput::WaitTarget& target, int timeout_ms);
// For event loops that wait on descriptors: one that polls readable when
// `target` may have data (a ZeroMQ socket's ZMQ_FD, which signals state
// changes edge-triggered; a ring's bell, armed by this call), and whether
// it has data now.
int readiness_fd(const LineInput::WaitTarget& target);
bool readable_now(const LineInput::WaitTarget& target);

// The executions feedback endpoint (ot-exec --fills-out), read by ot-strat
// and ot-risk next to their main input: a SUB socket with no high-water
// mark (nothing is dropped on the receiving side).
class FeedbackInput;
// Opens the executions endpoint at `uri`, ZeroMQ or NATS (invalid_argument:
// a malformed endpoint; io_error: a NATS server that cannot be reached).
Result<std::unique_ptr<FeedbackInput>> open_feedback(const std::string& uri);

class FeedbackInput {
 public:
  struct Impl;
  FeedbackInput(std::unique_ptr<Impl> impl, std::string name);
  ~FeedbackInput();
  // Calls fn(line) for every message already received; never blocks.
  // `line` is followed by kLinePadding readable bytes.
  std::size_t drain(const std::function<void(std::string_view)>& fn);
  // drain() if the endpoint was last looked at more than 100 µs ago (by
  // drain, wait or catch_up): for a busy main input, read between its
  // lines, so feedback is never more than that late while the main input
  // is read right after wait() at no cost.
  std::size_t catch_up(const std::function<void(std::string_view)>& fn);
  // Waits until `main` is readable or `timeout_ms` passes (-1: no limit),
  // handing feedback messages to fn as they arrive. True if `main` is
  // readable (feedback that came with it may wait for the next catch_up).
  // `main` must have been read until it had nothing (the main input does
  // so before it waits), as ZeroMQ's descriptors only signal news.
  bool wait(const LineInput::WaitTarget& main, int timeout_ms,
            const std::function<void(std::string_view)>& fn);
  const std::string& name() const { return name_; }

 private:
  std::unique_ptr<Impl> impl_;
  std::string name_;
};

// A status event line a transport writes itself ({"type":"status",
// "venue":TRANSPORT,...}): a gap, a reconnect.
std::string transport_status_line(std::string_view transport, std::string_view event,
                                  std::string_view detail);

// True for URIs that name a ZeroMQ endpoint.
bool is_zmq_uri(std::string_view uri);
// True for message endpoints (ZeroMQ, NATS, shared-memory rings): inputs
// that may wait without end, which SIGINT or SIGTERM stop.
bool is_endpoint_uri(std::string_view uri);

}  // namespace ot
