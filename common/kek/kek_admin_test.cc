#include "common/kek/kek_admin.h"

#include <map>

#include "common/secret_bytes.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace kek {
namespace {

// TwoVersions is an envelope over KEK versions 1 and 2; `out_v1` (optional) gets a copy of v1.
crypto::Envelope TwoVersions(uint32_t active, SecretBytes* out_v1 = nullptr) {
  std::map<uint32_t, SecretBytes> keys;
  SecretBytes v1 = SecretBytes::Random(crypto::kKekLen);
  if (out_v1 != nullptr) *out_v1 = SecretBytes::Copy(v1.Reveal());
  keys.emplace(1, std::move(v1));
  keys.emplace(2, SecretBytes::Random(crypto::kKekLen));
  return crypto::Envelope(*crypto::Keyring::FromKeys(std::move(keys), active));
}

TEST(KekAdminTest, FillKekStatusMarksVersionsMissingFromTheKeyring) {
  crypto::Envelope e = TwoVersions(2);
  ::onem2m::rsp::v1::KekStatusResponse r;
  FillKekStatus(e, {{"maf_keys.key", 1, 5}, {"maf_keys.key", 7, 1}}, &r);
  EXPECT_EQ(r.active_kek_version(), 2u);
  ASSERT_EQ(r.keyring_versions_size(), 2);
  ASSERT_EQ(r.counts_size(), 2);
  EXPECT_EQ(r.counts(0).column(), "maf_keys.key");
  EXPECT_EQ(r.counts(0).rows(), 5);
  EXPECT_TRUE(r.counts(0).in_keyring());
  EXPECT_FALSE(r.counts(1).in_keyring());
}

TEST(KekAdminTest, RewrapBatchSizeDefaultsAndBounds) {
  ::onem2m::rsp::v1::RewrapBatchRequest req;
  EXPECT_EQ(*RewrapBatchSize(req), 1000);
  req.set_batch_size(10000);
  EXPECT_EQ(*RewrapBatchSize(req), 10000);
  req.set_batch_size(10001);
  EXPECT_EQ(RewrapBatchSize(req).status().code(), absl::StatusCode::kInvalidArgument);
  req.set_batch_size(-1);
  EXPECT_EQ(RewrapBatchSize(req).status().code(), absl::StatusCode::kInvalidArgument);
}

TEST(KekAdminTest, ResealUnderActiveKeepsTheKeyAndItsBinding) {
  SecretBytes v1;
  crypto::Envelope e = TwoVersions(2, &v1);
  std::map<uint32_t, SecretBytes> only1;
  only1.emplace(1, std::move(v1));
  crypto::Envelope old(*crypto::Keyring::FromKeys(std::move(only1), 1));
  const SecretBytes key = SecretBytes::Random(32);
  absl::StatusOr<std::string> blob = old.Seal(key, "row-1");
  ASSERT_TRUE(blob.ok());
  absl::StatusOr<std::string> fresh = ResealUnderActive(e, "row-1", *blob);
  ASSERT_TRUE(fresh.ok()) << fresh.status();
  EXPECT_EQ(*crypto::SealedKeyVersion(*fresh), 2u);
  EXPECT_EQ(e.Open(*fresh, "row-1")->Reveal(), key.Reveal());
  // Bound to the row id: another id does not open.
  EXPECT_EQ(ResealUnderActive(e, "row-2", *blob).status().code(), absl::StatusCode::kDataLoss);
  EXPECT_EQ(*ActiveVersion(e), 2);
}

}  // namespace
}  // namespace kek
}  // namespace onem2m
