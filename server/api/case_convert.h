// Conversion between casebridge.v1 case messages and the case domain
// (server/cases requests, server/store records). Converters from proto check
// what only the proto layer can see (enum values outside their enum,
// UNSPECIFIED where a value is required) and add violations with proto field
// paths to a ValidationErrors; the domain checks the rest. Pure functions;
// thread-safe.
#ifndef CASEBRIDGE_SERVER_API_CASE_CONVERT_H_
#define CASEBRIDGE_SERVER_API_CASE_CONVERT_H_

#include <string>

#include "absl/time/time.h"
#include "casebridge/v1/case.pb.h"
#include "casebridge/v1/case_service.pb.h"
#include "casebridge/v1/common.pb.h"
#include "google/protobuf/timestamp.pb.h"
#include "server/cases/requests.h"
#include "server/store/model.h"
#include "server/store/store.h"
#include "server/util/status.h"

namespace casebridge::api {

// --- records -> proto
void TimeToProto(absl::Time t, google::protobuf::Timestamp* out);
void UserToProto(const store::User& user, v1::User* out);
void CaseToProto(const store::Case& c, v1::Case* out);
void AttachmentToProto(const store::Attachment& a, v1::Attachment* out);
void UserActionToProto(const store::UserAction& a, v1::UserAction* out);
void ConfigurationToProto(const store::Configuration& c,
                          v1::Configuration* out);
void RelatedCaseToProto(const store::Case& c, v1::RelatedCase* out);
void CaseAlertToProto(const store::CaseAlert& a, v1::CaseAlert* out);

// --- proto -> domain
absl::Time TimeFromProto(const google::protobuf::Timestamp& t);
store::CaseConnector ConnectorFromProto(const v1::CaseConnector& c);
cases::NewCase NewCaseFromProto(const v1::CreateCaseRequest& r,
                                ValidationErrors& errors);
cases::CasePatch CasePatchFromProto(const v1::CasePatch& p,
                                    const std::string& prefix,
                                    ValidationErrors& errors);
// `path` names the AttachmentContent field, e.g. "attachment".
cases::AttachmentInput AttachmentFromProto(const v1::AttachmentContent& a,
                                           const std::string& path,
                                           ValidationErrors& errors);
store::CaseQuery CaseQueryFromProto(const v1::FindCasesRequest& r,
                                    ValidationErrors& errors);
store::UserActionQuery ActivityQueryFromProto(
    const v1::FindCaseActivityRequest& r, ValidationErrors& errors);
// True for SORT_ORDER_ASC; false for DESC and UNSPECIFIED (the default is
// descending). Values outside the enum are reported at `path`.
bool AscendingFromProto(v1::SortOrder order, const std::string& path,
                        ValidationErrors& errors);
cases::NewConfiguration NewConfigurationFromProto(
    const v1::SetConfigurationRequest& r, ValidationErrors& errors);
cases::ConfigurationPatch ConfigurationPatchFromProto(
    const v1::UpdateConfigurationRequest& r, ValidationErrors& errors);

}  // namespace casebridge::api

#endif  // CASEBRIDGE_SERVER_API_CASE_CONVERT_H_
