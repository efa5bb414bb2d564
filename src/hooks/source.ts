/** The generated hook's handler, as the text that is inlined into the template (one copy per hook function). */
import { readFileSync } from 'fs';
import { join } from 'path';

export const HOOK_HANDLER_SOURCE: string = readFileSync(join(__dirname, 'handler.js'), 'utf8');
