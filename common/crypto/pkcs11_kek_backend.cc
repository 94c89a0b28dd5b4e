#include "common/crypto/pkcs11_kek_backend.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <algorithm>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/crypto/aes_gcm.h"
#include "common/crypto/pkcs11_token.h"
#include "common/crypto/sealed_header.h"

namespace onem2m {
namespace crypto {
namespace {

using Module = Pkcs11KekBackend::Module;
using pkcs11::FindAesKeys;
using pkcs11::FindToken;
using pkcs11::GetBool;
using pkcs11::GetLabel;
using pkcs11::LoadModule;
using pkcs11::P11Error;

constexpr size_t kDekLen = 32;
constexpr size_t kWrappedDekLen = kDekLen + kGcmTagLen;
constexpr size_t kWrapNonceOffset = kSealedHeaderLen;                    // 5
constexpr size_t kWrappedDekOffset = kWrapNonceOffset + kGcmNonceLen;    // 17
constexpr size_t kRowNonceOffset = kWrappedDekOffset + kWrappedDekLen;   // 65
constexpr size_t kRowCiphertextOffset = kRowNonceOffset + kGcmNonceLen;  // 77
static_assert(kRowCiphertextOffset + kGcmTagLen == kSealedPkcs11Overhead, "format 0x02 layout");

// WrapGcmParams are the AES-GCM parameters of the DEK wrap inside the token, for Seal and Open
// alike: the blob's wrap nonce, its header as additional data, a full-length tag.
CK_GCM_PARAMS WrapGcmParams(CK_BYTE_PTR blob) {
  CK_GCM_PARAMS gcm{};
  gcm.pIv = blob + kWrapNonceOffset;
  gcm.ulIvLen = kGcmNonceLen;
  gcm.ulIvBits = kGcmNonceLen * 8;
  gcm.pAAD = blob;
  gcm.ulAADLen = kSealedHeaderLen;
  gcm.ulTagBits = kGcmTagLen * 8;
  return gcm;
}
}  // namespace

// Lease holds one pool session for the duration of a token round trip.
class Pkcs11KekBackend::Lease {
 public:
  explicit Lease(const Pkcs11KekBackend* b) : b_(b), s_(b->Acquire()) {}
  ~Lease() { b_->Release(s_); }
  CK_SESSION_HANDLE get() const { return s_; }

