//! Starting a broker: recovery, the gRPC service on the port, and the deadline scheduler.

use super::{MiniBroker, MiniBrokerBuilder, StartError};
use crate::auth::Credentials;
use crate::clock::Clock;
use crate::core::{Core, Upkeep};
use crate::engine::{Engine, EngineConfig};
use crate::metadata::Metadata;
use crate::remoting::Admin;
use crate::service::Service;
use crate::store::journal::{self, Configure, JGroup, JTopic, Journal, Op};
use rmq_proto::v2::messaging_service_server::MessagingServiceServer;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio_stream::wrappers::ReceiverStream;

impl MiniBrokerBuilder {
    /// Binds the port and starts serving on the current tokio runtime. Returns once the
    /// broker accepts connections.
    pub async fn start(self) -> Result<MiniBroker, StartError> {
        let listener = TcpListener::bind(&self.listen)
            .await
            .map_err(|e| StartError::new(format!("cannot listen on {}: {e}", self.listen)))?;
        let addr = listener
            .local_addr()
            .map_err(|e| StartError::new(format!("cannot read the bound address: {e}")))?;
        let identity = match &self.tls_files {
            Some((cert, key)) => crate::tls::TlsIdentity::from_files(cert, key),
            None => crate::tls::TlsIdentity::self_signed(),
        }
        .map_err(StartError::new)?;
        let millis = |d: Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let config = EngineConfig {
            broker_name: self.broker_name.clone(),
            transaction_check_delay: millis(self.transaction_check_delay),
            transaction_check_interval: millis(self.transaction_check_interval),
            transaction_check_max: self.transaction_check_max,
        };
        let meta = || Metadata {
            auto_create: self.auto_create,
            auto_create_groups: self.auto_create_groups,
            ..Metadata::default()
        };
        let mut engine = Engine::new(config.clone(), meta());
        let mut journal = None;
        if let Some(dir) = &self.data_dir {
            let (recovered, report, end) = recover_engine(dir, &config, meta)
                .map_err(|e| StartError::new(format!("cannot recover {}: {e}", dir.display())))?;
            engine = recovered;
            if report.truncated_bytes > 0 {
                tracing::warn!(
                    bytes = report.truncated_bytes,
                    "cut a torn or corrupt journal tail"
                );
            }
            tracing::info!(entries = report.entries, dir = %dir.display(), "recovered journal");
            journal = Some(
                Journal::open(
                    dir,
                    end,
                    self.flush,
                    self.segment_size,
                    self.disk_faults,
                    report.entries as u64,
                )
                .map_err(|e| StartError::new(format!("cannot open the journal: {e}")))?,
            );
        }
        let declarations: Vec<Op> = self
            .topics
            .iter()
            .map(|t| JTopic::from(t).into())
            .chain(self.groups.iter().map(|g| JGroup::from(g).into()))
            .collect();
        let clock = if self.virtual_clock {
            Clock::virtual_from_now()
        } else {
            Clock::Real
        };
        let credentials = (!self.credentials.is_empty()).then_some(Credentials {
            keys: self.credentials,
            date_window: self.auth_date_window,
        });
        let (stop, stopped) = watch::channel(false);
        let core = Arc::new(Core::new(
            engine,
            journal,
            clock,
            credentials,
            crate::core::Limits {
                max_body_size: self.max_body_size,
                max_lite_topics: self.max_lite_topics,
            },
            stopped.clone(),
            Upkeep {
                data_dir: self.data_dir.clone(),
                retention: self.retention.map(millis),
                snapshot_every: self.snapshot_every,
                ..Upkeep::default()
            },
        ));
        // The settings first, so the entries of this run replay under them; then the
        // declarations (when new), so a later start without them still knows the topics.
        let (_, configured) = core.execute(Configure::from(&config));
        let (_, flushed) = core.execute_all(declarations);
        let flushed = configured.then(flushed);
        core.durable(flushed).await.map_err(|st| {
            StartError::new(format!(
                "cannot journal the declared topics and groups: {}",
                st.message
            ))
        })?;
        *core.store_host.lock() = addr.to_string();

        let service = MessagingServiceServer::new(Service { core: core.clone() })
            .max_decoding_message_size(rmq_proto::limits::MAX_INBOUND_MESSAGE)
            .max_encoding_message_size(usize::MAX);
        let mut until_stop = stopped.clone();
        let tls = crate::tls::PortTls {
            acceptor: identity.acceptor,
            tls_only: self.tls_only,
        };
        let (gate, connections) = crate::listener::serve(listener, tls.clone(), stopped.clone())
            .map_err(|e| StartError::new(format!("cannot serve on {addr}: {e}")))?;
        let server = tokio::spawn(
            tonic::transport::Server::builder()
                .add_service(service)
                .serve_with_incoming_shutdown(ReceiverStream::new(connections), async move {
                    let _ = until_stop.wait_for(|s| *s).await;
                }),
        );
        let admin = match &self.admin_listen {
            Some(admin_listen) => {
                if core.credentials.is_some() {
                    tracing::warn!(
                        "the admin port does not check credentials (Apache's remoting ACL is not implemented): keep it on loopback"
                    );
                }
                let listener = TcpListener::bind(admin_listen).await.map_err(|e| {
                    StartError::new(format!("cannot listen on {admin_listen}: {e}"))
                })?;
                let admin_addr = listener.local_addr().map_err(|e| {
                    StartError::new(format!("cannot read the bound admin address: {e}"))
                })?;
                let gate = Admin::serve(core.clone(), listener, tls, stopped.clone())
                    .map_err(|e| StartError::new(format!("cannot serve on {admin_addr}: {e}")))?;
                Some((admin_addr, gate))
            }
            None => None,
        };
        let scheduler = tokio::spawn(schedule(core.clone(), stopped));
        Ok(MiniBroker {
            certificate_pem: identity.certificate_pem,
            core,
            addr,
            gate,
            admin,
            stop,
            server: Some(server),
            scheduler: Some(scheduler),
        })
    }
}

