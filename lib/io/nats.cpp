#include "io/nats.h"

#include <fmt/format.h>
#include <nats/nats.h>
#include <poll.h>
#include <signal.h>
#include <simdjson.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <deque>
#include <functional>
#include <limits>
#include <mutex>
#include <optional>

#include "core/hash.h"
#include "core/json_in.h"
#include "core/json_out.h"
#include "core/time.h"

namespace ot {

namespace {

// ---- URI ----

std::optional<std::int64_t> seconds_of(std::string_view v) {
  std::int64_t unit = 1;
  if (!v.empty()) {
    switch (v.back()) {
      case 's':
        v.remove_suffix(1);
        break;
      case 'm':
        unit = 60, v.remove_suffix(1);
        break;
      case 'h':
        unit = 3600, v.remove_suffix(1);
        break;
      case 'd':
        unit = 86400, v.remove_suffix(1);
        break;
      default:
        break;
    }
  }
  std::int64_t n = 0;
  const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
  if (ec != std::errc() || p != v.data() + v.size() || n < 0) return std::nullopt;
  // JetStream takes durations in nanoseconds: refuse what overflows them.
  constexpr std::int64_t kMaxSeconds = std::numeric_limits<std::int64_t>::max() / 1'000'000'000;
  if (n > kMaxSeconds / unit) return std::nullopt;
  return n * unit;
}

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    unsigned v = 0;
    if (s[i] == '%' && i + 2 < s.size() &&
        std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16).ptr == s.data() + i + 3) {
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool is_hex(char c) { return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F'); }

// ---- signals ----

// Blocks the stop and dump signals in this thread for its lifetime, so the
// threads nats.c starts meanwhile (which inherit the mask) never take them.
class SignalBlock {
 public:
  SignalBlock() {
    sigset_t s;
    sigemptyset(&s);
    for (int sig : {SIGINT, SIGTERM, SIGUSR1, SIGUSR2}) sigaddset(&s, sig);
    pthread_sigmask(SIG_BLOCK, &s, &old_);
  }
  ~SignalBlock() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }
  SignalBlock(const SignalBlock&) = delete;
  SignalBlock& operator=(const SignalBlock&) = delete;

 private:
  sigset_t old_;
};

std::string last_error(natsStatus s) {
  const char* text = nats_GetLastError(nullptr);
  return text != nullptr && *text != '\0' ? text : natsStatus_GetText(s);
}

// A status event line from the transport itself.
std::string status_line(std::string_view event, std::string_view detail) {
  return transport_status_line("nats", event, detail);
}

// ---- the connection ----

// One connection to the servers of an endpoint, reconnecting for ever,
// with its events handed to `on_event` ("disconnected", "connected") on
// nats.c's thread.
class Connection {
 public:
  using Events = std::function<void(std::string_view event)>;

  static Result<std::unique_ptr<Connection>> open(const NatsEndpoint& e, Events on_event,
                                                  natsErrHandler on_error, void* error_closure,
                                                  bool with_js, bool send_asap = false) {
    auto c = std::unique_ptr<Connection>(new Connection(std::move(on_event)));
    const std::string where = e.name();
    auto fail = [&](natsStatus s) {
      return Error(ErrorCode::io_error, where + ": " + last_error(s));
    };
    natsStatus s = natsOptions_Create(&c->opts_);
    std::vector<const char*> servers;
    for (const auto& url : e.servers) servers.push_back(url.c_str());
    if (s == NATS_OK) {
      s = natsOptions_SetServers(c->opts_, servers.data(), static_cast<int>(servers.size()));
    }
    if (s == NATS_OK && !e.user.empty()) {
      s = natsOptions_SetUserInfo(c->opts_, e.user.c_str(), e.password.c_str());
    }
    if (s == NATS_OK && !e.creds.empty()) {
      s = natsOptions_SetUserCredentialsFromFiles(c->opts_, e.creds.c_str(), nullptr);
    }
    if (s == NATS_OK && !e.nkey.empty()) {
      s = natsOptions_SetNKeyFromSeed(c->opts_, e.nkey.c_str(), e.nkey_seed.c_str());
    }
    if (s == NATS_OK && e.tls) s = natsOptions_SetSecure(c->opts_, true);
    if (s == NATS_OK && !e.tls_ca.empty()) {
      s = natsOptions_LoadCATrustedCertificates(c->opts_, e.tls_ca.c_str());
    }
    if (s == NATS_OK && !e.tls_cert.empty()) {
      s = natsOptions_LoadCertificatesChain(c->opts_, e.tls_cert.c_str(),
                                            (e.tls_key.empty() ? e.tls_cert : e.tls_key).c_str());
    }
    if (s == NATS_OK && send_asap) s = natsOptions_SetSendAsap(c->opts_, true);
    if (s == NATS_OK) s = natsOptions_SetMaxReconnect(c->opts_, -1);
    if (s == NATS_OK) s = natsOptions_SetReconnectWait(c->opts_, 250);
    if (s == NATS_OK) s = natsOptions_SetReconnectBufSize(c->opts_, 64 << 20);
    if (s == NATS_OK)
      s = natsOptions_SetDisconnectedCB(c->opts_, &Connection::disconnected, c.get());
    if (s == NATS_OK) s = natsOptions_SetReconnectedCB(c->opts_, &Connection::reconnected, c.get());
    if (s == NATS_OK) s = natsOptions_SetClosedCB(c->opts_, &Connection::closed, c.get());
    if (s == NATS_OK && on_error != nullptr) {
      s = natsOptions_SetErrorHandler(c->opts_, on_error, error_closure);
    }
    if (s != NATS_OK) return fail(s);
    {
      SignalBlock block;
      s = natsConnection_Connect(&c->nc_, c->opts_);
      if (s == NATS_OK && with_js) s = natsConnection_JetStream(&c->js_, c->nc_, nullptr);
    }
    if (s != NATS_OK) return fail(s);
    return c;
  }

  ~Connection() {
    if (nc_ != nullptr) {
      natsConnection_FlushTimeout(nc_, 5000);
      if (js_ != nullptr) jsCtx_Destroy(js_);
      // Callbacks run on nats.c's own thread: wait for the last one (closed)
      // before this object goes.
      closing_ = true;
      natsConnection_Close(nc_);
      {
        std::unique_lock<std::mutex> l(m_);
        done_.wait_for(l, std::chrono::seconds(5), [this] { return closed_; });
      }
      natsConnection_Destroy(nc_);
    }
    if (opts_ != nullptr) natsOptions_Destroy(opts_);
  }

  natsConnection* nc() const { return nc_; }
  jsCtx* js() const { return js_; }

 private:
  explicit Connection(Events on_event) : on_event_(std::move(on_event)) {}
  static void disconnected(natsConnection*, void* self) {
    auto* c = static_cast<Connection*>(self);
    if (!c->closing_) c->on_event_("disconnected");
  }
  static void reconnected(natsConnection*, void* self) {
    auto* c = static_cast<Connection*>(self);
    if (!c->closing_) c->on_event_("connected");
  }
  static void closed(natsConnection*, void* self) {
    auto* c = static_cast<Connection*>(self);
    std::lock_guard<std::mutex> l(c->m_);
    c->closed_ = true;
    c->done_.notify_all();
  }

  Events on_event_;
  std::atomic<bool> closing_{false};
  std::mutex m_;
  std::condition_variable done_;
  bool closed_ = false;
  natsOptions* opts_ = nullptr;
  natsConnection* nc_ = nullptr;
  jsCtx* js_ = nullptr;
};

// Whether every subject `wanted` (wildcards allowed) matches `pattern`.
bool covers(std::string_view pattern, std::string_view wanted) {
  for (;;) {
    const auto pd = pattern.find('.'), wd = wanted.find('.');
    const std::string_view p = pattern.substr(0, pd), w = wanted.substr(0, wd);
    if (p == ">") return true;
    if (w == ">" || (p != "*" && (p != w || w == "*"))) return false;
    if (pd == std::string_view::npos || wd == std::string_view::npos) {
      return pd == std::string_view::npos && wd == std::string_view::npos;
    }
    pattern.remove_prefix(pd + 1);
    wanted.remove_prefix(wd + 1);
  }
}

// Sleeps `ms` milliseconds; false when a stop signal came meanwhile (the
// signals are blocked on nats.c's threads, so they reach this one).
bool nap(int ms) {
  pollfd none{};
  return !(::poll(&none, 0, ms) < 0 && errno == EINTR);
}

// A JetStream API request, made again while the cluster has no leader to
// answer it (a timeout, no responders: an election), for up to 30 s or
// until a signal comes.
template <class Request>
natsStatus api_request(Request&& request) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (;;) {
    const natsStatus s = request();
    if ((s != NATS_TIMEOUT && s != NATS_NO_RESPONDERS) ||
        std::chrono::steady_clock::now() > deadline) {
      return s;
    }
    if (!nap(250)) return s;
  }
}

// Makes sure stream e.stream exists (subjects: the subject's first token
// and everything under it), creating it with e's settings when absent.
// Another process creating it at the same moment is no failure. A stream
// that exists must take `wanted` (the subjects an output publishes to, or
// an input subscribes to): invalid_argument, saying so, when it does not.
Result<> ensure_stream(jsCtx* js, const NatsEndpoint& e, const std::string& wanted) {
  jsStreamInfo* si = nullptr;
  jsErrCode jerr = static_cast<jsErrCode>(0);
  if (api_request([&] { return js_GetStreamInfo(&si, js, e.stream.c_str(), nullptr, &jerr); }) ==
      NATS_OK) {
    bool taken = false;
    std::string has;
    for (int i = 0; i < si->Config->SubjectsLen; ++i) {
      taken = taken || covers(si->Config->Subjects[i], wanted);
      has += (has.empty() ? "" : ", ") + std::string(si->Config->Subjects[i]);
    }
    jsStreamInfo_Destroy(si);
    if (taken) return {};
    return Error(ErrorCode::invalid_argument, e.name() + ": stream " + e.stream + " takes " + has +
                                                  ", not " + wanted +
                                                  " (another js= name, or another subject)");
  }
  const std::string root = e.subject.substr(0, e.subject.find('.'));
  if (root.empty() || root == "*" || root == ">") {
    return Error(ErrorCode::invalid_argument,
                 e.name() +
                     ": a stream is created for the subject's first token, which is a "
                     "wildcard here; create stream " +
                     e.stream + " first");
  }
  const std::string subjects = root + ".>";
  const char* list[] = {subjects.c_str()};
  jsStreamConfig cfg;
  jsStreamConfig_Init(&cfg);
  cfg.Name = e.stream.c_str();
  cfg.Subjects = list;
  cfg.SubjectsLen = 1;
  cfg.Storage = e.memory ? js_MemoryStorage : js_FileStorage;
  cfg.Replicas = e.replicas;
  cfg.MaxAge = e.max_age_s * 1'000'000'000;
  cfg.Duplicates = e.dup_window_s * 1'000'000'000;
  natsStatus s = api_request([&] { return js_AddStream(&si, js, &cfg, nullptr, &jerr); });
  if (s == NATS_OK) {
    jsStreamInfo_Destroy(si);
    return {};
  }
  // Created by another process meanwhile (with its own settings, which it
  // keeps): a cluster may take a moment to report it.
  if (jerr == JSStreamNameExistErr) return {};
  const std::string why = last_error(s);
  for (int tries = 0; tries < 20; ++tries) {
    if (js_GetStreamInfo(&si, js, e.stream.c_str(), nullptr, &jerr) == NATS_OK) {
      jsStreamInfo_Destroy(si);
      return {};
    }
    nats_Sleep(100);
  }
  return Error(ErrorCode::io_error, e.name() + ": cannot create stream " + e.stream + ": " + why);
}

// ---- input ----

// A number in a JetStream message's reply subject,
// $JS.ACK.<stream>.<consumer>.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>
// (or, with a domain and an account hash after ACK, two tokens further on):
// the stream sequence, or how many messages are pending behind this one.
enum class AckField { stream_seq = 5, pending = 8 };
std::optional<std::uint64_t> ack_field(const char* reply, AckField field) {
  if (reply == nullptr) return std::nullopt;
  std::string_view tokens[12];
  std::size_t n = 0;
  std::string_view s(reply);
  while (n < 12) {
    const auto dot = s.find('.');
    tokens[n++] = s.substr(0, dot);
    if (dot == std::string_view::npos) break;
    s.remove_prefix(dot + 1);
  }
  const auto at = static_cast<std::size_t>(field);
  const std::string_view t = n == 9 ? tokens[at] : n >= 11 ? tokens[at + 2] : std::string_view();
  std::uint64_t v = 0;
  const auto r = std::from_chars(t.data(), t.data() + t.size(), v);
  if (t.empty() || r.ec != std::errc() || r.ptr != t.data() + t.size()) return std::nullopt;
  return v;
}

class NatsLineInput final : public LineInput, public NatsReceiver {
 public:
  explicit NatsLineInput(const NatsEndpoint& e)
      : e_(e), name_(e.name()), acks_(!e.stream.empty() && !e.durable.empty()) {
    efd_ = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  }

