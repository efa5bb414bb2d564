/**
 * The `deploymentSettings` shape, declared once: registered with the framework (which only warns by default) and
 * the source of the TypeScript types. The plugin checks every value itself in `resolve.ts`.
 */
import type { FromSchema } from 'json-schema-to-ts';

const intrinsic = {
  type: 'object',
  description: 'a CloudFormation intrinsic function (Ref, Fn::GetAtt, Fn::ImportValue, Fn::Sub, Fn::Join, Fn::If)',
  minProperties: 1,
  maxProperties: 1,
} as const;

/** Keys that may be set per function as well as for the whole service. */
const functionKeys = {
  enabled: { type: 'boolean' },
  type: { type: 'string' },
  alias: { type: 'string' },
  stages: { type: 'array', items: { type: 'string' } },
  codeDeployRole: { anyOf: [{ type: 'string' }, intrinsic] },
  allowBypass: { type: 'array', items: { type: 'string' } },
} as const;

/** Keys that describe stack-wide resources, so only `custom.deploymentSettings` may set them. */
const serviceOnlyKeys = {
  codeDeployRolePermissionsBoundary: { anyOf: [{ type: 'string' }, intrinsic] },
} as const;

export const functionSettingsSchema = {
  type: 'object',
  properties: functionKeys,
  additionalProperties: false,
} as const;

export const serviceSettingsSchema = {
  type: 'object',
  properties: { ...functionKeys, ...serviceOnlyKeys },
  additionalProperties: false,
} as const;

export type FunctionSettingsInput = FromSchema<typeof functionSettingsSchema>;
export type ServiceSettingsInput = FromSchema<typeof serviceSettingsSchema>;

export const FUNCTION_KEYS = Object.keys(functionKeys) as (keyof typeof functionKeys)[];
export const SERVICE_ONLY_KEYS = Object.keys(serviceOnlyKeys) as (keyof typeof serviceOnlyKeys)[];
