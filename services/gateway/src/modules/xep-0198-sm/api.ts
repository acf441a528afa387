// What stream management offers other modules: whether a session has it (then
// stanzas it never acknowledged are routed again when it ends, XEP-0198 §5).
import { defineApi, Session } from '../../host';

export interface StreamManagementApi {
  /** True once the client enabled stream management on this session. */
  enabled(session: Session): boolean;
  /** This instance's sessions with stream management, those waiting for resumption, and the stanzas they hold unacknowledged (metrics). */
  stats(): { sessions: number; hibernating: number; unacked: number };
}

export const STREAM_MANAGEMENT = defineApi<StreamManagementApi>('xep-0198-sm');
