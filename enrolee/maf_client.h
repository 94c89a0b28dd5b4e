// MafClient: the Enrolee side of the MAF Handshake and MAF procedures (docs/protocol.md 5, 7).
//
//   absl::StatusOr<MafCredential> cred = DeriveMafCredential(boot->ke, boot->maf_id, maf_fqdn);
//   MafClientOptions o{...};  o.psk_identity = boot->ke_id (first contact) or cred->km_id (later);
//   o.psk = cred->km;
//   absl::StatusOr<std::unique_ptr<MafClient>> c = MafClient::Connect(o);
//   absl::StatusOr<MafRegistration> reg = (*c)->RegisterClient(cred->km_id);  // checks KmID
//   absl::StatusOr<RegisteredKey> key = (*c)->RegisterKey({"target-1"}, 32);  // Kc from exporter
//
// Every procedure of TS-0003 8.8.2.3 .. 8.8.2.10 has a method; requests carry the tables'
// parameters (MAF-FQDN and adminFQDN from the options) and answers are checked strictly.
#ifndef ONEM2M_ENROLEE_MAF_CLIENT_H_
#define ONEM2M_ENROLEE_MAF_CLIENT_H_

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/message.h"
#include "common/exchange/routes.h"
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
  std::string maf_fqdn;    // SNI, the requests' MAF-FQDN and the Key Identifier suffix
  std::string admin_fqdn;  // adminFQDN of the registrations (8.8.3.2); empty: maf_fqdn
  tls::Transport transport = tls::Transport::kTls;
  std::string psk_identity;  // KeID on first contact, KmID later
  SecretBytes psk;           // Km
  std::string originator;    // the Enrolee-ID (or empty)
  std::vector<tls::CipherSuite> cipher_suites;
  tls::Tls13Options tls13;  // TLS only: offer TLS 1.3 external PSK (docs/protocol.md 2a)
  absl::Duration timeout = absl::Seconds(10);  // per connect and per request
};

// kDefaultProposedLifetime: the expirationTime proposed when the caller gives none (the tables
// make it mandatory); the MAF caps it at the Km's expiry.
inline constexpr absl::Duration kDefaultProposedLifetime = absl::Hours(24 * 365);

struct MafRegistration {
  std::string maf_client_reg_id;
  std::string maf_client_id;
  absl::Time expires_at;
  std::string assigned_symm_key_id;
  std::string admin_fqdn;
  std::vector<std::string> labels;
};

struct RegisteredKey {
  std::string key_id;  // RelativeKeyID '@' MAF-FQDN (TS-0003 10.3.5)
  SecretBytes kc;      // the key (exported, or the supplied value)
  absl::Time expires_at;
  int suid = 0;
  std::vector<std::string> target_ids;
  std::string source_maf_client_id;
};

struct RetrievedKey {
  SecretBytes key;
  int suid = 0;
  absl::Time expires_at;
  std::string source_maf_client_id;
  std::string admin_fqdn;
  std::vector<std::string> labels;
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
  absl::StatusOr<MafRegistration> RegisterClient(
      absl::string_view expected_km_id, std::optional<absl::Time> expiry = std::nullopt,
      std::optional<std::vector<std::string>> labels = std::nullopt);

  // RetrieveClientConfig (8.8.2.4): the mafClientCfg of registration `reg_id`.
  absl::StatusOr<exchange::MafClientConfig> RetrieveClientConfig(absl::string_view reg_id);

  // UpdateClientRegistration (8.8.2.5): at least one of `expiry` and `labels`.
  absl::StatusOr<exchange::ClientRegistrationUpdateAnswer> UpdateClientRegistration(
      absl::string_view reg_id, std::optional<absl::Time> expiry,
      std::optional<std::vector<std::string>> labels);

  // DeregisterClient (8.8.2.6).
  absl::Status DeregisterClient(absl::string_view reg_id);

  // RegisterKey (8.8.2.7); without `key_value` the key is the connection exporter's bytes 16..47
  // and the answer's RelativeKeyID must equal hex(bytes 0..15). With no `target_ids` the request
  // omits targetIDs (0..1) and the MAF picks the list.
  absl::StatusOr<RegisteredKey> RegisterKey(
      const std::vector<std::string>& target_ids, int suid,
      std::optional<absl::Time> expiry = std::nullopt,
      std::optional<SecretBytes> key_value = std::nullopt,
      std::optional<std::vector<std::string>> labels = std::nullopt);

  // RetrieveKey (8.8.2.8): as a Target, by Key Identifier (RelativeKeyID '@' this MAF's FQDN).
  absl::StatusOr<RetrievedKey> RetrieveKey(absl::string_view key_id);

  // UpdateKey (8.8.2.9): at least one of the optional parameters.
  absl::StatusOr<exchange::KeyUpdateAnswer> UpdateKey(
      absl::string_view key_id, std::optional<absl::Time> expiry,
      std::optional<std::vector<std::string>> labels,
      std::optional<std::vector<std::string>> target_ids);

  // DeregisterKey (8.8.2.10).
  absl::Status DeregisterKey(absl::string_view key_id);

  // Exchange sends any request (Update, De-Registration, ...).
  absl::StatusOr<exchange::Response> Exchange(exchange::Request request);

  tls::PskSession& session() { return client_->session(); }

 private:
  MafClient(MafClientOptions o, std::unique_ptr<tls::BlockingClient> c)
      : options_(std::move(o)), client_(std::move(c)) {}
  absl::StatusOr<exchange::Response> Post(absl::string_view path, std::string body, int want_rsc);
  absl::StatusOr<exchange::Response> Run(exchange::Operation op, absl::StatusOr<std::string> body);
  // OwnKey splits a Key Identifier of this MAF into RelativeKeyID and MAF-FQDN.
  absl::StatusOr<exchange::KeyRef> OwnKey(absl::string_view key_id) const;
  const std::string& AdminFqdn() const {
    return options_.admin_fqdn.empty() ? options_.maf_fqdn : options_.admin_fqdn;
  }

  MafClientOptions options_;
  std::unique_ptr<tls::BlockingClient> client_;
};

}  // namespace onem2m::enrolee

#endif  // ONEM2M_ENROLEE_MAF_CLIENT_H_
