import { greeting } from './greeting';

interface HttpEvent {
  queryStringParameters?: { name?: string };
}

export const handler = async (event: HttpEvent): Promise<{ statusCode: number; body: string }> => ({
  statusCode: 200,
  body: JSON.stringify({ message: greeting(event.queryStringParameters?.name) }),
});
