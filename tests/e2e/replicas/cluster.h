// File: tests/e2e/replicas/cluster.h
//
// The replica cluster of the replicas tests (tests/e2e/replicas_test.cc,
// replicas_failover_test.cc), with REAL PROCESSES: two mef_server replicas on one MEF database and
// two maf_server replicas on one MAF database (fresh databases per cluster on the PostgreSQL named
// by ONEM2M_TEST_PG, dropped at the end). Every child is stopped (SIGTERM, then SIGKILL) by RAII
// even when an assertion fails.
//
// Certificates (common/testing/test_pki.h): MAF maf.local (= the enrolees' MAF-ID), admin
// admin.local, Target target.local, stranger.local. The MEF's gRPC certificate is issued for
// "localhost", not mef.local: maf_server dials --mef_endpoints=mef.local=host:port and verifies
// the MEF certificate against `host` (there is no server-name override flag), and TestPki issues
// one DNS name per certificate. See the report of this test's author (deploy/local/make_certs.sh
// puts both mef.local and localhost in mef.crt for the same reason).
//
// --mef_endpoints maps one endpoint per MEF-FQDN (a later entry for the same FQDN replaces the
// earlier one, and the value cannot hold a comma-separated gRPC address list), so each MAF replica
// is pointed at ONE MEF replica: MAF 1 -> MEF 1, MAF 2 -> MEF 2.
#ifndef ONEM2M_TESTS_E2E_REPLICAS_CLUSTER_H_
#define ONEM2M_TESTS_E2E_REPLICAS_CLUSTER_H_

#include <arpa/inet.h>
#include <grpcpp/grpcpp.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <pqxx/pqxx>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "common/exchange/message.h"
#include "common/exchange/rsc.h"
#include "common/secret_bytes.h"
#include "common/testing/test_pki.h"
#include "common/testing/wait_for.h"
#include "common/tls/blocking_client.h"
#include "common/tls/psk_context.h"
#include "enrolee/bootstrap_client.h"
#include "enrolee/exchange_client.h"
#include "enrolee/maf_client.h"
#include "gtest/gtest.h"
#include "proto/onem2m/rsp/v1/maf_keys.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_admin.grpc.pb.h"
#include "proto/onem2m/rsp/v1/mef_credential.grpc.pb.h"
#include "tests/e2e/process_runner.h"

namespace onem2m::e2e::replicas {

using ::onem2m::e2e::ChildProcess;

inline constexpr char kMefFqdn[] = "mef.local";
inline constexpr char kMafFqdn[] = "maf.local";
inline constexpr char kMefCertName[] = "localhost";

// The device library writes to its sockets with write(2) (OpenSSL), so a peer that closes a
// connection (the MEF draining on SIGTERM) raises SIGPIPE in the caller; like
// services/enrolee/enrolee_cli.cc, a process using the library must ignore it.
inline const bool kSigpipeIgnored = [] {
  std::signal(SIGPIPE, SIG_IGN);
  return true;
}();

inline std::string RandomHex(size_t bytes) {
  std::random_device rd;
  std::string raw(bytes, '\0');
  for (char& c : raw) c = static_cast<char>(rd() & 0xff);
  return absl::BytesToHexString(raw);
}

inline std::chrono::system_clock::time_point Deadline(absl::Duration d) {
  return std::chrono::system_clock::now() + std::chrono::milliseconds(absl::ToInt64Milliseconds(d));
}

// ---------------------------------------------------------------------------------------------
// Databases: two fresh databases per run, dropped at the end.
class TestDatabases {
 public:
  static std::unique_ptr<TestDatabases> Create(const std::string& admin_conninfo,
                                               std::string* error) {
    auto d = std::unique_ptr<TestDatabases>(new TestDatabases());
    d->admin_ = admin_conninfo;
    std::string suffix = absl::StrCat(getpid(), "_", RandomHex(4));
    d->mef_db_ = "replicas_mef_" + suffix;
    d->maf_db_ = "replicas_maf_" + suffix;
    try {
      pqxx::connection c(admin_conninfo);
      pqxx::nontransaction tx(c);
      tx.exec("CREATE DATABASE " + d->mef_db_);
      d->created_.push_back(d->mef_db_);
      tx.exec("CREATE DATABASE " + d->maf_db_);
      d->created_.push_back(d->maf_db_);
    } catch (const std::exception& e) {
      *error = e.what();
      return nullptr;
    }
    return d;
  }
  ~TestDatabases() {
    try {
      pqxx::connection c(admin_);
      pqxx::nontransaction tx(c);
      for (const std::string& db : created_)
        tx.exec("DROP DATABASE IF EXISTS " + db + " WITH (FORCE)");
    } catch (const std::exception& e) {
      std::fprintf(stderr, "dropping test databases failed: %s\n", e.what());
    }
  }
  // A later `dbname=` in a libpq keyword/value string overrides an earlier one.
  std::string MefConninfo() const { return admin_ + " dbname=" + mef_db_; }
  std::string MafConninfo() const { return admin_ + " dbname=" + maf_db_; }
  std::string admin_conninfo() const { return admin_; }

