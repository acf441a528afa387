// Admin CLI against the same account store and bus as the gateway:
//   account add|delete|passwd|list, migrate. Passwords are read from standard input
//   (one line) unless given with --password (visible to other local users in `ps`).
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { createInterface } from 'node:readline';
import { Bus, BusUnavailableError } from '@parley/nats';
import { busOptions } from '@parley/runtime';
import { migrateDatabase, openDataSource, OutboxRelay, redactUrl } from '@parley/persistence';
import { EndSessionsResultV1, GATEWAY_EVENTS, GatewaySubjects, OnlineResultV1 } from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import { AccountExistsError, AccountsService, InvalidUsernameError, UsernameTombstonedError, WeakPasswordError } from '../auth/accounts.service';
import { loadGatewayConfig } from '../config/config';
import { gatewayDataSource } from '../persistence/data-source';
import { TypeOrmAccountsStore } from '../auth/accounts.store';
import { BUS_USAGE, busCommand } from './bus-commands';
import { JANITOR_COMMANDS, JANITOR_USAGE, runJanitorCtl } from './janitor-ctl';
import { bashCompletion, commandsOf } from './completion';
import { collectUserExport, toJson, toXep0227 } from '../export/user-export';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const USAGE = `usage: npm run ctl -- <command>

  account add <user>        create an account (password from stdin, or --password)
  account passwd <user>     set a new password (password from stdin, or --password)
  account delete <user>     delete an account and erase its data everywhere
  account list              list accounts (username, created)
  online                    users and sessions online in the whole deployment (needs a gateway)
  sessions end <user>       end every session of <user> on every gateway (the account stays)
  export <user> [--out DIR] write everything stored about <user> (roster, block list, offline
                            messages, archive, profile) as DIR/<jid>.xml (XEP-0227) and DIR/<jid>.json,
                            readable by the owner only; progress on stderr (needs the services)
  migrate                   apply pending gateway database migrations
  completion bash           print a bash completion script (source <(npm run --silent ctl -- completion bash))
${BUS_USAGE}

<user> is a username or a JID of this server's domain (XMPP_DOMAIN).`;

/** A CLI failure with a message for the operator and an exit code. */
class CliError extends Error {
  constructor(message: string, readonly code = 1) {
    super(message);
  }
}

async function readPassword(): Promise<string> {
  if (process.stdin.isTTY) process.stderr.write('password: ');
  const rl = createInterface({ input: process.stdin });
  for await (const line of rl) {
    rl.close();
    return line;
  }
  throw new CliError('no password given on standard input');
}

