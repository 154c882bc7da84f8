// Conversions between push jobs / push statuses and their protos. Pure
// functions; thread-safe.
#ifndef CASEBRIDGE_SERVER_API_PUSH_CONVERT_H_
#define CASEBRIDGE_SERVER_API_PUSH_CONVERT_H_

#include <optional>

#include "casebridge/v1/case.pb.h"
#include "server/cases/push_manager.h"
#include "server/store/model.h"

namespace casebridge::api {

void ExternalServiceToProto(const store::ExternalService& e,
                            v1::ExternalService* out);
v1::PushJobState PushJobStateToProto(store::PushJobState s);
// std::nullopt for UNSPECIFIED or an unknown value.
std::optional<store::PushJobState> PushJobStateFromProto(v1::PushJobState s);
void PushJobToProto(const store::PushJob& job, v1::PushJob* out);
void PushStatusToProto(const cases::PushStatusView& s, v1::PushStatus* out);

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_PUSH_CONVERT_H_
