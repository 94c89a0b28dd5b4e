// File: common/coap/internal/libcoap_pdu.h
//
// Owning pointer for libcoap PDUs and one-time libcoap start-up, shared by parser.cc and
// serializer.cc.
#ifndef ONEM2M_COMMON_COAP_INTERNAL_LIBCOAP_PDU_H_
#define ONEM2M_COMMON_COAP_INTERNAL_LIBCOAP_PDU_H_

#include <coap3/coap.h>

#include <cstddef>
#include <memory>

namespace onem2m {
namespace coap {
namespace internal {

struct PduDeleter {
  void operator()(coap_pdu_t* pdu) const { coap_delete_pdu(pdu); }
};
using PduPtr = std::unique_ptr<coap_pdu_t, PduDeleter>;

// NewPdu starts libcoap once per process and returns a PDU with room for `max_size` bytes, or
// nullptr when allocation fails.
PduPtr NewPdu(coap_pdu_type_t type, coap_pdu_code_t code, coap_mid_t mid, size_t max_size);

}  // namespace internal
}  // namespace coap
}  // namespace onem2m

#endif  // ONEM2M_COMMON_COAP_INTERNAL_LIBCOAP_PDU_H_
