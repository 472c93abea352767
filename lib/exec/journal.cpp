#include "exec/journal.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "io/output.h"

namespace ot {

Journal::~Journal() {
  if (fd_ >= 0) ::close(fd_);
}

Result<> Journal::open(const std::string& path, bool sync,
                       const std::function<void(std::string_view, std::uint64_t)>& replay) {
  path_ = path;
  sync_ = sync;
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
  if (fd_ < 0) {
    return os_error(path, errno);
  }
  std::string data;
  char chunk[1 << 16];
  for (;;) {
    ssize_t r = ::pread(fd_, chunk, sizeof chunk, static_cast<off_t>(data.size()));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      return os_error(path, errno);
    }
    if (r == 0) break;
    data.append(chunk, static_cast<std::size_t>(r));
  }
  const std::size_t complete = data.rfind('\n') == std::string::npos ? 0 : data.rfind('\n') + 1;
  if (complete < data.size()) {
    // A torn last record: never half-visible.
    if (::ftruncate(fd_, static_cast<off_t>(complete)) != 0) {
      return os_error(path, errno);
    }
  }
  std::string line;
  std::uint64_t number = 0;
  std::size_t pos = 0;
  while (pos < complete) {
    const std::size_t nl = data.find('\n', pos);
    ++number;
    if (nl > pos) {
      line.assign(data, pos, nl - pos);
      const std::size_t n = line.size();
      line.append(64, '\0');
      replay(std::string_view(line.data(), n), number);
      ++records_;
    }
    pos = nl + 1;
  }
  return {};
}

bool Journal::append(std::string_view line) {
  buf_.assign(line);
  buf_.push_back('\n');
  if (!write_all(fd_, buf_.data(), buf_.size())) {
    error_ = path_ + ": " + std::strerror(errno);
    return false;
  }
  if (sync_ && ::fdatasync(fd_) != 0) {
    error_ = path_ + ": " + std::strerror(errno);
    return false;
  }
  ++records_;
  return true;
}

}  // namespace ot
