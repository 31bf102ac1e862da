// Starts the fauxqs SQS emulator quietly: its own CLI logs every request.
// FAUXQS_PORT=0 picks a free port; the port in use is printed as
// "FAUXQS_PORT=<n>" on stdout. FAUXQS_LOGGER=true turns request logs back on.
import { startFauxqs } from "fauxqs";

const server = await startFauxqs({
  port: Number(process.env.FAUXQS_PORT ?? 4566),
  logger: process.env.FAUXQS_LOGGER === "true",
});
console.log(`FAUXQS_PORT=${server.port}`);

const stop = async () => {
  await server.stop();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
