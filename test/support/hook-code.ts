/** Reads a generated hook's inline code the way Lambda loads it: as a CommonJS module. */
import * as vm from 'vm';

export interface InlineHook {
  /** The code with each Ref written as `<Ref LogicalId>`. */
  code: string;
  /** `exports.config` of the loaded module, parsed as the handler parses it. */
  config: unknown;
}

export function loadInlineHook(zipFile: unknown): InlineHook {
  const join = (zipFile as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
  if (!join || join[0] !== '')
    throw new Error(`Expected Fn::Join with "" delimiter, got ${JSON.stringify(zipFile)?.slice(0, 200)}`);
  const code = join[1]
    .map((part) => (typeof part === 'string' ? part : `<Ref ${(part as { Ref: string }).Ref}>`))
    .join('');
  const module = { exports: {} as Record<string, unknown> };
  // The SDK clients the handler requires are not needed to load it.
  const load = vm.runInNewContext(`(function (exports, require, module) {${code}\n})`, {}) as (
    e: unknown,
    r: () => unknown,
    m: unknown,
  ) => void;
  load(module.exports, () => ({}), module);
  if (typeof module.exports.handler !== 'function') throw new Error('The inline code exports no handler');
  return { code, config: JSON.parse(String(module.exports.config)) };
}