  // `catch_up`: a JetStream input read from the stream's start (no
  // durable) hands out, through try_next(), every message the stream held
  // when it subscribed before it first says none waits.
  Result<> start(bool catch_up) {
    if (efd_ < 0) return os_error(name_, errno);
    catching_up_ = catch_up && !acks_ && !e_.stream.empty();
    auto c = Connection::open(
        e_,
        [this](std::string_view ev) {
          push_status(ev, name_);
          // Core NATS keeps nothing for a subscriber that is away.
          if (ev == "connected" && e_.stream.empty()) {
            push_status("gap", name_ + ": what was published while disconnected is lost");
          }
        },
        &NatsLineInput::on_error, this, !e_.stream.empty());
    if (!c) return c.error();
    conn_ = std::move(c).value();
    SignalBlock block;
    natsStatus s;
    if (e_.stream.empty()) {
      s = natsConnection_Subscribe(&sub_, conn_->nc(), e_.subject.c_str(), &NatsLineInput::on_msg,
                                   this);
    } else {
      if (auto r = ensure_stream(conn_->js(), e_, e_.subject); !r) return r;
      jsSubOptions so;
      jsSubOptions_Init(&so);
      so.Stream = e_.stream.c_str();
      so.Config.DeliverPolicy = js_DeliverAll;
      if (acks_) {
        if (const auto from = resume_point()) {
          so.Config.DeliverPolicy = from->first;
          so.Config.OptStartSeq = from->second;
        }
        so.Config.Durable = e_.durable.c_str();
        so.Config.AckPolicy = js_AckExplicit;
        so.Config.AckWait = e_.ack_wait_s * 1'000'000'000;
        so.Config.MaxAckPending = 4 * kQueued;
        so.ManualAck = true;
      } else {
        so.Ordered = true;  // in order, gap-free, no acks; re-created after a failure
      }
      jsErrCode jerr = static_cast<jsErrCode>(0);
      s = api_request([&] {
        return js_Subscribe(&sub_, conn_->js(), e_.subject.c_str(), &NatsLineInput::on_msg, this,
                            nullptr, &so, &jerr);
      });
    }
    if (s != NATS_OK) {
      return Error(ErrorCode::io_error, name_ + ": cannot subscribe: " + last_error(s));
    }
    natsSubscription_SetOnCompleteCB(sub_, &NatsLineInput::on_complete, this);
    if (e_.stream.empty()) {
      natsSubscription_SetPendingLimits(sub_, e_.pending, 256 << 20);
      // The server has the subscription once this returns: what is
      // published from then on reaches it.
      natsConnection_FlushTimeout(conn_->nc(), 5000);
    }
    if (catching_up_) {
      // Nothing to catch up with when the stream held nothing for us (else
      // the last message it held arrives with nothing pending behind it).
      jsConsumerInfo* ci = nullptr;
      if (natsSubscription_GetConsumerInfo(&ci, sub_, nullptr, nullptr) == NATS_OK) {
        if (ci->NumPending == 0 && ci->Delivered.Consumer == 0) caught_up_ = true;
        jsConsumerInfo_Destroy(ci);
      }
    }
    return {};
  }

