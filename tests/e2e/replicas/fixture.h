// File: tests/e2e/replicas/fixture.h
//
// ReplicasTestBase: what the replicas tests do as devices, operators and Targets against a
// Cluster (tests/e2e/replicas/cluster.h): provision with rsp_admin, bootstrap at a MEF replica,
// first contact and key registration at a MAF replica, KmID handshakes, key retrieval.
#ifndef ONEM2M_TESTS_E2E_REPLICAS_FIXTURE_H_
#define ONEM2M_TESTS_E2E_REPLICAS_FIXTURE_H_

#include "common/testing/wait_for.h"
#include "tests/e2e/replicas/cluster.h"

namespace onem2m::e2e::replicas {

// ---------------------------------------------------------------------------------------------
struct Device {
  std::string kpm_id;
  SecretBytes kpm;
  enrolee::BootstrapResult boot;
  enrolee::MafCredential cred;
  std::string key_id;
  SecretBytes kc;
};

class ReplicasTestBase : public ::testing::Test {
 protected:
  static std::unique_ptr<Cluster> StartCluster(std::string* why) {
    auto c = std::make_unique<Cluster>();
    *why = c->Start();
    if (!why->empty()) return nullptr;  // the destructor stops whatever did start
    return c;
  }

  virtual Cluster& cluster() = 0;

  // Provision through rsp_admin at MEF replica `mef`.
  void Provision(Device& d, int mef, const std::string& lifetime = "") {
    d.kpm = SecretBytes::Random(32);
    std::string kpm_file = cluster().dir + "/" + d.kpm_id + ".kpm";
    ASSERT_TRUE(e2e::WriteFileWithMode(kpm_file, std::string(d.kpm.Reveal()), 0600).ok());
    std::vector<std::string> args = {"enrolee",
                                     "create",
                                     "--kpm-id=" + d.kpm_id,
                                     "--kpm-file=" + kpm_file,
                                     "--enrolee-id=C-" + d.kpm_id,
                                     absl::StrCat("--maf-id=", kMafFqdn)};
    if (!lifetime.empty()) args.push_back("--lifetime=" + lifetime);
    e2e::CommandResult r = cluster().Admin(mef, args);
    unlink(kpm_file.c_str());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  absl::StatusOr<enrolee::BootstrapResult> BootstrapAt(const Device& d, int mef, tls::Transport t) {
    enrolee::BootstrapOptions o;
    o.mef_host = "127.0.0.1";
    o.mef_port = t == tls::Transport::kTls ? cluster().mefs[mef]->tls : cluster().mefs[mef]->dtls;
    o.mef_fqdn = kMefFqdn;
    o.transport = t;
    o.kpm_id = d.kpm_id;
    o.kpm = SecretBytes::Copy(d.kpm.Reveal());
    o.attempt_timeout = absl::Seconds(10);
    return enrolee::Bootstrap(o);
  }

  void Bootstrap(Device& d, int mef, tls::Transport t) {
    auto r = BootstrapAt(d, mef, t);
    ASSERT_TRUE(r.ok()) << "bootstrap " << d.kpm_id << " at MEF " << mef + 1 << ": " << r.status();
    EXPECT_EQ(r->maf_id, kMafFqdn);
    EXPECT_EQ(r->enrolee_id, "C-" + d.kpm_id);
    d.boot = *std::move(r);
    auto cred = enrolee::DeriveMafCredential(d.boot.ke, d.boot.maf_id, kMafFqdn);
    ASSERT_TRUE(cred.ok()) << cred.status();
    d.cred = *std::move(cred);
  }

  enrolee::MafClientOptions MafOptions(int maf, const std::string& identity, const SecretBytes& km,
                                       tls::Transport t = tls::Transport::kTls,
                                       absl::Duration timeout = absl::Seconds(8)) {
    enrolee::MafClientOptions o;
    o.maf_host = "127.0.0.1";
    o.transport = t;
    o.maf_port = t == tls::Transport::kTls ? cluster().mafs[maf]->tls : cluster().mafs[maf]->dtls;
    o.maf_fqdn = kMafFqdn;
    o.psk_identity = identity;
    o.psk = SecretBytes::Copy(km.Reveal());
    o.timeout = timeout;
    return o;
  }

  // First contact (KeID) at `maf`, client registration and a key for target.local.
  void FirstContactAndRegisterKey(Device& d, int maf, tls::Transport t) {
    auto c = enrolee::MafClient::Connect(MafOptions(maf, d.boot.ke_id, d.cred.km, t));
    ASSERT_TRUE(c.ok()) << "KeID handshake at MAF " << maf + 1 << ": " << c.status();
    auto reg = (*c)->RegisterClient(d.cred.km_id);
    ASSERT_TRUE(reg.ok()) << reg.status();
    EXPECT_EQ(reg->assigned_symm_key_id, d.cred.km_id);
    EXPECT_EQ(reg->maf_client_id, "C-" + d.kpm_id);
    auto key = (*c)->RegisterKey({"target.local"}, 32);
    ASSERT_TRUE(key.ok()) << key.status();
    EXPECT_TRUE(absl::EndsWith(key->key_id, "@maf.local")) << key->key_id;
    d.key_id = key->key_id;
    d.kc = std::move(key->kc);
  }

  grpc::Status GetKey(int maf, const std::string& stem, const std::string& key_id,
                      rsp::v1::GetKeyResponse* resp, absl::Duration timeout = absl::Seconds(5)) {
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(timeout));
    ctx.set_wait_for_ready(true);
    rsp::v1::GetKeyRequest req;
    req.set_key_id(key_id);
    return cluster().MafKeys(maf, stem)->GetKey(&ctx, req, resp);
  }

