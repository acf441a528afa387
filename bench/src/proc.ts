// Process measurements from Linux /proc: resident memory, CPU time per process
// (and per group of processes, e.g. every postgres backend), the fd limit.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Resident set size of a process in KiB (VmRSS), undefined when it is gone. */
export function readRssKiB(pid: number): number | undefined {
  try {
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Proportional set size of a process in KiB (Pss in /proc/<pid>/smaps_rollup): its
 * private pages plus its share of pages it shares. Summed over processes that share
 * memory (Postgres backends and their shared buffers) it counts each page once, where
 * summed RSS would count it in every process that touched it. Undefined when it is gone
 * or unreadable.
 */
export function readPssKiB(pid: number): number | undefined {
  try {
    return parsePssKiB(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
  } catch {
    return undefined;
  }
}

/** The Pss line of a smaps_rollup text, in KiB. */
export function parsePssKiB(rollup: string): number | undefined {
  const m = /^Pss:\s+(\d+)\s+kB/m.exec(rollup);
  return m ? Number(m[1]) : undefined;
}

/** A short name for a command line: its program and, for Node.js, the script's directory under dist/ (e.g. "node services/offline"). */
export function labelFromArgv(argv: string[]): string {
  const prog = (argv[0] ?? '?').split('/').pop() || '?';
  const script = argv.slice(1).find((a) => a.includes('/dist/'));
  const m = script ? /\/dist\/((?:services|bench)\/[^/]+)/.exec(script) : null;
  return m ? `${prog} ${m[1]}` : prog;
}

/** {@link labelFromArgv} of a running process (`pid N` once it is gone). */
export function processLabel(pid: number): string {
  try {
    return labelFromArgv(readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean));
  } catch {
    return `pid ${pid}`;
  }
}

/** Parses the utime+stime fields (clock ticks) of a /proc/<pid>/stat line. */
export function parseStatCpuTicks(stat: string): number {
  // comm (field 2) may contain spaces and parentheses: count fields after the last ')'
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime is field 14, stime field 15
  return Number(rest[11]) + Number(rest[12]);
}

/** CPU time a process used so far, in clock ticks (0 when it is gone). */
export function readCpuTicks(pid: number): number {
  try {
    return parseStatCpuTicks(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return 0;
  }
}

let clkTck: number | undefined;
/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux in practice). */
export function clockTicksPerSecond(): number {
  if (clkTck === undefined) {
    try {
      clkTck = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clkTck = 100;
    }
  }
  return clkTck;
}

/** Pids whose command name (/proc/<pid>/comm) is exactly `comm`. */
export function pidsByComm(comm: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/comm`, 'utf8').trim() === comm) out.push(Number(e));
    } catch {
      /* exited meanwhile */
    }
  }
  return out;
}

/** Soft limit on open files of this process (what `ulimit -n` shows). */
export function openFilesLimit(): number {
  try {
    const m = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (m) return m[1] === 'unlimited' ? Number.MAX_SAFE_INTEGER : Number(m[1]);
  } catch {
    /* not Linux */
  }
  return 1024;
}

/** Busy and total jiffies of the whole machine (first line of /proc/stat). */
export function parseProcStat(stat: string): { busy: number; total: number } {
  const f = stat.split('\n')[0].trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal (guest time is already in user)
  const [user, nice, system, idle, iowait, irq, softirq, steal] = f;
  const busy = user + nice + system + irq + softirq + (steal || 0);
  return { busy, total: busy + idle + (iowait || 0) };
}

function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    return parseProcStat(readFileSync('/proc/stat', 'utf8'));
  } catch {
    return undefined;
  }
}

/** A named set of processes whose CPU is measured together. */
export interface CpuGroup {
  name: string;
  /** Pids to sum, looked up again at each sample (postgres forks backends). */
  pids: () => number[];
}

/** CPU use per group between `start()` and `stop()`, as percent of one core. */
export class CpuMeter {
  private t0 = 0;
  private ticks0 = new Map<string, Map<number, number>>();
  private self0 = process.cpuUsage();
  private machine0?: { busy: number; total: number };

  constructor(private readonly groups: CpuGroup[]) {}

  private snapshot(): Map<string, Map<number, number>> {
    const m = new Map<string, Map<number, number>>();
    for (const g of this.groups) {
      const per = new Map<number, number>();
      for (const pid of g.pids()) per.set(pid, readCpuTicks(pid));
      m.set(g.name, per);
    }
    return m;
  }

  start(): void {
    this.t0 = performance.now();
    this.ticks0 = this.snapshot();
    this.self0 = process.cpuUsage();
    this.machine0 = machineJiffies();
  }

  /**
   * Percent of one core per group (a process started meanwhile counts from 0), plus
   * `generator` for this process and `other` for everything else busy on the machine
   * (other people's work skews the figures; this makes it visible).
   */
  stop(): Record<string, number> {
    const seconds = (performance.now() - this.t0) / 1000;
    const hz = clockTicksPerSecond();
    const now = this.snapshot();
    const out: Record<string, number> = {};
    for (const g of this.groups) {
      let ticks = 0;
      const before = this.ticks0.get(g.name) ?? new Map<number, number>();
      for (const [pid, t] of now.get(g.name)!) ticks += Math.max(0, t - (before.get(pid) ?? 0));
      out[g.name] = seconds > 0 ? Math.round(((ticks / hz) * 100) / seconds) : 0;
    }
    const self = process.cpuUsage(this.self0);
    out.generator = seconds > 0 ? Math.round(((self.user + self.system) / 1e6 / seconds) * 100) : 0;
    const m1 = machineJiffies();
    if (this.machine0 && m1 && seconds > 0) {
      const machineBusy = Math.round((((m1.busy - this.machine0.busy) / hz) * 100) / seconds);
      const ours = Object.values(out).reduce((a, b) => a + b, 0);
      out.other = Math.max(0, machineBusy - ours);
    }
    return out;
  }
}
