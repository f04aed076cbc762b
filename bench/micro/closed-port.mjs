import { createServer } from 'node:net';

/** A loopback port nothing listens on (bound, then closed): connections to it are refused at once. */
export async function closedPort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}
