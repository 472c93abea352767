// ot-bench-hops: the bare hop latency of a pipe, of a ZeroMQ ipc socket and
// of a shared-memory ring (shm://, its default wait; spinning only, for a
// core of its own; sleeping at once, the futex wake-up), next to
// Boost.Interprocess' message_queue, between two processes — the limits the
// tick-to-trade chain is measured against. Ping-pong of a 200-byte line, one way = round trip / 2;
// percentiles of N round trips, back to back, or with --gap-us G a pause of
// G microseconds after each (both sides idle between messages, as the
// stages of a chain fed by market data are).
//
// With --ring K, also a message's trip around a ring of K hops: this
// process and K - 1 relays that copy each 600-byte message (a market data
// line) from one pipe (ZeroMQ socket, shm ring) to the next, the shape of the
// five-program chain with no work done in it.
//
// With --nats URL (a nats-server, JetStream enabled), also the hop of an
// event line through OptiTrade's own nats:// endpoints (lib/io): core NATS,
// and JetStream (each publish acknowledged by the stream before the flush
// returns, an ordered consumer at the other end). With --js-events FILE,
// the events/s of publishing FILE's lines into a stream through the
// nats:// output (subjects per event, message ids, acks) next to a bare
// nats.c asynchronous publisher of the same bytes to one subject (the
// limit).
//
//   ot-bench-hops [--count N] [--gap-us G] [--ring K] [--nats URL [--js-events FILE]]
#include <nats/nats.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <boost/interprocess/ipc/message_queue.hpp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>
#include <zmq.hpp>

#include "core/time.h"
#include "hop_report.h"
#include "io/input.h"
#include "io/output.h"
#include "io/shm_ring.h"

namespace {

using ot::mono_ns;
constexpr std::size_t kSize = 200;
int gap_us = 0;  // pause after each round trip
int warmup = 1000;

void pause() {
  if (gap_us <= 0) return;
  timespec ts{gap_us / 1000000, static_cast<long>(gap_us % 1000000) * 1000};
  ::nanosleep(&ts, nullptr);
}

// Times `count` calls of trip() after `warmup` untimed ones, pausing after
// each.
template <class Trip>
std::vector<long long> time_trips(int count, Trip trip) {
  std::vector<long long> ns;
  ns.reserve(static_cast<std::size_t>(count));
  for (int i = 0; i < count + warmup; ++i) {
    const long long t = mono_ns();
    trip();
    if (i >= warmup) ns.push_back(mono_ns() - t);
    pause();
  }
  return ns;
}

void report(const std::string& what, const char* unit, std::vector<long long> ns, double per) {
  report_hop(what, unit, std::move(ns), per, gap_us);
}

void read_full(int fd, char* p, std::size_t n) {
  while (n > 0) {
    ssize_t r = ::read(fd, p, n);
    if (r <= 0) std::exit(1);
    p += r;
    n -= static_cast<std::size_t>(r);
  }
}

void pipes(int count) {
  int a[2], b[2];
  if (::pipe(a) != 0 || ::pipe(b) != 0) std::exit(1);
  char buf[kSize];
  std::memset(buf, 'x', sizeof buf);
  buf[kSize - 1] = '\n';
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    for (int i = 0; i < count + warmup; ++i) {
      read_full(a[0], buf, kSize);
      if (::write(b[1], buf, kSize) != static_cast<ssize_t>(kSize)) ::_exit(1);
    }
    ::_exit(0);
  }
  auto rtt = time_trips(count, [&] {
    if (::write(a[1], buf, kSize) != static_cast<ssize_t>(kSize)) std::exit(1);
    read_full(b[0], buf, kSize);
  });
  ::waitpid(pid, nullptr, 0);
  report("pipe one-way (RTT/2)", "round trips", std::move(rtt), 2);
}

