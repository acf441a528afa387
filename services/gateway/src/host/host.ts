// Loads modules in dependency order and gives each its context. One host per
// gateway core: module instances, their hooks and their APIs belong to that core.
import type { ConfigSpec } from '@parley/config';
import type { Logger } from 'pino';
import type { Hooks } from './hooks';
import type { AccountsPort, ApiRef, GatewayModule, ModuleBus, ModuleContext, RouterPort, SessionsPort } from './module';
import type { Directory } from '../session/directory';
import type { FeatureRegistry } from './registry';

/** What the core lends the modules. */
export interface HostEnv {
  domain: string;
  instanceId: string;
  serverName: string;
  tlsRequired: boolean;
  /** The validated configuration: each module reads the keys its `options` declare. */
  config: Readonly<Record<string, unknown>>;
  log: Logger;
  bus: ModuleBus;
  router: RouterPort;
  directory: Pick<Directory, 'resources' | 'resource' | 'localSessions' | 'userCount'>;
  sessions: SessionsPort;
  accounts: AccountsPort;
  registry: FeatureRegistry;
  hooks: Hooks;
  onBusReconnect(fn: () => void): void;
  onStop(fn: () => Promise<void> | void): void;
}

/** Every option the modules declare (part of the gateway's configuration). A name declared twice is an error. */
export function moduleOptions(modules: ReadonlyArray<GatewayModule<any, any>>): ConfigSpec {
  const all: ConfigSpec = {};
  for (const m of modules) {
    for (const [k, spec] of Object.entries((m.options ?? {}) as ConfigSpec)) {
      if (k in all) throw new Error(`option ${k} is declared by two modules`);
      all[k] = spec;
    }
  }
  return all;
}

/**
 * Orders modules so that every module comes after those providing the APIs it
 * requires or uses; otherwise the given order is kept. Throws on a missing required
 * API, on an API offered twice and on a dependency cycle.
 */
export function loadOrder(modules: ReadonlyArray<GatewayModule<any, any>>): Array<GatewayModule<any, any>> {
  const provider = new Map<ApiRef<unknown>, GatewayModule<any, any>>();
  for (const m of modules) {
    if (!m.provides) continue;
    if (provider.has(m.provides)) throw new Error(`API ${m.provides.name} is offered by ${provider.get(m.provides)!.name} and ${m.name}`);
    provider.set(m.provides, m);
  }
  const out: Array<GatewayModule<any, any>> = [];
  const state = new Map<GatewayModule<any, any>, 'visiting' | 'done'>();
  const visit = (m: GatewayModule<any, any>, path: string[]) => {
    const s = state.get(m);
    if (s === 'done') return;
    if (s === 'visiting') throw new Error(`module dependency cycle: ${[...path, m.name].join(' → ')}`);
    state.set(m, 'visiting');
    for (const api of m.requires ?? []) {
      const p = provider.get(api);
      if (!p) throw new Error(`module ${m.name} requires API ${api.name}, which no loaded module offers`);
      visit(p, [...path, m.name]);
    }
    for (const api of m.uses ?? []) {
      const p = provider.get(api);
      if (p) visit(p, [...path, m.name]);
    }
    state.set(m, 'done');
    out.push(m);
  };
  for (const m of modules) visit(m, []);
  return out;
}

export class ModuleHost {
  private readonly apis = new Map<ApiRef<unknown>, unknown>();
  readonly loaded: string[] = [];

  constructor(private readonly env: HostEnv) {}

  /** Initialises every module, dependencies first. */
  async load(modules: ReadonlyArray<GatewayModule<any, any>>): Promise<void> {
    for (const m of loadOrder(modules)) {
      const api = await m.init(this.context(m));
      if (m.provides) this.apis.set(m.provides, api);
      this.loaded.push(m.name);
    }
  }

  /** The API a loaded module offers (for the composition root and tests). */
  api<T>(ref: ApiRef<T>): T | undefined {
    return this.apis.get(ref) as T | undefined;
  }

