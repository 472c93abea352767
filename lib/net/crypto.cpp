#include "net/crypto.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstring>

namespace ot::net {
namespace {

// HMAC-SHA256 (RFC 2104) with the key's inner and outer hash states
// computed once: a venue signs every request with the same secret, and
// OpenSSL's one-shot HMAC() looks the digest up and keys it on every call.
class KeyedHmac {
 public:
  ~KeyedHmac() {
    EVP_MD_CTX_free(inner_);
    EVP_MD_CTX_free(outer_);
    EVP_MD_CTX_free(work_);
    EVP_MD_free(md_);
  }
  // False if OpenSSL failed (then the caller uses HMAC()).
  bool digest(std::string_view key, std::string_view data, unsigned char out[32]) {
    if (md_ == nullptr && !init()) return false;
    if ((!keyed_ || key != key_) && !rekey(key)) return false;
    unsigned char inner[32];
    unsigned int n = 0;
    return EVP_MD_CTX_copy_ex(work_, inner_) == 1 &&
           EVP_DigestUpdate(work_, data.data(), data.size()) == 1 &&
           EVP_DigestFinal_ex(work_, inner, &n) == 1 && EVP_MD_CTX_copy_ex(work_, outer_) == 1 &&
           EVP_DigestUpdate(work_, inner, sizeof inner) == 1 &&
           EVP_DigestFinal_ex(work_, out, &n) == 1;
  }

 private:
  static constexpr std::size_t kBlock = 64;
  bool init() {
    md_ = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    inner_ = EVP_MD_CTX_new();
    outer_ = EVP_MD_CTX_new();
    work_ = EVP_MD_CTX_new();
    if (md_ && inner_ && outer_ && work_) return true;
    EVP_MD_free(md_);
    md_ = nullptr;
    return false;
  }
  bool rekey(std::string_view key) {
    keyed_ = false;
    unsigned char block[kBlock] = {};
    if (key.size() > kBlock) {  // long keys are hashed first
      unsigned int n = 0;
      if (EVP_Digest(key.data(), key.size(), block, &n, md_, nullptr) != 1) return false;
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[kBlock];
    for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x36;
    if (EVP_DigestInit_ex(inner_, md_, nullptr) != 1 || EVP_DigestUpdate(inner_, pad, kBlock) != 1)
      return false;
    for (std::size_t i = 0; i < kBlock; ++i) pad[i] = block[i] ^ 0x5c;
    if (EVP_DigestInit_ex(outer_, md_, nullptr) != 1 || EVP_DigestUpdate(outer_, pad, kBlock) != 1)
      return false;
    key_.assign(key);
    keyed_ = true;
    return true;
  }

  EVP_MD* md_ = nullptr;
  EVP_MD_CTX* inner_ = nullptr;
  EVP_MD_CTX* outer_ = nullptr;
  EVP_MD_CTX* work_ = nullptr;
  std::string key_;
  bool keyed_ = false;
};

std::string digest(std::string_view key, std::string_view data) {
  thread_local KeyedHmac keyed;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 32;
  if (!keyed.digest(key, data, out)) {
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const unsigned char*>(data.data()), data.size(), out, &n);
  }
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string to_hex(std::string_view bytes) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(bytes.size() * 2, '0');
  for (std::size_t i = 0; i < bytes.size(); ++i) {
    const auto b = static_cast<unsigned char>(bytes[i]);
    hex[2 * i] = kHex[b >> 4];
    hex[2 * i + 1] = kHex[b & 15];
  }
  return hex;
}

}  // namespace

std::string hmac_sha256_hex(std::string_view key, std::string_view data) {
  return to_hex(digest(key, data));
}

Sha256::Sha256() : ctx_(EVP_MD_CTX_new()) {
  if (ctx_ != nullptr) EVP_DigestInit_ex(static_cast<EVP_MD_CTX*>(ctx_), EVP_sha256(), nullptr);
}

Sha256::~Sha256() { EVP_MD_CTX_free(static_cast<EVP_MD_CTX*>(ctx_)); }

void Sha256::update(std::string_view data) {
  EVP_DigestUpdate(static_cast<EVP_MD_CTX*>(ctx_), data.data(), data.size());
}

std::string Sha256::hex() {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EVP_DigestFinal_ex(static_cast<EVP_MD_CTX*>(ctx_), out, &n);
  return to_hex(std::string_view(reinterpret_cast<const char*>(out), n));
}

std::string sha256_hex(std::string_view data) {
  Sha256 h;
  h.update(data);
  return h.hex();
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