// A message around `hops` pipes: relay k reads pipe k-1 and writes pipe k;
// this process writes pipe 0 and reads the last.
void pipe_ring(int count, int hops) {
  constexpr std::size_t kLine = 600;
  std::vector<std::array<int, 2>> p(static_cast<std::size_t>(hops));
  for (auto& fds : p) {
    if (::pipe(fds.data()) != 0) std::exit(1);
  }
  std::fflush(stdout);
  std::vector<pid_t> relays;
  for (int k = 1; k < hops; ++k) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      char buf[kLine];
      for (int i = 0; i < count + warmup; ++i) {
        read_full(p[static_cast<std::size_t>(k - 1)][0], buf, kLine);
        if (::write(p[static_cast<std::size_t>(k)][1], buf, kLine) != static_cast<ssize_t>(kLine))
          ::_exit(1);
      }
      ::_exit(0);
    }
    relays.push_back(pid);
  }
  char buf[kLine];
  std::memset(buf, 'x', sizeof buf);
  auto trips = time_trips(count, [&] {
    if (::write(p[0][1], buf, kLine) != static_cast<ssize_t>(kLine)) std::exit(1);
    read_full(p.back()[0], buf, kLine);
  });
  for (pid_t pid : relays) ::waitpid(pid, nullptr, 0);
  report("pipe ring of " + std::to_string(hops) + " hops", "trips", std::move(trips), 1);
}

// The same over ZeroMQ ipc: every PULL binds endpoint k, the PUSH before it
// connects.
void zmq_ring(int count, int hops) {
  constexpr std::size_t kLine = 600;
  const std::string dir = "/tmp/ot-ring-" + std::to_string(::getpid()) + "-";
  auto ep = [&](int k) { return "ipc://" + dir + std::to_string(k); };
  std::fflush(stdout);
  std::vector<pid_t> relays;
  for (int k = 1; k < hops; ++k) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      zmq::context_t ctx(1);
      zmq::socket_t in(ctx, zmq::socket_type::pull), out(ctx, zmq::socket_type::push);
      in.bind(ep(k - 1));
      out.connect(ep(k));
      for (int i = 0; i < count + warmup; ++i) {
        zmq::message_t m;
        if (!in.recv(m)) ::_exit(1);
        out.send(m, zmq::send_flags::none);
      }
      in.close();
      out.close();
      ctx.close();
      ::_exit(0);
    }
    relays.push_back(pid);
  }
  zmq::context_t ctx(1);
  zmq::socket_t out(ctx, zmq::socket_type::push), in(ctx, zmq::socket_type::pull);
  in.bind(ep(hops - 1));
  out.connect(ep(0));
  std::string payload(kLine, 'x');
  auto trips = time_trips(count, [&] {
    out.send(zmq::buffer(payload), zmq::send_flags::none);
    zmq::message_t m;
    if (!in.recv(m)) std::exit(1);
  });
  for (pid_t pid : relays) ::waitpid(pid, nullptr, 0);
  report("zeromq ipc ring of " + std::to_string(hops) + " hops", "trips", std::move(trips), 1);
}

void zmq_ipc(int count) {
  const std::string dir = "/tmp/ot-hops-" + std::to_string(::getpid());
  const std::string there = "ipc://" + dir + "-a", back = "ipc://" + dir + "-b";
  std::fflush(stdout);
  pid_t pid = ::fork();
  if (pid == 0) {
    zmq::context_t ctx(1);
    zmq::socket_t in(ctx, zmq::socket_type::pull), out(ctx, zmq::socket_type::push);
    in.connect(there);
    out.connect(back);
    for (int i = 0; i < count + warmup; ++i) {
      zmq::message_t m;
      if (!in.recv(m)) std::exit(1);
      out.send(m, zmq::send_flags::none);
    }
    in.close();
    out.close();
    ctx.close();
    ::_exit(0);
  }
  zmq::context_t ctx(1);
  zmq::socket_t out(ctx, zmq::socket_type::push), in(ctx, zmq::socket_type::pull);
  out.bind(there);
  in.bind(back);
  std::string payload(kSize, 'x');
  auto rtt = time_trips(count, [&] {
    out.send(zmq::buffer(payload), zmq::send_flags::none);
    zmq::message_t m;
    if (!in.recv(m)) std::exit(1);
  });
  ::waitpid(pid, nullptr, 0);
  report("zeromq ipc one-way (RTT/2)", "round trips", std::move(rtt), 2);
}

