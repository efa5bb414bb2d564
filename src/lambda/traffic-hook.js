// @ts-check
'use strict';
// serverless-traffic-shift generated CodeDeploy hook. Inlined into the stack as the smoke-test (pre-traffic) and
// bake (post-traffic) hooks; TRAFFIC_SHIFT_PHASE says which. The template appends `exports.config = "<JSON>"`: it maps
// each deployment group name to { function, target (new version ARN), tests, bakeMinutes, alarms }.
const {
  CodeDeployClient,
  GetDeploymentCommand,
  PutLifecycleEventHookExecutionStatusCommand,
} = require('@aws-sdk/client-codedeploy');
const { LambdaClient, InvokeCommand } = require('@aws-sdk/client-lambda');
const { CloudWatchClient, DescribeAlarmsCommand } = require('@aws-sdk/client-cloudwatch');

/**
 * @typedef {object} HookEvent What CodeDeploy sends a lifecycle hook; a relayed bake adds its deadline.
 * @property {string} DeploymentId
 * @property {string} LifecycleEventHookExecutionId
 * @property {number} [trafficShiftBakeUntil]
 *
 * @typedef {object} HookContext The part of Lambda's context the hook uses.
 * @property {() => number} getRemainingTimeInMillis
 * @property {string} invokedFunctionArn
 *
 * @typedef {object} SmokeTest
 * @property {string} name
 * @property {unknown} [payload]
 * @property {{ statusCode?: number, response?: unknown, body?: unknown }} [expect]
 *
 * @typedef {object} Target One deployment group's entry of `exports.config`.
 * @property {string} function
 * @property {string} target The new version's ARN.
 * @property {SmokeTest[]} [tests]
 * @property {number} bakeMinutes
 * @property {string[]} [alarms]
 *
 * @typedef {{ status: 'Succeeded' | 'Failed', message: string }} Outcome
 */

/** @type {Record<string, any>} */
const clients = {};
/**
 * @template {new (config: {}) => any} T
 * @param {T} Type
 * @returns {InstanceType<T>}
 */
const client = (Type) => (clients[Type.name] ??= new Type({}));

const INVOKE_TIMEOUT_MS = 60000;
const BAKE_POLL_MS = 30000;
const RELAY_MARGIN_MS = 60000;

/**
 * @param {HookEvent} event
 * @param {HookContext} context
 * @returns {Promise<Outcome | undefined>}
 */
exports.handler = async (event, context) => {
  const phase = process.env.TRAFFIC_SHIFT_PHASE;
  /** @type {Outcome | 'relayed'} */
  let outcome;
  try {
    /** @type {Record<string, Target>} */
    const config = JSON.parse(/** @type {{ config?: string }} */ (exports).config || '{}');
    const deployment = await client(CodeDeployClient).send(
      new GetDeploymentCommand({ deploymentId: event.DeploymentId }),
    );
    const group = deployment.deploymentInfo && deployment.deploymentInfo.deploymentGroupName;
    const target = config[/** @type {string} */ (group)];
    if (!target) {
      outcome = fail(`no configuration for deployment group ${group}`);
    } else if (phase === 'bake') {
      outcome = await bake(event, context, target);
      if (outcome === 'relayed') return;
    } else {
      outcome = await smokeTest(target);
    }
  } catch (error) {
    outcome = fail(`the hook itself failed: ${error && /** @type {Error} */ (error).message}`);
  }
  console.log(
    JSON.stringify({ deploymentId: event.DeploymentId, phase, status: outcome.status, message: outcome.message }),
  );
  await client(CodeDeployClient).send(
    new PutLifecycleEventHookExecutionStatusCommand({
      deploymentId: event.DeploymentId,
      lifecycleEventHookExecutionId: event.LifecycleEventHookExecutionId,
      status: outcome.status,
    }),
  );
  return outcome;
};

/**
 * @param {string} message
 * @returns {Outcome}
 */
const fail = (message) => ({ status: 'Failed', message });

/**
 * @param {Target} target
 * @returns {Promise<Outcome>}
 */
async function smokeTest(target) {
  for (const test of target.tests || []) {
    const failure = await runTest(target.target, test);
    if (failure) return fail(`smoke test "${test.name}" of ${target.function}: ${failure}`);
  }
  return { status: 'Succeeded', message: `${(target.tests || []).length} smoke test(s) passed on ${target.target}` };
}

