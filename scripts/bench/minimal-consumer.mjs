// minimal-consumer.mjs: the baseline of issue 13's "sensor CPU per event" for scripts/bench-sensor-cpu.sh.
// What the simplest Node consumer of the same events costs: it builds N event objects of the shape the sensor
// wrote (the last line of TYPE in SAMPLE.jsonl: same members, same order, same values but pid and times), writes
// them as JSON lines to OUT, one write per 1,000 lines, and prints {"events":N,"cpu_us":..} (user + system).
//
//   node minimal-consumer.mjs SAMPLE.jsonl TYPE N OUT
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

const [sample, type, count, out] = process.argv.slice(2);
const n = Number(count);
if (!sample || !type || !Number.isSafeInteger(n) || n <= 0 || !out) {
  process.stderr.write('usage: minimal-consumer.mjs SAMPLE.jsonl TYPE N OUT\n');
  process.exit(2);
}
let template = null;
for (const line of readFileSync(sample, 'utf8').split('\n')) {
  if (line.includes(`"type":"${type}"`)) template = JSON.parse(line);
}
if (template === null) {
  process.stderr.write(`minimal-consumer: no ${type} event in ${sample}\n`);
  process.exit(3);
}
// An object literal per event, built by a function made for this shape: what a consumer written for these
// events would do. 64-bit ns stay decimal strings (a consumer that had them as bigint would convert them).
const keys = Object.keys(template);
const members = keys.map((k) => {
  const lit = JSON.stringify(k);
  if (k === 'pid' || k === 'tgid') return `${lit}: pid`;
  if (k === 'time_ns') return `${lit}: String(t0 + BigInt(i))`;
  return `${lit}: tpl[${lit}]`;
});
const build = new Function('tpl', 'i', 'pid', 't0', `return { ${members.join(', ')} };`);
const t0 = BigInt(template.time_ns ?? '0');

const fd = openSync(out, 'w', 0o600);
const start = process.cpuUsage();
let lines = [];
for (let i = 0; i < n; i++) {
  lines.push(JSON.stringify(build(template, i, 1000 + (i % 50000), t0)));
  if (lines.length === 1000) {
    writeSync(fd, `${lines.join('\n')}\n`);
    lines = [];
  }
}
if (lines.length > 0) writeSync(fd, `${lines.join('\n')}\n`);
const used = process.cpuUsage(start);
closeSync(fd);
process.stdout.write(`${JSON.stringify({ events: n, cpu_us: used.user + used.system })}\n`);
