// `casebridge-server --check-config FILE`: every problem of a config file,
// not only the first — unknown keys, wrong types, bad values, unreadable key
// and CA files, missing plugin directories — after the environment
// (CASEBRIDGE_*) is applied, as the server would see it.
//
// Thread-compatible: reads files and the environment, keeps no state.
#ifndef CASEBRIDGE_SERVER_CONFIG_CONFIG_CHECK_H_
#define CASEBRIDGE_SERVER_CONFIG_CONFIG_CHECK_H_

#include <string>
#include <vector>

#include "server/config/config.h"

namespace casebridge::config {

// Problems of the file at `path`; empty when the config is usable.
std::vector<std::string> CheckConfigFile(const std::string& path);

// Runs the check for `--check-config`: prints every problem to stderr and
// returns 1, or prints "config OK" to stdout and returns 0.
int RunCheckConfig(const std::string& path);

// Problems with the files and directories `config` names (key files, CA
// files, plugin directories, data_dir); empty when all are usable.
std::vector<std::string> CheckReferencedFiles(const Config& config);

}  // namespace casebridge::config

#endif  // CASEBRIDGE_SERVER_CONFIG_CONFIG_CHECK_H_
