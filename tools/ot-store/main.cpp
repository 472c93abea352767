// ot-store: persist events (or raw capture frames) in a directory of
// compressed files or in PostgreSQL, read them back in time order, list
// what is stored.
#include <unistd.h>

#include "../common/tool.h"
#include "store/location.h"

namespace {

using namespace ot;

struct Common {
  std::string dir, db, schema = "ot";
  std::vector<std::string> venues, symbols, types;
  std::string from, to;
  bool raw = false;
};

void add_common(CLI::App* sub, Common& c, bool filters) {
  sub->add_option("--dir", c.dir, "Store directory (default $XDG_DATA_HOME/optitrade/store)");
  sub->add_option("--db", c.db, "PostgreSQL instead: postgresql://user@host:port/dbname");
  sub->add_option("--schema", c.schema, "PostgreSQL schema (default ot)");
  sub->add_flag("--raw", c.raw, "Raw capture lines instead of events");
  if (!filters) return;
  sub->add_option("--venue", c.venues, "Only these venues (comma-separated)")->delimiter(',');
  sub->add_option("--symbol", c.symbols, "Only these symbols")->delimiter(',');
  sub->add_option("--type", c.types, "Only these event types")->delimiter(',');
  sub->add_option("--from", c.from, "From this time (ns, YYYY-MM-DD or ISO 8601 UTC)");
  sub->add_option("--to", c.to, "Up to this time, inclusive");
}

std::optional<StoreFilter> make_filter(const Common& c) {
  StoreFilter f;
  f.venues = c.venues;
  f.symbols = c.symbols;
  f.types = c.types;
  f.raw = c.raw;
  if (c.raw) f.types = {"raw"};
  for (auto [text, slot] : {std::pair{&c.from, &f.from}, std::pair{&c.to, &f.to}}) {
    if (text->empty()) continue;
    *slot = parse_time_arg(*text);
    if (!*slot) {
      tool::usage_error("ot-store", "not a time: '" + *text + "'");
      return std::nullopt;
    }
  }
  return f;
}

}  // namespace

