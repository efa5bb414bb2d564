/**
 * Every value of `deploymentSettings` checked against the one schema (schema.ts) with Ajv — on a copy, without type
 * coercion — and the first error put in the schema's own words: where the value was written, what is wrong with it
 * (the reason first), then what is accepted. The build compiles the schema into standalone code (no Ajv to load
 * at package time); run from source, Ajv compiles it on first use.
 */
import type { ErrorObject, ValidateFunction } from 'ajv';
import { existsSync } from 'fs';
import { cloneDeep } from 'lodash';
import * as path from 'path';
import { accepted, describeValue, didYouMean, invalidSetting, ServerlessError, type SettingPlace } from '../errors';
import {
  FUNCTION_KEYS,
  SERVICE_ONLY_KEYS,
  serviceSettingsSchema,
  type FunctionSettingsInput,
  type ServiceSettingsInput,
} from './schema';

type Schema = Record<string, unknown>;

/** How the schema is compiled, here and by the build (scripts/settings-validator.js): no coercion, no defaults. */
export const AJV_OPTIONS = { allErrors: false, coerceTypes: false, useDefaults: false, strict: true } as const;
/** The schema compiled by the build into standalone code, beside this file in dist/. */
export const VALIDATOR_FILE = 'settings-validator.js';

let compiled: ValidateFunction | undefined;

/**
 * One validator for both places: a function's own settings are the service's without the stack-wide keys, which are
 * refused before it runs. The build's precompiled code when present; else (running from source) Ajv compiles the
 * schema now, once.
 */
function validator(): ValidateFunction {
  if (!compiled) {
    const built = path.join(__dirname, VALIDATOR_FILE);
    if (existsSync(built)) {
      compiled = require(built) as ValidateFunction;
    } else {
      const { default: Ajv } = require('ajv') as typeof import('ajv');
      compiled = new Ajv(AJV_OPTIONS).compile(serviceSettingsSchema);
    }
  }
  return compiled;
}

/** `custom.deploymentSettings`, checked: undefined when absent; throws the plugin's error for the first bad value. */
export function validateServiceSettings(value: unknown): ServiceSettingsInput | undefined {
  return validate(value, {}) as ServiceSettingsInput | undefined;
}

/** `functions.<name>.deploymentSettings`, checked the same way. */
export function validateFunctionSettings(value: unknown, functionName: string): FunctionSettingsInput | undefined {
  return validate(value, { function: functionName, own: true }) as FunctionSettingsInput | undefined;
}

function validate(value: unknown, place: SettingPlace): unknown {
  if (value === undefined) return undefined;
  if (value === null) {
    // YAML's `deploymentSettings:` with nothing under it (or a variable that resolved to null): never what anyone means.
    throw new ServerlessError(
      `Invalid deployment settings: ${where(place)} is empty (null). Give it settings (e.g. type: Canary10Percent5Minutes), ` +
        `write {} for ${place.own ? 'the defaults alone' : 'defaults that only shift functions with a type of their own'}, or remove the key.`,
      'TRAFFIC_SHIFT_INVALID_SETTING',
    );
  }
  const stackWide =
    place.own && isObject(value)
      ? SERVICE_ONLY_KEYS.find((key) => Object.prototype.hasOwnProperty.call(value, key))
      : undefined;
  if (stackWide !== undefined) {
    throw invalidSetting(
      place,
      stackWide,
      'applies to the whole stack, not to one function',
      'Set it in custom.deploymentSettings.',
    );
  }
  const copy = cloneDeep(value);
  const check = validator();
  if (check(copy)) return copy;
  throw describeError(pickError(check.errors ?? []), copy, place, serviceSettingsSchema);
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value);

const where = (place: SettingPlace): string =>
  place.own ? `functions.${place.function}.deploymentSettings` : 'custom.deploymentSettings';

/**
 * Ajv reports every branch of an `anyOf` that failed. The one to tell is the deepest (an object or a list whose
 * inside is wrong says what inside is wrong), and at one depth, an error of the branch whose type the value has.
 */
function pickError(errors: ErrorObject[]): ErrorObject {
  const depth = (e: ErrorObject): number => (e.instancePath === '' ? 0 : e.instancePath.split('/').length);
  const deepest = Math.max(...errors.map(depth));
  // A property name's own error (its `enum`) is told by the `propertyNames` error that follows it.
  const atDepth = errors.filter((e) => depth(e) === deepest && e.keyword !== 'anyOf' && e.propertyName === undefined);
  return atDepth.find((e) => e.keyword !== 'type') ?? atDepth[0] ?? (errors[0] as ErrorObject);
}

/** `/triggerConfigurations/0/TriggerEvents` → `triggerConfigurations[0].TriggerEvents` (an index where `data` has a list). */
function keyPath(data: unknown, segments: readonly string[]): string {
  let node = data;
  return segments
    .map((s, i) => {
      const text = Array.isArray(node) ? `[${s}]` : i === 0 ? s : `.${s}`;
      node = (node as Record<string, unknown> | undefined)?.[s];
      return text;
    })
    .join('');
}

