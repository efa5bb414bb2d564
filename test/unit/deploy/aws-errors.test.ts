/** AWS failures of the traffic commands as one or two coded lines, --json keeping stdout JSON, options checked first. */
import { ServerlessError } from '../../../src/errors';
import {
  awsFailure,
  classify,
  isThrottling,
  operationName,
  tagOperation,
  userError,
} from '../../../src/deploy/aws-errors';
import { promoteCommand, runCommand, shiftCommand, statusCommand } from '../../../src/deploy/traffic-commands';
import { testContext } from './test-context';
import { mocks } from './timeline';

const scope = { stackName: 'svc-prod', region: 'eu-west-1' };

function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $metadata: { httpStatusCode: status } });
}

function tagged<T>(error: T, operation: string): T {
  tagOperation(error, operation);
  return error;
}

describe('classify', () => {
  it.each([
    [
      Object.assign(new Error('getaddrinfo ENOTFOUND lambda.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }),
      'UNREACHABLE',
    ],
    [Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' }), 'UNREACHABLE'],
    [Object.assign(new Error('timed out'), { name: 'TimeoutError' }), 'UNREACHABLE'],
    [awsError('ExpiredTokenException', 'The security token included in the request is expired'), 'CREDENTIALS'],
    [awsError('UnrecognizedClientException', 'The security token included in the request is invalid.'), 'CREDENTIALS'],
    [
      Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' }),
      'CREDENTIALS',
    ],
    [
      awsError(
        'AccessDeniedException',
        'User: arn:aws:iam::1:user/ci is not authorized to perform: lambda:UpdateAlias',
        403,
      ),
      'DENIED',
    ],
    [
      awsError('PreconditionFailedException', 'The Revision Id provided does not match the latest Revision Id.', 412),
      'CONCURRENT_CHANGE',
    ],
    [awsError('ThrottlingException', 'Rate exceeded'), 'THROTTLED'],
    [awsError('ProvisionedThroughputExceededException', 'Rate exceeded', 400), 'THROTTLED'],
    [awsError('SlowDown', 'Please reduce your request rate.', 503), 'THROTTLED'],
    [awsError('ServiceException', 'Internal error', 500), 'ERROR'],
  ])('%s → %s', (error, kind) => {
    const expected = kind === 'CONCURRENT_CHANGE' ? 'TRAFFIC_SHIFT_CONCURRENT_CHANGE' : `TRAFFIC_SHIFT_AWS_${kind}`;
    expect(classify(error)).toBe(expected);
  });

  it('a defect of the plugin or a ServerlessError is not an AWS failure', () => {
    expect(classify(new TypeError("Cannot read properties of undefined (reading 'x')"))).toBeUndefined();
    expect(awsFailure(new ServerlessError('no', 'TRAFFIC_SHIFT_INVALID_OPTION'), scope)).toBeUndefined();
    const defect = new TypeError('x');
    expect(userError(defect, scope)).toBe(defect);
  });
});

describe('isThrottling', () => {
  it('is what classify calls throttled: the same names, and HTTP 429', () => {
    for (const name of ['ThrottlingException', 'TooManyRequestsException', 'ProvisionedThroughputExceededException'])
      expect([name, isThrottling(awsError(name, 'slow down', 400))]).toEqual([name, true]);
    expect(isThrottling(awsError('Whatever', 'slow down', 429))).toBe(true);
    expect(isThrottling(awsError('AccessDeniedException', 'no', 403))).toBe(false);
    expect(isThrottling(undefined)).toBe(false);
  });
});

describe('awsFailure', () => {
  it('names the operation, the stack and the region, the cause and what to do, in two lines', () => {
    const expired = awsFailure(
      tagged(
        awsError('ExpiredTokenException', 'The security token included in the request is expired'),
        'lambda:GetAlias',
      ),
      scope,
    );
    expect(expired).toBeInstanceOf(ServerlessError);
    expect(expired?.code).toBe('TRAFFIC_SHIFT_AWS_CREDENTIALS');
    expect(expired?.message).toBe(
      'lambda:GetAlias failed for stack svc-prod in eu-west-1: AWS did not accept the credentials (ExpiredTokenException: The security token included in the request is expired).\n' +
        'Renew them (a new session, aws sso login) or choose others with --aws-profile or the AWS_* variables. [TRAFFIC_SHIFT_AWS_CREDENTIALS]',
    );
    const denied = awsFailure(
      tagged(
        awsError(
          'AccessDeniedException',
          'User: arn:aws:iam::123456789012:user/ci is not authorized to perform: codedeploy:StopDeployment on resource: x',
          403,
        ),
        'codedeploy:StopDeployment',
      ),
      scope,
    );
    expect(denied?.message.split('\n')[1]).toBe(
      'Allow codedeploy:StopDeployment to the identity that runs the command (docs/commands.md lists every action the traffic commands use). [TRAFFIC_SHIFT_AWS_DENIED]',
    );
    const offline = awsFailure(
      tagged(
        Object.assign(new Error('getaddrinfo ENOTFOUND cloudformation.eu-west-1.amazonaws.com'), { code: 'ENOTFOUND' }),
        'cloudformation:ListStackResources',
      ),
      scope,
    );
    expect(offline?.message).toBe(
      'cloudformation:ListStackResources failed for stack svc-prod in eu-west-1: AWS could not be reached (getaddrinfo ENOTFOUND cloudformation.eu-west-1.amazonaws.com).\n' +
        'Check the network connection (and proxy settings) and the region (--region). A request gives up after 5s without a connection or 15s without an answer, 3 attempts. [TRAFFIC_SHIFT_AWS_UNREACHABLE]',
    );
    const stale = awsFailure(
      tagged(
        awsError('PreconditionFailedException', 'The Revision Id provided does not match.', 412),
        'lambda:UpdateAlias',
      ),
      scope,
    );
    expect(stale?.code).toBe('TRAFFIC_SHIFT_CONCURRENT_CHANGE');
    expect(stale?.message.split('\n')).toHaveLength(2);
  });

  it('keeps the stack trace of the cause only when debugging', () => {
    const error = tagged(awsError('ServiceException', 'Internal error', 500), 'lambda:GetAlias');
    expect(awsFailure(error, scope)?.message).toBe(
      'lambda:GetAlias failed for stack svc-prod in eu-west-1: ServiceException: Internal error. [TRAFFIC_SHIFT_AWS_ERROR]',
    );
    expect(awsFailure(error, scope, true)?.message).toContain(
      'Internal error. [TRAFFIC_SHIFT_AWS_ERROR]\n\nServiceException: Internal error\n    at ',
    );
  });

  it('operationName is the IAM action of the command', () => {
    expect(operationName('CloudFormationClient', 'ListStackResourcesCommand')).toBe(
      'cloudformation:ListStackResources',
    );
    expect(operationName('CodeDeployClient', 'StopDeploymentCommand')).toBe('codedeploy:StopDeployment');
  });
});

describe('runCommand', () => {
  const m = mocks();
  afterEach(() => {
    m.reset();
    process.exitCode = undefined;
  });

  it('throws the translated failure', async () => {
    m.cloudFormation
      .onAnyCommand()
      .rejects(awsError('ExpiredTokenException', 'The security token included in the request is expired'));
    const { ctx } = testContext();
    const error = await runCommand(ctx, statusCommand).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ServerlessError);
    expect((error as ServerlessError).code).toBe('TRAFFIC_SHIFT_AWS_CREDENTIALS');
  });

  it('with --json: JSON on stdout, words on stderr, exit code 1, nothing thrown', async () => {
    m.cloudFormation.onAnyCommand().rejects(awsError('AccessDeniedException', 'not allowed', 403));
    const { ctx, out } = testContext({ options: { json: true } });
    await runCommand(ctx, statusCommand);
    expect(process.exitCode).toBe(1);
    expect(out.errors).toHaveLength(1);
    expect(JSON.parse(out.text.join(''))).toEqual({
      error: { code: 'TRAFFIC_SHIFT_AWS_DENIED', message: out.errors[0] },
    });
  });

  it('options are checked before any AWS call', async () => {
    const { ctx } = testContext();
    const cases: [typeof statusCommand, Record<string, string>, string][] = [
      [statusCommand, { function: 'nope' }, 'Function "nope" is not managed by serverless-traffic-shift in this stage'],
      [shiftCommand, { function: 'nope', weight: '10' }, 'Function "nope" is not managed'],
      [shiftCommand, { function: 'api', weight: '200' }, '--weight must be the percentage'],
      [shiftCommand, { function: 'api', weight: '10', toVersion: 'latest' }, '--to-version must be the number'],
      [promoteCommand, {}, 'serverless traffic promote needs --function NAME'],
    ];
    for (const [command, options, message] of cases) {
      await expect(command({ ...ctx, options })).rejects.toThrow(message);
    }
    expect([m.cloudFormation, m.lambda, m.codeDeploy, m.cloudWatch].map((c) => c.calls().length)).toEqual([0, 0, 0, 0]);
  });
});
