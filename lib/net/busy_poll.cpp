#include "net/busy_poll.h"

#include <sys/socket.h>

#include <atomic>

#include "core/spin.h"

namespace ot::net {
namespace {

std::atomic<int> g_busy_usec{0};

}  // namespace

void run_spinning(boost::asio::io_context& ioc, const std::function<void()>& idle) {
  // poll() stops the context itself once no work is left, as run() returns.
  while (!ioc.stopped()) {
    if (ioc.poll() != 0 || ioc.stopped()) continue;
    if (idle) idle();
    cpu_relax();
  }
}

void set_busy_poll_usec(int usec) { g_busy_usec.store(usec > 0 ? usec : 0); }

int busy_poll_usec() { return g_busy_usec.load(); }

bool apply_busy_poll(int fd) {
  const int usec = g_busy_usec.load();
  if (usec <= 0) return true;
  return ::setsockopt(fd, SOL_SOCKET, SO_BUSY_POLL, &usec, sizeof usec) == 0;
}

}  // namespace ot::net
