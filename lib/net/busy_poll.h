// Busy polling (--busy-poll): an I/O thread on a core of its own that never
// sleeps in the kernel, so a frame or a report is picked up the moment it
// arrives instead of after a wake-up (tens of microseconds on a VM whose
// idle vCPU has halted).
//
// Threading: run_spinning() runs on the io_context's own thread;
// set_busy_poll_usec() is for the program's start, before sockets connect.
#pragma once

#include <boost/asio/io_context.hpp>
#include <functional>

namespace ot::net {

// Runs `ioc` as io_context::run() does, until it is stopped or runs out of
// work, but never blocks: ready handlers are run and the reactor asked
// again at once (epoll_wait with no timeout). Timers fire on time. `idle`,
// if given, is called on each turn that found nothing ready: another
// source served on the same thread (a fused chain's inline gateway).
void run_spinning(boost::asio::io_context& ioc, const std::function<void()>& idle = {});

// What --busy-poll asks of the kernel per socket.
inline constexpr int kBusyPollUsec = 50;

// Sockets connected from now on (the venue clients') ask the kernel to
// busy-poll their device's receive queue for up to `usec` microseconds on
// a read (SO_BUSY_POLL), where the kernel allows it (raising it above
// net.core.busy_read needs CAP_NET_ADMIN; a refusal is not an error).
// Loopback has no device queue: there it changes nothing. 0: off.
void set_busy_poll_usec(int usec);
int busy_poll_usec();
// Applies the setting to a connected socket; false if the kernel refused.
bool apply_busy_poll(int fd);

}  // namespace ot::net
