// ot-bench-tcp: the one-way latency of a 200-byte message over loopback TCP
// between two processes, by how the receiving side waits for it — the
// physical limit under the fused chain's wire-to-wire figure (a frame from
// ot-sim in, an order back out: two such trips), and the io_uring
// comparison of --busy-poll's I/O:
//
//   epoll         epoll_wait with no time limit, then recv (asleep between)
//   epoll-spin    epoll_wait with a zero timeout in a loop, then recv
//   recv-spin     recv(MSG_DONTWAIT) in a loop: the least a spinning
//                 reader can do with sockets
//   asio-spin     Boost.Asio's io_context::poll() in a loop around
//                 async_read_some: what --busy-poll runs (epoll underneath)
//   uring         io_uring: the send and the next receive submitted
//                 together by the io_uring_enter that waits for both
//                 (asleep between)
//   uring-spin    io_uring: submitted the same way, then the completion
//                 queue is read in a loop with no system call
//   uring-sqpoll  io_uring with a kernel thread polling the submission
//                 queue (IORING_SETUP_SQPOLL) and the completion queue read
//                 in a loop: no system call at all per message; it needs a
//                 spare core per end for the kernel's thread (not in the
//                 default list)
//
// Built a second time as ot-bench-tcp-asio-uring with Asio's own io_uring
// backend (BOOST_ASIO_HAS_IO_URING, BOOST_ASIO_DISABLE_EPOLL): its
// asio-spin is then the same program code over io_uring.
//
// Ping-pong; one way = round trip / 2; percentiles of N round trips after
// a warm-up, back to back or with --gap-us G of pause after each (both
// sides idle between messages, as the chain between market data frames).
// --cpus 'A B' pins this process to the CPU list A and the other end to B
// (an io_uring polling thread is left to the kernel to place).
//
//   ot-bench-tcp [--count N] [--gap-us G] [--cpus 'A B'] [--modes epoll,recv-spin,...]
#include <arpa/inet.h>
#include <liburing.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "core/spin.h"
#include "core/time.h"
#include "hop_report.h"
#include "io/cpu.h"

namespace {

using ot::mono_ns;
constexpr std::size_t kSize = 200;
constexpr int kMaxWarmup = 1000;  // untimed round trips first (fewer for a short run)
#if defined(BOOST_ASIO_HAS_IO_URING) && defined(BOOST_ASIO_DISABLE_EPOLL)
constexpr const char* kAsioBackend = " (Asio over io_uring)";
#else
constexpr const char* kAsioBackend = " (Asio over epoll)";
#endif

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "ot-bench-tcp: error: %s: %s\n", what.c_str(), std::strerror(errno));
  std::exit(1);
}

[[noreturn]] void closed() {
  std::fprintf(stderr, "ot-bench-tcp: error: the other end closed the connection\n");
  std::exit(1);
}

void pin(const std::string& cpus) {
  if (cpus.empty()) return;
  if (auto pinned = ot::pin_to_cpus(cpus); !pinned) {
    std::fprintf(stderr, "ot-bench-tcp: error: --cpus: %s\n", pinned.error().message().c_str());
    std::exit(2);
  }
}

// One end of the connection, waiting for its 200 bytes the way `mode` says.
// send_then_receive() sends the message and returns once the peer's has
// arrived in full.
class End {
 public:
  End(int fd, const std::string& mode) : fd_(fd), mode_(mode), socket_(ioc_) {
    const int one = 1;
    ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    std::memset(out_, 'x', sizeof out_);
    if (mode_ == "epoll" || mode_ == "epoll-spin") {
      ep_ = ::epoll_create1(0);
      epoll_event e{};
      e.events = EPOLLIN;
      if (ep_ < 0 || ::epoll_ctl(ep_, EPOLL_CTL_ADD, fd_, &e) != 0) die("epoll");
    } else if (mode_ == "asio-spin") {
      socket_.assign(boost::asio::ip::tcp::v4(), fd_);
    } else if (mode_.rfind("uring", 0) == 0) {
      io_uring_params p{};
      // Completions are posted when the task next enters the kernel or,
      // while it spins in user space, flagged in the ring (peek then enters
      // to run them): the default, an interrupt to run them at once, made
      // the spinning mode 4-5x slower here (27 us against 6 us).
      p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
      if (mode_ == "uring-sqpoll") {  // the kernel's thread runs them
        p.flags = IORING_SETUP_SQPOLL;
        p.sq_thread_idle = 1000;  // ms
      }
      if (const int rc = io_uring_queue_init_params(8, &ring_, &p); rc < 0) {
        errno = -rc;
        die(mode_);
      }
      uring_ = true;
    }
  }
  End(const End&) = delete;
  End& operator=(const End&) = delete;
  ~End() {
    if (socket_.is_open()) socket_.release();  // the descriptor is the caller's
    if (uring_) io_uring_queue_exit(&ring_);
    if (ep_ >= 0) ::close(ep_);
  }