 private:
  const Pkcs11KekBackend* b_;
  CK_SESSION_HANDLE s_;
};

absl::StatusOr<std::shared_ptr<Pkcs11KekBackend>> Pkcs11KekBackend::Connect(
    const Pkcs11Config& config) {
  if (config.sessions == 0 || config.sessions > 64) {
    return absl::InvalidArgumentError("PKCS#11 session pool size must be 1..64");
  }
  absl::StatusOr<std::shared_ptr<Module>> module = LoadModule(config.module_path);
  if (!module.ok()) return module.status();
  absl::StatusOr<CK_SLOT_ID> slot = FindToken((*module)->f, config.token_label);
  if (!slot.ok()) return slot.status();
  std::shared_ptr<Pkcs11KekBackend> b(new Pkcs11KekBackend(*std::move(module), *slot));
  if (absl::Status s = b->OpenSessions(config.sessions, config.pin); !s.ok()) return s;
  if (absl::Status s = b->FindKeks(); !s.ok()) return s;
  return b;
}

Pkcs11KekBackend::~Pkcs11KekBackend() {
  for (CK_SESSION_HANDLE s : all_sessions_) module_->f->C_CloseSession(s);
}

absl::Status Pkcs11KekBackend::OpenSessions(size_t count, const SecretBytes& pin) {
  CK_FUNCTION_LIST_PTR f = module_->f;
  for (size_t i = 0; i < count; ++i) {
    CK_SESSION_HANDLE s = CK_INVALID_HANDLE;
    // Read-write so that GenerateKek can create token objects.
    CK_RV rv = f->C_OpenSession(slot_, CKF_SERIAL_SESSION | CKF_RW_SESSION, nullptr, nullptr, &s);
    if (rv != CKR_OK) return P11Error("C_OpenSession", rv);
    all_sessions_.push_back(s);
  }
  // The login state belongs to the application and token, not the session: once is enough.
  CK_RV rv =
      f->C_Login(all_sessions_[0], CKU_USER, const_cast<CK_UTF8CHAR_PTR>(pin.data()), pin.size());
  if (rv != CKR_OK && rv != CKR_USER_ALREADY_LOGGED_IN) return P11Error("C_Login", rv);
  absl::MutexLock lock(&mu_);
  free_sessions_ = all_sessions_;
  return absl::OkStatus();
}

absl::Status Pkcs11KekBackend::FindKeks() {
  CK_FUNCTION_LIST_PTR f = module_->f;
  std::map<uint32_t, CK_OBJECT_HANDLE> found;
  {
    Lease lease(this);
    absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> keys = FindAesKeys(f, lease.get());
    if (!keys.ok()) return keys.status();
    for (CK_OBJECT_HANDLE o : *keys) {
      absl::StatusOr<std::string> label = GetLabel(f, lease.get(), o);
      if (!label.ok()) return label.status();
      const uint32_t version = ParsePkcs11KekLabel(*label);
      if (version == 0) continue;
      if (!GetBool(f, lease.get(), o, CKA_SENSITIVE, false) ||
          GetBool(f, lease.get(), o, CKA_EXTRACTABLE, true)) {
        return absl::FailedPreconditionError(
            absl::StrCat("token KEK '", *label,
                         "' is extractable or not sensitive; generate KEKs inside the "
                         "token with pkcs11_kek_tool generate"));
      }
      if (!found.emplace(version, o).second) {
        return absl::FailedPreconditionError(
            absl::StrCat("token holds two KEKs labelled '", *label, "'"));
      }
    }
  }
  absl::MutexLock lock(&mu_);
  keks_ = std::move(found);
  return absl::OkStatus();
}

CK_SESSION_HANDLE Pkcs11KekBackend::Acquire() const {
  absl::MutexLock lock(&mu_);
  mu_.Await(absl::Condition(
      +[](std::vector<CK_SESSION_HANDLE>* v) { return !v->empty(); }, &free_sessions_));
  const CK_SESSION_HANDLE s = free_sessions_.back();
  free_sessions_.pop_back();
  return s;
}

void Pkcs11KekBackend::Release(CK_SESSION_HANDLE session) const {
  absl::MutexLock lock(&mu_);
  free_sessions_.push_back(session);
}

std::vector<uint32_t> Pkcs11KekBackend::versions() const {
  absl::MutexLock lock(&mu_);
  std::vector<uint32_t> out;
  for (const auto& entry : keks_) out.push_back(entry.first);
  return out;
}

uint32_t Pkcs11KekBackend::default_active_version() const {
  absl::MutexLock lock(&mu_);
  return keks_.empty() ? 0 : keks_.rbegin()->first;
}

absl::StatusOr<CK_OBJECT_HANDLE> Pkcs11KekBackend::KekHandle(uint32_t version) const {
  absl::MutexLock lock(&mu_);
  auto it = keks_.find(version);
  if (it == keks_.end()) {
    return absl::NotFoundError(
        absl::StrCat("key-encryption key version ", version, " is not in the PKCS#11 token"));
  }
  return it->second;
}

absl::StatusOr<std::string> Pkcs11KekBackend::Seal(uint32_t version, const SecretBytes& plaintext,
                                                   absl::string_view associated_data) const {
  absl::StatusOr<CK_OBJECT_HANDLE> kek = KekHandle(version);
  if (!kek.ok()) return kek.status();
  std::string blob(kSealedPkcs11Overhead + plaintext.size(), '\0');
  PutSealedHeader(kSealedFormatPkcs11, version, &blob[0]);
  auto* bytes = reinterpret_cast<uint8_t*>(&blob[0]);
  if (RAND_bytes(bytes + kWrapNonceOffset, kGcmNonceLen) != 1 ||
      RAND_bytes(bytes + kRowNonceOffset, kGcmNonceLen) != 1) {
    return absl::InternalError("RAND_bytes failed");
  }
  const SecretBytes dek = SecretBytes::Random(kDekLen);  // wiped when it goes out of scope
  {
    // Wrap the DEK inside the token: AES-GCM under the KEK, header as additional data.
    CK_GCM_PARAMS gcm = WrapGcmParams(bytes);
    CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof(gcm)};
    CK_FUNCTION_LIST_PTR f = module_->f;
    Lease lease(this);
    if (CK_RV rv = f->C_EncryptInit(lease.get(), &mech, *kek); rv != CKR_OK) {
      return P11Error("C_EncryptInit", rv);
    }
    CK_ULONG out_len = kWrappedDekLen;
    CK_RV rv = f->C_Encrypt(lease.get(), const_cast<CK_BYTE_PTR>(dek.data()), dek.size(),
                            bytes + kWrappedDekOffset, &out_len);
    if (rv != CKR_OK) return P11Error("C_Encrypt", rv);
    if (out_len != kWrappedDekLen) {
      return absl::InternalError("PKCS#11 token wrapped the data key to an unexpected length");
    }
  }
  absl::Status s = AesGcmSeal(dek.data(), bytes + kRowNonceOffset,
                              absl::string_view(blob.data(), kRowNonceOffset), associated_data,
                              plaintext.data(), plaintext.size(), bytes + kRowCiphertextOffset);
  if (!s.ok()) return s;
  return blob;
}

absl::StatusOr<SecretBytes> Pkcs11KekBackend::Open(absl::string_view blob,
                                                   absl::string_view associated_data) const {
  if (blob.size() < kSealedPkcs11Overhead) return absl::DataLossError("sealed blob truncated");
  absl::StatusOr<CK_OBJECT_HANDLE> kek = KekHandle(SealedHeaderVersion(blob));
  if (!kek.ok()) return kek.status();
  auto* bytes = reinterpret_cast<CK_BYTE_PTR>(const_cast<char*>(blob.data()));
  // The token decrypts into a buffer as long as the ciphertext (some modules insist on it).
  SecretBytes unwrapped(kWrappedDekLen);
  {
    CK_GCM_PARAMS gcm = WrapGcmParams(bytes);
    CK_MECHANISM mech = {CKM_AES_GCM, &gcm, sizeof(gcm)};
    CK_FUNCTION_LIST_PTR f = module_->f;
    Lease lease(this);
    if (CK_RV rv = f->C_DecryptInit(lease.get(), &mech, *kek); rv != CKR_OK) {
      return P11Error("C_DecryptInit", rv);
    }
    CK_ULONG out_len = unwrapped.size();
    CK_RV rv = f->C_Decrypt(lease.get(), bytes + kWrappedDekOffset, kWrappedDekLen,
                            unwrapped.mutable_data(), &out_len);
    // A failed tag check is CKR_ENCRYPTED_DATA_INVALID in PKCS#11 3.0, but SoftHSM2 2.6 answers
    // CKR_GENERAL_ERROR; the init step succeeded, so the session and key are fine either way.
    if (rv == CKR_GENERAL_ERROR) rv = CKR_ENCRYPTED_DATA_INVALID;
    if (rv != CKR_OK) return P11Error("C_Decrypt", rv);
    if (out_len != kDekLen) {
      return absl::DataLossError("PKCS#11 token unwrapped a data key of the wrong length");
    }
  }
  SecretBytes plaintext(blob.size() - kSealedPkcs11Overhead);
  absl::Status s = AesGcmOpen(
      unwrapped.data(), bytes + kRowNonceOffset, blob.substr(0, kRowNonceOffset), associated_data,
      bytes + kRowCiphertextOffset, blob.size() - kRowCiphertextOffset, plaintext.mutable_data());
  if (!s.ok()) return s;
  return plaintext;
}

absl::Status Pkcs11KekBackend::GenerateKek(uint32_t version) {
  if (version == 0) return absl::InvalidArgumentError("KEK version must be 1..4294967295");
  if (KekHandle(version).ok()) {
    return absl::AlreadyExistsError(
        absl::StrCat("the token already holds '", Pkcs11KekLabel(version), "'"));
  }
  std::string label = Pkcs11KekLabel(version);
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ULONG len = kGcmKeyLen;
  CK_BBOOL yes = CK_TRUE;
  CK_BBOOL no = CK_FALSE;
  CK_ATTRIBUTE tmpl[] = {
      {CKA_CLASS, &cls, sizeof(cls)},     {CKA_KEY_TYPE, &type, sizeof(type)},
      {CKA_VALUE_LEN, &len, sizeof(len)}, {CKA_LABEL, label.data(), label.size()},
      {CKA_TOKEN, &yes, sizeof(yes)},     {CKA_PRIVATE, &yes, sizeof(yes)},
      {CKA_SENSITIVE, &yes, sizeof(yes)}, {CKA_EXTRACTABLE, &no, sizeof(no)},
      {CKA_ENCRYPT, &yes, sizeof(yes)},   {CKA_DECRYPT, &yes, sizeof(yes)},
      {CKA_WRAP, &no, sizeof(no)},        {CKA_UNWRAP, &no, sizeof(no)},
      {CKA_SIGN, &no, sizeof(no)},        {CKA_VERIFY, &no, sizeof(no)},
      {CKA_DERIVE, &no, sizeof(no)},
  };
  CK_MECHANISM mech = {CKM_AES_KEY_GEN, nullptr, 0};
  CK_OBJECT_HANDLE handle = CK_INVALID_HANDLE;
  {
    Lease lease(this);
    CK_RV rv = module_->f->C_GenerateKey(lease.get(), &mech, tmpl, sizeof(tmpl) / sizeof(tmpl[0]),
                                         &handle);
    if (rv != CKR_OK) return P11Error("C_GenerateKey", rv);
  }
  absl::MutexLock lock(&mu_);
  keks_.emplace(version, handle);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<Pkcs11KekInfo>> Pkcs11KekBackend::List() const {
  std::map<uint32_t, CK_OBJECT_HANDLE> keks;
  {
    absl::MutexLock lock(&mu_);
    keks = keks_;
  }
  CK_FUNCTION_LIST_PTR f = module_->f;
  Lease lease(this);
  std::vector<Pkcs11KekInfo> out;
  for (const auto& [version, o] : keks) {
    Pkcs11KekInfo info;
    info.version = version;
    info.label = Pkcs11KekLabel(version);
    info.sensitive = GetBool(f, lease.get(), o, CKA_SENSITIVE, false);
    info.extractable = GetBool(f, lease.get(), o, CKA_EXTRACTABLE, true);
    // Asking for the length only: a sensitive key answers CKR_ATTRIBUTE_SENSITIVE.
    CK_ATTRIBUTE value = {CKA_VALUE, nullptr, 0};
    info.value_readable = f->C_GetAttributeValue(lease.get(), o, &value, 1) == CKR_OK &&
                          value.ulValueLen != CK_UNAVAILABLE_INFORMATION;
    out.push_back(std::move(info));
  }
  return out;
}

}  // namespace crypto
}  // namespace onem2m
