// Migrations of the upload database, in order. Append only.
import { UploadFiles1766000000000 } from './1766000000000-upload-files';
import { UploadOutbox1766100000000 } from './1766100000000-upload-outbox';

export const migrations: Function[] = [UploadFiles1766000000000, UploadOutbox1766100000000];