  ~NatsLineInput() override {
    std::deque<Item> left;
    {
      std::lock_guard<std::mutex> l(m_);
      closing_ = true;  // on_msg gives back what it still receives
      left.swap(queue_);
    }
    room_.notify_all();
    if (current_ != nullptr) handled_.push_back(current_);
    ack_handled();
    for (auto& it : left) unhandled(it.msg);
    // Unsubscribing would delete a durable consumer this process created
    // (nats.c ≥ 3.4): closing the connection ends its subscription and
    // keeps it.
    if (sub_ != nullptr && !acks_) natsSubscription_Unsubscribe(sub_);
    conn_.reset();
    if (sub_ != nullptr) {
      // on_msg may still be running on nats.c's thread: wait until it has
      // returned for good before this object goes.
      std::unique_lock<std::mutex> l(m_);
      complete_cv_.wait_for(l, std::chrono::seconds(5), [this] { return complete_; });
      l.unlock();
      natsSubscription_Destroy(sub_);
    }
    if (efd_ >= 0) ::close(efd_);
  }

  bool next(std::string_view& line) override {
    if (current_ != nullptr) {
      handled_.push_back(current_);
      current_ = nullptr;
      if (handled_.size() >= kAckBatch) settle();
    }
    for (;;) {
      if (take(line)) return true;
      settle();
      if (has_wait_hook()) {
        if (wait(WaitTarget{efd_, nullptr}) == WaitResult::stop) return false;
      } else {
        pollfd p{efd_, POLLIN, 0};
        if (::poll(&p, 1, -1) < 0 && errno == EINTR) return false;  // a stop signal
      }
      drain_wakeups();
    }
  }

  int fd() const override { return efd_; }
  bool try_next(std::string_view& line) override {
    if (current_ != nullptr) {
      handled_.push_back(current_);
      current_ = nullptr;
    }
    drain_wakeups();
    while (catching_up_) {
      if (take(line)) return true;
      if (caught_up_) break;
      // Waits for the backlog; a signal, or no message for a while (the
      // server went away), ends the wait.
      pollfd p{efd_, POLLIN, 0};
      if (::poll(&p, 1, kCatchUpIdleMs) <= 0) break;
      drain_wakeups();
    }
    catching_up_ = false;
    if (take(line)) return true;
    ack_handled();
    return false;
  }

  std::uint64_t line_number() const override { return 0; }
  const std::string& name() const override { return name_; }
  const std::string& source() const override { return acks_ ? name_ : no_source_; }
  std::optional<std::uint64_t> position() const override { return position_; }
  const std::string& error() const override { return error_; }

