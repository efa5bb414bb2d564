/**
 * An alias of a shifted function with the name the plugin gives its own, already in the template (resources:, another
 * plugin), stops the transform with TRAFFIC_SHIFT_ALIAS_NAME_TAKEN; the framework's own aliases do not.
 */
import { resolveSettings } from '../../../src/config/resolve';
import { ServerlessError } from '../../../src/errors';
import { applyTrafficShift } from '../../../src/transform';
import type { CfnResource, CfnTemplate } from '../../../src/types/cloudformation';
import { compiledTemplate, service } from '../../support/service';

const canary = { type: 'Canary10Percent5Minutes', newVersionAlarms: false };

const transform = (functions: Record<string, unknown>, template: CfnTemplate) =>
  applyTrafficShift(resolveSettings(service(functions)), template);

const alias = (functionName: unknown, name: unknown): CfnResource => ({
  Type: 'AWS::Lambda::Alias',
  Properties: { FunctionName: functionName, FunctionVersion: '1', Name: name },
});

const withResource = (logicalId: string, resource: CfnResource): CfnTemplate => {
  const template = compiledTemplate(['api', 'worker']);
  template.Resources[logicalId] = resource;
  return template;
};

const caught = (run: () => unknown): ServerlessError => {
  try {
    run();
  } catch (error) {
    return error as ServerlessError;
  }
  throw new Error('expected the transform to throw');
};

describe('an alias of the same name and function already in the template', () => {
  it('stops the transform, naming the function, the alias, the resource and what to do', () => {
    const input = withResource('ApiLiveAlias', alias({ Ref: 'ApiLambdaFunction' }, 'live'));
    const frozen = JSON.stringify(input);
    const error = caught(() => transform({ api: canary, worker: canary }, input));
    expect(error).toBeInstanceOf(ServerlessError);
    expect(error.code).toBe('TRAFFIC_SHIFT_ALIAS_NAME_TAKEN');
    expect(error.message).toBe(
      'Function "api": the template already has an alias named "live" of it, ApiLiveAlias (from resources: or another plugin), ' +
        'and serverless-traffic-shift adds its own alias of that name (deploymentSettings.alias). Lambda allows one alias of a name ' +
        "per function, so CloudFormation could not create both. Remove ApiLiveAlias from the template and refer to the plugin's " +
        'alias as ApiTrafficShiftAlias (if ApiLiveAlias is deployed, the next deploy keeps it, with its logical id and ARN, as the ' +
        "plugin's alias), or set deploymentSettings.alias to another name. [TRAFFIC_SHIFT_ALIAS_NAME_TAKEN]",
    );
    expect(JSON.stringify(input)).toBe(frozen);
  });

  it.each([
    ['Fn::GetAtt list', { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] }],
    ['Fn::GetAtt string', { 'Fn::GetAtt': 'ApiLambdaFunction.Arn' }],
  ])('recognises the function named by %s', (_form, functionName) => {
    const error = caught(() => transform({ api: canary }, withResource('Mine', alias(functionName, 'live'))));
    expect(error.code).toBe('TRAFFIC_SHIFT_ALIAS_NAME_TAKEN');
  });

  it('also with an alias name of the user’s choosing, and for a function moved in place', () => {
    const input = withResource('StableAlias', alias({ Ref: 'WorkerLambdaFunction' }, 'stable'));
    const error = caught(() => transform({ worker: { type: 'InPlace', alias: 'stable' } }, input));
    expect(error.code).toBe('TRAFFIC_SHIFT_ALIAS_NAME_TAKEN');
    expect(error.message).toContain(
      'Function "worker": the template already has an alias named "stable" of it, StableAlias',
    );
  });

  it('lets through another alias name of the same function, and the same name on a function the plugin leaves alone', () => {
    const input = withResource('ApiStableAlias', alias({ Ref: 'ApiLambdaFunction' }, 'stable'));
    input.Resources.WorkerLiveAlias = alias({ Ref: 'WorkerLambdaFunction' }, 'live');
    const { template } = transform({ api: canary, worker: { ...canary, enabled: false } }, input);
    expect(template.Resources.ApiTrafficShiftAlias?.Properties?.Name).toBe('live');
    expect(template.Resources.ApiStableAlias).toEqual(input.Resources.ApiStableAlias);
    expect(template.Resources.WorkerLiveAlias).toEqual(input.Resources.WorkerLiveAlias);
  });

  it("does not count the framework's provisioned-concurrency alias, which the plugin's alias replaces", () => {
    const { template } = transform(
      { api: { ...canary, alias: 'provisioned' } },
      compiledTemplate(['api'], { provisioned: ['api'] }),
    );
    expect(template.Resources.ApiProvConcLambdaAlias).toBeUndefined();
    expect(template.Resources.ApiTrafficShiftAlias?.Properties).toMatchObject({
      Name: 'provisioned',
      ProvisionedConcurrencyConfig: { ProvisionedConcurrentExecutions: 3 },
    });
  });

  it('leaves a resource under the plugin’s own alias id to the logical-id check', () => {
    const input = withResource('ApiTrafficShiftAlias', alias({ Ref: 'ApiLambdaFunction' }, 'live'));
    expect(caught(() => transform({ api: canary }, input)).code).toBe('TRAFFIC_SHIFT_LOGICAL_ID_COLLISION');
  });
});
