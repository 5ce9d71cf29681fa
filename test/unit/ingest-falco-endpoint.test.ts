import { describe, expect, it } from 'vitest';
import { parseAddress, parseTuple } from '../../src/ingest/falco-endpoint.js';

describe('parseAddress: the address text of fd.rip / fd.sip', () => {
  it('a bare IPv4 address has no port', () => {
    expect(parseAddress('169.254.169.254')).toEqual({ ip: '169.254.169.254', port: null, family: 'inet' });
  });

  it('IPv4 "ip:port" splits into address and port', () => {
    expect(parseAddress('169.254.169.254:80')).toEqual({ ip: '169.254.169.254', port: 80, family: 'inet' });
  });

  it('bracketed "[v6]:port" and "[v6]"', () => {
    expect(parseAddress('[fd00:ec2::254]:80')).toEqual({ ip: 'fd00:ec2::254', port: 80, family: 'inet6' });
    expect(parseAddress('[::1]')).toEqual({ ip: '::1', port: null, family: 'inet6' });
  });

  it('a bare IPv6 address is an address, its last group no port ("::1", "fd00:ec2::254")', () => {
    expect(parseAddress('::1')).toEqual({ ip: '::1', port: null, family: 'inet6' });
    expect(parseAddress('fd00:ec2::254')).toEqual({ ip: 'fd00:ec2::254', port: null, family: 'inet6' });
    expect(parseAddress('::ffff:10.0.0.5')).toEqual({ ip: '::ffff:10.0.0.5', port: null, family: 'inet6' });
  });

  it('an unbracketed "v6:port" only when the whole text is no address', () => {
    expect(parseAddress('2001:db8:0:0:0:0:0:1:443')).toEqual({ ip: '2001:db8:0:0:0:0:0:1', port: 443, family: 'inet6' });
  });

  it.each([
    ['', 'empty'],
    ['<NA>', "Falco's no-value"],
    ['/etc/passwd', 'a file path'],
    ['metadata.google.internal:80', 'a host name'],
    ['169.254.169.254:99999', 'a port past 65535'],
    ['169.254.169.254:', 'an empty port'],
    ['[fd00::1]80', 'junk after the bracket'],
    ['[fd00::1', 'an unclosed bracket'],
    ['10.0.0.256', 'an octet past 255'],
  ])('%j (%s) is no address', (text) => {
    expect(parseAddress(text)).toBeNull();
  });
});

describe("parseTuple: fd.name of an inet socket, 'cip:cport->sip:sport'", () => {
  it('IPv4: the client before the arrow, the server after it', () => {
    expect(parseTuple('10.0.0.2:40512->169.254.169.254:80')).toEqual({
      client: { ip: '10.0.0.2', port: 40512, family: 'inet' },
      server: { ip: '169.254.169.254', port: 80, family: 'inet' },
    });
  });

  it('IPv6 unbracketed, as libsinsp prints it: the port is always the last group', () => {
    expect(parseTuple('::1:40512->::1:8080')).toEqual({
      client: { ip: '::1', port: 40512, family: 'inet6' },
      server: { ip: '::1', port: 8080, family: 'inet6' },
    });
  });

  it('IPv6 bracketed', () => {
    expect(parseTuple('[fd00::2]:40512->[fd00:ec2::254]:80')?.server).toEqual({ ip: 'fd00:ec2::254', port: 80, family: 'inet6' });
  });

  it.each([
    ['/etc/passwd', 'a file path'],
    ['/tmp/a->b', 'a file path with an arrow'],
    ['<NA>', "Falco's no-value"],
    ['', 'empty'],
    ['10.0.0.2:40512->', 'no server end'],
    ['[::1]->[::2]', 'ends without ports'],
  ])('%j (%s) is no tuple', (text) => {
    expect(parseTuple(text)).toBeNull();
  });
});
