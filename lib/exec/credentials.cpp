#include "exec/credentials.h"

#include <sys/stat.h>

#include <cstdlib>
#include <fstream>

namespace ot {
namespace {

std::string trim(const std::string& s) {
  const auto b = s.find_first_not_of(" \t\r");
  const auto e = s.find_last_not_of(" \t\r");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

}  // namespace

Result<Credentials> load_credentials(std::string_view venue, const std::string& key_file) {
  auto bad = [](std::string why) { return Error(ErrorCode::invalid_argument, std::move(why)); };
  Credentials out;
  if (!key_file.empty()) {
    struct stat st {};
    if (::stat(key_file.c_str(), &st) != 0) {
      return bad(key_file + ": cannot read the key file");
    }
    if ((st.st_mode & 077) != 0) {
      return bad(key_file + ": the key file is readable by group or others (chmod 600 it)");
    }
    std::ifstream f(key_file);
    std::string line;
    int number = 0;
    while (std::getline(f, line)) {
      ++number;
      line = trim(line);
      if (line.empty() || line[0] == '#') continue;
      const auto eq = line.find('=');
      const std::string name = eq == std::string::npos ? "" : trim(line.substr(0, eq));
      const std::string value = eq == std::string::npos ? "" : trim(line.substr(eq + 1));
      if (name == "key")
        out.key = value;
      else if (name == "secret")
        out.secret = value;
      else if (name == "passphrase")
        out.passphrase = value;
      else {
        return bad(key_file + ":" + std::to_string(number) +
                   ": expected key = …, secret = … or passphrase = …");
      }
    }
  } else {
    std::string prefix = "OT_";
    for (char c : venue) prefix.push_back(c == '-' ? '_' : static_cast<char>(std::toupper(c)));
    auto env = [&](const char* suffix) {
      const char* v = std::getenv((prefix + suffix).c_str());
      return v != nullptr ? std::string(v) : std::string();
    };
    out.key = env("_API_KEY");
    out.secret = env("_API_SECRET");
    out.passphrase = env("_PASSPHRASE");
    if (out.key.empty() || out.secret.empty()) {
      return bad("no credentials: set " + prefix + "_API_KEY and " + prefix +
                 "_API_SECRET, or give --key-file");
    }
  }
  if (out.key.empty() || out.secret.empty()) {
    return bad(key_file + ": needs both key and secret");
  }
  return out;
}

}  // namespace ot
