// SCRAM server (RFC 5802; SHA-256 per RFC 7677; SHA-512 as registered with IANA from
// draft-melnikov-scram-sha-512, the same construction with SHA-512), including the -PLUS
// channel-binding variants. Pure: no I/O beyond the caller's `lookup`, no
// logging. Only salted keys are ever handled; passwords exist only inside
// deriveScramCredentials and are not kept.

import { createHash, createHmac, pbkdf2, randomBytes, timingSafeEqual } from 'node:crypto';
import { randomToken } from '../../host/random-token';
import { TextDecoder } from 'node:util';
import { prepareDomainpart, prepareLocalpart, tryParseJid } from '@parley/jid';
import { saslprep } from './saslprep';

export { SaslPrepError } from './saslprep';

/** The hash a SCRAM mechanism uses: SCRAM-SHA-1, SCRAM-SHA-256 or SCRAM-SHA-512. */
export type ScramHash = 'sha1' | 'sha256' | 'sha512';

/** What the server stores per account and hash (never the password). */
export interface ScramCredentials {
  salt: Buffer;
  iterations: number;
  storedKey: Buffer;
  serverKey: Buffer;
}

/** The smallest iteration count accepted (RFC 7677 §4). */
export const MIN_SCRAM_ITERATIONS = 4096;
/** Iteration count used when none is given. */
export const DEFAULT_SCRAM_ITERATIONS = 4096;

const KEY_LENGTH: Record<ScramHash, number> = { sha1: 20, sha256: 32, sha512: 64 };

function hmac(hash: ScramHash, key: Buffer, data: string | Buffer): Buffer {
  return createHmac(hash, key).update(data).digest();
}

function digest(hash: ScramHash, data: Buffer): Buffer {
  return createHash(hash).update(data).digest();
}

function pbkdf2Async(password: Buffer, salt: Buffer, iterations: number, hash: ScramHash): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    pbkdf2(password, salt, iterations, KEY_LENGTH[hash], hash, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/**
 * Derives the stored SCRAM credentials for a password: SASLprep, then
 * SaltedPassword = PBKDF2 (async), StoredKey = H(HMAC(SaltedPassword,
 * "Client Key")), ServerKey = HMAC(SaltedPassword, "Server Key").
 * Defaults: a fresh 16-byte random salt and DEFAULT_SCRAM_ITERATIONS.
 * Throws SaslPrepError for a password SASLprep forbids, RangeError for an
 * iteration count below MIN_SCRAM_ITERATIONS or an empty salt.
 */
export async function deriveScramCredentials(
  password: string,
  hash: ScramHash,
  opts: { salt?: Buffer; iterations?: number } = {},
): Promise<ScramCredentials> {
  const iterations = opts.iterations ?? DEFAULT_SCRAM_ITERATIONS;
  if (!Number.isSafeInteger(iterations) || iterations < MIN_SCRAM_ITERATIONS) {
    throw new RangeError(`SCRAM iterations must be an integer >= ${MIN_SCRAM_ITERATIONS}`);
  }
  const salt = opts.salt ?? randomBytes(16);
  if (salt.length === 0) throw new RangeError('SCRAM salt must not be empty');
  const secret = Buffer.from(saslprep(password), 'utf8');
  let salted: Buffer | undefined;
  try {
    salted = await pbkdf2Async(secret, salt, iterations, hash);
    const clientKey = hmac(hash, salted, 'Client Key');
    const creds = { salt, iterations, storedKey: digest(hash, clientKey), serverKey: hmac(hash, salted, 'Server Key') };
    clientKey.fill(0);
    return creds;
  } finally {
    secret.fill(0);
    salted?.fill(0);
  }
}

/**
 * Compares two buffers in time independent of their contents (a length
 * mismatch returns false, still after a comparison of equal cost).
 */
export function timingSafeEqualBuffers(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) {
    timingSafeEqual(a, a);
    return false;
  }
  return timingSafeEqual(a, b);
}

/** One step of a SASL exchange as the connection sends it. */
export type SaslStep =
  | { kind: 'challenge'; data: Buffer }
  | { kind: 'success'; data: Buffer; username: string }
  | { kind: 'failure'; condition: 'not-authorized' | 'malformed-request' | 'invalid-authzid' | 'encryption-required'; text?: string };

