'use strict';

/** GET /hello?name=...: a JSON greeting, with the version that served it (the alias shifts traffic between versions). */
exports.handler = async (event) => {
  const name = (event.queryStringParameters && event.queryStringParameters.name) || 'world';
  return {
    statusCode: 200,
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      message: `Hello, ${name}!`,
      stage: process.env.STAGE,
      version: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    }),
  };
};
