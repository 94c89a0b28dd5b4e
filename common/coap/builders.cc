#include "common/coap/builders.h"

#include <utility>

namespace onem2m {
namespace coap {

CoapMessage MakeErrorResponse(const CoapHeader& request, uint8_t code,
                              uint16_t separate_message_id) {
  CoapMessage response;
  const bool confirmable = request.type == MessageType::kConfirmable;
  response.type = confirmable ? MessageType::kAcknowledgement : MessageType::kNonConfirmable;
  response.code = code;
  response.message_id = confirmable ? request.message_id : separate_message_id;
  response.token = request.token;
  return response;
}

CoapMessage MakeResponse(const CoapMessage& request, uint8_t code, uint16_t separate_message_id) {
  CoapHeader header;
  header.type = request.type;
  header.message_id = request.message_id;
  header.token = request.token;
  CoapMessage response = MakeErrorResponse(header, code, separate_message_id);
  response.numbering = request.numbering;
  return response;
}

CoapMessage MakeConfirmablePost(uint16_t message_id, std::string token,
                                std::vector<std::string> uri_path) {
  CoapMessage m;
  m.type = MessageType::kConfirmable;
  m.code = kCodePost;
  m.message_id = message_id;
  m.token = std::move(token);
  m.uri_path = std::move(uri_path);
  m.content_format = kContentFormatJson;
  return m;
}

CoapMessage MakeReset(uint16_t message_id) {
  CoapMessage m;
  m.type = MessageType::kReset;
  m.code = kCodeEmpty;
  m.message_id = message_id;
  return m;
}

}  // namespace coap
}  // namespace onem2m
