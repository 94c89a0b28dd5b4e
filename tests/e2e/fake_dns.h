// File: tests/e2e/fake_dns.h
//
// FakeDns is a test-only DNS server on 127.0.0.1 (UDP, port 0) that answers A queries for one name
// with a list of IPv4 addresses the test can change at any time (TTL 0), and every other query with
// an empty answer. It stands in for the DNS of a Kubernetes headless Service so a test can point a
// gRPC "dns://127.0.0.1:<port>/<name>:<port>" target at it and add replicas while it runs. Only
// what RFC 1035 4.1 needs for that is handled: one question per query, no compression in queries,
// no TCP, no EDNS in answers.
//
//   FakeDns dns("mef-headless.test");
//   dns.SetAddresses({"127.0.0.2"});
//   std::string target = absl::StrCat("dns://127.0.0.1:", dns.port(), "/mef-headless.test:9443");
#ifndef ONEM2M_TESTS_E2E_FAKE_DNS_H_
#define ONEM2M_TESTS_E2E_FAKE_DNS_H_

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace onem2m::e2e {

class FakeDns {
 public:
  explicit FakeDns(std::string name);  // aborts the test process if it cannot bind
  ~FakeDns();
  FakeDns(const FakeDns&) = delete;
  FakeDns& operator=(const FakeDns&) = delete;

  int port() const { return port_; }
  void SetAddresses(std::vector<std::string> ipv4);
  int queries() const { return queries_; }

 private:
  void Serve();
  std::string Answer(const std::string& query);

  const std::string name_;  // lower case, no trailing dot
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> queries_{0};
  absl::Mutex mu_;
  std::vector<std::string> addresses_ ABSL_GUARDED_BY(mu_);
  std::thread thread_;
};

}  // namespace onem2m::e2e

#endif  // ONEM2M_TESTS_E2E_FAKE_DNS_H_
