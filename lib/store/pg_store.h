// The PostgreSQL backend of the store, through libpq.
//
// Schema (in `schema`, default "ot"): one table per event type of
// man/ot-events.7 (book, trade, quote, ticker, bbo, depth, status, order,
// cancel, amend, exec, position, greeks, control, bar), "raw" for capture lines
// and "other" for any other type. Every table has
//     time bigint      record time, ns (the event's recv, else ts)
//     seq bigint       the writer's order among equal times
//     venue, symbol    text ("_" when absent)
//     digest bigint    64-bit FNV-1a of the line: the record's identity
//     event text       the line exactly as written (read returns it)
// plus typed columns for querying (prices and quantities as numeric, exact).
// The natural key (time, venue, symbol, digest) is unique: inserting the
// same event again, by a retry or a second run over the same data, adds
// nothing. Storage: TimescaleDB hypertables with daily chunks and
// compression after 7 days when the extension can be created, else native
// range partitioning by day (partitions created as data arrives).
//
// Writing: rows are batched per flush and sent with binary COPY straight
// into their table, one transaction per flush; a batch that breaks the
// unique key (a row stored before) is rolled back to a savepoint and goes
// through a session-local staging table with INSERT ... ON CONFLICT DO
// NOTHING. Batches commit on two connections at once while the database is
// up (order among them does not matter: the key and the time order of
// reads do); a deadlock between the two is tried again. While the database
// is unreachable, each flush's records go to a spool directory (fsynced)
// instead; when the connection comes back the spool drains first, on one
// connection, oldest record first. A crash leaves the spool on disk, and the
// next writer drains it. Nothing is lost; the key makes the drain's retries
// harmless.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/hash.h"
#include "core/result.h"
#include "store/store.h"

namespace ot {

struct PgOptions {
  std::string url;  // libpq connection URI or key=value string
  std::string schema = "ot";
  std::string spool_dir;  // default: $XDG_STATE_HOME/optitrade/spool/<schema>-<digest of url>
  int drain_wait_s = 30;  // at close, how long to wait for an unreachable database
};

// A sink writing to PostgreSQL (connects at once; an unreachable database is
// not an error, the records spool). Errors: io_error (the spool directory),
// refused (a schema the database refuses).
Result<std::unique_ptr<RecordSink>> open_pg_sink(const PgOptions& options, Diagnostics& diag);
// Errors: unavailable (the database cannot be reached), refused (a query
// it refuses).
Result<std::unique_ptr<RecordSource>> open_pg_source(const PgOptions& options,
                                                     const StoreFilter& filter);
Result<std::vector<StoredSeries>> list_pg(const PgOptions& options, const StoreFilter& filter);

// Parts, exposed for tests (a row's digest is fnv1a64 of its line, core/hash.h).
// The table an event type is stored in.
std::string_view pg_table_for(std::string_view type);

}  // namespace ot
