import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describeConfig } from '@parley/config';
import { loadProfileConfig, profileConfigSpec } from './config';

describe('profile configuration', () => {
  it('has working defaults', () => {
    expect(loadProfileConfig({})).toMatchObject({ HTTP_PORT: 8085, PROFILE_MAX_ITEMS_PER_NODE: 256, PROFILE_MAX_NODES: 128, PROFILE_MAX_ITEM_BYTES: 128 * 1024 });
  });

  it('refuses out-of-range limits, naming the variable', () => {
    expect(() => loadProfileConfig({ PROFILE_MAX_NODES: '0' })).toThrow(/PROFILE_MAX_NODES/);
    expect(() => loadProfileConfig({ PROFILE_MAX_ITEM_BYTES: '2MiB' })).toThrow(/PROFILE_MAX_ITEM_BYTES/);
  });

  it('is documented in the README as it is', () => {
    expect(readFileSync(join(__dirname, '../../README.md'), 'utf8')).toContain(describeConfig(profileConfigSpec));
  });
});
