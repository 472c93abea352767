// ot-sim's server: a local venue that replays a capture over the venue's own
// WebSocket protocol and answers its REST calls, from one port (HTTP
// requests and WebSocket upgrades are told apart per connection).
//
// The timeline: captured frames are played in order, paced by their receive
// times divided by `speed` (0 = as fast as clients take them). Playing starts
// when the first client subscribes and pauses while no client is subscribed,
// so a test sees the whole capture. Every played frame updates the
// simulator's books (through the venue's own parser) before it is sent, so
// snapshots served by REST or on subscription reflect the current market,
// not the recorded one.
//
// Faults for tests: drop a connection after N frames, skip frames, delay,
// interleave malformed frames.
//
// Threading: run_sim() runs a single-threaded io_context until *stop.
#pragma once

#include <csignal>
#include <cstdint>
#include <string>
#include <vector>

#include "book/book_engine.h"
#include "metrics/runtime.h"
#include "venues/sim_protocol.h"

namespace ot {

struct SimOptions {
  std::string venue;
  std::vector<std::string> data;  // capture files
  std::string listen = "127.0.0.1:0";
  double speed = 1;
  std::vector<std::uint64_t> drop_after;  // close the k-th connection after N frames sent
  std::vector<std::uint64_t> skip;        // timeline indexes (1-based) never sent
  int delay_ms = 0;                       // extra delay before each frame
  std::uint64_t malformed_every = 0;      // a malformed frame after every N frames
  double linger_s = -1;                   // after the end: exit after this long (<0: never)
  std::string port_file;                  // write the bound port here
  std::string tls_cert;                   // PEM chain: serve wss:// and https://
  std::string tls_key;                    // PEM key (default: in tls_cert)
  // Order entry: the test account and its faults, and a delay before each
  // order request is answered.
  SimAccount account;
  int order_delay_ms = 0;
  // Tick-to-trade: log "F <mono ns> <symbol> <best bid>" for each frame that
  // changes a top of book, when it is handed to the clients, and
  // "O <mono ns> <target> <body>" for each order request as it arrives.
  std::string latency_log;
  metrics::Runtime* runtime = nullptr;  // optional: beaten while serving
  bool busy_poll = false;               // its I/O never sleeps (net/busy_poll.h)
};

// Announcements of the server ("listening", "eof") go to `out` as status
// events. Returns false on a setup failure (reported to `diag`).
bool run_sim(const SimOptions& options, LineSink& out, Diagnostics& diag,
             const volatile std::sig_atomic_t* stop);

}  // namespace ot
