// The capture line reader on hostile files: the bytes as a plain, a gzip
// and a zstd file (corrupt compressed streams included), read line by line
// and split into stamp and frame, as ot-feed replay and ot-sim read them.
#include <unistd.h>

#include <cstdio>

#include "feed/replay.h"
#include "fuzz.h"
#include "io/capture_line.h"
#include "io/input.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string dir = [] {
    char t[] = "/tmp/ot-fuzz-capture-XXXXXX";
    return std::string(::mkdtemp(t));
  }();
  const char* kinds[] = {".raw", ".raw.gz", ".raw.zst"};
  const std::string path = dir + "/in" + kinds[ot::fuzz::pick(data, size, 3)];
  if (FILE* f = std::fopen(path.c_str(), "wb")) {
    std::fwrite(data, 1, size, f);
    std::fclose(f);
  }
  auto opened = ot::open_input(path);
  if (!opened) ot::fuzz::fail("a file that exists does not open");
  auto in = std::move(opened).value();
  std::string_view line;
  std::uint64_t lines = 0;
  while (in->next(line)) {
    ++lines;
    if (line.size() > ot::max_line_bytes()) ot::fuzz::fail("a line over the limit handed out");
    ot::Nanos recv = 0;
    std::string_view frame;
    if (ot::split_capture_line(line, recv, frame) &&
        (frame.data() < line.data() || frame.data() + frame.size() > line.data() + line.size())) {
      ot::fuzz::fail("the frame is not inside its line");
    }
  }
  if (in->line_number() < lines) ot::fuzz::fail("line numbers behind the lines read");
  std::remove(path.c_str());
  return 0;
}
