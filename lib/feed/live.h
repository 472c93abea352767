// `ot-feed live`: one venue session over a WebSocket (TLS or plain), kept
// alive and in sync:
//   - subscribes per the venue's protocol, answers its keep-alives (WebSocket
//     pings, OKX "ping" text, Deribit heartbeat test_request);
//   - reconnects with exponential backoff and jitter and resubscribes, and
//     reconnects on its own before a venue's session limit (Binance 24 h);
//   - keeps books in sync through BookSyncGuard: Binance REST snapshots
//     fetched on demand (and injected as generated @depthSnapshot frames),
//     OKX / Deribit books resubscribed after a break;
//   - writes a `status` event for each connect, disconnect, gap and resync.
//
// Threading: run_live() runs its own single-threaded io_context and returns
// when *stop becomes non-zero (checked every 50 ms) or the duration ends.
#pragma once

#include <atomic>
#include <csignal>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "book/book_engine.h"
#include "core/event_encoder.h"
#include "core/result.h"
#include "metrics/runtime.h"
#include "venues/venue.h"

namespace ot {

// What the session shows /readyz, kept every 50 ms: ready while connected
// with every subscribed book in sync.
struct LiveHealth {
  std::atomic<bool> connected{false};
  std::atomic<std::size_t> books_in_sync{0};
  std::atomic<std::size_t> books_wanted{0};  // subscribed symbols with the book channel
  bool ready(std::string& why) const;
};

struct LiveOptions {
  std::string venue;
  std::vector<std::string> symbols;
  Channels channels;
  std::string ws_url;    // default: the venue's
  std::string rest_url;  // default: the venue's
  bool raw = false;      // write capture lines instead of events
  std::string record;    // also write capture lines to this file
  double duration_s = 0;
  std::string ca_file;
  double backoff_min_s = 0.25;
  double backoff_max_s = 30;
  LiveHealth* health = nullptr;  // optional
  // Optional: beaten every 50 ms (the watchdog), and the stage
  // "frame_to_event" timed (a frame's receipt to its events written).
  metrics::Runtime* runtime = nullptr;
  // --busy-poll: the session's I/O never sleeps in the kernel
  // (net/busy_poll.h); for a core of its own.
  bool busy_poll = false;
  // With busy_poll, optional: called on each turn of the spinning loop that
  // found nothing ready, to serve another source on the same thread (the
  // fused chain's inline gateway).
  std::function<void()> on_idle;
};

struct LiveStats {
  std::uint64_t frames = 0;
  std::uint64_t errors = 0;
  std::uint64_t connects = 0;
  std::uint64_t disconnects = 0;
  std::uint64_t snapshots = 0;
};

// Runs the session until stopped. Returns false on a setup failure (bad URL,
// unknown venue, record file not writable); network trouble is retried, not
// fatal.
bool run_live(const LiveOptions& options, LineSink& out, Diagnostics& diag,
              const volatile std::sig_atomic_t* stop, LiveStats& stats);

// "book,trade" -> Channels (invalid_argument: an unknown name, or none).
Result<Channels> parse_channels(const std::string& list);
std::vector<std::string> split_list(const std::string& list);

}  // namespace ot
