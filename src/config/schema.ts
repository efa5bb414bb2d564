/**
 * The `deploymentSettings` shape, declared once: the plugin validates every value against it (validate.ts), the
 * TypeScript types of the settings derive from it, the framework gets its keys (`forFramework`), and its words are
 * the messages: `title` names what a value is ("an IAM role ARN"), `description` says what is accepted. Rules that
 * combine keys or need the service (a hook names a function, a type parses, an ARN is in the stack's region) are
 * checked by hand in resolve.ts and health-checks.ts.
 */
import type { FromSchema } from 'json-schema-to-ts';
import { INTRINSIC_KEYS } from '../types/cloudformation';

/** Short names of the predefined CodeDeploy Lambda configurations. */
export const PREDEFINED_CONFIGS = [
  'Canary10Percent5Minutes',
  'Canary10Percent10Minutes',
  'Canary10Percent15Minutes',
  'Canary10Percent30Minutes',
  'Linear10PercentEvery1Minute',
  'Linear10PercentEvery2Minutes',
  'Linear10PercentEvery3Minutes',
  'Linear10PercentEvery10Minutes',
  'AllAtOnce',
] as const;

export const ACCEPTED_TYPES =
  'one of the CodeDeploy predefined configurations (' +
  PREDEFINED_CONFIGS.join(', ') +
  ', by this short name or as CodeDeployDefault.Lambda<name>), Canary<P>Percent<N>Minutes or ' +
  'Linear<P>PercentEvery<N>Minutes with 1 <= P <= 99 and N >= 1 (e.g. Canary25Percent7Minutes), BlueGreen, or InPlace';

export const TRIGGER_EVENTS = [
  'DeploymentStart',
  'DeploymentSuccess',
  'DeploymentFailure',
  'DeploymentStop',
  'DeploymentRollback',
  'DeploymentReady',
  'InstanceStart',
  'InstanceSuccess',
  'InstanceFailure',
  'InstanceReady',
] as const;

const INTRINSIC_WORDS = 'a CloudFormation intrinsic function such as Fn::GetAtt or Fn::ImportValue';

const intrinsic = {
  type: 'object',
  title: 'a CloudFormation intrinsic function',
  minProperties: 1,
  maxProperties: 1,
  propertyNames: { enum: INTRINSIC_KEYS },
} as const;

const LOGICAL_ID = '^[A-Za-z0-9]{1,255}$';

const evaluationPeriods = {
  type: 'integer',
  minimum: 1,
  maximum: 100,
  title: 'a number of periods',
  description: 'a whole number from 1 to 100 (default 1)',
} as const;

const period = {
  type: 'integer',
  minimum: 60,
  maximum: 86400,
  multipleOf: 60,
  title: 'a period in seconds',
  description:
    'seconds, a multiple of 60 (Lambda publishes its metrics once a minute), with period × evaluationPeriods at most one day (default 60)',
} as const;

/** A generated alarm: on or off, a threshold, or `{ threshold, evaluationPeriods, period }`. */
const generatedAlarm = <T extends object>(threshold: T) =>
  ({
    title: 'a generated alarm',
    description: 'true, false, a threshold number, or { threshold, evaluationPeriods, period }',
    anyOf: [
      { type: 'boolean', title: 'true or false' },
      threshold,
      {
        type: 'object',
        title: 'an object { threshold, evaluationPeriods, period }',
        properties: { threshold, evaluationPeriods, period },
        additionalProperties: false,
      },
    ],
  }) as const;

