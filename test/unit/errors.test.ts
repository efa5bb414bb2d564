import { closest, didYouMean, ServerlessError } from '../../src/errors';

describe('ServerlessError', () => {
  it('carries its code in the message, since the framework prints only the message', () => {
    const error = new ServerlessError('Something is wrong.', 'TRAFFIC_SHIFT_BYPASS');
    expect(error.message).toBe('Something is wrong. [TRAFFIC_SHIFT_BYPASS]');
    expect(error.code).toBe('TRAFFIC_SHIFT_BYPASS');
    expect(error.name).toBe('ServerlessError');
  });
});

describe('did you mean', () => {
  const keys = ['enabled', 'type', 'alias', 'stages', 'preTrafficHook', 'postTrafficHook', 'bakeTime'];
  it.each([
    ['Type', 'type'],
    ['ALIAS', 'alias'],
    ['alais', 'alias'],
    ['typo', 'type'],
    ['stage', 'stages'],
    ['preTraficHook', 'preTrafficHook'],
    ['bakeTim', 'bakeTime'],
  ])('%s → %s', (word, match) => {
    expect(closest(word, keys)).toBe(match);
    expect(didYouMean(word, keys)).toBe(`Did you mean "${match}"? `);
  });

  it.each(['timeout', 'x', 'deploymentSettings', 'hooks'])('suggests nothing for %s', (word) => {
    expect(didYouMean(word, keys)).toBe('');
  });
});
