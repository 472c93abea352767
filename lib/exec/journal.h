// An append-only journal of one program's order traffic: every order,
// cancel and amend it accepted and every execution report it published, one
// event line each (man/ot-events.7), so a restart after a crash or kill -9
// knows every order it ever sent and the last state of each.
//
// Durability: each record is one write(2) of the whole line with O_APPEND,
// so a killed process leaves either the whole record or none of it in the
// file; a torn last line (power loss mid-write) is cut off when the journal
// is reopened. With `sync`, every record is also fsync'ed before append()
// returns (survives power loss, costs a disk flush per record).
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "core/result.h"

namespace ot {

class Journal {
 public:
  Journal() = default;
  ~Journal();
  Journal(const Journal&) = delete;
  Journal& operator=(const Journal&) = delete;

  // Opens `path` (created if missing), first handing every complete record
  // to `replay(line, line_number)`; each line is followed by 64 readable
  // padding bytes. Errors: the file's (os_error).
  Result<> open(const std::string& path, bool sync,
                const std::function<void(std::string_view, std::uint64_t)>& replay);
  // Appends one record (without its newline). False on a write error.
  bool append(std::string_view line);
  bool is_open() const { return fd_ >= 0; }
  const std::string& error() const { return error_; }
  std::uint64_t records() const { return records_; }

 private:
  int fd_ = -1;
  bool sync_ = false;
  std::string path_;
  std::string error_;
  std::string buf_;
  std::uint64_t records_ = 0;
};

}  // namespace ot
