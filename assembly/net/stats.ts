// Counters the console reports (netstats, nettest); refusal counts live in ninedoor/stats.ts. Plain
// globals: the core is single-threaded and every counter has exactly one writer site.

export class NetStats {
  connsAccepted: u64 = 0;
  connsRefusedBusy: u64 = 0;
  rxBytes: u64 = 0;
  txBytes: u64 = 0;
  framesIn: u64 = 0;
  framesOut: u64 = 0;
  frameErrors: u64 = 0;
  authOk: u64 = 0;
  authFail: u64 = 0;
  lockouts: u64 = 0;
  timeouts: u64 = 0;
  slowReaderCuts: u64 = 0;
  midFrameCloses: u64 = 0;
  dgramsIn: u64 = 0;
  dgramsOut: u64 = 0;
  smokeServed: u64 = 0;
  listenConsole: i32 = 0;
  listenSmoke: i32 = 0;
  bindEcho: i32 = 0;
}

export const netStats = new NetStats();
