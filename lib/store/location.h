// Where events are stored: a directory of compressed files (file_store.h)
// or a PostgreSQL database (pg_store.h). The programs that take --dir (or
// --store) and --db open either through these.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "core/diagnostics.h"
#include "store/file_store.h"
#include "store/pg_store.h"
#include "store/store.h"

namespace ot {

struct StoreLocation {
  FileStoreOptions files;  // files.dir: the directory, when pg.url is empty
  PgOptions pg;            // pg.url set: the database
  bool database() const { return !pg.url.empty(); }
};

// As FileStoreWriter::open and open_pg_sink.
Result<std::unique_ptr<RecordSink>> open_store_sink(const StoreLocation& at, Diagnostics& diag);
// As FileStoreReader::open and open_pg_source.
Result<std::unique_ptr<RecordSource>> open_store_source(const StoreLocation& at,
                                                        const StoreFilter& filter);
// As list_store and list_pg.
Result<std::vector<StoredSeries>> list_series(const StoreLocation& at, const StoreFilter& filter);

}  // namespace ot
