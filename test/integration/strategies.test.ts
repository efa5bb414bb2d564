/**
 * Every form of `type` the plugin accepts, packaged by the real framework (fixture `strategies`): predefined canary
 * and linear, AllAtOnce, a predefined configuration by its full name, a custom canary shared by two functions, a
 * custom linear, and InPlace. Also the stack-wide CodeDeploy role.
 */
import {
  CODEDEPLOY_MANAGED_POLICY,
  describeWithCfnLint,
  idsOfType,
  lintAgainstBaselines,
  onlyVersionId,
  packageBaseline,
  packageFixture,
  properties,
  resource,
  rolesAssumedBy,
  type CfnTemplate,
} from './helpers';

const FIXTURE = 'strategies';
let template: CfnTemplate;

beforeAll(async () => {
  ({ template } = await packageFixture(FIXTURE));
});

const SHIFTED: [normalizedName: string, deploymentConfigName: unknown][] = [
  ['Canary', 'CodeDeployDefault.LambdaCanary10Percent15Minutes'],
  ['Linear', 'CodeDeployDefault.LambdaLinear10PercentEvery3Minutes'],
  ['AllAtOnce', 'CodeDeployDefault.LambdaAllAtOnce'],
  ['FullName', 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute'],
  ['CustomA', { Ref: 'TrafficShiftConfigCanary25Percent7Minutes' }],
  ['CustomB', { Ref: 'TrafficShiftConfigCanary25Percent7Minutes' }],
  ['CustomLinear', { Ref: 'TrafficShiftConfigLinear20PercentEvery4Minutes' }],
];

describe('deployment strategies (fixture strategies)', () => {
  it('adds one alias per function and one deployment group per shifted function, none for InPlace', () => {
    expect(idsOfType(template, 'AWS::Lambda::Alias')).toEqual(
      [...SHIFTED.map(([fn]) => fn), 'InPlace'].map((fn) => `${fn}TrafficShiftAlias`).sort(),
    );
    expect(idsOfType(template, 'AWS::CodeDeploy::DeploymentGroup')).toEqual(
      SHIFTED.map(([fn]) => `${fn}TrafficShiftDeploymentGroup`).sort(),
    );
    expect(idsOfType(template, 'AWS::CodeDeploy::Application')).toEqual(['TrafficShiftApplication']);
    expect(properties(template, 'TrafficShiftApplication')).toEqual({ ComputePlatform: 'Lambda' });
  });

  it.each(SHIFTED)('%s: its deployment group runs %j', (fn, deploymentConfigName) => {
    expect(properties(template, `${fn}TrafficShiftDeploymentGroup`)).toMatchObject({
      ApplicationName: { Ref: 'TrafficShiftApplication' },
      DeploymentConfigName: deploymentConfigName,
      DeploymentStyle: { DeploymentType: 'BLUE_GREEN', DeploymentOption: 'WITH_TRAFFIC_CONTROL' },
      ServiceRoleArn: { 'Fn::GetAtt': ['TrafficShiftCodeDeployRole', 'Arn'] },
    });
  });

  it.each(SHIFTED)(
    '%s: the alias "live" is on the function\'s version and CodeDeploy updates it through its group',
    (fn) => {
      expect(resource(template, `${fn}TrafficShiftAlias`)).toMatchObject({
        Properties: {
          FunctionName: { Ref: `${fn}LambdaFunction` },
          FunctionVersion: { 'Fn::GetAtt': [onlyVersionId(template, `${fn}LambdaFunction`), 'Version'] },
          Name: 'live',
        },
        UpdatePolicy: {
          CodeDeployLambdaAliasUpdate: {
            ApplicationName: { Ref: 'TrafficShiftApplication' },
            DeploymentGroupName: { Ref: `${fn}TrafficShiftDeploymentGroup` },
          },
        },
      });
    },
  );

  it('creates exactly one custom configuration per custom shape: TimeBasedCanary 25/7 (shared) and TimeBasedLinear 20/4', () => {
    expect(idsOfType(template, 'AWS::CodeDeploy::DeploymentConfig')).toEqual([
      'TrafficShiftConfigCanary25Percent7Minutes',
      'TrafficShiftConfigLinear20PercentEvery4Minutes',
    ]);
    expect(properties(template, 'TrafficShiftConfigCanary25Percent7Minutes')).toEqual({
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedCanary', TimeBasedCanary: { CanaryPercentage: 25, CanaryInterval: 7 } },
    });
    expect(properties(template, 'TrafficShiftConfigLinear20PercentEvery4Minutes')).toEqual({
      ComputePlatform: 'Lambda',
      TrafficRoutingConfig: { Type: 'TimeBasedLinear', TimeBasedLinear: { LinearPercentage: 20, LinearInterval: 4 } },
    });
  });

  it('InPlace: an alias on the new version without UpdatePolicy, and no deployment group', () => {
    const alias = resource(template, 'InPlaceTrafficShiftAlias');
    expect(alias.Properties).toEqual({
      FunctionName: { Ref: 'InPlaceLambdaFunction' },
      FunctionVersion: { 'Fn::GetAtt': [onlyVersionId(template, 'InPlaceLambdaFunction'), 'Version'] },
      Name: 'live',
    });
    expect(alias.UpdatePolicy).toBeUndefined();
    expect(template.Resources.InPlaceTrafficShiftDeploymentGroup).toBeUndefined();
  });

  it('creates one CodeDeploy role for the whole stack, with exactly the partition-aware AWSCodeDeployRoleForLambdaLimited', () => {
    expect(rolesAssumedBy(template, 'codedeploy.amazonaws.com')).toEqual(['TrafficShiftCodeDeployRole']);
    const role = properties(template, 'TrafficShiftCodeDeployRole');
    expect(role.ManagedPolicyArns).toEqual([CODEDEPLOY_MANAGED_POLICY]);
    expect(role.PermissionsBoundary).toBeUndefined();
  });
});

describeWithCfnLint('cfn-lint (fixture strategies)', () => {
  it('finds nothing in the template that it does not find in the same service without the plugin', async () => {
    const { template: baseline } = await packageBaseline(FIXTURE);
    // Self-check of the comparison, in the same cfn-lint run: a defect in a plugin resource must be reported.
    const broken = JSON.parse(JSON.stringify(template)) as CfnTemplate;
    properties(broken, 'TrafficShiftApplication').ComputePlatform = 'Lamda';
    const introduced = await lintAgainstBaselines({
      [FIXTURE]: { withPlugin: template, baseline },
      selfCheck: { withPlugin: broken, baseline },
    });
    expect(introduced[FIXTURE]).toEqual([]);
    expect(introduced.selfCheck).toEqual([expect.stringMatching(/^E\d+ TrafficShiftApplication: .*Lamda/)]);
  });
});
