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

const generatedAlarm = {
  anyOf: [
    { type: 'boolean' },
    { type: 'number' },
    {
      type: 'object',
      properties: {
        threshold: { type: 'number' },
        evaluationPeriods: { type: 'integer' },
        period: { type: 'integer' },
      },
      additionalProperties: false,
    },
  ],
} as const;

/** A comparison alarm: also the calls each version must have served before a period is judged. */
const comparisonAlarm = {
  anyOf: [
    { type: 'boolean' },
    { type: 'number' },
    {
      type: 'object',
      properties: {
        threshold: { type: 'number' },
        minInvocations: { type: 'integer' },
        evaluationPeriods: { type: 'integer' },
        period: { type: 'integer' },
      },
      additionalProperties: false,
    },
  ],
} as const;

const smokeTestCase = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    payload: {},
    expect: {
      type: 'object',
      properties: { statusCode: { type: 'integer' }, response: {}, body: {} },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

/** Keys that may be set per function as well as for the whole service. */
const functionKeys = {
  enabled: { type: 'boolean' },
  type: { type: 'string' },
  alias: { type: 'string' },
  stages: { type: 'array', items: { type: 'string' } },
  codeDeployRole: { anyOf: [{ type: 'string' }, intrinsic] },
  allowBypass: { type: 'array', items: { type: 'string' } },
  preTrafficHook: { type: 'string' },
  postTrafficHook: { type: 'string' },
  alarms: {
    type: 'array',
    items: {
      anyOf: [
        { type: 'string' },
        { type: 'object', properties: { name: { type: 'string' } }, required: ['name'], additionalProperties: false },
      ],
    },
  },
  newVersionAlarms: {
    anyOf: [
      { type: 'boolean' },
      {
        type: 'object',
        properties: {
          errors: generatedAlarm,
          errorRate: generatedAlarm,
          throttles: generatedAlarm,
          p99Duration: generatedAlarm,
          errorRateVsPrevious: comparisonAlarm,
          durationVsPrevious: comparisonAlarm,
        },
        additionalProperties: false,
      },
    ],
  },
  autoRollback: {
    type: 'object',
    properties: { onFailure: { type: 'boolean' }, onAlarm: { type: 'boolean' }, onManualStop: { type: 'boolean' } },
    additionalProperties: false,
  },
  triggerConfigurations: {
    type: 'array',
    items: {
      type: 'object',
      properties: {
        TriggerName: { type: 'string' },
        TriggerTargetArn: { anyOf: [{ type: 'string' }, intrinsic] },
        TriggerEvents: { type: 'array', items: { type: 'string' } },
      },
      additionalProperties: false,
    },
  },
  smokeTest: { anyOf: [smokeTestCase, { type: 'array', items: smokeTestCase }] },
  bakeTime: { type: 'integer' },
} as const;

/** Keys that describe stack-wide resources, so only `custom.deploymentSettings` may set them. */
const serviceOnlyKeys = {
  codeDeployRolePermissionsBoundary: { anyOf: [{ type: 'string' }, intrinsic] },
  dashboard: { type: 'boolean' },
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

/**
 * The shape the framework validates. Serverless v3 validates with AJV `coerceTypes: 'array'`, which rewrites the
 * configuration in place (`stages: prod` becomes `[prod]`, `enabled: "false"` becomes `false`) before the plugin can
 * reject it. So the framework gets the keys only (no unknown key passes), with the value types left to the plugin's
 * own checks, which say what is accepted.
 */
export function forFramework(schema: Record<string, unknown>): Record<string, unknown> {
  if (schema.type === 'object') {
    const properties = schema.properties as Record<string, Record<string, unknown>> | undefined;
    return {
      type: 'object',
      ...(properties && {
        properties: Object.fromEntries(Object.entries(properties).map(([key, value]) => [key, forFramework(value)])),
      }),
      ...(schema.additionalProperties === false && { additionalProperties: false }),
    };
  }
  return {};
}
