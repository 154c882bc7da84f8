// casebridge_loadgen: a closed-loop gRPC load generator for casebridge.
//
// Keeps --concurrency unary calls outstanding through the callback API of
// grpc::GenericStub (each slot reissues its call from the completion
// callback), sends pre-serialised requests, drops the first --warmup seconds
// and prints one machine-readable line:
//   RESULT mode=get qps=1234.5 p50_ms=0.12 p90_ms=0.2 p99_ms=0.4 max_ms=3
//   calls=N errors=0
// Modes: health, get, create, find, execute (timed) and seed (creates --count
// cases as fast as it can, then prints the same line). execute creates one
// connector of --connector-type and runs its --sub-action with empty params
// (the server needs that plugin and an encryption key). Exits 1 on any RPC
// error.
//
// Usage: casebridge_loadgen --target=127.0.0.1:PORT --mode=health
//          [--concurrency=16] [--seconds=5] [--warmup=0.5] [--channels=1]
//          [--count=10000] [--owner=bench] [--tags=50]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "casebridge/v1/case_service.grpc.pb.h"
#include "casebridge/v1/connector_service.grpc.pb.h"
#include "grpc/health/v1/health.pb.h"
#include "grpcpp/generic/generic_stub.h"
#include "grpcpp/grpcpp.h"
#include "grpcpp/support/byte_buffer.h"

namespace {

namespace v1 = ::casebridge::v1;
using Clock = std::chrono::steady_clock;

struct Options {
  std::string target;
  std::string mode = "health";
  int concurrency = 16;
  double seconds = 5;
  double warmup = 0.5;
  int channels = 1;
  long count = 10000;
  std::string owner = "bench";
  int tags = 50;
  std::string connector_type = ".test-echo";
  std::string sub_action = "echo";
};

bool ParseOptions(int argc, char** argv, Options* o) {
  std::map<std::string, std::string> kv;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto eq = a.find('=');
    if (a.rfind("--", 0) != 0 || eq == std::string::npos) {
      std::fprintf(stderr, "bad argument %s (use --key=value)\n", a.c_str());
      return false;
    }
    kv[a.substr(2, eq - 2)] = a.substr(eq + 1);
  }
  for (const auto& [k, v] : kv) {
    if (k == "target")
      o->target = v;
    else if (k == "mode")
      o->mode = v;
    else if (k == "concurrency")
      o->concurrency = std::atoi(v.c_str());
    else if (k == "seconds")
      o->seconds = std::atof(v.c_str());
    else if (k == "warmup")
      o->warmup = std::atof(v.c_str());
    else if (k == "channels")
      o->channels = std::atoi(v.c_str());
    else if (k == "count")
      o->count = std::atol(v.c_str());
    else if (k == "owner")
      o->owner = v;
    else if (k == "tags")
      o->tags = std::atoi(v.c_str());
    else if (k == "connector-type")
      o->connector_type = v;
    else if (k == "sub-action")
      o->sub_action = v;
    else {
      std::fprintf(stderr, "unknown option --%s\n", k.c_str());
      return false;
    }
  }
  return !o->target.empty() && o->concurrency > 0 && o->channels > 0 &&
         o->seconds > 0 && o->tags > 0;
}

grpc::ByteBuffer Serialize(const google::protobuf::Message& m) {
  std::string bytes = m.SerializeAsString();
  grpc::Slice slice(bytes);
  return grpc::ByteBuffer(&slice, 1);
}

v1::CreateCaseRequest CreateRequest(const Options& o, long i) {
  static const char* kWords[] = {
      "phishing",   "malware", "lateral",    "exfiltration", "ransomware",
      "credential", "beacon",  "powershell", "anomaly",      "brute"};
  v1::CreateCaseRequest r;
  r.set_title(std::string("Bench case ") + kWords[i % 10] + " " +
              std::to_string(i));
  r.set_description(std::string("Seeded by casebridge_loadgen: ") +
                    kWords[(i / 10) % 10] + " " + kWords[(i / 100) % 10] +
                    " activity on host-" + std::to_string(i % 997));
  r.add_tags("tag-" + std::to_string(i % o.tags));
  r.add_tags("bench");
  r.set_severity(static_cast<v1::CaseSeverity>(1 + i % 4));
  r.set_owner(o.owner);
  return r;
}

class Load {
 public:
  Load(const Options& o, std::string method,
       std::vector<grpc::ByteBuffer> requests)
      : o_(o), method_(std::move(method)), requests_(std::move(requests)) {
    for (int c = 0; c < o.channels; ++c) {
      grpc::ChannelArguments args;
      args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
      args.SetInt("casebridge.loadgen.channel", c);  // distinct channels
      auto ch = grpc::CreateCustomChannel(
          o.target, grpc::InsecureChannelCredentials(), args);
      stubs_.push_back(std::make_unique<grpc::GenericStub>(ch));
    }
    slots_.resize(o.concurrency);
  }

