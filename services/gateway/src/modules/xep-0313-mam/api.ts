// What other modules may learn of the archive's work on one message: the XEP-0359
// stanza-id the SENDER's archive gave a message a client sent. XEP-0313 §3.5: it must
// not appear on the delivered message (the recipient has no access to that archive),
// but the sender's other resources get it inside their XEP-0280 sent carbons.
import { defineSlot } from '../../host';

/**
 * In a routed message's `data` (set by the archive's `messageSent` handler, which runs
 * before lower priorities): a string, a promise of one while the archive's
 * preferences wait for the roster, or absent when the sender does not archive it.
 */
export const SENDER_ARCHIVE_ID = defineSlot<string | Promise<string | undefined>>('xep-0313-mam/sender-archive-id');

/** Priority of the archive's `messageSent` handler (sent carbons run below it and read its id). */
export const MAM_PRIORITY = 20;
