#include "server/config/config_check.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"

namespace casebridge::config {
namespace {

namespace fs = std::filesystem;

// Adds a problem unless `path` is a readable regular file; returns its
// non-blank lines through `lines` when given.
void CheckReadableFile(const std::string& path, const std::string& key,
                       std::vector<std::string>& problems,
                       std::vector<std::string>* lines = nullptr) {
  std::error_code ec;
  if (!fs::exists(path, ec)) {
    problems.push_back(absl::StrCat(key, ": file ", path, " does not exist"));
    return;
  }
  if (!fs::is_regular_file(path, ec)) {
    problems.push_back(absl::StrCat(key, ": ", path, " is not a regular file"));
    return;
  }
  std::ifstream in(path);
  if (!in) {
    problems.push_back(absl::StrCat(key, ": file ", path, " cannot be read"));
    return;
  }
  if (lines == nullptr) return;
  std::string line;
  while (std::getline(in, line)) {
    const size_t begin = line.find_first_not_of(" \t\r");
    if (begin == std::string::npos) continue;
    const size_t end = line.find_last_not_of(" \t\r");
    lines->push_back(line.substr(begin, end - begin + 1));
  }
}

bool EnvSet(const char* name) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0';
}

}  // namespace

std::vector<std::string> CheckReferencedFiles(const Config& config) {
  std::vector<std::string> problems;
  const ConnectorsConfig& c = config.connectors;
  if (!c.encryption_key_file.empty() && !EnvSet("CASEBRIDGE_ENCRYPTION_KEY")) {
    std::vector<std::string> lines;
    const size_t before = problems.size();
    CheckReadableFile(c.encryption_key_file, "connectors.encryption_key_file",
                      problems, &lines);
    if (problems.size() == before && lines.empty()) {
      problems.push_back(absl::StrCat("connectors.encryption_key_file: ",
                                      c.encryption_key_file, " is empty"));
    } else if (!lines.empty() && lines[0].size() < 32) {
      // Never print the key itself.
      problems.push_back(absl::StrCat(
          "connectors.encryption_key_file: the key in ", c.encryption_key_file,
          " is shorter than 32 characters"));
    }
  }
  if (!c.old_encryption_keys_file.empty()) {
    CheckReadableFile(c.old_encryption_keys_file,
                      "connectors.old_encryption_keys_file", problems);
  }
  for (size_t i = 0; i < config.plugin_dirs.size(); ++i) {
    const std::string& dir = config.plugin_dirs[i];
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) {
      problems.push_back(absl::StrCat("plugin_dirs[", i, "]: ", dir,
                                      " is not a directory"));
    }
  }
  for (size_t i = 0; i < config.http.host_settings.size(); ++i) {
    const HttpHostSettings& hs = config.http.host_settings[i];
    for (size_t j = 0; j < hs.ca_files.size(); ++j) {
      CheckReadableFile(
          hs.ca_files[j],
          absl::StrCat("http.host_settings[", i, "].ca_files[", j, "]"),
          problems);
    }
  }
  if (config.store == "sqlite") {
    std::error_code ec;
    if (fs::exists(config.data_dir, ec) && !fs::is_directory(config.data_dir, ec)) {
      problems.push_back(
          absl::StrCat("data_dir: ", config.data_dir, " is not a directory"));
    }
  }
  return problems;
}

std::vector<std::string> CheckConfigFile(const std::string& path) {
  std::vector<std::string> problems;
  Config config;
  if (absl::Status s = LoadConfigFileCollecting(path, &config, &problems);
      !s.ok()) {
    // Nothing more can be checked in a file that does not parse.
    return {std::string(s.message())};
  }
  if (absl::Status s = ApplyEnvironment(config); !s.ok()) {
    problems.push_back(std::string(s.message()));
  }
  for (std::string& p : ValidationProblems(config)) {
    problems.push_back(std::move(p));
  }
  for (std::string& p : CheckReferencedFiles(config)) {
    problems.push_back(std::move(p));
  }
  return problems;
}

int RunCheckConfig(const std::string& path) {
  const std::vector<std::string> problems = CheckConfigFile(path);
  if (problems.empty()) {
    std::printf("config OK: %s\n", path.c_str());
    return 0;
  }
  std::fprintf(stderr, "config %s has %zu problem%s:\n", path.c_str(),
               problems.size(), problems.size() == 1 ? "" : "s");
  for (const std::string& p : problems) {
    std::fprintf(stderr, "  - %s\n", p.c_str());
  }
  return 1;
}

}  // namespace casebridge::config
