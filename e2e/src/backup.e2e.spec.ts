// Backups as an operator runs them (scripts/backup.sh and restore.sh, the same scripts as
// the CronJob): every service database migrated and holding data, plus upload files, backed
// up; then wiped (databases dropped, files deleted) and restored; everything is as it was.
// Backups past BACKUP_KEEP_DAYS are deleted, a longer keep is refused, a damaged backup is
// not restored.
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { Client } from 'pg';
import { testInfra, withDatabase } from '@parley/testing-stack';

const ROOT = join(__dirname, '../..');
const SERVICES = ['gateway', 'roster', 'offline', 'archive', 'janitor', 'upload', 'profile'];

/** Every table of a database, with its rows in a stable order (the migrations' and the data's). */
async function snapshot(url: string): Promise<Record<string, string[]>> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    const tables = (await c.query(`SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1`)).rows.map((r) => r.tablename as string);
    const out: Record<string, string[]> = {};
    for (const t of tables) out[t] = (await c.query(`SELECT row_to_json(x)::text AS j FROM "${t}" x`)).rows.map((r) => r.j as string).sort();
    return out;
  } finally {
    await c.end();
  }
}

function files(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out[relative(dir, p)] = readFileSync(p).toString('base64');
    }
  };
  walk(dir);
  return out;
}

describe('backup and restore', () => {
  let postgresUrl: string;
  let prefix: string;
  let work: string;
  let env: Record<string, string>;
  const dbUrl = (s: string) => withDatabase(postgresUrl, `${prefix}_${s}`);
  const sh = (script: string, args: string[] = [], extra: Record<string, string> = {}) =>
    spawnSync('bash', [join(ROOT, 'scripts', script), ...args], { env: { ...env, ...extra }, encoding: 'utf8' });

  beforeAll(async () => {
    ({ postgresUrl } = await testInfra());
    prefix = `parley_test_bk_${Date.now().toString(36)}`;
    work = mkdtempSync(join(tmpdir(), 'parley-backup-'));
    env = {
      PATH: process.env.PATH!,
      DATABASE_URL: postgresUrl,
      DATABASE_PREFIX: prefix,
      BACKUP_DIR: join(work, 'backups'),
      UPLOAD_DIR: join(work, 'uploads'),
    };
    // Every service's schema, as a release installs it.
    execFileSync(process.execPath, [join(ROOT, 'scripts/migrate.mjs')], { env, stdio: 'pipe' });
    for (const s of SERVICES) {
      const c = new Client({ connectionString: dbUrl(s) });
      await c.connect();
      await c.query(`CREATE TABLE probe (id serial PRIMARY KEY, txt text, bin bytea, at timestamptz)`);
      await c.query(`INSERT INTO probe (txt, bin, at) VALUES ($1, $2, now()), ($3, NULL, NULL)`, [`${s} ✓ «données»`, Buffer.from([0, 1, 2, 255]), "it's\nmulti-line"]);
      await c.end();
    }
    mkdirSync(join(env.UPLOAD_DIR, 'ab'), { recursive: true });
    writeFileSync(join(env.UPLOAD_DIR, 'ab', 'abcdef'), Buffer.from([1, 2, 3, 4, 5]));
    writeFileSync(join(env.UPLOAD_DIR, 'ab', 'abzzzz'), 'a photo, say');
  }, 120_000);

  afterAll(async () => {
    if (!postgresUrl) return;
    const admin = new Client({ connectionString: postgresUrl });
    await admin.connect();
    for (const s of SERVICES) await admin.query(`DROP DATABASE IF EXISTS "${prefix}_${s}" WITH (FORCE)`);
    await admin.end();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('backs up, and a wiped deployment restored from the backup holds exactly what it held', async () => {
    const before = Object.fromEntries(await Promise.all(SERVICES.map(async (s) => [s, await snapshot(dbUrl(s))] as const)));
    for (const s of SERVICES) expect([s, before[s].probe?.length, (before[s].migrations ?? []).length > 0]).toEqual([s, 2, true]);
    const uploadsBefore = files(env.UPLOAD_DIR);

    // An expired backup (older than BACKUP_KEEP_DAYS) is deleted by the next run; a recent one is kept.
    const old = join(env.BACKUP_DIR, '20200101T000000Z');
    mkdirSync(old, { recursive: true });
    const b = sh('backup.sh');
    expect([b.status, b.stderr]).toEqual([0, '']);
    for (const s of SERVICES) expect(b.stdout).toContain(`backup: ${s} database ... `);
    expect(b.stdout).toContain('backup: expired 20200101T000000Z');
    const backups = readdirSync(env.BACKUP_DIR);
    expect(backups).toHaveLength(1);
    const backup = join(env.BACKUP_DIR, backups[0]);
    expect(readdirSync(backup).sort()).toEqual(['SHA256SUMS', 'uploads.tar.gz', ...SERVICES.map((s) => `${s}.dump`)].sort());

    // Wipe: every database dropped, every file gone.
    const admin = new Client({ connectionString: postgresUrl });
    await admin.connect();
    for (const s of SERVICES) await admin.query(`DROP DATABASE "${prefix}_${s}" WITH (FORCE)`);
    await admin.end();
    rmSync(env.UPLOAD_DIR, { recursive: true });

    const r = sh('restore.sh', [backup]);
    expect([r.status, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain('ctl sweep');
    for (const s of SERVICES) expect([s, await snapshot(dbUrl(s))]).toEqual([s, before[s]]);
    expect(files(env.UPLOAD_DIR)).toEqual(uploadsBefore);

    // Restoring over a live database replaces it whole (rows added since are gone).
    const c = new Client({ connectionString: dbUrl('roster') });
    await c.connect();
    await c.query(`INSERT INTO probe (txt) VALUES ('added after the backup')`);
    await c.end();
    writeFileSync(join(env.UPLOAD_DIR, 'ab', 'newer'), 'x');
    expect(sh('restore.sh', [backup]).status).toBe(0);
    expect(await snapshot(dbUrl('roster'))).toEqual(before.roster);
    expect(files(env.UPLOAD_DIR)).toEqual(uploadsBefore);
  }, 180_000);

  it('refuses to keep backups longer than a week, and to restore a damaged backup', () => {
    const long = sh('backup.sh', [], { BACKUP_KEEP_DAYS: '30' });
    expect(long.status).toBe(2);
    expect(long.stderr).toMatch(/1 to 7 days/);
    const backup = join(env.BACKUP_DIR, readdirSync(env.BACKUP_DIR)[0]);
    const dump = join(backup, 'profile.dump');
    const bytes = readFileSync(dump);
    bytes[bytes.length - 1] ^= 0xff;
    writeFileSync(dump, bytes);
    const r = sh('restore.sh', [backup]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/damaged/);
  });
});
