//! `nchaos-netem`: packet delay and loss in user space, for kernels without `sch_netem`.
//!
//! The project's machines run a kernel built without the netem qdisc, so latency cannot be
//! injected with `tc qdisc ... netem`. Instead a fault helper container (sharing the node's
//! network namespace, NET_ADMIN only) steers the node's outgoing packets into an NFQUEUE
//! with iptables (`--queue-bypass`, so traffic flows if this program is gone) and this
//! program releases each packet after `delay ± jitter`, dropping a `loss` fraction.
//!
//! Usage: `nchaos-netem --queue 0 --delay-ms 200 --jitter-ms 20 --loss 0.0 --seed 1`

use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::time::{Duration, Instant};

struct Args {
    queue: u16,
    delay_ms: u64,
    jitter_ms: u64,
    loss: f64,
    seed: u64,
}

fn parse() -> Result<Args, String> {
    let mut a = Args {
        queue: 0,
        delay_ms: 0,
        jitter_ms: 0,
        loss: 0.0,
        seed: 1,
    };
    let mut it = std::env::args().skip(1);
    while let Some(k) = it.next() {
        let v = it.next().ok_or(format!("{k} needs a value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{k} {v}: {e}");
        match k.as_str() {
            "--queue" => a.queue = v.parse().map_err(|e| bad(&e))?,
            "--delay-ms" => a.delay_ms = v.parse().map_err(|e| bad(&e))?,
            "--jitter-ms" => a.jitter_ms = v.parse().map_err(|e| bad(&e))?,
            "--loss" => a.loss = v.parse().map_err(|e| bad(&e))?,
            "--seed" => a.seed = v.parse().map_err(|e| bad(&e))?,
            other => return Err(format!("unknown flag {other}")),
        }
    }
    if !(0.0..=1.0).contains(&a.loss) {
        return Err("--loss must be within 0..1".into());
    }
    Ok(a)
}

/// xorshift64*: deterministic for a seed, good enough for jitter and loss.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }
}

struct Held {
    due: Instant,
    seq: u64,
    msg: nfq::Message,
}
impl PartialEq for Held {
    fn eq(&self, o: &Self) -> bool {
        (self.due, self.seq) == (o.due, o.seq)
    }
}
impl Eq for Held {}
impl PartialOrd for Held {
    fn partial_cmp(&self, o: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(o))
    }
}
impl Ord for Held {
    fn cmp(&self, o: &Self) -> std::cmp::Ordering {
        (self.due, self.seq).cmp(&(o.due, o.seq))
    }
}

fn run(a: Args) -> std::io::Result<()> {
    let mut q = nfq::Queue::open()?;
    q.bind(a.queue)?;
    q.set_fail_open(a.queue, true)?;
    q.set_nonblocking(true);
    let mut rng = Rng(a.seed.max(1));
    let mut held: BinaryHeap<Reverse<Held>> = BinaryHeap::new();
    let mut seq = 0u64;
    println!(
        "nchaos-netem: queue {} delay {}ms jitter {}ms loss {}",
        a.queue, a.delay_ms, a.jitter_ms, a.loss
    );
    loop {
        let mut got = false;
        loop {
            match q.recv() {
                Ok(mut msg) => {
                    got = true;
                    if a.loss > 0.0 && rng.unit() < a.loss {
                        msg.set_verdict(nfq::Verdict::Drop);
                        q.verdict(msg)?;
                        continue;
                    }
                    let spread = if a.jitter_ms > 0 {
                        rng.next() % (2 * a.jitter_ms + 1)
                    } else {
                        0
                    };
                    let ms = (a.delay_ms + spread).saturating_sub(a.jitter_ms);
                    seq += 1;
                    held.push(Reverse(Held {
                        due: Instant::now() + Duration::from_millis(ms),
                        seq,
                        msg,
                    }));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                Err(e) => return Err(e),
            }
        }
        let now = Instant::now();
        while held.peek().is_some_and(|h| h.0.due <= now) {
            let Reverse(mut h) = held.pop().expect("peeked");
            h.msg.set_verdict(nfq::Verdict::Accept);
            q.verdict(h.msg)?;
        }
        if !got {
            std::thread::sleep(Duration::from_micros(500));
        }
    }
}

fn main() -> std::process::ExitCode {
    match parse() {
        Err(e) => {
            eprintln!("nchaos-netem: {e}");
            std::process::ExitCode::from(2)
        }
        Ok(a) => match run(a) {
            Ok(()) => std::process::ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("nchaos-netem: {e} (needs NET_ADMIN in the target namespace)");
                std::process::ExitCode::from(1)
            }
        },
    }
}
