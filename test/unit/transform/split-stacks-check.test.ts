/** What serverless-plugin-split-stacks may do after the transform: the order of the plugins, and splits that cycle. */
import { resolveSettings } from '../../../src/config/resolve';
import {
  checkSplitStacksLayout,
  checkSplitStacksOrder,
  NO_SPLIT_STACKS,
  type SplitStacksFacts,
} from '../../../src/transform/split-stacks-check';
import { ServerlessError } from '../../../src/errors';
import type { CfnTemplate } from '../../../src/types/cloudformation';
import { service } from '../../support/service';

const loaded: SplitStacksFacts = { ...NO_SPLIT_STACKS, loaded: true };
const perFunction: SplitStacksFacts = { ...loaded, perFunction: true };
const empty: CfnTemplate = { Resources: {} };

const thrown = (fn: () => void): ServerlessError => {
  try {
    fn();
  } catch (error) {
    if (error instanceof ServerlessError) return error;
    throw error;
  }
  throw new Error('expected a ServerlessError');
};

describe('checkSplitStacksOrder', () => {
  it('refuses split-stacks listed before the plugin, and says which comes first', () => {
    const error = thrown(() => checkSplitStacksOrder({ ...loaded, runsFirst: true }));
    expect(error.code).toBe('TRAFFIC_SHIFT_PLUGIN_ORDER');
    expect(error.message).toContain('List serverless-traffic-shift first.');
  });

  it('accepts it listed after, or not loaded', () => {
    expect(() => checkSplitStacksOrder(loaded)).not.toThrow();
    expect(() => checkSplitStacksOrder(NO_SPLIT_STACKS)).not.toThrow();
  });
});

describe('checkSplitStacksLayout', () => {
  const hooked = resolveSettings(
    service({
      api: {
        type: 'Canary10Percent5Minutes',
        preTrafficHook: 'checker',
        postTrafficHook: 'arn:aws:lambda:us-east-1:123456789012:function:outside',
      },
      worker: { type: 'Linear10PercentEvery1Minute' },
      nightly: { type: 'InPlace', preTrafficHook: 'checker' },
      checker: undefined,
    }),
  );
  const plain = resolveSettings(
    service({
      api: {
        type: 'Canary10Percent5Minutes',
        postTrafficHook: 'arn:aws:lambda:us-east-1:123456789012:function:outside',
      },
    }),
  );

  it('per function: a hook function of the service closes a cycle; the error names the key, the function and the way out', () => {
    const error = thrown(() => checkSplitStacksLayout(perFunction, hooked, empty));
    expect(error.code).toBe('TRAFFIC_SHIFT_SPLIT_STACKS');
    expect(error.message).toBe(
      'custom.splitStacks.perFunction puts each function, with its alias and deployment group, in a nested stack of its own. ' +
        'Here api is checked by function checker, which gets a nested stack of its own. Each of these and the stacks of the functions it serves ' +
        "would refer to each other, a dependency cycle CloudFormation rejects. Split per type instead (split-stacks' default: perType: true, " +
        'perFunction: false), which works with every feature of serverless-traffic-shift, or drop these hooks and shared features. [TRAFFIC_SHIFT_SPLIT_STACKS]',
    );
  });

  it('per group of functions too; each shared resource of the root stack is named with its feature', () => {
    const template: CfnTemplate = {
      Resources: {
        TrafficShiftSmokeTestHook: { Type: 'AWS::Lambda::Function' },
        TrafficShiftBakeHook: { Type: 'AWS::Lambda::Function' },
        TrafficShiftExistingSourcesHandler: { Type: 'AWS::Lambda::Function' },
      },
    };
    const error = thrown(() => checkSplitStacksLayout({ ...loaded, perGroupFunction: true }, plain, template));
    expect(error.message).toContain(
      'custom.splitStacks.perGroupFunction puts each function, with its alias and deployment group, in a nested stack of its own. Here ' +
        'TrafficShiftSmokeTestHook (smokeTest) serves several functions from the root stack; ' +
        'TrafficShiftBakeHook (bakeTime / BlueGreen) serves several functions from the root stack; ' +
        'TrafficShiftExistingSourcesHandler (existing S3 buckets or Cognito user pools) serves several functions from the root stack.',
    );
  });

  it('accepts a split per type whatever the features, a split per function without them, and no split-stacks', () => {
    const shared: CfnTemplate = { Resources: { TrafficShiftSmokeTestHook: { Type: 'AWS::Lambda::Function' } } };
    expect(() => checkSplitStacksLayout(loaded, hooked, shared)).not.toThrow();
    // Hooks outside the service (an ARN) and hooks of functions that move in place refer to no nested stack.
    expect(() => checkSplitStacksLayout(perFunction, plain, empty)).not.toThrow();
    expect(() => checkSplitStacksLayout({ ...NO_SPLIT_STACKS, perFunction: true }, hooked, shared)).not.toThrow();
  });
});