 private:
  static constexpr std::size_t kQueued = 4096;   // messages held before nats.c's own queue
  static constexpr std::size_t kAckBatch = 256;  // handled messages acked at once
  static constexpr int kCatchUpIdleMs = 10000;

  struct Item {
    natsMsg* msg = nullptr;  // or a status line:
    std::string status;
  };

  // A durable consumer left with messages delivered and not acked (its
  // last user was killed) would get them again only after ack_wait, behind
  // newer ones: out of order (a cancel before its order). It is made again
  // from its ack floor instead (acks go in order), so the first message
  // not acked comes first. Returns the delivery policy and start sequence
  // to subscribe with: that one, having deleted the old consumer, or the
  // existing consumer's own (which a subscription must repeat); nullopt
  // when there is none yet.
  std::optional<std::pair<jsDeliverPolicy, std::uint64_t>> resume_point() {
    for (int tries = 1;; ++tries) {
      jsConsumerInfo* ci = nullptr;
      if (api_request([&] {
            return js_GetConsumerInfo(&ci, conn_->js(), e_.stream.c_str(), e_.durable.c_str(),
                                      nullptr, nullptr);
          }) != NATS_OK) {
        return std::nullopt;  // none yet
      }
      const bool bound = ci->PushBound;
      const bool pending = ci->NumAckPending > 0;
      const std::uint64_t floor = ci->AckFloor.Stream;
      const std::pair<jsDeliverPolicy, std::uint64_t> own{ci->Config->DeliverPolicy,
                                                          ci->Config->OptStartSeq};
      jsConsumerInfo_Destroy(ci);
      if (!pending) return own;
      if (!bound) {
        if (js_DeleteConsumer(conn_->js(), e_.stream.c_str(), e_.durable.c_str(), nullptr,
                              nullptr) != NATS_OK) {
          return own;
        }
        return std::pair{js_DeliverByStartSequence, floor + 1};
      }
      // Its killed user's connection may not be gone yet (after 5 s:
      // another process holds it, and subscribing says so).
      if (tries == 50 || !nap(100)) return own;
    }
  }

  // The next waiting line into `line` (a gap first, if the client dropped
  // messages); false when none waits.
  bool take(std::string_view& line) {
    for (;;) {
      if (sub_ != nullptr && e_.stream.empty()) {
        int64_t dropped = 0;
        if (natsSubscription_GetDropped(sub_, &dropped) == NATS_OK && dropped > dropped_seen_) {
          const auto n = dropped - dropped_seen_;
          dropped_seen_ = dropped;
          return hand_out(
              status_line("gap", fmt::format("{}: slow consumer: {} messages dropped", name_, n)),
              line);
        }
      }
      Item it;
      {
        std::lock_guard<std::mutex> l(m_);
        if (queue_.empty()) return false;
        it = std::move(queue_.front());
        queue_.pop_front();
      }
      room_.notify_one();
      if (it.msg == nullptr) {
        position_.reset();
        return hand_out(it.status, line);
      }
      const char* data = natsMsg_GetData(it.msg);
      const auto n = static_cast<std::size_t>(natsMsg_GetDataLength(it.msg));
      if (n > max_) {
        bad_line(0, "message longer than " + std::to_string(max_) + " bytes (OT_MAX_LINE)");
        release(it.msg);
        continue;
      }
      hand_out(std::string_view(data == nullptr ? "" : data, n), line);
      if (acks_) {
        current_ = it.msg;
        position_ = ack_field(natsMsg_GetReply(it.msg), AckField::stream_seq);
      } else {
        natsMsg_Destroy(it.msg);
      }
      return true;
    }
  }
  void drain_wakeups() {
    std::uint64_t ignored;
    while (::read(efd_, &ignored, sizeof ignored) > 0) {
    }
  }

  static void on_msg(natsConnection*, natsSubscription*, natsMsg* msg, void* self) {
    auto* in = static_cast<NatsLineInput*>(self);
    {
      std::unique_lock<std::mutex> l(in->m_);
      // Back-pressure: a full queue holds nats.c's delivery thread, so its
      // own limits (core: a slow consumer's drops, reported as a gap) or
      // JetStream's flow control take over.
      in->room_.wait(l, [in] { return in->queue_.size() < kQueued || in->closing_; });
      if (in->closing_) {
        in->unhandled(msg);
        return;
      }
      in->queue_.push_back(Item{msg, {}});
      if (in->catching_up_ && !in->caught_up_ &&
          ack_field(natsMsg_GetReply(msg), AckField::pending) == 0) {
        in->caught_up_ = true;
      }
    }
    in->wake();
  }
  static void on_complete(void* self) {
    auto* in = static_cast<NatsLineInput*>(self);
    std::lock_guard<std::mutex> l(in->m_);
    in->complete_ = true;
    in->complete_cv_.notify_all();
  }
  static void on_error(natsConnection*, natsSubscription*, natsStatus s, void* self) {
    auto* in = static_cast<NatsLineInput*>(self);
    if (s != NATS_SLOW_CONSUMER) in->push_status("error", natsStatus_GetText(s));
  }
  void push_status(std::string_view event, std::string_view detail) {
    {
      std::lock_guard<std::mutex> l(m_);
      queue_.push_back(Item{nullptr, status_line(event, detail)});
    }
    wake();
  }
  void wake() {
    const std::uint64_t one = 1;
    [[maybe_unused]] auto n = ::write(efd_, &one, sizeof one);
  }
  bool hand_out(std::string_view text, std::string_view& line) {
    buf_.assign(text);
    while (!buf_.empty() && (buf_.back() == '\n' || buf_.back() == '\r')) buf_.pop_back();
    const std::size_t n = buf_.size();
    buf_.append(kLinePadding, '\0');
    line = std::string_view(buf_.data(), n);
    return true;
  }
  // What was handled is acked once the program's outputs are flushed (the
  // idle hook), so an event is acked only after what it caused left.
  void settle() {
    if (handled_.empty()) return idle();
    idle();
    ack_handled();
  }
  void ack_handled() {
    for (natsMsg* m : handled_) release(m);
    handled_.clear();
  }
  // A message received but never handed out: told back at once (a durable
  // consumer's server delivers it again now, not after ack_wait).
  void unhandled(natsMsg* m) {
    if (m != nullptr && acks_) natsMsg_Nak(m, nullptr);
    natsMsg_Destroy(m);
  }
  void release(natsMsg* m) {
    if (acks_) natsMsg_Ack(m, nullptr);
    natsMsg_Destroy(m);
  }

