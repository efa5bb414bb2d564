/**
 * serverless-step-functions alongside (fixture step-functions), packaged by the real framework: the state machine
 * `ts-flow` invokes `hello` as a Task resource and `other` through the lambda:invoke integration, and both now name
 * the aliases; its role may invoke them; `audit`, listed in other's allowBypass, still calls the function itself and
 * the plan says so, in words and as JSON (`--json`). cfn-lint finds nothing the same service without the plugin does
 * not.
 */
import {
  describeWithCfnLint,
  lintAgainstBaselines,
  packageBaseline,
  packageFixture,
  properties,
  type CfnTemplate,
  spawnServerless,
  type Written,
} from './helpers';

const FIXTURE = 'step-functions';
let template: CfnTemplate;
let baseline: CfnTemplate;
let plan: Written;
let planJson: Written;

beforeAll(async () => {
  template = (await packageFixture(FIXTURE)).template;
  baseline = (await packageBaseline(FIXTURE)).template;
  // After the in-process packagings: the plan packages again in the fixture's directory.
  plan = await spawnServerless(FIXTURE, ['traffic', 'plan']);
  planJson = await spawnServerless(FIXTURE, ['traffic', 'plan', '--json']);
});

const arn = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
const alias = (id: string) => ({ Ref: id });

/** The Fn::Sub variables of a state machine's definition, by the state that uses each. */
function taskTargets(machine: string): Record<string, unknown> {
  const [text, variables] = (
    properties(template, machine).DefinitionString as { 'Fn::Sub': [string, Record<string, unknown>] }
  )['Fn::Sub'];
  const states = JSON.parse(text.replace(/\$\{(\w+)\}/g, '$1')).States as Record<
    string,
    { Resource: string; Parameters?: { FunctionName: string } }
  >;
  return Object.fromEntries(
    Object.entries(states).map(([name, state]) => [
      name,
      variables[state.Parameters?.FunctionName ?? state.Resource] ?? state.Resource,
    ]),
  );
}

describe('serverless-step-functions alongside (fixture step-functions)', () => {
  it('ts-flow invokes the aliases: hello as its Task resource, other through lambda:invoke', () => {
    expect(taskTargets('TsDashflow')).toEqual({
      Hello: alias('HelloTrafficShiftAlias'),
      Invoke: alias('OtherTrafficShiftAlias'),
    });
  });

  it('its role may invoke the aliases, beside what serverless-step-functions granted', () => {
    const statements = (
      properties(template, 'TsDashflowRole').Policies as { PolicyDocument: { Statement: { Resource: unknown[] }[] } }[]
    )[0]?.PolicyDocument.Statement;
    const base = (
      properties(baseline, 'TsDashflowRole').Policies as { PolicyDocument: { Statement: { Resource: unknown[] }[] } }[]
    )[0]?.PolicyDocument.Statement;
    expect(statements?.[0]?.Resource).toEqual(
      expect.arrayContaining([
        ...(base?.[0]?.Resource ?? []),
        alias('HelloTrafficShiftAlias'),
        alias('OtherTrafficShiftAlias'),
      ]),
    );
  });

  it('audit, in the allowBypass of other, keeps the function itself, exactly as without the plugin', () => {
    expect(taskTargets('AuditStepFunctionsStateMachine')).toEqual({ Audit: arn('OtherLambdaFunction') });
    expect(properties(template, 'AuditStepFunctionsStateMachine')).toEqual(
      properties(baseline, 'AuditStepFunctionsStateMachine'),
    );
  });

  it('the plan lists each state machine as an event source, through the alias or as the allowed bypass', () => {
    expect(plan.exitCode).toBe(0);
    const text = `${plan.stdout}\n${plan.stderr}`;
    expect(text).toMatch(/hello: [\s\S]*events\s+stepFunctions ts-flow → alias/);
    expect(text).toMatch(
      /other: [\s\S]*events\s+stepFunctions ts-flow → alias\n\s+stepFunctions AuditStepFunctionsStateMachine \[AuditStepFunctionsStateMachine\] → the function itself, new code at once \(allowBypass\)/,
    );
  });
});

describe('serverless traffic plan --json (fixture step-functions)', () => {
  it('prints the plan as JSON alone on standard output, the timeline as data', () => {
    expect(planJson.exitCode).toBe(0);
    const parsed = JSON.parse(planJson.stdout) as { stage: string; functions: Record<string, unknown>[] };
    expect(parsed.stage).toBe('dev');
    expect(parsed.functions.map((f) => f.name)).toEqual(['hello', 'other']);
    expect(parsed.functions[1]).toMatchObject({
      mode: 'shifted',
      strategy: 'Canary10Percent5Minutes',
      alias: 'live',
      steps: [
        { minute: 0, percent: 10 },
        { minute: 5, percent: 100 },
      ],
      events: ['stepFunctions ts-flow'],
      bypasses: ['stepFunctions AuditStepFunctionsStateMachine [AuditStepFunctionsStateMachine]'],
      rollback: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_ALARM', 'DEPLOYMENT_STOP_ON_REQUEST'],
    });
  });
});

describeWithCfnLint('cfn-lint (fixture step-functions)', () => {
  it('finds nothing that it does not find in the same service without the plugin', async () => {
    expect(await lintAgainstBaselines({ [FIXTURE]: { withPlugin: template, baseline } })).toEqual({ [FIXTURE]: [] });
  });
});
