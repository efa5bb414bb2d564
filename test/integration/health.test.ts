/**
 * Health checks packaged by the real framework (issue 4):
 * - `health-alerts`: serverless-plugin-aws-alerts loaded beside the plugin, its alarms named in `alarms` next to the
 *   plugin's alarms on the new version;
 * - `health-hooks`: a pre-traffic hook with a role of its own and a post-traffic hook sharing the service's role, and
 *   exactly the IAM statements each party gets;
 * - `health-generated`: the generated smoke-test and bake hooks (BlueGreen, bakeTime after a canary) and triggers;
 * - `health-iam-per-function`: serverless-iam-roles-per-function gives the hook a role of its own;
 * Invalid health settings are cases of settings.test.ts. Each template must lint clean with cfn-lint: no finding that the same service without the plugin does not have.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import {
  describeWithCfnLint,
  idsOfType,
  lintAgainstBaselines,
  onlyVersionId,
  versionIds,
  packageBaseline,
  packageFixture,
  pathsWhere,
  properties,
  REPO_ROOT,
  resource,
  withoutPackagingTimestamp,
  type CfnTemplate,
} from './helpers';
import { loadInlineHook } from '../support/hook-code';

const ALERTS = 'health-alerts';
const HOOKS = 'health-hooks';
const GENERATED = 'health-generated';
const PER_FUNCTION_ROLES = 'health-iam-per-function';

const templates: Record<string, CfnTemplate> = {};
const baselines: Record<string, CfnTemplate> = {};

beforeAll(async () => {
  // One at a time: the framework runs in this process.
  for (const fixture of [ALERTS, HOOKS, GENERATED, PER_FUNCTION_ROLES]) {
    templates[fixture] = (await packageFixture(fixture)).template;
    baselines[fixture] = (await packageBaseline(fixture)).template;
  }
});

const getAtt = (id: string, attribute = 'Arn') => ({ 'Fn::GetAtt': [id, attribute] });
const ref = (id: string) => ({ Ref: id });
const groupArn = (group: string) => ({
  'Fn::Sub': `arn:\${AWS::Partition}:codedeploy:\${AWS::Region}:\${AWS::AccountId}:deploymentgroup:\${TrafficShiftApplication}/\${${group}}`,
});
const sorted = (values: string[] | string | undefined): string[] => [values ?? []].flat().sort();

/** Logical ids of the resources whose JSON contains `text` (an IAM action, a Ref...), sorted. */
function resourcesMentioning(template: CfnTemplate, text: string): string[] {
  return Object.keys(template.Resources)
    .filter((id) => JSON.stringify(template.Resources[id]).includes(text))
    .sort();
}

/** The dimensions a generated alarm on the new version must have: the function, `<function>:live`, the new version. */
function newVersionDimensions(template: CfnTemplate, functionLogicalId: string): unknown[] {
  return [
    { Name: 'FunctionName', Value: ref(functionLogicalId) },
    { Name: 'Resource', Value: { 'Fn::Join': [':', [ref(functionLogicalId), 'live']] } },
    { Name: 'ExecutedVersion', Value: getAtt(onlyVersionId(template, functionLogicalId), 'Version') },
  ];
}

