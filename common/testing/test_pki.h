// File: common/testing/test_pki.h
//
// A throwaway certificate authority for tests: an EC P-256 CA that issues server and client
// certificates with a DNS subject alternative name, as PEM strings (and files), so the gRPC
// mutual-TLS paths are tested for real without fixtures checked into the tree.
//
//   TestPki pki = TestPki::Create();
//   TestPki::Leaf maf = pki.Issue("maf.example.com");
//   WriteFile(dir + "/maf.crt", maf.cert_pem);
#ifndef ONEM2M_COMMON_TESTING_TEST_PKI_H_
#define ONEM2M_COMMON_TESTING_TEST_PKI_H_

#include <string>

#include "absl/status/status.h"

namespace onem2m::testing {

class TestPki {
 public:
  struct Leaf {
    std::string cert_pem;
    std::string key_pem;
  };

  // Create makes a new CA; aborts on OpenSSL failure (tests only).
  static TestPki Create(const std::string& ca_name = "onem2m test ca");

  // Issue returns a certificate for `dns_name` (SAN DNS, also CN), usable as server and client.
  Leaf Issue(const std::string& dns_name) const;

  const std::string& ca_pem() const { return ca_cert_pem_; }

  // WriteFiles writes `<dir>/<stem>.crt`, `.key` for a leaf, and `<dir>/ca.crt`.
  static absl::Status WriteFile(const std::string& path, const std::string& contents);

 private:
  std::string ca_cert_pem_;
  std::string ca_key_pem_;
};

}  // namespace onem2m::testing

#endif  // ONEM2M_COMMON_TESTING_TEST_PKI_H_
