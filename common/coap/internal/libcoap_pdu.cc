#include "common/coap/internal/libcoap_pdu.h"

#include <mutex>

namespace onem2m {
namespace coap {
namespace internal {

PduPtr NewPdu(coap_pdu_type_t type, coap_pdu_code_t code, coap_mid_t mid, size_t max_size) {
  static std::once_flag once;
  std::call_once(once, [] {
    coap_startup();
    // Malformed datagrams from the network are normal traffic here and reported as Status;
    // libcoap's own warnings about them would only flood stderr.
    coap_set_log_level(LOG_EMERG);
  });
  return PduPtr(coap_pdu_init(type, code, mid, max_size));
}

}  // namespace internal
}  // namespace coap
}  // namespace onem2m
