// offline.cmd.sweep: run the retention sweep now (joining a run in progress).
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { OfflineSubjects, OfflineSweepResult } from '@parley/contracts';
import { SCHEDULER, Scheduler } from '@parley/runtime';
import { OFFLINE_RETENTION_JOB } from '../retention/sweeper';

@Controller()
export class SweepHandler {
  constructor(@Inject(SCHEDULER) private readonly scheduler: Scheduler) {}

  @MessagePattern(OfflineSubjects.sweep)
  handle(): Promise<OfflineSweepResult> {
    return this.scheduler.run<OfflineSweepResult>(OFFLINE_RETENTION_JOB);
  }
}
