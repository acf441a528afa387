// What the roster module keeps on this gateway: each local user's roster (one
// snapshot per user, shared by their sessions), each session's roster state, and the
// one `roster.qry.login` per session that loads both (RFC 6121 §4.2: what presence
// needs at login). The other parts — IQs (roster-iq.ts), subscriptions
// (subscriptions.ts) and presence (roster-presence.ts) — work on this.
import { MAX_LOGINS_PER_QUERY, RosterItemUpdatedV1, RosterLoginQuery, RosterLoginResult, RosterLoginsQuery, RosterLoginsResult, RosterSubjects } from '@parley/contracts';
import { defineSlot, ModuleContext, Session } from '../../host';
import { batchedOrEach, turnBatches } from '../../host/batches';
import type { BlockingApi } from '../xep-0191-blocking/api';
import { UserRoster } from './roster-state';

export const NAME = 'rfc6121-roster';

/** What the module keeps per session. */
export interface RosterSession {
  user: UserRoster;
  /** Asked for the roster during this session (RFC 6121 §2.1.6: gets pushes). */
  requested?: boolean;
  /** This session's login answer (RFC 6121 §4.2: probes and pending requests). */
  login?: RosterLoginResult;
  loginInFlight?: Promise<RosterLoginResult | undefined>;
  /** Initial presence was sent but the roster service could not be asked yet: probe once it can. */
  initialPending?: boolean;
  initialDone?: boolean;
  /** Pushes held while a roster get is answered (they follow the result). */
  holding?: RosterItemUpdatedV1[];
  /** The next login attempt, after the roster service could not be reached. */
  retry?: NodeJS.Timeout;
}

const STATE = defineSlot<RosterSession>(NAME);

export class Rosters {
  readonly users = new Map<string, UserRoster>();

  constructor(
    readonly gw: ModuleContext,
    readonly blocking: BlockingApi | undefined,
  ) {}

  /** Runs a hook body; a failure is logged and the stanza consumed (never the sender's stream). */
  async guard<T>(work: () => Promise<T>, onError: T): Promise<T> {
    try {
      return await work();
    } catch (err) {
      this.gw.log.error({ err }, 'roster hook failed');
      return onError;
    }
  }

  state(s: Session): RosterSession | undefined {
    return s.state.get(STATE);
  }

  request<T>(subject: string, data: object): Promise<T> {
    return this.gw.bus.request<T>(subject, data);
  }

  /**
   * Login answers asked in one turn of the event loop (sessions coming online together,
   * a login storm) go to the roster service as one `roster.qry.logins`: one transaction
   * there instead of one per session.
   */
  private readonly logins = turnBatches<string, RosterLoginResult>(
    (keys) =>
      batchedOrEach(
        keys,
        async (users) => (await this.request<RosterLoginsResult>(RosterSubjects.logins, { users } satisfies RosterLoginsQuery)).results,
        (user) => this.request<RosterLoginResult>(RosterSubjects.login, { user } satisfies RosterLoginQuery),
      ),
    MAX_LOGINS_PER_QUERY,
  );

  bound(s: Session): void {
    let u = this.users.get(s.bare);
    if (!u) this.users.set(s.bare, (u = new UserRoster(s.bare)));
    u.sessions.add(s);
    s.state.set(STATE, { user: u });
  }

  closed(s: Session): void {
    const rs = this.state(s);
    if (rs?.retry) clearTimeout(rs.retry);
    const u = rs?.user;
    if (!u) return;
    u.sessions.delete(s);
    if (u.sessions.size === 0 && this.users.get(s.bare) === u) this.users.delete(s.bare);
  }

  /** One `roster.qry.login` per session, when it first becomes available. */
  login(s: Session, rs: RosterSession): Promise<RosterLoginResult | undefined> {
    if (rs.login) return Promise.resolve(rs.login);
    if (rs.loginInFlight) return rs.loginInFlight;
    const ask = () => this.logins.load(s.bare);
    const p = (async () => {
      try {
        const answer = this.blocking ? await this.blocking.trackLogin(s.bare, ask) : await ask();
        rs.user.snapshot(answer.ver, answer.items);
        rs.login = { ...answer, items: [] }; // the items live in the user's roster, once
        return rs.login;
      } catch (err) {
        this.gw.log.warn({ err: (err as Error).message }, 'roster login failed; the session goes on without its roster');
        return undefined;
      } finally {
        rs.loginInFlight = undefined;
      }
    })();
    rs.loginInFlight = p;
    rs.user.loading = p;
    return p;
  }

  subscribersOf(u: UserRoster): string[] {
    const b = this.blocking?.lists;
    return u.subscribers().filter((j) => !b?.blocks(u.user, j));
  }
}
