/**
 * Module resolution hooks for the Serverless Framework v4 engine, run from where its source is kept (outside this
 * repository, read-only): its bare imports resolve from this directory's node_modules, where its npm dependencies are
 * installed, and its imports of @serverlessinc/sf-core from ./sf-core, the stand-ins (see sf-core/README.md).
 * Registered by run.mjs with the engine's directory.
 */
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const SF_CORE = '@serverlessinc/sf-core/';
const here = new URL('./', import.meta.url);
let engine;

export async function initialize({ engineDir }) {
  engine = pathToFileURL(`${path.resolve(engineDir)}${path.sep}`).href;
}

const isBare = (specifier) =>
  !specifier.startsWith('.') && !specifier.startsWith('/') && !/^[a-z][a-z0-9+.-]*:/i.test(specifier);

export async function resolve(specifier, context, nextResolve) {
  if (specifier.startsWith(SF_CORE)) {
    return { url: new URL(`sf-core/${specifier.slice(SF_CORE.length)}`, here).href, shortCircuit: true };
  }
  if (engine && context.parentURL?.startsWith(engine) && isBare(specifier)) {
    return nextResolve(specifier, { ...context, parentURL: new URL('package.json', here).href });
  }
  return nextResolve(specifier, context);
}
