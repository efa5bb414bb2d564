/**
 * `provider.versionFunctions: false` (fixture `unversioned`): a shifted function (`api`) still needs a version for
 * its alias, but not a retained one; a function without settings (`cron`) stays unversioned.
 */
import {
  describeWithCfnLint,
  lintAgainstBaselines,
  onlyVersionId,
  packageBaseline,
  packageFixture,
  properties,
  resource,
  versionIds,
  type CfnTemplate,
} from './helpers';

const FIXTURE = 'unversioned';
let template: CfnTemplate;

beforeAll(async () => {
  ({ template } = await packageFixture(FIXTURE));
});

describe('provider.versionFunctions: false (fixture unversioned)', () => {
  it('publishes a version of the shifted function, without DeletionPolicy Retain', () => {
    const version = resource(template, onlyVersionId(template, 'ApiLambdaFunction'));
    expect(version.Type).toBe('AWS::Lambda::Version');
    expect(version.DeletionPolicy).toBeUndefined();
    expect(version.UpdateReplacePolicy).toBeUndefined();
  });

  it('points the alias at that version', () => {
    expect(properties(template, 'ApiTrafficShiftAlias').FunctionVersion).toEqual({
      'Fn::GetAtt': [onlyVersionId(template, 'ApiLambdaFunction'), 'Version'],
    });
  });

  it('publishes no version of the function the plugin does not shift', () => {
    expect(versionIds(template, 'CronLambdaFunction')).toEqual([]);
    expect(Object.keys(template.Resources).filter((id) => id.startsWith('CronTrafficShift'))).toEqual([]);
  });
});

describeWithCfnLint('cfn-lint (fixture unversioned)', () => {
  it('finds nothing in the template that it does not find in the same service without the plugin', async () => {
    const { template: baseline } = await packageBaseline(FIXTURE);
    expect(await lintAgainstBaselines({ [FIXTURE]: { withPlugin: template, baseline } })).toEqual({ [FIXTURE]: [] });
  });
});