function segmentsOf(pointer: string): string[] {
  return pointer === ''
    ? []
    : pointer
        .slice(1)
        .split('/')
        .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function at(node: unknown, segments: readonly string[]): unknown {
  return segments.reduce<unknown>((value, s) => (value as Record<string, unknown> | undefined)?.[s], node);
}

/** The schema node an error's keyword belongs to (`#/properties/alias/pattern` → the alias schema). */
function schemaOf(error: ErrorObject, root: Schema): Schema {
  return at(root, segmentsOf(error.schemaPath.replace(/^#/, '')).slice(0, -1)) as Schema;
}

/**
 * The schema of the value at `segments`, as its parent declares it: the node whose `description` says what is
 * accepted for it, across `anyOf` branches.
 */
function declaredSchema(root: Schema, segments: readonly string[]): Schema {
  let node = root;
  for (const segment of segments) {
    const candidates = [node, ...((node.anyOf as Schema[] | undefined) ?? [])];
    const next = candidates
      .map((c) =>
        /^\d+$/.test(segment)
          ? (c.items as Schema | undefined)
          : (c.properties as Record<string, Schema> | undefined)?.[segment],
      )
      .find((s) => s !== undefined);
    if (!next) return node;
    node = next;
  }
  return node;
}

const TYPE_WORDS: Record<string, string> = {
  string: 'a string',
  boolean: 'true or false',
  integer: 'a whole number',
  number: 'a number',
  array: 'a list',
  object: 'an object',
};

function describeError(error: ErrorObject, data: unknown, place: SettingPlace, root: Schema): ServerlessError {
  const segments = segmentsOf(error.instancePath);
  const value = at(data, segments);
  const declared = declaredSchema(root, segments);
  const own = schemaOf(error, root);
  const title = (own.title as string | undefined) ?? (declared.title as string | undefined) ?? 'accepted';
  // The branch that failed says best what it accepts; where it says nothing, the value's declared schema does.
  const accepts = accepted(
    (own.description as string | undefined) ?? (declared.description as string | undefined) ?? title,
  );
  const is = `is ${describeValue(value)}`;
  const params = error.params as Record<string, unknown>;

  if (error.keyword === 'additionalProperties') {
    const key = params.additionalProperty as string;
    const allowed: readonly string[] =
      segments.length === 0 && place.own ? FUNCTION_KEYS : Object.keys((own.properties as Schema | undefined) ?? {});
    const path = keyPath(data, [...segments, key]);
    return invalidSetting(
      place,
      path,
      'is not a setting',
      `${didYouMean(key, allowed)}Accepted keys${segments.length === 0 ? '' : ` of ${keyPath(data, segments)}`}: ${allowed.join(', ')}.`,
    );
  }
  if (error.keyword === 'required') {
    const key = params.missingProperty as string;
    return invalidSetting(place, keyPath(data, [...segments, key]), 'is missing', accepted(describeRequired(own, key)));
  }
  const path = segments.length === 0 ? undefined : keyPath(data, segments);
  if (path === undefined) {
    return new ServerlessError(
      `Invalid deployment settings: ${where(place)} ${is}, not an object. ${accepts}`,
      'TRAFFIC_SHIFT_INVALID_SETTING',
    );
  }
  switch (error.keyword) {
    case 'type': {
      if (params.type === 'integer' && typeof value === 'number')
        return invalidSetting(place, path, `${is}, not a whole number`, accepts);
      // Every branch failed on the type: say which kinds of value would do.
      const branches = (declared.anyOf as Schema[] | undefined) ?? [declared];
      const kinds = branches.map((b) => (b.title as string | undefined) ?? TYPE_WORDS[b.type as string] ?? 'a value');
      return invalidSetting(
        place,
        path,
        `${is}, not ${[...new Set(kinds)].join(' or ')}`,
        accepted((declared.description as string | undefined) ?? title),
      );
    }
    case 'enum': {
      const values = (own.enum as string[]).map(String);
      const suggestion = typeof value === 'string' ? didYouMean(value, values) : '';
      return invalidSetting(place, path, `${is}, which is not ${title}`, `${suggestion}${accepts}`);
    }
    case 'pattern':
    case 'propertyNames':
    case 'minProperties':
    case 'maxProperties':
      return invalidSetting(place, path, `${is}, which is not ${title}`, accepts);
    case 'minLength':
      return invalidSetting(place, path, value === '' ? 'is an empty string' : `${is}, too short`, accepts);
    case 'maxLength':
      return invalidSetting(
        place,
        path,
        `is ${(value as string).length} characters long, more than ${params.limit as number}`,
        accepts,
      );
    case 'minItems':
      return invalidSetting(place, path, is, accepts);
    case 'minimum':
      return invalidSetting(place, path, `${is}, less than ${params.limit as number}`, accepts);
    case 'exclusiveMinimum':
      return invalidSetting(place, path, `${is}, not more than ${params.limit as number}`, accepts);
    case 'maximum':
      return invalidSetting(place, path, `${is}, more than ${params.limit as number}`, accepts);
    case 'exclusiveMaximum':
      return invalidSetting(place, path, `${is}, not less than ${params.limit as number}`, accepts);
    case 'multipleOf':
      return invalidSetting(place, path, `${is}, not a multiple of ${params.multipleOf as number}`, accepts);
    default:
      return invalidSetting(place, path, `${is}, which is not ${title}`, accepts);
  }
}

function describeRequired(schema: Schema, key: string): string {
  const property = (schema.properties as Record<string, Schema> | undefined)?.[key];
  return (property?.description as string | undefined) ?? (property?.title as string | undefined) ?? key;
}
