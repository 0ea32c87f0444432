import { adminPaths, operationsPaths } from './admin-paths.ts';
import { clientPaths } from './client-paths.ts';
import { graphPaths } from './graph-paths.ts';
import { mediaPaths } from './media-paths.ts';
import { componentSchemas } from './schemas.ts';
import type { OpenApiDocument } from './types.ts';

/** The OpenAPI 3.1 document of the ingress; a test checks it against the registered routes. */
export function openApiDocument(): OpenApiDocument {
  return {
    openapi: '3.1.0',
    info: {
      title: 'WhatsApp template-routing gateway',
      version: '1.0.0',
      description:
        "Clients POST Cloud API messages as to Meta; the gateway routes each to the Marketing Messages API or the Cloud API and answers with Meta's response. Every error uses Meta's error envelope.",
    },
    tags: [
      { name: 'Client', description: "A stack's API key: `Authorization: Bearer <key>` or `X-API-Key`." },
      {
        name: 'Client: Graph pass-through',
        description: "A stack's API key. Graph calls for the stack's own resources, passed to Meta with the stack's token; Meta's answer comes back unchanged.",
      },
      { name: 'Meta webhooks', description: "Meta's side: verification and signed webhooks." },
      { name: 'Admin: stacks', description: 'ADMIN_TOKEN; needs STACKS_ENCRYPTION_KEY.' },
      { name: 'Admin: webhooks', description: 'ADMIN_TOKEN.' },
      { name: 'Admin: Bull Board', description: 'ADMIN_TOKEN as a bearer token or through the login cookie.' },
      { name: 'Operations', description: 'Health and metrics.' },
    ],
    paths: { ...clientPaths, ...graphPaths, ...mediaPaths, ...adminPaths, ...operationsPaths },
    components: {
      schemas: componentSchemas,
      securitySchemes: {
        clientBearer: { type: 'http', scheme: 'bearer', description: "The stack's API key." },
        clientApiKey: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
        adminBearer: { type: 'http', scheme: 'bearer', description: 'ADMIN_TOKEN.' },
        adminSession: { type: 'apiKey', in: 'cookie', name: 'gw_admin_session', description: 'Set by POST /admin/login.' },
        metricsBearer: { type: 'http', scheme: 'bearer', description: 'METRICS_TOKEN, when set.' },
      },
    },
  };
}
