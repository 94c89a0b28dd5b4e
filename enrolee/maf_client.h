// MafClient: the Enrolee side of the MAF Handshake and MAF procedures (PROTOCOL.md 5, 7).
//
//   absl::StatusOr<MafCredential> cred = DeriveMafCredential(boot->ke, boot->maf_id, maf_fqdn);
//   MafClientOptions o{...};  o.psk_identity = boot->ke_id (first contact) or cred->km_id (later);
//   o.psk = cred->km;
//   absl::StatusOr<std::unique_ptr<MafClient>> c = MafClient::Connect(o);
//   absl::StatusOr<MafRegistration> reg = (*c)->RegisterClient(cred->km_id);  // checks KmID
//   absl::StatusOr<RegisteredKey> key = (*c)->RegisterKey({"target-1"}, 10);  // Kc from exporter
#ifndef ONEM2M_ENROLEE_MAF_CLIENT_H_
#define ONEM2M_ENROLEE_MAF_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/exchange/message.h"
#include "common/secret_bytes.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_config.h"
#include "enrolee/bootstrap_client.h"

namespace onem2m::enrolee {

struct MafCredential {
  SecretBytes km;     // Km = DeriveKm(Ke, MAF-ID)
  std::string km_id;  // KmID = DeriveKmId(Km, MAF-FQDN)
};

absl::StatusOr<MafCredential> DeriveMafCredential(const SecretBytes& ke, absl::string_view maf_id,
                                                  absl::string_view maf_fqdn);

struct MafClientOptions {
  std::string maf_host;  // IP literal or name
  int maf_port = 8444;
  std::string maf_fqdn;  // SNI and the Key Identifier suffix
  tls::Transport transport = tls::Transport::kTls;
  std::string psk_identity;  // KeID on first contact, KmID later
  SecretBytes psk;           // Km
  std::string originator;    // the Enrolee-ID (or empty)
  std::vector<tls::CipherSuite> cipher_suites;
  absl::Duration timeout = absl::Seconds(10);  // per connect and per request
};

struct MafRegistration {
  std::string maf_client_reg_id;
  std::string maf_client_id;
  absl::Time expires_at;
  std::string assigned_symm_key_id;
};

struct RegisteredKey {
  std::string key_id;  // RelativeKeyID '@' MAF-FQDN
  SecretBytes kc;      // the key (exported, or the supplied value)
  absl::Time expires_at;
};

struct RetrievedKey {
  SecretBytes key;
  int suid = 0;
  absl::Time expires_at;
};

class MafClient {
 public:
  static absl::StatusOr<std::unique_ptr<MafClient>> Connect(const MafClientOptions& options);
  // ConnectWithRetry retries Connect's retryable errors (kUnavailable, kDeadlineExceeded: e.g. the
  // MAF aborted with internal_error because its MEF is unreachable, docs/protocol.md 2 and 7) with
  // full-jitter backoff (RetryWithBackoff); a refused key is not retried.
  static absl::StatusOr<std::unique_ptr<MafClient>> ConnectWithRetry(
      const MafClientOptions& options, const RetryPolicy& policy);
  ~MafClient();

  // RegisterClient (8.8.2.3); FailedPrecondition/DataLoss if assignedSymmKeyID != expected_km_id
  // (when not empty).
  absl::StatusOr<MafRegistration> RegisterClient(absl::string_view expected_km_id,
                                                 std::optional<absl::Time> expiry = std::nullopt);

  // RegisterKey (8.8.2.7); without `key_value` the key is the connection exporter's bytes 16..47
  // and its Key Identifier must equal hex(bytes 0..15) '@' MAF-FQDN.
  absl::StatusOr<RegisteredKey> RegisterKey(const std::vector<std::string>& target_ids, int suid,
                                            std::optional<absl::Time> expiry = std::nullopt,
                                            std::optional<SecretBytes> key_value = std::nullopt);

  // RetrieveKey (8.8.2.8): as a Target.
  absl::StatusOr<RetrievedKey> RetrieveKey(absl::string_view key_id);

  // Exchange sends any request (Update, De-Registration, ...).
  absl::StatusOr<exchange::Response> Exchange(exchange::Request request);

  tls::PskSession& session() { return client_->session(); }

 private:
  MafClient(MafClientOptions o, std::unique_ptr<tls::BlockingClient> c)
      : options_(std::move(o)), client_(std::move(c)) {}
  absl::StatusOr<exchange::Response> Post(absl::string_view path, std::string body, int want_rsc);

  MafClientOptions options_;
  std::unique_ptr<tls::BlockingClient> client_;
};

}  // namespace onem2m::enrolee

#endif  // ONEM2M_ENROLEE_MAF_CLIENT_H_
