#include "io/input.h"

#include <fcntl.h>
#include <poll.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <zmq.hpp>

#include "core/json_out.h"
#include "core/time.h"
#include "io/nats.h"
#include "io/shm_ring.h"

namespace ot {
namespace {

// A stream of bytes: returns bytes read, 0 at end, -1 on error (sets err).
class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual long read(char* dst, std::size_t n, std::string& err) = 0;
  // A descriptor to poll before a read that could block; -1 for files.
  virtual int poll_fd() const { return -1; }
  // Bytes taken from the underlying file so far (compressed bytes for
  // compressed files).
  virtual std::uint64_t consumed() const = 0;
};

class FdSource final : public ByteSource {
 public:
  FdSource(int fd, bool owned) : fd_(fd), owned_(owned) {
    struct stat st {};
    pollable_ = ::fstat(fd, &st) == 0 && !S_ISREG(st.st_mode);
    // A pipe of 1 MiB rather than 64 KiB: a producer that runs ahead fills
    // it, and reads come in large blocks (best effort: the system's limit).
    if (pollable_ && S_ISFIFO(st.st_mode)) (void)::fcntl(fd, F_SETPIPE_SZ, 1 << 20);
  }
  int poll_fd() const override { return pollable_ ? fd_ : -1; }
  ~FdSource() override {
    if (owned_) ::close(fd_);
  }
  long read(char* dst, std::size_t n, std::string& err) override {
    for (;;) {
      ssize_t r = ::read(fd_, dst, n);
      if (r > 0) consumed_ += static_cast<std::uint64_t>(r);
      if (r >= 0) return static_cast<long>(r);
      if (errno == EINTR) continue;
      err = std::strerror(errno);
      return -1;
    }
  }

  std::uint64_t consumed() const override { return consumed_; }

 private:
  int fd_;
  bool owned_;
  bool pollable_ = false;
  std::uint64_t consumed_ = 0;
};

class GzSource final : public ByteSource {
 public:
  explicit GzSource(gzFile f) : f_(f) {}
  std::uint64_t consumed() const override {
    const long off = gzoffset(f_);
    return off > 0 ? static_cast<std::uint64_t>(off) : 0;
  }
  ~GzSource() override { gzclose(f_); }
  long read(char* dst, std::size_t n, std::string& err) override {
    int r = gzread(f_, dst, static_cast<unsigned>(n));
    if (r < 0) {
      int code = 0;
      err = gzerror(f_, &code);
      return -1;
    }
    return r;
  }

 private:
  gzFile f_;
};

class ZstdSource final : public ByteSource {
 public:
  explicit ZstdSource(std::unique_ptr<ByteSource> inner)
      : inner_(std::move(inner)), in_buf_(ZSTD_DStreamInSize()), ctx_(ZSTD_createDCtx()) {}
  ~ZstdSource() override { ZSTD_freeDCtx(ctx_); }
  std::uint64_t consumed() const override { return inner_->consumed(); }
  long read(char* dst, std::size_t n, std::string& err) override {
    ZSTD_outBuffer out{dst, n, 0};
    while (out.pos == 0) {
      if (in_.pos == in_.size) {
        long r = inner_->read(in_buf_.data(), in_buf_.size(), err);
        if (r < 0) return -1;
        if (r == 0) {
          if (!frame_done_) {
            err = "truncated zstd stream";
            return -1;
          }
          return 0;
        }
        in_ = ZSTD_inBuffer{in_buf_.data(), static_cast<std::size_t>(r), 0};
      }
      std::size_t rc = ZSTD_decompressStream(ctx_, &out, &in_);
      if (ZSTD_isError(rc)) {
        err = ZSTD_getErrorName(rc);
        return -1;
      }
      frame_done_ = rc == 0;
    }
    return static_cast<long>(out.pos);
  }