  NatsEndpoint e_;
  std::string name_;
  std::string error_;
  const std::string no_source_;
  std::optional<std::uint64_t> position_;  // of the line last handed out (durable)
  const bool acks_;
  std::unique_ptr<Connection> conn_;
  natsSubscription* sub_ = nullptr;
  int efd_ = -1;
  std::mutex m_;
  std::condition_variable room_;
  std::deque<Item> queue_;
  bool closing_ = false;
  bool complete_ = false;  // the subscription closed and on_msg returned for good
  std::condition_variable complete_cv_;
  // Catching up with the stream (start()): until the message with nothing
  // pending behind it is queued.
  std::atomic<bool> catching_up_{false}, caught_up_{false};
  natsMsg* current_ = nullptr;     // the message last handed out (acked later)
  std::vector<natsMsg*> handled_;  // handled, not yet acked
  int64_t dropped_seen_ = 0;
  std::string buf_;
  std::size_t max_ = max_line_bytes();
};

// ---- output ----

// JetStream publishing that keeps the publisher's order through the loss
// of a stream leader. Publishes go out asynchronously, up to kMaxPending
// unanswered, each keeping its place in `sent_` until its ack. One that
// fails for want of a leader (no ack within kAckTimeoutMs, no responders,
// the connection closed) must be stored before anything newer. So once one
// has failed, or acks have stopped coming for kStallMs, nothing new goes
// out: when every outstanding publish has its answer, the failed ones are
// sent again one by one, in order, until stored, and only then the rest. A
// cluster elects a new leader in seconds, far above kStallMs, so nothing
// sent after the stall reaches it before what the old one lost. JetStream's
// duplicate window drops those stored although their ack was lost.
class OrderedPublisher {
 public:
  explicit OrderedPublisher(std::string name) : name_(std::move(name)) {}
  OrderedPublisher(const OrderedPublisher&) = delete;
  OrderedPublisher& operator=(const OrderedPublisher&) = delete;

  Result<> start(natsConnection* nc) {
    jsOptions jo;
    jsOptions_Init(&jo);
    jo.PublishAsync.MaxPending = 2 * kMaxPending;  // never reached: publish() waits first
    jo.PublishAsync.AckHandler = &OrderedPublisher::on_ack;
    jo.PublishAsync.AckHandlerClosure = this;
    if (natsStatus s = natsConnection_JetStream(&js_, nc, &jo); s != NATS_OK) {
      return Error(ErrorCode::io_error, name_ + ": JetStream: " + last_error(s));
    }
    return {};
  }

  ~OrderedPublisher() {
    if (js_ != nullptr) {
      // nats.c answers every outstanding publish (a timeout at the latest)
      // into on_ack: not after this object is gone.
      jsPubOptions po;
      jsPubOptions_Init(&po);
      po.MaxWait = 2 * kAckTimeoutMs;
      js_PublishAsyncComplete(js_, &po);
      jsCtx_Destroy(js_);
    }
    for (const Sent& x : sent_) {
      if (x.state != Sent::pending) natsMsg_Destroy(x.msg);
    }
  }

  jsCtx* js() const { return js_; }
  const std::string& error() const { return error_; }

  // Publishes m, which it takes. False once an event was refused or a
  // resend interrupted by a signal (error() says which).
  bool publish(natsMsg* m) {
    for (;;) {
      if (!error_.empty()) {
        natsMsg_Destroy(m);
        return false;
      }
      {
        std::unique_lock<std::mutex> l(m_);
        if (!must_settle()) {
          if (outstanding_ >= kMaxPending) {
            room_.wait_for(l, std::chrono::milliseconds(10));
            continue;
          }
          if (outstanding_ == 0) progress_ = Clock::now();
          sent_.push_back(Sent{m, Sent::pending});
          ++outstanding_;
          break;
        }
      }
      settle();
    }
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = kAckTimeoutMs;
    std::optional<SignalBlock> block;
    if (first_) block.emplace();  // nats.c starts the acks' thread now
    first_ = false;
    if (js_PublishMsgAsync(js_, &m, &po) != NATS_OK) {
      // Not sent (nats.c kept nothing): failed, as if unanswered.
      std::lock_guard<std::mutex> l(m_);
      answered(m, Sent::failed);
    }
    return true;
  }

  // Every publish stored; false if one was refused or a signal came.
  bool complete() {
    for (;;) {
      if (!error_.empty()) return false;
      {
        std::lock_guard<std::mutex> l(m_);
        if (sent_.empty()) return true;
      }
      settle();
    }
  }

 private:
  struct Sent {
    natsMsg* msg;
    enum State { pending, stored, failed } state;
  };
  static constexpr std::size_t kMaxPending = 4096;
  static constexpr std::int64_t kAckTimeoutMs = 5000;
  static constexpr auto kStall = std::chrono::milliseconds(500);
  using Clock = std::chrono::steady_clock;

  bool must_settle() const {
    return failed_ || (outstanding_ > 0 && Clock::now() - progress_ > kStall);
  }

  // With m_ held: m's answer.
  void answered(natsMsg* msg, Sent::State state) {
    const auto it =
        std::find_if(sent_.begin(), sent_.end(), [msg](const Sent& x) { return x.msg == msg; });
    if (it == sent_.end() || it->state != Sent::pending) {
      natsMsg_Destroy(msg);  // given up on by settle(), sent again since
      return;
    }
    it->state = state;
    failed_ = failed_ || state == Sent::failed;
    --outstanding_;
    progress_ = Clock::now();
    while (!sent_.empty() && sent_.front().state == Sent::stored) {
      natsMsg_Destroy(sent_.front().msg);
      sent_.pop_front();
    }
    room_.notify_one();
  }

  static void on_ack(jsCtx*, natsMsg* msg, jsPubAck* pa, jsPubAckErr* pae, void* self) {
    auto* p = static_cast<OrderedPublisher*>(self);
    std::lock_guard<std::mutex> l(p->m_);
    if (pa != nullptr || pae == nullptr) return p->answered(msg, Sent::stored);
    if (retryable(pae->Err, pae->ErrCode)) return p->answered(msg, Sent::failed);
    if (p->refused_.empty()) {
      p->refused_ = pae->ErrText != nullptr ? pae->ErrText : natsStatus_GetText(pae->Err);
    }
    p->answered(msg, Sent::stored);  // refused: JetStream will never keep it
  }

