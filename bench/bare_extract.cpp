// The end-to-end limit: read a capture and do the bare simdjson extraction of
// every frame (what any normalizer must at least do), writing nothing.
#include <cstdio>

#include "bench_util.h"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: ot-bare-extract CAPTURE\n");
    return 2;
  }
  auto opened = ot::open_input(argv[1]);
  if (!opened) {
    std::fprintf(stderr, "ot-bare-extract: error: %s\n", opened.error().message().c_str());
    return 1;
  }
  auto in = std::move(opened).value();
  simdjson::ondemand::parser parser;
  std::uint64_t sum = 0, frames = 0;
  std::string_view line;
  while (in->next(line)) {
    ot::Nanos t;
    std::string_view frame;
    if (!ot::split_capture_line(line, t, frame)) continue;
    sum += ot::bench::bare_extract(parser, frame);
    ++frames;
  }
  std::printf("%lu frames (checksum %lu)\n", frames, sum);
  return 0;
}
