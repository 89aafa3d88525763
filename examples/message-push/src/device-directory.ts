/** A device that can receive push messages. */
export type Device = {
  id: string;
  platform: 'ios' | 'android' | 'web';
  /** The provider's address of the device (a push token). */
  token: string;
};

const PLATFORMS: readonly Device['platform'][] = ['ios', 'android', 'web'];

/**
 * The users' devices: a small in-memory directory standing in for the application's database.
 * Lookups are synchronous and never fail, so the only failures in the demo are the provider's.
 */
export class DeviceDirectory {
  private readonly devices = new Map<string, Device[]>();

  /** Adds or replaces a user's devices. */
  set(userId: string, devices: Device[]): this {
    this.devices.set(userId, devices);
    return this;
  }

  /** The devices of a user, or undefined when the user is unknown. */
  devicesOf(userId: string): Device[] | undefined {
    return this.devices.get(userId);
  }

  /** Every user id with its number of devices. */
  users(): Array<{ userId: string; devices: number }> {
    return [...this.devices].map(([userId, devices]) => ({ userId, devices: devices.length }));
  }

  /**
   * The demo's directory: ann (2 devices), bo (1), carol (3), and user-1 ... user-50 with one to
   * three devices each.
   */
  static demo(): DeviceDirectory {
    const directory = new DeviceDirectory();
    const add = (userId: string, n: number) =>
      directory.set(
        userId,
        Array.from({ length: n }, (_, i) => ({
          id: `${userId}-device-${i + 1}`,
          platform: PLATFORMS[i % PLATFORMS.length]!,
          token: `tok_${userId}_${i + 1}`,
        })),
      );
    add('ann', 2);
    add('bo', 1);
    add('carol', 3);
    for (let i = 1; i <= 50; i += 1) add(`user-${i}`, (i % 3) + 1);
    return directory;
  }
}
