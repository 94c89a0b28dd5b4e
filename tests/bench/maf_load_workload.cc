// The client side of maf_load: TLS client contexts and MafClient options for the simulated
// devices, one raw handshake, and the PostgreSQL bookkeeping of a run. See maf_load_workload.h.
#include "tests/bench/maf_load_workload.h"

#include <cstdio>
#include <cstdlib>

#include "absl/time/clock.h"
#include "common/pg/pool.h"
#include "common/tls/blocking_client.h"
#include "pqxx/pqxx"

namespace onem2m::bench {

std::vector<tls::CipherSuite> Suites(const std::string& suite) {
  auto s = tls::FindCipherSuite(tls::Transport::kTls, suite);
  if (!s.ok()) {
    std::fprintf(stderr, "--suite: %s\n", s.status().ToString().c_str());
    std::exit(2);
  }
  return {*s};
}

absl::Status RawHandshake(const std::shared_ptr<const tls::PskContext>& ctx, int port) {
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  auto c = tls::BlockingClient::Connect(ctx, "127.0.0.1", port, deadline);
  if (!c.ok()) return c.status();
  (void)(*c)->Close(absl::Now() + absl::Milliseconds(200));
  return absl::OkStatus();
}

std::vector<std::shared_ptr<const tls::PskContext>> Contexts(
    const std::vector<Device>& devices, const SecretBytes* same_key,
    const std::vector<tls::CipherSuite>& suites) {
  std::vector<std::shared_ptr<const tls::PskContext>> out;
  out.reserve(devices.size());
  for (const Device& d : devices) {
    tls::ClientOptions co;
    co.transport = tls::Transport::kTls;
    co.cipher_suites = suites;
    co.psk_identity = d.km_id;
    co.psk = same_key ? SecretBytes::Copy(same_key->Reveal()) : SecretBytes::Copy(d.km);
    co.server_name = kMafFqdn;
    auto ctx = tls::PskContext::NewClient(co);
    if (!ctx.ok()) {
      std::fprintf(stderr, "client ctx: %s\n", ctx.status().ToString().c_str());
      std::exit(1);
    }
    out.push_back(*ctx);
  }
  return out;
}

enrolee::MafClientOptions MafOptions(int port, const Device& d, const std::string& identity,
                                     const std::vector<tls::CipherSuite>& suites) {
  enrolee::MafClientOptions o;
  o.maf_host = "127.0.0.1";
  o.maf_port = port;
  o.maf_fqdn = kMafFqdn;
  o.transport = tls::Transport::kTls;
  o.psk_identity = identity;
  o.psk = SecretBytes::Copy(d.km);
  o.originator = d.enrolee_id;
  o.cipher_suites = suites;
  o.timeout = absl::Seconds(10);
  return o;
}

void DropSchema(const std::string& conninfo, const std::string& schema) {
  pg::PoolOptions o = PoolFor(conninfo, "", 1, "maf_load");
  auto p = pg::ConnectionPool::Create(o);
  if (!p.ok()) return;
  (void)(*p)->Run([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    t.exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE");
    return absl::OkStatus();
  });
}

int64_t CountRows(const std::string& conninfo, const std::string& schema,
                  const std::string& table) {
  pg::PoolOptions o = PoolFor(conninfo, schema, 1, "maf_load");
  auto p = pg::ConnectionPool::Create(o);
  int64_t n = -1;
  if (!p.ok()) return n;
  (void)(*p)->Run([&](pqxx::connection& c) {
    pqxx::nontransaction t(c);
    n = t.exec("SELECT count(*) FROM " + table)[0][0].as<int64_t>();
    return absl::OkStatus();
  });
  return n;
}

}  // namespace onem2m::bench
