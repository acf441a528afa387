// Entities of the upload database.
import { UploadFileEntity } from './upload-file.entity';

export { UploadFileEntity };
export const entities: Function[] = [UploadFileEntity];