/** How one SCRAM exchange is run. */
export interface ScramServerOptions {
  hash: ScramHash;
  /** This exchange is the -PLUS (channel binding) variant of the mechanism. */
  plus: boolean;
  /** The server advertised a -PLUS mechanism (a client flag 'y' then means a downgrade). */
  serverSupportsPlus: boolean;
  /** Channel binding data for a type ('tls-exporter', 'tls-server-end-point'), undefined if unsupported. */
  channelBinding?: (type: string) => Buffer | undefined;
  /**
   * Credentials for a username: the saslname from the client, with =2C/=3D
   * decoded but otherwise raw (the caller prepares it). Undefined for an
   * unknown user; the exchange then continues with fake credentials and
   * fails at the last step exactly as a wrong password would.
   */
  lookup: (username: string) => Promise<ScramCredentials | undefined>;
  /** Random bytes in the server nonce (default 18, i.e. 24 base64 characters). */
  nonceBytes?: number;
  /**
   * The server's domain. An authzid must be the bare JID of the authenticating
   * user; with `domain` its domainpart is checked too, without it only the
   * localpart is.
   */
  domain?: string;
  /** Iteration count shown for unknown users; should match real accounts (default DEFAULT_SCRAM_ITERATIONS). */
  fakeIterations?: number;
  /**
   * Secret from which unknown users get their stable fake salts and keys. Every gateway
   * of a deployment must use the same one, or comparing two gateways' answers tells
   * which usernames exist (default: a per-process random secret).
   */
  fakeSecret?: Buffer;
  /** Tests only: a fixed server nonce part instead of a random one. */
  serverNonce?: string;
}

type Failure = Extract<SaslStep, { kind: 'failure' }>;

const fail = (condition: Failure['condition'], text?: string): Failure => (text === undefined ? { kind: 'failure', condition } : { kind: 'failure', condition, text });

// Per-process secret from which unknown users get stable fake salts.
const FAKE_SECRET = randomBytes(32);

const utf8 = new TextDecoder('utf-8', { fatal: true });
const SASLNAME = /^(?:[^=,\0]|=2C|=3D)+$/;
const PRINTABLE = /^[\x21-\x2b\x2d-\x7e]+$/;
const CB_NAME = /^[A-Za-z0-9.-]+$/;
const EXTENSION = /^[A-Za-z]=/;
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

function decodeUtf8(data: Buffer): string | undefined {
  try {
    return utf8.decode(data);
  } catch {
    return undefined;
  }
}

function decodeSaslname(s: string): string | undefined {
  if (!SASLNAME.test(s)) return undefined;
  return s.replace(/=2C|=3D/g, (m) => (m === '=2C' ? ',' : '='));
}

function decodeBase64(s: string): Buffer | undefined {
  return BASE64.test(s) ? Buffer.from(s, 'base64') : undefined;
}

function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.allocUnsafe(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] ^ b[i];
  return out;
}

/** Server side of one SCRAM exchange: `start` with client-first, `step` with client-final. */
export class ScramServer {
  private readonly opts: ScramServerOptions;
  private stage: 'initial' | 'challenged' | 'done' = 'initial';
  private username = '';
  private clientFirstBare = '';
  private serverFirst = '';
  private cbindInput: Buffer = Buffer.alloc(0);
  private channelBound = false;
  private nonce = '';
  private creds: ScramCredentials | undefined;
  private known = false;

  constructor(opts: ScramServerOptions) {
    this.opts = opts;
  }

  /** Handles client-first-message; answers with server-first-message, or a failure. */
  async start(clientFirst: Buffer): Promise<SaslStep> {
    if (this.stage !== 'initial') return this.finish(fail('malformed-request', 'unexpected client-first-message'));
    this.stage = 'done';
    const msg = decodeUtf8(clientFirst);
    if (msg === undefined) return fail('malformed-request', 'not UTF-8');

    // GS2 header: cbind-flag "," [authzid] ","
    const c1 = msg.indexOf(',');
    const c2 = c1 < 0 ? -1 : msg.indexOf(',', c1 + 1);
    if (c2 < 0) return fail('malformed-request', 'missing GS2 header');
    const flag = msg.slice(0, c1);
    const authzPart = msg.slice(c1 + 1, c2);
    const gs2Header = msg.slice(0, c2 + 1);
    const bare = msg.slice(c2 + 1);

    let cbData: Buffer | undefined;
    if (flag === 'n' || flag === 'y') {
      if (this.opts.plus) return fail('malformed-request', 'channel binding is required by this mechanism');
      if (flag === 'y' && this.opts.serverSupportsPlus) {
        return fail('not-authorized', 'channel binding downgrade detected');
      }
    } else if (flag.startsWith('p=')) {
      const type = flag.slice(2);
      if (!CB_NAME.test(type)) return fail('malformed-request', 'bad channel binding name');
      if (!this.opts.plus) return fail('malformed-request', 'channel binding requires a -PLUS mechanism');
      cbData = this.opts.channelBinding?.(type);
      if (cbData === undefined) return fail('malformed-request', `unsupported channel binding type ${type}`);
    } else {
      return fail('malformed-request', 'bad channel binding flag');
    }

    let authzid: string | undefined;
    if (authzPart !== '') {
      authzid = authzPart.startsWith('a=') ? decodeSaslname(authzPart.slice(2)) : undefined;
      if (authzid === undefined) return fail('malformed-request', 'bad authzid');
    }

    // client-first-message-bare: [reserved-mext ","] username "," nonce ["," extensions]
    const attrs = bare.split(',');
    if (attrs.some((a) => a.startsWith('m='))) return fail('malformed-request', 'mandatory extensions are not supported');
    if (attrs.length < 2 || !attrs[0].startsWith('n=') || !attrs[1].startsWith('r=')) {
      return fail('malformed-request', 'bad client-first-message');
    }
    const username = decodeSaslname(attrs[0].slice(2));
    if (username === undefined) return fail('malformed-request', 'bad username');
    const clientNonce = attrs[1].slice(2);
    if (!PRINTABLE.test(clientNonce)) return fail('malformed-request', 'bad nonce');
    for (let i = 2; i < attrs.length; i++) {
      if (!EXTENSION.test(attrs[i])) return fail('malformed-request', 'bad attribute');
    }

    if (authzid !== undefined && !this.authzidMatches(authzid, username)) return fail('invalid-authzid');

    const found = await this.opts.lookup(username);
    this.known = found !== undefined;
    this.creds = found ?? this.fakeCredentials(username);
    this.username = username;
    this.clientFirstBare = bare;
    this.cbindInput = cbData === undefined ? Buffer.from(gs2Header, 'utf8') : Buffer.concat([Buffer.from(gs2Header, 'utf8'), cbData]);
    this.channelBound = cbData !== undefined;
    const serverNonce = this.opts.serverNonce ?? randomToken(this.opts.nonceBytes ?? 18, 'base64');
    this.nonce = clientNonce + serverNonce;
    this.serverFirst = `r=${this.nonce},s=${this.creds.salt.toString('base64')},i=${this.creds.iterations}`;
    this.stage = 'challenged';
    return { kind: 'challenge', data: Buffer.from(this.serverFirst, 'utf8') };
  }

