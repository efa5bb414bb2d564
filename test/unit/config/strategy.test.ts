import {
  describeTimeline,
  parseStrategy,
  predefinedConfigName,
  shiftDurationMinutes,
  timeline,
} from '../../../src/config/strategy';

describe('parseStrategy', () => {
  it.each([
    ['Canary10Percent5Minutes', { kind: 'canary', percentage: 10, intervalMinutes: 5 }],
    ['CodeDeployDefault.LambdaCanary10Percent30Minutes', { kind: 'canary', percentage: 10, intervalMinutes: 30 }],
    ['Linear10PercentEvery1Minute', { kind: 'linear', percentage: 10, intervalMinutes: 1 }],
    ['CodeDeployDefault.LambdaLinear10PercentEvery10Minutes', { kind: 'linear', percentage: 10, intervalMinutes: 10 }],
    ['Canary25Percent7Minutes', { kind: 'canary', percentage: 25, intervalMinutes: 7 }],
    ['Linear33PercentEvery1Minute', { kind: 'linear', percentage: 33, intervalMinutes: 1 }],
    ['AllAtOnce', { kind: 'allAtOnce' }],
    ['CodeDeployDefault.LambdaAllAtOnce', { kind: 'allAtOnce' }],
    ['InPlace', { kind: 'inPlace' }],
    ['BlueGreen', { kind: 'blueGreen' }],
  ])('accepts %s', (type, expected) => {
    expect(parseStrategy(type)).toEqual(expected);
  });

  it.each([
    ['Canary100Percent5Minutes', '1 to 99 percent'],
    ['Canary0Percent5Minutes', '1 to 99 percent'],
    ['Canary10Percent0Minutes', 'at least 1 minute'],
    ['Canary10Percent2881Minutes', 'at most 2880'],
    ['Linear1PercentEvery30Minutes', '2970 minutes'],
    ['CodeDeployDefault.LambdaCanary25Percent7Minutes', 'not a predefined CodeDeploy configuration'],
    ['canary10percent5minutes', 'not a known deployment type'],
    ['Bluegreen', 'not a known deployment type'],
    ['CodeDeployDefault.LambdaBlueGreen', 'not a predefined CodeDeploy configuration'],
    ['', 'not a known deployment type'],
  ])('rejects %s saying why', (type, reason) => {
    const result = parseStrategy(type);
    expect(result).toHaveProperty('error');
    expect((result as { error: string }).error).toContain(reason);
  });

  it('accepts exactly 2880 minutes from the first to the last shift', () => {
    expect(parseStrategy('Canary10Percent2880Minutes')).toEqual({
      kind: 'canary',
      percentage: 10,
      intervalMinutes: 2880,
    });
    // 10 steps of 10 %: the last shift is 9 intervals after the first.
    expect(parseStrategy('Linear10PercentEvery320Minutes')).toHaveProperty('kind', 'linear');
    expect(parseStrategy('Linear10PercentEvery321Minutes')).toHaveProperty('error');
  });
});

describe('timeline', () => {
  it('shifts a canary once, then everything', () => {
    expect(timeline({ kind: 'canary', percentage: 10, intervalMinutes: 5 })).toEqual([
      { minute: 0, percent: 10 },
      { minute: 5, percent: 100 },
    ]);
  });

  it('shifts linearly at the start of each interval, capping the last step at 100 %', () => {
    expect(timeline({ kind: 'linear', percentage: 30, intervalMinutes: 5 })).toEqual([
      { minute: 0, percent: 30 },
      { minute: 5, percent: 60 },
      { minute: 10, percent: 90 },
      { minute: 15, percent: 100 },
    ]);
    expect(shiftDurationMinutes({ kind: 'linear', percentage: 10, intervalMinutes: 1 })).toBe(9);
  });

  it('describes short and long timelines in words', () => {
    expect(describeTimeline({ kind: 'canary', percentage: 10, intervalMinutes: 5 })).toBe('0m → 10%, 5m → 100%');
    expect(describeTimeline({ kind: 'allAtOnce' })).toBe('0m → 100%');
    expect(describeTimeline({ kind: 'linear', percentage: 2, intervalMinutes: 1 })).toBe(
      '0m → 2%, 1m → 4%, 2m → 6%, … (+2% every 1m) …, 48m → 98%, 49m → 100%',
    );
  });
});

describe('predefinedConfigName', () => {
  it('names the nine predefined configurations and nothing else', () => {
    expect(predefinedConfigName({ kind: 'canary', percentage: 10, intervalMinutes: 15 })).toBe(
      'CodeDeployDefault.LambdaCanary10Percent15Minutes',
    );
    expect(predefinedConfigName({ kind: 'linear', percentage: 10, intervalMinutes: 1 })).toBe(
      'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
    );
    expect(predefinedConfigName({ kind: 'allAtOnce' })).toBe('CodeDeployDefault.LambdaAllAtOnce');
    expect(predefinedConfigName({ kind: 'canary', percentage: 10, intervalMinutes: 6 })).toBeUndefined();
    expect(predefinedConfigName({ kind: 'inPlace' })).toBeUndefined();
  });
});
