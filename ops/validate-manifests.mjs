// Validates rendered Kubernetes manifests (multi-document YAML, a file argument or stdin)
// against the Kubernetes API schemas (kubernetes-models, generated from the OpenAPI of the
// API server) and the CRDs Parley uses: cert-manager and prometheus-operator from their
// published models; CloudNativePG's Cluster and Database, which have none, by their
// required structure. Prints one JSON line {validated, errors}; exits 1 on any error.
// ESM-only models: run by the ops tests as a child process.
import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import * as core from 'kubernetes-models/v1';
import * as apps from 'kubernetes-models/apps/v1';
import * as batch from 'kubernetes-models/batch/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as certManager from '@kubernetes-models/cert-manager/cert-manager.io/v1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';

const MODELS = {
  v1: core,
  'apps/v1': apps,
  'batch/v1': batch,
  'policy/v1': policy,
  'autoscaling/v2': autoscaling,
  'networking.k8s.io/v1': networking,
  'cert-manager.io/v1': certManager,
  'monitoring.coreos.com/v1': monitoring,
};

const isObj = (v) => v !== null && typeof v === 'object' && !Array.isArray(v);
const DNS1123 = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const PG_IDENT = /^[a-z_][a-z0-9_]*$/;

/** CloudNativePG (postgresql.cnpg.io/v1): the fields its CRD requires, with their types. */
function cnpg(doc, errs) {
  const s = doc.spec;
  if (!isObj(s)) return errs.push('spec must be an object');
  if (doc.kind === 'Cluster') {
    if (!Number.isInteger(s.instances) || s.instances < 1) errs.push('spec.instances must be an integer >= 1');
    if (!isObj(s.storage) || typeof s.storage.size !== 'string') errs.push('spec.storage.size is required (a quantity)');
    const initdb = s.bootstrap?.initdb;
    if (initdb !== undefined) {
      if (!PG_IDENT.test(initdb.database ?? '') || !PG_IDENT.test(initdb.owner ?? '')) errs.push('spec.bootstrap.initdb.database/owner must be Postgres identifiers');
      if (initdb.secret !== undefined && typeof initdb.secret?.name !== 'string') errs.push('spec.bootstrap.initdb.secret.name must be a string');
    }
    for (const [i, r] of (s.managed?.roles ?? []).entries()) {
      if (!PG_IDENT.test(r.name ?? '')) errs.push(`spec.managed.roles[${i}].name must be a Postgres identifier`);
      if (r.ensure !== undefined && !['present', 'absent'].includes(r.ensure)) errs.push(`spec.managed.roles[${i}].ensure must be present or absent`);
      if (r.passwordSecret !== undefined && typeof r.passwordSecret?.name !== 'string') errs.push(`spec.managed.roles[${i}].passwordSecret.name must be a string`);
    }
    const known = new Set(['instances', 'imageName', 'primaryUpdateStrategy', 'storage', 'resources', 'postgresql', 'bootstrap', 'managed', 'monitoring', 'backup', 'affinity', 'walStorage', 'description', 'enableSuperuserAccess', 'superuserSecret']);
    for (const k of Object.keys(s)) if (!known.has(k)) errs.push(`spec.${k} is not a field of Cluster known here`);
  } else if (doc.kind === 'Database') {
    if (!PG_IDENT.test(s.name ?? '')) errs.push('spec.name must be a Postgres identifier');
    if (!PG_IDENT.test(s.owner ?? '')) errs.push('spec.owner must be a Postgres identifier');
    if (typeof s.cluster?.name !== 'string') errs.push('spec.cluster.name is required');
  } else errs.push(`unknown CloudNativePG kind ${doc.kind}`);
}

export function validate(text) {
  const errors = [];
  let validated = 0;
  for (const d of parseAllDocuments(text)) {
    if (d.errors.length) {
      errors.push(`YAML: ${d.errors[0].message}`);
      continue;
    }
    const doc = d.toJS();
    if (doc === null) continue;
    // kustomize 5 folds long base64 values over lines; the API server's decoder skips the newlines.
    if (doc.kind === 'Secret' && isObj(doc.data)) for (const k of Object.keys(doc.data)) doc.data[k] = String(doc.data[k]).replace(/\s+/g, '');
    const where = `${doc.kind ?? '?'}/${doc.metadata?.name ?? '?'}`;
    const errs = [];
    if (!doc.metadata?.name || !DNS1123.test(doc.metadata.name.replace(/\./g, '-'))) errs.push('metadata.name must be a DNS-1123 name');
    if (doc.apiVersion === 'postgresql.cnpg.io/v1') cnpg(doc, errs);
    else {
      const Model = MODELS[doc.apiVersion]?.[doc.kind];
      if (!Model) errs.push(`no schema for ${doc.apiVersion} ${doc.kind}`);
      else {
        try {
          new Model(doc).validate();
        } catch (e) {
          errs.push(e.message);
        }
      }
    }
    for (const e of errs) errors.push(`${where}: ${e}`);
    validated += 1;
  }
  return { validated, errors };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const text = readFileSync(process.argv[2] ?? 0, 'utf8');
  const result = validate(text);
  process.stdout.write(`${JSON.stringify(result)}\n`);
  process.exit(result.errors.length ? 1 : 0);
}
