#include "maf/km_resolver/km_cache.h"

#include "absl/strings/ascii.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace maf {
namespace {

const absl::Time kNow = absl::FromUnixSeconds(1800000000);

// KmId(i) / KeId(i) are the i-th KmID and KeID of the tests.
crypto::KeyId KmId(int i) {
  return *crypto::KeyId::FromParts(std::string(15, 'K') + static_cast<char>(i), "maf.a");
}
crypto::KeyId KeId(int i) {
  return *crypto::KeyId::FromParts(std::string(15, '\xEE') + static_cast<char>(i), "mef.a");
}

ResolvedKm Entry(int i, const std::string& enrolee = "C-1", const std::string& mef = "mef.a") {
  ResolvedKm r;
  r.km = SecretBytes::Copy(std::string(32, static_cast<char>(i)));
  r.km_id = KmId(i);
  r.ke_id = KeId(i);
  r.enrolee_id = enrolee;
  r.mef_fqdn = mef;
  r.expires_at = kNow + absl::Hours(1);
  return r;
}

TEST(KmCacheTest, FindsByKmIdAndKeId) {
  KmCache c(4);
  c.Put(Entry(1), kNow + absl::Minutes(1));
  ASSERT_TRUE(c.GetByKmId(KmId(1), kNow).has_value());
  std::optional<ResolvedKm> hit = c.GetByKeId(KeId(1), kNow);
  ASSERT_TRUE(hit.has_value());
  EXPECT_TRUE(hit->km.Equals(Entry(1).km));
  EXPECT_FALSE(c.GetByKeId(KeId(2), kNow).has_value());
}

TEST(KmCacheTest, EntryDiesAtValidUntilOrKeExpiryWhicheverFirst) {
  KmCache c(4);
  c.Put(Entry(1), kNow + absl::Minutes(1));
  EXPECT_FALSE(c.GetByKmId(KmId(1), kNow + absl::Minutes(1)).has_value());
  EXPECT_EQ(c.size(), 0u);
  ResolvedKm e = Entry(2);
  e.expires_at = kNow + absl::Seconds(10);
  c.Put(e, kNow + absl::Hours(5));
  EXPECT_FALSE(c.GetByKeId(KeId(2), kNow + absl::Seconds(10)).has_value());
}

TEST(KmCacheTest, EvictsLeastRecentlyUsedAtCapacity) {
  KmCache c(2);
  c.Put(Entry(1), kNow + absl::Minutes(1));
  c.Put(Entry(2), kNow + absl::Minutes(1));
  ASSERT_TRUE(c.GetByKmId(KmId(1), kNow).has_value());  // 2 is now the oldest
  c.Put(Entry(3), kNow + absl::Minutes(1));
  EXPECT_EQ(c.size(), 2u);
  EXPECT_TRUE(c.GetByKmId(KmId(1), kNow).has_value());
  EXPECT_FALSE(c.GetByKmId(KmId(2), kNow).has_value());
  EXPECT_FALSE(c.GetByKeId(KeId(2), kNow).has_value());
}

TEST(KmCacheTest, EraseByEnroleeKeIdAndMef) {
  KmCache c(10);
  c.Put(Entry(1, "C-x", "mef.a"), kNow + absl::Minutes(1));
  c.Put(Entry(2, "C-x", "mef.b"), kNow + absl::Minutes(1));
  c.Put(Entry(3, "C-y", "mef.b"), kNow + absl::Minutes(1));
  c.Put(Entry(4, "C-z", "mef.c"), kNow + absl::Minutes(1));
  EXPECT_EQ(c.EraseEnrolee("C-x"), 2);
  EXPECT_EQ(c.EraseMef("mef.b"), 1);
  EXPECT_EQ(c.EraseKeId(KeId(4)), 1);
  EXPECT_EQ(c.size(), 0u);
}

TEST(KmCacheTest, EraseKmIdTellsTheKeIdOfAKnownEntryOnly) {
  KmCache c(10);
  c.Put(Entry(1), kNow + absl::Minutes(1));
  c.Put(Entry(2), kNow + absl::Minutes(1), KmCache::Kind::kUnknown);
  std::optional<crypto::KeyId> ke_id;
  EXPECT_EQ(c.EraseKmId(KmId(1), &ke_id), 1);
  ASSERT_TRUE(ke_id.has_value());
  EXPECT_EQ(*ke_id, KeId(1));
  EXPECT_FALSE(c.GetByKeId(KeId(1), kNow).has_value());

  ke_id.reset();
  EXPECT_EQ(c.EraseKmId(KmId(2), &ke_id), 1);
  EXPECT_FALSE(ke_id.has_value());
  EXPECT_EQ(c.EraseKmId(KmId(3), &ke_id), 0);
  EXPECT_FALSE(ke_id.has_value());
  EXPECT_EQ(c.size(), 0u);
}

TEST(KmCacheTest, FindsAnIdentifierPresentedInEitherHexCase) {
  KmCache c(4);
  c.Put(Entry(1), kNow + absl::Minutes(1));
  const std::string lower = absl::AsciiStrToLower(KeId(1).ToString());
  ASSERT_NE(lower, KeId(1).ToString());
  EXPECT_TRUE(c.GetByKeId(*crypto::KeyId::Parse(lower), kNow).has_value());
  EXPECT_TRUE(c.GetByKmId(*crypto::KeyId::Parse(absl::AsciiStrToLower(KmId(1).ToString())), kNow)
                  .has_value());
}

// Unknown(id) is an entry for an identity that resolves to nothing: the decoy's Km under the
// identity (the resolver pairs it with a random identifier of the other kind).
ResolvedKm Unknown(const crypto::KeyId& id) {
  ResolvedKm r = Entry(0, "C-decoy");
  r.km_id = id;
  r.ke_id = id;
  return r;
}

TEST(KmCacheTest, TellsKnownFromUnknownEntriesFoundByEitherIdentifier) {
  KmCache c(4, 4);
  c.Put(Entry(1), kNow + absl::Minutes(1));
  c.Put(Unknown(KeId(2)), kNow + absl::Minutes(1), KmCache::Kind::kUnknown);
  c.Put(Unknown(KmId(3)), kNow + absl::Minutes(1), KmCache::Kind::kUnknown);
  KmCache::Kind kind = KmCache::Kind::kUnknown;
  ASSERT_TRUE(c.GetByKmId(KmId(1), kNow, &kind).has_value());
  EXPECT_EQ(kind, KmCache::Kind::kKnown);
  ASSERT_TRUE(c.GetByKeId(KeId(1), kNow, &kind).has_value());
  EXPECT_EQ(kind, KmCache::Kind::kKnown);
  kind = KmCache::Kind::kKnown;
  std::optional<ResolvedKm> unknown_ke_id = c.GetByKeId(KeId(2), kNow, &kind);
  ASSERT_TRUE(unknown_ke_id.has_value());
  EXPECT_EQ(kind, KmCache::Kind::kUnknown);
  EXPECT_EQ(unknown_ke_id->enrolee_id, "C-decoy");
  kind = KmCache::Kind::kKnown;
  ASSERT_TRUE(c.GetByKmId(KmId(3), kNow, &kind).has_value());
  EXPECT_EQ(kind, KmCache::Kind::kUnknown);
  EXPECT_EQ(c.size(KmCache::Kind::kKnown), 1u);
  EXPECT_EQ(c.size(KmCache::Kind::kUnknown), 2u);
}

TEST(KmCacheTest, AFloodOfUnknownIdentitiesEvictsOnlyUnknownOnes) {
  KmCache c(/*known_capacity=*/2, /*unknown_capacity=*/3);
  c.Put(Entry(1), kNow + absl::Minutes(1));
  c.Put(Entry(2), kNow + absl::Minutes(1));
  for (int i = 10; i < 110; ++i) {
    c.Put(Unknown(KmId(i)), kNow + absl::Minutes(1), KmCache::Kind::kUnknown);
  }
  EXPECT_EQ(c.size(KmCache::Kind::kUnknown), 3u);
  EXPECT_EQ(c.size(KmCache::Kind::kKnown), 2u);
  EXPECT_TRUE(c.GetByKmId(KmId(1), kNow).has_value());
  EXPECT_TRUE(c.GetByKmId(KmId(2), kNow).has_value());
  EXPECT_TRUE(c.GetByKmId(KmId(109), kNow).has_value());
  EXPECT_FALSE(c.GetByKmId(KmId(106), kNow).has_value());
  // And known entries evict only known ones.
  c.Put(Entry(3), kNow + absl::Minutes(1));
  EXPECT_FALSE(c.GetByKmId(KmId(1), kNow).has_value());
  EXPECT_EQ(c.size(KmCache::Kind::kUnknown), 3u);
}

TEST(KmCacheTest, AnIdentityLearnedLaterReplacesItsUnknownEntry) {
  KmCache c(4, 4);
  c.Put(Unknown(KeId(1)), kNow + absl::Minutes(1), KmCache::Kind::kUnknown);
  c.Put(Unknown(KmId(1)), kNow + absl::Minutes(1), KmCache::Kind::kUnknown);
  c.Put(Entry(1), kNow + absl::Minutes(1));  // KmId(1) and KeId(1) both resolve now
  EXPECT_EQ(c.size(), 1u);
  KmCache::Kind kind = KmCache::Kind::kUnknown;
  ASSERT_TRUE(c.GetByKeId(KeId(1), kNow, &kind).has_value());
  EXPECT_EQ(kind, KmCache::Kind::kKnown);
  ASSERT_TRUE(c.GetByKmId(KmId(1), kNow, &kind).has_value());
  EXPECT_EQ(kind, KmCache::Kind::kKnown);
  // A revocation by KeID drops an unknown entry too.
  c.Put(Unknown(KeId(5)), kNow + absl::Minutes(1), KmCache::Kind::kUnknown);
  EXPECT_EQ(c.EraseKeId(KeId(5)), 1);
  EXPECT_EQ(c.size(KmCache::Kind::kUnknown), 0u);
}

}  // namespace
}  // namespace maf
}  // namespace onem2m
