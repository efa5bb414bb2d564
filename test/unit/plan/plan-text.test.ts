import { resolveSettings } from '../../../src/config/resolve';
import { renderPlan, summaryLines } from '../../../src/plan/plan-text';
import { applyTrafficShift } from '../../../src/transform';
import { compiledTemplate, service } from '../../support/service';

const { plan } = applyTrafficShift(
  resolveSettings(
    service(
      {
        api: undefined,
        worker: { type: 'Linear10PercentEvery1Minute' },
        nightly: { stages: ['dev'] },
        legacy: { enabled: false },
      },
      { defaults: { type: 'Canary10Percent5Minutes', stages: ['prod', 'staging'] }, stage: 'prod' },
    ),
  ),
  compiledTemplate(['api', 'worker', 'nightly', 'legacy']),
);

describe('plan rendering', () => {
  it('summarises each function in one line after sls package', () => {
    expect(summaryLines(plan)).toEqual([
      'api: Canary10Percent5Minutes through alias "live" (0m → 10%, 5m → 100%)',
      'worker: Linear10PercentEvery1Minute through alias "live" (0m → 10%, 1m → 20%, 2m → 30%, 3m → 40%, 4m → 50%, 5m → 60%, 6m → 70%, 7m → 80%, 8m → 90%, 9m → 100%)',
      'nightly: in place through alias "live", no gradual shift (stage "prod" is not in stages [dev])',
      'legacy: not managed (deploymentSettings.enabled is false)',
    ]);
  });

  it('shows strategy, alias, timeline, checks and resources per function', () => {
    const text = renderPlan(plan);
    expect(text).toContain('Traffic plan for stage "prod"');
    expect(text).toContain(
      [
        'api: Canary10Percent5Minutes through alias "live" (0m → 10%, 5m → 100%)',
        '  alias        live',
        '  config       CodeDeployDefault.LambdaCanary10Percent5Minutes',
        '  traffic      0m → 10%, 5m → 100%',
        '  events       http GET (ApiGatewayMethodApiGet) → alias',
        '               1 invoke permission(s), all on the alias',
        '  alarms       errors: any error in 60s',
        '  hooks        none',
        '  rollback     when the deployment fails',
        '               when an alarm fires',
        '               when stopped by hand',
        '  adds         ApiTrafficShiftAlias, ApiTrafficShiftErrorsAlarm, ApiTrafficShiftDeploymentGroup',
      ].join('\n'),
    );
    expect(text).toContain('  traffic      all traffic moves at once, no CodeDeploy deployment');
    expect(text).toContain('Shared by the stack: TrafficShiftApplication, TrafficShiftCodeDeployRole');
    expect(
      text.endsWith(
        'and a deploy with unchanged code and configuration publishes no version and leaves the\nalias where it is.',
      ),
    ).toBe(true);
  });

  it('says when traffic shifts only where a function shifts through CodeDeploy', () => {
    const inPlace = applyTrafficShift(
      resolveSettings(
        service({ api: undefined }, { defaults: { type: 'Canary10Percent5Minutes', stages: ['prod'] }, stage: 'dev' }),
      ),
      compiledTemplate(['api']),
    ).plan;
    const text = renderPlan(inPlace);
    expect(text).toContain('  traffic      all traffic moves at once, no CodeDeploy deployment');
    expect(text).not.toContain('Traffic shifts only when');
    expect(text.endsWith('\n')).toBe(false);
  });
});

describe('plan rendering of an allowed bypass', () => {
  it('lists the resource among the events, saying it reaches the function itself at once', () => {
    const template = compiledTemplate(['api']);
    template.Resources.LegacySubscription = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        Protocol: 'lambda',
        TopicArn: 'arn:aws:sns:us-east-1:123456789012:legacy',
        Endpoint: { 'Fn::GetAtt': ['ApiLambdaFunction', 'Arn'] },
      },
    };
    const settings = resolveSettings(
      service({ api: { type: 'Canary10Percent5Minutes', allowBypass: ['LegacySubscription'] } }),
    );
    expect(renderPlan(applyTrafficShift(settings, template).plan)).toContain(
      [
        '  events       http GET (ApiGatewayMethodApiGet) → alias',
        '               1 invoke permission(s), all on the alias',
        '               sns arn:aws:sns:us-east-1:123456789012:legacy [LegacySubscription] → the function itself, new code at once (allowBypass)',
      ].join('\n'),
    );
  });
});

describe('plan notes', () => {
  it('tells of a function whose events run it less often than the alarms watch, after what it adds', () => {
    const description = service({ nightly: { type: 'Canary10Percent5Minutes' } });
    (description.functions.nightly as { traffic?: unknown }).traffic = {
      kind: 'schedules',
      everyMinutes: 60,
      expression: 'rate(1 hour)',
    };
    const { plan: noted } = applyTrafficShift(resolveSettings(description), compiledTemplate(['nightly']));
    expect(noted.functions[0]?.notes).toEqual([
      'nightly runs only on rate(1 hour), at most once every 60 minutes, and the alarms watch the new version for 5: they will likely see no invocation of it before it takes all traffic; add smokeTest (or a preTrafficHook) to invoke the new version before traffic moves',
    ]);
    expect(renderPlan(noted)).toContain(
      [
        '  adds         NightlyTrafficShiftAlias, NightlyTrafficShiftErrorsAlarm, NightlyTrafficShiftDeploymentGroup',
        '  note         nightly runs only on rate(1 hour), at most once every 60 minutes, and the alarms watch the new version for 5: they will likely see no invocation of it before it takes all traffic; add smokeTest (or a preTrafficHook) to invoke the new version before traffic moves',
      ].join('\n'),
    );
    // The plan of every other function has no note.
    expect(plan.functions.every((fn) => fn.notes === undefined)).toBe(true);
  });
});
