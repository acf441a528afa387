// The PROXY protocol (HAProxy, versions 1 and 2): a TCP load balancer in front of the
// gateways prepends the real client's address to the connection, so that the in-memory
// throttles see clients, not the balancer. Read once, before anything else (TLS
// included); the address stays in memory, as every client address does.
import { isIP } from 'node:net';

/** The v2 signature (12 bytes). */
const V2_SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);
/** A v1 header is at most 107 bytes, CRLF included. */
const V1_MAX = 107;

/** A parsed header: the client's address (undefined for LOCAL/UNKNOWN: a health check) and how many bytes it took. */
export interface ProxyHeader {
  address?: string;
  length: number;
}

/**
 * Parses a PROXY header at the start of `buf`: the header, `undefined` when more bytes
 * are needed, or an Error for anything that is not a valid header.
 */
export function parseProxyHeader(buf: Buffer): ProxyHeader | undefined | Error {
  if (buf.length >= 1 && buf[0] === 0x0d) return parseV2(buf);
  if (buf.length >= 1 && buf[0] === 0x50 /* P */) return parseV1(buf);
  return new Error('not a PROXY protocol header');
}

function parseV1(buf: Buffer): ProxyHeader | undefined | Error {
  const end = buf.indexOf('\r\n');
  if (end < 0) return buf.length >= V1_MAX ? new Error('PROXY v1 header too long') : undefined;
  const line = buf.subarray(0, end).toString('latin1');
  const parts = line.split(' ');
  if (parts[0] !== 'PROXY') return new Error('not a PROXY protocol header');
  if (parts[1] === 'UNKNOWN') return { length: end + 2 };
  if ((parts[1] !== 'TCP4' && parts[1] !== 'TCP6') || parts.length !== 6) return new Error('malformed PROXY v1 header');
  const family = parts[1] === 'TCP4' ? 4 : 6;
  if (isIP(parts[2]) !== family || isIP(parts[3]) !== family) return new Error('malformed PROXY v1 address');
  for (const p of [parts[4], parts[5]]) if (!/^\d{1,5}$/.test(p) || Number(p) > 65535) return new Error('malformed PROXY v1 port');
  return { address: parts[2], length: end + 2 };
}

function parseV2(buf: Buffer): ProxyHeader | undefined | Error {
  if (buf.length < 16) return buf.subarray(0, Math.min(buf.length, 12)).equals(V2_SIGNATURE.subarray(0, Math.min(buf.length, 12))) ? undefined : new Error('not a PROXY protocol header');
  if (!buf.subarray(0, 12).equals(V2_SIGNATURE)) return new Error('not a PROXY protocol header');
  const verCmd = buf[12];
  if (verCmd >> 4 !== 2) return new Error('unsupported PROXY protocol version');
  const length = 16 + buf.readUInt16BE(14);
  if (buf.length < length) return undefined;
  const command = verCmd & 0x0f;
  if (command === 0) return { length }; // LOCAL: the balancer's own connection (health check)
  if (command !== 1) return new Error('unknown PROXY v2 command');
  const family = buf[13] >> 4;
  if (family === 1 && length >= 16 + 12) return { address: [...buf.subarray(16, 20)].join('.'), length };
  if (family === 2 && length >= 16 + 36) {
    const groups: string[] = [];
    for (let i = 0; i < 8; i++) groups.push(buf.readUInt16BE(16 + i * 2).toString(16));
    return { address: groups.join(':'), length };
  }
  return { length }; // AF_UNIX or unspecified: no client address
}

/** Longest PROXY header read (v2 may carry TLVs; a balancer's are small). */
const HEADER_MAX = 4096;

/**
 * Reads the PROXY header off a fresh connection: resolves with the client's address
 * (undefined for a LOCAL health check) and the bytes that followed it, or rejects for
 * a connection that does not start with a valid header within `timeoutMs`.
 */
export function readProxyHeader(socket: import('node:net').Socket, timeoutMs: number): Promise<{ address?: string; rest: Buffer }> {
  return new Promise((resolve, reject) => {
    let buf = Buffer.alloc(0);
    const done = (err?: Error, value?: { address?: string; rest: Buffer }) => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
      if (err) reject(err);
      else resolve(value!);
    };
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      const h = parseProxyHeader(buf);
      if (h instanceof Error) return done(h);
      if (h === undefined) return buf.length > HEADER_MAX ? done(new Error('PROXY header too long')) : undefined;
      socket.pause();
      done(undefined, { ...(h.address ? { address: h.address } : {}), rest: buf.subarray(h.length) });
    };
    const onClose = () => done(new Error('closed before a PROXY header'));
    const timer = setTimeout(() => done(new Error('no PROXY header in time')), timeoutMs);
    timer.unref();
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}
