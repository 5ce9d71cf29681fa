import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { forwardLines } from '../../src/cli/line-forwarder.js';

describe('forwardLines', () => {
  it('holds half a line so a notice written meanwhile lands between lines, not inside one', async () => {
    let out = '';
    const child = new PassThrough();
    forwardLines(child, (s) => (out += s));
    child.write('errno');
    out += 'agentprov: risk critical 90 deny\n'; // our own notice, written while the child is mid-line
    child.write(' 1\nerrno 1\n');
    child.end();
    await sleep(5);
    expect(out).toBe('agentprov: risk critical 90 deny\nerrno 1\nerrno 1\n');
  });

  it('does not split a UTF-8 character that arrives in two chunks', async () => {
    let out = '';
    const child = new PassThrough();
    forwardLines(child, (s) => (out += s));
    const bytes = Buffer.from('déjà vu\n');
    child.write(bytes.subarray(0, 2));
    child.write(bytes.subarray(2));
    child.end();
    await sleep(5);
    expect(out).toBe('déjà vu\n');
  });

  it('forwards a prompt without a newline after the hold, and the last fragment at the end', async () => {
    let out = '';
    const child = new PassThrough();
    forwardLines(child, (s) => (out += s), 20);
    child.write('password: ');
    await sleep(60);
    expect(out).toBe('password: ');
    child.write('tail');
    child.end();
    await sleep(5);
    expect(out).toBe('password: tail');
  });
});
