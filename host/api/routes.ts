/**
 * The routes the server registers (fastify's onRoute hook), in a router of
 * their own, so that a known path asked with a method it does not take is
 * answered 405 with `Allow` rather than 404, and so that the OpenAPI document
 * can be checked against what is really served.
 */
import FindMyWay from 'find-my-way';

export interface RegisteredRoute {
  method: string;
  url: string;
}

export class RouteTable {
  readonly routes: RegisteredRoute[] = [];
  private readonly methods = new Set<string>();
  private readonly router: FindMyWay.Instance<FindMyWay.HTTPVersion.V1>;

  constructor(options: { maxParamLength: number }) {
    this.router = FindMyWay({ maxParamLength: options.maxParamLength });
  }

  add(method: string | string[], url: string): void {
    for (const one of Array.isArray(method) ? method : [method]) {
      this.routes.push({ method: one, url });
      this.methods.add(one);
      this.router.on(one as FindMyWay.HTTPMethod, url, () => {});
    }
  }

  /** The methods that have a route for this path (without its query), in a stable order; none for an unknown path. */
  allowed(path: string): string[] {
    return [...this.methods].sort().filter((method) => this.router.find(method as FindMyWay.HTTPMethod, path) !== null);
  }
}
