/** The version lives in package.json only; everything else reads it from here. */
import pkg from '../package.json' with { type: 'json' };

export const VERSION: string = pkg.version;
