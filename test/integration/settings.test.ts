/**
 * Settings as users write them, through the real `serverless package`: one service (fixture `settings`) varied per
 * case. Each invalid case stops the packaging with the plugin's coded error — its exact message: where the value was
 * written, what is wrong with it, then what is accepted or what to do, and the code — before any template is
 * written. The accepted cases package, and say what they did in the build's output and the plan.
 *
 * Cases whose value the framework's own schema check would reject first (unknown keys) use
 * `configValidationMode: warn`, the framework's default, so it is the plugin's own check that has to stop them.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { ACCEPTED_TYPES } from '../../src/config/schema';
import {
  idsOfType,
  inParallel,
  packageVariant,
  PLUGIN,
  REPO_ROOT,
  spawnVariant,
  type CfnTemplate,
  type Changes,
  type Written as Spawned,
} from './helpers';

// The class the plugin throws, from the build the fixtures load (the framework runs in this test's module registry).
const { ServerlessError: PluginError } = require(path.join(REPO_ROOT, 'dist', 'errors')) as {
  ServerlessError: abstract new (...args: never[]) => Error;
};

const FIXTURE = 'settings';
/** docs/configuration.md, line by line: its examples are what these cases print. */
const DOCS = readFileSync(path.join(REPO_ROOT, 'docs', 'configuration.md'), 'utf8').split('\n');
const API = 'functions.api.deploymentSettings';
const invalid = (text: string): string => `Invalid deployment setting: ${text} [TRAFFIC_SHIFT_INVALID_SETTING]`;
const TYPES = `Accepted: ${ACCEPTED_TYPES}.`;
const TEN_NAMES = Array.from({ length: 10 }, (_, i) => ({ name: `existing-alarm-${i + 1}` }));
const ALARM_IDS =
  'Accepted: logical ids of AWS::CloudWatch::Alarm or AWS::CloudWatch::CompositeAlarm resources in the compiled template, or { name: <alarm name> } for an alarm outside the stack.';
const ERRORS_ALARM = {
  Type: 'AWS::CloudWatch::Alarm',
  Properties: {
    Namespace: 'AWS/Lambda',
    MetricName: 'Errors',
    Dimensions: [{ Name: 'FunctionName', Value: { Ref: 'ApiLambdaFunction' } }],
    Statistic: 'Sum',
    Period: 60,
    EvaluationPeriods: 1,
    Threshold: 1,
    ComparisonOperator: 'GreaterThanOrEqualToThreshold',
  },
};

interface ErrorCase {
  what: string;
  changes: Changes;
  message: string;
  code?: string;
  /** docs/configuration.md shows the message, as it is. */
  documented?: true;
}

