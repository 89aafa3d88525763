export { Shop, confirmOrder } from './shop.js';
export type { OrderInput, ShopOptions } from './shop.js';
