// The tool's version, from package.json (esbuild bundles the one field).
import { version } from '../../package.json';

export const VERSION: string = version;