/// The engine as a data directory leaves it: its snapshot, then every journal entry after it.
pub(crate) fn recover_engine(
    dir: &std::path::Path,
    config: &EngineConfig,
    meta: impl Fn() -> Metadata,
) -> std::io::Result<(Engine, journal::Recovery, journal::Position)> {
    let mut engine = Engine::new(config.clone(), meta());
    let mut from = 0;
    if let Some(snapshot) = journal::snapshot::read(dir)? {
        from = snapshot.segment;
        engine = Engine::restore(config.clone(), meta(), snapshot);
    }
    let (entries, report, end) = journal::recover(dir, from)?;
    for entry in entries {
        engine.replay(entry);
    }
    Ok((engine, report, end))
}

const RENEW_SCAN: Duration = Duration::from_secs(1);

/// Fires deadlines on the wall clock. Under a virtual clock it only wakes when told, since
/// `advance` fires deadlines itself.
async fn schedule(core: Arc<Core>, mut stopped: watch::Receiver<bool>) {
    loop {
        core.renew_leases();
        core.upkeep();
        let next = core.tick();
        // Renewals are looked for every second, like the proxy's 5 s scan but finer.
        let sleep = match next {
            Some(at) if !core.clock.is_virtual() => {
                let wait = u64::try_from(at - core.now()).unwrap_or(0);
                Duration::from_millis(wait).min(RENEW_SCAN)
            }
            _ if !core.clock.is_virtual() => RENEW_SCAN,
            _ => Duration::from_secs(3600),
        };
        tokio::select! {
            () = tokio::time::sleep(sleep) => {}
            () = core.scheduler.notified() => {}
            _ = stopped.wait_for(|s| *s) => return,
        }
    }
}
