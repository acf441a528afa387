// Retention and other periodic work behind one interface. A process runs its own
// timers (`every`, e.g. outbox relays); retention sweeps are `onDemand` jobs the janitor
// drives through `<owner>.cmd.sweep`, which calls `run(name)`. One run of a job never
// overlaps another in the same process.
import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';

/** Injection token of the {@link Scheduler}. */
export const SCHEDULER = Symbol('SCHEDULER');

/** What started a run of a job: its own timer, or a command (`<owner>.cmd.sweep`, the janitor). */
export type JobTrigger = 'timer' | 'command';

/** Periodic jobs by name. */
export interface Scheduler {
  /** Registers `job` to run every `intervalMs` (first run after one interval). */
  every<T>(name: string, intervalMs: number, job: (trigger: JobTrigger) => Promise<T>): void;
  /** Registers `job` without a timer: it runs only through `run` (`<owner>.cmd.sweep`, driven by the janitor). */
  onDemand<T>(name: string, job: (trigger: JobTrigger) => Promise<T>): void;
  /** Runs a registered job now (trigger `command`), or joins the run in progress; resolves with its result. */
  run<T>(name: string): Promise<T>;
  /** Stops every timer and waits for runs in progress. */
  stop(): Promise<void>;
}

interface Job {
  job: (trigger: JobTrigger) => Promise<unknown>;
  timer?: NodeJS.Timeout;
  running?: Promise<unknown>;
}

@Injectable()
export class IntervalScheduler implements Scheduler, OnApplicationShutdown {
  private readonly jobs = new Map<string, Job>();

  constructor(@Inject('PINO') private readonly log: Pick<Logger, 'error'>) {}

  every<T>(name: string, intervalMs: number, job: (trigger: JobTrigger) => Promise<T>): void {
    if (this.jobs.has(name)) throw new Error(`job ${name} is already scheduled`);
    const entry: Job = { job };
    entry.timer = setInterval(() => {
      this.start(name, 'timer').catch((err) => this.log.error({ err, job: name }, 'scheduled job failed'));
    }, intervalMs);
    entry.timer.unref();
    this.jobs.set(name, entry);
  }

  onDemand<T>(name: string, job: (trigger: JobTrigger) => Promise<T>): void {
    if (this.jobs.has(name)) throw new Error(`job ${name} is already scheduled`);
    this.jobs.set(name, { job });
  }

  run<T>(name: string): Promise<T> {
    return this.start(name, 'command');
  }

  private start<T>(name: string, trigger: JobTrigger): Promise<T> {
    const entry = this.jobs.get(name);
    if (!entry) return Promise.reject(new Error(`no job named ${name}`));
    entry.running ??= entry.job(trigger).finally(() => {
      entry.running = undefined;
    });
    return entry.running as Promise<T>;
  }

  async stop(): Promise<void> {
    for (const e of this.jobs.values()) clearInterval(e.timer);
    await Promise.allSettled([...this.jobs.values()].map((e) => e.running));
    this.jobs.clear();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.stop();
  }
}