 private:
  std::unique_ptr<ByteSource> inner_;
  std::vector<char> in_buf_;
  ZSTD_DCtx* ctx_;
  ZSTD_inBuffer in_{nullptr, 0, 0};
  bool frame_done_ = true;
};

std::string too_long(std::string_view what, std::size_t max) {
  return std::string(what) + " longer than " + std::to_string(max) +
         " bytes (OT_MAX_LINE); skipped";
}

class StreamLineInput final : public LineInput {
 public:
  StreamLineInput(std::unique_ptr<ByteSource> src, std::string name)
      : src_(std::move(src)), name_(std::move(name)), buf_(kInitial + kLinePadding) {}

  bool next(std::string_view& line) override {
    for (;;) {
      // Only bytes not looked at yet are searched: a long line costs one pass.
      const char* nl =
          static_cast<const char*>(std::memchr(buf_.data() + scanned_, '\n', end_ - scanned_));
      if (nl == nullptr) scanned_ = end_;
      if (nl != nullptr || eof_) {
        if (nl == nullptr && begin_ == end_ && !skipping_) return false;
        const std::size_t stop = nl != nullptr ? static_cast<std::size_t>(nl - buf_.data()) : end_;
        const std::size_t start = begin_;
        const bool dropped = skipping_;
        begin_ = scanned_ = nl != nullptr ? stop + 1 : end_;
        skipping_ = false;
        ++line_number_;
        std::size_t len = stop - start;
        if (dropped || len > max_) {
          bad_line(line_number_, too_long("line", max_));
          continue;
        }
        if (len > 0 && buf_[stop - 1] == '\r') --len;
        line = std::string_view(buf_.data() + start, len);
        return true;
      }
      if (end_ - begin_ > max_) {
        // Too long to hand out: forget it up to here and look for its end.
        skipping_ = true;
        begin_ = scanned_ = end_;
      }
      if (!fill()) return false;
    }
  }
  std::uint64_t line_number() const override { return line_number_; }
  const std::string& name() const override { return name_; }
  const std::string& error() const override { return error_; }
  std::uint64_t bytes_read() const override { return src_->consumed(); }

 private:
  static constexpr std::size_t kInitial = 1 << 20;

  bool fill() {
    if (begin_ > 0) {
      std::memmove(buf_.data(), buf_.data() + begin_, end_ - begin_);
      end_ -= begin_;
      scanned_ -= begin_;
      begin_ = 0;
    }
    if (buf_.size() - kLinePadding - end_ < kInitial / 4) buf_.resize(buf_.size() * 2);
    // The idle hook only when the read would wait: a file, or a pipe that
    // holds more, is read on (a batch is written in large blocks).
    const int fd = src_->poll_fd();
    if (fd >= 0 && (idle_due() || !readable_now(WaitTarget{fd, nullptr}))) idle();
    if (has_wait_hook() && fd >= 0) {
      WaitResult w;
      while ((w = wait(WaitTarget{src_->poll_fd(), nullptr})) == WaitResult::again) {
      }
      if (w == WaitResult::stop) {
        eof_ = true;
        return true;
      }
    }
    long r = src_->read(buf_.data() + end_, buf_.size() - kLinePadding - end_, error_);
    if (r < 0) {
      error_ = name_ + ": read error: " + error_;
      return false;
    }
    if (r == 0) eof_ = true;
    end_ += static_cast<std::size_t>(r);
    return true;
  }

