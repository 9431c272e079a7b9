//! Memory of the clusters the harness runs, sampled from the engine while they run, and of
//! the harness process itself.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bollard::query_parameters::StatsOptionsBuilder;
use futures_util::StreamExt;

use crate::docker::Engine;
use crate::error::Result;

/// Bytes a container uses, as `docker stats` counts them: usage minus reclaimable page cache
/// (`inactive_file` on cgroup v2, `total_inactive_file` on v1).
///
/// ```
/// use std::collections::HashMap;
/// let stats = HashMap::from([("inactive_file".to_string(), 30u64)]);
/// assert_eq!(nacos_chaos::bench::working_set(Some(100), Some(&stats)), 70);
/// assert_eq!(nacos_chaos::bench::working_set(None, None), 0);
/// ```
pub fn working_set(
    usage: Option<u64>,
    stats: Option<&std::collections::HashMap<String, u64>>,
) -> u64 {
    let cache = stats
        .and_then(|s| s.get("inactive_file").or(s.get("total_inactive_file")))
        .copied()
        .unwrap_or(0);
    usage.unwrap_or(0).saturating_sub(cache)
}

/// Total working set of every container the harness manages (all runs), one sample.
pub async fn managed_containers_bytes(engine: &Engine) -> Result<u64> {
    let inventory = engine.inventory(None).await?;
    let mut total = 0;
    for name in inventory.containers {
        let opts = StatsOptionsBuilder::new()
            .stream(false)
            .one_shot(true)
            .build();
        let mut stream = engine.client().stats(&name, Some(opts));
        // A container that stopped or went away between listing and sampling counts 0.
        if let Some(Ok(s)) = stream.next().await
            && let Some(m) = s.memory_stats
        {
            total += working_set(m.usage, m.stats.as_ref());
        }
    }
    Ok(total)
}

/// Samples [`managed_containers_bytes`] every `every` until dropped; keeps the peak.
pub struct PeakSampler {
    peak: Arc<AtomicU64>,
    task: tokio::task::JoinHandle<()>,
}

impl PeakSampler {
    /// Start sampling.
    pub fn start(engine: Engine, every: Duration) -> Self {
        let peak = Arc::new(AtomicU64::new(0));
        let p = peak.clone();
        let task = tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            loop {
                tick.tick().await;
                if let Ok(b) = managed_containers_bytes(&engine).await {
                    p.fetch_max(b, Ordering::Relaxed);
                }
            }
        });
        PeakSampler { peak, task }
    }

    /// Stop sampling and return the peak, bytes.
    pub fn stop(self) -> u64 {
        self.task.abort();
        self.peak.load(Ordering::Relaxed)
    }
}

/// This process's peak resident set (`VmHWM` in `/proc/self/status`), bytes; 0 where the
/// file does not exist.
pub fn own_peak_rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

#[cfg(test)]
mod tests {
    #[test]
    fn own_peak_rss_is_read_on_linux() {
        // The test binary itself is resident, so its peak cannot be zero on Linux.
        assert!(super::own_peak_rss() > 1024 * 1024);
    }
}
