// Request signing primitives the venues use: HMAC-SHA256 with hex or base64
// output, and a constant-time comparison for the simulator's checks; plain
// SHA-256 for content hashes (model files, training data).
#pragma once

#include <string>
#include <string_view>

namespace ot::net {

// HMAC-SHA256 of `data` under `key`, as 64 lowercase hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// The same digest in standard base64 (OKX).
std::string hmac_sha256_base64(std::string_view key, std::string_view data);
// SHA-256 of data fed in pieces (a file read in blocks), as 64 lowercase
// hex digits. hex() ends it: one digest per object.
class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(std::string_view data);
  std::string hex();

 private:
  void* ctx_;  // EVP_MD_CTX
};
// SHA-256 of `data`, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view data);
// Equality that takes the same time whatever the first difference.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace ot::net
