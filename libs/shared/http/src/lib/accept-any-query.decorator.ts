import { applyDecorators, SetMetadata } from '@nestjs/common';
import { ApiExtension } from '@nestjs/swagger';

export const ACCEPT_ANY_QUERY = 'gatehouse:accept-any-query';
// Marks the operation in the OpenAPI document, which then describes no unknown-parameter 400.
export const ACCEPT_ANY_QUERY_EXTENSION = 'x-accepts-any-query';

// Exempts a route, or every route of a controller, from KnownQueryParametersGuard: for routes
// that must take whatever query they are sent, such as the backend's stand-in upstream routes.
export function AcceptAnyQuery(): MethodDecorator & ClassDecorator {
  return applyDecorators(
    SetMetadata(ACCEPT_ANY_QUERY, true),
    ApiExtension(ACCEPT_ANY_QUERY_EXTENSION, true),
  );
}
