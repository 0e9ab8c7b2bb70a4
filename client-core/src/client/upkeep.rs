//! The one background task of a client: heartbeats (which also heal isolated brokers), route
//! refreshes (opening sessions to new brokers), Settings re-syncs, and the client's own chore
//! (a push consumer's assignment scan), each at its own period. It holds the client weakly and
//! ends when the client stops or is gone.

use super::ClientBase;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Weak};
use std::time::Duration;
use tokio::time::Instant;

/// A client's own periodic work; returns false once there is nothing left to do it for.
pub(crate) type Chore = Box<dyn FnMut() -> Pin<Box<dyn Future<Output = bool> + Send>> + Send>;

/// The periods of the upkeep task's jobs.
pub(crate) struct Periods {
    pub heartbeat: Duration,
    pub route_refresh: Duration,
    pub settings_resync: Duration,
    /// The chore's period; it also runs once at once.
    pub chore: Duration,
}

impl ClientBase {
    /// Starts the upkeep task with the periods of the client's config and `chore`.
    pub(crate) fn start_upkeep(self: &Arc<Self>, chore: Option<(Duration, Chore)>) {
        let config = self.config();
        let (chore_every, chore) = match chore {
            Some((every, chore)) => (every, Some(chore)),
            None => (Duration::MAX, None),
        };
        let periods = Periods {
            heartbeat: config.heartbeat_interval(),
            route_refresh: config.route_refresh_interval(),
            settings_resync: config.settings_resync_interval(),
            chore: chore_every,
        };
        let stop = self.stop.subscribe();
        tokio::spawn(run(Arc::downgrade(self), stop, periods, chore));
    }
}

fn after(now: Instant, period: Duration) -> Instant {
    now.checked_add(period)
        .unwrap_or_else(|| now + Duration::from_secs(86_400 * 365))
}

async fn run(
    base: Weak<ClientBase>,
    mut stop: tokio::sync::watch::Receiver<bool>,
    periods: Periods,
    mut chore: Option<Chore>,
) {
    let now = Instant::now();
    let mut heartbeat = after(now, periods.heartbeat);
    let mut refresh = after(now, periods.route_refresh);
    let mut resync = after(now, periods.settings_resync);
    let mut next_chore = now;
    // New server Settings mean a session (re)opened: the chore (assignment scan, lite
    // subscription sync) runs at once, not at its next period, so a consumer resumes within
    // moments of a broker coming back.
    let Some(mut sessions) = base.upgrade().map(|b| b.server.subscribe()) else {
        return;
    };
    loop {
        let wake = heartbeat.min(refresh).min(resync);
        let wake = if chore.is_some() {
            wake.min(next_chore)
        } else {
            wake
        };
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return,
            () = tokio::time::sleep_until(wake) => {}
            changed = sessions.changed(), if chore.is_some() => {
                if changed.is_err() {
                    return;
                }
                next_chore = Instant::now();
            }
        }
        // A stop cancels the work in progress: a scan or sync that ran on while the client
        // closes its sessions and connections would only fail, and warn, for nothing.
        let work = async {
            let Some(client) = base.upgrade() else {
                return false;
            };
            let now = Instant::now();
            if now >= refresh {
                client.refresh_routes().await;
                refresh = after(now, periods.route_refresh);
            }
            if now >= heartbeat {
                client.heartbeat().await;
                heartbeat = after(now, periods.heartbeat);
            }
            if now >= resync {
                client.resync();
                resync = after(now, periods.settings_resync);
            }
            drop(client);
            if let Some(job) = chore.as_mut()
                && now >= next_chore
            {
                if !job().await {
                    return false;
                }
                next_chore = after(Instant::now(), periods.chore);
            }
            true
        };
        tokio::select! {
            // The stop first: work that fails because the client closes is not reported.
            biased;
            _ = stop.wait_for(|s| *s) => return,
            go_on = work => if !go_on { return },
        }
    }
}
