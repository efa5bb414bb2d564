import { CloudWatchClient, DescribeAlarmsCommand } from '@aws-sdk/client-cloudwatch';
import {
  CodeDeployClient,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} from '@aws-sdk/client-codedeploy';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { mockClient } from 'aws-sdk-client-mock';

// The generated hook's handler, exactly as it is inlined into templates.

const hook = require('../../../src/lambda/traffic-hook.js') as {
  /** What the template appends: `exports.config = "<JSON>"`. */
  config?: string;
  handler(
    event: Record<string, unknown>,
    context: Record<string, unknown>,
  ): Promise<{ status: string; message: string } | undefined>;
  matches(actual: unknown, expected: unknown): boolean;
};

const codedeploy = mockClient(CodeDeployClient);
const lambda = mockClient(LambdaClient);
const cloudwatch = mockClient(CloudWatchClient);
const event = { DeploymentId: 'd-123', LifecycleEventHookExecutionId: 'exec-1' };
const context = {
  getRemainingTimeInMillis: () => 900000,
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:bake',
};
const VERSION = 'arn:aws:lambda:us-east-1:123456789012:function:svc-prod-api:7';
// The SDK types Payload as its blob adapter; the handler only reads the bytes.
const payload = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

function configure(phase: 'smoke' | 'bake', config: Record<string, unknown>) {
  process.env.TRAFFIC_SHIFT_PHASE = phase;
  hook.config = JSON.stringify({ 'api-group': config });
}

function reported(): string | undefined {
  const calls = codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand);
  expect(calls).toHaveLength(1);
  expect(calls[0]?.args[0].input).toMatchObject({ deploymentId: 'd-123', lifecycleEventHookExecutionId: 'exec-1' });
  return calls[0]?.args[0].input.status;
}

beforeEach(() => {
  codedeploy.reset();
  lambda.reset();
  cloudwatch.reset();
  codedeploy.on(GetDeploymentCommand).resolves({ deploymentInfo: { deploymentGroupName: 'api-group' } });
  codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).resolves({});
  jest.spyOn(console, 'log').mockImplementation(() => undefined);
});

describe('smoke tests', () => {
  const tests = [
    { name: 'health', payload: { path: '/health' }, expect: { statusCode: 200, body: { ok: true } } },
    { name: 'plain', payload: { n: 1 } },
  ];

  it('invokes the new version with each payload and reports success', async () => {
    configure('smoke', { function: 'api', target: VERSION, tests });
    lambda.on(InvokeCommand).resolves({
      StatusCode: 200,
      Payload: payload({ statusCode: 200, body: JSON.stringify({ ok: true, extra: 1 }) }),
    });
    const outcome = await hook.handler(event, context);
    expect(outcome).toEqual({ status: 'Succeeded', message: `2 smoke test(s) passed on ${VERSION}` });
    expect(reported()).toBe('Succeeded');
    const invocations = lambda.commandCalls(InvokeCommand).map((c) => c.args[0].input);
    expect(invocations.map((i) => [i.FunctionName, Buffer.from(i.Payload as Uint8Array).toString()])).toEqual([
      [VERSION, '{"path":"/health"}'],
      [VERSION, '{"n":1}'],
    ]);
  });

  it('fails the deployment on a function error', async () => {
    configure('smoke', { function: 'api', target: VERSION, tests });
    lambda
      .on(InvokeCommand)
      .resolves({ StatusCode: 200, FunctionError: 'Unhandled', Payload: payload({ errorMessage: 'boom' }) });
    const outcome = await hook.handler(event, context);
    expect(outcome?.status).toBe('Failed');
    expect(outcome?.message).toBe('smoke test "health" of api: function error (Unhandled): {"errorMessage":"boom"}');
    expect(reported()).toBe('Failed');
    expect(lambda.commandCalls(InvokeCommand)).toHaveLength(1);
  });

  it('fails on a status code or body that does not match', async () => {
    configure('smoke', { function: 'api', target: VERSION, tests });
    lambda.on(InvokeCommand).resolves({ Payload: payload({ statusCode: 500, body: '{}' }) });
    expect((await hook.handler(event, context))?.message).toBe(
      'smoke test "health" of api: expected statusCode 200, got 500',
    );
    codedeploy.resetHistory();
    lambda.on(InvokeCommand).resolves({ Payload: payload({ statusCode: 200, body: '{"ok":false}' }) });
    expect((await hook.handler(event, context))?.message).toContain('does not contain {"ok":true}');
    expect(reported()).toBe('Failed');
  });

  it('fails when the invocation itself fails or times out', async () => {
    configure('smoke', { function: 'api', target: VERSION, tests });
    lambda.on(InvokeCommand).rejects(new Error('AccessDeniedException: not allowed'));
    expect((await hook.handler(event, context))?.message).toBe(
      'smoke test "health" of api: invoke failed: AccessDeniedException: not allowed',
    );
    codedeploy.resetHistory();
    const abort = Object.assign(new Error('aborted'), { name: 'AbortError' });
    lambda.on(InvokeCommand).rejects(abort);
    expect((await hook.handler(event, context))?.message).toBe('smoke test "health" of api: no response within 60s');
    expect(reported()).toBe('Failed');
  });

  it('fails when the deployment group has no configuration, and when CodeDeploy cannot be read', async () => {
    process.env.TRAFFIC_SHIFT_PHASE = 'smoke';
    hook.config = '{}';
    expect((await hook.handler(event, context))?.message).toBe('no configuration for deployment group api-group');
    codedeploy.resetHistory();
    codedeploy.on(GetDeploymentCommand).rejects(new Error('ThrottlingException'));
    expect((await hook.handler(event, context))?.message).toBe('the hook itself failed: ThrottlingException');
    expect(reported()).toBe('Failed');
  });

  it('reports a failure at once when its configuration cannot be read, rather than leaving CodeDeploy to time out', async () => {
    process.env.TRAFFIC_SHIFT_PHASE = 'smoke';
    hook.config = '{"api-group": {';
    expect((await hook.handler(event, context))?.message).toMatch(/^the hook itself failed: .*JSON/);
    expect(reported()).toBe('Failed');
  });

  it('throws when the status cannot be reported, so the failure is visible in its logs and retried', async () => {
    configure('smoke', { function: 'api', target: VERSION, tests: [] });
    codedeploy.on(PutLifecycleEventHookExecutionStatusCommand).rejects(new Error('AccessDenied'));
    await expect(hook.handler(event, context)).rejects.toThrow('AccessDenied');
  });
});

