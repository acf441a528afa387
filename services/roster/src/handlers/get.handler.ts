// roster.qry.get — RFC 6121 §2.2 roster get, with §2.6 versioning.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { PrepareJids } from '@parley/nats';
import { RosterGetQuery, RosterGetResult, RosterSubjects } from '@parley/contracts';
import { toRosterItem } from '../domain/roster-entry';
import { answerRosterGet, parseVer } from '../domain/versioning';
import { ROSTER_STORE, RosterStore } from '../store/roster.store';

@Controller()
export class GetRosterHandler {

  constructor(@Inject(ROSTER_STORE) private readonly store: RosterStore) {}

  @MessagePattern(RosterSubjects.get)
  async handle(@Payload(new PrepareJids({ user: 'account' })) q: RosterGetQuery): Promise<RosterGetResult> {
    const user = q.user;
    const clientVer = typeof q.ver === 'string' ? q.ver : undefined;
    const since = parseVer(clientVer);
    if (since !== undefined) {
      const { ver, changes } = await this.store.changesSince(user, since);
      const answer = answerRosterGet(ver, clientVer, changes);
      if (answer.kind === 'unchanged') return { kind: 'unchanged', ver: String(ver) };
      if (answer.kind === 'pushes') return { kind: 'pushes', ver: String(ver), pushes: answer.pushes.map((p) => ({ ver: String(p.ver), item: p.item })) };
    }
    const { ver, entries } = await this.store.roster(user);
    return { kind: 'full', ver: String(ver), items: entries.map(toRosterItem) };
  }
}
