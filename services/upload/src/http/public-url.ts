// The base URL slot URLs start with: UPLOAD_PUBLIC_URL, or the listener's own address once it listens.
import { Inject, Injectable } from '@nestjs/common';
import type { UploadConfig } from '../config/config';
import { UPLOAD_CONFIG } from '../tokens';

@Injectable()
export class PublicUrl {
  private bound?: string;
  constructor(@Inject(UPLOAD_CONFIG) private readonly config: UploadConfig) {}

  /** Called by the listener with its real address. */
  listening(scheme: 'http' | 'https', host: string, port: number): void {
    this.bound = `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`;
  }

  /** The base URL, without a trailing slash. */
  base(): string {
    const configured = this.config.UPLOAD_PUBLIC_URL.replace(/\/+$/, '');
    if (configured) return configured;
    if (!this.bound) throw new Error('the upload listener is not open yet');
    return this.bound;
  }
}
