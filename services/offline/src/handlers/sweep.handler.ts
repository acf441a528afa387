// offline.cmd.sweep: run the retention sweep now.
import { Inject, Injectable } from '@nestjs/common';
import { OfflineSubjects, OfflineSweepCommand, OfflineSweepResult } from '@parley/contracts';
import { Sweeper } from '../retention/sweeper';
import { RequestHandler } from './tokens';

@Injectable()
export class SweepHandler implements RequestHandler<OfflineSweepCommand, OfflineSweepResult> {
  readonly subject = OfflineSubjects.sweep;
  constructor(@Inject(Sweeper) private readonly sweeper: Sweeper) {}

  handle(): Promise<OfflineSweepResult> {
    return this.sweeper.sweep('command');
  }
}
