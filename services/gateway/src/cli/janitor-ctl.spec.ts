// The janitor's ctl commands against a fake requester: what each sends and prints.
import { JanitorSubjects } from '@parley/contracts';
import { BusReplyError, BusUnavailableError } from '@parley/nats';
import { janitorCtl, JanitorCtlError } from './janitor-ctl';

function ctx(answer: (subject: string, data: any) => unknown) {
  const sent: Array<{ subject: string; data: any }> = [];
  const lines: string[] = [];
  return {
    sent,
    lines,
    c: {
      bus: {
        request: async <T>(subject: string, data: unknown): Promise<T> => {
          sent.push({ subject, data });
          return answer(subject, data) as T;
        },
      },
      domain: 'example.org',
      out: (l: string) => lines.push(l),
      now: () => new Date('2026-12-02T12:00:00Z'),
    },
  };
}

describe('janitor ctl commands', () => {
  it('errors: sends the JID and a since a duration ago, prints items and counts', async () => {
    const t = ctx(() => ({ items: [{ source: 'gateway', to: 'bob@example.org', kind: 'message', reason: 'service-unavailable', detail: 'unknown-user', at: '2026-12-02T11:00:00.000Z' }], countsByReason: { 'service-unavailable': 1 }, total: 1 }));
    await expect(janitorCtl(['errors', '--jid', 'bob@example.org', '--since', '1d'], t.c)).resolves.toBe(0);
    expect(t.sent).toEqual([{ subject: JanitorSubjects.errors, data: { jid: 'bob@example.org', since: '2026-12-01T12:00:00.000Z', limit: undefined } }]);
    expect(t.lines).toEqual(['2026-12-02T11:00:00.000Z\tgateway\tmessage\t(server) -> bob@example.org\tservice-unavailable (unknown-user)', 'total 1: service-unavailable 1']);
  });

  it('exempt/unexempt: a username of the domain becomes its bare JID; other domains are refused', async () => {
    const t = ctx((_s, d) => ({ exempt: d.exempt }));
    await expect(janitorCtl(['exempt', 'Alice'], t.c)).resolves.toBe(0);
    await expect(janitorCtl(['unexempt', 'alice@example.org'], t.c)).resolves.toBe(0);
    expect(t.sent.map((s) => s.data)).toEqual([
      { jid: 'alice@example.org', exempt: true },
      { jid: 'alice@example.org', exempt: false },
    ]);
    await expect(janitorCtl(['exempt', 'alice@elsewhere.net'], t.c)).rejects.toMatchObject({ code: 2 });
    await expect(janitorCtl(['exempt'], t.c)).rejects.toBeInstanceOf(JanitorCtlError);
  });

  it('erasures: prints each deletion with its confirmations, and --pending fails while one is missing', async () => {
    const entry = { deletionId: 'd-1', reason: 'admin', deletedAt: '2026-12-02T11:00:00.000Z', confirmed: { roster: { at: '2026-12-02T11:00:01.000Z', erased: { items: 1 } } }, missing: ['offline', 'archive'] };
    const t = ctx(() => ({ entries: [entry], owners: ['roster', 'offline', 'archive'] }));
    await expect(janitorCtl(['erasures', '--pending'], t.c)).resolves.toBe(1);
    expect(t.sent[0]).toEqual({ subject: JanitorSubjects.erasures, data: { pending: true, limit: undefined } });
    expect(t.lines).toEqual(['2026-12-02T11:00:00.000Z\td-1\tadmin\tconfirmed: roster 2026-12-02T11:00:01.000Z\tmissing: offline, archive', '1 deletion(s); owners: roster, offline, archive']);
    const none = ctx(() => ({ entries: [], owners: ['roster'] }));
    await expect(janitorCtl(['erasures', '--pending'], none.c)).resolves.toBe(0);
  });

  it('report and stats print one line per entry or day', async () => {
    const e = { owner: 'offline', what: 'messages', deleted: 3, cutoff: '2026-11-02T12:00:00.000Z', at: '2026-12-02T12:00:00.000Z' };
    const t = ctx((s) => (s === JanitorSubjects.report ? { latest: [e], recent: [e] } : { days: [{ day: '2026-12-02', counts: { registered: 4, active: 2 } }] }));
    await janitorCtl(['report'], t.c);
    await janitorCtl(['stats', '--days', '7'], t.c);
    expect(t.lines).toEqual([
      'latest:',
      '  2026-12-02T12:00:00.000Z\toffline\tmessages\tdeleted 3\tcutoff 2026-11-02T12:00:00.000Z',
      'recent:',
      '  2026-12-02T12:00:00.000Z\toffline\tmessages\tdeleted 3\tcutoff 2026-11-02T12:00:00.000Z',
      '2026-12-02\tregistered=4 active=2',
    ]);
    expect(t.sent[1].data).toEqual({ days: 7 });
  });

  it('says plainly when the janitor is down or refuses', async () => {
    const down = ctx(() => {
      throw new BusUnavailableError(JanitorSubjects.stats, 'no-responders');
    });
    await expect(janitorCtl(['stats'], down.c)).rejects.toThrow(/does not answer/);
    const refused = ctx(() => {
      throw new BusReplyError(JanitorSubjects.setExempt, { condition: 'item-not-found', text: 'not seen' });
    });
    await expect(janitorCtl(['exempt', 'bob'], refused.c)).rejects.toThrow('janitor: item-not-found (not seen)');
    await expect(janitorCtl(['errors', '--since', 'sometime'], refused.c)).rejects.toMatchObject({ code: 2 });
  });
});
