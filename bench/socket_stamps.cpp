// libot-socket-stamps.so: preloaded into a program (LD_PRELOAD), it stamps
// each socket read and write that moved bytes (recvmsg, recv, send, sendto,
// sendmsg) with the monotonic clock before and after the call, in memory,
// and writes them at exit to $OT_SOCKET_STAMPS, one per line:
//
//   <r|w> <fd> <ns before> <ns after> <bytes>
//
// bench/tick_to_trade.py --breakdown lays them next to ot-sim's kernel
// stamps to split an order's wire-to-wire time: the frame's way in, the
// program's work up to its write, the write into the kernel. Two clock
// reads per call that moved bytes; calls that found nothing are not
// stamped. Bench use only: not thread-safe beyond one writing thread.

#include <dlfcn.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>

#include <cstdio>
#include <cstdlib>

namespace {

constexpr int kMax = 1 << 20;
struct Stamp {
  char kind;
  int fd;
  long long before, after;
  long bytes;
};
Stamp stamps[kMax];
int count = 0;

long long mono() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000000LL + t.tv_nsec;
}

void keep(char kind, int fd, long long before, long bytes) {
  if (bytes <= 0 || count >= kMax) return;
  stamps[count++] = Stamp{kind, fd, before, mono(), bytes};
}

// The stamps' memory is touched before the program runs: a page fault per
// 128 stamps would otherwise land in the phase after a write.
__attribute__((constructor)) void touch_stamps() {
  auto* bytes = reinterpret_cast<volatile char*>(stamps);
  for (std::size_t i = 0; i < sizeof stamps; i += 4096) bytes[i] = 0;
}

// The C library's own `name`; a program without it cannot run stamped.
void* real_function(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "libot-socket-stamps: error: no %s to wrap\n", name);
    std::abort();
  }
  return f;
}

}  // namespace

// Each wrapper finds the C library's own function once and calls it.
#define STAMPED(kind, ret, name, params, args)                                 \
  extern "C" ret name params {                                                 \
    static auto* real = reinterpret_cast<ret(*) params>(real_function(#name)); \
    const long long before = mono();                                           \
    const ret r = real args;                                                   \
    keep(kind, fd, before, static_cast<long>(r));                              \
    return r;                                                                  \
  }

STAMPED('r', ssize_t, recvmsg, (int fd, struct msghdr* m, int f), (fd, m, f))
STAMPED('r', ssize_t, recv, (int fd, void* b, size_t n, int f), (fd, b, n, f))
STAMPED('w', ssize_t, send, (int fd, const void* b, size_t n, int f), (fd, b, n, f))
STAMPED('w', ssize_t, sendto,
        (int fd, const void* b, size_t n, int f, const struct sockaddr* a, socklen_t al),
        (fd, b, n, f, a, al))
STAMPED('w', ssize_t, sendmsg, (int fd, const struct msghdr* m, int f), (fd, m, f))

namespace {

__attribute__((destructor)) void write_stamps() {
  const char* path = std::getenv("OT_SOCKET_STAMPS");
  std::FILE* out = path != nullptr ? std::fopen(path, "w") : nullptr;
  if (out == nullptr) return;
  for (int i = 0; i < count; ++i) {
    std::fprintf(out, "%c %d %lld %lld %ld\n", stamps[i].kind, stamps[i].fd, stamps[i].before,
                 stamps[i].after, stamps[i].bytes);
  }
  std::fclose(out);
}

}  // namespace
