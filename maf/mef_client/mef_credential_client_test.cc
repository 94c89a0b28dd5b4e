#include "maf/mef_client/mef_credential_client.h"

#include <atomic>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/synchronization/notification.h"
#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/grpc/mtls.h"
#include "common/testing/mtls_env.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/mef_client/testing/fake_mef.h"
#include "maf/store/memory_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;
using testing::FakeMef;
constexpr const char* kMaf = testing::kFakeMaf;
constexpr const char* kMef = testing::kFakeMef;

class MefCredentialClientTest : public ::testing::Test {
 protected:
  void SetUp() override { env_.Start({&mef_}); }
  MefCredentialClient Client(const std::string& identity, Backoff backoff = {}) {
    return MefCredentialClient(env_.Channel(identity), kMaf, backoff);
  }
  absl::Time Deadline() { return absl::Now() + absl::Seconds(5); }

  ::onem2m::testing::MtlsEnv env_;
  FakeMef mef_;
};

TEST_F(MefCredentialClientTest, FetchesKmOverMutualTls) {
  MefCredentialClient f = Client(kMaf);
  absl::StatusOr<FetchedCredential> c = f.Fetch(mef_.key_id(), Deadline());
  ASSERT_THAT(c, IsOk());
  EXPECT_TRUE(c->km.Equals(SecretBytes::Copy(std::string(32, 'm'))));
  EXPECT_EQ(c->enrolee_id, "C-dev1");
  EXPECT_EQ(c->ke_id, mef_.key_id());
  EXPECT_GT(c->expires_at, absl::Now());
}

TEST_F(MefCredentialClientTest, PassesMefStatusesThrough) {
  MefCredentialClient f = Client(kMaf);
  crypto::KeyId other = *crypto::KeyId::FromParts(std::string(16, 'F'), kMef);
  EXPECT_THAT(f.Fetch(other, Deadline()), StatusIs(absl::StatusCode::kNotFound));
  MefCredentialClient wrong = Client("maf2.example.com");
  EXPECT_THAT(wrong.Fetch(mef_.key_id(), Deadline()),
              StatusIs(absl::StatusCode::kPermissionDenied));
}

TEST_F(MefCredentialClientTest, AcceptsTheKeIdAnsweredInEitherHexCase) {
  // docs/protocol.md 3: parsers accept either case, so an answer naming the KeID in lower-case hex
  // names the KeID asked for (compared as a KeyId, not as text).
  mef_.answer_ke_id = absl::AsciiStrToLower(mef_.ke_id);
  MefCredentialClient f = Client(kMaf);
  absl::StatusOr<FetchedCredential> c = f.Fetch(mef_.key_id(), Deadline());
  ASSERT_THAT(c, IsOk());
  EXPECT_EQ(c->ke_id, mef_.key_id());
  EXPECT_EQ(c->ke_id.ToString(), mef_.ke_id);
}

TEST_F(MefCredentialClientTest, RefusesAnAnswerForAnotherKeId) {
  mef_.answer_ke_id = *crypto::FormatKeyId(std::string(16, 'F'), kMef);
  MefCredentialClient f = Client(kMaf);
  EXPECT_THAT(f.Fetch(mef_.key_id(), Deadline()), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(MefCredentialClientTest, RefusesKmDerivedForAnotherMaf) {
  mef_.maf_id = "maf2.example.com";
  MefCredentialClient f = Client(kMaf);
  EXPECT_THAT(f.Fetch(mef_.key_id(), Deadline()), StatusIs(absl::StatusCode::kInternal));
}

TEST_F(MefCredentialClientTest, RetriesAnOverloadedMefOnATimer) {
  mef_.unavailable_replies = 2;
  MefCredentialClient f = Client(kMaf, {absl::Milliseconds(1), absl::Milliseconds(5), 2.0, 0.5});
  absl::Notification answered;
  absl::StatusOr<FetchedCredential> got = absl::UnknownError("no answer");
  std::thread::id answered_on;
  f.FetchAsync(mef_.key_id(), Deadline(), [&](absl::StatusOr<FetchedCredential> r) {
    got = std::move(r);
    answered_on = std::this_thread::get_id();
    answered.Notify();
  });
  answered.WaitForNotification();
  EXPECT_THAT(got, IsOk());
  EXPECT_EQ(mef_.calls, 3);
  // The retries ran on gRPC's threads (RPC callbacks and the backoff alarm), not on the caller's.
  EXPECT_NE(answered_on, std::this_thread::get_id());
}

TEST_F(MefCredentialClientTest, SyncFetchRetriesUntilServed) {
  mef_.unavailable_replies = 1;
  MefCredentialClient f = Client(kMaf, {absl::Milliseconds(1), absl::Milliseconds(5), 2.0, 0.5});
  EXPECT_THAT(f.Fetch(mef_.key_id(), Deadline()), IsOk());
  EXPECT_EQ(mef_.calls, 2);
}

TEST_F(MefCredentialClientTest, GivesUpAtTheDeadlineWithTheLastError) {
  mef_.unavailable_replies = 1 << 30;
  MefCredentialClient f = Client(kMaf, {absl::Milliseconds(5), absl::Milliseconds(20), 2.0, 0.5});
  // The last error, or DEADLINE_EXCEEDED when an attempt was still in flight at the deadline.
  EXPECT_THAT(f.Fetch(mef_.key_id(), absl::Now() + absl::Milliseconds(200)),
              ::testing::AnyOf(StatusIs(absl::StatusCode::kUnavailable),
                               StatusIs(absl::StatusCode::kDeadlineExceeded)));
  EXPECT_GE(mef_.calls, 2);
}

TEST_F(MefCredentialClientTest, PastDeadlineAnswersWithoutCalling) {
  MefCredentialClient f = Client(kMaf);
  EXPECT_THAT(f.Fetch(mef_.key_id(), absl::Now() - absl::Seconds(1)),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_EQ(mef_.calls, 0);
}

TEST_F(MefCredentialClientTest, ResolverEndToEndOverGrpc) {
  std::unique_ptr<MemoryMafStore> store = MemoryMafStore::Create();
  crypto::Envelope envelope(crypto::Keyring::Generate(1));
  KmResolverOptions o;
  o.maf_fqdn = kMaf;
  o.fetchers[kMef] = std::make_shared<MefCredentialClient>(env_.Channel(kMaf), kMaf);
  o.store = store.get();
  o.envelope = &envelope;
  std::shared_ptr<KmResolver> r = *KmResolver::Create(std::move(o));
  absl::StatusOr<ResolvedKm> km = r->Resolve(mef_.ke_id, Deadline());
  ASSERT_THAT(km, IsOk());
  EXPECT_EQ(km->km_id.ToString(),
            *crypto::DeriveKmId(SecretBytes::Copy(std::string(32, 'm')), kMaf));
  EXPECT_THAT(r->Resolve(km->km_id.ToString(), Deadline()), IsOk());
  EXPECT_EQ(mef_.calls, 1);
  EXPECT_TRUE(r->WaitIdle(Deadline()));
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
