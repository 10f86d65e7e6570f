import { Body, Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { Public } from '@trainyard/auth';
import { badInput } from '@trainyard/common';
import { CourseService } from './course.service';

/**
 * Join links (no key needed): the link an instructor hands out carries the code.
 * GET  /v1/join/{code}                  what the link joins: course, role, expiry, joins left
 * POST /v1/join/{code}  {"name": "Ada"}  joins; the answer holds the student's own key, once
 * An unknown code is 404, an expired, revoked or used-up one 403, each with a reason that says which.
 */
@Controller('v1/join')
@Public()
export class JoinController {
  constructor(private readonly courses: CourseService) {}

  @Get(':code')
  async describe(@Param('code') code: string) {
    const c = await this.courses.describeCode(code);
    return { ...c, expiresAt: c.expiresAt.toISOString(), join: 'POST this URL with {"name": "<your name>"}; the answer holds your API key (shown once)' };
  }

  @Post(':code')
  @HttpCode(201)
  async join(@Param('code') code: string, @Body() body: { name?: unknown }) {
    if (typeof body?.name !== 'string') throw badInput('send {"name": "<your name>"}', { field: 'name' });
    return this.courses.join(code, body.name);
  }
}

/** The link for a code: the API's own address as the caller reached it. */
export function joinLink(req: { protocol?: string; get?(h: string): string | undefined } | undefined, code: string): string {
  const host = req?.get?.('host');
  return `${host ? `${req?.protocol ?? 'http'}://${host}` : ''}/v1/join/${code}`;
}