// Ping-pong of an event line through nats:// endpoints: this process
// publishes to BASEping and reads BASEpong; a child echoes. With `js`,
// each direction is a JetStream stream of its own (STREAMping, STREAMpong).
// Each trip's trade has an id of its own (JetStream keeps one message per
// id).
void nats_hop(int count, const std::string& url, const std::string& what, const std::string& base,
              bool js) {
  std::string line =
      R"({"type":"trade","venue":"binance","symbol":"BTCUSDT","ts":1,"recv":2,"price":"1",)"
      R"("qty":"1","side":"buy","id":"0000000000"})" +
      std::string(kSize - 119, ' ');
  const std::size_t id_at = line.find("0000000000");
  int trip = 0;
  const std::string topic = "trade.binance.BTCUSDT";
  auto open_in = [&](const std::string& s) {
    const std::string query = js ? "?js=" + base + s : "";
    auto in = ot::open_input(url + "/" + base + s + ".>" + query);
    if (!in) {
      std::fprintf(stderr, "ot-bench-hops: %s\n", in.error().message().c_str());
      std::exit(1);
    }
    return std::move(in).value();
  };
  auto open_out = [&](const std::string& s) {
    const std::string query = js ? "?js=" + base + s : "";
    auto out = ot::open_output(url + "/" + base + s + query, {});
    if (!out) {
      std::fprintf(stderr, "ot-bench-hops: %s\n", out.error().message().c_str());
      std::exit(1);
    }
    return std::move(out).value();
  };
  int ready[2];
  if (::pipe(ready) != 0) std::exit(1);
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid == 0) {
    auto in = open_in("ping");
    auto out = open_out("pong");
    if (::write(ready[1], "r", 1) != 1) ::_exit(1);
    std::string_view got;
    for (int i = 0; i < count + warmup && in->next(got); ++i) {
      out->write_line(topic, got);
      out->flush();
    }
    ::_exit(0);
  }
  auto in = open_in("pong");
  auto out = open_out("ping");
  char r;
  read_full(ready[0], &r, 1);  // the echo is subscribed
  std::string_view got;
  auto rtt = time_trips(count, [&] {
    std::snprintf(line.data() + id_at, 11, "%010d", ++trip);
    line[id_at + 10] = '"';
    out->write_line(topic, line);
    out->flush();
    if (!in->next(got)) std::exit(1);
  });
  ::waitpid(pid, nullptr, 0);
  report(what + " one-way (RTT/2)", "round trips", std::move(rtt), 2);
}

// Events/s into a JetStream stream: the nats:// output (OptiTrade's), then
// a bare nats.c asynchronous publisher of the same lines, each run into a
// fresh stream.
void js_publish(const std::string& url, const std::string& file) {
  std::vector<std::string> lines;
  std::ifstream f(file);
  for (std::string l; std::getline(f, l);) lines.push_back(std::move(l));
  if (lines.empty()) std::exit(1);
  auto seconds = [](long long ns) { return static_cast<double>(ns) / 1e9; };
  const long long t0 = mono_ns();
  {
    auto opened = ot::open_output(url + "/pubours?js=PUBOURS&dup_window=10s", {});
    if (!opened) std::exit(1);
    auto out = std::move(opened).value();
    for (const auto& l : lines) out->write_line({}, l);
    if (!out->flush()) std::exit(1);
  }
  const double ours = seconds(mono_ns() - t0);
  natsConnection* nc = nullptr;
  jsCtx* js = nullptr;
  jsOptions jo;
  jsOptions_Init(&jo);
  jo.PublishAsync.MaxPending = 4096;
  jsStreamConfig sc;
  jsStreamConfig_Init(&sc);
  const char* subjects[] = {"pubbare.>"};
  sc.Name = "PUBBARE";
  sc.Subjects = subjects;
  sc.SubjectsLen = 1;
  sc.Storage = js_FileStorage;
  if (natsConnection_ConnectTo(&nc, url.c_str()) != NATS_OK ||
      natsConnection_JetStream(&js, nc, &jo) != NATS_OK ||
      js_AddStream(nullptr, js, &sc, nullptr, nullptr) != NATS_OK) {
    std::exit(1);
  }
  const long long t1 = mono_ns();
  for (const auto& l : lines) {
    if (js_PublishAsync(js, "pubbare.x", l.data(), static_cast<int>(l.size()), nullptr) != NATS_OK)
      std::exit(1);
  }
  jsPubOptions po;
  jsPubOptions_Init(&po);
  po.MaxWait = 60000;
  if (js_PublishAsyncComplete(js, &po) != NATS_OK) std::exit(1);
  const double bare = seconds(mono_ns() - t1);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  std::printf(
      "JetStream publish of %zu events: nats:// output %.3f s (%.0f events/s), bare nats.c "
      "async %.3f s (%.0f events/s): %.2fx the bare publisher\n",
      lines.size(), ours, lines.size() / ours, bare, lines.size() / bare, ours / bare);
}

}  // namespace

