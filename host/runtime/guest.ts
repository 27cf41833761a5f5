// A whole guest on the Node host: the core, its network backend and its timer, started and
// stopped as one. `npm run mock`, cohsh's mock transport and the tests all start guests here.

import { Core, DEFAULT_WASM } from "./abi.js";
import { encodeBootInfo, virtMachine } from "./bootinfo.js";
import type { NetBackend } from "./net.js";
import { LoopbackNet } from "./net_loopback.js";
import { SocketNet, type SocketNetOptions } from "./net_sockets.js";

export interface GuestOptions {
  /** "loopback" (in-process clients, the default) or real sockets on the host. */
  net?: "loopback" | "sockets";
  sockets?: SocketNetOptions;
  /** Loopback only: bytes in flight per connection before sends are refused (default lwIP's 64240). */
  sendWindow?: number;
  ramMiB?: number;
  gic?: 2 | 3;
  wasm?: string;
  /** Wall-clock Unix ms seen by the core (ticket expiry); defaults to Date.now(). */
  wallMs?: () => bigint;
  /** A raw bootinfo blob instead of the synthetic machine's (malformed-bootinfo tests). */
  bootinfo?: Uint8Array;
  serialWrite?: (bytes: Uint8Array) => void;
  /**
   * A clock the caller drives (tests of timeouts): the core reads it and ticks happen only when
   * the caller calls `guest.advance()`. Without it the guest uses real time and a real timer.
   */
  manualClock?: boolean;
}

export class Guest {
  private timer: NodeJS.Timeout | null = null;
  private clock = 0n;
  private readonly started = process.hrtime.bigint();
  private serial: Buffer[] = [];

  private constructor(
    readonly core: Core,
    readonly net: NetBackend,
    private readonly manual: boolean,
  ) {}

  static async start(opts: GuestOptions = {}): Promise<Guest> {
    const net: NetBackend = opts.net === "sockets" ? new SocketNet(opts.sockets) : new LoopbackNet(opts.sendWindow);
    let guest: Guest | null = null;
    let period = 0;
    const core = await Core.load(
      {
        serialWrite: (b) => {
          guest?.serial.push(Buffer.from(b));
          opts.serialWrite?.(b);
        },
        bootinfo: opts.bootinfo ?? encodeBootInfo(virtMachine(opts.ramMiB ?? 1024, opts.gic ?? 3)),
        nowMs: () => guest?.now() ?? 0n,
        wallMs: opts.wallMs,
        timerPeriod: (ms) => {
          period = ms;
          guest?.setTimer(ms);
        },
        net,
      },
      opts.wasm ?? DEFAULT_WASM,
    );
    guest = new Guest(core, net, opts.manualClock ?? false);
    core.init();
    guest.setTimer(period);
    if (net instanceof SocketNet) await net.whenReady();
    return guest;
  }

  get loopback(): LoopbackNet {
    if (!(this.net instanceof LoopbackNet)) throw new Error("this guest uses real sockets, not the loopback network");
    return this.net;
  }

  get sockets(): SocketNet {
    if (!(this.net instanceof SocketNet)) throw new Error("this guest uses the loopback network, not sockets");
    return this.net;
  }

  /** Everything the core printed on serial so far. */
  get serialOutput(): string {
    return Buffer.concat(this.serial).toString("utf8");
  }

  /** The guest's monotonic clock in ms: the one `plat.now_ms` and the ticks both use. */
  now(): bigint {
    return this.manual ? this.clock : (process.hrtime.bigint() - this.started) / 1_000_000n;
  }

  /** Manual clock only: move time forward and deliver one tick at the new time. */
  advance(ms: number): void {
    if (!this.manual) throw new Error("advance() needs a guest started with manualClock");
    this.clock += BigInt(ms);
    if (!this.core.stopped) this.core.tick(this.clock);
  }

  private setTimer(ms: number): void {
    if (this.manual) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (ms > 0) {
      this.timer = setInterval(() => {
        if (!this.core.stopped) this.core.tick(this.now());
      }, ms);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.net.shutdown();
  }
}
