// The upload service's Prometheus metrics (on the service's /metrics): counts only, no JIDs, no names.
import { Inject, Injectable } from '@nestjs/common';
import { Health } from '@parley/runtime';
import { Counter } from 'prom-client';

@Injectable()
export class UploadMetrics {
  /** Slot requests by outcome: granted, file-too-large, quota, not-acceptable. */
  readonly slots: Counter<'outcome'>;
  /** HTTP answers by method and status. */
  readonly http: Counter<'method' | 'status'>;
  /** Bytes stored by PUTs and sent by GETs. */
  readonly bytes: Counter<'direction'>;

  constructor(@Inject(Health) health: Health) {
    const registers = [health.metrics];
    this.slots = new Counter({ name: 'upload_slot_requests_total', help: 'Slot requests by outcome (granted, file-too-large, quota, not-acceptable).', labelNames: ['outcome'], registers });
    this.http = new Counter({ name: 'upload_http_responses_total', help: 'Answers of the public upload listener, by method and status.', labelNames: ['method', 'status'], registers });
    this.bytes = new Counter({ name: 'upload_bytes_total', help: 'Bytes stored (in) and served (out).', labelNames: ['direction'], registers });
  }
}
