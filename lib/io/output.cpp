#include "io/output.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <vector>
#include <zmq.hpp>

#include "io/input.h"
#include "io/nats.h"
#include "io/shm_ring.h"

namespace ot {
namespace {

enum class Codec { plain, gzip, zstd };

// Buffered line writer on a file descriptor, optionally compressing.
class StreamOutput final : public LineOutput {
 public:
  StreamOutput(int fd, bool owned, Codec codec, OutputOptions options, std::string name)
      : fd_(fd), owned_(owned), codec_(codec), options_(options), name_(std::move(name)) {
    buf_.reserve(kBuffer + 4096);
    // A larger pipe buffer means fewer wake-ups between the two ends of a
    // pipeline (best effort: the kernel may refuse).
    struct stat st {};
    if (fstat(fd_, &st) == 0 && S_ISFIFO(st.st_mode)) fcntl(fd_, F_SETPIPE_SZ, 1 << 20);
    if (codec_ == Codec::gzip) {
      gz_ = gzdopen(fd_, "wb6");
      owned_ = false;  // gzclose closes the descriptor
    } else if (codec_ == Codec::zstd) {
      zctx_ = ZSTD_createCCtx();
      ZSTD_CCtx_setParameter(zctx_, ZSTD_c_compressionLevel, 3);
      zout_.resize(ZSTD_CStreamOutSize());
    }
  }
  ~StreamOutput() override { close(); }
  void write_line(std::string_view, std::string_view line) override {
    buf_.append(line);
    buf_.push_back('\n');
    if (options_.flush_each_line || buf_.size() >= kBuffer) flush();
  }
  bool wants_topic() const override { return false; }
  bool flush() override {
    if (!ok_) return false;
    if (!buf_.empty()) push(buf_.data(), buf_.size(), false);
    buf_.clear();
    return ok_;
  }
  bool ok() const override { return ok_; }
  const std::string& error() const override { return error_; }

 private:
  static constexpr std::size_t kBuffer = 1 << 18;

  void close() {
    flush();
    if (codec_ == Codec::zstd && ok_) push(nullptr, 0, true);
    if (zctx_ != nullptr) ZSTD_freeCCtx(zctx_);
    if (gz_ != nullptr && gzclose(gz_) != Z_OK) fail("gzip close failed");
    if (owned_ && ::close(fd_) != 0) fail(std::strerror(errno));
  }
  void fail(const std::string& why) {
    if (ok_) error_ = name_ + ": " + why;
    ok_ = false;
  }
  void write_fd(const char* p, std::size_t n) {
    if (ok_ && !write_all(fd_, p, n)) fail(std::strerror(errno));
  }
  void push(const char* p, std::size_t n, bool end) {
    switch (codec_) {
      case Codec::plain:
        write_fd(p, n);
        break;
      case Codec::gzip:
        if (gz_ == nullptr || gzwrite(gz_, p, static_cast<unsigned>(n)) != static_cast<int>(n)) {
          fail("gzip write failed");
        }
        break;
      case Codec::zstd: {
        ZSTD_inBuffer in{p, n, 0};
        for (;;) {
          ZSTD_outBuffer out{zout_.data(), zout_.size(), 0};
          std::size_t rc = ZSTD_compressStream2(zctx_, &out, &in, end ? ZSTD_e_end : ZSTD_e_flush);
          if (ZSTD_isError(rc)) return fail(ZSTD_getErrorName(rc));
          write_fd(zout_.data(), out.pos);
          if (rc == 0 && in.pos == in.size) break;
        }
        break;
      }
    }
  }

  int fd_;
  bool owned_;
  Codec codec_;
  OutputOptions options_;
  std::string name_;
  std::string error_;
  std::string buf_;
  bool ok_ = true;
  gzFile gz_ = nullptr;
  ZSTD_CCtx* zctx_ = nullptr;
  std::vector<char> zout_;
};

class ZmqOutput final : public LineOutput {
 public:
  ZmqOutput(const std::string& uri, const OutputOptions& o)
      : ctx_(1),
        sock_(ctx_, o.push ? zmq::socket_type::push : zmq::socket_type::xpub),
        name_(uri),
        wait_ms_(o.subscriber_wait_ms),
        min_subscribers_(o.push ? 0 : std::max(o.min_subscribers, 1)) {
    if (o.push || o.no_drop) {
      sock_.set(zmq::sockopt::sndhwm, 0);
      sock_.set(zmq::sockopt::linger, -1);  // deliver everything before exit
    } else {
      sock_.set(zmq::sockopt::sndhwm, 1'000'000);
      sock_.set(zmq::sockopt::linger, 2000);
    }
    if (o.no_drop && !o.push) {
      sock_.set(zmq::sockopt::xpub_nodrop, 1);
      sock_.set(zmq::sockopt::xpub_verbose, 1);  // count every subscriber
    }
    joined_ = o.push;
    sock_.bind(uri);
  }
  void write_line(std::string_view topic, std::string_view line) override {
    try {
      if (!joined_) wait_for_subscriber();
      sock_.send(zmq::buffer(topic.data(), topic.size()), zmq::send_flags::sndmore);
      sock_.send(zmq::buffer(line.data(), line.size()), zmq::send_flags::none);
    } catch (const zmq::error_t& e) {
      ok_ = false;
      error_ = name_ + ": " + e.what();
    }
  }
  bool flush() override { return ok_; }
  bool ok() const override { return ok_; }
  const std::string& error() const override { return error_; }