/** A comparison alarm: also the calls each version must have served before a period is judged. */
const comparisonAlarm = <T extends object>(threshold: T) =>
  ({
    title: 'a comparison alarm',
    description: 'true, false, a threshold number, or { threshold, minInvocations, evaluationPeriods, period }',
    anyOf: [
      { type: 'boolean', title: 'true or false' },
      threshold,
      {
        type: 'object',
        title: 'an object { threshold, minInvocations, evaluationPeriods, period }',
        properties: {
          threshold,
          minInvocations: {
            type: 'integer',
            minimum: 1,
            maximum: 1000000,
            title: 'a number of calls',
            description:
              'a whole number of calls from 1 to 1000000 that each version must have served in a period before it is judged (default 100)',
          },
          evaluationPeriods,
          period,
        },
        additionalProperties: false,
      },
    ],
  }) as const;

/** The alarms the plugin can generate on the new version, each with the words of its threshold. */
const generatedAlarms = {
  errors: generatedAlarm({
    type: 'integer',
    minimum: 1,
    title: 'a number of errors',
    description: 'a whole number of errors of at least 1 (default 1: any error)',
  } as const),
  errorRate: generatedAlarm({
    type: 'number',
    exclusiveMinimum: 0,
    maximum: 100,
    title: 'a percentage',
    description: 'a percentage of invocations above 0 and at most 100 (default 5)',
  } as const),
  throttles: generatedAlarm({
    type: 'integer',
    minimum: 1,
    title: 'a number of throttled requests',
    description: 'a whole number of throttled requests of at least 1 (default 1)',
  } as const),
  p99Duration: generatedAlarm({
    type: 'number',
    minimum: 1,
    maximum: 900000,
    title: 'a duration in milliseconds',
    description: 'milliseconds, from 1 to 900000 (no default: say how slow is too slow, e.g. p99Duration: 1000)',
  } as const),
  errorRateVsPrevious: comparisonAlarm({
    type: 'number',
    minimum: 0,
    maximum: 99,
    title: 'a number of percentage points',
    description:
      "percentage points by which the new version's error rate may exceed the previous version's, from 0 to 99 (default 5)",
  } as const),
  durationVsPrevious: comparisonAlarm({
    type: 'number',
    minimum: 1.05,
    maximum: 100,
    title: 'a ratio of durations',
    description:
      "a ratio of the new version's average duration to the previous version's, from 1.05 to 100 (default 1.5: half again as slow)",
  } as const),
} as const;

const smokeTestCase = {
  type: 'object',
  title: 'a smoke test',
  description: 'a test { name?, payload?, expect?: { statusCode?, response?, body? } }',
  properties: {
    name: { type: 'string', minLength: 1, title: 'a name', description: 'a non-empty name (default "test <n>")' },
    payload: { description: 'the event the new version is invoked with (default {})' },
    expect: {
      type: 'object',
      title: 'what the response must be',
      description: '{ statusCode?, response?, body? }',
      properties: {
        statusCode: {
          type: 'integer',
          minimum: 100,
          maximum: 599,
          title: 'an HTTP status code',
          description: 'an HTTP status code from 100 to 599',
        },
        response: { description: 'a subset of the whole response' },
        body: { description: 'a subset of the parsed body of an HTTP proxy response' },
      },
      additionalProperties: false,
    },
  },
  additionalProperties: false,
} as const;

const hook = {
  type: 'string',
  minLength: 1,
  title: 'a hook',
  description:
    'the name of a function in this service, or the ARN of an existing Lambda function in the same account and region',
} as const;

