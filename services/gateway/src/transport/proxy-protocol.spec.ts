import { parseProxyHeader } from './proxy-protocol';

const V2 = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

function v2(command: number, family: number, body: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head[0] = 0x20 | command;
  head[1] = (family << 4) | 1;
  head.writeUInt16BE(body.length, 2);
  return Buffer.concat([V2, head, body]);
}

describe('PROXY protocol headers', () => {
  it('reads a v1 TCP4 and TCP6 header and says how long it was', () => {
    const h = Buffer.from('PROXY TCP4 203.0.113.7 192.0.2.1 51234 5222\r\n<stream');
    expect(parseProxyHeader(h)).toEqual({ address: '203.0.113.7', length: h.indexOf('<') });
    expect(parseProxyHeader(Buffer.from('PROXY TCP6 2001:db8::1 2001:db8::2 1 5222\r\n'))).toMatchObject({ address: '2001:db8::1' });
    expect(parseProxyHeader(Buffer.from('PROXY UNKNOWN\r\n'))).toEqual({ length: 15 });
  });

  it('waits for the rest of a header that is cut short', () => {
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 203.0'))).toBeUndefined();
    expect(parseProxyHeader(V2.subarray(0, 7))).toBeUndefined();
    const whole = v2(1, 1, Buffer.from([203, 0, 113, 7, 192, 0, 2, 1, 0x14, 0x66, 0x14, 0x66]));
    expect(parseProxyHeader(whole.subarray(0, 20))).toBeUndefined();
  });

  it('reads v2 PROXY (IPv4 and IPv6) and LOCAL', () => {
    expect(parseProxyHeader(v2(1, 1, Buffer.from([203, 0, 113, 7, 192, 0, 2, 1, 0x14, 0x66, 0x14, 0x66])))).toEqual({ address: '203.0.113.7', length: 28 });
    const six = Buffer.alloc(36);
    six.writeUInt16BE(0x2001, 0);
    six.writeUInt16BE(0x0db8, 2);
    six.writeUInt16BE(1, 14);
    expect(parseProxyHeader(v2(1, 2, six))).toEqual({ address: '2001:db8:0:0:0:0:0:1', length: 52 });
    expect(parseProxyHeader(v2(0, 0, Buffer.alloc(0)))).toEqual({ length: 16 });
  });

  it('refuses what is not a header, a forged address or an overlong line', () => {
    expect(parseProxyHeader(Buffer.from("<?xml version='1.0'?>"))).toBeInstanceOf(Error);
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 not-an-ip 192.0.2.1 1 2\r\n'))).toBeInstanceOf(Error);
    expect(parseProxyHeader(Buffer.from('PROXY TCP4 1.2.3.4 192.0.2.1 99999 2\r\n'))).toBeInstanceOf(Error);
    expect(parseProxyHeader(Buffer.from(`PROXY TCP4 ${'1'.repeat(120)}`))).toBeInstanceOf(Error);
    expect(parseProxyHeader(Buffer.concat([V2, Buffer.from([0x31, 0x11, 0, 0])]))).toBeInstanceOf(Error);
  });
});