  void send_then_receive() {
    if (uring_) return uring_trip();
    if (::send(fd_, out_, kSize, 0) != static_cast<ssize_t>(kSize)) die("send");
    std::size_t got = 0;
    while (got < kSize) got += receive_some(in_ + got, kSize - got);
  }
  // The other end's half: receive first, then send back.
  void receive_then_send() {
    if (uring_) return uring_trip(/*send_first=*/false);
    std::size_t got = 0;
    while (got < kSize) got += receive_some(in_ + got, kSize - got);
    if (::send(fd_, out_, kSize, 0) != static_cast<ssize_t>(kSize)) die("send");
  }

 private:
  std::size_t receive_some(char* p, std::size_t n) {
    if (mode_ == "asio-spin") {
      std::size_t got = 0;
      bool done = false;
      socket_.async_read_some(boost::asio::buffer(p, n),
                              [&](const boost::system::error_code& ec, std::size_t k) {
                                if (ec) closed();
                                got = k;
                                done = true;
                              });
      while (!done) {
        if (ioc_.poll() == 0) ot::cpu_relax();
      }
      return got;
    }
    if (mode_ == "epoll" || mode_ == "epoll-spin") {
      epoll_event e{};
      while (::epoll_wait(ep_, &e, 1, mode_ == "epoll" ? -1 : 0) <= 0) {
      }
    }
    for (;;) {
      const ssize_t r = ::recv(fd_, p, n, MSG_DONTWAIT);
      if (r > 0) return static_cast<std::size_t>(r);
      if (r == 0) closed();
      if (errno != EAGAIN) die("recv");
      ot::cpu_relax();  // recv-spin; the epoll modes only after a spurious wake
    }
  }

  // Queues the send (unless receiving first) and the receive in one go,
  // then waits for their completions: asleep in io_uring_enter (uring) or
  // reading the completion queue in a loop (the spinning modes).
  void uring_trip(bool send_first = true) {
    std::size_t got = 0;
    int pending = 0;
    auto queue_send = [&] {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_send(sqe, fd_, out_, kSize, 0);
      io_uring_sqe_set_data64(sqe, 0);
      ++pending;
    };
    if (send_first) queue_send();
    auto queue_receive = [&] {
      io_uring_sqe* sqe = io_uring_get_sqe(&ring_);
      io_uring_prep_recv(sqe, fd_, in_ + got, kSize - got, 0);
      io_uring_sqe_set_data64(sqe, 1);
      ++pending;
    };
    queue_receive();
    bool sent = send_first;
    while (pending > 0) {
      io_uring_cqe* cqe = nullptr;
      if (mode_ == "uring") {
        // One system call submits what is queued and waits for all of it.
        if (io_uring_cq_ready(&ring_) == 0 &&
            io_uring_submit_and_wait(&ring_, static_cast<unsigned>(pending)) < 0) {
          die("io_uring_submit_and_wait");
        }
        if (io_uring_peek_cqe(&ring_, &cqe) != 0) continue;
      } else {
        if (io_uring_sq_ready(&ring_) > 0 && io_uring_submit(&ring_) < 0) die("io_uring_submit");
        while (io_uring_peek_cqe(&ring_, &cqe) != 0) ot::cpu_relax();
      }
      const int res = cqe->res;
      const bool receive = io_uring_cqe_get_data64(cqe) == 1;
      io_uring_cqe_seen(&ring_, cqe);
      --pending;
      if (res == 0) closed();
      if (res < 0) {
        errno = -res;
        die(receive ? "io_uring receive" : "io_uring send");
      }
      if (!receive) {
        if (res != static_cast<int>(kSize)) die("io_uring send: short");
        continue;
      }
      got += static_cast<std::size_t>(res);
      if (got < kSize) {
        queue_receive();
      } else if (!sent) {
        queue_send();
        sent = true;
      }
    }
  }

  int fd_;
  std::string mode_;
  int ep_ = -1;
  boost::asio::io_context ioc_;
  // Outstanding work between reads, as a program's sockets and timers are:
  // without it the context stops once a read completes.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{
      ioc_.get_executor()};
  boost::asio::ip::tcp::socket socket_;
  io_uring ring_{};
  bool uring_ = false;
  char out_[kSize];
  char in_[kSize];
};

