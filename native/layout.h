// layout.h: the C++ compiler's view of bpf/events.h, for the contract test.
#pragma once

#include <napi.h>

namespace agentprov {

Napi::Object LayoutTable(Napi::Env env);
Napi::Object LayoutConstants(Napi::Env env);

}  // namespace agentprov
