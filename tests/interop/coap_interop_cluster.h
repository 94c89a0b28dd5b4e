// File: tests/interop/coap_interop_cluster.h
//
// Cluster: the real servers the CoAP interop test (coap_client_interop_test.cc) talks to, started
// as child processes on loopback: two fresh PostgreSQL databases on the server named by a conninfo
// (dropped when the Cluster goes), a default mef_server, a second mef_server with
// --coap_legacy_option_numbers on the same MEF database, and a maf_server, all with DTLS-PSK
// listeners and certificates from a throwaway PKI; rsp_admin provisions enrolees through Admin().
//
//   Cluster cluster;
//   std::string error = cluster.Start(getenv("ONEM2M_TEST_PG"));   // "" when everything is ready
//   e2e::CommandResult r = cluster.Admin({"enrolee", "create", ...});
#ifndef ONEM2M_TESTS_INTEROP_COAP_INTEROP_CLUSTER_H_
#define ONEM2M_TESTS_INTEROP_COAP_INTEROP_CLUSTER_H_

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/testing/test_pki.h"
#include "common/testing/wait_for.h"
#include "tests/e2e/process_runner.h"

namespace onem2m::interop {

inline constexpr char kMefFqdn[] = "mef.local";
inline constexpr char kMafFqdn[] = "maf.local";
inline constexpr char kMefCertName[] = "localhost";  // see tests/e2e/replicas_test.cc

inline std::string RandomAlnum(size_t n) {
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
  std::random_device rd;
  std::string s(n, 'x');
  for (char& c : s) c = kChars[rd() % (sizeof(kChars) - 1)];
  return s;
}

// Server is one started server: its process, ports (DTLS, ops, credential and admin gRPC) and log.
struct Server {
  e2e::ChildProcess proc;
  int dtls = 0, ops = 0, cred = 0, admin = 0;
  std::string log;
};

// Cluster: two databases, a default MEF, a legacy-numbering MEF on the same MEF database, a MAF.
class Cluster {
 public:
  ~Cluster() {
    maf.proc.Stop(absl::Seconds(10));
    legacy_mef.proc.Stop(absl::Seconds(10));
    mef.proc.Stop(absl::Seconds(10));
    try {
      if (!admin_conninfo_.empty()) {
        pqxx::connection c(admin_conninfo_);
        pqxx::nontransaction tx(c);
        for (const std::string& db : dbs_) {
          tx.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
        }
      }
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dropping test databases failed: %s\n", e.what());
    }
  }

  // Start returns "" or what went wrong.
  std::string Start(const std::string& pg) {
    admin_conninfo_ = pg;
    dir = e2e::NewTempDir("coap_interop");
    const std::string suffix = absl::StrCat(getpid(), "_", absl::AsciiStrToLower(RandomAlnum(6)));
    try {
      pqxx::connection c(pg);
      pqxx::nontransaction tx(c);
      for (const char* stem : {"coapi_mef_", "coapi_maf_"}) {
        tx.exec(absl::StrCat("CREATE DATABASE ", stem, suffix));
        dbs_.push_back(absl::StrCat(stem, suffix));
      }
    } catch (const std::exception& e) {
      return absl::StrCat("creating databases: ", e.what());
    }
    testing::TestPki pki = testing::TestPki::Create();
    auto leaf = [&](const std::string& stem, const std::string& dns) {
      testing::TestPki::Leaf l = pki.Issue(dns);
      (void)e2e::WriteFileWithMode(dir + "/" + stem + ".crt", l.cert_pem, 0644);
      (void)e2e::WriteFileWithMode(dir + "/" + stem + ".key", l.key_pem, 0600);
    };
    (void)e2e::WriteFileWithMode(dir + "/ca.crt", pki.ca_pem(), 0644);
    leaf("mef", kMefCertName);
    leaf("maf", kMafFqdn);
    leaf("admin", "admin.local");
    std::random_device rd;
    auto hex_key = [&rd] {
      std::string raw(32, '\0');
      for (char& c : raw) c = static_cast<char>(rd() & 0xff);
      return absl::StrCat("1:", absl::BytesToHexString(raw), "\n");
    };
    (void)e2e::WriteFileWithMode(dir + "/mef.kek", hex_key(), 0600);
    (void)e2e::WriteFileWithMode(dir + "/maf.kek", hex_key(), 0600);

    std::string why = StartMef(&mef, "mef", false);
    if (!why.empty()) return why;
    why = StartMef(&legacy_mef, "legacy_mef", true);
    if (!why.empty()) return why;
    return StartMaf();
  }

  e2e::CommandResult Admin(std::vector<std::string> args) {
    std::vector<std::string> argv = {
        e2e::RunfilePath("services/admin/rsp_admin"),
        absl::StrCat("--mef=127.0.0.1:", mef.admin),
        absl::StrCat("--server_name=", kMefCertName),
        "--tls_cert=" + dir + "/admin.crt",
        "--tls_key=" + dir + "/admin.key",
        "--tls_ca=" + dir + "/ca.crt",
        "--timeout=20s",
    };
    argv.insert(argv.end(), args.begin(), args.end());
    return e2e::RunCommand(argv, dir, absl::Seconds(30));
  }

