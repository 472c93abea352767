// ot-book: L2 books from normalized events; bbo / depth / book out.
#include <sys/ioctl.h>
#include <unistd.h>

#include <csignal>

#include "../common/tool.h"
#include "book/book_engine.h"
#include "book/ladder.h"
#include "core/time.h"
#include "io/input.h"
#include "io/output.h"

namespace {

volatile std::sig_atomic_t g_dump = 0;
void on_usr1(int) { g_dump = 1; }

int terminal_width() {
  winsize ws{};
  return ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0 ? ws.ws_col : 80;
}

}  // namespace

static int program_main(int argc, char** argv) {
  using namespace ot;
  CLI::App app{"Keep L2 order books from events; emit bbo, depth and book (man ot-book)",
               "ot-book"};
  app.set_version_flag("--version", "ot-book 0.1.0");
  std::vector<std::string> emits;
  std::string in_uri = "-", out_uri = "-";
  int top = 0;
  std::size_t max_books = BookEngineOptions{}.max_books;
  bool strict = false, quiet = false, pass_book = false, print_stats = false;
  app.add_option("--in", in_uri,
                 "Input: -, a file, tcp://… or ipc://… (ZeroMQ SUB), nats://… (man ot-transports)");
  app.add_option(
      "--out", out_uri,
      "Output: -, a file, tcp://… or ipc://… (ZeroMQ PUB), nats://… (man ot-transports)");
  app.add_option("--emit", emits, "bbo (default), depth=N, book (at end / on SIGUSR1), book=N")
      ->take_all();
  app.add_option("--top", top, "Draw a live N-level ladder when stdout is a terminal")
      ->check(CLI::Range(1, 200));
  app.add_flag("--pass-book", pass_book, "Also pass the input book events through");
  app.add_option("--max-books", max_books,
                 "Keep at most N books (default 100000, 0: no cap); updates beyond are dropped");
  tool::add_strict_flag(app, strict);
  app.add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  app.add_flag("--stats", print_stats, "Print counters on stderr at the end");
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(app, mo);
  if (auto rc = tool::parse(app, argc, argv)) return *rc;

  BookEngineOptions opt;
  opt.pass_book = pass_book;
  opt.max_books = max_books;
  if (emits.empty()) emits.push_back("bbo");
  for (const auto& e : emits) {
    try {
      if (e == "bbo")
        opt.emit_bbo = true;
      else if (e == "book")
        opt.book_at_end = true;
      else if (e.rfind("depth=", 0) == 0)
        opt.depth_levels = std::stoi(e.substr(6));
      else if (e.rfind("book=", 0) == 0)
        opt.book_every = std::stoull(e.substr(5));
      else
        throw std::invalid_argument(e);
      if (opt.depth_levels < 0) throw std::invalid_argument(e);
    } catch (const std::exception&) {
      tool::usage_error("ot-book",
                        "--emit: expected bbo, depth=N, book or book=N, got '" + e + "'");
      return tool::kExitUsage;
    }
  }
  tool::StderrDiagnostics diag("ot-book", quiet);
  auto opened_in = open_input(in_uri);
  if (!opened_in) return tool::exit_for(opened_in.error(), diag);
  auto in = std::move(opened_in).value();
  const bool ladder = top > 0 && isatty(STDOUT_FILENO) && out_uri == "-";
  auto opened_out = open_output(ladder ? "/dev/null" : out_uri);
  if (!opened_out) return tool::exit_for(opened_out.error(), diag);
  auto out = std::move(opened_out).value();
  report_bad_lines(*in, diag);
  int rc = tool::kExitOk;
  auto rt = tool::start_runtime("ot-book", mo, rc);
  if (!rt) return rc;
  tool::wire_filter(in_uri, *in, *out, *rt);
  std::signal(SIGUSR1, on_usr1);
  BookEngine engine(opt, *out, diag);
  metrics::StageTimer stage(rt->stage("book"));
  rt->ready();
  std::string_view line;
  Nanos last_draw = 0;
  while (!tool::g_stop && in->next(line)) {
    stage.begin();
    engine.process_line(line, in->name(), in->line_number());
    stage.end();
    if (g_dump) {
      g_dump = 0;
      engine.emit_all_books();
    }
    if (ladder && engine.latest() != nullptr && mono_ns() - last_draw > 100'000'000) {
      last_draw = mono_ns();
      const std::string frame = render_ladder(*engine.latest(), top, terminal_width());
      std::fwrite(frame.data(), 1, frame.size(), stdout);
      std::fflush(stdout);
    }
  }
  rt->input_ended();
  if (!in->error().empty()) diag.error("", in->error());
  if (ladder && engine.latest() != nullptr) {
    const std::string frame = render_ladder(*engine.latest(), top, terminal_width());
    std::fwrite(frame.data(), 1, frame.size(), stdout);
  }
  if (opt.book_at_end) engine.emit_all_books();
  if (!out->flush()) {
    diag.error("", out->error());
    return tool::kExitFailure;
  }
  const auto& s = engine.stats();
  if (print_stats) {
    std::fprintf(stderr,
                 "ot-book: stats: lines=%lu malformed=%lu book_updates=%lu gaps=%lu "
                 "checksum_mismatches=%lu checksums_verified=%lu bad_levels=%lu\n",
                 s.lines, s.malformed, s.book_updates, s.gaps, s.checksum_mismatches,
                 s.checksums_verified, s.bad_levels);
  }
  if (!in->error().empty()) return tool::kExitFailure;
  if (strict && (s.malformed > 0 || s.gaps > 0 || s.checksum_mismatches > 0 || s.bad_levels > 0 ||
                 s.over_cap > 0 || in->bad_lines() > 0)) {
    return tool::kExitFailure;
  }
  return tool::kExitOk;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-book", [&] { return program_main(argc, argv); });
}
