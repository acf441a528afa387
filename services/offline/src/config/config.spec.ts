import { describeConfig } from '@parley/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadOfflineConfig, offlineConfigSpec } from './config';

describe('offline configuration', () => {
  it('defaults to a 1000-message quota and 30 days retention', () => {
    const c = loadOfflineConfig({});
    expect(c.OFFLINE_QUOTA).toBe(1000);
    expect(c.OFFLINE_RETENTION).toBe(30 * 24 * 3600 * 1000);
  });

  it('refuses a retention above the privacy policy (30 days) with a clear message', () => {
    expect(() => loadOfflineConfig({ OFFLINE_RETENTION: '31d' })).toThrow(/OFFLINE_RETENTION: "31d" is longer than the privacy policy allows \(undelivered offline messages: at most 30d\)/);
    expect(loadOfflineConfig({ OFFLINE_RETENTION: '30d' }).OFFLINE_RETENTION).toBe(30 * 24 * 3600 * 1000);
  });

  it('refuses a de-duplication window shorter than the inbox stream keeps hand-offs', () => {
    expect(() => loadOfflineConfig({ OFFLINE_DEDUP_WINDOW: '6h' })).toThrow(/OFFLINE_DEDUP_WINDOW/);
  });

  it('is documented in the README as it is', () => {
    expect(readFileSync(join(__dirname, '../../README.md'), 'utf8')).toContain(describeConfig(offlineConfigSpec));
  });
});
