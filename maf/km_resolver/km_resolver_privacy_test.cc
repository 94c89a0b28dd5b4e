// KmResolver and identity privacy (docs/protocol.md 7): unknown identities are cached as long as
// known ones and cost the same store work (decoy writes, one KmID read), and a refused KmID is
// cleared by its first contact. Fixture: maf/km_resolver/testing/km_resolver_fixture.h.
#include <atomic>
#include <memory>
#include <string>

#include "common/crypto/key_derivation.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/km_resolver.h"
#include "maf/km_resolver/testing/km_resolver_fixture.h"
#include "maf/store/forwarding_maf_store.h"

namespace onem2m {
namespace maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;
using testing::Id;
using testing::KeId;
using testing::kMaf;
using testing::kMef;
using KmResolverTest = testing::KmResolverFixture;

TEST_F(KmResolverTest, NotFoundIsCachedAsLongAsAKnownKm) {
  fetcher_->answer = [](const crypto::KeyId&, absl::Time) {
    return absl::StatusOr<FetchedCredential>(absl::NotFoundError("unknown"));
  };
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fetcher_->calls, 1);
  EXPECT_EQ(resolver_->stats().negative_hits, 1);
  clock_.Advance(absl::Seconds(29));  // within cache_ttl (30 s): still refused from memory
  EXPECT_THAT(Resolve(KeId(1)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(fetcher_->calls, 1);
  clock_.Advance(absl::Seconds(2));
  fetcher_->answer = nullptr;
  EXPECT_THAT(Resolve(KeId(1)), IsOk());
  EXPECT_EQ(fetcher_->calls, 2);
}

// RecordingStore counts the first-contact writes and the KmID reads.
class RecordingStore : public ForwardingMafStore {
 public:
  using ForwardingMafStore::ForwardingMafStore;
  absl::StatusOr<MafCredential> PutCredential(const MafCredential& c) override {
    ++puts;
    return ForwardingMafStore::PutCredential(c);
  }
  absl::Status WriteDecoyCredential(const MafCredential& c) override {
    ++decoy_writes;
    decoy_size = c.km_id.ToString().size() + c.ke_id.ToString().size() + c.km.ciphertext.size() +
                 c.mef_fqdn.size();
    return ForwardingMafStore::WriteDecoyCredential(c);
  }
  absl::StatusOr<MafCredential> GetCredentialByKmId(const crypto::KeyId& id) override {
    ++km_id_reads;
    return ForwardingMafStore::GetCredentialByKmId(id);
  }
  std::atomic<int> puts{0}, decoy_writes{0}, km_id_reads{0};
  std::atomic<size_t> decoy_size{0};
};

// docs/protocol.md 7, "Identity privacy": a KeID the MEF does not know costs the store write a
// known one costs (a decoy of the same size, storing nothing); an unknown KmID is read from the
// store once, then refused from memory like a cached known one.
TEST_F(KmResolverTest, UnknownIdentitiesDoTheWorkOfKnownOnes) {
  MemoryMafStore* mem = store_.get();
  auto recording = std::make_unique<RecordingStore>(std::move(store_));
  RecordingStore* rec = recording.get();
  slow_store_ = std::move(recording);
  KmResolverOptions o;
  o.maf_fqdn = kMaf;
  o.fetchers[kMef] = fetcher_;
  o.store = rec;
  o.envelope = &envelope_;
  o.clock = &clock_;
  absl::StatusOr<std::shared_ptr<KmResolver>> r = KmResolver::Create(std::move(o));
  ASSERT_THAT(r, IsOk());
  resolver_ = *r;

  absl::StatusOr<ResolvedKm> known = Resolve(KeId(1));
  ASSERT_THAT(known, IsOk());
  EXPECT_EQ(rec->puts, 1);
  EXPECT_EQ(rec->decoy_writes, 0);
  absl::StatusOr<MafCredential> stored = mem->GetCredentialByKmId(known->km_id);
  ASSERT_THAT(stored, IsOk());
  const size_t known_size = stored->km_id.ToString().size() + stored->ke_id.ToString().size() +
                            stored->km.ciphertext.size() + stored->mef_fqdn.size();

  fetcher_->answer = [](const crypto::KeyId&, absl::Time) {
    return absl::StatusOr<FetchedCredential>(absl::NotFoundError("unknown"));
  };
  EXPECT_THAT(Resolve(KeId(2)), StatusIs(absl::StatusCode::kNotFound));
  EXPECT_EQ(rec->puts, 1);
  EXPECT_EQ(rec->decoy_writes, 1);
  EXPECT_EQ(rec->decoy_size, known_size);
  EXPECT_THAT(mem->GetCredentialByKeId(Id(2)), StatusIs(absl::StatusCode::kNotFound));

  std::string unknown_km_id = KeId(3);
  unknown_km_id.replace(unknown_km_id.find('@') + 1, std::string::npos, kMaf);
  for (int i = 0; i < 3; ++i) {
    EXPECT_THAT(Resolve(unknown_km_id), StatusIs(absl::StatusCode::kNotFound));
    EXPECT_THAT(Resolve(known->km_id), IsOk());
  }
  EXPECT_EQ(rec->km_id_reads, 1);  // the known KmID is cached since its first contact
  EXPECT_EQ(resolver_->stats().negative_hits, 2);
}

// A KmID refused before its first contact stored it (only the holder of Km can present it) is
// resolved as soon as that first contact has happened on this replica.
TEST_F(KmResolverTest, FirstContactClearsARefusedKmId) {
  FetchedCredential good = fetcher_->Good(Id(5));
  const std::string km_id = *crypto::DeriveKmId(good.km, kMaf);
  EXPECT_THAT(Resolve(km_id), StatusIs(absl::StatusCode::kNotFound));
  ASSERT_THAT(Resolve(KeId(5)), IsOk());
  absl::StatusOr<ResolvedKm> again = Resolve(km_id);
  ASSERT_THAT(again, IsOk());
  EXPECT_TRUE(again->km.Equals(good.km));
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