// ---- shared memory: OptiTrade's ring, and Boost.Interprocess ----

ot::shm::Endpoint ring_endpoint(const std::string& name, std::int64_t spin_ns,
                                std::int64_t yield_ns) {
  ot::shm::Endpoint e;
  e.name = "bench-";
  e.name += std::to_string(::getpid());
  e.name += "-";
  e.name += name;
  e.size = 1 << 20;
  e.spin_ns = spin_ns;
  e.yield_ns = yield_ns;
  std::remove(e.path().c_str());
  return e;
}

// The ring's files, left by relays that end with _exit.
void remove_ring(const ot::shm::Endpoint& e) {
  std::remove(e.path().c_str());
  for (unsigned i = 0; i < ot::shm::kMaxReaders; ++i) {
    std::remove((e.path() + ".bell" + std::to_string(i)).c_str());
  }
}

// Reads one record, waiting as the endpoint says.
std::string_view ring_read(ot::shm::Consumer& c) {
  std::string_view r;
  std::uint64_t lost = 0;
  for (;;) {
    if (c.try_read(r, lost) == ot::shm::Consumer::Read::record) return r;
    c.wait(-1);
  }
}

// Ping-pong over two rings (reliable, as the order path), waiting with
// the given spin and yield budgets (then a futex sleep).
void shm_hop(int count, const std::string& what, std::int64_t spin_ns, std::int64_t yield_ns) {
  using namespace ot::shm;
  const Endpoint there = ring_endpoint("a", spin_ns, yield_ns);
  const Endpoint back = ring_endpoint("b", spin_ns, yield_ns);
  std::string payload(kSize - 1, 'x');
  auto fwd = Producer::open(there, Delivery::reliable, 1);
  auto in = Consumer::open(back, "bench");
  if (!fwd || !in) std::exit(1);
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid == 0) {
    auto c = Consumer::open(there, "relay");
    auto p = Producer::open(back, Delivery::reliable, 1);
    if (!c || !p) ::_exit(1);
    for (int i = 0; i < count + warmup; ++i) (*p)->write(ring_read(**c));
    ::_exit(0);
  }
  auto rtt = time_trips(count, [&] {
    (*fwd)->write(payload);
    ring_read(**in);
  });
  ::waitpid(pid, nullptr, 0);
  remove_ring(there);
  remove_ring(back);
  report(what + " one-way (RTT/2)", "round trips", std::move(rtt), 2);
}

// A message around `hops` rings through hops - 1 relay processes.
void shm_ring(int count, int hops, std::int64_t spin_ns, std::int64_t yield_ns) {
  using namespace ot::shm;
  constexpr std::size_t kLine = 600;
  std::vector<Endpoint> e;
  for (int k = 0; k < hops; ++k)
    e.push_back(ring_endpoint("r" + std::to_string(k), spin_ns, yield_ns));
  std::fflush(stdout);
  std::vector<pid_t> relays;
  for (int k = 1; k < hops; ++k) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      auto c = Consumer::open(e[static_cast<std::size_t>(k - 1)], "relay");
      auto p = Producer::open(e[static_cast<std::size_t>(k)], Delivery::reliable, 1);
      if (!c || !p) ::_exit(1);
      for (int i = 0; i < count + warmup; ++i) (*p)->write(ring_read(**c));
      ::_exit(0);
    }
    relays.push_back(pid);
  }
  auto out = Producer::open(e[0], Delivery::reliable, 1);
  auto in = Consumer::open(e.back(), "bench");
  if (!out || !in) std::exit(1);
  std::string payload(kLine, 'x');
  auto trips = time_trips(count, [&] {
    (*out)->write(payload);
    ring_read(**in);
  });
  for (pid_t pid : relays) ::waitpid(pid, nullptr, 0);
  for (const Endpoint& one : e) remove_ring(one);
  report("shm ring of " + std::to_string(hops) + " hops", "trips", std::move(trips), 1);
}

