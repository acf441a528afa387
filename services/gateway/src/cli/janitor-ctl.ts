// The janitor's operator commands in `npm run ctl`, over the bus:
//   report | errors [--jid J] [--since 1d] [--limit N] | stats [--days N] | exempt USER | unexempt USER | sweep | erasures [--pending]
// (ctl.ts dispatches these names here before its own argument parsing).
import { parseArgs } from 'node:util';
import { parseDuration } from '@parley/config';
import {
  DeliveryErrorsResult,
  ErasuresResult,
  JanitorSubjects,
  RetentionReportEntry,
  RetentionReportResult,
  SetExemptResult,
  StatsResult,
  SweepNowResult,
} from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import { busOptions } from '@parley/runtime';
import { Bus, BusReplyError, BusUnavailableError } from '@parley/nats';
import { loadGatewayConfig } from '../config/config';

/** The commands handled here. */
export const JANITOR_COMMANDS = new Set(['report', 'errors', 'stats', 'exempt', 'unexempt', 'sweep', 'erasures']);

export const JANITOR_USAGE = `janitor (needs the janitor service running):
  report                    retention report: the latest sweep of every owner, then recent ones
  errors [--jid J] [--since 1d] [--limit N]
                            delivery-error log (from or to J, since a duration ago or an ISO time), counts by reason
  stats [--days N]          daily anonymous statistics (default 30 days)
  exempt <user>             never delete <user> for inactivity
  unexempt <user>           the inactivity rule applies to <user> again
  sweep                     run every owner's retention sweep now and print what it deleted
  erasures [--pending] [--limit N]
                            account deletions and which owners confirmed erasing the user
                            (no JIDs: a deletion is named by its event id); --pending: only
                            those some owner has not confirmed (exit code 1 when any)
  add --json to print the raw answer`;

/** What the commands need: a bus-like requester, the domain, and an output. */
export interface JanitorCtlContext {
  bus: Pick<Bus, 'request'>;
  domain: string;
  out: (line: string) => void;
  now?: () => Date;
}

/** A usage or input error (exit code 2) or a failure (1). */
export class JanitorCtlError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

const entryLine = (e: RetentionReportEntry) =>
  `${e.at}\t${e.owner}\t${e.what}\t${e.error ? `error: ${e.error}` : `deleted ${e.deleted}`}${e.cutoff ? `\tcutoff ${e.cutoff}` : ''}${e.oldestRemaining ? `\toldest ${e.oldestRemaining}` : ''}`;