 private:
  // PUB/SUB joins asynchronously: messages sent before a subscriber's
  // subscription arrives are dropped. Before the first message, wait (up to
  // wait_ms_) for one, so a consumer started first receives everything.
  void wait_for_subscriber() {
    joined_ = true;
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(wait_ms_);
    int joined = 0;
    while (joined < min_subscribers_) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
          deadline - std::chrono::steady_clock::now());
      if (wait_ms_ >= 0 && left.count() <= 0) break;
      zmq::pollitem_t item{static_cast<void*>(sock_), 0, ZMQ_POLLIN, 0};
      if (zmq::poll(&item, 1, wait_ms_ >= 0 ? left : std::chrono::milliseconds(-1)) <= 0) {
        if (wait_ms_ >= 0) break;
        continue;
      }
      zmq::message_t sub;
      while (sock_.recv(sub, zmq::recv_flags::dontwait)) {
        if (sub.size() > 0 && static_cast<const char*>(sub.data())[0] == 1) ++joined;
      }
    }
  }

  zmq::context_t ctx_;
  zmq::socket_t sock_;
  std::string name_;
  std::string error_;
  int wait_ms_;
  int min_subscribers_ = 1;
  bool joined_ = false;
  bool ok_ = true;
};

// The producer of a shared-memory ring (io/shm_ring.h): every line is a
// record, published as it is written (nothing to flush).
class ShmOutput final : public LineOutput {
 public:
  ShmOutput(std::unique_ptr<shm::Producer> ring, const volatile std::sig_atomic_t* stop)
      : ring_(std::move(ring)), stop_(stop) {}
  void write_line(std::string_view, std::string_view line) override {
    if (ok_ && !ring_->write(line, stop_)) {
      ok_ = false;
      error_ = ring_->error();
    }
  }
  bool wants_topic() const override { return false; }
  bool flush() override { return ok_; }
  bool ok() const override { return ok_; }
  const std::string& error() const override { return error_; }

 private:
  std::unique_ptr<shm::Producer> ring_;
  const volatile std::sig_atomic_t* stop_;
  std::string error_;
  bool ok_ = true;
};

}  // namespace

bool write_all(int fd, const char* p, std::size_t n) {
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    p += w;
    n -= static_cast<std::size_t>(w);
  }
  return true;
}

Result<std::unique_ptr<LineOutput>> open_output(const std::string& uri,
                                                const OutputOptions& options) {
  using Out = std::unique_ptr<LineOutput>;
  if (uri.empty() || uri == "-") {
    return Out(std::make_unique<StreamOutput>(1, false, Codec::plain, options, "<stdout>"));
  }
  if (is_nats_uri(uri)) {
    auto e = parse_nats_uri(uri);
    if (!e) return e.error();
    return open_nats_output(*e);
  }
  if (shm::is_shm_uri(uri)) {
    auto e = shm::parse_shm_uri(uri);
    if (!e) return e.error();
    const bool reliable = options.push || options.no_drop;
    auto r = shm::Producer::open(
        *e, reliable ? shm::Delivery::reliable : shm::Delivery::market_data,
        options.push ? 1 : static_cast<unsigned>(std::max(options.min_subscribers, 1)));
    if (!r) return r.error();
    return Out(std::make_unique<ShmOutput>(std::move(r).value(), options.stop));
  }
  if (is_zmq_uri(uri)) {
    try {
      return Out(std::make_unique<ZmqOutput>(uri, options));
    } catch (const zmq::error_t& e) {
      return Error(ErrorCode::invalid_argument, uri + ": " + e.what());
    }
  }
  int fd = ::open(uri.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return os_error(uri, errno);
  Codec codec = uri.ends_with(".gz")    ? Codec::gzip
                : uri.ends_with(".zst") ? Codec::zstd
                                        : Codec::plain;
  return Out(std::make_unique<StreamOutput>(fd, true, codec, options, uri));
}

}  // namespace ot
