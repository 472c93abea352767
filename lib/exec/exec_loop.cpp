#include "exec/exec_loop.h"

#include <string>

#include "core/time.h"

namespace ot {

void run_exec_loop(LineInput& in, ExecEngine& engine, Gateway& gateway, LineOutput& out,
                   LineOutput* fills, const ExecLoopOptions& options, Diagnostics& diag) {
  auto stopped = [&options] { return options.stop != nullptr && *options.stop != 0; };
  const bool network = gateway.wake_fd() >= 0;
  metrics::Runtime* rt = options.runtime;
  in.set_idle_hook([&out, rt] {
    out.flush();
    if (rt != nullptr) rt->waiting();
  });
  if (network) {
    // Wait for input or for the gateway's reports.
    in.set_wait_hook([&](const LineInput::WaitTarget& t) {
      const bool ready = gateway.run_io(
          readiness_fd(t), [&t] { return readable_now(t); }, 200);
      engine.poll(now_ns());
      out.flush();
      if (fills != nullptr) fills->flush();
      if (rt != nullptr) rt->waiting();
      if (stopped()) return LineInput::WaitResult::stop;
      return ready ? LineInput::WaitResult::ready : LineInput::WaitResult::again;
    });
  } else {
    // The paper venue: wait for input a few times a second, looking at the
    // stop flag between (a ring's wait is not ended by a signal).
    in.set_wait_hook([&](const LineInput::WaitTarget& t) {
      const bool ready = wait_readable(t, 200);
      if (stopped()) return LineInput::WaitResult::stop;
      return ready ? LineInput::WaitResult::ready : LineInput::WaitResult::again;
    });
  }
  metrics::StageTimer stage(rt != nullptr ? rt->stage("exec") : nullptr);
  std::string_view line;
  while (!stopped() && in.next(line)) {
    stage.begin();
    engine.process_line(line, in.name(), in.line_number());
    stage.end();
    if (network) engine.poll(now_ns());
    if (!engine.fatal().empty()) break;
  }
  if (rt != nullptr) rt->input_ended();
  if (!network) return engine.finish();
  // Answers to requests still in flight, and the first report of every order
  // sent: a venue that answers the request and reports on its private stream
  // (Binance) may still owe it, or the stream may be reconnecting.
  auto unacked = [&engine] {
    std::size_t n = 0;
    engine.orders().for_each_open([&n](const TrackedOrder& o) { n += o.acked ? 0 : 1; });
    return n;
  };
  for (const Nanos until = mono_ns() + static_cast<Nanos>(options.linger_ms) * 1'000'000;
       !stopped() && mono_ns() < until;) {
    gateway.run_io(
        -1, [] { return false; }, 50);
    engine.poll(now_ns());
    if (rt != nullptr) rt->beat();
    if (!gateway.busy() && unacked() == 0) break;
  }
  engine.poll(now_ns());
  if (gateway.busy()) {
    diag.warning("",
                 "requests still unanswered at exit; the journal lets a restart reconcile them");
  } else if (const std::size_t n = unacked()) {
    diag.warning("", std::to_string(n) +
                         " orders not yet acknowledged by the venue at exit; the journal lets a "
                         "restart reconcile them");
  }
}

}  // namespace ot