/** Runs one janitor command; resolves with the exit code. */
export async function janitorCtl(argv: string[], ctx: JanitorCtlContext): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { jid: { type: 'string' }, since: { type: 'string' }, limit: { type: 'string' }, days: { type: 'string' }, json: { type: 'boolean' }, pending: { type: 'boolean' } },
  });
  const [cmd, who] = positionals;
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    if (!/^\d+$/.test(v) || Number(v) < 1) throw new JanitorCtlError(`--${name} must be a positive integer`, 2);
    return Number(v);
  };
  const print = (v: unknown, text: () => void) => (values.json ? ctx.out(JSON.stringify(v, null, 2)) : text());
  try {
    switch (cmd) {
      case 'report': {
        const r = await ctx.bus.request<RetentionReportResult>(JanitorSubjects.report, { limit: int(values.limit, 'limit') });
        print(r, () => {
          ctx.out('latest:');
          for (const e of r.latest) ctx.out(`  ${entryLine(e)}`);
          ctx.out('recent:');
          for (const e of r.recent) ctx.out(`  ${entryLine(e)}`);
        });
        return 0;
      }
      case 'errors': {
        let since: string | undefined;
        if (values.since !== undefined) {
          const ms = (() => {
            try {
              return parseDuration(values.since);
            } catch {
              return undefined;
            }
          })();
          const t = ms !== undefined ? (ctx.now?.() ?? new Date()).getTime() - ms : Date.parse(values.since);
          if (Number.isNaN(t)) throw new JanitorCtlError(`--since must be a duration (1d, 12h) or an ISO time`, 2);
          since = new Date(t).toISOString();
        }
        const r = await ctx.bus.request<DeliveryErrorsResult>(JanitorSubjects.errors, { jid: values.jid, since, limit: int(values.limit, 'limit') });
        print(r, () => {
          for (const i of r.items) ctx.out(`${i.at}\t${i.source}\t${i.kind}\t${i.from ?? '(server)'} -> ${i.to}\t${i.reason}${i.detail ? ` (${i.detail})` : ''}`);
          ctx.out(`total ${r.total}: ${Object.entries(r.countsByReason).map(([k, n]) => `${k} ${n}`).join(', ') || 'none'}`);
        });
        return 0;
      }
      case 'stats': {
        const r = await ctx.bus.request<StatsResult>(JanitorSubjects.stats, { days: int(values.days, 'days') });
        print(r, () => {
          for (const d of r.days) ctx.out(`${d.day}\t${Object.entries(d.counts).map(([k, n]) => `${k}=${n}`).join(' ')}`);
        });
        return 0;
      }
      case 'exempt':
      case 'unexempt': {
        if (!who) throw new JanitorCtlError(`${cmd} needs a user`, 2);
        const jid = tryParseJid(who.includes('@') ? who : `${who}@${ctx.domain}`);
        if (!jid || !jid.local || jid.domain !== ctx.domain) throw new JanitorCtlError(`"${who}" is not a user of ${ctx.domain}`, 2);
        const r = await ctx.bus.request<SetExemptResult>(JanitorSubjects.setExempt, { jid: jid.bareString, exempt: cmd === 'exempt' });
        print(r, () => ctx.out(`${jid.bareString} ${r.exempt ? 'is exempt from' : 'is subject to'} inactivity deletion`));
        return 0;
      }
      case 'sweep': {
        const r = await ctx.bus.request<SweepNowResult>(JanitorSubjects.sweepNow, {}, { timeoutMs: 15 * 60_000 });
        print(r, () => {
          for (const e of r.entries) ctx.out(entryLine(e));
        });
        return r.entries.some((e) => e.error) ? 1 : 0;
      }
      case 'erasures': {
        const r = await ctx.bus.request<ErasuresResult>(JanitorSubjects.erasures, { pending: values.pending === true, limit: int(values.limit, 'limit') });
        print(r, () => {
          for (const e of r.entries) {
            const done = Object.entries(e.confirmed).map(([o, c]) => `${o} ${c.at}`).join(', ');
            ctx.out(`${e.deletedAt ?? '(deletion not seen yet)'}\t${e.deletionId}\t${e.reason ?? '?'}\tconfirmed: ${done || 'none'}${e.missing.length ? `\tmissing: ${e.missing.join(', ')}` : ''}`);
          }
          ctx.out(`${r.entries.length} deletion(s); owners: ${r.owners.join(', ')}`);
        });
        return values.pending && r.entries.length ? 1 : 0;
      }
      default:
        throw new JanitorCtlError(JANITOR_USAGE, 2);
    }
  } catch (e) {
    if (e instanceof BusUnavailableError) throw new JanitorCtlError('the janitor service does not answer (is it running?)');
    if (e instanceof BusReplyError) throw new JanitorCtlError(`janitor: ${e.error.condition}${e.error.text ? ` (${e.error.text})` : ''}`);
    throw e;
  }
}

/** `npm run ctl -- <janitor command>`: connects with the gateway's NATS settings, runs, prints errors; the exit code. */
export async function runJanitorCtl(argv: string[]): Promise<number> {
  const config = loadGatewayConfig();
  const bus = await Bus.connect(busOptions(config, 'parley-ctl'));
  try {
    return await janitorCtl(argv, { bus, domain: config.XMPP_DOMAIN.toLowerCase(), out: (l) => process.stdout.write(`${l}\n`) });
  } catch (e) {
    if (!(e instanceof JanitorCtlError)) throw e;
    process.stderr.write(`${e.code === 2 ? '' : 'error: '}${e.message}\n`);
    return e.code;
  } finally {
    await bus.close();
  }
}
