// libFuzzer target: a whole PSK server session (TLS over a socketpair, DTLS in memory) with a
// fixed test key, so the fuzzer gets past the handshake (common/tls/psk_session.h,
// dtls_listener.h, common/psk_server/exchange_session.h, the HTTP and CoAP parsers and every
// operation's body parser behind them).
//
// Input: byte 0 picks the mode, the rest is a list of pieces, each a 2-byte big-endian length
// (mod 4096) and that many bytes.
//   0 TLS:  handshake with a real client; each piece is application data sent through it.
//   1 TLS:  handshake; each piece is written raw to the server's socket (forged records).
//   2 TLS:  no client; each piece is written raw to the server's socket from the first byte on
//           (ClientHello and handshake record parsing).
//   3 DTLS: cookie exchange and handshake with a real client; each piece is one datagram of
//           application data sent through it.
//   4 DTLS: handshake; each piece is fed raw to the server session as a datagram.
//   5 DTLS: no client; each piece is offered raw to the listener (cookie/ClientHello checks).
// What the server session does with the plaintext mirrors common/psk_server/stream_session.cc
// and datagram_session.cc: HTTP request parser -> ExchangeSession::OnHttpRequest for TLS,
// ExchangeSession::OnDatagram for DTLS. The event loop and sockets of PskServer are not in the
// loop (they carry bytes only).
#include <sys/socket.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/clock.h"
#include "common/exchange/enrolment_messages.h"
#include "common/exchange/maf_messages.h"
#include "common/exchange/routes.h"
#include "common/http/request_parser.h"
#include "common/http/serializer.h"
#include "common/psk_server/exchange_session.h"
#include "common/secret_bytes.h"
#include "common/tls/dtls_listener.h"
#include "common/tls/psk_context.h"
#include "common/tls/psk_session.h"

namespace {

using onem2m::SecretBytes;
using onem2m::tls::PskSession;
using onem2m::tls::Step;
using onem2m::tls::Transport;
namespace ex = onem2m::exchange;

constexpr char kIdentity[] = "fuzz-kpm-0001";
constexpr char kServerName[] = "mef.example.com";

SecretBytes TestKey() { return SecretBytes::Copy(std::string(32, 'k')); }  // fixed test key

struct Contexts {
  std::shared_ptr<const onem2m::tls::PskContext> server[2], client[2];
};

const Contexts& Ctx() {
  static const Contexts* c = [] {
    auto* out = new Contexts;
    auto resolver = std::make_shared<onem2m::tls::FunctionPskResolver>(
        [](absl::string_view identity) -> absl::StatusOr<SecretBytes> {
          if (identity == kIdentity) return TestKey();
          return absl::NotFoundError("unknown identity");
        });
    for (Transport t : {Transport::kTls, Transport::kDtls}) {
      const int i = t == Transport::kTls ? 0 : 1;
      onem2m::tls::ServerOptions so;
      so.transport = t;
      auto s = onem2m::tls::PskContext::NewServer(so, resolver);
      onem2m::tls::ClientOptions co;
      co.transport = t;
      co.psk_identity = kIdentity;
      co.psk = TestKey();
      co.server_name = kServerName;
      auto cl = onem2m::tls::PskContext::NewClient(std::move(co));
      if (!s.ok() || !cl.ok()) std::abort();
      out->server[i] = *s;
      out->client[i] = *cl;
    }
    return out;
  }();
  return *c;
}

// Answers every operation by running its body parser, as the MEF and MAF handlers do first.
class FuzzSession : public onem2m::server::ExchangeSession {
 public:
  void OnRequest(ex::Request request, std::function<void(ex::Response)> respond) override {
    absl::StatusOr<ex::Operation> op = ex::ResolveOperation(request);
    if (!op.ok()) return respond(ex::ErrorResponse(op.status()));
    absl::Status st;
    switch (*op) {
      case ex::Operation::kEnrolment:
        st = ex::ParseEnrolmentRequest(request.body).status();
        break;
      case ex::Operation::kMafClientRegistration:
        st = ex::ParseClientRegistrationRequest(request.body).status();
        break;
      case ex::Operation::kMafKeyRegistration:
        st = ex::ParseKeyRegistrationRequest(request.body).status();
        break;
      case ex::Operation::kMafKeyRetrieval:
        st = ex::ParseKeyRetrievalRequest(request.body).status();
        break;
      case ex::Operation::kMafKeyUpdate:
        st = ex::ParseKeyUpdateRequest(request.body).status();
        break;
      case ex::Operation::kMafDeregistration:
        st = ex::ParseDeregistrationRequest(request.body).status();
        break;
      case ex::Operation::kMafClientConfigRetrieval:
        st = ex::ParseClientConfigRetrievalRequest(request.body).status();
        break;
      case ex::Operation::kMafClientUpdate:
        st = ex::ParseClientRegistrationUpdateRequest(request.body).status();
        break;
      case ex::Operation::kMafClientDeregistration:
        st = ex::ParseClientDeregistrationRequest(request.body).status();
        break;
      case ex::Operation::kMafKeyDeregistration:
        st = ex::ParseKeyDeregistrationRequest(request.body).status();
        break;
    }
    if (!st.ok()) return respond(ex::ErrorResponse(st));
    ex::Response r;
    r.rsc = ex::SuccessRsc(*op);
    r.body = nlohmann::json::object();
    respond(std::move(r));
  }
};

std::vector<absl::string_view> Pieces(absl::string_view in) {
  std::vector<absl::string_view> out;
  while (in.size() >= 2 && out.size() < 64) {
    const size_t len = ((static_cast<uint8_t>(in[0]) << 8) | static_cast<uint8_t>(in[1])) % 4096;
    in.remove_prefix(2);
    out.push_back(in.substr(0, len));
    in.remove_prefix(std::min(len, in.size()));
  }
  return out;
}

// ---- TLS ----------------------------------------------------------------------------------

struct TlsServerSide {
  std::unique_ptr<PskSession> tls;
  onem2m::http::RequestParser parser;
  FuzzSession handler;
  bool dead = false;

