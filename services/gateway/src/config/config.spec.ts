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

  it('checks the federation trust settings at start', () => {
    expect(() => loadGatewayConfig({ S2S_ENABLED: 'true', S2S_CA_SYSTEM: 'false' })).toThrow(/S2S_CA_SYSTEM=false needs S2S_CA_FILE/);
    expect(() => loadGatewayConfig({ S2S_ENABLED: 'true', S2S_CA_FILE: join(__dirname, 'config.spec.ts') })).toThrow(/S2S_CA_FILE: .* holds no PEM certificate/);
    expect(() => loadGatewayConfig({ S2S_STATIC_ROUTES: 'a.example=tls:h' })).toThrow(/domain=tls:host:port/);
    expect(loadGatewayConfig({ S2S_ENABLED: 'true' })).toMatchObject({ S2S_SECURE_AUTH: false, S2S_TLS_PORT: -1, S2S_CA_SYSTEM: true });
  });

  it('is documented in the README exactly as declared', () => {
    const readme = readFileSync(join(__dirname, '../../../../README.md'), 'utf8');
    const start = readme.indexOf(BEGIN);
    const end = readme.indexOf(END);
    expect(start).toBeGreaterThan(0);
    expect(readme.slice(start + BEGIN.length, end).trim()).toBe(gatewayConfigDoc());
  });
});
