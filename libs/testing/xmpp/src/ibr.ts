// In-band registration (XEP-0077) over a raw socket: STARTTLS, then the register IQ.
import { rawStartTls } from './raw';

/** Registers an account; resolves with the server's IQ reply (result or error). */
export async function registerInBand(port: number, username: string, password: string, domain = 'localhost'): Promise<string> {
  const c = await rawStartTls(port, { domain });
  try {
    const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;');
    c.send(`<iq type='set' id='reg1'><query xmlns='jabber:iq:register'><username>${esc(username)}</username><password>${esc(password)}</password></query></iq>`);
    const m = await c.expect(/<iq[^>]*id=.reg1.[^>]*(\/>|>[\s\S]*?<\/iq>)/);
    return m[0];
  } finally {
    c.close();
  }
}