  // For want of a leader or a server, not refused by one.
  static bool retryable(natsStatus s, jsErrCode code) {
    return s == NATS_NO_RESPONDERS ||
           (code == 0 && (s == NATS_TIMEOUT || s == NATS_CONNECTION_CLOSED));
  }

  // Waits for every outstanding publish's answer (nats.c gives a timeout
  // after kAckTimeoutMs at the latest; one it never answers is given up on
  // after three times that), then sends the failed ones again, in order.
  void settle() {
    std::vector<natsMsg*> again;
    {
      std::unique_lock<std::mutex> l(m_);
      const auto deadline = Clock::now() + 3 * std::chrono::milliseconds(kAckTimeoutMs);
      while (outstanding_ > 0 && Clock::now() < deadline) {
        room_.wait_for(l, std::chrono::milliseconds(100));
      }
      for (const Sent& x : sent_) {
        if (x.state == Sent::stored) {
          natsMsg_Destroy(x.msg);
          continue;
        }
        again.push_back(copy(x.msg));
        if (x.state == Sent::failed) natsMsg_Destroy(x.msg);  // else nats.c's still
      }
      sent_.clear();
      outstanding_ = 0;
      failed_ = false;
      if (!refused_.empty()) error_ = name_ + ": JetStream refused an event: " + refused_;
    }
    for (natsMsg* m : again) {
      if (error_.empty() && m != nullptr) resend(m);
      natsMsg_Destroy(m);
    }
    std::lock_guard<std::mutex> l(m_);
    progress_ = Clock::now();
  }

  // m again, synchronously, until stored (or refused, or a signal).
  void resend(natsMsg* m) {
    jsPubOptions po;
    jsPubOptions_Init(&po);
    po.MaxWait = kAckTimeoutMs;
    for (;;) {
      jsPubAck* pa = nullptr;
      jsErrCode code = static_cast<jsErrCode>(0);
      const natsStatus s = js_PublishMsg(&pa, js_, m, &po, &code);
      jsPubAck_Destroy(pa);
      if (s == NATS_OK) return;
      if (!retryable(s, code)) {
        error_ = name_ + ": JetStream refused an event: " + last_error(s);
        return;
      }
      if (!nap(100)) {
        error_ = name_ + ": interrupted while JetStream had no leader";
        return;
      }
    }
  }

  static natsMsg* copy(natsMsg* m) {
    natsMsg* c = nullptr;
    if (natsMsg_Create(&c, natsMsg_GetSubject(m), nullptr, natsMsg_GetData(m),
                       natsMsg_GetDataLength(m)) != NATS_OK) {
      return nullptr;
    }
    const char* id = nullptr;
    if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) == NATS_OK && id != nullptr) {
      natsMsgHeader_Set(c, "Nats-Msg-Id", id);
    }
    return c;
  }

  std::string name_;
  std::string error_;
  jsCtx* js_ = nullptr;
  bool first_ = true;
  std::mutex m_;  // guards what follows (the acks come on nats.c's thread)
  std::condition_variable room_;
  std::deque<Sent> sent_;  // in publish order, from the oldest unanswered
  std::size_t outstanding_ = 0;
  bool failed_ = false;
  Clock::time_point progress_;  // the last answer, or the first publish after none
  std::string refused_;         // why JetStream refused one, if it did
};

class NatsLineOutput final : public LineOutput {
 public:
  explicit NatsLineOutput(const NatsEndpoint& e) : e_(e), name_(e.name()) {}

  Result<> start() {
    const bool js = !e_.stream.empty();
    auto c = Connection::open(
        e_,
        [this](std::string_view ev) {
          if (ev == "connected") reconnected_ = true;
        },
        // Core NATS: each publish leaves at once, as a pipe output's line
        // does (nats.c would hold it for its flusher, up to a millisecond);
        // JetStream batches and pushes out at flush().
        nullptr, nullptr, false, !js);
    if (!c) return c.error();
    conn_ = std::move(c).value();
    if (js) {
      SignalBlock block;
      js_ = std::make_unique<OrderedPublisher>(name_);
      if (auto r = js_->start(conn_->nc()); !r) return r;
      if (auto r = ensure_stream(js_->js(), e_, e_.subject + ".>"); !r) return r;
    }
    return {};
  }

  ~NatsLineOutput() override {
    flush();
    js_.reset();
    conn_.reset();
  }

  void write_line(std::string_view topic, std::string_view line) override {
    if (!error_.empty()) return;
    if (reconnected_.exchange(false)) {
      std::string detail = name_ + ": reconnected";
      if (lost_ > lost_reported_) {
        publish(status_subject_, status_line("gap", fmt::format("{}: {} events not published "
                                                                "while disconnected",
                                                                name_, lost_ - lost_reported_)));
        lost_reported_ = lost_;
      }
      publish(status_subject_, status_line("connected", detail));
    }
    if (topic.empty()) {
      publish(nats_subject(e_.subject, topic_of(line)), line);
    } else {
      publish(nats_subject(e_.subject, topic), line);
    }
  }

  bool flush() override {
    if (js_ == nullptr || !error_.empty()) return error_.empty();
    // What nats.c still buffers goes out now, not at its flusher's next
    // round (up to a millisecond later): the acks come that much sooner.
    if (unflushed_) natsConnection_FlushTimeout(conn_->nc(), 1000);
    unflushed_ = false;
    if (!js_->complete()) error_ = js_->error();
    return error_.empty();
  }
  bool ok() const override { return error_.empty(); }
  const std::string& error() const override { return error_; }
  bool deduplicates() const override { return js_ != nullptr; }

