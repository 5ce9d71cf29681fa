/**
 * @module scripts/bench-redact: redaction time on hostile argv. Anything that can exec chooses its argv, and
 * every exec's argv is redacted on the sensor's thread, so a shape that makes a rule rescan the text (a
 * quadratic regex) is a way to stall the sensor. Times redactText on 4 KiB of each shape against 4 KiB of
 * plain text in the same run and prints the ratios; the target is the worst shape within 5x the plain text
 * (before the fix of 2026-12-07 a dotted run cost ~180x: 2.4 ms for 2 KiB; a line of `mysql` words 19x).
 *
 * Usage (after `make build`): node dist/scripts/bench-redact.js [--strict]
 */
import { redactText } from '../src/model/redact.js';

const SIZE = 4096;
const fill = (unit: string): string => unit.repeat(Math.ceil(SIZE / unit.length)).slice(0, SIZE);
const SHAPES: Record<string, string> = {
  'dotted name run (a.b.c.)': fill('a.b.c.'),
  'mixed name run (a.b-c_d)': fill('a.b-c_d'),
  'token prefixes (sk-)': fill('sk-'),
  'JWT prefixes (eyJ)': fill('eyJ'),
  'quoted runs ("a.b)': fill('"a.b'),
  'flag runs ( -a.b)': fill(' -a.b'),
  'scheme runs (x.https:)': fill('x.https:'),
  'commands (mysql )': fill('mysql '),
  'commands (curl )': fill('curl '),
};

/** Median microseconds of one redactText call on text, over rounds of calls on slightly different texts. */
function time(text: string): number {
  const variants = Array.from({ length: 8 }, (_, i) => `${text.slice(0, SIZE - 1)}${i}`);
  for (let i = 0; i < 50; i++) redactText(variants[i % 8]!, null); // warm-up: compiled regexps
  const rounds: number[] = [];
  for (let r = 0; r < 7; r++) {
    const t = performance.now();
    for (let i = 0; i < 40; i++) redactText(variants[i % 8]!, null);
    rounds.push(((performance.now() - t) * 1000) / 40);
  }
  return rounds.sort((a, b) => a - b)[3]!;
}

function main(argv: string[]): number {
  const plain = time(fill('plain text with words and spaces '));
  console.log(`redaction of ${SIZE} bytes of argv; baseline, plain text: ${plain.toFixed(1)} us`);
  let worst = 0;
  let worstName = '';
  for (const [name, text] of Object.entries(SHAPES)) {
    const us = time(text);
    const ratio = us / plain;
    if (ratio > worst) [worst, worstName] = [ratio, name];
    console.log(`  ${name.padEnd(28)} ${us.toFixed(1).padStart(8)} us  ${ratio.toFixed(1).padStart(6)}x`);
  }
  const met = worst <= 5;
  console.log(`worst: ${worstName} at ${worst.toFixed(1)}x plain text (target <= 5x): ${met ? 'met' : 'NOT met'}`);
  return met || !argv.includes('--strict') ? 0 : 1;
}

process.exitCode = main(process.argv.slice(2));
