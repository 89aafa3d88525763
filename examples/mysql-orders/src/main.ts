// Places one order, runs a server until its confirmation job has run, and prints both.
// SHOP_MYSQL_URL (default: the local server's `test` database) names the database.
import { Shop } from './shop.js';

const shop = new Shop({ url: process.env.SHOP_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/test' });
await shop.init();
const server = await shop.spool.startServer({ concurrency: 2, handleSignals: false });
const { orderId, jobId } = await shop.placeOrder({ customer: 'Ada', totalCents: 4200 });
for (let i = 0; i < 100 && (await shop.spool.getJob(jobId))?.state !== 'succeeded'; i++) await new Promise((resolve) => setTimeout(resolve, 50));
console.log('order', await shop.order(orderId), 'job', (await shop.spool.getJob(jobId))?.state);
await server.stop();
await shop.close();
