//! The broker's port: accepts connections (TLS or cleartext, see [`crate::tls`]) and can be
//! taken down and brought back with the broker's state kept, as a crashed or partitioned
//! proxy looks to its clients: while down the port refuses connections and every connection
//! open when it went down is cut.

use crate::tls::{self, MaybeTls, PortTls};
use std::future::Future;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
use tokio::sync::{mpsc, oneshot, watch};
use tonic::transport::server::{Connected, TcpConnectInfo};

enum Command {
    Down(oneshot::Sender<()>),
    Up(TcpListener),
}

/// Takes the port down and up; cheap to share.
pub(crate) struct Gate {
    addr: SocketAddr,
    commands: mpsc::UnboundedSender<Command>,
    /// Bumped on every `down`; a connection is cut once it differs from its own.
    generation: watch::Sender<u64>,
    up: AtomicBool,
}

impl Gate {
    /// Closes the port and cuts every open connection (those accepted up to the close
    /// included); returns once the port refuses connections. Already down is fine.
    pub(crate) async fn down(&self) {
        let (tx, rx) = oneshot::channel();
        if self.commands.send(Command::Down(tx)).is_ok() {
            let _ = rx.await;
        }
        self.up.store(false, Ordering::SeqCst);
        self.generation.send_modify(|g| *g += 1);
    }

    /// Listens again on the same address. Already up is fine; the port taken by another
    /// process meanwhile is an error.
    pub(crate) async fn up(&self) -> io::Result<()> {
        if self.up.load(Ordering::SeqCst) {
            return Ok(());
        }
        let listener = TcpListener::bind(self.addr).await?;
        self.commands
            .send(Command::Up(listener))
            .map_err(|_| io::Error::other("the broker has stopped"))?;
        self.up.store(true, Ordering::SeqCst);
        Ok(())
    }

    pub(crate) fn is_up(&self) -> bool {
        self.up.load(Ordering::SeqCst)
    }
}

/// Accepts connections until `stopping`, handing each on once its TLS sniffing is done. A
/// failed handshake or a silent peer only costs that connection.
pub(crate) fn serve(
    listener: TcpListener,
    tls: PortTls,
    mut stopping: watch::Receiver<bool>,
) -> io::Result<(Gate, mpsc::Receiver<io::Result<Connection>>)> {
    let addr = listener.local_addr()?;
    let (tx, rx) = mpsc::channel(64);
    let (commands, mut inbox) = mpsc::unbounded_channel();
    let generation = watch::Sender::new(0u64);
    let gate = Gate {
        addr,
        commands,
        generation: generation.clone(),
        up: AtomicBool::new(true),
    };
    tokio::spawn(async move {
        let mut listener = Some(listener);
        loop {
            let accepted = tokio::select! {
                accepted = accept(listener.as_ref()) => accepted,
                command = inbox.recv() => {
                    match command {
                        Some(Command::Down(done)) => {
                            listener = None;
                            let _ = done.send(());
                        }
                        Some(Command::Up(l)) => listener = Some(l),
                        None => return,
                    }
                    continue;
                }
                _ = stopping.wait_for(|s| *s) => return,
            };
            let stream = match accepted {
                Ok(stream) => stream,
                Err(e) => {
                    tracing::warn!(error = %e, "accept failed");
                    continue;
                }
            };
            let _ = stream.set_nodelay(true);
            if tx.is_closed() {
                return;
            }
            let tx = tx.clone();
            let tls = tls.clone();
            let mut cut = generation.subscribe();
            let born = *cut.borrow_and_update();
            tokio::spawn(async move {
                if let Some(io) = tls::sniff(stream, &tls).await {
                    let cut = Box::pin(async move {
                        if cut.wait_for(|g| *g != born).await.is_err() {
                            std::future::pending::<()>().await;
                        }
                    });
                    let _ = tx.send(Ok(Connection { io, cut: Some(cut) })).await;
                }
            });
        }
    });
    Ok((gate, rx))
}

async fn accept(listener: Option<&TcpListener>) -> io::Result<tokio::net::TcpStream> {
    match listener {
        Some(l) => l.accept().await.map(|(stream, _)| stream),
        None => std::future::pending().await,
    }
}

/// An accepted connection that fails every read and write once the port has gone down.
pub(crate) struct Connection {
    io: MaybeTls,
    /// Completes when the port goes down; `None` once it has (a finished future must not be
    /// polled again).
    cut: Option<Pin<Box<dyn Future<Output = ()> + Send>>>,
}

impl Connection {
    fn check(&mut self, cx: &mut Context<'_>) -> io::Result<()> {
        let down = match self.cut.as_mut() {
            Some(cut) => cut.as_mut().poll(cx).is_ready(),
            None => true,
        };
        if down {
            self.cut = None;
            return Err(io::Error::new(
                io::ErrorKind::ConnectionReset,
                "the broker went down",
            ));
        }
        Ok(())
    }
}

impl Connected for Connection {
    type ConnectInfo = TcpConnectInfo;

    fn connect_info(&self) -> Self::ConnectInfo {
        self.io.connect_info()
    }
}

impl AsyncRead for Connection {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_read(cx, buf)
    }
}

impl AsyncWrite for Connection {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_write(cx, buf)
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_shutdown(cx)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        this.check(cx)?;
        Pin::new(&mut this.io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }
}