const ERRORS: ErrorCase[] = [
  {
    what: 'an unknown type',
    changes: { [`${API}.type`]: 'Canary10PercentSometimes' },
    message: invalid(`${API}.type is "Canary10PercentSometimes", which is not a known deployment type. ${TYPES}`),
  },
  {
    what: 'a type whose case is off',
    documented: true,
    changes: { [`${API}.type`]: 'canary10Percent5Minutes' },
    message: invalid(
      `${API}.type is "canary10Percent5Minutes", which is not a known deployment type. Did you mean "Canary10Percent5Minutes"? ${TYPES}`,
    ),
  },
  {
    what: 'a custom canary of 100%',
    changes: { [`${API}.type`]: 'Canary100Percent5Minutes' },
    message: invalid(
      `${API}.type is "Canary100Percent5Minutes", which shifts 100% in one step; CodeDeploy accepts 1 to 99 percent. ${TYPES}`,
    ),
  },
  {
    what: 'a custom linear lasting 2970 minutes',
    changes: { [`${API}.type`]: 'Linear1PercentEvery30Minutes' },
    message: invalid(
      `${API}.type is "Linear1PercentEvery30Minutes", which takes 2970 minutes from the first to the last shift; CodeDeploy allows at most 2880. ${TYPES}`,
    ),
  },
  {
    what: 'an alias name with a space',
    changes: { [`${API}.alias`]: 'live v1' },
    message: invalid(
      `${API}.alias is "live v1", which is not a Lambda alias name. Accepted: a Lambda alias name: 1 to 128 letters, digits, "-" or "_", not only digits (default "live").`,
    ),
  },
  {
    what: 'stages written as a string (the framework would have made it a list)',
    changes: { [`${API}.stages`]: 'prod' },
    message: invalid(
      `${API}.stages is "prod", not a list of stage names. Accepted: a non-empty list of stage names, e.g. [prod] (default: every stage).`,
    ),
  },
  {
    what: 'a misspelt key',
    documented: true,
    changes: { configValidationMode: 'warn', [`${API}.alais`]: 'live' },
    message: invalid(
      `${API}.alais is not a setting. Did you mean "alias"? Accepted keys: enabled, type, alias, stages, codeDeployRole, allowBypass, preTrafficHook, postTrafficHook, alarms, newVersionAlarms, autoRollback, triggerConfigurations, smokeTest, bakeTime.`,
    ),
  },
  {
    what: 'a policy ARN as codeDeployRole',
    changes: { [`${API}.codeDeployRole`]: 'arn:aws:iam::123456789012:policy/not-a-role' },
    message: invalid(
      `${API}.codeDeployRole is "arn:aws:iam::123456789012:policy/not-a-role", which is not an IAM role ARN. ` +
        'Accepted: an IAM role ARN (arn:aws:iam::123456789012:role/name) or a CloudFormation intrinsic function such as Fn::GetAtt or Fn::ImportValue.',
    ),
  },
  {
    what: 'a permissions boundary set on a function',
    changes: {
      configValidationMode: 'warn',
      [`${API}.codeDeployRolePermissionsBoundary`]: 'arn:aws:iam::123456789012:policy/boundary',
    },
    message: invalid(
      `${API}.codeDeployRolePermissionsBoundary applies to the whole stack, not to one function. Set it in custom.deploymentSettings.`,
    ),
  },
  {
    what: 'custom.deploymentSettings with nothing under it',
    changes: { 'custom.deploymentSettings': null },
    message:
      'Invalid deployment settings: custom.deploymentSettings is empty (null). Give it settings (e.g. type: Canary10Percent5Minutes), ' +
      'write {} for defaults that only shift functions with a type of their own, or remove the key. [TRAFFIC_SHIFT_INVALID_SETTING]',
  },
  {
    what: 'an alarm id that is not in the template (one letter off)',
    changes: { [`${API}.alarms`]: ['ApiErrorAlarm'], 'resources.Resources.ApiErrorsAlarm': ERRORS_ALARM },
    message: invalid(
      `${API}.alarms names ApiErrorAlarm, which no resource of the compiled template has. Did you mean "ApiErrorsAlarm"? ${ALARM_IDS}`,
    ),
  },
  {
    what: 'an alarm id of the defaults that is not in the template',
    documented: true,
    changes: {
      'custom.deploymentSettings': { type: 'Canary10Percent5Minutes', alarms: ['TeamAlarm'] },
      [`${API}.type`]: undefined,
    },
    message: invalid(
      `custom.deploymentSettings.alarms (as function "api" inherits it) names TeamAlarm, which no resource of the compiled template has. ${ALARM_IDS}`,
    ),
  },
  {
    what: 'an empty alarm name',
    changes: { [`${API}.alarms`]: [{ name: '' }] },
    message: invalid(
      `${API}.alarms[0].name is an empty string. Accepted: the name of an existing CloudWatch alarm, 1 to 255 characters.`,
    ),
  },
  {
    what: '11 alarms on one deployment group (10 named and the generated one)',
    changes: { [`${API}.alarms`]: TEN_NAMES },
    message: invalid(
      `${API}.alarms lists 10 alarms (${TEN_NAMES.map((a) => a.name).join(', ')}), and with the 1 generated by newVersionAlarms (ApiTrafficShiftErrorsAlarm) ` +
        'the deployment group would watch 11, more than the 10 CodeDeploy lets a deployment group watch. ' +
        'Remove some, combine several into one composite alarm, or turn generated ones off in newVersionAlarms.',
    ),
  },
  {
    what: '11 named alarms with the generated ones off',
    changes: {
      [`${API}.alarms`]: [...TEN_NAMES, { name: 'existing-alarm-11' }],
      [`${API}.newVersionAlarms`]: false,
    },
    message: invalid(
      `${API}.alarms lists 11 alarms (${[...TEN_NAMES.map((a) => a.name), 'existing-alarm-11'].join(', ')}), ` +
        'more than the 10 CodeDeploy lets a deployment group watch. Remove 1, or combine several into one composite alarm.',
    ),
  },
  {
    what: 'a generated alarm period under a minute',
    changes: { [`${API}.newVersionAlarms`]: { errors: { period: 30 } } },
    message: invalid(
      `${API}.newVersionAlarms.errors.period is 30, less than 60. Accepted: seconds, a multiple of 60 (Lambda publishes its metrics once a minute), ` +
        'with period × evaluationPeriods at most one day (default 60).',
    ),
  },
  {
    what: 'one bad trigger event among good ones',
    changes: {
      [`${API}.triggerConfigurations`]: [
        {
          TriggerName: 'deploys',
          TriggerTargetArn: 'arn:aws:sns:us-east-1:123456789012:deploys',
          TriggerEvents: ['DeploymentStart', 'DeploymentFailed'],
        },
      ],
    },
    message: invalid(
      `${API}.triggerConfigurations[0].TriggerEvents[1] is "DeploymentFailed", which is not a CodeDeploy trigger event. Did you mean "DeploymentFailure"? ` +
        'Accepted: one of DeploymentStart, DeploymentSuccess, DeploymentFailure, DeploymentStop, DeploymentRollback, DeploymentReady, InstanceStart, InstanceSuccess, InstanceFailure, InstanceReady.',
    ),
  },
  {
    what: 'smokeTest together with preTrafficHook',
    changes: { [`${API}.preTrafficHook`]: 'check', [`${API}.smokeTest`]: { payload: { source: 'smoke' } } },
    message: invalid(
      `${API}.smokeTest is set together with ${API}.preTrafficHook: both run before traffic moves, and CodeDeploy runs one pre-traffic hook. ` +
        'Invoke your own checks from your hook, or drop preTrafficHook to let the plugin run the smoke tests.',
    ),
  },
  {
    what: 'bakeTime 56',
    changes: { [`${API}.bakeTime`]: 56 },
    message: invalid(
      `${API}.bakeTime is 56, more than 55. Accepted: whole minutes from 1 to 55 (CodeDeploy fails a hook that does not report within an hour).`,
    ),
  },
  {
    what: "a hook ARN in another region than the stack's",
    changes: { [`${API}.postTrafficHook`]: 'arn:aws:lambda:eu-west-1:123456789012:function:checks' },
    message: invalid(
      `${API}.postTrafficHook names a function in region eu-west-1, not the stack's us-east-1: CodeDeploy calls a hook by name in the stack's own account and region, ` +
        'so it would call another function or none. Name a function of this service, or of the same account and region; a check elsewhere can be called from such a hook.',
    ),
  },
  {
    what: 'allowBypass of the defaults naming a resource that is not in the template',
    changes: {
      'custom.deploymentSettings': { type: 'Canary10Percent5Minutes', allowBypass: ['LegacyRule'] },
      [`${API}.type`]: undefined,
    },
    message: invalid(
      'custom.deploymentSettings.allowBypass (as function "api" inherits it) names LegacyRule, which the compiled template does not contain. ' +
        'List logical ids of resources in the compiled template, or remove the entry.',
    ),
  },
  {
    what: 'an alias of the function in resources with the name the plugin gives its own',
    changes: {
      'resources.Resources.ApiLiveAlias': {
        Type: 'AWS::Lambda::Alias',
        Properties: { FunctionName: { Ref: 'ApiLambdaFunction' }, FunctionVersion: '$LATEST', Name: 'live' },
      },
    },
    code: 'TRAFFIC_SHIFT_ALIAS_NAME_TAKEN',
    message:
      'Function "api": the template already has an alias named "live" of it, ApiLiveAlias (from resources: or another plugin), ' +
      'and serverless-traffic-shift adds its own alias of that name (deploymentSettings.alias). Lambda allows one alias of a name ' +
      "per function, so CloudFormation could not create both. Remove ApiLiveAlias from the template and refer to the plugin's " +
      'alias as ApiTrafficShiftAlias (if ApiLiveAlias is deployed, the next deploy keeps it, with its logical id and ARN, as the ' +
      "plugin's alias), or set deploymentSettings.alias to another name. [TRAFFIC_SHIFT_ALIAS_NAME_TAKEN]",
  },
  {
    what: 'serverless-plugin-canary-deployments listed after it',
    changes: { plugins: [PLUGIN, 'serverless-plugin-canary-deployments'] },
    code: 'TRAFFIC_SHIFT_PLUGIN_CONFLICT',
    message:
      'serverless-plugin-canary-deployments and serverless-traffic-shift are both in plugins: both read custom.deploymentSettings and functions.<name>.deploymentSettings, ' +
      'and each would add its own aliases and deployment groups to every function. serverless-traffic-shift replaces it: remove it from plugins ' +
      '(see "Migrating from serverless-plugin-canary-deployments", docs/migrating.md). [TRAFFIC_SHIFT_PLUGIN_CONFLICT]',
  },
  {
    what: 'serverless-plugin-canary-deployments listed before it',
    changes: { plugins: ['serverless-plugin-canary-deployments', PLUGIN] },
    code: 'TRAFFIC_SHIFT_PLUGIN_CONFLICT',
    message:
      'serverless-plugin-canary-deployments and serverless-traffic-shift are both in plugins: both read custom.deploymentSettings and functions.<name>.deploymentSettings, ' +
      'and each would add its own aliases and deployment groups to every function. serverless-traffic-shift replaces it: remove it from plugins ' +
      '(see "Migrating from serverless-plugin-canary-deployments", docs/migrating.md). [TRAFFIC_SHIFT_PLUGIN_CONFLICT]',
  },
  {
    what: 'the plugin listed twice, under two paths',
    changes: { plugins: [PLUGIN, path.join(REPO_ROOT, 'dist', 'index.js')] },
    code: 'TRAFFIC_SHIFT_PLUGIN_CONFLICT',
    message:
      'serverless-traffic-shift is listed twice in plugins (perhaps under two names or paths): each copy would add its own aliases and deployment groups. Keep one. [TRAFFIC_SHIFT_PLUGIN_CONFLICT]',
  },
];

