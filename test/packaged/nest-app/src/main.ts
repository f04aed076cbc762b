// A Nest app as `nest new` generates it (TypeScript, compiled to CommonJS by tsc), billing with
// @fluxrate/nestjs. Prints {"event":"listening","port":n}.
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule, { logger: false });
  await app.listen(0, '127.0.0.1');
  console.log(JSON.stringify({ event: 'listening', port: app.getHttpServer().address().port }));
}
bootstrap();