  void Respond(const onem2m::http::HttpResponse& response) {
    absl::StatusOr<std::string> bytes = onem2m::http::SerializeResponse(response);
    if (!bytes.ok()) return;
    size_t written = 0;
    (void)tls->Write(*bytes, &written);
  }
  // Reads what is there, parses requests and answers them, as StreamSession does.
  void Pump() {
    if (dead) return;
    if (!tls->handshake_done()) {
      const Step s = tls->Handshake();
      if (s == Step::kFailed || s == Step::kClosed) dead = true;
      if (!tls->handshake_done()) return;
    }
    char buf[1024];
    for (int i = 0; i < 64; ++i) {
      size_t n = 0;
      const Step s = tls->Read(buf, sizeof(buf), &n);
      if (s != Step::kDone) {
        if (s == Step::kFailed || s == Step::kClosed) dead = true;
        return;
      }
      absl::string_view input(buf, n);
      while (!input.empty()) {
        absl::StatusOr<onem2m::http::FeedResult> r = parser.Feed(input);
        if (!r.ok()) {
          onem2m::http::HttpResponse err;
          err.status = parser.error_http_status();
          Respond(err);
          dead = true;
          return;
        }
        input.remove_prefix(r->consumed);
        if (r->state != onem2m::http::ParseState::kComplete) {
          if (r->consumed == 0) break;
          continue;
        }
        absl::StatusOr<onem2m::http::HttpRequest> req = parser.TakeRequest();
        parser.Reset();
        if (!req.ok()) continue;
        handler.OnHttpRequest(std::move(*req),
                              [this](onem2m::http::HttpResponse resp) { Respond(resp); });
      }
    }
  }
};

void DrainClient(PskSession* client) {
  char buf[1024];
  size_t n = 0;
  for (int i = 0; i < 64 && client->Read(buf, sizeof(buf), &n) == Step::kDone; ++i) {
  }
}

void RunTls(int mode, const std::vector<absl::string_view>& pieces) {
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) != 0) return;
  const absl::Time now = absl::Now();
  {
    TlsServerSide server;
    auto s = PskSession::NewStream(Ctx().server[0], sv[0], now);
    if (!s.ok()) std::abort();
    server.tls = std::move(*s);
    std::unique_ptr<PskSession> client;
    if (mode != 2) {
      auto c = PskSession::NewStream(Ctx().client[0], sv[1], now);
      if (!c.ok()) std::abort();
      client = std::move(*c);
      for (int i = 0; i < 20 && !(client->handshake_done() && server.tls->handshake_done()); ++i) {
        if (client->Handshake() == Step::kFailed) break;
        server.Pump();
      }
      if (!client->handshake_done() || !server.tls->handshake_done()) std::abort();
    }
    for (absl::string_view piece : pieces) {
      if (server.dead) break;
      if (mode == 0) {
        size_t written = 0;
        if (client->Write(piece, &written) != Step::kDone && !piece.empty()) break;
      } else if (!piece.empty()) {
        if (write(sv[1], piece.data(), piece.size()) < 0) break;
      }
      server.Pump();
      if (client != nullptr) DrainClient(client.get());
    }
    if (!server.dead) (void)server.tls->Shutdown();
  }
  close(sv[0]);
  close(sv[1]);
}

