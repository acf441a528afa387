import { loadArchiveConfig } from './config';

describe('archive configuration', () => {
  it('keeps archived messages 30 days by default', () => {
    expect(loadArchiveConfig({}).ARCHIVE_RETENTION).toBe(30 * 24 * 3600 * 1000);
  });

  it('refuses a retention above the privacy policy (one month) at start, naming the policy', () => {
    expect(() => loadArchiveConfig({ ARCHIVE_RETENTION: '32d' })).toThrow(/ARCHIVE_RETENTION: "32d" is longer than the privacy policy allows \(archived messages \(one month\): at most 31d\)/);
    expect(loadArchiveConfig({ ARCHIVE_RETENTION: '31d' }).ARCHIVE_RETENTION).toBe(31 * 24 * 3600 * 1000);
  });
});
