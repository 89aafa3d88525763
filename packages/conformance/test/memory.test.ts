import { MemoryStorage } from '@spool/core';
import { runStorageConformance } from '@spool/conformance';

runStorageConformance({
  name: 'memory',
  async create({ clock }) {
    const storage = new MemoryStorage({ clock });
    await storage.init();
    return storage;
  },
});
