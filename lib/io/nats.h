// NATS endpoints (nats://…): event lines over core NATS or JetStream, for
// deployments beyond one host. man/ot-transports.7 is the user's contract;
// this header is the code's.
//
//   nats://[user[:pass]@]host:port[,host:port…]/SUBJECT[?options]
//
// An output publishes each event to SUBJECT.<type>.<venue>.<symbol> (an
// event without a symbol: SUBJECT.<type>.<venue>), each token escaped by
// nats_token(). An input subscribes to SUBJECT, wildcards allowed.
//
// Threading: an endpoint belongs to the thread that opened it; nats.c's own
// threads only hand it messages and connection events. They are started
// with SIGINT, SIGTERM, SIGUSR1 and SIGUSR2 blocked, so those signals reach
// the program's threads (and interrupt an input's wait) as they do without
// NATS.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.h"
#include "io/input.h"
#include "io/output.h"

namespace ot {

// A parsed nats:// URI. Secrets (the password, the credential and key
// files' contents) never appear in name().
struct NatsEndpoint {
  std::vector<std::string> servers;  // "nats://host:port" (or tls://) each
  std::string user, password;
  std::string subject;
  // Options.
  std::string stream;           // js=STREAM: JetStream (else core NATS)
  std::string durable;          // durable=NAME: a durable consumer (inputs)
  std::string creds;            // creds=FILE: a user JWT and nkey seed (.creds)
  std::string nkey, nkey_seed;  // nkey=PUBLIC&nkey_seed=FILE
  std::string tls_ca, tls_cert, tls_key;
  bool tls = false;  // tls=1, or implied by any tls_* file
  // A stream created here (absent when first used).
  int replicas = 1;
  bool memory = false;                     // storage=memory (default file)
  std::int64_t max_age_s = 7 * 24 * 3600;  // max_age=, seconds (7 days)
  std::int64_t dup_window_s = 120;         // dup_window=, seconds (2 min)
  std::int64_t ack_wait_s = 30;            // ack_wait=, seconds (durable)
  int pending = 65536;                     // pending=: a core input's client-side queue

  // The URI without credentials: "nats://host:port/SUBJECT?js=…".
  std::string name() const;
};

// True for "nats://…" (and "tls://…" in the server list).
bool is_nats_uri(std::string_view uri);

// Parses `uri`; invalid_argument (saying what) when it is malformed.
Result<NatsEndpoint> parse_nats_uri(std::string_view uri);

// A subject token from any text, reversibly: '%' '.' '*' '>' and ASCII
// whitespace and control bytes become %XX (two upper-case hex digits), an
// empty text a lone '%'. nats_untoken() undoes it (nullopt-free: malformed
// escapes are kept as they are).
std::string nats_token(std::string_view text);
std::string nats_untoken(std::string_view token);

// The subject an event with this encoder topic ("type.venue.symbol", the
// symbol possibly holding dots) goes to under `base`.
std::string nats_subject(std::string_view base, std::string_view topic);

// JetStream's de-duplication id (Nats-Msg-Id) of an event line: stable for
// the same event however often, and by whichever process, it is
// published. Empty when the event has none (JetStream then keeps every
// copy). The rules are in ot-transports(7).
std::string nats_message_id(std::string_view line);

// An input (core subscription, or a JetStream consumer: durable with
// explicit acks when `durable=` is given, else ordered and ack-free).
// io_error when the servers cannot be reached or JetStream refuses.
Result<std::unique_ptr<LineInput>> open_nats_input(const NatsEndpoint& e);
// A NATS input read without blocking, for the executions feedback endpoint
// (FeedbackInput): fd() polls readable when lines may wait; try_next()
// hands out the next one (the view valid until the next call), or says
// none waits, having acked (durable consumers) what it handed out before.
// Read from a JetStream stream's start (js= without durable=), try_next()
// first hands out everything the stream held when it subscribed, waiting
// for it if need be (a restarted ot-risk rebuilds its positions before its
// first order): it says none waits only once that backlog is out, or when
// no message came for 10 s, or a signal interrupted the wait.
class NatsReceiver {
 public:
  virtual ~NatsReceiver() = default;
  virtual int fd() const = 0;
  virtual bool try_next(std::string_view& line) = 0;
};
Result<std::unique_ptr<NatsReceiver>> open_nats_receiver(const NatsEndpoint& e);

// An output (core publish, or JetStream publish with acks and message
// ids). io_error as above.
Result<std::unique_ptr<LineOutput>> open_nats_output(const NatsEndpoint& e);

}  // namespace ot
