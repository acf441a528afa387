// XEP-0050 Ad-Hoc Commands: what other modules use to offer commands.
import type { DataForm } from '@parley/xep';
import type { Element } from '@parley/xml';
import { defineApi, Session } from '../../host';

/** `http://jabber.org/protocol/commands`. */
export const NS_COMMANDS = 'http://jabber.org/protocol/commands';

/** Who runs a command. */
export interface CommandCaller {
  session: Session;
  /** The caller's bare JID. */
  bare: string;
}

/** What one stage of a command answers. */
export interface CommandStep {
  /** A form to fill (the command goes on) or a result form (it is done). */
  form?: DataForm;
  /** A note for the user (XEP-0050 §4.3). */
  note?: { type: 'info' | 'warn' | 'error'; text: string };
  /** Other payload of the result (XEP-0050 §3.4 allows any namespaced child), after the form. */
  payload?: Element[];
  /** Completed: no further stage. */
  done: boolean;
}

/** A command a module offers at the server's JID. */
export interface AdHocCommand {
  /** The command's node (e.g. XEP-0133's `http://jabber.org/protocol/admin#add-user`). */
  node: string;
  /** Human-readable name (disco#items). */
  name: string;
  /** Whether `caller` may see and run it (default: every user of this server). */
  allowed?(caller: CommandCaller): boolean;
  /** The first stage: a form to fill, or the result at once. Throw StanzaError to refuse. */
  start(caller: CommandCaller): Promise<CommandStep> | CommandStep;
  /** The submitted form of the second stage. Throw StanzaError for a bad submission (the session stays open for another try). */
  submit?(caller: CommandCaller, form: DataForm): Promise<CommandStep> | CommandStep;
}

/** The command registry of the commands module. */
export interface CommandsApi {
  /** Offers a command (listed in disco#items to those allowed). */
  add(command: AdHocCommand): void;
}

export const COMMANDS_API = defineApi<CommandsApi>('xep-0050-commands');
