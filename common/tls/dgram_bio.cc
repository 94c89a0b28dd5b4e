#include "common/tls/dgram_bio.h"

#include <openssl/bio.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <string>
#include <utility>

namespace onem2m {
namespace tls {
namespace {

struct DatagramQueues {
  std::deque<std::string> in;
  std::deque<std::string> out;
  int mtu = 1400;
};

DatagramQueues* Queues(BIO* bio) { return static_cast<DatagramQueues*>(BIO_get_data(bio)); }

int DgramCreate(BIO* bio) {
  BIO_set_data(bio, new DatagramQueues());
  BIO_set_init(bio, 1);
  return 1;
}

int DgramDestroy(BIO* bio) {
  if (bio == nullptr) return 0;
  delete Queues(bio);
  BIO_set_data(bio, nullptr);
  BIO_set_init(bio, 0);
  return 1;
}

// DgramRead hands OpenSSL one whole datagram; a too-small buffer truncates it, as recv() does.
int DgramRead(BIO* bio, char* out, int out_len) {
  BIO_clear_retry_flags(bio);
  DatagramQueues* q = Queues(bio);
  if (q == nullptr || out == nullptr || out_len < 0) return -1;
  if (q->in.empty()) {
    BIO_set_retry_read(bio);
    return -1;
  }
  std::string& front = q->in.front();
  size_t n = std::min(front.size(), static_cast<size_t>(out_len));
  memcpy(out, front.data(), n);
  q->in.pop_front();
  return static_cast<int>(n);
}

int DgramWrite(BIO* bio, const char* in, int in_len) {
  BIO_clear_retry_flags(bio);
  DatagramQueues* q = Queues(bio);
  if (q == nullptr || in == nullptr || in_len < 0) return -1;
  if (q->out.size() >= 4 * kMaxQueuedDatagrams) q->out.pop_front();
  q->out.emplace_back(in, static_cast<size_t>(in_len));
  return in_len;
}

long DgramCtrl(BIO* bio, int cmd, long larg, void* parg) {  // NOLINT(runtime/int)
  DatagramQueues* q = Queues(bio);
  if (q == nullptr) return 0;
  switch (cmd) {
    case BIO_CTRL_FLUSH:
      return 1;
    case BIO_CTRL_PENDING:
      return q->in.empty() ? 0 : static_cast<long>(q->in.front().size());  // NOLINT
    case BIO_CTRL_WPENDING:
      return 0;  // Popped by the application, never pending inside the BIO.
    case BIO_CTRL_RESET:
      q->in.clear();
      q->out.clear();
      return 1;
    case BIO_CTRL_EOF:
      return 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
    case BIO_CTRL_DGRAM_GET_MTU:
      return q->mtu;
    case BIO_CTRL_DGRAM_SET_MTU:
      q->mtu = static_cast<int>(larg);
      return q->mtu;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
      return 0;  // The MTU given is already the UDP payload size.
    case BIO_CTRL_DGRAM_MTU_EXCEEDED:
      return 0;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
      return 1;  // The event loop drives timers through DTLSv1_get_timeout.
    case BIO_CTRL_DGRAM_GET_PEER:
    case BIO_CTRL_DGRAM_SET_PEER:
    case BIO_CTRL_DGRAM_SET_CONNECTED:
    case BIO_CTRL_DGRAM_CONNECT:
      return 0;  // The application demultiplexes peers; the BIO knows none.
    case BIO_CTRL_DUP:
      return 1;
    default:
      return 0;
  }
}

BIO_METHOD* Method() {
  static BIO_METHOD* method = [] {
    int type = BIO_get_new_index();
    BIO_METHOD* m = BIO_meth_new(type | BIO_TYPE_SOURCE_SINK, "onem2m datagram memory");
    if (m == nullptr) return m;
    BIO_meth_set_create(m, DgramCreate);
    BIO_meth_set_destroy(m, DgramDestroy);
    BIO_meth_set_read(m, DgramRead);
    BIO_meth_set_write(m, DgramWrite);
    BIO_meth_set_ctrl(m, DgramCtrl);
    return m;
  }();
  return method;
}

}  // namespace

BIO* NewDatagramBio(int mtu) {
  BIO_METHOD* method = Method();
  if (method == nullptr) return nullptr;
  BIO* bio = BIO_new(method);
  if (bio != nullptr) Queues(bio)->mtu = mtu;
  return bio;
}

void DatagramBioPush(BIO* bio, absl::string_view datagram) {
  DatagramQueues* q = Queues(bio);
  if (q == nullptr || datagram.empty()) return;
  if (q->in.size() >= kMaxQueuedDatagrams) q->in.pop_front();
  q->in.emplace_back(datagram);
}

bool DatagramBioPop(BIO* bio, std::string* out) {
  DatagramQueues* q = Queues(bio);
  if (q == nullptr || q->out.empty()) return false;
  *out = std::move(q->out.front());
  q->out.pop_front();
  return true;
}

size_t DatagramBioPendingOut(BIO* bio) {
  DatagramQueues* q = Queues(bio);
  return q == nullptr ? 0 : q->out.size();
}

void DatagramBioClearIn(BIO* bio) {
  DatagramQueues* q = Queues(bio);
  if (q != nullptr) q->in.clear();
}

}  // namespace tls
}  // namespace onem2m
