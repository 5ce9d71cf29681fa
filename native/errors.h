// errors.h: SensorError, built in C++ from the class TS handed to init().
#pragma once

#include <napi.h>

#include <string>

namespace agentprov {

// This function is called from the JavaScript thread (module init).
void SetSensorErrorClass(Napi::Env env, Napi::Function ctor);

// Throws new SensorError(message, { code, op, errno, detail }) unless an
// exception is already pending. libbpf's negative errno becomes strerror +
// the op name. This function is called from the JavaScript thread.
void ThrowSensorError(Napi::Env env, const std::string& message, const char* code, const std::string& op,
                      int err, const std::string& detail = "");

// Same, for a libbpf return value (-errno): "<op>: <strerror>".
void ThrowLibbpfError(Napi::Env env, const std::string& op, int neg_errno, const std::string& detail = "");

// libbpf messages captured while loading (the verifier log travels in them).
void StartLibbpfCapture();
std::string StopLibbpfCapture();
void InstallLibbpfPrint();

}  // namespace agentprov