/** Keys that may be set per function as well as for the whole service. */
const functionKeys = {
  enabled: {
    type: 'boolean',
    title: 'true or false',
    description: 'true or false (default true); false leaves the function as without the plugin',
  },
  type: { type: 'string', title: 'a deployment type', description: ACCEPTED_TYPES },
  alias: {
    type: 'string',
    pattern: '^(?!\\d+$)[A-Za-z0-9_-]{1,128}$',
    title: 'a Lambda alias name',
    description: 'a Lambda alias name: 1 to 128 letters, digits, "-" or "_", not only digits (default "live")',
  },
  stages: {
    type: 'array',
    minItems: 1,
    items: { type: 'string', minLength: 1, title: 'a stage name', description: 'a stage name' },
    title: 'a list of stage names',
    description: 'a non-empty list of stage names, e.g. [prod] (default: every stage)',
  },
  codeDeployRole: {
    title: 'an IAM role',
    description: `an IAM role ARN (arn:aws:iam::123456789012:role/name) or ${INTRINSIC_WORDS}`,
    anyOf: [
      {
        type: 'string',
        pattern: '^arn:aws[a-z-]*:iam::\\d{12}:role/[\\w+=,.@/-]{1,512}$',
        title: 'an IAM role ARN',
      },
      intrinsic,
    ],
  },
  allowBypass: {
    type: 'array',
    items: {
      type: 'string',
      pattern: LOGICAL_ID,
      title: 'a logical id',
      description: 'the logical id of a resource in the template (letters and digits)',
    },
    title: 'a list of logical ids',
    description:
      'a list of logical ids of resources in the template that may invoke the function without its alias, e.g. [MyCustomResource]',
  },
  preTrafficHook: hook,
  postTrafficHook: hook,
  alarms: {
    type: 'array',
    title: 'a list of alarms',
    description:
      'a list whose items are logical ids of AWS::CloudWatch::Alarm resources in the template, or { name: <existing alarm name> }',
    items: {
      title: 'an alarm',
      description:
        'the logical id of an AWS::CloudWatch::Alarm resource in the template, or { name: <existing alarm name> }',
      anyOf: [
        { type: 'string', pattern: LOGICAL_ID, title: 'a logical id' },
        {
          type: 'object',
          title: 'an object { name }',
          properties: {
            name: {
              type: 'string',
              minLength: 1,
              maxLength: 255,
              title: 'an alarm name',
              description: 'the name of an existing CloudWatch alarm, 1 to 255 characters',
            },
          },
          required: ['name'],
          additionalProperties: false,
        },
      ],
    },
  },
  newVersionAlarms: {
    title: 'the generated alarms',
    description: `false (none), true (the defaults), or an object with any of ${Object.keys(generatedAlarms).join(', ')}`,
    anyOf: [
      { type: 'boolean', title: 'true or false' },
      { type: 'object', title: 'an object', properties: generatedAlarms, additionalProperties: false },
    ],
  },
  autoRollback: {
    type: 'object',
    title: 'the rollback rules',
    description:
      'an object with any of onFailure (default true), onAlarm (default true when there are alarms), onManualStop (default true), each true or false',
    properties: {
      onFailure: { type: 'boolean', title: 'true or false', description: 'true or false (default true)' },
      onAlarm: {
        type: 'boolean',
        title: 'true or false',
        description: 'true or false (default true when the function has alarms)',
      },
      onManualStop: { type: 'boolean', title: 'true or false', description: 'true or false (default true)' },
    },
    additionalProperties: false,
  },
  triggerConfigurations: {
    type: 'array',
    title: 'a list of triggers',
    description: `a list of { TriggerName, TriggerTargetArn (an SNS topic ARN or intrinsic function), TriggerEvents (a list of ${TRIGGER_EVENTS.join(', ')}) }`,
    items: {
      type: 'object',
      title: 'a trigger',
      description: '{ TriggerName, TriggerTargetArn, TriggerEvents }',
      properties: {
        TriggerName: {
          type: 'string',
          minLength: 1,
          maxLength: 256,
          title: 'a trigger name',
          description: 'a name of 1 to 256 characters',
        },
        TriggerTargetArn: {
          title: 'an SNS topic',
          description:
            'an SNS topic ARN (arn:aws:sns:us-east-1:123456789012:topic) or an intrinsic function such as Ref: MyTopic',
          anyOf: [
            {
              type: 'string',
              pattern: '^arn:aws[a-z-]*:sns:[a-z0-9-]+:\\d{12}:[A-Za-z0-9_-]{1,256}$',
              title: 'an SNS topic ARN',
            },
            intrinsic,
          ],
        },
        TriggerEvents: {
          type: 'array',
          minItems: 1,
          title: 'a list of trigger events',
          description: `a non-empty list of ${TRIGGER_EVENTS.join(', ')}`,
          items: {
            enum: TRIGGER_EVENTS,
            title: 'a CodeDeploy trigger event',
            description: `one of ${TRIGGER_EVENTS.join(', ')}`,
          },
        },
      },
      required: ['TriggerName', 'TriggerTargetArn', 'TriggerEvents'],
      additionalProperties: false,
    },
  },
  smokeTest: {
    title: 'smoke tests',
    description:
      'a test or a non-empty list of tests, each { name?, payload?, expect?: { statusCode?, response?, body? } }',
    anyOf: [smokeTestCase, { type: 'array', minItems: 1, title: 'a list of tests', items: smokeTestCase }],
  },
  bakeTime: {
    type: 'integer',
    minimum: 1,
    maximum: 55,
    title: 'a number of minutes',
    description: 'whole minutes from 1 to 55 (CodeDeploy fails a hook that does not report within an hour)',
  },
} as const;

