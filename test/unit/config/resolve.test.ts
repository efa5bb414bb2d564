import { resolveSettings, type ShiftedFunction } from '../../../src/config/resolve';
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

  describe('errors name the function and the key and say what is accepted', () => {
    it.each([
      [{ type: 'Canary10Percent5Minute5' }, 'functions.api.deploymentSettings.type', 'Canary<P>Percent<N>Minutes'],
      [{ type: 'Canary100Percent5Minutes' }, 'functions.api.deploymentSettings.type', '1 to 99 percent'],
      [{ type: 42 }, 'functions.api.deploymentSettings.type', 'InPlace'],
      [{}, 'functions.api.deploymentSettings.type is missing', 'custom.deploymentSettings'],
      [
        { type: 'AllAtOnce', alias: 'live v1' },
        'functions.api.deploymentSettings.alias is "live v1"',
        '1 to 128 letters',
      ],
      [{ type: 'AllAtOnce', alias: '123' }, 'functions.api.deploymentSettings.alias', 'not only digits'],
      [{ type: 'AllAtOnce', alias: 'a'.repeat(129) }, 'functions.api.deploymentSettings.alias', '1 to 128'],
      [
        { type: 'AllAtOnce', stages: 'prod' },
        'functions.api.deploymentSettings.stages is "prod"',
        'list of stage names',
      ],
      [{ type: 'AllAtOnce', stages: [] }, 'functions.api.deploymentSettings.stages', 'non-empty list'],
      [{ type: 'AllAtOnce', stages: ['prod', 3] }, 'functions.api.deploymentSettings.stages', 'list of stage names'],
      [{ type: 'AllAtOnce', enabled: 'no' }, 'functions.api.deploymentSettings.enabled is "no"', 'true or false'],
      [
        { type: 'AllAtOnce', codeDeployRole: 'deployer' },
        'functions.api.deploymentSettings.codeDeployRole',
        'IAM role ARN',
      ],
      [{ type: 'AllAtOnce', codeDeployRole: 'arn:aws:iam::123456789012:policy/x' }, 'codeDeployRole', 'IAM role ARN'],
      [{ type: 'AllAtOnce', codeDeployRole: { Foo: 1 } }, 'codeDeployRole', 'intrinsic function'],
      [
        { type: 'AllAtOnce', typo: 1 },
        'functions.api.deploymentSettings.typo (function "api")',
        'accepted keys are enabled, type, alias',
      ],
      [
        { type: 'AllAtOnce', codeDeployRolePermissionsBoundary: 'arn:aws:iam::aws:policy/x' },
        'codeDeployRolePermissionsBoundary',
        'set it in custom.deploymentSettings',
      ],
      ['Canary10Percent5Minutes', 'functions.api.deploymentSettings must be an object', 'type, alias, stages'],
    ])('%j', (settings, where, accepted) => {
      const error = errorOf(() => resolveSettings(service({ api: settings })));
      expect(error.code).toBe('TRAFFIC_SHIFT_INVALID_SETTING');
      expect(error.message).toContain(where);
      expect(error.message).toContain(accepted);
    });

    it('points at custom.deploymentSettings when the default is what is wrong', () => {
      const error = errorOf(() => resolveSettings(service({ api: undefined }, { defaults: { type: 'Sometimes' } })));
      expect(error.message).toContain('custom.deploymentSettings.type is "Sometimes"');
      const boundary = errorOf(() =>
        resolveSettings(service({}, { defaults: { codeDeployRolePermissionsBoundary: 'boundary' } })),
      );
      expect(boundary.message).toContain('custom.deploymentSettings.codeDeployRolePermissionsBoundary');
      expect(boundary.message).toContain('IAM policy ARN');
    });

    it('checks disabled functions too, so a typo never waits for the day it is enabled', () => {
      expect(() => resolveSettings(service({ api: { enabled: false, type: 'Nope' } }))).toThrow(
        'functions.api.deploymentSettings.type',
      );
    });
  });
});
