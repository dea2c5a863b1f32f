// Where the service benchmark finds the built service (dist/, as deployed).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
