/**
 * The code of this folder that runs inside Lambda, as the text the transform inlines into templates (`ZipFile`).
 * Each file is read once, when a template first needs it, so commands that build no template never read it.
 */
import { readFileSync } from 'fs';
import { join } from 'path';

const cache = new Map<string, string>();
const read = (file: string): string => {
  let text = cache.get(file);
  if (text === undefined) cache.set(file, (text = readFileSync(join(__dirname, file), 'utf8')));
  return text;
};

/** The generated CodeDeploy hook (smoke tests before traffic moves, the bake after): traffic-hook.js. */
export const trafficHookCode = (): string => read('traffic-hook.js');

/** The handler of the existing-bucket and existing-user-pool custom resources: existing-sources-handler.js. */
export const existingSourcesHandlerCode = (): string => read('existing-sources-handler.js');
