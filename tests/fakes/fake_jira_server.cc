// The strict fake Jira as a process, for tests written in other languages
// (tests/interop). Listens on an ephemeral loopback port and prints
// "LISTENING <base url>" on stdout. Then reads commands from stdin, one per
// line, and answers each with one line on stdout:
//   issues  -> a JSON array of every issue: id, key, summary, labels,
//              comments (bodies), in creation order
// Exits when stdin closes. Credentials are FakeJiraOptions' defaults
// (jira-bot@example.com / jira-api-token, project CK).
#include <iostream>
#include <string>

#include "nlohmann/json.hpp"
#include "tests/fakes/fake_jira.h"

int main() {
  casebridge::testing::FakeJira jira;
  jira.Start();
  std::cout << "LISTENING " << jira.base_url() << std::endl;
  std::string command;
  while (std::getline(std::cin, command)) {
    if (command == "issues") {
      nlohmann::json out = nlohmann::json::array();
      for (const auto& issue : jira.issues()) {
        nlohmann::json comments = nlohmann::json::array();
        for (const auto& c : issue.comments) comments.push_back(c.body);
        out.push_back({{"id", issue.id},
                       {"key", issue.key},
                       {"summary", issue.fields.value("summary", "")},
                       {"labels", issue.fields.value(
                                      "labels", nlohmann::json::array())},
                       {"comments", comments}});
      }
      std::cout << out.dump() << std::endl;
    } else {
      std::cout << nlohmann::json{{"error", "unknown command: " + command}}
                       .dump()
                << std::endl;
    }
  }
  return 0;
}
