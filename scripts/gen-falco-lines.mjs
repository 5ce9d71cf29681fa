#!/usr/bin/env node
/**
 * @module scripts/gen-falco-lines: writes N realistic Falco json_output lines for the ingest benchmark.
 *
 * Usage: node scripts/gen-falco-lines.mjs <out.jsonl> [N=200000] [--seed 1]
 *
 * The shapes follow real Falco alerts (see fixtures/falco/): a shell spawned in a container, a sensitive
 * file read, outbound connects (including the cloud metadata address 169.254.169.254), some with and some
 * without proc.pid (output_fields only carry what the rule's output names), and an occasional
 * "syscall event drop" alert. Deterministic for a given seed so benchmark runs are comparable.
 */
import { createWriteStream } from 'node:fs';

const args = process.argv.slice(2);
const out = args[0];
if (!out) {
  process.stderr.write('usage: node scripts/gen-falco-lines.mjs <out.jsonl> [N=200000] [--seed 1]\n');
  process.exit(2);
}
const count = Number(args[1] && !args[1].startsWith('--') ? args[1] : 200_000);
const seedAt = args.indexOf('--seed');
let seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 1;

/** mulberry32: tiny deterministic PRNG (Math.random cannot be seeded). */
function rand() {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = (list) => list[Math.floor(rand() * list.length)];
const hex = (n) => Array.from({ length: n }, () => '0123456789abcdef'[Math.floor(rand() * 16)]).join('');

const containers = Array.from({ length: 8 }, () => hex(12));
const hosts = ['97ade2b595f0', 'falco-xczjd', 'ip-10-0-3-17', 'agent-runner-2'];
const sensitive = ['/etc/shadow', '/etc/sudoers', '/root/.ssh/id_rsa', '/etc/pam.conf', '/home/app/.aws/credentials'];
const shells = [
  ['bash', '/bin/bash', 'bash -c curl -s http://169.254.169.254/latest/meta-data/ | sh'],
  ['sh', '/bin/sh', 'sh -c clear; (bash || ash || sh)'],
  ['bash', '/bin/bash', 'bash -c ls > /dev/null'],
  ['zsh', '/usr/bin/zsh', 'zsh -i'],
];
const remotes = [
  ['169.254.169.254', 80],
  ['140.82.112.3', 443],
  ['104.16.132.229', 443],
  ['10.96.0.10', 53],
  ['185.199.108.133', 443],
];

let ns = 1_715_108_059_341_081_180n;

function isoNs(t) {
  const ms = Number(t / 1_000_000n);
  const frac = (t % 1_000_000_000n).toString().padStart(9, '0');
  return `${new Date(ms).toISOString().slice(0, 19)}.${frac}Z`;
}

function shellSpawn(time, host, withPid) {
  const [name, exe, cmdline] = pick(shells);
  const cid = pick(containers);
  const pid = 1000 + Math.floor(rand() * 60000);
  const fields = {
    'container.id': cid,
    'container.name': `agent-sandbox-${cid.slice(0, 4)}`,
    'evt.time': `__NS${time}__`,
    'evt.type': 'execve',
    'proc.cmdline': cmdline,
    'proc.exepath': exe,
    'proc.name': name,
    'proc.pname': pick(['node', 'python3', 'runc', 'containerd-shim']),
    'proc.tty': 34816,
    'user.loginuid': -1,
    'user.name': 'root',
    'user.uid': 0,
  };
  if (withPid) Object.assign(fields, { 'proc.pid': pid, 'proc.ppid': pid - 1 - Math.floor(rand() * 50) });
  return {
    hostname: host,
    output: `${isoNs(time)}: Notice Shell spawned by untrusted binary (evt_type=execve user=root user_uid=0 process=${name} proc_exepath=${exe} command=${cmdline} terminal=34816 container_id=${cid})`,
    priority: 'Notice',
    rule: 'Run shell untrusted',
    source: 'syscall',
    tags: ['T1059.004', 'container', 'host', 'maturity_stable', 'mitre_execution', 'process', 'shell'],
    time: isoNs(time),
    output_fields: fields,
  };
}

function sensitiveRead(time, host, withPid) {
  const file = pick(sensitive);
  const cid = pick(containers);
  const fields = {
    'container.id': cid,
    'container.name': `agent-sandbox-${cid.slice(0, 4)}`,
    'evt.time.iso8601': `__NS${time}__`,
    'evt.type': 'openat',
    'fd.name': file,
    'proc.cmdline': `python3 tool_runner.py --read ${file}`,
    'proc.exepath': '/usr/bin/python3.11',
    'proc.name': 'python3',
    'proc.pname': 'node',
    'proc.tty': 0,
    'user.loginuid': -1,
    'user.name': 'root',
    'user.uid': 0,
  };
  if (withPid) fields['proc.pid'] = 2000 + Math.floor(rand() * 60000);
  return {
    hostname: host,
    output: `${isoNs(time)}: Warning Sensitive file opened for reading by non-trusted program (file=${file} evt_type=openat user=root user_uid=0 process=python3 proc_exepath=/usr/bin/python3.11 command=python3 tool_runner.py container_id=${cid})`,
    priority: 'Warning',
    rule: 'Read sensitive file untrusted',
    source: 'syscall',
    tags: ['T1555', 'container', 'filesystem', 'host', 'maturity_stable', 'mitre_credential_access'],
    time: isoNs(time),
    output_fields: fields,
  };
}

function outboundConnect(time, host, withPid) {
  const [ip, port] = pick(remotes);
  const cid = pick(containers);
  const lport = 32768 + Math.floor(rand() * 28000);
  const metadata = ip === '169.254.169.254';
  const fields = {
    'container.id': cid,
    'evt.time': `__NS${time}__`,
    'evt.type': 'connect',
    'fd.name': `172.17.0.4:${lport}->${ip}:${port}`,
    'fd.rip': ip,
    'fd.rport': port,
    'fd.sip': ip,
    'fd.sport': port,
    'proc.cmdline': metadata ? 'curl -s http://169.254.169.254/latest/meta-data/iam/' : `node agent.js --tool fetch`,
    'proc.exepath': metadata ? '/usr/bin/curl' : '/usr/local/bin/node',
    'proc.name': metadata ? 'curl' : 'node',
    'user.name': 'app',
    'user.uid': 1000,
  };
  if (withPid) Object.assign(fields, { 'proc.pid': 3000 + Math.floor(rand() * 60000), 'proc.ppid': 2999 });
  return {
    hostname: host,
    output: `${isoNs(time)}: ${metadata ? 'Notice Outbound connection to cloud metadata service' : 'Notice Unexpected outbound connection'} (connection=172.17.0.4:${lport}->${ip}:${port} command=${fields['proc.cmdline']} container_id=${cid})`,
    priority: metadata ? 'Notice' : 'Informational',
    rule: metadata ? 'Contact EC2 Instance Metadata Service From Container' : 'Unexpected outbound connection destination',
    source: 'syscall',
    tags: ['T1565', 'container', 'maturity_incubating', 'mitre_discovery', 'network'],
    time: isoNs(time),
    output_fields: fields,
  };
}

function dropAlert(time) {
  const drops = 1 + Math.floor(rand() * 500);
  return {
    output: `Falco internal: syscall event drop. ${drops} system calls dropped in last second.`,
    output_fields: {
      ebpf_enabled: '1',
      n_drops: String(drops),
      n_drops_buffer: String(drops),
      n_drops_bug: '0',
      n_drops_pf: '0',
      n_evts: String(20000 + Math.floor(rand() * 20000)),
    },
    priority: 'Critical',
    rule: 'Falco internal: syscall event drop',
    time: isoNs(time),
  };
}

const stream = createWriteStream(out, { highWaterMark: 1 << 20 });
let pending = [];
for (let i = 0; i < count; i++) {
  ns += BigInt(1 + Math.floor(rand() * 2_000_000));
  const host = pick(hosts);
  const withPid = rand() < 0.5;
  const r = rand();
  const obj =
    r < 0.001
      ? dropAlert(ns)
      : r < 0.35
        ? shellSpawn(ns, host, withPid)
        : r < 0.7
          ? sensitiveRead(ns, host, withPid)
          : outboundConnect(ns, host, withPid);
  // Falco prints 64-bit ns exactly; JSON.stringify of a JS number would round them.
  pending.push(JSON.stringify(obj).replace(/"__NS(\d+)__"/g, '$1'));
  if (pending.length === 2000) {
    if (!stream.write(pending.join('\n') + '\n')) await new Promise((r) => stream.once('drain', r));
    pending = [];
  }
}
if (pending.length) stream.write(pending.join('\n') + '\n');
stream.end();
await new Promise((r) => stream.once('finish', r));
process.stderr.write(`wrote ${count} Falco lines to ${out}\n`);
