#include "tests/e2e/fake_dns.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include "absl/strings/ascii.h"

namespace onem2m::e2e {
namespace {

constexpr uint16_t kTypeA = 1;
constexpr uint16_t kClassIn = 1;

uint16_t Get16(const std::string& b, size_t at) {
  return static_cast<uint16_t>((static_cast<uint8_t>(b[at]) << 8) | static_cast<uint8_t>(b[at + 1]));
}

void Put16(std::string* b, uint16_t v) {
  b->push_back(static_cast<char>(v >> 8));
  b->push_back(static_cast<char>(v & 0xff));
}

}  // namespace

FakeDns::FakeDns(std::string name) : name_(absl::AsciiStrToLower(name)) {
  fd_ = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd_ < 0 || bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) std::abort();
  socklen_t len = sizeof(a);
  getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
  port_ = ntohs(a.sin_port);
  thread_ = std::thread([this] { Serve(); });
}

FakeDns::~FakeDns() {
  stop_ = true;
  thread_.join();
  close(fd_);
}

void FakeDns::SetAddresses(std::vector<std::string> ipv4) {
  absl::MutexLock lock(&mu_);
  addresses_ = std::move(ipv4);
}

void FakeDns::Serve() {
  while (!stop_) {
    pollfd p{fd_, POLLIN, 0};
    if (poll(&p, 1, 100) <= 0) continue;
    char buf[1500];
    sockaddr_storage from{};
    socklen_t from_len = sizeof(from);
    ssize_t n = recvfrom(fd_, buf, sizeof(buf), 0, reinterpret_cast<sockaddr*>(&from), &from_len);
    if (n <= 0) continue;
    ++queries_;
    std::string answer = Answer(std::string(buf, static_cast<size_t>(n)));
    if (answer.empty()) continue;
    sendto(fd_, answer.data(), answer.size(), 0, reinterpret_cast<sockaddr*>(&from), from_len);
  }
}

// Answer builds the response to one query (RFC 1035 4.1): the query's ID and question, then one A
// record per address (name as a pointer to the question, offset 12) when the question is an A
// query for our name; "" for a packet it cannot read.
std::string FakeDns::Answer(const std::string& q) {
  if (q.size() < 12 || Get16(q, 4) != 1) return "";
  size_t at = 12;
  std::string name;
  while (at < q.size() && q[at] != 0) {
    const size_t len = static_cast<uint8_t>(q[at]);
    if (len > 63 || at + 1 + len > q.size()) return "";
    if (!name.empty()) name += '.';
    name += q.substr(at + 1, len);
    at += 1 + len;
  }
  if (at + 5 > q.size()) return "";
  const size_t question_end = at + 5;  // the root label, QTYPE, QCLASS
  const uint16_t qtype = Get16(q, at + 1);
  const uint16_t qclass = Get16(q, at + 3);
  std::vector<std::string> addresses;
  const bool ours = absl::AsciiStrToLower(name) == name_;
  if (ours && qtype == kTypeA && qclass == kClassIn) {
    absl::MutexLock lock(&mu_);
    addresses = addresses_;
  }
  std::string r = q.substr(0, 2);                                // ID
  Put16(&r, static_cast<uint16_t>(0x8400 | (Get16(q, 2) & 0x0100) | (ours ? 0 : 3)));  // QR AA RD; NXDOMAIN if not ours
  Put16(&r, 1);                                                   // QDCOUNT
  Put16(&r, static_cast<uint16_t>(addresses.size()));             // ANCOUNT
  Put16(&r, 0);                                                   // NSCOUNT
  Put16(&r, 0);                                                   // ARCOUNT
  r += q.substr(12, question_end - 12);
  for (const std::string& a : addresses) {
    in_addr addr{};
    if (inet_pton(AF_INET, a.c_str(), &addr) != 1) continue;
    Put16(&r, 0xc00c);  // name: pointer to the question
    Put16(&r, kTypeA);
    Put16(&r, kClassIn);
    Put16(&r, 0);  // TTL 0 (32 bits)
    Put16(&r, 0);
    Put16(&r, 4);
    r.append(reinterpret_cast<const char*>(&addr.s_addr), 4);
  }
  return r;
}

}  // namespace onem2m::e2e
