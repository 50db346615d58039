import { Controller, Get, Redirect, Query } from '@nestjs/common';

@Controller()
export class AppController {
  @Get('go')
  @Redirect('https://docs.nestjs.com', 302)
  go(@Query('next') next: string) {
    if (next) {
      // ruleid: ts-nestjs-tainted-redirect
      return { url: next };
    }
  }

  @Get('docs')
  @Redirect('https://docs.nestjs.com', 302)
  docs(@Query('version') version: string) {
    // ok: ts-nestjs-tainted-redirect
    return { url: 'https://docs.nestjs.com/v5/' };
  }
}
