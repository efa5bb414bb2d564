/**
 * serverless-appsync-plugin alongside, packaged by the real framework:
 * - appsync: `functionAlias: live` on the data source and the Lambda authorizer; the data source, the authorizer, its
 *   permission and the data source's role all name the aliases, and cfn-lint finds nothing the same service without
 *   the plugin does not;
 * - appsync-without-alias: without it the build stops, naming each resource and saying to set functionAlias.
 */
import * as path from 'path';
import {
  describeWithCfnLint,
  lintAgainstBaselines,
  packageBaseline,
  packageFixture,
  packageFixtureExpectingFailure,
  properties,
  REPO_ROOT,
  type CfnTemplate,
  type PackagingFailure,
} from './helpers';

// The class the plugin throws, from the build the fixtures load.
const { ServerlessError: PluginError } = require(path.join(REPO_ROOT, 'dist', 'errors')) as { ServerlessError: abstract new (...args: never[]) => Error };

let template: CfnTemplate;
let baseline: CfnTemplate;
let failure: PackagingFailure;

beforeAll(async () => {
  // One at a time: the framework runs in this process.
  template = (await packageFixture('appsync')).template;
  baseline = (await packageBaseline('appsync')).template;
  failure = await packageFixtureExpectingFailure('appsync-without-alias');
});

const alias = (id: string) => ({ Ref: id });

describe('serverless-appsync-plugin with functionAlias (fixture appsync)', () => {
  it('the data source and the Lambda authorizer invoke the aliases, and the authorizer permission is on its alias', () => {
    expect(properties(template, 'GraphQlDshello').LambdaConfig).toEqual({ LambdaFunctionArn: alias('HelloTrafficShiftAlias') });
    expect(properties(template, 'GraphQlApi').LambdaAuthorizerConfig).toEqual({ AuthorizerUri: alias('AuthTrafficShiftAlias') });
    expect(properties(template, 'LambdaAuthorizerPermission')).toMatchObject({ FunctionName: alias('AuthTrafficShiftAlias'), Principal: 'appsync.amazonaws.com' });
  });

  it("the data source's role may invoke the alias", () => {
    const statement = (properties(template, 'GraphQlDshelloRole').Policies as { PolicyDocument: { Statement: { Resource: unknown[] }[] } }[])[0]?.PolicyDocument.Statement[0];
    expect(statement?.Resource).toContainEqual(alias('HelloTrafficShiftAlias'));
  });

  it('without the plugin, the same configuration names the functions by "<function ARN>:live"', () => {
    expect(properties(baseline, 'GraphQlDshello').LambdaConfig).toEqual({ LambdaFunctionArn: { 'Fn::Join': [':', [{ 'Fn::GetAtt': ['HelloLambdaFunction', 'Arn'] }, 'live']] } });
  });
});

describe('serverless-appsync-plugin without functionAlias (fixture appsync-without-alias)', () => {
  it('stops with TRAFFIC_SHIFT_BYPASS naming the data source, the authorizer and its permission, each with the hint, and writes no template', () => {
    expect(failure.error).toBeInstanceOf(PluginError);
    expect(failure.error.code).toBe('TRAFFIC_SHIFT_BYPASS');
    expect(failure.templateWritten).toBe(false);
    const lines = failure.error.message.split('\n').filter((line) => line.startsWith('  - '));
    expect(lines.map((line) => line.replace(/ at .*/, ''))).toEqual([
      '  - GraphQlApi (AWS::AppSync::GraphQLApi)',
      '  - LambdaAuthorizerPermission (AWS::Lambda::Permission)',
      '  - GraphQlDshello (AWS::AppSync::DataSource)',
    ]);
    for (const line of lines) expect(line).toContain('set functionAlias: <the function\'s alias, live by default> beside functionName');
  });
});

describeWithCfnLint('cfn-lint (fixture appsync)', () => {
  it('finds nothing that it does not find in the same service without the plugin', async () => {
    expect(await lintAgainstBaselines({ appsync: { withPlugin: template, baseline } })).toEqual({ appsync: [] });
  });
});
