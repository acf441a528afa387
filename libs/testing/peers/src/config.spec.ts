import YAML from 'yaml';
import { luaString, PeerSettings, renderEjabberdConfig, renderProsodyConfig, yamlString } from './config';

const settings: PeerSettings = { domain: 'localhost', port: 41234, certFile: '/tmp/x/cert.pem', keyFile: '/tmp/x/key.pem', dir: '/tmp/x', scramIterations: 4096 };

describe('renderProsodyConfig', () => {
  const cfg = renderProsodyConfig(settings);

  it('listens on the given loopback port only, without s2s or HTTP listeners', () => {
    expect(cfg).toMatch(/^interfaces = \{ "127\.0\.0\.1" \}$/m);
    expect(cfg).toMatch(/^c2s_ports = \{ 41234 \}$/m);
    expect(cfg).toMatch(/^s2s_ports = \{ \}$/m);
    expect(cfg).toMatch(/^http_ports = \{ \}$/m);
    expect(cfg).toMatch(/^modules_disabled = \{ "s2s" \}$/m);
    expect(cfg).toMatch(/^network_settings = \{ tcp_backlog = 511 \}$/m);
  });

  it('configures like Parley: SCRAM with the same iterations, STARTTLS optional, registration open, offline and smacks on', () => {
    expect(cfg).toMatch(/^authentication = "internal_hashed"$/m);
    expect(cfg).toMatch(/^default_iteration_count = 4096$/m);
    expect(cfg).toMatch(/^c2s_require_encryption = false$/m);
    expect(cfg).toMatch(/^allow_registration = true$/m);
    expect(cfg).toMatch(/"offline"/);
    expect(cfg).toMatch(/"smacks"/);
    expect(cfg).toMatch(/^gc = \{ mode = "generational" \}$/m);
    expect(cfg).toContain('VirtualHost "localhost"');
    expect(cfg).toContain('ssl = { certificate = "/tmp/x/cert.pem"; key = "/tmp/x/key.pem"; }');
  });

  it('keeps data, log and pid file in the private directory', () => {
    expect(cfg).toMatch(/^data_path = "\/tmp\/x\/data"$/m);
    expect(cfg).toMatch(/^pidfile = "\/tmp\/x\/prosody\.pid"$/m);
    expect(cfg).toContain('"/tmp/x/prosody.log"');
  });

  it('refuses settings that would not be like-for-like or not valid', () => {
    expect(() => renderProsodyConfig({ ...settings, scramIterations: 1000 })).toThrow(/iterations/);
    expect(() => renderProsodyConfig({ ...settings, port: 70000 })).toThrow(/port/);
    expect(() => renderProsodyConfig({ ...settings, domain: 'a" b' })).toThrow(/domain/);
  });
});

describe('renderEjabberdConfig', () => {
  const cfg = YAML.parse(renderEjabberdConfig(settings)) as Record<string, unknown>;

  it('is YAML with one c2s listener on the loopback port, STARTTLS offered and not required', () => {
    expect(cfg.hosts).toEqual(['localhost']);
    expect(cfg.listen).toEqual([{ port: 41234, ip: '127.0.0.1', module: 'ejabberd_c2s', starttls: true, starttls_required: false, max_stanza_size: 262144, backlog: 511 }]);
    expect(cfg.certfiles).toEqual(['/tmp/x/cert.pem', '/tmp/x/key.pem']);
    expect(cfg.acme).toEqual({ auto: false });
  });

  it('stores SCRAM-SHA-1 credentials and registers without throttle', () => {
    expect(cfg.auth_password_format).toBe('scram');
    expect(cfg.auth_scram_hash).toBe('sha');
    expect(cfg.registration_timeout).toBe('infinity');
    expect(cfg.access_rules).toEqual({ register: { allow: 'all' }, c2s: { allow: 'all' } });
  });

  it('enables offline storage, stream management and registration', () => {
    const modules = cfg.modules as Record<string, unknown>;
    expect(Object.keys(modules)).toEqual(expect.arrayContaining(['mod_offline', 'mod_stream_mgmt', 'mod_register', 'mod_roster']));
    expect(modules.mod_register).toEqual({ access: 'register', ip_access: 'all' });
  });

  it('has federation off unless asked', () => {
    expect(cfg.s2s_access).toBe('none');
    expect(Object.keys(cfg.modules as object)).not.toContain('mod_s2s_dialback');
  });

  it('as a federation peer: an s2s listener on its address, STARTTLS as asked, every peer allowed, dialback, IPv4 peers', () => {
    const fed = YAML.parse(renderEjabberdConfig({ ...settings, domain: '127.9.8.7', s2s: { address: '127.9.8.7', port: 5270, starttls: 'required' }, logLevel: 'info' })) as Record<string, any>;
    expect(fed.hosts).toEqual(['127.9.8.7']);
    expect(fed.loglevel).toBe('info');
    expect(fed.listen[1]).toEqual({ port: 5270, ip: '127.9.8.7', module: 'ejabberd_s2s_in', max_stanza_size: 262144 });
    expect(fed.s2s_use_starttls).toBe('required');
    expect(fed.s2s_access).toBe('s2s');
    expect(fed.access_rules.s2s).toEqual({ allow: 'all' });
    expect(fed.outgoing_s2s_families).toEqual(['ipv4']);
    expect(fed.modules.mod_s2s_dialback).toEqual({});
    expect(() => renderEjabberdConfig({ ...settings, s2s: { address: 'x; rm', port: 5270, starttls: 'optional' } })).toThrow(/IP address/);
    expect(() => renderEjabberdConfig({ ...settings, s2s: { address: '127.0.0.2', port: 0, starttls: 'optional' } })).toThrow(/port/);
  });

  it('refuses an iteration count ejabberd 23.01 cannot use', () => {
    expect(() => renderEjabberdConfig({ ...settings, scramIterations: 10000 })).toThrow(/4096/);
  });
});

describe('string literals', () => {
  it('escapes quotes, backslashes and newlines', () => {
    expect(luaString('a"b\\c\nd')).toBe('"a\\"b\\\\c\\nd"');
    expect(YAML.parse(`k: ${yamlString('a"b\\c\nd')}`)).toEqual({ k: 'a"b\\c\nd' });
  });
});
