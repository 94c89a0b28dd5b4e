#include "tests/e2e/service_env.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <csignal>
#include <cstdio>
#include <random>

#include "absl/strings/escaping.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "common/secret_bytes.h"
#include "common/testing/wait_for.h"
#include "enrolee/maf_client.h"

namespace onem2m::e2e {
namespace {

std::string RandomHex(size_t bytes) {
  std::random_device rd;
  std::string raw(bytes, '\0');
  for (char& c : raw) c = static_cast<char>(rd() & 0xff);
  return absl::BytesToHexString(raw);
}

// WriteAtomically writes `path` through a temporary file renamed over it, so a process watching
// the file never reads half of it.
void WriteAtomically(const std::string& path, const std::string& contents, int mode) {
  const std::string tmp = path + ".tmp";
  (void)WriteFileWithMode(tmp, contents, mode);
  std::rename(tmp.c_str(), path.c_str());
}

}  // namespace

MefPorts MefPorts::Pick() {
  MefPorts p;
  p.tls = PickFreePort();
  p.dtls = PickFreePort(/*udp_too=*/true);
  p.cred = PickFreePort();
  p.admin = PickFreePort();
  p.ops = PickFreePort();
  return p;
}

MafPorts MafPorts::Pick() {
  MafPorts p;
  p.tls = PickFreePort();
  p.dtls = PickFreePort(/*udp_too=*/true);
  p.key = PickFreePort();
  p.admin = PickFreePort();
  p.ops = PickFreePort();
  return p;
}

ServiceEnv ServiceEnv::Create(const std::string& stem) {
  ServiceEnv env;
  env.dir = NewTempDir(stem);
  env.pki = testing::TestPki::Create();
  WriteAtomically(env.dir + "/ca.crt", env.pki.ca_pem(), 0644);
  env.IssueLeaf("mef", kEnvMefCertName);
  env.IssueLeaf("maf", kEnvMafFqdn);
  env.IssueLeaf("admin", "admin.local");
  env.IssueLeaf("target", "target.local");
  (void)WriteFileWithMode(env.dir + "/mef.kek", absl::StrCat("1:", RandomHex(32), "\n"), 0600);
  (void)WriteFileWithMode(env.dir + "/maf.kek", absl::StrCat("1:", RandomHex(32), "\n"), 0600);
  return env;
}

void ServiceEnv::IssueLeaf(const std::string& stem, const std::string& dns_name) const {
  testing::TestPki::Leaf l = pki.Issue(dns_name);
  WriteAtomically(dir + "/" + stem + ".key", l.key_pem, 0600);
  WriteAtomically(dir + "/" + stem + ".crt", l.cert_pem, 0644);
}

std::vector<std::string> ServiceEnv::MefArgv(const MefPorts& p,
                                             const std::vector<std::string>& extra,
                                             const std::string& cert_stem) const {
  std::vector<std::string> argv = {
      RunfilePath("services/mef/mef_server"),
      absl::StrCat("--mef_fqdn=", kEnvMefFqdn),
      "--kek_file=" + dir + "/mef.kek",
      absl::StrCat("--tls_listen=", p.host, ":", p.tls),
      absl::StrCat("--dtls_listen=", p.host, ":", p.dtls),
      absl::StrCat("--credential_grpc_listen=", p.host, ":", p.cred),
      absl::StrCat("--admin_grpc_listen=", p.host, ":", p.admin),
      absl::StrCat("--ops_listen=127.0.0.1:", p.ops),
      "--tls_cert=" + dir + "/" + cert_stem + ".crt",
      "--tls_key=" + dir + "/" + cert_stem + ".key",
      "--tls_ca=" + dir + "/ca.crt",
      "--admin_identities=admin.local",
      "--grace_period=1s",
  };
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::vector<std::string> ServiceEnv::MafArgv(const MafPorts& p, const std::string& mef_endpoints,
                                             const std::vector<std::string>& extra) const {
  std::vector<std::string> argv = {
      RunfilePath("services/maf/maf_server"),
      absl::StrCat("--maf_fqdn=", kEnvMafFqdn),
      "--mef_endpoints=" + mef_endpoints,
      "--kek_file=" + dir + "/maf.kek",
      absl::StrCat("--tls_listen=127.0.0.1:", p.tls),
      absl::StrCat("--dtls_listen=127.0.0.1:", p.dtls),
      absl::StrCat("--key_grpc_listen=127.0.0.1:", p.key),
      absl::StrCat("--admin_grpc_listen=127.0.0.1:", p.admin),
      absl::StrCat("--ops_listen=127.0.0.1:", p.ops),
      "--tls_cert=" + dir + "/maf.crt",
      "--tls_key=" + dir + "/maf.key",
      "--tls_ca=" + dir + "/ca.crt",
      "--admin_identities=admin.local",
      "--grace_period=1s",
  };
  argv.insert(argv.end(), extra.begin(), extra.end());
  return argv;
}

std::shared_ptr<grpc::Channel> ServiceEnv::Channel(int port, const std::string& stem,
                                                   const std::string& server_name,
                                                   const std::string& host) const {
  grpc::SslCredentialsOptions o;
  o.pem_root_certs = ReadFileOrEmpty(dir + "/ca.crt");
  o.pem_cert_chain = ReadFileOrEmpty(dir + "/" + stem + ".crt");
  o.pem_private_key = ReadFileOrEmpty(dir + "/" + stem + ".key");
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride(server_name);
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
  return grpc::CreateCustomChannel(absl::StrCat(host, ":", port), grpc::SslCredentials(o), args);
}

absl::Status WaitReady(ChildProcess& p, int ops_port, const std::string& log,
                       const std::string& started, absl::Duration timeout) {
  bool exited = false;
  const bool ready = ::onem2m::testing::WaitFor(
      [&] {
        exited = !p.Running();
        if (exited) return true;
        absl::StatusOr<int> code = HttpGetStatus(ops_port, "/readyz", absl::Seconds(1));
        return code.ok() && *code == 200 && absl::StrContains(ReadFileOrEmpty(log), started);
      },
      timeout, absl::Milliseconds(50));
  if (exited) return absl::FailedPreconditionError("exited:\n" + ReadFileOrEmpty(log));
  if (ready) return absl::OkStatus();
  return absl::DeadlineExceededError("not ready:\n" + ReadFileOrEmpty(log));
}

std::string HttpGet(int port, const std::string& path, absl::Duration timeout) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return "";
  timeval tv{static_cast<time_t>(absl::ToInt64Seconds(timeout)),
             static_cast<suseconds_t>(absl::ToInt64Microseconds(timeout) % 1000000)};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  std::string out;
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) == 0) {
    std::string req = absl::StrCat("GET ", path, " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    if (send(fd, req.data(), req.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(req.size())) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
    }
  }
  close(fd);
  return out;
}

double MefFetches(int mef_ops_port) {
  double sum = 0;
  std::string body = HttpGet(mef_ops_port, "/metrics", absl::Seconds(2));
  for (absl::string_view line : absl::StrSplit(body, '\n')) {
    if (!absl::StartsWith(line, "onem2m_mef_credential_fetches_total{")) continue;
    double v = 0;
    if (absl::SimpleAtod(line.substr(line.rfind(' ') + 1), &v)) sum += v;
  }
  return sum;
}

void AttemptUnknownKeId(int maf_tls_port) {
  // The device library writes with write(2): a MAF closing the failed handshake raises SIGPIPE.
  static const bool sigpipe_ignored = [] {
    std::signal(SIGPIPE, SIG_IGN);
    return true;
  }();
  (void)sigpipe_ignored;
  enrolee::MafClientOptions o;
  o.maf_host = "127.0.0.1";
  o.maf_port = maf_tls_port;
  o.maf_fqdn = kEnvMafFqdn;
  o.psk_identity = absl::StrCat(RandomHex(16), "@", kEnvMefFqdn);
  o.psk = SecretBytes::Random(32);
  o.timeout = absl::Seconds(5);
  (void)enrolee::MafClient::Connect(o);
}

}  // namespace onem2m::e2e
