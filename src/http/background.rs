//! The service on its own thread and port, for tests, the benchmark and embedding.
use super::{app, AppState};
use actix_web::dev::ServerHandle;
use actix_web::web::Data;
use std::net::{SocketAddr, TcpListener};
use std::sync::mpsc;

/// A running HTTP server; dropping it stops the server and waits for its thread.
pub struct BackgroundServer {
    pub addr: SocketAddr,
    handle: ServerHandle,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl BackgroundServer {
    /// Serves `state` on `listener` with `workers` HTTP workers, on a thread with its own runtime.
    pub fn start(state: AppState, listener: TcpListener, workers: usize) -> std::io::Result<BackgroundServer> {
        let addr = listener.local_addr()?;
        let state = Data::new(state);
        let (tx, rx) = mpsc::channel();
        // The server is built on its own thread: actix's builder is not Send.
        let thread = std::thread::spawn(move || {
            actix_web::rt::System::new().block_on(async move {
                let server = actix_web::HttpServer::new(move || app(state.clone())).workers(workers.max(1)).listen(listener);
                match server {
                    Ok(server) => {
                        let running = server.shutdown_timeout(1).run();
                        let _ = tx.send(Ok(running.handle()));
                        let _ = running.await;
                    }
                    Err(e) => {
                        let _ = tx.send(Err(e));
                    }
                }
            })
        });
        let handle = rx.recv().map_err(|_| std::io::Error::other("the server thread stopped at start"))??;
        Ok(BackgroundServer { addr, handle, thread: Some(thread) })
    }
}

impl Drop for BackgroundServer {
    fn drop(&mut self) {
        actix_web::rt::System::new().block_on(self.handle.stop(false));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
