/**
 * The CodeDeploy service role: with `codeDeployRolePermissionsBoundary` (fixture `role-boundary`) the plugin's one role
 * carries the boundary; with `codeDeployRole` (fixture `role-external`) the plugin creates no role and every group
 * uses the given ARN.
 */
import {
  CODEDEPLOY_MANAGED_POLICY,
  describeWithCfnLint,
  idsOfType,
  lintAgainstBaselines,
  packageBaseline,
  packageFixture,
  properties,
  rolesAssumedBy,
  type CfnTemplate,
} from './helpers';

let withBoundary: CfnTemplate;
let external: CfnTemplate;

beforeAll(async () => {
  ({ template: withBoundary } = await packageFixture('role-boundary'));
  ({ template: external } = await packageFixture('role-external'));
});

const GROUPS = ['ApiTrafficShiftDeploymentGroup', 'WorkerTrafficShiftDeploymentGroup'];

describe('codeDeployRolePermissionsBoundary (fixture role-boundary)', () => {
  it('creates one role for both functions, with the managed policy and the boundary', () => {
    expect(rolesAssumedBy(withBoundary, 'codedeploy.amazonaws.com')).toEqual(['TrafficShiftCodeDeployRole']);
    expect(properties(withBoundary, 'TrafficShiftCodeDeployRole')).toMatchObject({
      ManagedPolicyArns: [CODEDEPLOY_MANAGED_POLICY],
      PermissionsBoundary: 'arn:aws:iam::123456789012:policy/deploy-boundary',
    });
    expect(properties(withBoundary, 'TrafficShiftCodeDeployRole').ManagedPolicyArns).toEqual([
      CODEDEPLOY_MANAGED_POLICY,
    ]);
  });

  it('gives every deployment group that role', () => {
    expect(idsOfType(withBoundary, 'AWS::CodeDeploy::DeploymentGroup')).toEqual(GROUPS);
    for (const id of GROUPS) {
      expect([id, properties(withBoundary, id).ServiceRoleArn]).toEqual([
        id,
        { 'Fn::GetAtt': ['TrafficShiftCodeDeployRole', 'Arn'] },
      ]);
    }
  });
});

describe('codeDeployRole (fixture role-external)', () => {
  it('creates no CodeDeploy role', () => {
    expect(rolesAssumedBy(external, 'codedeploy.amazonaws.com')).toEqual([]);
    expect(external.Resources.TrafficShiftCodeDeployRole).toBeUndefined();
  });

  it('gives every deployment group the configured role ARN', () => {
    expect(idsOfType(external, 'AWS::CodeDeploy::DeploymentGroup')).toEqual(GROUPS);
    for (const id of GROUPS)
      expect([id, properties(external, id).ServiceRoleArn]).toEqual([id, 'arn:aws:iam::123456789012:role/x']);
  });
});

describeWithCfnLint('cfn-lint (fixtures role-boundary, role-external)', () => {
  it('finds nothing in either template that it does not find in the same service without the plugin', async () => {
    const { template: boundaryBaseline } = await packageBaseline('role-boundary');
    const { template: externalBaseline } = await packageBaseline('role-external');
    expect(
      await lintAgainstBaselines({
        'role-boundary': { withPlugin: withBoundary, baseline: boundaryBaseline },
        'role-external': { withPlugin: external, baseline: externalBaseline },
      }),
    ).toEqual({ 'role-boundary': [], 'role-external': [] });
  });
});
