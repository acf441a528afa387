// The janitor's Prometheus metrics (on the service's /metrics): counts only, no JIDs.
import { Inject, Injectable } from '@nestjs/common';
import { Health } from '@parley/runtime';
import { Counter, Gauge } from 'prom-client';

@Injectable()
export class JanitorMetrics {
  readonly swept: Counter<'owner' | 'what'>;
  readonly sweepFailures: Counter<'owner'>;
  readonly lastSweep: Gauge<'owner'>;
  readonly deliveryFailures: Counter<'source' | 'reason'>;
  readonly accounts: Gauge<'state'>;
  readonly deletionRequests: Counter<'outcome'>;
  readonly notices: Counter<'outcome'>;
  readonly leader: Gauge;
  readonly ownerTotals: Gauge<'what'>;

  constructor(@Inject(Health) health: Health) {
    const registers = [health.metrics];
    this.swept = new Counter({ name: 'janitor_swept_total', help: 'Items deleted by retention sweeps, by owner and kind.', labelNames: ['owner', 'what'], registers });
    this.sweepFailures = new Counter({ name: 'janitor_sweep_failures_total', help: 'Sweeps that could not run (owner unavailable or failed).', labelNames: ['owner'], registers });
    this.lastSweep = new Gauge({ name: 'janitor_last_sweep_timestamp_seconds', help: "Time of an owner's last successful sweep.", labelNames: ['owner'], registers });
    this.deliveryFailures = new Counter({ name: 'janitor_delivery_failures_total', help: 'Delivery failures logged, by source and reason.', labelNames: ['source', 'reason'], registers });
    this.accounts = new Gauge({ name: 'janitor_accounts', help: 'Accounts the janitor knows: registered, active today, exempt (at the last pass).', labelNames: ['state'], registers });
    this.deletionRequests = new Counter({ name: 'janitor_inactivity_deletions_total', help: 'Inactivity deletion requests, by outcome (deleted, online, unknown, failed).', labelNames: ['outcome'], registers });
    this.notices = new Counter({ name: 'janitor_inactivity_notices_total', help: 'Inactivity notices, by outcome (sent, failed).', labelNames: ['outcome'], registers });
    this.ownerTotals = new Gauge({ name: 'janitor_owner_totals', help: 'Totals the owners report at the last pass: offline.held, offline.users, archive.opted-in, archive.held.', labelNames: ['what'], registers });
    this.leader = new Gauge({ name: 'janitor_leader', help: '1 while this replica holds the sweep lease.', registers });
  }
}
