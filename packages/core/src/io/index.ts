export { writeFileAtomic, writeDirectoryAtomic, writeFileDurable, fsyncDirectory, temporaryName } from './atomic-file.js';
