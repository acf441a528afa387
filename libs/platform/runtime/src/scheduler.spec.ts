import { IntervalScheduler, JobTrigger } from './scheduler';

const log = { error: jest.fn() };

describe('IntervalScheduler', () => {
  afterEach(() => jest.useRealTimers());

  it('runs a job on command, telling it what triggered it', async () => {
    const s = new IntervalScheduler(log);
    const seen: JobTrigger[] = [];
    s.every('job', 3_600_000, async (t) => {
      seen.push(t);
      return seen.length;
    });
    await expect(s.run('job')).resolves.toBe(1);
    expect(seen).toEqual(['command']);
    await s.stop();
  });

  it('runs an on-demand job only when asked, never on a timer', async () => {
    jest.useFakeTimers();
    const s = new IntervalScheduler(log);
    const seen: JobTrigger[] = [];
    s.onDemand('sweep', async (t) => void seen.push(t));
    jest.advanceTimersByTime(10 * 3_600_000);
    expect(seen).toEqual([]);
    await s.run('sweep');
    expect(seen).toEqual(['command']);
    expect(() => s.onDemand('sweep', async () => undefined)).toThrow(/already scheduled/);
    await s.stop();
  });

  it('runs a job on its timer with trigger `timer`', async () => {
    jest.useFakeTimers();
    const s = new IntervalScheduler(log);
    const seen: JobTrigger[] = [];
    s.every('job', 1_000, async (t) => void seen.push(t));
    jest.advanceTimersByTime(1_000);
    expect(seen).toEqual(['timer']);
    await s.stop();
  });

  it('joins a run in progress instead of overlapping it', async () => {
    const s = new IntervalScheduler(log);
    let release!: () => void;
    let runs = 0;
    s.every('job', 3_600_000, async () => {
      runs++;
      await new Promise<void>((r) => (release = r));
      return runs;
    });
    const first = s.run<number>('job');
    const second = s.run<number>('job');
    release();
    await expect(Promise.all([first, second])).resolves.toEqual([1, 1]);
    const third = s.run<number>('job');
    release();
    await expect(third).resolves.toBe(2);
    await s.stop();
  });

  it('refuses an unknown job and a second registration of a name', async () => {
    const s = new IntervalScheduler(log);
    await expect(s.run('nope')).rejects.toThrow(/no job named nope/);
    s.every('job', 3_600_000, async () => undefined);
    expect(() => s.every('job', 1, async () => undefined)).toThrow(/already scheduled/);
    await s.stop();
  });

  it('waits for a run in progress when stopped', async () => {
    const s = new IntervalScheduler(log);
    let release!: () => void;
    let finished = false;
    s.every('job', 3_600_000, async () => {
      await new Promise<void>((r) => (release = r));
      finished = true;
    });
    const run = s.run('job');
    let stopped = false;
    const stopping = s.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    release();
    await stopping;
    expect(finished).toBe(true);
    await run;
  });
});
