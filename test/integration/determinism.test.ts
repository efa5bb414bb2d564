/**
 * Packaging the same service again yields the same plugin resources and the same version ids (fixture
 * `determinism`: custom canary and linear configurations, provisioned concurrency, http and httpApi events). Twice
 * in-process and once with the `serverless` executable, so neither state shared by one process nor a difference
 * between the two ways of running the framework goes unnoticed. Otherwise CloudFormation would see a change, and
 * start a CodeDeploy deployment, on every deploy of unchanged code.
 */
import {
  describeWithCfnLint,
  lintAgainstBaselines,
  packageBaseline,
  packageFixture,
  spawnPackage,
  trafficShiftResources,
  versionIds,
  type CfnTemplate,
} from './helpers';

const FIXTURE = 'determinism';
const runs: { name: string; template: CfnTemplate }[] = [];

beforeAll(async () => {
  runs.push({ name: 'in-process #1', template: (await packageFixture(FIXTURE)).template });
  runs.push({ name: 'in-process #2', template: (await packageFixture(FIXTURE)).template });
  const spawned = await spawnPackage(FIXTURE);
  if (spawned.exitCode !== 0 || !spawned.template)
    throw new Error(`serverless package exited with ${spawned.exitCode}:\n${spawned.stdout}\n${spawned.stderr}`);
  runs.push({ name: 'serverless executable', template: spawned.template });
});

const run = (name: string): CfnTemplate => {
  const found = runs.find((r) => r.name === name);
  if (!found) throw new Error(`no packaging run named ${name}`);
  return found.template;
};
const first = (): CfnTemplate => run('in-process #1');
const AGAIN = ['in-process #2', 'serverless executable'];

describe('determinism (fixture determinism)', () => {
  it('adds the plugin resources the fixture implies', () => {
    expect(trafficShiftResources(first()).map(([id]) => id)).toEqual(
      expect.arrayContaining([
        'ApiTrafficShiftAlias',
        'WorkerTrafficShiftAlias',
        'ApiTrafficShiftDeploymentGroup',
        'WorkerTrafficShiftDeploymentGroup',
        'TrafficShiftApplication',
        'TrafficShiftCodeDeployRole',
        'TrafficShiftConfigCanary25Percent7Minutes',
        'TrafficShiftConfigLinear20PercentEvery4Minutes',
      ]),
    );
  });

  it.each(AGAIN)('%s: the resources whose ids contain TrafficShift are byte-identical to the first run', (name) => {
    expect(trafficShiftResources(run(name))).toEqual(trafficShiftResources(first()));
    expect(JSON.stringify(trafficShiftResources(run(name)))).toBe(JSON.stringify(trafficShiftResources(first())));
  });

  it.each(AGAIN)('%s: the version ids are those of the first run', (name) => {
    for (const fn of ['ApiLambdaFunction', 'WorkerLambdaFunction']) {
      expect(versionIds(first(), fn)).toHaveLength(1);
      expect([fn, versionIds(run(name), fn)]).toEqual([fn, versionIds(first(), fn)]);
    }
  });
});

describeWithCfnLint('cfn-lint (fixture determinism)', () => {
  it('finds nothing in the template that it does not find in the same service without the plugin', async () => {
    const { template: baseline } = await packageBaseline(FIXTURE);
    expect(await lintAgainstBaselines({ [FIXTURE]: { withPlugin: first(), baseline } })).toEqual({ [FIXTURE]: [] });
  });
});
