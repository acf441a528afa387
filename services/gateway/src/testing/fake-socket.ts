// A socket for driving a client stream (stream/c2s.ts) in process: what the server
// writes accumulates in `output`; `send` feeds client bytes to the server.
import { Duplex } from 'node:stream';

export class FakeSocket extends Duplex {
  output = '';
  readonly remoteAddress = '192.0.2.1';
  private waiters: Array<() => void> = [];

  setNoDelay(): this {
    return this;
  }

  /** Client → server. */
  send(xml: string): void {
    this.push(Buffer.from(xml));
  }

  /** Waits until the server's output (from `from` on) matches, and returns the match. */
  async until(re: RegExp, from = 0, timeoutMs = 3000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = this.output.slice(from).match(re);
      if (m) return m;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${re}; the server wrote: ${this.output.slice(from) || '(nothing)'}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  override _read(): void {}

  override _write(chunk: Buffer | string, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.output += chunk.toString();
    const w = this.waiters;
    this.waiters = [];
    for (const f of w) f();
    cb();
  }
}
