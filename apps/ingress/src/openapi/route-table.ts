/** One route the Express app answers, in OpenAPI path syntax. */
export interface RegisteredRoute {
  method: string;
  path: string;
}

interface Layer {
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: unknown;
  rawPath?: unknown;
}

const stackOf = (handle: unknown): Layer[] | undefined => {
  const h = handle as { stack?: unknown; router?: { stack?: unknown } } | undefined;
  const stack = h?.stack ?? h?.router?.stack;
  return Array.isArray(stack) ? (stack as Layer[]) : undefined;
};

/** `/:version/:phoneNumberId/messages` to `/{version}/{phoneNumberId}/messages`. */
export const toOpenApiPath = (path: string) => path.replace(/:(\w+)/g, '{$1}');

/**
 * Every method and path the app registers, read from Express's router (nested
 * routers included, with their mount paths). Opaque sub-apps (Bull Board's UI)
 * are skipped: they are documented as one entry.
 */
export function registeredRoutes(app: unknown, opaque: unknown[] = []): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const walk = (layers: Layer[], prefix: string) => {
    for (const layer of layers) {
      if (layer.route) {
        const paths = Array.isArray(layer.route.path) ? layer.route.path : [layer.route.path];
        for (const path of paths) {
          if (typeof path !== 'string') continue;
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== '_all') routes.push({ method, path: toOpenApiPath(prefix + path) });
          }
        }
        continue;
      }
      if (opaque.includes(layer.handle)) continue;
      const nested = stackOf(layer.handle);
      if (nested) {
        const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
        walk(nested, prefix + mount);
      }
    }
  };
  walk(stackOf((app as { router?: unknown }).router) ?? stackOf(app) ?? [], '');
  return routes;
}

/** The paths routers and middleware are mounted at (`app.use('/admin/stacks', ...)`), with their parents' mounts. */
export function registeredMounts(app: unknown): string[] {
  const mounts = new Set<string>();
  const walk = (layers: Layer[], prefix: string) => {
    for (const layer of layers) {
      if (layer.route) continue;
      const mount = typeof layer.rawPath === 'string' && layer.rawPath !== '/' ? layer.rawPath : '';
      if (mount) mounts.add(prefix + mount);
      const nested = stackOf(layer.handle);
      if (nested) walk(nested, prefix + mount);
    }
  };
  walk(stackOf((app as { router?: unknown }).router) ?? stackOf(app) ?? [], '');
  return [...mounts];
}