  /** Handles client-final-message; verifies channel binding, nonce and proof. */
  async step(clientFinal: Buffer): Promise<SaslStep> {
    if (this.stage !== 'challenged') return this.finish(fail('malformed-request', 'unexpected client-final-message'));
    this.stage = 'done';
    const creds = this.creds as ScramCredentials;
    const hash = this.opts.hash;
    const msg = decodeUtf8(clientFinal);
    if (msg === undefined) return fail('malformed-request', 'not UTF-8');

    // client-final-message: "c=" cbind "," "r=" nonce ["," extensions] "," "p=" proof
    const p = msg.lastIndexOf(',p=');
    if (p < 0) return fail('malformed-request', 'missing proof');
    const withoutProof = msg.slice(0, p);
    const attrs = withoutProof.split(',');
    if (attrs.length < 2 || !attrs[0].startsWith('c=') || !attrs[1].startsWith('r=')) {
      return fail('malformed-request', 'bad client-final-message');
    }
    for (let i = 2; i < attrs.length; i++) {
      if (!EXTENSION.test(attrs[i]) || attrs[i].startsWith('m=')) return fail('malformed-request', 'bad attribute');
    }
    const cbind = decodeBase64(attrs[0].slice(2));
    const proof = decodeBase64(msg.slice(p + 3));
    if (cbind === undefined || proof === undefined) return fail('malformed-request', 'bad base64');
    if (proof.length !== KEY_LENGTH[hash]) return fail('malformed-request', 'bad proof length');

    const bindingOk = timingSafeEqualBuffers(cbind, this.cbindInput);
    const nonceOk = attrs[1].slice(2) === this.nonce;

    const authMessage = `${this.clientFirstBare},${this.serverFirst},${withoutProof}`;
    const clientSignature = hmac(hash, creds.storedKey, authMessage);
    const clientKey = xor(proof, clientSignature);
    const proofOk = timingSafeEqualBuffers(digest(hash, clientKey), creds.storedKey);
    clientKey.fill(0);

    if (!bindingOk) return fail('not-authorized', this.channelBound ? 'channel binding mismatch' : undefined);
    if (!nonceOk || !proofOk || !this.known) return fail('not-authorized');
    const serverSignature = hmac(hash, creds.serverKey, authMessage);
    return { kind: 'success', data: Buffer.from(`v=${serverSignature.toString('base64')}`, 'utf8'), username: this.username };
  }

  private finish(step: Failure): Failure {
    this.stage = 'done';
    return step;
  }

  /** The authzid must be the authenticating user's own bare JID. */
  private authzidMatches(authzid: string, username: string): boolean {
    const jid = tryParseJid(authzid);
    if (jid === undefined || !jid.isBare || jid.local === '') return false;
    try {
      if (this.opts.domain !== undefined && jid.domain !== prepareDomainpart(this.opts.domain)) return false;
      return prepareLocalpart(username) === jid.local;
    } catch {
      return false;
    }
  }

  /** Stable, unguessable credentials for an unknown user (same answer every time in this process). */
  private fakeCredentials(username: string): ScramCredentials {
    const seed = createHmac('sha256', this.opts.fakeSecret ?? FAKE_SECRET).update(`${this.opts.hash}\0${username}`).digest();
    return {
      salt: seed.subarray(0, 16),
      iterations: this.opts.fakeIterations ?? DEFAULT_SCRAM_ITERATIONS,
      storedKey: createHmac(this.opts.hash, seed).update('stored').digest(),
      serverKey: createHmac(this.opts.hash, seed).update('server').digest(),
    };
  }
}
