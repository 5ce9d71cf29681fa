// addon.cc: module surface. init(SensorError) once, then Sensor instances;
// layout()/constants() for the contract test; bootOffsetNs() for time.
#include <napi.h>

#include <ctime>

#include "clock.h"
#include "errors.h"
#include "layout.h"
#include "sensor.h"

namespace agentprov {

namespace {

// init(SensorError): the error class C++ throws (better-sqlite3's pattern).
Napi::Value JS_init(const Napi::CallbackInfo& info) {
  SetSensorErrorClass(info.Env(), info[0].As<Napi::Function>());
  return info.Env().Undefined();
}

Napi::Value JS_layout(const Napi::CallbackInfo& info) { return LayoutTable(info.Env()); }

Napi::Value JS_constants(const Napi::CallbackInfo& info) { return LayoutConstants(info.Env()); }

// bootOffsetNs(): CLOCK_REALTIME - CLOCK_BOOTTIME, from the tightest of a
// few bracketed reads, so event ktime + offset is wall-clock ns.
Napi::Value JS_bootOffsetNs(const Napi::CallbackInfo& info) {
  int64_t best_gap = INT64_MAX, offset = 0;
  for (int i = 0; i < 5; i++) {
    int64_t b1 = ClockNs(CLOCK_BOOTTIME);
    int64_t r = ClockNs(CLOCK_REALTIME);
    int64_t b2 = ClockNs(CLOCK_BOOTTIME);
    if (b2 - b1 < best_gap) {
      best_gap = b2 - b1;
      offset = r - (b1 + (b2 - b1) / 2);
    }
  }
  return Napi::BigInt::New(info.Env(), offset);
}

}  // namespace

}  // namespace agentprov

static Napi::Object InitAddon(Napi::Env env, Napi::Object exports) {
  using namespace agentprov;
  InstallLibbpfPrint();
  exports.Set("init", Napi::Function::New<JS_init>(env, "init"));
  exports.Set("layout", Napi::Function::New<JS_layout>(env, "layout"));
  exports.Set("constants", Napi::Function::New<JS_constants>(env, "constants"));
  exports.Set("bootOffsetNs", Napi::Function::New<JS_bootOffsetNs>(env, "bootOffsetNs"));
  exports.Set("Sensor", Sensor::Define(env));
  return exports;
}

NODE_API_MODULE(agentprov_sensor, InitAddon)