  bool KmIdHandshakeOk(int maf, const Device& d, absl::Duration timeout = absl::Seconds(3)) {
    auto c = enrolee::MafClient::Connect(
        MafOptions(maf, d.cred.km_id, d.cred.km, tls::Transport::kTls, timeout));
    return c.ok();
  }

  // PropagationTime revokes/disables `d` through MEF replica `mef` (gRPC admin API) and returns
  // how long after the RPC returned BOTH MAF replicas refused the KmID handshake and the key's
  // GetKey (polled every 50 ms, up to 10 s), or a negative duration if they never did.
  absl::Duration MeasurePropagation(const Device& d, int mef, bool revoke) {
    auto admin = cluster().MefAdmin(mef);
    grpc::ClientContext ctx;
    ctx.set_deadline(Deadline(absl::Seconds(10)));
    rsp::v1::Enrolee out;
    grpc::Status st;
    if (revoke) {
      rsp::v1::RevokeEnroleeRequest req;
      req.set_kpm_id(d.kpm_id);
      req.set_reason("replicas_test");
      st = admin->RevokeEnrolee(&ctx, req, &out);
    } else {
      rsp::v1::DisableEnroleeRequest req;
      req.set_kpm_id(d.kpm_id);
      req.set_reason("replicas_test");
      st = admin->DisableEnrolee(&ctx, req, &out);
    }
    EXPECT_TRUE(st.ok()) << st.error_message();
    if (!st.ok()) return absl::Seconds(-1);
    absl::Time t0 = absl::Now();
    // Four independent pollers (MAF 1/2 x KmID handshake/GetKey), every 50 ms, so a slow attempt
    // at one does not delay the others. For each: when the first refused attempt started and
    // when it ended.
    struct Probe {
      absl::Time start = absl::InfiniteFuture();
      absl::Time end = absl::InfiniteFuture();
      std::string detail;
    };
    std::array<std::array<Probe, 2>, 2> probes;
    const absl::Time until = t0 + absl::Seconds(10);
    std::vector<std::thread> pollers;
    for (int m = 0; m < 2; ++m) {
      for (int k = 0; k < 2; ++k) {
        pollers.emplace_back([&, m, k] {
          // Probes every 50 ms until refused; each probe's start and end bound the refusal time.
          (void)::onem2m::testing::WaitFor(
              [&] {
                absl::Time s = absl::Now();
                bool refused;
                if (k == 0) {
                  refused = !KmIdHandshakeOk(m, d, absl::Seconds(2));
                } else {
                  rsp::v1::GetKeyResponse resp;
                  grpc::Status g = GetKey(m, "target", d.key_id, &resp, absl::Seconds(2));
                  refused = !g.ok();
                  if (refused) probes[m][k].detail = absl::StrCat(" (code ", g.error_code(), ")");
                }
                if (refused) {
                  probes[m][k].start = s;
                  probes[m][k].end = absl::Now();
                }
                return refused;
              },
              std::max(absl::ZeroDuration(), until - absl::Now()), absl::Milliseconds(50));
        });
      }
    }
    for (std::thread& t : pollers) t.join();
    absl::Time last = t0;
    for (int m = 0; m < 2; ++m) {
      for (int k = 0; k < 2; ++k) {
        const Probe& p = probes[m][k];
        std::printf(
            "  [%s %s] MAF %d %s refused: %s\n", revoke ? "revoke" : "disable", d.kpm_id.c_str(),
            m + 1, k == 0 ? "KmID handshake" : "GetKey",
            p.end == absl::InfiniteFuture()
                ? "NEVER (polled 10 s)"
                : absl::StrCat("attempt started ", absl::FormatDuration(p.start - t0),
                               ", refusal received ", absl::FormatDuration(p.end - t0), p.detail)
                      .c_str());
        last = std::max(last, p.end);
        if (k == 1 && p.end != absl::InfiniteFuture()) {
          EXPECT_NE(p.detail, absl::StrCat(" (code ", grpc::StatusCode::DEADLINE_EXCEEDED, ")"));
        }
      }
    }
    std::fflush(stdout);
    if (last == absl::InfiniteFuture()) return absl::Seconds(-1);
    // Refusal must stick.
    for (int m = 0; m < 2; ++m) {
      EXPECT_FALSE(KmIdHandshakeOk(m, d)) << "MAF " << m + 1 << " accepted the KmID again";
      rsp::v1::GetKeyResponse resp;
      EXPECT_FALSE(GetKey(m, "target", d.key_id, &resp).ok()) << "MAF " << m + 1;
    }
    return last - t0;
  }
};

}  // namespace onem2m::e2e::replicas

#endif  // ONEM2M_TESTS_E2E_REPLICAS_FIXTURE_H_