  std::string dir;
  Server mef, legacy_mef, maf;

 private:
  std::string Conninfo(int i) const { return admin_conninfo_ + " dbname=" + dbs_[i]; }

  // A child that lost a port race exits; it is restarted with new ports (3 attempts).
  std::string StartMef(Server* s, const std::string& name, bool legacy) {
    for (int attempt = 0; attempt < 3; ++attempt) {
      s->dtls = e2e::PickFreePort(/*udp_too=*/true);
      s->ops = e2e::PickFreePort();
      s->cred = e2e::PickFreePort();
      s->admin = e2e::PickFreePort();
      s->log = absl::StrCat(dir, "/", name, ".", attempt, ".log");
      std::vector<std::string> argv = {
          e2e::RunfilePath("services/mef/mef_server"),
          absl::StrCat("--mef_fqdn=", kMefFqdn),
          "--require_sni=false",  // coap-client sends no SNI for an IP literal
          "--store=pg",
          "--pg=" + Conninfo(0),
          "--pg_pool_size=2",
          "--kek_file=" + dir + "/mef.kek",
          "--tls_listen=",
          absl::StrCat("--dtls_listen=127.0.0.1:", s->dtls),
          absl::StrCat("--credential_grpc_listen=127.0.0.1:", s->cred),
          absl::StrCat("--admin_grpc_listen=127.0.0.1:", s->admin),
          absl::StrCat("--ops_listen=127.0.0.1:", s->ops),
          "--tls_cert=" + dir + "/mef.crt",
          "--tls_key=" + dir + "/mef.key",
          "--tls_ca=" + dir + "/ca.crt",
          "--admin_identities=admin.local",
          "--grace_period=2s",
          "--handshake_timeout=5s",
          absl::StrCat("--audit_log=", dir, "/", name, ".audit"),
      };
      if (legacy) argv.push_back("--coap_legacy_option_numbers");
      if (!s->proc.Start(argv, s->log + ".out", s->log).ok()) continue;
      if (WaitReady(s, "mef_started")) return "";
      s->proc.Stop(absl::Seconds(5));
    }
    return absl::StrCat(name, " did not become ready:\n", e2e::ReadFileOrEmpty(s->log));
  }

  std::string StartMaf() {
    Server* s = &maf;
    for (int attempt = 0; attempt < 3; ++attempt) {
      s->dtls = e2e::PickFreePort(/*udp_too=*/true);
      s->ops = e2e::PickFreePort();
      s->log = absl::StrCat(dir, "/maf.", attempt, ".log");
      std::vector<std::string> argv = {
          e2e::RunfilePath("services/maf/maf_server"),
          absl::StrCat("--maf_fqdn=", kMafFqdn),
          absl::StrCat("--mef_endpoints=", kMefFqdn, "=", kMefCertName, ":", mef.cred),
          "--store=pg",
          "--pg=" + Conninfo(1),
          "--pg_pool_size=2",
          "--kek_file=" + dir + "/maf.kek",
          "--tls_listen=",
          absl::StrCat("--dtls_listen=127.0.0.1:", s->dtls),
          absl::StrCat("--ops_listen=127.0.0.1:", s->ops),
          "--tls_cert=" + dir + "/maf.crt",
          "--tls_key=" + dir + "/maf.key",
          "--tls_ca=" + dir + "/ca.crt",
          "--grace_period=2s",
          "--handshake_timeout=5s",
          "--fetch_timeout=2s",
          absl::StrCat("--audit_log=", dir, "/maf.audit"),
      };
      if (!s->proc.Start(argv, s->log + ".out", s->log).ok()) continue;
      if (WaitReady(s, "maf_started")) return "";
      s->proc.Stop(absl::Seconds(5));
    }
    return absl::StrCat("maf did not become ready:\n", e2e::ReadFileOrEmpty(s->log));
  }

  bool WaitReady(Server* s, const char* started) {
    bool ready = false;
    (void)::onem2m::testing::WaitFor(
        [&] {
          if (!s->proc.Running()) return true;
          absl::StatusOr<int> code = e2e::HttpGetStatus(s->ops, "/readyz", absl::Seconds(1));
          ready =
              code.ok() && *code == 200 && absl::StrContains(e2e::ReadFileOrEmpty(s->log), started);
          return ready;
        },
        absl::Seconds(60), absl::Milliseconds(100));
    return ready;
  }

  std::string admin_conninfo_;
  std::vector<std::string> dbs_;
};

}  // namespace onem2m::interop

#endif  // ONEM2M_TESTS_INTEROP_COAP_INTEROP_CLUSTER_H_