 private:
  TestDatabases() = default;
  std::string admin_, mef_db_, maf_db_;
  std::vector<std::string> created_;
};

// ---------------------------------------------------------------------------------------------
struct MefReplica {
  ChildProcess proc;
  int tls = 0, dtls = 0, cred = 0, admin = 0, ops = 0;
  std::string log;
};

struct MafReplica {
  ChildProcess proc;
  int tls = 0, dtls = 0, key = 0, ops = 0;
  int mef_index = 0;
  std::string log;
};

// Cluster: PKI files, keyrings, databases and the four processes.
class Cluster {
 public:
  ~Cluster() {
    // MAFs first (they watch the MEFs), then MEFs; SIGTERM, then SIGKILL after 10 s.
    for (auto& m : mafs) m->proc.Stop(absl::Seconds(10));
    for (auto& m : mefs) m->proc.Stop(absl::Seconds(10));
    dbs.reset();
    // Keep the service logs for inspection (bazel-testlogs/.../test.outputs).
    const char* out = std::getenv("TEST_UNDECLARED_OUTPUTS_DIR");
    if (out != nullptr && !dir.empty()) {
      std::string base = dir.substr(dir.rfind('/') + 1);
      // Logs and audit streams only (no keys or keyrings).
      (void)e2e::RunCommand({"/bin/sh", "-c",
                             absl::StrCat("mkdir -p '", out, "/", base, "' && cp '", dir,
                                          "'/*.log '", dir, "'/*.audit '", out, "/", base, "/'")},
                            dir, absl::Seconds(10));
    }
  }

  // Start returns an empty string on success, else what went wrong (with the process logs).
  std::string Start() {
    const char* pg = std::getenv("ONEM2M_TEST_PG");
    if (pg == nullptr || *pg == '\0') return "ONEM2M_TEST_PG unset";
    dir = e2e::NewTempDir("replicas");
    std::string err;
    dbs = TestDatabases::Create(pg, &err);
    if (dbs == nullptr) return "creating databases: " + err;

    testing::TestPki pki = testing::TestPki::Create();
    auto write_leaf = [&](const std::string& stem, const std::string& dns) {
      testing::TestPki::Leaf l = pki.Issue(dns);
      (void)e2e::WriteFileWithMode(dir + "/" + stem + ".crt", l.cert_pem, 0644);
      (void)e2e::WriteFileWithMode(dir + "/" + stem + ".key", l.key_pem, 0600);
    };
    (void)e2e::WriteFileWithMode(dir + "/ca.crt", pki.ca_pem(), 0644);
    write_leaf("mef", kMefCertName);
    write_leaf("maf", kMafFqdn);
    write_leaf("admin", "admin.local");
    write_leaf("target", "target.local");
    write_leaf("stranger", "stranger.local");
    (void)e2e::WriteFileWithMode(dir + "/mef.kek", absl::StrCat("1:", RandomHex(32), "\n"), 0600);
    (void)e2e::WriteFileWithMode(dir + "/maf.kek", absl::StrCat("1:", RandomHex(32), "\n"), 0600);

    // Both MEF replicas start at once on the same (empty) database: the migrations run under the
    // advisory lock. Then both MAF replicas at once.
    for (int i = 0; i < 2; ++i) mefs.push_back(std::make_unique<MefReplica>());
    for (int i = 0; i < 2; ++i) {
      mafs.push_back(std::make_unique<MafReplica>());
      mafs[i]->mef_index = i;
    }
    // A replica that exited (e.g. lost a port race) is restarted with new ports.
    for (int attempt = 0; attempt < 3; ++attempt) {
      for (int i = 0; i < 2; ++i) {
        if (mefs[i]->proc.Running()) continue;
        StartMef(i, attempt);
      }
      std::string why = WaitReady(/*mef=*/true);
      if (why.empty()) break;
      if (attempt == 2) return "MEF replicas did not become ready: " + why;
    }
    for (int attempt = 0; attempt < 3; ++attempt) {
      for (int i = 0; i < 2; ++i) {
        if (mafs[i]->proc.Running()) continue;
        StartMaf(i, attempt);
      }
      std::string why = WaitReady(/*mef=*/false);
      if (why.empty()) return "";
      if (attempt == 2) return "MAF replicas did not become ready: " + why;
    }
    return "unreachable";
  }

