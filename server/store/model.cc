#include "server/store/model.h"

namespace casebridge::store {

const char* AttachmentTypeName(AttachmentType type) {
  switch (type) {
    case AttachmentType::kUser:
      return "user";
    case AttachmentType::kAlert:
      return "alert";
    case AttachmentType::kActions:
      return "actions";
    case AttachmentType::kExternalReference:
      return "externalReference";
    case AttachmentType::kPersistableState:
      return "persistableState";
  }
  return "user";
}

}  // namespace casebridge::store