  // Timed run (count < 0) or a run of exactly `count` calls.
  int Run(long count) {
    count_ = count;
    start_ = Clock::now();
    measure_from_ = count < 0 ? start_ + ToDuration(o_.warmup) : start_;
    // A counted run (seed) has no time limit: every call is measured.
    end_ = count < 0 ? start_ + ToDuration(o_.seconds + o_.warmup)
                     : Clock::time_point::max();
    active_ = static_cast<int>(slots_.size());
    for (size_t i = 0; i < slots_.size(); ++i) {
      slots_[i].index = i;
      if (!Issue(&slots_[i])) Finish();
    }
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return active_ == 0; });
    finished_at_ = Clock::now();
    return Report();
  }

 private:
  struct Slot {
    size_t index = 0;
    std::unique_ptr<grpc::ClientContext> ctx;
    grpc::ByteBuffer response;
    Clock::time_point started;
    std::vector<double> latencies_ms;  // touched only by this slot's callbacks
  };

  static Clock::duration ToDuration(double s) {
    return std::chrono::duration_cast<Clock::duration>(
        std::chrono::duration<double>(s));
  }

  bool Issue(Slot* slot) {
    long n = issued_.fetch_add(1);
    if (count_ >= 0 ? n >= count_ : Clock::now() >= end_) return false;
    slot->ctx = std::make_unique<grpc::ClientContext>();
    slot->ctx->set_deadline(std::chrono::system_clock::now() +
                            std::chrono::seconds(30));
    slot->started = Clock::now();
    auto& stub = *stubs_[slot->index % stubs_.size()];
    const grpc::ByteBuffer* request =
        &requests_[static_cast<size_t>(n) % requests_.size()];
    stub.UnaryCall(slot->ctx.get(), method_, grpc::StubOptions(), request,
                   &slot->response,
                   [this, slot](grpc::Status s) { Done(slot, s); });
    return true;
  }

  void Done(Slot* slot, const grpc::Status& s) {
    auto now = Clock::now();
    if (s.ok()) {
      if (slot->started >= measure_from_ && now <= end_) {
        slot->latencies_ms.push_back(
            std::chrono::duration<double, std::milli>(now - slot->started)
                .count());
      }
    } else {
      if (errors_.fetch_add(1) == 0) {
        std::lock_guard<std::mutex> lock(mu_);
        first_error_ = std::to_string(s.error_code()) + " " + s.error_message();
      }
    }
    if (!Issue(slot)) Finish();
  }

  void Finish() {
    std::lock_guard<std::mutex> lock(mu_);
    if (--active_ == 0) cv_.notify_all();
  }

  int Report() {
    std::vector<double> all;
    for (const auto& s : slots_)
      all.insert(all.end(), s.latencies_ms.begin(), s.latencies_ms.end());
    std::sort(all.begin(), all.end());
    auto pct = [&](double p) {
      if (all.empty()) return 0.0;
      size_t i = static_cast<size_t>(p * static_cast<double>(all.size() - 1));
      return all[i];
    };
    const auto window_end = count_ >= 0 ? finished_at_ : end_;
    const double window_s =
        std::chrono::duration<double>(window_end - measure_from_).count();
    const double qps =
        window_s > 0 ? static_cast<double>(all.size()) / window_s : 0;
    std::printf(
        "RESULT mode=%s qps=%.1f p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f "
        "max_ms=%.3f calls=%zu "
        "errors=%ld concurrency=%d\n",
        o_.mode.c_str(), qps, pct(0.50), pct(0.90), pct(0.99),
        all.empty() ? 0.0 : all.back(), all.size(), errors_.load(),
        o_.concurrency);
    std::fflush(stdout);
    if (errors_ > 0) {
      std::fprintf(stderr, "loadgen: %ld RPC errors, first: %s\n",
                   errors_.load(), first_error_.c_str());
      return 1;
    }
    return all.empty() ? 1 : 0;
  }

  const Options o_;
  const std::string method_;
  const std::vector<grpc::ByteBuffer> requests_;
  std::vector<std::unique_ptr<grpc::GenericStub>> stubs_;
  std::vector<Slot> slots_;
  long count_ = -1;
  Clock::time_point start_, measure_from_, end_, finished_at_;
  std::atomic<long> issued_{0};
  std::atomic<long> errors_{0};
  std::mutex mu_;
  std::condition_variable cv_;
  int active_ = 0;           // guarded by mu_
  std::string first_error_;  // guarded by mu_
};

