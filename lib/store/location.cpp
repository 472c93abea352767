#include "store/location.h"

namespace ot {

std::unique_ptr<RecordSink> open_store_sink(const StoreLocation& at, Diagnostics& diag,
                                            std::string& error) {
  if (at.database()) return open_pg_sink(at.pg, diag, error);
  return FileStoreWriter::open(at.files, error);
}

std::unique_ptr<RecordSource> open_store_source(const StoreLocation& at, const StoreFilter& filter,
                                                std::string& error) {
  if (at.database()) return open_pg_source(at.pg, filter, error);
  return FileStoreReader::open(at.files.dir, filter, error);
}

bool list_series(const StoreLocation& at, const StoreFilter& filter, std::vector<StoredSeries>& out,
                 std::string& error) {
  return at.database() ? list_pg(at.pg, filter, out, error)
                       : list_store(at.files.dir, filter, out, error);
}

}  // namespace ot
