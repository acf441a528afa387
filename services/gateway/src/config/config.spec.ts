import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gatewayConfigDoc, gatewayConfigSpec, loadGatewayConfig } from './config';

const BEGIN = '<!-- gateway options: generated from the declarations (services/gateway/src/config/config.ts and each module), checked by config.spec.ts -->';
const END = '<!-- end of gateway options -->';

describe('gateway configuration', () => {
  it('reads module options with the core’s, bounded', () => {
    const c = loadGatewayConfig({}) as unknown as Record<string, unknown>;
    expect(c).toMatchObject({ REGISTRATION_ENABLED: true, REGISTRATION_LIMIT: 5, REGISTRATION_WINDOW: 3_600_000, SERVER_VERSION_HIDDEN: false, C2S_PORT: 5222 });
    expect(() => loadGatewayConfig({ REGISTRATION_LIMIT: '0' })).toThrow(/REGISTRATION_LIMIT/);
    expect(Object.keys(gatewayConfigSpec)).toContain('REGISTRATION_WINDOW');
  });

  it('is documented in the README exactly as declared', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + BEGIN.length, end).trim()).toBe(gatewayConfigDoc());
  });
});
