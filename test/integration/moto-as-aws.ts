/**
 * moto_server behind a local proxy that answers as AWS documents where moto does not, for the calls the
 * existing-source handlers make (the plugin's and the framework's). Every other request goes to moto unchanged.
 *
 * Gaps filled, each as the AWS documentation describes the service:
 * - Lambda resource policies: moto keeps one policy per function (RemovePermission ignores the Qualifier) and appends a
 *   statement whose id already exists. Here each function and each alias has its own policy: AddPermission of an
 *   existing statement id fails with ResourceConflictException, RemovePermission of a missing one with
 *   ResourceNotFoundException, GetPolicy answers the statements of the qualifier asked for (Lambda API reference:
 *   AddPermission, RemovePermission, GetPolicy).
 * - S3 PutBucketNotificationConfiguration: moto accepts anything. S3 refuses configurations that overlap (a common
 *   event type with prefixes and suffixes that can match one key: "Configurations overlap. Configurations on the same
 *   bucket cannot share a common event type.") and Lambda destinations whose policy does not let S3 invoke them from
 *   this bucket ("Unable to validate the following destination configurations"); both with 400 InvalidArgument
 *   (S3 user guide, notification-how-to-filtering; API reference, PutBucketNotificationConfiguration).
 * - S3 GetBucketNotificationConfiguration: moto never returns EventBridgeConfiguration; here it is returned once a
 *   PUT turned it on, until a PUT leaves it out.
 * - Cognito: moto does not keep AcrConfiguration, DcrConfiguration, KeyConfiguration or IssuerConfiguration. Here
 *   CreateUserPool and UpdateUserPool keep them, and UpdateUserPool resets each one it is not given, as it does every
 *   setting ("If you don't provide a value for an attribute, Amazon Cognito sets it to its default value"). A password
 *   policy given without TemporaryPasswordValidityDays is described with its default, 7 days, where moto drops it.
 *
 * For the tests: `interleave` holds writes to one bucket or pool until a number of writers all wait to write, then lets
 * them through one at a time (the worst order for read-modify-write: every writer read before any wrote);
 * `describeAlso` makes DescribeUserPool answer fields a newer Cognito would and this SDK does not know; `operations`
 * lists the reads and writes of notifications and pools in the order they reached the service.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { S3Client, GetBucketNotificationConfigurationCommand } from '@aws-sdk/client-s3';
import type { MotoServer } from './moto-server';

const UNTRACKED_POOL_FIELDS = ['AcrConfiguration', 'DcrConfiguration', 'KeyConfiguration', 'IssuerConfiguration'];

export interface Statement {
  Sid: string;
  Effect: 'Allow';
  Principal: { Service: string } | { AWS: string };
  Action: string;
  Resource: string;
  Condition?: Record<string, Record<string, string>>;
}

export type WriteTarget = { bucket: string } | { pool: string };

export interface Gate {
  /** Resolves once the writes went through: true when `writers` writes were held together, false on the deadline. */
  released: Promise<boolean>;
  /** How many writes wait now. */
  waiting(): number;
}

export interface MotoAsAws {
  endpoint: string;
  /** The statements of a function's resource policy (`qualifier`: an alias's), by statement id. */
  policy(functionName: string, qualifier?: string): Record<string, Statement>;
  describeAlso(poolId: string, fields: Record<string, unknown>): void;
  interleave(target: WriteTarget, writers: number, options?: { lastFirst?: boolean; deadlineMs?: number }): Gate;
  /** `read <bucket|pool id>` and `write <bucket|pool id>`, in the order the service handled them. */
  operations: string[];
  stop(): Promise<void>;
}

interface Held {
  key: string;
  release: () => void;
}

interface Interleaving {
  key: string;
  writers: number;
  lastFirst: boolean;
  held: Held[];
  done: (interleaved: boolean) => void;
  timer: NodeJS.Timeout;
}

interface Incoming {
  method: string;
  url: URL;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string | Buffer;
}