export async function main(argv: string[]): Promise<number> {
  if (JANITOR_COMMANDS.has(argv[0])) return runJanitorCtl(argv);
  const { values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { password: { type: 'string' }, help: { type: 'boolean', short: 'h' }, namespace: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' } } });
  const [cmd, sub, who] = positionals;
  if (values.help || !cmd || cmd === 'help') {
    process.stdout.write(`${USAGE}\n\n${JANITOR_USAGE}\n`);
    return cmd || values.help ? 0 : 2;
  }
  if (cmd === 'completion') {
    if (sub !== 'bash') throw new CliError('usage: completion bash', 2);
    process.stdout.write(bashCompletion([...commandsOf(USAGE), ...commandsOf(JANITOR_USAGE, ['--json'])]));
    return 0;
  }
  if (cmd.startsWith('bus-')) {
    let out: string | undefined;
    try {
      out = busCommand(cmd, values);
    } catch (e) {
      throw new CliError((e as Error).message, 2);
    }
    if (out === undefined) throw new CliError(USAGE, 2);
    process.stdout.write(out);
    return 0;
  }
  const config = loadGatewayConfig();
  const dbOpts = gatewayDataSource(process.env, 2);
  if (cmd === 'migrate') {
    const applied = await migrateDatabase(dbOpts);
    process.stdout.write(`${redactUrl(dbOpts.url)}: ${applied.length ? `applied ${applied.join(', ')}` : 'up to date'}\n`);
    return 0;
  }
  const domain = config.XMPP_DOMAIN.toLowerCase();
  if (cmd === 'export') return exportUser(sub, values.out ?? '.', domain, dbOpts, config);
  if (cmd === 'online' || cmd === 'sessions') return sessionsCommand(cmd, sub, positionals[2], domain, config);
  if (cmd !== 'account' || !sub) throw new CliError(USAGE, 2);
  const ds = await openDataSource(dbOpts);
  const store = new TypeOrmAccountsStore(ds);
  let bus: Bus | undefined;
  try {
    if (sub === 'list') {
      let after: string | undefined;
      for (;;) {
        const page = await store.list({ after, limit: 1000 });
        for (const a of page) process.stdout.write(`${a.username}@${domain}\t${a.createdAt.toISOString()}\n`);
        if (page.length < 1000) break;
        after = page[page.length - 1].username;
      }
      return 0;
    }
    if (!who) throw new CliError(`account ${sub} needs a user\n\n${USAGE}`, 2);
    const jid = tryParseJid(who.includes('@') ? who : `${who}@${domain}`);
    if (!jid || !jid.local || jid.domain !== domain) throw new CliError(`"${who}" is not a user of ${domain}`, 2);
    bus = await Bus.connect(busOptions(config, 'parley-ctl'));
    await bus.ensureStreams([GATEWAY_EVENTS]);
    const log = { warn: (o: object, msg?: string) => process.stderr.write(`warning: ${msg ?? ''} (${(o as { err?: Error }).err?.message ?? ''}); a gateway publishes it later\n`) };
    const accounts = new AccountsService(store, new OutboxRelay(ds, bus, log), { domain, iterations: config.SCRAM_ITERATIONS, tombstoneMs: config.USERNAME_TOMBSTONE });
    switch (sub) {
      case 'add': {
        const password = values.password ?? (await readPassword());
        await accounts.register(jid.local, password, 'admin');
        process.stdout.write(`created ${jid.bareString}\n`);
        return 0;
      }
      case 'passwd': {
        const password = values.password ?? (await readPassword());
        if (!(await accounts.changePassword(jid.local, password))) throw new CliError(`no account ${jid.bareString}`);
        process.stdout.write(`password of ${jid.bareString} changed\n`);
        return 0;
      }
      case 'delete': {
        if (!(await accounts.delete(jid.local, 'admin'))) throw new CliError(`no account ${jid.bareString}`);
        process.stdout.write(`deleted ${jid.bareString}; every service erases its data\n`);
        return 0;
      }
      default:
        throw new CliError(`unknown command "account ${sub}"\n\n${USAGE}`, 2);
    }
  } catch (e) {
    if (e instanceof UsernameTombstonedError) throw new CliError(`${e.username}@${domain} was deleted less than USERNAME_TOMBSTONE ago and cannot be registered yet`);
    if (e instanceof AccountExistsError) throw new CliError(`${e.username}@${domain} already exists`);
    if (e instanceof InvalidUsernameError || e instanceof WeakPasswordError) throw new CliError(e.message, 2);
    throw e;
  } finally {
    await bus?.close();
    await ds.destroy();
  }
}

/** `online` and `sessions end <user>`: asked of any gateway over the bus (queue group `gateway`). */
async function sessionsCommand(cmd: string, sub: string | undefined, who: string | undefined, domain: string, config: ReturnType<typeof loadGatewayConfig>): Promise<number> {
  if (cmd === 'sessions' && (sub !== 'end' || !who)) throw new CliError(`sessions end needs a user\n\n${USAGE}`, 2);
  const bus = await Bus.connect(busOptions(config, 'parley-ctl'));
  try {
    if (cmd === 'online') {
      const r = await bus.request<OnlineResultV1>(GatewaySubjects.online, {});
      process.stdout.write(`${r.users} users online, ${r.sessions} sessions\n`);
      return 0;
    }
    const jid = tryParseJid(who!.includes('@') ? who! : `${who}@${domain}`);
    if (!jid || !jid.local || jid.domain !== domain) throw new CliError(`"${who}" is not a user of ${domain}`, 2);
    const r = await bus.request<EndSessionsResultV1>(GatewaySubjects.endSessions, { jid: jid.bareString });
    process.stdout.write(`${jid.bareString}: ${r.ended} session(s) ended\n`);
    return 0;
  } catch (e) {
    if (e instanceof BusUnavailableError) throw new CliError('no gateway answers (is one running?)');
    throw e;
  } finally {
    await bus.close();
  }
}

/** `export <user>`: collects the user's data from every owner and writes both renderings. */
async function exportUser(who: string | undefined, dir: string, domain: string, dbOpts: ReturnType<typeof gatewayDataSource>, config: ReturnType<typeof loadGatewayConfig>): Promise<number> {
  if (!who) throw new CliError(`export needs a user\n\n${USAGE}`, 2);
  const jid = tryParseJid(who.includes('@') ? who : `${who}@${domain}`);
  if (!jid || !jid.local || jid.domain !== domain) throw new CliError(`"${who}" is not a user of ${domain}`, 2);
  const ds = await openDataSource(dbOpts);
  let bus: Bus | undefined;
  try {
    if (!(await new TypeOrmAccountsStore(ds).exists(jid.local))) throw new CliError(`no account ${jid.bareString}`);
    bus = await Bus.connect(busOptions(config, 'parley-ctl'));
    const data = await collectUserExport(bus, jid.bareString, (what, n) => process.stderr.write(`[export] ${what}: ${n}\n`));
    const base = join(dir, jid.bareString);
    // XEP-0227 §6: exported data is for its owner only.
    writeFileSync(`${base}.xml`, toXep0227(data), { mode: 0o600 });
    writeFileSync(`${base}.json`, toJson(data), { mode: 0o600 });
    process.stdout.write(`${base}.xml\n${base}.json\n`);
    return 0;
  } finally {
    await bus?.close();
    await ds.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e) => {
      process.stderr.write(`error: ${e instanceof CliError ? e.message : (e as Error).message}\n`);
      process.exit(e instanceof CliError ? e.code : 1);
    },
  );
}
