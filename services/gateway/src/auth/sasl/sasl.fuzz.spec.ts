// Property-based fuzzing of the SASL message parsers (fast-check, bounded runs; a
// fixed seed unless FUZZ_SEED is set): SCRAM client-first and client-final messages
// and PLAIN messages from a hostile client never make the server throw; they end in
// a challenge or a SASL failure, and a client that does not know the password never
// succeeds, whatever it sends.
import fc from 'fast-check';
import { parsePlain } from './plain';
import { deriveScramCredentials, ScramCredentials, ScramHash, ScramServer } from './scram';

const RUNS = { numRuns: 300, seed: Number(process.env.FUZZ_SEED ?? 20261202) };

/** SCRAM-ish text: the attribute syntax's own characters, so messages get parsed deep. */
const scramText = fc.string({
  unit: fc.oneof(fc.constantFrom('n', 'y', 'p', 'c', 'r', 's', 'i', 'a', 'm', 'e', '=', ',', '=2C', '=3D', 'tls-exporter', 'tls-server-end-point', 'user', 'biws', '+', '/', '\u0000', 'é', '😀', '\u00ad'), fc.string({ maxLength: 2 })),
  maxLength: 80,
});
const bytes = fc.oneof(scramText.map((s) => Buffer.from(s, 'utf8')), fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)));

let creds: Record<ScramHash, ScramCredentials>;
beforeAll(async () => {
  creds = {
    sha1: await deriveScramCredentials('pencil', 'sha1', { iterations: 4096 }),
    sha256: await deriveScramCredentials('pencil', 'sha256', { iterations: 4096 }),
    sha512: await deriveScramCredentials('pencil', 'sha512', { iterations: 4096 }),
  };
});

function server(hash: ScramHash, plus: boolean): ScramServer {
  return new ScramServer({
    hash,
    plus,
    serverSupportsPlus: true,
    domain: 'localhost',
    channelBinding: (type) => (type === 'tls-exporter' ? Buffer.alloc(32, 7) : undefined),
    lookup: async (u) => (u === 'user' ? creds[hash] : undefined),
  });
}

const mechanism = fc.record({ hash: fc.constantFrom<ScramHash>('sha1', 'sha256'), plus: fc.boolean() });

describe('SASL messages, fuzzed', () => {
  it('SCRAM: any client-first message gets a challenge or a failure, never an exception', async () => {
    await fc.assert(
      fc.asyncProperty(mechanism, bytes, async (m, first) => {
        const out = await server(m.hash, m.plus).start(first);
        expect(['challenge', 'failure']).toContain(out.kind);
      }),
      RUNS,
    );
  });

  it('SCRAM: after a valid client-first, any client-final fails (no password, no success) without an exception', async () => {
    await fc.assert(
      fc.asyncProperty(mechanism, fc.constantFrom('user', 'nobody'), bytes, scramText, async (m, user, junk, tail) => {
        const s = server(m.hash, m.plus);
        const gs2 = m.plus ? 'p=tls-exporter,,' : 'n,,';
        const first = await s.start(Buffer.from(`${gs2}n=${user},r=fuzznonce`));
        expect(first.kind).toBe('challenge');
        const nonce = first.kind === 'challenge' ? /r=([^,]+)/.exec(first.data.toString())![1] : '';
        // both free bytes and a well-formed frame around a forged proof
        const forged = Buffer.from(`c=${Buffer.from(gs2).toString('base64')},r=${nonce}${tail},p=${Buffer.from(tail).toString('base64')}`);
        for (const final of [junk, forged]) {
          const again = server(m.hash, m.plus);
          await again.start(Buffer.from(`${gs2}n=${user},r=fuzznonce`));
          const out = await again.step(final);
          expect(out.kind).toBe('failure');
        }
        // and a second client-first or a step after the end is refused, not crashed on
        expect((await s.start(junk)).kind).toBe('failure');
      }),
      RUNS,
    );
  });

  it('PLAIN: any message parses into three parts or is refused, never an exception', () => {
    fc.assert(
      fc.property(bytes, (data) => {
        const m = parsePlain(data);
        if (m) {
          expect(m.authcid.length).toBeGreaterThan(0);
          expect(m.password.length).toBeGreaterThan(0);
          expect(m.authzid.includes('\u0000') || m.authcid.includes('\u0000') || m.password.includes('\u0000')).toBe(false);
        }
      }),
      RUNS,
    );
  });
});
