// Request signing primitives the venues use: HMAC-SHA256 with hex or base64
// output, and a constant-time comparison for the simulator's checks.
#pragma once

#include <string>
#include <string_view>

namespace ot::net {

// HMAC-SHA256 of `data` under `key`, as 64 lowercase hex digits.
std::string hmac_sha256_hex(std::string_view key, std::string_view data);
// The same digest in standard base64 (OKX).
std::string hmac_sha256_base64(std::string_view key, std::string_view data);
// Equality that takes the same time whatever the first difference.
bool equal_constant_time(std::string_view a, std::string_view b);

}  // namespace ot::net