  void StartMef(int i, int attempt) {
    MefReplica& m = *mefs[i];
    m.tls = e2e::PickFreePort();
    m.dtls = e2e::PickFreePort(/*udp_too=*/true);
    m.cred = e2e::PickFreePort();
    m.admin = e2e::PickFreePort();
    m.ops = e2e::PickFreePort();
    m.log = absl::StrCat(dir, "/mef", i + 1, ".", attempt, ".log");
    std::vector<std::string> argv = {
        e2e::RunfilePath("services/mef/mef_server"),
        absl::StrCat("--mef_fqdn=", kMefFqdn),
        "--store=pg",
        "--pg=" + dbs->MefConninfo(),
        "--pg_pool_size=4",
        "--kek_file=" + dir + "/mef.kek",
        absl::StrCat("--tls_listen=127.0.0.1:", m.tls),
        absl::StrCat("--dtls_listen=127.0.0.1:", m.dtls),
        absl::StrCat("--credential_grpc_listen=127.0.0.1:", m.cred),
        absl::StrCat("--admin_grpc_listen=127.0.0.1:", m.admin),
        absl::StrCat("--ops_listen=127.0.0.1:", m.ops),
        "--tls_cert=" + dir + "/mef.crt",
        "--tls_key=" + dir + "/mef.key",
        "--tls_ca=" + dir + "/ca.crt",
        "--admin_identities=admin.local",
        "--grace_period=3s",
        "--handshake_timeout=5s",
        absl::StrCat("--audit_log=", dir, "/mef", i + 1, ".audit"),
    };
    absl::Status s = m.proc.Start(argv, m.log + ".out", m.log);
    if (!s.ok()) std::fprintf(stderr, "start mef %d: %s\n", i + 1, s.ToString().c_str());
  }

  void StartMaf(int i, int attempt) {
    MafReplica& m = *mafs[i];
    m.tls = e2e::PickFreePort();
    m.dtls = e2e::PickFreePort(/*udp_too=*/true);
    m.key = e2e::PickFreePort();
    m.ops = e2e::PickFreePort();
    m.log = absl::StrCat(dir, "/maf", i + 1, ".", attempt, ".log");
    std::vector<std::string> argv = {
        e2e::RunfilePath("services/maf/maf_server"),
        absl::StrCat("--maf_fqdn=", kMafFqdn),
        absl::StrCat("--mef_endpoints=", kMefFqdn, "=", kMefCertName, ":", mefs[m.mef_index]->cred),
        "--store=pg",
        "--pg=" + dbs->MafConninfo(),
        "--pg_pool_size=4",
        "--kek_file=" + dir + "/maf.kek",
        absl::StrCat("--tls_listen=127.0.0.1:", m.tls),
        absl::StrCat("--dtls_listen=127.0.0.1:", m.dtls),
        absl::StrCat("--key_grpc_listen=127.0.0.1:", m.key),
        absl::StrCat("--ops_listen=127.0.0.1:", m.ops),
        "--tls_cert=" + dir + "/maf.crt",
        "--tls_key=" + dir + "/maf.key",
        "--tls_ca=" + dir + "/ca.crt",
        "--grace_period=3s",
        "--handshake_timeout=5s",
        "--fetch_timeout=2s",
        absl::StrCat("--audit_log=", dir, "/maf", i + 1, ".audit"),
    };
    absl::Status s = m.proc.Start(argv, m.log + ".out", m.log);
    if (!s.ok()) std::fprintf(stderr, "start maf %d: %s\n", i + 1, s.ToString().c_str());
  }

