#include "common/testing/test_pki.h"

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace onem2m::testing {
namespace {

void Check(bool ok) {
  if (!ok) std::abort();
}

EVP_PKEY* NewKey() {
  EVP_PKEY* k = EVP_EC_gen("P-256");
  Check(k != nullptr);
  return k;
}

std::string KeyPem(EVP_PKEY* k) {
  BIO* b = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_PrivateKey(b, k, nullptr, nullptr, 0, nullptr, nullptr) == 1);
  char* p;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, n);
  BIO_free(b);
  return s;
}

std::string CertPem(X509* c) {
  BIO* b = BIO_new(BIO_s_mem());
  Check(PEM_write_bio_X509(b, c) == 1);
  char* p;
  long n = BIO_get_mem_data(b, &p);
  std::string s(p, n);
  BIO_free(b);
  return s;
}

void AddExt(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  Check(ext != nullptr);
  X509_add_ext(cert, ext, -1);
  X509_EXTENSION_free(ext);
}

X509* NewCert(const std::string& cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  X509* c = X509_new();
  X509_set_version(c, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(c), serial++ + (std::rand() % 100000) * 1000);
  X509_gmtime_adj(X509_getm_notBefore(c), -3600);
  X509_gmtime_adj(X509_getm_notAfter(c), 3600L * 24 * 30);
  X509_set_pubkey(c, key);
  X509_NAME* name = X509_get_subject_name(c);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(c, issuer ? X509_get_subject_name(issuer) : name);
  X509* iss = issuer ? issuer : c;
  if (issuer == nullptr) {
    AddExt(c, iss, NID_basic_constraints, "critical,CA:TRUE");
    AddExt(c, iss, NID_key_usage, "critical,keyCertSign,cRLSign");
  } else {
    AddExt(c, iss, NID_basic_constraints, "critical,CA:FALSE");
    AddExt(c, iss, NID_key_usage, "critical,digitalSignature,keyEncipherment");
    AddExt(c, iss, NID_ext_key_usage, "serverAuth,clientAuth");
    AddExt(c, iss, NID_subject_alt_name, ("DNS:" + cn).c_str());
  }
  Check(X509_sign(c, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
  return c;
}

}  // namespace

TestPki TestPki::Create(const std::string& ca_name) {
  TestPki pki;
  EVP_PKEY* key = NewKey();
  X509* ca = NewCert(ca_name, key, nullptr, nullptr);
  pki.ca_cert_pem_ = CertPem(ca);
  pki.ca_key_pem_ = KeyPem(key);
  X509_free(ca);
  EVP_PKEY_free(key);
  return pki;
}

TestPki::Leaf TestPki::Issue(const std::string& dns_name) const {
  BIO* b = BIO_new_mem_buf(ca_cert_pem_.data(), static_cast<int>(ca_cert_pem_.size()));
  X509* ca = PEM_read_bio_X509(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  b = BIO_new_mem_buf(ca_key_pem_.data(), static_cast<int>(ca_key_pem_.size()));
  EVP_PKEY* ca_key = PEM_read_bio_PrivateKey(b, nullptr, nullptr, nullptr);
  BIO_free(b);
  Check(ca != nullptr && ca_key != nullptr);
  EVP_PKEY* key = NewKey();
  X509* cert = NewCert(dns_name, key, ca, ca_key);
  Leaf leaf{CertPem(cert), KeyPem(key)};
  X509_free(cert);
  EVP_PKEY_free(key);
  X509_free(ca);
  EVP_PKEY_free(ca_key);
  return leaf;
}

absl::Status TestPki::WriteFile(const std::string& path, const std::string& contents) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << contents;
  if (!out) return absl::InternalError("cannot write " + path);
  return absl::OkStatus();
}

}  // namespace onem2m::testing