// ---- DTLS ---------------------------------------------------------------------------------

void ServeDatagrams(PskSession* server, FuzzSession* handler) {
  char buf[4096];
  for (int i = 0; i < 16; ++i) {
    size_t n = 0;
    if (server->Read(buf, sizeof(buf), &n) != Step::kDone) return;
    handler->OnDatagram(std::string(buf, n), [server](std::string reply) {
      size_t written = 0;
      if (!reply.empty()) (void)server->Write(reply, &written);
    });
  }
}

void RunDtls(int mode, const std::vector<absl::string_view>& pieces) {
  const absl::Time now = absl::Now();
  auto listener = onem2m::tls::DtlsListener::New(Ctx().server[1]);
  if (!listener.ok()) std::abort();
  const std::string peer = "192.0.2.1:5684";
  if (mode == 5) {
    for (absl::string_view piece : pieces) {
      std::string reply;
      (void)onem2m::tls::IsInitialClientHello(piece);
      auto s = (*listener)->Offer(peer, piece, now, &reply);
      if (s.ok() && *s != nullptr) {
        (void)(*s)->Handshake();  // a forged hello that passed the cookie check
      }
    }
    return;
  }
  auto c = PskSession::NewDatagramClient(Ctx().client[1], now);
  if (!c.ok()) std::abort();
  std::unique_ptr<PskSession> client = std::move(*c);
  std::unique_ptr<PskSession> server;
  std::string d;
  for (int i = 0; i < 4 && server == nullptr; ++i) {  // hello, verify request, hello + cookie
    (void)client->Handshake();
    while (client->PopDatagram(&d) && server == nullptr) {
      std::string reply;
      auto s = (*listener)->Offer(peer, d, now, &reply);
      if (!s.ok()) std::abort();
      if (*s != nullptr) server = std::move(*s);
      if (!reply.empty()) client->FeedDatagram(reply);
    }
  }
  if (server == nullptr) std::abort();
  for (int i = 0; i < 20 && !(server->handshake_done() && client->handshake_done()); ++i) {
    if (server->Handshake() == Step::kFailed) std::abort();
    while (server->PopDatagram(&d)) client->FeedDatagram(d);
    if (client->Handshake() == Step::kFailed) std::abort();
    while (client->PopDatagram(&d)) server->FeedDatagram(d);
  }
  if (!server->handshake_done() || !client->handshake_done()) std::abort();
  FuzzSession handler;
  for (absl::string_view piece : pieces) {
    if (mode == 3) {
      size_t written = 0;
      if (piece.empty() || client->Write(piece, &written) != Step::kDone) continue;
      while (client->PopDatagram(&d)) server->FeedDatagram(d);
    } else {
      server->FeedDatagram(piece);
    }
    ServeDatagrams(server.get(), &handler);
    while (server->PopDatagram(&d)) client->FeedDatagram(d);
    char buf[4096];
    size_t n = 0;
    while (client->Read(buf, sizeof(buf), &n) == Step::kDone) {
    }
  }
  (void)server->Shutdown();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const int mode = data[0] % 6;
  const std::vector<absl::string_view> pieces =
      Pieces(absl::string_view(reinterpret_cast<const char*>(data + 1), size - 1));
  if (mode <= 2) {
    RunTls(mode, pieces);
  } else {
    RunDtls(mode, pieces);
  }
  return 0;
}
