// `ctl bus-config` and `ctl bus-credentials`: what an operator needs to run NATS with
// one user per bus role. Neither touches a database or the bus.
import { randomBytes } from 'node:crypto';
import { busCredentialRoles, busPasswordVar, busUser, natsAuthorizationConfig } from '@parley/nats';

export const BUS_USAGE = `  bus-config [--namespace NS]       print the NATS authorization block for every bus role
  bus-credentials [--format env|k8s] [--namespace NS]
                                    print fresh random passwords for every bus role`;

/**
 * A random password (192 bits). nats-server parses an environment value like a config
 * token, so a password must start with a letter and hold only letters and digits
 * (a leading digit would be read as a number).
 */
function password(): string {
  return `p${randomBytes(24).toString('hex')}`;
}

/** Runs a bus command; returns the text to print, or undefined when `cmd` is not one. */
export function busCommand(cmd: string, opts: { namespace?: string; format?: string }): string | undefined {
  const namespace = opts.namespace ?? process.env.NATS_NAMESPACE ?? '';
  if (cmd === 'bus-config') return natsAuthorizationConfig({ namespace });
  if (cmd !== 'bus-credentials') return undefined;
  const roles = busCredentialRoles();
  const creds = roles.map((r) => ({ role: r, user: busUser(r, namespace), variable: busPasswordVar(r), password: password() }));
  if ((opts.format ?? 'env') === 'env') {
    return `${creds.map((c) => `${c.variable}=${c.password}`).join('\n')}\n`;
  }
  if (opts.format === 'k8s') {
    return [
      '# Bus credentials: nats-server reads every PARLEY_NATS_*_PASSWORD, each Parley',
      '# process reads its own through a secretKeyRef. Apply with kubectl apply -f -.',
      'apiVersion: v1',
      'kind: Secret',
      'metadata:',
      '  name: parley-nats',
      'type: Opaque',
      'stringData:',
      ...creds.map((c) => `  ${c.variable}: ${JSON.stringify(c.password)}`),
      '',
    ].join('\n');
  }
  throw new Error(`unknown format "${opts.format}" (env or k8s)`);
}