static int program_main(int argc, char** argv) {
  CLI::App app{"Store events in files or PostgreSQL and read them back (man ot-store)", "ot-store"};
  app.set_version_flag("--version", "ot-store 0.1.0");
  app.require_subcommand(1);
  Common c;
  std::string in_uri = "-", out_uri = "-", venue;
  bool sync = false, quiet = false, json = false, print_stats = false, strict = false;
  std::size_t segment_mb = 8, batch_kb = WriteOptions{}.flush_bytes >> 10;
  std::string spool;
  int drain_wait = 30;
  auto* w = app.add_subcommand("write", "Store the events read from stdin or --in");
  add_common(w, c, true);
  w->add_option("--in", in_uri,
                "Input: -, a file, tcp://… or ipc://… (ZeroMQ SUB), nats://… (man ot-transports)");
  w->add_option("--capture-venue", venue, "--raw: the capture's venue (default: detected)");
  w->add_flag("--sync", sync, "fsync after every flush (survives power loss, slower)");
  w->add_option("--segment-mb", segment_mb, "Seal file segments at this size (MiB)")
      ->check(CLI::Range(1, 1024));
  w->add_option("--batch-kb", batch_kb,
                "Commit every N KiB of records queued (default 4096; a quiet input sooner)")
      ->check(CLI::Range(1, 1 << 20));
  w->add_option("--spool", spool, "PostgreSQL: spool directory while the database is away");
  w->add_option("--drain-wait", drain_wait,
                "PostgreSQL: at the end, seconds to wait for an unreachable database")
      ->check(CLI::Range(0, 86400));
  w->add_flag("--stats", print_stats, "Print counters on stderr at the end");
  metrics::RuntimeOptions mo;
  tool::add_metrics_options(*w, mo);
  tool::add_strict_flag(*w, strict);
  auto* r = app.add_subcommand("read", "Write stored events (time ordered) to stdout or --out");
  add_common(r, c, true);
  r->add_option("--out", out_uri,
                "Output: -, a file, tcp://… or ipc://… (ZeroMQ PUB), nats://… (man ot-transports)");
  auto* l = app.add_subcommand("ls", "List what is stored");
  add_common(l, c, true);
  l->add_flag("--json", json, "One JSON object per series");
  for (auto* s : {w, r, l}) s->add_flag("-q,--quiet", quiet, "No diagnostics on stderr");
  if (auto rc = tool::parse(app, argc, argv)) return *rc;

  auto filter = make_filter(c);
  if (!filter) return tool::kExitUsage;
  if (!c.dir.empty() && !c.db.empty()) {
    tool::usage_error("ot-store", "--dir and --db exclude each other");
    return tool::kExitUsage;
  }
  StoreLocation at;
  at.files.dir = c.dir.empty() ? default_store_dir() : c.dir;
  at.files.sync = sync;
  at.files.segment_bytes = segment_mb << 20;
  at.pg.url = c.db;
  at.pg.schema = c.schema;
  at.pg.spool_dir = spool;
  at.pg.drain_wait_s = drain_wait;
  tool::StderrDiagnostics diag("ot-store", quiet);

  if (w->parsed()) {
    auto opened_sink = open_store_sink(at, diag);
    if (!opened_sink) return tool::exit_for(opened_sink.error(), diag);
    auto sink = std::move(opened_sink).value();
    auto opened = open_input(in_uri);
    if (!opened) return tool::exit_for(opened.error(), diag);
    auto in = std::move(opened).value();
    report_bad_lines(*in, diag);
    tool::install_stop_signals();
    int rc = tool::kExitOk;
    auto rt = tool::start_runtime("ot-store", mo, rc);
    if (!rt) return rc;
    WriteStats st;
    rt->ready();
    WriteOptions wo;
    wo.raw = c.raw;
    wo.venue = venue;
    wo.filter = *filter;
    wo.flush_bytes = batch_kb << 10;
    wo.on_wait = [&rt] { rt->waiting(); };
    wo.stage_latency = rt->stage("store");
    const bool ok = run_write(*in, *sink, wo, diag, st, &tool::g_stop);
    rt->input_ended();
    if (print_stats) {
      std::fprintf(
          stderr,
          "ot-store: stats: lines=%llu stored=%llu filtered=%llu malformed=%llu refused=%llu "
          "repeated=%llu\n",
          static_cast<unsigned long long>(st.lines), static_cast<unsigned long long>(st.stored),
          static_cast<unsigned long long>(st.filtered),
          static_cast<unsigned long long>(st.malformed),
          static_cast<unsigned long long>(st.refused),
          static_cast<unsigned long long>(st.repeated));
    }
    const bool dropped = st.malformed + st.refused + in->bad_lines() > 0;
    return ok && in->error().empty() && !(strict && dropped) ? tool::kExitOk : tool::kExitFailure;
  }
  if (r->parsed()) {
    auto opened_source = open_store_source(at, *filter);
    if (!opened_source) return tool::exit_for(opened_source.error(), diag);
    auto source = std::move(opened_source).value();
    auto opened = open_output(out_uri);
    if (!opened) return tool::exit_for(opened.error(), diag);
    auto out = std::move(opened).value();
    if (c.raw && source->venues().size() > 1) {
      tool::usage_error("ot-store",
                        "--raw replays one venue; several are stored, choose with --venue");
      return tool::kExitUsage;
    }
    std::uint64_t n = 0;
    const bool ok = run_read(*source, *out, diag, n);
    if (!out->flush()) {
      diag.error("", out->error());
      return tool::kExitFailure;
    }
    return ok ? tool::kExitOk : tool::kExitFailure;
  }
  const auto rows = list_series(at, *filter);
  if (!rows) return tool::exit_for(rows.error(), diag);
  const std::string table = format_series(rows.value(), json);
  std::fwrite(table.data(), 1, table.size(), stdout);
  return std::fflush(stdout) == 0 && !std::ferror(stdout) ? tool::kExitOk : tool::kExitFailure;
}

int main(int argc, char** argv) {
  return ot::tool::guard("ot-store", [&] { return program_main(argc, argv); });
}
