// A main() for fuzz targets in builds without libFuzzer (gcc, the default and
// asan presets): runs LLVMFuzzerTestOneInput once on every file named on the
// command line (directories: every regular file in them, sorted), so the seed
// corpora and crash reproducers run as ordinary regression tests. Files
// ending in ".txtpb" are text protos and are handed to the target's
// CasebridgeFuzzSeedFromText hook to be encoded first. Exit status 0 when
// every input ran; a failed check aborts the process.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);
extern "C" __attribute__((weak)) int LLVMFuzzerInitialize(int* argc,
                                                          char*** argv);
// Encodes a text seed into the target's binary input; false if it does not
// parse. Defined by targets whose seeds are text protos.
extern "C" __attribute__((weak)) bool CasebridgeFuzzSeedFromText(
    const std::string& text, std::string* bytes);

int main(int argc, char** argv) {
  if (LLVMFuzzerInitialize != nullptr) LLVMFuzzerInitialize(&argc, &argv);
  std::vector<std::filesystem::path> files;
  for (int i = 1; i < argc; ++i) {
    std::filesystem::path p(argv[i]);
    if (std::filesystem::is_directory(p)) {
      std::vector<std::filesystem::path> in_dir;
      for (const auto& entry : std::filesystem::directory_iterator(p)) {
        if (entry.is_regular_file()) in_dir.push_back(entry.path());
      }
      std::sort(in_dir.begin(), in_dir.end());
      files.insert(files.end(), in_dir.begin(), in_dir.end());
    } else {
      files.push_back(p);
    }
  }
  if (files.empty()) {
    std::fprintf(stderr, "usage: %s FILE_OR_DIR...\n", argv[0]);
    return 2;
  }
  for (const auto& file : files) {
    std::ifstream in(file, std::ios::binary);
    if (!in) {
      std::fprintf(stderr, "cannot read %s\n", file.c_str());
      return 1;
    }
    std::string bytes((std::istreambuf_iterator<char>(in)),
                      std::istreambuf_iterator<char>());
    if (file.extension() == ".txtpb") {
      std::string encoded;
      if (CasebridgeFuzzSeedFromText == nullptr ||
          !CasebridgeFuzzSeedFromText(bytes, &encoded)) {
        std::fprintf(stderr, "bad text seed %s\n", file.c_str());
        return 1;
      }
      bytes = std::move(encoded);
    }
    std::fprintf(stderr, "running %s (%zu bytes)\n", file.c_str(),
                 bytes.size());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()),
                           bytes.size());
  }
  std::fprintf(stderr, "%zu inputs ran\n", files.size());
  return 0;
}