 private:
  void publish(const std::string& subject, std::string_view line) {
    if (js_ == nullptr) {
      if (natsConnection_Publish(conn_->nc(), subject.c_str(), line.data(),
                                 static_cast<int>(line.size())) != NATS_OK) {
        ++lost_;  // the reconnect buffer is full: said as a gap once back
      }
      return;
    }
    natsMsg* m = nullptr;
    if (natsMsg_Create(&m, subject.c_str(), nullptr, line.data(), static_cast<int>(line.size())) !=
        NATS_OK) {
      error_ = name_ + ": out of memory";
      return;
    }
    const std::string id = nats_message_id(line);
    if (!id.empty()) natsMsgHeader_Set(m, "Nats-Msg-Id", id.c_str());
    if (!js_->publish(m)) error_ = js_->error();
    unflushed_ = true;
  }
  // "type.venue.symbol" of a line that came without a topic.
  std::string topic_of(std::string_view line) {
    simdjson::ondemand::document doc;
    simdjson::ondemand::object obj;
    std::string_view type, venue, symbol;
    padded_.assign(line);
    padded_.append(simdjson::SIMDJSON_PADDING, '\0');
    if (parser_.iterate(padded_.data(), line.size(), padded_.size()).get(doc) ==
            simdjson::SUCCESS &&
        doc.get_object().get(obj) == simdjson::SUCCESS) {
      for (auto f : obj) {
        std::string_view k;
        if (f.unescaped_key().get(k)) break;
        if (k == "type") (void)read(f.value(), type);
        if (k == "venue") (void)read(f.value(), venue);
        if (k == "symbol") (void)read(f.value(), symbol);
      }
    }
    return fmt::format("{}.{}.{}", type.empty() ? "unknown" : type, venue, symbol);
  }

  NatsEndpoint e_;
  std::string name_;
  std::string error_;
  std::string status_subject_ = e_.subject + ".status.nats";
  std::unique_ptr<Connection> conn_;
  std::unique_ptr<OrderedPublisher> js_;  // JetStream (else core NATS)
  std::atomic<bool> reconnected_{false};
  bool unflushed_ = false;  // published since the last flush()
  std::uint64_t lost_ = 0, lost_reported_ = 0;
  simdjson::ondemand::parser parser_;
  std::string padded_;
};

}  // namespace

// ---- public ----

std::string NatsEndpoint::name() const {
  std::string s = "nats://";
  for (std::size_t i = 0; i < servers.size(); ++i) {
    std::string_view h = servers[i];
    h.remove_prefix(h.find("://") + 3);
    if (i > 0) s += ',';
    s += h;
  }
  s += '/';
  s += subject;
  if (!stream.empty()) s += "?js=" + stream;
  if (!durable.empty()) s += (stream.empty() ? "?" : "&") + std::string("durable=") + durable;
  return s;
}

bool is_nats_uri(std::string_view uri) { return uri.rfind("nats://", 0) == 0; }

Result<NatsEndpoint> parse_nats_uri(std::string_view uri) {
  auto bad = [&](std::string_view why) {
    // Never the URI itself: it may hold a password.
    return Error(ErrorCode::invalid_argument, "nats:// endpoint: " + std::string(why));
  };
  if (!is_nats_uri(uri)) return bad("expected nats://");
  std::string_view rest = uri.substr(7);
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) return bad("no /SUBJECT after the servers");
  std::string_view hosts = rest.substr(0, slash);
  std::string_view path = rest.substr(slash + 1);
  std::string_view query;
  if (const auto q = path.find('?'); q != std::string_view::npos) {
    query = path.substr(q + 1);
    path = path.substr(0, q);
  }
  NatsEndpoint e;
  if (const auto at = hosts.rfind('@'); at != std::string_view::npos) {
    const std::string_view cred = hosts.substr(0, at);
    hosts = hosts.substr(at + 1);
    const auto colon = cred.find(':');
    e.user = percent_decode(cred.substr(0, colon));
    if (colon != std::string_view::npos) e.password = percent_decode(cred.substr(colon + 1));
  }
  while (!hosts.empty()) {
    const auto comma = hosts.find(',');
    const std::string_view h = hosts.substr(0, comma);
    hosts = comma == std::string_view::npos ? std::string_view() : hosts.substr(comma + 1);
    const auto colon = h.rfind(':');
    if (h.empty() || colon == 0) return bad("an empty server");
    std::string server(h);
    if (colon == std::string_view::npos) server += ":4222";
    e.servers.push_back("nats://" + server);
  }
  if (e.servers.empty()) return bad("no server");
  e.subject = std::string(path);
  if (e.subject.empty()) return bad("no SUBJECT");
  if (e.subject.find_first_of(" \t\r\n") != std::string::npos || e.subject.front() == '.' ||
      e.subject.back() == '.' || e.subject.find("..") != std::string::npos) {
    return bad("'" + e.subject + "' is not a NATS subject");
  }
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view kv = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    const auto eq = kv.find('=');
    const std::string_view k = kv.substr(0, eq);
    const std::string v = eq == std::string_view::npos ? "" : percent_decode(kv.substr(eq + 1));
    auto secs = [&](std::int64_t& out) -> bool {
      const auto s = seconds_of(v);
      if (s) out = *s;
      return s.has_value();
    };
    if (k == "js") {
      e.stream = v;
    } else if (k == "durable") {
      e.durable = v;
    } else if (k == "creds") {
      e.creds = v;
    } else if (k == "nkey") {
      e.nkey = v;
    } else if (k == "nkey_seed") {
      e.nkey_seed = v;
    } else if (k == "tls") {
      e.tls = v != "0";
    } else if (k == "tls_ca") {
      e.tls_ca = v, e.tls = true;
    } else if (k == "tls_cert") {
      e.tls_cert = v, e.tls = true;
    } else if (k == "tls_key") {
      e.tls_key = v, e.tls = true;
    } else if (k == "replicas") {
      const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), e.replicas);
      if (ec != std::errc() || p != v.data() + v.size() || e.replicas < 1 || e.replicas > 5) {
        return bad("replicas: 1 to 5");
      }
    } else if (k == "storage") {
      if (v != "file" && v != "memory") return bad("storage: file or memory");
      e.memory = v == "memory";
    } else if (k == "max_age") {
      if (!secs(e.max_age_s)) return bad("max_age: seconds, or a number with s, m, h or d");
    } else if (k == "dup_window") {
      if (!secs(e.dup_window_s)) return bad("dup_window: seconds, or a number with s, m, h or d");
    } else if (k == "ack_wait") {
      if (!secs(e.ack_wait_s) || e.ack_wait_s == 0) return bad("ack_wait: a positive duration");
    } else if (k == "pending") {
      const auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), e.pending);
      if (ec != std::errc() || p != v.data() + v.size() || e.pending < 1) {
        return bad("pending: a positive number of messages");
      }
    } else {
      return bad("unknown option '" + std::string(k) + "'");
    }
  }
  if (!e.durable.empty() && e.stream.empty()) return bad("durable= needs js=STREAM");
  if (e.nkey.empty() != e.nkey_seed.empty()) return bad("nkey= and nkey_seed= go together");
  return e;
}