  // WaitReady waits up to 60 s for /readyz = 200 on every replica of one kind; returns "" or why.
  std::string WaitReady(bool mef) {
    absl::Time deadline = absl::Now() + absl::Seconds(60);
    for (int i = 0; i < 2; ++i) {
      ChildProcess& p = mef ? mefs[i]->proc : mafs[i]->proc;
      int ops = mef ? mefs[i]->ops : mafs[i]->ops;
      const std::string& log = mef ? mefs[i]->log : mafs[i]->log;
      const char* started = mef ? "mef_started" : "maf_started";
      bool ready = false;
      (void)::onem2m::testing::WaitFor(
          [&] {
            if (!p.Running()) return true;
            absl::StatusOr<int> code = e2e::HttpGetStatus(ops, "/readyz", absl::Seconds(1));
            ready =
                code.ok() && *code == 200 && absl::StrContains(e2e::ReadFileOrEmpty(log), started);
            return ready;
          },
          std::max(absl::ZeroDuration(), deadline - absl::Now()), absl::Milliseconds(100));
      if (!ready) {
        return absl::StrCat(mef ? "mef" : "maf", i + 1, " (running=", p.Running(), ") log:\n",
                            e2e::ReadFileOrEmpty(log));
      }
    }
    return "";
  }

  // --- gRPC clients -------------------------------------------------------------------------
  std::shared_ptr<grpc::Channel> Channel(int port, const std::string& stem,
                                         const std::string& server_name) {
    grpc::SslCredentialsOptions o;
    o.pem_root_certs = e2e::ReadFileOrEmpty(dir + "/ca.crt");
    o.pem_cert_chain = e2e::ReadFileOrEmpty(dir + "/" + stem + ".crt");
    o.pem_private_key = e2e::ReadFileOrEmpty(dir + "/" + stem + ".key");
    grpc::ChannelArguments args;
    args.SetSslTargetNameOverride(server_name);
    args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, 100);
    args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, 500);
    return grpc::CreateCustomChannel(absl::StrCat("127.0.0.1:", port), grpc::SslCredentials(o),
                                     args);
  }
  std::unique_ptr<rsp::v1::MefAdminService::Stub> MefAdmin(int i) {
    return rsp::v1::MefAdminService::NewStub(Channel(mefs[i]->admin, "admin", kMefCertName));
  }
  std::unique_ptr<rsp::v1::MefCredentialService::Stub> MefCredential(int i,
                                                                     const std::string& stem) {
    return rsp::v1::MefCredentialService::NewStub(Channel(mefs[i]->cred, stem, kMefCertName));
  }
  // Cached per (replica, identity) so polling does not pay a TLS handshake per call.
  rsp::v1::MafKeyService::Stub* MafKeys(int i, const std::string& stem) {
    std::string k = absl::StrCat(i, "/", stem);
    absl::MutexLock l(&stubs_mu_);
    auto it = key_stubs_.find(k);
    if (it == key_stubs_.end()) {
      it = key_stubs_
               .emplace(k, rsp::v1::MafKeyService::NewStub(Channel(mafs[i]->key, stem, kMafFqdn)))
               .first;
    }
    return it->second.get();
  }

  // rsp_admin CLI against MEF replica i.
  e2e::CommandResult Admin(int i, std::vector<std::string> args) {
    std::vector<std::string> argv = {
        e2e::RunfilePath("services/admin/rsp_admin"),
        absl::StrCat("--mef=127.0.0.1:", mefs[i]->admin),
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
  std::unique_ptr<TestDatabases> dbs;
  std::vector<std::unique_ptr<MefReplica>> mefs;
  std::vector<std::unique_ptr<MafReplica>> mafs;

 private:
  absl::Mutex stubs_mu_;
  std::map<std::string, std::unique_ptr<rsp::v1::MafKeyService::Stub>> key_stubs_;
};

}  // namespace onem2m::e2e::replicas

#endif  // ONEM2M_TESTS_E2E_REPLICAS_CLUSTER_H_
