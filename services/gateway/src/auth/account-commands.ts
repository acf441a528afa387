// What the gateway answers on the bus about accounts (core NATS, queue group `gateway`,
// so one gateway instance answers each request):
// - gateway.cmd.delete-account: the janitor (inactivity) and admin tools. An inactivity
//   deletion is refused while the user has a session anywhere in the cluster (an open
//   session is use); an admin deletion ends the user's sessions everywhere.
// - gateway.cmd.server-notice: a message from the domain to a user, routed like any
//   message (delivered, or stored offline).
// - gateway.cmd.sweep: removes expired username tombstones; answers counts only.
// - gateway.cmd.end-sessions: ends every session of a user on every gateway (operators).
// - gateway.qry.online: users and sessions online in the deployment (the directory is
//   replicated to every gateway, so any one answers).
// Every payload is validated here; a malformed one is answered `bad-request`.
import { randomUUID } from 'node:crypto';
import {
  DeleteAccountResultV1,
  EndSessionsResultV1,
  OnlineResultV1,
  GatewaySubjects,
  GatewaySweepResult,
  isDeleteAccountCommandV1,
  isServerNoticeCommandV1,
  QueueGroups,
} from '@parley/contracts';
import { tryParseJid } from '@parley/jid';
import { ReplyException } from '@parley/nats';
import { x } from '@parley/xml';
import type { Logger } from 'pino';
import type { AccountsService } from './accounts.service';
import type { ModuleBus, RouterPort } from '../host/module';
import type { Directory } from '../session/directory';

/** What the account commands need of the core. */
export interface AccountCommandDeps {
  domain: string;
  bus: Pick<ModuleBus, 'serve'>;
  accounts: Pick<AccountsService, 'exists' | 'delete' | 'sweepTombstones'>;
  directory: Pick<Directory, 'resources'>;
  router: Pick<RouterPort, 'route'>;
  /** Ends every session of a user, here and on other instances. */
  endUser(bare: string, reason: 'removed' | 'ended'): void;
  /** Users and sessions online in the deployment. */
  online(): OnlineResultV1;
  /** Runs `work` while this gateway answers the removal of `bare` (its sessions close here, not on the event). */
  removing<T>(bare: string, work: () => Promise<T>): Promise<T>;
  log: Logger;
}

/** A bare JID of this domain with a localpart, or `bad-request`. */
function localUser(domain: string, raw: string): { bare: string; local: string } {
  const j = tryParseJid(raw);
  if (!j || !j.local || j.resource || j.domain !== domain) throw ReplyException.of('bad-request', 'not a bare JID of this server');
  return { bare: j.bareString, local: j.local };
}

export class AccountCommands {
  private sweeping?: Promise<GatewaySweepResult>;

  constructor(private readonly d: AccountCommandDeps) {}

  /** Subscribes to the three commands; returns their subscriptions. */
  serve(): Array<{ unsubscribe(): void }> {
    const q = { queue: QueueGroups.gateway };
    return [
      this.d.bus.serve<unknown, DeleteAccountResultV1>(GatewaySubjects.deleteAccount, (cmd) => this.deleteAccount(cmd), q),
      this.d.bus.serve<unknown, { routed: boolean }>(GatewaySubjects.serverNotice, (cmd) => this.serverNotice(cmd), q),
      this.d.bus.serve<unknown, GatewaySweepResult>(GatewaySubjects.sweep, () => this.sweep(), q),
      this.d.bus.serve<unknown, EndSessionsResultV1>(GatewaySubjects.endSessions, (cmd) => this.endSessions(cmd), q),
      this.d.bus.serve<unknown, OnlineResultV1>(GatewaySubjects.online, () => this.d.online(), q),
    ];
  }

  endSessions(cmd: unknown): EndSessionsResultV1 {
    const raw = (cmd as { jid?: unknown } | null)?.jid;
    if (typeof raw !== 'string') throw ReplyException.of('bad-request', 'expected { jid }');
    const { bare } = localUser(this.d.domain, raw);
    const ended = this.d.directory.resources(bare).length;
    if (ended) {
      this.d.endUser(bare, 'ended');
      this.d.log.info({ sessions: ended }, 'sessions ended on request');
    }
    return { ended };
  }

  async deleteAccount(cmd: unknown): Promise<DeleteAccountResultV1> {
    if (!isDeleteAccountCommandV1(cmd)) throw ReplyException.of('bad-request', 'expected { jid, reason: admin | inactivity }');
    const { bare, local } = localUser(this.d.domain, cmd.jid);
    const resources = this.d.directory.resources(bare);
    if (cmd.reason === 'inactivity' && resources.length) return { deleted: false, online: true };
    return this.d.removing(bare, async () => {
      const deleted = await this.d.accounts.delete(local, cmd.reason);
      if (deleted) {
        // at once, not when the event arrives (it may wait in the outbox while NATS is down)
        this.d.endUser(bare, 'removed');
        this.d.log.info({ reason: cmd.reason }, 'account deleted on request');
      }
      return { deleted };
    });
  }

  async serverNotice(cmd: unknown): Promise<{ routed: boolean }> {
    if (!isServerNoticeCommandV1(cmd)) throw ReplyException.of('bad-request', 'expected { to, body, subject? }');
    const { bare, local } = localUser(this.d.domain, cmd.to);
    if (!(await this.d.accounts.exists(local))) return { routed: false };
    const msg = x('message', { from: this.d.domain, to: bare, type: 'normal', id: `notice-${randomUUID()}` });
    if (cmd.subject) msg.children.push(x('subject', null, cmd.subject));
    msg.children.push(x('body', null, cmd.body));
    await this.d.router.route(msg);
    return { routed: true };
  }

  /** Removes expired tombstones; a request during a run joins it. */
  sweep(): Promise<GatewaySweepResult> {
    this.sweeping ??= this.d.accounts
      .sweepTombstones()
      .then((r) => ({ tombstonesDeleted: r.deleted, cutoff: r.cutoff.toISOString(), ...(r.oldestRemaining ? { oldestRemaining: r.oldestRemaining.toISOString() } : {}) }))
      .finally(() => (this.sweeping = undefined));
    return this.sweeping;
  }
}
