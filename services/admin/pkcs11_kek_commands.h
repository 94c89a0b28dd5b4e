// File: services/admin/pkcs11_kek_commands.h
//
// The commands of pkcs11_kek_tool, which manages key-encryption keys (KEKs) inside a PKCS#11
// token for --kek_backend=pkcs11 (common/crypto/pkcs11_kek_backend.h, docs/operations.md "KEKs in
// an HSM"):
//
//   pkcs11_kek_tool list     --pkcs11_token_label=L --pkcs11_pin_file=F [--pkcs11_module=M]
//   pkcs11_kek_tool generate --label=onem2m-kek-v<N> (or --version=N) ...same token flags
//
// generate creates the KEK inside the token (C_GenerateKey; sensitive, not extractable), so no
// copy of it ever exists outside; list prints one line per KEK with its protection attributes.
#ifndef ONEM2M_SERVICES_ADMIN_PKCS11_KEK_COMMANDS_H_
#define ONEM2M_SERVICES_ADMIN_PKCS11_KEK_COMMANDS_H_

#include <cstdint>
#include <ostream>
#include <string>

#include "absl/status/status.h"
#include "common/crypto/pkcs11_kek_backend.h"

namespace onem2m {
namespace admin {

// Pkcs11ListKeks prints "<label> version=<N> sensitive=yes|no extractable=yes|no
// value_readable=yes|no" per KEK of the token to `out`.
absl::Status Pkcs11ListKeks(const crypto::Pkcs11Config& config, std::ostream& out);

// Pkcs11GenerateKek creates KEK `version` inside the token and prints its label to `out`.
// AlreadyExists if the token holds that version.
absl::Status Pkcs11GenerateKek(const crypto::Pkcs11Config& config, uint32_t version,
                               std::ostream& out);

}  // namespace admin
}  // namespace onem2m

#endif  // ONEM2M_SERVICES_ADMIN_PKCS11_KEK_COMMANDS_H_
