// "Export my data" (GDPR Art. 15/20) as an ad-hoc command (XEP-0050, node
// `urn:parley:export:0`) every user may run for their own account: the gateway collects
// the user's data from every owner (the same collector as `npm run ctl -- export`) and
// answers with the bundle inside the completed command: the XEP-0227 document
// (`<server-data xmlns='urn:xmpp:pie:0'>`) and the same data as JSON
// (`<json xmlns='urn:parley:export:0'>`). Only the caller's own data, never anyone
// else's; a bundle larger than EXPORT_INLINE_MAX is refused with a note sending the user
// to the operator's `ctl export` (a file is the only sane carrier for that much).
import { opt } from '@parley/config';
import { StanzaError } from '@parley/stanza';
import { parseXml, x } from '@parley/xml';
import { collectUserExport, toJson, toXep0227 } from '../../export/user-export';
import { defineModule, serviceError } from '../../host';
import { COMMANDS_API } from '../xep-0050-commands/api';

/** The command's node. */
export const EXPORT_NODE = 'urn:parley:export:0';
/** The namespace of the JSON rendering in the result. */
export const NS_EXPORT = 'urn:parley:export:0';

export const exportModule = defineModule({
  name: 'xep-0227-export',
  requires: [COMMANDS_API],
  options: {
    EXPORT_INLINE_MAX: opt.bytes({ doc: 'Largest data export (XML and JSON together) a user receives inside the ad-hoc command result; larger ones are refused with a note pointing to the operator (`npm run ctl -- export`).', default: '4MiB', min: 64 * 1024, max: 64 * 1024 * 1024 }),
    EXPORT_TIMEOUT: opt.duration({ doc: 'How long one owner may take to answer a data-export request.', default: '30s', min: '1s', max: '10m' }),
  },
  init(ctx) {
    const commands = ctx.use(COMMANDS_API);
    const running = new Set<string>();
    const bus = { request: <T>(subject: string, data: unknown) => ctx.bus.request<T>(subject, data, { timeoutMs: ctx.options.EXPORT_TIMEOUT }) };
    commands.add({
      node: EXPORT_NODE,
      name: 'Export my data',
      start: async ({ bare }) => {
        // One export at a time per account: each reads the whole archive.
        if (running.has(bare)) throw new StanzaError('resource-constraint', 'an export of this account is already running', 'wait');
        running.add(bare);
        try {
          let data;
          try {
            data = await collectUserExport(bus, bare);
          } catch (e) {
            ctx.log.warn({ err: (e as Error).message }, 'data export could not be collected');
            throw serviceError(e, 'data export');
          }
          const xml = toXep0227(data);
          const json = toJson(data);
          const size = Buffer.byteLength(xml) + Buffer.byteLength(json);
          if (size > ctx.options.EXPORT_INLINE_MAX)
            return {
              done: true,
              note: { type: 'error', text: `Your data (${Math.ceil(size / 1024)} KiB) is too large to send here; ask the server's operator for an export file.` },
            };
          return {
            done: true,
            note: { type: 'info', text: 'Everything this server stores about you: XEP-0227 (server-data) and JSON (json).' },
            payload: [parseXml(xml.replace(/^<\?xml[^>]*\?>\s*/, '')), x('json', { xmlns: NS_EXPORT }, json)],
          };
        } finally {
          running.delete(bare);
        }
      },
    });
  },
});
