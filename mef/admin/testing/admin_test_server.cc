#include "mef/admin/testing/admin_test_server.h"

#include <stdlib.h>

#include <cstdlib>

#include "common/log/logger.h"
#include "mef/store/memory_enrolee_store.h"
#include "mef/store/pg_enrolee_store.h"

namespace onem2m {
namespace mef {
namespace testing {

using ::onem2m::testing::TestPki;

absl::StatusOr<std::unique_ptr<AdminTestServer>> AdminTestServer::Start(
    const std::string& backend, MefAdminOptions options, Wrap wrap) {
  std::unique_ptr<AdminTestServer> s(new AdminTestServer());
  const char* tmp = std::getenv("TEST_TMPDIR");
  std::string templ = std::string(tmp != nullptr ? tmp : "/tmp") + "/admin.XXXXXX";
  if (mkdtemp(templ.data()) == nullptr) return absl::InternalError("mkdtemp failed");
  s->dir_ = templ;
  SetAuditPath(s->audit_path());

  if (backend == "memory") {
    s->base_store_ = std::make_unique<MemoryEnroleeStore>();
  } else {
    if (!pg::TestSchema::Available()) {
      return absl::FailedPreconditionError(pg::TestSchema::SkipMessage());
    }
    absl::StatusOr<std::unique_ptr<pg::TestSchema>> schema = pg::TestSchema::Create();
    if (!schema.ok()) return schema.status();
    s->schema_ = *std::move(schema);
    PgEnroleeStoreOptions o;
    o.pool = s->schema_->PoolOptionsFor();
    o.pool.application_name = "mef-admin-" + s->schema_->name();
    o.pool.max_size = 4;
    absl::StatusOr<std::unique_ptr<PgEnroleeStore>> store = PgEnroleeStore::Create(o);
    if (!store.ok()) return store.status();
    s->base_store_ = *std::move(store);
  }
  s->store_ = s->base_store_.get();
  if (wrap) {
    s->wrapped_store_ = wrap(s->base_store_.get());
    s->store_ = s->wrapped_store_.get();
  }

  // A test may bring its own keyring (options.envelope, e.g. mid-rotation); else one fresh key.
  s->envelope_ = std::make_unique<crypto::Envelope>(crypto::Keyring::Generate(1));
  if (options.envelope == nullptr) options.envelope = s->envelope_.get();
  s->used_envelope_ = options.envelope;
  s->sealer_ = std::make_unique<EnvelopeKpmSealer>(options.envelope);
  if (options.admin_identities.empty()) options.admin_identities = {kAdminIdentity};
  absl::StatusOr<std::unique_ptr<MefAdminServiceImpl>> service =
      MefAdminServiceImpl::Create(s->store_, s->sealer_.get(), std::move(options));
  if (!service.ok()) return service.status();
  s->service_ = *std::move(service);

  s->pki_ = std::make_unique<TestPki>(TestPki::Create());
  TestPki::Leaf server = s->pki_->Issue("localhost");
  for (auto [name, text] : {std::pair<const char*, const std::string*>{"ca.crt", &s->pki_->ca_pem()},
                            {"server.crt", &server.cert_pem},
                            {"server.key", &server.key_pem}}) {
    absl::Status w = TestPki::WriteFile(s->dir_ + "/" + name, *text);
    if (!w.ok()) return w;
  }
  absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> creds = grpcutil::MakeServerCredentials(
      {s->dir_ + "/server.crt", s->dir_ + "/server.key", s->dir_ + "/ca.crt"});
  if (!creds.ok()) return creds.status();
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", *creds, &s->port_);
  builder.RegisterService(s->service_.get());
  s->server_ = builder.BuildAndStart();
  if (s->server_ == nullptr || s->port_ == 0) return absl::InternalError("server did not start");
  return s;
}

AdminTestServer::~AdminTestServer() { Shutdown(); }

void AdminTestServer::Shutdown() {
  if (server_ != nullptr) server_->Shutdown();  // no deadline: waits for the handlers
}

grpcutil::TlsFiles AdminTestServer::ClientFiles(const std::string& identity) {
  if (identity.empty()) return {"", "", dir_ + "/ca.crt"};
  TestPki::Leaf leaf = pki_->Issue(identity);
  const std::string stem = dir_ + "/client-" + identity;
  (void)TestPki::WriteFile(stem + ".crt", leaf.cert_pem);
  (void)TestPki::WriteFile(stem + ".key", leaf.key_pem);
  return {stem + ".crt", stem + ".key", dir_ + "/ca.crt"};
}

std::unique_ptr<::onem2m::rsp::v1::MefAdminService::Stub> AdminTestServer::NewStub(
    const std::string& identity) {
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> creds =
      grpcutil::MakeChannelCredentials(ClientFiles(identity));
  if (!creds.ok()) std::abort();  // test helper: the files were just written
  grpc::ChannelArguments args;
  args.SetSslTargetNameOverride("localhost");
  return ::onem2m::rsp::v1::MefAdminService::NewStub(
      grpc::CreateCustomChannel(address(), *creds, args));
}

}  // namespace testing
}  // namespace mef
}  // namespace onem2m
