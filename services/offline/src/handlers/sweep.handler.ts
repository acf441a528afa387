// offline.cmd.sweep: run the retention sweep now.
import { Controller, Inject } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import { OfflineSubjects, OfflineSweepResult } from '@parley/contracts';
import { Sweeper } from '../retention/sweeper';

@Controller()
export class SweepHandler {
  constructor(@Inject(Sweeper) private readonly sweeper: Sweeper) {}

  @MessagePattern(OfflineSubjects.sweep)
  handle(): Promise<OfflineSweepResult> {
    return this.sweeper.sweep('command');
  }
}
