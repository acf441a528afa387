import { labelFromArgv, parseProcStat, parsePssKiB, parseStatCpuTicks, processLabel, readCpuTicks, readPssKiB, readRssKiB } from './proc';
import { cpuCell, fmt, table } from './report';

describe('/proc parsing', () => {
  it('reads utime + stime even when the command name holds spaces and parentheses', () => {
    const line = '1234 (node (x) y) S 1 1234 1234 0 -1 4194304 100 0 0 0 250 50 0 0 20 0 11 0 100 1000 200';
    expect(parseStatCpuTicks(line)).toBe(300);
  });

  it('reads busy and total jiffies of the machine', () => {
    expect(parseProcStat('cpu  100 5 50 800 20 3 2 10 0 0\ncpu0 1 2 3 4')).toEqual({ busy: 170, total: 990 });
  });

  it('measures this very process', () => {
    expect(readRssKiB(process.pid)).toBeGreaterThan(1000);
    expect(readCpuTicks(process.pid)).toBeGreaterThanOrEqual(0);
    expect(readRssKiB(2 ** 30)).toBeUndefined();
  });

  it('names a process by its program and the service it runs from dist/', () => {
    expect(labelFromArgv(['/usr/bin/node', '--enable-source-maps', '/work/p/dist/services/offline/src/main.js'])).toBe('node services/offline');
    expect(labelFromArgv(['/usr/local/bin/nats-server', '-c', 'x.conf'])).toBe('nats-server');
    expect(labelFromArgv([])).toBe('?');
    expect(processLabel(process.pid)).toMatch(/^node/);
    expect(processLabel(2 ** 30)).toBe(`pid ${2 ** 30}`);
  });
});

describe('report formatting', () => {
  it('aligns a table: first column left, the others right', () => {
    expect(table(['name', 'n'], [['a', '1'], ['bbb', '22']])).toBe(['name   n', '----  --', 'a      1', 'bbb   22'].join('\n'));
  });

  it('formats missing values as a dash and groups thousands', () => {
    expect(fmt(undefined)).toBe('-');
    expect(fmt(NaN)).toBe('-');
    expect(fmt(12345.678, 1)).toBe('12,345.7');
    expect(cpuCell({ gwA: 90, nats: 5 })).toBe('gwA 90%, nats 5%');
    expect(cpuCell(undefined)).toBe('-');
  });
});

describe('cpuCell', () => {
  it('marks a busy machine', () => {
    expect(cpuCell({ gwA: 50, other: 31 })).toBe('gwA 50%, other 31%!');
    expect(cpuCell({ gwA: 50, other: 30 })).toBe('gwA 50%, other 30%');
  });
});

describe('parsePssKiB', () => {
  it('reads the Pss line of smaps_rollup, not Pss_Anon or Rss', () => {
    const rollup = '55d0c2a4b000-7ffd3c5f0000 ---p 00000000 00:00 0 [rollup]\nRss:              120000 kB\nPss:               45678 kB\nPss_Anon:          30000 kB\n';
    expect(parsePssKiB(rollup)).toBe(45678);
    expect(parsePssKiB('Rss: 1 kB\n')).toBeUndefined();
  });

  it('reads this process\'s own PSS, no larger than its RSS', () => {
    const pss = readPssKiB(process.pid);
    expect(pss).toBeGreaterThan(0);
    expect(pss!).toBeLessThanOrEqual(readRssKiB(process.pid)!);
  });
});
