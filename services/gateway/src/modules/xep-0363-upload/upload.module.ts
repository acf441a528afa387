// XEP-0363: HTTP File Upload. The gateway hosts the `upload.<domain>` component's XMPP
// side: it is listed in the server's disco#items, answers disco#info (identity
// store/file, `max-file-size` in an XEP-0128 form, the v1.2 purposes) and turns slot
// requests into `upload.cmd.request-slot` to the upload service, which owns quotas,
// files and the HTTP listener. The gateway never touches a file.
import { opt } from '@parley/config';
import { envelope, GatewayDeliveryFailedV1, GatewayEvents, UPLOAD_PURPOSES, UploadPurpose, UploadSlotReplyV1, UploadSlotRequestV1, UploadSubjects } from '@parley/contracts';
import { NS, StanzaError } from '@parley/stanza';
import { Element, x } from '@parley/xml';
import { defineModule, serviceError } from '../../host';

export const NS_UPLOAD = 'urn:xmpp:http:upload:0';
export const NS_UPLOAD_PURPOSE = 'urn:xmpp:http:upload:purpose:0';

/** The fields of a `<request/>` (XEP-0363 §4), or a `bad-request`. */
export function parseSlotRequest(req: Element): Omit<UploadSlotRequestV1, 'user'> {
  const filename = req.attrs.filename;
  const sizeRaw = req.attrs.size;
  if (typeof filename !== 'string' || filename === '') throw StanzaError.badRequest('the request needs a filename');
  if (typeof sizeRaw !== 'string' || !/^\d{1,16}$/.test(sizeRaw)) throw StanzaError.badRequest('the request needs a size in bytes');
  const size = Number(sizeRaw);
  const contentType = req.attrs['content-type'] || undefined;
  const purposeEl = req.children.find((c): c is Element => typeof c !== 'string' && c.attrs.xmlns === NS_UPLOAD_PURPOSE);
  let purpose: UploadPurpose | undefined;
  if (purposeEl) {
    if (!(UPLOAD_PURPOSES as readonly string[]).includes(purposeEl.name)) throw new StanzaError('not-acceptable', `unknown upload purpose ${purposeEl.name.slice(0, 40)}`, 'modify');
    purpose = purposeEl.name as UploadPurpose;
  }
  return { filename, size, contentType, purpose };
}

/** The XEP-0363 §4 `<slot/>`, or the §5 error, for the service's answer. */
export function slotAnswer(r: UploadSlotReplyV1): Element {
  if ('slot' in r) {
    return x(
      'slot',
      { xmlns: NS_UPLOAD },
      x('put', { url: r.slot.put }, ...Object.entries(r.slot.headers).map(([name, value]) => x('header', { name }, value))),
      x('get', { url: r.slot.get }),
    );
  }
  const f = r.refused;
  switch (f.reason) {
    case 'file-too-large':
      throw new StanzaError(
        'not-acceptable',
        `File too large. The maximum file size is ${f.maxFileSize} bytes`,
        'modify',
        x('file-too-large', { xmlns: NS_UPLOAD }, x('max-file-size', null, String(f.maxFileSize))),
      );
    case 'quota':
      throw new StanzaError(
        'resource-constraint',
        f.scope === 'user' ? 'Quota reached: your uploads take all the space you have until some expire' : 'The upload service is full; try again later',
        'wait',
        x('retry', { xmlns: NS_UPLOAD, stamp: new Date(f.retryAt).toISOString().replace(/\.\d{3}Z$/, 'Z') }),
      );
    default:
      throw new StanzaError('not-acceptable', f.text, 'modify');
  }
}

export const uploadModule = defineModule({
  name: 'xep-0363-upload',
  options: {
    UPLOAD_ENABLED: opt.bool({ doc: 'Offer XEP-0363 HTTP File Upload (needs the upload service).', default: true }),
    UPLOAD_COMPONENT_JID: opt.str({ doc: 'Address of the upload component, listed in the server\'s disco#items; empty: `upload.<XMPP_DOMAIN>`.', default: '', pattern: /^[a-z0-9.-]*$/ }),
    UPLOAD_MAX_FILE_SIZE: opt.bytes({
      doc: 'Largest file announced in the component\'s disco#info (`max-file-size`): set the same value as on the upload service, which enforces it.',
      default: '100MiB',
      min: 1,
      max: 5 * 1024 ** 4,
    }),
  },
  init(ctx) {
    if (!ctx.options.UPLOAD_ENABLED) return;
    const jid = ctx.options.UPLOAD_COMPONENT_JID || `upload.${ctx.domain}`;
    ctx.serverItem({ jid, name: 'HTTP File Upload' });
    ctx.componentIq(jid, 'get', NS.discoInfo, (iq) => {
      if (iq.getChild('query')?.attrs.node) throw StanzaError.itemNotFound();
      return x(
        'query',
        { xmlns: NS.discoInfo },
        x('identity', { category: 'store', type: 'file', name: 'HTTP File Upload' }),
        ...[NS.discoInfo, NS.discoItems, NS_UPLOAD, ...UPLOAD_PURPOSES.map((p) => `${NS_UPLOAD_PURPOSE}#${p}`)].sort().map((v) => x('feature', { var: v })),
        x(
          'x',
          { xmlns: NS.dataForms, type: 'result' },
          x('field', { var: 'FORM_TYPE', type: 'hidden' }, x('value', null, NS_UPLOAD)),
          x('field', { var: 'max-file-size' }, x('value', null, String(ctx.options.UPLOAD_MAX_FILE_SIZE))),
        ),
      );
    });
    ctx.componentIq(jid, 'get', NS.discoItems, (iq) => {
      if (iq.getChild('query')?.attrs.node) throw StanzaError.itemNotFound();
      return x('query', { xmlns: NS.discoItems });
    });
    ctx.componentIq(jid, 'get', NS_UPLOAD, async (iq, session) => {
      const req = iq.getChild('request', NS_UPLOAD);
      if (!req) throw StanzaError.badRequest('expected <request/>');
      const ask: UploadSlotRequestV1 = { user: session.bare, ...parseSlotRequest(req) };
      let reply: UploadSlotReplyV1;
      try {
        reply = await ctx.bus.request<UploadSlotReplyV1>(UploadSubjects.requestSlot, ask);
      } catch (e) {
        throw serviceError(e, 'upload service');
      }
      if ('refused' in reply) {
        // A refused upload is a delivery failure of the delivery-error log (reason and rule, never the file name).
        const reason = reply.refused.reason === 'quota' ? 'resource-constraint' : 'not-acceptable';
        const failed: GatewayDeliveryFailedV1 = { from: session.bare, to: jid, kind: 'iq', reason, detail: `upload-${reply.refused.reason}`, at: new Date().toISOString() };
        ctx.bus.publishEvent(envelope(GatewayEvents.deliveryFailed, failed)).catch((e: Error) => ctx.log.warn({ err: e.message }, 'delivery-failed event not acknowledged'));
      }
      return slotAnswer(reply);
    });
  },
});