describe('serverless-plugin-aws-alerts alongside (fixture health-alerts)', () => {
  const t = () => templates[ALERTS] as CfnTemplate;

  it('aws-alerts generated its alarms on the whole function, and the plugin left them exactly as they are without it', () => {
    const theirs = [
      'ApiFunctionErrorsAlarm',
      'ApiFunctionThrottlesAlarm',
      'WorkerFunctionErrorsAlarm',
      'WorkerFunctionThrottlesAlarm',
    ];
    expect(idsOfType(t(), 'AWS::CloudWatch::Alarm')).toEqual(
      [
        ...theirs,
        'ApiTrafficShiftErrorsAlarm',
        'WorkerTrafficShiftErrorsAlarm',
        'WorkerTrafficShiftThrottlesAlarm',
      ].sort(),
    );
    for (const id of theirs) expect(resource(t(), id)).toEqual(resource(baselines[ALERTS] as CfnTemplate, id));
    expect(properties(t(), 'ApiFunctionErrorsAlarm').Dimensions).toEqual([
      { Name: 'FunctionName', Value: ref('ApiLambdaFunction') },
    ]);
  });

  it("api's deployment group watches the generated ApiTrafficShiftErrorsAlarm and both aws-alerts alarms, by Ref", () => {
    expect(properties(t(), 'ApiTrafficShiftDeploymentGroup').AlarmConfiguration).toEqual({
      Enabled: true,
      IgnorePollAlarmFailure: false,
      Alarms: [
        { Name: ref('ApiTrafficShiftErrorsAlarm') },
        { Name: ref('ApiFunctionErrorsAlarm') },
        { Name: ref('ApiFunctionThrottlesAlarm') },
      ],
    });
    expect(properties(t(), 'ApiTrafficShiftDeploymentGroup').AutoRollbackConfiguration).toEqual({
      Enabled: true,
      Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
  });

  it('ApiTrafficShiftErrorsAlarm watches the new version only: dimensions exactly FunctionName, Resource <fn>:live, ExecutedVersion', () => {
    expect(properties(t(), 'ApiTrafficShiftErrorsAlarm')).toEqual({
      AlarmDescription: expect.stringContaining('function api (alias live)'),
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: newVersionDimensions(t(), 'ApiLambdaFunction'),
      Statistic: 'Sum',
      Period: 60,
      EvaluationPeriods: 1,
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
    });
  });

  it("worker's group: its generated errors (threshold 3) and throttles alarms, the aws-alerts alarm by Ref, an existing alarm by name", () => {
    expect(properties(t(), 'WorkerTrafficShiftDeploymentGroup').AlarmConfiguration).toEqual({
      Enabled: true,
      IgnorePollAlarmFailure: false,
      Alarms: [
        { Name: ref('WorkerTrafficShiftErrorsAlarm') },
        { Name: ref('WorkerTrafficShiftThrottlesAlarm') },
        { Name: ref('WorkerFunctionErrorsAlarm') },
        { Name: 'team-wide-error-budget' },
      ],
    });
    expect(properties(t(), 'WorkerTrafficShiftErrorsAlarm')).toMatchObject({
      Threshold: 3,
      Dimensions: newVersionDimensions(t(), 'WorkerLambdaFunction'),
    });
    // A throttled request runs no version: throttles are counted on the alias.
    expect(properties(t(), 'WorkerTrafficShiftThrottlesAlarm')).toMatchObject({
      MetricName: 'Throttles',
      Threshold: 1,
      Dimensions: newVersionDimensions(t(), 'WorkerLambdaFunction').slice(0, 2),
    });
  });

  it('no alarm refers to an alias (no dependency cycle alias → group → alarm → alias)', () => {
    for (const id of idsOfType(t(), 'AWS::CloudWatch::Alarm')) {
      expect(
        pathsWhere(
          resource(t(), id),
          (v) =>
            typeof (v as { Ref?: unknown })?.Ref === 'string' &&
            (v as { Ref: string }).Ref.endsWith('TrafficShiftAlias'),
        ),
      ).toEqual([]);
    }
  });
});

describe('hooks with their own and with a shared role (fixture health-hooks)', () => {
  const t = () => templates[HOOKS] as CfnTemplate;
  const base = () => baselines[HOOKS] as CfnTemplate;
  const apiVersion = () => onlyVersionId(t(), 'ApiLambdaFunction');
  const hookStatements = () => [
    {
      Effect: 'Allow',
      Action: ['codedeploy:PutLifecycleEventHookExecutionStatus', 'codedeploy:GetDeployment'],
      Resource: [groupArn('ApiTrafficShiftDeploymentGroup')],
    },
    { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [ref(apiVersion())] },
  ];

  it('shifts api only: the hooks, although custom.deploymentSettings covers them, are never shifted', () => {
    expect(idsOfType(t(), 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias']);
    expect(idsOfType(t(), 'AWS::CodeDeploy::DeploymentGroup')).toEqual(['ApiTrafficShiftDeploymentGroup']);
  });

  it("api's alias calls preHook before and postHook after traffic moves, and waits for every grant", () => {
    const alias = resource(t(), 'ApiTrafficShiftAlias');
    expect(alias.UpdatePolicy).toEqual({
      CodeDeployLambdaAliasUpdate: {
        ApplicationName: ref('TrafficShiftApplication'),
        DeploymentGroupName: ref('ApiTrafficShiftDeploymentGroup'),
        BeforeAllowTrafficHook: ref('PreHookLambdaFunction'),
        AfterAllowTrafficHook: ref('PostHookLambdaFunction'),
      },
    });
    expect(sorted(alias.DependsOn)).toEqual([
      'PostHookTrafficShiftHookPolicy',
      'PreHookTrafficShiftHookPolicy',
      'TrafficShiftCodeDeployPolicy',
    ]);
  });

  it("preHook (own role PreHookRole): a policy on that role reporting to api's group only and invoking api's new version only", () => {
    expect(properties(t(), 'PreHookTrafficShiftHookPolicy')).toEqual({
      PolicyName: 'PreHook-traffic-shift-hook',
      Roles: [ref('PreHookRole')],
      PolicyDocument: { Version: '2012-10-17', Statement: hookStatements() },
    });
    expect(properties(t(), 'PreHookLambdaFunction').Role).toEqual(getAtt('PreHookRole'));
    expect(resource(t(), 'PreHookRole')).toEqual(resource(base(), 'PreHookRole'));
    expect(resource(t(), 'PreHookTrafficShiftHookPolicy').Type).toBe('AWS::IAM::Policy');
  });

  it('postHook (shared the service role with api): runs with a copy of that role, without RoleName, which gets the same policy', () => {
    const { RoleName: _name, ...serviceRole } = properties(base(), 'IamRoleLambdaExecution');
    expect(resource(t(), 'PostHookTrafficShiftHookRole')).toEqual({ Type: 'AWS::IAM::Role', Properties: serviceRole });
    expect(properties(t(), 'PostHookLambdaFunction').Role).toEqual(getAtt('PostHookTrafficShiftHookRole'));
    expect(properties(t(), 'PostHookTrafficShiftHookPolicy')).toEqual({
      PolicyName: 'PostHook-traffic-shift-hook',
      Roles: [ref('PostHookTrafficShiftHookRole')],
      PolicyDocument: { Version: '2012-10-17', Statement: hookStatements() },
    });
  });

  it('the service role IamRoleLambdaExecution is unchanged and api still runs with it: other functions gain nothing', () => {
    expect(resource(t(), 'IamRoleLambdaExecution')).toEqual(resource(base(), 'IamRoleLambdaExecution'));
    expect(properties(t(), 'ApiLambdaFunction').Role).toEqual(getAtt('IamRoleLambdaExecution'));
    expect(resourcesMentioning(t(), 'codedeploy:PutLifecycleEventHookExecutionStatus')).toEqual([
      'PostHookTrafficShiftHookPolicy',
      'PreHookTrafficShiftHookPolicy',
    ]);
    expect(resourcesMentioning(t(), 'codedeploy:GetDeployment')).toEqual([
      'PostHookTrafficShiftHookPolicy',
      'PreHookTrafficShiftHookPolicy',
    ]);
  });

  it('TrafficShiftCodeDeployPolicy lets CodeDeploy invoke exactly the two hooks, and nothing else', () => {
    expect(properties(t(), 'TrafficShiftCodeDeployPolicy')).toEqual({
      PolicyName: 'traffic-shift-hooks-and-triggers',
      Roles: [ref('TrafficShiftCodeDeployRole')],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [getAtt('PreHookLambdaFunction'), getAtt('PostHookLambdaFunction')],
          },
        ],
      },
    });
  });

  it("each hook gets TRAFFIC_SHIFT_NEW_VERSION_ARN = Ref of api's new version; otherwise the hooks are as without the plugin", () => {
    for (const hook of ['PreHookLambdaFunction', 'PostHookLambdaFunction']) {
      expect(properties(t(), hook).Environment).toEqual({
        Variables: { TRAFFIC_SHIFT_NEW_VERSION_ARN: ref(apiVersion()) },
      });
      const { Environment: _env, Role: _role, ...rest } = properties(t(), hook);
      const { Environment: _baseEnv, Role: _baseRole, ...baseRest } = properties(base(), hook);
      expect(withoutPackagingTimestamp(rest)).toEqual(withoutPackagingTimestamp(baseRest));
    }
    expect(properties(t(), 'PreHookLambdaFunction').Role).toEqual(properties(base(), 'PreHookLambdaFunction').Role);
    expect(properties(t(), 'ApiLambdaFunction').Environment).toBeUndefined();
  });

  it('the hooks publish no versions (CodeDeploy invokes them by name), which the framework would publish without the plugin', () => {
    for (const hook of ['PreHookLambdaFunction', 'PostHookLambdaFunction']) {
      expect(versionIds(t(), hook)).toEqual([]);
      expect(versionIds(base(), hook)).toHaveLength(1);
    }
  });
});

describe('generated smoke-test and bake hooks, BlueGreen, triggers (fixture health-generated)', () => {
  const t = () => templates[GENERATED] as CfnTemplate;
  const apiVersion = () => onlyVersionId(t(), 'ApiLambdaFunction');
  const hookConfig = (id: string): unknown =>
    loadInlineHook((properties(t(), id).Code as { ZipFile: unknown }).ZipFile).config;
  const handlerSource = readFileSync(path.join(REPO_ROOT, 'dist', 'lambda', 'traffic-hook.js'), 'utf8');
  const hookFunction = (phase: string) => ({
    Description: expect.stringMatching(/^serverless-traffic-shift: /),
    Runtime: 'nodejs22.x',
    Handler: 'index.handler',
    Timeout: 900,
    MemorySize: 256,
    Role: getAtt('TrafficShiftHookRole'),
    Code: { ZipFile: expect.anything() },
    Environment: { Variables: { TRAFFIC_SHIFT_PHASE: phase } },
  });

  it('adds one smoke-test hook and one bake hook for the stack: Node.js 22, inline handler, the shared hook role', () => {
    expect(idsOfType(t(), 'AWS::Lambda::Function')).toEqual([
      'ApiLambdaFunction',
      'TrafficShiftBakeHook',
      'TrafficShiftSmokeTestHook',
      'WorkerLambdaFunction',
    ]);
    expect(properties(t(), 'TrafficShiftSmokeTestHook')).toEqual(hookFunction('smoke'));
    expect(properties(t(), 'TrafficShiftBakeHook')).toEqual(hookFunction('bake'));
    for (const id of ['TrafficShiftSmokeTestHook', 'TrafficShiftBakeHook']) {
      // The handler, then its configuration as `exports.config = "<JSON>";`.
      expect(
        loadInlineHook((properties(t(), id).Code as { ZipFile: unknown }).ZipFile).code.startsWith(
          `${handlerSource}\nexports.config = "`,
        ),
      ).toBe(true);
    }
  });

  it("the smoke-test hook's configuration: api's group → api's new version and both tests", () => {
    expect(hookConfig('TrafficShiftSmokeTestHook')).toEqual({
      '<Ref ApiTrafficShiftDeploymentGroup>': {
        function: 'api',
        target: `<Ref ${apiVersion()}>`,
        tests: [
          {
            name: 'health',
            payload: { rawPath: '/health', requestContext: { http: { method: 'GET' } } },
            expect: { statusCode: 200, body: { ok: true } },
          },
          { name: 'test 2', payload: { source: 'smoke' } },
        ],
      },
    });
  });

  it("the bake hook's configuration: api bakes 10 minutes (BlueGreen's default), worker 5 (bakeTime), each on its own alarms", () => {
    expect(hookConfig('TrafficShiftBakeHook')).toEqual({
      '<Ref ApiTrafficShiftDeploymentGroup>': {
        function: 'api',
        bakeMinutes: 10,
        alarms: ['<Ref ApiTrafficShiftErrorsAlarm>'],
      },
      '<Ref WorkerTrafficShiftDeploymentGroup>': {
        function: 'worker',
        bakeMinutes: 5,
        alarms: ['<Ref WorkerTrafficShiftErrorsAlarm>'],
      },
    });
  });

  it('TrafficShiftHookRole: basic execution, report to both groups, invoke only the smoke-tested version, read alarms', () => {
    expect(properties(t(), 'TrafficShiftHookRole')).toEqual({
      AssumeRolePolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' }, Action: 'sts:AssumeRole' }],
      },
      ManagedPolicyArns: [
        { 'Fn::Sub': 'arn:${AWS::Partition}:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole' },
      ],
      Policies: [
        {
          PolicyName: 'traffic-shift-hooks',
          PolicyDocument: {
            Version: '2012-10-17',
            Statement: [
              {
                Effect: 'Allow',
                Action: ['codedeploy:PutLifecycleEventHookExecutionStatus', 'codedeploy:GetDeployment'],
                Resource: [groupArn('ApiTrafficShiftDeploymentGroup'), groupArn('WorkerTrafficShiftDeploymentGroup')],
              },
              { Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: [ref(apiVersion())] },
              { Effect: 'Allow', Action: 'cloudwatch:DescribeAlarms', Resource: '*' },
            ],
          },
        },
      ],
    });
    expect(properties(t(), 'TrafficShiftBakeHookSelfInvokePolicy')).toEqual({
      PolicyName: 'traffic-shift-bake-relay',
      Roles: [ref('TrafficShiftHookRole')],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [{ Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: getAtt('TrafficShiftBakeHook') }],
      },
    });
  });

  it('api (BlueGreen): AllAtOnce, smoke tests before and the bake after traffic moves, the trigger on DeploymentTopic', () => {
    expect(properties(t(), 'ApiTrafficShiftDeploymentGroup')).toMatchObject({
      DeploymentConfigName: 'CodeDeployDefault.LambdaAllAtOnce',
      TriggerConfigurations: [
        {
          TriggerName: 'api-rollout',
          TriggerTargetArn: ref('DeploymentTopic'),
          TriggerEvents: ['DeploymentFailure', 'DeploymentRollback', 'DeploymentSuccess'],
        },
      ],
    });
    const alias = resource(t(), 'ApiTrafficShiftAlias');
    expect(alias.UpdatePolicy).toEqual({
      CodeDeployLambdaAliasUpdate: {
        ApplicationName: ref('TrafficShiftApplication'),
        DeploymentGroupName: ref('ApiTrafficShiftDeploymentGroup'),
        BeforeAllowTrafficHook: ref('TrafficShiftSmokeTestHook'),
        AfterAllowTrafficHook: ref('TrafficShiftBakeHook'),
      },
    });
    expect(sorted(alias.DependsOn)).toEqual(['TrafficShiftBakeHookSelfInvokePolicy', 'TrafficShiftCodeDeployPolicy']);
  });

  it('worker (canary with bakeTime): its canary, only the bake after traffic moves, no triggers', () => {
    const group = properties(t(), 'WorkerTrafficShiftDeploymentGroup');
    expect(group.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent5Minutes');
    expect(group.TriggerConfigurations).toBeUndefined();
    expect(resource(t(), 'WorkerTrafficShiftAlias').UpdatePolicy).toEqual({
      CodeDeployLambdaAliasUpdate: {
        ApplicationName: ref('TrafficShiftApplication'),
        DeploymentGroupName: ref('WorkerTrafficShiftDeploymentGroup'),
        AfterAllowTrafficHook: ref('TrafficShiftBakeHook'),
      },
    });
  });

  it('TrafficShiftCodeDeployPolicy: invoke exactly the generated hooks, sns:Publish on DeploymentTopic only (and nowhere else)', () => {
    expect(properties(t(), 'TrafficShiftCodeDeployPolicy')).toEqual({
      PolicyName: 'traffic-shift-hooks-and-triggers',
      Roles: [ref('TrafficShiftCodeDeployRole')],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [getAtt('TrafficShiftSmokeTestHook'), getAtt('TrafficShiftBakeHook')],
          },
          { Effect: 'Allow', Action: 'sns:Publish', Resource: [ref('DeploymentTopic')] },
        ],
      },
    });
    expect(resourcesMentioning(t(), 'sns:Publish')).toEqual(['TrafficShiftCodeDeployPolicy']);
    expect(resource(t(), 'IamRoleLambdaExecution')).toEqual(
      resource(baselines[GENERATED] as CfnTemplate, 'IamRoleLambdaExecution'),
    );
  });
});

