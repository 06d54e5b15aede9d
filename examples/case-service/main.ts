import { createCaseService } from './case-service.js';

// The example's composition root and its only reader of process.env.
const issuer = process.env.ISSUER;
const port = Number(process.env.PORT ?? 5001);
if (!issuer || !URL.canParse(issuer)) {
  console.error(`ISSUER must be Gatehouse's issuer URL, got ${JSON.stringify(issuer)}`);
  process.exit(1);
}
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`PORT must be a port number, got ${JSON.stringify(process.env.PORT)}`);
  process.exit(1);
}

const { app } = createCaseService({ issuer, audience: 'https://cms.example' });
const server = app.listen(port, () => console.log(`case service listening on :${port}, trusting ${issuer}`));

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => server.close(() => process.exit(0)));
}
