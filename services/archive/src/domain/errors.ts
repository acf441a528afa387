// Domain errors of the archive, each carrying the XMPP condition the edge answers with
// (mapped by the shared bus exception filter).
import { DomainError } from '@parley/contracts';

/** A request the archive refuses on purpose; handlers map it to a ReplyException. */
export class ArchiveDomainError extends DomainError {
  constructor(
    override readonly condition: 'bad-request' | 'item-not-found' | 'not-acceptable',
    message: string,
  ) {
    super(condition, message);
    this.name = 'ArchiveDomainError';
  }
  static badRequest = (text: string) => new ArchiveDomainError('bad-request', text);
  static notAcceptable = (text: string) => new ArchiveDomainError('not-acceptable', text);
  /** An id named by the query is not in the archive (XEP-0313 §query-limit-id). */
  static unknownId = () => new ArchiveDomainError('item-not-found', 'no such item in the archive');
}
