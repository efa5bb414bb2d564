/** The handler of the plugin's existing-bucket and existing-user-pool custom resources, as the text inlined into the template. */
import { readFileSync } from 'fs';
import { join } from 'path';

export const EXISTING_SOURCES_HANDLER_SOURCE: string = readFileSync(join(__dirname, 'existing-sources.js'), 'utf8');
