import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig } from '@parley/config';
import { loadRosterConfig, rosterConfigSpec } from './config';

describe('roster configuration', () => {
  it('has working defaults', () => {
    const c = loadRosterConfig({});
    expect(c).toMatchObject({ ROSTER_MAX_ITEMS: 1000, ROSTER_CHANGE_LOG_SIZE: 100, ROSTER_OUTBOX_INTERVAL: 5000 });
  });

  it('refuses out-of-range limits, naming the variable', () => {
    expect(() => loadRosterConfig({ ROSTER_MAX_ITEMS: '0' })).toThrow(/ROSTER_MAX_ITEMS/);
  });

  it('is documented in the README as it is', () => {
    const readme = readFileSync(join(__dirname, '../../README.md'), 'utf8');
    expect(readme).toContain(describeConfig(rosterConfigSpec));
  });
});
