// layout.cc: sizeof/offsetof of every struct in bpf/events.h, as the C++
// compiler sees them. test/contract/events-layout.test.ts compares this
// table with src/sensor/layout.ts (Tetragon's alignchecker idea).
#include "layout.h"

#include <cstddef>
#include <linux/types.h>

#include "events.h"

namespace agentprov {

namespace {

struct Table {
  Napi::Env env;
  Napi::Object out;
  Napi::Object current;
  void Struct(const char* name, size_t size) {
    Napi::Object s = Napi::Object::New(env);
    s.Set("size", Napi::Number::New(env, static_cast<double>(size)));
    current = Napi::Object::New(env);
    s.Set("fields", current);
    out.Set(name, s);
  }
  void Field(const char* name, size_t offset) { current.Set(name, Napi::Number::New(env, static_cast<double>(offset))); }
};

}  // namespace

#define AP_STRUCT(s) t.Struct(#s, sizeof(struct s))
#define AP_FIELD(s, f) t.Field(#f, offsetof(struct s, f))

// This function is called from the JavaScript thread.
Napi::Object LayoutTable(Napi::Env env) {
  Table t{env, Napi::Object::New(env), Napi::Object()};

  AP_STRUCT(ap_event_header);
  AP_FIELD(ap_event_header, kind);
  AP_FIELD(ap_event_header, abi);
  AP_FIELD(ap_event_header, size);
  AP_FIELD(ap_event_header, ktime_ns);

  AP_STRUCT(ap_task);
  AP_FIELD(ap_task, cgroup_id);
  AP_FIELD(ap_task, start_ns);
  AP_FIELD(ap_task, parent_start_ns);
  AP_FIELD(ap_task, tgid);
  AP_FIELD(ap_task, pid);
  AP_FIELD(ap_task, ppid);
  AP_FIELD(ap_task, uid);
  AP_FIELD(ap_task, euid);
  AP_FIELD(ap_task, gid);
  AP_FIELD(ap_task, pid_ns);
  AP_FIELD(ap_task, mnt_ns);
  AP_FIELD(ap_task, comm);
  AP_FIELD(ap_task, cgroup_name);

  AP_STRUCT(ap_exec_event);
  AP_FIELD(ap_exec_event, task);
  AP_FIELD(ap_exec_event, args_total);
  AP_FIELD(ap_exec_event, result);
  AP_FIELD(ap_exec_event, syscall);
  AP_FIELD(ap_exec_event, filename_len);
  AP_FIELD(ap_exec_event, args_len);
  AP_FIELD(ap_exec_event, filename);
  AP_FIELD(ap_exec_event, args);

  AP_STRUCT(ap_fork_event);
  AP_FIELD(ap_fork_event, task);
  AP_FIELD(ap_fork_event, parent_tid);
  AP_FIELD(ap_fork_event, clone_flags_lo);

  AP_STRUCT(ap_exit_event);
  AP_FIELD(ap_exit_event, task);
  AP_FIELD(ap_exit_event, exit_code);

  AP_STRUCT(ap_connect_event);
  AP_FIELD(ap_connect_event, task);
  AP_FIELD(ap_connect_event, result);
  AP_FIELD(ap_connect_event, family);
  AP_FIELD(ap_connect_event, port);
  AP_FIELD(ap_connect_event, addr);
  AP_FIELD(ap_connect_event, unix_path);

  AP_STRUCT(ap_open_event);
  AP_FIELD(ap_open_event, task);
  AP_FIELD(ap_open_event, flags);
  AP_FIELD(ap_open_event, result);
  AP_FIELD(ap_open_event, dfd);
  AP_FIELD(ap_open_event, mode);
  AP_FIELD(ap_open_event, syscall);
  AP_FIELD(ap_open_event, path_len);
  AP_FIELD(ap_open_event, path);

  AP_STRUCT(ap_cred_event);
  AP_FIELD(ap_cred_event, task);
  AP_FIELD(ap_cred_event, old_cap_effective);
  AP_FIELD(ap_cred_event, new_cap_effective);
  AP_FIELD(ap_cred_event, old_cap_permitted);
  AP_FIELD(ap_cred_event, new_cap_permitted);
  AP_FIELD(ap_cred_event, result);
  AP_FIELD(ap_cred_event, syscall);
  AP_FIELD(ap_cred_event, arg);
  AP_FIELD(ap_cred_event, old_uid);
  AP_FIELD(ap_cred_event, old_euid);
  AP_FIELD(ap_cred_event, old_suid);
  AP_FIELD(ap_cred_event, old_gid);
  AP_FIELD(ap_cred_event, old_egid);
  AP_FIELD(ap_cred_event, old_sgid);
  AP_FIELD(ap_cred_event, new_uid);
  AP_FIELD(ap_cred_event, new_euid);
  AP_FIELD(ap_cred_event, new_suid);
  AP_FIELD(ap_cred_event, new_gid);
  AP_FIELD(ap_cred_event, new_egid);
  AP_FIELD(ap_cred_event, new_sgid);

  AP_STRUCT(ap_ptrace_event);
  AP_FIELD(ap_ptrace_event, task);
  AP_FIELD(ap_ptrace_event, request);
  AP_FIELD(ap_ptrace_event, result);
  AP_FIELD(ap_ptrace_event, target_pid);

  AP_STRUCT(ap_rename_event);
  AP_FIELD(ap_rename_event, task);
  AP_FIELD(ap_rename_event, result);
  AP_FIELD(ap_rename_event, old_dfd);
  AP_FIELD(ap_rename_event, new_dfd);
  AP_FIELD(ap_rename_event, flags);
  AP_FIELD(ap_rename_event, syscall);
  AP_FIELD(ap_rename_event, old_len);
  AP_FIELD(ap_rename_event, new_len);
  AP_FIELD(ap_rename_event, old_path);
  AP_FIELD(ap_rename_event, new_path);

  AP_STRUCT(ap_unlink_event);
  AP_FIELD(ap_unlink_event, task);
  AP_FIELD(ap_unlink_event, result);
  AP_FIELD(ap_unlink_event, dfd);
  AP_FIELD(ap_unlink_event, flags);
  AP_FIELD(ap_unlink_event, syscall);
  AP_FIELD(ap_unlink_event, path_len);
  AP_FIELD(ap_unlink_event, path);

  AP_STRUCT(ap_tls_event);
  AP_FIELD(ap_tls_event, task);
  AP_FIELD(ap_tls_event, ssl);
  AP_FIELD(ap_tls_event, result);
  AP_FIELD(ap_tls_event, requested);
  AP_FIELD(ap_tls_event, bytes);
  AP_FIELD(ap_tls_event, data_len);
  AP_FIELD(ap_tls_event, direction);
  AP_FIELD(ap_tls_event, func);
  AP_FIELD(ap_tls_event, data);

  AP_STRUCT(ap_enforce_event);
  AP_FIELD(ap_enforce_event, task);
  AP_FIELD(ap_enforce_event, action);
  AP_FIELD(ap_enforce_event, rule);
  AP_FIELD(ap_enforce_event, family);
  AP_FIELD(ap_enforce_event, port);
  AP_FIELD(ap_enforce_event, addr);
  AP_FIELD(ap_enforce_event, path);

  AP_STRUCT(ap_stat);
  AP_FIELD(ap_stat, emitted);
  AP_FIELD(ap_stat, dropped);

  return t.out;
}

// This function is called from the JavaScript thread.
Napi::Object LayoutConstants(Napi::Env env) {
  Napi::Object c = Napi::Object::New(env);
  c.Set("AP_EVENTS_ABI", AP_EVENTS_ABI);
  c.Set("AP_COMM_LEN", AP_COMM_LEN);
  c.Set("AP_CGNAME_MAX", AP_CGNAME_MAX);
  c.Set("AP_PATH_MAX", AP_PATH_MAX);
  c.Set("AP_UNIX_PATH_MAX", AP_UNIX_PATH_MAX);
  c.Set("AP_ARGS_MAX", AP_ARGS_MAX);
  c.Set("AP_ARGC_MAX", AP_ARGC_MAX);
  c.Set("AP_TLS_MAX", AP_TLS_MAX);
  c.Set("AP_KIND_SLOTS", AP_KIND_SLOTS);
  c.Set("AP_EV_EXEC", static_cast<int>(AP_EV_EXEC));
  c.Set("AP_EV_FORK", static_cast<int>(AP_EV_FORK));
  c.Set("AP_EV_EXIT", static_cast<int>(AP_EV_EXIT));
  c.Set("AP_EV_CONNECT", static_cast<int>(AP_EV_CONNECT));
  c.Set("AP_EV_OPEN", static_cast<int>(AP_EV_OPEN));
  c.Set("AP_EV_CRED", static_cast<int>(AP_EV_CRED));
  c.Set("AP_EV_PTRACE", static_cast<int>(AP_EV_PTRACE));
  c.Set("AP_EV_RENAME", static_cast<int>(AP_EV_RENAME));
  c.Set("AP_EV_UNLINK", static_cast<int>(AP_EV_UNLINK));
  c.Set("AP_EV_TLS", static_cast<int>(AP_EV_TLS));
  c.Set("AP_EV_ENFORCE", static_cast<int>(AP_EV_ENFORCE));
  c.Set("AP_DENY_CONTAIN_SHIFT", static_cast<int>(AP_DENY_CONTAIN_SHIFT));
  c.Set("AP_CONTAIN_KILL", static_cast<int>(AP_CONTAIN_KILL));
  c.Set("AP_CONTAIN_FREEZE", static_cast<int>(AP_CONTAIN_FREEZE));
  c.Set("AP_CG_TRACK", static_cast<int>(AP_CG_TRACK));
  c.Set("AP_CG_QUARANTINE", static_cast<int>(AP_CG_QUARANTINE));
  c.Set("AP_CG_ENFORCE", static_cast<int>(AP_CG_ENFORCE));
  c.Set("AP_TRACK_CGROUPS", static_cast<int>(AP_TRACK_CGROUPS));
  c.Set("AP_TRACK_TGIDS", static_cast<int>(AP_TRACK_TGIDS));
  return c;
}

}  // namespace agentprov
