import {
  eventThatCannotShift,
  permissionsForOutsideCallers,
  scheduleMinutes,
  trafficFacts,
} from '../../../src/config/callers';

describe('scheduleMinutes: the shortest time between two runs', () => {
  it.each([
    ['rate(1 minute)', 1],
    ['rate(5 minutes)', 5],
    ['rate(1 hour)', 60],
    ['rate(2 hours)', 120],
    ['rate(1 day)', 1440],
    ['cron(0 3 * * ? *)', 1440],
    ['cron(*/10 * * * ? *)', 10],
    ['cron(0/15 * * * ? *)', 15],
    ['cron(0 9-17 ? * MON-FRI *)', 60],
    ['cron(0,30 8 * * ? *)', 30],
    ['cron(0 0,12 * * ? *)', 720],
    ['cron(5 23,1 * * ? *)', 120],
    ['cron(* * * * ? *)', 1],
  ])('%s → %i', (expression, minutes) => {
    expect(scheduleMinutes(expression)).toBe(minutes);
  });

  it.each(['rate(1 week)', 'cron(L * * * ? *)', 'cron(0 25 * * ? *)', 'every hour', 'cron(0/0 * * * ? *)'])(
    'cannot read %s',
    (expression) => {
      expect(scheduleMinutes(expression)).toBeUndefined();
    },
  );
});

describe('trafficFacts', () => {
  it('knows a function without events, and one that only schedules run (the fastest of them)', () => {
    expect(trafficFacts(undefined)).toEqual({ kind: 'none' });
    expect(trafficFacts([])).toEqual({ kind: 'none' });
    expect(
      trafficFacts([
        { schedule: 'rate(1 day)' },
        { schedule: { rate: ['cron(0 3 * * ? *)', 'rate(6 hours)'] } },
        { schedule: { rate: 'rate(1 minute)', enabled: false } },
      ]),
    ).toEqual({ kind: 'schedules', everyMinutes: 360, expression: 'rate(6 hours)' });
    expect(trafficFacts([{ schedule: { rate: 'rate(1 minute)', enabled: false } }])).toEqual({ kind: 'none' });
  });

  it('says nothing when another event invokes the function, or a schedule cannot be read', () => {
    expect(trafficFacts([{ schedule: 'rate(1 day)' }, { httpApi: 'GET /' }])).toBeUndefined();
    expect(trafficFacts([{ schedule: 'cron(0 3 L * ? *)' }])).toEqual({
      kind: 'schedules',
      everyMinutes: 1440,
      expression: 'cron(0 3 L * ? *)',
    });
    expect(trafficFacts([{ schedule: 'rate(1 fortnight)' }])).toBeUndefined();
    expect(trafficFacts(['schedule'])).toBeUndefined();
  });
});

describe('eventThatCannotShift', () => {
  it('names Lambda@Edge and EventBridge through the custom resource', () => {
    expect(eventThatCannotShift([{ cloudFront: { eventType: 'viewer-request' } }], false)).toContain('Lambda@Edge');
    expect(eventThatCannotShift([{ eventBridge: { pattern: {} } }], true)).toContain('custom resource');
    expect(eventThatCannotShift([{ eventBridge: { pattern: {} } }], false)).toBeUndefined();
    expect(eventThatCannotShift(undefined, true)).toBeUndefined();
  });
});

describe('permissionsForOutsideCallers', () => {
  const fn = { logicalId: 'ReceiverLambdaFunction', deployedName: 'svc-dev-receiver' };
  const permission = (properties: Record<string, unknown>) => ({
    Type: 'AWS::Lambda::Permission',
    Properties: properties,
  });

  it('finds a permission on the function itself for a caller the template does not hold', () => {
    const resources = {
      SesInvoke: permission({
        FunctionName: { 'Fn::GetAtt': ['ReceiverLambdaFunction', 'Arn'] },
        Principal: 'ses.amazonaws.com',
        SourceAccount: { Ref: 'AWS::AccountId' },
      }),
      ByName: permission({ FunctionName: 'svc-dev-receiver', Principal: '210987654321' }),
      ByRef: permission({
        FunctionName: { Ref: 'ReceiverLambdaFunction' },
        Principal: 's3.amazonaws.com',
        SourceArn: 'arn:aws:s3:::existing-bucket',
      }),
      ShortGetAtt: permission({
        FunctionName: { 'Fn::GetAtt': 'ReceiverLambdaFunction.Arn' },
        Principal: 'ses.amazonaws.com',
        SourceArn: { 'Fn::Sub': 'arn:aws:ses:${AWS::Region}:${AWS::AccountId}:receipt-rule-set/rules' },
      }),
    };
    expect(permissionsForOutsideCallers(fn, resources)).toEqual([
      { logicalId: 'SesInvoke', principal: 'ses.amazonaws.com' },
      { logicalId: 'ByName', principal: '210987654321' },
      { logicalId: 'ByRef', principal: 's3.amazonaws.com' },
      { logicalId: 'ShortGetAtt', principal: 'ses.amazonaws.com' },
    ]);
  });

  it('leaves what the bypass check sees: a caller in the template, the alias, another function, other resources', () => {
    const resources = {
      FromTopic: permission({
        FunctionName: { 'Fn::GetAtt': ['ReceiverLambdaFunction', 'Arn'] },
        Principal: 'sns.amazonaws.com',
        SourceArn: { Ref: 'Topic' },
      }),
      FromRule: permission({
        FunctionName: { Ref: 'ReceiverLambdaFunction' },
        Principal: 'events.amazonaws.com',
        SourceArn: { 'Fn::Sub': '${Rule.Arn}' },
      }),
      OnAlias: permission({ FunctionName: { Ref: 'ReceiverTrafficShiftAlias' }, Principal: 'ses.amazonaws.com' }),
      Qualified: permission({
        FunctionName: { 'Fn::Join': [':', [{ 'Fn::GetAtt': ['ReceiverLambdaFunction', 'Arn'] }, 'live']] },
        Principal: 'ses.amazonaws.com',
      }),
      Other: permission({ FunctionName: { Ref: 'OtherLambdaFunction' }, Principal: 'ses.amazonaws.com' }),
      Topic: { Type: 'AWS::SNS::Topic' },
      Odd: null,
    };
    expect(permissionsForOutsideCallers(fn, resources)).toEqual([]);
    expect(permissionsForOutsideCallers(fn, undefined)).toEqual([]);
  });
});
