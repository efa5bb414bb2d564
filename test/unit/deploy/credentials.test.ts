/**
 * The framework's credentials for the SDK v3 clients, from v3-shaped providers (SDK v2 credentials, synchronous) and
 * v4-shaped ones (a promise of flat credentials): what the clients sign with, when they ask again, and the error.
 */
import { GetAliasCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { Readable } from 'stream';
import {
  credentialsFromFramework,
  credentialsFromProvider,
  V4_SESSION_REFRESH_MS,
} from '../../../src/deploy/credentials';
import type { AwsProvider } from '../../../src/framework';

type Provider = Pick<AwsProvider, 'getCredentials'>;

/** v4's provider: `getCredentials()` resolves each call's credentials (later v4 resolves them anew every time). */
function v4Provider(...answers: (Record<string, unknown> | Error)[]): Provider & { calls: number } {
  const fake = {
    calls: 0,
    getCredentials: async () => {
      const answer = answers[Math.min(fake.calls, answers.length - 1)];
      fake.calls += 1;
      if (answer instanceof Error) throw answer;
      return answer as never;
    },
  };
  return fake;
}

/** A Lambda client that signs with `credentials` and whose requests never leave: records each signature's key id. */
function signingClient(credentials: ReturnType<typeof credentialsFromProvider>): {
  client: LambdaClient;
  signedBy: string[];
} {
  const signedBy: string[] = [];
  const requestHandler = {
    handle: async (request: { headers: Record<string, string> }) => {
      signedBy.push(/Credential=([^/]+)\//.exec(request.headers.authorization ?? '')?.[1] ?? 'unsigned');
      return {
        response: {
          statusCode: 200,
          headers: { 'content-type': 'application/json' },
          body: Readable.from([Buffer.from('{}')]),
        },
      };
    },
  };
  return { client: new LambdaClient({ region: 'eu-west-1', credentials, maxAttempts: 1, requestHandler }), signedBy };
}

const getAlias = new GetAliasCommand({ FunctionName: 'svc-prod-api', Name: 'live' });

describe('v4: getCredentials() returns a promise of flat credentials', () => {
  it('is awaited on first use: the clients sign with the deploying identity, its account id kept', async () => {
    const provider = v4Provider({
      accessKeyId: 'AKIADEPLOYER',
      secretAccessKey: 's',
      accountId: '123456789012',
      callerArn: 'arn:aws:iam::123456789012:user/deployer',
    });
    const credentials = credentialsFromProvider(provider);
    const { client, signedBy } = signingClient(credentials);
    await client.send(getAlias);
    await client.send(getAlias);
    expect(signedBy).toEqual(['AKIADEPLOYER', 'AKIADEPLOYER']);
    // Long-term keys do not expire: the framework is asked once.
    expect(provider.calls).toBe(1);
    await expect((credentials as () => Promise<unknown>)()).resolves.toEqual({
      accessKeyId: 'AKIADEPLOYER',
      secretAccessKey: 's',
      accountId: '123456789012',
    });
  });

  it('temporary credentials get an expiry, so a long rollout asks the framework again and signs with the new session', async () => {
    const provider = v4Provider(
      { accessKeyId: 'ASIAFIRST', secretAccessKey: 's1', sessionToken: 't1' },
      { accessKeyId: 'ASIASECOND', secretAccessKey: 's2', sessionToken: 't2' },
    );
    // The SDK renews credentials within 5 minutes of their expiry, by Date.now().
    const start = Date.now();
    let now = start;
    const clock = jest.spyOn(Date, 'now').mockImplementation(() => now);
    try {
      const { client, signedBy } = signingClient(credentialsFromProvider(provider));
      await client.send(getAlias);
      now = start + 9 * 60_000;
      await client.send(getAlias);
      now = start + 11 * 60_000;
      await client.send(getAlias);
      await client.send(getAlias);
      expect(signedBy).toEqual(['ASIAFIRST', 'ASIAFIRST', 'ASIASECOND', 'ASIASECOND']);
      expect(provider.calls).toBe(2);
    } finally {
      clock.mockRestore();
    }
    const fixed = credentialsFromProvider(v4Provider(sessions()[0] as Record<string, unknown>), () => start);
    await expect((fixed as () => Promise<unknown>)()).resolves.toEqual({
      accessKeyId: 'ASIAFIRST',
      secretAccessKey: 's1',
      sessionToken: 't1',
      expiration: new Date(start + V4_SESSION_REFRESH_MS),
    });
  });

  it('keeps an expiry the framework gives', async () => {
    const expiration = new Date('2031-01-01T00:00:00Z');
    const credentials = credentialsFromProvider(
      v4Provider({ accessKeyId: 'ASIA', secretAccessKey: 's', sessionToken: 't', expiration }),
    ) as () => Promise<{ expiration?: Date }>;
    expect((await credentials()).expiration).toEqual(expiration);
  });

  it('a rejected promise is observed at once and becomes TRAFFIC_SHIFT_AWS_CREDENTIALS when a client needs it', async () => {
    const unhandled: unknown[] = [];
    const listener = (reason: unknown): void => void unhandled.push(reason);
    process.on('unhandledRejection', listener);
    try {
      const credentials = credentialsFromProvider(
        v4Provider(Object.assign(new Error('AWS credentials missing or invalid.'), { name: 'ServerlessError' })),
      );
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(unhandled).toEqual([]);
      const { client } = signingClient(credentials);
      const sent = client.send(getAlias);
      await expect(sent).rejects.toMatchObject({
        name: 'ServerlessError',
        code: 'TRAFFIC_SHIFT_AWS_CREDENTIALS',
      });
      await expect(sent).rejects.toThrow(
        'could not get the AWS credentials the Serverless Framework resolved for this service: ServerlessError: AWS credentials missing or invalid.',
      );
    } finally {
      process.off('unhandledRejection', listener);
    }
  });

  it('credentials without a key are an error, not an unsigned request', async () => {
    const credentials = credentialsFromProvider(v4Provider({ accountId: '123456789012' })) as () => Promise<unknown>;
    await expect(credentials()).rejects.toMatchObject({ code: 'TRAFFIC_SHIFT_AWS_CREDENTIALS' });
    await expect(credentials()).rejects.toThrow('they have no access key');
  });

  it('a failed renewal is the same error; the next renewal asks again', async () => {
    const provider = v4Provider(
      { accessKeyId: 'ASIAFIRST', secretAccessKey: 's', sessionToken: 't' },
      new Error('ExpiredToken: the SSO session has expired'),
      { accessKeyId: 'ASIATHIRD', secretAccessKey: 's', sessionToken: 't' },
    );
    const credentials = credentialsFromProvider(provider) as () => Promise<{ accessKeyId: string }>;
    expect((await credentials()).accessKeyId).toBe('ASIAFIRST');
    await expect(credentials()).rejects.toThrow('ExpiredToken: the SSO session has expired');
    expect((await credentials()).accessKeyId).toBe('ASIATHIRD');
  });
});

function sessions(): Record<string, unknown>[] {
  return [
    { accessKeyId: 'ASIAFIRST', secretAccessKey: 's1', sessionToken: 't1' },
    { accessKeyId: 'ASIASECOND', secretAccessKey: 's2', sessionToken: 't2' },
  ];
}

describe('v3: getCredentials() returns { credentials } (SDK v2) synchronously', () => {
  it('the clients sign with them, refreshed by the SDK v2 object itself', async () => {
    const v2 = {
      accessKeyId: 'old',
      secretAccessKey: 'old-secret',
      expireTime: new Date('2030-01-01T00:00:00Z'),
      getPromise: jest.fn(async function (this: void) {
        v2.accessKeyId = 'AKIDFRESH';
        v2.secretAccessKey = 'fresh-secret';
        Object.assign(v2, { sessionToken: 'token' });
      }),
    };
    const credentials = credentialsFromProvider({ getCredentials: () => ({ credentials: v2 }) });
    await expect((credentials as () => Promise<unknown>)()).resolves.toEqual({
      accessKeyId: 'AKIDFRESH',
      secretAccessKey: 'fresh-secret',
      sessionToken: 'token',
      expiration: new Date('2030-01-01T00:00:00Z'),
    });
    expect(v2.getPromise).toHaveBeenCalledTimes(1);
    const { client, signedBy } = signingClient(credentials);
    await client.send(getAlias);
    expect(signedBy).toEqual(['AKIDFRESH']);
  });

  it('none resolved: undefined, so the SDK v3 default chain applies', () => {
    expect(credentialsFromProvider({ getCredentials: () => ({}) })).toBeUndefined();
    expect(credentialsFromProvider({ getCredentials: () => undefined })).toBeUndefined();
    expect(credentialsFromFramework(undefined)).toBeUndefined();
  });

  it('a refresh that fails (an expired SSO session) is TRAFFIC_SHIFT_AWS_CREDENTIALS with the cause', async () => {
    const v2 = {
      accessKeyId: 'AKID',
      secretAccessKey: 's',
      getPromise: async () => {
        throw Object.assign(new Error('The SSO session associated with this profile has expired'), {
          name: 'SSOTokenProviderFailure',
        });
      },
    };
    const credentials = credentialsFromFramework(v2) as () => Promise<unknown>;
    await expect(credentials()).rejects.toMatchObject({ code: 'TRAFFIC_SHIFT_AWS_CREDENTIALS' });
    await expect(credentials()).rejects.toThrow(
      'SSOTokenProviderFailure: The SSO session associated with this profile has expired',
    );
  });

  it('getCredentials() throwing (an unknown --aws-profile) surfaces when a client first signs, as the coded error', async () => {
    const credentials = credentialsFromProvider({
      getCredentials: () => {
        throw new Error('Profile ops does not exist');
      },
    }) as () => Promise<unknown>;
    await expect(credentials()).rejects.toMatchObject({ code: 'TRAFFIC_SHIFT_AWS_CREDENTIALS' });
    await expect(credentials()).rejects.toThrow('Profile ops does not exist');
  });
});