  std::unique_ptr<ByteSource> src_;
  std::string name_;
  std::string error_;
  std::vector<char> buf_;
  std::size_t begin_ = 0;
  std::size_t end_ = 0;
  std::size_t scanned_ = 0;  // [begin_, scanned_) holds no '\n'
  std::size_t max_ = max_line_bytes();
  bool skipping_ = false;  // inside a line too long to keep
  bool eof_ = false;
  std::uint64_t line_number_ = 0;
};

// Connects `sock` to each endpoint of a comma-separated list: one reader of
// several producers (orders from a strategy and from ot-dash, say).
void connect_all(zmq::socket_t& sock, const std::string& uri) {
  std::size_t start = 0;
  for (;;) {
    const std::size_t comma = uri.find(',', start);
    const std::string one = uri.substr(start, comma == std::string::npos ? comma : comma - start);
    if (!is_zmq_uri(one)) {
      errno = EINVAL;  // not an endpoint
      throw zmq::error_t();
    }
    sock.connect(one);
    if (comma == std::string::npos) return;
    start = comma + 1;
  }
}

class ZmqLineInput final : public LineInput {
 public:
  ZmqLineInput(const std::string& uri, ZmqPattern pattern)
      : ctx_(1),
        sock_(ctx_, pattern == ZmqPattern::pubsub ? zmq::socket_type::sub : zmq::socket_type::pull),
        name_(uri) {
    if (pattern == ZmqPattern::pubsub) sock_.set(zmq::sockopt::subscribe, "");
    sock_.set(zmq::sockopt::rcvhwm, 0);
    connect_all(sock_, uri);
  }
  bool next(std::string_view& line) override {
    for (;;) {
      zmq::message_t msg;
      try {
        if (!sock_.recv(msg, zmq::recv_flags::dontwait)) {
          idle();
          if (has_wait_hook()) {
            if (wait(WaitTarget{-1, sock_.handle()}) == WaitResult::stop) return false;
            continue;
          }
          if (!sock_.recv(msg)) continue;
        }
      } catch (const zmq::error_t& e) {
        if (e.num() == EINTR) return false;
        error_ = name_ + ": " + e.what();
        return false;
      }
      if (sock_.get(zmq::sockopt::rcvmore)) continue;  // topic frame
      if (msg.size() > max_) {
        bad_line(0, too_long("message", max_));
        continue;
      }
      buf_.assign(static_cast<const char*>(msg.data()), msg.size());
      while (!buf_.empty() && (buf_.back() == '\n' || buf_.back() == '\r')) buf_.pop_back();
      std::size_t n = buf_.size();
      buf_.append(kLinePadding, '\0');
      line = std::string_view(buf_.data(), n);
      return true;
    }
  }
  std::uint64_t line_number() const override { return 0; }
  const std::string& name() const override { return name_; }
  const std::string& error() const override { return error_; }

 private:
  zmq::context_t ctx_;
  zmq::socket_t sock_;
  std::string name_;
  std::string error_;
  std::string buf_;
  std::size_t max_ = max_line_bytes();
};

}  // namespace

std::string transport_status_line(std::string_view transport, std::string_view event,
                                  std::string_view detail) {
  std::string line = R"({"type":"status","venue":")";
  append_escaped(line, transport);
  line += R"(","ts":)";
  line += std::to_string(now_ns());
  line += R"(,"event":")";
  append_escaped(line, event);
  line += R"(","detail":")";
  append_escaped(line, detail);
  line += "\"}";
  return line;
}

namespace {

// A reader's loss as a status line, followed by kLinePadding bytes.
std::string ring_gap_line(const std::string& name, const std::string& reader, std::uint64_t lost) {
  std::string detail = name;
  detail += ": reader '";
  detail += reader;
  detail += "' fell behind: ";
  detail += std::to_string(lost);
  detail += " events lost";
  std::string line = transport_status_line("shm", "gap", detail);
  line.append(kLinePadding, '\0');
  return line;
}

// A reader of the ring at `uri`, named after the program unless the
// endpoint names one, its records padded as lines are.
Result<std::unique_ptr<shm::Consumer>> open_ring_reader(const std::string& uri) {
  auto e = shm::parse_shm_uri(uri);
  if (!e) return e.error();
  auto ring = shm::Consumer::open(*e, program_invocation_short_name);
  if (ring) (*ring)->set_padding(kLinePadding);
  return ring;
}

// A reader of a shared-memory ring (io/shm_ring.h).
class ShmLineInput final : public LineInput {
 public:
  ShmLineInput(std::unique_ptr<shm::Consumer> ring, std::string name)
      : ring_(std::move(ring)), name_(std::move(name)) {}

