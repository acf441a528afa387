// Migrations of the upload database, in order. Append only.
import { UploadFiles1766000000000 } from './1766000000000-upload-files';

export const migrations: Function[] = [UploadFiles1766000000000];