void report(const std::string& mode, int gap_us, std::vector<long long> ns) {
  report_hop("tcp " + mode + (mode == "asio-spin" ? kAsioBackend : "") + " one-way (RTT/2)",
             "round trips", std::move(ns), 2, gap_us);
}

void run(const std::string& mode, int count, int gap_us, const std::string& cpus_here,
         const std::string& cpus_there) {
  // Connected before the fork (loopback completes the handshake against
  // the backlog): each end then holds its socket, or the run stops here.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (listener < 0 || ::bind(listener, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::listen(listener, 1) != 0 ||
      ::getsockname(listener, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    die("listen");
  }
  const int there = ::socket(AF_INET, SOCK_STREAM, 0);
  if (there < 0 || ::connect(there, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    die("connect");
  }
  const int here = ::accept(listener, nullptr, nullptr);
  if (here < 0) die("accept");
  ::close(listener);
  const int warmup = std::min(kMaxWarmup, count);
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid < 0) die("fork");
  if (pid == 0) {
    ::close(here);
    pin(cpus_there);
    End end(there, mode);
    for (int i = 0; i < count + warmup; ++i) end.receive_then_send();
    ::_exit(0);
  }
  ::close(there);
  pin(cpus_here);
  std::vector<long long> ns;
  {
    End end(here, mode);
    ns.reserve(static_cast<std::size_t>(count));
    for (int i = 0; i < count + warmup; ++i) {
      const long long t = mono_ns();
      end.send_then_receive();
      if (i >= warmup) ns.push_back(mono_ns() - t);
      if (gap_us > 0) {
        const timespec pause{gap_us / 1000000, static_cast<long>(gap_us % 1000000) * 1000};
        ::nanosleep(&pause, nullptr);
      }
    }
  }
  ::close(here);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
    std::fprintf(stderr, "ot-bench-tcp: error: %s: the other end failed\n", mode.c_str());
    std::exit(1);
  }
  report(mode, gap_us, std::move(ns));
}

}  // namespace

int main(int argc, char** argv) {
  const char* usage =
      "usage: ot-bench-tcp [--count N] [--gap-us G] [--cpus 'A B'] [--modes M,...]\n";
  int count = 20000, gap_us = 0;
  std::string cpus_here, cpus_there;
  std::string modes = "epoll,epoll-spin,recv-spin,asio-spin,uring,uring-spin";
  for (int i = 1; i < argc; ++i) {
    const std::string flag = argv[i];
    if (i + 1 >= argc) {
      std::fprintf(stderr, "ot-bench-tcp: error: %s needs a value\n%s", flag.c_str(), usage);
      return 2;
    }
    const std::string value = argv[++i];
    if (flag == "--count") {
      count = std::max(1, std::atoi(value.c_str()));
    } else if (flag == "--gap-us") {
      gap_us = std::max(0, std::atoi(value.c_str()));
    } else if (flag == "--cpus") {
      const std::size_t space = value.find(' ');
      cpus_here = value.substr(0, space);
      cpus_there = space == std::string::npos ? "" : value.substr(space + 1);
      if (cpus_there.empty() || !ot::parse_cpu_list(cpus_here) || !ot::parse_cpu_list(cpus_there)) {
        std::fprintf(stderr, "ot-bench-tcp: error: --cpus takes two CPU lists, 'A B'\n");
        return 2;
      }
    } else if (flag == "--modes") {
      modes = value;
    } else {
      std::fprintf(stderr, "ot-bench-tcp: error: unknown option %s\n%s", flag.c_str(), usage);
      return 2;
    }
  }
  static const char* const known[] = {"epoll", "epoll-spin", "recv-spin",   "asio-spin",
                                      "uring", "uring-spin", "uring-sqpoll"};
  std::vector<std::string> chosen;
  for (std::size_t start = 0; start <= modes.size();) {
    const std::size_t comma = std::min(modes.find(',', start), modes.size());
    chosen.push_back(modes.substr(start, comma - start));
    start = comma + 1;
  }
  for (const std::string& mode : chosen) {
    if (std::none_of(std::begin(known), std::end(known),
                     [&](const char* k) { return mode == k; })) {
      std::fprintf(stderr, "ot-bench-tcp: error: unknown mode '%s'\n", mode.c_str());
      return 2;
    }
  }
  for (const std::string& mode : chosen) run(mode, count, gap_us, cpus_here, cpus_there);
  return 0;
}
