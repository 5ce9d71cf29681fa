// errors.cc: the one place C++ builds a JS error, and the libbpf log capture
// that puts the verifier's log into SensorError.detail.
#include "errors.h"

#include <bpf/libbpf.h>

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <mutex>

namespace agentprov {

namespace {

Napi::FunctionReference* sensor_error_ctor = nullptr;

std::mutex log_mutex;
bool log_capturing = false;
std::string log_buffer;
// The verifier log of a large program runs to megabytes; keep the tail,
// which holds the instruction that failed and the reason.
constexpr size_t kMaxLog = 64 * 1024;

// Called from whichever thread calls into libbpf (the JavaScript thread for
// open/load/attach, the poller thread for ring_buffer__consume).
int LibbpfPrint(enum libbpf_print_level level, const char* fmt, va_list args) {
  if (level == LIBBPF_DEBUG) return 0;
  char line[1024];
  int n = vsnprintf(line, sizeof(line), fmt, args);
  std::lock_guard<std::mutex> lock(log_mutex);
  if (!log_capturing) return n;
  log_buffer.append(line);
  if (log_buffer.size() > 2 * kMaxLog) log_buffer.erase(0, log_buffer.size() - kMaxLog);
  return n;
}

}  // namespace

void InstallLibbpfPrint() { libbpf_set_print(LibbpfPrint); }

void StartLibbpfCapture() {
  std::lock_guard<std::mutex> lock(log_mutex);
  log_capturing = true;
  log_buffer.clear();
}

std::string StopLibbpfCapture() {
  std::lock_guard<std::mutex> lock(log_mutex);
  log_capturing = false;
  std::string out;
  out.swap(log_buffer);
  if (out.size() > kMaxLog) out.erase(0, out.size() - kMaxLog);
  return out;
}

void SetSensorErrorClass(Napi::Env env, Napi::Function ctor) {
  if (sensor_error_ctor == nullptr) sensor_error_ctor = new Napi::FunctionReference();
  *sensor_error_ctor = Napi::Persistent(ctor);
  (void)env;
}

void ThrowSensorError(Napi::Env env, const std::string& message, const char* code, const std::string& op,
                      int err, const std::string& detail) {
  if (env.IsExceptionPending()) return;
  if (sensor_error_ctor == nullptr || sensor_error_ctor->IsEmpty()) {
    Napi::Error::New(env, message).ThrowAsJavaScriptException();
    return;
  }
  Napi::Object opts = Napi::Object::New(env);
  opts.Set("code", code);
  opts.Set("op", op);
  opts.Set("errno", err);
  opts.Set("detail", detail);
  Napi::Value error = sensor_error_ctor->New({Napi::String::New(env, message), opts});
  if (env.IsExceptionPending()) return;
  Napi::Error(env, error).ThrowAsJavaScriptException();
}

void ThrowLibbpfError(Napi::Env env, const std::string& op, int neg_errno, const std::string& detail) {
  int err = neg_errno < 0 ? -neg_errno : neg_errno;
  char buf[256];
  libbpf_strerror(neg_errno, buf, sizeof(buf));
  ThrowSensorError(env, op + ": " + buf, "AP_SENSOR", op, err, detail);
}

}  // namespace agentprov
