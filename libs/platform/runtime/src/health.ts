// Readiness checks and the metrics registry of a process.
import { Injectable } from '@nestjs/common';
import { Registry, collectDefaultMetrics } from 'prom-client';

/** A check that must pass for the service to receive traffic. */
export type ReadinessCheck = () => Promise<boolean> | boolean;

/** Per-process registry of readiness checks and metrics. */
@Injectable()
export class Health {
  private readonly checks = new Map<string, ReadinessCheck>();
  readonly metrics = new Registry();
  constructor() {
    collectDefaultMetrics({ register: this.metrics });
  }
  /** Adds a named readiness check. */
  addCheck(name: string, check: ReadinessCheck): void {
    this.checks.set(name, check);
  }
  /** The registered checks' names. */
  names(): string[] {
    return [...this.checks.keys()];
  }
  /** Runs one check; false when it fails or throws. */
  async passes(name: string): Promise<boolean> {
    try {
      return (await this.checks.get(name)?.()) === true;
    } catch {
      return false;
    }
  }
  /** Runs every check; returns the failing names. */
  async failing(): Promise<string[]> {
    const bad: string[] = [];
    for (const [name, check] of this.checks) {
      try {
        if (!(await check())) bad.push(name);
      } catch {
        bad.push(name);
      }
    }
    return bad;
  }
}

