/**
 * `stages: [prod]` (fixture `stages`): in other stages the function keeps its alias but traffic moves at once
 * (no CodeDeploy); in prod CodeDeploy shifts it.
 */
import {
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

const FIXTURE = 'stages';
let dev: CfnTemplate;
let prod: CfnTemplate;

beforeAll(async () => {
  ({ template: dev } = await packageFixture(FIXTURE, { stage: 'dev' }));
  ({ template: prod } = await packageFixture(FIXTURE, { stage: 'prod' }));
});

const codeDeployResources = (template: CfnTemplate): string[] =>
  Object.keys(template.Resources).filter((id) => template.Resources[id]?.Type.startsWith('AWS::CodeDeploy::'));

describe('stages: [prod] (fixture stages)', () => {
  describe('--stage dev', () => {
    it('keeps the alias on the new version, without UpdatePolicy', () => {
      expect(idsOfType(dev, 'AWS::Lambda::Alias')).toEqual(['ApiTrafficShiftAlias']);
      const alias = resource(dev, 'ApiTrafficShiftAlias');
      expect(alias.Properties).toEqual({
        FunctionName: { Ref: 'ApiLambdaFunction' },
        FunctionVersion: { 'Fn::GetAtt': [onlyVersionId(dev, 'ApiLambdaFunction'), 'Version'] },
        Name: 'live',
      });
      expect(alias.UpdatePolicy).toBeUndefined();
    });

    it('adds no CodeDeploy application, group, configuration or role', () => {
      expect(codeDeployResources(dev)).toEqual([]);
      expect(rolesAssumedBy(dev, 'codedeploy.amazonaws.com')).toEqual([]);
    });

    it('still sends the http event through the alias', () => {
      expect(properties(dev, 'ApiLambdaPermissionApiGateway').FunctionName).toEqual({ Ref: 'ApiTrafficShiftAlias' });
    });
  });

  describe('--stage prod', () => {
    it('shifts through CodeDeploy with Linear10PercentEvery1Minute', () => {
      expect(resource(prod, 'ApiTrafficShiftAlias').UpdatePolicy).toEqual({
        CodeDeployLambdaAliasUpdate: {
          ApplicationName: { Ref: 'TrafficShiftApplication' },
          DeploymentGroupName: { Ref: 'ApiTrafficShiftDeploymentGroup' },
        },
      });
      expect(codeDeployResources(prod).sort()).toEqual(['ApiTrafficShiftDeploymentGroup', 'TrafficShiftApplication']);
      expect(properties(prod, 'ApiTrafficShiftDeploymentGroup').DeploymentConfigName).toBe(
        'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
      );
      expect(rolesAssumedBy(prod, 'codedeploy.amazonaws.com')).toEqual(['TrafficShiftCodeDeployRole']);
    });
  });
});

describeWithCfnLint('cfn-lint (fixture stages)', () => {
  it('finds nothing in either stage that it does not find in the same service without the plugin', async () => {
    const { template: devBaseline } = await packageBaseline(FIXTURE, { stage: 'dev' });
    const { template: prodBaseline } = await packageBaseline(FIXTURE, { stage: 'prod' });
    expect(
      await lintAgainstBaselines({
        dev: { withPlugin: dev, baseline: devBaseline },
        prod: { withPlugin: prod, baseline: prodBaseline },
      }),
    ).toEqual({ dev: [], prod: [] });
  });
});
