import { resolveSettings, type ShiftedFunction } from '../../../src/config/resolve';
import { ACCEPTED_TYPES } from '../../../src/config/schema';
import { ServerlessError } from '../../../src/errors';
import { service } from '../../support/service';

function errorOf(fn: () => unknown): ServerlessError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ServerlessError);
    return error as ServerlessError;
  }
  throw new Error('expected a ServerlessError');
}

describe('resolveSettings', () => {
  it('applies custom.deploymentSettings to every function, with per-function overrides', () => {
    const resolved = resolveSettings(
      service(
        { api: undefined, worker: { type: 'Linear10PercentEvery1Minute', alias: 'current' } },
        { defaults: { type: 'Canary10Percent5Minutes' } },
      ),
    );
    expect(resolved.functions).toEqual([
      expect.objectContaining({
        kind: 'shifted',
        name: 'api',
        alias: 'live',
        strategy: { kind: 'canary', percentage: 10, intervalMinutes: 5 },
      }),
      expect.objectContaining({
        kind: 'shifted',
        name: 'worker',
        alias: 'current',
        strategy: { kind: 'linear', percentage: 10, intervalMinutes: 1 },
      }),
    ]);
  });

  it('leaves functions alone when nothing configures them, or when enabled is false', () => {
    const resolved = resolveSettings(
      service({ plain: undefined, off: { type: 'AllAtOnce', enabled: false }, on: { type: 'AllAtOnce' } }),
    );
    expect(resolved.functions.map((f) => [f.name, f.kind])).toEqual([
      ['plain', 'untouched'],
      ['off', 'untouched'],
      ['on', 'shifted'],
    ]);
    expect(resolved.functions[1]).toHaveProperty('reason', 'deploymentSettings.enabled is false');
  });

  it('leaves to the defaults only what can be shifted: a function whose events cannot reach an alias is left alone, unless its own settings ask', () => {
    const description = service(
      { edge: undefined, explicit: { type: 'AllAtOnce' }, api: undefined, bad: { alias: '' } },
      { defaults: { type: 'Canary10Percent5Minutes' } },
    );
    const edge = 'Lambda@Edge (cloudFront event): CloudFront invokes a published version, never an alias';
    for (const name of ['edge', 'explicit', 'bad'])
      (description.functions[name] as { cannotShift?: string }).cannotShift = edge;
    expect(errorOf(() => resolveSettings(description)).message).toContain('functions.bad.deploymentSettings.alias');
    delete description.functions.bad;
    const resolved = resolveSettings(description);
    expect(resolved.functions.map((f) => [f.name, f.kind])).toEqual([
      ['edge', 'untouched'],
      ['explicit', 'shifted'],
      ['api', 'shifted'],
    ]);
    expect(resolved.functions[0]).toEqual({
      kind: 'untouched',
      name: 'edge',
      reason: `${edge}; custom.deploymentSettings leaves it as without the plugin`,
      cannotShift: true,
    });
  });

  it('deploys in place, through the alias, in stages not listed in stages', () => {
    const settings = { defaults: { type: 'Canary10Percent5Minutes', stages: ['prod'] } };
    const dev = resolveSettings(service({ api: undefined }, { ...settings, stage: 'dev' }))
      .functions[0] as ShiftedFunction;
    const prod = resolveSettings(service({ api: undefined }, { ...settings, stage: 'prod' }))
      .functions[0] as ShiftedFunction;
    expect(dev).toMatchObject({
      kind: 'shifted',
      strategy: { kind: 'inPlace' },
      inPlaceReason: 'stage "dev" is not in stages [prod]',
    });
    expect(prod).toMatchObject({ kind: 'shifted', strategy: { kind: 'canary' } });
    expect(prod.inPlaceReason).toBeUndefined();
  });

  it('remembers whether the user wanted old versions kept', () => {
    const resolved = resolveSettings(service({ api: { type: 'AllAtOnce' } }, { versionFunctions: false }));
    expect(resolved.functions[0]).toHaveProperty('retainVersions', false);
  });

  it('accepts role ARNs and intrinsic functions for codeDeployRole and the permissions boundary', () => {
    const resolved = resolveSettings(
      service(
        { api: { codeDeployRole: { 'Fn::GetAtt': ['MyRole', 'Arn'] } }, worker: undefined },
        {
          defaults: {
            type: 'AllAtOnce',
            codeDeployRole: 'arn:aws-us-gov:iam::123456789012:role/deployer',
            codeDeployRolePermissionsBoundary: 'arn:aws:iam::123456789012:policy/boundary',
          },
        },
      ),
    );
    expect(resolved.permissionsBoundary).toBe('arn:aws:iam::123456789012:policy/boundary');
    expect(resolved.functions[0]).toHaveProperty('codeDeployRole', { 'Fn::GetAtt': ['MyRole', 'Arn'] });
    expect(resolved.functions[1]).toHaveProperty('codeDeployRole', 'arn:aws-us-gov:iam::123456789012:role/deployer');
  });

  describe('errors say where the value was written, what is wrong with it, then what is accepted', () => {
    const TYPES = `Accepted: ${ACCEPTED_TYPES}.`;
    const ALIAS =
      'Accepted: a Lambda alias name: 1 to 128 letters, digits, "-" or "_", not only digits (default "live").';
    const STAGES = 'Accepted: a non-empty list of stage names, e.g. [prod] (default: every stage).';
    const ROLE =
      'Accepted: an IAM role ARN (arn:aws:iam::123456789012:role/name) or a CloudFormation intrinsic function such as Fn::GetAtt or Fn::ImportValue.';
    const KEYS =
      'Accepted keys: enabled, type, alias, stages, codeDeployRole, allowBypass, preTrafficHook, postTrafficHook, alarms, newVersionAlarms, autoRollback, triggerConfigurations, smokeTest, bakeTime.';
    const at = (rest: string): string =>
      `Invalid deployment setting: functions.api.deploymentSettings.${rest} [TRAFFIC_SHIFT_INVALID_SETTING]`;
    it.each([
      [
        { type: 'Canary10Percent5Minute5' },
        at(`type is "Canary10Percent5Minute5", which is not a known deployment type. ${TYPES}`),
      ],
      [
        { type: 'Canary100Percent5Minutes' },
        at(
          `type is "Canary100Percent5Minutes", which shifts 100% in one step; CodeDeploy accepts 1 to 99 percent. ${TYPES}`,
        ),
      ],
      [
        { type: 'canary10percent5minutes' },
        at(
          `type is "canary10percent5minutes", which is not a known deployment type. Did you mean "Canary10Percent5Minutes"? ${TYPES}`,
        ),
      ],
      [
        { type: 'allatonce' },
        at(`type is "allatonce", which is not a known deployment type. Did you mean "AllAtOnce"? ${TYPES}`),
      ],
      [{ type: 42 }, at(`type is 42, not a deployment type. ${TYPES}`)],
      [
        {},
        at(
          'type is missing: a shifted function needs a deployment type. Set type in functions.api.deploymentSettings or custom.deploymentSettings, ' +
            `or enabled: false in functions.api.deploymentSettings to leave the function alone. ${TYPES}`,
        ),
      ],
      [{ type: 'AllAtOnce', alias: 'live v1' }, at(`alias is "live v1", which is not a Lambda alias name. ${ALIAS}`)],
      [{ type: 'AllAtOnce', alias: '123' }, at(`alias is "123", which is not a Lambda alias name. ${ALIAS}`)],
      [
        { type: 'AllAtOnce', alias: 'a'.repeat(129) },
        at(`alias is "${'a'.repeat(56)}..., which is not a Lambda alias name. ${ALIAS}`),
      ],
      [{ type: 'AllAtOnce', stages: 'prod' }, at(`stages is "prod", not a list of stage names. ${STAGES}`)],
      [{ type: 'AllAtOnce', stages: [] }, at(`stages is an empty list. ${STAGES}`)],
      [{ type: 'AllAtOnce', stages: ['prod', 3] }, at('stages[1] is 3, not a stage name. Accepted: a stage name.')],
      [{ type: 'AllAtOnce', stages: [''] }, at('stages[0] is an empty string. Accepted: a stage name.')],
      [
        { type: 'AllAtOnce', enabled: 'no' },
        at(
          'enabled is "no", not true or false. Accepted: true or false (default true); false leaves the function as without the plugin.',
        ),
      ],
      [
        { type: 'AllAtOnce', codeDeployRole: 'deployer' },
        at(`codeDeployRole is "deployer", which is not an IAM role ARN. ${ROLE}`),
      ],
      [
        { type: 'AllAtOnce', codeDeployRole: 'arn:aws:iam::123456789012:policy/x' },
        at(`codeDeployRole is "arn:aws:iam::123456789012:policy/x", which is not an IAM role ARN. ${ROLE}`),
      ],
      [
        { type: 'AllAtOnce', codeDeployRole: { Foo: 1 } },
        at(`codeDeployRole is an object ({"Foo":1}), which is not a CloudFormation intrinsic function. ${ROLE}`),
      ],
      [
        { type: 'AllAtOnce', codeDeployRole: 7 },
        at(`codeDeployRole is 7, not an IAM role ARN or a CloudFormation intrinsic function. ${ROLE}`),
      ],
      [{ type: 'AllAtOnce', typo: 1 }, at(`typo is not a setting. Did you mean "type"? ${KEYS}`)],
      [{ type: 'AllAtOnce', Alias: 'x' }, at(`Alias is not a setting. Did you mean "alias"? ${KEYS}`)],
      [{ type: 'AllAtOnce', timeout: 3 }, at(`timeout is not a setting. ${KEYS}`)],
      [
        { type: 'AllAtOnce', codeDeployRolePermissionsBoundary: 'arn:aws:iam::aws:policy/x' },
        at(
          'codeDeployRolePermissionsBoundary applies to the whole stack, not to one function. Set it in custom.deploymentSettings.',
        ),
      ],
      [
        { type: 'AllAtOnce', alarms: [{ name: '' }] },
        at(
          'alarms[0].name is an empty string. Accepted: the name of an existing CloudWatch alarm, 1 to 255 characters.',
        ),
      ],
      [
        { type: 'AllAtOnce', alarms: [{ name: 'x', region: 'eu-west-1' }] },
        at('alarms[0].region is not a setting. Accepted keys of alarms[0]: name.'),
      ],
      [
        { type: 'AllAtOnce', newVersionAlarms: { errors: { period: 30 } } },
        at(
          'newVersionAlarms.errors.period is 30, less than 60. Accepted: seconds, a multiple of 60 (Lambda publishes its metrics once a minute), ' +
            'with period × evaluationPeriods at most one day (default 60).',
        ),
      ],
      [
        { type: 'AllAtOnce', newVersionAlarms: { errors: { period: 90 } } },
        at(
          'newVersionAlarms.errors.period is 90, not a multiple of 60. Accepted: seconds, a multiple of 60 (Lambda publishes its metrics once a minute), ' +
            'with period × evaluationPeriods at most one day (default 60).',
        ),
      ],
      [
        { type: 'AllAtOnce', newVersionAlarms: { errors: { period: 3600, evaluationPeriods: 30 } } },
        at(
          'newVersionAlarms.errors.period is 3600 with evaluationPeriods 30: 108000 seconds, more than the day CloudWatch evaluates at most. ' +
            'Accepted: period × evaluationPeriods at most 86400 seconds.',
        ),
      ],
      [
        { type: 'AllAtOnce', newVersionAlarms: { p99Duration: true } },
        at(
          'newVersionAlarms.p99Duration is true, but p99Duration has no default threshold. Say how much is too much: a threshold, e.g. p99Duration: 1000, or { threshold: 1000 }.',
        ),
      ],
      [
        { type: 'AllAtOnce', newVersionAlarms: { errorRate: 0 } },
        at(
          'newVersionAlarms.errorRate is 0, not more than 0. Accepted: a percentage of invocations above 0 and at most 100 (default 5).',
        ),
      ],
      [
        { type: 'AllAtOnce', newVersionAlarms: { latency: true } },
        at(
          'newVersionAlarms.latency is not a setting. Accepted keys of newVersionAlarms: errors, errorRate, throttles, p99Duration, errorRateVsPrevious, durationVsPrevious.',
        ),
      ],
      [
        { type: 'AllAtOnce', newVersionAlarms: 'errors' },
        at(
          'newVersionAlarms is "errors", not true or false or an object. Accepted: false (none), true (the defaults), or an object with any of errors, errorRate, throttles, p99Duration, errorRateVsPrevious, durationVsPrevious.',
        ),
      ],
      [
        { type: 'AllAtOnce', smokeTest: [] },
        at(
          'smokeTest is an empty list. Accepted: a test or a non-empty list of tests, each { name?, payload?, expect?: { statusCode?, response?, body? } }.',
        ),
      ],
      [
        { type: 'AllAtOnce', smokeTest: { expect: { statusCode: 700 } } },
        at('smokeTest.expect.statusCode is 700, more than 599. Accepted: an HTTP status code from 100 to 599.'),
      ],
      [
        'Canary10Percent5Minutes',
        'Invalid deployment settings: functions.api.deploymentSettings is "Canary10Percent5Minutes", not an object. ' +
          'Accepted: an object of settings (type, alias, stages, ...). [TRAFFIC_SHIFT_INVALID_SETTING]',
      ],
    ])('%j', (settings, message) => {
      const error = errorOf(() => resolveSettings(service({ api: settings })));
      expect(error.code).toBe('TRAFFIC_SHIFT_INVALID_SETTING');
      expect(error.message).toBe(message);
    });

    it('points at custom.deploymentSettings when the default is what is wrong', () => {
      const error = errorOf(() => resolveSettings(service({ api: undefined }, { defaults: { type: 'Sometimes' } })));
      expect(error.message).toBe(
        `Invalid deployment setting: custom.deploymentSettings.type is "Sometimes", which is not a known deployment type. ${TYPES} [TRAFFIC_SHIFT_INVALID_SETTING]`,
      );
      const boundary = errorOf(() =>
        resolveSettings(service({}, { defaults: { codeDeployRolePermissionsBoundary: 'boundary' } })),
      );
      expect(boundary.message).toBe(
        'Invalid deployment setting: custom.deploymentSettings.codeDeployRolePermissionsBoundary is "boundary", which is not an IAM policy ARN. ' +
          'Accepted: an IAM policy ARN (arn:aws:iam::123456789012:policy/name) or a CloudFormation intrinsic function such as Fn::GetAtt or Fn::ImportValue. [TRAFFIC_SHIFT_INVALID_SETTING]',
      );
      // A rule that combines a default with a function's own value names the function the default applies to.
      const combined = errorOf(() =>
        resolveSettings(
          service(
            { api: { preTrafficHook: 'check' }, check: { enabled: false } },
            { defaults: { type: 'AllAtOnce', smokeTest: { payload: {} } } },
          ),
        ),
      );
      expect(combined.message).toBe(
        'Invalid deployment setting: custom.deploymentSettings.smokeTest (as function "api" inherits it) is set together with functions.api.deploymentSettings.preTrafficHook: ' +
          'both run before traffic moves, and CodeDeploy runs one pre-traffic hook. Invoke your own checks from your hook, or drop preTrafficHook to let the plugin run the smoke tests. [TRAFFIC_SHIFT_INVALID_SETTING]',
      );
    });

    it('checks disabled functions too, so a typo never waits for the day it is enabled', () => {
      expect(() => resolveSettings(service({ api: { enabled: false, type: 'Nope' } }))).toThrow(
        'functions.api.deploymentSettings.type is "Nope", which is not a known deployment type.',
      );
      expect(() => resolveSettings(service({ api: { enabled: false, typo: 1 } }))).toThrow(
        'functions.api.deploymentSettings.typo is not a setting.',
      );
      expect(() => resolveSettings(service({ api: { enabled: false, preTrafficHook: 'nope' } }))).toThrow(
        'functions.api.deploymentSettings.preTrafficHook is "nope", which is not a function of this service.',
      );
    });

    it('refuses empty (null) settings, which YAML makes of a key with nothing under it', () => {
      expect(errorOf(() => resolveSettings(service({ api: undefined }, { defaults: null }))).message).toBe(
        'Invalid deployment settings: custom.deploymentSettings is empty (null). Give it settings (e.g. type: Canary10Percent5Minutes), ' +
          'write {} for defaults that only shift functions with a type of their own, or remove the key. [TRAFFIC_SHIFT_INVALID_SETTING]',
      );
      expect(errorOf(() => resolveSettings(service({ api: null }))).message).toBe(
        'Invalid deployment settings: functions.api.deploymentSettings is empty (null). Give it settings (e.g. type: Canary10Percent5Minutes), ' +
          'write {} for the defaults alone, or remove the key. [TRAFFIC_SHIFT_INVALID_SETTING]',
      );
    });
  });

  describe('rules that combine keys', () => {
    it('leaves a function with enabled: false alone without asking for a type', () => {
      const resolved = resolveSettings(service({ api: { enabled: false }, worker: { type: 'AllAtOnce' } }));
      expect(resolved.functions.map((f) => [f.name, f.kind])).toEqual([
        ['api', 'untouched'],
        ['worker', 'shifted'],
      ]);
    });

    it('exempts a function the defaults name as a hook from those defaults, and says so', () => {
      const resolved = resolveSettings(
        service(
          { api: undefined, worker: undefined, checks: undefined },
          { defaults: { type: 'Canary10Percent5Minutes', preTrafficHook: 'checks' } },
        ),
      );
      expect(resolved.functions.map((f) => [f.name, f.kind])).toEqual([
        ['api', 'shifted'],
        ['worker', 'shifted'],
        ['checks', 'untouched'],
      ]);
      expect(resolved.functions[2]).toEqual({
        kind: 'untouched',
        name: 'checks',
        reason:
          'pre-traffic hook of api, pre-traffic hook of worker; hooks are never shifted, and custom.deploymentSettings.preTrafficHook names it, so those defaults do not apply to it',
        hook: true,
      });
      // Every other function overrides the hook: the function is still not covered by the defaults that name it.
      const alone = resolveSettings(
        service(
          { api: { preTrafficHook: 'other', postTrafficHook: 'other' }, other: { enabled: false }, checks: undefined },
          { defaults: { type: 'AllAtOnce', preTrafficHook: 'checks', postTrafficHook: 'checks' } },
        ),
      );
      expect(alone.functions[2]).toEqual({
        kind: 'untouched',
        name: 'checks',
        reason:
          'custom.deploymentSettings.preTrafficHook and .postTrafficHook name it, so those defaults do not apply to it',
        hook: true,
      });
    });

    it('still refuses a function whose own settings name itself as its hook', () => {
      expect(
        errorOf(() => resolveSettings(service({ api: { type: 'AllAtOnce', postTrafficHook: 'api' } }))).message,
      ).toBe(
        'Invalid deployment setting: functions.api.deploymentSettings.postTrafficHook names "api" itself: a hook checks the new version of the function it belongs to, ' +
          'so it cannot be that function. Name another function of the service, or an existing function by ARN. [TRAFFIC_SHIFT_INVALID_SETTING]',
      );
    });

    it('refuses a hook ARN in another region or account than the stack, naming both', () => {
      const description = (hook: string) => ({
        ...service({ api: { type: 'AllAtOnce', preTrafficHook: hook } }),
        region: 'eu-west-1',
        accountId: '123456789012',
      });
      expect(
        errorOf(() => resolveSettings(description('arn:aws:lambda:us-east-1:123456789012:function:checks'))).message,
      ).toBe(
        "Invalid deployment setting: functions.api.deploymentSettings.preTrafficHook names a function in region us-east-1, not the stack's eu-west-1: " +
          "CodeDeploy calls a hook by name in the stack's own account and region, so it would call another function or none. " +
          'Name a function of this service, or of the same account and region; a check elsewhere can be called from such a hook. [TRAFFIC_SHIFT_INVALID_SETTING]',
      );
      expect(
        errorOf(() => resolveSettings(description('arn:aws:lambda:us-east-1:210987654321:function:checks'))).message,
      ).toContain(
        "names a function in region us-east-1, not the stack's eu-west-1 and account 210987654321, not the stack's 123456789012:",
      );
      const same = resolveSettings(description('arn:aws:lambda:eu-west-1:123456789012:function:checks:live'));
      expect((same.functions[0] as ShiftedFunction).health.preTrafficHook).toEqual({
        kind: 'arn',
        arn: 'arn:aws:lambda:eu-west-1:123456789012:function:checks:live',
        functionName: 'checks:live',
      });
      // The account unknown (sls package asks AWS nothing): only the region is compared.
      const { accountId: _unknown, ...packageOnly } = description(
        'arn:aws:lambda:eu-west-1:210987654321:function:checks',
      );
      expect(resolveSettings(packageOnly).functions[0]).toHaveProperty('kind', 'shifted');
    });
  });

  describe('callers', () => {
    it('leaves alone a function a permission lets a caller outside the stack invoke, when only the defaults cover it', () => {
      const description = service(
        { receiver: undefined, explicit: { type: 'AllAtOnce' } },
        { defaults: { type: 'Canary10Percent5Minutes', alias: 'current' } },
      );
      for (const name of ['receiver', 'explicit'])
        Object.assign(description.functions[name] as object, {
          outsideCallers: [{ logicalId: 'SesInvokePermission', principal: 'ses.amazonaws.com' }],
          deployedName: `svc-dev-${name}`,
        });
      const resolved = resolveSettings({ ...description, region: 'eu-west-1' });
      expect(resolved.functions[0]).toEqual({
        kind: 'untouched',
        name: 'receiver',
        reason:
          'permission SesInvokePermission (ses.amazonaws.com) in resources let a caller configured outside the stack invoke the function itself, and the plugin cannot point that caller at the alias. ' +
          "To shift it, point the caller at arn:aws:lambda:eu-west-1:<account>:function:svc-dev-receiver:current and the permission's FunctionName at the alias (Ref: ReceiverTrafficShiftAlias), " +
          'then give the function deploymentSettings of its own; custom.deploymentSettings leaves it as without the plugin',
        cannotShift: true,
      });
      // Its own settings ask for a shift: it is shifted, and the bypass check names the permission.
      expect(resolved.functions[1]).toHaveProperty('kind', 'shifted');
    });

    it('notes a function whose events run it less often than the alarms watch, or not at all', () => {
      const description = service(
        { nightly: undefined, idle: undefined, busy: undefined, smoked: { smokeTest: { payload: {} } } },
        { defaults: { type: 'Canary10Percent5Minutes' } },
      );
      const traffic = {
        nightly: { kind: 'schedules', everyMinutes: 1440, expression: 'cron(0 3 * * ? *)' },
        idle: { kind: 'none' },
        busy: { kind: 'schedules', everyMinutes: 1, expression: 'rate(1 minute)' },
        smoked: { kind: 'none' },
      } as const;
      for (const [name, facts] of Object.entries(traffic))
        (description.functions[name] as { traffic?: unknown }).traffic = facts;
      const notes = resolveSettings(description).functions.map((f) => (f as ShiftedFunction).notes);
      expect(notes).toEqual([
        [
          'nightly runs only on cron(0 3 * * ? *), at most once every 1440 minutes, and the alarms watch the new version for 5: ' +
            'they will likely see no invocation of it before it takes all traffic; add smokeTest (or a preTrafficHook) to invoke the new version before traffic moves',
        ],
        [
          'no event in serverless.yml invokes idle: unless other code calls it in the 5 minutes the alarms watch, they see no invocation of the new version ' +
            'before it takes all traffic; add smokeTest (or a preTrafficHook) to invoke the new version before traffic moves',
        ],
        undefined,
        undefined,
      ]);
    });
  });
});