std::string nats_token(std::string_view text) {
  if (text.empty()) return "%";
  std::string out;
  out.reserve(text.size());
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '%' || c == '.' || c == '*' || c == '>' || u <= 0x20 || u == 0x7f) {
      out += fmt::format("%{:02X}", u);
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string nats_untoken(std::string_view token) {
  if (token == "%") return {};
  std::string out;
  for (std::size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '%' && i + 2 < token.size() && is_hex(token[i + 1]) && is_hex(token[i + 2])) {
      unsigned v = 0;
      std::from_chars(token.data() + i + 1, token.data() + i + 3, v, 16);
      out.push_back(static_cast<char>(v));
      i += 2;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

std::string nats_subject(std::string_view base, std::string_view topic) {
  // type.venue.symbol: the type and the venue hold no dot; the symbol may.
  std::string s(base);
  const auto d1 = topic.find('.');
  const std::string_view type = topic.substr(0, d1);
  std::string_view venue, symbol;
  if (d1 != std::string_view::npos) {
    const std::string_view rest = topic.substr(d1 + 1);
    const auto d2 = rest.find('.');
    venue = rest.substr(0, d2);
    if (d2 != std::string_view::npos) symbol = rest.substr(d2 + 1);
  }
  s += '.';
  s += nats_token(type);
  if (!venue.empty() || !symbol.empty()) {
    s += '.';
    s += nats_token(venue);
  }
  if (!symbol.empty()) {
    s += '.';
    s += nats_token(symbol);
  }
  return s;
}

namespace {

// Folds a member's key and its (scalar) value's JSON text into `h`.
simdjson::error_code fold_raw(std::string_view key,
                              simdjson::simdjson_result<simdjson::ondemand::value> v,
                              std::uint64_t& h) {
  std::string_view raw;
  if (auto e = v.raw_json_token().get(raw)) return e;
  h = fnv1a64(raw, fnv1a64(key, h));
  return simdjson::SUCCESS;
}

}  // namespace

std::string nats_message_id(std::string_view line) {
  thread_local simdjson::ondemand::parser parser;
  thread_local std::string padded;
  padded.assign(line);
  padded.append(simdjson::SIMDJSON_PADDING, '\0');
  simdjson::ondemand::document doc;
  simdjson::ondemand::object obj;
  if (parser.iterate(padded.data(), line.size(), padded.size()).get(doc) != simdjson::SUCCESS ||
      doc.get_object().get(obj) != simdjson::SUCCESS) {
    return {};
  }
  std::string_view type, venue, symbol, id, status, filled, leaves, order_price, trade_id;
  std::optional<std::int64_t> seq, ts, checksum;
  std::uint64_t content = kFnv1aBasis;  // a ticker's members but recv
  bool snapshot = false;
  for (auto f : obj) {
    std::string_view k;
    if (f.unescaped_key().get(k)) return {};
    simdjson::error_code e = simdjson::SUCCESS;
    if (k == "type")
      e = read(f.value(), type);
    else if (k == "venue")
      e = read(f.value(), venue);
    else if (k == "symbol")
      e = read(f.value(), symbol);
    else if (k == "id")
      e = read(f.value(), id);
    else if (k == "status")
      e = read(f.value(), status);
    else if (k == "filled")
      e = read(f.value(), filled);
    else if (k == "leaves")
      e = read(f.value(), leaves);
    else if (k == "order_price")
      e = read(f.value(), order_price);
    else if (k == "trade_id")
      e = read(f.value(), trade_id);
    else if (k == "seq")
      e = read(f.value(), seq);
    else if (k == "ts")
      e = read(f.value(), ts);
    else if (k == "checksum")
      e = read(f.value(), checksum);
    else if (k == "snapshot")
      e = read(f.value(), snapshot);
    else if (type == "ticker" && k != "recv")
      e = fold_raw(k, f.value(), content);
    if (e) return {};
  }
  auto join = [](std::initializer_list<std::string_view> parts) {
    std::string s;
    for (const auto p : parts) {
      if (!s.empty()) s += '|';
      s.append(p);
    }
    return s;
  };
  if (type == "order" || type == "cancel") {
    return id.empty() ? std::string() : join({type, venue, id});
  }
  if (type == "exec") {
    if (id.empty()) return {};
    return join({type, venue, id, status, filled, leaves, order_price, trade_id});
  }
  // Every handler's snapshots are kept: a book suspended by one handler's
  // lost line may need the other's at its own position (ot-transports(7)).
  if (type == "book" && snapshot) return {};
  if ((type == "book" || type == "quote") && seq) {
    return join({type, venue, symbol, std::to_string(*seq)});
  }
  // A book without sequence numbers (OKX before seqId): its venue time and
  // the checksum of the book it leaves.
  if (type == "book" && ts && checksum) {
    return join({type, venue, symbol, "t" + std::to_string(*ts), "c" + std::to_string(*checksum)});
  }
  if (type == "trade" && !id.empty()) return join({type, venue, symbol, id});
  if (type == "ticker" && ts) {
    return join({type, venue, symbol, std::to_string(*ts), fmt::format("{:016x}", content)});
  }
  return {};
}

Result<std::unique_ptr<LineInput>> open_nats_input(const NatsEndpoint& e) {
  auto in = std::make_unique<NatsLineInput>(e);
  if (auto r = in->start(false); !r) return r.error();
  return std::unique_ptr<LineInput>(std::move(in));
}

Result<std::unique_ptr<NatsReceiver>> open_nats_receiver(const NatsEndpoint& e) {
  auto in = std::make_unique<NatsLineInput>(e);
  if (auto r = in->start(true); !r) return r.error();
  return std::unique_ptr<NatsReceiver>(std::move(in));
}

Result<std::unique_ptr<LineOutput>> open_nats_output(const NatsEndpoint& e) {
  auto out = std::make_unique<NatsLineOutput>(e);
  if (auto r = out->start(); !r) return r.error();
  return std::unique_ptr<LineOutput>(std::move(out));
}

}  // namespace ot
