/**
 * Forwards a child's output stream line by line. The child's writes and our own notices go to the same
 * stream, and a pipe hands over whatever the child wrote so far (half a line, half a UTF-8 character), so
 * forwarding chunks as they come lets a notice land in the middle of the child's line. A trailing fragment
 * without a newline (a prompt, a progress bar) is held only briefly, then forwarded as it is.
 */
import { StringDecoder } from 'node:string_decoder';
import type { Readable } from 'node:stream';

const FRAGMENT_HOLD_MS = 100;

export function forwardLines(from: Readable, write: (s: string) => void, holdMs = FRAGMENT_HOLD_MS): void {
  const decoder = new StringDecoder('utf8');
  let pending = '';
  let timer: NodeJS.Timeout | null = null;
  const flush = (): void => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (pending !== '') write(pending);
    pending = '';
  };
  from.on('data', (chunk: Buffer) => {
    const text = pending + decoder.write(chunk);
    const cut = text.lastIndexOf('\n') + 1;
    if (cut > 0) write(text.slice(0, cut));
    pending = text.slice(cut);
    if (timer) clearTimeout(timer);
    timer = pending === '' ? null : setTimeout(flush, holdMs);
    timer?.unref();
  });
  from.on('end', () => {
    pending += decoder.end();
    flush();
  });
  from.on('close', flush);
}
