// ot-exec's run loop: order lines from an input into the engine, the venue
// gateway's network I/O served while the loop waits for input, and, at the
// end of input, a wait for the answers to requests still in flight.
//
// Threading: the caller's thread; `stop` may be set from a signal handler.
#pragma once

#include <csignal>

#include "core/diagnostics.h"
#include "exec/exec_engine.h"
#include "exec/gateway.h"
#include "io/input.h"
#include "io/output.h"
#include "metrics/runtime.h"

namespace ot {

struct ExecLoopOptions {
  // At the end of input, how long to wait for answers to requests in flight.
  int linger_ms = 3000;
  // Ends the loop when set (nullptr: only the end of input does).
  const volatile std::sig_atomic_t* stop = nullptr;
  // Told when the loop waits, and times each line's stage ("exec");
  // nullptr: none.
  metrics::Runtime* runtime = nullptr;
};

// Feeds `in`'s lines to `engine` until the input ends, `*options.stop` is
// set or the engine fails (engine.fatal() says why). `out` is flushed when
// the input is idle. With a network gateway (wake_fd() >= 0) the loop waits
// through Gateway::run_io, collects the gateway's reports after every line
// and every wait, and flushes `out` and `fills` (optional) at each wait;
// after the input it waits up to linger_ms while the gateway is busy (a
// request unanswered, a report owed) or an open order has had no report
// from the venue yet (a venue that reports on a private stream may answer
// the request first), and warns on `diag` if either is still so.
void run_exec_loop(LineInput& in, ExecEngine& engine, Gateway& gateway, LineOutput& out,
                   LineOutput* fills, const ExecLoopOptions& options, Diagnostics& diag);

}  // namespace ot
