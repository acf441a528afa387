import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BUS_ROLES, GATEWAY_EVENTS, OFFLINE_INBOX } from '@parley/contracts';
import { busCredentialRoles, busPasswordVar, natsAuthorizationConfig, natsPermissions, requestersOf, subjectsOverlap } from './permissions';
import { subjectMatches } from './transport';

const ROOT = join(__dirname, '../../../..');
const allowed = (patterns: string[], subject: string) => patterns.some((p) => subjectMatches(p, subject));

describe('bus permissions rendered from BUS_ROLES', () => {
  it('keeps the committed NATS authorization (compose and Kubernetes) in step with the roles', () => {
    // Regenerate with: npm run ctl -- bus-config > k8s/base/nats/auth.conf
    expect(readFileSync(join(ROOT, 'k8s/base/nats/auth.conf'), 'utf8')).toBe(natsAuthorizationConfig());
  });

  it('gives every role a password in compose, and every Kubernetes workload its own user', () => {
    const compose = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
    for (const role of busCredentialRoles()) expect(compose).toContain(`${busPasswordVar(role)}:`);
    for (const role of Object.keys(BUS_ROLES)) {
      expect(compose).toContain(`NATS_USER: ${role}`);
      // Kubernetes: the role's ConfigMap names its user, its own Secret holds its password
      // (scripts/k8s-secrets.mjs fills NATS_PASSWORD with the password nats-server reads for the role).
      expect(readFileSync(join(ROOT, `k8s/base/config/${role}.env`), 'utf8')).toMatch(new RegExp(`^NATS_USER=${role}$`, 'm'));
      expect(readFileSync(join(ROOT, `k8s/base/config/${role}.secrets`), 'utf8')).toMatch(/^NATS_PASSWORD$/m);
    }
  });

  it('never writes a password into the configuration', () => {
    const conf = natsAuthorizationConfig({ namespace: 'prod' });
    expect(conf).toMatch(/password: \$PARLEY_NATS_ROSTER_PASSWORD,/);
    expect(conf).toContain('user: "prod-roster"');
  });

  it('limits roster to its own requests, events and consumers', () => {
    const p = natsPermissions(BUS_ROLES.roster, 'roster');
    expect(allowed(p.subscribe.allow, 'roster.qry.login')).toBe(true);
    expect(allowed(p.publish.allow, 'roster.evt.item-updated')).toBe(true);
    for (const s of ['gateway.evt.account-deleted', 'gateway.cmd.deliver.gw1', 'offline.qry.fetch', 'archive.qry.lookup'])
      expect([s, allowed(p.publish.allow, s)]).toEqual([s, false]);
    for (const s of ['offline.cmd.store', 'offline.qry.fetch', 'gateway.cmd.deliver.gw1', '_INBOX.x', '_INBOX_gateway.x'])
      expect([s, allowed(p.subscribe.allow, s)]).toEqual([s, false]);
    // JetStream: may not update a stream it does not own, nor consume another service's durable.
    expect(allowed(p.publish.allow, `$JS.API.STREAM.UPDATE.${GATEWAY_EVENTS.name}`)).toBe(false);
    expect(allowed(p.publish.allow, `$JS.API.CONSUMER.MSG.NEXT.${OFFLINE_INBOX.name}.offline-store`)).toBe(false);
  });

  it('answers the inboxes of the roles that may ask, and of operators, without allow_responses', () => {
    expect(requestersOf(BUS_ROLES.roster)).toEqual(['gateway', 'profile']);
    const p = natsPermissions(BUS_ROLES.roster, 'roster');
    for (const s of ['_INBOX_gateway.abc.1', '_INBOX_profile.x', '_INBOX_admin.y']) expect([s, allowed(p.publish.allow, s)]).toEqual([s, true]);
    for (const s of ['_INBOX_offline.x', '_INBOX_janitor.x', '_INBOX.x', '_INBOX_roster.x']) expect([s, allowed(p.publish.allow, s)]).toEqual([s, false]);
    // nats-server would track every delivered reply subject (JetStream acks included): quadratic consumption
    expect(natsAuthorizationConfig()).not.toContain('allow_responses');
    const ns = natsPermissions(BUS_ROLES.offline, 'ns1-offline', 'ns1');
    expect(allowed(ns.publish.allow, '_INBOX_ns1-gateway.q')).toBe(true);
    expect(allowed(ns.publish.allow, '_INBOX_gateway.q')).toBe(false);
  });

  it('tells when two subject patterns can match one subject', () => {
    expect(subjectsOverlap('gateway.cmd.delete-account', 'gateway.>')).toBe(true);
    expect(subjectsOverlap('roster.qry.*', 'roster.qry.login')).toBe(true);
    expect(subjectsOverlap('a.*.c', 'a.b.*')).toBe(true);
    expect(subjectsOverlap('a.b', 'a.b.c')).toBe(false);
    expect(subjectsOverlap('a.>', 'a')).toBe(false);
    expect(subjectsOverlap('offline.qry.fetch', 'roster.qry.fetch')).toBe(false);
  });

  it('applies the namespace to subjects and stream names', () => {
    const p = natsPermissions(BUS_ROLES.offline, 'ns1-offline', 'ns1');
    expect(allowed(p.subscribe.allow, 'ns1.offline.qry.fetch')).toBe(true);
    expect(allowed(p.subscribe.allow, 'offline.qry.fetch')).toBe(false);
    expect(allowed(p.publish.allow, '$JS.API.CONSUMER.MSG.NEXT.NS1_OFFLINE_INBOX.offline-store')).toBe(true);
    expect(allowed(p.subscribe.allow, '_INBOX_ns1-offline.abc')).toBe(true);
  });
});