  bool next(std::string_view& line) override {
    if (held_) {
      held_ = false;
      line = record_;
      return true;
    }
    // A burst is read on, with the idle hook now and then (as a pipe's).
    if ((++count_ & 63) == 0 && idle_due()) idle();
    for (;;) {
      std::uint64_t lost = 0;
      switch (ring_->try_read(record_, lost)) {
        case shm::Consumer::Read::record: {
          // Bounded by OT_MAX_LINE as a pipe's lines are (a big ring holds
          // records up to its size).
          const bool too_big = record_.size() > max_;
          if (too_big) bad_line(0, too_long("record", max_));
          if (lost > 0) {
            // Said before the record after the loss.
            gap_ = ring_gap_line(name_, ring_->reader(), lost);
            line = std::string_view(gap_.data(), gap_.size() - kLinePadding);
            held_ = !too_big;
            return true;
          }
          if (too_big) continue;
          line = record_;
          return true;
        }
        case shm::Consumer::Read::ended:
          return false;
        case shm::Consumer::Read::corrupt:
          error_ = name_ + ": the ring holds bytes that are not records; remove it";
          return false;
        case shm::Consumer::Read::none:
          break;
      }
      idle();
      if (!has_wait_hook()) {
        ring_->wait(-1);  // a program that must stop on a signal sets a wait hook
        continue;
      }
      WaitResult w;
      while ((w = wait(WaitTarget{-1, nullptr, ring_.get()})) == WaitResult::again) {
      }
      if (w == WaitResult::stop) return false;
    }
  }
  std::uint64_t line_number() const override { return 0; }
  const std::string& name() const override { return name_; }
  const std::string& error() const override { return error_; }

 private:
  std::size_t max_ = max_line_bytes();
  std::unique_ptr<shm::Consumer> ring_;
  std::string name_, error_, gap_;
  std::string_view record_;
  bool held_ = false;
  unsigned count_ = 0;
};

}  // namespace

std::size_t max_line_bytes() {
  static const std::size_t limit = [] {
    constexpr std::size_t kDefault = 16u << 20;
    const char* env = std::getenv("OT_MAX_LINE");
    if (env == nullptr || *env == '\0') return kDefault;
    char* end = nullptr;
    const unsigned long long v = std::strtoull(env, &end, 10);
    return *end == '\0' && v >= 4096 ? static_cast<std::size_t>(v) : kDefault;
  }();
  return limit;
}

void report_bad_lines(LineInput& in, Diagnostics& diag) {
  in.set_bad_line_hook([&in, &diag](std::uint64_t n, std::string_view why) {
    diag.error(n > 0 ? in.name() + ":" + std::to_string(n) : in.name(), why);
  });
}

bool is_endpoint_uri(std::string_view uri) {
  return is_zmq_uri(uri) || is_nats_uri(uri) || shm::is_shm_uri(uri);
}

bool is_zmq_uri(std::string_view uri) {
  return uri.rfind("tcp://", 0) == 0 || uri.rfind("ipc://", 0) == 0 ||
         uri.rfind("inproc://", 0) == 0;
}

