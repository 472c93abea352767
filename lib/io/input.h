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
#include <string>
#include <string_view>
#include <vector>

namespace ot {

inline constexpr std::size_t kLinePadding = 64;

class LineInput {
 public:
  virtual ~LineInput() = default;
  // Next line without its '\n' (and without a trailing '\r'). Returns false at
  // end of input or on a read error (then error() is non-empty). The view is
  // valid until the next call.
  virtual bool next(std::string_view& line) = 0;
  // 1-based number of the line last returned (0 for message inputs).
  virtual std::uint64_t line_number() const = 0;
  // Human-readable name for messages ("okx.raw", "<stdin>", an endpoint).
  virtual const std::string& name() const = 0;
  virtual const std::string& error() const = 0;
  // Called right before the input would wait for more data (an empty pipe,
  // a quiet socket): the moment to flush outputs, so a live stream is
  // delivered per record while a batch run is written in large blocks.
  void set_idle_hook(std::function<void()> hook) { idle_hook_ = std::move(hook); }

 protected:
  void idle() {
    if (idle_hook_) idle_hook_();
  }

 private:
  std::function<void()> idle_hook_;
};

// Opens `uri`: "-" (stdin), a file path (".gz" and ".zst" decompressed by
// extension), or "tcp://…" / "ipc://…" (ZeroMQ SUB, connect, all topics, the
// last frame of each message is the line). On failure returns nullptr and
// sets `error`.
std::unique_ptr<LineInput> open_input(const std::string& uri, std::string& error);

// True for URIs that name a ZeroMQ endpoint.
bool is_zmq_uri(std::string_view uri);

}  // namespace ot
