#include "net/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

namespace ot::net {
namespace {

std::string digest(std::string_view key, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  return std::string(reinterpret_cast<const char*>(out), n);
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  static constexpr char kHex[] = "0123456789abcdef";
  const std::string d = digest(key, data);
  std::string hex(d.size() * 2, '0');
  for (std::size_t i = 0; i < d.size(); ++i) {
    const auto b = static_cast<unsigned char>(d[i]);
    hex[2 * i] = kHex[b >> 4];
    hex[2 * i + 1] = kHex[b & 15];
  }
  return hex;
}

std::string hmac_sha256_base64(std::string_view key, std::string_view data) {
  const std::string d = digest(key, data);
  std::string out(4 * ((d.size() + 2) / 3) + 1, '\0');
  const int n =
      EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                      reinterpret_cast<const unsigned char*>(d.data()), static_cast<int>(d.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

bool equal_constant_time(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

}  // namespace ot::net
