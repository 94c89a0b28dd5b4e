#include "services/admin/pkcs11_kek_commands.h"

#include <memory>

namespace onem2m {
namespace admin {
namespace {

const char* YesNo(bool b) { return b ? "yes" : "no"; }

}  // namespace

absl::Status Pkcs11ListKeks(const crypto::Pkcs11Config& config, std::ostream& out) {
  absl::StatusOr<std::shared_ptr<crypto::Pkcs11KekBackend>> token =
      crypto::Pkcs11KekBackend::Connect(config);
  if (!token.ok()) return token.status();
  absl::StatusOr<std::vector<crypto::Pkcs11KekInfo>> keks = (*token)->List();
  if (!keks.ok()) return keks.status();
  if (keks->empty()) out << "no KEK in token '" << config.token_label << "'\n";
  for (const crypto::Pkcs11KekInfo& k : *keks) {
    out << k.label << " version=" << k.version << " sensitive=" << YesNo(k.sensitive)
        << " extractable=" << YesNo(k.extractable) << " value_readable=" << YesNo(k.value_readable)
        << "\n";
  }
  return absl::OkStatus();
}

absl::Status Pkcs11GenerateKek(const crypto::Pkcs11Config& config, uint32_t version,
                               std::ostream& out) {
  absl::StatusOr<std::shared_ptr<crypto::Pkcs11KekBackend>> token =
      crypto::Pkcs11KekBackend::Connect(config);
  if (!token.ok()) return token.status();
  if (absl::Status s = (*token)->GenerateKek(version); !s.ok()) return s;
  out << "generated " << crypto::Pkcs11KekLabel(version)
      << " inside the token (sensitive, not extractable)\n";
  return absl::OkStatus();
}

}  // namespace admin
}  // namespace onem2m
