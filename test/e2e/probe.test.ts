import { startLocalAws, type LocalAws } from './local-aws';
import { serviceCopy, sls } from './cli';
jest.setTimeout(300000);
let aws: LocalAws;
beforeAll(async () => { aws = await startLocalAws({ speed: 60 }); });
afterAll(async () => { await aws?.stop(); });
it('deploys', async () => {
  const svc = serviceCopy();
  const run = (args: string[]) => sls(args, { cwd: svc.dir, home: svc.home, env: aws.cliEnv() });
  let r = await run(['deploy']);
  console.log('FIRST', r.status, r.stdout, '\n---stderr\n', r.stderr, aws.problems());
  require('fs').writeFileSync(svc.dir + '/api.txt', 'api 2');
  r = await run(['deploy']);
  console.log('SECOND', r.status, r.stdout, '\n---stderr\n', r.stderr, aws.problems(), aws.codeDeploy.list());
  r = await run(['traffic', 'status']);
  console.log('STATUS', r.status, r.stdout, '\n---stderr\n', r.stderr);
});