describe('serverless-iam-roles-per-function alongside (fixture health-iam-per-function)', () => {
  const t = () => templates[PER_FUNCTION_ROLES] as CfnTemplate;
  const base = () => baselines[PER_FUNCTION_ROLES] as CfnTemplate;

  it("the hook keeps the role that plugin gave it, and a policy on that role reports to api's group and invokes api's new version only", () => {
    expect(properties(t(), 'CheckerLambdaFunction').Role).toEqual(getAtt('CheckerIamRoleLambdaExecution'));
    expect(properties(t(), 'CheckerTrafficShiftHookPolicy')).toEqual({
      PolicyName: 'Checker-traffic-shift-hook',
      Roles: [ref('CheckerIamRoleLambdaExecution')],
      PolicyDocument: {
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Action: ['codedeploy:PutLifecycleEventHookExecutionStatus', 'codedeploy:GetDeployment'],
            Resource: [groupArn('ApiTrafficShiftDeploymentGroup')],
          },
          {
            Effect: 'Allow',
            Action: 'lambda:InvokeFunction',
            Resource: [ref(onlyVersionId(t(), 'ApiLambdaFunction'))],
          },
        ],
      },
    });
    expect(t().Resources.CheckerTrafficShiftHookRole).toBeUndefined();
  });

  it('every role is as that plugin made it; only the hook policy names the hook permissions', () => {
    for (const role of ['ApiIamRoleLambdaExecution', 'CheckerIamRoleLambdaExecution'])
      expect(resource(t(), role)).toEqual(resource(base(), role));
    expect(resourcesMentioning(t(), 'codedeploy:PutLifecycleEventHookExecutionStatus')).toEqual([
      'CheckerTrafficShiftHookPolicy',
    ]);
    expect(properties(t(), 'ApiLambdaFunction').Role).toEqual(getAtt('ApiIamRoleLambdaExecution'));
  });
});

