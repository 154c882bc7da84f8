// The last step of the out-of-tree SDK round trip (tests/abi/
// out_of_tree_test.sh): the already-built server is started with the plugin
// directory the script installed the template plugin into, and the
// template's connector type is listed and run through ConnectorService.
// Skipped unless CASEBRIDGE_OOT_PLUGIN_DIR names that directory.
#include <cstdlib>
#include <string>

#include "absl/strings/str_cat.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "google/protobuf/util/json_util.h"
#include "gtest/gtest.h"
#include "tests/integration/server_process.h"

namespace casebridge::testing {
namespace {

namespace v1 = ::casebridge::v1;

TEST(OutOfTreeServerTest, TemplatePluginIsListedAndRuns) {
  const char* dir = std::getenv("CASEBRIDGE_OOT_PLUGIN_DIR");
  if (dir == nullptr || *dir == '\0') GTEST_SKIP() << "run by out_of_tree_test.sh";
  ServerOptions options;
  options.config_yaml = absl::StrCat("plugin_dirs: [\"", dir, "\"]\n");
  options.env.emplace_back("CASEBRIDGE_ENCRYPTION_KEY",
                           "out-of-tree-test-key-0123456789abcdef");
  ServerProcess server(options);
  ASSERT_TRUE(server.Start().ok());
  auto stub = server.NewConnectorStub();

  grpc::ClientContext list_ctx;
  v1::ListConnectorTypesResponse types;
  ASSERT_TRUE(stub->ListConnectorTypes(&list_ctx, v1::ListConnectorTypesRequest(), &types).ok());
  ASSERT_EQ(types.connector_types_size(), 1);
  const v1::ConnectorType& type = types.connector_types(0);
  EXPECT_EQ(type.id(), ".example-echo");
  EXPECT_EQ(type.plugin().file(), "example_echo.so");
  EXPECT_EQ(type.plugin().version(), "1.0.0");

  grpc::ClientContext create_ctx;
  v1::CreateConnectorRequest create;
  create.set_connector_type_id(".example-echo");
  create.set_name("out of tree");
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(R"({"greeting":"hej"})",
                                                          create.mutable_config())
                  .ok());
  v1::CreateConnectorResponse created;
  grpc::Status s = stub->CreateConnector(&create_ctx, create, &created);
  ASSERT_TRUE(s.ok()) << s.error_message();

  grpc::ClientContext exec_ctx;
  v1::ExecuteConnectorRequest exec;
  exec.set_id(created.connector().id());
  exec.set_sub_action("echo");
  ASSERT_TRUE(google::protobuf::util::JsonStringToMessage(
                  R"({"message":"hi from out of tree"})", exec.mutable_sub_action_params())
                  .ok());
  v1::ExecuteConnectorResponse executed;
  s = stub->ExecuteConnector(&exec_ctx, exec, &executed);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_EQ(executed.result().status(), v1::CONNECTOR_EXECUTE_STATUS_OK);
  const auto& data = executed.result().data().struct_value().fields();
  EXPECT_EQ(data.at("echo").string_value(), "hi from out of tree");
  EXPECT_EQ(data.at("connector_id").string_value(), created.connector().id());
}

}  // namespace
}  // namespace casebridge::testing
