#include "store/location.h"

namespace ot {

Result<std::unique_ptr<RecordSink>> open_store_sink(const StoreLocation& at, Diagnostics& diag) {
  if (at.database()) return open_pg_sink(at.pg, diag);
  auto w = FileStoreWriter::open(at.files);
  if (!w) return w.error();
  return std::unique_ptr<RecordSink>(std::move(w).value());
}

Result<std::unique_ptr<RecordSource>> open_store_source(const StoreLocation& at,
                                                        const StoreFilter& filter) {
  if (at.database()) return open_pg_source(at.pg, filter);
  auto r = FileStoreReader::open(at.files.dir, filter);
  if (!r) return r.error();
  return std::unique_ptr<RecordSource>(std::move(r).value());
}

Result<std::vector<StoredSeries>> list_series(const StoreLocation& at, const StoreFilter& filter) {
  return at.database() ? list_pg(at.pg, filter) : list_store(at.files.dir, filter);
}

}  // namespace ot
