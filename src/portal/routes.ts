/** Route registration for the portal's pages: paths relative to /portal, hidden from the OpenAPI document. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";

type Handler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply | unknown>;

export interface PortalRoutes {
  get(path: string, handler: Handler): void;
  post(path: string, handler: Handler): void;
}

export function portalRoutes(scope: FastifyInstance): PortalRoutes {
  const options = { schema: { hide: true } };
  return {
    get: (path, handler) => {
      scope.get(path, options, handler);
    },
    post: (path, handler) => {
      scope.post(path, options, handler);
    },
  };
}
