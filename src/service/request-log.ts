// The service's request log: what Fastify writes for each request it serves.
import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';

/**
 * One log line per request ("request completed", with the method and URL)
 * instead of Fastify's two ("incoming request" + "request completed"): each
 * line is a synchronous write. The load balancer's health probe, every second
 * per target, is logged at debug unless it fails; errors are logged as
 * Fastify does.
 */
export class OneLinePerRequest extends LogController {
  override incomingRequest(): void {}

  override requestCompleted(error: Error | null | undefined, request: FastifyRequest, reply: FastifyReply): void {
    if (error) return super.requestCompleted(error, request, reply);
    const line = { req: { method: request.method, url: request.url }, res: reply, responseTime: reply.elapsedTime };
    if (reply.statusCode < 400 && request.routeOptions.url === '/healthz') reply.log.debug(line, 'request completed');
    else reply.log.info(line, 'request completed');
  }
}