describe('bake', () => {
  beforeEach(() => jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] }));
  afterEach(() => jest.useRealTimers());

  it('reports success when no alarm fires during the bake', async () => {
    configure('bake', { function: 'api', bakeMinutes: 1, alarms: ['api-errors'] });
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });
    const running = hook.handler(event, context);
    await jest.advanceTimersByTimeAsync(61000);
    expect(await running).toEqual({ status: 'Succeeded', message: 'no alarm during the 1-minute bake of api' });
    expect(reported()).toBe('Succeeded');
    expect(cloudwatch.commandCalls(DescribeAlarmsCommand)[0]?.args[0].input).toEqual({
      AlarmNames: ['api-errors'],
      StateValue: 'ALARM',
    });
  });

  it('fails with the alarm and its reason as soon as one fires', async () => {
    configure('bake', { function: 'api', bakeMinutes: 10, alarms: ['api-errors'] });
    cloudwatch
      .on(DescribeAlarmsCommand)
      .resolvesOnce({ MetricAlarms: [] })
      .resolves({ MetricAlarms: [{ AlarmName: 'api-errors', StateReason: 'Threshold Crossed: 1 datapoint [3.0]' }] });
    const running = hook.handler(event, context);
    await jest.advanceTimersByTimeAsync(31000);
    expect(await running).toEqual({
      status: 'Failed',
      message: 'alarm api-errors (Threshold Crossed: 1 datapoint [3.0]) during the 10-minute bake of api',
    });
    expect(reported()).toBe('Failed');
  });

  it('hands a long bake over to a fresh invocation before its own time runs out', async () => {
    configure('bake', { function: 'api', bakeMinutes: 30, alarms: [] });
    lambda.on(InvokeCommand).resolves({ StatusCode: 202 });
    const shortContext = { ...context, getRemainingTimeInMillis: () => 60000 };
    expect(await hook.handler(event, shortContext)).toBeUndefined();
    expect(codedeploy.commandCalls(PutLifecycleEventHookExecutionStatusCommand)).toHaveLength(0);
    const relay = lambda.commandCalls(InvokeCommand)[0]?.args[0].input;
    expect(relay).toMatchObject({ FunctionName: context.invokedFunctionArn, InvocationType: 'Event' });
    const relayed = JSON.parse(Buffer.from(relay?.Payload as Uint8Array).toString());
    expect(relayed).toMatchObject(event);
    expect(relayed.trafficShiftBakeUntil).toBeGreaterThan(Date.now() + 29 * 60000);
  });
});

describe('matches', () => {
  it('matches objects by subset, arrays by position, scalars by equality', () => {
    expect(hook.matches({ a: 1, b: { c: [1, 2, 3] } }, { b: { c: [1, 2] } })).toBe(true);
    expect(hook.matches({ a: 1 }, { a: 2 })).toBe(false);
    expect(hook.matches('text', 'text')).toBe(true);
    expect(hook.matches(null, { a: 1 })).toBe(false);
    expect(hook.matches([1], [1, 2])).toBe(false);
  });
});
