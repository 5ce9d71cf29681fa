// sensor-containment.cc: the JS-callable side of the containment fast path
// (containment.h): arm a cgroup, disarm it, take the reports the ring thread
// made. Arguments were validated in TypeScript (src/sensor/sensor.ts).
#include <cstring>
#include <string>

#include "errors.h"
#include "sensor.h"

namespace agentprov {

// armContainment(cgroup: bigint, dir: string)
Napi::Value Sensor::JS_armContainment(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!CheckRunning(env, "armContainment")) return env.Undefined();
  uint64_t id = BigIntArg(info[0]);
  std::string dir = info[1].As<Napi::String>().Utf8Value();
  int rc = containment_.Arm(id, dir);
  if (rc != 0) {
    ThrowSensorError(env, "arm containment of cgroup " + dir + ": " + strerror(-rc), "AP_SENSOR", "armContainment", -rc);
  }
  return env.Undefined();
}

// disarmContainment(cgroup: bigint)
Napi::Value Sensor::JS_disarmContainment(const Napi::CallbackInfo& info) {
  containment_.Disarm(BigIntArg(info[0]));
  return info.Env().Undefined();
}

// takeContainments(): [{ cgroupId, contain, rule, tgid, error, eventKtimeNs, actedKtimeNs, confirmedKtimeNs }]
Napi::Value Sensor::JS_takeContainments(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::vector<ContainmentReport> reports = containment_.Take();
  Napi::Array out = Napi::Array::New(env, reports.size());
  for (size_t i = 0; i < reports.size(); i++) {
    const ContainmentReport& r = reports[i];
    Napi::Object o = Napi::Object::New(env);
    o.Set("cgroupId", Napi::BigInt::New(env, r.cgroup_id));
    o.Set("contain", Napi::Number::New(env, r.contain));
    o.Set("rule", Napi::Number::New(env, r.rule));
    o.Set("tgid", Napi::Number::New(env, r.tgid));
    o.Set("error", Napi::Number::New(env, r.error));
    o.Set("eventKtimeNs", Napi::BigInt::New(env, r.event_ktime_ns));
    o.Set("actedKtimeNs", Napi::BigInt::New(env, r.acted_ktime_ns));
    o.Set("confirmedKtimeNs", Napi::BigInt::New(env, r.confirmed_ktime_ns));
    out.Set(i, o);
  }
  return out;
}

}  // namespace agentprov
