// What a client stream (c2s.ts, SASL) needs of the gateway: a narrow port, so that
// the stream layer does not depend on the core that owns it, and a test can drive a
// stream over a fake socket with fakes behind this interface.
import type { GatewayConfig } from '../config/config';
import type { FeatureRegistry } from '../host/registry';
import type { AccountsStore } from '../auth/accounts.store';
import type { Session, SessionTransport } from '../session/session';
import type { TlsMaterial } from '../transport/certs';
import type { LoginThrottle } from '../auth/throttle';

/** Counters exported as metrics (no JIDs, no addresses). */
export class GatewayMetrics {
  connections = 0;
  logins = 0;
  authFailures = 0;
  stanzasIn = 0;
  streamErrors = 0;
  bytesIn = 0;
  bytesOut = 0;
  /** Times a connection's reading stopped because C2S_MAX_PENDING stanzas were waiting. */
  readPauses = 0;
  /** Stanzas from clients by kind. */
  readonly stanzasByKind = { message: 0, presence: 0, iq: 0 };
  /** Receives how long routing a client's stanza took, in seconds (a histogram when metrics are exported). */
  observeRoute: (seconds: number) => void = () => undefined;
}

export interface StreamHost {
  readonly config: GatewayConfig;
  readonly domain: string;
  readonly log: import('pino').Logger;
  readonly metrics: GatewayMetrics;
  /** Features, pre-auth IQs and nonzas the modules declared. */
  readonly registry: FeatureRegistry;
  readonly tls: Pick<TlsMaterial, 'serverEndPoint' | 'context'>;
  readonly store: Pick<AccountsStore, 'find'>;
  readonly authThrottle: LoginThrottle;
  /** Unknown users' fake SCRAM answers: the deployment's shared secret and real accounts' iteration count. */
  readonly fakeCredentials: { secret: Buffer; iterations: number };
  /** Whether SCRAM-SHA-512 is offered (every account has its keys). */
  readonly scramSha512: boolean;
  /** A PLAIN login verified this password: add the SHA-512 keys the account may lack (background work). */
  passwordSeen(username: string, password: string): void;
  readonly sessions: {
    bind(username: string, requested: string | undefined, transport: SessionTransport, mechanism: string): Session;
    unbind(session: Session, reason: string): void;
    /** Resolves once the work the user's sessions here left unsettled has settled (Session.continueWhile). */
    settled(username: string): Promise<void>;
  };
  readonly router: { fromClient(session: Session, stanza: import('@parley/xml').Element): Promise<void> };
  /** The connection is gone (metrics, the sweep). */
  connectionClosed(c: object): void;
}