/** Keys that describe stack-wide resources, so only `custom.deploymentSettings` may set them. */
const serviceOnlyKeys = {
  codeDeployRolePermissionsBoundary: {
    title: 'an IAM policy',
    description: `an IAM policy ARN (arn:aws:iam::123456789012:policy/name) or ${INTRINSIC_WORDS}`,
    anyOf: [
      {
        type: 'string',
        pattern: '^arn:aws[a-z-]*:iam::(\\d{12}|aws):policy/[\\w+=,.@/-]{1,512}$',
        title: 'an IAM policy ARN',
      },
      intrinsic,
    ],
  },
  dashboard: {
    type: 'boolean',
    title: 'true or false',
    description:
      "true or false (default false): true adds a CloudWatch dashboard of the stage's shifted functions, both versions side by side",
  },
} as const;

export const functionSettingsSchema = {
  type: 'object',
  title: 'an object of settings',
  description: 'an object of settings (type, alias, stages, ...)',
  properties: functionKeys,
  additionalProperties: false,
} as const;

export const serviceSettingsSchema = {
  type: 'object',
  title: 'an object of settings',
  description: 'an object of settings (type, alias, stages, ...)',
  properties: { ...functionKeys, ...serviceOnlyKeys },
  additionalProperties: false,
} as const;

/** `functions.<name>.deploymentSettings` once validated. */
export type FunctionSettingsInput = FromSchema<typeof functionSettingsSchema>;
/** `custom.deploymentSettings` once validated. */
export type ServiceSettingsInput = FromSchema<typeof serviceSettingsSchema>;
export type GeneratedAlarmInput = FromSchema<(typeof generatedAlarms)[keyof typeof generatedAlarms]>;
/** The comparison alarms (against the previous version) among the generated ones. */
export const COMPARISON_ALARMS = ['errorRateVsPrevious', 'durationVsPrevious'] as const;
export type SmokeTestInput = FromSchema<typeof smokeTestCase>;

export const FUNCTION_KEYS = Object.keys(functionKeys) as (keyof typeof functionKeys)[];
export const SERVICE_ONLY_KEYS = Object.keys(serviceOnlyKeys) as (keyof typeof serviceOnlyKeys)[];
export const GENERATED_ALARMS = Object.keys(generatedAlarms) as (keyof typeof generatedAlarms)[];
export type GeneratedAlarmKind = (typeof GENERATED_ALARMS)[number];

/**
 * The shape the framework validates. Serverless v3 validates with AJV `coerceTypes: 'array'`, which rewrites the
 * configuration in place (`stages: prod` becomes `[prod]`, `enabled: "false"` becomes `false`) before the plugin can
 * reject it. So the framework gets the keys only (no unknown key passes), and the plugin checks the values against
 * the whole schema, on a copy, without coercion.
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
