// In-band registration (XEP-0077) of a run's accounts, `concurrency` at once, timed: the
// registration figure of `npm run bench` and of each `--compare` turn.
import { registerInBand } from '@parley/testing-xmpp';
import type { Credentials } from './login-bench';

export interface RegistrationResult {
  accounts: number;
  failed: number;
  perSecond: number;
  ms: number;
}

/** Registers `users` on the server at `port`; stops trying after `maxFailures` failures (the first three are logged). */
export async function registerAccounts(o: { port: number; domain: string; users: Credentials[]; concurrency: number; maxFailures?: number; log: (s: string) => void }): Promise<RegistrationResult> {
  const t0 = performance.now();
  let failed = 0;
  let next = 0;
  const maxFailures = o.maxFailures ?? Infinity;
  await Promise.all(
    Array.from({ length: o.concurrency }, async () => {
      while (next < o.users.length && failed < maxFailures) {
        const u = o.users[next++];
        try {
          const reply = await registerInBand(o.port, u.username, u.password, o.domain);
          if (!/type=["']result["']/.test(reply)) throw new Error(reply.slice(0, 200));
        } catch (e) {
          failed += 1;
          if (failed <= 3) o.log(`  registration failed: ${(e as Error).message.slice(0, 200)}`);
        }
      }
    }),
  );
  const ms = performance.now() - t0;
  const accounts = o.users.length;
  return { accounts, failed, perSecond: Math.round((accounts - failed) / (ms / 1000)), ms };
}
