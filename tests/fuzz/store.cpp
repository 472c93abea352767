// The store's segment reader on corrupted files: the bytes as an open
// (.ndjson) or a sealed (.zst) segment of a partition, read back through
// ot-store read's reader and listed as ot-store ls lists them. Corruption
// is reported (an error), never a crash, a hang or a record out of order.
#include <filesystem>
#include <fstream>

#include "fuzz.h"
#include "store/file_store.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string root = [] {
    char t[] = "/tmp/ot-fuzz-store-XXXXXX";
    return std::string(::mkdtemp(t));
  }();
  const bool sealed = ot::fuzz::pick(data, size, 2) == 1;
  const std::string dir = root + "/okx/BTC-USDT/2022-05-13/trade";
  std::filesystem::remove_all(root + "/okx");
  std::filesystem::create_directories(dir);
  std::ofstream(dir + (sealed ? "/000001.zst" : "/000001.ndjson"), std::ios::binary)
      .write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (auto reader = ot::FileStoreReader::open(root, ot::StoreFilter{})) {
    ot::StoredRecord r;
    std::uint64_t records = 0;
    while ((*reader)->next(r)) ++records;
    if (!(*reader)->error().empty() && records > size) ot::fuzz::fail("more records than bytes");
  }
  [[maybe_unused]] const auto series = ot::list_store(root, ot::StoreFilter{});
  return 0;
}
