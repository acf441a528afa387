// XEP-0077 §3: the in-band registration payload `<query xmlns='jabber:iq:register'/>`
// — a registration or password change (username, password), a removal (`<remove/>`),
// the registration form and the registered answer.
import { NS } from '@parley/stanza';
import { Element, x } from '@parley/xml';

/** What a client's registration set carries. */
export interface RegisterRequest {
  username?: string;
  password?: string;
  /** `<remove/>` (§3.2): cancel the registration. */
  remove: boolean;
}

/** Codec of the registration `<query/>`. */
export const registerQuery = {
  /** Decodes the `<query/>` of an IQ (an IQ without one carries nothing). */
  fromIq(iq: Element): RegisterRequest {
    const q = iq.getChild('query', NS.register);
    return { username: q?.getChildText('username'), password: q?.getChildText('password'), remove: !!q?.getChild('remove') };
  },

  /** The registration form (§3.1): instructions, empty username and password fields. */
  formToElement(instructions: string): Element {
    return x('query', { xmlns: NS.register }, x('instructions', null, instructions), x('username'), x('password'));
  },

  /** The answer for an account that is registered (§3.2): `<registered/>` and its username. */
  registeredToElement(username: string): Element {
    return x('query', { xmlns: NS.register }, x('registered'), x('username', null, username));
  },
};
