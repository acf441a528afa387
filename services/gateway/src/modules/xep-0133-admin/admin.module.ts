// XEP-0133: Service Administration, as ad-hoc commands (XEP-0050) for the JIDs in
// ADMINS: add a user, delete users, end users' sessions, count online and registered
// users. Nobody else sees or may run them. Deleting goes through the same path as every
// other deletion (the account and its gateway.evt.account-deleted commit together).
import { opt } from '@parley/config';
import { tryParseJid } from '@parley/jid';
import { StanzaError } from '@parley/stanza';
import { DataField, DataForm, dataForm } from '@parley/xep';
import { AccountExistsError, InvalidUsernameError, WeakPasswordError } from '../../auth/accounts.service';
import { defineModule } from '../../host';
import { COMMANDS_API, CommandCaller, CommandStep } from '../xep-0050-commands/api';

/** XEP-0133's FORM_TYPE. */
export const NS_ADMIN = 'http://jabber.org/protocol/admin';
/** XEP-0133 command nodes used here. */
export const AdminNodes = {
  addUser: `${NS_ADMIN}#add-user`,
  deleteUser: `${NS_ADMIN}#delete-user`,
  endUserSession: `${NS_ADMIN}#end-user-session`,
  getOnlineUsersNum: `${NS_ADMIN}#get-online-users-num`,
  getRegisteredUsersNum: `${NS_ADMIN}#get-registered-users-num`,
} as const;

const formType: DataField = { var: 'FORM_TYPE', type: 'hidden', values: [NS_ADMIN] };

function form(type: DataForm['type'], title: string, fields: DataField[], instructions?: string): DataForm {
  return { type, title, ...(instructions ? { instructions: [instructions] } : {}), fields: [formType, ...fields] };
}

const done = (text: string): CommandStep => ({ done: true, note: { type: 'info', text } });

export const adminModule = defineModule({
  name: 'xep-0133-admin',
  requires: [COMMANDS_API],
  options: {
    ADMINS: opt.list({ doc: 'Bare JIDs of this server\'s administrators (comma-separated): they may run the XEP-0133 admin commands (add and delete users, end sessions, count users).', default: '' }),
  },
  init(ctx) {
    const admins = new Set<string>();
    for (const raw of ctx.options.ADMINS) {
      const j = tryParseJid(raw);
      if (!j || !j.local || j.resource || j.domain !== ctx.domain) throw new Error(`ADMINS: "${raw}" is not a bare JID of ${ctx.domain}`);
      admins.add(j.bareString);
    }
    const isAdmin = (c: CommandCaller) => admins.has(c.bare);
    const commands = ctx.use(COMMANDS_API);

    /** Local users named by a form field: bare JIDs of this domain, or `bad-request`. */
    const users = (f: DataForm, name: string): Array<{ bare: string; local: string; resource?: string }> => {
      const values = (dataForm.field(f, name)?.values ?? []).map((v) => v.trim()).filter(Boolean);
      if (!values.length) throw StanzaError.badRequest(`${name} is required`);
      return values.map((v) => {
        const j = tryParseJid(v);
        if (!j || !j.local || j.domain !== ctx.domain) throw new StanzaError('not-acceptable', `${v} is not a user of ${ctx.domain}`);
        return { bare: j.bareString, local: j.local, ...(j.resource ? { resource: j.resource } : {}) };
      });
    };

    commands.add({
      node: AdminNodes.addUser,
      name: 'Add a User',
      allowed: isAdmin,
      start: () => ({
        done: false,
        form: form('form', 'Adding a User', [
          { var: 'accountjid', type: 'jid-single', label: 'The Jabber ID for the account to be added', required: true, values: [] },
          { var: 'password', type: 'text-private', label: 'The password for this account', required: true, values: [] },
          { var: 'password-verify', type: 'text-private', label: 'Retype password', required: true, values: [] },
        ]),
      }),
      submit: async (_c, f) => {
        const [user] = users(f, 'accountjid');
        const password = dataForm.field(f, 'password')?.values[0] ?? '';
        if (password !== (dataForm.field(f, 'password-verify')?.values[0] ?? '')) throw new StanzaError('not-acceptable', 'the passwords differ');
        try {
          await ctx.accounts.register(user.local, password, 'admin');
        } catch (e) {
          if (e instanceof AccountExistsError) throw new StanzaError('conflict', 'that username is taken');
          if (e instanceof InvalidUsernameError || e instanceof WeakPasswordError) throw new StanzaError('not-acceptable', e.message);
          throw e;
        }
        return done(`${user.bare} was added`);
      },
    });

    commands.add({
      node: AdminNodes.deleteUser,
      name: 'Delete a User',
      allowed: isAdmin,
      start: () => ({
        done: false,
        form: form('form', 'Deleting a User', [{ var: 'accountjids', type: 'jid-multi', label: 'The Jabber ID(s) to delete', required: true, values: [] }]),
      }),
      submit: async (_c, f) => {
        const deleted: string[] = [];
        const unknown: string[] = [];
        for (const u of users(f, 'accountjids')) {
          if (await ctx.accounts.delete(u.local, 'admin')) {
            ctx.sessions.endUser(u.bare, 'removed');
            deleted.push(u.bare);
          } else unknown.push(u.bare);
        }
        const text = [deleted.length ? `deleted: ${deleted.join(', ')}` : '', unknown.length ? `no such account: ${unknown.join(', ')}` : ''].filter(Boolean).join('; ');
        return { done: true, note: { type: unknown.length ? 'warn' : 'info', text } };
      },
    });

    commands.add({
      node: AdminNodes.endUserSession,
      name: 'End User Session',
      allowed: isAdmin,
      start: () => ({
        done: false,
        form: form('form', "Ending a User's Sessions", [{ var: 'accountjids', type: 'jid-multi', label: 'The Jabber ID(s) whose sessions end', required: true, values: [] }]),
      }),
      submit: (_c, f) => {
        const ended: string[] = [];
        for (const u of users(f, 'accountjids')) {
          // a full JID ends that session only; a bare JID every session of the user
          if (u.resource) ctx.sessions.endSession(u.bare, u.resource, 'ended');
          else ctx.sessions.endUser(u.bare, 'ended');
          ended.push(u.resource ? `${u.bare}/${u.resource}` : u.bare);
        }
        return done(`sessions ended: ${ended.join(', ')}`);
      },
    });

    commands.add({
      node: AdminNodes.getOnlineUsersNum,
      name: 'Get Number of Online Users',
      allowed: isAdmin,
      start: () => ({
        done: true,
        form: form('result', 'Number of Online Users', [{ var: 'onlineusersnum', label: 'The number of online users', values: [String(ctx.directory.userCount)] }]),
      }),
    });

    commands.add({
      node: AdminNodes.getRegisteredUsersNum,
      name: 'Get Number of Registered Users',
      allowed: isAdmin,
      start: async () => ({
        done: true,
        form: form('result', 'Number of Registered Users', [{ var: 'registeredusersnum', label: 'The number of registered users', values: [String(await ctx.accounts.count())] }]),
      }),
    });
  },
});
