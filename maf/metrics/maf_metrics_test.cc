#include "maf/metrics/maf_metrics.h"

#include <prometheus/text_serializer.h>

#include <memory>
#include <string>

#include "absl/strings/str_cat.h"
#include "common/crypto/key_id.h"
#include "common/testing/status_matchers.h"
#include "gtest/gtest.h"
#include "maf/km_resolver/testing/fake_fetcher.h"

namespace onem2m::maf {
namespace {

using ::onem2m::testing::IsOk;
using ::onem2m::testing::StatusIs;

using testing::FakeFetcher;

const crypto::KeyId kGood = *crypto::KeyId::FromParts(std::string(16, '\x01'), "mef.example.com");
const crypto::KeyId kBad = *crypto::KeyId::FromParts(std::string(16, '\x02'), "mef.example.com");

// NewFetcher returns the shared fake, answering NOT_FOUND for kBad.
std::shared_ptr<FakeFetcher> NewFetcher() {
  auto f = std::make_shared<FakeFetcher>();
  f->answer = [f = f.get()](const crypto::KeyId& ke_id,
                            absl::Time) -> absl::StatusOr<FetchedCredential> {
    if (ke_id == kBad) return absl::NotFoundError("no");
    return f->Good(ke_id);
  };
  return f;
}

TEST(MafMetricsTest, TimedFetcherCountsOutcomesAndPassesResultsThrough) {
  prometheus::Registry registry;
  MafMetrics metrics(registry);
  auto fetcher = metrics.Timed(NewFetcher());
  auto ok = fetcher->Fetch(kGood, absl::InfiniteFuture());
  ASSERT_THAT(ok, IsOk());
  EXPECT_EQ(ok->ke_id, kGood);
  EXPECT_THAT(fetcher->Fetch(kBad, absl::InfiniteFuture()), StatusIs(absl::StatusCode::kNotFound));
  metrics.OnRequest("/maf/clients", 2001);
  prometheus::TextSerializer s;
  std::string text = s.Serialize(registry.Collect());
  EXPECT_NE(text.find("onem2m_maf_credential_fetches_total{outcome=\"ok\"} 1"), std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_maf_credential_fetches_total{outcome=\"not_found\"} 1"),
            std::string::npos);
  EXPECT_NE(text.find("onem2m_maf_requests_total{path=\"/maf/clients\",rsc=\"2001\"} 1"),
            std::string::npos);
}

TEST(MafMetricsTest, TimedFetcherCountsAsynchronousFetches) {
  prometheus::Registry registry;
  MafMetrics metrics(registry);
  auto fetcher = metrics.Timed(NewFetcher());
  absl::StatusOr<FetchedCredential> got = absl::UnknownError("no answer");
  fetcher->FetchAsync(kBad, absl::InfiniteFuture(),
                      [&](absl::StatusOr<FetchedCredential> r) { got = std::move(r); });
  EXPECT_THAT(got, StatusIs(absl::StatusCode::kNotFound));
  prometheus::TextSerializer s;
  std::string text = s.Serialize(registry.Collect());
  EXPECT_NE(text.find("onem2m_maf_credential_fetches_total{outcome=\"not_found\"} 1"),
            std::string::npos)
      << text;
}

TEST(MafMetricsTest, HandshakeNotesAreExportedFromZeroByOutcome) {
  prometheus::Registry registry;
  MafMetrics metrics(registry);
  prometheus::TextSerializer s;
  std::string text = s.Serialize(registry.Collect());
  for (const char* outcome : {"written", "failed", "dropped"}) {
    EXPECT_NE(
        text.find(absl::StrCat("onem2m_maf_handshake_notes_total{outcome=\"", outcome, "\"} 0")),
        std::string::npos)
        << text;
  }
  metrics.OnHandshakeNotes("written", 40);
  metrics.OnHandshakeNotes("failed", 3);
  metrics.OnHandshakeNotes("made-up", 1);
  text = s.Serialize(registry.Collect());
  EXPECT_NE(text.find("onem2m_maf_handshake_notes_total{outcome=\"written\"} 40"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_maf_handshake_notes_total{outcome=\"failed\"} 3"), std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_maf_handshake_notes_total{outcome=\"other\"} 1"), std::string::npos)
      << text;
}

TEST(MafMetricsTest, RevocationWriteFailuresAreExportedFromZeroByPath) {
  prometheus::Registry registry;
  MafMetrics metrics(registry);
  prometheus::TextSerializer s;
  std::string text = s.Serialize(registry.Collect());
  EXPECT_NE(text.find("onem2m_maf_revocation_write_failures_total{path=\"watch\"} 0"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_maf_revocation_write_failures_total{path=\"fetch\"} 0"),
            std::string::npos)
      << text;
  metrics.OnRevocationWriteFailure("watch");
  metrics.OnRevocationWriteFailure("watch");
  metrics.OnRevocationWriteFailure("fetch");
  metrics.OnRevocationWriteFailure("anything");
  text = s.Serialize(registry.Collect());
  EXPECT_NE(text.find("onem2m_maf_revocation_write_failures_total{path=\"watch\"} 2"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_maf_revocation_write_failures_total{path=\"fetch\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_maf_revocation_write_failures_total{path=\"other\"} 1"),
            std::string::npos)
      << text;
}

TEST(MafMetricsTest, RequestPathLabelIsBoundedToTheRouteTable) {
  prometheus::Registry registry;
  MafMetrics metrics(registry);
  metrics.OnRequest("/maf/keys/retrieve", 2000);
  for (int i = 0; i < 100; ++i) metrics.OnRequest("/attacker/" + std::to_string(i), 4004);
  prometheus::TextSerializer s;
  std::string text = s.Serialize(registry.Collect());
  EXPECT_NE(text.find("onem2m_maf_requests_total{path=\"/maf/keys/retrieve\",rsc=\"2000\"} 1"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("onem2m_maf_requests_total{path=\"other\",rsc=\"4004\"} 100"),
            std::string::npos)
      << text;
  EXPECT_EQ(text.find("/attacker/"), std::string::npos) << text;
  EXPECT_EQ(RouteLabel("/maf/clients/config"), "/maf/clients/config");
  EXPECT_EQ(RouteLabel("/enrolment/x"), "other");
}

TEST(MafMetricsTest, KeyRetrievalOutcomeIsBoundedToTheFixedSet) {
  prometheus::Registry registry;
  MafMetrics metrics(registry);
  for (const std::string& o : KeyRetrievalOutcomes())
    metrics.OnKeyRetrieval(o, absl::Milliseconds(1));
  metrics.OnKeyRetrieval("caller-chosen", absl::Milliseconds(1));
  prometheus::TextSerializer s;
  const std::string text = s.Serialize(registry.Collect());
  for (const std::string& o : KeyRetrievalOutcomes()) {
    EXPECT_NE(text.find("onem2m_maf_key_retrievals_total{outcome=\"" + o + "\"} 1"),
              std::string::npos)
        << o;
  }
  EXPECT_NE(text.find("onem2m_maf_key_retrievals_total{outcome=\"other\"} 1"), std::string::npos);
  EXPECT_EQ(text.find("caller-chosen"), std::string::npos);
}

}  // namespace
}  // namespace onem2m::maf