describe('invalid settings stop `serverless package` with the exact message, and no template is written', () => {
  it.each(ERRORS.map((c) => [c.what, c] as const))('%s', async (_what, { changes, message, code }) => {
    const { error, templateWritten } = await packageVariant(FIXTURE, changes);
    expect(error).toBeInstanceOf(PluginError);
    expect(error?.name).toBe('ServerlessError');
    expect(error?.code).toBe(code ?? 'TRAFFIC_SHIFT_INVALID_SETTING');
    expect(error?.message).toBe(message);
    expect(templateWritten).toBe(false);
  });
});

describe('the docs', () => {
  it('show these messages exactly as the build prints them', () => {
    const shown = ERRORS.filter((c) => c.documented);
    expect(shown).toHaveLength(3);
    for (const { message } of shown) expect(DOCS).toContain(message);
  });
});

/** What `serverless package` prints, without the framework's timing and colour. */
const lines = (run: Spawned): string[] => `${run.stdout}\n${run.stderr}`.split('\n').map((l) => l.trimEnd());

describe('accepted settings package, and the output says what they did', () => {
  const SES_PERMISSION = {
    Type: 'AWS::Lambda::Permission',
    Properties: {
      FunctionName: { 'Fn::GetAtt': ['ReceiverLambdaFunction', 'Arn'] },
      Action: 'lambda:InvokeFunction',
      Principal: 'ses.amazonaws.com',
      SourceAccount: { Ref: 'AWS::AccountId' },
    },
  };
  const DEFAULTS_ONLY = { [`${API}.type`]: undefined, 'functions.worker.deploymentSettings': undefined };
  const VARIANTS: Record<string, { changes: Changes; args: string[] }> = {
    // The error as the framework prints it: the code is in the text.
    unknownType: { changes: { [`${API}.type`]: 'Canary10PercentSometimes' }, args: ['package'] },
    disabledWithoutType: {
      changes: { 'functions.check.deploymentSettings': { enabled: false } },
      args: ['package'],
    },
    serviceWideHook: {
      changes: {
        ...DEFAULTS_ONLY,
        'custom.deploymentSettings': { type: 'Canary10Percent5Minutes', preTrafficHook: 'check' },
      },
      args: ['package'],
    },
    sesDefaultsOnly: {
      changes: {
        ...DEFAULTS_ONLY,
        'custom.deploymentSettings': { type: 'Canary10Percent5Minutes' },
        'functions.check.deploymentSettings': { enabled: false },
        'functions.receiver': { handler: 'bootstrap' },
        'resources.Resources.SesInvokePermission': SES_PERMISSION,
      },
      args: ['package'],
    },
    sesOwnSettings: {
      changes: {
        'functions.receiver': { handler: 'bootstrap', deploymentSettings: { type: 'Canary10Percent5Minutes' } },
        'resources.Resources.SesInvokePermission': SES_PERMISSION,
      },
      args: ['package'],
    },
    quietFunctions: {
      changes: {
        'functions.nightly': {
          handler: 'bootstrap',
          events: [{ schedule: 'cron(0 3 * * ? *)' }],
          deploymentSettings: { type: 'Canary10Percent10Minutes' },
        },
        'functions.check.deploymentSettings': { type: 'Linear10PercentEvery1Minute' },
      },
      args: ['traffic', 'plan'],
    },
  };
  const runs: Record<string, Spawned> = {};

  beforeAll(async () => {
    const names = Object.keys(VARIANTS);
    const results = await inParallel(
      names.map((name) => () => spawnVariant(FIXTURE, VARIANTS[name]!.changes, VARIANTS[name]!.args)),
      2,
    );
    names.forEach((name, i) => (runs[name] = results[i] as Spawned));
  }, 240_000);

  const template = (name: string): CfnTemplate => {
    const run = runs[name] as Spawned;
    if (run.exitCode !== 0 || !run.template)
      throw new Error(`${name} exited with ${run.exitCode}:\n${run.stdout}\n${run.stderr}`);
    return run.template;
  };

  it('prints the error with its code, exits non-zero and writes no template', () => {
    const run = runs.unknownType as Spawned;
    expect(run.exitCode).not.toBe(0);
    expect(`${run.stdout}\n${run.stderr}`).toContain(
      invalid(`${API}.type is "Canary10PercentSometimes", which is not a known deployment type. ${TYPES}`),
    );
    expect(run.template).toBeUndefined();
  });

  it('leaves a function with only enabled: false alone, without asking for a type', () => {
    expect(idsOfType(template('disabledWithoutType'), 'AWS::Lambda::Alias')).toEqual([
      'ApiTrafficShiftAlias',
      'WorkerTrafficShiftAlias',
    ]);
    expect(lines(runs.disabledWithoutType as Spawned)).toContain(
      '  check: not managed (deploymentSettings.enabled is false)',
    );
  });

  it('takes a pre-traffic hook named in custom.deploymentSettings for every function but the hook itself', () => {
    const out = template('serviceWideHook');
    expect(idsOfType(out, 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias', 'WorkerTrafficShiftAlias']);
    for (const alias of ['ApiTrafficShiftAlias', 'WorkerTrafficShiftAlias'])
      expect(out.Resources[alias]?.UpdatePolicy).toEqual({
        CodeDeployLambdaAliasUpdate: expect.objectContaining({
          BeforeAllowTrafficHook: { Ref: 'CheckLambdaFunction' },
        }),
      });
    expect(lines(runs.serviceWideHook as Spawned)).toContain(
      '  check: not managed (pre-traffic hook of api, pre-traffic hook of worker; hooks are never shifted, and custom.deploymentSettings.preTrafficHook names it, so those defaults do not apply to it)',
    );
  });

  it('deploys unshifted, with a warning, a function covered by the defaults only that a caller outside the stack invokes through a permission of resources', () => {
    const out = template('sesDefaultsOnly');
    expect(idsOfType(out, 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias', 'WorkerTrafficShiftAlias']);
    expect(out.Resources.SesInvokePermission).toEqual(SES_PERMISSION);
    const warning =
      'serverless-traffic-shift: receiver is not shifted: permission SesInvokePermission (ses.amazonaws.com) in resources let a caller configured outside the stack invoke the function itself, ' +
      'and the plugin cannot point that caller at the alias. To shift it, point the caller at arn:aws:lambda:us-east-1:<account>:function:ts-settings-dev-receiver:live ' +
      "and the permission's FunctionName at the alias (Ref: ReceiverTrafficShiftAlias), then give the function deploymentSettings of its own; custom.deploymentSettings leaves it as without the plugin.";
    expect(lines(runs.sesDefaultsOnly as Spawned)).toContain(`Warning: ${warning}`);
    expect(DOCS).toContain(warning.replace('serverless-traffic-shift: ', ''));
  });

  it("still stops the build when the function's own settings ask for a shift, naming the permission", () => {
    const run = runs.sesOwnSettings as Spawned;
    expect(run.exitCode).not.toBe(0);
    expect(run.template).toBeUndefined();
    expect(`${run.stdout}\n${run.stderr}`).toContain(
      '  - SesInvokePermission (AWS::Lambda::Permission) at Properties.FunctionName invokes function "receiver" without its alias',
    );
  });

  it('notes in the plan the functions whose events cannot feed the alarms, suggesting smokeTest', () => {
    const plan = lines(runs.quietFunctions as Spawned);
    expect(plan).toContain(
      '  note         nightly runs only on cron(0 3 * * ? *), at most once every 1440 minutes, and the alarms watch the new version for 10: ' +
        'they will likely see no invocation of it before it takes all traffic; add smokeTest (or a preTrafficHook) to invoke the new version before traffic moves',
    );
    expect(plan).toContain(
      '  note         no event in serverless.yml invokes check: unless other code calls it in the 9 minutes the alarms watch, ' +
        'they see no invocation of the new version before it takes all traffic; add smokeTest (or a preTrafficHook) to invoke the new version before traffic moves',
    );
    expect(plan.filter((line) => line.startsWith('  note'))).toHaveLength(2);
    expect(DOCS).toContain(plan.find((line) => line.startsWith('  note         nightly')));
  });
});