/**
 * @param {string} functionArn
 * @param {SmokeTest} test
 * @returns {Promise<string | undefined>} What failed, or undefined.
 */
async function runTest(functionArn, test) {
  /** @type {import('@aws-sdk/client-lambda').InvokeCommandOutput} */
  let result;
  try {
    result = await client(LambdaClient).send(
      new InvokeCommand({
        FunctionName: functionArn,
        Payload: Buffer.from(JSON.stringify(test.payload === undefined ? {} : test.payload)),
      }),
      { abortSignal: AbortSignal.timeout(INVOKE_TIMEOUT_MS) },
    );
  } catch (error) {
    return error && /** @type {Error} */ (error).name === 'AbortError'
      ? `no response within ${INVOKE_TIMEOUT_MS / 1000}s`
      : `invoke failed: ${error && /** @type {Error} */ (error).message}`;
  }
  const text = result.Payload ? Buffer.from(result.Payload).toString('utf8') : '';
  if (result.FunctionError) return `function error (${result.FunctionError}): ${text.slice(0, 500)}`;
  const expect = test.expect;
  if (!expect) return undefined;
  const response = parse(text);
  if (expect.statusCode !== undefined && (!response || response.statusCode !== expect.statusCode)) {
    return `expected statusCode ${expect.statusCode}, got ${response && response.statusCode}`;
  }
  if (expect.response !== undefined && !matches(response, expect.response)) {
    return `response ${text.slice(0, 500)} does not contain ${JSON.stringify(expect.response)}`;
  }
  if (expect.body !== undefined) {
    const body = response && typeof response.body === 'string' ? parse(response.body) : response && response.body;
    if (!matches(body, expect.body))
      return `body ${JSON.stringify(body).slice(0, 500)} does not contain ${JSON.stringify(expect.body)}`;
  }
  return undefined;
}

/**
 * @param {string} text
 * @returns {any} The JSON value, or the text itself.
 */
function parse(text) {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** True when `actual` contains `expected`: objects by subset, arrays item by item, anything else by equality. */
/**
 * @param {any} actual
 * @param {any} expected
 * @returns {boolean}
 */
function matches(actual, expected) {
  if (expected === null || typeof expected !== 'object') return actual === expected;
  if (actual === null || typeof actual !== 'object') return false;
  if (Array.isArray(expected)) return Array.isArray(actual) && expected.every((item, i) => matches(actual[i], item));
  return Object.keys(expected).every((key) => matches(actual[key], expected[key]));
}

/**
 * @param {HookEvent} event
 * @param {HookContext} context
 * @param {Target} target
 * @returns {Promise<Outcome | 'relayed'>}
 */
async function bake(event, context, target) {
  const bakeUntil = event.trafficShiftBakeUntil || Date.now() + target.bakeMinutes * 60000;
  for (;;) {
    const firing = await alarmsInAlarm(target.alarms || []);
    if (firing.length > 0) {
      return fail(
        `alarm ${firing.map((a) => `${a.AlarmName} (${a.StateReason})`).join(', ')} during the ${target.bakeMinutes}-minute bake of ${target.function}`,
      );
    }
    const left = bakeUntil - Date.now();
    if (left <= 0)
      return {
        status: 'Succeeded',
        message: `no alarm during the ${target.bakeMinutes}-minute bake of ${target.function}`,
      };
    if (context.getRemainingTimeInMillis() < BAKE_POLL_MS + RELAY_MARGIN_MS) {
      // A Lambda runs at most 15 minutes: hand the rest of the bake to a fresh invocation of this hook.
      await client(LambdaClient).send(
        new InvokeCommand({
          FunctionName: context.invokedFunctionArn,
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ ...event, trafficShiftBakeUntil: bakeUntil })),
        }),
      );
      return 'relayed';
    }
    await new Promise((resolve) => setTimeout(resolve, Math.min(BAKE_POLL_MS, left)));
  }
}

/**
 * @param {string[]} names
 * @returns {Promise<{ AlarmName?: string, StateReason?: string }[]>}
 */
async function alarmsInAlarm(names) {
  if (names.length === 0) return [];
  const result = await client(CloudWatchClient).send(
    new DescribeAlarmsCommand({ AlarmNames: names, StateValue: 'ALARM' }),
  );
  return [...(result.MetricAlarms || []), ...(result.CompositeAlarms || [])];
}

exports.matches = matches;