  private context(m: GatewayModule<any, any>): ModuleContext<any> {
    const e = this.env;
    const r = e.registry;
    const options: Record<string, unknown> = {};
    for (const k of Object.keys(m.options ?? {})) options[k] = e.config[k];
    const allowed = new Set<ApiRef<unknown>>([...(m.requires ?? []), ...(m.uses ?? [])]);
    const api = <T>(ref: ApiRef<T>, required: boolean): T | undefined => {
      if (!allowed.has(ref)) throw new Error(`module ${m.name} uses API ${ref.name} without declaring it (requires/uses)`);
      const v = this.apis.get(ref) as T | undefined;
      if (v === undefined && required) throw new Error(`module ${m.name} requires API ${ref.name}, which is not loaded`);
      return v;
    };
    return {
      name: m.name,
      domain: e.domain,
      instanceId: e.instanceId,
      serverName: e.serverName,
      tlsRequired: e.tlsRequired,
      options,
      log: e.log.child({ module: m.name }),
      bus: e.bus,
      router: e.router,
      directory: e.directory,
      sessions: e.sessions,
      accounts: e.accounts,
      disco: {
        serverFeatures: r.serverFeatures,
        accountFeatures: r.accountFeatures,
        publicAccountFeatures: r.publicAccountFeatures,
        accountIdentities: r.accountIdentities,
        accountItems: async (session, target) => (await Promise.all(r.accountItems.map((p) => p(session, target)))).flat(),
        serverItems: r.serverItems,
        serverInfoForms: r.serverInfoForms,
        node: (node) => r.discoNodes.get(node),
      },
      serverFeature: (ns) => void r.serverFeatures.add(ns),
      accountFeature: (ns, opts) => {
        r.accountFeatures.add(ns);
        if (opts?.public) r.publicAccountFeatures.add(ns);
      },
      accountIdentity: (identity) => void r.accountIdentities.push(identity),
      accountItems: (provider) => void r.accountItems.push(provider),
      serverItem: (item) => void r.serverItems.push(item),
      serverInfoForm: (form) => void r.serverInfoForms.push(form),
      discoNode: (node, answers) => {
        if (r.discoNodes.has(node)) throw new Error(`disco node ${node} registered twice`);
        r.discoNodes.set(node, answers);
      },
      streamFeature: (p) => void r.streamFeatures.push(p),
      preAuthFeature: (p) => void r.preAuthFeatures.push(p),
      iq: (type, target, xmlns, handler) => r.onIq(type, target, xmlns, handler),
      componentIq: (domain, type, xmlns, handler) => r.onComponentIq(domain, type, xmlns, handler),
      preAuthIq: (xmlns, handler) => {
        if (r.preAuthIq.has(xmlns)) throw new Error(`pre-auth IQ handler ${xmlns} registered twice`);
        r.preAuthIq.set(xmlns, handler);
      },
      httpRoute: (prefix, handler) => {
        if (!/^\/[\w\-./]*[\w-]$/.test(prefix) || r.httpRoutes.has(prefix)) throw new Error(`HTTP route ${prefix} is malformed or registered twice`);
        r.httpRoutes.set(prefix, handler);
      },
      nonza: (h) => void r.nonzas.push(h),
      preBindNonza: (h) => void r.preBindNonzas.push(h),
      onStanzaReceived: (fn) => void r.stanzaReceived.push(fn),
      onConnectionLost: (fn) => void r.connectionLost.push(fn),
      hook: (hook, handler, priority = 0) => void e.hooks.add(hook, handler, priority, m.name),
      fire: {
        until: (hook, event) => e.hooks.until(hook, event),
        serial: (hook, event) => e.hooks.serial(hook, event),
        each: (hook, event) => e.hooks.each(hook, event),
      },
      use: (ref) => api(ref, true)!,
      tryUse: (ref) => api(ref, false),
      onBusReconnect: e.onBusReconnect,
      onStop: e.onStop,
    };
  }
}
