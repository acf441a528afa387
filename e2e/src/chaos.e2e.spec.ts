// The small version of `npm run chaos` that CI runs: the built fault-injection run
// (dist/bench/chaos.js, what `npm run chaos` starts) with every fault once, a few
// pairs and short phases. Nothing the server acknowledged may be lost, and no sender
// may be left without news of a message that never arrived (its client library
// reports the failure, or the server bounced it).
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

jest.setTimeout(20 * 60_000);

interface Row {
  fault: string;
  sent: number;
  lost: number;
  untold: number;
}

describe('fault injection (small)', () => {
  it('loses no acknowledged message whichever part is killed', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'parley-chaos-')), 'chaos.json');
    const root = resolve(__dirname, '..', '..');
    const code = await new Promise<number | null>((done) => {
      const p = spawn(process.execPath, [join(root, 'dist', 'bench', 'chaos.js'), '--pairs=3', '--rate=8', '--phase=6', `--out=${out}`], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
      p.on('exit', done);
    });
    const result = JSON.parse(readFileSync(out, 'utf8')) as { rows: Row[]; skipped: Array<{ fault: string }> };
    expect(result.rows.length + result.skipped.length).toBe(9);
    for (const row of result.rows) {
      expect(row.sent).toBeGreaterThan(0); // the phase carried traffic
      expect({ fault: row.fault, lost: row.lost, untold: row.untold }).toEqual({ fault: row.fault, lost: 0, untold: 0 });
    }
    expect(code).toBe(0);
  });
});
