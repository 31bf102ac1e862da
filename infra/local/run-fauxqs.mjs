// Starts the fauxqs SQS emulator quietly (its own CLI logs every request)
// on 127.0.0.1 only: its startFauxqs listens on every interface.
// FAUXQS_PORT=0 picks a free port; the port in use is printed as
// "FAUXQS_PORT=<n>" on stdout. FAUXQS_LOGGER=true turns request logs back on.
import { buildApp } from "fauxqs";

const app = buildApp({ logger: process.env.FAUXQS_LOGGER === "true" });
const address = await app.listen({ port: Number(process.env.FAUXQS_PORT ?? 4566), host: "127.0.0.1" });
console.log(`FAUXQS_PORT=${new URL(address).port}`);

const stop = async () => {
  await app.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
