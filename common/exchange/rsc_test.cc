#include "common/exchange/rsc.h"

#include "common/coap/coap_message.h"
#include "gtest/gtest.h"

namespace onem2m {
namespace exchange {
namespace {

TEST(RscTest, MapsDocumentedCodes) {
  struct Row {
    int rsc, http;
    uint8_t coap;
  };
  for (const Row& r : {Row{2000, 200, coap::kCodeContent}, Row{2001, 201, coap::kCodeCreated},
                       Row{2002, 200, coap::kCodeDeleted}, Row{2004, 200, coap::kCodeChanged},
                       Row{4000, 400, coap::kCodeBadRequest}, Row{4004, 404, coap::kCodeNotFound},
                       Row{4001, 501, coap::kCodeNotImplemented},
                       Row{4005, 405, coap::kCodeMethodNotAllowed},
                       Row{4015, 415, coap::kCodeUnsupportedContentFormat},
                       Row{4103, 403, coap::kCodeForbidden}, Row{4105, 409, coap::kCodeForbidden},
                       Row{5000, 500, coap::kCodeInternalServerError},
                       Row{5001, 501, coap::kCodeNotImplemented},
                       Row{5207, 406, coap::kCodeNotAcceptable}}) {
    SCOPED_TRACE(r.rsc);
    EXPECT_EQ(HttpStatusForRsc(r.rsc), r.http);
    EXPECT_EQ(CoapCodeForRsc(r.rsc, Method::kGet), r.coap);
  }
}

// TS-0008 V3.9 table 6.2.4-1 rows "2000 (for RETRIEVE operation) 2.05" and "2000 (for NOTIFY
// operation) 2.04", and RFC 7252 5.9.1: 2.05 only answers GET (FETCH), 2.04 answers POST and PUT,
// 2.02 DELETE.
TEST(RscTest, CoapCodeForOkDependsOnTheMethod) {
  EXPECT_EQ(CoapCodeForRsc(kRscOk, Method::kGet), coap::kCodeContent);
  EXPECT_EQ(CoapCodeForRsc(kRscOk, Method::kPost), coap::kCodeChanged);
  EXPECT_EQ(CoapCodeForRsc(kRscOk, Method::kPut), coap::kCodeChanged);
  EXPECT_EQ(CoapCodeForRsc(kRscOk, Method::kDelete), coap::kCodeDeleted);
  // An unknown 2xxx answers like 2000.
  EXPECT_EQ(CoapCodeForRsc(2999, Method::kPost), coap::kCodeChanged);
  EXPECT_EQ(CoapCodeForRsc(2999, Method::kGet), coap::kCodeContent);
  // Every other code keeps its table row whatever the method.
  for (Method m : {Method::kGet, Method::kPost, Method::kPut, Method::kDelete}) {
    EXPECT_EQ(CoapCodeForRsc(kRscCreated, m), coap::kCodeCreated);
    EXPECT_EQ(CoapCodeForRsc(kRscUpdated, m), coap::kCodeChanged);
    EXPECT_EQ(CoapCodeForRsc(kRscDeleted, m), coap::kCodeDeleted);
    EXPECT_EQ(CoapCodeForRsc(kRscUnsupportedMediaType, m), coap::kCodeUnsupportedContentFormat);
    EXPECT_EQ(CoapCodeForRsc(kRscConflict, m), coap::kCodeForbidden);
    EXPECT_EQ(CoapCodeForRsc(4999, m), coap::kCodeBadRequest);
    EXPECT_EQ(CoapCodeForRsc(6003, m), coap::kCodeInternalServerError);
  }
}

TEST(RscTest, UnsupportedMediaTypeNames) {
  EXPECT_EQ(RscName(4015), "UNSUPPORTED_MEDIA_TYPE");
  EXPECT_EQ(RscName(4001), "RELEASE_VERSION_NOT_SUPPORTED");
  EXPECT_EQ(RscFromHttpStatus(415), 4015);
  EXPECT_EQ(RscFromCoapCode(coap::kCodeUnsupportedContentFormat), 4015);
}

TEST(RscTest, UnknownCodesFallBackByClass) {
  EXPECT_EQ(HttpStatusForRsc(2999), 200);
  EXPECT_EQ(HttpStatusForRsc(4999), 400);
  EXPECT_EQ(HttpStatusForRsc(6003), 500);
  EXPECT_EQ(CoapCodeForRsc(4999, Method::kGet), coap::kCodeBadRequest);
  EXPECT_EQ(RscName(4999), "UNKNOWN");
}

TEST(RscTest, StatusMapsToRsc) {
  EXPECT_EQ(RscForStatus(absl::OkStatus()), 2000);
  EXPECT_EQ(RscForStatus(absl::InvalidArgumentError("x")), 4000);
  EXPECT_EQ(RscForStatus(absl::NotFoundError("x")), 4004);
  EXPECT_EQ(RscForStatus(absl::PermissionDeniedError("x")), 4103);
  EXPECT_EQ(RscForStatus(absl::AlreadyExistsError("x")), 4105);
  EXPECT_EQ(RscForStatus(absl::UnimplementedError("x")), 5001);
  EXPECT_EQ(RscForStatus(absl::UnavailableError("x")), 5000);
}

TEST(RscTest, WithRscOverridesMapping) {
  EXPECT_EQ(RscForStatus(WithRsc(absl::InvalidArgumentError("x"), 4005)), 4005);
}

TEST(RscTest, ReverseMappingGuessesRsc) {
  EXPECT_EQ(RscFromHttpStatus(201), 2001);
  EXPECT_EQ(RscFromHttpStatus(418), 4000);
  EXPECT_EQ(RscFromCoapCode(coap::kCodeChanged), 2004);
  EXPECT_EQ(RscFromCoapCode(coap::kCodeServiceUnavailable), 5000);
}

}  // namespace
}  // namespace exchange
}  // namespace onem2m
