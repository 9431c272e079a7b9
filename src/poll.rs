//! Waiting for a condition against a deadline, the one way every wait of the harness (and of
//! its tests) is written.

use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// Poll interval of every wait (the issue asks for at most 100 ms).
pub const POLL: Duration = Duration::from_millis(100);
/// A condition polled against a deadline: every wait of the harness (and of its tests) is a
/// loop that checks, then calls [`Poll::next`] with the reason it is not there yet — never a
/// bare sleep.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")] async fn main() {
/// use nacos_chaos::poll::Poll;
/// let mut poll = Poll::new("a counter to reach 3", std::time::Duration::from_secs(5));
/// let mut n = 0;
/// while n < 3 {
///     n += 1;
///     poll.next(format!("at {n}")).await.unwrap();
/// }
/// let mut never = Poll::new("never", std::time::Duration::ZERO);
/// let e = never.next("still no".into()).await.unwrap_err();
/// assert!(e.to_string().contains("still no"));
/// # }
/// ```
#[derive(Debug)]
pub struct Poll {
    what: String,
    timeout: Duration,
    interval: Duration,
    t0: Instant,
    tick: Instant,
}

impl Poll {
    /// Start polling for `what`, giving up after `timeout`.
    pub fn new(what: impl Into<String>, timeout: Duration) -> Self {
        let now = Instant::now();
        Poll {
            what: what.into(),
            timeout,
            interval: POLL,
            t0: now,
            tick: now,
        }
    }

    /// Check every `interval` instead of every [`POLL`] (for checks that are themselves
    /// heavy, such as reading every key from every node).
    ///
    /// ```
    /// use std::time::Duration;
    /// let poll = nacos_chaos::poll::Poll::new("agreement", Duration::from_secs(30))
    ///     .every(Duration::from_millis(500));
    /// assert!(poll.elapsed() < Duration::from_secs(30));
    /// ```
    pub fn every(mut self, interval: Duration) -> Self {
        self.interval = interval;
        self
    }

    /// Has the deadline passed?
    pub fn expired(&self) -> bool {
        self.t0.elapsed() >= self.timeout
    }

    /// Time since the poll started.
    pub fn elapsed(&self) -> Duration {
        self.t0.elapsed()
    }

    /// Not there yet (`why`): [`Error::Timeout`] carrying `why` once the deadline has
    /// passed, otherwise wait out the rest of this interval ([`POLL`] unless set by
    /// [`Poll::every`]).
    pub async fn next(&mut self, why: String) -> Result<()> {
        if self.expired() {
            return Err(Error::Timeout {
                what: self.what.clone(),
                waited: self.t0.elapsed(),
                last: why,
            });
        }
        tokio::time::sleep(self.interval.saturating_sub(self.tick.elapsed())).await;
        self.tick = Instant::now();
        Ok(())
    }
}
