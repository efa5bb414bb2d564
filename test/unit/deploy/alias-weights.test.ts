/** The manual traffic operations as pure decisions on an alias. */
import {
  aliasState,
  describeAlias,
  handWeightRefusal,
  latestPublished,
  parseWeight,
  planClearWeight,
  planPromote,
  planShift,
} from '../../../src/deploy/alias-weights';

const plain = aliasState('svc-dev-api', 'live', { FunctionVersion: '6', RevisionId: 'r1' });
const weighted = aliasState('svc-dev-api', 'live', {
  FunctionVersion: '6',
  RoutingConfig: { AdditionalVersionWeights: { '7': 0.2 } },
  RevisionId: 'r2',
});

describe('aliasState and describeAlias', () => {
  it('reads FunctionVersion and the additional weights as percentages', () => {
    expect(describeAlias(plain)).toBe('version 6 (100%)');
    expect(describeAlias(weighted)).toBe('version 6 (80%), version 7 (20%)');
    expect(
      describeAlias(
        aliasState('f', 'live', { FunctionVersion: '1', RoutingConfig: { AdditionalVersionWeights: { '2': 0.055 } } }),
      ),
    ).toBe('version 1 (94.5%), version 2 (5.5%)');
  });
  it('an empty routing config is no weight', () => {
    expect(
      aliasState('f', 'live', { FunctionVersion: '3', RoutingConfig: { AdditionalVersionWeights: {} } }).weights,
    ).toEqual([]);
  });
});

describe('parseWeight', () => {
  it.each([
    ['10', 10],
    ['12.5', 12.5],
    ['99', 99],
    ['5%', 5],
  ])('%s → %d', (text, value) => expect(parseWeight(text)).toBe(value));
  it.each(['0', '100', '-5', 'ten', undefined, ''])('refuses %p and points at promote/rollback', (text) => {
    expect(() => parseWeight(text)).toThrow(
      /more than 0 and less than 100.*serverless traffic promote.*serverless traffic rollback/,
    );
  });
});

describe('planShift', () => {
  it('keeps FunctionVersion on the current version and weights the new one, guarded by the revision id', () => {
    expect(planShift(plain, 20, '7')).toEqual({
      FunctionName: 'svc-dev-api',
      Name: 'live',
      FunctionVersion: '6',
      RoutingConfig: { AdditionalVersionWeights: { '7': 0.2 } },
      RevisionId: 'r1',
    });
  });
  it('changes the weight of the version already weighted', () => {
    expect(planShift(weighted, 50, '7').RoutingConfig).toEqual({ AdditionalVersionWeights: { '7': 0.5 } });
  });
  it('refuses to weight the version the alias serves, or a third version', () => {
    expect(() => planShift(plain, 10, '6')).toThrow('already serves version 6');
    expect(() => planShift(weighted, 10, '8')).toThrow('already gives 20% to version 7');
  });
});

describe('planPromote and planClearWeight', () => {
  it('promote moves FunctionVersion to the weighted version and clears the routing config', () => {
    expect(planPromote(weighted)).toEqual({
      FunctionName: 'svc-dev-api',
      Name: 'live',
      FunctionVersion: '7',
      RoutingConfig: { AdditionalVersionWeights: {} },
      RevisionId: 'r2',
    });
    expect(() => planPromote(plain)).toThrow('serves version 6 only: there is no weighted version to promote');
  });
  it('clearing keeps FunctionVersion and removes the weight; nothing to do without one', () => {
    expect(planClearWeight(weighted)).toMatchObject({
      FunctionVersion: '6',
      RoutingConfig: { AdditionalVersionWeights: {} },
    });
    expect(planClearWeight(plain)).toBeUndefined();
  });
});

describe('latestPublished', () => {
  it('is the highest numbered version; $LATEST is not published', () => {
    expect(latestPublished(['$LATEST', '2', '10', '9'])).toBe('10');
    expect(latestPublished(['$LATEST'])).toBeUndefined();
  });
});

describe('handWeightRefusal', () => {
  it('says what is weighted and the commands that finish or undo it', () => {
    expect(handWeightRefusal([{ name: 'api', state: weighted }], ' --stage dev --region us-east-1')).toBe(
      [
        'Deploy refused: an alias is left weighted by "serverless traffic shift". CodeDeploy cannot shift an alias that already points at two versions, so this deploy would fail halfway:',
        '  - api: alias "live" serves version 6 (80%), version 7 (20%)',
        '      finish it: serverless traffic promote --function api --stage dev --region us-east-1',
        '      undo it:   serverless traffic rollback --function api --stage dev --region us-east-1',
        'Then run the deploy again.',
      ].join('\n'),
    );
  });
});