Result<std::unique_ptr<LineInput>> open_input(const std::string& uri, const InputOptions& options) {
  if (uri.empty() || uri == "-") {
    return std::unique_ptr<LineInput>(
        std::make_unique<StreamLineInput>(std::make_unique<FdSource>(0, false), "<stdin>"));
  }
  if (is_nats_uri(uri)) {
    auto e = parse_nats_uri(uri);
    if (!e) return e.error();
    return open_nats_input(*e);
  }
  if (shm::is_shm_uri(uri)) {
    auto r = open_ring_reader(uri);
    if (!r) return r.error();
    return std::unique_ptr<LineInput>(
        std::make_unique<ShmLineInput>(std::move(r).value(), uri.substr(0, uri.find('?'))));
  }
  if (is_zmq_uri(uri)) {
    try {
      return std::unique_ptr<LineInput>(std::make_unique<ZmqLineInput>(uri, options.pattern));
    } catch (const zmq::error_t& e) {
      return Error(ErrorCode::invalid_argument, uri + ": " + e.what());
    }
  }
  int fd = ::open(uri.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return os_error(uri, errno);
  std::unique_ptr<ByteSource> src;
  if (uri.ends_with(".gz")) {
    gzFile f = gzdopen(fd, "rb");
    if (f == nullptr) {
      ::close(fd);
      return Error(ErrorCode::io_error, uri + ": cannot open gzip stream");
    }
    gzbuffer(f, 1 << 17);
    src = std::make_unique<GzSource>(f);
  } else if (uri.ends_with(".zst")) {
    src = std::make_unique<ZstdSource>(std::make_unique<FdSource>(fd, true));
  } else {
    src = std::make_unique<FdSource>(fd, true);
  }
  return std::unique_ptr<LineInput>(std::make_unique<StreamLineInput>(std::move(src), uri));
}

bool wait_readable(const LineInput::WaitTarget& target, int timeout_ms) {
  if (target.shm != nullptr) return target.shm->wait(timeout_ms);
  zmq::pollitem_t item{target.zmq_socket, target.fd, ZMQ_POLLIN, 0};
  try {
    return zmq::poll(&item, 1, std::chrono::milliseconds(timeout_ms)) > 0;
  } catch (const zmq::error_t&) {
    return false;
  }
}

int readiness_fd(const LineInput::WaitTarget& target) {
  if (target.shm != nullptr) return target.shm->arm_fd();
  if (target.zmq_socket == nullptr) return target.fd;
  int fd = -1;
  std::size_t size = sizeof fd;
  return zmq_getsockopt(target.zmq_socket, ZMQ_FD, &fd, &size) == 0 ? fd : -1;
}

bool readable_now(const LineInput::WaitTarget& target) {
  if (target.shm != nullptr) return target.shm->ready();
  if (target.zmq_socket != nullptr) {
    int events = 0;
    std::size_t size = sizeof events;
    return zmq_getsockopt(target.zmq_socket, ZMQ_EVENTS, &events, &size) == 0 &&
           (events & ZMQ_POLLIN) != 0;
  }
  return target.fd >= 0 && wait_readable(target, 0);
}

struct FeedbackInput::Impl {
  // A ZeroMQ SUB socket, a NATS subscription or a shared-memory ring.
  std::unique_ptr<zmq::context_t> ctx;
  std::unique_ptr<zmq::socket_t> sock;
  std::unique_ptr<NatsReceiver> nats;
  std::unique_ptr<shm::Consumer> ring;
  std::string ring_uri;
  std::string buf;
  Nanos looked = 0;  // monotonic time of the last drain

  int fd() const {
    if (ring) return ring->arm_fd();
    return nats ? nats->fd() : readiness_fd(LineInput::WaitTarget{-1, sock->handle()});
  }
  bool recv_one(const std::function<void(std::string_view)>& fn) {
    if (ring) {
      std::string_view line;
      std::uint64_t lost = 0;
      switch (ring->try_read(line, lost)) {
        case shm::Consumer::Read::record:
          if (lost > 0) {
            const std::string gap = ring_gap_line(ring_uri, ring->reader(), lost);
            fn(std::string_view(gap.data(), gap.size() - kLinePadding));
          }
          fn(line);
          return true;
        case shm::Consumer::Read::ended:
          // The executions' producer ended (a restart of ot-exec): the next
          // one makes the ring anew under the same name.
          if (auto r = open_ring_reader(ring_uri)) ring = std::move(r).value();
          return false;
        default:
          return false;
      }
    }
    if (nats) {
      std::string_view line;
      if (!nats->try_next(line)) return false;
      fn(line);
      return true;
    }
    zmq::message_t msg;
    for (;;) {
      if (!sock->recv(msg, zmq::recv_flags::dontwait)) return false;
      if (!sock->get(zmq::sockopt::rcvmore)) break;  // skip the topic frame
    }
    buf.assign(static_cast<const char*>(msg.data()), msg.size());
    while (!buf.empty() && (buf.back() == '\n' || buf.back() == '\r')) buf.pop_back();
    const std::size_t n = buf.size();
    buf.append(kLinePadding, '\0');
    fn(std::string_view(buf.data(), n));
    return true;
  }
};

FeedbackInput::FeedbackInput(std::unique_ptr<Impl> impl, std::string name)
    : impl_(std::move(impl)), name_(std::move(name)) {}

FeedbackInput::~FeedbackInput() = default;

Result<std::unique_ptr<FeedbackInput>> open_feedback(const std::string& uri) {
  auto impl = std::make_unique<FeedbackInput::Impl>();
  if (is_nats_uri(uri)) {
    auto e = parse_nats_uri(uri);
    if (!e) return e.error();
    auto r = open_nats_receiver(*e);
    if (!r) return r.error();
    impl->nats = std::move(r).value();
    return std::unique_ptr<FeedbackInput>(new FeedbackInput(std::move(impl), e->name()));
  }
  if (shm::is_shm_uri(uri)) {
    auto r = open_ring_reader(uri);
    if (!r) return r.error();
    impl->ring = std::move(r).value();
    impl->ring_uri = uri;
    return std::unique_ptr<FeedbackInput>(
        new FeedbackInput(std::move(impl), uri.substr(0, uri.find('?'))));
  }
  try {
    impl->ctx = std::make_unique<zmq::context_t>(1);
    impl->sock = std::make_unique<zmq::socket_t>(*impl->ctx, zmq::socket_type::sub);
    impl->sock->set(zmq::sockopt::subscribe, "");
    impl->sock->set(zmq::sockopt::rcvhwm, 0);
    connect_all(*impl->sock, uri);
  } catch (const zmq::error_t& e) {
    return Error(ErrorCode::invalid_argument, uri + ": " + e.what());
  }
  return std::unique_ptr<FeedbackInput>(new FeedbackInput(std::move(impl), uri));
}

std::size_t FeedbackInput::drain(const std::function<void(std::string_view)>& fn) {
  std::size_t n = 0;
  try {
    while (impl_->recv_one(fn)) ++n;
  } catch (const zmq::error_t&) {
  }
  impl_->looked = mono_ns();
  return n;
}

std::size_t FeedbackInput::catch_up(const std::function<void(std::string_view)>& fn) {
  return mono_ns() - impl_->looked > 100'000 ? drain(fn) : 0;
}

bool FeedbackInput::wait(const LineInput::WaitTarget& main, int timeout_ms,
                         const std::function<void(std::string_view)>& fn) {
  // ZeroMQ's descriptor (ZMQ_FD) polls readable when the socket has news
  // for its user; a socket read until it had nothing (drain() does so, as
  // does the main input before it waits) has none pending. So one poll(2)
  // waits on both, and ZMQ_EVENTS is asked only of a main socket that
  // signalled.
  if (main.shm != nullptr || impl_->ring) {
    // A ring's spin and yield phases first, watching both.
    shm::Consumer* spinner = main.shm != nullptr ? main.shm : impl_->ring.get();
    const std::int64_t deadline =
        timeout_ms < 0 ? INT64_MAX : mono_ns() + Nanos{timeout_ms} * 1'000'000;
    const bool either = spinner->spin(deadline, [&] {
      return (main.shm != nullptr && main.shm->ready()) || (impl_->ring && impl_->ring->ready());
    });
    if (either) {
      if (impl_->ring && impl_->ring->ready()) drain(fn);
      if (main.shm != nullptr ? main.shm->ready() : readable_now(main)) return true;
      if (timeout_ms >= 0) return false;
    }
  }
  const Nanos until = timeout_ms < 0 ? 0 : mono_ns() + Nanos{timeout_ms} * 1'000'000;
  for (;;) {
    // Armed each time round: reading a ring disarms its bell.
    const int fills_fd = impl_->fd();
    const int main_fd = readiness_fd(main);
    pollfd fds[2] = {{fills_fd, POLLIN, 0}, {main_fd, POLLIN, 0}};
    int left = -1;
    if (timeout_ms >= 0) left = static_cast<int>(std::max<Nanos>(0, until - mono_ns()) / 1'000'000);
    const int rc = ::poll(fds, main_fd >= 0 ? 2 : 1, left);
    if (rc < 0) return false;  // EINTR: let the caller look at its stop flag
    if (fds[1].revents != 0 &&
        ((main.zmq_socket == nullptr && main.shm == nullptr) || readable_now(main))) {
      return true;
    }
    if (fds[0].revents != 0) drain(fn);
    if (rc == 0 || timeout_ms >= 0) return false;  // let the caller run its timers
  }
}

}  // namespace ot