// Creates `n` cases with a blocking stub and returns their ids.
std::vector<std::string> CreateFew(const Options& o, int n) {
  auto stub = v1::CaseService::NewStub(
      grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials()));
  std::vector<std::string> ids;
  for (int i = 0; i < n; ++i) {
    grpc::ClientContext ctx;
    ctx.set_deadline(std::chrono::system_clock::now() +
                     std::chrono::seconds(30));
    v1::CreateCaseResponse resp;
    grpc::Status s = stub->CreateCase(&ctx, CreateRequest(o, i), &resp);
    if (!s.ok()) {
      std::fprintf(stderr, "loadgen: CreateCase failed: %d %s\n",
                   s.error_code(), s.error_message().c_str());
      return {};
    }
    ids.push_back(resp.case_().id());
  }
  return ids;
}

// Creates one connector of the configured type; returns its id or "".
std::string CreateConnector(const Options& o) {
  auto stub = v1::ConnectorService::NewStub(
      grpc::CreateChannel(o.target, grpc::InsecureChannelCredentials()));
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(30));
  v1::CreateConnectorRequest request;
  request.set_connector_type_id(o.connector_type);
  request.set_name("bench connector");
  request.mutable_config();
  request.mutable_secrets();
  v1::CreateConnectorResponse response;
  grpc::Status s = stub->CreateConnector(&ctx, request, &response);
  if (!s.ok()) {
    std::fprintf(stderr, "loadgen: CreateConnector failed: %d %s\n",
                 s.error_code(), s.error_message().c_str());
    return "";
  }
  // A run that fails inside the plugin is still an OK RPC, so check once that
  // the sub-action really succeeds before measuring it.
  grpc::ClientContext exec_ctx;
  exec_ctx.set_deadline(std::chrono::system_clock::now() +
                        std::chrono::seconds(30));
  v1::ExecuteConnectorRequest exec;
  exec.set_id(response.connector().id());
  exec.set_sub_action(o.sub_action);
  exec.mutable_sub_action_params();
  v1::ExecuteConnectorResponse result;
  s = stub->ExecuteConnector(&exec_ctx, exec, &result);
  if (!s.ok() ||
      result.result().status() != v1::CONNECTOR_EXECUTE_STATUS_OK) {
    std::fprintf(stderr, "loadgen: ExecuteConnector does not succeed: %s %s\n",
                 s.error_message().c_str(), result.result().message().c_str());
    return "";
  }
  return response.connector().id();
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (!ParseOptions(argc, argv, &o)) {
    std::fprintf(stderr,
                 "usage: casebridge_loadgen --target=HOST:PORT "
                 "--mode=health|get|create|find|execute|seed\n"
                 "         [--concurrency=16] [--seconds=5] [--warmup=0.5] "
                 "[--channels=1]\n"
                 "         [--count=10000] [--owner=bench] [--tags=50]\n");
    return 2;
  }
  std::vector<grpc::ByteBuffer> requests;
  std::string method;
  long count = -1;
  if (o.mode == "health") {
    method = "/grpc.health.v1.Health/Check";
    requests.push_back(Serialize(grpc::health::v1::HealthCheckRequest()));
  } else if (o.mode == "get") {
    method = "/casebridge.v1.CaseService/GetCase";
    for (const auto& id : CreateFew(o, 64)) {
      v1::GetCaseRequest r;
      r.set_id(id);
      requests.push_back(Serialize(r));
    }
  } else if (o.mode == "create" || o.mode == "seed") {
    method = "/casebridge.v1.CaseService/CreateCase";
    // Distinct requests so titles, tags and severities vary.
    const long salt =
        static_cast<long>(Clock::now().time_since_epoch().count() % 100000);
    for (long i = 0; i < 1000; ++i)
      requests.push_back(Serialize(CreateRequest(o, salt + i)));
    if (o.mode == "seed") count = o.count;
  } else if (o.mode == "find") {
    method = "/casebridge.v1.CaseService/FindCases";
    for (int t = 0; t < 8; ++t) {
      v1::FindCasesRequest r;
      r.set_per_page(20);
      r.add_statuses(v1::CASE_STATUS_OPEN);
      r.add_tags("tag-" + std::to_string(t % o.tags));
      r.add_owners(o.owner);
      requests.push_back(Serialize(r));
    }
  } else if (o.mode == "execute") {
    method = "/casebridge.v1.ConnectorService/ExecuteConnector";
    const std::string id = CreateConnector(o);
    if (id.empty()) return 1;
    v1::ExecuteConnectorRequest r;
    r.set_id(id);
    r.set_sub_action(o.sub_action);
    r.mutable_sub_action_params();
    requests.push_back(Serialize(r));
  } else {
    std::fprintf(stderr, "unknown mode %s\n", o.mode.c_str());
    return 2;
  }
  if (requests.empty()) return 1;
  Load load(o, method, std::move(requests));
  return load.Run(count);
}
