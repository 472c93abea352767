// API credentials for a venue, from the environment or a key file; never
// printed, never logged (messages name where they came from, not what).
//
//   OT_<VENUE>_API_KEY, OT_<VENUE>_API_SECRET, OT_<VENUE>_PASSPHRASE
//   (VENUE upper-case, '-' as '_': OT_BINANCE_FUTURES_API_KEY), or
//   --key-file FILE with lines "key = ...", "secret = ...", "passphrase = ..."
//   ('#' comments); the file must not be readable by group or others.
#pragma once

#include <string>
#include <string_view>

#include "core/result.h"

namespace ot {

struct Credentials {
  std::string key, secret, passphrase;
};

// invalid_argument when none are set, the key file is unreadable, open to
// others or malformed.
Result<Credentials> load_credentials(std::string_view venue, const std::string& key_file);

}  // namespace ot
