#include "common/tls/dgram_bio.h"

#include <openssl/bio.h>

#include <string>

#include "gtest/gtest.h"

namespace onem2m {
namespace tls {
namespace {

TEST(DatagramBioTest, PreservesDatagramBoundaries) {
  BIO* bio = NewDatagramBio(1200);
  ASSERT_NE(bio, nullptr);
  DatagramBioPush(bio, "first");
  DatagramBioPush(bio, "second!");
  char buf[64];
  EXPECT_EQ(BIO_read(bio, buf, sizeof(buf)), 5);
  EXPECT_EQ(std::string(buf, 5), "first");
  EXPECT_EQ(BIO_read(bio, buf, 3), 3);  // Truncated, like recv().
  EXPECT_EQ(std::string(buf, 3), "sec");
  EXPECT_LE(BIO_read(bio, buf, sizeof(buf)), 0);
  EXPECT_TRUE(BIO_should_retry(bio));
  EXPECT_TRUE(BIO_should_read(bio));
  BIO_free(bio);
}

TEST(DatagramBioTest, EachWriteIsOneDatagram) {
  BIO* bio = NewDatagramBio(1200);
  ASSERT_NE(bio, nullptr);
  EXPECT_EQ(BIO_write(bio, "abc", 3), 3);
  EXPECT_EQ(BIO_write(bio, "defg", 4), 4);
  EXPECT_EQ(DatagramBioPendingOut(bio), 2u);
  std::string out;
  ASSERT_TRUE(DatagramBioPop(bio, &out));
  EXPECT_EQ(out, "abc");
  ASSERT_TRUE(DatagramBioPop(bio, &out));
  EXPECT_EQ(out, "defg");
  EXPECT_FALSE(DatagramBioPop(bio, &out));
  EXPECT_EQ(BIO_ctrl(bio, BIO_CTRL_DGRAM_QUERY_MTU, 0, nullptr), 1200);
  BIO_free(bio);
}

TEST(DatagramBioTest, BoundsIncomingQueue) {
  BIO* bio = NewDatagramBio(1200);
  ASSERT_NE(bio, nullptr);
  for (size_t i = 0; i < kMaxQueuedDatagrams + 5; ++i) DatagramBioPush(bio, std::to_string(i));
  char buf[16];
  int n = BIO_read(bio, buf, sizeof(buf));
  ASSERT_GT(n, 0);
  EXPECT_EQ(std::string(buf, n), "5");  // The 5 oldest were dropped.
  BIO_free(bio);
}

}  // namespace
}  // namespace tls
}  // namespace onem2m
