import { describeConfig } from '@parley/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { janitorConfigSpec, loadJanitorConfig } from './config';

describe('janitor configuration', () => {
  it('defaults to hourly sweeps, a year of inactivity, no notice and a 30-day error log', () => {
    const c = loadJanitorConfig({});
    expect(c.JANITOR_SWEEP_INTERVAL).toBe(3600_000);
    expect(c.ACCOUNT_INACTIVITY).toBe(365 * 86_400_000);
    expect(c.ACCOUNT_INACTIVITY_NOTICE).toBeUndefined();
    expect(c.DELIVERY_LOG_RETENTION).toBe(30 * 86_400_000);
  });

  it('refuses a notice not shorter than the inactivity, and an error log kept longer than the policy', () => {
    expect(loadJanitorConfig({ ACCOUNT_INACTIVITY_NOTICE: '14d' }).ACCOUNT_INACTIVITY_NOTICE).toBe(14 * 86_400_000);
    expect(() => loadJanitorConfig({ ACCOUNT_INACTIVITY: '10d', ACCOUNT_INACTIVITY_NOTICE: '14d' })).toThrow(/ACCOUNT_INACTIVITY_NOTICE must be shorter/);
    expect(() => loadJanitorConfig({ DELIVERY_LOG_RETENTION: '60d' })).toThrow(/DELIVERY_LOG_RETENTION: "60d" is longer than the privacy policy allows/);
  });

  it('is documented in the README as it is', () => {
    expect(readFileSync(join(__dirname, '../../README.md'), 'utf8')).toContain(describeConfig(janitorConfigSpec));
  });
});
