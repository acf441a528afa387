import { describeConfig } from '@parley/config';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadUploadConfig, uploadConfigSpec } from './config';

describe('upload configuration', () => {
  it('defaults to 10 days for message uploads and refuses longer', () => {
    expect(loadUploadConfig({}).UPLOAD_RETENTION).toBe(10 * 24 * 3600 * 1000);
    expect(() => loadUploadConfig({ UPLOAD_RETENTION: '11d' })).toThrow(/UPLOAD_RETENTION: "11d" is longer than the privacy policy allows \(uploaded files: at most 10d\)/);
    expect(() => loadUploadConfig({ UPLOAD_PROFILE_RETENTION: '400d' })).toThrow(/UPLOAD_PROFILE_RETENTION/);
  });

  it('refuses inconsistent quotas, half a TLS pair, S3 without a bucket and a short secret', () => {
    expect(() => loadUploadConfig({ UPLOAD_MAX_FILE_SIZE: '2GiB' })).toThrow(/UPLOAD_USER_QUOTA must be at least UPLOAD_MAX_FILE_SIZE/);
    expect(() => loadUploadConfig({ UPLOAD_USER_QUOTA: '100GiB' })).toThrow(/UPLOAD_DISK_QUOTA must be at least UPLOAD_USER_QUOTA/);
    expect(() => loadUploadConfig({ UPLOAD_TLS_CERT_FILE: '/x.pem' })).toThrow(/go together/);
    expect(() => loadUploadConfig({ UPLOAD_STORAGE: 's3' })).toThrow(/UPLOAD_S3_BUCKET is required/);
    expect(() => loadUploadConfig({ UPLOAD_SECRET: 'short' })).toThrow(/UPLOAD_SECRET: \(hidden\)/);
    expect(() => loadUploadConfig({ UPLOAD_EPHEMERAL_RETENTION: '2d', UPLOAD_RETENTION: '1d' })).toThrow(/EPHEMERAL/);
  });

  it('is documented in the README as it is', () => {
    expect(readFileSync(join(__dirname, '../../README.md'), 'utf8')).toContain(describeConfig(uploadConfigSpec));
  });
});