// Boost.Interprocess' message_queue (a mutex and condition variables in
// shared memory, fixed-size slots) between two processes.
void boost_mq(int count) {
  namespace bip = boost::interprocess;
  const std::string tag = "ot-bench-mq-" + std::to_string(::getpid());
  const std::string a = tag + "-a", b = tag + "-b";
  bip::message_queue::remove(a.c_str());
  bip::message_queue::remove(b.c_str());
  bip::message_queue there(bip::create_only, a.c_str(), 64, 4096);
  bip::message_queue back(bip::create_only, b.c_str(), 64, 4096);
  std::string payload(kSize - 1, 'x');
  std::fflush(stdout);
  const pid_t pid = ::fork();
  if (pid == 0) {
    bip::message_queue in(bip::open_only, a.c_str()), out(bip::open_only, b.c_str());
    char buf[4096];
    for (int i = 0; i < count + warmup; ++i) {
      bip::message_queue::size_type n = 0;
      unsigned prio = 0;
      in.receive(buf, sizeof buf, n, prio);
      out.send(buf, n, 0);
    }
    ::_exit(0);
  }
  char buf[4096];
  auto rtt = time_trips(count, [&] {
    there.send(payload.data(), payload.size(), 0);
    bip::message_queue::size_type n = 0;
    unsigned prio = 0;
    back.receive(buf, sizeof buf, n, prio);
  });
  ::waitpid(pid, nullptr, 0);
  bip::message_queue::remove(a.c_str());
  bip::message_queue::remove(b.c_str());
  report("boost message_queue one-way (RTT/2)", "round trips", std::move(rtt), 2);
}

int main(int argc, char** argv) {
  int count = 20000, ring = 0;
  std::string nats, js_events;
  const char* usage =
      "usage: ot-bench-hops [--count N] [--gap-us G] [--ring K] [--nats URL [--js-events "
      "FILE]]\n";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string flag = argv[i];
    if (flag == "--count") {
      count = std::atoi(argv[i + 1]);
    } else if (flag == "--gap-us") {
      gap_us = std::atoi(argv[i + 1]);
    } else if (flag == "--ring") {
      ring = std::atoi(argv[i + 1]);
    } else if (flag == "--nats") {
      nats = argv[i + 1];
    } else if (flag == "--js-events") {
      js_events = argv[i + 1];
    } else {
      std::fprintf(stderr, "ot-bench-hops: unknown option %s\n%s", argv[i], usage);
      return 2;
    }
  }
  if (count <= 0 || gap_us < 0 || ring < 0 || ring == 1 || argc % 2 == 0) {
    std::fprintf(stderr, "%s", usage);
    return 2;
  }
  if (gap_us > 0) warmup = std::min(warmup, std::max(10, count / 10));
  pipes(count);
  zmq_ipc(count);
  shm_hop(count, "shm", 20'000, 200'000);
  shm_hop(count, "shm spinning", -1, 0);
  shm_hop(count, "shm sleeping", 0, 0);
  boost_mq(count);
  if (ring > 1) {
    pipe_ring(count, ring);
    zmq_ring(count, ring);
    shm_ring(count, ring, 20'000, 200'000);
  }
  if (!nats.empty()) {
    const std::string tag = std::to_string(::getpid());
    nats_hop(count, nats, "core NATS", "hop" + tag, false);
    nats_hop(count, nats, "JetStream", "js" + tag, true);
    if (!js_events.empty()) js_publish(nats, js_events);
  }
  return 0;
}
