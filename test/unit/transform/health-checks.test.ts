import { resolveSettings } from '../../../src/config/resolve';
import { applyTrafficShift } from '../../../src/transform';
import type { CfnResource, CfnTemplate } from '../../../src/types/cloudformation';
import { trafficHookCode } from '../../../src/lambda/inline-code';
import { loadInlineHook } from '../../support/hook-code';
import { compiledTemplate, describeFunction } from '../../support/service';

function build(functions: Record<string, unknown>, template: CfnTemplate, defaults?: unknown) {
  const settings = resolveSettings({
    stage: 'prod',
    versionFunctions: true,
    defaults,
    functions: Object.fromEntries(Object.entries(functions).map(([name, s]) => [name, describeFunction(name, s)])),
  });
  return applyTrafficShift(settings, template);
}

const groupArn = (group: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:codedeploy:\${AWS::Region}:\${AWS::AccountId}:deploymentgroup:\${TrafficShiftApplication}/\${${group}}`,
});
const newVersionDimensions = [
  { Name: 'FunctionName', Value: { Ref: 'ApiLambdaFunction' } },
  { Name: 'Resource', Value: { 'Fn::Join': [':', [{ Ref: 'ApiLambdaFunction' }, 'live']] } },
  { Name: 'ExecutedVersion', Value: { 'Fn::GetAtt': ['ApiLambdaVersionAbc123', 'Version'] } },
];

describe('alarms', () => {
  it('watches errors of the new version by default, and rolls back when it fires', () => {
    const { template, plan } = build({ api: { type: 'Canary10Percent5Minutes' } }, compiledTemplate(['api']));
    expect(template.Resources.ApiTrafficShiftErrorsAlarm).toEqual({
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription:
          'serverless-traffic-shift: rolls back function api (alias live) on any error during a rollout',
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Dimensions: newVersionDimensions,
        Period: 60,
        EvaluationPeriods: 1,
        Statistic: 'Sum',
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
      },
    });
    const group = template.Resources.ApiTrafficShiftDeploymentGroup?.Properties;
    expect(group?.AlarmConfiguration).toEqual({
      Enabled: true,
      IgnorePollAlarmFailure: false,
      Alarms: [{ Name: { Ref: 'ApiTrafficShiftErrorsAlarm' } }],
    });
    expect(group?.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
    expect(plan.functions[0]?.alarms).toEqual(['errors: any error in 60s']);
  });

  it('adds the optional alarms with their thresholds, and never refers to the alias (no cycle)', () => {
    const { template } = build(
      {
        api: {
          type: 'Canary10Percent5Minutes',
          newVersionAlarms: {
            errors: { threshold: 3, evaluationPeriods: 2, period: 120 },
            errorRate: 2.5,
            throttles: true,
            p99Duration: 1200,
          },
        },
      },
      compiledTemplate(['api']),
    );
    const r = template.Resources;
    expect(r.ApiTrafficShiftErrorsAlarm?.Properties).toMatchObject({ Threshold: 3, EvaluationPeriods: 2, Period: 120 });
    expect(r.ApiTrafficShiftErrorRateAlarm?.Properties).toMatchObject({
      Threshold: 2.5,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      Metrics: [
        {
          Id: 'errors',
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Errors', Dimensions: newVersionDimensions },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        {
          Id: 'invocations',
          MetricStat: {
            Metric: { Namespace: 'AWS/Lambda', MetricName: 'Invocations', Dimensions: newVersionDimensions },
            Period: 60,
            Stat: 'Sum',
          },
          ReturnData: false,
        },
        { Id: 'errorRate', Expression: 'IF(invocations > 0, 100 * errors / invocations, 0)', ReturnData: true },
      ],
    });
    expect(r.ApiTrafficShiftErrorRateAlarm?.Properties?.Period).toBeUndefined();
    expect(r.ApiTrafficShiftThrottlesAlarm?.Properties).toMatchObject({
      MetricName: 'Throttles',
      Dimensions: newVersionDimensions.slice(0, 2),
      Threshold: 1,
    });
    expect(r.ApiTrafficShiftP99DurationAlarm?.Properties).toMatchObject({
      MetricName: 'Duration',
      ExtendedStatistic: 'p99',
      Threshold: 1200,
      ComparisonOperator: 'GreaterThanThreshold',
    });
    for (const id of [
      'ApiTrafficShiftErrorsAlarm',
      'ApiTrafficShiftErrorRateAlarm',
      'ApiTrafficShiftThrottlesAlarm',
      'ApiTrafficShiftP99DurationAlarm',
    ]) {
      expect(JSON.stringify(r[id])).not.toContain('TrafficShiftAlias');
    }
    expect(
      (r.ApiTrafficShiftDeploymentGroup?.Properties?.AlarmConfiguration as { Alarms: unknown[] }).Alarms,
    ).toHaveLength(4);
  });

  it('takes the user alarms by logical id (Ref) or existing name, and checks the ids', () => {
    const template = compiledTemplate(['api']);
    template.Resources.ApiErrorsAlarm = { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors' } };
    template.Resources.NotAnAlarm = { Type: 'AWS::SNS::Topic' };
    const { template: out } = build(
      {
        api: {
          type: 'Canary10Percent5Minutes',
          newVersionAlarms: false,
          alarms: ['ApiErrorsAlarm', { name: 'team-wide-5xx' }],
        },
      },
      template,
    );
    expect(out.Resources.ApiTrafficShiftDeploymentGroup?.Properties?.AlarmConfiguration).toEqual({
      Enabled: true,
      IgnorePollAlarmFailure: false,
      Alarms: [{ Name: { Ref: 'ApiErrorsAlarm' } }, { Name: 'team-wide-5xx' }],
    });
    const accepted =
      'Accepted: logical ids of AWS::CloudWatch::Alarm or AWS::CloudWatch::CompositeAlarm resources in the compiled template, or { name: <alarm name> } for an alarm outside the stack.';
    expect(() => build({ api: { type: 'AllAtOnce', alarms: ['ApiErrorAlarm'] } }, template)).toThrow(
      `Invalid deployment setting: functions.api.deploymentSettings.alarms names ApiErrorAlarm, which no resource of the compiled template has. Did you mean "ApiErrorsAlarm"? ${accepted} [TRAFFIC_SHIFT_INVALID_SETTING]`,
    );
    expect(() => build({ api: { type: 'AllAtOnce', alarms: ['NotAnAlarm'] } }, template)).toThrow(
      `Invalid deployment setting: functions.api.deploymentSettings.alarms names NotAnAlarm, which is an AWS::SNS::Topic, not an alarm. ${accepted} [TRAFFIC_SHIFT_INVALID_SETTING]`,
    );
    // Written in the defaults: the message points there, and names the function it was checked for.
    expect(() => build({ api: undefined }, template, { type: 'AllAtOnce', alarms: ['Missing'] })).toThrow(
      `Invalid deployment setting: custom.deploymentSettings.alarms (as function "api" inherits it) names Missing, which no resource of the compiled template has. ${accepted} [TRAFFIC_SHIFT_INVALID_SETTING]`,
    );
  });

  it('writes AlarmConfiguration Enabled false when every alarm is removed, so AWS forgets the old ones', () => {
    const { template } = build({ api: { type: 'AllAtOnce', newVersionAlarms: false } }, compiledTemplate(['api']));
    expect(template.Resources.ApiTrafficShiftDeploymentGroup?.Properties?.AlarmConfiguration).toEqual({
      Enabled: false,
    });
    expect(template.Resources.ApiTrafficShiftDeploymentGroup?.Properties?.AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
  });

  it('refuses more than ten alarms, saying how many and which', () => {
    const template = compiledTemplate(['api']);
    const ids = Array.from({ length: 10 }, (_, i) => `Alarm${i}`);
    for (const id of ids) template.Resources[id] = { Type: 'AWS::CloudWatch::Alarm' };
    expect(() => build({ api: { type: 'AllAtOnce', alarms: ids } }, template)).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.alarms lists 10 alarms (Alarm0, Alarm1, Alarm2, Alarm3, Alarm4, Alarm5, Alarm6, Alarm7, Alarm8, Alarm9), ' +
        'and with the 1 generated by newVersionAlarms (ApiTrafficShiftErrorsAlarm) the deployment group would watch 11, more than the 10 CodeDeploy lets a deployment group watch. ' +
        'Remove some, combine several into one composite alarm, or turn generated ones off in newVersionAlarms. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
    // Generated alarms off: nothing about them.
    template.Resources.Alarm10 = { Type: 'AWS::CloudWatch::Alarm' };
    expect(() =>
      build({ api: { type: 'AllAtOnce', newVersionAlarms: false, alarms: [...ids, 'Alarm10'] } }, template),
    ).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.alarms lists 11 alarms (Alarm0, Alarm1, Alarm2, Alarm3, Alarm4, Alarm5, Alarm6, Alarm7, Alarm8, Alarm9, Alarm10), ' +
        'more than the 10 CodeDeploy lets a deployment group watch. Remove 1, or combine several into one composite alarm. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
  });

  it('refuses a user alarm that refers to the watched alias', () => {
    const template = compiledTemplate(['api']);
    template.Resources.Cyclic = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { Dimensions: [{ Name: 'Resource', Value: { Ref: 'ApiTrafficShiftAlias' } }] },
    };
    expect(() => build({ api: { type: 'AllAtOnce', alarms: ['Cyclic'] } }, template)).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.alarms names Cyclic, which refers to ApiTrafficShiftAlias, the alias whose deployment group watches it: ' +
        "CloudFormation would reject the dependency cycle. Build the alarm's Resource dimension from the function name instead: " +
        'Fn::Join [":", [Ref: ApiLambdaFunction, live]]. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
  });

  it('honours autoRollback, and rejects onAlarm without alarms', () => {
    const { template } = build(
      { api: { type: 'AllAtOnce', autoRollback: { onFailure: false, onAlarm: false, onManualStop: false } } },
      compiledTemplate(['api']),
    );
    expect(template.Resources.ApiTrafficShiftDeploymentGroup?.Properties?.AutoRollbackConfiguration).toEqual({
      Enabled: false,
    });
    expect(() =>
      build(
        { api: { type: 'AllAtOnce', newVersionAlarms: false, autoRollback: { onAlarm: true } } },
        compiledTemplate(['api']),
      ),
    ).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.autoRollback.onAlarm is true, but the function has no alarm to roll back on ' +
        '(newVersionAlarms generates none and alarms lists none). Add alarms, keep newVersionAlarms.errors on, or drop onAlarm. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
  });
});

describe('hooks', () => {
  const withHook = (hookRole?: unknown): CfnTemplate => {
    const template = compiledTemplate(['api', 'other']);
    template.Resources.IamRoleLambdaExecution = {
      Type: 'AWS::IAM::Role',
      Properties: { RoleName: 'svc-prod-lambdaRole', Policies: [{ PolicyName: 'logs' }] },
    };
    for (const fn of ['ApiLambdaFunction', 'OtherLambdaFunction']) {
      (template.Resources[fn] as CfnResource).Properties = {
        Role: { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
      };
    }
    template.Resources.CheckLambdaFunction = {
      Type: 'AWS::Lambda::Function',
      Properties: {
        Role: hookRole ?? { 'Fn::GetAtt': ['IamRoleLambdaExecution', 'Arn'] },
        Environment: { Variables: { STAGE: 'prod' } },
      },
    };
    return template;
  };

  it('lets CodeDeploy call a hook of the service, and grants the hook its own group and the new version only', () => {
    const template = withHook({ 'Fn::GetAtt': ['CheckRole', 'Arn'] });
    template.Resources.CheckRole = { Type: 'AWS::IAM::Role', Properties: {} };
    const { template: out, plan } = build(
      { api: { type: 'Canary10Percent5Minutes', preTrafficHook: 'check' }, other: undefined, check: undefined },
      template,
    );
    const r = out.Resources;
    expect(r.ApiTrafficShiftAlias?.UpdatePolicy).toEqual({
      CodeDeployLambdaAliasUpdate: {
        ApplicationName: { Ref: 'TrafficShiftApplication' },
        DeploymentGroupName: { Ref: 'ApiTrafficShiftDeploymentGroup' },
        BeforeAllowTrafficHook: { Ref: 'CheckLambdaFunction' },
      },
    });
    expect(r.ApiTrafficShiftAlias?.DependsOn).toEqual(['CheckTrafficShiftHookPolicy', 'TrafficShiftCodeDeployPolicy']);
    expect(r.CheckTrafficShiftHookPolicy).toEqual({
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'Check-traffic-shift-hook',
        Roles: [{ Ref: 'CheckRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['codedeploy:PutLifecycleEventHookExecutionStatus', 'codedeploy:GetDeployment'],
              Resource: [groupArn('ApiTrafficShiftDeploymentGroup')],
            },
            { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [{ Ref: 'ApiLambdaVersionAbc123' }] },
          ],
        },
      },
    });
    expect(r.CheckLambdaFunction?.Properties?.Environment).toEqual({
      Variables: { STAGE: 'prod', TRAFFIC_SHIFT_NEW_VERSION_ARN: { Ref: 'ApiLambdaVersionAbc123' } },
    });
    // A policy of its own, not inline on the role: the role → hook → hook permissions → group → role cycle.
    expect(r.TrafficShiftCodeDeployRole?.Properties?.Policies).toBeUndefined();
    expect(r.TrafficShiftCodeDeployPolicy).toEqual({
      Type: 'AWS::IAM::Policy',
      Properties: {
        PolicyName: 'traffic-shift-hooks-and-triggers',
        Roles: [{ Ref: 'TrafficShiftCodeDeployRole' }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: 'lambda:InvokeFunction',
              Resource: [{ 'Fn::GetAtt': ['CheckLambdaFunction', 'Arn'] }],
            },
          ],
        },
      },
    });
    // The hook is not shifted; other functions' roles get nothing.
    expect(r.CheckTrafficShiftAlias).toBeUndefined();
    expect(plan.functions.find((f) => f.name === 'check')).toMatchObject({
      mode: 'untouched',
      reason: 'pre-traffic hook of api; hooks are never shifted',
    });
    expect(r.IamRoleLambdaExecution).toBe(template.Resources.IamRoleLambdaExecution);
  });

  it('gives a hook that shares the service role a copy of it, so no other function gains hook permissions', () => {
    const { template } = build(
      { api: { type: 'AllAtOnce', postTrafficHook: 'check' }, other: undefined, check: undefined },
      withHook(),
    );
    const r = template.Resources;
    expect(r.CheckTrafficShiftHookRole).toEqual({
      Type: 'AWS::IAM::Role',
      Properties: { Policies: [{ PolicyName: 'logs' }] },
    });
    expect(r.CheckLambdaFunction?.Properties?.Role).toEqual({ 'Fn::GetAtt': ['CheckTrafficShiftHookRole', 'Arn'] });
    expect(r.CheckTrafficShiftHookPolicy?.Properties?.Roles).toEqual([{ Ref: 'CheckTrafficShiftHookRole' }]);
    expect(r.IamRoleLambdaExecution?.Properties).toEqual({
      RoleName: 'svc-prod-lambdaRole',
      Policies: [{ PolicyName: 'logs' }],
    });
    expect(r.ApiTrafficShiftAlias?.UpdatePolicy).toMatchObject({
      CodeDeployLambdaAliasUpdate: { AfterAllowTrafficHook: { Ref: 'CheckLambdaFunction' } },
    });
  });

  it('grants a role given by ARN through its name, and shares one hook between functions without the single-version variable', () => {
    const { template, plan } = build(
      {
        api: { type: 'AllAtOnce', preTrafficHook: 'check' },
        other: { type: 'AllAtOnce', preTrafficHook: 'check' },
        check: undefined,
      },
      withHook('arn:aws:iam::123456789012:role/path/hook-role'),
    );
    const policy = template.Resources.CheckTrafficShiftHookPolicy?.Properties as {
      Roles: unknown;
      PolicyDocument: { Statement: { Resource: unknown }[] };
    };
    expect(policy.Roles).toEqual(['hook-role']);
    expect(policy.PolicyDocument.Statement[0]?.Resource).toEqual([
      groupArn('ApiTrafficShiftDeploymentGroup'),
      groupArn('OtherTrafficShiftDeploymentGroup'),
    ]);
    expect(template.Resources.CheckLambdaFunction?.Properties?.Environment).toEqual({ Variables: { STAGE: 'prod' } });
    expect(plan.warnings).toEqual([
      expect.stringContaining(
        'hook check checks api, other: with more than one function it gets no TRAFFIC_SHIFT_NEW_VERSION_ARN',
      ),
    ]);
  });

  it('calls an existing function by name and lets CodeDeploy invoke its ARN', () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:shared-checks';
    const { template, plan } = build({ api: { type: 'AllAtOnce', preTrafficHook: arn } }, compiledTemplate(['api']));
    expect(template.Resources.ApiTrafficShiftAlias?.UpdatePolicy).toMatchObject({
      CodeDeployLambdaAliasUpdate: { BeforeAllowTrafficHook: 'shared-checks' },
    });
    expect((template.Resources.TrafficShiftCodeDeployPolicy?.Properties as any).PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [arn] },
    ]);
    expect(plan.warnings[0]).toContain('make sure its role allows it');
  });

  it('rejects a hook that is neither a function of the service nor a Lambda ARN', () => {
    expect(() => build({ api: { type: 'AllAtOnce', preTrafficHook: 'nope' } }, compiledTemplate(['api']))).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.preTrafficHook is "nope", which is not a function of this service. ' +
        'Accepted: the name of a function in this service (api) or the ARN of an existing Lambda function in the same account and region. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
  });

  it.each(['toString', 'constructor', '__proto__', 'hasOwnProperty'])(
    'rejects a hook named %s, a property of every object but no function of the service',
    (name) => {
      expect(() => build({ api: { type: 'AllAtOnce', postTrafficHook: name } }, compiledTemplate(['api']))).toThrow(
        `functions.api.deploymentSettings.postTrafficHook is "${name}", which is not a function of this service. Accepted: the name of a function in this service (api)`,
      );
    },
  );
});

describe('smoke tests and bake time', () => {
  it('generates one shared pre-traffic hook that invokes the new version with each payload', () => {
    const smokeTest = [
      { name: 'health', payload: { path: '/health' }, expect: { statusCode: 200, body: { ok: true } } },
    ];
    const { template } = build(
      {
        api: { type: 'Canary10Percent5Minutes', smokeTest },
        worker: { type: 'AllAtOnce', smokeTest: { payload: {} } },
      },
      compiledTemplate(['api', 'worker']),
    );
    const r = template.Resources;
    const hook = r.TrafficShiftSmokeTestHook?.Properties as Record<string, any>;
    expect(hook.Runtime).toBe('nodejs22.x');
    expect(hook.Environment).toEqual({ Variables: { TRAFFIC_SHIFT_PHASE: 'smoke' } });
    const inline = loadInlineHook(hook.Code.ZipFile);
    expect(inline.code.startsWith(trafficHookCode())).toBe(true);
    expect(inline.config).toEqual({
      '<Ref ApiTrafficShiftDeploymentGroup>': {
        function: 'api',
        target: '<Ref ApiLambdaVersionAbc123>',
        tests: [{ name: 'health', payload: { path: '/health' }, expect: { statusCode: 200, body: { ok: true } } }],
      },
      '<Ref WorkerTrafficShiftDeploymentGroup>': {
        function: 'worker',
        target: '<Ref WorkerLambdaVersionAbc123>',
        tests: [{ name: 'test 1', payload: {} }],
      },
    });
    expect(r.ApiTrafficShiftAlias?.UpdatePolicy).toMatchObject({
      CodeDeployLambdaAliasUpdate: { BeforeAllowTrafficHook: { Ref: 'TrafficShiftSmokeTestHook' } },
    });
    const statements = (r.TrafficShiftHookRole?.Properties as any).Policies[0].PolicyDocument.Statement;
    expect(statements).toEqual([
      {
        Effect: 'Allow',
        Action: ['codedeploy:PutLifecycleEventHookExecutionStatus', 'codedeploy:GetDeployment'],
        Resource: [groupArn('ApiTrafficShiftDeploymentGroup'), groupArn('WorkerTrafficShiftDeploymentGroup')],
      },
      {
        Effect: 'Allow',
        Action: 'lambda:InvokeFunction',
        Resource: [{ Ref: 'ApiLambdaVersionAbc123' }, { Ref: 'WorkerLambdaVersionAbc123' }],
      },
    ]);
    expect(r.TrafficShiftBakeHook).toBeUndefined();
  });

  it('passes payloads and alarm names through as text, whatever characters they hold', () => {
    // Once turned into a Ref by the placeholder the plugin used inside this JSON text.
    const tricky = 'a\u0000ref:IamRoleLambdaExecution\u0000b';
    const { template } = build(
      {
        api: { type: 'Canary10Percent5Minutes', smokeTest: { payload: { note: tricky } } },
        worker: { type: 'BlueGreen', alarms: [{ name: tricky }] },
      },
      compiledTemplate(['api', 'worker']),
    );
    const zipFile = (id: string) => (template.Resources[id]?.Properties as any).Code.ZipFile;
    const refs = (id: string) => (zipFile(id)['Fn::Join'][1] as unknown[]).filter((part) => typeof part !== 'string');
    expect(refs('TrafficShiftSmokeTestHook')).toEqual([
      { Ref: 'ApiTrafficShiftDeploymentGroup' },
      { Ref: 'ApiLambdaVersionAbc123' },
    ]);
    expect(loadInlineHook(zipFile('TrafficShiftSmokeTestHook')).config).toEqual({
      '<Ref ApiTrafficShiftDeploymentGroup>': {
        function: 'api',
        target: '<Ref ApiLambdaVersionAbc123>',
        tests: [{ name: 'test 1', payload: { note: tricky } }],
      },
    });
    expect(refs('TrafficShiftBakeHook')).toEqual([
      { Ref: 'WorkerTrafficShiftDeploymentGroup' },
      { Ref: 'WorkerTrafficShiftErrorsAlarm' },
    ]);
    expect(loadInlineHook(zipFile('TrafficShiftBakeHook')).config).toMatchObject({
      '<Ref WorkerTrafficShiftDeploymentGroup>': {
        function: 'worker',
        alarms: ['<Ref WorkerTrafficShiftErrorsAlarm>', tricky],
      },
    });
  });

  it('takes the AlarmName the template gives a user alarm as escaped text; a generated or computed name by Ref', () => {
    const template = compiledTemplate(['api']);
    const written = 'api "errors" \\ prod';
    template.Resources.WrittenAlarm = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { AlarmName: written, MetricName: 'Errors' },
    };
    template.Resources.ComputedAlarm = {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: { AlarmName: { 'Fn::Sub': '${AWS::StackName}-latency' }, MetricName: 'Duration' },
    };
    template.Resources.UnnamedAlarm = { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Throttles' } };
    const { template: out } = build(
      { api: { type: 'BlueGreen', alarms: ['WrittenAlarm', 'ComputedAlarm', 'UnnamedAlarm'] } },
      template,
    );
    const config = loadInlineHook((out.Resources.TrafficShiftBakeHook?.Properties as any).Code.ZipFile)
      .config as Record<string, { alarms: string[] }>;
    expect(config['<Ref ApiTrafficShiftDeploymentGroup>']?.alarms).toEqual([
      '<Ref ApiTrafficShiftErrorsAlarm>',
      written,
      '<Ref ComputedAlarm>',
      '<Ref UnnamedAlarm>',
    ]);
    // The deployment group still names every alarm by Ref, so it is created after them.
    expect((out.Resources.ApiTrafficShiftDeploymentGroup?.Properties as any).AlarmConfiguration.Alarms).toEqual(
      ['ApiTrafficShiftErrorsAlarm', 'WrittenAlarm', 'ComputedAlarm', 'UnnamedAlarm'].map((id) => ({
        Name: { Ref: id },
      })),
    );
  });

  it('rejects smokeTest together with preTrafficHook', () => {
    expect(() =>
      build(
        {
          api: {
            type: 'AllAtOnce',
            smokeTest: { payload: {} },
            preTrafficHook: 'arn:aws:lambda:us-east-1:123456789012:function:x',
          },
        },
        compiledTemplate(['api']),
      ),
    ).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.smokeTest is set together with functions.api.deploymentSettings.preTrafficHook: ' +
        'both run before traffic moves, and CodeDeploy runs one pre-traffic hook. Invoke your own checks from your hook, or drop preTrafficHook to let the plugin run the smoke tests. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
  });

  it('runs BlueGreen as all at once plus a 10-minute bake that watches the alarms', () => {
    const { template, plan } = build({ api: { type: 'BlueGreen' } }, compiledTemplate(['api']));
    const r = template.Resources;
    expect(r.ApiTrafficShiftDeploymentGroup?.Properties?.DeploymentConfigName).toBe(
      'CodeDeployDefault.LambdaAllAtOnce',
    );
    expect(r.ApiTrafficShiftAlias?.UpdatePolicy).toMatchObject({
      CodeDeployLambdaAliasUpdate: { AfterAllowTrafficHook: { Ref: 'TrafficShiftBakeHook' } },
    });
    expect(r.ApiTrafficShiftAlias?.DependsOn).toEqual([
      'TrafficShiftBakeHookSelfInvokePolicy',
      'TrafficShiftCodeDeployPolicy',
    ]);
    expect(loadInlineHook((r.TrafficShiftBakeHook?.Properties as any).Code.ZipFile).config).toEqual({
      '<Ref ApiTrafficShiftDeploymentGroup>': {
        function: 'api',
        bakeMinutes: 10,
        alarms: ['<Ref ApiTrafficShiftErrorsAlarm>'],
      },
    });
    expect(r.TrafficShiftBakeHookSelfInvokePolicy?.Properties).toMatchObject({
      Roles: [{ Ref: 'TrafficShiftHookRole' }],
      PolicyDocument: {
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: { 'Fn::GetAtt': ['TrafficShiftBakeHook', 'Arn'] },
          },
        ],
      },
    });
    expect(JSON.stringify(r.TrafficShiftHookRole)).toContain('cloudwatch:DescribeAlarms');
    expect(plan.functions[0]?.hooks).toEqual(['post-traffic: bake 10m watching the alarms, by TrafficShiftBakeHook']);
    expect(plan.functions[0]).toMatchObject({
      steps: [{ minute: 0, percent: 100 }],
      bakeMinutes: 10,
      timeline: '0m → 100%, then 10m bake watching the alarms',
    });
  });

  it('bakes after a canary when asked, and bounds the bake by the one-hour hook limit', () => {
    const { template } = build({ api: { type: 'Canary10Percent5Minutes', bakeTime: 30 } }, compiledTemplate(['api']));
    expect(
      loadInlineHook((template.Resources.TrafficShiftBakeHook?.Properties as any).Code.ZipFile).config,
    ).toMatchObject({ '<Ref ApiTrafficShiftDeploymentGroup>': { bakeMinutes: 30 } });
    expect(() => build({ api: { type: 'BlueGreen', bakeTime: 56 } }, compiledTemplate(['api']))).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.bakeTime is 56, more than 55. Accepted: whole minutes from 1 to 55 (CodeDeploy fails a hook that does not report within an hour). [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
    expect(() => build({ api: { type: 'InPlace', bakeTime: 5 } }, compiledTemplate(['api']))).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.bakeTime is 5 with type InPlace: nothing watches an in-place deploy. Choose BlueGreen, AllAtOnce, a canary or a linear type, or drop bakeTime. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
    expect(() =>
      build(
        { api: { type: 'BlueGreen', postTrafficHook: 'arn:aws:lambda:us-east-1:123456789012:function:x' } },
        compiledTemplate(['api']),
      ),
    ).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.postTrafficHook is set, and type BlueGreen bakes 10 minutes as the post-traffic hook: ' +
        'CodeDeploy runs one post-traffic hook. Run your checks from a preTrafficHook, or choose AllAtOnce to keep postTrafficHook. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
    expect(() =>
      build(
        {
          api: {
            type: 'Canary10Percent5Minutes',
            bakeTime: 5,
            postTrafficHook: 'arn:aws:lambda:us-east-1:123456789012:function:x',
          },
        },
        compiledTemplate(['api']),
      ),
    ).toThrow(
      'Invalid deployment setting: functions.api.deploymentSettings.bakeTime is set together with functions.api.deploymentSettings.postTrafficHook: ' +
        'the bake runs as the post-traffic hook, and CodeDeploy runs one. Run your checks in your hook, or drop postTrafficHook. [TRAFFIC_SHIFT_INVALID_SETTING]',
    );
  });

  it("holds the settings of many functions in the hooks' code, not in their 4 KB environment", () => {
    const names = Array.from({ length: 40 }, (_, i) => `fn${i}`);
    const smokeTest = { payload: { blob: 'x'.repeat(500), quote: '"\\\n\u2028' }, expect: { statusCode: 200 } };
    const { template } = build(
      Object.fromEntries(names.map((n) => [n, { type: 'BlueGreen', smokeTest }])),
      compiledTemplate(names),
    );
    for (const [id, phase] of [
      ['TrafficShiftSmokeTestHook', 'smoke'],
      ['TrafficShiftBakeHook', 'bake'],
    ] as const) {
      const properties = template.Resources[id]?.Properties as any;
      expect(properties.Environment).toEqual({ Variables: { TRAFFIC_SHIFT_PHASE: phase } });
      const config = loadInlineHook(properties.Code.ZipFile).config as Record<
        string,
        { function: string; tests?: unknown[] }
      >;
      expect(Object.values(config).map((c) => c.function)).toEqual(names);
      if (phase === 'smoke')
        for (const c of Object.values(config)) expect(c.tests).toEqual([{ name: 'test 1', ...smokeTest }]);
    }
  });
});

describe('triggers', () => {
  it('passes triggers to the group and lets the role publish to those topics only', () => {
    const trigger = {
      TriggerName: 'notify',
      TriggerTargetArn: { Ref: 'DeployTopic' },
      TriggerEvents: ['DeploymentFailure', 'DeploymentRollback'],
    };
    const { template } = build(
      { api: { type: 'AllAtOnce', triggerConfigurations: [trigger] } },
      compiledTemplate(['api']),
    );
    expect(template.Resources.ApiTrafficShiftDeploymentGroup?.Properties?.TriggerConfigurations).toEqual([trigger]);
    expect((template.Resources.TrafficShiftCodeDeployPolicy?.Properties as any).PolicyDocument.Statement).toEqual([
      { Effect: 'Allow', Action: 'sns:Publish', Resource: [{ Ref: 'DeployTopic' }] },
    ]);
  });

  it.each([
    [
      { TriggerTargetArn: 'arn:aws:sns:us-east-1:123456789012:t', TriggerEvents: ['DeploymentStart'] },
      'TriggerName is missing. Accepted: a name of 1 to 256 characters.',
    ],
    [
      { TriggerName: 'n', TriggerTargetArn: 'topic', TriggerEvents: ['DeploymentStart'] },
      'TriggerTargetArn is "topic", which is not an SNS topic ARN. Accepted: an SNS topic ARN (arn:aws:sns:us-east-1:123456789012:topic) or an intrinsic function such as Ref: MyTopic.',
    ],
    [
      {
        TriggerName: 'n',
        TriggerTargetArn: 'arn:aws:sns:us-east-1:123456789012:t',
        TriggerEvents: ['DeploymentStart', 'deploymentfailure'],
      },
      'TriggerEvents[1] is "deploymentfailure", which is not a CodeDeploy trigger event. Did you mean "DeploymentFailure"? ' +
        'Accepted: one of DeploymentStart, DeploymentSuccess, DeploymentFailure, DeploymentStop, DeploymentRollback, DeploymentReady, InstanceStart, InstanceSuccess, InstanceFailure, InstanceReady.',
    ],
  ])('validates %j', (trigger, message) => {
    expect(() =>
      build({ api: { type: 'AllAtOnce', triggerConfigurations: [trigger] } }, compiledTemplate(['api'])),
    ).toThrow(
      `Invalid deployment setting: functions.api.deploymentSettings.triggerConfigurations[0].${message} [TRAFFIC_SHIFT_INVALID_SETTING]`,
    );
  });
});

describe('hooks given by ARN', () => {
  it('keeps the qualifier of a qualified ARN', () => {
    const arn = 'arn:aws:lambda:us-east-1:123456789012:function:shared-checks:prod';
    const { template } = build({ api: { type: 'AllAtOnce', postTrafficHook: arn } }, compiledTemplate(['api']));
    expect(template.Resources.ApiTrafficShiftAlias?.UpdatePolicy).toMatchObject({
      CodeDeployLambdaAliasUpdate: { AfterAllowTrafficHook: 'shared-checks:prod' },
    });
  });
});
