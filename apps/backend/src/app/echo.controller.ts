import { Controller, Get, HttpCode, Post, Req } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import {
  AcceptAnyQuery,
  ApiJsonResponse,
  ApiProblemResponses,
  schemaRef,
} from '@gatehouse/shared/http';
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { rawBody } from './raw-body';

export interface EchoResponse {
  method: string;
  path: string;
  query: string;
  // Header fields as received, in order: [name, value] pairs.
  headers: [string, string][];
  bodyLength: number;
  bodySha256: string;
}

const ECHO_BODY_LIMIT = 64 * 1024 * 1024;

// B-1: answers with the request as received, so tests can prove forwarding left it unaltered.
@ApiTags('echo')
@Controller('echo')
// The query is part of what is echoed back.
@AcceptAnyQuery()
export class EchoController {
  @Get('{*path}')
  @ApiOperation({ summary: 'The request as received (B-1)' })
  @ApiJsonResponse(200, 'The request as received', schemaRef('Echo'))
  @ApiProblemResponses(401, 413)
  get(@Req() req: IncomingMessage): Promise<EchoResponse> {
    return this.echo(req);
  }

  @Post('{*path}')
  @HttpCode(200)
  @ApiOperation({ summary: 'The request as received, body hashed (B-1)' })
  @ApiJsonResponse(200, 'The request as received', schemaRef('Echo'))
  @ApiProblemResponses(401, 413)
  post(@Req() req: IncomingMessage): Promise<EchoResponse> {
    return this.echo(req);
  }

  private async echo(req: IncomingMessage): Promise<EchoResponse> {
    const body = await rawBody(req, ECHO_BODY_LIMIT);
    const url =
      (req as IncomingMessage & { originalUrl?: string }).originalUrl ??
      req.url ??
      '/';
    const query = url.indexOf('?');
    const headers: [string, string][] = [];
    for (let i = 0; i < req.rawHeaders.length; i += 2)
      headers.push([req.rawHeaders[i], req.rawHeaders[i + 1]]);
    return {
      method: req.method ?? '',
      path: query === -1 ? url : url.slice(0, query),
      query: query === -1 ? '' : url.slice(query + 1),
      headers,
      bodyLength: body.length,
      bodySha256: createHash('sha256').update(body).digest('hex'),
    };
  }
}
