// XEP-0050: Ad-Hoc Commands at the server's JID. Modules offer commands through
// COMMANDS_API; this module lists them (disco#items of node
// `http://jabber.org/protocol/commands`, only those the requester may run), answers
// disco#info of each command node, and runs them: `execute` starts a session (its
// `sessionid` is bound to the caller's full JID and expires after
// ADHOC_SESSION_TIMEOUT), `complete` (or `execute`) submits the form (XEP-0004),
// `cancel` ends it. Every command here has at most two stages, so `next`/`prev` are
// `bad-action`.
import { randomBytes } from 'node:crypto';
import { opt } from '@parley/config';
import { NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { dataForm, NS_DATA_FORMS } from '@parley/xep';
import { CoreHooks, defineModule, Session } from '../../host';
import { AdHocCommand, COMMANDS_API, CommandCaller, CommandsApi, CommandStep, NS_COMMANDS } from './api';

/** At most this many open command sessions per full JID (the oldest is dropped). */
const MAX_SESSIONS_PER_CLIENT = 10;

/** XEP-0050 §4.6 specific conditions. */
function commandError(condition: string, specific: 'bad-action' | 'bad-sessionid' | 'bad-payload' | 'malformed-action', text: string): StanzaError {
  return new StanzaError(condition, text, 'modify', x(specific, { xmlns: NS_COMMANDS }));
}

interface OpenSession {
  node: string;
  expires: number;
}

export const commandsModule = defineModule({
  name: 'xep-0050-commands',
  provides: COMMANDS_API,
  options: {
    ADHOC_SESSION_TIMEOUT: opt.duration({ doc: 'How long an ad-hoc command (XEP-0050) waits for its form to be submitted.', default: '10m', min: '1s', max: '1d' }),
  },
  init(ctx): CommandsApi {
    const commands = new Map<string, AdHocCommand>();
    /** full JID → sessionid → session. */
    const open = new Map<string, Map<string, OpenSession>>();
    const timeout = ctx.options.ADHOC_SESSION_TIMEOUT;
    const caller = (session: Session): CommandCaller => ({ session, bare: session.bare });
    const allowed = (c: AdHocCommand, who: CommandCaller) => (c.allowed ? c.allowed(who) : true);

    ctx.serverFeature(NS_COMMANDS);
    ctx.discoNode(NS_COMMANDS, {
      items: (session) => {
        const who = caller(session);
        return [...commands.values()].filter((c) => allowed(c, who)).map((c) => x('item', { jid: ctx.domain, node: c.node, name: c.name }));
      },
    });

    const reply = (node: string, sessionid: string, step: CommandStep): Element =>
      x(
        'command',
        { xmlns: NS_COMMANDS, node, sessionid, status: step.done ? 'completed' : 'executing' },
        step.done ? undefined : x('actions', { execute: 'complete' }, x('complete')),
        step.note ? x('note', { type: step.note.type }, step.note.text) : undefined,
        step.form ? dataForm.toElement(step.form) : undefined,
        ...(step.payload ?? []),
      );

    const sessionsOf = (full: string): Map<string, OpenSession> => {
      let m = open.get(full);
      if (!m) open.set(full, (m = new Map()));
      const now = Date.now();
      for (const [id, s] of m) if (s.expires <= now) m.delete(id);
      return m;
    };

    // a client that goes away leaves nothing behind
    ctx.hook(CoreHooks.sessionEnded, ({ session }) => void open.delete(session.full));
    ctx.hook(CoreHooks.sessionMoved, ({ session }) => void open.delete(session.full)); // a command in progress does not move

    ctx.iq('set', 'server', NS_COMMANDS, async (iq, session) => {
      const cmd = iq.getChild('command', NS_COMMANDS);
      const node = cmd?.attrs.node;
      if (!cmd || !node) throw StanzaError.badRequest('a command needs a node');
      const command = commands.get(node);
      if (!command) throw StanzaError.itemNotFound('no such command');
      const who = caller(session);
      if (!allowed(command, who)) throw StanzaError.forbidden('you may not run this command');
      const action = cmd.attrs.action ?? 'execute';
      if (!['execute', 'complete', 'cancel', 'next', 'prev'].includes(action)) throw commandError('bad-request', 'malformed-action', `unknown action '${action}'`);
      const mine = sessionsOf(session.full);
      const sid = cmd.attrs.sessionid;
      if (!sid) {
        if (action !== 'execute') throw commandError('bad-request', 'bad-action', 'start a command with execute');
        const step = await command.start(who);
        const id = randomBytes(9).toString('base64url');
        if (!step.done) {
          if (mine.size >= MAX_SESSIONS_PER_CLIENT) mine.delete(mine.keys().next().value!);
          mine.set(id, { node, expires: Date.now() + timeout });
        }
        return reply(node, id, step);
      }
      const s = mine.get(sid);
      if (!s || s.node !== node) throw commandError('bad-request', 'bad-sessionid', 'unknown or expired session');
      if (action === 'cancel') {
        mine.delete(sid);
        return x('command', { xmlns: NS_COMMANDS, node, sessionid: sid, status: 'canceled' });
      }
      if (action === 'next' || action === 'prev' || !command.submit) throw commandError('bad-request', 'bad-action', 'this command has one form: complete it or cancel');
      const formEl = cmd.getChild('x', NS_DATA_FORMS);
      if (!formEl) throw commandError('bad-request', 'bad-payload', 'submit the form');
      const form = dataForm.fromElement(formEl);
      if (form.type === 'cancel') {
        mine.delete(sid);
        return x('command', { xmlns: NS_COMMANDS, node, sessionid: sid, status: 'canceled' });
      }
      if (form.type !== 'submit') throw commandError('bad-request', 'bad-payload', "the form must be of type 'submit'");
      s.expires = Date.now() + timeout;
      const step = await command.submit(who, form);
      if (step.done) mine.delete(sid);
      return reply(node, sid, step);
    });

    return {
      add(command) {
        if (commands.has(command.node)) throw new Error(`ad-hoc command ${command.node} offered twice`);
        commands.set(command.node, command);
        ctx.discoNode(command.node, {
          info: (session) => {
            if (!allowed(command, caller(session))) throw StanzaError.forbidden();
            return [x('identity', { category: 'automation', type: 'command-node', name: command.name }), x('feature', { var: NS_COMMANDS }), x('feature', { var: NS.dataForms })];
          },
        });
      },
    };
  },
});