describeWithCfnLint(
  'cfn-lint (fixtures health-alerts, health-hooks, health-generated, health-iam-per-function)',
  () => {
    it('finds nothing in any of the four templates that it does not find in the same service without the plugin', async () => {
      // Self-check, in the same cfn-lint run: the cycle an alarm on the alias would close (alias → group → alarm →
      // alias) must be reported as introduced.
      const cyclic = JSON.parse(JSON.stringify(templates[ALERTS])) as CfnTemplate;
      const dimensions = properties(cyclic, 'ApiTrafficShiftErrorsAlarm').Dimensions as unknown[];
      dimensions[1] = { Name: 'Resource', Value: ref('ApiTrafficShiftAlias') };
      const introduced = await lintAgainstBaselines({
        ...Object.fromEntries(
          [ALERTS, HOOKS, GENERATED, PER_FUNCTION_ROLES].map((f) => [
            f,
            { withPlugin: templates[f] as CfnTemplate, baseline: baselines[f] as CfnTemplate },
          ]),
        ),
        selfCheck: { withPlugin: cyclic, baseline: baselines[ALERTS] as CfnTemplate },
      });
      expect(introduced).toEqual({
        [ALERTS]: [],
        [HOOKS]: [],
        [GENERATED]: [],
        [PER_FUNCTION_ROLES]: [],
        selfCheck: expect.arrayContaining([expect.stringMatching(/^E3004 /)]),
      });
    });
  },
);
