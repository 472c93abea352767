// What every program shares: messages on stderr in the house format
// ("ot-book: error: <where>: <what>"), CLI11 errors mapped to exit status 2,
// and the exit-status convention (0 ok, 1 runtime or data failure, 2 usage).
#pragma once

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/diagnostics.h"
#include "core/message.h"
#include "io/cpu.h"
#include "io/input.h"
#include "io/output.h"
#include "metrics/runtime.h"
#include "venues/venue.h"

namespace ot::tool {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFailure = 1;
inline constexpr int kExitUsage = 2;

class StderrDiagnostics final : public Diagnostics {
 public:
  explicit StderrDiagnostics(std::string program, bool quiet = false)
      : program_(std::move(program)), quiet_(quiet) {}
  void error(std::string_view where, std::string_view message) override {
    ++errors_;
    print("error", where, message);
  }
  void warning(std::string_view where, std::string_view message) override {
    ++warnings_;
    print("warning", where, message);
  }
  std::uint64_t errors() const { return errors_; }
  const std::string& program() const { return program_; }
  // Stop printing after this many messages (the count goes on).
  void set_limit(std::uint64_t limit) { limit_ = limit; }

 private:
  void print(const char* level, std::string_view where, std::string_view message) {
    if (quiet_) return;
    if (printed_ == limit_) {
      std::fprintf(stderr, "%s: note: further messages suppressed\n", program_.c_str());
    }
    if (printed_++ >= limit_) return;
    if (where.empty()) {
      std::fprintf(stderr, "%s: %s: %.*s\n", program_.c_str(), level,
                   static_cast<int>(message.size()), message.data());
    } else {
      std::fprintf(stderr, "%s: %s: %.*s: %.*s\n", program_.c_str(), level,
                   static_cast<int>(where.size()), where.data(), static_cast<int>(message.size()),
                   message.data());
    }
  }
  std::string program_;
  bool quiet_;
  std::uint64_t errors_ = 0, warnings_ = 0, printed_ = 0, limit_ = 100;
};

// Runs a program's body, so that an exception escaping it (out of memory,
// a library's) ends the program with "prog: error: internal error: ..."
// and status 1, never an abort.
template <class Body>
int guard(const char* program, Body&& body) noexcept {
  try {
    return body();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: error: internal error: %s\n", program, e.what());
  } catch (...) {
    std::fprintf(stderr, "%s: error: internal error\n", program);
  }
  return kExitFailure;
}

// Parses the command line; on failure prints CLI11's message with a hint and
// returns the exit status to use (0 for --help / --version, 2 otherwise).
// Every program gets --cpu here: it binds the program to those CPUs.
inline std::optional<int> parse(CLI::App& app, int argc, char** argv) {
  std::string cpus;
  app.add_option("--cpu", cpus,
                 "Run on these CPUs only: 3, 2,3 or 0-3 (a core of its own for low latency)");
  try {
    app.parse(argc, argv);
    if (cpus.empty()) return std::nullopt;
    if (const Result<> pinned = pin_to_cpus(cpus); !pinned) {
      std::fprintf(stderr, "%s: error: %s\nTry '%s --help' for more information.\n",
                   app.get_name().c_str(), pinned.error().message().c_str(),
                   app.get_name().c_str());
      return kExitUsage;
    }
    return std::nullopt;
  } catch (const CLI::CallForHelp& e) {
    std::fputs(app.help().c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForAllHelp& e) {
    std::fputs(app.help("", CLI::AppFormatMode::All).c_str(), stdout);
    return kExitOk;
  } catch (const CLI::CallForVersion& e) {
    std::fputs((std::string(e.what()) + "\n").c_str(), stdout);
    return kExitOk;
  } catch (const CLI::ParseError& e) {
    const std::string what = house_message("", e.what());
    std::fprintf(stderr, "%s: error: %s\nTry '%s --help' for more information.\n",
                 app.get_name().c_str(), what.c_str(), app.get_name().c_str());
    return kExitUsage;
  }
}

// Set by SIGINT / SIGTERM: long-running loops poll it and end cleanly.
inline volatile std::sig_atomic_t g_stop = 0;
inline void install_stop_signals() {
  auto on_signal = [](int) { g_stop = 1; };
  std::signal(SIGINT, on_signal);
  std::signal(SIGTERM, on_signal);
}

// --metrics and --metrics-symbols, one meaning in every long-running
// program (man ot-metrics.7).
inline void add_metrics_options(CLI::App& app, metrics::RuntimeOptions& o) {
  app.add_option("--metrics", o.listen,
                 "Serve Prometheus metrics at /metrics, and /healthz and /readyz, on HOST:PORT "
                 "(127.0.0.1:9464; man ot-metrics)");
  app.add_option("--metrics-symbols", o.symbol_cap,
                 "Series of their own for at most N symbols, the rest under \"other\" "
                 "(default 100)");
}

// Starts the program's metrics and systemd notifications (metrics/runtime.h);
// null after reporting why on stderr, with the exit status in `rc`.
inline std::unique_ptr<metrics::Runtime> start_runtime(const std::string& program,
                                                       const metrics::RuntimeOptions& o, int& rc,
                                                       metrics::ReadyCheck ready = nullptr) {
  auto started = metrics::Runtime::start(o, std::move(ready));
  if (!started) {
    if (started.error().is_usage()) {
      std::fprintf(stderr, "%s: error: %s\nTry '%s --help' for more information.\n",
                   program.c_str(), started.error().message().c_str(), program.c_str());
      rc = kExitUsage;
    } else {
      std::fprintf(stderr, "%s: error: %s\n", program.c_str(), started.error().message().c_str());
      rc = kExitFailure;
    }
    return nullptr;
  }
  return std::move(started).value();
}

// A filter's input and output: the output is flushed whenever the input
// runs dry (per record on a live stream, in large writes on a file), and
// the runtime learns that the program waits. On an endpoint there is no
// end of input: SIGINT/SIGTERM end the run cleanly, and a signal taken
// while busy (writing to a full pipe, say) is seen at the next wait, which
// looks at the flag a few times a second.
inline void wire_filter(const std::string& in_uri, LineInput& in, LineOutput& out,
                        metrics::Runtime& rt) {
  in.set_idle_hook([&out, &rt] {
    out.flush();
    rt.waiting();
  });
  if (!is_endpoint_uri(in_uri)) return;
  install_stop_signals();
  in.set_wait_hook([&out, &rt](const LineInput::WaitTarget& t) {
    const bool ready = wait_readable(t, 200);
    out.flush();
    rt.waiting();
    if (g_stop) return LineInput::WaitResult::stop;
    return ready ? LineInput::WaitResult::ready : LineInput::WaitResult::again;
  });
}

// The end of a stream program's run: reports an input error and flushes the
// output; returns the exit status so far.
inline int end_of_run(const LineInput& in, LineOutput& out, Diagnostics& diag) {
  int rc = kExitOk;
  if (!in.error().empty()) {
    diag.error("", in.error());
    rc = kExitFailure;
  }
  if (!out.flush()) {
    diag.error("", out.error());
    rc = kExitFailure;
  }
  return rc;
}

// --busy-poll, one meaning in every program with network I/O: the I/O
// thread spins on its sockets instead of sleeping (net/busy_poll.h).
inline void add_busy_poll_flag(CLI::App& app, bool& busy) {
  app.add_flag("--busy-poll", busy,
               "Never sleep waiting for the network: spin on the sockets, with SO_BUSY_POLL "
               "where the kernel allows (give the program a core of its own with --cpu)");
}

// --strict, one meaning in every program that reads events.
inline void add_strict_flag(CLI::App& app, bool& strict) {
  app.add_flag("--strict", strict,
               "Exit 1 if any input was dropped or refused (lines, frames, levels, orders)");
}

inline void usage_error(const std::string& program, const std::string& message) {
  std::fprintf(stderr, "%s: error: %s\nTry '%s --help' for more information.\n", program.c_str(),
               message.c_str(), program.c_str());
}

// Reports a failed call's error and returns the exit status for it: a usage
// error (invalid_argument) with the --help hint and 2, anything else
// through `diag` and 1.
inline int exit_for(const Error& e, StderrDiagnostics& diag) {
  if (e.is_usage()) {
    usage_error(diag.program(), e.message());
    return kExitUsage;
  }
  diag.error("", e.message());
  return kExitFailure;
}

// What one contract is worth, for programs that value positions and fees:
// --instruments VENUE:FILE (a venue's instruments list) and --contract-size
// VENUE:SYMBOL=SIZE, which wins over a list.
struct ContractOptions {
  std::vector<std::string> instruments;
  std::vector<std::string> sizes;
};

inline void add_contract_options(CLI::App& app, ContractOptions& o) {
  app.add_option("--instruments", o.instruments,
                 "VENUE:FILE, the venue's instruments list saved from its REST API (OKX "
                 "/api/v5/public/instruments, Binance COIN-M /dapi/v1/exchangeInfo): every "
                 "contract's size (repeatable)");
  app.add_option("--contract-size", o.sizes,
                 "VENUE:SYMBOL=SIZE, what one contract is worth where the venue's rules do "
                 "not say (repeatable)");
}

// Gives the sizes to the process; false after a usage error on stderr.
inline bool apply_contract_options(const std::string& program, const ContractOptions& o) {
  for (const auto& spec : o.instruments) {
    if (const auto loaded = load_instruments(spec); !loaded) {
      usage_error(program, "--instruments: " + loaded.error().message());
      return false;
    }
  }
  for (const auto& s : o.sizes) {
    if (const auto set = set_contract_size(s); !set) {
      usage_error(program, "--contract-size: " + set.error().message());
      return false;
    }
  }
  return true;
}

}  // namespace ot::tool