const xmlError = (status: number, code: string, message: string): Answer => ({
  status,
  headers: { 'content-type': 'application/xml' },
  body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message></Error>`,
});

const jsonError = (status: number, type: string, message: string): Answer => ({
  status,
  headers: { 'content-type': 'application/json', 'x-amzn-errortype': type },
  body: JSON.stringify({ Type: 'User', message }),
});

export async function startMotoAsAws(
  moto: MotoServer,
  {
    region = 'us-east-1',
    credentials,
  }: { region?: string; credentials: { accessKeyId: string; secretAccessKey: string } },
): Promise<MotoAsAws> {
  const target = new URL(moto.endpoint);
  const s3 = new S3Client({ endpoint: moto.endpoint, region, credentials, forcePathStyle: true });
  const policies = new Map<string, Map<string, Statement>>();
  const eventBridge = new Set<string>();
  const poolFields = new Map<string, Record<string, unknown>>();
  const extraFields = new Map<string, Record<string, unknown>>();
  const interleavings: Interleaving[] = [];
  const operations: string[] = [];
  const locks = new Map<string, Promise<unknown>>();

  /** Runs `action` after every earlier action on the same key: the service handles one request of a resource at a time. */
  const serially = <T>(key: string, action: () => Promise<T>): Promise<T> => {
    const previous = locks.get(key) ?? Promise.resolve();
    const next = previous.then(action, action);
    locks.set(
      key,
      next.catch(() => undefined),
    );
    return next;
  };

  function forward(request: Incoming): Promise<Answer> {
    return new Promise((resolve, reject) => {
      const outgoing = http.request(
        {
          host: target.hostname,
          port: target.port,
          method: request.method,
          path: `${request.url.pathname}${request.url.search}`,
          headers: { ...request.headers, host: target.host, 'content-length': String(request.body.length) },
        },
        (response) => {
          const chunks: Buffer[] = [];
          response.on('data', (chunk: Buffer) => chunks.push(chunk));
          response.on('end', () => {
            const headers: Record<string, string> = {};
            for (const [name, value] of Object.entries(response.headers)) {
              if (value !== undefined && name !== 'content-length' && name !== 'transfer-encoding')
                headers[name] = Array.isArray(value) ? value.join(', ') : value;
            }
            resolve({ status: response.statusCode ?? 500, headers, body: Buffer.concat(chunks) });
          });
        },
      );
      outgoing.on('error', reject);
      outgoing.end(request.body);
    });
  }

  /** A request to moto's Lambda API, signed well enough for moto to route it (it checks no signature). */
  async function motoLambda(path: string): Promise<{ status: number; body: Record<string, unknown> }> {
    const response = await fetch(`${moto.endpoint}${path}`, {
      headers: {
        authorization: `AWS4-HMAC-SHA256 Credential=${credentials.accessKeyId}/20240101/${region}/lambda/aws4_request, SignedHeaders=host, Signature=0`,
      },
    });
    const text = await response.text();
    return { status: response.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : {} };
  }

  /** The function (or alias) ARN, or undefined when moto has no such function or alias. */
  async function resourceArn(functionName: string, qualifier: string | undefined): Promise<string | undefined> {
    const found = (status: number) => status >= 200 && status < 300;
    const fn = await motoLambda(`/2015-03-31/functions/${encodeURIComponent(functionName)}`);
    if (!found(fn.status)) return undefined;
    const arn = (fn.body.Configuration as { FunctionArn: string }).FunctionArn;
    if (qualifier === undefined) return arn;
    const alias = await motoLambda(
      `/2015-03-31/functions/${encodeURIComponent(functionName)}/aliases/${encodeURIComponent(qualifier)}`,
    );
    // moto answers GetAlias with 201.
    return found(alias.status) ? `${arn}:${qualifier}` : undefined;
  }

  /** Function name and qualifier from a FunctionName (name, ARN, or ARN with qualifier) and a Qualifier parameter. */
  function functionOf(given: string, qualifier: string | null): { name: string; qualifier: string | undefined } {
    const arn = /^arn:[^:]+:lambda:[^:]+:[^:]+:function:([^:]+)(?::([^:]+))?$/.exec(given);
    const name = arn ? (arn[1] as string) : given;
    return { name, qualifier: qualifier ?? arn?.[2] ?? undefined };
  }

  const policyKey = (name: string, qualifier: string | undefined) => `${name}:${qualifier ?? '$LATEST'}`;

  async function lambdaPolicy(request: Incoming): Promise<Answer | undefined> {
    const match = /^\/2015-03-31\/functions\/([^/]+)\/policy(?:\/([^/]+))?$/.exec(request.url.pathname);
    if (!match) return undefined;
    const fn = functionOf(decodeURIComponent(match[1] as string), request.url.searchParams.get('Qualifier'));
    const arn = await resourceArn(fn.name, fn.qualifier);
    if (arn === undefined)
      return jsonError(404, 'ResourceNotFoundException', `Function not found: ${fn.name}:${fn.qualifier ?? ''}`);
    const key = policyKey(fn.name, fn.qualifier);
    const statements = policies.get(key) ?? new Map<string, Statement>();
    if (request.method === 'POST' && match[2] === undefined) {
      const input = JSON.parse(request.body.toString('utf8')) as Record<string, string>;
      const sid = input.StatementId as string;
      if (statements.has(sid))
        return jsonError(
          409,
          'ResourceConflictException',
          `The statement id (${sid}) provided already exists. Please provide a new statement id, or remove the existing statement.`,
        );
      const condition: Record<string, Record<string, string>> = {};
      if (input.SourceAccount) condition.StringEquals = { 'AWS:SourceAccount': input.SourceAccount };
      if (input.SourceArn) condition.ArnLike = { 'AWS:SourceArn': input.SourceArn };
      const principal = input.Principal as string;
      const statement: Statement = {
        Sid: sid,
        Effect: 'Allow',
        Principal: principal.includes('.') ? { Service: principal } : { AWS: principal },
        Action: input.Action as string,
        Resource: arn,
        ...(Object.keys(condition).length > 0 && { Condition: condition }),
      };
      statements.set(sid, statement);
      policies.set(key, statements);
      return {
        status: 201,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ Statement: JSON.stringify(statement) }),
      };
    }
    if (request.method === 'DELETE' && match[2] !== undefined) {
      const sid = decodeURIComponent(match[2]);
      if (!statements.has(sid))
        return jsonError(
          404,
          'ResourceNotFoundException',
          statements.size === 0
            ? 'No policy is associated with the given resource.'
            : `Statement ${sid} is not found in resource policy.`,
        );
      statements.delete(sid);
      return { status: 204, headers: {}, body: '' };
    }
    if (request.method === 'GET' && match[2] === undefined) {
      if (statements.size === 0)
        return jsonError(404, 'ResourceNotFoundException', 'The resource you requested does not exist.');
      return {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          Policy: JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: [...statements.values()] }),
          RevisionId: String(statements.size),
        }),
      };
    }
    return undefined;
  }

  /** Writes wait here while an interleaving of their target is armed. */
  function gate(key: string): Promise<void> {
    const interleaving = interleavings.find((i) => i.key === key);
    if (!interleaving) return Promise.resolve();
    return new Promise((resolve) => {
      interleaving.held.push({ key, release: resolve });
      if (interleaving.held.length === interleaving.writers) void releaseAll(interleaving, true);
    });
  }

  async function releaseAll(interleaving: Interleaving, interleaved: boolean): Promise<void> {
    clearTimeout(interleaving.timer);
    interleavings.splice(interleavings.indexOf(interleaving), 1);
    const held = interleaving.lastFirst ? [...interleaving.held].reverse() : interleaving.held;
    // One at a time: each write is handled (the service takes one request of a resource at a time) before the next.
    for (const write of held) {
      const before = operations.length;
      write.release();
      while (!operations.slice(before).includes(`write ${write.key}`)) await new Promise((r) => setTimeout(r, 5));
    }
    interleaving.done(interleaved);
  }

  async function s3Notification(request: Incoming): Promise<Answer | undefined> {
    if (!request.url.searchParams.has('notification')) return undefined;
    const bucket = request.url.pathname.split('/')[1] as string;
    if (request.method === 'GET')
      return serially(`s3:${bucket}`, async () => {
        operations.push(`read ${bucket}`);
        const answer = await forward(request);
        if (answer.status !== 200 || !eventBridge.has(bucket)) return answer;
        const xml = answer.body
          .toString()
          .replace(
            '</NotificationConfiguration>',
            '<EventBridgeConfiguration></EventBridgeConfiguration></NotificationConfiguration>',
          );
        return { ...answer, body: xml };
      });
    if (request.method !== 'PUT') return undefined;
    await gate(bucket);
    return serially(`s3:${bucket}`, async () => {
      operations.push(`write ${bucket}`);
      const bare = { authorization: request.headers.authorization ?? '', 'content-type': 'application/xml' };
      const previous = await forward({ ...request, method: 'GET', headers: bare, body: Buffer.alloc(0) });
      const answer = await forward(request);
      if (answer.status !== 200) return answer;
      const problem = await invalidConfiguration(bucket);
      if (problem) {
        // Put back what the bucket had: S3 refuses the request as a whole.
        await forward({ ...request, headers: bare, body: Buffer.from(previous.body) });
        return problem;
      }
      if (/<EventBridgeConfiguration[\s/>]/.test(request.body.toString('utf8'))) eventBridge.add(bucket);
      else eventBridge.delete(bucket);
      return answer;
    });
  }

  async function invalidConfiguration(bucket: string): Promise<Answer | undefined> {
    const written = await s3.send(new GetBucketNotificationConfigurationCommand({ Bucket: bucket }));
    type Entry = {
      Id?: string;
      Events?: string[];
      Filter?: { Key?: { FilterRules?: { Name?: string; Value?: string }[] } };
    };
    const entries: Entry[] = [
      ...(written.TopicConfigurations ?? []),
      ...(written.QueueConfigurations ?? []),
      ...(written.LambdaFunctionConfigurations ?? []),
    ];
    const rule = (entry: Entry, name: string) =>
      entry.Filter?.Key?.FilterRules?.find((r) => r.Name?.toLowerCase() === name)?.Value ?? '';
    const eventsOverlap = (a: string, b: string) =>
      a === b ||
      (a.endsWith(':*') && b.startsWith(a.slice(0, -1))) ||
      (b.endsWith(':*') && a.startsWith(b.slice(0, -1)));
    for (let i = 0; i < entries.length; i++) {
      for (let j = i + 1; j < entries.length; j++) {
        const [a, b] = [entries[i] as Entry, entries[j] as Entry];
        const common = (a.Events ?? []).some((x) => (b.Events ?? []).some((y) => eventsOverlap(x, y)));
        const [pa, pb, sa, sb] = [rule(a, 'prefix'), rule(b, 'prefix'), rule(a, 'suffix'), rule(b, 'suffix')];
        if (common && (pa.startsWith(pb) || pb.startsWith(pa)) && (sa.endsWith(sb) || sb.endsWith(sa)))
          return xmlError(
            400,
            'InvalidArgument',
            'Configurations overlap. Configurations on the same bucket cannot share a common event type.',
          );
      }
    }
    for (const entry of written.LambdaFunctionConfigurations ?? []) {
      const fn = functionOf(entry.LambdaFunctionArn ?? '', null);
      const allowed = [...(policies.get(policyKey(fn.name, fn.qualifier))?.values() ?? [])].some(
        (s) =>
          'Service' in s.Principal &&
          s.Principal.Service === 's3.amazonaws.com' &&
          (s.Action === 'lambda:InvokeFunction' || s.Action === 'lambda:*') &&
          [undefined, `arn:aws:s3:::${bucket}`].includes(s.Condition?.ArnLike?.['AWS:SourceArn']),
      );
      if (!allowed || (await resourceArn(fn.name, fn.qualifier)) === undefined)
        return xmlError(
          400,
          'InvalidArgument',
          `Unable to validate the following destination configurations: ${entry.LambdaFunctionArn}`,
        );
    }
    return undefined;
  }

  async function cognito(request: Incoming): Promise<Answer | undefined> {
    const operation = String(request.headers['x-amz-target'] ?? '').replace('AWSCognitoIdentityProviderService.', '');
    if (!['CreateUserPool', 'UpdateUserPool', 'DescribeUserPool'].includes(operation)) return undefined;
    const input = JSON.parse(request.body.toString('utf8') || '{}') as Record<string, unknown>;
    const untracked = Object.fromEntries(
      UNTRACKED_POOL_FIELDS.filter((f) => input[f] !== undefined).map((f) => [f, input[f]]),
    );
    if (operation === 'CreateUserPool') {
      const answer = await forward(request);
      const id = (JSON.parse(answer.body.toString()) as { UserPool?: { Id?: string } }).UserPool?.Id;
      if (answer.status === 200 && id) poolFields.set(id, untracked);
      return answer;
    }
    const id = String(input.UserPoolId);
    if (operation === 'UpdateUserPool') {
      await gate(id);
      return serially(`cognito:${id}`, async () => {
        operations.push(`write ${id}`);
        const answer = await forward(request);
        if (answer.status === 200) poolFields.set(id, untracked);
        return answer;
      });
    }
    return serially(`cognito:${id}`, async () => {
      operations.push(`read ${id}`);
      const answer = await forward(request);
      if (answer.status !== 200) return answer;
      const described = JSON.parse(answer.body.toString()) as { UserPool: Record<string, unknown> };
      Object.assign(described.UserPool, poolFields.get(id) ?? {}, extraFields.get(id) ?? {});
      // moto drops a temporary password validity it is not given; Cognito resets it to its default, 7 days.
      const policy = (described.UserPool.Policies as { PasswordPolicy?: Record<string, unknown> } | undefined)
        ?.PasswordPolicy;
      if (policy && policy.TemporaryPasswordValidityDays === undefined) policy.TemporaryPasswordValidityDays = 7;
      return { ...answer, body: JSON.stringify(described) };
    });
  }

  async function handle(request: Incoming): Promise<Answer> {
    const authorization = String(request.headers.authorization ?? '');
    const service = /Credential=[^/]+\/[^/]+\/[^/]+\/([^/]+)\//.exec(authorization)?.[1];
    const answer =
      (service === 'lambda' && (await lambdaPolicy(request))) ||
      (service === 's3' && (await s3Notification(request))) ||
      (service === 'cognito-idp' && (await cognito(request))) ||
      undefined;
    return answer ?? forward(request);
  }

  const server = http.createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const request: Incoming = {
        method: incoming.method ?? 'GET',
        url: new URL(incoming.url ?? '/', 'http://proxy'),
        headers: incoming.headers,
        body: Buffer.concat(chunks),
      };
      handle(request).then(
        (answer) => {
          const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
          outgoing.writeHead(answer.status, { ...answer.headers, 'content-length': String(body.length) });
          outgoing.end(body);
        },
        (error: Error) => {
          outgoing.writeHead(500, { 'content-type': 'text/plain' });
          outgoing.end(String(error.stack));
        },
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));

  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    operations,
    policy: (functionName, qualifier) =>
      Object.fromEntries(policies.get(policyKey(functionName, qualifier))?.entries() ?? []),
    describeAlso: (poolId, fields) => void extraFields.set(poolId, fields),
    interleave(on, writers, { lastFirst = false, deadlineMs = 15000 } = {}) {
      const key = 'bucket' in on ? on.bucket : on.pool;
      let done!: (interleaved: boolean) => void;
      const released = new Promise<boolean>((resolve) => (done = resolve));
      const interleaving: Interleaving = {
        key,
        writers,
        lastFirst,
        held: [],
        done,
        timer: setTimeout(() => void releaseAll(interleaving, false), deadlineMs).unref(),
      };
      interleavings.push(interleaving);
      return { released, waiting: () => interleaving.held.length };
    },
    stop: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
