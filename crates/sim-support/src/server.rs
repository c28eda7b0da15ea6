//! Serving the simulator over TCP, with connections that a fault can cut mid-request.
//!
//! `Fault::Drop` must look to the client like a network failure: the request was sent and no
//! HTTP response ever comes back. axum handlers cannot refuse to answer, so every accepted
//! connection carries a [`DropSwitch`] that reaches handlers through `ConnectInfo<Peer>`. Once
//! tripped, the stream fails every read and write; hyper then abandons the connection without
//! writing the response and the socket is closed.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::extract::connect_info::Connected;
use axum::serve::{IncomingStream, Listener};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// Cuts one connection when tripped.
#[derive(Debug, Clone, Default)]
pub struct DropSwitch(Arc<AtomicBool>);

impl DropSwitch {
    pub fn trip(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_tripped(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

fn dropped() -> io::Error {
    io::Error::new(
        io::ErrorKind::ConnectionAborted,
        "connection dropped by an injected fault",
    )
}

/// A TCP stream that fails all I/O once its switch is tripped.
#[derive(Debug)]
pub struct DroppableStream {
    inner: TcpStream,
    switch: DropSwitch,
}

impl AsyncRead for DroppableStream {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.switch.is_tripped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for DroppableStream {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.switch.is_tripped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        if this.switch.is_tripped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if this.switch.is_tripped() {
            return Poll::Ready(Err(dropped()));
        }
        Pin::new(&mut this.inner).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().inner).poll_shutdown(cx)
    }
}

/// A TCP listener whose connections can be dropped.
#[derive(Debug)]
pub struct DroppableListener {
    inner: TcpListener,
}

impl Listener for DroppableListener {
    type Io = DroppableStream;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        let (inner, addr) = Listener::accept(&mut self.inner).await;
        (
            DroppableStream {
                inner,
                switch: DropSwitch::default(),
            },
            addr,
        )
    }

    fn local_addr(&self) -> io::Result<Self::Addr> {
        self.inner.local_addr()
    }
}

/// The client end of a connection, as handlers see it (through `ConnectInfo<Peer>`): its
/// address, and the switch that cuts it.
#[derive(Debug, Clone)]
pub struct Peer {
    pub addr: SocketAddr,
    pub switch: DropSwitch,
}

impl Connected<IncomingStream<'_, DroppableListener>> for Peer {
    fn connect_info(stream: IncomingStream<'_, DroppableListener>) -> Self {
        Self {
            addr: *stream.remote_addr(),
            switch: stream.io().switch.clone(),
        }
    }
}

/// A router being served on a local port; [`Serving::shutdown`] stops it.
#[derive(Debug)]
pub struct Serving {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`: the base URL to point a client at.
    pub base_url: String,
    stop: oneshot::Sender<()>,
    task: JoinHandle<()>,
}

/// How long `shutdown` waits for in-flight requests before cutting them.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

impl Serving {
    /// Stops accepting connections, lets in-flight requests finish (up to a few seconds), and
    /// waits for the server task.
    pub async fn shutdown(self) {
        let Self { stop, mut task, .. } = self;
        // The receiver only disappears when the server already stopped; nothing to signal then.
        let _ = stop.send(());
        if tokio::time::timeout(SHUTDOWN_GRACE, &mut task)
            .await
            .is_err()
        {
            task.abort();
        }
    }
}

/// Binds `addr` (port 0 picks a free port) and serves `router` in a tokio task, with
/// [`Peer`] as connect info, until [`Serving::shutdown`] or until the `Serving` is dropped.
/// `name` says which simulator failed in the log.
pub async fn serve(
    router: axum::Router,
    addr: SocketAddr,
    name: &'static str,
) -> io::Result<Serving> {
    let inner = TcpListener::bind(addr).await?;
    let addr = inner.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let app = router.into_make_service_with_connect_info::<Peer>();
    let task = tokio::spawn(async move {
        let served = axum::serve(DroppableListener { inner }, app)
            .with_graceful_shutdown(async move {
                // A dropped sender (Serving dropped without shutdown) also means stop.
                let _ = stopped.await;
            })
            .await;
        if let Err(err) = served {
            tracing::error!(%err, simulator = name, "simulator server failed");
        }
    });
    Ok(Serving {
        addr,
        base_url: base_url(addr),
        stop,
        task,
    })
}

/// A simulator `S` serving on a local port: what `Simulator::spawn` of each target returns.
#[derive(Debug)]
pub struct RunningSim<S> {
    pub addr: SocketAddr,
    /// `http://127.0.0.1:PORT`: the base URL to point a client at.
    pub base_url: String,
    pub sim: S,
    serving: Serving,
}

impl<S> RunningSim<S> {
    /// Serves `router` (the whole API of `sim`) as [`serve`] does, keeping `sim` at hand for
    /// the test that started it.
    pub async fn start(
        sim: S,
        router: axum::Router,
        addr: SocketAddr,
        name: &'static str,
    ) -> io::Result<Self> {
        let serving = serve(router, addr, name).await?;
        Ok(Self {
            addr: serving.addr,
            base_url: serving.base_url.clone(),
            sim,
            serving,
        })
    }

    /// Stops accepting connections, lets in-flight requests finish (up to a few seconds), and
    /// waits for the server task.
    pub async fn shutdown(self) {
        self.serving.shutdown().await;
    }
}

fn base_url(addr: SocketAddr) -> String {
    let host = if addr.ip().is_unspecified() {
        "127.0.0.1".to_owned()
    } else {
        addr.ip().to_string()
    };
    match addr {
        SocketAddr::V6(_) if !addr.ip().is_unspecified() => {
            format!("http://[{host}]:{}", addr.port())
        }
        _ => format!("http://{host}:{}", addr.port()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_loopback_for_unspecified_and_bracket_v6() {
        assert_eq!(
            base_url("0.0.0.0:8080".parse().unwrap()),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            base_url("127.0.0.1:9".parse().unwrap()),
            "http://127.0.0.1:9"
        );
        assert_eq!(base_url("[::1]:9".parse().unwrap()), "http://[::1]:9");
    }

    #[test]
    fn a_tripped_switch_stays_tripped_for_every_clone() {
        let switch = DropSwitch::default();
        let seen_by_handler = switch.clone();
        assert!(!switch.is_tripped());
        seen_by_handler.trip();
        assert!(switch.is_tripped());
    }
}
