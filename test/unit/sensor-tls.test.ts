/** tls.ts: HTTP/1 parse, HTTP/2 detection and redaction, on real client bytes from fixtures/tls/. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseTlsPayload, redactHttpText } from '../../src/sensor/index.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../../fixtures/tls', name));

describe('parseTlsPayload', () => {
  it('parses curl\'s request and keeps none of its three secrets', () => {
    const info = parseTlsPayload(fixture('curl-post-http1.txt'));
    expect(info.kind).toBe('request');
    expect(info.method).toBe('POST');
    // the shared redactor (model/redact) keeps a token's kind prefix, never its secret part
    expect(info.path).toBe('/v1/chat/completions?api_key=sk-proj-[REDACTED]&stream=true');
    expect(info.host).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(info.content_type).toBe('application/json');
    expect(info.user_agent).toBe('curl/7.88.1');
    expect(info.http2).toBe(false);
    // the header line goes whole, so its Bearer token is not counted again; the query key is an sk- key too
    expect(info.redacted).toEqual(['body:api_key', 'header:authorization', 'key:sk', 'query:api_key']);
    expect(JSON.stringify(info)).not.toMatch(/sk-proj-[^[]|FAKE|SECRET/);
  });

  it('parses node\'s SDK-style request and notes the x-api-key header', () => {
    const info = parseTlsPayload(fixture('node-post-http1.txt'));
    expect(info).toMatchObject({ kind: 'request', method: 'POST', path: '/v1/messages', content_type: 'application/json', user_agent: 'Anthropic/JS 0.30.0' });
    expect(info.redacted).toEqual(['header:x-api-key', 'key:sk']); // the header held an sk- key
    expect(JSON.stringify(info)).not.toContain('sk-ant');
  });

  it('detects HTTP/2 from the client preface and from frames alone', () => {
    const bytes = fixture('curl-h2-preface.bin');
    expect(parseTlsPayload(bytes)).toMatchObject({ kind: 'http2', http2: true });
    // the next SSL_write of the connection carries frames only
    expect(parseTlsPayload(bytes.subarray(24))).toMatchObject({ kind: 'http2', http2: true });
  });

  it('parses a response status and content type', () => {
    const info = parseTlsPayload(Buffer.from('HTTP/1.1 429 Too Many Requests\r\ncontent-type: application/json\r\nset-cookie: s=abc\r\n\r\n{}'));
    expect(info).toMatchObject({ kind: 'response', status: 429, content_type: 'application/json', redacted: ['header:set-cookie'] });
  });

  it('reports secrets in a body chunk without pretending it is a request', () => {
    const info = parseTlsPayload(Buffer.from('{"token":"abc123","n":1}'));
    expect(info).toEqual({ kind: 'unknown', http2: false, redacted: ['body:token'] });
    expect(parseTlsPayload(new Uint8Array([0x16, 0x03, 0x01, 0xff, 0xff]))).toEqual({ kind: 'unknown', http2: false, redacted: [] });
  });

  it('parses a request cut in the middle of its headers (4 KiB capture limit)', () => {
    const info = parseTlsPayload(Buffer.from('GET /a?token=zzz HTTP/1.1\r\nHost: api.example.com\r\nAuthoriz'));
    expect(info).toMatchObject({ kind: 'request', method: 'GET', path: '/a?token=[REDACTED]', host: 'api.example.com' });
  });
});

describe('redactHttpText', () => {
  it('removes header values, bearer tokens, sk- keys, JSON secrets and query secrets', () => {
    const { text, redacted } = redactHttpText(fixture('curl-post-http1.txt').toString('latin1'));
    expect(text).toContain('Authorization: Bearer sk-proj-[REDACTED]');
    expect(text).toContain('"api_key":"sk-proj-[REDACTED]"');
    expect(text).toContain('?api_key=sk-proj-[REDACTED]&stream=true');
    expect(text).not.toMatch(/sk-proj-[^[]|FAKE|SECRET/);
    expect(redacted).toContain('header:authorization');
  });

  it('leaves text without secrets unchanged', () => {
    const plain = 'GET /v1/models HTTP/1.1\r\nHost: x\r\nAccept: */*\r\n\r\n';
    expect(redactHttpText(plain)).toEqual({ text: plain, redacted: [] });
  });

  it('redacts keys that appear in free text', () => {
    expect(redactHttpText('use Bearer abc.def-ghi and sk-ant-api03-0123456789abcdefXYZ').text).toBe('use Bearer [REDACTED] and sk-ant-api03-[REDACTED]');
  });
});
