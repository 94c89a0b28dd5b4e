#include "common/crypto/pkcs11_kek_backend.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <p11-kit-1/p11-kit/pkcs11.h>  // the PKCS#11 API header, from libp11-kit-dev
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/strip.h"
#include "common/crypto/aes_gcm.h"
#include "common/crypto/sealed_header.h"

namespace onem2m {
namespace crypto {

// Module is one dlopen'ed, C_Initialize'd PKCS#11 module, shared by the backends using its path.
struct Pkcs11KekBackend::Module {
  void* handle = nullptr;
  CK_FUNCTION_LIST_PTR f = nullptr;
  ~Module() {
    // C_Finalize ends every session of the process with this module. The library stays mapped:
    // modules register atexit handlers and thread-locals (OpenSSL in SoftHSM2) that would
    // outlive a dlclose.
    if (f != nullptr) f->C_Finalize(nullptr);
  }
};

namespace {

using Module = Pkcs11KekBackend::Module;

constexpr size_t kDekLen = 32;
constexpr size_t kWrappedDekLen = kDekLen + kGcmTagLen;
constexpr size_t kWrapNonceOffset = kSealedHeaderLen;                    // 5
constexpr size_t kWrappedDekOffset = kWrapNonceOffset + kGcmNonceLen;    // 17
constexpr size_t kRowNonceOffset = kWrappedDekOffset + kWrappedDekLen;   // 65
constexpr size_t kRowCiphertextOffset = kRowNonceOffset + kGcmNonceLen;  // 77
static_assert(kRowCiphertextOffset + kGcmTagLen == kSealedPkcs11Overhead, "format 0x02 layout");

// P11Error maps a PKCS#11 return value to a Status: failures a retry or another token state can
// cure are Unavailable; a refused PIN is PermissionDenied; bad ciphertext is DataLoss.
absl::Status P11Error(absl::string_view what, CK_RV rv) {
  const std::string msg = absl::StrFormat("PKCS#11 %s failed: CKR 0x%lx", what, rv);
  switch (rv) {
    case CKR_PIN_INCORRECT:
    case CKR_PIN_LOCKED:
    case CKR_PIN_EXPIRED:
      return absl::PermissionDeniedError(msg);
    case CKR_ENCRYPTED_DATA_INVALID:
    case CKR_ENCRYPTED_DATA_LEN_RANGE:
      return absl::DataLossError(
          "wrapped data key failed authentication in the token (tampered blob or wrong KEK)");
    case CKR_KEY_HANDLE_INVALID:
    case CKR_OBJECT_HANDLE_INVALID:
      return absl::NotFoundError(msg);
    default:
      return absl::UnavailableError(msg);
  }
}

// Registry shares loaded modules by path for the life of their backends.
absl::Mutex registry_mu(absl::kConstInit);
std::map<std::string, std::weak_ptr<Module>>& Registry() {
  static auto* const registry = new std::map<std::string, std::weak_ptr<Module>>();
  return *registry;
}

absl::StatusOr<std::shared_ptr<Module>> LoadModule(const std::string& path) {
  absl::MutexLock lock(&registry_mu);
  std::weak_ptr<Module>& slot = Registry()[path];
  if (std::shared_ptr<Module> loaded = slot.lock()) return loaded;
  struct stat st;
  if (stat(path.c_str(), &st) != 0) {
    return absl::NotFoundError(absl::StrCat("PKCS#11 module not found: ", path));
  }
  auto module = std::make_shared<Module>();
  module->handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (module->handle == nullptr) {
    const char* err = dlerror();
    return absl::UnavailableError(
        absl::StrCat("cannot load PKCS#11 module ", path, ": ", err == nullptr ? "" : err));
  }
  auto get_list =
      reinterpret_cast<CK_C_GetFunctionList>(dlsym(module->handle, "C_GetFunctionList"));
  if (get_list == nullptr) {
    return absl::UnavailableError(absl::StrCat(path, " has no C_GetFunctionList"));
  }
  CK_FUNCTION_LIST_PTR f = nullptr;
  if (CK_RV rv = get_list(&f); rv != CKR_OK || f == nullptr) {
    return P11Error("C_GetFunctionList", rv);
  }
  CK_C_INITIALIZE_ARGS args{};
  args.flags = CKF_OS_LOCKING_OK;  // sessions are used from many threads
  CK_RV rv = f->C_Initialize(&args);
  if (rv == CKR_CRYPTOKI_ALREADY_INITIALIZED) {
    // Someone else in the process owns the module's C_Finalize; sharing it would let either side
    // pull the sessions from under the other.
    return absl::FailedPreconditionError(
        absl::StrCat("PKCS#11 module ", path, " was initialised outside this backend"));
  }
  if (rv != CKR_OK) return P11Error("C_Initialize", rv);
  module->f = f;
  slot = module;
  return module;
}

absl::StatusOr<CK_SLOT_ID> FindToken(CK_FUNCTION_LIST_PTR f, absl::string_view label) {
  CK_ULONG count = 0;
  if (CK_RV rv = f->C_GetSlotList(CK_TRUE, nullptr, &count); rv != CKR_OK) {
    return P11Error("C_GetSlotList", rv);
  }
  std::vector<CK_SLOT_ID> slots(count);
  if (count > 0) {
    if (CK_RV rv = f->C_GetSlotList(CK_TRUE, slots.data(), &count); rv != CKR_OK) {
      return P11Error("C_GetSlotList", rv);
    }
    slots.resize(count);
  }
  for (CK_SLOT_ID slot : slots) {
    CK_TOKEN_INFO info;
    if (f->C_GetTokenInfo(slot, &info) != CKR_OK) continue;
    // Token labels are blank-padded to 32 bytes.
    absl::string_view got(reinterpret_cast<const char*>(info.label), sizeof(info.label));
    if (absl::StripTrailingAsciiWhitespace(got) == label) return slot;
  }
  return absl::NotFoundError(absl::StrCat("no PKCS#11 token labelled '", label, "'"));
}

// GetBool reads a CK_BBOOL attribute; `fallback` if the token will not say.
bool GetBool(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, CK_OBJECT_HANDLE o,
             CK_ATTRIBUTE_TYPE type, bool fallback) {
  CK_BBOOL value = CK_FALSE;
  CK_ATTRIBUTE attr = {type, &value, sizeof(value)};
  if (f->C_GetAttributeValue(s, o, &attr, 1) != CKR_OK) return fallback;
  return value == CK_TRUE;
}

absl::StatusOr<std::string> GetLabel(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s,
                                     CK_OBJECT_HANDLE o) {
  CK_ATTRIBUTE attr = {CKA_LABEL, nullptr, 0};
  if (CK_RV rv = f->C_GetAttributeValue(s, o, &attr, 1); rv != CKR_OK) {
    return P11Error("C_GetAttributeValue(CKA_LABEL)", rv);
  }
  std::string label(attr.ulValueLen, '\0');
  attr.pValue = label.data();
  if (CK_RV rv = f->C_GetAttributeValue(s, o, &attr, 1); rv != CKR_OK) {
    return P11Error("C_GetAttributeValue(CKA_LABEL)", rv);
  }
  label.resize(attr.ulValueLen);
  return label;
}

// FindAesKeys returns the handles of the token's AES secret keys.
absl::StatusOr<std::vector<CK_OBJECT_HANDLE>> FindAesKeys(CK_FUNCTION_LIST_PTR f,
                                                          CK_SESSION_HANDLE s) {
  CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
  CK_KEY_TYPE type = CKK_AES;
  CK_ATTRIBUTE tmpl[] = {{CKA_CLASS, &cls, sizeof(cls)}, {CKA_KEY_TYPE, &type, sizeof(type)}};
  if (CK_RV rv = f->C_FindObjectsInit(s, tmpl, 2); rv != CKR_OK) {
    return P11Error("C_FindObjectsInit", rv);
  }
  std::vector<CK_OBJECT_HANDLE> out;
  CK_OBJECT_HANDLE batch[32];
  CK_ULONG n = 0;
  CK_RV rv;
  while ((rv = f->C_FindObjects(s, batch, 32, &n)) == CKR_OK && n > 0) {
    out.insert(out.end(), batch, batch + n);
  }
  f->C_FindObjectsFinal(s);
  if (rv != CKR_OK) return P11Error("C_FindObjects", rv);
  return out;
}

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

std::string Pkcs11KekLabel(uint32_t version) {
  return absl::StrCat(kPkcs11KekLabelPrefix, version);
}

uint32_t ParsePkcs11KekLabel(absl::string_view label) {
  if (!absl::ConsumePrefix(&label, kPkcs11KekLabelPrefix)) return 0;
  if (label.empty() || label.size() > 10 || label[0] == '0') return 0;
  uint64_t v = 0;
  for (char c : label) {
    if (c < '0' || c > '9') return 0;
    v = v * 10 + static_cast<uint64_t>(c - '0');
  }
  return v > 0xFFFFFFFFu ? 0 : static_cast<uint32_t>(v);
}

absl::StatusOr<SecretBytes> ReadPkcs11PinFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return absl::NotFoundError(absl::StrCat("PIN file not found: ", path));
    if (err == EACCES) return absl::PermissionDeniedError(absl::StrCat("cannot read ", path));
    return absl::InternalError(absl::StrCat("open ", path, ": ", std::strerror(err)));
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (st.st_mode & S_IRWXO) != 0 ||
      st.st_size > 4096) {
    close(fd);
    return absl::FailedPreconditionError(
        absl::StrCat("PIN file ", path,
                     " must be a regular file of at most 4 KiB not accessible to others "
                     "(mode 0600/0400/0440)"));
  }
  SecretBytes buf(static_cast<size_t>(st.st_size));
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = read(fd, buf.mutable_data() + done, buf.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  close(fd);
  while (done > 0 && absl::ascii_isspace(buf.data()[done - 1])) --done;
  if (done == 0) return absl::InvalidArgumentError(absl::StrCat("PIN file ", path, " is empty"));
  return SecretBytes::Copy(buf.data(), done);
}

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
