// The gateway's projection of who archives what (ARCHITECTURE "Event sourcing"): the
// latest XEP-0441 preferences of every user who opted in, rebuilt at start by
// replaying stream ARCHIVE_PREFS (one message per user) and followed live. It only
// decides whether message content goes onto the bus at all; the archive re-checks its
// own copy of the preferences on every store command.
import { ARCHIVE_INBOX, ARCHIVE_PREFS, ArchiveEvents, ArchiveOptedInQuery, ArchiveOptedInResult, ArchivePrefsV1, ArchiveSubjects, EventEnvelope } from '@parley/contracts';
import { BusUnavailableError, decodeJson } from '@parley/nats';
import { MamVerdict, compileMamPrefs, canonicalJid, mamOptedIn } from '@parley/xep';
import type { Logger } from 'pino';
import type { ModuleBus, StreamReplay } from '../../host';

/** One user's preferences as the projection knows them. */
interface Known {
  /** Version of the preferences (per user, from the archive). */
  version: number;
  /** Applied from a set-prefs reply before its event arrived (an event of the same version replaces it). */
  provisional: boolean;
  /** Present while the user opted in: the compiled preferences. */
  match?: (jid: string) => MamVerdict;
}

/** Preferences with the version the archive gave them. */
export interface VersionedPrefs extends ArchivePrefsV1 {
  jid: string;
  version: number;
}

/** In-memory projection: bare JID → compiled preferences of users who opted in. */
export class ArchivePrefsProjection {
  private readonly users = new Map<string, Known>();
  private opted = 0;

  /** The compiled preferences of `bare`, or undefined when the user archives nothing. */
  matcher(bare: string): ((jid: string) => MamVerdict) | undefined {
    return this.users.get(bare)?.match;
  }

  /** Users who opted in, as known here. */
  get optedInCount(): number {
    return this.opted;
  }

  /** Applies an event or a snapshot row; older versions than the one known are ignored. Returns whether it applied. */
  apply(p: VersionedPrefs): boolean {
    const jid = canonicalJid(p.jid);
    const cur = this.users.get(jid);
    if (cur && (p.version < cur.version || (p.version === cur.version && !cur.provisional))) return false;
    this.set(jid, p, p.version, false);
    return true;
  }

  /**
   * Applies what the archive answered to this gateway's own set-prefs request, at once
   * (its event follows; until then the change takes effect here, not only in the archive).
   * The version is not in the reply: it is taken as the next one, and the event (same
   * or higher version) replaces it.
   */
  applyLocal(jid: string, prefs: ArchivePrefsV1): void {
    const bare = canonicalJid(jid);
    this.set(bare, prefs, (this.users.get(bare)?.version ?? 0) + 1, true);
  }

  /** Forgets a user entirely (account deleted: a new account of that name starts over). */
  forget(jid: string): void {
    const bare = canonicalJid(jid);
    if (this.users.get(bare)?.match) this.opted -= 1;
    this.users.delete(bare);
  }

  private set(jid: string, prefs: ArchivePrefsV1, version: number, provisional: boolean): void {
    const was = this.users.get(jid)?.match !== undefined;
    const optedIn = mamOptedIn(prefs);
    this.users.set(jid, { version, provisional, match: optedIn ? compileMamPrefs(prefs) : undefined });
    this.opted += Number(optedIn) - Number(was);
  }
}

/** Whether a decoded event payload has the shape of ArchivePrefsChangedV1. */
function isPrefs(d: unknown): d is VersionedPrefs {
  const p = d as Partial<VersionedPrefs> | undefined;
  return (
    !!p &&
    typeof p.jid === 'string' &&
    typeof p.version === 'number' &&
    (p.default === 'always' || p.default === 'never' || p.default === 'roster') &&
    Array.isArray(p.always) &&
    Array.isArray(p.never)
  );
}

/**
 * Feeds the projection from JetStream: an ordered (ephemeral, per instance) consumer
 * over the whole ARCHIVE_PREFS stream from its first message, so a starting gateway
 * replays the latest preferences of every user and then follows changes live.
 * (nats-server 2.9 takes one filter subject per consumer; the stream holds nothing else.)
 */
export class PrefsFeed {
  private replay?: StreamReplay;

  constructor(
    private readonly bus: ModuleBus,
    private readonly projection: ArchivePrefsProjection,
    private readonly log: Logger,
    private readonly opts: { catchUpTimeoutMs: number } = { catchUpTimeoutMs: 15_000 },
  ) {}

  /** Provisions the archive's streams, then resolves once the replay has caught up. */
  async start(): Promise<void> {
    // The gateway publishes to ARCHIVE_INBOX: it must exist (and hold commands) even while the archive is down.
    await this.bus.ensureStreams([ARCHIVE_PREFS, ARCHIVE_INBOX]);
    this.replay = await this.bus.replay(ARCHIVE_PREFS, (data) => this.onEvent(data));

    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      this.replay.caughtUp.then(() => false),
      new Promise<boolean>((resolve) => {
        timer = setTimeout(() => resolve(true), this.opts.catchUpTimeoutMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    if (timedOut) {
      this.log.warn('archive preferences replay did not catch up in time; asking the archive for opted-in users');
      await this.seedFromArchive();
    }
    this.log.info({ optedIn: this.projection.optedInCount }, 'archive preferences projection ready');
  }

  /** Applies one message of the stream (malformed ones are skipped). */
  onEvent(data: Uint8Array): void {
    let e: EventEnvelope<unknown>;
    try {
      e = decodeJson<EventEnvelope<unknown>>(data);
    } catch {
      this.log.warn('undecodable archive preferences event skipped');
      return;
    }
    if (e.type !== ArchiveEvents.prefsChanged || !isPrefs(e.data)) return;
    this.projection.apply(e.data);
  }

  /** Fallback: pages through `archive.qry.opted-in` (the archive's own list). */
  private async seedFromArchive(): Promise<void> {
    let after: string | undefined;
    try {
      for (;;) {
        const page = await this.bus.request<ArchiveOptedInResult>(ArchiveSubjects.optedIn, { after, limit: 1000 } satisfies ArchiveOptedInQuery);
        for (const u of page.users) this.projection.apply(u);
        if (!page.next) return;
        after = page.next;
      }
    } catch (e) {
      if (e instanceof BusUnavailableError) this.log.warn('the archive is not answering; the preferences projection starts from what the stream delivered');
      else this.log.error({ err: e }, 'reading opted-in users from the archive failed');
    }
  }

  async stop(): Promise<void> {
    await this.replay?.stop();
  }
}
